//! Which exposures read what a pull request changes: each exposure's nodes, and every
//! node upstream of them through dbt's `child_map`, transitively.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::changes::NodeChange;
use crate::columns::ReferencedColumn;
use crate::workbook::Owner;

/// Whether an exposure was imported from Tableau or declared in the project's YAML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExposureOrigin {
    /// Imported from Tableau by autoexpose.
    Auto,
    /// Declared by hand in the dbt project.
    Manual,
}

/// Whether a dashboard's data is copied into an extract or read live from the warehouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Connection {
    /// An extract: the dashboard shows the last refresh until the next one fails.
    Extract,
    /// A live connection: the dashboard fails as soon as the change is deployed.
    Live,
}

/// One exposure impact may find downstream of a change, with what the report shows of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExposureUnderTest {
    /// The exposure name.
    pub name: String,
    /// Its label (the workbook name).
    pub label: Option<String>,
    /// Auto or manual; `None` is read as auto.
    pub origin: Option<ExposureOrigin>,
    /// Its owner.
    pub owner: Option<Owner>,
    /// The Tableau project holding the workbook.
    pub project: Option<String>,
    /// Where a person opens it.
    pub url: Option<String>,
    /// Extract or live, where known.
    pub connection: Option<Connection>,
    /// Hits in the last month, where known.
    pub hits_last_month: Option<u64>,
    /// Its data health now (`Healthy`, `Caution`, `Degraded`, `Unknown`), where known.
    pub health: Option<String>,
    /// The dbt nodes it reads.
    pub depends_on: Vec<String>,
    /// The columns it reads of those nodes; empty when the BI tool did not say.
    pub referenced_columns: Vec<ReferencedColumn>,
}

/// For every changed node, the nodes downstream of it (itself excluded), by `child_map`.
pub(crate) fn descendants<'a>(
    changes: &'a [NodeChange],
    child_map: &HashMap<String, Vec<String>>,
) -> BTreeMap<&'a str, BTreeSet<String>> {
    let mut below = BTreeMap::new();
    for change in changes {
        let start = change.unique_id.as_str();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut queue: VecDeque<&str> = VecDeque::from([start]);
        while let Some(node) = queue.pop_front() {
            for child in child_map.get(node).into_iter().flatten() {
                if child != start && seen.insert(child.clone()) {
                    queue.push_back(child);
                }
            }
        }
        below.insert(start, seen);
    }
    below
}
