//! Matching Tableau upstream tables to dbt relations, and building exposures from the matches.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use std::cell::OnceCell;
use std::hash::BuildHasherDefault;

use rustc_hash::FxHasher;

use crate::fqn::{Fqn, KEY_SEPARATOR, split_parts, write_key};
use crate::manifest::{Manifest, Relation};
use crate::naming::assign_names;
use crate::workbook::{Owner, UpstreamTable, Workbook};

/// The Tableau site that workbooks come from, for building browser URLs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableauSite {
    /// Host (`10az.online.tableau.com`), host and port, or a full URL with scheme.
    pub server_url: String,
    /// The site's content URL; empty for the Default site of a Tableau Server.
    pub content_url: String,
}

impl TableauSite {
    /// `https://host[:port]` (or the scheme given), without a trailing slash.
    pub fn base_url(&self) -> String {
        let url = self.server_url.trim().trim_end_matches('/');
        if url.contains("://") {
            url.to_string()
        } else {
            format!("https://{url}")
        }
    }

    /// The URL a person opens to see a workbook, from its numeric (vizportal) id.
    pub fn workbook_url(&self, workbook: &Workbook) -> Option<String> {
        let numeric = workbook
            .vizportal_url_id
            .clone()
            .filter(|id| !id.is_empty())
            .or_else(|| {
                let uri = workbook.uri.as_deref()?;
                let (_, id) = uri.rsplit_once("/workbooks/")?;
                Some(id.trim_matches('/').to_string()).filter(|id| !id.is_empty())
            })?;
        let base = self.base_url();
        Some(if self.content_url.is_empty() {
            format!("{base}/#/workbooks/{numeric}/views")
        } else {
            format!(
                "{base}/#/site/{}/workbooks/{numeric}/views",
                self.content_url
            )
        })
    }
}

/// The raw `(database, schema, name)` of a Tableau table, or `None` when Tableau hid its
/// name (obfuscated results).
///
/// Missing fields are taken from the bracketed `fullName` where it has them; a table with
/// no schema at all (a spreadsheet, a file) gets an empty one, which matches nothing.
fn table_parts(table: &UpstreamTable) -> Option<(Option<&str>, &str, &str)> {
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
    by_schema_name: OnceCell<KeyMap>,
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
enum Lookup {
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
            by_schema_name: OnceCell::new(),
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

    /// The relations a Tableau table matches.
    ///
    /// Three-part names must agree on all three parts. When either side has no database
    /// (Spark, Databricks without a catalog, a Tableau connector that hides it), schema
    /// and name decide, but only when exactly one relation fits.
    pub fn lookup(&self, table: &UpstreamTable) -> TableMatch<'m> {
        let mut key = String::new();
        let mut hits = Vec::new();
        match self.lookup_into(table, &mut key, &mut hits) {
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
    fn lookup_into(&self, table: &UpstreamTable, key: &mut String, hits: &mut Vec<u32>) -> Lookup {
        let Some((database, schema, name)) = table_parts(table) else {
            return Lookup::Hidden;
        };
        write_key(key, database, schema, name);
        let has_database = database.is_some_and(|d| !d.trim().is_empty());
        if has_database && let Some(found) = self.by_fqn.get(key.as_str()) {
            hits.extend_from_slice(found.as_slice());
            return Lookup::Matched;
        }
        let Some(candidates) = self.by_schema_name().get(two_part(key)) else {
            return Lookup::Unmatched;
        };
        let mut fitting = candidates
            .as_slice()
            .iter()
            .filter(|&&i| !has_database || self.relations[i as usize].database.is_none());
        match (fitting.next(), fitting.next()) {
            (Some(&only), None) => {
                hits.push(only);
                Lookup::Matched
            }
            _ => Lookup::Unmatched,
        }
    }
}

/// A dbt exposure built from a Tableau workbook (PRODUCT.md S4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exposure {
    /// A valid dbt identifier, unique in the project and stable across syncs.
    pub name: String,
    /// The workbook name.
    pub label: String,
    /// Always `dashboard` for a Tableau workbook.
    #[serde(rename = "type")]
    pub exposure_type: String,
    /// The URL a person opens to see the workbook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The workbook owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    /// The workbook description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The dbt unique ids it reads, sorted, without duplicates.
    pub depends_on: Vec<String>,
    /// Tableau REST id of the workbook.
    pub workbook_luid: String,
    /// Tableau project name.
    pub project: String,
    /// Tableau project LUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_luid: Option<String>,
    /// The workbook's tables that matched no dbt relation (`database.schema.name`).
    pub unmatched_tables: Vec<String>,
}

/// How workbooks become exposures.
#[derive(Debug, Clone, Default)]
pub struct MatchOptions {
    /// Also make exposures for workbooks that matched nothing.
    pub include_unmatched: bool,
    /// The site, for workbook URLs; without it exposures have no `url`.
    pub site: Option<TableauSite>,
    /// Exposure names given in earlier syncs (workbook LUID → name), kept where possible.
    pub previous_names: HashMap<String, String>,
}

/// Counts that summarize one matching run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchStats {
    /// Workbooks looked at.
    pub workbooks: usize,
    /// Exposures produced.
    pub exposures: usize,
    /// Tables that matched a dbt relation.
    pub tables_matched: usize,
    /// Tables that matched nothing.
    pub tables_unmatched: usize,
    /// Tables whose names Tableau hid from the signed-in user.
    pub tables_hidden: usize,
}

/// Exposures and the counts of how they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchOutcome {
    /// One exposure per workbook with a match (or every workbook, if asked).
    pub exposures: Vec<Exposure>,
    /// Counts.
    pub stats: MatchStats,
}

/// Matches every workbook's tables against the manifest and builds the exposures,
/// sorted by name.
pub fn build_exposures(
    manifest: &Manifest,
    workbooks: &[Workbook],
    options: &MatchOptions,
) -> MatchOutcome {
    let index = RelationIndex::new(&manifest.relations);
    let mut stats = MatchStats {
        workbooks: workbooks.len(),
        ..MatchStats::default()
    };
    let mut kept: Vec<(&Workbook, Vec<String>, Vec<String>)> = Vec::new();
    let mut seen: HashSet<&str, BuildHasherDefault<FxHasher>> = HashSet::default();
    let mut key = String::new();
    let mut hits: Vec<u32> = Vec::new();
    for workbook in workbooks {
        // A saved listing can hold a workbook twice (overlapping pages): one exposure each.
        if !seen.insert(workbook.luid.as_str()) {
            stats.workbooks -= 1;
            continue;
        }
        hits.clear();
        let mut unmatched = BTreeSet::new();
        for table in &workbook.tables {
            match index.lookup_into(table, &mut key, &mut hits) {
                Lookup::Matched => stats.tables_matched += 1,
                Lookup::Unmatched => {
                    stats.tables_unmatched += 1;
                    if let Some(fqn) = table_fqn(table) {
                        unmatched.insert(fqn.to_string());
                    }
                }
                Lookup::Hidden => stats.tables_hidden += 1,
            }
        }
        if hits.is_empty() && !options.include_unmatched {
            continue;
        }
        let mut depends_on: Vec<String> = hits
            .iter()
            .map(|&i| manifest.relations[i as usize].unique_id.clone())
            .collect();
        depends_on.sort_unstable();
        depends_on.dedup();
        kept.push((workbook, depends_on, unmatched.into_iter().collect()));
    }

    let taken: BTreeSet<String> = manifest.exposures.iter().map(|e| e.name.clone()).collect();
    let pairs: Vec<(&str, &str)> = kept
        .iter()
        .map(|(wb, _, _)| (wb.luid.as_str(), wb.name.as_str()))
        .collect();
    let names = assign_names(&pairs, &taken, &options.previous_names);

    let mut exposures: Vec<Exposure> = kept
        .into_iter()
        .map(|(workbook, depends_on, unmatched_tables)| Exposure {
            name: names[&workbook.luid].clone(),
            label: workbook.name.clone(),
            exposure_type: "dashboard".into(),
            url: options.site.as_ref().and_then(|s| s.workbook_url(workbook)),
            owner: workbook.owner.clone(),
            description: workbook.description.clone(),
            depends_on,
            workbook_luid: workbook.luid.clone(),
            project: workbook.project.name.clone(),
            project_luid: workbook.project.luid.clone(),
            unmatched_tables,
        })
        .collect();
    exposures.sort_by(|a, b| a.name.cmp(&b.name));
    stats.exposures = exposures.len();
    MatchOutcome { exposures, stats }
}
