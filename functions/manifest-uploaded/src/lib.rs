//! The manifest-uploaded function (PRODUCT.md S5): an S3 `ObjectCreated` event for a
//! production `dbt/<project>/<environment>/manifest.json` applies that manifest and
//! rematches every integration of the project against its stored Tableau snapshot.
//!
//! Every record of the event is handled and reported (applied, stale, duplicate, skipped
//! with the reason, failed). Records that are not production manifests are skipped, not
//! failed.
//!
//! # Retries
//!
//! A record that failed for a reason a retry may fix (DynamoDB, S3 or the network) makes
//! the handler return an error after every record was tried, so Lambda retries the whole
//! event and finally sends it to the dead-letter queue. That is safe: the records that
//! were applied come back as duplicates and change nothing. A record that cannot succeed
//! (a malformed manifest, an object that is gone) is reported as failed and the event
//! succeeds, so it is not retried for ever.

use autoexpose_lambda::{
    Deps, FunctionError, RunOutcome, Settings, artifact_upload, error_kind, handle_records,
    is_retryable,
};
use autoexpose_pipeline::ArtifactKind;
use autoexpose_pipeline::{ApplyOutcome, ArtifactLocation, PipelineError};
use aws_lambda_events::s3::{S3Event, S3EventRecord};
use lambda_runtime::LambdaEvent;
use serde::Serialize;

/// What the function did with each record of the event, in event order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManifestReport {
    /// One entry per record.
    pub records: Vec<RecordReport>,
}

/// What happened to one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordReport {
    /// The bucket the object is in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// The object key, decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The object version, when the bucket is versioned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// The dbt project the key names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dbt_project: Option<String>,
    /// The outcome.
    #[serde(flatten)]
    pub outcome: RecordOutcome,
}

/// The outcome of one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RecordOutcome {
    /// The manifest is newer than the applied one: applied, and the project's integrations
    /// were rematched.
    Applied {
        /// `metadata.invocation_id` of the manifest.
        invocation_id: String,
        /// `metadata.generated_at` of the manifest.
        generated_at: String,
        /// One run per integration of the project.
        rematches: Vec<RunOutcome>,
    },
    /// The manifest is the applied one again; nothing changed.
    Duplicate {
        /// Its `metadata.invocation_id`.
        invocation_id: String,
    },
    /// The manifest is older than the applied one; nothing changed.
    Stale {
        /// The `metadata.invocation_id` of the applied (newer) manifest, which stays.
        applied_invocation_id: String,
        /// Its `metadata.generated_at`.
        applied_generated_at: String,
    },
    /// The record is not a production manifest (or not from the artifacts bucket).
    Skipped {
        /// Why, in words.
        reason: String,
    },
    /// Applying it failed.
    Failed {
        /// What went wrong.
        error: String,
        /// A stable word for the kind of problem.
        kind: &'static str,
        /// Whether a retry of the event may succeed.
        retryable: bool,
    },
}

/// A record that names a production manifest to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestUpload {
    /// The dbt project, from the key.
    pub dbt_project: String,
    /// Where the manifest is (bucket, decoded key, version).
    pub location: ArtifactLocation,
}

/// The handler: applies every production manifest of the event; see the crate docs for
/// when it returns an error.
pub async fn handler(
    event: LambdaEvent<S3Event>,
    deps: &Deps,
) -> Result<ManifestReport, FunctionError> {
    let records = handle_records(event, "manifest upload", async |record| {
        handle_record(record, deps).await
    })
    .await?;
    Ok(ManifestReport { records })
}

async fn handle_record(record: &S3EventRecord, deps: &Deps) -> RecordReport {
    let upload = match manifest_upload(record, deps.settings()) {
        Ok(upload) => upload,
        Err(reason) => {
            let report = RecordReport {
                bucket: record.s3.bucket.name.clone(),
                key: record.s3.object.key.clone(),
                version_id: record.s3.object.version_id.clone(),
                dbt_project: None,
                outcome: RecordOutcome::Skipped { reason },
            };
            log_record(&report);
            return report;
        }
    };
    let outcome = match deps
        .pipeline()
        .apply_manifest(&upload.dbt_project, &upload.location)
        .await
    {
        Ok(outcome) => applied(outcome),
        Err(error) => failed(&error),
    };
    let report = RecordReport {
        bucket: upload.location.container.clone(),
        key: Some(upload.location.key.clone()),
        version_id: upload.location.version.clone(),
        dbt_project: Some(upload.dbt_project),
        outcome,
    };
    log_record(&report);
    report
}

/// Reads a record as a manifest upload, or says why it is skipped: not an object
/// creation, another bucket, a key outside `dbt/<project>/<environment>/`, another file
/// than `manifest.json`, or another environment than the production one.
pub fn manifest_upload(
    record: &S3EventRecord,
    settings: &Settings,
) -> Result<ManifestUpload, String> {
    let upload = artifact_upload(record, settings, &[ArtifactKind::Manifest])?;
    Ok(ManifestUpload {
        dbt_project: upload.dbt_project,
        location: upload.location,
    })
}

fn applied(outcome: ApplyOutcome) -> RecordOutcome {
    match outcome {
        ApplyOutcome::Applied {
            manifest,
            rematches,
        } => RecordOutcome::Applied {
            invocation_id: manifest.invocation_id,
            generated_at: manifest.generated_at,
            rematches: rematches
                .into_iter()
                .map(|(integration_id, result)| match result {
                    Ok(run) => RunOutcome::ok(&run),
                    Err(message) => RunOutcome::failed_with(&integration_id, message, None),
                })
                .collect(),
        },
        ApplyOutcome::Duplicate(applied) => RecordOutcome::Duplicate {
            invocation_id: applied.invocation_id,
        },
        ApplyOutcome::Stale { applied } => RecordOutcome::Stale {
            applied_invocation_id: applied.invocation_id,
            applied_generated_at: applied.generated_at,
        },
    }
}

fn failed(error: &PipelineError) -> RecordOutcome {
    RecordOutcome::Failed {
        error: error.to_string(),
        kind: error_kind(error),
        retryable: is_retryable(error),
    }
}

/// One line per record, with the ids a person searches for.
fn log_record(report: &RecordReport) {
    let bucket = report.bucket.as_deref().unwrap_or("");
    let key = report.key.as_deref().unwrap_or("");
    let project = report.dbt_project.as_deref().unwrap_or("");
    match &report.outcome {
        RecordOutcome::Applied {
            invocation_id,
            rematches,
            ..
        } => {
            let runs: Vec<&str> = rematches
                .iter()
                .filter_map(|r| r.run_id.as_deref())
                .collect();
            let failed: Vec<&str> = rematches
                .iter()
                .filter(|r| r.error.is_some())
                .map(|r| r.integration_id.as_str())
                .collect();
            if failed.is_empty() {
                tracing::info!(outcome = "applied", dbt_project = project, bucket, key, invocation_id,
                    run_ids = %runs.join(","), "manifest applied");
            } else {
                tracing::error!(outcome = "applied", dbt_project = project, bucket, key, invocation_id,
                    run_ids = %runs.join(","), failed_integrations = %failed.join(","),
                    "manifest applied, but rematching some integrations failed; the daily sync retries them");
            }
        }
        RecordOutcome::Duplicate { invocation_id } => {
            tracing::info!(
                outcome = "duplicate",
                dbt_project = project,
                bucket,
                key,
                invocation_id,
                "manifest already applied; nothing changed"
            );
        }
        RecordOutcome::Stale {
            applied_invocation_id,
            ..
        } => {
            tracing::info!(
                outcome = "stale",
                dbt_project = project,
                bucket,
                key,
                applied_invocation_id,
                "manifest older than the applied one; nothing changed"
            );
        }
        RecordOutcome::Skipped { reason } => {
            tracing::info!(outcome = "skipped", bucket, key, reason, "record skipped");
        }
        RecordOutcome::Failed {
            error,
            kind,
            retryable,
        } => {
            tracing::error!(
                outcome = "failed",
                dbt_project = project,
                bucket,
                key,
                kind,
                retryable,
                error,
                "manifest could not be applied"
            );
        }
    }
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
