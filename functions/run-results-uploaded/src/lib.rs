//! The run-results-uploaded function (PRODUCT.md S8, S10): an S3 `ObjectCreated` event
//! for a production `dbt/<project>/<environment>/run_results.json` or `sources.json`
//! records each node's result (exposure health follows from them) and, for run results,
//! refreshes the Tableau extracts behind exposures whose upstream nodes were rebuilt, for
//! integrations with active exposures. The queued jobs are returned for the watcher.
//!
//! Records that are not production results files are skipped; older invocations than the
//! recorded one change nothing. A failure a retry may fix makes the handler return an
//! error after every record was tried, so Lambda retries the event (recorded files come
//! back as duplicates).

use autoexpose_aws::{ArtifactKey, ArtifactKind, decode_event_key};
use autoexpose_lambda::{Deps, FunctionError, error_kind, is_retryable};
use autoexpose_pipeline::{ArtifactLocation, RefreshJob, ResultsOutcome};
use aws_lambda_events::s3::{S3Event, S3EventRecord};
use lambda_runtime::LambdaEvent;
use serde::Serialize;

/// What the function did with each record, in event order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResultsReport {
    /// One entry per record.
    pub records: Vec<RecordReport>,
}

/// What happened to one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordReport {
    /// The object key, decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The outcome.
    #[serde(flatten)]
    pub outcome: RecordOutcome,
}

/// The outcome of one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RecordOutcome {
    /// Newer than the recorded file: results stored, refreshes asked for.
    Recorded {
        /// `metadata.invocation_id`.
        invocation_id: String,
        /// How many node results it held.
        nodes: usize,
        /// Refresh records written, per integration, or the error that stopped them.
        refreshes: Vec<IntegrationRefreshes>,
        /// Jobs Tableau queued, to follow.
        jobs: Vec<RefreshJob>,
    },
    /// The recorded file again, or an older one; nothing changed.
    Unchanged {
        /// Why.
        reason: String,
    },
    /// Not a production results file.
    Skipped {
        /// Why.
        reason: String,
    },
    /// Recording failed.
    Failed {
        /// What went wrong.
        error: String,
        /// A stable word for the kind of problem.
        kind: &'static str,
        /// Whether a retry may succeed.
        retryable: bool,
    },
}

/// The refreshes of one integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntegrationRefreshes {
    /// The integration.
    pub integration_id: String,
    /// `kind luid: state` per target, or the error.
    pub targets: Vec<String>,
    /// What stopped its refreshes, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The handler: records every production results file of the event.
pub async fn handler(
    event: LambdaEvent<S3Event>,
    deps: &Deps,
) -> Result<ResultsReport, FunctionError> {
    let (event, _context) = event.into_parts();
    let mut records = Vec::with_capacity(event.records.len());
    for record in &event.records {
        records.push(handle_record(record, deps).await);
    }
    let retry: Vec<String> = records
        .iter()
        .filter_map(|r| match &r.outcome {
            RecordOutcome::Failed {
                error,
                retryable: true,
                ..
            } => Some(error.clone()),
            _ => None,
        })
        .collect();
    if !retry.is_empty() {
        return Err(FunctionError::Retryable(format!(
            "{} of {} records failed and will be retried: {}",
            retry.len(),
            records.len(),
            retry.join("; ")
        )));
    }
    Ok(ResultsReport { records })
}

async fn handle_record(record: &S3EventRecord, deps: &Deps) -> RecordReport {
    let (dbt_project, location) = match results_upload(record, deps) {
        Ok(found) => found,
        Err(reason) => {
            tracing::info!(outcome = "skipped", reason, "record skipped");
            return RecordReport {
                key: record.s3.object.key.clone(),
                outcome: RecordOutcome::Skipped { reason },
            };
        }
    };
    let outcome = match deps
        .pipeline()
        .record_run_results(&dbt_project, &location)
        .await
    {
        Ok(ResultsOutcome::Recorded {
            pointer,
            nodes,
            refreshes,
            jobs,
        }) => RecordOutcome::Recorded {
            invocation_id: pointer.invocation_id,
            nodes,
            refreshes: refreshes
                .into_iter()
                .map(|(integration_id, result)| match result {
                    Ok(records) => IntegrationRefreshes {
                        integration_id,
                        targets: records
                            .iter()
                            .map(|r| {
                                let state = match (&r.skipped, r.state) {
                                    (Some(_), _) => "skipped",
                                    (None, Some(s)) => s.as_str(),
                                    (None, None) => "-",
                                };
                                format!("{} {}: {state}", r.target.kind.as_str(), r.target.luid)
                            })
                            .collect(),
                        error: None,
                    },
                    Err(error) => IntegrationRefreshes {
                        integration_id,
                        targets: Vec::new(),
                        error: Some(error),
                    },
                })
                .collect(),
            jobs,
        },
        Ok(ResultsOutcome::Duplicate(p)) => RecordOutcome::Unchanged {
            reason: format!("invocation {} is already recorded", p.invocation_id),
        },
        Ok(ResultsOutcome::Stale { recorded }) => RecordOutcome::Unchanged {
            reason: format!(
                "older than the recorded invocation {} (generated {})",
                recorded.invocation_id, recorded.generated_at
            ),
        },
        Err(error) => {
            tracing::error!(%error, dbt_project, key = %location.key, "results could not be recorded");
            RecordOutcome::Failed {
                error: error.to_string(),
                kind: error_kind(&error),
                retryable: is_retryable(&error),
            }
        }
    };
    RecordReport {
        key: Some(location.key),
        outcome,
    }
}

/// Reads a record as a production `run_results.json` or `sources.json` upload, or says
/// why it is skipped.
pub fn results_upload(
    record: &S3EventRecord,
    deps: &Deps,
) -> Result<(String, ArtifactLocation), String> {
    let settings = deps.settings();
    let event_name = record.event_name.as_deref().unwrap_or("");
    if !event_name.starts_with("ObjectCreated:") {
        return Err(format!("event '{event_name}' is not an object creation"));
    }
    let bucket = record
        .s3
        .bucket
        .name
        .as_deref()
        .filter(|b| !b.is_empty())
        .ok_or("the record names no bucket")?;
    if let Some(expected) = settings.artifacts_bucket.as_deref()
        && bucket != expected
    {
        return Err(format!(
            "bucket '{bucket}' is not the artifacts bucket '{expected}'"
        ));
    }
    let raw_key = record
        .s3
        .object
        .key
        .as_deref()
        .filter(|k| !k.is_empty())
        .ok_or("the record names no object key")?;
    let key = decode_event_key(raw_key).map_err(|e| e.to_string())?;
    let parsed = ArtifactKey::parse(&key).map_err(|e| e.to_string())?;
    if !matches!(
        parsed.kind,
        ArtifactKind::RunResults | ArtifactKind::Sources
    ) {
        return Err(format!(
            "'{key}' is {}, not run_results.json or sources.json",
            parsed.kind.file_name()
        ));
    }
    if parsed.environment != settings.production_environment {
        return Err(format!(
            "'{key}' is from environment '{}', not the production environment '{}'",
            parsed.environment, settings.production_environment
        ));
    }
    let mut location = ArtifactLocation::s3(bucket, key);
    location.version_id = record
        .s3
        .object
        .version_id
        .clone()
        .filter(|v| !v.is_empty() && v != "null");
    Ok((parsed.project, location))
}
