//! Impact before merge: which exposures a dbt pull request breaks.
//!
//! Two `manifest.json` files, production's (the base) and the pull request's (the head),
//! are compared the way dbt's `state:modified` compares them ([`node_changes`]): body
//! checksum, config, contract, relation and columns. Removed nodes, renamed relations and
//! removed or retyped columns are told apart, because those break a dashboard that reads
//! them by name. Every exposure that reads a changed node, directly or through `child_map`
//! downstream of it, is reported with a [`Severity`]:
//! - **breaking**: a node it reads is removed or renamed, or a column it reads is removed
//!   or retyped;
//! - **changed upstream**: a node it reads, or one upstream of it, changed otherwise.
//!
//! Pure data in, data out: the CLI reads the files and the store, `autoexpose-output`
//! writes the report.
//!
//! ```
//! use autoexpose_domain::impact::{ExposureUnderTest, ProjectState, Severity, assess};
//!
//! let base = ProjectState::from_manifest(br#"{"nodes": {"model.shop.orders": {
//!   "resource_type": "model", "name": "orders", "schema": "prod", "alias": "orders",
//!   "checksum": {"name": "sha256", "checksum": "a"},
//!   "columns": {"amount": {"name": "amount", "data_type": "numeric"}}}}}"#).unwrap();
//! let head = ProjectState::from_manifest(br#"{"nodes": {"model.shop.orders": {
//!   "resource_type": "model", "name": "orders", "schema": "prod", "alias": "orders",
//!   "checksum": {"name": "sha256", "checksum": "b"}, "columns": {}}}}"#).unwrap();
//! let dashboard = ExposureUnderTest {
//!     name: "revenue".into(),
//!     depends_on: vec!["model.shop.orders".into()],
//!     ..ExposureUnderTest::default()
//! };
//! let report = assess(&base, &head, &[dashboard]);
//! assert_eq!(report.affected[0].severity, Severity::ChangedUpstream);
//! assert_eq!(report.affected[0].nodes[0].change.columns_removed, ["amount"]);
//! ```

mod changes;
mod downstream;
mod state;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use changes::{
    ChangeKind, ColumnRetype, ModifiedPart, NodeChange, RelationRename, node_changes,
};
pub use downstream::{Connection, ExposureOrigin, ExposureUnderTest};
pub use state::{Catalog, CatalogError, ColumnState, DeclaredExposure, NodeState, ProjectState};

use crate::columns::ReferencedColumn;
use crate::workbook::Owner;

/// How badly a pull request hits one exposure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Something it reads by name is gone, moved, or has another type.
    Breaking,
    /// Something it reads, or something upstream of that, changed otherwise.
    ChangedUpstream,
}

impl Severity {
    /// The word the report uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Breaking => "breaking",
            Severity::ChangedUpstream => "changed_upstream",
        }
    }
}

/// One changed node as an exposure meets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedNode {
    /// The node and how it changed.
    #[serde(flatten)]
    pub change: NodeChange,
    /// The nodes the exposure reads through which the change reaches it; empty when the
    /// exposure reads the changed node itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub read_through: Vec<String>,
}

/// One exposure downstream of a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedExposure {
    /// The exposure name.
    pub name: String,
    /// Its label (the workbook name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Breaking or changed upstream.
    pub severity: Severity,
    /// Auto or manual.
    pub origin: ExposureOrigin,
    /// Its owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    /// The Tableau project holding it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Where a person opens it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Extract or live, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<Connection>,
    /// Hits in the last month, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hits_last_month: Option<u64>,
    /// Its data health now, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<String>,
    /// The changed nodes it reads, directly or upstream, sorted by unique id.
    pub nodes: Vec<AffectedNode>,
    /// The columns it reads of the changed nodes it reads directly; `None` when the BI
    /// tool did not say which columns it reads.
    pub columns: Option<Vec<ReferencedColumn>>,
    /// Why it is breaking, one sentence each; empty for changed upstream.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breaks: Vec<String>,
}

/// Counts for the report's first line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImpactSummary {
    /// Exposures with a breaking change.
    pub breaking: usize,
    /// Exposures with a change upstream only.
    pub changed_upstream: usize,
    /// Exposures looked at.
    pub exposures_checked: usize,
    /// Nodes removed.
    pub nodes_removed: usize,
    /// Nodes renamed.
    pub nodes_renamed: usize,
    /// Nodes modified otherwise.
    pub nodes_modified: usize,
    /// Nodes the pull request adds.
    pub nodes_added: usize,
}

/// What a pull request does to the exposures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImpactReport {
    /// The exposures downstream of a change: breaking first, then by usage (most hits
    /// first), then by name.
    pub affected: Vec<AffectedExposure>,
    /// The counts.
    pub summary: ImpactSummary,
    /// Every changed node, sorted by unique id, read by an exposure or not.
    pub changed_nodes: Vec<NodeChange>,
}

/// Compares `head` with `base` and finds the exposures downstream of each change.
/// Exposures are matched against the base (production), whose `child_map` is walked.
pub fn assess(
    base: &ProjectState,
    head: &ProjectState,
    exposures: &[ExposureUnderTest],
) -> ImpactReport {
    let (changed_nodes, nodes_added) = node_changes(base, head);
    let below = downstream::descendants(&changed_nodes, &base.child_map);
    let mut affected: Vec<AffectedExposure> = exposures
        .iter()
        .filter_map(|exposure| affect(exposure, &changed_nodes, &below))
        .collect();
    affected.sort_by(|a, b| {
        (a.severity, std::cmp::Reverse(a.hits_last_month), &a.name).cmp(&(
            b.severity,
            std::cmp::Reverse(b.hits_last_month),
            &b.name,
        ))
    });
    let count = |kind: ChangeKind| changed_nodes.iter().filter(|c| c.change == kind).count();
    let summary = ImpactSummary {
        breaking: count_severity(&affected, Severity::Breaking),
        changed_upstream: count_severity(&affected, Severity::ChangedUpstream),
        exposures_checked: exposures.len(),
        nodes_removed: count(ChangeKind::Removed),
        nodes_renamed: count(ChangeKind::Renamed),
        nodes_modified: count(ChangeKind::Modified),
        nodes_added,
    };
    ImpactReport {
        affected,
        summary,
        changed_nodes,
    }
}

fn count_severity(affected: &[AffectedExposure], severity: Severity) -> usize {
    affected.iter().filter(|a| a.severity == severity).count()
}

/// The exposure's part of the report, or `None` when nothing it reads changed.
fn affect(
    exposure: &ExposureUnderTest,
    changes: &[NodeChange],
    below: &BTreeMap<&str, BTreeSet<String>>,
) -> Option<AffectedExposure> {
    let reads: BTreeSet<&str> = exposure.depends_on.iter().map(String::as_str).collect();
    let mut nodes = Vec::new();
    let mut breaks = Vec::new();
    for change in changes {
        let id = change.unique_id.as_str();
        if reads.contains(id) {
            breaks.extend(breaks_of(exposure, change));
            nodes.push(AffectedNode {
                change: change.clone(),
                read_through: Vec::new(),
            });
            continue;
        }
        let downstream = &below[id];
        let through: Vec<String> = reads
            .iter()
            .filter(|node| downstream.contains(**node))
            .map(|node| node.to_string())
            .collect();
        if !through.is_empty() {
            nodes.push(AffectedNode {
                change: change.clone(),
                read_through: through,
            });
        }
    }
    if nodes.is_empty() {
        return None;
    }
    let severity = if breaks.is_empty() {
        Severity::ChangedUpstream
    } else {
        Severity::Breaking
    };
    Some(AffectedExposure {
        name: exposure.name.clone(),
        label: exposure.label.clone(),
        severity,
        origin: exposure.origin.unwrap_or(ExposureOrigin::Auto),
        owner: exposure.owner.clone(),
        project: exposure.project.clone(),
        url: exposure.url.clone(),
        connection: exposure.connection,
        hits_last_month: exposure.hits_last_month,
        health: exposure.health.clone(),
        columns: columns_read(exposure, &nodes),
        nodes,
        breaks,
    })
}

/// Why a change to a node the exposure reads directly breaks it, if it does.
fn breaks_of(exposure: &ExposureUnderTest, change: &NodeChange) -> Vec<String> {
    let id = &change.unique_id;
    if let Some(rename) = &change.renamed {
        return vec![format!(
            "reads `{id}`, whose relation moves from `{}` to `{}`",
            rename.from, rename.to
        )];
    }
    if change.breaks_readers() {
        return vec![format!("reads `{id}`, which is {}", change.change.as_str())];
    }
    let mut breaks = Vec::new();
    for column in exposure.referenced_columns.iter().filter(|c| &c.node == id) {
        let name = &column.column_name;
        if change
            .columns_removed
            .iter()
            .any(|c| c.eq_ignore_ascii_case(name))
        {
            breaks.push(format!("reads column `{name}` of `{id}`, which is removed"));
        }
        if let Some(retype) = change
            .columns_retyped
            .iter()
            .find(|r| r.column.eq_ignore_ascii_case(name))
        {
            breaks.push(format!(
                "reads column `{name}` of `{id}`, whose type changes from `{}` to `{}`",
                retype.from, retype.to
            ));
        }
    }
    breaks
}

/// The columns the exposure reads of the changed nodes it reads directly, or `None` when
/// it reports no columns at all.
fn columns_read(
    exposure: &ExposureUnderTest,
    nodes: &[AffectedNode],
) -> Option<Vec<ReferencedColumn>> {
    if exposure.referenced_columns.is_empty() {
        return None;
    }
    let direct: BTreeSet<&str> = nodes
        .iter()
        .filter(|n| n.read_through.is_empty())
        .map(|n| n.change.unique_id.as_str())
        .collect();
    let mut columns: Vec<ReferencedColumn> = exposure
        .referenced_columns
        .iter()
        .filter(|c| direct.contains(c.node.as_str()))
        .cloned()
        .collect();
    columns.sort();
    Some(columns)
}
