//! Integrations and their runs: the settings a person chooses, the lease that serialises
//! work on one integration, and the record each run leaves.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::quality_warnings::{QualityWarningSettings, QualityWarningState};
use super::usage::{UsageNote, UsageRules};

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
    /// The path of each selected project (LUID → `Finance/Reporting`) as it was when
    /// selected, so settings can show paths without calling Tableau.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub collection_paths: BTreeMap<String, String>,
    /// Selected Tableau Collections (Tableau's own curated lists across projects, REST
    /// API 3.28+), by LUID as stored after resolution; the workbooks they hold are
    /// imported wherever they live. Not to be confused with `collections` (projects).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tableau_collections: Vec<String>,
    /// Tableau database name → dbt database name, applied before matching.
    #[serde(default)]
    pub database_aliases: BTreeMap<String, String>,
    /// Tableau schema name → dbt schema name, applied before matching.
    #[serde(default)]
    pub schema_aliases: BTreeMap<String, String>,
    /// The schema of tables Tableau names none for, by scope (a Tableau database, a
    /// connection type such as `sqlserver`, or `""` for any table), applied before matching.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub default_schemas: BTreeMap<String, String>,
    /// The database of tables Tableau names none for, by scope (a connection type, or `""`
    /// for any table), applied before matching.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub default_databases: BTreeMap<String, String>,
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
    /// The largest share of this integration's exposures, in percent, that one manifest
    /// or one Tableau listing may remove before it is held back for a person to confirm.
    /// `None`: [`DEFAULT_MAX_REMOVAL_PERCENT`]; 100 lets every removal through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_removal_percent: Option<u8>,
    /// Write dbt health as Tableau data quality warnings (off by default).
    #[serde(default, skip_serializing_if = "QualityWarningSettings::is_default")]
    pub quality_warnings: QualityWarningSettings,
    /// The data quality warnings this integration wrote, and why any were not.
    #[serde(default, skip_serializing_if = "QualityWarningState::is_empty")]
    pub quality_warning_state: QualityWarningState,
    /// How Tableau usage sets `maturity` and `stale` on the exposures (on by default).
    #[serde(default, skip_serializing_if = "UsageRules::is_default")]
    pub usage_rules: UsageRules,
    /// Why usage is limited or missing on this site, once a sync found it so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_note: Option<UsageNote>,
    /// Optimistic-concurrency version: 0 before it is first stored, then 1, 2, ...
    #[serde(default)]
    pub version: u64,
}

/// How much of an integration's exposures one run may remove unasked: half.
pub const DEFAULT_MAX_REMOVAL_PERCENT: u8 = 50;

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
            collection_paths: BTreeMap::new(),
            tableau_collections: Vec::new(),
            database_aliases: BTreeMap::new(),
            schema_aliases: BTreeMap::new(),
            default_schemas: BTreeMap::new(),
            default_databases: BTreeMap::new(),
            include_unmatched: false,
            active_exposures: None,
            build_after_minutes: None,
            max_removal_percent: None,
            quality_warnings: QualityWarningSettings::default(),
            quality_warning_state: QualityWarningState::default(),
            usage_rules: UsageRules::default(),
            usage_note: None,
            version: 0,
        }
    }
}

impl Integration {
    /// The names mapped and the defaults assumed before matching, as the matcher takes them.
    pub fn aliases(&self) -> autoexpose_domain::Aliases {
        autoexpose_domain::Aliases {
            databases: self.database_aliases.clone(),
            schemas: self.schema_aliases.clone(),
            default_schemas: self.default_schemas.clone(),
            default_databases: self.default_databases.clone(),
        }
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
    /// Why a run that finished cannot be trusted to be complete (Tableau hid tables from
    /// the token's user), in words a Tableau admin can act on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
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
    /// The warning of the latest run, if it finished incomplete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_warning: Option<String>,
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
    /// When the holder took it (empty for leases stored before this was kept).
    #[serde(default)]
    pub acquired_at: String,
}
