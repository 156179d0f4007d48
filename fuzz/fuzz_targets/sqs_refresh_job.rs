//! The refresh-watcher's reader under hostile input: an SQS batch as Lambda hands it over
//! (`SqsEvent` from JSON), each message's body read by `refresh_watcher::parse_job`.
//!
//! Neither panics; an accepted job names its integration and its job; and a job written
//! back as JSON (as run-results-uploaded and the watcher itself enqueue it) reads back
//! the same.
#![no_main]

use autoexpose_pipeline::RefreshJob;
use aws_lambda_events::sqs::SqsEvent;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(event) = serde_json::from_slice::<SqsEvent>(data) else {
        return;
    };
    for message in &event.records {
        let Ok(job) = refresh_watcher::parse_job(message) else {
            continue;
        };
        assert!(!job.integration_id.is_empty() && !job.job_id.is_empty());
        let body = serde_json::to_string(&job).expect("a job serializes");
        let again: RefreshJob = serde_json::from_str(&body).expect("a written job reads back");
        assert_eq!(again, job);
    }
});
