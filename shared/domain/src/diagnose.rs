//! The mismatch report (PRODUCT.md S9): every Tableau table, whether it matched, and for
//! those that did not, the nearest dbt relations and which part of the name differs.
//!
//! It turns dbt's five-step troubleshooting procedure (download the manifest, run a
//! GraphiQL query, compare names by eye) into one call.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::column_match::columns_read;
use crate::fqn::{normalize_part, unquote};
use crate::index::{
    AliasMap, Aliases, DefaultApplied, Lookup, RelationIndex, custom_sql_tables, table_parts,
};
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
    /// It is a file's, a web data connector's or a SaaS application's table, which no dbt
    /// node can be.
    NotWarehouse {
        /// What it reads, in words: "a file", "a web data connector", "a SaaS application".
        source: String,
        /// Tableau's connection type, e.g. `excel-direct`.
        connection_type: String,
    },
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
    /// The defaults that filled a part Tableau left empty, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
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
    /// Tables of files, web data connectors and SaaS applications.
    #[serde(default)]
    pub not_warehouse: usize,
}

/// The whole report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// One entry per table per workbook, in workbook order.
    pub tables: Vec<TableDiagnosis>,
    /// Custom SQL queries that could not be read: workbook and reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unparsed_custom_sql: Vec<String>,
    /// Columns the workbooks read that dbt does not have on the node their table matches:
    /// likely breaks of those dashboards.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_columns: Vec<MissingColumn>,
    /// Counts.
    pub summary: DiagnoseSummary,
}

/// A column a workbook reads that dbt does not have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingColumn {
    /// Workbook name.
    pub workbook: String,
    /// Workbook LUID.
    pub workbook_luid: String,
    /// The dbt node its table matches.
    pub node: String,
    /// The column, as the BI tool names it.
    pub column_name: String,
}

/// The columns each workbook reads that dbt lacks on the nodes it matches, judged as
/// matching does (with `catalog.json` when given), in workbook order.
pub fn missing_columns(
    manifest: &Manifest,
    workbooks: &[Workbook],
    aliases: &Aliases,
    catalog: Option<&Catalog>,
) -> Vec<MissingColumn> {
    let index = RelationIndex::new(&manifest.relations);
    let alias_map = AliasMap::new(aliases);
    let mut out = Vec::new();
    for workbook in workbooks {
        let read = columns_read(&workbook.columns, &index, &alias_map, catalog);
        out.extend(read.missing.into_iter().map(|c| MissingColumn {
            workbook: workbook.name.clone(),
            workbook_luid: workbook.luid.clone(),
            node: c.node,
            column_name: c.column_name,
        }));
    }
    out
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
        // Tableau lists a custom SQL query's tables among the workbook's upstream tables
        // too: each table is reported once per workbook.
        let mut listed = std::collections::HashSet::new();
        for table in workbook.tables.iter().chain(&sql_tables) {
            if !listed.insert(table_key(table)) {
                continue;
            }
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
                Lookup::NotWarehouse(kind) => {
                    report.summary.not_warehouse += 1;
                    TableStatus::NotWarehouse {
                        source: kind.describe().to_string(),
                        connection_type: table.connection_type.clone().unwrap_or_default(),
                    }
                }
                Lookup::Unmatched => {
                    let parts = effective_parts(table, &alias_map);
                    let nearest = parts
                        .as_ref()
                        .map(|p| nearest_relations(p, &normalized, 3))
                        .unwrap_or_default();
                    if nearest.is_empty() {
                        report.summary.unmatched_without_candidate += 1;
                    } else {
                        report.summary.unmatched_with_candidate += 1;
                    }
                    let hint = match (&parts, nearest.first()) {
                        (Some(p), Some(best)) => hint_for(table, p, best, &normalized),
                        _ => None,
                    };
                    TableStatus::Unmatched { nearest, hint }
                }
            };
            let note = match status {
                TableStatus::Hidden | TableStatus::NotWarehouse { .. } => None,
                _ => defaults_note(table, &alias_map),
            };
            report.summary.tables += 1;
            report.tables.push(TableDiagnosis {
                workbook: workbook.name.clone(),
                workbook_luid: workbook.luid.clone(),
                table: display_table(table),
                status,
                note,
            });
        }
    }
    report.missing_columns = missing_columns(manifest, workbooks, aliases, None);
    report
}

/// A table's parts with the integration's defaults filling what Tableau left empty.
struct Parts {
    database: Option<String>,
    schema: String,
    name: String,
    /// Whether Tableau itself gave no schema, or no database.
    schema_missing: bool,
    database_missing: bool,
}

fn effective_parts(table: &UpstreamTable, aliases: &AliasMap) -> Option<Parts> {
    let (database, schema, name) = table_parts(table)?;
    let mut parts = Parts {
        database: database.map(unquote),
        schema: unquote(schema),
        name: unquote(name),
        schema_missing: schema.trim().is_empty(),
        database_missing: database.is_none(),
    };
    for applied in aliases.defaults_for(table, database, schema) {
        match applied.part {
            "database" => parts.database = Some(applied.value),
            _ => parts.schema = applied.value,
        }
    }
    Some(parts)
}

/// Says which defaults filled a part Tableau left empty, e.g. "schema 'public' is the
/// integration's default for postgres tables (Tableau names none)".
fn defaults_note(table: &UpstreamTable, aliases: &AliasMap) -> Option<String> {
    let (database, schema, _) = table_parts(table)?;
    let applied = aliases.defaults_for(table, database, schema);
    let words: Vec<String> = applied
        .iter()
        .map(|DefaultApplied { part, value, scope }| {
            let scope = if scope.is_empty() {
                "every table".to_string()
            } else {
                format!("{} tables", printable(scope))
            };
            format!(
                "{part} '{}' is the default for {scope} (Tableau names none)",
                printable(value)
            )
        })
        .collect();
    let mut words = words;
    if let Some(stale) = stale_schema(table, schema) {
        words.insert(0, stale);
    }
    (!words.is_empty()).then(|| words.join("; "))
}

/// Says when Tableau's `schema` field disagrees with the schema its `fullName` names,
/// which is the one matched (see `table_parts`).
fn stale_schema(table: &UpstreamTable, schema: &str) -> Option<String> {
    let field = table.schema.as_deref()?.trim();
    if field.is_empty() || normalize_part(field) == normalize_part(schema) {
        return None;
    }
    Some(format!(
        "Tableau's schema field says '{}' but its full name {} reads schema '{}', which is matched",
        printable(field),
        printable(table.full_name.as_deref().unwrap_or_default()),
        printable(&unquote(schema))
    ))
}

/// What makes two listings of a table the same table: its name compared as matching
/// compares it, or Tableau's id when the name is hidden.
fn table_key(table: &UpstreamTable) -> String {
    match table_parts(table) {
        Some(_) => normalize_part(&display_table(table)),
        None => display_table(table),
    }
}

fn display_table(table: &UpstreamTable) -> String {
    match table_parts(table) {
        Some((database, schema, name)) => [database.unwrap_or(""), schema, name]
            .into_iter()
            .map(unquote)
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("."),
        None => match &table.id {
            Some(id) => format!("(name hidden by Tableau permissions; table id {id})"),
            None => "(name hidden by Tableau permissions)".into(),
        },
    }
}

/// Relations with a similar name (equal, a near miss, or one containing the other), ranked
/// same name first (the same relation in another schema or database, which an alias
/// fixes), then by the parts that agree, then by edit distance.
fn nearest_relations(
    parts: &Parts,
    relations: &[NormalizedRelation<'_>],
    limit: usize,
) -> Vec<Candidate> {
    let database = parts.database.as_deref().map(normalize_part);
    let schema = normalize_part(&parts.schema);
    let name = normalize_part(&parts.name);
    let near_name = (name.chars().count() / 3).max(2);
    let mut scored: Vec<(bool, usize, usize, Candidate)> = Vec::new();
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
            name_distance == 0,
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
            .then(b.1.cmp(&a.1))
            .then(a.2.cmp(&b.2))
            .then_with(|| a.3.unique_id.cmp(&b.3.unique_id))
    });
    scored
        .into_iter()
        .take(limit)
        .map(|(_, _, _, c)| c)
        .collect()
}

/// A suggestion a person can act on, from the best candidate.
fn hint_for(
    table: &UpstreamTable,
    parts: &Parts,
    best: &Candidate,
    relations: &[NormalizedRelation<'_>],
) -> Option<String> {
    let relation = relations
        .iter()
        .find(|r| r.relation.unique_id == best.unique_id)?
        .relation;
    // Names from Tableau and from the manifest, shown as text a terminal cannot act on.
    let database = printable(parts.database.as_deref().unwrap_or_default());
    let (schema, name) = (printable(&parts.schema), printable(&parts.name));
    let dbt_db = printable(relation.database.as_deref().unwrap_or_default());
    let dbt_schema = printable(&relation.schema);
    let dbt_name = printable(&relation.identifier);
    // The scope to suggest for a default: the connection type, which the table's siblings
    // on the same connection share.
    let scope = table
        .connection_type
        .as_deref()
        .map(|c| format!("{}=", printable(c)))
        .unwrap_or_default();
    match best.differs.as_slice() {
        [Part::Schema] | [Part::Database, Part::Schema]
            if parts.schema_missing && schema.is_empty() =>
        {
            Some(format!(
                "Tableau names no schema for this table (its connection's default schema applies) and dbt builds it in '{dbt_schema}'; set that default: `--default-schema {scope}{dbt_schema}` (on the integration: `autoexpose integrations set ID --default-schema {scope}{dbt_schema}`)"
            ))
        }
        [] if parts.database_missing && parts.database.is_none() => Some(format!(
            "Tableau names no database for this table and dbt builds '{schema}.{name}' in more than one database; say which one Tableau's connection reads: `--default-database {scope}{dbt_db}` (on the integration: `autoexpose integrations set ID --default-database {scope}{dbt_db}`)"
        )),
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
                TableStatus::NotWarehouse {
                    source,
                    connection_type,
                } => out.push_str(&format!(
                    "  apart     {table} ({}: {source}, which no dbt node can be)\n",
                    printable(connection_type)
                )),
                TableStatus::Unmatched { nearest, hint } => {
                    out.push_str(&format!("  no match  {table}\n"));
                    for c in nearest {
                        let parts: Vec<String> = c
                            .differs
                            .iter()
                            .map(|p| format!("{p:?}").to_lowercase())
                            .collect();
                        let differs = if parts.is_empty() {
                            "has the same schema and name, in one of several databases".to_string()
                        } else {
                            format!("differs in {}", parts.join(", "))
                        };
                        out.push_str(&format!(
                            "            nearest: {} ({}) {differs}\n",
                            printable(&c.relation),
                            printable(&c.unique_id),
                        ));
                    }
                    if let Some(hint) = hint {
                        out.push_str(&format!("            hint: {hint}\n"));
                    }
                }
            }
            if let Some(note) = &t.note {
                out.push_str(&format!("            note: {note}\n"));
            }
        }
    }
    for unparsed in &report.unparsed_custom_sql {
        out.push_str(&format!("unparsed  {unparsed}\n"));
    }
    for m in &report.missing_columns {
        out.push_str(&format!(
            "missing   {} ({}) reads column {} of {}, which dbt does not have\n",
            printable(&m.workbook),
            printable(&m.workbook_luid),
            printable(&m.column_name),
            printable(&m.node),
        ));
    }
    let s = &report.summary;
    out.push_str(&format!(
        "\n{} tables: {} matched, {} unmatched with a near dbt relation, {} unmatched with none, {} hidden",
        s.tables, s.matched, s.unmatched_with_candidate, s.unmatched_without_candidate, s.hidden
    ));
    if s.not_warehouse > 0 {
        out.push_str(&format!(
            ", {} not in a warehouse (files, web data connectors, SaaS)",
            s.not_warehouse
        ));
    }
    out.push('\n');
    if s.hidden > 0 {
        out.push_str(&format!(
            "\n{} of {} tables are hidden: Tableau returns them without names because the token's user lacks permission to see their metadata. Give that user Connect permission on the data sources (and View on the workbooks), or a site role that may view lineage (Site Administrator Explorer or Creator), then sync again.\n",
            s.hidden, s.tables
        ));
    }
    out
}
