//! The handler called as a function: the SQS event of the sync queue (from the fixture),
//! the in-memory store, a fake Tableau and a queue that records follow-ups.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use autoexpose_lambda::{Deps, FanoutDeps, FanoutSettings, Settings};
use autoexpose_pipeline::testsuite::{memory_pipeline, sample_integration};
use autoexpose_pipeline::{
    ExposureStore, IntegrationStore, Lease, LeaseStore, QueueError, RunStore, SyncQueue,
    SyncRequest,
};
use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{Context, LambdaEvent};

#[derive(Default)]
struct RecordingQueue {
    sent: Mutex<Vec<SyncRequest>>,
}

#[async_trait]
impl SyncQueue for RecordingQueue {
    async fn send(&self, requests: &[SyncRequest]) -> Result<(), QueueError> {
        self.sent.lock().expect("lock").extend_from_slice(requests);
        Ok(())
    }
}

fn fixture() -> SqsEvent {
    let path = format!(
        "{}/tests/fixtures/sqs-sync-requests.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).expect("read fixture");
    serde_json::from_str(&text).expect("an SQS event")
}

/// The fixture holds four messages: `acme` (syncs), `beta` (its lease is held by another
/// run), `gone` (no such integration) and a body without an integration.
#[tokio::test]
async fn only_the_integration_that_failed_is_delivered_again() {
    let (pipeline, store) = memory_pipeline(&["p-fin"]).await;
    let pipeline = pipeline.with_lease(Duration::from_secs(60), Duration::ZERO);
    store
        .create_integration(&sample_integration("beta", &["p-fin"]))
        .await
        .expect("beta");
    let held = Lease {
        integration_id: "beta".into(),
        holder: "another-run".into(),
        expires_at: "2999-01-01T00:00:00.000Z".into(),
        acquired_at: "2025-03-01T00:00:00.000Z".into(),
    };
    assert!(
        store
            .try_acquire_lease(&held, "2025-03-01T00:00:00.000Z")
            .await
            .expect("lease")
    );
    let queue = Arc::new(RecordingQueue::default());
    let deps = FanoutDeps::with_queue(
        Deps::with_pipeline(pipeline, Settings::new("unused-table")),
        queue.clone(),
        FanoutSettings::new("https://sqs/sync"),
    );

    let response = sync_worker::handler(LambdaEvent::new(fixture(), Context::default()), &deps)
        .await
        .expect("the batch is answered");

    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["7a1c0d2e-0000-4000-8000-000000000002"]);
    let luids: Vec<String> = store
        .list_exposures("acme")
        .await
        .expect("list")
        .into_iter()
        .map(|e| e.exposure.workbook_luid)
        .collect();
    assert_eq!(luids.len(), 2, "{luids:?}");
    let beta_runs = store.list_runs("beta", 5).await.expect("runs");
    assert!(
        beta_runs[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("another-run")),
        "{beta_runs:?}"
    );
    assert!(queue.sent.lock().expect("lock").is_empty(), "no follow-up");
}
