//! `autoexpose lineage`: the lineage page (dbt nodes → exposures) as one HTML file,
//! built offline from a manifest and a saved Tableau response (PRODUCT.md S7).

use std::path::PathBuf;

use anyhow::Context;
use autoexpose_matcher::lineage::{LineageOptions, lineage_html, read_dag};
use autoexpose_matcher::{Manifest, MatchOptions, TableauSite, build_exposures};

use crate::match_cmd::AliasArgs;
use crate::output;

/// Arguments of `autoexpose lineage`.
#[derive(Debug, clap::Args)]
pub struct LineageArgs {
    /// dbt `manifest.json` of the production environment (its `parent_map` gives the edges).
    #[arg(long)]
    manifest: PathBuf,
    /// Saved Metadata API response (the GraphiQL query of dbt's troubleshooting guide,
    /// or `workbooksConnection` pages).
    #[arg(long)]
    tableau_response: PathBuf,
    /// Tableau server, for workbook links: a host (https implied) or a full URL.
    #[arg(long)]
    server_url: Option<String>,
    /// Tableau site content URL (the part after `#/site/`); empty for the Default site.
    #[arg(long, default_value = "")]
    site: String,
    /// Page title; defaults to the dbt project's name.
    #[arg(long)]
    title: Option<String>,
    /// Write the page here (a self-contained HTML file).
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    aliases: AliasArgs,
}

/// Runs `autoexpose lineage` offline: reads the manifest once, matches, writes the page.
pub fn run(args: LineageArgs) -> anyhow::Result<()> {
    let bytes = std::fs::read(&args.manifest)
        .with_context(|| format!("cannot read manifest '{}'", args.manifest.display()))?;
    let manifest = Manifest::from_slice(&bytes)
        .with_context(|| format!("manifest '{}'", args.manifest.display()))?;
    let dag = read_dag(&bytes)
        .with_context(|| format!("parent_map of manifest '{}'", args.manifest.display()))?;
    drop(bytes);
    let workbooks = output::read_tableau_response(&args.tableau_response)?;
    let options = MatchOptions {
        site: args.server_url.map(|server_url| TableauSite {
            server_url,
            content_url: args.site.clone(),
        }),
        aliases: args.aliases.to_aliases(),
        ..MatchOptions::default()
    };
    let outcome = build_exposures(&manifest, &workbooks, &options);
    let title = args
        .title
        .unwrap_or_else(|| match manifest.metadata.project_name.as_deref() {
            Some(project) => format!("{project} · dbt lineage"),
            None => "dbt lineage".to_string(),
        });
    let page = lineage_html(
        &manifest,
        &dag,
        &outcome.exposures,
        &LineageOptions {
            title,
            // The manifest's own time is in the header; no clock, so the same inputs
            // give the same file (reviewable, cacheable).
            generated_at: None,
        },
    );
    output::emit(&page, Some(&args.out))
}
