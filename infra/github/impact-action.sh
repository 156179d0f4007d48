#!/usr/bin/env bash
# The step of the autoexpose impact GitHub Action (action.yml at the repository root runs
# it; cli/tests/impact.rs runs it too, against a stand-in of GitHub's REST API).
#
# It runs `autoexpose impact` on the pull request's manifest against production's, posts
# the Markdown report as the pull request's one impact comment (created once, updated on
# every re-run), adds it to the job summary, and fails the step when `fail-on` says so.
#
# Inputs come as the environment variables GitHub sets for a composite action's step:
#   INPUT_MANIFEST         the pull request's manifest.json (required)
#   INPUT_BASE_MANIFEST    production's manifest.json: a path or s3://bucket/key; empty
#                          for the applied manifest in the store
#   INPUT_TABLEAU_RESPONSE a saved Metadata API response, to work without a store
#   INPUT_DYNAMODB_TABLE   the deployed stack's table (AWS credentials from the job)
#   INPUT_DBT_PROJECT      the dbt project, when the store holds several
#   INPUT_FAIL_ON          breaking, changed, or empty
#   INPUT_COMMENT          true to post the comment
#   INPUT_PULL_REQUEST     the pull request's number
#   INPUT_EXTRA_ARGS       more `autoexpose impact` flags, split on spaces
# and GITHUB_REPOSITORY, GITHUB_API_URL, GITHUB_TOKEN, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT,
# RUNNER_TEMP as GitHub sets them. AUTOEXPOSE_BIN names the binary (default: autoexpose).
set -uo pipefail

fail() {
  echo "::error::$1" >&2
  exit 1
}

bin="${AUTOEXPOSE_BIN:-autoexpose}"
command -v "$bin" >/dev/null 2>&1 || fail "autoexpose is not on PATH (looked for '$bin')"
[ -n "${INPUT_MANIFEST:-}" ] || fail "the 'manifest' input is required (the pull request's target/manifest.json)"
[ -f "$INPUT_MANIFEST" ] || fail "the pull request's manifest '$INPUT_MANIFEST' does not exist: run dbt parse or dbt build first"

out_dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
report="$out_dir/autoexpose-impact.md"
args=(impact --manifest "$INPUT_MANIFEST" --format markdown --out "$report")
[ -n "${INPUT_BASE_MANIFEST:-}" ] && args+=(--base "$INPUT_BASE_MANIFEST")
[ -n "${INPUT_TABLEAU_RESPONSE:-}" ] && args+=(--tableau-response "$INPUT_TABLEAU_RESPONSE")
[ -n "${INPUT_DYNAMODB_TABLE:-}" ] && args+=(--dynamodb-table "$INPUT_DYNAMODB_TABLE")
[ -n "${INPUT_DBT_PROJECT:-}" ] && args+=(--dbt-project "$INPUT_DBT_PROJECT")
[ -n "${INPUT_FAIL_ON:-}" ] && args+=(--fail-on "$INPUT_FAIL_ON")
if [ "${INPUT_COMMENT:-true}" = "true" ]; then
  [ -n "${INPUT_PULL_REQUEST:-}" ] || fail "no pull request number: run the action on pull_request events, or set the 'pull-request' input"
  args+=(--comment --pull-request "$INPUT_PULL_REQUEST")
fi
if [ -n "${INPUT_EXTRA_ARGS:-}" ]; then
  read -r -a extra <<<"$INPUT_EXTRA_ARGS"
  args+=("${extra[@]}")
fi

"$bin" "${args[@]}"
status=$?

if [ -f "$report" ]; then
  [ -n "${GITHUB_STEP_SUMMARY:-}" ] && cat "$report" >>"$GITHUB_STEP_SUMMARY"
  [ -n "${GITHUB_OUTPUT:-}" ] && echo "report=$report" >>"$GITHUB_OUTPUT"
fi
case "$status" in
  0) exit 0 ;;
  3)
    [ -n "${GITHUB_OUTPUT:-}" ] && echo "gate=failed" >>"$GITHUB_OUTPUT"
    echo "::error::autoexpose impact: the change breaks dashboards (fail-on: ${INPUT_FAIL_ON})" >&2
    exit 1
    ;;
  *) fail "autoexpose impact failed (exit code $status)" ;;
esac
