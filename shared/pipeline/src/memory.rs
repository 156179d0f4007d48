//! [`MemoryStore`]: the store kept in memory, with the same semantics as SQLite and
//! DynamoDB (the shared behaviour suite runs against all three). For tests of handlers and
//! stages that need no database, and for one-shot runs that keep nothing.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use autoexpose_domain::run_results::{NodeResult, ResultsKind};

use crate::records::{
    AppliedManifest, ExposureDiff, Integration, Lease, RefreshRecord, RefreshTargetKind,
    ResultsPointer, Snapshot, StoredExposure, SyncRun,
};
use crate::{
    ExposureStore, IntegrationStore, LeaseStore, ManifestStore, RefreshStore, ResultsStore,
    RunStore, SnapshotStore, StoreError,
};

/// Every record family in maps behind one lock, so each call is atomic as a database
/// transaction would be.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    integrations: BTreeMap<String, Integration>,
    snapshots: BTreeMap<String, Snapshot>,
    manifests: BTreeMap<String, AppliedManifest>,
    /// (integration, workbook LUID) → exposure.
    exposures: BTreeMap<(String, String), StoredExposure>,
    leases: BTreeMap<String, Lease>,
    runs: Vec<SyncRun>,
    pointers: BTreeMap<(String, ResultsKind), ResultsPointer>,
    /// (dbt project, unique id, kind) → result.
    results: BTreeMap<(String, String, ResultsKind), NodeResult>,
    /// (integration, target kind, LUID) → record.
    refreshes: BTreeMap<(String, RefreshTargetKind, String), RefreshRecord>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves maps that are still whole: keep going.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The pair a conditional write compares: `generated_at` and `invocation_id`.
fn version_of(generated_at: &str, invocation_id: &str) -> (String, String) {
    (generated_at.to_string(), invocation_id.to_string())
}

#[async_trait]
impl IntegrationStore for MemoryStore {
    async fn create_integration(
        &self,
        integration: &Integration,
    ) -> Result<Integration, StoreError> {
        let mut state = self.state();
        if state.integrations.contains_key(&integration.id) {
            return Err(StoreError::AlreadyExists(format!(
                "integration '{}'",
                integration.id
            )));
        }
        let mut stored = integration.clone();
        stored.version = 1;
        state.integrations.insert(stored.id.clone(), stored.clone());
        Ok(stored)
    }

    async fn update_integration(
        &self,
        integration: &Integration,
    ) -> Result<Integration, StoreError> {
        let mut state = self.state();
        let what = format!("integration '{}'", integration.id);
        let Some(current) = state.integrations.get(&integration.id) else {
            return Err(StoreError::NotFound(what));
        };
        if current.version != integration.version {
            return Err(StoreError::Conflict(what));
        }
        let mut stored = integration.clone();
        stored.version += 1;
        state.integrations.insert(stored.id.clone(), stored.clone());
        Ok(stored)
    }

    async fn get_integration(&self, id: &str) -> Result<Option<Integration>, StoreError> {
        Ok(self.state().integrations.get(id).cloned())
    }

    async fn list_integrations(
        &self,
        dbt_project: Option<&str>,
    ) -> Result<Vec<Integration>, StoreError> {
        let state = self.state();
        let mut out = Vec::new();
        for integration in state.integrations.values() {
            if dbt_project.is_none_or(|p| p == integration.dbt_project) {
                out.push(integration.clone());
            }
        }
        Ok(out)
    }

    async fn delete_integration(&self, id: &str) -> Result<bool, StoreError> {
        let mut state = self.state();
        state.snapshots.remove(id);
        state
            .exposures
            .retain(|(integration, _), _| integration != id);
        state.leases.remove(id);
        state.runs.retain(|run| run.integration_id != id);
        state
            .refreshes
            .retain(|(integration, _, _), _| integration != id);
        Ok(state.integrations.remove(id).is_some())
    }
}

#[async_trait]
impl SnapshotStore for MemoryStore {
    async fn get_snapshot(&self, integration_id: &str) -> Result<Option<Snapshot>, StoreError> {
        Ok(self.state().snapshots.get(integration_id).cloned())
    }

    async fn put_snapshot(&self, snapshot: &Snapshot) -> Result<(), StoreError> {
        self.state()
            .snapshots
            .insert(snapshot.integration_id.clone(), snapshot.clone());
        Ok(())
    }
}

#[async_trait]
impl ManifestStore for MemoryStore {
    async fn get_applied_manifest(
        &self,
        dbt_project: &str,
    ) -> Result<Option<AppliedManifest>, StoreError> {
        Ok(self.state().manifests.get(dbt_project).cloned())
    }

    async fn put_applied_manifest(
        &self,
        manifest: &AppliedManifest,
        previous: Option<&AppliedManifest>,
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        let current = state
            .manifests
            .get(&manifest.dbt_project)
            .map(|m| version_of(&m.generated_at, &m.invocation_id));
        let expected = previous.map(|m| version_of(&m.generated_at, &m.invocation_id));
        if current != expected {
            return Err(StoreError::Conflict(format!(
                "the applied manifest of dbt project '{}'",
                manifest.dbt_project
            )));
        }
        state
            .manifests
            .insert(manifest.dbt_project.clone(), manifest.clone());
        Ok(())
    }
}

#[async_trait]
impl ExposureStore for MemoryStore {
    async fn list_exposures(
        &self,
        integration_id: &str,
    ) -> Result<Vec<StoredExposure>, StoreError> {
        let state = self.state();
        let mut out: Vec<StoredExposure> = state
            .exposures
            .values()
            .filter(|e| e.integration_id == integration_id)
            .cloned()
            .collect();
        out.sort_by(|a, b| {
            (&a.exposure.name, &a.exposure.workbook_luid)
                .cmp(&(&b.exposure.name, &b.exposure.workbook_luid))
        });
        Ok(out)
    }

    async fn apply_exposure_diff(
        &self,
        integration_id: &str,
        diff: &ExposureDiff,
        synced_at: &str,
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        for exposure in &diff.upserts {
            let key = (integration_id.to_string(), exposure.workbook_luid.clone());
            let stored = StoredExposure {
                integration_id: integration_id.to_string(),
                exposure: exposure.clone(),
                synced_at: synced_at.to_string(),
            };
            state.exposures.insert(key, stored);
        }
        for luid in &diff.removals {
            state
                .exposures
                .remove(&(integration_id.to_string(), luid.clone()));
        }
        Ok(())
    }
}

#[async_trait]
impl LeaseStore for MemoryStore {
    async fn try_acquire_lease(&self, lease: &Lease, now: &str) -> Result<bool, StoreError> {
        let mut state = self.state();
        let free = match state.leases.get(&lease.integration_id) {
            None => true,
            Some(held) => held.expires_at.as_str() <= now || held.holder == lease.holder,
        };
        if free {
            state
                .leases
                .insert(lease.integration_id.clone(), lease.clone());
        }
        Ok(free)
    }

    async fn release_lease(&self, integration_id: &str, holder: &str) -> Result<(), StoreError> {
        let mut state = self.state();
        if state
            .leases
            .get(integration_id)
            .is_some_and(|held| held.holder == holder)
        {
            state.leases.remove(integration_id);
        }
        Ok(())
    }

    async fn get_lease(&self, integration_id: &str) -> Result<Option<Lease>, StoreError> {
        Ok(self.state().leases.get(integration_id).cloned())
    }

    async fn break_lease(&self, integration_id: &str) -> Result<Option<Lease>, StoreError> {
        Ok(self.state().leases.remove(integration_id))
    }
}

#[async_trait]
impl RunStore for MemoryStore {
    async fn record_run(&self, run: &SyncRun) -> Result<(), StoreError> {
        let mut state = self.state();
        state
            .runs
            .retain(|r| r.run_id != run.run_id || r.integration_id != run.integration_id);
        state.runs.push(run.clone());
        Ok(())
    }

    async fn list_runs(
        &self,
        integration_id: &str,
        limit: usize,
    ) -> Result<Vec<SyncRun>, StoreError> {
        let state = self.state();
        let mut out: Vec<SyncRun> = state
            .runs
            .iter()
            .filter(|r| r.integration_id == integration_id)
            .cloned()
            .collect();
        out.sort_by(|a, b| (&b.started_at, &b.run_id).cmp(&(&a.started_at, &a.run_id)));
        out.truncate(limit);
        Ok(out)
    }
}

#[async_trait]
impl ResultsStore for MemoryStore {
    async fn get_results_pointer(
        &self,
        dbt_project: &str,
        kind: ResultsKind,
    ) -> Result<Option<ResultsPointer>, StoreError> {
        Ok(self
            .state()
            .pointers
            .get(&(dbt_project.to_string(), kind))
            .cloned())
    }

    async fn put_node_results(
        &self,
        pointer: &ResultsPointer,
        previous: Option<&ResultsPointer>,
        results: &[NodeResult],
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        let key = (pointer.dbt_project.clone(), pointer.kind);
        let current = state
            .pointers
            .get(&key)
            .map(|p| version_of(&p.generated_at, &p.invocation_id));
        let expected = previous.map(|p| version_of(&p.generated_at, &p.invocation_id));
        if current != expected {
            return Err(StoreError::Conflict(format!(
                "the recorded {} of dbt project '{}'",
                pointer.kind.file_name(),
                pointer.dbt_project
            )));
        }
        for result in results {
            let node = (
                pointer.dbt_project.clone(),
                result.unique_id.clone(),
                result.kind,
            );
            state.results.insert(node, result.clone());
        }
        state.pointers.insert(key, pointer.clone());
        Ok(())
    }

    async fn list_node_results(&self, dbt_project: &str) -> Result<Vec<NodeResult>, StoreError> {
        let state = self.state();
        // Keys sort by project, then unique id, then kind: the order the port promises.
        let out = state
            .results
            .iter()
            .filter(|((project, _, _), _)| project == dbt_project)
            .map(|(_, result)| result.clone())
            .collect();
        Ok(out)
    }
}

#[async_trait]
impl RefreshStore for MemoryStore {
    async fn get_refresh(
        &self,
        integration_id: &str,
        kind: RefreshTargetKind,
        luid: &str,
    ) -> Result<Option<RefreshRecord>, StoreError> {
        let key = (integration_id.to_string(), kind, luid.to_string());
        Ok(self.state().refreshes.get(&key).cloned())
    }

    async fn put_refresh(&self, record: &RefreshRecord) -> Result<(), StoreError> {
        let key = (
            record.integration_id.clone(),
            record.target.kind,
            record.target.luid.clone(),
        );
        self.state().refreshes.insert(key, record.clone());
        Ok(())
    }

    async fn list_refreshes(&self, integration_id: &str) -> Result<Vec<RefreshRecord>, StoreError> {
        let state = self.state();
        let out = state
            .refreshes
            .iter()
            .filter(|((id, _, _), _)| id == integration_id)
            .map(|(_, record)| record.clone())
            .collect();
        Ok(out)
    }
}
