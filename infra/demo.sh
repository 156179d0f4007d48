#!/usr/bin/env bash
# The README's main command: builds autoexpose and runs it on the bundled example.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --release --locked -p autoexpose
bin="$root/target/release/autoexpose"
example="$root/examples/jaffle-shop"
echo "== autoexpose match: the example dbt project against a saved Tableau response" >&2
"$bin" match \
  --manifest "$example/manifest.json" \
  --tableau-response "$example/tableau-response.json" \
  --server-url 10az.online.tableau.com --site acme
mkdir -p "$root/target/demo/models/imported_from_tableau"
"$bin" match \
  --manifest "$example/manifest.json" \
  --tableau-response "$example/tableau-response.json" \
  --server-url 10az.online.tableau.com --site acme \
  --format yaml --out "$root/target/demo/models/imported_from_tableau/exposures.yml"
echo "wrote target/demo/models/imported_from_tableau/exposures.yml" >&2
