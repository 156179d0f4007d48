//! `autoexpose sync`: import workbooks from Tableau and match them against a dbt manifest,
//! for stored integrations through the pipeline (`ID` or `--all`), or live with no store.
//!
//! In live mode the PAT secret is read only from `AUTOEXPOSE_TABLEAU_TOKEN_SECRET`, never
//! from a flag, so that it stays out of shell history and process listings.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use autoexpose_domain::{MatchOptions, build_exposures};
use autoexpose_pipeline::Trigger;
use autoexpose_tableau::{
    ClientOptions, ConnectionSettings, Progress, TableauClient, TableauSite, TokenSecret,
    redact_server_url,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::exposure_format::{self, Format};
use crate::files;
use crate::match_flags::AliasArgs;
use crate::run_summary::{print_run, print_unmatched_workbooks};
use crate::store_choice::{self, CliPipeline, StoreArgs};

/// The environment variable that holds the personal access token's secret.
pub(crate) const TOKEN_SECRET_ENV: &str = "AUTOEXPOSE_TABLEAU_TOKEN_SECRET";

/// Arguments of `autoexpose sync`: a stored integration (`ID` or `--all`), or a live run
/// with no store (`--manifest` with the Tableau connection flags).
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["id", "all", "manifest"])))]
pub(crate) struct SyncArgs {
    /// A stored integration to sync (see `autoexpose integrations list`).
    id: Option<String>,
    /// Sync every stored integration.
    #[arg(long)]
    all: bool,
    /// Live mode, without a store: the dbt `manifest.json` to match the workbooks against;
    /// prints the exposures like `autoexpose match`.
    #[arg(long, requires_all = ["server_url", "token_name", "collections"])]
    manifest: Option<PathBuf>,
    /// Tableau server: a host (https implied, e.g. 10az.online.tableau.com) or a full URL.
    #[arg(long, requires = "manifest")]
    server_url: Option<String>,
    /// Tableau site content URL (the part after `#/site/`); empty for the Default site.
    #[arg(long, default_value = "", requires = "manifest")]
    site: String,
    /// Name of the personal access token; its secret comes from
    /// AUTOEXPOSE_TABLEAU_TOKEN_SECRET.
    #[arg(long, requires = "manifest")]
    token_name: Option<String>,
    /// Projects to import, comma-separated: LUIDs or paths such as Finance/Reporting
    /// (nested projects are included).
    #[arg(long, value_delimiter = ',', requires = "manifest")]
    collections: Vec<String>,
    /// Output format (live mode).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write to this file instead of stdout (live mode).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also make exposures for workbooks that matched no dbt node (live mode).
    #[arg(long)]
    include_unmatched: bool,
    /// Workbooks per Metadata API page (halved automatically on Tableau's node limit).
    #[arg(long, default_value_t = autoexpose_tableau::DEFAULT_PAGE_SIZE, value_parser = clap::value_parser!(u32).range(1..=1000))]
    page_size: u32,
    #[command(flatten)]
    aliases: AliasArgs,
}

/// Runs `autoexpose sync`: a stored integration through the pipeline, or a live run.
pub(crate) async fn run(args: SyncArgs, store: &StoreArgs) -> anyhow::Result<()> {
    match args.manifest.clone() {
        Some(manifest) => run_live(args, &manifest).await,
        // `--all` and an id are exclusive (the `mode` group), so no id means all.
        None => {
            let pipeline = store_choice::open_existing_pipeline(store).await?;
            sync_stored(&pipeline, args.id).await
        }
    }
}

/// Syncs a stored integration, or every one when `id` is `None`, and prints each run.
async fn sync_stored(pipeline: &CliPipeline, id: Option<String>) -> anyhow::Result<()> {
    let ids: Vec<String> = match id {
        Some(id) => vec![id],
        None => pipeline
            .store()
            .list_integrations(None)
            .await?
            .into_iter()
            .map(|i| i.id)
            .collect(),
    };
    let mut failed = Vec::new();
    for id in &ids {
        match pipeline.sync_integration(id, Trigger::Manual).await {
            Ok(run) => {
                print_run(&run);
                print_unmatched_workbooks(pipeline, &run).await?;
            }
            Err(e) => {
                eprintln!("{id}: {e}");
                failed.push(id.clone());
            }
        }
    }
    if !failed.is_empty() {
        let whose = if failed.len() == 1 { "its" } else { "their" };
        bail!(
            "sync failed for {}; {whose} exposures were left as they were",
            failed.join(", ")
        );
    }
    Ok(())
}

/// The live run: sign in, list the collections' workbooks, match, print.
async fn run_live(args: SyncArgs, manifest_path: &Path) -> anyhow::Result<()> {
    let server_url = args.server_url.clone().unwrap_or_default();
    let token_name = args.token_name.clone().unwrap_or_default();
    let secret = token_secret(std::env::var_os(TOKEN_SECRET_ENV))?;
    let manifest = files::read_manifest(manifest_path)?;
    let collections: Vec<String> = args
        .collections
        .iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    anyhow::ensure!(
        !collections.is_empty(),
        "--collections names no project: give project LUIDs or paths such as Finance/Reporting"
    );

    let client = TableauClient::new(
        ConnectionSettings {
            server_url: server_url.clone(),
            site: args.site.clone(),
            token_name,
            token_secret: secret,
        },
        ClientOptions {
            page_size: args.page_size,
            ..tableau_options()?
        },
    )
    .context("Tableau settings")?;

    let bar = progress_bar();
    let listing = {
        let bar = bar.clone();
        client
            .list_collections(&collections, move |p| show_progress(&bar, p))
            .await
    };
    bar.finish_and_clear();
    let listing = listing.with_context(|| {
        format!(
            "importing workbooks from Tableau site '{}' at {}",
            args.site,
            redact_server_url(&server_url)
        )
    })?;

    let options = MatchOptions {
        include_unmatched: args.include_unmatched,
        urls: Some(std::sync::Arc::new(TableauSite {
            server_url,
            content_url: args.site.clone(),
        })),
        aliases: args.aliases.to_aliases(),
        ..MatchOptions::default()
    };
    let outcome = build_exposures(&manifest, &listing.workbooks.workbooks, &options);
    let site = (!args.site.is_empty()).then_some(args.site.as_str());
    let text = exposure_format::render(args.format, &outcome, &manifest, site);
    files::emit(&text, args.out.as_deref())
}

/// The environment variable that sets the largest Tableau reply read, in MiB.
pub(crate) const MAX_RESPONSE_ENV: &str = "AUTOEXPOSE_TABLEAU_MAX_RESPONSE_MB";

/// The Tableau client's options, with the reply limit from [`MAX_RESPONSE_ENV`] if set.
pub(crate) fn tableau_options() -> anyhow::Result<ClientOptions> {
    let mut options = ClientOptions::default();
    if let Ok(text) = std::env::var(MAX_RESPONSE_ENV) {
        let mb: usize = text
            .trim()
            .parse()
            .ok()
            .filter(|mb| *mb >= 1)
            .with_context(|| {
                format!("{MAX_RESPONSE_ENV} must be a whole number of MiB, at least 1")
            })?;
        options.max_response_bytes = mb.saturating_mul(1024 * 1024);
    }
    Ok(options)
}

/// The PAT secret from the environment variable's value, or an error saying how to set it.
fn token_secret(value: Option<std::ffi::OsString>) -> anyhow::Result<TokenSecret> {
    let Some(value) = value else {
        anyhow::bail!(
            "{TOKEN_SECRET_ENV} is not set: export the personal access token's secret in it (it is never taken from a flag)"
        );
    };
    let Some(secret) = value.to_str() else {
        anyhow::bail!("{TOKEN_SECRET_ENV} is not valid UTF-8");
    };
    let secret = secret.trim();
    anyhow::ensure!(
        !secret.is_empty(),
        "{TOKEN_SECRET_ENV} is set but empty: export the personal access token's secret in it"
    );
    Ok(TokenSecret::new(secret))
}

/// A spinner-then-bar on stderr, hidden when stderr is not a terminal.
fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} workbooks")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message("importing from Tableau");
    bar
}

fn show_progress(bar: &ProgressBar, progress: Progress) {
    if let Some(total) = progress.total {
        bar.set_length(total);
    }
    bar.set_position(progress.workbooks as u64);
    bar.set_message(format!("{} pages", progress.pages));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_secret_says_which_variable_to_set() {
        let err = token_secret(None).unwrap_err().to_string();
        assert!(err.contains(TOKEN_SECRET_ENV), "{err}");
        assert!(err.contains("is not set"), "{err}");
    }

    #[test]
    fn an_empty_secret_is_reported_as_empty_not_as_unset() {
        let err = token_secret(Some("  ".into())).unwrap_err().to_string();
        assert!(err.contains("is set but empty"), "{err}");
    }

    #[test]
    fn secret_is_trimmed_and_never_printed() {
        let secret = token_secret(Some(" abc123 \n".into())).unwrap();
        assert_eq!(secret.expose_for_sign_in(), "abc123");
        assert_eq!(format!("{secret:?}"), "***");
    }
}
