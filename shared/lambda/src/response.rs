//! How pipeline results and errors become a function's response, and which errors are
//! worth a retry.

use autoexpose_pipeline::{ArtifactError, BiError, PipelineError, SecretError, SyncRun};
use lambda_runtime::Diagnostic;
use serde::Serialize;

/// Whether one integration's run succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// The run finished and its exposures are written.
    Ok,
    /// The run finished and its exposures are written, but Tableau hid tables from the
    /// token's user, so they may lack dependencies (see `warning`).
    Incomplete,
    /// The run failed; nothing was removed and the error is on the integration's status.
    Error,
}

/// One integration's run, as a function reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunOutcome {
    /// The integration.
    pub integration_id: String,
    /// Whether it succeeded.
    pub status: RunStatus,
    /// The run id, when the run succeeded (failed runs are recorded too, on the status).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// Exposures added.
    pub added: u32,
    /// Exposures changed.
    pub changed: u32,
    /// Exposures removed.
    pub removed: u32,
    /// What went wrong, in words a person can act on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What kind of error it was (see [`error_kind`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<&'static str>,
    /// Why a finished run is incomplete, in words a Tableau admin can act on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

impl RunOutcome {
    /// The outcome of a finished run.
    pub fn ok(run: &SyncRun) -> RunOutcome {
        RunOutcome {
            integration_id: run.integration_id.clone(),
            status: if run.warning.is_some() {
                RunStatus::Incomplete
            } else {
                RunStatus::Ok
            },
            run_id: Some(run.run_id.clone()),
            added: run.added,
            changed: run.changed,
            removed: run.removed,
            error: None,
            error_kind: None,
            warning: run.warning.clone(),
        }
    }

    /// The outcome of a run that failed.
    pub fn failed(integration_id: &str, error: &PipelineError) -> RunOutcome {
        RunOutcome::failed_with(integration_id, error.to_string(), Some(error_kind(error)))
    }

    /// The outcome of a run that failed with an error known only by its message (the
    /// rematches of an applied manifest).
    pub fn failed_with(
        integration_id: &str,
        message: String,
        kind: Option<&'static str>,
    ) -> RunOutcome {
        RunOutcome {
            integration_id: integration_id.to_string(),
            status: RunStatus::Error,
            run_id: None,
            added: 0,
            changed: 0,
            removed: 0,
            error: Some(message),
            error_kind: kind,
            warning: None,
        }
    }

    /// The outcome of a run's result.
    pub fn from_result(
        integration_id: &str,
        result: &Result<SyncRun, PipelineError>,
    ) -> RunOutcome {
        match result {
            Ok(run) => RunOutcome::ok(run),
            Err(error) => RunOutcome::failed(integration_id, error),
        }
    }
}

/// A request the function refuses: a bad payload, an unknown integration or collection, a
/// rejected token. Returned as the function's (successful) response, so a caller reads
/// `{"error": "...", "kind": "..."}` instead of a stack trace, and Lambda does not retry
/// what cannot succeed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorResponse {
    /// What is wrong and what to do, naming the field, integration or collection.
    pub error: String,
    /// A stable word for the kind of problem (`invalid_request`, `unknown_integration`, ...).
    pub kind: &'static str,
}

impl ErrorResponse {
    /// A refusal of a payload that is not what the function takes.
    pub fn invalid_request(message: impl Into<String>) -> ErrorResponse {
        ErrorResponse {
            error: message.into(),
            kind: "invalid_request",
        }
    }

    /// A refusal because of a pipeline error that a retry would not fix.
    pub fn from_pipeline(error: &PipelineError) -> ErrorResponse {
        ErrorResponse {
            error: error.to_string(),
            kind: error_kind(error),
        }
    }
}

/// A failure the function hands back to Lambda as an error, so that Lambda retries the
/// event (asynchronous invocations) and finally sends it to the dead-letter queue.
#[derive(Debug, thiserror::Error)]
pub enum FunctionError {
    /// Something that may work on a later attempt failed (store, network, busy lease).
    #[error("{0}")]
    Retryable(String),
}

impl FunctionError {
    /// An error for an event whose records failed with transient errors, so that Lambda
    /// retries the whole event (records already done come back as duplicates, which change
    /// nothing); `Ok` when none did.
    pub fn retry_records(transient: &[String], records: usize) -> Result<(), FunctionError> {
        if transient.is_empty() {
            return Ok(());
        }
        Err(FunctionError::Retryable(format!(
            "{} of {records} records failed and will be retried: {}",
            transient.len(),
            transient.join("; ")
        )))
    }
}

impl From<FunctionError> for Diagnostic {
    fn from(error: FunctionError) -> Diagnostic {
        let error_type = match &error {
            FunctionError::Retryable(_) => "autoexpose.Retryable",
        };
        Diagnostic {
            error_type: error_type.to_string(),
            error_message: error.to_string(),
        }
    }
}

/// True when Lambda should retry the event: the pipeline error's own kind says whether the
/// same call may succeed later ([`PipelineError::is_retryable`]).
pub fn is_retryable(error: &PipelineError) -> bool {
    error.is_retryable()
}

/// A stable word for the kind of a pipeline error, for responses and log filters.
pub fn error_kind(error: &PipelineError) -> &'static str {
    match error {
        PipelineError::Store(_) => "store",
        PipelineError::Artifact {
            source: ArtifactError::NotFound(_),
            ..
        } => "artifact_not_found",
        PipelineError::Artifact { .. } => "artifact",
        PipelineError::Manifest { .. } => "invalid_manifest",
        PipelineError::Results { .. } => "invalid_results",
        PipelineError::Secret {
            source: SecretError::NotFound(_),
            ..
        } => "secret_not_found",
        PipelineError::Secret { .. } => "secret",
        PipelineError::Tableau {
            source: BiError::SignIn(_),
            ..
        } => "tableau_sign_in",
        PipelineError::Tableau {
            source: BiError::Unavailable(_),
            ..
        } => "tableau_unavailable",
        PipelineError::Tableau { .. } => "tableau",
        PipelineError::LeaseBusy { .. } => "busy",
        PipelineError::Stopped { .. } => "stopped",
        PipelineError::RemovalHeld { .. } => "removal_held",
        PipelineError::StoredNotApplied { source, .. } => error_kind(source),
        PipelineError::VersionConflict(_) => "version_conflict",
        PipelineError::NoManifest(_) => "no_manifest",
        PipelineError::UnknownIntegration(_) => "unknown_integration",
        PipelineError::UnknownCollections { .. } => "unknown_collections",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use autoexpose_aws::s3_location;
    use autoexpose_pipeline::StoreError;

    fn tableau(source: BiError) -> PipelineError {
        PipelineError::Tableau {
            integration: "acme".into(),
            source,
        }
    }

    #[test]
    fn outages_are_retried_and_mistakes_and_corrupt_records_are_not() {
        let location = s3_location("b", "dbt/shop/prod/manifest.json");
        let retried = [
            PipelineError::Store(StoreError::unavailable("writing a run", "throttled")),
            PipelineError::LeaseBusy {
                integration: "acme".into(),
                held_by: "'run-1' holds its lease until 2025-01-01T00:15:00.000Z".into(),
            },
            PipelineError::Stopped {
                integration: "acme".into(),
                reason: "stopped 10 s before the function's timeout".into(),
            },
            tableau(BiError::Unavailable("503".into())),
            PipelineError::Artifact {
                location: location.clone(),
                source: ArtifactError::Unavailable("reset".into()),
            },
        ];
        for error in &retried {
            assert!(is_retryable(error), "{error}");
        }
        let refused = [
            PipelineError::Manifest {
                location: location.clone(),
                message: "not JSON".into(),
            },
            PipelineError::Artifact {
                location: location.clone(),
                source: ArtifactError::NotFound("gone".into()),
            },
            PipelineError::Artifact {
                location,
                source: ArtifactError::Rejected("access denied".into()),
            },
            // A damaged item reads the same on every retry: the event goes to a person.
            PipelineError::Store(StoreError::corrupt("the integration item", "no 'version'")),
            PipelineError::Store(StoreError::rejected("writing a run", "AccessDenied")),
            tableau(BiError::SignIn("PAT rejected".into())),
            PipelineError::UnknownIntegration("nope".into()),
            PipelineError::UnknownCollections {
                integration: "acme".into(),
                names: vec!["Nope".into()],
            },
        ];
        for error in &refused {
            assert!(!is_retryable(error), "{error}");
        }
    }

    #[test]
    fn a_run_with_hidden_tables_is_reported_incomplete_with_its_warning() {
        let mut run = autoexpose_pipeline::SyncRun {
            run_id: "r-1".into(),
            integration_id: "acme".into(),
            trigger: autoexpose_pipeline::Trigger::Schedule,
            started_at: "2026-12-02T13:00:00Z".into(),
            finished_at: "2026-12-02T13:00:05Z".into(),
            added: 0,
            changed: 1,
            removed: 0,
            workbooks: 3,
            error: None,
            warning: None,
        };
        assert_eq!(RunOutcome::ok(&run).status, RunStatus::Ok);
        run.warning = Some("Tableau hid the names of 3 of 14 tables".into());
        let json = serde_json::to_value(RunOutcome::ok(&run)).expect("json");
        assert_eq!(json["status"], "incomplete");
        assert_eq!(json["warning"], "Tableau hid the names of 3 of 14 tables");
    }

    #[test]
    fn a_rejected_token_is_reported_as_a_sign_in_problem() {
        let response =
            ErrorResponse::from_pipeline(&tableau(BiError::SignIn("PAT rejected".into())));
        assert_eq!(response.kind, "tableau_sign_in");
        let json = serde_json::to_value(&response).expect("json");
        assert_eq!(json["kind"], "tableau_sign_in");
        assert!(
            json["error"]
                .as_str()
                .is_some_and(|m| m.contains("PAT rejected"))
        );
    }

    #[test]
    fn retryable_errors_reach_lambda_with_their_own_type() {
        let diagnostic = Diagnostic::from(FunctionError::Retryable("DynamoDB throttled".into()));
        assert_eq!(diagnostic.error_type, "autoexpose.Retryable");
        assert_eq!(diagnostic.error_message, "DynamoDB throttled");
    }
}
