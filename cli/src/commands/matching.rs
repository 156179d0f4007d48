//! `autoexpose match`: offline matching of a saved Tableau response against a manifest.

use std::path::PathBuf;

use autoexpose_domain::{MatchOptions, build_exposures};

use crate::exposure_format::{self, Format};
use crate::files;
use crate::match_flags::{AliasArgs, SiteArgs};

/// Arguments of `autoexpose match`.
#[derive(Debug, clap::Args)]
pub(crate) struct MatchArgs {
    /// dbt `manifest.json` of the production environment.
    #[arg(long)]
    manifest: PathBuf,
    /// Saved Metadata API response (the GraphiQL query of dbt's troubleshooting guide,
    /// or `workbooksConnection` pages).
    #[arg(long)]
    tableau_response: PathBuf,
    #[command(flatten)]
    site: SiteArgs,
    /// Also make exposures for workbooks that matched no dbt node.
    #[arg(long)]
    include_unmatched: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write to this file instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    aliases: AliasArgs,
}

/// Runs `autoexpose match`.
pub(crate) fn run(args: MatchArgs) -> anyhow::Result<()> {
    let manifest = files::read_manifest(&args.manifest)?;
    let workbooks = files::read_tableau_response(&args.tableau_response)?;
    let options = MatchOptions {
        include_unmatched: args.include_unmatched,
        urls: args.site.workbook_urls(),
        aliases: args.aliases.to_aliases(),
        ..MatchOptions::default()
    };
    let outcome = build_exposures(&manifest, &workbooks, &options);
    let site = args.site.content_url();
    let text = exposure_format::render(args.format, &outcome, &manifest, site);
    files::emit(&text, args.out.as_deref())
}
