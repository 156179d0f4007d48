#!/usr/bin/env bash
# Runs every test of the project from a clean checkout: installs the Python tools the tests
# talk to (moto, Tableau's own client, the SAM translator, cfn-lint) into .venv, then runs
# the Rust test suite. Tests start their own servers (moto, the Tableau simulator) on
# loopback ports and stop them when they finish.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash infra/setup-venv.sh
export PATH="$root/.venv/bin:$PATH"
cargo test --workspace --locked "$@"
if [ -f template.yaml ] && [ -x infra/check-template.sh ]; then
  bash infra/check-template.sh
fi
