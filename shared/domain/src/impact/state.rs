//! What `impact` reads of a `manifest.json` (and, when given, a `catalog.json`): the fields
//! dbt's `state:modified` compares, which the matcher's reader ([`crate::Manifest`]) does not
//! keep, and `child_map`.
//!
//! It is a separate reader so the matcher's hot path stays as small as it is: impact runs
//! once per pull request, on two manifests, and may afford the checksums, configs and
//! documented columns of every node.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Deserializer};

use crate::error::ManifestError;
use crate::printable::printable;
use crate::workbook::Owner;

/// The resource types whose changes impact reports: the nodes that are, or build, a
/// relation in the warehouse.
const COMPARED_TYPES: [&str; 4] = ["model", "seed", "snapshot", "source"];

/// Config keys dbt's `state:modified.configs` leaves out (`CompareBehavior.Exclude` in
/// dbt-core's `NodeConfig`): the relation's parts are compared apart, as a rename, and
/// tags and groups do not change what is built.
const CONFIG_KEYS_NOT_COMPARED: [&str; 5] = ["database", "schema", "alias", "tags", "group"];

/// One documented column of a node (manifest `columns`, or the catalog's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnState {
    /// The column's name as dbt (or the warehouse) spells it.
    pub name: String,
    /// Its data type, where known.
    pub data_type: Option<String>,
}

/// The parts of one node that decide whether it changed.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeState {
    /// dbt's unique id.
    pub unique_id: String,
    /// `model`, `seed`, `snapshot` or `source`.
    pub resource_type: String,
    /// Rendered database, where the adapter has one.
    pub database: Option<String>,
    /// Rendered schema.
    pub schema: Option<String>,
    /// A model's alias, a source's identifier.
    pub identifier: String,
    /// dbt's checksum of the body (the SQL, or a seed's file).
    pub checksum: Option<String>,
    /// The config as written, before rendering: what `state:modified.configs` compares.
    pub unrendered_config: BTreeMap<String, serde_json::Value>,
    /// The rendered config, compared where a node has no unrendered one (sources).
    pub config: BTreeMap<String, serde_json::Value>,
    /// Whether a contract is enforced, and its checksum.
    pub contract: (bool, Option<String>),
    /// Documented columns, by lower-cased name.
    pub columns: BTreeMap<String, ColumnState>,
}

impl NodeState {
    /// `database.schema.identifier` (or `schema.identifier`) as dbt would show it.
    pub fn relation(&self) -> String {
        let mut parts: Vec<&str> = Vec::new();
        parts.extend(self.database.as_deref());
        parts.extend(self.schema.as_deref());
        parts.push(&self.identifier);
        parts.join(".")
    }

    /// The configs `state:modified.configs` compares: the unrendered config without the
    /// keys dbt excludes; the rendered one for nodes dbt gives no unrendered config.
    pub(crate) fn compared_config(&self) -> BTreeMap<&str, &serde_json::Value> {
        let source = if self.unrendered_config.is_empty() {
            &self.config
        } else {
            &self.unrendered_config
        };
        source
            .iter()
            .filter(|(key, _)| !CONFIG_KEYS_NOT_COMPARED.contains(&key.as_str()))
            .map(|(key, value)| (key.as_str(), value))
            .collect()
    }
}

/// An exposure the dbt project declares in YAML, as impact reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeclaredExposure {
    /// The exposure name.
    pub name: String,
    /// Its label, when it has one.
    pub label: Option<String>,
    /// Its owner.
    pub owner: Option<Owner>,
    /// Its URL.
    pub url: Option<String>,
    /// The nodes it depends on.
    pub depends_on: Vec<String>,
}

/// One dbt project's state as impact compares it: its relation nodes, the graph below
/// them, and its declared exposures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectState {
    /// Models, seeds, snapshots and sources by unique id.
    pub nodes: BTreeMap<String, NodeState>,
    /// dbt's `child_map`: every node's direct children.
    pub child_map: HashMap<String, Vec<String>>,
    /// Exposures declared in the project's YAML.
    pub exposures: Vec<DeclaredExposure>,
}

impl ProjectState {
    /// Reads a whole `manifest.json`; fails with a [`ManifestError`] naming what is wrong.
    pub fn from_manifest(bytes: &[u8]) -> Result<ProjectState, ManifestError> {
        let raw: RawManifest =
            serde_json::from_str(json_text(bytes)?).map_err(ManifestError::from_json)?;
        let Some(nodes) = raw.nodes else {
            return Err(ManifestError::MissingField("nodes"));
        };
        let mut state = ProjectState {
            child_map: raw.child_map,
            ..ProjectState::default()
        };
        for (unique_id, node) in nodes.into_iter().chain(raw.sources) {
            if COMPARED_TYPES.contains(&node.resource_type.as_str()) {
                state
                    .nodes
                    .insert(unique_id.clone(), node.into_state(unique_id));
            }
        }
        let mut exposures: Vec<DeclaredExposure> = raw
            .exposures
            .into_values()
            .map(RawExposure::declared)
            .collect();
        exposures.sort_by(|a, b| a.name.cmp(&b.name));
        state.exposures = exposures;
        Ok(state)
    }

    /// Replaces each node's documented columns with the warehouse's, from a `catalog.json`
    /// of the same run, for the nodes the catalog has.
    pub fn use_catalog_columns(&mut self, catalog: &Catalog) {
        for (unique_id, columns) in &catalog.columns {
            if let Some(node) = self.nodes.get_mut(unique_id) {
                node.columns = columns.clone();
            }
        }
    }
}

/// The columns of a `catalog.json` (`dbt docs generate`): what the warehouse holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    /// Columns by node unique id, each by lower-cased name.
    pub columns: BTreeMap<String, BTreeMap<String, ColumnState>>,
}

impl Catalog {
    /// Reads a whole `catalog.json`; fails with a [`CatalogError`] saying what is wrong.
    pub fn from_slice(bytes: &[u8]) -> Result<Catalog, CatalogError> {
        let text = std::str::from_utf8(bytes).map_err(|e| {
            CatalogError(format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.valid_up_to()
            ))
        })?;
        let raw: RawCatalog =
            serde_json::from_str(text).map_err(|e| CatalogError(printable(&e.to_string())))?;
        let Some(nodes) = raw.nodes else {
            return Err(CatalogError(
                "it has no `nodes`: is this the catalog.json of `dbt docs generate`?".into(),
            ));
        };
        let mut catalog = Catalog::default();
        for (unique_id, table) in nodes.into_iter().chain(raw.sources) {
            let mut columns = BTreeMap::new();
            for (key, column) in table.columns {
                let name = column.name.unwrap_or(key);
                let state = ColumnState {
                    data_type: column.data_type.filter(|t| !t.trim().is_empty()),
                    name: name.clone(),
                };
                columns.insert(name.to_lowercase(), state);
            }
            catalog.columns.insert(unique_id, columns);
        }
        Ok(catalog)
    }
}

/// A `catalog.json` that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the catalog cannot be read: {0}")]
pub struct CatalogError(String);

/// The text of a manifest: UTF-8 and not blank.
fn json_text(bytes: &[u8]) -> Result<&str, ManifestError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ManifestError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    if text.trim().is_empty() {
        return Err(ManifestError::Empty);
    }
    Ok(text)
}

/// `null` read as the type's default: dbt writes `null` for many empty blocks.
fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[derive(Deserialize)]
struct RawManifest {
    #[serde(default)]
    nodes: Option<HashMap<String, RawNode>>,
    #[serde(default, deserialize_with = "null_default")]
    sources: HashMap<String, RawNode>,
    #[serde(default, deserialize_with = "null_default")]
    exposures: HashMap<String, RawExposure>,
    #[serde(default, deserialize_with = "null_default")]
    child_map: HashMap<String, Vec<String>>,
}

#[derive(Deserialize)]
struct RawNode {
    #[serde(default)]
    resource_type: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    database: Option<String>,
    #[serde(default)]
    schema: Option<String>,
    #[serde(default)]
    alias: Option<String>,
    #[serde(default)]
    identifier: Option<String>,
    #[serde(default)]
    checksum: Option<RawChecksum>,
    #[serde(default, deserialize_with = "null_default")]
    unrendered_config: BTreeMap<String, serde_json::Value>,
    #[serde(default, deserialize_with = "null_default")]
    config: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    contract: Option<RawContract>,
    #[serde(default, deserialize_with = "null_default")]
    columns: BTreeMap<String, RawColumn>,
}

#[derive(Deserialize)]
struct RawChecksum {
    #[serde(default)]
    checksum: Option<String>,
}

#[derive(Deserialize)]
struct RawContract {
    #[serde(default)]
    enforced: Option<bool>,
    #[serde(default)]
    checksum: Option<String>,
}

#[derive(Deserialize)]
struct RawColumn {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, alias = "type")]
    data_type: Option<String>,
}

impl RawNode {
    fn into_state(self, unique_id: String) -> NodeState {
        let identifier = self
            .alias
            .or(self.identifier)
            .unwrap_or_else(|| self.name.clone());
        let mut columns = BTreeMap::new();
        for (key, column) in self.columns {
            let name = column.name.unwrap_or(key);
            let state = ColumnState {
                data_type: column.data_type.filter(|t| !t.trim().is_empty()),
                name: name.clone(),
            };
            columns.insert(name.to_lowercase(), state);
        }
        let contract = self
            .contract
            .map_or((false, None), |c| (c.enforced.unwrap_or(false), c.checksum));
        NodeState {
            unique_id,
            resource_type: self.resource_type,
            database: self.database,
            schema: self.schema,
            identifier,
            checksum: self.checksum.and_then(|c| c.checksum),
            unrendered_config: self.unrendered_config,
            config: self.config,
            contract,
            columns,
        }
    }
}

#[derive(Deserialize)]
struct RawExposure {
    #[serde(default)]
    name: String,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    owner: Option<RawOwner>,
    #[serde(default)]
    depends_on: Option<RawDependsOn>,
}

#[derive(Deserialize)]
struct RawOwner {
    #[serde(default)]
    name: Option<String>,
    /// One address, or (dbt 1.10 and later) a list of them.
    #[serde(default)]
    email: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawDependsOn {
    #[serde(default, deserialize_with = "null_default")]
    nodes: Vec<String>,
}

impl RawExposure {
    fn declared(self) -> DeclaredExposure {
        let owner = self.owner.map(|o| Owner {
            name: o.name,
            email: match o.email {
                Some(serde_json::Value::String(one)) => Some(one),
                Some(serde_json::Value::Array(list)) => {
                    list.first().and_then(|v| v.as_str()).map(str::to_string)
                }
                _ => None,
            },
        });
        let mut depends_on = self.depends_on.map(|d| d.nodes).unwrap_or_default();
        depends_on.sort();
        depends_on.dedup();
        DeclaredExposure {
            name: self.name,
            label: self.label,
            owner,
            url: self.url,
            depends_on,
        }
    }
}

#[derive(Deserialize)]
struct RawCatalog {
    #[serde(default)]
    nodes: Option<HashMap<String, RawCatalogTable>>,
    #[serde(default, deserialize_with = "null_default")]
    sources: HashMap<String, RawCatalogTable>,
}

#[derive(Deserialize)]
struct RawCatalogTable {
    #[serde(default, deserialize_with = "null_default")]
    columns: BTreeMap<String, RawColumn>,
}
