//! Text tables and CSV: aligned columns for people, and the exposures catalog's rows with
//! dbt's columns.

use autoexpose_pipeline::{CatalogEntry, ExposureMode};

/// dbt's catalog columns.
pub(crate) const CATALOG_COLUMNS: [&str; 7] = [
    "NAME",
    "HEALTH",
    "TYPE",
    "OWNER",
    "OWNER EMAIL",
    "INTEGRATION",
    "EXPOSURE MODE",
];

/// One catalog entry as a table row under [`CATALOG_COLUMNS`], with the same values the
/// JSON and CSV carry (the integration's id, the mode as `auto` or `manual`), so a value
/// read in one format can be looked for in another.
pub(crate) fn catalog_row(e: &CatalogEntry) -> Vec<String> {
    vec![
        e.name.clone(),
        e.health.clone(),
        e.exposure_type.clone(),
        e.owner.clone().unwrap_or_default(),
        e.owner_email.clone().unwrap_or_default(),
        e.integration.clone().unwrap_or_default(),
        match e.mode {
            ExposureMode::Auto => "auto".to_string(),
            ExposureMode::Manual => "manual".to_string(),
        },
    ]
}

/// The catalog as CSV (RFC 4180 quoting).
pub(crate) fn catalog_csv(entries: &[CatalogEntry]) -> String {
    let quote = |field: &str| {
        if field.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", field.replace('"', "\"\""))
        } else {
            field.to_string()
        }
    };
    let mut out = "name,health,type,owner,owner_email,integration,exposure_mode,url\n".to_string();
    for e in entries {
        let mut row = catalog_row(e);
        row.push(e.url.clone().unwrap_or_default());
        let fields: Vec<String> = row.iter().map(|f| quote(f)).collect();
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

/// Prints rows as columns padded to the widest cell; the first row is the header.
pub(crate) fn print_table(rows: &[Vec<String>]) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  ", width = widths[c]));
            }
        }
        println!("{}", crate::files::terminal_safe(line.trim_end()));
    }
}
