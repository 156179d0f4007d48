//! Lookups in the chosen store that, when they find nothing, fail with a message saying
//! which command to run.

use anyhow::{Context, bail};
use autoexpose_pipeline::Integration;

use crate::store_choice::CliPipeline;

/// The one dbt project the store's integrations belong to, or an error asking to choose.
pub(crate) async fn only_dbt_project(pipeline: &CliPipeline) -> anyhow::Result<String> {
    let mut projects: Vec<String> = pipeline
        .store()
        .list_integrations(None)
        .await?
        .into_iter()
        .map(|i| i.dbt_project)
        .collect();
    projects.sort();
    projects.dedup();
    match projects.as_slice() {
        [only] => Ok(only.clone()),
        [] => bail!("the store has no integration yet: add one with `autoexpose integrations add`"),
        _ => bail!(
            "the store holds several dbt projects ({}): choose one with --dbt-project",
            projects.join(", ")
        ),
    }
}

/// The stored integration `id`, or an error pointing at `autoexpose integrations list`.
pub(crate) async fn stored_integration(
    pipeline: &CliPipeline,
    id: &str,
) -> anyhow::Result<Integration> {
    pipeline
        .store()
        .get_integration(id)
        .await?
        .with_context(|| {
            format!("there is no integration '{id}'; `autoexpose integrations list` shows them")
        })
}
