//! The handler called as a function: the real schedule event, the in-memory store and a
//! fake Tableau, no moto and no Lambda runtime.

use autoexpose_lambda::{Deps, Settings};
use autoexpose_pipeline::ExposureStore;
use autoexpose_pipeline::testsuite::memory_pipeline;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use daily_sync::handler;
use lambda_runtime::{Context, LambdaEvent};

#[tokio::test]
async fn the_schedule_syncs_every_integration_on_the_memory_store() {
    let path = format!(
        "{}/tests/fixtures/scheduled-event.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).expect("read fixture");
    let event: EventBridgeEvent = serde_json::from_str(&text).expect("an EventBridge event");
    let (pipeline, store) = memory_pipeline(&["p-fin"]).await;
    let deps = Deps::with_pipeline(pipeline, Settings::new("unused-table"));

    let report = handler(LambdaEvent::new(event, Context::default()), &deps)
        .await
        .expect("synced");

    assert_eq!(report.results.len(), 1, "{report:?}");
    let exposures = store.list_exposures("acme").await.expect("list");
    let mut luids: Vec<&str> = exposures
        .iter()
        .map(|e| e.exposure.workbook_luid.as_str())
        .collect();
    luids.sort();
    // Finance and its child Finance/Q1; not Ops.
    assert_eq!(luids, ["wb-1", "wb-3"]);
}
