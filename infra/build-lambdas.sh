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
  x86_64) flag=--x86-64 ;;
  arm64) flag=--arm64 ;;
  *) echo "build-lambdas: ARCH must be x86_64 or arm64, not '$arch'" >&2; exit 2 ;;
esac
functions=(manifest-uploaded daily-sync collections-updated run-results-uploaded refresh-watcher sync-worker)
packages=()
for f in "${functions[@]}"; do packages+=(-p "$f"); done

cargo lambda build --release "$flag" "${packages[@]}"

source "$root/infra/check-bootstrap.sh"
failed=0
for f in "${functions[@]}"; do
  check_bootstrap "$f" "target/lambda/$f/bootstrap" "$arch" || failed=1
done
exit "$failed"
