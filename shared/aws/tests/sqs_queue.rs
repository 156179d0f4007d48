//! `SqsJobQueue` against moto through the real AWS SDK.

mod common;

use std::time::Duration;

use autoexpose_aws::{SqsJobQueue, aws_sdk_sqs};
use autoexpose_pipeline::{JobQueue, QueueError, RefreshJob, RefreshTarget, RefreshTargetKind};
use autoexpose_testkit::unique_name;

async fn new_queue() -> (aws_sdk_sqs::Client, String) {
    let client = aws_sdk_sqs::Client::new(&common::moto_config().await);
    let url = client
        .create_queue()
        .queue_name(unique_name("refresh"))
        .send()
        .await
        .expect("create queue")
        .queue_url
        .expect("queue url");
    (client, url)
}

fn job() -> RefreshJob {
    RefreshJob {
        integration_id: "acme".into(),
        target: RefreshTarget {
            kind: RefreshTargetKind::Datasource,
            luid: "d1".into(),
            name: "Orders (certified)".into(),
        },
        job_id: "job-1".into(),
        requested_at: "2025-03-01T07:30:00.000Z".into(),
        attempt: 2,
    }
}

async fn receive(client: &aws_sdk_sqs::Client, url: &str, wait_seconds: i32) -> Vec<String> {
    client
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .wait_time_seconds(wait_seconds)
        .send()
        .await
        .expect("receive")
        .messages
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| m.body)
        .collect()
}

#[tokio::test]
async fn a_queued_job_comes_back_as_the_same_job() {
    let (client, url) = new_queue().await;
    let queue = SqsJobQueue::new(client.clone(), &url);
    queue
        .enqueue(&job(), Duration::ZERO)
        .await
        .expect("enqueue");
    let bodies = receive(&client, &url, 1).await;
    assert_eq!(bodies.len(), 1);
    let back: RefreshJob = serde_json::from_str(&bodies[0]).expect("a job");
    assert_eq!(back, job());
}

#[tokio::test]
async fn a_job_is_not_visible_before_its_delay() {
    let (client, url) = new_queue().await;
    let queue = SqsJobQueue::new(client.clone(), &url);
    queue
        .enqueue(&job(), Duration::from_secs(2))
        .await
        .expect("enqueue");
    assert!(receive(&client, &url, 0).await.is_empty(), "delayed");
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(receive(&client, &url, 1).await.len(), 1);
}

#[tokio::test]
async fn a_missing_queue_is_named_in_the_error() {
    let (client, url) = new_queue().await;
    client
        .delete_queue()
        .queue_url(&url)
        .send()
        .await
        .expect("delete");
    let queue = SqsJobQueue::new(client, &url);
    let err = queue
        .enqueue(&job(), Duration::ZERO)
        .await
        .expect_err("no queue");
    // A missing queue needs a person (fix the stack), so a retry cannot help.
    assert!(matches!(err, QueueError::Rejected(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&url), "{message}");
    assert!(message.contains("job-1"), "{message}");
}
