//! The pipeline end to end on the embedded store: the real Tableau client against the
//! Tableau simulator, manifests from local files.

use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;

use autoexpose_pipeline::testsuite::{CountingStore, StaticSecrets};
use autoexpose_pipeline::{
    ApplyOutcome, ArtifactLocation, Integration, Pipeline, PipelineError, Secret, Trigger,
    integration_status,
};
use autoexpose_store_local::{LocalArtifacts, LocalStore};
use autoexpose_tableau_bi::TableauHttp;
use autoexpose_testkit::example_site;
use tableau_sim::Simulator;

const E1_REVENUE: &str = "e1e1e1e1-0001-4000-8000-0000000000e1";
const E2_DAILY: &str = "e1e1e1e1-0002-4000-8000-0000000000e2";
const E3_CUSTOMER_360: &str = "e1e1e1e1-0003-4000-8000-0000000000e3";
const E4_CAMPAIGNS: &str = "e1e1e1e1-0004-4000-8000-0000000000e4";

/// The pipeline over SQLite and the real Tableau client, and the counting store under it.
struct SimPipeline {
    pipeline: Pipeline,
    counting: Arc<CountingStore<LocalStore>>,
}

impl Deref for SimPipeline {
    type Target = Pipeline;
    fn deref(&self) -> &Pipeline {
        &self.pipeline
    }
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir()
        .join(format!("autoexpose-sim-{}", std::process::id()))
        .join(name)
}

/// A manifest of dbt project `shop` with the models the example site's tables are.
fn write_manifest(name: &str, generated_at: &str) -> ArtifactLocation {
    let model = |name: &str| {
        serde_json::json!({
            "resource_type": "model", "name": name, "alias": name, "database": "analytics",
            "schema": "dbt_prod", "package_name": "shop", "config": {"materialized": "table"}
        })
    };
    let mut nodes = serde_json::Map::new();
    for m in [
        "orders",
        "customers",
        "payments",
        "orders_daily",
        "stg_campaigns",
    ] {
        nodes.insert(format!("model.shop.{m}"), model(m));
    }
    let manifest = serde_json::json!({
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
            "generated_at": generated_at, "invocation_id": name, "project_name": "shop"
        },
        "nodes": nodes, "sources": {}
    });
    let path = scratch(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("scratch folder");
    std::fs::write(&path, serde_json::to_vec(&manifest).expect("json")).expect("write manifest");
    ArtifactLocation::local(path.to_string_lossy())
}

async fn start() -> (Simulator, SimPipeline) {
    start_with("state.db").await
}

/// The example site and a pipeline on its own store file, `db`.
async fn start_with(db: &str) -> (Simulator, SimPipeline) {
    let sim = example_site().await;
    let store = LocalStore::open(scratch(db)).expect("open store");
    let counting = Arc::new(CountingStore::new(store));
    let pipeline = SimPipeline {
        pipeline: Pipeline::from_shared(
            counting.clone(),
            Arc::new(LocalArtifacts),
            Arc::new(StaticSecrets(Secret::new("ci-secret-0123456789"))),
            Arc::new(TableauHttp::default()),
        ),
        counting,
    };
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
    (sim, pipeline)
}

async fn exposure_luids(pipeline: &SimPipeline) -> Vec<String> {
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
async fn every_stage_runs_against_the_simulator() {
    let (sim, pipeline) = start().await;

    // A manifest before any listing: applied, nothing to match yet.
    let first = write_manifest("m1.json", "2025-03-01T07:00:00Z");
    let outcome = pipeline
        .apply_manifest("shop", &first)
        .await
        .expect("apply");
    assert!(
        matches!(outcome, ApplyOutcome::Applied { .. }),
        "{outcome:?}"
    );

    // Selecting Finance (with Reporting and Archive below it) syncs at once.
    let run = pipeline
        .update_collections("acme", &["Finance".to_string()])
        .await
        .expect("select Finance");
    assert_eq!(run.added, 2, "{run:?}");
    assert_eq!(exposure_luids(&pipeline).await, [E1_REVENUE, E2_DAILY]);
    let revenue = pipeline.store().list_exposures("acme").await.expect("list");
    let revenue = revenue
        .iter()
        .find(|s| s.exposure.workbook_luid == E1_REVENUE)
        .expect("revenue exposure");
    assert_eq!(
        revenue.exposure.depends_on,
        [
            "model.shop.customers",
            "model.shop.orders",
            "model.shop.payments"
        ]
    );

    // Nothing changed on the site: only the run record is written.
    pipeline.counting.reset();
    let run = pipeline
        .sync_integration("acme", Trigger::Schedule)
        .await
        .expect("no-change sync");
    assert_eq!((run.added, run.changed, run.removed), (0, 0, 0));
    assert_eq!(
        pipeline.counting.counts().data_writes(),
        1,
        "{:?}",
        pipeline.counting.counts()
    );

    // An unknown collection is named and nothing is stored.
    let err = pipeline
        .update_collections(
            "acme",
            &["Marketing".to_string(), "Nope/Nothing".to_string()],
        )
        .await
        .expect_err("unknown collection");
    assert!(
        matches!(&err, PipelineError::UnknownCollections { names, .. } if names == &["Nope/Nothing"]),
        "{err:?}"
    );
    assert_eq!(exposure_luids(&pipeline).await, [E1_REVENUE, E2_DAILY]);

    // Switching to Marketing: Finance's workbooks lose their exposures, Marketing's gain them.
    let run = pipeline
        .update_collections("acme", &["Marketing".to_string()])
        .await
        .expect("select Marketing");
    assert_eq!(run.removed, 2, "{run:?}");
    let luids = exposure_luids(&pipeline).await;
    assert!(luids.contains(&E3_CUSTOMER_360.to_string()), "{luids:?}");
    assert!(luids.contains(&E4_CAMPAIGNS.to_string()), "{luids:?}");
    assert!(!luids.contains(&E1_REVENUE.to_string()), "{luids:?}");

    // A workbook deleted in Tableau loses its exposure after a complete listing.
    sim.edit_site("acme", |site| {
        site.workbooks.retain(|w| w.luid != E4_CAMPAIGNS)
    })
    .expect("edit site");
    let run = pipeline
        .sync_integration("acme", Trigger::Schedule)
        .await
        .expect("sync after delete");
    assert_eq!(run.removed, 1, "{run:?}");
    let before = pipeline.store().list_exposures("acme").await.expect("list");

    // A revoked PAT: the sync fails, every exposure stays, the status says what to do.
    sim.faults().revoke_pat("autoexpose-ci");
    sim.edit_site("acme", |site| site.workbooks.clear())
        .expect("edit site");
    let err = pipeline
        .sync_integration("acme", Trigger::Schedule)
        .await
        .expect_err("revoked PAT");
    assert!(matches!(err, PipelineError::Tableau { .. }), "{err:?}");
    assert_eq!(
        pipeline.store().list_exposures("acme").await.expect("list"),
        before
    );
    let status = integration_status(pipeline.store(), "acme")
        .await
        .expect("status");
    let message = status.last_error.expect("error on the status");
    assert!(message.contains("autoexpose-ci"), "{message}");
    assert!(
        !message.contains("ci-secret-0123456789"),
        "secret leaked: {message}"
    );

    // An older manifest changes nothing, even with Tableau unreachable for sign-in.
    let stale = write_manifest("m0.json", "2025-03-01T06:00:00Z");
    let outcome = pipeline
        .apply_manifest("shop", &stale)
        .await
        .expect("apply stale");
    assert!(matches!(outcome, ApplyOutcome::Stale { .. }), "{outcome:?}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chained_sources_reach_their_models_and_a_backfill_removes_nothing() {
    let (sim, pipeline) = start_with("lineage.db").await;
    let manifest = write_manifest("lineage.json", "2025-03-01T07:00:00Z");
    pipeline
        .apply_manifest("shop", &manifest)
        .await
        .expect("apply");

    // A workbook in Finance on a data source published on top of the certified Orders
    // source: the models behind both data sources are its dependencies.
    sim.edit_site("acme", |site| {
        let mut middle = site.datasources[0].clone();
        middle.luid = "d5d5d5d5-0002-4000-8000-0000000000d2".into();
        middle.id = None;
        middle.name = "Orders + Payments".into();
        middle.table_ids = vec!["tbl-payments".into()];
        middle.datasource_luids = vec![site.datasources[0].luid.clone()];
        let mut workbook = site.workbooks[0].clone();
        workbook.luid = "e1e1e1e1-0101-4000-8000-000000000101".into();
        workbook.id = None;
        workbook.name = "Chained Sources".into();
        workbook.vizportal_url_id = "90001".into();
        workbook.table_ids.clear();
        workbook.custom_sql.clear();
        workbook.datasource_luids = vec![middle.luid.clone()];
        site.datasources.push(middle);
        site.workbooks.push(workbook);
    })
    .expect("edit site");
    let run = pipeline
        .update_collections("acme", &["Finance".to_string()])
        .await
        .expect("select Finance");
    assert_eq!(run.added, 3, "{run:?}");
    let stored = pipeline.store().list_exposures("acme").await.expect("list");
    let chained = stored
        .iter()
        .find(|s| s.exposure.workbook_luid == "e1e1e1e1-0101-4000-8000-000000000101")
        .expect("chained exposure");
    assert_eq!(
        chained.exposure.depends_on,
        [
            "model.shop.customers",
            "model.shop.orders",
            "model.shop.payments"
        ]
    );

    // Tableau Server rebuilding its Metadata API index answers with BACKFILL_RUNNING and
    // whatever it has indexed so far (here: nothing): no exposure is removed, and the
    // status says why.
    sim.faults().set_metadata_backfill_running(true);
    sim.edit_site("acme", |site| site.workbooks.clear())
        .expect("edit site");
    let err = pipeline
        .sync_integration("acme", Trigger::Schedule)
        .await
        .expect_err("a listing during a backfill is not complete");
    assert!(matches!(err, PipelineError::Tableau { .. }), "{err:?}");
    assert_eq!(
        pipeline.store().list_exposures("acme").await.expect("list"),
        stored
    );
    let status = integration_status(pipeline.store(), "acme")
        .await
        .expect("status");
    let message = status.last_error.expect("error on the status");
    assert!(message.contains("BACKFILL_RUNNING"), "{message}");
    assert!(message.contains("still indexing"), "{message}");
    sim.shutdown().await;
}
