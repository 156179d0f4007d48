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
//!     referenced_columns: vec![], missing_columns: vec![],
//!     usage: None,
//!     maturity: None,
//!     stale: false,
//! };
//! let out = inject_exposures(manifest, &[exposure], &InjectOptions::default()).unwrap();
//! let read = Manifest::from_slice(&out).unwrap();
//! assert_eq!(read.exposures[0].unique_id, "exposure.shop.sales");
//! ```

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use autoexpose_domain::{Exposure, Manifest, ManifestError, RelationKind};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::{RawValue, to_raw_value};
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
/// It accepts every manifest [`Manifest::from_slice`] reads, and writes back the text of
/// everything it does not change as it was, byte for byte: the top-level blocks other than
/// `exposures`, `parent_map` and `child_map`, and the entries of those three it does not
/// touch. So a number no `f64` holds (`1e400`), which the reader skips, survives.
pub fn inject_exposures(
    manifest_json: &[u8],
    exposures: &[Exposure],
    options: &InjectOptions,
) -> Result<Vec<u8>, InjectError> {
    let manifest = Manifest::from_slice(manifest_json)?;
    let root = manifest
        .metadata
        .project_name
        .clone()
        .ok_or(InjectError::NoRootProject)?;
    // The reader took the bytes as UTF-8 JSON, so this cannot fail.
    let text = std::str::from_utf8(manifest_json).map_err(|e| ManifestError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    let mut top = Entries::parse(text).ok_or(InjectError::NotAnObject("manifest"))?;
    let shape = NodeShape::of(&manifest, &top);
    let planned = plan(exposures, &manifest, &options.render, shape.target);
    let mut nodes = top.map_at("exposures")?.unwrap_or_default();
    let mut parent_map = top.map_at("parent_map")?;
    let mut child_map = top.map_at("child_map")?;
    for p in &planned {
        let unique_id = format!("exposure.{root}.{}", p.exposure.name);
        let node = exposure_node(p, &root, &unique_id, &shape, options);
        let parents: Vec<String> = p.depends_on.iter().map(|r| r.unique_id.clone()).collect();
        nodes.set(&unique_id, raw(&node));
        link(parent_map.as_mut(), child_map.as_mut(), &unique_id, parents);
    }
    top.set("exposures", raw_text(nodes.to_json()));
    if let Some(map) = parent_map {
        top.set("parent_map", raw_text(map.to_json()));
    }
    if let Some(map) = child_map {
        top.set("child_map", raw_text(map.to_json()));
    }
    Ok(top.to_json().into_bytes())
}

/// A JSON object's entries in the order written, each value's text kept as it was unless
/// replaced.
#[derive(Default)]
struct Entries<'a> {
    entries: Vec<(Cow<'a, str>, Cow<'a, RawValue>)>,
    /// Where each key is in `entries` (the last, if a key is written twice: JSON's rule).
    index: HashMap<String, usize>,
}

impl<'a> Entries<'a> {
    /// The entries of the object `json`, or `None` when it is not an object.
    fn parse(json: &'a str) -> Option<Entries<'a>> {
        let ObjectEntries(entries) = serde_json::from_str(json).ok()?;
        let mut index = HashMap::with_capacity(entries.len());
        for (i, (key, _)) in entries.iter().enumerate() {
            index.insert(key.to_string(), i);
        }
        Some(Entries { entries, index })
    }

    fn get(&self, key: &str) -> Option<&RawValue> {
        self.index.get(key).map(|&i| &*self.entries[i].1)
    }

    /// Replaces the value under `key`, where it is, or adds it at the end.
    fn set(&mut self, key: &str, value: Box<RawValue>) {
        match self.index.get(key) {
            Some(&i) => self.entries[i].1 = Cow::Owned(value),
            None => {
                self.index.insert(key.to_string(), self.entries.len());
                self.entries
                    .push((Cow::Owned(key.to_string()), Cow::Owned(value)));
            }
        }
    }

    /// The object under `key` as it was read: `None` when it is missing or null.
    fn map_at(&self, key: &'static str) -> Result<Option<Entries<'a>>, InjectError> {
        // Borrowed from the manifest's text, so the entries outlive these; a value set
        // since was written by autoexpose and is not read again.
        let text: &'a str = match self.index.get(key).map(|&i| &self.entries[i].1) {
            None => return Ok(None),
            Some(Cow::Borrowed(value)) => value.get(),
            Some(Cow::Owned(_)) => return Err(InjectError::NotAnObject(key)),
        };
        if text == "null" {
            return Ok(None);
        }
        Entries::parse(text)
            .map(Some)
            .ok_or(InjectError::NotAnObject(key))
    }

    /// The strings of the list under `key` (other items, and other values, give none).
    fn strings_at(&self, key: &str) -> Vec<String> {
        let Some(value) = self.get(key) else {
            return Vec::new();
        };
        let items: Vec<&RawValue> = serde_json::from_str(value.get()).unwrap_or_default();
        items
            .into_iter()
            .filter_map(|item| serde_json::from_str::<String>(item.get()).ok())
            .collect()
    }

    /// The object's text: keys re-encoded, values as they were written.
    fn to_json(&self) -> String {
        let mut out = String::from("{");
        for (i, (key, value)) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&Value::from(key.as_ref()).to_string());
            out.push(':');
            out.push_str(value.get());
        }
        out.push('}');
        out
    }
}

/// A JSON object read as its entries in order, each value's text borrowed unparsed.
struct ObjectEntries<'a>(Vec<(Cow<'a, str>, Cow<'a, RawValue>)>);

impl<'de> Deserialize<'de> for ObjectEntries<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = ObjectEntries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    let value: &'de RawValue = map.next_value()?;
                    entries.push((key.0, Cow::Borrowed(value)));
                }
                Ok(ObjectEntries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

/// A key borrowed from the text when it holds no escapes.
#[derive(Deserialize)]
#[serde(transparent)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

/// A value autoexpose built, as JSON text.
fn raw(value: &impl Serialize) -> Box<RawValue> {
    // Serializing a Value or a list of strings cannot fail.
    to_raw_value(value).unwrap_or_else(|_| raw_text("null".into()))
}

/// JSON text autoexpose wrote itself, as a raw value.
fn raw_text(json: String) -> Box<RawValue> {
    // The text comes from `to_json` or a serializer, so it is JSON.
    RawValue::from_string(json).unwrap_or_else(|_| raw(&Value::Null))
}

/// What differs between dbt versions in an exposure node.
struct NodeShape {
    target: DbtTarget,
    schema_version: u32,
    /// `root_path` of the other nodes (manifest v7 only).
    root_path: Option<Value>,
}

impl NodeShape {
    fn of(manifest: &Manifest, top: &Entries<'_>) -> NodeShape {
        let root_path = (manifest.metadata.schema_version <= 7)
            .then(|| first_root_path(top.get("nodes")?))
            .flatten();
        NodeShape {
            target: DbtTarget::of(manifest.metadata.dbt_minor_version()),
            schema_version: manifest.metadata.schema_version,
            root_path,
        }
    }
}

/// The `root_path` of the first node that has one (in manifest v7, all share it).
fn first_root_path(nodes: &RawValue) -> Option<Value> {
    #[derive(Deserialize)]
    struct WithRootPath<'a> {
        #[serde(borrow, default)]
        root_path: Option<&'a RawValue>,
    }
    let ObjectEntries(entries) = serde_json::from_str(nodes.get()).ok()?;
    entries.iter().find_map(|(_, node)| {
        let node: WithRootPath<'_> = serde_json::from_str(node.get()).ok()?;
        serde_json::from_str(node.root_path?.get()).ok()
    })
}

fn exposure_node(
    p: &PlannedExposure<'_>,
    root: &str,
    unique_id: &str,
    shape: &NodeShape,
    options: &InjectOptions,
) -> Value {
    let e = p.exposure;
    let mut meta: Map<String, Value> = p
        .meta
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    // `depends_on` stays node-level; the columns go where the YAML puts them.
    crate::dbt_yaml::add_column_meta(&mut meta, p, Some(root));
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
        "maturity": e.maturity.map(|m| m.as_str()),
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

/// Sets `parent_map[exposure]` and adds the exposure to each parent's `child_map` entry,
/// after removing the edges of an exposure it replaces. A map dbt left null stays null.
fn link(
    parent_map: Option<&mut Entries<'_>>,
    child_map: Option<&mut Entries<'_>>,
    exposure: &str,
    parents: Vec<String>,
) {
    let mut old_parents = Vec::new();
    if let Some(parent_map) = parent_map {
        old_parents = parent_map.strings_at(exposure);
        let mut sorted = parents.clone();
        sorted.sort();
        sorted.dedup();
        parent_map.set(exposure, raw(&sorted));
    }
    let Some(child_map) = child_map else {
        return;
    };
    for parent in &old_parents {
        if child_map.get(parent).is_some() {
            let mut children = child_map.strings_at(parent);
            children.retain(|c| c != exposure);
            child_map.set(parent, raw(&children));
        }
    }
    for parent in &parents {
        let mut children = child_map.strings_at(parent);
        children.push(exposure.to_string());
        children.sort();
        children.dedup();
        child_map.set(parent, raw(&children));
    }
    if child_map.get(exposure).is_none() {
        child_map.set(exposure, raw(&Vec::<String>::new()));
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
