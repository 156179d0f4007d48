//! The daily-sync function (PRODUCT.md S5): an EventBridge schedule refreshes every
//! integration's Tableau snapshot and rematches it against the applied manifest.
//!
//! Integrations are synced a few at a time (`SYNC_CONCURRENCY`), each under its own lease,
//! and one failing integration does not stop the others: its error is recorded on its
//! status, logged at error level and listed in the result. The function itself fails
//! (and Lambda retries it) only when the integrations cannot be listed at all.

use autoexpose_lambda::{Deps, FunctionError, RunOutcome, RunStatus};
use autoexpose_pipeline::Trigger;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use futures_util::StreamExt;
use futures_util::stream;
use lambda_runtime::LambdaEvent;
use serde::Serialize;

/// The outcome of every integration's sync, sorted by integration id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// One entry per integration.
    pub results: Vec<RunOutcome>,
}

/// The handler: syncs every integration, `SYNC_CONCURRENCY` at once.
pub async fn handler(
    event: LambdaEvent<EventBridgeEvent>,
    deps: &Deps,
) -> Result<SyncReport, FunctionError> {
    let (event, context) = event.into_parts();
    let pipeline = deps.pipeline();
    let integrations = pipeline
        .store()
        .list_integrations(None)
        .await
        .map_err(|e| {
            FunctionError::Retryable(format!("could not list the integrations to sync: {e}"))
        })?;
    tracing::info!(request_id = %context.request_id, event_id = event.id.as_deref().unwrap_or(""),
        source = %event.source, integrations = integrations.len(), "daily sync started");

    let concurrency = deps.settings().sync_concurrency.max(1);
    let mut results: Vec<RunOutcome> = stream::iter(integrations)
        .map(|integration| async move {
            let result = pipeline
                .sync_integration(&integration.id, Trigger::Schedule)
                .await;
            let outcome = RunOutcome::from_result(&integration.id, &result);
            log_outcome(&outcome, &integration.dbt_project);
            outcome
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    results.sort_by(|a, b| a.integration_id.cmp(&b.integration_id));

    let failed = results
        .iter()
        .filter(|r| r.status == RunStatus::Error)
        .count();
    tracing::info!(request_id = %context.request_id, synced = results.len() - failed, failed,
        "daily sync finished");
    Ok(SyncReport { results })
}

/// One line per integration, with its ids and counts (or its error).
fn log_outcome(outcome: &RunOutcome, dbt_project: &str) {
    let integration = outcome.integration_id.as_str();
    match &outcome.error {
        None => tracing::info!(
            integration,
            dbt_project,
            run_id = outcome.run_id.as_deref().unwrap_or(""),
            added = outcome.added,
            changed = outcome.changed,
            removed = outcome.removed,
            "integration synced"
        ),
        Some(error) => tracing::error!(
            integration,
            dbt_project,
            kind = outcome.error_kind.unwrap_or("unknown"),
            error,
            "integration sync failed"
        ),
    }
}
