//! The pipeline's one error type.

use crate::{ArtifactError, ArtifactLocation, BiError, SecretError, StoreError};

/// What went wrong in a stage, in words a person can act on. No variant carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The store failed.
    #[error("the state store failed: {0}")]
    Store(StoreError),
    /// An artifact could not be read or written. The source names the location (each
    /// adapter's errors do), so it is not said twice.
    #[error("{source}")]
    Artifact {
        /// Where.
        location: ArtifactLocation,
        /// Why.
        source: ArtifactError,
    },
    /// The manifest is broken or unusable.
    #[error("the manifest at {location} cannot be used: {message}")]
    Manifest {
        /// Where it was read from.
        location: ArtifactLocation,
        /// What is wrong with it.
        message: String,
    },
    /// A `run_results.json` or `sources.json` is broken or unusable.
    #[error("the dbt results at {location} cannot be used: {message}")]
    Results {
        /// Where it was read from.
        location: ArtifactLocation,
        /// What is wrong with it.
        message: String,
    },
    /// The PAT secret could not be fetched.
    #[error("could not read the Tableau token secret of integration '{integration}': {source}")]
    Secret {
        /// The integration.
        integration: String,
        /// Why.
        source: SecretError,
    },
    /// Tableau refused or failed.
    #[error("integration '{integration}': {source}")]
    Tableau {
        /// The integration.
        integration: String,
        /// Tableau's error, already in a person's words.
        source: BiError,
    },
    /// Another run holds the integration's lease.
    #[error(
        "integration '{integration}' is busy: {held_by}; try again when that run has finished, or, if it died (a killed process, a timed-out function), clear its lease with `autoexpose integrations break-lease {integration}`"
    )]
    LeaseBusy {
        /// The integration.
        integration: String,
        /// Who holds the lease, since when and until when.
        held_by: String,
    },
    /// New settings were stored, but the run that applies them failed; the next run of
    /// the integration applies them.
    #[error(
        "the new settings of integration '{integration}' are stored, but applying them failed: {source}; the next sync applies them"
    )]
    StoredNotApplied {
        /// The integration.
        integration: String,
        /// Why applying them failed.
        source: Box<PipelineError>,
    },
    /// A run would remove more of an integration's exposures than it allows; nothing was
    /// changed.
    #[error(
        "held back: this run would remove {removed} of the {total} exposures of integration '{integration}', more than the {limit_percent}% it allows; nothing was changed. If the removal is intended, run again with `--allow-mass-removal`, or raise the limit with `autoexpose integrations set {integration} --max-removal-percent 100`"
    )]
    RemovalHeld {
        /// The integration.
        integration: String,
        /// How many exposures the run would remove.
        removed: u32,
        /// How many it has.
        total: usize,
        /// The share it allows, in percent.
        limit_percent: u8,
    },
    /// The run was stopped before it finished (Ctrl-C, SIGTERM, a function's timeout);
    /// it was recorded and its lease released.
    #[error("the run of integration '{integration}' was stopped before it finished: {reason}")]
    Stopped {
        /// The integration.
        integration: String,
        /// Why.
        reason: String,
    },
    /// An optimistic version check failed.
    #[error("integration '{0}' was changed by someone else meanwhile; read it again and retry")]
    VersionConflict(String),
    /// No manifest has been applied for the dbt project yet.
    #[error(
        "no manifest has been applied for dbt project '{0}' yet: apply one first (`autoexpose apply-manifest PATH --dbt-project {0}`, or upload it to dbt/{0}/<environment>/manifest.json)"
    )]
    NoManifest(String),
    /// No such integration.
    #[error("there is no integration '{0}'; `autoexpose integrations list` shows them")]
    UnknownIntegration(String),
    /// Some requested collections do not exist on the site; nothing was stored.
    #[error(
        "integration '{integration}': these collections do not exist on the Tableau site: {}; nothing was changed (`autoexpose collections list {integration}` shows the projects)",
        .names.join(", ")
    )]
    UnknownCollections {
        /// The integration.
        integration: String,
        /// Every unknown LUID or path.
        names: Vec<String>,
    },
}

impl From<StoreError> for PipelineError {
    fn from(error: StoreError) -> PipelineError {
        PipelineError::Store(error)
    }
}

impl PipelineError {
    /// Whether the request itself was refused before anything ran (unknown collections):
    /// a mistake of the caller's, not a failed run of the integration.
    pub fn is_refusal(&self) -> bool {
        matches!(self, PipelineError::UnknownCollections { .. })
    }

    /// True when the same call may succeed later, as each port's error says of itself: an
    /// unreachable store, S3, Secrets Manager or Tableau, a lost race, or another run
    /// holding the integration. False for what needs a person (a malformed manifest, a
    /// corrupt record, a rejected token, an unknown integration or collection).
    pub fn is_retryable(&self) -> bool {
        match self {
            PipelineError::Store(source) => source.is_retryable(),
            PipelineError::Artifact { source, .. } => source.is_retryable(),
            PipelineError::Secret { source, .. } => source.is_retryable(),
            PipelineError::Tableau { source, .. } => source.is_retryable(),
            PipelineError::StoredNotApplied { source, .. } => source.is_retryable(),
            PipelineError::LeaseBusy { .. }
            | PipelineError::Stopped { .. }
            | PipelineError::VersionConflict(_) => true,
            PipelineError::Manifest { .. }
            | PipelineError::RemovalHeld { .. }
            | PipelineError::Results { .. }
            | PipelineError::NoManifest(_)
            | PipelineError::UnknownIntegration(_)
            | PipelineError::UnknownCollections { .. } => false,
        }
    }
}
