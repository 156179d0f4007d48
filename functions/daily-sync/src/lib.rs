//! The daily-sync function (PRODUCT.md S5, issue 13): an EventBridge schedule asks for
//! every integration's Tableau snapshot to be refreshed. It no longer syncs them itself:
//! it puts one [`SyncRequest`] per integration on the sync queue, and the sync-worker
//! function syncs them, a bounded number at a time, each retried alone.
//!
//! The function fails (and Lambda retries it) only when the integrations cannot be
//! listed or the queue takes none of the requests; a retry may queue an integration
//! twice, which is harmless: a sync takes the integration's lease, so two never run at
//! once, and a second one changes nothing.

use autoexpose_lambda::{FanoutDeps, FunctionError};
use autoexpose_pipeline::{SyncRequest, Trigger};
use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::LambdaEvent;
use serde::Serialize;

/// What the schedule queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnqueueReport {
    /// The integrations whose sync was queued, sorted by id.
    pub queued: Vec<String>,
    /// The queue they wait on.
    pub queue_url: String,
}

/// The handler: queues a sync of every integration.
pub async fn handler(
    event: LambdaEvent<EventBridgeEvent>,
    deps: &FanoutDeps,
) -> Result<EnqueueReport, FunctionError> {
    let (event, context) = event.into_parts();
    let mut integrations = deps
        .deps()
        .pipeline()
        .store()
        .list_integrations(None)
        .await
        .map_err(|e| {
            FunctionError::Retryable(format!("could not list the integrations to sync: {e}"))
        })?;
    integrations.sort_by(|a, b| a.id.cmp(&b.id));
    let requests: Vec<SyncRequest> = integrations
        .iter()
        .map(|integration| SyncRequest::first(&integration.id, Trigger::Schedule))
        .collect();
    deps.sync_queue()
        .send(&requests)
        .await
        .map_err(|e| FunctionError::Retryable(format!("could not queue the daily sync: {e}")))?;
    let queued: Vec<String> = integrations.into_iter().map(|i| i.id).collect();
    tracing::info!(request_id = %context.request_id, event_id = event.id.as_deref().unwrap_or(""),
        source = %event.source, queued = queued.len(), queue = %deps.fanout().sync_queue_url,
        "daily sync queued");
    Ok(EnqueueReport {
        queued,
        queue_url: deps.fanout().sync_queue_url.clone(),
    })
}
