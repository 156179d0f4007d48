#!/usr/bin/env bash
# Builds every function as Lambda runs it, with cargo-lambda (`cargo lambda build
# --release`), one `bootstrap` per function under target/lambda/<function>/, and checks each:
# an ELF executable for the chosen architecture that needs no glibc newer than
# provided.al2023's (2.34). Prints each binary's size.
#
#   bash infra/build-lambdas.sh            # x86_64, what this machine can build
#   ARCH=arm64 bash infra/build-lambdas.sh # needs `rustup target add aarch64-unknown-linux-gnu`
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash infra/setup-lambda-tools.sh
export PATH="$root/.venv-lambda/bin:$PATH"

arch=${ARCH:-x86_64}
case "$arch" in
  x86_64) flag=--x86-64 machine="X86-64" ;;
  arm64) flag=--arm64 machine="AArch64" ;;
  *) echo "build-lambdas: ARCH must be x86_64 or arm64, not '$arch'" >&2; exit 2 ;;
esac
functions=(manifest-uploaded daily-sync collections-updated run-results-uploaded refresh-watcher sync-worker)
packages=()
for f in "${functions[@]}"; do packages+=(-p "$f"); done

cargo lambda build --release "$flag" "${packages[@]}"

al2023_glibc="2.34"
failed=0
for f in "${functions[@]}"; do
  bin="target/lambda/$f/bootstrap"
  if [ ! -x "$bin" ]; then
    echo "build-lambdas: $bin was not built" >&2
    failed=1
    continue
  fi
  if ! readelf -h "$bin" | grep -q "Machine:.*$machine"; then
    echo "build-lambdas: $bin is not an $arch executable" >&2
    failed=1
  fi
  # The newest glibc symbol version it needs must exist on provided.al2023.
  needs=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1)
  if [ -n "$needs" ] && [ "$(printf '%s\n%s\n' "$needs" "$al2023_glibc" | sort -V | tail -1)" != "$al2023_glibc" ]; then
    echo "build-lambdas: $bin needs GLIBC_$needs, newer than provided.al2023's $al2023_glibc" >&2
    failed=1
  fi
  size=$(stat -c %s "$bin")
  awk -v f="$f" -v a="$arch" -v s="$size" -v g="${needs:-none}" \
    'BEGIN { printf "lambda %-22s %s bootstrap, %d bytes (%.1f MiB), needs glibc %s\n", f, a, s, s / 1048576, g }'
done
exit "$failed"
