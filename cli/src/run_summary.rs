//! One line per sync run, as `sync`, `apply-manifest`, `collections set` and the
//! integrations commands print it.

use autoexpose_pipeline::SyncRun;

/// When the run finished and what it did (or why it failed).
pub(crate) fn run_summary(run: &SyncRun) -> String {
    match &run.error {
        Some(error) => format!("{} failed: {error}", run.finished_at),
        None => format!(
            "{} ok: {} workbooks, {} added, {} changed, {} removed",
            run.finished_at, run.workbooks, run.added, run.changed, run.removed
        ),
    }
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
