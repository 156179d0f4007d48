//! `autoexpose`: keep dbt exposures in step with Tableau, from the command line.
//!
//! `autoexpose match` and `autoexpose diagnose` work offline on a saved Tableau response;
//! the stateful commands (`integrations`, `collections`, `sync`, `apply-manifest`,
//! `exposures`) run the same pipeline as the AWS functions on a local store.

mod backend;
mod diagnose_cmd;
mod export_cmd;
mod lineage_cmd;
mod match_cmd;
mod output;
mod state_cmd;
mod sync_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Keep dbt exposures in step with Tableau.
#[derive(Parser)]
#[command(name = "autoexpose", version, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    store: backend::StoreArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Match a saved Tableau Metadata API response against a dbt manifest, offline.
    Match(match_cmd::MatchArgs),
    /// List every Tableau table, whether it matched, and the nearest dbt relations of those that did not.
    Diagnose(diagnose_cmd::DiagnoseArgs),
    /// Draw the lineage page (dbt nodes → exposures) as one self-contained HTML file.
    Lineage(lineage_cmd::LineageArgs),
    /// Import Tableau workbooks and update exposures: a stored integration (`ID` or `--all`),
    /// or live with `--manifest` and the connection flags (no store).
    Sync(sync_cmd::SyncArgs),
    #[command(flatten)]
    State(state_cmd::StateCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Match(args) => match_cmd::run(args),
        Command::Diagnose(args) => {
            runtime().and_then(|rt| rt.block_on(diagnose_cmd::run(args, &cli.store)))
        }
        Command::Lineage(args) => {
            runtime().and_then(|rt| rt.block_on(lineage_cmd::run(args, &cli.store)))
        }
        Command::Sync(args) => {
            runtime().and_then(|rt| rt.block_on(sync_cmd::run(args, &cli.store)))
        }
        Command::State(cmd) => {
            runtime().and_then(|rt| rt.block_on(state_cmd::run(cmd, &cli.store)))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}
