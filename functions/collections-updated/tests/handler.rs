//! The handler called as a function: a collections update as a tool sends it, the
//! in-memory store and a fake Tableau, no moto and no Lambda runtime.

use autoexpose_lambda::{Deps, Settings};
use autoexpose_pipeline::testsuite::memory_pipeline;
use autoexpose_pipeline::{ExposureStore, IntegrationStore};
use collections_updated::handler;
use lambda_runtime::{Context, LambdaEvent};

#[tokio::test]
async fn new_collections_are_stored_and_synced_on_the_memory_store() {
    let (pipeline, store) = memory_pipeline(&["p-fin"]).await;
    let deps = Deps::with_pipeline(pipeline, Settings::new("unused-table"));
    let payload = serde_json::json!({"integration_id": "acme", "collections": ["Ops"]});

    handler(LambdaEvent::new(payload, Context::default()), &deps)
        .await
        .expect("updated");

    let integration = store
        .get_integration("acme")
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(integration.collections, ["p-ops"]);
    let exposures = store.list_exposures("acme").await.expect("list");
    let luids: Vec<&str> = exposures
        .iter()
        .map(|e| e.exposure.workbook_luid.as_str())
        .collect();
    assert_eq!(luids, ["wb-2"], "only the Ops workbook is left");
}
