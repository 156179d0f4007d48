//! In-memory fakes for the ports other than the store, for the behavioural suite.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use autoexpose_domain::{ProjectRef, UpstreamTable, Workbook, WorkbookUrls};
use time::OffsetDateTime;

use crate::{
    ArtifactError, ArtifactLocation, Artifacts, BiError, BiTool, Clock, Integration, JobState,
    ProjectNode, RefreshReply, RefreshTarget, ResolvedCollection, Secret, SecretError, Secrets,
    UsageReport,
};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Artifacts held in memory, keyed by location; clones share them.
#[derive(Clone, Default)]
pub struct MemoryArtifacts {
    files: Arc<Mutex<HashMap<ArtifactLocation, Vec<u8>>>>,
}

impl MemoryArtifacts {
    /// Puts bytes at a location.
    pub fn put(&self, location: &ArtifactLocation, bytes: impl Into<Vec<u8>>) {
        lock(&self.files).insert(location.clone(), bytes.into());
    }

    /// The bytes at a location, if any were put or written there.
    pub fn get(&self, location: &ArtifactLocation) -> Option<Vec<u8>> {
        lock(&self.files).get(location).cloned()
    }
}

#[async_trait::async_trait]
impl Artifacts for MemoryArtifacts {
    async fn read(&self, location: &ArtifactLocation) -> Result<Vec<u8>, ArtifactError> {
        lock(&self.files)
            .get(location)
            .cloned()
            .ok_or_else(|| ArtifactError::NotFound(location.to_string()))
    }

    async fn write(&self, location: &ArtifactLocation, bytes: &[u8]) -> Result<(), ArtifactError> {
        self.put(location, bytes.to_vec());
        Ok(())
    }
}

/// An exposure of workbook `luid` named `name`, reading `model.shop.orders`.
pub fn sample_exposure(luid: &str, name: &str) -> autoexpose_domain::Exposure {
    autoexpose_domain::Exposure {
        name: name.into(),
        label: name.into(),
        exposure_type: "dashboard".into(),
        url: None,
        owner: None,
        description: None,
        depends_on: vec!["model.shop.orders".into()],
        workbook_luid: luid.into(),
        project: "Finance".into(),
        project_luid: Some("p-fin".into()),
        unmatched_tables: vec![],
        unparsed_custom_sql: vec![],
        referenced_columns: vec![],
        missing_columns: vec![],
        usage: None,
        maturity: None,
        stale: false,
    }
}

/// One secret for every reference.
#[derive(Clone)]
pub struct StaticSecrets(pub Secret);

#[async_trait::async_trait]
impl Secrets for StaticSecrets {
    async fn tableau_secret(&self, secret_ref: &str) -> Result<Secret, SecretError> {
        if secret_ref.is_empty() {
            return Err(SecretError::NotFound(secret_ref.to_string()));
        }
        Ok(self.0.clone())
    }
}

/// A clock that moves only when told; clones share it.
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<OffsetDateTime>>);

impl ManualClock {
    /// Starts at `at`.
    pub fn new(at: OffsetDateTime) -> ManualClock {
        ManualClock(Arc::new(Mutex::new(at)))
    }

    /// Moves forward.
    pub fn advance(&self, by: Duration) {
        let mut now = lock(&self.0);
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *lock(&self.0)
    }
}

#[derive(Default)]
struct FakeSite {
    projects: Vec<ProjectNode>,
    workbooks: Vec<Workbook>,
    failure: Option<BiError>,
    delay: Duration,
    listings: u32,
    refreshes: Vec<RefreshTarget>,
    refresh_sessions: u32,
    already_queued: Vec<String>,
    jobs: HashMap<String, JobState>,
    /// What usage calls answer; `None`: no usage (the port's default).
    usage: Option<Result<UsageReport, BiError>>,
    usage_calls: u32,
}

/// A scripted Tableau site for tests of pipeline logic (not of the Tableau client): a
/// project tree, workbooks, an optional failure and an optional delay. Clones share it.
#[derive(Clone, Default)]
pub struct FakeTableau(Arc<Mutex<FakeSite>>);

impl FakeTableau {
    /// A site with top-level projects `Finance` (`p-fin`, with child `Finance/Q1`, `p-q1`)
    /// and `Ops` (`p-ops`), and no workbooks.
    pub fn with_projects() -> FakeTableau {
        let node = |luid: &str, name: &str, path: &str, parent: Option<&str>| ProjectNode {
            luid: luid.into(),
            name: name.into(),
            path: path.into(),
            parent_luid: parent.map(str::to_string),
        };
        let fake = FakeTableau::default();
        lock(&fake.0).projects = vec![
            node("p-fin", "Finance", "Finance", None),
            node("p-q1", "Q1", "Finance/Q1", Some("p-fin")),
            node("p-ops", "Ops", "Ops", None),
        ];
        fake
    }

    /// Replaces the workbooks.
    pub fn set_workbooks(&self, workbooks: Vec<Workbook>) {
        lock(&self.0).workbooks = workbooks;
    }

    /// Makes every call fail with `error` (`None` heals it).
    pub fn set_failure(&self, error: Option<BiError>) {
        lock(&self.0).failure = error;
    }

    /// Makes listings take this long.
    pub fn set_delay(&self, delay: Duration) {
        lock(&self.0).delay = delay;
    }

    /// Makes usage calls answer this report (only the LUIDs asked for), or fail.
    pub fn set_usage(&self, usage: Result<UsageReport, BiError>) {
        lock(&self.0).usage = Some(usage);
    }

    /// How many usage calls were made.
    pub fn usage_calls(&self) -> u32 {
        lock(&self.0).usage_calls
    }

    /// How many listings were made.
    pub fn listings(&self) -> u32 {
        lock(&self.0).listings
    }

    /// Every refresh asked for, in order.
    pub fn refreshes(&self) -> Vec<RefreshTarget> {
        lock(&self.0).refreshes.clone()
    }

    /// How many sessions asked for refreshes.
    pub fn refresh_sessions(&self) -> u32 {
        lock(&self.0).refresh_sessions
    }

    /// Makes refreshes of this LUID answer "already queued" (409093).
    pub fn set_already_queued(&self, luid: &str) {
        lock(&self.0).already_queued.push(luid.to_string());
    }

    /// Sets what polling a job answers (a new job is in progress until set).
    pub fn set_job_state(&self, job_id: &str, state: JobState) {
        lock(&self.0).jobs.insert(job_id.to_string(), state);
    }

    fn check(&self) -> Result<(), BiError> {
        match &lock(&self.0).failure {
            Some(e) => Err(same_error(e)),
            None => Ok(()),
        }
    }

    fn selected(&self, collections: &[String]) -> Vec<String> {
        let site = lock(&self.0);
        let mut selected: Vec<String> = collections.to_vec();
        let mut grew = true;
        while grew {
            grew = false;
            for p in &site.projects {
                if let Some(parent) = &p.parent_luid
                    && selected.contains(parent)
                    && !selected.contains(&p.luid)
                {
                    selected.push(p.luid.clone());
                    grew = true;
                }
            }
        }
        selected
    }
}

#[async_trait::async_trait]
impl BiTool for FakeTableau {
    fn workbook_urls(&self, integration: &Integration) -> Arc<dyn WorkbookUrls> {
        Arc::new(FakeUrls(integration.server_url.clone()))
    }

    async fn resolve_collections(
        &self,
        _integration: &Integration,
        _secret: &Secret,
        collections: &[String],
    ) -> Result<Vec<ResolvedCollection>, BiError> {
        self.check()?;
        let site = lock(&self.0);
        let mut found = Vec::new();
        let mut unknown = Vec::new();
        for c in collections {
            match site.projects.iter().find(|p| &p.luid == c || &p.path == c) {
                Some(p) => found.push(ResolvedCollection {
                    requested: c.clone(),
                    luid: p.luid.clone(),
                    path: p.path.clone(),
                }),
                None => unknown.push(c.clone()),
            }
        }
        if unknown.is_empty() {
            Ok(found)
        } else {
            Err(BiError::UnknownCollections(unknown))
        }
    }

    async fn list_workbooks(
        &self,
        integration: &Integration,
        _secret: &Secret,
    ) -> Result<Vec<Workbook>, BiError> {
        let delay = lock(&self.0).delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        self.check()?;
        let selected = self.selected(&integration.collections);
        let mut site = lock(&self.0);
        site.listings += 1;
        Ok(site
            .workbooks
            .iter()
            .filter(|w| {
                w.project
                    .luid
                    .as_ref()
                    .is_some_and(|l| selected.contains(l))
            })
            .cloned()
            .collect())
    }

    async fn list_projects(
        &self,
        _integration: &Integration,
        _secret: &Secret,
    ) -> Result<Vec<ProjectNode>, BiError> {
        self.check()?;
        Ok(lock(&self.0).projects.clone())
    }

    async fn workbook_usage(
        &self,
        _integration: &Integration,
        _secret: &Secret,
        luids: &[String],
    ) -> Result<UsageReport, BiError> {
        let mut site = lock(&self.0);
        site.usage_calls += 1;
        match &site.usage {
            None => Ok(UsageReport::default()),
            Some(Err(error)) => Err(same_error(error)),
            Some(Ok(report)) => Ok(UsageReport {
                by_workbook: report
                    .by_workbook
                    .iter()
                    .filter(|(luid, _)| luids.contains(luid))
                    .map(|(luid, usage)| (luid.clone(), usage.clone()))
                    .collect(),
                limitation: report.limitation.clone(),
            }),
        }
    }

    async fn refresh_extracts(
        &self,
        _integration: &Integration,
        _secret: &Secret,
        targets: &[RefreshTarget],
    ) -> Result<Vec<Result<RefreshReply, BiError>>, BiError> {
        self.refresh_extracts_impl(targets).await
    }

    async fn job_status(
        &self,
        _integration: &Integration,
        _secret: &Secret,
        job_id: &str,
    ) -> Result<JobState, BiError> {
        self.check()?;
        lock(&self.0)
            .jobs
            .get(job_id)
            .cloned()
            .ok_or_else(|| BiError::Other(format!("no job '{job_id}'").into()))
    }
}

impl FakeTableau {
    async fn refresh_extracts_impl(
        &self,
        targets: &[RefreshTarget],
    ) -> Result<Vec<Result<RefreshReply, BiError>>, BiError> {
        self.check()?;
        let mut site = lock(&self.0);
        site.refresh_sessions += 1;
        let mut replies = Vec::new();
        for target in targets {
            site.refreshes.push(target.clone());
            if site.already_queued.contains(&target.luid) {
                replies.push(Ok(RefreshReply::AlreadyQueued));
                continue;
            }
            let job_id = format!("job-{}", site.refreshes.len());
            site.jobs
                .insert(job_id.clone(), JobState::InProgress { progress: None });
            replies.push(Ok(RefreshReply::Queued { job_id }));
        }
        Ok(replies)
    }
}

/// A workbook in project `project_luid` that reads `analytics.prod.<table>` for each table.
pub fn workbook(luid: &str, name: &str, project_luid: &str, tables: &[&str]) -> Workbook {
    Workbook {
        luid: luid.into(),
        name: name.into(),
        project: ProjectRef {
            name: project_luid.trim_start_matches("p-").into(),
            luid: Some(project_luid.into()),
        },
        tables: tables
            .iter()
            .map(|t| UpstreamTable {
                database: Some("ANALYTICS".into()),
                schema: Some("PROD".into()),
                name: Some((*t).into()),
                ..UpstreamTable::default()
            })
            .collect(),
        ..Workbook::default()
    }
}

/// A minimal manifest of dbt project `shop` with one model per name in
/// `analytics.prod`, written at `generated_at` by `invocation_id`.
pub fn manifest_json(generated_at: &str, invocation_id: &str, models: &[&str]) -> Vec<u8> {
    let nodes: serde_json::Map<String, serde_json::Value> = models
        .iter()
        .map(|m| {
            (
                format!("model.shop.{m}"),
                serde_json::json!({
                    "resource_type": "model", "name": m, "alias": m,
                    "database": "analytics", "schema": "prod", "package_name": "shop",
                    "config": {"materialized": "table"}
                }),
            )
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
            "generated_at": generated_at,
            "invocation_id": invocation_id,
            "project_name": "shop"
        },
        "nodes": nodes,
        "sources": {}
    }))
    .unwrap_or_default()
}

/// An integration `id` of dbt project `shop` on site `acme`, selecting `collections`.
pub fn sample_integration(id: &str, collections: &[&str]) -> Integration {
    let mut integration = Integration::new(
        id,
        "shop",
        "tableau.example.com",
        "acme",
        "ci-token",
        "AUTOEXPOSE_TABLEAU_TOKEN_SECRET",
    );
    integration.collections = collections.iter().map(|c| c.to_string()).collect();
    integration
}

/// The set failure again, for the next call: port errors carry boxed sources and so are not
/// `Clone`; the kind and the message are what the pipeline reads.
fn same_error(error: &BiError) -> BiError {
    let message = error.to_string();
    match error {
        BiError::SignIn(_) => BiError::SignIn(message.into()),
        BiError::UnknownCollections(names) => BiError::UnknownCollections(names.clone()),
        BiError::UnknownTableauCollections(names) => {
            BiError::UnknownTableauCollections(names.clone())
        }
        BiError::Unavailable(_) => BiError::Unavailable(message.into()),
        BiError::Other(_) => BiError::Other(message.into()),
    }
}

/// A pipeline over the in-memory store with fakes, as a handler's unit test wants it: one
/// integration `acme` (dbt project `shop`) selecting `collections`, a Tableau site with
/// workbooks `wb-1` (Finance, reads `orders`), `wb-2` (Ops, reads `orders`) and `wb-3`
/// (Finance/Q1, reads `customers`), and a manifest with those two models applied. Returns
/// the pipeline and the store, to look at afterwards.
pub async fn memory_pipeline(collections: &[&str]) -> (crate::Pipeline, Arc<crate::MemoryStore>) {
    let tableau = FakeTableau::with_projects();
    tableau.set_workbooks(vec![
        workbook("wb-1", "Sales", "p-fin", &["orders"]),
        workbook("wb-2", "Operations", "p-ops", &["orders"]),
        workbook("wb-3", "Quarterly", "p-q1", &["customers"]),
    ]);
    let artifacts = MemoryArtifacts::default();
    memory_pipeline_over(
        Arc::new(artifacts.clone()),
        &artifacts,
        tableau,
        collections,
    )
    .await
}

/// Like [`memory_pipeline`], over artifacts and a fake site the test keeps (to count its
/// reads, or to change the workbooks between syncs): `memory` is where the manifest of
/// `orders` and `customers` is put, `artifacts` what the pipeline reads it through.
pub async fn memory_pipeline_over(
    artifacts: Arc<dyn crate::Artifacts>,
    memory: &MemoryArtifacts,
    tableau: FakeTableau,
    collections: &[&str],
) -> (crate::Pipeline, Arc<crate::MemoryStore>) {
    use crate::prelude::*;
    let store = Arc::new(crate::MemoryStore::new());
    let location = ArtifactLocation::local("manifest.json");
    memory.put(
        &location,
        manifest_json("2025-03-01T07:00:00Z", "inv-1", &["orders", "customers"]),
    );
    let pipeline = crate::Pipeline::from_shared(
        store.clone(),
        artifacts,
        Arc::new(StaticSecrets(Secret::new("pat-secret-value"))),
        Arc::new(tableau),
    );
    store
        .create_integration(&sample_integration("acme", collections))
        .await
        .expect("create integration");
    pipeline
        .apply_manifest("shop", &location)
        .await
        .expect("apply manifest");
    (pipeline, store)
}

/// The fake site's URL rule: `https://{server}/workbooks/{luid}`.
#[derive(Debug)]
struct FakeUrls(String);

impl WorkbookUrls for FakeUrls {
    fn workbook_url(&self, workbook: &Workbook) -> Option<String> {
        Some(format!("https://{}/workbooks/{}", self.0, workbook.luid))
    }
}
