//! [`Pipeline`]: the adapters the stages run over, how they are chosen, and the helpers
//! every stage shares (reading artifacts, the integration's lease).

use std::sync::Arc;
use std::time::Duration;

use autoexpose_domain::Manifest;
use time::OffsetDateTime;

use crate::error::PipelineError;
use crate::ports::{
    ArtifactLocation, Artifacts, BiTool, Clock, RunStore, Secrets, Store, StoreError, SystemClock,
    format_timestamp, timestamp_after,
};
use crate::records::{DEFAULT_BUILD_AFTER_MINUTES, Integration, IntegrationStatus, Lease};
use crate::stop::Stop;

/// The log target of warnings about the files autoexpose reads (a manifest schema newer
/// than it knows): a CLI shows these even when it logs nothing else.
pub const INPUT_WARNINGS: &str = "autoexpose::input";

/// How long a refresh job is followed before autoexpose gives up on it.
pub const DEFAULT_JOB_MAX_AGE: Duration = Duration::from_secs(6 * 60 * 60);
/// How long a lease lasts before another run may take it over (a Lambda runs 15 minutes
/// at most).
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(15 * 60);
/// How long a run waits for a busy lease before it gives up.
pub const DEFAULT_LEASE_WAIT: Duration = Duration::from_secs(10);
const LEASE_POLL: Duration = Duration::from_millis(100);
/// The pipeline: the stages over a store, artifacts, secrets and a BI tool, each a trait
/// object, so the same code runs over SQLite or DynamoDB, files or S3, Tableau or a fake.
/// Cloning it is cheap (the adapters are shared), so a function can give each invocation
/// its own [`Stop`].
#[derive(Clone)]
pub struct Pipeline {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) artifacts: Arc<dyn Artifacts>,
    pub(crate) secrets: Arc<dyn Secrets>,
    pub(crate) bi: Arc<dyn BiTool>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) lease_ttl: Duration,
    pub(crate) lease_wait: Duration,
    pub(crate) publish: bool,
    pub(crate) orchestration: Orchestration,
    pub(crate) stop: Stop,
    pub(crate) allow_mass_removal: bool,
}

impl Pipeline {
    /// A pipeline with the system clock and the default lease timings.
    pub fn new(
        store: impl Store + 'static,
        artifacts: impl Artifacts + 'static,
        secrets: impl Secrets + 'static,
        bi: impl BiTool + 'static,
    ) -> Self {
        Pipeline::from_shared(
            Arc::new(store),
            Arc::new(artifacts),
            Arc::new(secrets),
            Arc::new(bi),
        )
    }

    /// A pipeline over adapters the caller keeps a handle on too (a test that counts the
    /// store's writes, a CLI that chose its backend at run time).
    pub fn from_shared(
        store: Arc<dyn Store>,
        artifacts: Arc<dyn Artifacts>,
        secrets: Arc<dyn Secrets>,
        bi: Arc<dyn BiTool>,
    ) -> Self {
        Pipeline {
            store,
            artifacts,
            secrets,
            bi,
            clock: Arc::new(SystemClock),
            lease_ttl: DEFAULT_LEASE_TTL,
            lease_wait: DEFAULT_LEASE_WAIT,
            publish: false,
            orchestration: Orchestration::default(),
            stop: Stop::never(),
            allow_mass_removal: false,
        }
    }

    /// After every run that changes exposures (and every applied manifest), writes the dbt
    /// project's exposure YAML beside its manifest, as the Lambda functions do
    /// (`dbt/<project>/<environment>/exposures/imported_from_tableau/exposures.yml`).
    pub fn with_publishing(mut self) -> Self {
        self.publish = true;
        self
    }

    /// Uses another clock (tests control time with it).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Sets how long a lease lasts and how long a run waits for a busy one.
    pub fn with_lease(mut self, ttl: Duration, wait: Duration) -> Self {
        self.lease_ttl = ttl;
        self.lease_wait = wait;
        self
    }

    /// Stops runs early when `stop` says so (Ctrl-C, a function's timeout): the work in
    /// flight is dropped, the run is recorded with the reason and its lease released.
    pub fn with_stop(mut self, stop: Stop) -> Self {
        self.stop = stop;
        self
    }

    /// Lets runs remove more exposures than an integration's `max_removal_percent`: a
    /// person confirming a removal that was held back.
    pub fn with_mass_removal_allowed(mut self) -> Self {
        self.allow_mass_removal = true;
        self
    }

    /// Sets the deployment's orchestration defaults.
    pub fn with_orchestration(mut self, orchestration: Orchestration) -> Self {
        self.orchestration = orchestration;
        self
    }

    /// The deployment's orchestration defaults.
    pub fn orchestration(&self) -> &Orchestration {
        &self.orchestration
    }

    /// The store.
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// The BI tool (Tableau).
    pub fn bi(&self) -> &dyn BiTool {
        self.bi.as_ref()
    }

    /// The artifact source.
    pub fn artifacts(&self) -> &dyn Artifacts {
        self.artifacts.as_ref()
    }

    /// The secret source.
    pub fn secrets(&self) -> &dyn Secrets {
        self.secrets.as_ref()
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    pub(crate) async fn integration(&self, id: &str) -> Result<Integration, PipelineError> {
        self.store
            .get_integration(id)
            .await?
            .ok_or_else(|| PipelineError::UnknownIntegration(id.to_string()))
    }

    /// Reads a manifest as it is opened ([`crate::Artifacts::open`]), parsing it while it
    /// is read, off the async threads, in memory that does not grow with its size: every
    /// stage that needs a manifest reads it so, and a function's memory need not grow with
    /// the dbt project.
    pub(crate) async fn read_manifest(
        &self,
        location: &ArtifactLocation,
    ) -> Result<Manifest, PipelineError> {
        let reader =
            self.artifacts
                .open(location)
                .await
                .map_err(|source| PipelineError::Artifact {
                    location: location.clone(),
                    source,
                })?;
        let manifest = tokio::task::spawn_blocking(move || Manifest::from_reader(reader))
            .await
            .map_err(|e| PipelineError::Manifest {
                location: location.clone(),
                message: format!("reading it stopped: {e}"),
            })?
            .map_err(|e| manifest_error(location, e))?;
        for warning in manifest.warnings() {
            tracing::warn!(target: INPUT_WARNINGS, %location, "{warning}");
        }
        Ok(manifest)
    }

    /// The bytes of an artifact, with an error naming where it was read from.
    pub(crate) async fn read_artifact(
        &self,
        location: &ArtifactLocation,
    ) -> Result<Vec<u8>, PipelineError> {
        self.artifacts
            .read(location)
            .await
            .map_err(|source| PipelineError::Artifact {
                location: location.clone(),
                source,
            })
    }

    pub(crate) async fn acquire_lease(
        &self,
        integration_id: &str,
        holder: &str,
    ) -> Result<(), PipelineError> {
        let deadline = tokio::time::Instant::now() + self.lease_wait;
        loop {
            let now = self.now();
            let lease = Lease {
                integration_id: integration_id.to_string(),
                holder: holder.to_string(),
                expires_at: timestamp_after(now, self.lease_ttl),
                acquired_at: format_timestamp(now),
            };
            if self
                .store
                .try_acquire_lease(&lease, &format_timestamp(now))
                .await?
            {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                let held = self.store.get_lease(integration_id).await?;
                return Err(PipelineError::LeaseBusy {
                    integration: integration_id.to_string(),
                    held_by: held
                        .map(|lease| describe_lease(&lease))
                        .unwrap_or_else(|| "another run (released just now)".to_string()),
                });
            }
            self.until_stopped(integration_id, tokio::time::sleep(LEASE_POLL))
                .await?;
        }
    }

    /// Runs `work` unless a stop is asked for first; then drops it and says why.
    pub(crate) async fn until_stopped<T>(
        &self,
        integration_id: &str,
        work: impl Future<Output = T>,
    ) -> Result<T, PipelineError> {
        tokio::select! {
            biased;
            reason = self.stop.requested() => Err(PipelineError::Stopped {
                integration: integration_id.to_string(),
                reason,
            }),
            value = work => Ok(value),
        }
    }
}

/// Who holds a lease, since when and until when, in words.
pub fn describe_lease(lease: &Lease) -> String {
    let since = if lease.acquired_at.is_empty() {
        String::new()
    } else {
        format!(" since {}", lease.acquired_at)
    };
    format!(
        "'{}' holds its lease{since} until {}",
        lease.holder, lease.expires_at
    )
}

/// A manifest that cannot be used, naming where it came from.
pub(crate) fn manifest_error(
    location: &ArtifactLocation,
    error: autoexpose_domain::ManifestError,
) -> PipelineError {
    PipelineError::Manifest {
        location: location.clone(),
        message: error.to_string(),
    }
}

/// The integration's status, derived from its latest runs.
pub async fn integration_status(
    store: &dyn RunStore,
    integration_id: &str,
) -> Result<IntegrationStatus, StoreError> {
    let runs = store.list_runs(integration_id, 50).await?;
    let last_run = runs.first().cloned();
    let last_success = runs.iter().find(|r| r.error.is_none()).cloned();
    let last_error = last_run.as_ref().and_then(|r| r.error.clone());
    let last_warning = last_run.as_ref().and_then(|r| r.warning.clone());
    Ok(IntegrationStatus {
        last_run,
        last_success,
        last_error,
        last_warning,
    })
}

/// The deployment's defaults for integrations that do not set `active_exposures` or
/// `build_after_minutes` themselves (dbt Cloud's `DBT_ACTIVE_EXPOSURES` and
/// `DBT_ACTIVE_EXPOSURES_BUILD_AFTER`), and how long jobs are followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orchestration {
    /// Refresh extracts unless an integration says otherwise (default off).
    pub active_exposures: bool,
    /// Minimum minutes between refreshes of one target, unless an integration says
    /// otherwise (default 1440).
    pub build_after_minutes: u32,
    /// How long a job is followed before it is recorded as still running.
    pub job_max_age: Duration,
}

impl Default for Orchestration {
    fn default() -> Self {
        Orchestration {
            active_exposures: false,
            build_after_minutes: DEFAULT_BUILD_AFTER_MINUTES,
            job_max_age: DEFAULT_JOB_MAX_AGE,
        }
    }
}

impl Orchestration {
    /// Whether extracts of this integration are refreshed: its own setting, else the default.
    pub fn active(&self, integration: &Integration) -> bool {
        integration
            .active_exposures
            .unwrap_or(self.active_exposures)
    }

    /// The integration's build-after window: its own setting, else the default.
    pub fn build_after(&self, integration: &Integration) -> Duration {
        let minutes = integration
            .build_after_minutes
            .unwrap_or(self.build_after_minutes);
        Duration::from_secs(u64::from(minutes) * 60)
    }
}
