//! The refresh-watcher function (PRODUCT.md S8): follows the Tableau extract refresh jobs
//! that the run-results-uploaded function queued, until they finish.
//!
//! It is fed by the refresh queue (SQS). Each message is one job as JSON (the pipeline's
//! `RefreshJob`). For each, the pipeline polls Tableau once
//! ([`Pipeline::check_refresh_job`]): a finished job's outcome (finish code, Tableau's
//! notes) is recorded on its refresh record; a job still running is handed back to the
//! queue with the next, growing delay (at most SQS's 900 s); after six hours it is
//! recorded as given up.
//!
//! The response is SQS's partial batch response, so one failing message does not make
//! the others of its batch run again:
//! * a body that is not a job can never succeed: it is logged and dropped;
//! * a job of an integration that no longer exists is logged and dropped;
//! * any other failure (store, Secrets Manager, Tableau, the queue, a rejected token) is
//!   reported in `batchItemFailures`: SQS delivers it again after its visibility
//!   timeout, and after a few receives moves it to the dead-letter queue, whose alarm
//!   tells a person. Polling again is safe: a job's outcome is recorded by job id.
//!
//! [`Pipeline::check_refresh_job`]: autoexpose_pipeline::Pipeline::check_refresh_job

use autoexpose_lambda::{Deps, FunctionError, error_kind, is_retryable};
use autoexpose_pipeline::{JobCheck, JobQueue, PipelineError, RefreshJob};
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use lambda_runtime::LambdaEvent;

/// The handler: polls every job of the batch once and reports the messages to receive
/// again.
pub async fn handler(
    event: LambdaEvent<SqsEvent>,
    deps: &Deps,
) -> Result<SqsBatchResponse, FunctionError> {
    let (event, _context) = event.into_parts();
    let mut response = SqsBatchResponse::default();
    for message in &event.records {
        let message_id = message.message_id.as_deref().unwrap_or_default();
        let job = match parse_job(message) {
            Ok(job) => job,
            Err(reason) => {
                tracing::error!(
                    message_id,
                    reason,
                    "message dropped: it is not a refresh job"
                );
                continue;
            }
        };
        if let Err(error) = follow(&job, deps).await {
            tracing::error!(message_id, integration = %job.integration_id, job_id = %job.job_id,
                %error, "refresh job not followed; SQS will deliver it again");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = message_id.to_string();
            response.batch_item_failures.push(failure);
        }
    }
    Ok(response)
}

/// Reads a message's body as a refresh job, or says why it is not one.
pub fn parse_job(message: &SqsMessage) -> Result<RefreshJob, String> {
    let body = message
        .body
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .ok_or("the message has no body")?;
    let job: RefreshJob = serde_json::from_str(body)
        .map_err(|e| format!("the body is not a refresh job as JSON: {e}"))?;
    if job.integration_id.is_empty() || job.job_id.is_empty() {
        return Err("the job names no integration or no job id".to_string());
    }
    Ok(job)
}

/// What went wrong following one job.
#[derive(Debug, thiserror::Error)]
enum FollowError {
    /// Polling or recording failed.
    #[error("{message} ({kind}{})", if *.retryable { ", retryable" } else { "" })]
    Pipeline {
        /// The pipeline's message.
        message: String,
        /// A stable word for the kind of problem.
        kind: &'static str,
        /// Whether a later attempt may succeed.
        retryable: bool,
    },
    /// The job could not be handed back to the queue, or there is no queue.
    #[error("{0}")]
    Queue(String),
}

/// Polls one job and, while it runs, hands it back to the queue with the next delay.
/// A job of an integration that no longer exists is dropped.
async fn follow(job: &RefreshJob, deps: &Deps) -> Result<(), FollowError> {
    let check = match deps.pipeline().check_refresh_job(job).await {
        Ok(check) => check,
        Err(PipelineError::UnknownIntegration(id)) => {
            tracing::warn!(integration = %id, job_id = %job.job_id,
                "job dropped: its integration no longer exists");
            return Ok(());
        }
        Err(error) => {
            return Err(FollowError::Pipeline {
                message: error.to_string(),
                kind: error_kind(&error),
                retryable: is_retryable(&error),
            });
        }
    };
    match check {
        JobCheck::Done(record) => {
            tracing::info!(integration = %job.integration_id, job_id = %job.job_id,
                state = record.state.map_or("", |s| s.as_str()), finish_code = record.finish_code,
                "refresh job followed to its end");
            Ok(())
        }
        JobCheck::NotYet { job: next, delay } => {
            let queue = deps
                .job_queue()
                .map_err(|e| FollowError::Queue(e.to_string()))?;
            queue
                .enqueue(&next, delay)
                .await
                .map_err(|e| FollowError::Queue(e.to_string()))?;
            tracing::info!(integration = %next.integration_id, job_id = %next.job_id,
                attempt = next.attempt, delay_seconds = delay.as_secs(), "refresh job still running");
            Ok(())
        }
    }
}
