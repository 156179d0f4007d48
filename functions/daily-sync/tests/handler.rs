//! The handler called as a function: the real schedule event, the in-memory store and a
//! queue that records what it is given, no moto and no Lambda runtime.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use autoexpose_lambda::{Deps, FanoutDeps, FanoutSettings, FunctionError, Settings};
use autoexpose_pipeline::testsuite::{memory_pipeline, sample_integration};
use autoexpose_pipeline::{IntegrationStore, QueueError, SyncQueue, SyncRequest, Trigger};
use aws_lambda_events::eventbridge::EventBridgeEvent;
use daily_sync::handler;
use lambda_runtime::{Context, LambdaEvent};

#[derive(Default)]
struct RecordingQueue {
    sent: Mutex<Vec<SyncRequest>>,
    refuse: bool,
}

#[async_trait]
impl SyncQueue for RecordingQueue {
    async fn send(&self, requests: &[SyncRequest]) -> Result<(), QueueError> {
        if self.refuse {
            return Err(QueueError::Unavailable("queue q is down".into()));
        }
        self.sent.lock().expect("lock").extend_from_slice(requests);
        Ok(())
    }
}

fn schedule() -> LambdaEvent<EventBridgeEvent> {
    let path = format!(
        "{}/tests/fixtures/scheduled-event.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).expect("read fixture");
    let event: EventBridgeEvent = serde_json::from_str(&text).expect("an EventBridge event");
    LambdaEvent::new(event, Context::default())
}

#[tokio::test]
async fn the_schedule_queues_one_first_step_per_integration_and_syncs_none_itself() {
    let (pipeline, store) = memory_pipeline(&["p-fin"]).await;
    store
        .create_integration(&sample_integration("beta", &["p-ops"]))
        .await
        .expect("second integration");
    let queue = Arc::new(RecordingQueue::default());
    let deps = FanoutDeps::with_queue(
        Deps::with_pipeline(pipeline, Settings::new("unused-table")),
        queue.clone(),
        FanoutSettings::new("https://sqs/sync"),
    );

    use autoexpose_pipeline::RunStore;
    let runs_before = store.list_runs("acme", 5).await.expect("runs").len();

    let report = handler(schedule(), &deps).await.expect("queued");

    assert_eq!(report.queued, ["acme", "beta"]);
    let sent = queue.sent.lock().expect("lock").clone();
    assert_eq!(
        sent,
        [
            SyncRequest::first("acme", Trigger::Schedule),
            SyncRequest::first("beta", Trigger::Schedule)
        ]
    );
    let runs_after = store.list_runs("acme", 5).await.expect("runs").len();
    assert_eq!(runs_after, runs_before, "the enqueuer syncs nothing itself");
}

#[tokio::test]
async fn a_queue_that_takes_nothing_fails_the_invocation_so_lambda_retries_it() {
    let (pipeline, _store) = memory_pipeline(&["p-fin"]).await;
    let queue = Arc::new(RecordingQueue {
        refuse: true,
        ..RecordingQueue::default()
    });
    let deps = FanoutDeps::with_queue(
        Deps::with_pipeline(pipeline, Settings::new("unused-table")),
        queue,
        FanoutSettings::new("https://sqs/sync"),
    );
    let err = handler(schedule(), &deps).await.expect_err("retried");
    let FunctionError::Retryable(message) = err;
    assert!(message.contains("queue q is down"), "{message}");
}
