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

/// An invocation with less time left than the stop margin stops its runs at once: each is
/// recorded as stopped and releases its lease, instead of being killed while holding it.
#[tokio::test]
async fn an_invocation_near_its_timeout_stops_its_runs_and_releases_their_leases() {
    use autoexpose_pipeline::{LeaseStore, RunStore};
    let (pipeline, store) = memory_pipeline(&["p-fin"]).await;
    let deps = Deps::with_pipeline(pipeline, Settings::new("unused-table"));
    let mut context = Context::default();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as u64;
    context.deadline = now_ms + 2_000; // under the 10 s margin
    let event: EventBridgeEvent = serde_json::from_str(
        r#"{"version":"0","id":"e-1","detail-type":"Scheduled Event","source":"aws.events",
            "account":"123456789012","time":"2025-03-01T08:00:00Z","region":"eu-west-1",
            "resources":[],"detail":{}}"#,
    )
    .expect("an EventBridge event");

    let deps = deps.for_invocation(&context);
    let report = handler(LambdaEvent::new(event, context), &deps)
        .await
        .expect("the function itself succeeds");

    let error = report.results[0].error.as_deref().unwrap_or_default();
    assert!(
        error.contains("before the function's timeout"),
        "{report:?}"
    );
    assert_eq!(store.get_lease("acme").await.expect("lease"), None);
    let runs = store.list_runs("acme", 10).await.expect("runs");
    assert!(
        runs[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("stopped")),
        "{runs:?}"
    );
}
