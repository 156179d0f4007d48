//! `autoexpose diagnose`: why did a Tableau table not match? (PRODUCT.md S9)

use std::path::PathBuf;

use autoexpose_domain::diagnose::{diagnose, to_text};

use crate::files;
use crate::match_flags::AliasArgs;
use crate::store_choice::{self, CliPipeline, StoreArgs};

/// Output of `autoexpose diagnose`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DiagnoseFormat {
    /// Grouped by workbook, for people.
    #[default]
    Table,
    /// The same as JSON.
    Json,
}

/// Arguments of `autoexpose diagnose`.
#[derive(Debug, clap::Args)]
pub(crate) struct DiagnoseArgs {
    /// A stored integration: its last Tableau listing against its applied manifest.
    #[arg(long, conflicts_with_all = ["manifest", "tableau_response"], required_unless_present = "manifest")]
    integration: Option<String>,
    /// Offline: a dbt `manifest.json`; needs `--tableau-response`.
    #[arg(long, requires = "tableau_response")]
    manifest: Option<PathBuf>,
    /// Offline: the saved response of the GraphiQL query in dbt's troubleshooting guide.
    #[arg(long, requires = "manifest")]
    tableau_response: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiagnoseFormat::Table)]
    format: DiagnoseFormat,
    /// Write to this file instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    aliases: AliasArgs,
}

/// Runs `autoexpose diagnose`, for a stored integration or offline.
pub(crate) async fn run(args: DiagnoseArgs, store: &StoreArgs) -> anyhow::Result<()> {
    let report = match (&args.integration, &args.manifest, &args.tableau_response) {
        (Some(id), _, _) => {
            let pipeline = store_choice::open_existing_pipeline(store).await?;
            let report = pipeline.diagnose_integration(id).await?;
            warn_of_a_failed_last_sync(&pipeline, id).await?;
            report
        }
        (None, Some(manifest), Some(response)) => {
            let manifest = files::read_manifest(manifest)?;
            let workbooks = files::read_tableau_response(response)?;
            diagnose(&manifest, &workbooks, &args.aliases.to_aliases())
        }
        _ => anyhow::bail!("give --integration ID, or --manifest and --tableau-response"),
    };
    let text = match args.format {
        DiagnoseFormat::Table => to_text(&report),
        DiagnoseFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
    };
    files::emit(&text, args.out.as_deref())
}

/// Says on stderr when the integration's latest sync failed (Tableau still indexing its
/// metadata, a rejected token, ...): the report then reads the last complete listing,
/// which may be older than the person expects.
async fn warn_of_a_failed_last_sync(pipeline: &CliPipeline, id: &str) -> anyhow::Result<()> {
    let status = autoexpose_pipeline::integration_status(pipeline.store(), id).await?;
    let (Some(error), Some(run)) = (status.last_error, status.last_run) else {
        return Ok(());
    };
    let listed = match status.last_success {
        Some(success) => format!("the last complete listing, of {}", success.finished_at),
        None => "no complete listing yet".to_string(),
    };
    eprintln!(
        "note: the last sync of '{id}' ({}) failed, so this report reads {listed}: {}",
        run.finished_at,
        crate::files::terminal_safe(&error)
    );
    Ok(())
}
