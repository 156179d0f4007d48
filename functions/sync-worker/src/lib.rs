//! The sync-worker function (issue 13): syncs the integrations the daily-sync function
//! queued, one [`SyncRequest`] per SQS message, as many at once as the event source
//! mapping's `MaximumConcurrency` allows, so a Tableau site is never asked by more.
//!
//! Each message is one step of one integration's sync ([`Pipeline::sync_step`]). A step
//! lists Tableau within its budget (`SYNC_STEP_SECONDS`, `SYNC_STEP_MAX_PAGES`); a
//! listing that does not finish in time is written as a checkpoint and its next step is
//! queued as a new message, so a 100,000-workbook site is synced in several invocations
//! instead of failing at Lambda's 15 minutes. Exposures change only in the step that
//! completes the listing.
//!
//! The response is SQS's partial batch response, so each integration is retried alone:
//! * a body that is not a sync request can never succeed: it is logged and dropped;
//! * a request for an integration that no longer exists is logged and dropped;
//! * any other failure (a rejected token, Tableau or the store unreachable, another run
//!   holding the lease, the next step not queued) is recorded on the integration's status
//!   and reported in `batchItemFailures`: SQS delivers it again after its visibility
//!   timeout and, after a few receives, moves it to the dead-letter queue, whose alarm
//!   tells a person. A step run again goes on from the same checkpoint.
//!
//! [`Pipeline::sync_step`]: autoexpose_pipeline::Pipeline::sync_step

use autoexpose_lambda::{FanoutDeps, FunctionError, error_kind};
use autoexpose_pipeline::{PipelineError, SyncRequest, SyncStep};
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::LambdaEvent;

/// What went wrong with one message, so the handler knows whether to drop it or have it
/// delivered again.
#[derive(Debug)]
enum Failure {
    /// It can never succeed; delivering it again cannot help.
    Drop(String),
    /// It may succeed later.
    Retry(String),
}

/// The handler: runs one sync step per message, in order, and reports the messages to
/// deliver again.
pub async fn handler(
    event: LambdaEvent<SqsEvent>,
    deps: &FanoutDeps,
) -> Result<SqsBatchResponse, FunctionError> {
    let (event, context) = event.into_parts();
    let mut response = SqsBatchResponse::default();
    for message in &event.records {
        let message_id = message.message_id.as_deref().unwrap_or_default();
        let body = message.body.as_deref().unwrap_or_default();
        match step(body, deps, &context).await {
            Ok(()) => {}
            Err(Failure::Drop(reason)) => {
                tracing::error!(message_id, reason, "message dropped: it can never succeed");
            }
            Err(Failure::Retry(reason)) => {
                tracing::error!(
                    message_id,
                    reason,
                    "sync step failed; SQS will deliver it again"
                );
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = message_id.to_string();
                response.batch_item_failures.push(failure);
            }
        }
    }
    Ok(response)
}

/// Runs the step a message asks for and queues the next one if the listing paused.
async fn step(
    body: &str,
    deps: &FanoutDeps,
    context: &lambda_runtime::Context,
) -> Result<(), Failure> {
    let request = SyncRequest::parse(body).map_err(|e| Failure::Drop(e.to_string()))?;
    let integration = request.integration_id.as_str();
    let options = deps.step_options(context);
    match deps.deps().pipeline().sync_step(&request, &options).await {
        Ok(SyncStep::Finished(run)) => {
            tracing::info!(integration, run_id = %run.run_id, steps = request.step + 1,
                workbooks = run.workbooks, added = run.added, changed = run.changed,
                removed = run.removed, "integration synced");
            Ok(())
        }
        Ok(SyncStep::Continues(next)) => {
            deps.sync_queue()
                .send(std::slice::from_ref(&next))
                .await
                .map_err(|e| Failure::Retry(format!("integration '{integration}': {e}")))?;
            tracing::info!(
                integration,
                step = next.step,
                "listing continues in the next step"
            );
            Ok(())
        }
        Err(error @ PipelineError::UnknownIntegration(_)) => Err(Failure::Drop(error.to_string())),
        Err(error) => {
            tracing::error!(integration, kind = error_kind(&error), %error, "integration sync failed");
            Err(Failure::Retry(format!(
                "integration '{integration}': {error}"
            )))
        }
    }
}
