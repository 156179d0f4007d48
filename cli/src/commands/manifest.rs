//! `autoexpose apply-manifest`: apply a dbt manifest.json and rematch every integration of
//! its dbt project.

use std::path::PathBuf;

use anyhow::bail;
use autoexpose_pipeline::ApplyOutcome;

use crate::run_summary::{print_run, print_unmatched_workbooks};
use crate::store_choice::{self, CliPipeline, StoreArgs};

/// Arguments of `autoexpose apply-manifest`.
#[derive(Debug, clap::Args)]
pub(crate) struct ApplyManifestArgs {
    /// Path of the production manifest.json.
    pub(crate) path: PathBuf,
    /// The dbt project it belongs to.
    #[arg(long)]
    pub(crate) dbt_project: String,
}

/// Runs `autoexpose apply-manifest` against the chosen store.
pub(crate) async fn run(args: ApplyManifestArgs, store: &StoreArgs) -> anyhow::Result<()> {
    let pipeline = store_choice::open_pipeline(store).await?;
    apply(&pipeline, args).await
}

async fn apply(pipeline: &CliPipeline, args: ApplyManifestArgs) -> anyhow::Result<()> {
    // `s3://bucket/key` for a deployed stack (its functions must read it too), else a path.
    let location = store_choice::artifact_location(&args.path.to_string_lossy());
    match pipeline
        .apply_manifest(&args.dbt_project, &location)
        .await?
    {
        ApplyOutcome::Applied {
            manifest,
            rematches,
        } => {
            println!(
                "applied {} (generated {})",
                store_choice::shown(&manifest.location),
                manifest.generated_at
            );
            let mut failed = false;
            for (id, result) in rematches {
                match result {
                    Ok(run) => {
                        print_run(&run);
                        print_unmatched_workbooks(pipeline, &run).await?;
                    }
                    Err(e) => {
                        failed = true;
                        eprintln!("{id}: {e}");
                    }
                }
            }
            if failed {
                bail!("the manifest was applied but some integrations could not be rematched");
            }
        }
        ApplyOutcome::Duplicate(m) => {
            println!(
                "{} is already applied; nothing changed",
                store_choice::shown(&m.location)
            )
        }
        ApplyOutcome::Stale { applied } => println!(
            "{} is older than the applied manifest {} (generated {}); nothing changed",
            store_choice::shown(&location),
            store_choice::shown(&applied.location),
            applied.generated_at
        ),
    }
    Ok(())
}
