//! Reading dbt's `manifest.json` (schema v7..v12 and dbt Fusion's v20; newer ones are read
//! as v12, with a [`ManifestWarning`]): its relations, manual exposures, metadata and
//! `parent_map`, in one pass.
//!
//! The manifest can be hundreds of megabytes, almost all of it compiled SQL, columns and
//! docs. It is read with typed serde structs that name only the fields autoexpose needs;
//! everything else is skipped by the JSON parser without being allocated, and no tree of
//! the whole document is built (unless a writer asks for one, [`Manifest::with_tree`]).

use std::borrow::Cow;
use std::fmt;

use md5::Digest;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::columns::DocumentedColumns;
use crate::object::Object;

use crate::dag::{Dag, IdLists, TestTargets, is_lineage_node, is_test};
use crate::error::ManifestError;
use crate::printable::printable;
use crate::timestamp::canonical_generated_at;

mod stream;

/// The oldest manifest schema version autoexpose reads (dbt Core 1.3).
pub(crate) const OLDEST_SCHEMA_VERSION: u32 = 7;

/// The newest dbt Core manifest schema version autoexpose knows (dbt Core 1.8 to 1.11).
pub const NEWEST_SCHEMA_VERSION: u32 = 12;

/// The manifest schema version of dbt Fusion's early releases, known as well.
const FUSION_SCHEMA_VERSION: u32 = 20;

/// What kind of dbt node a relation comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationKind {
    /// A model (`ref('name')`).
    Model,
    /// A seed (`ref('name')`).
    Seed,
    /// A snapshot (`ref('name')`).
    Snapshot,
    /// A source table (`source('source_name', 'table')`).
    Source,
}

impl RelationKind {
    /// The kind a dbt unique id names by its first part (`model.shop.orders` is a model);
    /// `None` for tests, exposures, metrics and every other node that is no relation.
    pub fn of_unique_id(unique_id: &str) -> Option<RelationKind> {
        let (prefix, _) = unique_id.split_once('.')?;
        match prefix {
            "model" => Some(RelationKind::Model),
            "seed" => Some(RelationKind::Seed),
            "snapshot" => Some(RelationKind::Snapshot),
            "source" => Some(RelationKind::Source),
            _ => None,
        }
    }
}

/// A dbt node that exists as a table or view in the warehouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relation {
    /// dbt's unique id, e.g. `model.jaffle_shop.orders`.
    pub unique_id: String,
    /// Model, seed, snapshot or source.
    pub kind: RelationKind,
    /// The dbt package that defines it.
    pub package: String,
    /// The node name (for sources: the table name in the YAML, not the identifier).
    pub name: String,
    /// For sources: the source's name (`source('<this>', ...)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// For versioned models: the version (`ref('name', v=<this>)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Database (catalog, BigQuery project); `None` on two-part systems such as Spark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// Rendered schema.
    pub schema: String,
    /// The table or view name in the warehouse: a model's alias, a source's identifier.
    pub identifier: String,
    /// The columns documented for it in the project's YAML, in name order.
    #[serde(default, skip_serializing_if = "DocumentedColumns::is_empty")]
    pub columns: DocumentedColumns,
}

impl Relation {
    /// `database.schema.identifier` as dbt would show it (without quoting).
    pub fn display_fqn(&self) -> String {
        match &self.database {
            Some(db) => format!("{db}.{}.{}", self.schema, self.identifier),
            None => format!("{}.{}", self.schema, self.identifier),
        }
    }
}

/// The manifest's `metadata` block, the fields autoexpose uses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestMetadata {
    /// Schema version number from `dbt_schema_version` (7..12, 20 for early Fusion; a
    /// newer one is kept as written, see [`ManifestMetadata::newer_schema`]).
    pub schema_version: u32,
    /// `dbt_version`, e.g. `1.11.16` or `2.0.0-beta.46`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dbt_version: Option<String>,
    /// When dbt wrote the manifest: UTC, RFC 3339 with six digits of fraction as dbt Core writes it, so that
    /// string order is time order (see [`crate::timestamp`]). A manifest whose
    /// `generated_at` is there but no timestamp is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_at: Option<String>,
    /// The dbt invocation that wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_id: Option<String>,
    /// The adapter, e.g. `snowflake`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adapter_type: Option<String>,
    /// The root project's name (manifest v10 and later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_name: Option<String>,
}

impl ManifestMetadata {
    /// The schema version when it is newer than any autoexpose knows (over
    /// [`NEWEST_SCHEMA_VERSION`], and not Fusion's v20): such a manifest is read as the
    /// newest known, which a person should be told ([`Manifest::warnings`]).
    pub fn newer_schema(&self) -> Option<u32> {
        let version = self.schema_version;
        (version > NEWEST_SCHEMA_VERSION && version != FUSION_SCHEMA_VERSION).then_some(version)
    }

    /// `(major, minor)` of `dbt_version`, when it parses.
    pub fn dbt_minor_version(&self) -> Option<(u32, u32)> {
        parse_minor_version(self.dbt_version.as_deref()?)
    }
}

/// Parses `"1.10.3"` or `"2.0.0-beta.46"` into `(1, 10)` / `(2, 0)`.
pub fn parse_minor_version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.trim().split('.');
    let major = parts.next()?.parse().ok()?;
    let minor_text: String = parts
        .next()?
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    Some((major, minor_text.parse().ok()?))
}

/// Something about a manifest that autoexpose reads past but a person should know, with a
/// message ready for a log line or the CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestWarning {
    /// `dbt_schema_version` is newer than autoexpose knows; it is read as the newest known.
    NewerSchema {
        /// The schema version found, e.g. `13`.
        version: u32,
    },
}

impl fmt::Display for ManifestWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestWarning::NewerSchema { version } => write!(
                f,
                "manifest schema v{version} is newer than autoexpose knows \
                 (v{NEWEST_SCHEMA_VERSION}, and dbt Fusion's v{FUSION_SCHEMA_VERSION}); \
                 reading it as v{NEWEST_SCHEMA_VERSION}: fields dbt has renamed or moved \
                 since are missed, so upgrade autoexpose if matches look wrong"
            ),
        }
    }
}

/// An exposure declared by hand in the dbt project's YAML.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualExposure {
    /// dbt's unique id, e.g. `exposure.jaffle_shop.weekly_metrics`.
    pub unique_id: String,
    /// The exposure name.
    pub name: String,
    /// `dashboard`, `notebook`, `analysis`, `ml` or `application`.
    #[serde(rename = "type")]
    pub exposure_type: String,
    /// Owner name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_name: Option<String>,
    /// Owner email (the first, when dbt holds a list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_email: Option<String>,
    /// Nodes it depends on.
    #[serde(default)]
    pub depends_on: Vec<String>,
}

/// What autoexpose takes from a manifest: its metadata, relations, manual exposures and
/// graph (the DAG between relations and what each test tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The `metadata` block.
    pub metadata: ManifestMetadata,
    /// Every enabled model (not ephemeral), seed, snapshot and source.
    pub relations: Vec<Relation>,
    /// Exposures declared in the project's YAML.
    pub exposures: Vec<ManualExposure>,
    dag: Dag,
    test_targets: TestTargets,
}

impl Manifest {
    /// Parses a whole `manifest.json` held in memory.
    ///
    /// Fails with a [`ManifestError`] that says what is wrong: not UTF-8, not JSON,
    /// truncated, a missing `metadata`/`nodes` block, or a schema older than v7.
    pub fn from_slice(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let text = manifest_text(bytes)?;
        let Object(raw) = serde_json::from_str(text).map_err(ManifestError::from_json)?;
        Self::from_raw(raw)
    }

    /// Reads and parses a manifest from any reader (a file, a download), in memory that
    /// does not grow with the file: a buffer of a few MiB (or the largest single node,
    /// when one is larger) and what is kept of the manifest. It accepts and refuses what
    /// [`Manifest::from_slice`] does and gives the same result; a reader that fails is a
    /// [`ManifestError::Io`]. Give it the reader unbuffered: it reads in large chunks.
    pub fn from_reader(reader: impl std::io::Read) -> Result<Manifest, ManifestError> {
        stream::read(reader)
    }

    /// Parses a manifest into its whole JSON tree and reads the [`Manifest`] out of that
    /// tree, for writers that must give back every field they do not understand. The bytes
    /// are parsed once; the errors are those of [`Manifest::from_slice`], and one more: a
    /// number no `f64` holds (`1e400`), which `from_slice` skips, is refused here as not
    /// JSON. A writer that must accept whatever the reader accepts keeps the blocks it does
    /// not change as raw text instead, as `autoexpose-output`'s inject does.
    pub fn with_tree(bytes: &[u8]) -> Result<(Manifest, serde_json::Value), ManifestError> {
        let text = manifest_text(bytes)?;
        let tree: serde_json::Value =
            serde_json::from_str(text).map_err(ManifestError::from_json)?;
        let Object(raw) =
            Object::<RawManifest>::deserialize(&tree).map_err(ManifestError::from_json)?;
        let manifest = Self::from_raw(raw)?;
        Ok((manifest, tree))
    }

    /// What a person should know about this manifest although it was read: today only
    /// a schema newer than autoexpose knows ([`ManifestMetadata::newer_schema`]).
    pub fn warnings(&self) -> Vec<ManifestWarning> {
        let mut warnings = Vec::new();
        if let Some(version) = self.metadata.newer_schema() {
            warnings.push(ManifestWarning::NewerSchema { version });
        }
        warnings
    }

    /// The edges between the project's relations (`parent_map` without tests and
    /// exposures); empty when the manifest has no `parent_map`.
    pub fn dag(&self) -> &Dag {
        &self.dag
    }

    /// Which nodes each test tests (the tests' entries of `parent_map`).
    pub fn test_targets(&self) -> &TestTargets {
        &self.test_targets
    }

    /// The DAG and the test targets, for a caller that needs nothing else of the manifest
    /// (health, refresh decisions): moved out, not copied.
    pub fn into_graph(self) -> (Dag, TestTargets) {
        (self.dag, self.test_targets)
    }

    fn from_raw(raw: RawManifest<'_>) -> Result<Manifest, ManifestError> {
        Self::from_parts(Parts {
            metadata: Some(raw.metadata.map(|Object(m)| m)),
            nodes: Some(raw.nodes.map(|n| n.0)),
            sources: Some(raw.sources.map(|s| s.0)),
            exposures: Some(raw.exposures.map(|e| e.0)),
            parent_map: Some(raw.parent_map),
        })
    }

    /// The manifest from its blocks as read; `None` for a block not there, `Some(None)`
    /// for one that is `null`.
    fn from_parts(parts: Parts<'_>) -> Result<Manifest, ManifestError> {
        let metadata = parts
            .metadata
            .flatten()
            .ok_or(ManifestError::MissingField("metadata"))?;
        let schema_version = schema_version_of(metadata.dbt_schema_version.as_deref())?;
        let generated_at = metadata
            .generated_at
            .as_deref()
            .map(|text| {
                canonical_generated_at(text).ok_or_else(|| ManifestError::InvalidTimestamp {
                    field: "metadata.generated_at",
                    value: printable(text),
                })
            })
            .transpose()?;
        let mut relations = parts
            .nodes
            .flatten()
            .ok_or(ManifestError::MissingField("nodes"))?;
        relations.extend(parts.sources.flatten().unwrap_or_default());
        // Sorted so that everything downstream is deterministic whatever the key order.
        relations.sort_by(|a, b| a.unique_id.cmp(&b.unique_id));
        // Manifests before v10 have no project_name, but project_id is the md5 of it.
        let project_name = metadata.project_name.map(Cow::into_owned).or_else(|| {
            let id = metadata.project_id.as_deref()?;
            root_package_by_id(&relations, id)
        });
        let mut exposures = parts.exposures.flatten().unwrap_or_default();
        exposures.sort_by(|a, b| a.unique_id.cmp(&b.unique_id));
        let graph = parts.parent_map.flatten().unwrap_or_default();
        Ok(Manifest {
            metadata: ManifestMetadata {
                schema_version,
                dbt_version: metadata.dbt_version.map(Cow::into_owned),
                generated_at,
                invocation_id: metadata.invocation_id.map(Cow::into_owned),
                adapter_type: metadata.adapter_type.map(Cow::into_owned),
                project_name,
            },
            relations,
            exposures,
            dag: graph.dag,
            test_targets: graph.tests,
        })
    }
}

/// The manifest's text: UTF-8 and not blank.
fn manifest_text(bytes: &[u8]) -> Result<&str, ManifestError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ManifestError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    if text.trim().is_empty() {
        return Err(ManifestError::Empty);
    }
    Ok(text)
}

/// The package whose name hashes (md5, as dbt computes `project_id`) to `project_id`.
fn root_package_by_id(relations: &[Relation], project_id: &str) -> Option<String> {
    let mut packages: Vec<&str> = relations.iter().map(|r| r.package.as_str()).collect();
    packages.sort_unstable();
    packages.dedup();
    packages
        .into_iter()
        .find(|p| hex(&md5::Md5::digest(p.as_bytes())).eq_ignore_ascii_case(project_id))
        .map(str::to_string)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn schema_version_of(url: Option<&str>) -> Result<u32, ManifestError> {
    let url = url.ok_or(ManifestError::MissingField("metadata.dbt_schema_version"))?;
    // `https://schemas.getdbt.com/dbt/<artifact>/vN.json`
    let mut segments = url.trim_end_matches('/').rsplit('/');
    let kind = segments.nth(1).unwrap_or_default();
    if !kind.is_empty() && kind != "manifest" && !kind.contains(':') {
        return Err(ManifestError::WrongArtifact {
            kind: printable(kind),
        });
    }
    let version = url
        .trim_end_matches(".json")
        .rsplit('/')
        .next()
        .and_then(|last| last.strip_prefix('v'))
        .and_then(|n| n.parse::<u32>().ok())
        .ok_or_else(|| ManifestError::UnknownSchema(printable(url)))?;
    if version < OLDEST_SCHEMA_VERSION {
        return Err(ManifestError::TooOld { version });
    }
    Ok(version)
}

// ---- wire types: only the fields matching needs; serde skips the rest unallocated ----

#[derive(Deserialize)]
struct RawManifest<'a> {
    #[serde(borrow)]
    metadata: Option<Object<RawMetadata<'a>>>,
    nodes: Option<NodeRelations>,
    sources: Option<SourceRelations>,
    exposures: Option<ExposureList>,
    #[serde(default)]
    parent_map: Option<ParentMap>,
}

/// A manifest's blocks once read, whether from one slice or piece by piece: the outer
/// `Option` says whether the block was there, the inner one whether it was `null`.
#[derive(Default)]
struct Parts<'a> {
    metadata: Option<Option<RawMetadata<'a>>>,
    nodes: Option<Option<Vec<Relation>>>,
    sources: Option<Option<Vec<Relation>>>,
    exposures: Option<Option<Vec<ManualExposure>>>,
    parent_map: Option<Option<ParentMap>>,
}

#[derive(Deserialize)]
struct RawMetadata<'a> {
    #[serde(borrow, default)]
    dbt_schema_version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    dbt_version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    generated_at: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    invocation_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    adapter_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    project_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    project_id: Option<Cow<'a, str>>,
}

impl RawMetadata<'_> {
    /// The same metadata, no longer borrowing the input (which a reader drops).
    fn into_owned(self) -> RawMetadata<'static> {
        let own = |text: Option<Cow<'_, str>>| text.map(|t| Cow::Owned(t.into_owned()));
        RawMetadata {
            dbt_schema_version: own(self.dbt_schema_version),
            dbt_version: own(self.dbt_version),
            generated_at: own(self.generated_at),
            invocation_id: own(self.invocation_id),
            adapter_type: own(self.adapter_type),
            project_name: own(self.project_name),
            project_id: own(self.project_id),
        }
    }
}

#[derive(Deserialize)]
struct RawConfig<'a> {
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(borrow, default)]
    materialized: Option<Key<'a>>,
}

#[derive(Deserialize)]
struct RawNode<'a> {
    #[serde(borrow, default)]
    resource_type: Option<Key<'a>>,
    #[serde(borrow, default)]
    name: Option<Key<'a>>,
    #[serde(borrow, default)]
    alias: Option<Key<'a>>,
    #[serde(borrow, default)]
    database: Option<Key<'a>>,
    #[serde(borrow, default)]
    schema: Option<Key<'a>>,
    #[serde(borrow, default)]
    package_name: Option<Key<'a>>,
    #[serde(default)]
    version: Option<NodeVersion>,
    #[serde(default)]
    config: Option<RawConfig<'a>>,
    #[serde(borrow, default)]
    columns: Option<RawColumns<'a>>,
}

#[derive(Deserialize)]
struct RawSource<'a> {
    #[serde(borrow, default)]
    source_name: Option<Key<'a>>,
    #[serde(borrow, default)]
    name: Option<Key<'a>>,
    #[serde(borrow, default)]
    identifier: Option<Key<'a>>,
    #[serde(borrow, default)]
    database: Option<Key<'a>>,
    #[serde(borrow, default)]
    schema: Option<Key<'a>>,
    #[serde(borrow, default)]
    package_name: Option<Key<'a>>,
    #[serde(default)]
    config: Option<RawConfig<'a>>,
    #[serde(borrow, default)]
    columns: Option<RawColumns<'a>>,
}

/// A model version: dbt writes a string or a number.
#[derive(Deserialize)]
#[serde(untagged)]
enum NodeVersion {
    Text(String),
    Int(i64),
    Float(f64),
}

impl NodeVersion {
    fn into_text(self) -> String {
        match self {
            NodeVersion::Text(t) => t,
            NodeVersion::Int(i) => i.to_string(),
            NodeVersion::Float(f) => f.to_string(),
        }
    }
}

#[derive(Deserialize)]
struct RawExposure<'a> {
    #[serde(borrow, default)]
    name: Option<Key<'a>>,
    #[serde(borrow, default, rename = "type")]
    exposure_type: Option<Key<'a>>,
    #[serde(default)]
    owner: Option<RawOwner>,
    #[serde(default)]
    depends_on: Option<RawDependsOn>,
}

#[derive(Deserialize)]
struct RawOwner {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<OwnerEmail>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OwnerEmail {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct RawDependsOn {
    #[serde(default)]
    nodes: Vec<String>,
}

/// A node's `columns` block: `{key: {name, data_type, ...}}`, its texts borrowed from the
/// manifest where they have no escapes.
struct RawColumns<'a>(Vec<(Cow<'a, str>, Option<RawColumn<'a>>)>);

#[derive(Deserialize)]
struct RawColumn<'a> {
    #[serde(borrow, default)]
    name: Option<Key<'a>>,
    #[serde(borrow, default)]
    data_type: Option<Key<'a>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for RawColumns<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Entries<'a> {
            type Value = RawColumns<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map of columns")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<RawColumns<'a>, M::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(Key(key)) = map.next_key()? {
                    entries.push((key, map.next_value()?));
                }
                Ok(RawColumns(entries))
            }
        }
        deserializer.deserialize_map(Entries(std::marker::PhantomData))
    }
}

impl RawColumns<'_> {
    /// The columns in key order; of a key written twice, the last (as a JSON object reads).
    fn into_columns(self) -> DocumentedColumns {
        let mut entries = self.0;
        entries.reverse();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, first| later.0 == first.0);
        DocumentedColumns::new(entries.iter().map(|(key, column)| match column {
            Some(c) => (
                c.name.as_deref().filter(|n| !n.is_empty()).unwrap_or(key),
                c.data_type.as_deref().filter(|t| !t.trim().is_empty()),
            ),
            None => (key.as_ref(), None),
        }))
    }
}

fn is_enabled(config: &Option<RawConfig<'_>>) -> bool {
    config.as_ref().and_then(|c| c.enabled).unwrap_or(true)
}

fn owned(value: Option<Key<'_>>) -> Option<String> {
    value.map(|text| text.0.into_owned())
}

impl RawNode<'_> {
    /// The relation this node creates in the warehouse, if any.
    fn into_relation(self, unique_id: &str) -> Option<Relation> {
        let kind = match self.resource_type.as_deref()? {
            "model" => RelationKind::Model,
            "seed" => RelationKind::Seed,
            "snapshot" => RelationKind::Snapshot,
            _ => return None,
        };
        if !is_enabled(&self.config) {
            return None;
        }
        let materialized = self.config.as_ref().and_then(|c| c.materialized.as_deref());
        if kind == RelationKind::Model && materialized == Some("ephemeral") {
            return None;
        }
        let name = self.name?.0.into_owned();
        let identifier = owned(self.alias).unwrap_or_else(|| name.clone());
        Some(Relation {
            unique_id: unique_id.to_string(),
            kind,
            package: owned(self.package_name).unwrap_or_default(),
            name,
            source_name: None,
            version: self.version.map(NodeVersion::into_text),
            database: owned(self.database).filter(|d| !d.is_empty()),
            schema: self.schema?.0.into_owned(),
            identifier,
            columns: self
                .columns
                .map(RawColumns::into_columns)
                .unwrap_or_default(),
        })
    }
}

impl RawSource<'_> {
    fn into_relation(self, unique_id: &str) -> Option<Relation> {
        if !is_enabled(&self.config) {
            return None;
        }
        let name = self.name?.0.into_owned();
        let identifier = owned(self.identifier).unwrap_or_else(|| name.clone());
        Some(Relation {
            unique_id: unique_id.to_string(),
            kind: RelationKind::Source,
            package: owned(self.package_name).unwrap_or_default(),
            name,
            source_name: owned(self.source_name),
            version: None,
            database: owned(self.database).filter(|d| !d.is_empty()),
            schema: self.schema?.0.into_owned(),
            identifier,
            columns: self
                .columns
                .map(RawColumns::into_columns)
                .unwrap_or_default(),
        })
    }
}

impl RawExposure<'_> {
    fn into_manual(self, unique_id: &str) -> ManualExposure {
        let (owner_name, owner_email) = match self.owner {
            Some(owner) => {
                let email = match owner.email {
                    Some(OwnerEmail::One(e)) => Some(e),
                    Some(OwnerEmail::Many(list)) => list.into_iter().next(),
                    None => None,
                };
                (owner.name, email)
            }
            None => (None, None),
        };
        let mut depends_on = self.depends_on.map(|d| d.nodes).unwrap_or_default();
        depends_on.sort();
        depends_on.dedup();
        ManualExposure {
            unique_id: unique_id.to_string(),
            name: owned(self.name).unwrap_or_else(|| unique_id.to_string()),
            exposure_type: owned(self.exposure_type).unwrap_or_else(|| "dashboard".into()),
            owner_name,
            owner_email,
            depends_on,
        }
    }
}

/// A `unique_id -> object` map read entry by entry straight into a `Vec`, so that no
/// map of borrowed nodes is ever held: each entry is converted, or dropped, as it is read.
macro_rules! entry_list {
    ($list:ident, $raw:ident, $out:ty, $convert:expr, $what:literal) => {
        struct $list(Vec<$out>);

        impl<'de> Deserialize<'de> for $list {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct EntryVisitor;
                impl<'de> Visitor<'de> for EntryVisitor {
                    type Value = $list;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_unit<E: de::Error>(self) -> Result<$list, E> {
                        Ok($list(Vec::new()))
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$list, A::Error> {
                        let mut out = Vec::new();
                        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                            let value: Option<Object<$raw<'de>>> = map.next_value()?;
                            let converted: Option<$out> =
                                value.and_then(|Object(raw)| $convert(raw, key.as_ref()));
                            out.extend(converted);
                        }
                        Ok($list(out))
                    }
                }
                deserializer.deserialize_any(EntryVisitor)
            }
        }
    };
}

entry_list!(
    NodeRelations,
    RawNode,
    Relation,
    |raw: RawNode<'_>, id: &str| raw.into_relation(id),
    "a map of dbt nodes by unique_id"
);
entry_list!(
    SourceRelations,
    RawSource,
    Relation,
    |raw: RawSource<'_>, id: &str| raw.into_relation(id),
    "a map of dbt sources by unique_id"
);
entry_list!(
    ExposureList,
    RawExposure,
    ManualExposure,
    |raw: RawExposure<'_>, id: &str| Some(raw.into_manual(id)),
    "a map of dbt exposures by unique_id"
);

/// A string borrowed from the input when it holds no escapes: the keys of skipped entries
/// and the texts of every node are never allocated only to be dropped. (serde borrows a
/// bare `Cow<str>` field but copies an `Option<Cow<str>>`; `Option<Key>` borrows.)
#[derive(Deserialize)]
#[serde(transparent)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

impl std::ops::Deref for Key<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// `parent_map` read entry by entry: relations' entries become the [`Dag`], tests' entries
/// the [`TestTargets`], and every other entry (exposures, metrics, ...) is skipped unread.
#[derive(Default)]
struct ParentMap {
    dag: Dag,
    tests: TestTargets,
}

impl<'de> Deserialize<'de> for ParentMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ParentMapVisitor;
        impl<'de> Visitor<'de> for ParentMapVisitor {
            type Value = ParentMap;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of dbt unique_id to the list of its parents' unique_ids")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ParentMap, A::Error> {
                let mut lineage = IdLists::default();
                let mut tests = IdLists::default();
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    let (lists, keep): (&mut IdLists, fn(&str) -> bool) = if is_lineage_node(&key) {
                        (&mut lineage, is_lineage_node)
                    } else if is_test(&key) {
                        (&mut tests, |_| true)
                    } else {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    };
                    let start = lists.open();
                    map.next_value_seed(ParentList {
                        lists: &mut *lists,
                        keep,
                    })?;
                    lists.close(&key, start);
                }
                Ok(ParentMap {
                    dag: Dag::from_lists(lineage),
                    tests: TestTargets::from_lists(tests),
                })
            }
        }
        deserializer.deserialize_map(ParentMapVisitor)
    }
}

/// One node's parents (a list, or null for none), added to `lists` as they are read; ids
/// that `keep` refuses are skipped without being allocated.
struct ParentList<'a> {
    lists: &'a mut IdLists,
    keep: fn(&str) -> bool,
}

impl<'de> DeserializeSeed<'de> for ParentList<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ParentList<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of dbt unique_ids")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(Key(id)) = seq.next_element::<Key<'de>>()? {
            if (self.keep)(&id) {
                self.lists.add(&id);
            }
        }
        Ok(())
    }
}

/// Parses only to skip: the baseline the benchmark compares manifest parsing against.
pub fn skim(bytes: &[u8]) -> Result<(), serde_json::Error> {
    serde_json::from_slice::<IgnoredAny>(bytes).map(|_| ())
}
