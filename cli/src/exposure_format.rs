//! How `autoexpose match` and the live `autoexpose sync` print exposures: a table, JSON or
//! a dbt properties file.

use autoexpose_domain::{Manifest, MatchOutcome};
use autoexpose_output::{self as render, YamlOptions};

/// How exposures are printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// An aligned table for people.
    #[default]
    Table,
    /// JSON for machines: `{"exposures": [...], "summary": {...}}`.
    Json,
    /// A dbt properties file (`version: 2`, `exposures:`).
    Yaml,
}

/// Renders the outcome in the chosen format.
pub(crate) fn render(
    format: Format,
    outcome: &MatchOutcome,
    manifest: &Manifest,
    site: Option<&str>,
) -> String {
    match format {
        Format::Table => render::to_table(&outcome.exposures, &outcome.stats),
        Format::Json => render::to_json(&outcome.exposures, &outcome.stats),
        Format::Yaml => {
            let options = YamlOptions {
                site: site.map(str::to_string),
                fallback_owner: "Tableau".into(),
                ..YamlOptions::default()
            };
            render::to_dbt_yaml(&outcome.exposures, manifest, &options)
        }
    }
}
