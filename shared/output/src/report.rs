//! The match report as people and tools read it: pretty JSON (`--format json`) and an
//! aligned text table.

use autoexpose_domain::{Exposure, MatchStats};
use serde::Serialize;

/// The JSON document `autoexpose match --format json` prints.
#[derive(Debug, Serialize)]
struct JsonReport<'a> {
    /// The exposures, sorted by name, each with every documented field.
    exposures: Vec<serde_json::Value>,
    /// Counts of the run.
    summary: &'a MatchStats,
}

/// Fields a tool reading the report may rely on: present on every exposure, `null` when
/// Tableau gave nothing (the stored form leaves them out).
const ALWAYS_PRESENT: [&str; 3] = ["url", "owner", "description"];

/// One exposure as the report shows it.
fn exposure_value(exposure: &Exposure) -> serde_json::Value {
    let mut value = serde_json::to_value(exposure).unwrap_or_default();
    if let Some(fields) = value.as_object_mut() {
        for field in ALWAYS_PRESENT {
            fields
                .entry(field.to_string())
                .or_insert(serde_json::Value::Null);
        }
    }
    value
}

/// Renders exposures as pretty JSON with a top-level `exposures` array.
pub fn to_json(exposures: &[Exposure], stats: &MatchStats) -> String {
    let report = JsonReport {
        exposures: exposures.iter().map(exposure_value).collect(),
        summary: stats,
    };
    // Serializing plain owned data to a String cannot fail.
    serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
}

/// Renders exposures as an aligned text table for people.
pub fn to_table(exposures: &[Exposure], stats: &MatchStats) -> String {
    let header = [
        "NAME",
        "WORKBOOK",
        "PROJECT",
        "OWNER",
        "DEPENDS ON",
        "UNMATCHED",
    ];
    let rows: Vec<[String; 6]> = exposures
        .iter()
        .map(|e| {
            [
                e.name.clone(),
                e.label.clone(),
                e.project.clone(),
                e.owner
                    .as_ref()
                    .and_then(|o| o.name.clone().or_else(|| o.email.clone()))
                    .unwrap_or_default(),
                e.depends_on.len().to_string(),
                e.unmatched_tables.len().to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(&header.map(String::from));
    for row in &rows {
        out.push_str(&line(row));
    }
    let noun = |count: usize, one: &str, many: &str| {
        format!("{count} {}", if count == 1 { one } else { many })
    };
    out.push_str(&format!(
        "\n{} from {}; tables: {} matched, {} unmatched, {} hidden by Tableau permissions\n",
        noun(stats.exposures, "exposure", "exposures"),
        noun(stats.workbooks, "workbook", "workbooks"),
        stats.tables_matched,
        stats.tables_unmatched,
        stats.tables_hidden
    ));
    out
}
