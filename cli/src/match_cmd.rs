//! `autoexpose match`: offline matching of a saved Tableau response against a manifest.

use std::path::PathBuf;

use autoexpose_domain::{Aliases, MatchOptions, build_exposures};

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
    #[command(flatten)]
    site: crate::output::SiteArgs,
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

/// `--database-alias` and `--schema-alias`, shared by the commands that match.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AliasArgs {
    /// Map a Tableau database name to dbt's: `TABLEAU=DBT` (repeatable), e.g. `prod_analytics=analytics`.
    #[arg(long = "database-alias", value_name = "TABLEAU=DBT", value_parser = parse_alias)]
    databases: Vec<(String, String)>,
    /// Map a Tableau schema name to dbt's: `TABLEAU=DBT` (repeatable).
    #[arg(long = "schema-alias", value_name = "TABLEAU=DBT", value_parser = parse_alias)]
    schemas: Vec<(String, String)>,
}

impl AliasArgs {
    /// The aliases as the matcher takes them.
    pub fn to_aliases(&self) -> Aliases {
        Aliases {
            databases: self.databases.iter().cloned().collect(),
            schemas: self.schemas.iter().cloned().collect(),
        }
    }
}

fn parse_alias(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((from, to)) if !from.trim().is_empty() && !to.trim().is_empty() => {
            Ok((from.trim().to_string(), to.trim().to_string()))
        }
        _ => Err(format!(
            "'{text}' is not TABLEAU=DBT, e.g. prod_analytics=analytics"
        )),
    }
}

/// Runs `autoexpose match`.
pub fn run(args: MatchArgs) -> anyhow::Result<()> {
    let manifest = output::read_manifest(&args.manifest)?;
    let workbooks = output::read_tableau_response(&args.tableau_response)?;
    let options = MatchOptions {
        include_unmatched: args.include_unmatched,
        urls: args.site.workbook_urls(),
        aliases: args.aliases.to_aliases(),
        ..MatchOptions::default()
    };
    let outcome = build_exposures(&manifest, &workbooks, &options);
    let site = args.site.content_url();
    let text = output::render(args.format, &outcome, &manifest, site);
    output::emit(&text, args.out.as_deref())
}
