//! Usage end to end on the embedded store: the real Tableau client reads the example
//! site's usage from the simulator in the sync, the snapshot keeps it, the exposures carry
//! it with maturity and the stale flag, and a site without the usage-stats method is noted
//! once while the sync goes on with view counts.

use std::collections::BTreeMap;

use autoexpose_domain::Exposure;
use autoexpose_domain::usage_rules::Maturity;
use autoexpose_pipeline::testsuite::StaticSecrets;
use autoexpose_pipeline::{ArtifactLocation, Integration, Pipeline, Secret, Trigger};
use autoexpose_store_local::{LocalArtifacts, LocalStore};
use autoexpose_tableau_bi::TableauHttp;
use autoexpose_testkit::example_site;
use tableau_sim::UsageStatsAccess;

const REVENUE: &str = "e1e1e1e1-0001-4000-8000-0000000000e1";
const DAILY: &str = "e1e1e1e1-0002-4000-8000-0000000000e2";
const CAMPAIGNS: &str = "e1e1e1e1-0004-4000-8000-0000000000e4";

fn scratch(name: &str) -> std::path::PathBuf {
    std::env::temp_dir()
        .join(format!("autoexpose-usage-{}", std::process::id()))
        .join(name)
}

/// A manifest of dbt project `shop` with the models the example site's tables are.
fn write_manifest() -> ArtifactLocation {
    let mut nodes = serde_json::Map::new();
    for m in [
        "orders",
        "customers",
        "payments",
        "orders_daily",
        "stg_campaigns",
    ] {
        nodes.insert(
            format!("model.shop.{m}"),
            serde_json::json!({
                "resource_type": "model", "name": m, "alias": m, "database": "analytics",
                "schema": "dbt_prod", "package_name": "shop", "config": {"materialized": "table"}
            }),
        );
    }
    let manifest = serde_json::json!({
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
            "generated_at": "2025-03-01T07:00:00Z", "invocation_id": "m1", "project_name": "shop"
        },
        "nodes": nodes, "sources": {}
    });
    let path = scratch("manifest.json");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("scratch folder");
    std::fs::write(&path, serde_json::to_vec(&manifest).expect("json")).expect("write");
    ArtifactLocation::local(path.to_string_lossy())
}

/// The stored exposures by workbook LUID.
async fn exposures(pipeline: &Pipeline) -> BTreeMap<String, Exposure> {
    let mut by_luid = BTreeMap::new();
    for stored in pipeline.store().list_exposures("acme").await.expect("list") {
        by_luid.insert(stored.exposure.workbook_luid.clone(), stored.exposure);
    }
    by_luid
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_of_the_example_site_gives_exposures_their_usage() {
    let sim = example_site().await;
    let store = LocalStore::open(scratch("state.db")).expect("open store");
    let pipeline = Pipeline::new(
        store,
        LocalArtifacts,
        StaticSecrets(Secret::new("ci-secret-0123456789")),
        TableauHttp::default(),
    );
    let mut integration = Integration::new(
        "acme",
        "shop",
        sim.base_url(),
        "acme",
        "autoexpose-ci",
        "AUTOEXPOSE_TABLEAU_TOKEN_SECRET",
    );
    integration.collections = vec![
        "1f0e1a6c-0001-4000-8000-00000000f001".into(),
        "1f0e1a6c-0004-4000-8000-00000000f004".into(),
    ];
    pipeline
        .store()
        .create_integration(&integration)
        .await
        .expect("create integration");
    pipeline
        .apply_manifest("shop", &write_manifest())
        .await
        .expect("apply");
    let run = pipeline
        .sync_integration("acme", Trigger::Manual)
        .await
        .expect("sync");
    assert_eq!(run.error, None);

    let synced = exposures(&pipeline).await;
    let revenue = &synced[REVENUE];
    let usage = revenue.usage.as_ref().expect("usage");
    assert_eq!(
        (usage.hits_last_month, usage.hits_last_year),
        (Some(410), Some(4200))
    );
    assert_eq!(
        (revenue.maturity, revenue.stale),
        (Some(Maturity::High), false)
    );
    assert_eq!(synced[DAILY].maturity, Some(Maturity::Medium));
    let campaigns = &synced[CAMPAIGNS];
    assert_eq!(
        (campaigns.maturity, campaigns.stale),
        (Some(Maturity::Low), true)
    );
    let snapshot = pipeline
        .store()
        .get_snapshot("acme")
        .await
        .expect("get")
        .expect("stored");
    assert!(
        snapshot.workbooks.iter().all(|w| w.usage.is_some()),
        "the snapshot keeps every workbook's usage"
    );
    assert_eq!(
        pipeline
            .store()
            .get_integration("acme")
            .await
            .expect("get")
            .expect("stored")
            .usage_note,
        None
    );

    // An older server: no usage-stats method. The sync still works, on view counts.
    sim.edit_site("acme", |s| s.usage_stats = UsageStatsAccess::Absent)
        .expect("edit site");
    let run = pipeline
        .sync_integration("acme", Trigger::Manual)
        .await
        .expect("sync");
    assert_eq!(run.error, None);
    let note = pipeline
        .store()
        .get_integration("acme")
        .await
        .expect("get")
        .expect("stored")
        .usage_note
        .expect("the limitation is noted");
    assert!(
        note.message.starts_with("only lifetime view counts") && note.message.contains("404"),
        "{}",
        note.message
    );
    let on_views = exposures(&pipeline).await;
    let revenue = on_views[REVENUE].usage.as_ref().expect("usage");
    assert_eq!(
        (revenue.total_views, revenue.hits_last_month),
        (Some(9800), None)
    );
    assert_eq!(
        on_views[REVENUE].maturity, None,
        "lifetime views cannot tell"
    );
    assert!(!on_views[CAMPAIGNS].stale, "it was viewed once, long ago");
    sim.shutdown().await;
}
