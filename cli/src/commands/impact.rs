//! `autoexpose impact`: which dashboards a dbt pull request breaks, before it is merged.
//!
//! It compares the pull request's `manifest.json` with production's (`--base`, or the
//! dbt project's applied manifest in the store), finds the exposures downstream of each
//! change (from the store, or offline from `--tableau-response` plus the base's manual
//! exposures; see [`exposures`]), prints the report as Markdown or JSON, posts it as the
//! pull request's comment with `--comment` (see [`github`]), and exits with
//! [`GATE_EXIT_CODE`] when `--fail-on` says the change may not merge.

mod exposures;
mod github;

use std::path::PathBuf;

use anyhow::Context;
use autoexpose_domain::impact::{Catalog, ImpactReport, ProjectState, assess};
use autoexpose_output::{impact_json, impact_markdown};

use crate::files;
use crate::match_flags::{AliasArgs, SiteArgs};
use crate::store_choice::{self, StoreArgs};

pub(crate) use github::GithubArgs;

/// The exit code of a run whose report trips `--fail-on`: the report was written (and the
/// comment posted), but the change should not merge. Any other failure exits with 1.
pub(crate) const GATE_EXIT_CODE: u8 = 3;

/// How the report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ImpactFormat {
    /// Markdown for a pull request comment.
    Markdown,
    /// JSON for machines: `{"affected": [...], "summary": {...}, "changed_nodes": [...]}`.
    Json,
}

/// What fails the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum FailOn {
    /// A breaking change to a dashboard.
    Breaking,
    /// Any change upstream of a dashboard, breaking or not.
    Changed,
}

/// Arguments of `autoexpose impact`.
#[derive(Debug, clap::Args)]
pub(crate) struct ImpactArgs {
    /// The pull request's `manifest.json` (after `dbt parse` or `dbt build` on its branch).
    #[arg(long)]
    manifest: PathBuf,
    /// Production's `manifest.json`, a path or `s3://bucket/key` (AWS credentials from the
    /// usual AWS settings); without it, the applied manifest of the dbt project in the store.
    #[arg(long)]
    base: Option<String>,
    /// The pull request's `catalog.json`: compare the warehouse's columns rather than the
    /// documented ones (needs `--base-catalog` too).
    #[arg(long, requires = "base_catalog")]
    catalog: Option<PathBuf>,
    /// Production's `catalog.json` (needs `--catalog` too).
    #[arg(long, requires = "catalog")]
    base_catalog: Option<PathBuf>,
    /// Work offline: the exposures are this saved Metadata API response matched against
    /// the base manifest, plus the base's manual exposures (no store is opened).
    #[arg(long)]
    tableau_response: Option<PathBuf>,
    #[command(flatten)]
    site: SiteArgs,
    #[command(flatten)]
    aliases: AliasArgs,
    /// The dbt project whose exposures (and applied manifest) the store holds; needed only
    /// when the store holds several.
    #[arg(long)]
    dbt_project: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ImpactFormat::Markdown)]
    format: ImpactFormat,
    /// Write the report to this file instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Exit with code 3 when the report has a breaking change (`breaking`) or any
    /// affected dashboard (`changed`).
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    #[command(flatten)]
    github: GithubArgs,
}

/// The run was fine but `--fail-on` rejects the change; `main` exits with
/// [`GATE_EXIT_CODE`] on it.
#[derive(Debug)]
pub(crate) struct GateTripped(String);

impl std::fmt::Display for GateTripped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GateTripped {}

/// Runs `autoexpose impact`.
pub(crate) async fn run(args: ImpactArgs, store: &StoreArgs) -> anyhow::Result<()> {
    let head_bytes = files::read_input(&args.manifest, "pull request manifest")?;
    let mut head = ProjectState::from_manifest(&head_bytes)
        .with_context(|| format!("pull request manifest '{}'", args.manifest.display()))?;
    drop(head_bytes);
    let given_base = match &args.base {
        Some(text) => Some(read_base(text).await?),
        None => None,
    };
    let (base_bytes, exposures) = match &args.tableau_response {
        Some(response) => {
            let bytes = given_base.context(
                "--tableau-response works offline, so it needs production's manifest as --base",
            )?;
            let offline = exposures::Offline {
                base_name: args.base.as_deref().unwrap_or_default(),
                response,
                site: &args.site,
                aliases: &args.aliases,
            };
            let found = offline.exposures(&bytes)?;
            (bytes, found)
        }
        None => {
            let pipeline = store_choice::open_pipeline(store).await?;
            let stored =
                exposures::from_store(&pipeline, args.dbt_project.as_deref(), given_base).await?;
            (stored.base_manifest, stored.exposures)
        }
    };
    let mut base = ProjectState::from_manifest(&base_bytes).context("base manifest")?;
    drop(base_bytes);
    if let (Some(head_catalog), Some(base_catalog)) = (&args.catalog, &args.base_catalog) {
        head.use_catalog_columns(&read_catalog(head_catalog)?);
        base.use_catalog_columns(&read_catalog(base_catalog)?);
    }
    let mut under_test = exposures;
    under_test.extend(exposures::declared(&base, &under_test));
    let report = assess(&base, &head, &under_test);
    let markdown = impact_markdown(&report);
    let text = match args.format {
        ImpactFormat::Markdown => markdown.clone(),
        ImpactFormat::Json => impact_json(&report),
    };
    files::emit(&text, args.out.as_deref())?;
    if args.github.comment {
        let posted = github::upsert_comment(&args.github, &markdown).await?;
        eprintln!("{posted}");
    }
    gate(&report, args.fail_on)
}

/// Production's manifest: a local file, or an S3 object read with the usual AWS settings.
async fn read_base(text: &str) -> anyhow::Result<Vec<u8>> {
    if !text.starts_with("s3://") {
        return files::read_input(std::path::Path::new(text), "base manifest");
    }
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let artifacts = autoexpose_aws::S3Artifacts::from_sdk_config(&config);
    let location = store_choice::artifact_location(text);
    autoexpose_pipeline::Artifacts::read(&artifacts, &location)
        .await
        .with_context(|| format!("cannot read the base manifest '{text}'"))
}

fn read_catalog(path: &std::path::Path) -> anyhow::Result<Catalog> {
    let bytes = files::read_input(path, "catalog")?;
    Catalog::from_slice(&bytes).with_context(|| format!("catalog '{}'", path.display()))
}

/// `Err(GateTripped)` when `fail_on` rejects the report.
fn gate(report: &ImpactReport, fail_on: Option<FailOn>) -> anyhow::Result<()> {
    let summary = &report.summary;
    match fail_on {
        Some(FailOn::Breaking) if summary.breaking > 0 => Err(GateTripped(format!(
            "{} dashboard(s) break with this change (--fail-on breaking)",
            summary.breaking
        ))
        .into()),
        Some(FailOn::Changed) if !report.affected.is_empty() => Err(GateTripped(format!(
            "{} dashboard(s) read what this change touches (--fail-on changed)",
            report.affected.len()
        ))
        .into()),
        _ => Ok(()),
    }
}
