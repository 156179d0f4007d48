#!/usr/bin/env bash
# Builds every function as Lambda runs it (infra/build-lambdas.sh: cargo-lambda, release,
# x86_64 here) and runs the built bootstraps under cargo-lambda's emulator of the Lambda
# runtime API, against moto and the Tableau simulator (tests/e2e/tests/lambda_runtime.rs),
# and the CLI's `collections set --function` against the emulator's Invoke API; then runs
# `sam build` on template.yaml and checks its bootstraps (infra/sam-build.sh; SAM=0 skips it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash infra/setup-venv.sh
bash infra/build-lambdas.sh
export PATH="$root/.venv/bin:$PATH"
# The CLI, for the test that sets collections through the emulated function.
cargo build --locked -p autoexpose
cargo test --locked -p autoexpose-e2e --test lambda_runtime -- --ignored "$@"
if [ "${SAM:-1}" != 0 ]; then
  bash infra/sam-build.sh
fi
