//! Auto exposures added to a copy of dbt's `manifest.json`, shaped exactly as dbt itself
//! writes the exposures of the generated YAML, so that `dbt docs serve` on the copy shows
//! them in the lineage without a `dbt parse`.
//!
//! ```
//! use autoexpose_domain::{Exposure, Manifest};
//! use autoexpose_output::{InjectOptions, inject_exposures};
//!
//! let manifest = br#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
//!     "dbt_version": "1.11.2", "project_name": "shop"},
//!   "nodes": {"model.shop.orders": {"resource_type": "model", "name": "orders", "alias": "orders",
//!     "database": "db", "schema": "s", "package_name": "shop"}},
//!   "sources": {}, "exposures": {}, "parent_map": {"model.shop.orders": []},
//!   "child_map": {"model.shop.orders": []}}"#;
//! let exposure = Exposure {
//!     name: "sales".into(), label: "Sales".into(), exposure_type: "dashboard".into(),
//!     url: None, owner: None, description: None, depends_on: vec!["model.shop.orders".into()],
//!     workbook_luid: "wb-1".into(), project: "Finance".into(), project_luid: None,
//!     unmatched_tables: vec![],
//!     unparsed_custom_sql: vec![],
//! };
//! let out = inject_exposures(manifest, &[exposure], &InjectOptions::default()).unwrap();
//! let read = Manifest::from_slice(&out).unwrap();
//! assert_eq!(read.exposures[0].unique_id, "exposure.shop.sales");
//! ```

use autoexpose_domain::{Exposure, Manifest, ManifestError, RelationKind};
use serde_json::{Map, Value, json};
use thiserror::Error;

use crate::dbt_yaml::{EXPOSURES_FILE, EXPOSURES_FOLDER};
use crate::plan::{DbtTarget, PlannedExposure, YamlOptions, plan};

/// How the injected exposures are described.
#[derive(Debug, Clone)]
pub struct InjectOptions {
    /// Site, fallback owner and extra `meta`, as for the YAML. Its `dbt_version` is ignored:
    /// the nodes take the shape that the manifest's own dbt version writes.
    pub render: YamlOptions,
    /// `created_at` of the nodes, seconds since the Unix epoch (dbt writes the parse time).
    pub created_at: f64,
    /// The dbt project's model path that holds [`EXPOSURES_FILE`], for `original_file_path`.
    pub model_path: String,
}

impl Default for InjectOptions {
    fn default() -> Self {
        InjectOptions {
            render: YamlOptions::default(),
            created_at: 0.0,
            model_path: "models".to_string(),
        }
    }
}

/// Why a manifest could not take the exposures.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum InjectError {
    /// The manifest itself cannot be read.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The exposures' unique ids need the root project, which the manifest does not name.
    #[error(
        "the manifest names no root project (no metadata.project_name, and no package matches \
         metadata.project_id), so the exposures' unique ids cannot be formed"
    )]
    NoRootProject,
    /// A top-level block has an unexpected type.
    #[error("the manifest's `{0}` is not a JSON object")]
    NotAnObject(&'static str),
}

/// Returns `manifest_json` with `exposures` added as `exposure.<root project>.<name>` nodes,
/// and `parent_map` / `child_map` updated (sorted). An exposure already there under the same
/// unique id is replaced, its old edges removed; every other exposure is left as it is.
///
/// The whole manifest is held as a `serde_json::Value`, unlike [`Manifest::from_slice`]:
/// this is an output step that must write back every field it does not understand. The
/// bytes are parsed once ([`Manifest::with_tree`]).
pub fn inject_exposures(
    manifest_json: &[u8],
    exposures: &[Exposure],
    options: &InjectOptions,
) -> Result<Vec<u8>, InjectError> {
    let (manifest, mut doc) = Manifest::with_tree(manifest_json)?;
    let root = manifest
        .metadata
        .project_name
        .clone()
        .ok_or(InjectError::NoRootProject)?;
    let shape = NodeShape::of(&manifest, &doc);
    let planned = plan(exposures, &manifest, &options.render, shape.target);
    let top = doc
        .as_object_mut()
        .ok_or(InjectError::NotAnObject("manifest"))?;
    for p in &planned {
        let unique_id = format!("exposure.{root}.{}", p.exposure.name);
        let node = exposure_node(p, &root, &unique_id, &shape, options);
        let parents: Vec<String> = p.depends_on.iter().map(|r| r.unique_id.clone()).collect();
        object_at(top, "exposures")?.insert(unique_id.clone(), node);
        link(top, &unique_id, parents)?;
    }
    // Serializing a Value that was just parsed cannot fail.
    Ok(serde_json::to_vec(&doc).unwrap_or_default())
}

/// What differs between dbt versions in an exposure node.
struct NodeShape {
    target: DbtTarget,
    schema_version: u32,
    /// `root_path` of the other nodes (manifest v7 only).
    root_path: Option<Value>,
}

impl NodeShape {
    fn of(manifest: &Manifest, doc: &Value) -> NodeShape {
        let root_path = (manifest.metadata.schema_version <= 7)
            .then(|| {
                let nodes = doc.get("nodes")?.as_object()?;
                nodes.values().find_map(|n| n.get("root_path").cloned())
            })
            .flatten();
        NodeShape {
            target: DbtTarget::of(manifest.metadata.dbt_minor_version()),
            schema_version: manifest.metadata.schema_version,
            root_path,
        }
    }
}

fn exposure_node(
    p: &PlannedExposure<'_>,
    root: &str,
    unique_id: &str,
    shape: &NodeShape,
    options: &InjectOptions,
) -> Value {
    let e = p.exposure;
    let meta: Map<String, Value> = p
        .meta
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let mut config = json!({"enabled": true});
    let mut unrendered = json!({});
    if shape.target.meta_in_config {
        config["tags"] = json!([]);
        config["meta"] = Value::Object(meta.clone());
        unrendered["meta"] = Value::Object(meta.clone());
    }
    let mut refs = Vec::new();
    let mut sources = Vec::new();
    for relation in &p.depends_on {
        if relation.kind == RelationKind::Source {
            let source_name = relation.source_name.clone().unwrap_or_default();
            sources.push(json!([source_name, relation.name]));
            continue;
        }
        let package = (relation.package != root).then(|| relation.package.clone());
        let version = relation.version.as_deref().map(version_value);
        refs.push(if shape.schema_version >= 9 {
            json!({"name": relation.name, "package": package, "version": version})
        } else {
            match package {
                Some(package) => json!([package, relation.name]),
                None => json!([relation.name]),
            }
        });
    }
    let nodes: Vec<&str> = p.depends_on.iter().map(|r| r.unique_id.as_str()).collect();
    let model_path = options.model_path.trim_end_matches('/');
    let mut node = json!({
        "name": e.name,
        "resource_type": "exposure",
        "package_name": root,
        "path": EXPOSURES_FILE,
        "original_file_path": format!("{model_path}/{EXPOSURES_FILE}"),
        "unique_id": unique_id,
        "fqn": [root, EXPOSURES_FOLDER, e.name],
        "type": e.exposure_type,
        "owner": {"email": p.owner_email, "name": p.owner_name},
        "description": e.description.clone().unwrap_or_default(),
        "label": (!e.label.is_empty()).then_some(&e.label),
        "maturity": null,
        "meta": meta,
        "tags": [],
        "config": config,
        "unrendered_config": unrendered,
        "url": e.url.as_deref().filter(|u| !u.is_empty()),
        "depends_on": {"macros": [], "nodes": nodes},
        "refs": refs,
        "sources": sources,
        "created_at": options.created_at,
    });
    if shape.schema_version >= 8 {
        node["metrics"] = json!([]);
    }
    if let Some(root_path) = &shape.root_path {
        node["root_path"] = root_path.clone();
    }
    node
}

/// A model version as dbt stores the `v=` argument: a number when it is one.
fn version_value(version: &str) -> Value {
    if let Ok(n) = version.parse::<i64>() {
        return json!(n);
    }
    match version.parse::<f64>() {
        Ok(f) => json!(f),
        Err(_) => json!(version),
    }
}

/// The object under `key`, created when missing or null.
fn object_at<'a>(
    top: &'a mut Map<String, Value>,
    key: &'static str,
) -> Result<&'a mut Map<String, Value>, InjectError> {
    let slot = top.entry(key).or_insert_with(|| json!({}));
    if slot.is_null() {
        *slot = json!({});
    }
    slot.as_object_mut().ok_or(InjectError::NotAnObject(key))
}

/// Sets `parent_map[exposure]` and adds the exposure to each parent's `child_map` entry,
/// after removing the edges of an exposure it replaces. A map dbt left null stays null.
fn link(
    top: &mut Map<String, Value>,
    exposure: &str,
    parents: Vec<String>,
) -> Result<(), InjectError> {
    let mut old_parents = Vec::new();
    if let Some(parent_map) = map_if_present(top, "parent_map")? {
        if let Some(Value::Array(old)) = parent_map.get(exposure) {
            old_parents = old
                .iter()
                .filter_map(|v| v.as_str())
                .map(String::from)
                .collect();
        }
        let mut sorted = parents.clone();
        sorted.sort();
        sorted.dedup();
        parent_map.insert(exposure.to_string(), json!(sorted));
    }
    if let Some(child_map) = map_if_present(top, "child_map")? {
        for parent in &old_parents {
            if let Some(Value::Array(children)) = child_map.get_mut(parent) {
                children.retain(|c| c.as_str() != Some(exposure));
            }
        }
        for parent in &parents {
            let slot = child_map.entry(parent.clone()).or_insert_with(|| json!([]));
            let mut children: Vec<String> = slot
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str())
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default();
            children.push(exposure.to_string());
            children.sort();
            children.dedup();
            *slot = json!(children);
        }
        child_map
            .entry(exposure.to_string())
            .or_insert_with(|| json!([]));
    }
    Ok(())
}

fn map_if_present<'a>(
    top: &'a mut Map<String, Value>,
    key: &'static str,
) -> Result<Option<&'a mut Map<String, Value>>, InjectError> {
    match top.get_mut(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(InjectError::NotAnObject(key)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_versions_become_numbers_like_dbt_writes_them() {
        assert_eq!(version_value("2"), json!(2));
        assert_eq!(version_value("1.5"), json!(1.5));
        assert_eq!(version_value("beta"), json!("beta"));
    }
}
