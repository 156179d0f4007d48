//! Matching Tableau upstream tables to dbt relations, and building exposures from the matches.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::BuildHasherDefault;

use rustc_hash::FxHasher;
use serde::{Deserialize, Serialize};

use crate::index::{AliasMap, Aliases, Lookup, RelationIndex, custom_sql_tables, table_fqn};
use std::fmt;
use std::sync::Arc;

use crate::catalog::Catalog;
use crate::column_match::{ColumnsRead, columns_read};
use crate::columns::{ReferencedColumn, Usage};
use crate::manifest::Manifest;
use crate::naming::assign_names;
use crate::workbook::{Owner, Workbook};

use crate::usage_rules::{Maturity, UsageRules};

/// How a BI tool turns a workbook into the URL a person opens in a browser. Each BI
/// adapter has its own rule (Tableau's is `autoexpose_tableau::TableauSite`), so the
/// matcher stays BI-neutral.
pub trait WorkbookUrls: fmt::Debug + Send + Sync {
    /// The workbook's browser URL, when its ids allow one.
    fn workbook_url(&self, workbook: &Workbook) -> Option<String>;
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
    /// Custom SQL queries of the workbook that could not be read, with the reason.
    #[serde(default)]
    pub unparsed_custom_sql: Vec<String>,
    /// The columns of its `depends_on` nodes that the workbook reads, where the BI tool
    /// reports field lineage; sorted by node, then column.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub referenced_columns: Vec<ReferencedColumn>,
    /// Those of `referenced_columns` that dbt does not have on their node, though it knows
    /// that node's columns: a likely break of the dashboard.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_columns: Vec<ReferencedColumn>,
    /// How often people open the workbook, where the BI tool reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// dbt's `maturity`, set from usage by the integration's [`UsageRules`] (unless
    /// turned off, or the usage cannot tell).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maturity: Option<Maturity>,
    /// Nobody opened the workbook in the integration's stale window.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stale: bool,
}

/// How workbooks become exposures.
#[derive(Debug, Clone, Default)]
pub struct MatchOptions {
    /// Also make exposures for workbooks that matched nothing.
    pub include_unmatched: bool,
    /// The BI site's URL rule; without it exposures have no `url`.
    pub urls: Option<Arc<dyn WorkbookUrls>>,
    /// Exposure names given in earlier syncs (workbook LUID → name), kept where possible.
    pub previous_names: HashMap<String, String>,
    /// Tableau database and schema names mapped to dbt's, applied before matching.
    pub aliases: Aliases,
    /// Names no exposure may take, besides the manifest's own exposures: e.g. those of
    /// the other integrations of the same dbt project.
    pub reserved_names: BTreeSet<String>,
    /// How usage sets `maturity` and `stale` on the exposures.
    pub usage_rules: UsageRules,
    /// dbt's `catalog.json`, when given: the columns each node really has, for column
    /// matching beside the manifest's documented ones.
    pub catalog: Option<Arc<Catalog>>,
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
    /// Tables of files, web data connectors and SaaS applications, which no dbt node
    /// can be (counted apart from the unmatched ones).
    #[serde(default)]
    pub tables_not_warehouse: usize,
}

impl MatchStats {
    /// Tables looked at, of every kind.
    pub fn tables(&self) -> usize {
        self.tables_matched + self.tables_unmatched + self.tables_hidden + self.tables_not_warehouse
    }

    /// Why the run's result cannot be trusted to be complete, in words a Tableau admin can
    /// act on: Tableau hid tables from the token's user. `None` when it hid none.
    pub fn hidden_warning(&self) -> Option<String> {
        if self.tables_hidden == 0 {
            return None;
        }
        let share = self.tables_hidden * 100 / self.tables().max(1);
        Some(format!(
            "Tableau hid the names of {} of {} tables ({share}%) from the token's user, so they could not be matched and their workbooks may lack dependencies; give that user Connect permission on the data sources (and View on the workbooks), or a site role that may view lineage (Site Administrator Explorer or Creator), then sync again",
            self.tables_hidden,
            self.tables(),
        ))
    }
}

/// Exposures and the counts of how they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchOutcome {
    /// One exposure per workbook with a match (or every workbook, if asked).
    pub exposures: Vec<Exposure>,
    /// Counts.
    pub stats: MatchStats,
    /// LUIDs of the workbooks that read tables and whose every table Tableau hid from
    /// the token's user: nothing can be said of what they read, so a store keeps their
    /// last exposure rather than removing it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden_workbooks: Vec<String>,
}

/// Listings smaller than this are matched on one thread (spawning costs more).
const PARALLEL_FROM: usize = 2_000;
/// At most this many matching threads.
const MAX_THREADS: usize = 4;

/// Matches one chunk of workbooks; counts only tables in the stats it returns.
fn match_chunk<'w>(
    workbooks: &[&'w Workbook],
    index: &RelationIndex<'_>,
    aliases: &AliasMap,
    manifest: &Manifest,
    options: &MatchOptions,
) -> (Vec<Matched<'w>>, MatchStats, Vec<String>) {
    let mut stats = MatchStats::default();
    let mut kept = Vec::new();
    let mut hidden_workbooks = Vec::new();
    let mut key = String::new();
    let mut hits: Vec<u32> = Vec::new();
    for &workbook in workbooks {
        hits.clear();
        let mut unmatched = BTreeSet::new();
        let (sql_tables, unparsed) = custom_sql_tables(workbook);
        let (mut tables, mut hidden) = (0usize, 0usize);
        for table in workbook.tables.iter().chain(&sql_tables) {
            tables += 1;
            match index.lookup_into(table, aliases, &mut key, &mut hits) {
                Lookup::Matched => stats.tables_matched += 1,
                Lookup::Unmatched => {
                    stats.tables_unmatched += 1;
                    if let Some(fqn) = table_fqn(table) {
                        unmatched.insert(fqn.to_string());
                    }
                }
                Lookup::Hidden => {
                    stats.tables_hidden += 1;
                    hidden += 1;
                }
                Lookup::NotWarehouse(_) => stats.tables_not_warehouse += 1,
            }
        }
        if tables > 0 && hidden == tables {
            hidden_workbooks.push(workbook.luid.clone());
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
        let mut columns = columns_read(
            &workbook.columns,
            index,
            aliases,
            options.catalog.as_deref(),
        );
        // Only columns of the nodes it depends on: dbt (and Elementary) read them there.
        columns.keep_nodes(&depends_on);
        kept.push(Matched {
            workbook,
            depends_on,
            unmatched_tables: unmatched.into_iter().collect(),
            unparsed_custom_sql: unparsed,
            columns,
        });
    }
    (kept, stats, hidden_workbooks)
}

/// One workbook's matches, before it gets its exposure name.
struct Matched<'w> {
    workbook: &'w Workbook,
    depends_on: Vec<String>,
    unmatched_tables: Vec<String>,
    unparsed_custom_sql: Vec<String>,
    columns: ColumnsRead,
}

/// Matches every workbook's tables against the manifest and builds the exposures,
/// sorted by name.
pub fn build_exposures(
    manifest: &Manifest,
    workbooks: &[Workbook],
    options: &MatchOptions,
) -> MatchOutcome {
    let index = RelationIndex::new(&manifest.relations);
    let aliases = AliasMap::new(&options.aliases);
    // A saved listing can hold a workbook twice (overlapping pages): one exposure each.
    let mut seen: HashSet<&str, BuildHasherDefault<FxHasher>> = HashSet::default();
    let unique: Vec<&Workbook> = workbooks
        .iter()
        .filter(|w| seen.insert(w.luid.as_str()))
        .collect();
    let mut stats = MatchStats {
        workbooks: unique.len(),
        ..MatchStats::default()
    };
    // Lookups are independent, so large listings are split across the cores; the chunks
    // are joined in order, so the outcome does not depend on the thread count.
    let threads = if unique.len() < PARALLEL_FROM {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_THREADS))
    };
    let chunk = unique.len().div_ceil(threads).max(1);
    let parts: Vec<(Vec<Matched<'_>>, MatchStats, Vec<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = unique
            .chunks(chunk)
            .map(|part| {
                let (index, aliases) = (&index, &aliases);
                scope.spawn(move || match_chunk(part, index, aliases, manifest, options))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let mut kept: Vec<Matched<'_>> = Vec::with_capacity(unique.len());
    let mut hidden_workbooks = Vec::new();
    for (matched, part, hidden) in parts {
        kept.extend(matched);
        hidden_workbooks.extend(hidden);
        stats.tables_matched += part.tables_matched;
        stats.tables_unmatched += part.tables_unmatched;
        stats.tables_hidden += part.tables_hidden;
        stats.tables_not_warehouse += part.tables_not_warehouse;
    }

    let mut taken: BTreeSet<String> = manifest.exposures.iter().map(|e| e.name.clone()).collect();
    taken.extend(options.reserved_names.iter().cloned());
    let pairs: Vec<(&str, &str)> = kept
        .iter()
        .map(|m| (m.workbook.luid.as_str(), m.workbook.name.as_str()))
        .collect();
    let names = assign_names(&pairs, &taken, &options.previous_names);

    let mut exposures: Vec<Exposure> = kept
        .into_iter()
        .map(|m| Exposure {
            name: names[&m.workbook.luid].clone(),
            label: m.workbook.name.clone(),
            exposure_type: "dashboard".into(),
            url: options
                .urls
                .as_ref()
                .and_then(|s| s.workbook_url(m.workbook)),
            owner: m.workbook.owner.clone(),
            description: m.workbook.description.clone(),
            workbook_luid: m.workbook.luid.clone(),
            project: m.workbook.project.name.clone(),
            project_luid: m.workbook.project.luid.clone(),
            depends_on: m.depends_on,
            unmatched_tables: m.unmatched_tables,
            unparsed_custom_sql: m.unparsed_custom_sql,
            referenced_columns: m.columns.referenced,
            missing_columns: m.columns.missing,
            usage: m.workbook.usage.clone(),
            maturity: m
                .workbook
                .usage
                .as_ref()
                .and_then(|u| options.usage_rules.maturity(u)),
            stale: m
                .workbook
                .usage
                .as_ref()
                .is_some_and(|u| options.usage_rules.is_stale(u)),
        })
        .collect();
    exposures.sort_by(|a, b| a.name.cmp(&b.name));
    stats.exposures = exposures.len();
    MatchOutcome {
        exposures,
        stats,
        hidden_workbooks,
    }
}
