//! Extract refreshes as the BI tool answers them (PRODUCT.md S8): the reply to a refresh
//! request and where the job it started stands. The Tableau client returns these, and the
//! pipeline records them, so there is one set of types for one idea.

use serde::{Deserialize, Serialize};

/// What the BI tool said to a request to refresh extracts.
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
