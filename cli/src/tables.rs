//! Text tables and CSV: aligned columns for people, and the exposures catalog's rows with
//! dbt's columns.

use autoexpose_pipeline::{CatalogEntry, ExposureMode};

/// dbt's catalog columns.
pub(crate) const CATALOG_COLUMNS: [&str; 8] = [
    "NAME",
    "HEALTH",
    "TYPE",
    "OWNER",
    "OWNER EMAIL",
    "INTEGRATION",
    "EXPOSURE MODE",
    "USAGE",
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
        usage_cell(e),
    ]
}

/// The catalog's usage cell: `410/month · high`, `0/month · low · stale`, `9800 views`
/// where Tableau gave only lifetime views, `-` without usage.
pub(crate) fn usage_cell(e: &CatalogEntry) -> String {
    let Some(usage) = &e.usage else {
        return "-".to_string();
    };
    let mut parts = Vec::new();
    match (usage.hits_last_month, usage.total_views) {
        (Some(month), _) => parts.push(format!("{month}/month")),
        (None, Some(total)) => parts.push(format!("{total} views")),
        (None, None) => parts.push("-".to_string()),
    }
    if let Some(maturity) = e.maturity {
        parts.push(maturity.to_string());
    }
    if e.stale {
        parts.push("stale".to_string());
    }
    parts.join(" · ")
}

/// How much an entry is used, for `--sort usage`: hits in the last month, else in three
/// months, else lifetime views; `None` without usage (sorted last).
pub(crate) fn usage_rank(e: &CatalogEntry) -> Option<u64> {
    let usage = e.usage.as_ref()?;
    usage
        .hits_last_month
        .or(usage.hits_last_three_months)
        .or(usage.total_views)
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
    let mut out = "name,health,type,owner,owner_email,integration,exposure_mode,url,hits_last_month,maturity,stale\n".to_string();
    for e in entries {
        let mut row = catalog_row(e);
        row.truncate(7);
        row.push(e.url.clone().unwrap_or_default());
        let usage = e.usage.as_ref();
        row.push(
            usage
                .and_then(|u| u.hits_last_month)
                .map(|h| h.to_string())
                .unwrap_or_default(),
        );
        row.push(e.maturity.map(|m| m.to_string()).unwrap_or_default());
        row.push(e.stale.to_string());
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
