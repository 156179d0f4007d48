//! The relation index: normalized names of dbt relations, and lookups of Tableau tables.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasherDefault;
use std::sync::OnceLock;

use rustc_hash::FxHasher;
use serde::{Deserialize, Serialize};

use crate::connection::{SourceKind, non_warehouse_kind};
use crate::custom_sql::{qualify, tables_in_query};
use crate::fqn::{Fqn, KEY_SEPARATOR, normalize_part, split_parts, write_key};
use crate::manifest::Relation;
use crate::printable::printable;
use crate::workbook::{UpstreamTable, Workbook};

/// Tableau names mapped to dbt names, applied before matching (PRODUCT.md S3): for a
/// Tableau connection to `prod_analytics` where dbt builds into `analytics`; and the
/// schema and database to assume where Tableau names none (the connection's default).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aliases {
    /// Tableau database name → dbt database name (compared case-insensitively).
    #[serde(default)]
    pub databases: BTreeMap<String, String>,
    /// Tableau schema name → dbt schema name (compared case-insensitively).
    #[serde(default)]
    pub schemas: BTreeMap<String, String>,
    /// The schema of tables Tableau gives none, by scope: a Tableau database name, a
    /// connection type (`sqlserver` → `dbo`, `postgres` → `public`), or `""` for any table.
    /// The most specific scope wins; applied before the schema aliases.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub default_schemas: BTreeMap<String, String>,
    /// The database of tables Tableau gives none (`database: null`, a two-part
    /// `fullName`), by scope: a connection type, or `""` for any table.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub default_databases: BTreeMap<String, String>,
}

impl Aliases {
    /// Whether no alias or default is set.
    pub fn is_empty(&self) -> bool {
        self.databases.is_empty()
            && self.schemas.is_empty()
            && self.default_schemas.is_empty()
            && self.default_databases.is_empty()
    }
}

/// Aliases with normalized keys, ready for lookups.
#[derive(Debug, Clone, Default)]
pub(crate) struct AliasMap {
    databases: HashMap<String, String>,
    schemas: HashMap<String, String>,
    default_schemas: HashMap<String, String>,
    default_databases: HashMap<String, String>,
}

/// A default schema or database that filled a part Tableau left empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DefaultApplied {
    /// Which part it filled.
    pub(crate) part: &'static str,
    /// The value assumed.
    pub(crate) value: String,
    /// The scope of the setting that gave it: `""`, a connection type or a database.
    pub(crate) scope: String,
}

impl AliasMap {
    pub(crate) fn new(aliases: &Aliases) -> AliasMap {
        let normalize = |map: &BTreeMap<String, String>| {
            map.iter()
                .map(|(from, to)| (normalize_part(from), to.clone()))
                .collect()
        };
        AliasMap {
            databases: normalize(&aliases.databases),
            schemas: normalize(&aliases.schemas),
            default_schemas: normalize(&aliases.default_schemas),
            default_databases: normalize(&aliases.default_databases),
        }
    }

    /// The most specific default among `scopes`, then the one for every table (`""`).
    fn default_in<'a>(
        map: &'a HashMap<String, String>,
        scopes: [Option<&str>; 2],
    ) -> Option<(&'a str, String)> {
        for scope in scopes.into_iter().flatten() {
            let scope = normalize_part(scope);
            if let Some(value) = map.get(&scope) {
                return Some((value.as_str(), scope));
            }
        }
        map.get("").map(|value| (value.as_str(), String::new()))
    }

    /// The defaults that fill what Tableau left empty for this table.
    pub(crate) fn defaults_for(
        &self,
        table: &UpstreamTable,
        database: Option<&str>,
        schema: &str,
    ) -> Vec<DefaultApplied> {
        let connection = table.connection_type.as_deref();
        let mut applied = Vec::new();
        let mut database = database.map(str::to_string);
        if database.is_none()
            && let Some((value, scope)) =
                Self::default_in(&self.default_databases, [connection, None])
        {
            database = Some(value.to_string());
            applied.push(DefaultApplied {
                part: "database",
                value: value.to_string(),
                scope,
            });
        }
        if schema.trim().is_empty()
            && let Some((value, scope)) =
                Self::default_in(&self.default_schemas, [database.as_deref(), connection])
        {
            applied.push(DefaultApplied {
                part: "schema",
                value: value.to_string(),
                scope,
            });
        }
        applied
    }

    /// The dbt-side database and schema for a Tableau table's: the defaults fill what
    /// Tableau left empty, then the aliases map the names.
    fn apply<'a>(
        &'a self,
        table: &UpstreamTable,
        database: Option<&'a str>,
        schema: &'a str,
    ) -> (Option<&'a str>, &'a str) {
        let connection = table.connection_type.as_deref();
        let database = match database {
            None if !self.default_databases.is_empty() => {
                Self::default_in(&self.default_databases, [connection, None]).map(|(v, _)| v)
            }
            other => other,
        };
        let schema = if schema.trim().is_empty() && !self.default_schemas.is_empty() {
            Self::default_in(&self.default_schemas, [database, connection])
                .map_or(schema, |(v, _)| v)
        } else {
            schema
        };
        let database = match database {
            Some(db) if !self.databases.is_empty() => Some(
                self.databases
                    .get(&normalize_part(db))
                    .map_or(db, String::as_str),
            ),
            other => other,
        };
        let schema = if self.schemas.is_empty() {
            schema
        } else {
            self.schemas
                .get(&normalize_part(schema))
                .map_or(schema, String::as_str)
        };
        (database, schema)
    }
}

/// The raw `(database, schema, name)` of a Tableau table, or `None` when Tableau hid its
/// name (obfuscated results).
///
/// Tableau's bracketed `fullName` is the name it writes into the SQL it sends, while
/// `schema` and `database.name` describe the connection (its schema picker, its default
/// database) and go stale or empty: real servers return `schema: "public1"` beside
/// `fullName: "[public].[actor]"`, and `schema: ""` where no schema was picked. So each
/// part `fullName` spells out wins: its second-to-last part is the schema, a third-to-last
/// the database. The name comes from `name` (the last part of `fullName` only when `name`
/// is missing): it equals that part for warehouse tables, and where the two differ (a
/// spreadsheet's `Sheet1` and `[Sheet1$]`) `name` is what people see. A part neither
/// gives is empty (schema) or missing (database), for the integration's defaults to fill.
pub(crate) fn table_parts(table: &UpstreamTable) -> Option<(Option<&str>, &str, &str)> {
    let from_full: Vec<&str> = match table.full_name.as_deref() {
        Some(full) if !full.trim().is_empty() => split_parts(full.trim()),
        _ => Vec::new(),
    };
    let n = from_full.len();
    let full_part = |from_end: usize| -> Option<&str> {
        (n > from_end)
            .then(|| from_full[n - 1 - from_end].trim())
            .filter(|p| !is_blank_part(p))
    };
    let name = non_empty(&table.name).or_else(|| full_part(0))?;
    let schema = full_part(1)
        .or_else(|| non_empty(&table.schema))
        .unwrap_or("");
    let database = full_part(2).or_else(|| non_empty(&table.database));
    Some((database, schema, name))
}

/// Whether a `fullName` part names nothing: empty, or empty brackets or quotes.
fn is_blank_part(part: &str) -> bool {
    crate::fqn::unquote(part).trim().is_empty()
}

/// The normalized `{database}.{schema}.{name}` of a Tableau table, or `None` when Tableau
/// hid its name (obfuscated results).
pub fn table_fqn(table: &UpstreamTable) -> Option<Fqn> {
    let (database, schema, name) = table_parts(table)?;
    Some(Fqn::new(database, schema, name))
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|s| !s.trim().is_empty())
}

/// The relations under one key: almost always one, so no list is allocated for it.
#[derive(Debug, Clone)]
enum Hits {
    One(u32),
    Many(Vec<u32>),
}

impl Hits {
    fn push(&mut self, i: u32) {
        match self {
            Hits::One(first) => *self = Hits::Many(vec![*first, i]),
            Hits::Many(list) => list.push(i),
        }
    }

    fn as_slice(&self) -> &[u32] {
        match self {
            Hits::One(i) => std::slice::from_ref(i),
            Hits::Many(list) => list,
        }
    }
}

type KeyMap = HashMap<Box<str>, Hits, BuildHasherDefault<FxHasher>>;

fn insert_hit(map: &mut KeyMap, key: &str, i: u32) {
    match map.get_mut(key) {
        Some(hits) => hits.push(i),
        None => {
            map.insert(key.into(), Hits::One(i));
        }
    }
}

/// An index of the relations of one manifest, by normalized name.
///
/// Keys are single strings (`database␟schema␟name`) built into a reused buffer, so a
/// lookup allocates nothing. The schema-and-name index that two-part names need is built
/// only when a lookup first needs it.
pub struct RelationIndex<'m> {
    relations: &'m [Relation],
    by_fqn: KeyMap,
    by_schema_name: OnceLock<KeyMap>,
}

/// What one Tableau table matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableMatch<'m> {
    /// One or more dbt relations (a model and a source can name the same table).
    Matched(Vec<&'m Relation>),
    /// Nothing; the table's normalized name.
    Unmatched(Fqn),
    /// Tableau hid the table's name, so it cannot be matched.
    Hidden,
    /// The table is a file's, a web data connector's or a SaaS application's: nothing
    /// dbt builds can be it.
    NotWarehouse(SourceKind),
}

/// The outcome of a lookup, with the hits written to a caller's buffer.
pub(crate) enum Lookup {
    Matched,
    Unmatched,
    Hidden,
    NotWarehouse(SourceKind),
}

fn write_relation_key(key: &mut String, relation: &Relation) {
    write_key(
        key,
        relation.database.as_deref(),
        &relation.schema,
        &relation.identifier,
    );
}

fn two_part(key: &str) -> &str {
    key.split_once(KEY_SEPARATOR).map_or(key, |(_, rest)| rest)
}

impl<'m> RelationIndex<'m> {
    /// Indexes relations by their normalized full name.
    pub fn new(relations: &'m [Relation]) -> RelationIndex<'m> {
        let mut by_fqn = KeyMap::with_capacity_and_hasher(relations.len(), Default::default());
        let mut key = String::new();
        for (i, relation) in relations.iter().enumerate() {
            write_relation_key(&mut key, relation);
            insert_hit(&mut by_fqn, &key, u32::try_from(i).unwrap_or(u32::MAX));
        }
        RelationIndex {
            relations,
            by_fqn,
            by_schema_name: OnceLock::new(),
        }
    }

    fn by_schema_name(&self) -> &KeyMap {
        self.by_schema_name.get_or_init(|| {
            let mut map =
                KeyMap::with_capacity_and_hasher(self.relations.len(), Default::default());
            let mut key = String::new();
            for (i, relation) in self.relations.iter().enumerate() {
                write_relation_key(&mut key, relation);
                insert_hit(
                    &mut map,
                    two_part(&key),
                    u32::try_from(i).unwrap_or(u32::MAX),
                );
            }
            map
        })
    }

    /// The relations a Tableau table matches (without aliases).
    ///
    /// Three-part names must agree on all three parts. When either side has no database
    /// (Spark, Databricks without a catalog, a Tableau connector that hides it), schema
    /// and name decide, but only when exactly one relation fits.
    pub fn lookup(&self, table: &UpstreamTable) -> TableMatch<'m> {
        let mut key = String::new();
        let mut hits = Vec::new();
        match self.lookup_into(table, &AliasMap::default(), &mut key, &mut hits) {
            Lookup::Matched => {
                TableMatch::Matched(hits.iter().map(|&i| &self.relations[i as usize]).collect())
            }
            Lookup::Unmatched => {
                TableMatch::Unmatched(table_fqn(table).unwrap_or_else(|| Fqn::new(None, "", "")))
            }
            Lookup::Hidden => TableMatch::Hidden,
            Lookup::NotWarehouse(kind) => TableMatch::NotWarehouse(kind),
        }
    }

    /// Looks a table up, appending the indexes of matched relations to `hits`.
    pub(crate) fn lookup_into(
        &self,
        table: &UpstreamTable,
        aliases: &AliasMap,
        key: &mut String,
        hits: &mut Vec<u32>,
    ) -> Lookup {
        if let Some(kind) = table
            .connection_type
            .as_deref()
            .and_then(non_warehouse_kind)
        {
            return Lookup::NotWarehouse(kind);
        }
        let Some((database, schema, name)) = table_parts(table) else {
            return Lookup::Hidden;
        };
        let (database, schema) = aliases.apply(table, database, schema);
        write_key(key, database, schema, name);
        let has_database = database.is_some_and(|d| !d.trim().is_empty());
        if has_database && let Some(found) = self.by_fqn.get(key.as_str()) {
            hits.extend_from_slice(found.as_slice());
            return Lookup::Matched;
        }
        let Some(candidates) = self.by_schema_name().get(two_part(key)) else {
            return Lookup::Unmatched;
        };
        let fitting: Vec<u32> = candidates
            .as_slice()
            .iter()
            .copied()
            .filter(|&i| !has_database || self.relations[i as usize].database.is_none())
            .collect();
        // Several nodes can name one table (a seed and a source defined on it): that is
        // no ambiguity. Two databases holding the same schema and name are.
        let database_of = |i: &u32| {
            self.relations[*i as usize]
                .database
                .as_deref()
                .map(normalize_part)
        };
        match fitting.first() {
            Some(first) if fitting.iter().all(|i| database_of(i) == database_of(first)) => {
                hits.extend_from_slice(&fitting);
                Lookup::Matched
            }
            _ => Lookup::Unmatched,
        }
    }

    /// The relations being indexed.
    pub fn relations(&self) -> &'m [Relation] {
        self.relations
    }
}

/// The tables a workbook reads through its custom SQL queries (Tableau's own parsed list
/// when it has one, else the query parsed in the connection's dialect and qualified with
/// the connection's database), to be matched after its upstream tables. The second list
/// names the queries that could not be read, with why.
pub(crate) fn custom_sql_tables(workbook: &Workbook) -> (Vec<UpstreamTable>, Vec<String>) {
    let mut tables = Vec::new();
    let mut unparsed = Vec::new();
    for sql in &workbook.custom_sql {
        if !sql.tables.is_empty() {
            tables.extend(sql.tables.iter().cloned());
            continue;
        }
        match tables_in_query(&sql.query, sql.connection_type.as_deref()) {
            Ok(found) => {
                for table in qualify(found, sql.database.as_deref(), None) {
                    tables.push(UpstreamTable {
                        id: None,
                        luid: None,
                        database: table.database,
                        schema: table.schema,
                        name: Some(table.name),
                        full_name: None,
                        connection_type: sql.connection_type.clone(),
                    });
                }
            }
            Err(error) => unparsed.push(match &sql.id {
                Some(id) => format!("custom SQL {}: {error}", printable(id)),
                None => format!("custom SQL: {error}"),
            }),
        }
    }
    (tables, unparsed)
}
