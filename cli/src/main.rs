//! `autoexpose`: keep dbt exposures in step with Tableau, from the command line.
//!
//! `autoexpose match` matches a saved Tableau Metadata API response against a dbt
//! `manifest.json` offline; the other commands run the same pipeline as the AWS functions
//! on a local store.

mod diagnose_cmd;
mod match_cmd;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Keep dbt exposures in step with Tableau.
#[derive(Parser)]
#[command(name = "autoexpose", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Match a saved Tableau Metadata API response against a dbt manifest, offline.
    Match(match_cmd::MatchArgs),
    /// List every Tableau table, whether it matched, and the nearest dbt relations of those that did not.
    Diagnose(diagnose_cmd::DiagnoseArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Match(args) => match_cmd::run(args),
        Command::Diagnose(args) => diagnose_cmd::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
