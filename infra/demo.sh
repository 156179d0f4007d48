#!/usr/bin/env bash
# The README's main command: the whole system on this machine, as the AWS functions run it,
# on the embedded store and against the Tableau simulator with the bundled example site:
# add an integration, select collections (which syncs), apply the example dbt manifest,
# record the example dbt build's results (health), print the exposures catalog, one
# exposure with its health, the integration's status, why two workbooks matched nothing
# (diagnose), and write exposures.yml. The build is the README's, so the two share it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --release --locked -q -p autoexpose -p tableau-sim
bin="$root/target/release"
out="$root/target/demo"
rm -rf "$out" && mkdir -p "$out/models/imported_from_tableau"

# The simulator listens on a free loopback port and prints it; it stops when this script ends.
"$bin/tableau-sim" --site-file tests/simulator/sites/example.json > "$out/simulator.log" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$out/simulator.log" || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "the Tableau simulator did not start:" >&2; cat "$out/simulator.log" >&2; exit 1; }

export AUTOEXPOSE_STORE="$out/state.db"
# The example site's PAT secret; a real one goes in this variable (never in a flag).
export AUTOEXPOSE_TABLEAU_TOKEN_SECRET=ci-secret-0123456789
ae() { echo "\$ autoexpose $*" >&2; "$bin/autoexpose" "$@"; }

echo "== Tableau simulator at $url (site 'acme'), local store $AUTOEXPOSE_STORE" >&2
ae integrations add --id acme --dbt-project jaffle_shop --server-url "$url" --site acme --token-name autoexpose-ci
ae collections list acme
ae collections set acme Finance,Marketing
ae apply-manifest examples/jaffle-shop/manifest.json --dbt-project jaffle_shop
ae record-results examples/jaffle-shop/run_results.json --dbt-project jaffle_shop
ae exposures list
ae exposures show customer_360
ae integrations show acme
# The two workbooks that matched no dbt node (apply-manifest said so): why, table by table.
ae diagnose --integration acme
ae exposures export --format yaml --out "$out/models"
echo "== wrote $(cd "$out" && ls models/imported_from_tableau/*.yml | tr '\n' ' ')" >&2
