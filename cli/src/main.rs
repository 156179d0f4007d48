//! `autoexpose`: keep dbt exposures in step with Tableau, from the command line.
//!
//! `autoexpose match` and `autoexpose diagnose` work offline on a saved Tableau response;
//! the stateful commands (`integrations`, `collections`, `sync`, `apply-manifest`,
//! `exposures`, `record-results`) run the same pipeline as the AWS functions on a local
//! store or a deployed stack's.
//!
//! Layout (arrows point down: `main` → `commands` → helpers):
//! - `commands/`: one module per command group (`matching`, `diagnose`, `lineage`, `sync`,
//!   `integrations`, `collections`, `manifest` for apply-manifest, `results` for
//!   record-results, `exposures` with its `export` of YAML and injected manifests);
//! - `store_choice`: the local SQLite store or a deployed stack's DynamoDB/S3/Secrets
//!   Manager behind one pipeline; `lookups`: finding stored records, with helpful errors;
//! - `match_flags`: alias and site flags; `files`: reading inputs, writing output;
//!   `exposure_format`: table/JSON/YAML of a match; `tables`: aligned columns and the
//!   catalog's rows and CSV; `run_summary`: one line per sync run.

mod commands;
mod exposure_format;
mod files;
mod interrupt;
mod lookups;
mod match_flags;
mod run_summary;
mod store_choice;
mod tables;

use std::future::Future;
use std::process::ExitCode;

use autoexpose_domain::printable::printable_within;
use clap::{Parser, Subcommand};

use commands::{
    collections, diagnose, exposures, impact, integrations, lineage, manifest, matching, results,
    sync,
};

/// Keep dbt exposures in step with Tableau.
#[derive(Parser)]
#[command(name = "autoexpose", version, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    store: store_choice::StoreArgs,
    /// Log what happens to stderr: `-v` steps, `-vv` details, `-vvv` every request.
    /// `RUST_LOG` (e.g. `autoexpose_tableau=debug`) overrides it.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Match a saved Tableau Metadata API response against a dbt manifest, offline.
    Match(matching::MatchArgs),
    /// List every Tableau table, whether it matched, and the nearest dbt relations of those that did not.
    Diagnose(diagnose::DiagnoseArgs),
    /// Draw the lineage page (dbt nodes → exposures) as one self-contained HTML file.
    Lineage(lineage::LineageArgs),
    /// Import Tableau workbooks and update exposures: a stored integration (`ID` or `--all`),
    /// or live with `--manifest` and the connection flags (no store).
    Sync(sync::SyncArgs),
    /// Add, list and show integrations (a dbt project linked to a Tableau site).
    #[command(subcommand)]
    Integrations(integrations::IntegrationsCommand),
    /// Choose and show an integration's Tableau collections (projects).
    #[command(subcommand)]
    Collections(collections::CollectionsCommand),
    /// Apply a dbt manifest.json and rematch every integration of its dbt project.
    ApplyManifest(manifest::ApplyManifestArgs),
    /// Show the stored exposures.
    #[command(subcommand)]
    Exposures(exposures::ExposuresCommand),
    /// Record a dbt run_results.json (and sources.json): exposure health, and extract
    /// refreshes of rebuilt exposures where active exposures are on.
    RecordResults(results::RecordResultsArgs),
    /// Which dashboards a dbt pull request breaks: compare its manifest.json with
    /// production's, as Markdown for the pull request (`--comment` posts it) or JSON.
    Impact(impact::ImpactArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let store = &cli.store;
    let result = match cli.command {
        Command::Match(args) => matching::run(args),
        Command::Diagnose(args) => block_on(diagnose::run(args, store)),
        Command::Lineage(args) => block_on(lineage::run(args, store)),
        Command::Sync(args) => block_on(sync::run(args, store)),
        Command::Integrations(cmd) => block_on(integrations::run(cmd, store)),
        Command::Collections(cmd) => block_on(collections::run(cmd, store)),
        Command::ApplyManifest(args) => block_on(manifest::run(args, store)),
        Command::Exposures(cmd) => block_on(exposures::run(cmd, store)),
        Command::RecordResults(args) => block_on(results::run(args, store)),
        Command::Impact(args) => block_on(impact::run(args, store)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.is::<impact::GateTripped>() => {
            eprintln!("{err}");
            ExitCode::from(impact::GATE_EXIT_CODE)
        }
        Err(err) => {
            eprintln!("error: {}", error_message(&err));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, each said once (a cause whose words its
/// error already repeats is not said again), without control characters from a file or a
/// server that would reach the terminal.
fn error_message(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if part.is_empty() || text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    printable_within(&text, MAX_MESSAGE_CHARS)
}

/// A message longer than this is cut: the values in it are already cut one by one.
const MAX_MESSAGE_CHARS: usize = 4000;

/// Runs an async command on a small runtime, stopping it cleanly on Ctrl-C or SIGTERM.
fn block_on(command: impl Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    runtime().and_then(|rt| {
        rt.block_on(async {
            interrupt::listen();
            command.await
        })
    })
}

/// Logs to stderr at the level `-v` asks for (errors and warnings about input files
/// without it), or as `RUST_LOG` says when it is set.
fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    // Warnings about the input files are shown even without `-v`.
    let level = match verbose {
        0 => "error,autoexpose::input=warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => EnvFilter::new(directives),
        _ => EnvFilter::new(level),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(verbose >= 2)
        .try_init();
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}
