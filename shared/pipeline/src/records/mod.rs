//! The records the pipeline keeps: integrations and their runs, snapshots and exposures,
//! and extract refreshes.
//!
//! Every timestamp is an RFC 3339 UTC string in one fixed-width form,
//! `YYYY-MM-DDTHH:MM:SS.mmmZ` (see [`format_timestamp`](crate::format_timestamp)), so a
//! store can compare two of them as text (DynamoDB condition expressions, SQLite `<`) and
//! get time order.

mod exposures;
mod integration;
mod quality_warnings;
mod refresh;
mod usage;

pub use autoexpose_domain::quality_warning::{RaiseOn, WARNING_MARKER};
pub use exposures::{AppliedManifest, ExposureDiff, ResultsPointer, Snapshot, StoredExposure};
pub use integration::{
    DEFAULT_BUILD_AFTER_MINUTES, DEFAULT_ENVIRONMENT, DEFAULT_MAX_REMOVAL_PERCENT, Integration,
    IntegrationStatus, Lease, SyncRun, Trigger,
};
pub use quality_warnings::{
    HeldBackWarning, OwnedWarning, QualityWarningSettings, QualityWarningState, WarningAsset,
    WarningAssetKind, WarningsUnavailable,
};
pub use refresh::{
    RefreshJob, RefreshRecord, RefreshState, RefreshTarget, RefreshTargetKind, SkippedRefresh,
};
pub use usage::{DEFAULT_HIGH_HITS, Maturity, UsageNote, UsageRules, UsageWindow};
