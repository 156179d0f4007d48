#!/usr/bin/env bash
# Creates (or refreshes) the dbt Core virtualenvs that cli/tests/dbt_parse.rs runs `dbt parse`
# with: .venv-dbt/1.9 (meta at the top level of an exposure), .venv-dbt/1.11 (meta under
# `config:`) and .venv-dbt/1.12 (the newest dbt Core). Each pins dbt-core and dbt-duckdb to one
# minor version.
#
# dbt-core 1.12 requires dbt-core-experimental-parser, which PyPI has only as a source
# distribution whose build downloads a wheel from github.com; where GitHub is out of reach the
# install fails. dbt-core 1.12's Python code never imports that package (its static parser is
# dbt-extractor's), so for 1.12 install dbt-core without dependencies, then every other
# requirement its wheel declares, then dbt-duckdb without dependencies (its own requirement on
# dbt-core would pull the parser back in) and duckdb. `dbt --version` then checks it.
#
# Idempotent: a venv whose stamp matches its pins is left alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}

# Makes the venv $1 anew, empty, unless its stamp already says $2; false when it is current.
make_venv() {
  local venv=$1 want=$2
  if [ -x "$venv/bin/dbt" ] && [ -f "$venv/.requirements" ] && [ "$(cat "$venv/.requirements")" = "$want" ]; then
    return 1
  fi
  echo "setting up $venv ($want)..." >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
}

setup() {
  local minor=$1
  shift
  local venv="$root/.venv-dbt/$minor"
  local want="$*"
  make_venv "$venv" "$want" || return 0
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$@"
  echo "$want" > "$venv/.requirements"
}

setup_without_experimental_parser() {
  local minor=$1 core=$2 duckdb=$3
  local venv="$root/.venv-dbt/$minor"
  local want="$core $duckdb (no dbt-core-experimental-parser)"
  make_venv "$venv" "$want" || return 0
  local pip=("$venv/bin/pip" --disable-pip-version-check)
  local wheels
  wheels=$(mktemp -d)
  "${pip[@]}" download --quiet --no-deps --dest "$wheels" "$core" "$duckdb"
  local requirements=()
  local wheel
  for wheel in "$wheels"/dbt_core-*.whl; do
    mapfile -t requirements < <("$venv/bin/python" - "$wheel" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    meta = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    for line in wheel.read(meta).decode().splitlines():
        if line.startswith("Requires-Dist:"):
            requirement = line.split(":", 1)[1].strip()
            if "extra ==" in requirement or requirement.startswith("dbt-core-experimental-parser"):
                continue
            print(requirement)
PY
    )
  done
  "${pip[@]}" install --quiet "${requirements[@]}" "duckdb>=1.0.0"
  "${pip[@]}" install --quiet --no-deps "$wheels"/*.whl
  rm -rf "$wheels"
  "$venv/bin/dbt" --version >/dev/null
  echo "$want" > "$venv/.requirements"
}

setup 1.9 "dbt-core~=1.9.0" "dbt-duckdb~=1.9.0"
setup 1.11 "dbt-core~=1.11.0" "dbt-duckdb~=1.11.0"
setup_without_experimental_parser 1.12 "dbt-core~=1.12.0" "dbt-duckdb~=1.11.0"
