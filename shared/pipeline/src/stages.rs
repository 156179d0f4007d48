//! The three stages of PRODUCT.md S5: apply a manifest, sync an integration, update its
//! collections. Each is a method of [`Pipeline`], which holds the adapters.

use std::cmp::Ordering;
use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use autoexpose_domain::timestamp::parse_generated_at;
use autoexpose_domain::{Manifest, MatchOptions, MatchOutcome, build_exposures};

use crate::StoredExposure;
use crate::columns::join_warnings;
use crate::diff::diff_exposures;
use crate::error::PipelineError;
use crate::pipeline::Pipeline;
use crate::{
    AppliedManifest, ArtifactLocation, BiError, DEFAULT_MAX_REMOVAL_PERCENT, Integration, Snapshot,
    StoreError, SyncRun, Trigger, format_timestamp,
};

const MANIFEST_RETRIES: usize = 5;
static RUN_SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// What happened to a manifest handed to [`Pipeline::apply_manifest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// It is newer than the applied one: it is applied now, and every integration of the
    /// dbt project was rematched (one result per integration, in id order).
    Applied {
        /// The new pointer.
        manifest: AppliedManifest,
        /// Per integration: its run, or the error that stopped it (already recorded).
        rematches: Vec<(String, Result<SyncRun, String>)>,
    },
    /// It is the applied one again (same `generated_at` and `invocation_id`); nothing changed.
    Duplicate(AppliedManifest),
    /// It is older than the applied one; nothing changed.
    Stale {
        /// The applied one, which stays.
        applied: AppliedManifest,
    },
}

impl Pipeline {
    /// Reads a manifest and, if it is newer than the one applied for `dbt_project`
    /// (by `metadata.generated_at`, then `invocation_id`), applies it and rematches every
    /// integration of that project against its stored snapshot. Stale and duplicate
    /// manifests change nothing. Which environment's manifests count is the caller's
    /// choice (the S3 key, the CLI flag).
    pub async fn apply_manifest(
        &self,
        dbt_project: &str,
        location: &ArtifactLocation,
    ) -> Result<ApplyOutcome, PipelineError> {
        let manifest = self.read_manifest(location).await?;
        if manifest.relations.is_empty() {
            return Err(PipelineError::Manifest {
                location: location.clone(),
                message: format!(
                    "it has no models, seeds, snapshots or sources to match, so it would remove every exposure of dbt project '{dbt_project}'; it was not applied (is it the manifest of the right project, written by a dbt run that finished?)"
                ),
            });
        }
        if let Some(name) = manifest.metadata.project_name.as_deref()
            && name != dbt_project
        {
            return Err(PipelineError::Manifest {
                location: location.clone(),
                message: format!(
                    "it belongs to dbt project '{name}', not '{dbt_project}'; apply it to '{name}'"
                ),
            });
        }
        let missing = |field: &str| PipelineError::Manifest {
            location: location.clone(),
            message: format!(
                "it has no metadata.{field}, so it cannot be ordered against other manifests; upload the manifest.json that dbt wrote"
            ),
        };
        let generated_at = manifest
            .metadata
            .generated_at
            .clone()
            .ok_or_else(|| missing("generated_at"))?;
        let invocation_id = manifest
            .metadata
            .invocation_id
            .clone()
            .ok_or_else(|| missing("invocation_id"))?;
        let candidate = AppliedManifest {
            dbt_project: dbt_project.to_string(),
            location: location.clone(),
            generated_at,
            invocation_id,
            applied_at: format_timestamp(self.now()),
        };

        let mut attempts = 0;
        let applied = loop {
            let current = self.store.get_applied_manifest(dbt_project).await?;
            if let Some(current) = &current {
                match manifest_order(&candidate, current) {
                    Ordering::Less => {
                        tracing::info!(dbt_project, %location, "stale manifest ignored");
                        return Ok(ApplyOutcome::Stale {
                            applied: current.clone(),
                        });
                    }
                    Ordering::Equal => {
                        tracing::info!(dbt_project, %location, "duplicate manifest ignored");
                        return Ok(ApplyOutcome::Duplicate(current.clone()));
                    }
                    Ordering::Greater => {}
                }
            }
            match self
                .store
                .put_applied_manifest(&candidate, current.as_ref())
                .await
            {
                Ok(()) => break candidate,
                Err(StoreError::Conflict(_)) if attempts < MANIFEST_RETRIES => attempts += 1,
                Err(e) => return Err(e.into()),
            }
        };

        let mut rematches = Vec::new();
        for integration in self.store.list_integrations(Some(dbt_project)).await? {
            let result = self
                .run_locked(&integration.id, Trigger::Manifest, |run| {
                    self.rematch_stored(integration.clone(), &manifest, run)
                })
                .await
                .map_err(|e| e.to_string());
            rematches.push((integration.id.clone(), result));
        }
        if self.publish {
            // From the manifest read above: a manifest event downloads its manifest once.
            if let Err(error) = self.publish_applied(&applied, &manifest).await {
                tracing::error!(dbt_project, %error, "could not publish the exposure YAML");
            }
        }
        Ok(ApplyOutcome::Applied {
            manifest: applied,
            rematches,
        })
    }

    /// Takes the integration's lease, lists its workbooks with its PAT, replaces the
    /// snapshot (only after a complete listing, and only if it changed), rematches against
    /// the applied manifest, writes the exposure diff and records the run. A failed run
    /// changes no exposure and records its error.
    pub async fn sync_integration(
        &self,
        integration_id: &str,
        trigger: Trigger,
    ) -> Result<SyncRun, PipelineError> {
        let run = self
            .run_locked(integration_id, trigger, |run| self.sync_locked(run))
            .await?;
        self.publish_after_sync(&run).await?;
        Ok(run)
    }

    /// Publishes the exposure files of the run's dbt project when the run changed any.
    pub(crate) async fn publish_after_sync(&self, run: &SyncRun) -> Result<(), PipelineError> {
        if self.publish && run.added + run.changed + run.removed > 0 {
            let integration = self.integration(&run.integration_id).await?;
            self.publish_logged(&integration.dbt_project).await;
        }
        Ok(())
    }

    /// Publishes the exposure files; a failure is logged, not returned: the store holds
    /// the exposures and the next change publishes them again.
    async fn publish_logged(&self, dbt_project: &str) {
        if let Err(error) = self.publish_exposure_files(dbt_project).await {
            tracing::error!(dbt_project, %error, "could not publish the exposure YAML");
        }
    }

    /// Checks that the collections exist on the site, stores their LUIDs with an
    /// optimistic version check, then syncs, so workbooks that left the selection lose
    /// their exposures and new ones gain them. All of it happens under the integration's
    /// lease: when another run holds it, nothing is stored ([`PipelineError::LeaseBusy`]),
    /// and an unknown collection stores nothing either.
    pub async fn update_collections(
        &self,
        integration_id: &str,
        collections: &[String],
    ) -> Result<SyncRun, PipelineError> {
        self.update_selection(integration_id, Some(collections), None)
            .await
    }

    /// Like [`Pipeline::update_collections`], for either part of the selection: the
    /// projects (`collections`) and Tableau's own Collections (`tableau_collections`, LUIDs
    /// or names, REST API 3.28+). `None` keeps that part as stored; an empty list clears
    /// it. Both are checked against the site before anything is stored.
    pub async fn update_selection(
        &self,
        integration_id: &str,
        collections: Option<&[String]>,
        tableau_collections: Option<&[String]>,
    ) -> Result<SyncRun, PipelineError> {
        let run = self
            .run_locked(
                integration_id,
                Trigger::CollectionsUpdated,
                |counts| async move {
                    let integration = self.integration(integration_id).await?;
                    let mut updated = integration.clone();
                    if let Some(collections) = collections {
                        let (luids, paths) =
                            self.resolve_collections(&integration, collections).await?;
                        updated.collections = luids;
                        updated.collection_paths = paths;
                    }
                    if let Some(wanted) = tableau_collections {
                        updated.tableau_collections = self
                            .resolve_tableau_collections(&integration, wanted)
                            .await?;
                    }
                    self.store_settings(&updated).await?;
                    self.sync_locked(counts.unguarded())
                        .await
                        .map_err(|source| PipelineError::StoredNotApplied {
                            integration: integration_id.to_string(),
                            source: Box::new(source),
                        })
                },
            )
            .await?;
        if self.publish && run.added + run.changed + run.removed > 0 {
            let integration = self.integration(integration_id).await?;
            self.publish_logged(&integration.dbt_project).await;
        }
        Ok(run)
    }

    /// Stores an integration's changed settings (aliases, include-unmatched, refresh
    /// windows) and rematches its stored snapshot, under its lease: either both happen,
    /// or, when another run holds the lease, nothing is stored
    /// ([`PipelineError::LeaseBusy`]). `updated.version` must be the version it was read
    /// at. Returns the run, and whether a manifest was applied to rematch against.
    pub async fn update_settings(
        &self,
        updated: &Integration,
    ) -> Result<(SyncRun, bool), PipelineError> {
        let rematched = std::sync::atomic::AtomicBool::new(false);
        let run = self
            .run_locked(&updated.id, Trigger::Manual, |counts| async {
                self.store_settings(updated).await?;
                let integration = self.integration(&updated.id).await?;
                let Some(applied) = self
                    .store
                    .get_applied_manifest(&integration.dbt_project)
                    .await?
                else {
                    return Ok(counts);
                };
                let manifest = self.read_manifest(&applied.location).await?;
                rematched.store(true, AtomicOrdering::Relaxed);
                self.rematch_stored(integration, &manifest, counts.unguarded())
                    .await
                    .map_err(|source| PipelineError::StoredNotApplied {
                        integration: updated.id.clone(),
                        source: Box::new(source),
                    })
            })
            .await?;
        if self.publish && run.added + run.changed + run.removed > 0 {
            self.publish_logged(&updated.dbt_project).await;
        }
        Ok((run, rematched.load(AtomicOrdering::Relaxed)))
    }

    /// The LUIDs of the named collections, each once, in the order given, with each one's
    /// path; an error naming those the site does not have.
    async fn resolve_collections(
        &self,
        integration: &Integration,
        collections: &[String],
    ) -> Result<(Vec<String>, BTreeMap<String, String>), PipelineError> {
        let secret = self.tableau_secret(integration).await?;
        let resolved = self
            .until_stopped(
                &integration.id,
                self.bi
                    .resolve_collections(integration, &secret, collections),
            )
            .await?
            .map_err(|source| match source {
                BiError::UnknownCollections(names) => PipelineError::UnknownCollections {
                    integration: integration.id.clone(),
                    names,
                },
                source => PipelineError::Tableau {
                    integration: integration.id.clone(),
                    source,
                },
            })?;
        let paths = resolved
            .iter()
            .map(|c| (c.luid.clone(), c.path.clone()))
            .collect();
        Ok((first_of_each(resolved.into_iter().map(|c| c.luid)), paths))
    }

    /// The LUIDs of the named Tableau Collections, each once, in the order given.
    async fn resolve_tableau_collections(
        &self,
        integration: &Integration,
        wanted: &[String],
    ) -> Result<Vec<String>, PipelineError> {
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let secret = self.tableau_secret(integration).await?;
        let resolved = self
            .until_stopped(
                &integration.id,
                self.bi
                    .resolve_tableau_collections(integration, &secret, wanted),
            )
            .await?
            .map_err(|source| PipelineError::Tableau {
                integration: integration.id.clone(),
                source,
            })?;
        Ok(first_of_each(resolved))
    }

    async fn store_settings(&self, updated: &Integration) -> Result<(), PipelineError> {
        self.store
            .update_integration(updated)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => PipelineError::VersionConflict(updated.id.clone()),
                e => e.into(),
            })?;
        Ok(())
    }

    /// Runs `work` under the integration's lease and records the run, success or failure.
    async fn run_locked<'a, F, Fut>(
        &'a self,
        integration_id: &str,
        trigger: Trigger,
        work: F,
    ) -> Result<SyncRun, PipelineError>
    where
        F: FnOnce(RunCounts) -> Fut,
        Fut: Future<Output = Result<RunCounts, PipelineError>> + 'a,
    {
        let step = self
            .run_locked_or_pause(integration_id, trigger, |counts| async move {
                work(counts)
                    .await
                    .map(Step::<RunCounts, std::convert::Infallible>::Done)
            })
            .await?;
        match step {
            Step::Done(run) => Ok(run),
            Step::Paused(never) => match never {},
        }
    }

    /// Runs `work` under the integration's lease. When it is done, or fails, the run is
    /// recorded; when it pauses (a sync in steps), the lease is released and nothing is
    /// recorded, so the last run shown stays the last finished one.
    pub(crate) async fn run_locked_or_pause<'a, F, Fut, P>(
        &'a self,
        integration_id: &str,
        trigger: Trigger,
        work: F,
    ) -> Result<Step<SyncRun, P>, PipelineError>
    where
        F: FnOnce(RunCounts) -> Fut,
        Fut: Future<Output = Result<Step<RunCounts, P>, PipelineError>> + 'a,
    {
        // Checked before the lease so an unknown id leaves no lease behind.
        let integration = self.integration(integration_id).await?;
        let started = self.now();
        // Sorts by start time, then by order within this process (clocks can tie), and
        // the random tail keeps ids of concurrent processes apart.
        let run_id = format!(
            "{}-{:010}-{:08x}",
            format_timestamp(started),
            RUN_SEQUENCE.fetch_add(1, AtomicOrdering::Relaxed),
            RandomState::new().hash_one(integration_id) as u32
        );
        let mut run = SyncRun {
            run_id: run_id.clone(),
            integration_id: integration.id.clone(),
            trigger,
            started_at: format_timestamp(started),
            finished_at: String::new(),
            added: 0,
            changed: 0,
            removed: 0,
            workbooks: 0,
            error: None,
            warning: None,
        };
        if let Err(busy) = self.acquire_lease(&integration.id, &run_id).await {
            // Recorded, so `integrations show` tells why nothing happened.
            run.finished_at = format_timestamp(self.now());
            run.error = Some(busy.to_string());
            tracing::warn!(integration = %integration.id, %trigger, error = %busy, "run did not start");
            if let Err(e) = self.store.record_run(&run).await {
                tracing::warn!(integration = %integration.id, error = %e, "could not record the run that did not start");
            }
            return Err(busy);
        }
        let result = match work(RunCounts::new(integration.id.clone())).await {
            Ok(Step::Paused(next)) => {
                self.store.release_lease(&integration.id, &run_id).await?;
                tracing::info!(integration = %integration.id, %trigger, "run paused");
                return Ok(Step::Paused(next));
            }
            Ok(Step::Done(counts)) => Ok(counts),
            Err(e) => Err(e),
        };
        if let Err(refused) = &result
            && refused.is_refusal()
        {
            // Nothing ran: the request itself was wrong, which says nothing of the
            // integration's health.
            self.store.release_lease(&integration.id, &run_id).await?;
            return Err(result.expect_err("checked above"));
        }
        run.finished_at = format_timestamp(self.now());
        match &result {
            Ok(counts) => {
                run.added = counts.added;
                run.changed = counts.changed;
                run.removed = counts.removed;
                run.workbooks = counts.workbooks;
                run.warning = counts.warning.clone();
            }
            Err(e) => run.error = Some(e.to_string()),
        }
        let recorded = self.store.record_run(&run).await;
        let released = self.store.release_lease(&integration.id, &run_id).await;
        match &result {
            Ok(_) => {
                tracing::info!(integration = %integration.id, %trigger, added = run.added, changed = run.changed, removed = run.removed, "run finished")
            }
            Err(e) => {
                tracing::warn!(integration = %integration.id, %trigger, error = %e, "run failed")
            }
        }
        result?;
        recorded?;
        released?;
        Ok(Step::Done(run))
    }

    /// The integration's Tableau token secret.
    pub(crate) async fn tableau_secret(
        &self,
        integration: &Integration,
    ) -> Result<crate::Secret, PipelineError> {
        self.secrets
            .tableau_secret(&integration.secret_ref)
            .await
            .map_err(|source| PipelineError::Secret {
                integration: integration.id.clone(),
                source,
            })
    }

    async fn sync_locked(&self, counts: RunCounts) -> Result<RunCounts, PipelineError> {
        // Read again under the lease: settings may have changed while we waited.
        let integration = self.integration(&counts.integration_id).await?;
        let secret = self.tableau_secret(&integration).await?;
        let workbooks = self
            .until_stopped(
                &integration.id,
                self.bi.list_workbooks(&integration, &secret),
            )
            .await?
            .map_err(|source| PipelineError::Tableau {
                integration: integration.id.clone(),
                source,
            })?;
        self.sync_listed(counts, &integration, workbooks).await
    }

    /// Finishes a sync whose listing is complete: replaces the snapshot if it changed and
    /// rematches against the applied manifest.
    pub(crate) async fn sync_listed(
        &self,
        mut counts: RunCounts,
        integration: &Integration,
        mut workbooks: Vec<autoexpose_domain::Workbook>,
    ) -> Result<RunCounts, PipelineError> {
        workbooks.sort_by(|a, b| a.luid.cmp(&b.luid));
        counts.workbooks = u32::try_from(workbooks.len()).unwrap_or(u32::MAX);

        // Read the manifest before storing anything, so a broken manifest changes nothing.
        let manifest = match self
            .store
            .get_applied_manifest(&integration.dbt_project)
            .await?
        {
            Some(applied) => Some(self.read_manifest(&applied.location).await?),
            None => None,
        };

        let stored = self.store.get_snapshot(&integration.id).await?;
        self.attach_usage(integration, &mut workbooks, stored.as_ref())
            .await?;
        if let Some(manifest) = &manifest {
            counts.columns_warning = self
                .attach_columns(integration, manifest, &mut workbooks, stored.as_ref())
                .await?;
        }
        let snapshot = match stored {
            Some(s) if s.workbooks == workbooks => s,
            _ => {
                let snapshot = Snapshot {
                    integration_id: integration.id.clone(),
                    taken_at: format_timestamp(self.now()),
                    workbooks,
                };
                self.store.put_snapshot(&snapshot).await?;
                snapshot
            }
        };
        match manifest {
            Some(manifest) => {
                self.rematch(integration, &manifest, &snapshot, counts)
                    .await
            }
            None => {
                tracing::info!(integration = %integration.id, dbt_project = %integration.dbt_project,
                    "no manifest applied yet; workbooks stored, exposures follow the first manifest");
                Ok(counts)
            }
        }
    }

    /// Rematches one integration's stored Tableau snapshot against the applied manifest,
    /// after its settings (aliases, include-unmatched) change. Tableau is called only for
    /// the columns of workbooks that now match and never had them fetched.
    pub async fn rematch_integration(
        &self,
        integration_id: &str,
        trigger: Trigger,
    ) -> Result<SyncRun, PipelineError> {
        let integration = self.integration(integration_id).await?;
        let Some(applied) = self
            .store
            .get_applied_manifest(&integration.dbt_project)
            .await?
        else {
            return Err(PipelineError::NoManifest(integration.dbt_project.clone()));
        };
        let manifest = self.read_manifest(&applied.location).await?;
        let run = self
            .run_locked(integration_id, trigger, |run| async move {
                // Read again under the lease: settings may have changed while we waited.
                let integration = self.integration(integration_id).await?;
                self.rematch_stored(integration, &manifest, run).await
            })
            .await?;
        if self.publish && run.added + run.changed + run.removed > 0 {
            self.publish_logged(&integration.dbt_project).await;
        }
        Ok(run)
    }

    /// Rematches the integration's stored snapshot against `manifest`. Tableau is asked
    /// only for the columns of workbooks that now match and never had them fetched.
    async fn rematch_stored(
        &self,
        integration: Integration,
        manifest: &Manifest,
        mut counts: RunCounts,
    ) -> Result<RunCounts, PipelineError> {
        let Some(snapshot) = self.store.get_snapshot(&integration.id).await? else {
            // Never listed: nothing to match yet; the next sync will.
            return Ok(counts);
        };
        counts.workbooks = u32::try_from(snapshot.workbooks.len()).unwrap_or(u32::MAX);
        let (snapshot, columns_warning) = self
            .fill_missing_columns(&integration, manifest, snapshot)
            .await?;
        counts.columns_warning = columns_warning;
        self.rematch(&integration, manifest, &snapshot, counts)
            .await
    }

    /// Exposure names held by the other integrations of the same dbt project: exposure
    /// names are unique in a dbt project, not just within one integration.
    async fn names_of_other_integrations(
        &self,
        integration: &Integration,
    ) -> Result<BTreeSet<String>, PipelineError> {
        let mut names = BTreeSet::new();
        for other in self
            .store
            .list_integrations(Some(&integration.dbt_project))
            .await?
        {
            if other.id != integration.id {
                let stored = self.store.list_exposures(&other.id).await?;
                names.extend(stored.into_iter().map(|s| s.exposure.name));
            }
        }
        Ok(names)
    }

    async fn rematch(
        &self,
        integration: &Integration,
        manifest: &Manifest,
        snapshot: &Snapshot,
        mut counts: RunCounts,
    ) -> Result<RunCounts, PipelineError> {
        let stored = self.store.list_exposures(&integration.id).await?;
        let previous_names: HashMap<String, String> = stored
            .iter()
            .map(|s| (s.exposure.workbook_luid.clone(), s.exposure.name.clone()))
            .collect();
        let options = MatchOptions {
            include_unmatched: integration.include_unmatched,
            urls: Some(self.bi.workbook_urls(integration)),
            previous_names,
            aliases: integration.aliases(),
            reserved_names: self.names_of_other_integrations(integration).await?,
            usage_rules: integration.usage_rules,
            catalog: self.applied_catalog(integration).await?,
        };
        let mut outcome = build_exposures(manifest, &snapshot.workbooks, &options);
        keep_exposures_of_hidden_workbooks(&mut outcome, &stored);
        counts.warning = join_warnings(
            outcome.stats.hidden_warning(),
            counts.columns_warning.clone(),
        );
        if let Some(warning) = &counts.warning {
            tracing::warn!(integration = %integration.id, hidden = outcome.stats.tables_hidden, "{warning}");
        }
        let diff = diff_exposures(&stored, &outcome.exposures);
        if counts.guarded && !self.allow_mass_removal {
            guard_removal(integration, stored.len(), diff.removed).inspect_err(|held| {
                // At error level: in AWS this is what the alarm watches.
                tracing::error!(integration = %integration.id, removed = diff.removed,
                    total = stored.len(), error = %held, "mass removal held back");
            })?;
        }
        if !diff.diff.is_empty() {
            self.store
                .apply_exposure_diff(&integration.id, &diff.diff, &format_timestamp(self.now()))
                .await?;
        }
        counts.added = diff.added;
        counts.changed = diff.changed;
        counts.removed = diff.removed;
        Ok(counts)
    }
}

/// How a run under the lease ended: done (the run is recorded) or paused, to go on in
/// a later step.
pub(crate) enum Step<D, P> {
    /// Done, with its counts or its recorded run.
    Done(D),
    /// Paused; what the next step needs.
    Paused(P),
}

/// Counts a run collects on its way.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct RunCounts {
    integration_id: String,
    added: u32,
    changed: u32,
    removed: u32,
    workbooks: u32,
    /// Why the run's result is incomplete, if it is.
    warning: Option<String>,
    /// Whether the guard against mass removal applies: not when a person changed the
    /// settings that decide what is imported (collections, include-unmatched).
    guarded: bool,
    /// Why the columns the dashboards read are incomplete, if they are.
    columns_warning: Option<String>,
}

impl RunCounts {
    fn new(integration_id: String) -> RunCounts {
        RunCounts {
            integration_id,
            added: 0,
            changed: 0,
            removed: 0,
            workbooks: 0,
            warning: None,
            guarded: true,
            columns_warning: None,
        }
    }

    fn unguarded(mut self) -> RunCounts {
        self.guarded = false;
        self
    }
}

/// Refuses a diff that removes more than the integration allows of its exposures.
fn guard_removal(
    integration: &Integration,
    total: usize,
    removed: u32,
) -> Result<(), PipelineError> {
    let limit = integration
        .max_removal_percent
        .unwrap_or(DEFAULT_MAX_REMOVAL_PERCENT);
    let removed_share = u64::from(removed) * 100;
    // One exposure going is never a mass removal, whatever the share.
    if removed < 2 || limit >= 100 || removed_share <= u64::from(limit) * total as u64 {
        return Ok(());
    }
    Err(PipelineError::RemovalHeld {
        integration: integration.id.clone(),
        removed,
        total,
        limit_percent: limit,
    })
}

/// Orders two manifests of one project: by `generated_at`, then by `invocation_id`.
pub fn manifest_order(a: &AppliedManifest, b: &AppliedManifest) -> Ordering {
    generated_order(
        (&a.generated_at, &a.invocation_id),
        (&b.generated_at, &b.invocation_id),
    )
}

/// Orders two dbt artifacts by `(generated_at, invocation_id)`: as times where both are
/// timestamps (as the domain reads them). A time that is not one (stored by a version that did not check) is
/// older than any real time, so it can never hold back a newer file.
pub(crate) fn generated_order(a: (&str, &str), b: (&str, &str)) -> Ordering {
    let by_time = match (parse_generated_at(a.0), parse_generated_at(b.0)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => a.0.cmp(b.0),
    };
    by_time.then_with(|| a.1.cmp(b.1))
}

/// Collections as typed on a command line: comma-separated, trimmed, without empties or
/// repeats.
pub fn parse_collection_list(text: &str) -> Vec<String> {
    let mut seen = BTreeSet::new();
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty() && seen.insert(s.to_string()))
        .map(str::to_string)
        .collect()
}

/// Keeps the stored exposure of every workbook whose tables Tableau now hides entirely
/// (the token's user lost the permission to see them): what it reads is unknown, not
/// gone, so its exposure stays as it was, neither removed nor emptied.
fn keep_exposures_of_hidden_workbooks(outcome: &mut MatchOutcome, stored: &[StoredExposure]) {
    let hidden: HashSet<&str> = outcome
        .hidden_workbooks
        .iter()
        .map(String::as_str)
        .collect();
    let kept: Vec<&StoredExposure> = stored
        .iter()
        .filter(|s| hidden.contains(s.exposure.workbook_luid.as_str()))
        .collect();
    if kept.is_empty() {
        return;
    }
    let luids: HashSet<&str> = kept
        .iter()
        .map(|s| s.exposure.workbook_luid.as_str())
        .collect();
    outcome
        .exposures
        .retain(|e| !luids.contains(e.workbook_luid.as_str()));
    outcome
        .exposures
        .extend(kept.into_iter().map(|s| s.exposure.clone()));
    outcome.exposures.sort_by(|a, b| a.name.cmp(&b.name));
}

/// Each LUID once, where it first appears.
fn first_of_each(luids: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut unique = Vec::new();
    for luid in luids {
        if !unique.contains(&luid) {
            unique.push(luid);
        }
    }
    unique
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(generated_at: &str, invocation_id: &str) -> AppliedManifest {
        AppliedManifest {
            dbt_project: "shop".into(),
            location: ArtifactLocation::local("m.json"),
            generated_at: generated_at.into(),
            invocation_id: invocation_id.into(),
            applied_at: String::new(),
        }
    }

    #[test]
    fn manifests_order_by_time_then_invocation() {
        let early = applied("2024-05-01T12:00:00.5Z", "b");
        let late = applied("2024-05-01T12:00:01Z", "a");
        assert_eq!(manifest_order(&early, &late), Ordering::Less);
        let same_time = applied("2024-05-01T12:00:00.500000Z", "c");
        assert_eq!(manifest_order(&same_time, &early), Ordering::Greater);
        assert_eq!(manifest_order(&early, &early.clone()), Ordering::Equal);
    }

    #[test]
    fn a_stored_time_that_is_not_a_time_never_holds_back_a_real_one() {
        let frozen = applied("not a date", "a");
        let real = applied("2024-05-01T12:00:00Z", "b");
        assert_eq!(manifest_order(&real, &frozen), Ordering::Greater);
        assert_eq!(manifest_order(&frozen, &real), Ordering::Less);
        let zzz = applied("zzz", "c");
        assert_eq!(manifest_order(&real, &zzz), Ordering::Greater);
    }

    #[test]
    fn collection_lists_drop_blanks_and_repeats() {
        assert_eq!(
            parse_collection_list(" a, b,,a ,Finance/Q1"),
            vec!["a", "b", "Finance/Q1"]
        );
    }
}
