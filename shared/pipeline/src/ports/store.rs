//! The store: settings and state, as one narrow trait per record family, so a reader of
//! the pipeline sees which records a stage touches, and `dyn Store` works (the CLI picks
//! SQLite or DynamoDB at run time). Every write is conditional where the semantics say so.

use std::error::Error as StdError;

use async_trait::async_trait;
use autoexpose_domain::run_results::{NodeResult, ResultsKind};

use crate::records::{
    AppliedManifest, ExposureDiff, Integration, Lease, RefreshRecord, RefreshTargetKind,
    ResultsPointer, Snapshot, StoredExposure, SyncRun,
};

/// An adapter's own error (an SDK or driver error), kept as the source of a port error.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What went wrong in a store, by kind, so a caller knows whether a retry can help
/// ([`StoreError::is_retryable`]).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An optimistic check failed: someone else wrote first. Read again and retry.
    #[error("{0} was changed by someone else meanwhile; read it again and retry")]
    Conflict(String),
    /// Creating something that already exists.
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// Updating something that does not exist.
    #[error("{0} does not exist")]
    NotFound(String),
    /// A stored record cannot be read back (a damaged item, an unknown shape): a retry
    /// reads the same bytes, so it cannot help.
    #[error("{what} in the store cannot be read: {detail}")]
    Corrupt {
        /// Which record.
        what: String,
        /// What is wrong with it.
        detail: String,
    },
    /// The store could not be reached, timed out or throttled; a retry may succeed.
    #[error("the store is unavailable ({what}): {source}")]
    Unavailable {
        /// What was being done.
        what: String,
        /// The driver's or SDK's error.
        #[source]
        source: BoxError,
    },
    /// The store refused the request (permissions, a missing table, a value it cannot
    /// hold); a person must fix it, so a retry cannot help.
    #[error("the store refused {what}: {source}")]
    Rejected {
        /// What was being done.
        what: String,
        /// The driver's or SDK's error.
        #[source]
        source: BoxError,
    },
}

impl StoreError {
    /// A store that could not be reached while doing `what`.
    pub fn unavailable(what: impl Into<String>, source: impl Into<BoxError>) -> StoreError {
        StoreError::Unavailable {
            what: what.into(),
            source: source.into(),
        }
    }

    /// A request the store refused while doing `what`.
    pub fn rejected(what: impl Into<String>, source: impl Into<BoxError>) -> StoreError {
        StoreError::Rejected {
            what: what.into(),
            source: source.into(),
        }
    }

    /// A stored record that cannot be read.
    pub fn corrupt(what: impl Into<String>, detail: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            what: what.into(),
            detail: detail.into(),
        }
    }

    /// True when the same call may succeed later: a lost race or an unreachable store.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StoreError::Conflict(_) | StoreError::Unavailable { .. }
        )
    }
}

/// Integrations: the settings of each link between a dbt project and a BI site. Updates are optimistic (by `version`).
#[async_trait]
pub trait IntegrationStore: Send + Sync {
    /// Stores a new integration with `version` 1; `AlreadyExists` if the id is taken.
    async fn create_integration(
        &self,
        integration: &Integration,
    ) -> Result<Integration, StoreError>;

    /// Replaces an integration if its stored version equals `integration.version`;
    /// returns it with the version increased by one. `Conflict` otherwise, `NotFound` if
    /// it does not exist.
    async fn update_integration(
        &self,
        integration: &Integration,
    ) -> Result<Integration, StoreError>;

    /// One integration, if it exists.
    async fn get_integration(&self, id: &str) -> Result<Option<Integration>, StoreError>;

    /// All integrations, or those of one dbt project, sorted by id.
    async fn list_integrations(
        &self,
        dbt_project: Option<&str>,
    ) -> Result<Vec<Integration>, StoreError>;

    /// Removes an integration and every record kept for it (its snapshot, exposures,
    /// lease, runs and refresh records; the dbt project's manifest and results stay, for
    /// its other integrations). Returns whether it existed. The settings go last, so an
    /// interrupted removal can be run again.
    async fn delete_integration(&self, id: &str) -> Result<bool, StoreError>;
}

/// The last complete listing of each integration's workbooks.
#[async_trait]
pub trait SnapshotStore: Send + Sync {
    /// The integration's stored snapshot, if any.
    async fn get_snapshot(&self, integration_id: &str) -> Result<Option<Snapshot>, StoreError>;

    /// Replaces the integration's snapshot.
    async fn put_snapshot(&self, snapshot: &Snapshot) -> Result<(), StoreError>;
}

/// The applied-manifest pointer of each dbt project, which only moves forward.
#[async_trait]
pub trait ManifestStore: Send + Sync {
    /// The manifest applied for a dbt project, if any.
    async fn get_applied_manifest(
        &self,
        dbt_project: &str,
    ) -> Result<Option<AppliedManifest>, StoreError>;

    /// Replaces the applied-manifest pointer only if the stored one is still `previous`
    /// (compared by `invocation_id` and `generated_at`; `None` = none stored yet).
    /// `Conflict` otherwise, so two concurrent appliers cannot go backwards.
    async fn put_applied_manifest(
        &self,
        manifest: &AppliedManifest,
        previous: Option<&AppliedManifest>,
    ) -> Result<(), StoreError>;
}

/// Each integration's exposures, written as diffs.
#[async_trait]
pub trait ExposureStore: Send + Sync {
    /// The integration's exposures, sorted by exposure name.
    async fn list_exposures(&self, integration_id: &str)
    -> Result<Vec<StoredExposure>, StoreError>;

    /// Writes a diff: upserts keyed by workbook LUID (stamped `synced_at`), removals by
    /// workbook LUID. An empty diff must write nothing.
    async fn apply_exposure_diff(
        &self,
        integration_id: &str,
        diff: &ExposureDiff,
        synced_at: &str,
    ) -> Result<(), StoreError>;
}

/// The lease that serialises work on one integration (one sign-in per PAT at a time).
#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Takes the lease if nobody holds it, if it lapsed (`expires_at <= now`), or if
    /// `lease.holder` already holds it (renewal). Returns whether it was taken.
    async fn try_acquire_lease(&self, lease: &Lease, now: &str) -> Result<bool, StoreError>;

    /// Gives the lease up if `holder` still holds it; does nothing otherwise.
    async fn release_lease(&self, integration_id: &str, holder: &str) -> Result<(), StoreError>;

    /// The lease as stored, lapsed or not; `None` when nobody took it or it was released.
    async fn get_lease(&self, integration_id: &str) -> Result<Option<Lease>, StoreError>;

    /// Removes the lease whoever holds it, and returns what was removed: for a person
    /// clearing the lease of a holder that died (a killed process, a timed-out function).
    async fn break_lease(&self, integration_id: &str) -> Result<Option<Lease>, StoreError>;
}

/// The record every sync or rematch leaves.
#[async_trait]
pub trait RunStore: Send + Sync {
    /// Records one run (one write).
    async fn record_run(&self, run: &SyncRun) -> Result<(), StoreError>;

    /// The integration's latest runs, newest first, at most `limit`.
    async fn list_runs(
        &self,
        integration_id: &str,
        limit: usize,
    ) -> Result<Vec<SyncRun>, StoreError>;
}

/// dbt run results and source freshness, per node, behind a pointer that only moves forward.
#[async_trait]
pub trait ResultsStore: Send + Sync {
    /// The latest results file recorded for a dbt project and kind, if any.
    async fn get_results_pointer(
        &self,
        dbt_project: &str,
        kind: ResultsKind,
    ) -> Result<Option<ResultsPointer>, StoreError>;

    /// Records the results of one invocation: each node's result replaces the stored one of
    /// the same node and kind (other nodes keep theirs), then the pointer is replaced only
    /// if the stored one is still `previous` (by `invocation_id` and `generated_at`;
    /// `None` = none yet), else `Conflict`. Writing the same results twice is harmless.
    async fn put_node_results(
        &self,
        pointer: &ResultsPointer,
        previous: Option<&ResultsPointer>,
        results: &[NodeResult],
    ) -> Result<(), StoreError>;

    /// The latest result of every node of a dbt project (one per node and kind), sorted by
    /// unique id, then kind.
    async fn list_node_results(&self, dbt_project: &str) -> Result<Vec<NodeResult>, StoreError>;
}

/// The extract refresh history of each workbook and data source.
#[async_trait]
pub trait RefreshStore: Send + Sync {
    /// The refresh record of one workbook or data source of an integration, if any.
    async fn get_refresh(
        &self,
        integration_id: &str,
        kind: RefreshTargetKind,
        luid: &str,
    ) -> Result<Option<RefreshRecord>, StoreError>;

    /// Replaces the refresh record of its integration, target kind and LUID.
    async fn put_refresh(&self, record: &RefreshRecord) -> Result<(), StoreError>;

    /// The integration's refresh records, sorted by target kind, then LUID.
    async fn list_refreshes(&self, integration_id: &str) -> Result<Vec<RefreshRecord>, StoreError>;
}
/// Every record family in one store, as the pipeline holds it (`Arc<dyn Store>`). Any
/// type that implements the narrow traits is a `Store`.
pub trait Store:
    IntegrationStore
    + SnapshotStore
    + ManifestStore
    + ExposureStore
    + LeaseStore
    + RunStore
    + ResultsStore
    + RefreshStore
{
}

impl<T> Store for T where
    T: IntegrationStore
        + SnapshotStore
        + ManifestStore
        + ExposureStore
        + LeaseStore
        + RunStore
        + ResultsStore
        + RefreshStore
{
}
