//! One line per sync run, as `sync`, `apply-manifest`, `collections set` and the
//! integrations commands print it.

use autoexpose_pipeline::SyncRun;

use crate::store_choice::CliPipeline;

/// When the run finished and what it did (or why it failed).
pub(crate) fn run_summary(run: &SyncRun) -> String {
    match &run.error {
        Some(error) => format!("{} failed: {error}", run.finished_at),
        None => {
            // A run that Tableau answered with hidden tables is not a success to report.
            let outcome = if run.warning.is_some() {
                "incomplete"
            } else {
                "ok"
            };
            let mut line = format!(
                "{} {outcome}: {} workbooks, {} added, {} changed, {} removed",
                run.finished_at, run.workbooks, run.added, run.changed, run.removed
            );
            if let Some(warning) = &run.warning {
                line.push_str(&format!("; {warning}"));
            }
            line
        }
    }
}

/// After a successful run, says how many listed workbooks read no dbt node and so have no
/// exposure, and where to find out why; nothing when every one matched (or unmatched
/// workbooks get exposures too).
pub(crate) async fn print_unmatched_workbooks(
    pipeline: &CliPipeline,
    run: &SyncRun,
) -> anyhow::Result<()> {
    if run.error.is_some() {
        return Ok(());
    }
    let id = &run.integration_id;
    let Some(integration) = pipeline.store().get_integration(id).await? else {
        return Ok(());
    };
    if integration.include_unmatched {
        return Ok(());
    }
    let exposures = pipeline.store().list_exposures(id).await?.len();
    let workbooks = run.workbooks as usize;
    if workbooks <= exposures {
        return Ok(());
    }
    let unmatched = workbooks - exposures;
    let (verb, has) = if unmatched == 1 {
        ("reads", "has")
    } else {
        ("read", "have")
    };
    println!(
        "{id}: {unmatched} of {workbooks} workbooks {verb} no dbt node and so {has} no exposure: `autoexpose diagnose --integration {id}` shows why (`autoexpose integrations set {id} --include-unmatched 1` gives them exposures anyway)"
    );
    Ok(())
}

/// Prints the run's integration, trigger and [`run_summary`].
pub(crate) fn print_run(run: &SyncRun) {
    println!(
        "{} ({}) {}",
        run.integration_id,
        run.trigger,
        run_summary(run)
    );
}
