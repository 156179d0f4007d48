//! Tableau's own Collections through the stored pipeline: the embedded store, the real
//! Tableau client, and the simulator as a REST 3.28 site.

use std::path::PathBuf;
use std::sync::Arc;

use autoexpose_pipeline::testsuite::StaticSecrets;
use autoexpose_pipeline::{
    ArtifactLocation, Integration, Pipeline, PipelineError, Secret, Trigger, integration_status,
};
use autoexpose_store_local::{LocalArtifacts, LocalStore};
use autoexpose_tableau_bi::TableauHttp;
use autoexpose_testkit::{BOARD_PACK, example_site_data, with_tableau_collections};
use tableau_sim::{Simulator, SiteData};

const CUSTOMER_360: &str = "e1e1e1e1-0003-4000-8000-0000000000e3";
const CAMPAIGNS: &str = "e1e1e1e1-0004-4000-8000-0000000000e4";

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir()
        .join(format!("autoexpose-tc-{}", std::process::id()))
        .join(name)
}

/// A manifest of dbt project `shop` whose models are the example site's tables.
fn write_manifest(name: &str) -> ArtifactLocation {
    let mut nodes = serde_json::Map::new();
    for m in [
        "orders",
        "customers",
        "payments",
        "stg_campaigns",
        "targets",
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
            "generated_at": "2026-03-01T07:00:00Z", "invocation_id": name, "project_name": "shop"
        },
        "nodes": nodes, "sources": {}
    });
    let path = scratch(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("scratch folder");
    std::fs::write(&path, serde_json::to_vec(&manifest).expect("json")).expect("write manifest");
    ArtifactLocation::local(path.to_string_lossy())
}

/// The pipeline over SQLite and the real client, with integration `acme` selecting nothing
/// yet and a manifest applied.
async fn start(data: SiteData, db: &str) -> (Simulator, Pipeline) {
    let sim = Simulator::start(data).await.expect("the simulator starts");
    let pipeline = Pipeline::from_shared(
        Arc::new(LocalStore::open(scratch(db)).expect("open store")),
        Arc::new(LocalArtifacts),
        Arc::new(StaticSecrets(Secret::new("ci-secret-0123456789"))),
        Arc::new(TableauHttp::default()),
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
    pipeline
        .apply_manifest("shop", &write_manifest(&format!("{db}.json")))
        .await
        .expect("apply manifest");
    (sim, pipeline)
}

async fn stored_integration(pipeline: &Pipeline) -> Integration {
    pipeline
        .store()
        .get_integration("acme")
        .await
        .expect("read")
        .expect("stored")
}

async fn exposure_luids(pipeline: &Pipeline) -> Vec<String> {
    let mut luids: Vec<String> = pipeline
        .store()
        .list_exposures("acme")
        .await
        .expect("list")
        .into_iter()
        .map(|s| s.exposure.workbook_luid)
        .collect();
    luids.sort();
    luids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workbook_in_a_selected_tableau_collection_becomes_an_exposure() {
    let mut data = example_site_data();
    with_tableau_collections(&mut data);
    let (sim, pipeline) = start(data, "selected.db").await;

    let run = pipeline
        .update_selection("acme", None, Some(&["Board pack".to_string()]))
        .await
        .expect("select the Board pack Collection by name");
    let stored = stored_integration(&pipeline).await;
    assert_eq!(stored.tableau_collections, [BOARD_PACK], "stored by LUID");
    assert!(stored.collections.is_empty(), "projects untouched");
    // Campaign Performance (Marketing) is in the Collection and reads dbt models; Customer
    // 360 shares its project but not the Collection.
    let luids = exposure_luids(&pipeline).await;
    assert!(luids.contains(&CAMPAIGNS.to_string()), "{luids:?}");
    assert!(!luids.contains(&CUSTOMER_360.to_string()), "{luids:?}");
    assert_eq!(run.added as usize, luids.len(), "{run:?}");

    // An unknown Collection is named, and nothing is stored.
    let err = pipeline
        .update_selection("acme", None, Some(&["Nope".to_string()]))
        .await
        .expect_err("unknown Collection");
    assert!(err.to_string().contains("Nope"), "{err}");
    let stored = stored_integration(&pipeline).await;
    assert_eq!(stored.tableau_collections, [BOARD_PACK]);

    // The Collection is deleted in Tableau: the sync says exactly that and removes nothing.
    sim.edit_site("acme", |site| site.tableau_collections.clear())
        .expect("edit site");
    let err = pipeline
        .sync_integration("acme", Trigger::Schedule)
        .await
        .expect_err("a deleted Collection fails the sync");
    let message = err.to_string();
    assert!(
        message.contains(&format!("Tableau Collection {BOARD_PACK} no longer exists")),
        "{message}"
    );
    assert_eq!(exposure_luids(&pipeline).await, luids, "nothing removed");
    let status = integration_status(pipeline.store(), "acme")
        .await
        .expect("status");
    let shown = status.last_error.expect("the run's error is kept");
    assert!(shown.contains("no longer exists"), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selecting_a_tableau_collection_on_a_3_25_site_says_they_are_not_available() {
    let (_sim, pipeline) = start(example_site_data(), "old.db").await;
    let err = pipeline
        .update_selection("acme", None, Some(&["Board pack".to_string()]))
        .await
        .expect_err("no Collections before 3.28");
    assert!(matches!(err, PipelineError::Tableau { .. }), "{err:?}");
    let message = format!(
        "{err}: {}",
        std::error::Error::source(&err)
            .map(|s| s.to_string())
            .unwrap_or_default()
    );
    assert!(
        message.contains("Tableau Collections are not available"),
        "{message}"
    );
    assert!(message.contains("3.25"), "{message}");
    let stored = stored_integration(&pipeline).await;
    assert!(stored.tableau_collections.is_empty());
}
