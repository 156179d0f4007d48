#!/usr/bin/env bash
# Creates (or refreshes) the dbt Core virtualenvs that cli/tests/dbt_parse.rs runs `dbt parse`
# with: .venv-dbt/1.9 (meta at the top level of an exposure) and .venv-dbt/1.11 (meta under
# `config:`). Each pins dbt-core and dbt-duckdb to one minor version. dbt-core 1.12 and later
# cannot be installed offline-safe (its build downloads a wheel from GitHub), so stay below it.
# Idempotent: a venv whose stamp matches its pins is left alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}

setup() {
  local minor=$1
  shift
  local venv="$root/.venv-dbt/$minor"
  local stamp="$venv/.requirements"
  local want="$*"
  if [ -x "$venv/bin/dbt" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  echo "setting up $venv ($want)..." >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$@"
  echo "$want" > "$stamp"
}

setup 1.9 "dbt-core~=1.9.0" "dbt-duckdb~=1.9.0"
setup 1.11 "dbt-core~=1.11.0" "dbt-duckdb~=1.11.0"
