//! Table names as real Tableau servers return them, end to end: the `autoexpose` binary on a
//! local store, syncing the simulator's `rentals` site (`tests/simulator/sites/real_names.json`)
//! with its stale and empty schemas, a table with no database, file and SaaS tables, and
//! tables whose names Tableau hides from the token's user.

mod common;

use common::{SECRET, autoexpose, ok, scratch, workspace};
use tableau_sim::{Simulator, load_site_file};

const MANIFEST: &str = r#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json", "project_name": "rentals", "generated_at": "2026-12-01T10:00:00Z", "invocation_id": "a1"},
  "nodes": {
    "model.rentals.actor": {"resource_type": "model", "name": "actor", "alias": "actor", "database": "dvdrental", "schema": "public", "package_name": "rentals"},
    "model.rentals.film": {"resource_type": "model", "name": "film", "alias": "film", "database": "dvdrental", "schema": "public", "package_name": "rentals"},
    "model.rentals.orders": {"resource_type": "model", "name": "orders", "alias": "orders", "database": "sales", "schema": "dbo", "package_name": "rentals"},
    "model.rentals.orders_eu": {"resource_type": "model", "name": "orders_eu", "alias": "orders", "database": "sales_eu", "schema": "dbo", "package_name": "rentals"}
  }, "sources": {}}"#;

async fn rentals_site() -> Simulator {
    let path = workspace().join("tests/simulator/sites/real_names.json");
    let data = load_site_file(&path).expect("the real-names site loads");
    Simulator::start(data).await.expect("the simulator starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn defaults_hidden_tables_and_file_tables_are_stored_shown_and_diagnosed() {
    let sim = rentals_site().await;
    let dir = scratch("real-names");
    let store = dir.join("state.db");
    let manifest = dir.join("manifest.json");
    std::fs::write(&manifest, MANIFEST).expect("manifest written");
    let run = |args: &[&str]| ok(autoexpose(&store, SECRET, args));
    run(&[
        "integrations",
        "add",
        "--id",
        "rentals",
        "--dbt-project",
        "rentals",
        "--server-url",
        &sim.base_url(),
        "--site",
        "rentals",
        "--token-name",
        "autoexpose-ci",
    ]);
    run(&["collections", "set", "rentals", "DVD Rental"]);
    run(&[
        "apply-manifest",
        manifest.to_str().expect("utf-8 path"),
        "--dbt-project",
        "rentals",
    ]);

    // Three tables come back with their names obfuscated: the run is no plain success.
    let synced = run(&["sync", "rentals"]);
    assert!(synced.contains("incomplete"), "{synced}");
    assert!(synced.contains("Tableau hid the names of 3 of"), "{synced}");
    let shown = run(&["integrations", "show", "rentals"]);
    assert!(
        shown.contains("warning:       Tableau hid the names of 3 of"),
        "{shown}"
    );
    assert!(
        shown.contains("Connect permission on the data sources"),
        "{shown}"
    );

    let before = run(&["diagnose", "--integration", "rentals"]);
    assert!(
        before.contains("--default-schema postgres=public"),
        "{before}"
    );
    assert!(before.contains("Tableau names no database"), "{before}");
    assert!(
        before.contains("Sheet1 (excel-direct: a file, which no dbt node can be)"),
        "{before}"
    );
    assert!(
        before.contains("(name hidden by Tableau permissions; table id tbl-hidden-1)"),
        "{before}"
    );
    assert!(before.contains("4 not in a warehouse"), "{before}");

    // `--schema-alias =public` reads as the default schema for every table.
    run(&[
        "integrations",
        "set",
        "rentals",
        "--schema-alias",
        "=public",
        "--default-database",
        "sqlserver=sales_eu",
    ]);
    let shown = run(&["integrations", "show", "rentals"]);
    assert!(
        shown.contains("defaults:      schema public, database sales_eu for sqlserver"),
        "{shown}"
    );
    let after = run(&["diagnose", "--integration", "rentals"]);
    assert!(
        after.contains("ok        dvdrental.film -> model.rentals.film"),
        "{after}"
    );
    assert!(
        after.contains("note: schema 'public' is the default for every table"),
        "{after}"
    );
    assert!(after.contains("-> model.rentals.orders_eu"), "{after}");
    assert!(
        after.contains("note: database 'sales_eu' is the default for sqlserver tables"),
        "{after}"
    );

    // While Tableau Server re-indexes its metadata the sync fails and removes nothing;
    // diagnose says its report is of the last complete listing.
    sim.faults().set_metadata_backfill_running(true);
    let failed = autoexpose(&store, SECRET, &["sync", "rentals"]);
    assert!(!failed.status.success(), "a sync during a backfill fails");
    let during = autoexpose(&store, SECRET, &["diagnose", "--integration", "rentals"]);
    let note = String::from_utf8_lossy(&during.stderr);
    assert!(
        note.contains("note: the last sync of 'rentals'")
            && note.contains("so this report reads the last complete listing"),
        "{note}"
    );
    assert!(ok(during).contains("-> model.rentals.film"));
    sim.shutdown().await;
}
