#!/usr/bin/env bash
# Fuzzes autoexpose's readers of outside input (the targets in fuzz/, README "Fuzzing")
# with cargo-fuzz and libFuzzer.
#
#   bash infra/fuzz.sh short                    every target for a few seconds (the test command)
#   bash infra/fuzz.sh long SECONDS [TARGET...]  SECONDS split among the targets, one after another
#
# Each target starts from its committed seeds (fuzz/seeds/TARGET) and the inputs once
# found to break it (fuzz/artifacts-found/TARGET), and keeps what it learns in a corpus
# outside the checkout, so that later runs on this machine start further on. A crash
# fails the run; its input is saved under fuzz/artifacts/TARGET/ and its log is printed.
#
# The build uses the toolchain pinned in rust-toolchain.toml and no sanitizer: our crates
# have no unsafe code, and AddressSanitizer would need nightly and inflate the stack frames
# that the custom SQL reader sizes its stack for. AUTOEXPOSE_FUZZ_TOOLCHAIN=nightly with
# AUTOEXPOSE_FUZZ_SANITIZER=address runs the same targets under ASan. When the toolchain or
# cargo-fuzz cannot be had, the step is skipped with a message rather than failing.
#
# Settings: AUTOEXPOSE_FUZZ_SECONDS (short: seconds per target, default 10),
# AUTOEXPOSE_FUZZ_CACHE (build and corpora; default ~/.cache/autoexpose-fuzz).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

mode=${1:-short}
case "$mode" in
short)
    per_target=${AUTOEXPOSE_FUZZ_SECONDS:-10}
    shift || true
    ;;
long)
    total=${2:?usage: bash infra/fuzz.sh long SECONDS [TARGET...]}
    shift 2
    ;;
*)
    echo "usage: bash infra/fuzz.sh short | long SECONDS [TARGET...]" >&2
    exit 2
    ;;
esac

cargo_fuzz_version=0.13.2
toolchain=${AUTOEXPOSE_FUZZ_TOOLCHAIN:-}
sanitizer=${AUTOEXPOSE_FUZZ_SANITIZER:-none}
cache=${AUTOEXPOSE_FUZZ_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/autoexpose-fuzz}
cargo=(cargo)
if [[ -n "$toolchain" ]]; then
    cargo=(cargo "+$toolchain")
fi

skip() {
    echo "fuzz: SKIPPED: $1"
    exit 0
}

if ! (cd fuzz && "${cargo[@]}" --version) >/dev/null 2>&1; then
    skip "toolchain '${toolchain:-pinned in rust-toolchain.toml}' is not installed (rustup toolchain list)"
fi
if [[ "$sanitizer" != none && "$toolchain" != nightly* ]]; then
    echo "fuzz: AUTOEXPOSE_FUZZ_SANITIZER=$sanitizer needs AUTOEXPOSE_FUZZ_TOOLCHAIN=nightly" >&2
    exit 2
fi
if ! cargo fuzz --version 2>/dev/null | grep -q "$cargo_fuzz_version"; then
    echo "fuzz: installing cargo-fuzz $cargo_fuzz_version (once per machine)"
    cargo install cargo-fuzz --version "$cargo_fuzz_version" --locked --quiet ||
        skip "cargo-fuzz $cargo_fuzz_version could not be installed from crates.io"
fi

mkdir -p "$cache/logs"
fuzz=("${cargo[@]}" fuzz)
flags=(--sanitizer "$sanitizer" --target-dir "$cache/target")

started=$SECONDS
echo "fuzz: building the targets (${toolchain:-pinned toolchain}, sanitizer $sanitizer)"
if ! "${fuzz[@]}" build "${flags[@]}" >"$cache/logs/build.log" 2>&1; then
    tail -n 40 "$cache/logs/build.log"
    echo "fuzz: the targets do not build (log: $cache/logs/build.log)" >&2
    exit 1
fi
echo "fuzz: built in $((SECONDS - started)) s"

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    mapfile -t targets < <("${fuzz[@]}" list)
fi
if [[ "$mode" == long ]]; then
    per_target=$((total / ${#targets[@]}))
fi

# Inputs longer than this are not generated: enough for every shape each reader takes,
# short enough that each run tries many.
max_len() {
    case "$1" in
    s3_event_key) echo 1024 ;;
    custom_sql | project_tree | invoke_payload) echo 4096 ;;
    *) echo 16384 ;;
    esac
}

# libFuzzer dictionaries: the tokens of each target's input language.
dict_for() {
    case "$1" in
    custom_sql) echo fuzz/dicts/sql.dict ;;
    s3_event_key | project_tree) ;;
    *) echo fuzz/dicts/json.dict ;;
    esac
}

failed=()
for target in "${targets[@]}"; do
    corpus="$cache/corpus/$target"
    mkdir -p "$corpus"
    dirs=("$corpus" "fuzz/seeds/$target")
    if [[ -d "fuzz/artifacts-found/$target" ]]; then
        dirs+=("fuzz/artifacts-found/$target")
    fi
    options=(-max_total_time="$per_target" -max_len="$(max_len "$target")"
        -rss_limit_mb=512 -timeout=10 -print_final_stats=1)
    dict=$(dict_for "$target")
    if [[ -n "$dict" ]]; then
        options+=(-dict="$dict")
    fi
    log="$cache/logs/$target.log"
    if "${fuzz[@]}" run "${flags[@]}" "$target" "${dirs[@]}" -- "${options[@]}" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        inputs=$(find "$corpus" -type f | wc -l)
        echo "fuzz: $target: ${runs:-?} runs in $per_target s, no failure; corpus $inputs inputs"
    else
        tail -n 60 "$log"
        echo "fuzz: $target FAILED (log: $log; the input is under fuzz/artifacts/$target/)"
        failed+=("$target")
    fi
done

echo "fuzz: ${#targets[@]} targets in $((SECONDS - started)) s, ${#failed[@]} failed ${failed[*]}"
[[ ${#failed[@]} -eq 0 ]]
