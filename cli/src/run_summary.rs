//! One line per sync run, as `sync`, `apply-manifest`, `collections set` and the
//! integrations commands print it.

use autoexpose_pipeline::SyncRun;

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

/// Prints the run's integration, trigger and [`run_summary`].
pub(crate) fn print_run(run: &SyncRun) {
    println!(
        "{} ({}) {}",
        run.integration_id,
        run.trigger,
        run_summary(run)
    );
}
