//! Port wrappers that add up the time spent in them, so a sync's wall time splits into
//! Tableau, store and the rest (reading the manifest, matching, diffing).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use autoexpose_domain::Workbook;
use autoexpose_domain::run_results::{NodeResult, ResultsKind};
use autoexpose_pipeline::{
    AppliedManifest, BiError, BiTool, ExposureDiff, ExposureStore, Integration, IntegrationStore,
    JobState, Lease, LeaseStore, ListingBudget, ManifestStore, PartialListing, ProjectNode,
    RefreshRecord, RefreshReply, RefreshStore, RefreshTarget, RefreshTargetKind,
    ResolvedCollection, ResultsPointer, ResultsStore, RunStore, Secret, Snapshot, SnapshotStore,
    Store, StoreError, StoredExposure, SyncRun, TableauCollections, WarningChange, WarningReply,
};

/// Time and calls spent in one port since the last [`Clock::take`].
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Spent {
    /// Wall time inside the port's calls.
    pub(crate) time: Duration,
    /// Calls that read.
    pub(crate) reads: u32,
    /// Calls that write.
    pub(crate) writes: u32,
}

/// A shared tally.
#[derive(Debug, Default, Clone)]
pub(crate) struct Clock(Arc<Mutex<Spent>>);

impl Clock {
    async fn time<T>(&self, write: bool, call: impl Future<Output = T>) -> T {
        let started = Instant::now();
        let result = call.await;
        let mut spent = self.0.lock().unwrap_or_else(|e| e.into_inner());
        spent.time += started.elapsed();
        if write {
            spent.writes += 1;
        } else {
            spent.reads += 1;
        }
        result
    }

    /// The tally so far, and zero again.
    pub(crate) fn take(&self) -> Spent {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

const READ: bool = false;
const WRITE: bool = true;

/// A store that times every call to the store it wraps.
pub(crate) struct TimedStore {
    pub(crate) inner: Arc<dyn Store>,
    pub(crate) clock: Clock,
}

#[async_trait]
impl IntegrationStore for TimedStore {
    async fn create_integration(&self, i: &Integration) -> Result<Integration, StoreError> {
        self.clock
            .time(WRITE, self.inner.create_integration(i))
            .await
    }
    async fn update_integration(&self, i: &Integration) -> Result<Integration, StoreError> {
        self.clock
            .time(WRITE, self.inner.update_integration(i))
            .await
    }
    async fn get_integration(&self, id: &str) -> Result<Option<Integration>, StoreError> {
        self.clock.time(READ, self.inner.get_integration(id)).await
    }
    async fn list_integrations(&self, p: Option<&str>) -> Result<Vec<Integration>, StoreError> {
        self.clock.time(READ, self.inner.list_integrations(p)).await
    }
    async fn delete_integration(&self, id: &str) -> Result<bool, StoreError> {
        self.clock
            .time(WRITE, self.inner.delete_integration(id))
            .await
    }
}

#[async_trait]
impl SnapshotStore for TimedStore {
    async fn get_snapshot(&self, id: &str) -> Result<Option<Snapshot>, StoreError> {
        self.clock.time(READ, self.inner.get_snapshot(id)).await
    }
    async fn put_snapshot(&self, s: &Snapshot) -> Result<(), StoreError> {
        self.clock.time(WRITE, self.inner.put_snapshot(s)).await
    }
}

#[async_trait]
impl ManifestStore for TimedStore {
    async fn get_applied_manifest(&self, p: &str) -> Result<Option<AppliedManifest>, StoreError> {
        self.clock
            .time(READ, self.inner.get_applied_manifest(p))
            .await
    }
    async fn put_applied_manifest(
        &self,
        m: &AppliedManifest,
        previous: Option<&AppliedManifest>,
    ) -> Result<(), StoreError> {
        let call = self.inner.put_applied_manifest(m, previous);
        self.clock.time(WRITE, call).await
    }
}

#[async_trait]
impl ExposureStore for TimedStore {
    async fn list_exposures(&self, id: &str) -> Result<Vec<StoredExposure>, StoreError> {
        self.clock.time(READ, self.inner.list_exposures(id)).await
    }
    async fn apply_exposure_diff(
        &self,
        id: &str,
        diff: &ExposureDiff,
        synced_at: &str,
    ) -> Result<(), StoreError> {
        let call = self.inner.apply_exposure_diff(id, diff, synced_at);
        self.clock.time(WRITE, call).await
    }
}

#[async_trait]
impl LeaseStore for TimedStore {
    async fn try_acquire_lease(&self, lease: &Lease, now: &str) -> Result<bool, StoreError> {
        self.clock
            .time(WRITE, self.inner.try_acquire_lease(lease, now))
            .await
    }
    async fn release_lease(&self, id: &str, holder: &str) -> Result<(), StoreError> {
        self.clock
            .time(WRITE, self.inner.release_lease(id, holder))
            .await
    }
    async fn get_lease(&self, id: &str) -> Result<Option<Lease>, StoreError> {
        self.clock.time(READ, self.inner.get_lease(id)).await
    }
    async fn break_lease(&self, id: &str) -> Result<Option<Lease>, StoreError> {
        self.clock.time(WRITE, self.inner.break_lease(id)).await
    }
}

#[async_trait]
impl RunStore for TimedStore {
    async fn record_run(&self, run: &SyncRun) -> Result<(), StoreError> {
        self.clock.time(WRITE, self.inner.record_run(run)).await
    }
    async fn list_runs(&self, id: &str, limit: usize) -> Result<Vec<SyncRun>, StoreError> {
        self.clock.time(READ, self.inner.list_runs(id, limit)).await
    }
}

#[async_trait]
impl ResultsStore for TimedStore {
    async fn get_results_pointer(
        &self,
        p: &str,
        kind: ResultsKind,
    ) -> Result<Option<ResultsPointer>, StoreError> {
        self.clock
            .time(READ, self.inner.get_results_pointer(p, kind))
            .await
    }
    async fn put_node_results(
        &self,
        pointer: &ResultsPointer,
        previous: Option<&ResultsPointer>,
        results: &[NodeResult],
    ) -> Result<(), StoreError> {
        let call = self.inner.put_node_results(pointer, previous, results);
        self.clock.time(WRITE, call).await
    }
    async fn list_node_results(&self, p: &str) -> Result<Vec<NodeResult>, StoreError> {
        self.clock.time(READ, self.inner.list_node_results(p)).await
    }
}

#[async_trait]
impl RefreshStore for TimedStore {
    async fn get_refresh(
        &self,
        id: &str,
        kind: RefreshTargetKind,
        luid: &str,
    ) -> Result<Option<RefreshRecord>, StoreError> {
        self.clock
            .time(READ, self.inner.get_refresh(id, kind, luid))
            .await
    }
    async fn put_refresh(&self, record: &RefreshRecord) -> Result<(), StoreError> {
        self.clock.time(WRITE, self.inner.put_refresh(record)).await
    }
    async fn list_refreshes(&self, id: &str) -> Result<Vec<RefreshRecord>, StoreError> {
        self.clock.time(READ, self.inner.list_refreshes(id)).await
    }
}

/// A BI tool whose listings are timed; everything else passes through.
pub(crate) struct TimedBi {
    pub(crate) inner: Arc<dyn BiTool>,
    pub(crate) clock: Clock,
}

#[async_trait]
impl BiTool for TimedBi {
    fn workbook_urls(&self, integration: &Integration) -> Arc<dyn autoexpose_domain::WorkbookUrls> {
        self.inner.workbook_urls(integration)
    }
    async fn resolve_collections(
        &self,
        integration: &Integration,
        secret: &Secret,
        collections: &[String],
    ) -> Result<Vec<ResolvedCollection>, BiError> {
        let call = self
            .inner
            .resolve_collections(integration, secret, collections);
        self.clock.time(READ, call).await
    }
    async fn list_workbooks(
        &self,
        integration: &Integration,
        secret: &Secret,
    ) -> Result<Vec<Workbook>, BiError> {
        let call = self.inner.list_workbooks(integration, secret);
        self.clock.time(READ, call).await
    }
    async fn continue_listing(
        &self,
        integration: &Integration,
        secret: &Secret,
        listing: PartialListing,
        budget: &ListingBudget,
    ) -> Result<PartialListing, BiError> {
        let call = self
            .inner
            .continue_listing(integration, secret, listing, budget);
        self.clock.time(READ, call).await
    }
    async fn list_projects(
        &self,
        integration: &Integration,
        secret: &Secret,
    ) -> Result<Vec<ProjectNode>, BiError> {
        self.clock
            .time(READ, self.inner.list_projects(integration, secret))
            .await
    }
    async fn refresh_extracts(
        &self,
        integration: &Integration,
        secret: &Secret,
        targets: &[RefreshTarget],
    ) -> Result<Vec<Result<RefreshReply, BiError>>, BiError> {
        let call = self.inner.refresh_extracts(integration, secret, targets);
        self.clock.time(WRITE, call).await
    }
    async fn job_status(
        &self,
        integration: &Integration,
        secret: &Secret,
        job_id: &str,
    ) -> Result<JobState, BiError> {
        let call = self.inner.job_status(integration, secret, job_id);
        self.clock.time(READ, call).await
    }
    async fn resolve_tableau_collections(
        &self,
        integration: &Integration,
        secret: &Secret,
        wanted: &[String],
    ) -> Result<Vec<String>, BiError> {
        let call = self
            .inner
            .resolve_tableau_collections(integration, secret, wanted);
        self.clock.time(READ, call).await
    }
    async fn list_tableau_collections(
        &self,
        integration: &Integration,
        secret: &Secret,
    ) -> Result<TableauCollections, BiError> {
        let call = self.inner.list_tableau_collections(integration, secret);
        self.clock.time(READ, call).await
    }
    async fn apply_quality_warnings(
        &self,
        integration: &Integration,
        secret: &Secret,
        changes: &[WarningChange],
    ) -> Result<Vec<Result<WarningReply, BiError>>, BiError> {
        let call = self
            .inner
            .apply_quality_warnings(integration, secret, changes);
        self.clock.time(WRITE, call).await
    }
}
