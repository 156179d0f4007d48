#!/usr/bin/env bash
# Runs `sam build` on template.yaml as a user deploying the stack does (aws-sam-cli from
# PyPI, `--beta-features` for the rust-cargolambda build method, cargo-lambda and zig on
# PATH), for x86_64 here (this machine has no aarch64 standard library), into
# target/sam-build, and checks every function's `<Function>/bootstrap` as
# infra/build-lambdas.sh does. SAM runs one `cargo lambda build --release` per function in
# the workspace's own target directory, so it reuses what build-lambdas.sh built.
#
#   bash infra/sam-build.sh              # x86_64
#   ARCH=arm64 bash infra/sam-build.sh   # needs `rustup target add aarch64-unknown-linux-gnu`
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash infra/setup-lambda-tools.sh --with-sam
export PATH="$root/.venv-lambda/bin:$PATH"
export SAM_CLI_TELEMETRY=0

arch=${ARCH:-x86_64}
build_dir="$root/target/sam-build"
"$root/.venv-sam/bin/sam" build --beta-features \
  --parameter-overrides "FunctionArchitecture=$arch" \
  --build-dir "$build_dir"

source "$root/infra/check-bootstrap.sh"
# Every function the template declares, read from the template itself.
mapfile -t functions < <("$root/.venv-sam/bin/python" - "$root/template.yaml" <<'PY'
import sys
from samcli.yamlhelper import yaml_parse
with open(sys.argv[1]) as f:
    template = yaml_parse(f.read())
for name, resource in template["Resources"].items():
    if resource.get("Type") == "AWS::Serverless::Function":
        print(name)
PY
)
if [ "${#functions[@]}" -eq 0 ]; then
  echo "sam-build: template.yaml declares no AWS::Serverless::Function" >&2
  exit 1
fi
failed=0
for f in "${functions[@]}"; do
  check_bootstrap "$f" "$build_dir/$f/bootstrap" "$arch" || failed=1
done
exit "$failed"
