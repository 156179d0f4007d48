//! SQS events as Lambda delivers them, read into refresh jobs without touching AWS.

use autoexpose_pipeline::RefreshTargetKind;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use refresh_watcher::parse_job;

fn event() -> SqsEvent {
    let path = format!(
        "{}/tests/fixtures/sqs-refresh-jobs.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("read fixture");
    serde_json::from_str(&text).expect("the fixture is an SQS event")
}

#[test]
fn a_job_message_is_read_with_its_target_and_attempt() {
    let event = event();
    let job = parse_job(&event.records[0]).expect("a job");
    assert_eq!(job.integration_id, "acme");
    assert_eq!(job.job_id, "a1b2c3d4-0000-4000-8000-000000000001");
    assert_eq!(job.target.kind, RefreshTargetKind::Datasource);
    assert_eq!(job.target.name, "Orders (certified)");
    assert_eq!(job.attempt, 0);
}

#[test]
fn broken_empty_and_foreign_bodies_are_refused_with_the_reason() {
    let event = event();
    let broken = parse_job(&event.records[1]).expect_err("truncated JSON");
    assert!(broken.contains("not a refresh job"), "{broken}");
    let empty = parse_job(&event.records[2]).expect_err("empty body");
    assert!(empty.contains("no body"), "{empty}");
    let foreign = parse_job(&event.records[3]).expect_err("another JSON object");
    assert!(foreign.contains("not a refresh job"), "{foreign}");
}

#[test]
fn the_partial_batch_response_names_failed_messages_as_lambda_expects() {
    let mut failure = BatchItemFailure::default();
    failure.item_identifier = event().records[0].message_id.clone().expect("an id");
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures.push(failure);
    let json = serde_json::to_value(&response).expect("json");
    assert_eq!(
        json,
        serde_json::json!({"batchItemFailures": [
            {"itemIdentifier": "059f36b4-87a3-44ab-83d2-661975480001"}
        ]})
    );
}
