#!/usr/bin/env bash
# Proves template.yaml: the real SAM transform (aws-sam-translator, offline), then cfn-lint
# on the CloudFormation it produces, which catches what cfn-lint alone misses in SAM
# templates (dangling references, circular dependencies, bad runtimes). Then it proves the
# check itself: broken copies of the template must each be rejected.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"
[ -x "$venv/bin/python" ] || bash "$root/infra/setup-venv.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

check() { # template -> 0 when the transform and cfn-lint pass
  AWS_DEFAULT_REGION=us-east-1 "$venv/bin/python" "$root/infra/sam_translate.py" "$1" "$work/out.json" &&
    "$venv/bin/cfn-lint" --format parseable -- "$1" "$work/out.json"
}

check "$root/template.yaml"
resources=$("$venv/bin/python" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["Resources"]))' "$work/out.json")
echo "template.yaml: SAM transform and cfn-lint passed ($resources CloudFormation resources)"

# Both ends of the sync queue get its URL, as function_env.py (the emulator tests' view of
# the template) resolves it.
"$venv/bin/python" "$root/infra/function_env.py" "$root/template.yaml" --ref StateTable=table \
  --ref RefreshQueue=refresh-url --ref SyncQueue=sync-url >"$work/env.json"
"$venv/bin/python" -c '
import json, sys
envs = json.load(open(sys.argv[1]))
for name in ("DailySyncFunction", "SyncWorkerFunction"):
    assert envs[name].get("SYNC_QUEUE_URL") == "sync-url", f"{name}: {envs[name]}"
print("template.yaml: the daily sync and the sync worker share SYNC_QUEUE_URL")
' "$work/env.json"

broken=0
expect_rejected() { # name, python expression editing text `t`
  "$venv/bin/python" -c "import sys; t=open(sys.argv[1]).read(); t=$2; open(sys.argv[2],'w').write(t)" \
    "$root/template.yaml" "$work/broken.yaml"
  if check "$work/broken.yaml" >/dev/null 2>&1; then
    echo "check-template: a template with $1 was NOT rejected" >&2
    broken=1
  else
    echo "check-template: rejects $1"
  fi
}
expect_rejected "a runtime typo" "t.replace('provided.al2023', 'provided.al2024')"
expect_rejected "an unknown architecture" "t.replace('Default: arm64', 'Default: arm65').replace('AllowedValues: [arm64, x86_64]', 'AllowedValues: [arm65, x86_64]')"
expect_rejected "a dangling !Ref in an env var" "t.replace('TABLE_NAME: !Ref StateTable', 'TABLE_NAME: !Ref StateTabel')"
expect_rejected "a dangling !Ref to the refresh queue" "t.replace('REFRESH_QUEUE_URL: !Ref RefreshQueue', 'REFRESH_QUEUE_URL: !Ref RefreshQueu', 1)"
expect_rejected "a dangling !Ref to the sync queue" "t.replace('SYNC_QUEUE_URL: !Ref SyncQueue', 'SYNC_QUEUE_URL: !Ref SyncQueu', 1)"
expect_rejected "a sync worker concurrency below SQS's minimum" "t.replace('MinValue: 2\n    MaxValue: 1000\n    Description: How many sync workers', 'MinValue: 0\n    MaxValue: 1000\n    Description: How many sync workers').replace('Default: 4\n    MinValue: 0', 'Default: 1\n    MinValue: 0')"
expect_rejected "a circular bucket dependency" "t.replace('Resource: !GetAtt StateTable.Arn', 'Resource: !GetAtt ArtifactsBucket.Arn', 1)"
exit $broken
