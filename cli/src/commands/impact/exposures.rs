//! The exposures `impact` looks at: offline, a saved Tableau response matched against the
//! base manifest; otherwise the store's auto exposures with their health and data
//! connection. The base's declared exposures join either way ([`declared`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use anyhow::Context;
use autoexpose_domain::impact::{Connection, ExposureOrigin, ExposureUnderTest, ProjectState};
use autoexpose_domain::{
    Exposure, Manifest, MatchOptions, ReferencedColumn, RelationIndex, TableMatch, Workbook,
    build_exposures,
};
use autoexpose_tableau::{FieldColumn, parse_field_columns};

use crate::files;
use crate::lookups::only_dbt_project;
use crate::match_flags::{AliasArgs, SiteArgs};
use crate::store_choice::CliPipeline;

/// The offline inputs: a saved Metadata API response and how to match it.
pub(super) struct Offline<'a> {
    /// The base manifest as the user named it, for errors.
    pub(super) base_name: &'a str,
    /// The saved response.
    pub(super) response: &'a Path,
    /// The site, for workbook links.
    pub(super) site: &'a SiteArgs,
    /// Database and schema aliases.
    pub(super) aliases: &'a AliasArgs,
}

impl Offline<'_> {
    /// The response's workbooks matched against the base manifest (`base_bytes`), with the
    /// columns each reads where the response has field lineage.
    pub(super) fn exposures(&self, base_bytes: &[u8]) -> anyhow::Result<Vec<ExposureUnderTest>> {
        let manifest = Manifest::from_slice(base_bytes)
            .with_context(|| format!("base manifest '{}'", self.base_name))?;
        let workbooks = files::read_tableau_response(self.response)?;
        let response_bytes = files::read_input(self.response, "Tableau response")?;
        let columns = parse_field_columns(&response_bytes)
            .with_context(|| format!("Tableau response '{}'", self.response.display()))?;
        let options = MatchOptions {
            urls: self.site.workbook_urls(),
            aliases: self.aliases.to_aliases(),
            ..MatchOptions::default()
        };
        let outcome = build_exposures(&manifest, &workbooks, &options);
        let by_luid: HashMap<&str, &Workbook> =
            workbooks.iter().map(|w| (w.luid.as_str(), w)).collect();
        let index = RelationIndex::new(&manifest.relations);
        let mut found = Vec::new();
        for mut exposure in outcome.exposures {
            if exposure.referenced_columns.is_empty()
                && let Some(read) = columns.get(&exposure.workbook_luid)
            {
                exposure.referenced_columns = columns_of_nodes(&exposure, read, &index);
            }
            let connection = by_luid
                .get(exposure.workbook_luid.as_str())
                .map(|w| connection_of(w));
            found.push(under_test(exposure, connection, None));
        }
        Ok(found)
    }
}

/// The columns a workbook reads of the nodes its exposure depends on: each column's table
/// matched as the workbook's tables are (aliases aside), spelled as Tableau spells it.
fn columns_of_nodes(
    exposure: &Exposure,
    read: &[FieldColumn],
    index: &RelationIndex<'_>,
) -> Vec<ReferencedColumn> {
    let nodes: BTreeSet<&str> = exposure.depends_on.iter().map(String::as_str).collect();
    let mut columns = BTreeSet::new();
    for field in read {
        let TableMatch::Matched(relations) = index.lookup(&field.table) else {
            continue;
        };
        for relation in relations {
            if nodes.contains(relation.unique_id.as_str()) {
                columns.insert(ReferencedColumn {
                    node: relation.unique_id.clone(),
                    column_name: field.column.clone(),
                    data_type: field.remote_type.clone(),
                });
            }
        }
    }
    columns.into_iter().collect()
}

/// An extract when the workbook or a published data source it uses holds one.
fn connection_of(workbook: &Workbook) -> Connection {
    if workbook.has_embedded_extracts || workbook.datasources.iter().any(|d| d.has_extracts) {
        Connection::Extract
    } else {
        Connection::Live
    }
}

fn under_test(
    exposure: Exposure,
    connection: Option<Connection>,
    health: Option<String>,
) -> ExposureUnderTest {
    ExposureUnderTest {
        hits_last_month: exposure.usage.as_ref().and_then(|u| u.hits_last_month),
        name: exposure.name,
        label: Some(exposure.label),
        origin: Some(ExposureOrigin::Auto),
        owner: exposure.owner,
        project: Some(exposure.project).filter(|p| !p.is_empty()),
        url: exposure.url,
        connection,
        health,
        depends_on: exposure.depends_on,
        referenced_columns: exposure.referenced_columns,
    }
}

/// The base's declared exposures not already among `found` (a manifest that had the auto
/// exposures injected holds them too).
pub(super) fn declared(base: &ProjectState, found: &[ExposureUnderTest]) -> Vec<ExposureUnderTest> {
    let taken: BTreeSet<&str> = found.iter().map(|e| e.name.as_str()).collect();
    base.exposures
        .iter()
        .filter(|e| !taken.contains(e.name.as_str()))
        .map(|e| ExposureUnderTest {
            name: e.name.clone(),
            label: e.label.clone(),
            origin: Some(ExposureOrigin::Manual),
            owner: e.owner.clone(),
            url: e.url.clone(),
            depends_on: e.depends_on.clone(),
            ..ExposureUnderTest::default()
        })
        .collect()
}

/// What the store gives: the base manifest's bytes and the auto exposures.
pub(super) struct Stored {
    /// Production's manifest: `--base`, else the applied one.
    pub(super) base_manifest: Vec<u8>,
    /// The dbt project's auto exposures with health and connection.
    pub(super) exposures: Vec<ExposureUnderTest>,
}

/// The dbt project's auto exposures from the store, each with its health now and whether
/// its workbook reads an extract (from the integration's last Tableau snapshot), and the
/// base manifest: `base` when given, else the bytes of the project's applied manifest.
pub(super) async fn from_store(
    pipeline: &CliPipeline,
    dbt_project: Option<&str>,
    base: Option<Vec<u8>>,
) -> anyhow::Result<Stored> {
    let project = match dbt_project {
        Some(project) => project.to_string(),
        None => only_dbt_project(pipeline).await?,
    };
    let base_manifest = match base {
        Some(bytes) => bytes,
        None => applied_manifest_bytes(pipeline, &project).await?,
    };
    let health: BTreeMap<String, String> = pipeline
        .catalog(Some(&project))
        .await?
        .into_iter()
        .map(|entry| (entry.name, entry.health))
        .collect();
    let stored = pipeline.project_exposures(&project).await?;
    let mut connections: HashMap<String, Connection> = HashMap::new();
    let integrations: BTreeSet<&String> = stored
        .exposure_meta
        .values()
        .filter_map(|meta| meta.get("autoexpose_integration"))
        .collect();
    for integration in integrations {
        if let Some(snapshot) = pipeline.store().get_snapshot(integration).await? {
            for workbook in &snapshot.workbooks {
                connections.insert(workbook.luid.clone(), connection_of(workbook));
            }
        }
    }
    let exposures = stored
        .exposures
        .into_iter()
        .map(|exposure| {
            let connection = connections.get(&exposure.workbook_luid).copied();
            let health = health.get(&exposure.name).cloned();
            under_test(exposure, connection, health)
        })
        .collect();
    Ok(Stored {
        base_manifest,
        exposures,
    })
}

/// The bytes of the dbt project's applied manifest, or an error saying how to apply one.
async fn applied_manifest_bytes(pipeline: &CliPipeline, project: &str) -> anyhow::Result<Vec<u8>> {
    let applied = pipeline
        .store()
        .get_applied_manifest(project)
        .await?
        .with_context(|| {
            format!(
                "dbt project '{project}' has no applied manifest: give production's as --base, or apply it with `autoexpose apply-manifest`"
            )
        })?;
    let location = applied.location;
    pipeline
        .artifacts()
        .read(&location)
        .await
        .with_context(|| format!("cannot read the applied manifest '{location}'"))
}
