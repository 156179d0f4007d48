//! Data quality warnings: an integration's setting, and the warnings it wrote on Tableau
//! (kept on the integration record, so only those are ever changed or removed).

use autoexpose_domain::quality_warning::{RaiseOn, WarningPolicy};
use serde::{Deserialize, Serialize};

/// Whether and how an integration writes dbt health as Tableau data quality warnings.
/// Off by default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualityWarningSettings {
    /// Write warnings at all.
    #[serde(default)]
    pub enabled: bool,
    /// Which health states raise one: Degraded only (default) or Caution too.
    #[serde(default)]
    pub raise_on: RaiseOn,
    /// A Degraded exposure's warning is marked severe.
    #[serde(default)]
    pub degraded_severe: bool,
    /// A link added to each message (dbt docs, the lineage page); `{exposure}` in it is
    /// replaced by the exposure's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// A workbook that reads no published data source (only embedded ones) gets the
    /// warning on the dbt tables it reads instead. Off by default: table warnings need
    /// the site to have catalogued its tables (Data Management, Tableau Catalog on).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tables: bool,
}

impl QualityWarningSettings {
    /// True when nothing differs from the default (nothing to store).
    pub fn is_default(&self) -> bool {
        self == &QualityWarningSettings::default()
    }

    /// The policy the domain applies.
    pub fn policy(&self) -> WarningPolicy {
        WarningPolicy {
            raise_on: self.raise_on,
            degraded_severe: self.degraded_severe,
        }
    }

    /// The link for one exposure, if one is configured.
    pub fn link_for(&self, exposure_name: &str) -> Option<String> {
        self.link
            .as_deref()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.replace("{exposure}", exposure_name))
    }
}

/// What kind of Tableau asset carries a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningAssetKind {
    /// A published data source.
    Datasource,
    /// A database table.
    Table,
}

impl WarningAssetKind {
    /// The word shown and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            WarningAssetKind::Datasource => "datasource",
            WarningAssetKind::Table => "table",
        }
    }
}

/// One asset that can carry a warning.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WarningAsset {
    /// Its kind.
    pub kind: WarningAssetKind,
    /// Its REST LUID.
    pub luid: String,
    /// Its name, for people reading the status.
    #[serde(default)]
    pub name: String,
}

impl WarningAsset {
    /// True when both name the same asset (names may change).
    pub fn same_asset(&self, other: &WarningAsset) -> bool {
        self.kind == other.kind && self.luid == other.luid
    }
}

/// A warning autoexpose wrote and owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedWarning {
    /// The asset it is on.
    pub asset: WarningAsset,
    /// Tableau's LUID of the warning.
    pub warning_luid: String,
    /// The message written.
    pub message: String,
    /// Whether it was written severe.
    pub severe: bool,
    /// When it was last written.
    pub written_at: String,
}

/// An asset that should carry a warning but holds someone else's, on a Tableau that allows
/// one warning per asset: the other warning is left in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldBackWarning {
    /// The asset.
    pub asset: WarningAsset,
    /// What Tableau said.
    pub reason: String,
    /// When.
    pub at: String,
}

/// Warnings cannot be written on this site (no Data Management licence, or the token lacks
/// permission); nothing is tried again until the setting changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningsUnavailable {
    /// `not available on this site: …`, with Tableau's words.
    pub reason: String,
    /// When it was recorded.
    pub at: String,
    /// The setting it was recorded under; a different one tries again.
    pub settings: QualityWarningSettings,
}

/// The warnings an integration wrote, and why any were not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualityWarningState {
    /// Warnings autoexpose wrote, one per asset, sorted by asset.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owned: Vec<OwnedWarning>,
    /// Assets left with someone else's warning.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held_back: Vec<HeldBackWarning>,
    /// Set when the site refused warnings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<WarningsUnavailable>,
}

impl QualityWarningState {
    /// True when nothing is recorded (nothing to store).
    pub fn is_empty(&self) -> bool {
        self == &QualityWarningState::default()
    }
}
