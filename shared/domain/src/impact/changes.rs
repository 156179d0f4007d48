//! Which nodes a pull request changes, the way dbt's `state:modified` sees it, with the
//! changes that break a reader told apart: a removed node, a renamed relation, a removed
//! or retyped column.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::state::{ColumnState, NodeState, ProjectState};

/// The change a node went through, the worst one first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// The node is gone (deleted, disabled, or renamed to a new unique id).
    Removed,
    /// Its relation moved: a new database, schema or alias.
    Renamed,
    /// It changed otherwise: body, config, contract or columns.
    Modified,
}

impl ChangeKind {
    /// The word the report uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Removed => "removed",
            ChangeKind::Renamed => "renamed",
            ChangeKind::Modified => "modified",
        }
    }
}

/// What part of a node `state:modified` found changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModifiedPart {
    /// The SQL (or a seed's file): `state:modified.body`.
    Body,
    /// The config: `state:modified.configs`.
    Config,
    /// The enforced contract: `state:modified.contract`.
    Contract,
    /// The database, schema or alias: `state:modified.relation`.
    Relation,
    /// The documented (or catalogued) columns.
    Columns,
}

impl ModifiedPart {
    /// The word the report uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ModifiedPart::Body => "body",
            ModifiedPart::Config => "config",
            ModifiedPart::Contract => "contract",
            ModifiedPart::Relation => "relation",
            ModifiedPart::Columns => "columns",
        }
    }
}

/// A relation's name before and after a rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelationRename {
    /// `database.schema.identifier` in production.
    pub from: String,
    /// The same in the pull request.
    pub to: String,
}

/// A column whose data type changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ColumnRetype {
    /// The column's name.
    pub column: String,
    /// Its type in production.
    pub from: String,
    /// Its type in the pull request.
    pub to: String,
}

/// One node the pull request changes, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeChange {
    /// dbt's unique id.
    pub unique_id: String,
    /// The worst change.
    pub change: ChangeKind,
    /// The parts `state:modified` found changed (empty for a removed node).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modified: Vec<ModifiedPart>,
    /// The relation's old and new name, when it was renamed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed: Option<RelationRename>,
    /// Columns production has and the pull request does not.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns_removed: Vec<String>,
    /// Columns whose data type changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns_retyped: Vec<ColumnRetype>,
}

impl NodeChange {
    /// Whether the change breaks whatever reads the node by name: it is gone or moved.
    pub fn breaks_readers(&self) -> bool {
        matches!(self.change, ChangeKind::Removed | ChangeKind::Renamed)
    }
}

/// Every node of `base` that `head` removes or changes, sorted by unique id; and the
/// number of nodes `head` adds.
pub fn node_changes(base: &ProjectState, head: &ProjectState) -> (Vec<NodeChange>, usize) {
    let mut changes = Vec::new();
    for (unique_id, before) in &base.nodes {
        let change = match head.nodes.get(unique_id) {
            None => Some(NodeChange {
                unique_id: unique_id.clone(),
                change: ChangeKind::Removed,
                modified: Vec::new(),
                renamed: None,
                columns_removed: Vec::new(),
                columns_retyped: Vec::new(),
            }),
            Some(after) => compare(before, after),
        };
        changes.extend(change);
    }
    let added = head
        .nodes
        .keys()
        .filter(|id| !base.nodes.contains_key(*id))
        .count();
    (changes, added)
}

/// How `after` differs from `before`, or `None` when `state:modified` would not select it.
fn compare(before: &NodeState, after: &NodeState) -> Option<NodeChange> {
    let mut modified = Vec::new();
    if before.checksum != after.checksum {
        modified.push(ModifiedPart::Body);
    }
    if before.compared_config() != after.compared_config() {
        modified.push(ModifiedPart::Config);
    }
    if contract_changed(before, after) {
        modified.push(ModifiedPart::Contract);
    }
    let renamed = rename(before, after);
    if renamed.is_some() {
        modified.push(ModifiedPart::Relation);
    }
    let (columns_removed, columns_retyped, columns_changed) =
        column_changes(&before.columns, &after.columns);
    if columns_changed {
        modified.push(ModifiedPart::Columns);
    }
    if modified.is_empty() {
        return None;
    }
    let change = if renamed.is_some() {
        ChangeKind::Renamed
    } else {
        ChangeKind::Modified
    };
    Some(NodeChange {
        unique_id: before.unique_id.clone(),
        change,
        modified,
        renamed,
        columns_removed,
        columns_retyped,
    })
}

/// dbt's `same_contract`: a contract newly enforced, no longer enforced, or enforced with
/// another checksum.
fn contract_changed(before: &NodeState, after: &NodeState) -> bool {
    match (before.contract.0, after.contract.0) {
        (false, false) => false,
        (true, true) => before.contract.1 != after.contract.1,
        _ => true,
    }
}

/// The relation's new name, when the pull request moves it.
///
/// Like dbt's `same_database_representation`, it compares the database, schema and alias
/// as configured, not as rendered: a CI run renders every model into its own schema, which
/// is no rename. A part configured differently takes the pull request's rendered value in
/// the new name; the others keep production's. Sources, whose parts are properties rather
/// than config, compare their rendered parts, as do nodes with no unrendered config.
fn rename(before: &NodeState, after: &NodeState) -> Option<RelationRename> {
    let configured = |state: &NodeState, key: &str| state.unrendered_config.get(key).cloned();
    let by_config = before.resource_type != "source"
        && (!before.unrendered_config.is_empty() || !after.unrendered_config.is_empty());
    let differs = |key: &str, old: &Option<String>, new: &Option<String>| {
        if by_config {
            configured(before, key) != configured(after, key)
        } else {
            !same_name(old.as_deref(), new.as_deref())
        }
    };
    let mut moved = before.clone();
    let mut any = false;
    if differs("database", &before.database, &after.database) {
        moved.database = after.database.clone();
        any = true;
    }
    if differs("schema", &before.schema, &after.schema) {
        moved.schema = after.schema.clone();
        any = true;
    }
    let (old_id, new_id) = (
        Some(before.identifier.clone()),
        Some(after.identifier.clone()),
    );
    if differs("alias", &old_id, &new_id) {
        moved.identifier = after.identifier.clone();
        any = true;
    }
    let (from, to) = (before.relation(), moved.relation());
    // A configured value that renders the same (say, `alias` set to the model's own name)
    // moves nothing.
    (any && !from.eq_ignore_ascii_case(&to)).then_some(RelationRename { from, to })
}

fn same_name(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, None) => true,
        _ => false,
    }
}

/// The columns taken away, those retyped, and whether the column set changed at all.
/// Names compare in any case; types compare in any case and spacing, and a type only one
/// side documents is no retype.
fn column_changes(
    before: &BTreeMap<String, ColumnState>,
    after: &BTreeMap<String, ColumnState>,
) -> (Vec<String>, Vec<ColumnRetype>, bool) {
    let mut removed = Vec::new();
    let mut retyped = Vec::new();
    for (key, old) in before {
        let Some(new) = after.get(key) else {
            removed.push(old.name.clone());
            continue;
        };
        if let (Some(from), Some(to)) = (&old.data_type, &new.data_type)
            && normal_type(from) != normal_type(to)
        {
            retyped.push(ColumnRetype {
                column: old.name.clone(),
                from: from.clone(),
                to: to.clone(),
            });
        }
    }
    let added = after.keys().any(|key| !before.contains_key(key));
    let changed = added || !removed.is_empty() || !retyped.is_empty();
    (removed, retyped, changed)
}

fn normal_type(data_type: &str) -> String {
    data_type
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}
