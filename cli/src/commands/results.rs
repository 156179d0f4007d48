//! `autoexpose record-results`: record a dbt run_results.json (and sources.json) for
//! exposure health, and refresh the extracts of rebuilt exposures where active exposures
//! are on.

use std::path::PathBuf;

use anyhow::{Context, bail};
use autoexpose_domain::printable::printable;
use autoexpose_domain::run_results::parse_results;
use autoexpose_pipeline::{ArtifactLocation, JobCheck, ResultsOutcome};

use crate::store_choice::{self, CliPipeline, StoreArgs};

/// Arguments of `autoexpose record-results`.
#[derive(Debug, clap::Args)]
pub(crate) struct RecordResultsArgs {
    /// Path of run_results.json from a production `dbt build`.
    pub(crate) path: PathBuf,
    /// Path of sources.json from `dbt source freshness`.
    #[arg(long)]
    pub(crate) sources: Option<PathBuf>,
    /// The dbt project it belongs to.
    #[arg(long)]
    pub(crate) dbt_project: String,
    /// Follow the refresh jobs until they finish (the local CLI has no queue).
    #[arg(long)]
    pub(crate) wait: bool,
}

/// Reads and parses every file before any is recorded, so that a missing or broken
/// `--sources` file does not leave the run results recorded and the command failed: the
/// command records all of its files or none of them.
async fn check_every_file(
    pipeline: &CliPipeline,
    locations: &[ArtifactLocation],
) -> anyhow::Result<()> {
    for location in locations {
        let shown = store_choice::shown(location);
        let bytes = pipeline
            .artifacts()
            .read(location)
            .await
            .map_err(anyhow::Error::new)
            .with_context(|| format!("nothing was recorded: cannot read '{shown}'"))?;
        let file = parse_results(&bytes).with_context(|| {
            format!("nothing was recorded: '{shown}' is not a dbt results file")
        })?;
        if file.generated_at.is_none() || file.invocation_id.is_none() {
            bail!(
                "nothing was recorded: '{shown}' has no metadata.generated_at or metadata.invocation_id; give the file dbt wrote"
            );
        }
    }
    Ok(())
}

/// Runs `autoexpose record-results` against the chosen store.
pub(crate) async fn run(args: RecordResultsArgs, store: &StoreArgs) -> anyhow::Result<()> {
    let pipeline = store_choice::open_pipeline(store).await?;
    record_results(&pipeline, args).await
}

async fn record_results(pipeline: &CliPipeline, args: RecordResultsArgs) -> anyhow::Result<()> {
    let mut paths = vec![args.path.clone()];
    paths.extend(args.sources.clone());
    let locations: Vec<ArtifactLocation> = paths
        .iter()
        .map(|path| store_choice::artifact_location(&path.to_string_lossy()))
        .collect();
    check_every_file(pipeline, &locations).await?;
    let mut jobs = Vec::new();
    for location in locations {
        match pipeline
            .record_run_results(&args.dbt_project, &location)
            .await?
        {
            ResultsOutcome::Recorded {
                pointer,
                nodes,
                refreshes,
                jobs: queued,
                warnings,
            } => {
                println!(
                    "recorded {nodes} results of {} (invocation {})",
                    store_choice::shown(&pointer.location),
                    pointer.invocation_id
                );
                for (id, result) in refreshes {
                    match result {
                        Ok(records) => {
                            for r in records {
                                let what = match (&r.skipped, r.state) {
                                    (Some(s), _) => format!("skipped: {}", s.reason),
                                    (None, Some(state)) => state.as_str().to_string(),
                                    (None, None) => "-".into(),
                                };
                                println!(
                                    "{id}: refresh of {} '{}': {what}",
                                    r.target.kind.as_str(),
                                    r.target.name
                                );
                            }
                        }
                        Err(e) => eprintln!("{id}: refreshes failed: {e}"),
                    }
                }
                for (id, result) in warnings {
                    match result {
                        Ok(outcome) => {
                            for line in outcome.describe() {
                                println!("{id}: data quality warning {line}");
                            }
                        }
                        Err(e) => eprintln!("{id}: data quality warnings failed: {e}"),
                    }
                }
                jobs.extend(queued);
            }
            ResultsOutcome::Duplicate(p) => {
                println!(
                    "{} is already recorded; nothing changed",
                    store_choice::shown(&p.location)
                )
            }
            ResultsOutcome::Stale { recorded } => println!(
                "{} is older than the recorded {} (generated {}); nothing changed",
                store_choice::shown(&location),
                store_choice::shown(&recorded.location),
                recorded.generated_at
            ),
        }
    }
    if !args.wait {
        if !jobs.is_empty() {
            println!(
                "{} refresh jobs queued; `--wait` follows them to the end",
                jobs.len()
            );
        }
        return Ok(());
    }
    for mut job in jobs {
        loop {
            match pipeline.check_refresh_job(&job).await? {
                JobCheck::Done(r) => {
                    println!(
                        "job {} ({} '{}'): {}{}",
                        job.job_id,
                        r.target.kind.as_str(),
                        printable(&r.target.name),
                        r.state.map_or("-", |s| s.as_str()),
                        r.notes
                            .as_deref()
                            .map(|n| format!(": {}", printable(n)))
                            .unwrap_or_default()
                    );
                    break;
                }
                JobCheck::NotYet { job: next, delay } => {
                    // Locally a short poll is fine; the queue's long delays are for Lambda.
                    tokio::time::sleep(delay.min(std::time::Duration::from_secs(5))).await;
                    job = next;
                }
            }
        }
    }
    Ok(())
}
