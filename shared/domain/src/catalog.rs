//! dbt's `catalog.json` (written by `dbt docs generate`): the columns each model, seed,
//! snapshot and source actually has in the warehouse, with their types.
//!
//! The manifest only knows the columns someone documented; the catalog knows them all.
//! Column matching ([`crate::column_match`]) reads both when the catalog is given.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use crate::columns::DbtColumn;
use crate::printable::printable;

/// The columns of each node in a `catalog.json`, by dbt unique id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    columns: HashMap<String, Vec<DbtColumn>>,
}

/// A `catalog.json` that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// The bytes are not JSON in the shape of a catalog.
    #[error(
        "the catalog is not a dbt catalog.json ({0}); give the file `dbt docs generate` wrote, or none"
    )]
    Shape(String),
    /// Another dbt artifact was given.
    #[error("this is dbt's {0} artifact, not a catalog.json")]
    WrongArtifact(String),
}

#[derive(Deserialize)]
struct RawCatalog {
    #[serde(default)]
    metadata: Option<RawMetadata>,
    #[serde(default)]
    nodes: Option<BTreeMap<String, RawEntry>>,
    #[serde(default)]
    sources: Option<BTreeMap<String, RawEntry>>,
}

#[derive(Deserialize)]
struct RawMetadata {
    #[serde(default)]
    dbt_schema_version: Option<String>,
}

#[derive(Deserialize)]
struct RawEntry {
    #[serde(default)]
    columns: Option<BTreeMap<String, RawColumn>>,
}

#[derive(Deserialize)]
struct RawColumn {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "type")]
    data_type: Option<String>,
    #[serde(default)]
    index: Option<i64>,
}

impl Catalog {
    /// Reads a `catalog.json`. A file of another dbt artifact is refused by name.
    pub fn from_slice(bytes: &[u8]) -> Result<Catalog, CatalogError> {
        let raw: RawCatalog = serde_json::from_slice(bytes)
            .map_err(|e| CatalogError::Shape(printable(&e.to_string())))?;
        if let Some(version) = raw.metadata.and_then(|m| m.dbt_schema_version) {
            let kind = artifact_kind(&version);
            if kind != "catalog" {
                return Err(CatalogError::WrongArtifact(printable(&kind)));
            }
        }
        let mut columns = HashMap::new();
        let entries = raw.nodes.into_iter().chain(raw.sources).flatten();
        for (unique_id, entry) in entries {
            let mut listed: Vec<(i64, DbtColumn)> = entry
                .columns
                .unwrap_or_default()
                .into_iter()
                .map(|(key, column)| {
                    let name = column.name.unwrap_or(key);
                    let data_type = column.data_type.filter(|t| !t.trim().is_empty());
                    (
                        column.index.unwrap_or(i64::MAX),
                        DbtColumn { name, data_type },
                    )
                })
                .collect();
            listed.sort_by(|a, b| (a.0, &a.1.name).cmp(&(b.0, &b.1.name)));
            columns.insert(unique_id, listed.into_iter().map(|(_, c)| c).collect());
        }
        Ok(Catalog { columns })
    }

    /// The columns of one node, in the warehouse's order; `None` when the catalog does not
    /// hold the node.
    pub fn columns(&self, unique_id: &str) -> Option<&[DbtColumn]> {
        self.columns.get(unique_id).map(Vec::as_slice)
    }

    /// How many nodes it describes.
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    /// Whether it describes no node.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }
}

/// `catalog` of `https://schemas.getdbt.com/dbt/catalog/v1.json`.
fn artifact_kind(schema_url: &str) -> String {
    let parts: Vec<&str> = schema_url.rsplit('/').collect();
    parts.get(1).copied().unwrap_or(schema_url).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_read_per_node_in_warehouse_order() {
        let catalog = Catalog::from_slice(
            br#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/catalog/v1.json"},
            "nodes": {"model.shop.orders": {"columns": {
                "STATUS": {"type": "TEXT", "index": 2, "name": "STATUS"},
                "ID": {"type": "NUMBER", "index": 1, "name": "ID"}}}},
            "sources": {"source.shop.raw.payments": {"columns": {"amount": {"type": "numeric", "index": 1}}}},
            "errors": null}"#,
        )
        .expect("reads");
        let orders = catalog.columns("model.shop.orders").expect("listed");
        assert_eq!(orders[0].name, "ID");
        assert_eq!(orders[1].data_type.as_deref(), Some("TEXT"));
        let payments = catalog.columns("source.shop.raw.payments").expect("listed");
        assert_eq!(payments[0].name, "amount");
        assert_eq!(catalog.columns("model.shop.other"), None);
    }

    #[test]
    fn another_artifact_is_refused_by_name() {
        let err = Catalog::from_slice(
            br#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"}, "nodes": {}}"#,
        )
        .expect_err("a manifest is no catalog");
        assert!(err.to_string().contains("manifest"), "{err}");
        let err = Catalog::from_slice(b"[1, 2]").expect_err("not a catalog");
        assert!(err.to_string().contains("catalog.json"), "{err}");
    }
}
