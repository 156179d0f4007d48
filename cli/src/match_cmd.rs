//! `autoexpose match`: offline matching of a saved Tableau response against a manifest.

use std::path::PathBuf;

use anyhow::Context;
use autoexpose_matcher::{MatchOptions, TableauSite, build_exposures, parse_workbooks_response};

use crate::output::{self, Format};

/// Arguments of `autoexpose match`.
#[derive(Debug, clap::Args)]
pub struct MatchArgs {
    /// dbt `manifest.json` of the production environment.
    #[arg(long)]
    manifest: PathBuf,
    /// Saved Metadata API response (the GraphiQL query of dbt's troubleshooting guide,
    /// or `workbooksConnection` pages).
    #[arg(long)]
    tableau_response: PathBuf,
    /// Tableau server, for workbook URLs: a host (https implied) or a full URL.
    #[arg(long)]
    server_url: Option<String>,
    /// Tableau site content URL (the part after `#/site/`); empty for the Default site.
    #[arg(long, default_value = "")]
    site: String,
    /// Also make exposures for workbooks that matched no dbt node.
    #[arg(long)]
    include_unmatched: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write to this file instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Runs `autoexpose match`.
pub fn run(args: MatchArgs) -> anyhow::Result<()> {
    let manifest = output::read_manifest(&args.manifest)?;
    let response = std::fs::read(&args.tableau_response).with_context(|| {
        format!(
            "cannot read Tableau response '{}'",
            args.tableau_response.display()
        )
    })?;
    let workbooks = parse_workbooks_response(&response)
        .with_context(|| format!("Tableau response '{}'", args.tableau_response.display()))?;
    let options = MatchOptions {
        include_unmatched: args.include_unmatched,
        site: args.server_url.map(|server_url| TableauSite {
            server_url,
            content_url: args.site.clone(),
        }),
        ..MatchOptions::default()
    };
    let outcome = build_exposures(&manifest, &workbooks, &options);
    let site = (!args.site.is_empty()).then_some(args.site.as_str());
    let text = output::render(args.format, &outcome, &manifest, site);
    output::emit(&text, args.out.as_deref())
}
