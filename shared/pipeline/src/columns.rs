//! The columns each dashboard reads: fetched from the BI tool after matching, for the
//! matched workbooks only, and kept on them in the snapshot; and dbt's `catalog.json`,
//! read from beside the applied manifest when it is there, for matching those columns.
//!
//! Column lineage is a refinement of table-level exposures, so a failure to fetch it never
//! fails a sync: the run records why, and each workbook keeps the columns of the last sync
//! that fetched them.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use autoexpose_domain::{Catalog, Manifest, MatchOptions, Workbook, build_exposures};

use crate::error::PipelineError;
use crate::pipeline::Pipeline;
use crate::{ArtifactError, ArtifactLocation, ColumnLineage, Integration, Snapshot};

/// The `catalog.json` beside a `manifest.json`: the same key with its file name changed,
/// at the latest version (a catalog is written by its own `dbt docs generate`).
pub(crate) fn catalog_location(manifest: &ArtifactLocation) -> Option<ArtifactLocation> {
    let stem = manifest.key.strip_suffix("manifest.json")?;
    if !(stem.is_empty() || stem.ends_with('/') || stem.ends_with('\\')) {
        return None;
    }
    Some(ArtifactLocation {
        container: manifest.container.clone(),
        key: format!("{stem}catalog.json"),
        version: None,
    })
}

impl Pipeline {
    /// The catalog beside the dbt project's applied manifest, if there is one that reads.
    /// A catalog that cannot be read is logged and left out: columns then match against
    /// the manifest's documented ones alone.
    pub(crate) async fn applied_catalog(
        &self,
        integration: &Integration,
    ) -> Result<Option<Arc<Catalog>>, PipelineError> {
        let Some(applied) = self
            .store
            .get_applied_manifest(&integration.dbt_project)
            .await?
        else {
            return Ok(None);
        };
        let Some(location) = catalog_location(&applied.location) else {
            return Ok(None);
        };
        let bytes = match self.artifacts.read(&location).await {
            Ok(bytes) => bytes,
            Err(ArtifactError::NotFound(_)) => return Ok(None),
            Err(error) => {
                tracing::warn!(%location, %error, "could not read the dbt catalog; columns are matched against the manifest's documented ones");
                return Ok(None);
            }
        };
        match Catalog::from_slice(&bytes) {
            Ok(catalog) => Ok(Some(Arc::new(catalog))),
            Err(error) => {
                tracing::warn!(%location, %error, "the dbt catalog does not read; columns are matched against the manifest's documented ones");
                Ok(None)
            }
        }
    }

    /// Fetches the columns the matched workbooks read and puts them on the workbooks.
    /// Returns why the columns could not be fetched, if they could not; only a stop
    /// request is an error. Where the fetch fails, each workbook keeps the columns `stored` has for it.
    pub(crate) async fn attach_columns(
        &self,
        integration: &Integration,
        manifest: &Manifest,
        workbooks: &mut [Workbook],
        stored: Option<&Snapshot>,
    ) -> Result<Option<String>, PipelineError> {
        let matched = matched_luids(integration, manifest, workbooks);
        if matched.is_empty() {
            return Ok(None);
        }
        match self.fetch_columns(integration, &matched).await? {
            Ok(lineage) => {
                put_columns(workbooks, &matched, lineage);
                Ok(None)
            }
            Err(why) => {
                let warning = format!(
                    "the columns the dashboards read could not be fetched from the BI tool ({why}); exposures keep their tables, and the columns of the last sync that fetched them"
                );
                tracing::warn!(integration = %integration.id, "{warning}");
                keep_stored_columns(workbooks, stored);
                Ok(Some(warning))
            }
        }
    }

    /// Fetches the columns of the workbooks this manifest matches whose columns were
    /// never fetched, and keeps them in the snapshot: a sync fetches them only for the
    /// workbooks its manifest matched, so without this a workbook that a new manifest
    /// (or a new alias) matches would have no columns until the next sync. Returns the
    /// snapshot to match, and why some columns are missing from it, if they are.
    pub(crate) async fn fill_missing_columns(
        &self,
        integration: &Integration,
        manifest: &Manifest,
        mut snapshot: Snapshot,
    ) -> Result<(Snapshot, Option<String>), PipelineError> {
        let unfetched: HashSet<&str> = snapshot
            .workbooks
            .iter()
            .filter(|w| !w.columns_fetched)
            .map(|w| w.luid.as_str())
            .collect();
        let missing: Vec<String> = matched_luids(integration, manifest, &snapshot.workbooks)
            .into_iter()
            .filter(|luid| unfetched.contains(luid.as_str()))
            .collect();
        if missing.is_empty() {
            return Ok((snapshot, None));
        }
        match self.fetch_columns(integration, &missing).await? {
            Ok(lineage) => {
                put_columns(&mut snapshot.workbooks, &missing, lineage);
                self.store.put_snapshot(&snapshot).await?;
                Ok((snapshot, None))
            }
            Err(why) => {
                let dashboards = match missing.len() {
                    1 => "1 newly matched dashboard reads".to_string(),
                    n => format!("{n} newly matched dashboards read"),
                };
                let warning = format!(
                    "the columns that {dashboards} could not be fetched from the BI tool ({why}); their exposures list their tables, and the next sync fetches the columns"
                );
                tracing::warn!(integration = %integration.id, "{warning}");
                Ok((snapshot, Some(warning)))
            }
        }
    }

    /// The field lineage of these workbooks, or why the BI tool could not give it; only a
    /// stop request is an error.
    async fn fetch_columns(
        &self,
        integration: &Integration,
        luids: &[String],
    ) -> Result<Result<ColumnLineage, String>, PipelineError> {
        let secret = match self.tableau_secret(integration).await {
            Ok(secret) => secret,
            Err(error) => return Ok(Err(error.to_string())),
        };
        let fetched = self
            .until_stopped(
                &integration.id,
                self.bi.workbook_columns(integration, &secret, luids),
            )
            .await?;
        let lineage = match fetched {
            Ok(lineage) => lineage,
            Err(error) => return Ok(Err(error.to_string())),
        };
        if lineage.hidden > 0 {
            // Logged, not made the run's warning: the exposures' tables are complete, and
            // a site that hides one sensitive column would otherwise mark every run.
            tracing::warn!(integration = %integration.id, hidden = lineage.hidden,
                "Tableau hid columns from the token's user, so the exposures may lack columns they read; give that user permission to see the data sources' fields");
        }
        Ok(Ok(lineage))
    }
}

/// Puts the fetched columns on the workbooks they were fetched for, each one marked as
/// fetched, with none where the lineage has none for it.
fn put_columns(workbooks: &mut [Workbook], fetched_for: &[String], mut lineage: ColumnLineage) {
    let fetched_for: HashSet<&str> = fetched_for.iter().map(String::as_str).collect();
    for workbook in workbooks.iter_mut() {
        if fetched_for.contains(workbook.luid.as_str()) {
            workbook.columns = lineage.columns.remove(&workbook.luid).unwrap_or_default();
            workbook.columns_fetched = true;
        }
    }
}

/// The LUIDs of the workbooks that match a dbt node, as the rematch will see them.
fn matched_luids(
    integration: &Integration,
    manifest: &Manifest,
    workbooks: &[Workbook],
) -> Vec<String> {
    let options = MatchOptions {
        aliases: integration.aliases(),
        ..MatchOptions::default()
    };
    build_exposures(manifest, workbooks, &options)
        .exposures
        .into_iter()
        .map(|e| e.workbook_luid)
        .collect()
}

/// Gives each workbook the columns the stored snapshot has for it.
fn keep_stored_columns(workbooks: &mut [Workbook], stored: Option<&Snapshot>) {
    let Some(stored) = stored else {
        return;
    };
    let before: HashMap<&str, &Workbook> = stored
        .workbooks
        .iter()
        .map(|w| (w.luid.as_str(), w))
        .collect();
    for workbook in workbooks.iter_mut() {
        if let Some(previous) = before.get(workbook.luid.as_str()) {
            workbook.columns = previous.columns.clone();
            workbook.columns_fetched = previous.columns_fetched;
        }
    }
}

/// Two reasons a run is incomplete, as one.
pub(crate) fn join_warnings(first: Option<String>, second: Option<String>) -> Option<String> {
    match (first, second) {
        (Some(a), Some(b)) => Some(format!("{a}; {b}")),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_is_looked_for_beside_the_manifest() {
        let manifest = ArtifactLocation {
            container: Some("artifacts".into()),
            key: "dbt/shop/prod/manifest.json".into(),
            version: Some("v7".into()),
        };
        let catalog = catalog_location(&manifest).expect("beside");
        assert_eq!(catalog.key, "dbt/shop/prod/catalog.json");
        assert_eq!(catalog.container.as_deref(), Some("artifacts"));
        assert_eq!(catalog.version, None);
        let local = catalog_location(&ArtifactLocation::local("target/manifest.json"));
        assert_eq!(local.expect("beside").key, "target/catalog.json");
        assert_eq!(catalog_location(&ArtifactLocation::local("m.json")), None);
        assert_eq!(
            catalog_location(&ArtifactLocation::local("target/old_manifest.json")),
            None
        );
    }

    #[test]
    fn warnings_join() {
        assert_eq!(join_warnings(None, None), None);
        assert_eq!(join_warnings(Some("a".into()), None).as_deref(), Some("a"));
        assert_eq!(
            join_warnings(Some("a".into()), Some("b".into())).as_deref(),
            Some("a; b")
        );
    }
}
