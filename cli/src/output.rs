//! Output formats shared by the commands that print exposures.

use std::path::Path;

use anyhow::Context;
use autoexpose_domain::{Manifest, MatchOutcome, Workbook};
use autoexpose_output::{self as render, YamlOptions};
use autoexpose_tableau::parse_workbooks_response;

/// How exposures are printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// An aligned table for people.
    #[default]
    Table,
    /// JSON for machines: `{"exposures": [...], "summary": {...}}`.
    Json,
    /// A dbt properties file (`version: 2`, `exposures:`).
    Yaml,
}

/// Renders the outcome in the chosen format.
pub fn render(
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

/// Writes `text` to `out`, or to stdout when no file is given.
pub fn emit(text: &str, out: Option<&Path>) -> anyhow::Result<()> {
    match out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write '{}'", path.display()))
        }
        None => {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .context("cannot write to stdout")
        }
    }
}

/// Reads and parses a manifest, naming the file in any error.
pub fn read_manifest(path: &Path) -> anyhow::Result<Manifest> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read manifest '{}'", path.display()))?;
    Manifest::from_slice(&bytes).with_context(|| format!("manifest '{}'", path.display()))
}

/// Reads a saved Metadata API response, naming the file in any error.
pub fn read_tableau_response(path: &Path) -> anyhow::Result<Vec<Workbook>> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read Tableau response '{}'", path.display()))?;
    parse_workbooks_response(&bytes)
        .with_context(|| format!("Tableau response '{}'", path.display()))
}

/// `--server-url` and `--site`, for the commands that build workbook links offline.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SiteArgs {
    /// Tableau server, for workbook links: a host (https implied) or a full URL.
    #[arg(long)]
    server_url: Option<String>,
    /// Tableau site content URL (the part after `#/site/`); empty for the Default site.
    #[arg(long, default_value = "")]
    site: String,
}

impl SiteArgs {
    /// The site's rule for workbook URLs, when a server was given.
    pub fn workbook_urls(&self) -> Option<std::sync::Arc<dyn autoexpose_domain::WorkbookUrls>> {
        let server_url = self.server_url.clone()?;
        Some(std::sync::Arc::new(autoexpose_tableau::TableauSite {
            server_url,
            content_url: self.site.clone(),
        }))
    }

    /// The site's content URL, unless it is the Default site.
    pub fn content_url(&self) -> Option<&str> {
        (!self.site.is_empty()).then_some(self.site.as_str())
    }
}
