#!/usr/bin/env bash
# Creates (or refreshes) the virtualenvs that build the functions as Lambda runs them:
#   .venv-lambda  cargo-lambda (a prebuilt binary on PyPI) and ziglang, its linker, which it
#                 needs even for x86_64; `cargo install cargo-lambda` takes over 10 minutes.
#   .venv-sam     the AWS SAM CLI, apart because it pins its own boto3.
# Idempotent: a venv whose stamp matches its pins is left alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}

setup() {
  local venv="$root/$1"
  shift
  local stamp="$venv/.requirements"
  local want="$*"
  if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  echo "setting up $venv ($want)..." >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$@"
  echo "$want" > "$stamp"
}

setup .venv-lambda "cargo-lambda==1.9.2" "ziglang==0.17.1"
if [ "${1:-}" = "--with-sam" ]; then
  setup .venv-sam "aws-sam-cli==1.170.0"
fi
