//! A store wrapper that counts writes, so "a run that changes nothing writes only its run
//! record" is checked, not assumed.

use crate::{
    ExposureStore, IntegrationStore, LeaseStore, ManifestStore, RefreshStore, ResultsStore,
    RunStore, SnapshotStore,
};
use async_trait::async_trait;
use std::sync::Mutex;

use autoexpose_domain::run_results::{NodeResult, ResultsKind};

use crate::{
    AppliedManifest, ExposureDiff, Integration, Lease, RefreshRecord, RefreshTargetKind,
    ResultsPointer, Snapshot, Store, StoreError, StoredExposure, SyncRun,
};

/// Writes made through a [`CountingStore`], by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteCounts {
    /// `create_integration` and `update_integration` calls.
    pub integrations: u32,
    /// `put_snapshot` calls.
    pub snapshots: u32,
    /// `put_applied_manifest` calls.
    pub applied_manifests: u32,
    /// `apply_exposure_diff` calls.
    pub exposure_diffs: u32,
    /// Exposure items written (upserts plus removals).
    pub exposure_items: u32,
    /// `record_run` calls.
    pub runs: u32,
    /// `try_acquire_lease` and `release_lease` calls (coordination, not data).
    pub lease_ops: u32,
    /// `put_node_results` calls.
    pub results: u32,
    /// `put_refresh` calls.
    pub refreshes: u32,
}

impl WriteCounts {
    /// Writes of data (everything but lease coordination).
    pub fn data_writes(&self) -> u32 {
        self.integrations
            + self.snapshots
            + self.applied_manifests
            + self.exposure_diffs
            + self.runs
            + self.results
            + self.refreshes
    }
}

/// Wraps a store and counts its writes.
pub struct CountingStore<S> {
    inner: S,
    counts: Mutex<WriteCounts>,
}

impl<S: Store + 'static> CountingStore<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> CountingStore<S> {
        CountingStore {
            inner,
            counts: Mutex::new(WriteCounts::default()),
        }
    }

    /// The writes so far.
    pub fn counts(&self) -> WriteCounts {
        *self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts counting from zero.
    pub fn reset(&self) {
        *self.counts.lock().unwrap_or_else(|e| e.into_inner()) = WriteCounts::default();
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn count(&self, f: impl FnOnce(&mut WriteCounts)) {
        f(&mut self.counts.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

#[async_trait]
impl<S: Store + 'static> IntegrationStore for CountingStore<S> {
    async fn create_integration(&self, i: &Integration) -> Result<Integration, StoreError> {
        self.count(|c| c.integrations += 1);
        self.inner.create_integration(i).await
    }

    async fn update_integration(&self, i: &Integration) -> Result<Integration, StoreError> {
        self.count(|c| c.integrations += 1);
        self.inner.update_integration(i).await
    }

    async fn get_integration(&self, id: &str) -> Result<Option<Integration>, StoreError> {
        self.inner.get_integration(id).await
    }

    async fn list_integrations(&self, p: Option<&str>) -> Result<Vec<Integration>, StoreError> {
        self.inner.list_integrations(p).await
    }

    async fn delete_integration(&self, id: &str) -> Result<bool, StoreError> {
        self.count(|c| c.integrations += 1);
        self.inner.delete_integration(id).await
    }
}

#[async_trait]
impl<S: Store + 'static> SnapshotStore for CountingStore<S> {
    async fn get_snapshot(&self, id: &str) -> Result<Option<Snapshot>, StoreError> {
        self.inner.get_snapshot(id).await
    }

    async fn put_snapshot(&self, s: &Snapshot) -> Result<(), StoreError> {
        self.count(|c| c.snapshots += 1);
        self.inner.put_snapshot(s).await
    }
}

#[async_trait]
impl<S: Store + 'static> ManifestStore for CountingStore<S> {
    async fn get_applied_manifest(&self, p: &str) -> Result<Option<AppliedManifest>, StoreError> {
        self.inner.get_applied_manifest(p).await
    }

    async fn put_applied_manifest(
        &self,
        m: &AppliedManifest,
        previous: Option<&AppliedManifest>,
    ) -> Result<(), StoreError> {
        self.count(|c| c.applied_manifests += 1);
        self.inner.put_applied_manifest(m, previous).await
    }
}

#[async_trait]
impl<S: Store + 'static> ExposureStore for CountingStore<S> {
    async fn list_exposures(&self, id: &str) -> Result<Vec<StoredExposure>, StoreError> {
        self.inner.list_exposures(id).await
    }

    async fn apply_exposure_diff(
        &self,
        id: &str,
        diff: &ExposureDiff,
        synced_at: &str,
    ) -> Result<(), StoreError> {
        let items = u32::try_from(diff.upserts.len() + diff.removals.len()).unwrap_or(u32::MAX);
        self.count(|c| {
            c.exposure_diffs += 1;
            c.exposure_items += items;
        });
        self.inner.apply_exposure_diff(id, diff, synced_at).await
    }
}

#[async_trait]
impl<S: Store + 'static> LeaseStore for CountingStore<S> {
    async fn try_acquire_lease(&self, lease: &Lease, now: &str) -> Result<bool, StoreError> {
        self.count(|c| c.lease_ops += 1);
        self.inner.try_acquire_lease(lease, now).await
    }

    async fn release_lease(&self, id: &str, holder: &str) -> Result<(), StoreError> {
        self.count(|c| c.lease_ops += 1);
        self.inner.release_lease(id, holder).await
    }

    async fn get_lease(&self, id: &str) -> Result<Option<Lease>, StoreError> {
        self.inner.get_lease(id).await
    }

    async fn break_lease(&self, id: &str) -> Result<Option<Lease>, StoreError> {
        self.count(|c| c.lease_ops += 1);
        self.inner.break_lease(id).await
    }
}

#[async_trait]
impl<S: Store + 'static> RunStore for CountingStore<S> {
    async fn record_run(&self, run: &SyncRun) -> Result<(), StoreError> {
        self.count(|c| c.runs += 1);
        self.inner.record_run(run).await
    }

    async fn list_runs(&self, id: &str, limit: usize) -> Result<Vec<SyncRun>, StoreError> {
        self.inner.list_runs(id, limit).await
    }
}

#[async_trait]
impl<S: Store + 'static> ResultsStore for CountingStore<S> {
    async fn get_results_pointer(
        &self,
        p: &str,
        kind: ResultsKind,
    ) -> Result<Option<ResultsPointer>, StoreError> {
        self.inner.get_results_pointer(p, kind).await
    }

    async fn put_node_results(
        &self,
        pointer: &ResultsPointer,
        previous: Option<&ResultsPointer>,
        results: &[NodeResult],
    ) -> Result<(), StoreError> {
        self.count(|c| c.results += 1);
        self.inner
            .put_node_results(pointer, previous, results)
            .await
    }

    async fn list_node_results(&self, p: &str) -> Result<Vec<NodeResult>, StoreError> {
        self.inner.list_node_results(p).await
    }
}

#[async_trait]
impl<S: Store + 'static> RefreshStore for CountingStore<S> {
    async fn get_refresh(
        &self,
        id: &str,
        kind: RefreshTargetKind,
        luid: &str,
    ) -> Result<Option<RefreshRecord>, StoreError> {
        self.inner.get_refresh(id, kind, luid).await
    }

    async fn put_refresh(&self, record: &RefreshRecord) -> Result<(), StoreError> {
        self.count(|c| c.refreshes += 1);
        self.inner.put_refresh(record).await
    }

    async fn list_refreshes(&self, id: &str) -> Result<Vec<RefreshRecord>, StoreError> {
        self.inner.list_refreshes(id).await
    }
}

/// Wraps artifacts and counts how often each location is fetched (`read` or `open`), so
/// "a manifest event downloads its manifest once" is checked, not assumed, and how often
/// it is read whole into memory (`read`), so "a sync streams the manifest" is too.
pub struct CountingArtifacts<A> {
    inner: A,
    fetches: Mutex<Vec<crate::ArtifactLocation>>,
    whole_reads: Mutex<Vec<crate::ArtifactLocation>>,
}

impl<A: crate::Artifacts> CountingArtifacts<A> {
    /// Counts the fetches through `inner`.
    pub fn new(inner: A) -> CountingArtifacts<A> {
        CountingArtifacts {
            inner,
            fetches: Mutex::new(Vec::new()),
            whole_reads: Mutex::new(Vec::new()),
        }
    }

    /// How often `location` was fetched so far.
    pub fn fetches_of(&self, location: &crate::ArtifactLocation) -> usize {
        let fetches = self.fetches.lock().unwrap_or_else(|e| e.into_inner());
        fetches.iter().filter(|l| *l == location).count()
    }

    /// How often `location` was read whole into memory (`read`, not `open`) so far.
    pub fn whole_reads_of(&self, location: &crate::ArtifactLocation) -> usize {
        let reads = self.whole_reads.lock().unwrap_or_else(|e| e.into_inner());
        reads.iter().filter(|l| *l == location).count()
    }

    fn count(&self, location: &crate::ArtifactLocation) {
        let mut fetches = self.fetches.lock().unwrap_or_else(|e| e.into_inner());
        fetches.push(location.clone());
    }
}

#[async_trait]
impl<A: crate::Artifacts> crate::Artifacts for CountingArtifacts<A> {
    async fn read(
        &self,
        location: &crate::ArtifactLocation,
    ) -> Result<Vec<u8>, crate::ArtifactError> {
        self.count(location);
        self.whole_reads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(location.clone());
        self.inner.read(location).await
    }

    async fn open(
        &self,
        location: &crate::ArtifactLocation,
    ) -> Result<crate::ArtifactReader, crate::ArtifactError> {
        self.count(location);
        self.inner.open(location).await
    }

    async fn write(
        &self,
        location: &crate::ArtifactLocation,
        bytes: &[u8],
    ) -> Result<(), crate::ArtifactError> {
        self.inner.write(location, bytes).await
    }
}
