//! What people see: the exposures catalog (auto and manual together, PRODUCT.md S7) and the
//! dbt YAML files of a dbt project, which the Lambda flow also publishes next to the
//! manifest after every change.

use std::collections::BTreeMap;

use autoexpose_domain::diagnose::{Diagnosis, diagnose, missing_columns};
use autoexpose_domain::{Exposure, Manifest, ReferencedColumn};
use autoexpose_output::{LineageOptions, YamlFile, YamlOptions, dbt_yaml_files, lineage_html};
use serde::{Deserialize, Serialize};

use crate::error::PipelineError;
use crate::layout::exposures_location;
use crate::pipeline::Pipeline;
use crate::{AppliedManifest, ArtifactLocation, Integration, RefreshRecord};
use autoexpose_domain::health::{Health, ProjectHealth};

/// Whether an exposure was made by autoexpose or declared in the dbt project's YAML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExposureMode {
    /// Imported from Tableau.
    Auto,
    /// Declared by hand in YAML.
    Manual,
}

/// One row of the exposures catalog: dbt's columns (Name, Health, Type, Owner, Owner email,
/// Integration, Exposure mode) and what a tool needs besides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogEntry {
    /// Exposure name.
    pub name: String,
    /// Data health signal (PRODUCT.md S10): `Healthy`, `Caution`, `Degraded`, or `Unknown`
    /// until run results are recorded.
    pub health: String,
    /// Why: the nodes and tests that decided the health.
    #[serde(default)]
    pub health_reasons: Vec<String>,
    /// The Tableau workbook LUID (auto exposures only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workbook_luid: Option<String>,
    /// `dashboard`, `notebook`, `analysis`, `ml` or `application`.
    #[serde(rename = "type")]
    pub exposure_type: String,
    /// Owner name.
    pub owner: Option<String>,
    /// Owner email.
    pub owner_email: Option<String>,
    /// The integration that made it (`None` for manual exposures).
    pub integration: Option<String>,
    /// Auto or manual.
    pub mode: ExposureMode,
    /// The dbt project it belongs to.
    pub dbt_project: String,
    /// Where a person opens it.
    pub url: Option<String>,
    /// dbt unique ids it depends on.
    pub depends_on: Vec<String>,
    /// How often people open it (auto exposures, where Tableau reported it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<autoexpose_domain::Usage>,
    /// dbt's `maturity`, from usage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maturity: Option<crate::Maturity>,
    /// Nobody opened it in its integration's stale window.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stale: bool,
}

/// One exposure with what `autoexpose exposures show` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExposureDetail {
    /// Its catalog entry (health and reasons included).
    #[serde(flatten)]
    pub entry: CatalogEntry,
    /// Extract refreshes of its workbook and the published data sources it uses.
    pub refreshes: Vec<RefreshRecord>,
    /// The columns of its `depends_on` nodes its workbook reads (auto exposures whose BI
    /// tool gives field lineage).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub referenced_columns: Vec<ReferencedColumn>,
    /// Those columns dbt does not have: likely breaks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_columns: Vec<ReferencedColumn>,
}

/// The auto exposures of one dbt project, ready to render.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectExposures {
    /// The exposures of all its integrations.
    pub exposures: Vec<Exposure>,
    /// `meta` per exposure name: integration, site, last sync.
    pub exposure_meta: BTreeMap<String, BTreeMap<String, String>>,
    /// The owner written when Tableau gives none.
    pub fallback_owner: String,
}

impl ProjectExposures {
    /// YAML options carrying the per-exposure `meta` and the fallback owner.
    pub fn yaml_options(&self) -> YamlOptions {
        YamlOptions {
            fallback_owner: self.fallback_owner.clone(),
            exposure_meta: self.exposure_meta.clone(),
            ..YamlOptions::default()
        }
    }
}

/// The lineage page of a dbt project's exposures.
fn render_lineage(
    dbt_project: &str,
    manifest: &Manifest,
    project: &ProjectExposures,
    generated_at: Option<String>,
) -> String {
    lineage_html(
        manifest,
        manifest.dag(),
        &project.exposures,
        &LineageOptions {
            title: format!("{dbt_project} · dbt lineage"),
            generated_at,
        },
    )
}

impl Pipeline {
    /// The catalog: every auto exposure of the integrations (of one dbt project, or all),
    /// beside the manual exposures of those projects' applied manifests, sorted by name.
    pub async fn catalog(
        &self,
        dbt_project: Option<&str>,
    ) -> Result<Vec<CatalogEntry>, PipelineError> {
        let integrations = self.store().list_integrations(dbt_project).await?;
        let mut projects: Vec<String> =
            integrations.iter().map(|i| i.dbt_project.clone()).collect();
        if let Some(project) = dbt_project {
            projects.push(project.to_string());
        }
        projects.sort();
        projects.dedup();
        let mut entries = Vec::new();
        for integration in &integrations {
            for stored in self.store().list_exposures(&integration.id).await? {
                let e = stored.exposure;
                let owner = e.owner.clone().unwrap_or_default();
                entries.push(CatalogEntry {
                    name: e.name,
                    health: Health::Unknown.as_str().into(),
                    health_reasons: Vec::new(),
                    workbook_luid: Some(e.workbook_luid),
                    exposure_type: e.exposure_type,
                    owner: owner.name,
                    owner_email: owner.email,
                    integration: Some(integration.id.clone()),
                    mode: ExposureMode::Auto,
                    dbt_project: integration.dbt_project.clone(),
                    url: e.url,
                    depends_on: e.depends_on,
                    usage: e.usage,
                    maturity: e.maturity,
                    stale: e.stale,
                });
            }
        }
        // Each project's manifest is read once: its manual exposures and its graph.
        for project in &projects {
            let (dag, tests) = match self.applied_manifest(project).await? {
                Some((_, mut manifest)) => {
                    for manual in std::mem::take(&mut manifest.exposures) {
                        entries.push(CatalogEntry {
                            name: manual.name,
                            health: Health::Unknown.as_str().into(),
                            health_reasons: Vec::new(),
                            workbook_luid: None,
                            exposure_type: manual.exposure_type,
                            owner: manual.owner_name,
                            owner_email: manual.owner_email,
                            integration: None,
                            mode: ExposureMode::Manual,
                            dbt_project: project.clone(),
                            url: None,
                            depends_on: manual.depends_on,
                            usage: None,
                            maturity: None,
                            stale: false,
                        });
                    }
                    manifest.into_graph()
                }
                None => Default::default(),
            };
            let results = self.store().list_node_results(project).await?;
            let health = ProjectHealth::new(&dag, &tests, &results);
            for entry in entries.iter_mut().filter(|e| &e.dbt_project == project) {
                let report = health.exposure(&entry.depends_on);
                entry.health = report.health.as_str().to_string();
                entry.health_reasons = report.reasons;
            }
        }
        entries.sort_by(|a, b| (&a.name, &a.dbt_project).cmp(&(&b.name, &b.dbt_project)));
        Ok(entries)
    }

    /// One exposure by name (in one dbt project, or any): its catalog entry with health
    /// and reasons, and the extract refreshes of its workbook and data sources.
    pub async fn exposure_detail(
        &self,
        name: &str,
        dbt_project: Option<&str>,
    ) -> Result<Option<ExposureDetail>, PipelineError> {
        let Some(entry) = self
            .catalog(dbt_project)
            .await?
            .into_iter()
            .find(|e| e.name == name)
        else {
            return Ok(None);
        };
        let mut refreshes = Vec::new();
        let (mut referenced_columns, mut missing_columns) = (Vec::new(), Vec::new());
        if let (Some(integration), Some(luid)) = (&entry.integration, &entry.workbook_luid) {
            for record in self.store().list_refreshes(integration).await? {
                if record.workbook_luids.contains(luid) {
                    refreshes.push(record);
                }
            }
            let stored = self.store().list_exposures(integration).await?;
            if let Some(own) = stored
                .into_iter()
                .find(|s| &s.exposure.workbook_luid == luid)
            {
                referenced_columns = own.exposure.referenced_columns;
                missing_columns = own.exposure.missing_columns;
            }
        }
        Ok(Some(ExposureDetail {
            entry,
            refreshes,
            referenced_columns,
            missing_columns,
        }))
    }

    /// The dbt properties files holding every auto exposure of a dbt project, rendered
    /// against its applied manifest (which decides `ref`/`source` forms and where `meta`
    /// goes, unless `dbt_version` says otherwise).
    pub async fn exposure_files(
        &self,
        dbt_project: &str,
        dbt_version: Option<(u32, u32)>,
    ) -> Result<Vec<YamlFile>, PipelineError> {
        let Some((_, manifest)) = self.applied_manifest(dbt_project).await? else {
            return Err(PipelineError::NoManifest(dbt_project.to_string()));
        };
        self.render_files(dbt_project, &manifest, dbt_version).await
    }

    /// Writes the dbt YAML of a dbt project beside its applied manifest
    /// (`.../<environment>/exposures/imported_from_tableau/exposures.yml`), so a dbt job or
    /// a pull request can pick it up, and the lineage page (`.../exposures/lineage.html`).
    /// Called after every run that changed exposures.
    pub async fn publish_exposure_files(&self, dbt_project: &str) -> Result<(), PipelineError> {
        let Some((location, manifest)) = self.applied_manifest(dbt_project).await? else {
            return Ok(());
        };
        self.write_exposure_files(dbt_project, &location, &manifest)
            .await
    }

    /// Publishes the exposure files of a manifest just applied, from the manifest already
    /// read rather than by reading it again; when a newer one was applied meanwhile, that
    /// one is read and published instead.
    pub(crate) async fn publish_applied(
        &self,
        applied: &AppliedManifest,
        manifest: &Manifest,
    ) -> Result<(), PipelineError> {
        let dbt_project = applied.dbt_project.as_str();
        let current = self.store().get_applied_manifest(dbt_project).await?;
        let still_applied = current.as_ref().is_some_and(|current| {
            current.location == applied.location
                && current.generated_at == applied.generated_at
                && current.invocation_id == applied.invocation_id
        });
        if !still_applied {
            return self.publish_exposure_files(dbt_project).await;
        }
        self.write_exposure_files(dbt_project, &applied.location, manifest)
            .await
    }

    /// Writes the exposure YAML and the lineage page of a dbt project beside `location`.
    async fn write_exposure_files(
        &self,
        dbt_project: &str,
        location: &ArtifactLocation,
        manifest: &Manifest,
    ) -> Result<(), PipelineError> {
        let project = self.project_exposures(dbt_project).await?;
        let options = project.yaml_options();
        let mut files = dbt_yaml_files(&project.exposures, manifest, &options);
        files.push(YamlFile {
            path: "lineage.html".into(),
            contents: render_lineage(dbt_project, manifest, &project, None),
        });
        for file in files {
            let target = exposures_location(location, &file);
            self.artifacts()
                .write(&target, file.contents.as_bytes())
                .await
                .map_err(|source| PipelineError::Artifact {
                    location: target.clone(),
                    source,
                })?;
            tracing::info!(dbt_project, location = %target, "published");
        }
        Ok(())
    }

    /// The mismatch report of one integration (PRODUCT.md S9): every table of its stored
    /// Tableau snapshot against its dbt project's applied manifest, with its aliases.
    pub async fn diagnose_integration(
        &self,
        integration_id: &str,
    ) -> Result<Diagnosis, PipelineError> {
        let integration = self
            .store()
            .get_integration(integration_id)
            .await?
            .ok_or_else(|| PipelineError::UnknownIntegration(integration_id.to_string()))?;
        let Some((_, manifest)) = self.applied_manifest(&integration.dbt_project).await? else {
            return Err(PipelineError::NoManifest(integration.dbt_project.clone()));
        };
        let workbooks = self
            .store()
            .get_snapshot(&integration.id)
            .await?
            .map(|s| s.workbooks)
            .unwrap_or_default();
        let aliases = integration.aliases();
        let mut report = diagnose(&manifest, &workbooks, &aliases);
        // With the catalog beside the manifest, the warehouse decides what is missing.
        if let Some(catalog) = self.applied_catalog(&integration).await? {
            report.missing_columns =
                missing_columns(&manifest, &workbooks, &aliases, Some(&catalog));
        }
        Ok(report)
    }

    /// The lineage page (dbt nodes → exposures) of a dbt project: one self-contained HTML
    /// file drawn from its applied manifest and its auto exposures.
    pub async fn lineage_page(
        &self,
        dbt_project: &str,
        generated_at: Option<String>,
    ) -> Result<String, PipelineError> {
        let Some((_, manifest)) = self.applied_manifest(dbt_project).await? else {
            return Err(PipelineError::NoManifest(dbt_project.to_string()));
        };
        let project = self.project_exposures(dbt_project).await?;
        Ok(render_lineage(
            dbt_project,
            &manifest,
            &project,
            generated_at,
        ))
    }

    async fn render_files(
        &self,
        dbt_project: &str,
        manifest: &Manifest,
        dbt_version: Option<(u32, u32)>,
    ) -> Result<Vec<YamlFile>, PipelineError> {
        let project = self.project_exposures(dbt_project).await?;
        let options = YamlOptions {
            dbt_version,
            ..project.yaml_options()
        };
        Ok(dbt_yaml_files(&project.exposures, manifest, &options))
    }

    /// Every auto exposure of a dbt project's integrations, with the `meta` that tells
    /// them apart (integration, site, sync time).
    pub async fn project_exposures(
        &self,
        dbt_project: &str,
    ) -> Result<ProjectExposures, PipelineError> {
        let integrations: Vec<Integration> =
            self.store().list_integrations(Some(dbt_project)).await?;
        let mut project = ProjectExposures {
            fallback_owner: match integrations.as_slice() {
                [only] => format!("Tableau ({})", only.id),
                _ => "Tableau".to_string(),
            },
            ..ProjectExposures::default()
        };
        for integration in &integrations {
            for stored in self.store().list_exposures(&integration.id).await? {
                project.exposure_meta.insert(
                    stored.exposure.name.clone(),
                    BTreeMap::from([
                        ("autoexpose_integration".to_string(), integration.id.clone()),
                        ("tableau_site".to_string(), integration.site.clone()),
                        ("tableau_synced_at".to_string(), stored.synced_at.clone()),
                    ]),
                );
                project.exposures.push(stored.exposure);
            }
        }
        Ok(project)
    }

    /// The applied manifest of a dbt project and where it was read from, if any.
    pub async fn applied_manifest(
        &self,
        dbt_project: &str,
    ) -> Result<Option<(ArtifactLocation, Manifest)>, PipelineError> {
        match self.store().get_applied_manifest(dbt_project).await? {
            Some(applied) => {
                let manifest = self.read_manifest(&applied.location).await?;
                Ok(Some((applied.location, manifest)))
            }
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_files_sit_beside_the_manifest() {
        let file = YamlFile {
            path: "imported_from_tableau/exposures.yml".into(),
            contents: String::new(),
        };
        let s3 = ArtifactLocation::in_container("bucket-1", "dbt/shop/prod/manifest.json");
        assert_eq!(
            exposures_location(&s3, &file),
            ArtifactLocation::in_container(
                "bucket-1",
                "dbt/shop/prod/exposures/imported_from_tableau/exposures.yml"
            )
        );
        let local = ArtifactLocation::local("manifest.json");
        assert_eq!(
            exposures_location(&local, &file).key,
            "exposures/imported_from_tableau/exposures.yml"
        );
    }
}
