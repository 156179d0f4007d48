//! Extract refreshes (PRODUCT.md S8): what is refreshed, where each refresh stands, and the
//! jobs followed until they finish.

use serde::{Deserialize, Serialize};

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
