//! Matching Tableau upstream tables to dbt relations, and building exposures from the matches.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::fqn::{Fqn, split_parts};
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

/// The normalized `{database}.{schema}.{name}` of a Tableau table, or `None` when Tableau
/// hid its name (obfuscated results).
///
/// Missing fields are taken from the bracketed `fullName` where it has them; a table with
/// no schema at all (a spreadsheet, a file) gets an empty one, which matches nothing.
pub fn table_fqn(table: &UpstreamTable) -> Option<Fqn> {
    let from_full: Vec<&str> = table
        .full_name
        .as_deref()
        .map(split_parts)
        .unwrap_or_default();
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
    Some(Fqn::new(database, schema, name))
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|s| !s.trim().is_empty())
}

/// An index of the relations of one manifest, by normalized name.
pub struct RelationIndex<'m> {
    relations: &'m [Relation],
    by_fqn: HashMap<Fqn, Vec<usize>>,
    by_schema_name: HashMap<(String, String), Vec<usize>>,
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

impl<'m> RelationIndex<'m> {
    /// Indexes relations by their normalized full name and by schema and name.
    pub fn new(relations: &'m [Relation]) -> RelationIndex<'m> {
        let mut by_fqn: HashMap<Fqn, Vec<usize>> = HashMap::with_capacity(relations.len());
        let mut by_schema_name: HashMap<(String, String), Vec<usize>> =
            HashMap::with_capacity(relations.len());
        for (i, relation) in relations.iter().enumerate() {
            let fqn = Fqn::new(
                relation.database.as_deref(),
                &relation.schema,
                &relation.identifier,
            );
            by_schema_name
                .entry(fqn.schema_and_name())
                .or_default()
                .push(i);
            by_fqn.entry(fqn).or_default().push(i);
        }
        RelationIndex {
            relations,
            by_fqn,
            by_schema_name,
        }
    }

    /// The relations a Tableau table matches.
    ///
    /// Three-part names must agree on all three parts. When either side has no database
    /// (Spark, Databricks without a catalog, a Tableau connector that hides it), schema
    /// and name decide, but only when exactly one relation fits.
    pub fn lookup(&self, table: &UpstreamTable) -> TableMatch<'m> {
        let Some(fqn) = table_fqn(table) else {
            return TableMatch::Hidden;
        };
        if fqn.database.is_some()
            && let Some(hits) = self.by_fqn.get(&fqn)
        {
            return TableMatch::Matched(hits.iter().map(|&i| &self.relations[i]).collect());
        }
        let key = (fqn.schema.clone(), fqn.name.clone());
        let candidates: Vec<&Relation> = self
            .by_schema_name
            .get(&key)
            .into_iter()
            .flatten()
            .map(|&i| &self.relations[i])
            .filter(|r| fqn.database.is_none() || r.database.is_none())
            .collect();
        if candidates.len() == 1 {
            return TableMatch::Matched(candidates);
        }
        TableMatch::Unmatched(fqn)
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
    let mut seen = std::collections::HashSet::new();
    for workbook in workbooks {
        // A saved listing can hold a workbook twice (overlapping pages): one exposure each.
        if !seen.insert(workbook.luid.as_str()) {
            stats.workbooks -= 1;
            continue;
        }
        let mut depends_on = BTreeSet::new();
        let mut unmatched = BTreeSet::new();
        for table in &workbook.tables {
            match index.lookup(table) {
                TableMatch::Matched(relations) => {
                    stats.tables_matched += 1;
                    depends_on.extend(relations.iter().map(|r| r.unique_id.clone()));
                }
                TableMatch::Unmatched(fqn) => {
                    stats.tables_unmatched += 1;
                    unmatched.insert(fqn.to_string());
                }
                TableMatch::Hidden => stats.tables_hidden += 1,
            }
        }
        if depends_on.is_empty() && !options.include_unmatched {
            continue;
        }
        kept.push((
            workbook,
            depends_on.into_iter().collect(),
            unmatched.into_iter().collect(),
        ));
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
