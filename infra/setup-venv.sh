#!/usr/bin/env bash
# Creates (or refreshes) .venv with the Python tools the tests talk to:
# moto (the local AWS), Tableau's own Python client, the SAM translator and cfn-lint.
# Idempotent: does nothing when the requirements have not changed since the last run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"
req="$root/infra/python-requirements.txt"
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "setting up $venv (moto, tableauserverclient, aws-sam-translator, cfn-lint)..." >&2
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
