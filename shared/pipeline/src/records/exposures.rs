//! What the pipeline keeps of the outside world: Tableau snapshots, the applied manifest
//! and results pointers, and the exposures with the diffs that change them.

use autoexpose_domain::run_results::ResultsKind;
use autoexpose_domain::{Exposure, Workbook};
use serde::{Deserialize, Serialize};

use crate::ArtifactLocation;

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
