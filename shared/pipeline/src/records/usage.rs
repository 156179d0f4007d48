//! What an integration keeps about usage: its rules, and why usage is limited on its site.

use serde::{Deserialize, Serialize};

pub use autoexpose_domain::usage_rules::{DEFAULT_HIGH_HITS, Maturity, UsageRules, UsageWindow};

/// Why the integration's usage counts are limited or missing (an older server, a token
/// that may not read usage), recorded once on the integration and shown on its status;
/// cleared when a sync reads full usage again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageNote {
    /// What is limited and why, with Tableau's words.
    pub message: String,
    /// When a sync first found it so.
    pub since: String,
}
