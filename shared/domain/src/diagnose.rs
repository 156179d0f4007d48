//! The mismatch report (PRODUCT.md S9): every Tableau table, whether it matched, and for
//! those that did not, the nearest dbt relations and which part of the name differs.
//!
//! It turns dbt's five-step troubleshooting procedure (download the manifest, run a
//! GraphiQL query, compare names by eye) into one call.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::fqn::normalize_part;
use crate::index::{AliasMap, Aliases, Lookup, RelationIndex, custom_sql_tables, table_parts};
use crate::manifest::{Manifest, Relation};
use crate::printable::printable;
use crate::workbook::{UpstreamTable, Workbook};

/// A part of a `{database}.{schema}.{name}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// The database (catalog, project).
    Database,
    /// The schema (dataset).
    Schema,
    /// The table or view name.
    Name,
}

/// A dbt relation that comes close to an unmatched Tableau table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// dbt unique id.
    pub unique_id: String,
    /// `database.schema.identifier` as dbt builds it.
    pub relation: String,
    /// The parts that differ from the Tableau table.
    pub differs: Vec<Part>,
    /// Edit distance between the two names, all parts together.
    pub distance: usize,
}

/// What became of one Tableau table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TableStatus {
    /// It matched these dbt nodes.
    Matched {
        /// dbt unique ids.
        nodes: Vec<String>,
    },
    /// It matched nothing.
    Unmatched {
        /// The closest dbt relations, best first (at most three).
        nearest: Vec<Candidate>,
        /// What would fix it, when the nearest relation suggests something.
        #[serde(skip_serializing_if = "Option::is_none")]
        hint: Option<String>,
    },
    /// Tableau hid its name from the signed-in user.
    Hidden,
}

/// One Tableau table of one workbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableDiagnosis {
    /// Workbook name.
    pub workbook: String,
    /// Workbook LUID.
    pub workbook_luid: String,
    /// The table as Tableau names it (`database.schema.name`).
    pub table: String,
    /// Whether and how it matched.
    #[serde(flatten)]
    pub status: TableStatus,
}

/// Counts of the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagnoseSummary {
    /// Tables looked at.
    pub tables: usize,
    /// Tables that matched a dbt node.
    pub matched: usize,
    /// Unmatched tables with a near dbt relation.
    pub unmatched_with_candidate: usize,
    /// Unmatched tables with nothing near.
    pub unmatched_without_candidate: usize,
    /// Tables Tableau hid.
    pub hidden: usize,
}

/// The whole report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// One entry per table per workbook, in workbook order.
    pub tables: Vec<TableDiagnosis>,
    /// Custom SQL queries that could not be read: workbook and reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unparsed_custom_sql: Vec<String>,
    /// Counts.
    pub summary: DiagnoseSummary,
}

/// The normalized parts of a relation, computed once per report.
struct NormalizedRelation<'m> {
    relation: &'m Relation,
    database: Option<String>,
    schema: String,
    name: String,
}

/// Diagnoses every table of every workbook against the manifest.
pub fn diagnose(manifest: &Manifest, workbooks: &[Workbook], aliases: &Aliases) -> Diagnosis {
    let index = RelationIndex::new(&manifest.relations);
    let alias_map = AliasMap::new(aliases);
    let normalized: Vec<NormalizedRelation<'_>> = manifest
        .relations
        .iter()
        .map(|r| NormalizedRelation {
            relation: r,
            database: r.database.as_deref().map(normalize_part),
            schema: normalize_part(&r.schema),
            name: normalize_part(&r.identifier),
        })
        .collect();
    let mut report = Diagnosis::default();
    let mut key = String::new();
    let mut hits = Vec::new();
    for workbook in workbooks {
        let (sql_tables, unparsed) = custom_sql_tables(workbook);
        report
            .unparsed_custom_sql
            .extend(unparsed.into_iter().map(|reason| {
                let (name, luid) = (printable(&workbook.name), printable(&workbook.luid));
                format!("{name} ({luid}): {reason}")
            }));
        for table in workbook.tables.iter().chain(&sql_tables) {
            hits.clear();
            let status = match index.lookup_into(table, &alias_map, &mut key, &mut hits) {
                Lookup::Matched => {
                    let mut nodes: Vec<String> = hits
                        .iter()
                        .map(|&i| manifest.relations[i as usize].unique_id.clone())
                        .collect();
                    nodes.sort_unstable();
                    nodes.dedup();
                    report.summary.matched += 1;
                    TableStatus::Matched { nodes }
                }
                Lookup::Hidden => {
                    report.summary.hidden += 1;
                    TableStatus::Hidden
                }
                Lookup::Unmatched => {
                    let nearest = nearest_relations(table, &normalized, 3);
                    if nearest.is_empty() {
                        report.summary.unmatched_without_candidate += 1;
                    } else {
                        report.summary.unmatched_with_candidate += 1;
                    }
                    let hint = nearest
                        .first()
                        .and_then(|c| hint_for(table, c, &normalized));
                    TableStatus::Unmatched { nearest, hint }
                }
            };
            report.summary.tables += 1;
            report.tables.push(TableDiagnosis {
                workbook: workbook.name.clone(),
                workbook_luid: workbook.luid.clone(),
                table: display_table(table),
                status,
            });
        }
    }
    report
}

fn display_table(table: &UpstreamTable) -> String {
    match table_parts(table) {
        Some((database, schema, name)) => [database.unwrap_or(""), schema, name]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("."),
        None => "(hidden by Tableau permissions)".into(),
    }
}

/// Relations with a similar name (equal, a near miss, or one containing the other), ranked
/// by the parts that agree, then by edit distance.
fn nearest_relations(
    table: &UpstreamTable,
    relations: &[NormalizedRelation<'_>],
    limit: usize,
) -> Vec<Candidate> {
    let Some((database, schema, name)) = table_parts(table) else {
        return Vec::new();
    };
    let database = database.map(normalize_part);
    let schema = normalize_part(schema);
    let name = normalize_part(name);
    let near_name = (name.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, usize, Candidate)> = Vec::new();
    for r in relations {
        let mut differs = Vec::new();
        if database.is_some() && r.database.is_some() && database != r.database {
            differs.push(Part::Database);
        }
        if schema != r.schema {
            differs.push(Part::Schema);
        }
        let name_distance = strsim::levenshtein(&name, &r.name);
        if name_distance > 0 {
            differs.push(Part::Name);
        }
        // A candidate must have a similar name: the same relation under another database
        // or schema, or a near miss in spelling; other tables of the schema are noise.
        let similar =
            name_distance <= near_name || name.contains(&r.name) || r.name.contains(&name);
        if !similar {
            continue;
        }
        let agree = 3 - differs.len();
        let distance = name_distance
            + strsim::levenshtein(&schema, &r.schema)
            + match (&database, &r.database) {
                (Some(a), Some(b)) => strsim::levenshtein(a, b),
                _ => 0,
            };
        scored.push((
            agree,
            distance,
            Candidate {
                unique_id: r.relation.unique_id.clone(),
                relation: r.relation.display_fqn(),
                differs,
                distance,
            },
        ));
    }
    scored.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(a.1.cmp(&b.1))
            .then_with(|| a.2.unique_id.cmp(&b.2.unique_id))
    });
    scored.into_iter().take(limit).map(|(_, _, c)| c).collect()
}

/// A suggestion a person can act on, from the best candidate.
fn hint_for(
    table: &UpstreamTable,
    best: &Candidate,
    relations: &[NormalizedRelation<'_>],
) -> Option<String> {
    let (database, schema, name) = table_parts(table)?;
    let relation = relations
        .iter()
        .find(|r| r.relation.unique_id == best.unique_id)?
        .relation;
    // Names from Tableau and from the manifest, shown as text a terminal cannot act on.
    let database = printable(database.unwrap_or_default());
    let (schema, name) = (printable(schema), printable(name));
    let dbt_db = printable(relation.database.as_deref().unwrap_or_default());
    let dbt_schema = printable(&relation.schema);
    let dbt_name = printable(&relation.identifier);
    match best.differs.as_slice() {
        [Part::Database] => Some(format!(
            "the database differs: Tableau reads '{database}', dbt builds into '{dbt_db}'; add `--database-alias {database}={dbt_db}` (or a database alias on the integration)"
        )),
        [Part::Schema] => Some(format!(
            "the schema differs: Tableau reads '{schema}', dbt builds into '{dbt_schema}'; add `--schema-alias {schema}={dbt_schema}` if they are the same schema"
        )),
        [Part::Database, Part::Schema] => Some(format!(
            "the database and schema differ: Tableau reads '{database}.{schema}', dbt builds '{dbt_db}.{dbt_schema}'; add `--database-alias` and `--schema-alias`"
        )),
        [Part::Name] => Some(format!(
            "the table name differs: Tableau reads '{name}', dbt builds '{dbt_name}' (a renamed model, or an alias in dbt?)"
        )),
        _ => None,
    }
}

/// Renders the report as a text table with a summary line.
pub fn to_text(report: &Diagnosis) -> String {
    let mut by_workbook: BTreeMap<(&str, &str), Vec<&TableDiagnosis>> = BTreeMap::new();
    for t in &report.tables {
        by_workbook
            .entry((t.workbook.as_str(), t.workbook_luid.as_str()))
            .or_default()
            .push(t);
    }
    let mut out = String::new();
    for ((workbook, luid), tables) in by_workbook {
        let (workbook, luid) = (printable(workbook), printable(luid));
        out.push_str(&format!("{workbook} ({luid})\n"));
        for t in tables {
            let table = printable(&t.table);
            match &t.status {
                TableStatus::Matched { nodes } => {
                    out.push_str(&format!(
                        "  ok        {table} -> {}\n",
                        printable(&nodes.join(", "))
                    ));
                }
                TableStatus::Hidden => out.push_str(&format!("  hidden    {table}\n")),
                TableStatus::Unmatched { nearest, hint } => {
                    out.push_str(&format!("  no match  {table}\n"));
                    for c in nearest {
                        let parts: Vec<String> = c
                            .differs
                            .iter()
                            .map(|p| format!("{p:?}").to_lowercase())
                            .collect();
                        out.push_str(&format!(
                            "            nearest: {} ({}) differs in {}\n",
                            printable(&c.relation),
                            printable(&c.unique_id),
                            parts.join(", ")
                        ));
                    }
                    if let Some(hint) = hint {
                        out.push_str(&format!("            hint: {hint}\n"));
                    }
                }
            }
        }
    }
    for unparsed in &report.unparsed_custom_sql {
        out.push_str(&format!("unparsed  {unparsed}\n"));
    }
    let s = &report.summary;
    out.push_str(&format!(
        "\n{} tables: {} matched, {} unmatched with a near dbt relation, {} unmatched with none, {} hidden\n",
        s.tables, s.matched, s.unmatched_with_candidate, s.unmatched_without_candidate, s.hidden
    ));
    out
}
