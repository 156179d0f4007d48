//! The run-results-uploaded function (PRODUCT.md S8, S10): an S3 `ObjectCreated` event
//! for a production `dbt/<project>/<environment>/run_results.json` or `sources.json`
//! records each node's result (exposure health follows from them) and, for run results,
//! refreshes the Tableau extracts behind exposures whose upstream nodes were rebuilt, for
//! integrations with active exposures. Every job Tableau queued is handed to the refresh
//! queue (SQS, through the pipeline's `JobQueue` port) with the first poll delay, for the
//! refresh-watcher function to follow; the response lists them too.
//!
//! Records that are not production results files are skipped; older invocations than the
//! recorded one change nothing. A failure a retry may fix — the store, S3, or the queue
//! refusing a job — makes the handler return an error after every record was tried, so
//! Lambda retries the event.
//!
//! A retry is safe: the recorded file comes back as a duplicate, so no result is stored
//! twice and no refresh is asked of Tableau twice, and the jobs of that invocation whose
//! refresh records still say `queued` ([`Pipeline::queued_jobs`]) are handed to the queue
//! again, so a job whose hand-over failed is not lost. A job handed over twice is polled
//! by two messages until it finishes; both record the same outcome.
//!
//! [`Pipeline::queued_jobs`]: autoexpose_pipeline::Pipeline::queued_jobs

use autoexpose_lambda::{
    Deps, FunctionError, Settings, artifact_upload, error_kind, handle_records, is_retryable,
};
use autoexpose_pipeline::ArtifactKind;
use autoexpose_pipeline::PipelineError;
use autoexpose_pipeline::{
    ArtifactLocation, JobQueue, RefreshJob, ResultsKind, ResultsOutcome, poll_delay,
};
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
        /// Jobs Tableau queued, handed to the refresh queue to follow.
        jobs: Vec<RefreshJob>,
        /// Data quality warnings changed, per integration with warnings on.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        warnings: Vec<IntegrationWarnings>,
    },
    /// The recorded file again, or an older one; nothing changed.
    Unchanged {
        /// Why.
        reason: String,
        /// Jobs of that invocation still followed, handed to the refresh queue again (a
        /// retried event whose first hand-over failed).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        jobs: Vec<RefreshJob>,
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

/// The data quality warning changes of one integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntegrationWarnings {
    /// The integration.
    pub integration_id: String,
    /// One line per change (`raised on datasource 'Orders' (luid)`).
    pub changes: Vec<String>,
    /// What stopped them, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
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
    let records = handle_records(event, "results upload", async |record| {
        handle_record(record, deps).await
    })
    .await?;
    Ok(ResultsReport { records })
}

async fn handle_record(record: &S3EventRecord, deps: &Deps) -> RecordReport {
    let (dbt_project, location) = match results_upload(record, deps.settings()) {
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
            warnings,
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
            warnings: warnings
                .into_iter()
                .map(|(integration_id, result)| match result {
                    Ok(outcome) => IntegrationWarnings {
                        integration_id,
                        changes: outcome.describe(),
                        error: None,
                    },
                    Err(error) => IntegrationWarnings {
                        integration_id,
                        changes: Vec::new(),
                        error: Some(error),
                    },
                })
                .collect(),
        },
        Ok(ResultsOutcome::Duplicate(p)) => {
            let jobs = if p.kind == ResultsKind::RunResults {
                match deps
                    .pipeline()
                    .queued_jobs(&dbt_project, &p.invocation_id)
                    .await
                {
                    Ok(jobs) => jobs,
                    Err(error) => return failed(location, &error),
                }
            } else {
                Vec::new()
            };
            RecordOutcome::Unchanged {
                reason: format!("invocation {} is already recorded", p.invocation_id),
                jobs,
            }
        }
        Ok(ResultsOutcome::Stale { recorded }) => RecordOutcome::Unchanged {
            reason: format!(
                "older than the recorded invocation {} (generated {})",
                recorded.invocation_id, recorded.generated_at
            ),
            jobs: Vec::new(),
        },
        Err(error) => return failed(location, &error),
    };
    let outcome = match hand_over(&outcome, deps).await {
        Ok(()) => outcome,
        Err(failure) => failure,
    };
    RecordReport {
        key: Some(location.key),
        outcome,
    }
}

fn failed(location: ArtifactLocation, error: &PipelineError) -> RecordReport {
    tracing::error!(%error, key = %location.key, "results could not be recorded");
    RecordReport {
        key: Some(location.key),
        outcome: RecordOutcome::Failed {
            error: error.to_string(),
            kind: error_kind(error),
            retryable: is_retryable(error),
        },
    }
}

/// Hands the outcome's jobs to the refresh queue, to be polled after the first delay.
/// A queue that refuses is worth a retry; a missing queue setting is not.
async fn hand_over(outcome: &RecordOutcome, deps: &Deps) -> Result<(), RecordOutcome> {
    let jobs = match outcome {
        RecordOutcome::Recorded { jobs, .. } | RecordOutcome::Unchanged { jobs, .. } => jobs,
        RecordOutcome::Skipped { .. } | RecordOutcome::Failed { .. } => return Ok(()),
    };
    if jobs.is_empty() {
        return Ok(());
    }
    let queue = deps.job_queue().map_err(|error| {
        tracing::error!(%error, jobs = jobs.len(), "refresh jobs cannot be followed");
        RecordOutcome::Failed {
            error: format!("{error}; the refresh jobs cannot be followed"),
            kind: "config",
            retryable: false,
        }
    })?;
    for job in jobs {
        if let Err(error) = queue.enqueue(job, poll_delay(0)).await {
            tracing::error!(%error, job_id = %job.job_id, "refresh job not handed to the queue");
            return Err(RecordOutcome::Failed {
                error: error.to_string(),
                kind: "queue",
                retryable: true,
            });
        }
        tracing::info!(integration = %job.integration_id, job_id = %job.job_id,
            kind = job.target.kind.as_str(), luid = %job.target.luid, "refresh job handed to the queue");
    }
    Ok(())
}

/// Reads a record as a production `run_results.json` or `sources.json` upload, or says
/// why it is skipped.
pub fn results_upload(
    record: &S3EventRecord,
    settings: &Settings,
) -> Result<(String, ArtifactLocation), String> {
    let upload = artifact_upload(
        record,
        settings,
        &[ArtifactKind::RunResults, ArtifactKind::Sources],
    )?;
    Ok((upload.dbt_project, upload.location))
}

impl autoexpose_lambda::RecordReport for RecordReport {
    fn transient_error(&self) -> Option<&str> {
        match &self.outcome {
            RecordOutcome::Failed {
                error,
                retryable: true,
                ..
            } => Some(error),
            _ => None,
        }
    }
}
