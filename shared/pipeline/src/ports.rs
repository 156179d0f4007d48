//! The ports: the records the pipeline stores and the small traits it talks to the world
//! through (store, artifacts, secrets, Tableau, clock). Adapters (SQLite, DynamoDB, S3,
//! Secrets Manager, the Tableau client) implement these traits; the pipeline names none of
//! their types.
//!
//! Every timestamp is an RFC 3339 UTC string in one fixed-width form,
//! `YYYY-MM-DDTHH:MM:SS.mmmZ` (see [`format_timestamp`]), so a store can compare two of
//! them as text (DynamoDB condition expressions, SQLite `<`) and get time order.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::time::Duration;

pub use autoexpose_domain::run_results::{NodeResult, ResultsKind};
use autoexpose_domain::{Exposure, Workbook};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The production environment whose manifests count, unless an integration says otherwise.
pub const DEFAULT_ENVIRONMENT: &str = "prod";

/// One link between a dbt project (its production environment) and one Tableau site
/// (PRODUCT.md S1). It holds no secret: only `secret_ref`, the name of where the PAT
/// secret lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Integration {
    /// Unique id chosen by the person who adds it, e.g. `acme-prod`.
    pub id: String,
    /// The dbt project name (`metadata.project_name` of its manifests).
    pub dbt_project: String,
    /// The production environment whose manifests count (default `prod`).
    #[serde(default = "default_environment")]
    pub environment: String,
    /// Tableau host, optionally with port or scheme, e.g. `10az.online.tableau.com`.
    pub server_url: String,
    /// The site's content URL; empty for the Default site of a Tableau Server.
    pub site: String,
    /// Name of the personal access token.
    pub token_name: String,
    /// Where the PAT secret lives: a Secrets Manager name/ARN, or for the local store the
    /// name of an environment variable.
    pub secret_ref: String,
    /// Selected Tableau projects, by LUID as stored after resolution; their nested
    /// projects are included at listing time.
    #[serde(default)]
    pub collections: Vec<String>,
    /// Tableau database name → dbt database name, applied before matching.
    #[serde(default)]
    pub database_aliases: BTreeMap<String, String>,
    /// Tableau schema name → dbt schema name, applied before matching.
    #[serde(default)]
    pub schema_aliases: BTreeMap<String, String>,
    /// Also make exposures for workbooks that matched nothing.
    #[serde(default)]
    pub include_unmatched: bool,
    /// Refresh Tableau extracts after dbt builds (PRODUCT.md S8). `None`: the deployment's
    /// default (`DBT_ACTIVE_EXPOSURES` of the function, else off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_exposures: Option<bool>,
    /// Minimum minutes between extract refreshes of one workbook or data source. `None`:
    /// the deployment's default (`DBT_ACTIVE_EXPOSURES_BUILD_AFTER`, else 1440).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_after_minutes: Option<u32>,
    /// Optimistic-concurrency version: 0 before it is first stored, then 1, 2, ...
    #[serde(default)]
    pub version: u64,
}

fn default_environment() -> String {
    DEFAULT_ENVIRONMENT.to_string()
}

/// dbt Cloud's default for `DBT_ACTIVE_EXPOSURES_BUILD_AFTER`: one day, in minutes.
pub const DEFAULT_BUILD_AFTER_MINUTES: u32 = 1440;

impl Integration {
    /// A new integration with defaults for everything but the connection settings.
    pub fn new(
        id: impl Into<String>,
        dbt_project: impl Into<String>,
        server_url: impl Into<String>,
        site: impl Into<String>,
        token_name: impl Into<String>,
        secret_ref: impl Into<String>,
    ) -> Integration {
        Integration {
            id: id.into(),
            dbt_project: dbt_project.into(),
            environment: default_environment(),
            server_url: server_url.into(),
            site: site.into(),
            token_name: token_name.into(),
            secret_ref: secret_ref.into(),
            collections: Vec::new(),
            database_aliases: BTreeMap::new(),
            schema_aliases: BTreeMap::new(),
            include_unmatched: false,
            active_exposures: None,
            build_after_minutes: None,
            version: 0,
        }
    }
}

/// The last complete listing of an integration's workbooks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The integration it belongs to.
    pub integration_id: String,
    /// When the listing was taken.
    pub taken_at: String,
    /// Every workbook of the selected collections.
    pub workbooks: Vec<Workbook>,
}

/// Where an artifact lives: an S3 object (`bucket` set) or a local file (`bucket` `None`,
/// `key` is the path).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ArtifactLocation {
    /// S3 bucket; `None` for a local path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// S3 key, or the local file path.
    pub key: String,
    /// S3 object version, when the bucket is versioned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
}

impl ArtifactLocation {
    /// A local file.
    pub fn local(path: impl Into<String>) -> ArtifactLocation {
        ArtifactLocation {
            bucket: None,
            key: path.into(),
            version_id: None,
        }
    }

    /// An S3 object.
    pub fn s3(bucket: impl Into<String>, key: impl Into<String>) -> ArtifactLocation {
        ArtifactLocation {
            bucket: Some(bucket.into()),
            key: key.into(),
            version_id: None,
        }
    }
}

impl fmt::Display for ArtifactLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.bucket, &self.version_id) {
            (Some(bucket), Some(version)) => {
                write!(f, "s3://{bucket}/{}?versionId={version}", self.key)
            }
            (Some(bucket), None) => write!(f, "s3://{bucket}/{}", self.key),
            (None, _) => f.write_str(&self.key),
        }
    }
}

/// The manifest currently applied for a dbt project: the pointer that keeps stale and
/// duplicate manifests out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedManifest {
    /// The dbt project.
    pub dbt_project: String,
    /// Where the manifest was read from.
    pub location: ArtifactLocation,
    /// `metadata.generated_at` of the manifest, as dbt wrote it.
    pub generated_at: String,
    /// `metadata.invocation_id` of the manifest.
    pub invocation_id: String,
    /// When it was applied.
    pub applied_at: String,
}

/// One exposure as stored for one integration, keyed by its workbook LUID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredExposure {
    /// The integration that produced it.
    pub integration_id: String,
    /// The exposure.
    pub exposure: Exposure,
    /// When it was last written (changed), not when it was last seen.
    pub synced_at: String,
}

/// What to write to an integration's exposures: only what changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExposureDiff {
    /// New exposures and changed ones (replace the stored one with the same workbook LUID).
    pub upserts: Vec<Exposure>,
    /// Workbook LUIDs whose exposures are removed.
    pub removals: Vec<String>,
}

impl ExposureDiff {
    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.upserts.is_empty() && self.removals.is_empty()
    }
}

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// A person ran `autoexpose sync`.
    Manual,
    /// The daily schedule.
    Schedule,
    /// The integration's collections were changed.
    CollectionsUpdated,
    /// A manifest was applied.
    Manifest,
}

impl Trigger {
    /// The word stored and shown for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::Schedule => "schedule",
            Trigger::CollectionsUpdated => "collections_updated",
            Trigger::Manifest => "manifest",
        }
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The record of one sync or rematch of one integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRun {
    /// Unique id that sorts by start time (`{started_at}-{sequence}-{random}`); stores
    /// list runs newest first by `started_at`, then `run_id`.
    pub run_id: String,
    /// The integration.
    pub integration_id: String,
    /// What started it.
    pub trigger: Trigger,
    /// Start time.
    pub started_at: String,
    /// End time.
    pub finished_at: String,
    /// Exposures added.
    pub added: u32,
    /// Exposures changed.
    pub changed: u32,
    /// Exposures removed.
    pub removed: u32,
    /// Workbooks in the listing (or the stored snapshot, for a rematch).
    pub workbooks: u32,
    /// What went wrong, in words a person can act on; `None` for success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// An integration's status, derived from its latest runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationStatus {
    /// The latest run, if any.
    pub last_run: Option<SyncRun>,
    /// The latest successful run, if any.
    pub last_success: Option<SyncRun>,
    /// The error of the latest run, if it failed.
    pub last_error: Option<String>,
}

/// Exclusive right to work on one integration until `expires_at` (PRODUCT.md S1: signing
/// in with a PAT ends its earlier session, so work is serialised).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The integration.
    pub integration_id: String,
    /// Who holds it (a run id or process id).
    pub holder: String,
    /// When it lapses and another holder may take it over.
    pub expires_at: String,
}

/// What went wrong in a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An optimistic check failed: someone else wrote first.
    #[error("{0} was changed by someone else meanwhile; read it again and retry")]
    Conflict(String),
    /// Creating something that already exists.
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// Updating something that does not exist.
    #[error("{0} does not exist")]
    NotFound(String),
    /// The store itself failed (I/O, network, corrupt data); the message says which.
    #[error("{0}")]
    Backend(String),
}

/// Settings and state: integrations, snapshots, the applied-manifest pointer, exposures,
/// leases and runs. Every write is conditional where the semantics say so.
pub trait Store: Send + Sync {
    /// Stores a new integration with `version` 1; `AlreadyExists` if the id is taken.
    fn create_integration(
        &self,
        integration: &Integration,
    ) -> impl Future<Output = Result<Integration, StoreError>> + Send;

    /// Replaces an integration if its stored version equals `integration.version`;
    /// returns it with the version increased by one. `Conflict` otherwise, `NotFound` if
    /// it does not exist.
    fn update_integration(
        &self,
        integration: &Integration,
    ) -> impl Future<Output = Result<Integration, StoreError>> + Send;

    /// One integration, if it exists.
    fn get_integration(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<Integration>, StoreError>> + Send;

    /// All integrations, or those of one dbt project, sorted by id.
    fn list_integrations(
        &self,
        dbt_project: Option<&str>,
    ) -> impl Future<Output = Result<Vec<Integration>, StoreError>> + Send;

    /// The integration's stored snapshot, if any.
    fn get_snapshot(
        &self,
        integration_id: &str,
    ) -> impl Future<Output = Result<Option<Snapshot>, StoreError>> + Send;

    /// Replaces the integration's snapshot.
    fn put_snapshot(
        &self,
        snapshot: &Snapshot,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The manifest applied for a dbt project, if any.
    fn get_applied_manifest(
        &self,
        dbt_project: &str,
    ) -> impl Future<Output = Result<Option<AppliedManifest>, StoreError>> + Send;

    /// Replaces the applied-manifest pointer only if the stored one is still `previous`
    /// (compared by `invocation_id` and `generated_at`; `None` = none stored yet).
    /// `Conflict` otherwise, so two concurrent appliers cannot go backwards.
    fn put_applied_manifest(
        &self,
        manifest: &AppliedManifest,
        previous: Option<&AppliedManifest>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The integration's exposures, sorted by exposure name.
    fn list_exposures(
        &self,
        integration_id: &str,
    ) -> impl Future<Output = Result<Vec<StoredExposure>, StoreError>> + Send;

    /// Writes a diff: upserts keyed by workbook LUID (stamped `synced_at`), removals by
    /// workbook LUID. An empty diff must write nothing.
    fn apply_exposure_diff(
        &self,
        integration_id: &str,
        diff: &ExposureDiff,
        synced_at: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Takes the lease if nobody holds it, if it lapsed (`expires_at <= now`), or if
    /// `lease.holder` already holds it (renewal). Returns whether it was taken.
    fn try_acquire_lease(
        &self,
        lease: &Lease,
        now: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Gives the lease up if `holder` still holds it; does nothing otherwise.
    fn release_lease(
        &self,
        integration_id: &str,
        holder: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Records one run (one write).
    fn record_run(&self, run: &SyncRun) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The integration's latest runs, newest first, at most `limit`.
    fn list_runs(
        &self,
        integration_id: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<SyncRun>, StoreError>> + Send;

    /// The latest results file recorded for a dbt project and kind, if any.
    fn get_results_pointer(
        &self,
        dbt_project: &str,
        kind: ResultsKind,
    ) -> impl Future<Output = Result<Option<ResultsPointer>, StoreError>> + Send;

    /// Records the results of one invocation: each node's result replaces the stored one of
    /// the same node and kind (other nodes keep theirs), then the pointer is replaced only
    /// if the stored one is still `previous` (by `invocation_id` and `generated_at`;
    /// `None` = none yet), else `Conflict`. Writing the same results twice is harmless.
    fn put_node_results(
        &self,
        pointer: &ResultsPointer,
        previous: Option<&ResultsPointer>,
        results: &[NodeResult],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The latest result of every node of a dbt project (one per node and kind), sorted by
    /// unique id, then kind.
    fn list_node_results(
        &self,
        dbt_project: &str,
    ) -> impl Future<Output = Result<Vec<NodeResult>, StoreError>> + Send;

    /// The refresh record of one workbook or data source of an integration, if any.
    fn get_refresh(
        &self,
        integration_id: &str,
        kind: RefreshTargetKind,
        luid: &str,
    ) -> impl Future<Output = Result<Option<RefreshRecord>, StoreError>> + Send;

    /// Replaces the refresh record of its integration, target kind and LUID.
    fn put_refresh(
        &self,
        record: &RefreshRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The integration's refresh records, sorted by target kind, then LUID.
    fn list_refreshes(
        &self,
        integration_id: &str,
    ) -> impl Future<Output = Result<Vec<RefreshRecord>, StoreError>> + Send;
}

/// What went wrong reading or writing an artifact.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// Nothing at that location.
    #[error("no artifact at {0}")]
    NotFound(String),
    /// Reading or writing failed; the message names the location and the cause.
    #[error("{0}")]
    Io(String),
}

/// Where manifests come from (S3, local files) and where exported files go.
pub trait Artifacts: Send + Sync {
    /// The bytes at a location.
    fn read(
        &self,
        location: &ArtifactLocation,
    ) -> impl Future<Output = Result<Vec<u8>, ArtifactError>> + Send;

    /// Writes bytes to a location, replacing what is there.
    fn write(
        &self,
        location: &ArtifactLocation,
        bytes: &[u8],
    ) -> impl Future<Output = Result<(), ArtifactError>> + Send;
}

/// A secret value (the PAT secret). Its `Debug` and `Display` print `***`, so it cannot
/// reach a log line or an error message by accident; it is never serialized.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that must send it (the Tableau sign-in).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// What went wrong fetching a secret. Messages name the secret reference, never the value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// No secret under that reference.
    #[error("secret '{0}' was not found; store the Tableau PAT secret there")]
    NotFound(String),
    /// Fetching it failed (permissions, network); the message says why.
    #[error("{0}")]
    Unavailable(String),
}

/// Where PAT secrets come from (Secrets Manager, an environment variable).
pub trait Secrets: Send + Sync {
    /// The Tableau PAT secret stored under `secret_ref`.
    fn tableau_secret(
        &self,
        secret_ref: &str,
    ) -> impl Future<Output = Result<Secret, SecretError>> + Send;
}

/// A Tableau project resolved from a LUID or a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedCollection {
    /// What the person gave (LUID or path).
    pub requested: String,
    /// The project LUID.
    pub luid: String,
    /// The project path, e.g. `Finance/Quarterly`.
    pub path: String,
}

/// One Tableau project of a site, for showing the project tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectNode {
    /// Project LUID.
    pub luid: String,
    /// Project name.
    pub name: String,
    /// Full path, e.g. `Finance/Quarterly`.
    pub path: String,
    /// Parent project LUID; `None` at the top level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_luid: Option<String>,
}

/// What went wrong talking to Tableau, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableauError {
    /// Sign-in refused: bad, expired or revoked PAT, or unknown site.
    #[error("{0}")]
    SignIn(String),
    /// Some requested collections do not exist on the site.
    #[error("unknown Tableau collections: {}; check the project LUIDs or paths with `autoexpose collections list`", .0.join(", "))]
    UnknownCollections(Vec<String>),
    /// Tableau is unreachable, rate limiting, or down; try again later.
    #[error("{0}")]
    Unavailable(String),
    /// Anything else (Metadata API disabled, odd payloads).
    #[error("{0}")]
    Other(String),
}

/// The Tableau operations the pipeline needs. Implementations sign in with the
/// integration's token name and the given secret.
pub trait TableauApi: Send + Sync {
    /// Resolves project LUIDs or paths to projects. `UnknownCollections` names every one
    /// that does not exist.
    fn resolve_collections(
        &self,
        integration: &Integration,
        secret: &Secret,
        collections: &[String],
    ) -> impl Future<Output = Result<Vec<ResolvedCollection>, TableauError>> + Send;

    /// Every workbook in the integration's collections (nested projects included). Only a
    /// complete listing is returned; anything less is an error.
    fn list_workbooks(
        &self,
        integration: &Integration,
        secret: &Secret,
    ) -> impl Future<Output = Result<Vec<Workbook>, TableauError>> + Send;

    /// The site's project tree.
    fn list_projects(
        &self,
        integration: &Integration,
        secret: &Secret,
    ) -> impl Future<Output = Result<Vec<ProjectNode>, TableauError>> + Send;

    /// Starts an extract refresh of each target, in one session; one reply per target, in
    /// order. The outer error is a failed sign-in (nothing was asked).
    fn refresh_extracts(
        &self,
        integration: &Integration,
        secret: &Secret,
        targets: &[RefreshTarget],
    ) -> impl Future<Output = Result<Vec<Result<RefreshReply, TableauError>>, TableauError>> + Send;

    /// Where a background job stands.
    fn job_status(
        &self,
        integration: &Integration,
        secret: &Secret,
        job_id: &str,
    ) -> impl Future<Output = Result<JobState, TableauError>> + Send;
}

/// The latest results file recorded for a dbt project: keeps older invocations out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultsPointer {
    /// The dbt project.
    pub dbt_project: String,
    /// `run_results.json` or `sources.json`.
    pub kind: ResultsKind,
    /// Where it was read from.
    pub location: ArtifactLocation,
    /// `metadata.generated_at` as dbt wrote it.
    pub generated_at: String,
    /// `metadata.invocation_id`.
    pub invocation_id: String,
    /// When it was recorded.
    pub recorded_at: String,
}

/// What Tableau content an extract refresh is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefreshTargetKind {
    /// A workbook with embedded extracts (`POST .../workbooks/{luid}/refresh`).
    Workbook,
    /// A published data source (`POST .../datasources/{luid}/refresh`).
    Datasource,
}

impl RefreshTargetKind {
    /// The word stored and shown for it.
    pub fn as_str(self) -> &'static str {
        match self {
            RefreshTargetKind::Workbook => "workbook",
            RefreshTargetKind::Datasource => "datasource",
        }
    }
}

/// One workbook or published data source whose extracts are refreshed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RefreshTarget {
    /// Workbook or data source.
    pub kind: RefreshTargetKind,
    /// Its REST id.
    pub luid: String,
    /// Its name, for people.
    pub name: String,
}

/// What Tableau said to a refresh request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum RefreshReply {
    /// A job was queued.
    Queued {
        /// The job to follow.
        job_id: String,
    },
    /// A refresh is already queued or running (409093).
    AlreadyQueued,
    /// There is no extract to refresh (409090).
    NotRefreshable,
}

/// Where a Tableau background job stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum JobState {
    /// Queued or running.
    InProgress {
        /// Percent done, when Tableau says.
        progress: Option<u32>,
    },
    /// Finished successfully (finishCode 0).
    Succeeded,
    /// Finished with an error (finishCode 1).
    Failed {
        /// Tableau's notes.
        notes: Option<String>,
    },
    /// Cancelled (finishCode 2).
    Cancelled,
}

/// Where the last extract refresh of one target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefreshState {
    /// Asked for; the job is being followed.
    Queued,
    /// Tableau already had one queued or running (409093); not an error.
    AlreadyQueued,
    /// Tableau says there is no extract to refresh (409090).
    NotRefreshable,
    /// The job finished successfully.
    Succeeded,
    /// The job failed; `notes` says why.
    Failed,
    /// The job was cancelled.
    Cancelled,
    /// The job ran longer than autoexpose follows jobs.
    GaveUp,
    /// The request itself failed; `notes` says why.
    RequestFailed,
}

impl RefreshState {
    /// The word stored and shown for it.
    pub fn as_str(self) -> &'static str {
        match self {
            RefreshState::Queued => "queued",
            RefreshState::AlreadyQueued => "already_queued",
            RefreshState::NotRefreshable => "not_refreshable",
            RefreshState::Succeeded => "succeeded",
            RefreshState::Failed => "failed",
            RefreshState::Cancelled => "cancelled",
            RefreshState::GaveUp => "gave_up",
            RefreshState::RequestFailed => "request_failed",
        }
    }
}

/// A refresh that was due but not asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedRefresh {
    /// When.
    pub at: String,
    /// The dbt invocation that called for it.
    pub invocation_id: String,
    /// Why, e.g. the time left in the build-after window.
    pub reason: String,
}

/// The extract refresh history of one workbook or data source of an integration: the last
/// request and its job, and the last skip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshRecord {
    /// The integration.
    pub integration_id: String,
    /// What is refreshed.
    pub target: RefreshTarget,
    /// The workbooks (exposures) that called for it in the last invocation.
    #[serde(default)]
    pub workbook_luids: Vec<String>,
    /// The state of the last request; `None` when only skips were recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<RefreshState>,
    /// When a refresh was last asked of Tableau (the build-after window starts here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_at: Option<String>,
    /// The dbt invocation that caused the last request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_id: Option<String>,
    /// Tableau's job id of the last request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// The job's finishCode (0 success, 1 failed, 2 cancelled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_code: Option<u32>,
    /// Tableau's notes, or what went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// The last skip, if it came after the last request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<SkippedRefresh>,
    /// When this record last changed.
    pub updated_at: String,
}

/// A refresh job to follow until it finishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshJob {
    /// The integration whose PAT follows it.
    pub integration_id: String,
    /// What it refreshes.
    pub target: RefreshTarget,
    /// Tableau's job id.
    pub job_id: String,
    /// When it was asked for.
    pub requested_at: String,
    /// How many polls so far.
    #[serde(default)]
    pub attempt: u32,
}

/// What went wrong handing a job to the queue.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The queue refused or could not be reached; the message says which queue and why.
    #[error("{0}")]
    Unavailable(String),
}

/// Where refresh jobs wait until they are polled again (SQS in AWS).
pub trait JobQueue: Send + Sync {
    /// Hands over a job to poll after `delay`.
    fn enqueue(
        &self,
        job: &RefreshJob,
        delay: Duration,
    ) -> impl Future<Output = Result<(), QueueError>> + Send;
}

/// The time, so tests control it (lease expiry, run timestamps).
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// Formats a time as the fixed-width RFC 3339 UTC form every stored timestamp uses,
/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, which sorts as text in time order.
pub fn format_timestamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

/// `at` plus a duration, formatted with [`format_timestamp`].
pub fn timestamp_after(at: OffsetDateTime, duration: Duration) -> String {
    format_timestamp(at + duration)
}
