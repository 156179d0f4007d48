//! The columns each dashboard reads: fetched from the BI tool after matching, for the
//! matched workbooks only, and kept on them in the snapshot; and dbt's `catalog.json`,
//! read from beside the applied manifest when it is there, for matching those columns.
//!
//! Column lineage is a refinement of table-level exposures, so a failure to fetch it never
//! fails a sync: the run records why, and each workbook keeps the columns of the last sync
//! that fetched them.

use std::collections::HashMap;
use std::sync::Arc;

use autoexpose_domain::{Catalog, Manifest, MatchOptions, Workbook, build_exposures};

use crate::error::PipelineError;
use crate::pipeline::Pipeline;
use crate::{ArtifactError, ArtifactLocation, Integration, Snapshot};

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
        let secret = self.tableau_secret(integration).await?;
        let fetched = self
            .until_stopped(
                &integration.id,
                self.bi.workbook_columns(integration, &secret, &matched),
            )
            .await?;
        let lineage = match fetched {
            Ok(lineage) => lineage,
            Err(error) => {
                let warning = format!(
                    "the columns the dashboards read could not be fetched from the BI tool ({error}); exposures keep their tables, and the columns of the last sync that fetched them"
                );
                tracing::warn!(integration = %integration.id, "{warning}");
                keep_stored_columns(workbooks, stored);
                return Ok(Some(warning));
            }
        };
        for workbook in workbooks.iter_mut() {
            if let Some(columns) = lineage.columns.get(&workbook.luid) {
                workbook.columns = columns.clone();
            }
        }
        if lineage.hidden > 0 {
            // Logged, not made the run's warning: the exposures' tables are complete, and
            // a site that hides one sensitive column would otherwise mark every run.
            tracing::warn!(integration = %integration.id, hidden = lineage.hidden,
                "Tableau hid columns from the token's user, so the exposures may lack columns they read; give that user permission to see the data sources' fields");
        }
        Ok(None)
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
