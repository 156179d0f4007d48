//! The columns each dashboard reads, through the stored pipeline on the embedded store: the
//! real Tableau client fetches the field lineage of the matched workbooks from the
//! simulator, the snapshot keeps it, and each exposure lists the columns of its dbt nodes
//! in dbt's spelling, with those dbt lacks reported on the exposure and in `diagnose`.

use std::path::{Path, PathBuf};

use autoexpose_pipeline::testsuite::StaticSecrets;
use autoexpose_pipeline::{ArtifactLocation, Integration, Pipeline, Secret, Trigger};
use autoexpose_store_local::{LocalArtifacts, LocalStore};
use autoexpose_tableau_bi::TableauHttp;
use autoexpose_testkit::example_site;
use serde_json::json;
use tableau_sim::Simulator;

const E1_REVENUE: &str = "e1e1e1e1-0001-4000-8000-0000000000e1";
const E3_CUSTOMER_360: &str = "e1e1e1e1-0003-4000-8000-0000000000e3";
/// The columns Customer 360 reads, in dbt's spelling where the manifest documents them.
const CUSTOMER_360_READS: [&str; 6] = [
    "model.shop.customers.first_name",
    "model.shop.orders.AMOUNT",
    "model.shop.orders.DISCOUNT_CODE",
    "model.shop.orders.ORDER_DATE",
    "model.shop.orders.customer_id",
    "model.shop.orders.order_id",
];

fn scratch(test: &str) -> PathBuf {
    std::env::temp_dir()
        .join(format!("autoexpose-columns-{}", std::process::id()))
        .join(test)
}

/// dbt project `shop` with the example site's tables as models; `orders` documents two of
/// its columns.
fn write_manifest(dir: &Path) -> ArtifactLocation {
    let model = |name: &str, columns: serde_json::Value| {
        json!({
            "resource_type": "model", "name": name, "alias": name, "database": "analytics",
            "schema": "dbt_prod", "package_name": "shop", "config": {"materialized": "table"},
            "columns": columns
        })
    };
    let manifest = json!({
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
            "generated_at": "2025-03-01T07:00:00Z", "invocation_id": "m1", "project_name": "shop"
        },
        "nodes": {
            "model.shop.orders": model("orders", json!({
                "order_id": {"name": "order_id", "data_type": "bigint"},
                "customer_id": {"name": "customer_id", "data_type": "bigint"}
            })),
            "model.shop.customers": model("customers", json!({})),
            "model.shop.payments": model("payments", json!({}))
        },
        "sources": {}
    });
    std::fs::create_dir_all(dir).expect("scratch folder");
    let path = dir.join("manifest.json");
    std::fs::write(&path, serde_json::to_vec(&manifest).expect("json")).expect("write manifest");
    ArtifactLocation::local(path.to_string_lossy())
}

/// `catalog.json` beside the manifest: the warehouse has every column of `orders` but
/// `DISCOUNT_CODE`.
fn write_catalog(dir: &Path) {
    let columns = |names: &[(&str, &str)]| {
        let mut map = serde_json::Map::new();
        for (i, (name, data_type)) in names.iter().enumerate() {
            map.insert(
                name.to_string(),
                json!({"type": data_type, "index": i + 1, "name": name}),
            );
        }
        json!({"columns": map})
    };
    let catalog = json!({
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/catalog/v1.json"},
        "nodes": {
            "model.shop.orders": columns(&[
                ("ORDER_ID", "NUMBER"), ("CUSTOMER_ID", "NUMBER"),
                ("ORDER_DATE", "TIMESTAMP_NTZ"), ("AMOUNT", "NUMBER(12,2)")
            ]),
            "model.shop.payments": columns(&[("PAYMENT_ID", "NUMBER"), ("AMOUNT", "NUMBER"), ("PAYMENT_METHOD", "TEXT")])
        },
        "sources": {}
    });
    std::fs::write(
        dir.join("catalog.json"),
        serde_json::to_vec(&catalog).expect("json"),
    )
    .expect("write catalog");
}

async fn start(test: &str) -> (Simulator, Pipeline, PathBuf) {
    let sim = example_site().await;
    let dir = scratch(test);
    let store = LocalStore::open(dir.join("state.db")).expect("open store");
    let pipeline = Pipeline::new(
        store,
        LocalArtifacts,
        StaticSecrets(Secret::new("ci-secret-0123456789")),
        TableauHttp::default(),
    );
    let integration = Integration::new(
        "acme",
        "shop",
        sim.base_url(),
        "acme",
        "autoexpose-ci",
        "AUTOEXPOSE_TABLEAU_TOKEN_SECRET",
    );
    pipeline
        .store()
        .create_integration(&integration)
        .await
        .expect("create integration");
    (sim, pipeline, dir)
}

/// `node.column` of each column, and of each one dbt lacks, of one workbook's exposure.
async fn columns_of(pipeline: &Pipeline, luid: &str) -> (Vec<String>, Vec<String>) {
    let stored = pipeline.store().list_exposures("acme").await.expect("list");
    let exposure = &stored
        .iter()
        .find(|s| s.exposure.workbook_luid == luid)
        .unwrap_or_else(|| panic!("no exposure of {luid}"))
        .exposure;
    let names = |columns: &[autoexpose_domain::ReferencedColumn]| {
        columns
            .iter()
            .map(|c| format!("{}.{}", c.node, c.column_name))
            .collect()
    };
    (
        names(&exposure.referenced_columns),
        names(&exposure.missing_columns),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_gives_each_exposure_the_columns_it_reads_in_dbts_spelling() {
    let (sim, pipeline, dir) = start("manifest-only").await;
    let manifest = write_manifest(&dir);
    pipeline
        .apply_manifest("shop", &manifest)
        .await
        .expect("apply");
    pipeline
        .update_collections("acme", &["Marketing".to_string()])
        .await
        .expect("select Marketing");

    let (read, missing) = columns_of(&pipeline, E3_CUSTOMER_360).await;
    assert_eq!(read, CUSTOMER_360_READS);
    // With only the manifest, `orders` documents two columns: the other three are not
    // among them. `customers` documents none, so nothing of it can be called missing.
    assert_eq!(
        missing,
        [
            "model.shop.orders.AMOUNT",
            "model.shop.orders.DISCOUNT_CODE",
            "model.shop.orders.ORDER_DATE",
        ]
    );

    // The snapshot keeps the columns: a sync that changes nothing changes no exposure.
    let run = pipeline
        .sync_integration("acme", Trigger::Schedule)
        .await
        .expect("no-change sync");
    assert_eq!((run.added, run.changed, run.removed), (0, 0, 0), "{run:?}");
    // Email is obfuscated for the token's user: left out (counted in the log), and the
    // run is not marked incomplete for it, its tables being whole.
    assert_eq!(run.warning, None, "{run:?}");
    drop(sim);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_catalog_the_warehouse_decides_spelling_types_and_what_is_missing() {
    let (_sim, pipeline, dir) = start("with-catalog").await;
    let manifest = write_manifest(&dir);
    write_catalog(&dir);
    pipeline
        .apply_manifest("shop", &manifest)
        .await
        .expect("apply");
    pipeline
        .update_collections("acme", &["Finance".to_string()])
        .await
        .expect("select Finance");

    let (read, missing) = columns_of(&pipeline, E1_REVENUE).await;
    assert!(
        read.contains(&"model.shop.payments.PAYMENT_METHOD".to_string()),
        "{read:?}"
    );
    assert!(
        read.contains(&"model.shop.orders.order_id".to_string()),
        "{read:?}"
    );
    assert_eq!(missing, ["model.shop.orders.DISCOUNT_CODE"]);

    let stored = pipeline.store().list_exposures("acme").await.expect("list");
    let revenue = &stored
        .iter()
        .find(|s| s.exposure.workbook_luid == E1_REVENUE)
        .expect("revenue")
        .exposure;
    let amount = revenue
        .referenced_columns
        .iter()
        .find(|c| c.node == "model.shop.orders" && c.column_name == "AMOUNT")
        .expect("amount");
    assert_eq!(amount.data_type.as_deref(), Some("NUMBER(12,2)"));
    let order_id = revenue
        .referenced_columns
        .iter()
        .find(|c| c.column_name == "order_id")
        .expect("order_id");
    // dbt's declared type wins over the catalog's.
    assert_eq!(order_id.data_type.as_deref(), Some("bigint"));

    // diagnose names the likely break.
    let report = pipeline
        .diagnose_integration("acme")
        .await
        .expect("diagnose");
    let missing: Vec<(&str, &str)> = report
        .missing_columns
        .iter()
        .map(|m| (m.workbook.as_str(), m.column_name.as_str()))
        .collect();
    assert_eq!(missing, [("Revenue Overview", "DISCOUNT_CODE")]);

    // The YAML carries them in Elementary's shape.
    let files = pipeline.exposure_files("shop", None).await.expect("files");
    let yaml = &files[0].contents;
    assert!(yaml.contains("referenced_columns:"), "{yaml}");
    assert!(yaml.contains("- column_name: DISCOUNT_CODE\n"), "{yaml}");
    assert!(yaml.contains("node: ref('orders')"), "{yaml}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_fields_query_keeps_the_table_level_exposures_and_the_last_columns() {
    let (sim, pipeline, dir) = start("fields-fail").await;
    let manifest = write_manifest(&dir);
    pipeline
        .apply_manifest("shop", &manifest)
        .await
        .expect("apply");
    pipeline
        .update_collections("acme", &["Marketing".to_string()])
        .await
        .expect("select Marketing");
    let (before, _) = columns_of(&pipeline, E3_CUSTOMER_360).await;
    assert!(!before.is_empty());

    // A server whose schema has no field lineage refuses the fields query alone.
    sim.faults().set_field_lineage_unavailable(true);
    let run = pipeline
        .sync_integration("acme", Trigger::Schedule)
        .await
        .expect("sync");
    assert_eq!((run.added, run.changed, run.removed), (0, 0, 0), "{run:?}");
    assert!(run.error.is_none(), "{run:?}");
    let warning = run.warning.expect("the run says why the columns are old");
    assert!(
        warning.contains("could not be fetched") && warning.contains("upstreamColumns"),
        "{warning}"
    );
    let (after, _) = columns_of(&pipeline, E3_CUSTOMER_360).await;
    assert_eq!(after, before);

    // A workbook newly matched while the fields query fails still gets its table-level
    // exposure, without columns.
    pipeline
        .update_collections("acme", &["Marketing".to_string(), "Finance".to_string()])
        .await
        .expect("select both");
    let stored = pipeline.store().list_exposures("acme").await.expect("list");
    let revenue = stored
        .iter()
        .find(|s| s.exposure.workbook_luid == E1_REVENUE)
        .expect("revenue has its exposure");
    assert!(!revenue.exposure.depends_on.is_empty());
    assert!(revenue.exposure.referenced_columns.is_empty());
}

/// The integration selecting Marketing, synced before any manifest: nothing matched, so
/// no field lineage was fetched.
async fn synced_before_any_manifest(test: &str) -> (Simulator, Pipeline, PathBuf) {
    let (sim, pipeline, dir) = start(test).await;
    pipeline
        .update_collections("acme", &["Marketing".to_string()])
        .await
        .expect("select Marketing");
    (sim, pipeline, dir)
}

/// The rematch of one integration after `apply_manifest`.
fn rematch_run(outcome: autoexpose_pipeline::ApplyOutcome) -> autoexpose_pipeline::SyncRun {
    match outcome {
        autoexpose_pipeline::ApplyOutcome::Applied { mut rematches, .. } => {
            assert_eq!(rematches.len(), 1, "{rematches:?}");
            rematches.remove(0).1.expect("the rematch ran")
        }
        other => panic!("the manifest was not applied: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manifest_that_newly_matches_a_workbook_fetches_the_columns_it_reads() {
    let (sim, pipeline, dir) = synced_before_any_manifest("manifest-after-sync").await;
    assert!(
        pipeline
            .store()
            .list_exposures("acme")
            .await
            .expect("list")
            .is_empty()
    );

    sim.reset_stats();
    let manifest = write_manifest(&dir);
    let run = rematch_run(
        pipeline
            .apply_manifest("shop", &manifest)
            .await
            .expect("apply"),
    );
    assert_eq!(run.warning, None, "{run:?}");
    assert!(sim.stats().metadata_queries > 0, "{:?}", sim.stats());
    let (read, _) = columns_of(&pipeline, E3_CUSTOMER_360).await;
    assert_eq!(read, CUSTOMER_360_READS);

    // The snapshot keeps what was fetched: the next rematch asks Tableau nothing.
    sim.reset_stats();
    let again = pipeline
        .rematch_integration("acme", Trigger::Manual)
        .await
        .expect("rematch");
    assert_eq!((again.added, again.changed, again.removed), (0, 0, 0));
    assert_eq!(sim.stats().requests, 0, "{:?}", sim.stats());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manifest_whose_columns_cannot_be_fetched_still_matches_and_says_so() {
    let (sim, pipeline, dir) = synced_before_any_manifest("manifest-fields-fail").await;
    sim.faults().set_field_lineage_unavailable(true);
    let run = rematch_run(
        pipeline
            .apply_manifest("shop", &write_manifest(&dir))
            .await
            .expect("apply"),
    );
    assert!(run.error.is_none(), "{run:?}");
    assert!(run.added > 0, "{run:?}");
    let warning = run.warning.expect("the run says the columns are missing");
    assert!(
        warning.contains("3 newly matched dashboards read") && warning.contains("next sync"),
        "{warning}"
    );
    let (read, _) = columns_of(&pipeline, E3_CUSTOMER_360).await;
    assert!(read.is_empty(), "{read:?}");

    // Asked again at the next rematch, once Tableau gives them.
    sim.faults().set_field_lineage_unavailable(false);
    let later = pipeline
        .rematch_integration("acme", Trigger::Manual)
        .await
        .expect("rematch");
    assert_eq!(later.warning, None, "{later:?}");
    assert_eq!(later.changed, 1, "{later:?}");
    let (read, _) = columns_of(&pipeline, E3_CUSTOMER_360).await;
    assert_eq!(read, CUSTOMER_360_READS);
}
