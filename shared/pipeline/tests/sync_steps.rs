//! A sync in steps ([`Pipeline::sync_step`]) on the in-memory store, against a fake BI
//! tool that lists one workbook a page and resumes from a cursor: the pipeline's side of
//! continuations, without Tableau's paging.

use std::sync::Arc;

use async_trait::async_trait;
use autoexpose_domain::{Workbook, WorkbookUrls};
use autoexpose_pipeline::testsuite::{
    FakeTableau, MemoryArtifacts, StaticSecrets, manifest_json, sample_integration, workbook,
};
use autoexpose_pipeline::{
    ArtifactLocation, BiError, BiTool, ExposureStore, Integration, IntegrationStore, JobState,
    ListingBudget, MemoryStore, PartialListing, Pipeline, PipelineError, ProjectNode, RefreshReply,
    RefreshTarget, ResolvedCollection, RunStore, Secret, StepOptions, SyncRequest, SyncStep,
    Trigger,
};

/// The fake site, listed one workbook a page; the cursor is the index of the next one.
struct Paged(FakeTableau);

#[async_trait]
impl BiTool for Paged {
    fn workbook_urls(&self, integration: &Integration) -> Arc<dyn WorkbookUrls> {
        self.0.workbook_urls(integration)
    }

    async fn resolve_collections(
        &self,
        integration: &Integration,
        secret: &Secret,
        collections: &[String],
    ) -> Result<Vec<ResolvedCollection>, BiError> {
        self.0
            .resolve_collections(integration, secret, collections)
            .await
    }

    async fn list_workbooks(
        &self,
        integration: &Integration,
        secret: &Secret,
    ) -> Result<Vec<Workbook>, BiError> {
        self.0.list_workbooks(integration, secret).await
    }

    async fn continue_listing(
        &self,
        integration: &Integration,
        secret: &Secret,
        mut listing: PartialListing,
        budget: &ListingBudget,
    ) -> Result<PartialListing, BiError> {
        let all = self.0.list_workbooks(integration, secret).await?;
        let mut next: usize = listing
            .cursor
            .as_deref()
            .map_or(0, |c| c.parse().unwrap_or(0));
        let mut pages = 0;
        while next < all.len() && (pages == 0 || budget.allows(pages)) {
            listing.workbooks.push(all[next].clone());
            next += 1;
            pages += 1;
        }
        listing.pages += pages;
        listing.complete = next >= all.len();
        listing.cursor = (!listing.complete).then(|| next.to_string());
        Ok(listing)
    }

    async fn list_projects(
        &self,
        integration: &Integration,
        secret: &Secret,
    ) -> Result<Vec<ProjectNode>, BiError> {
        self.0.list_projects(integration, secret).await
    }

    async fn refresh_extracts(
        &self,
        integration: &Integration,
        secret: &Secret,
        targets: &[RefreshTarget],
    ) -> Result<Vec<Result<RefreshReply, BiError>>, BiError> {
        self.0.refresh_extracts(integration, secret, targets).await
    }

    async fn job_status(
        &self,
        integration: &Integration,
        secret: &Secret,
        job_id: &str,
    ) -> Result<JobState, BiError> {
        self.0.job_status(integration, secret, job_id).await
    }
}

async fn paged_pipeline() -> (Pipeline, Arc<MemoryStore>, FakeTableau) {
    let store = Arc::new(MemoryStore::new());
    let artifacts = MemoryArtifacts::default();
    let location = ArtifactLocation::local("manifest.json");
    artifacts.put(
        &location,
        manifest_json("2025-03-01T07:00:00Z", "inv-1", &["orders", "customers"]),
    );
    let tableau = FakeTableau::with_projects();
    tableau.set_workbooks(vec![
        workbook("wb-1", "Sales", "p-fin", &["orders"]),
        workbook("wb-2", "Margins", "p-fin", &["orders"]),
        workbook("wb-3", "Quarterly", "p-q1", &["customers"]),
    ]);
    let pipeline = Pipeline::from_shared(
        store.clone(),
        Arc::new(artifacts),
        Arc::new(StaticSecrets(Secret::new("pat-secret-value"))),
        Arc::new(Paged(tableau.clone())),
    );
    store
        .create_integration(&sample_integration("acme", &["p-fin"]))
        .await
        .expect("create integration");
    pipeline
        .apply_manifest("shop", &location)
        .await
        .expect("apply manifest");
    (pipeline, store, tableau)
}

async fn luids(store: &MemoryStore) -> Vec<String> {
    let mut luids: Vec<String> = store
        .list_exposures("acme")
        .await
        .expect("list")
        .into_iter()
        .map(|e| e.exposure.workbook_luid)
        .collect();
    luids.sort();
    luids
}

fn one_page_a_step() -> StepOptions {
    StepOptions {
        checkpoint_container: None,
        budget: ListingBudget::unlimited().with_max_pages(1),
    }
}

#[tokio::test]
async fn each_step_goes_on_from_the_last_and_only_the_last_changes_exposures() {
    let (pipeline, store, tableau) = paged_pipeline().await;
    pipeline
        .sync_integration("acme", Trigger::Manual)
        .await
        .expect("first sync");
    assert_eq!(luids(&store).await, ["wb-1", "wb-2", "wb-3"]);
    let runs_before = store.list_runs("acme", 10).await.expect("runs").len();
    tableau.set_workbooks(vec![
        workbook("wb-2", "Margins", "p-fin", &["orders"]),
        workbook("wb-3", "Quarterly", "p-q1", &["customers"]),
        workbook("wb-4", "Forecast", "p-fin", &["orders"]),
    ]);

    let mut request = SyncRequest::first("acme", Trigger::Schedule);
    let mut steps = 1;
    let run = loop {
        match pipeline
            .sync_step(&request, &one_page_a_step())
            .await
            .expect("step")
        {
            SyncStep::Continues(next) => {
                assert_eq!(
                    luids(&store).await,
                    ["wb-1", "wb-2", "wb-3"],
                    "step {steps}"
                );
                assert_eq!(next.step, steps);
                request = next;
                steps += 1;
            }
            SyncStep::Finished(run) => break run,
        }
    };

    assert_eq!(steps, 3, "three workbooks, one a step");
    assert_eq!(luids(&store).await, ["wb-2", "wb-3", "wb-4"]);
    assert_eq!((run.added, run.removed, run.workbooks), (1, 1, 3));
    let runs = store.list_runs("acme", 10).await.expect("runs");
    assert_eq!(runs.len(), runs_before + 1, "one run for the three steps");
    assert_eq!(runs[0].trigger, Trigger::Schedule);
}

#[tokio::test]
async fn a_step_whose_checkpoint_is_gone_fails_naming_it_and_changes_nothing() {
    let (pipeline, store, _tableau) = paged_pipeline().await;
    let request = SyncRequest {
        checkpoint_id: Some("20250301-s0002-deadbeef".into()),
        step: 1,
        ..SyncRequest::first("acme", Trigger::Schedule)
    };

    let err = pipeline
        .sync_step(&request, &one_page_a_step())
        .await
        .expect_err("no checkpoint");

    assert!(matches!(err, PipelineError::Artifact { .. }), "{err:?}");
    assert!(err.to_string().contains("20250301-s0002-deadbeef"), "{err}");
    assert!(luids(&store).await.is_empty());
    let runs = store.list_runs("acme", 10).await.expect("runs");
    assert!(runs[0].error.is_some(), "recorded: {runs:?}");
}
