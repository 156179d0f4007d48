#!/usr/bin/env bash
# Runs every test of the project from a clean checkout: installs what the tests talk to
# (moto, Tableau's own Python client, the SAM translator, cfn-lint, three dbt versions,
# headless Chromium), runs the Rust test suite, then proves template.yaml. Tests start
# their own servers (moto, the Tableau simulator) on loopback ports and stop them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash infra/setup-venv.sh        # moto, tableauserverclient, aws-sam-translator, cfn-lint
bash infra/setup-dbt-venvs.sh   # dbt-core 1.9, 1.11 and 1.12 with dbt-duckdb, for the `dbt parse` proof
bash infra/setup-chromium.sh    # Debian's chromium, for the lineage page test
export PATH="$root/.venv/bin:$PATH"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked "$@" 2>&1 | tee "$log"
bash infra/check-template.sh
bash infra/fuzz.sh short       # every fuzz target for a few seconds (README, Fuzzing)
# One closing line for the whole run: the sum of every test binary's result line.
awk '/^test result:/ { passed += $4; failed += $6; ignored += $8 }
     END { printf "tests: %d passed, %d failed, %d skipped\n", passed, failed, ignored }' "$log"
