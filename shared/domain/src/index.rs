//! The relation index: normalized names of dbt relations, and lookups of Tableau tables.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasherDefault;
use std::sync::OnceLock;

use rustc_hash::FxHasher;
use serde::{Deserialize, Serialize};

use crate::custom_sql::{qualify, tables_in_query};
use crate::fqn::{Fqn, KEY_SEPARATOR, normalize_part, split_parts, write_key};
use crate::manifest::Relation;
use crate::printable::printable;
use crate::workbook::{UpstreamTable, Workbook};

/// Tableau names mapped to dbt names, applied before matching (PRODUCT.md S3): for a
/// Tableau connection to `prod_analytics` where dbt builds into `analytics`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aliases {
    /// Tableau database name → dbt database name (compared case-insensitively).
    #[serde(default)]
    pub databases: BTreeMap<String, String>,
    /// Tableau schema name → dbt schema name (compared case-insensitively).
    #[serde(default)]
    pub schemas: BTreeMap<String, String>,
}

impl Aliases {
    /// Whether no alias is set.
    pub fn is_empty(&self) -> bool {
        self.databases.is_empty() && self.schemas.is_empty()
    }
}

/// Aliases with normalized keys, ready for lookups.
#[derive(Debug, Clone, Default)]
pub(crate) struct AliasMap {
    databases: HashMap<String, String>,
    schemas: HashMap<String, String>,
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
        }
    }

    /// The dbt-side database and schema for a Tableau table's.
    fn apply<'a>(
        &'a self,
        database: Option<&'a str>,
        schema: &'a str,
    ) -> (Option<&'a str>, &'a str) {
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
/// Missing fields are taken from the bracketed `fullName` where it has them; a table with
/// no schema at all (a spreadsheet, a file) gets an empty one, which matches nothing.
pub(crate) fn table_parts(table: &UpstreamTable) -> Option<(Option<&str>, &str, &str)> {
    let from_full: Vec<&str> = match table.full_name.as_deref() {
        Some(full)
            if table.name.is_none() || table.schema.is_none() || table.database.is_none() =>
        {
            split_parts(full)
        }
        _ => Vec::new(),
    };
    let n = from_full.len();
    let full_part = |from_end: usize| -> Option<&str> {
        (n > from_end)
            .then(|| from_full[n - 1 - from_end])
            .filter(|p| !p.trim().is_empty())
    };
    let name = non_empty(&table.name).or_else(|| full_part(0))?;
    let schema = non_empty(&table.schema)
        .or_else(|| full_part(1))
        .unwrap_or("");
    let database = non_empty(&table.database).or_else(|| full_part(2));
    Some((database, schema, name))
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
}

/// The outcome of a lookup, with the hits written to a caller's buffer.
pub(crate) enum Lookup {
    Matched,
    Unmatched,
    Hidden,
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
        let Some((database, schema, name)) = table_parts(table) else {
            return Lookup::Hidden;
        };
        let (database, schema) = aliases.apply(database, schema);
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
