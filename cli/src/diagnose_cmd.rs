//! `autoexpose diagnose`: why did a Tableau table not match? (PRODUCT.md S9)

use std::path::PathBuf;

use autoexpose_matcher::diagnose::{diagnose, to_text};

use crate::match_cmd::AliasArgs;
use crate::output;

/// Output of `autoexpose diagnose`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum DiagnoseFormat {
    /// Grouped by workbook, for people.
    #[default]
    Table,
    /// The same as JSON.
    Json,
}

/// Arguments of `autoexpose diagnose`.
#[derive(Debug, clap::Args)]
pub struct DiagnoseArgs {
    /// dbt `manifest.json` of the production environment.
    #[arg(long)]
    manifest: PathBuf,
    /// Saved response of the GraphiQL query in dbt's troubleshooting guide.
    #[arg(long)]
    tableau_response: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiagnoseFormat::Table)]
    format: DiagnoseFormat,
    /// Write to this file instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    aliases: AliasArgs,
}

/// Runs `autoexpose diagnose` offline.
pub fn run(args: DiagnoseArgs) -> anyhow::Result<()> {
    let manifest = output::read_manifest(&args.manifest)?;
    let workbooks = output::read_tableau_response(&args.tableau_response)?;
    let report = diagnose(&manifest, &workbooks, &args.aliases.to_aliases());
    let text = match args.format {
        DiagnoseFormat::Table => to_text(&report),
        DiagnoseFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
    };
    output::emit(&text, args.out.as_deref())
}
