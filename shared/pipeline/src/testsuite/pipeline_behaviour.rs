//! Pipeline-level behaviours: the real [`Pipeline`] over the store under test, with fakes
//! for artifacts, secrets and Tableau (these check pipeline logic and store semantics, not
//! the Tableau client).

use std::sync::Arc;
use std::time::Duration;

use time::macros::datetime;

use super::counting::CountingStore;
use super::fakes::{
    FakeTableau, ManualClock, MemoryArtifacts, StaticSecrets, manifest_json, sample_integration,
    workbook,
};
use crate::error::PipelineError;
use crate::prelude::*;
use crate::{ApplyOutcome, Pipeline, integration_status};
use crate::{ArtifactLocation, BiError, Secret, Store, Trigger};

/// A pipeline over `store` with fakes, one integration `acme` (dbt project `shop`,
/// collection `p-fin`) and Tableau workbooks `wb-1` (Finance, reads orders), `wb-2` (Ops,
/// reads orders) and `wb-3` (Finance/Q1, reads customers).
struct Harness<S: Store + 'static> {
    pipeline: Pipeline,
    store: Arc<CountingStore<S>>,
    artifacts: MemoryArtifacts,
    tableau: FakeTableau,
    clock: ManualClock,
}

impl<S: Store + 'static> Harness<S> {
    async fn new(store: S, lease_wait: Duration) -> Harness<S> {
        Harness::build(store, lease_wait, false).await
    }

    async fn build(store: S, lease_wait: Duration, publish: bool) -> Harness<S> {
        let artifacts = MemoryArtifacts::default();
        let tableau = FakeTableau::with_projects();
        tableau.set_workbooks(vec![
            workbook("wb-1", "Sales", "p-fin", &["orders"]),
            workbook("wb-2", "Operations", "p-ops", &["orders"]),
            workbook("wb-3", "Quarterly", "p-q1", &["customers"]),
        ]);
        let clock = ManualClock::new(datetime!(2025-03-01 08:00 UTC));
        let store = Arc::new(CountingStore::new(store));
        let pipeline = Pipeline::from_shared(
            store.clone(),
            Arc::new(artifacts.clone()),
            Arc::new(StaticSecrets(Secret::new("pat-secret-value"))),
            Arc::new(tableau.clone()),
        )
        .with_clock(Arc::new(clock.clone()))
        .with_lease(Duration::from_secs(900), lease_wait);
        let pipeline = if publish {
            pipeline.with_publishing()
        } else {
            pipeline
        };
        pipeline
            .store()
            .create_integration(&sample_integration("acme", &["p-fin"]))
            .await
            .expect("create integration");
        Harness {
            pipeline,
            store,
            artifacts,
            tableau,
            clock,
        }
    }

    fn store(&self) -> &CountingStore<S> {
        &self.store
    }

    /// The integration `acme` as stored now.
    async fn integration(&self) -> crate::Integration {
        self.store()
            .get_integration("acme")
            .await
            .expect("get")
            .expect("stored")
    }

    /// Puts a manifest of dbt project `shop` at `name` and applies it.
    async fn apply(&self, name: &str, generated_at: &str, models: &[&str]) -> ApplyOutcome {
        let location = ArtifactLocation::local(name);
        self.artifacts
            .put(&location, manifest_json(generated_at, name, models));
        self.clock.advance(Duration::from_secs(60));
        self.pipeline
            .apply_manifest("shop", &location)
            .await
            .expect("apply manifest")
    }

    async fn exposure_luids(&self) -> Vec<String> {
        let mut luids: Vec<String> = self
            .store()
            .list_exposures("acme")
            .await
            .expect("list exposures")
            .into_iter()
            .map(|s| s.exposure.workbook_luid)
            .collect();
        luids.sort();
        luids
    }

    /// Manifest applied and one sync done: exposures for `wb-1` and `wb-3`.
    async fn synced(store: S, lease_wait: Duration) -> Harness<S> {
        let h = Harness::new(store, lease_wait).await;
        h.apply("m1.json", "2025-03-01T07:00:00Z", &["orders", "customers"])
            .await;
        h.pipeline
            .sync_integration("acme", Trigger::Manual)
            .await
            .expect("first sync");
        assert_eq!(h.exposure_luids().await, ["wb-1", "wb-3"]);
        h
    }
}

/// A manifest older than the applied one changes nothing: no write at all.
pub async fn stale_manifest_changes_nothing<S: Store + 'static>(store: S) {
    let h = Harness::synced(store, Duration::ZERO).await;
    let before = h.store().list_exposures("acme").await.expect("list");
    h.store().reset();
    let outcome = h
        .apply("m0.json", "2025-03-01T06:59:59.999Z", &["orders"])
        .await;
    assert!(
        matches!(outcome, ApplyOutcome::Stale { .. }),
        "got {outcome:?}"
    );
    assert_eq!(
        h.store().counts().data_writes(),
        0,
        "{:?}",
        h.store().counts()
    );
    assert_eq!(
        h.store().list_exposures("acme").await.expect("list"),
        before
    );
    let applied = h.store().get_applied_manifest("shop").await.expect("get");
    assert_eq!(applied.expect("applied").location.key, "m1.json");

    // A newer one does apply, and rematches: wb-3 loses its only model.
    let outcome = h
        .apply("m2.json", "2025-03-01T09:00:00Z", &["orders"])
        .await;
    let ApplyOutcome::Applied { rematches, .. } = outcome else {
        panic!("newer manifest must apply, got {outcome:?}");
    };
    let run = rematches[0].1.clone().expect("rematch");
    assert_eq!((run.added, run.changed, run.removed), (0, 0, 1));
    assert_eq!(h.exposure_luids().await, ["wb-1"]);
}

/// The same manifest delivered twice changes nothing the second time.
pub async fn duplicate_manifest_changes_nothing<S: Store + 'static>(store: S) {
    let h = Harness::synced(store, Duration::ZERO).await;
    h.store().reset();
    let outcome = h
        .apply("m1.json", "2025-03-01T07:00:00Z", &["orders", "customers"])
        .await;
    assert!(
        matches!(outcome, ApplyOutcome::Duplicate(_)),
        "got {outcome:?}"
    );
    assert_eq!(
        h.store().counts().data_writes(),
        0,
        "{:?}",
        h.store().counts()
    );
}

/// A sync that fails at Tableau keeps every exposure and records the error, in words a
/// person can act on, on the integration's status.
pub async fn failed_sync_keeps_old_exposures_and_records_the_error<S: Store + 'static>(store: S) {
    let h = Harness::synced(store, Duration::ZERO).await;
    let before = h.store().list_exposures("acme").await.expect("list");
    let snapshot = h.store().get_snapshot("acme").await.expect("get");
    // Were the listing to succeed, wb-1 would be gone; it must not be removed.
    h.tableau.set_workbooks(vec![]);
    let message = "Tableau rejected the personal access token 'ci-token' for site 'acme' (401001): it may be expired or revoked; create a new one and update the secret";
    h.tableau.set_failure(Some(BiError::SignIn(message.into())));
    let err = h
        .pipeline
        .sync_integration("acme", Trigger::Schedule)
        .await
        .expect_err("sync must fail");
    assert!(matches!(err, PipelineError::Tableau { .. }), "got {err:?}");
    assert_eq!(
        h.store().list_exposures("acme").await.expect("list"),
        before
    );
    assert_eq!(h.store().get_snapshot("acme").await.expect("get"), snapshot);
    let status = integration_status(h.store(), "acme").await.expect("status");
    let recorded = status.last_error.expect("error recorded on the status");
    assert!(recorded.contains("401001"), "{recorded}");
    assert!(
        !recorded.contains("pat-secret-value"),
        "secret leaked: {recorded}"
    );
    assert!(status.last_success.is_some());
}

/// A broken manifest is refused with its location named, and changes nothing; a sync whose
/// applied manifest became unreadable also keeps the exposures.
pub async fn broken_manifest_keeps_old_exposures<S: Store + 'static>(store: S) {
    let h = Harness::synced(store, Duration::ZERO).await;
    let before = h.store().list_exposures("acme").await.expect("list");
    let broken = ArtifactLocation::local("broken.json");
    h.artifacts.put(&broken, b"{\"metadata\": {".to_vec());
    let err = h
        .pipeline
        .apply_manifest("shop", &broken)
        .await
        .expect_err("broken manifest");
    assert!(err.to_string().contains("broken.json"), "{err}");
    let applied = h.store().get_applied_manifest("shop").await.expect("get");
    assert_eq!(applied.expect("applied").location.key, "m1.json");

    h.artifacts
        .put(&ArtifactLocation::local("m1.json"), b"".to_vec());
    h.tableau.set_workbooks(vec![]);
    let err = h
        .pipeline
        .sync_integration("acme", Trigger::Schedule)
        .await
        .expect_err("unreadable applied manifest");
    assert!(matches!(err, PipelineError::Manifest { .. }), "got {err:?}");
    assert_eq!(
        h.store().list_exposures("acme").await.expect("list"),
        before
    );
    let status = integration_status(h.store(), "acme").await.expect("status");
    assert!(status.last_error.expect("error").contains("m1.json"));
}

/// A sync that finds nothing new writes its run record and nothing else.
pub async fn no_change_sync_writes_only_its_run_record<S: Store + 'static>(store: S) {
    let h = Harness::synced(store, Duration::ZERO).await;
    h.store().reset();
    h.clock.advance(Duration::from_secs(3600));
    let run = h
        .pipeline
        .sync_integration("acme", Trigger::Schedule)
        .await
        .expect("sync");
    assert_eq!((run.added, run.changed, run.removed), (0, 0, 0));
    assert_eq!(run.workbooks, 2);
    let counts = h.store().counts();
    assert_eq!(counts.runs, 1, "{counts:?}");
    assert_eq!(counts.data_writes(), 1, "only the run record: {counts:?}");
}

/// New collections: workbooks that left the selection lose their exposures, new ones gain
/// them, at once.
pub async fn collections_update_drops_workbooks_outside_the_selection<S: Store + 'static>(
    store: S,
) {
    let h = Harness::synced(store, Duration::ZERO).await;
    let run = h
        .pipeline
        .update_collections("acme", &["Ops".to_string()])
        .await
        .expect("update collections");
    assert_eq!(run.trigger, Trigger::CollectionsUpdated);
    assert_eq!((run.added, run.changed, run.removed), (1, 0, 2));
    assert_eq!(h.exposure_luids().await, ["wb-2"]);
    let stored = h.integration().await;
    assert_eq!(stored.collections, ["p-ops"]);
    assert_eq!(stored.version, 2);
}

/// Unknown collections are named and nothing is stored or synced.
pub async fn unknown_collections_store_nothing<S: Store + 'static>(store: S) {
    let h = Harness::synced(store, Duration::ZERO).await;
    h.store().reset();
    let err = h
        .pipeline
        .update_collections("acme", &["p-fin".into(), "Nope".into(), "p-zzz".into()])
        .await
        .expect_err("unknown collections");
    let PipelineError::UnknownCollections { names, .. } = &err else {
        panic!("got {err:?}");
    };
    assert_eq!(names, &["Nope", "p-zzz"]);
    assert!(err.to_string().contains("Nope"));
    assert_eq!(h.store().counts().data_writes(), 0);
    let stored = h.integration().await;
    assert_eq!(stored.collections, ["p-fin"]);
    assert_eq!(stored.version, 1);
}

/// While another run holds the lease, a settings change stores nothing and says so:
/// neither new collections nor new aliases are kept without the sync that applies them.
pub async fn settings_change_while_busy_stores_nothing<S: Store + 'static>(store: S) {
    let h = Harness::synced(store, Duration::ZERO).await;
    let other = crate::Lease {
        integration_id: "acme".into(),
        holder: "other-run".into(),
        expires_at: "2999-01-01T00:00:00.000Z".into(),
        acquired_at: "2025-03-01T07:59:00.000Z".into(),
    };
    assert!(
        h.store()
            .try_acquire_lease(&other, "2025-03-01T08:00:00.000Z")
            .await
            .expect("hold")
    );
    let busy = h
        .pipeline
        .update_collections("acme", &["p-ops".into()])
        .await
        .expect_err("busy");
    assert!(
        matches!(busy, PipelineError::LeaseBusy { .. }),
        "got {busy:?}"
    );
    let mut changed = h.integration().await;
    assert_eq!(
        changed.collections,
        ["p-fin"],
        "the collections were not stored"
    );
    changed
        .database_aliases
        .insert("ANALYTICS_OLD".into(), "analytics".into());
    let busy = h
        .pipeline
        .update_settings(&changed)
        .await
        .expect_err("busy");
    assert!(
        matches!(busy, PipelineError::LeaseBusy { .. }),
        "got {busy:?}"
    );
    let stored = h.integration().await;
    assert!(
        stored.database_aliases.is_empty(),
        "the aliases were not stored"
    );
    h.store().break_lease("acme").await.expect("break");
    let (run, rematched) = h.pipeline.update_settings(&changed).await.expect("update");
    assert!(rematched && run.error.is_none(), "{run:?}");
    let stored = h.integration().await;
    assert_eq!(
        stored.database_aliases.len(),
        1,
        "stored once the lease was free"
    );
}

/// A newer manifest with no relations at all is refused before it is applied: the
/// exposures stay, and the applied manifest stays the one before.
pub async fn manifest_without_relations_is_refused_and_changes_nothing<S: Store + 'static>(
    store: S,
) {
    let h = Harness::synced(store, Duration::ZERO).await;
    let applied = h.store().get_applied_manifest("shop").await.expect("get");
    h.store().reset();
    let location = ArtifactLocation::local("empty.json");
    h.artifacts.put(
        &location,
        manifest_json("2025-03-02T07:00:00Z", "empty", &[]),
    );
    let err = h
        .pipeline
        .apply_manifest("shop", &location)
        .await
        .expect_err("refused");
    assert!(matches!(err, PipelineError::Manifest { .. }), "got {err:?}");
    assert!(
        err.to_string()
            .contains("no models, seeds, snapshots or sources"),
        "{err}"
    );
    assert_eq!(h.store().counts().data_writes(), 0);
    assert_eq!(
        h.store().get_applied_manifest("shop").await.expect("get"),
        applied
    );
    assert_eq!(h.exposure_luids().await, ["wb-1", "wb-3"]);
}

/// A manifest that would remove most exposures is held back: nothing removed, the run
/// recorded with the numbers; a person's `--allow-mass-removal` applies it.
pub async fn mass_removal_by_a_manifest_is_held_until_allowed<S: Store + 'static>(store: S) {
    let h = Harness::synced(store, Duration::ZERO).await;
    // `customers` goes: wb-3 loses its only table, and `orders` is renamed away.
    let outcome = h
        .apply("m2.json", "2025-03-02T07:00:00Z", &["orders_v2"])
        .await;
    let ApplyOutcome::Applied { rematches, .. } = outcome else {
        panic!("applied: {outcome:?}");
    };
    let error = rematches[0].1.as_ref().expect_err("held back");
    assert!(
        error.contains("would remove 2 of the 2 exposures"),
        "{error}"
    );
    assert_eq!(
        h.exposure_luids().await,
        ["wb-1", "wb-3"],
        "nothing removed"
    );
    let status = integration_status(h.store(), "acme").await.expect("status");
    assert!(
        status
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("held back")),
        "recorded on the status: {status:?}"
    );
    let forced = h.pipeline.clone().with_mass_removal_allowed();
    let run = forced
        .sync_integration("acme", Trigger::Manual)
        .await
        .expect("forced");
    assert_eq!(run.removed, 2);
    assert!(h.exposure_luids().await.is_empty());
}

/// A Tableau listing that would remove most exposures is held back the same way, unless
/// the integration allows it.
pub async fn mass_removal_by_a_listing_is_held_unless_the_integration_allows_it<
    S: Store + 'static,
>(
    store: S,
) {
    let h = Harness::synced(store, Duration::ZERO).await;
    h.tableau.set_workbooks(vec![]);
    let held = h
        .pipeline
        .sync_integration("acme", Trigger::Schedule)
        .await
        .expect_err("held back");
    assert!(
        matches!(
            held,
            PipelineError::RemovalHeld {
                removed: 2,
                total: 2,
                ..
            }
        ),
        "{held:?}"
    );
    assert_eq!(h.exposure_luids().await, ["wb-1", "wb-3"]);
    let mut integration = h.integration().await;
    integration.max_removal_percent = Some(100);
    h.store()
        .update_integration(&integration)
        .await
        .expect("allow");
    let run = h
        .pipeline
        .sync_integration("acme", Trigger::Schedule)
        .await
        .expect("allowed");
    assert_eq!(run.removed, 2);
}

/// Two syncs at once with no patience: one runs, the other gives up with `LeaseBusy`;
/// nothing is lost and Tableau is signed into once.
pub async fn concurrent_syncs_one_gives_up_nothing_lost<S: Store + 'static>(store: S) {
    let h = Harness::synced(store, Duration::ZERO).await;
    h.tableau.set_workbooks(vec![
        workbook("wb-1", "Sales", "p-fin", &["orders"]),
        workbook("wb-4", "Forecast", "p-fin", &["orders", "customers"]),
    ]);
    h.tableau.set_delay(Duration::from_millis(300));
    let listings = h.tableau.listings();
    let (a, b) = tokio::join!(
        h.pipeline.sync_integration("acme", Trigger::Manual),
        h.pipeline.sync_integration("acme", Trigger::Schedule),
    );
    let (ok, busy) = match (a, b) {
        (Ok(run), Err(e)) | (Err(e), Ok(run)) => (run, e),
        other => panic!("exactly one sync must run: {other:?}"),
    };
    assert!(
        matches!(busy, PipelineError::LeaseBusy { .. }),
        "got {busy:?}"
    );
    assert!(
        busy.to_string().contains("holds its lease since"),
        "the message names the holder and since when: {busy}"
    );
    let runs = h.store().list_runs("acme", 10).await.expect("runs");
    assert!(
        runs.iter()
            .any(|r| r.error.as_deref().is_some_and(|e| e.contains("is busy"))),
        "the run that could not start is recorded, so `integrations show` tells why: {runs:?}"
    );
    assert_eq!((ok.added, ok.removed), (1, 1));
    assert_eq!(h.tableau.listings(), listings + 1);
    assert_eq!(h.exposure_luids().await, ["wb-1", "wb-4"]);
    // The lease was released: a later sync runs.
    h.tableau.set_delay(Duration::ZERO);
    h.pipeline
        .sync_integration("acme", Trigger::Manual)
        .await
        .expect("sync after the race");
}

/// A sync stopped mid-listing (Ctrl-C, SIGTERM, a function's timeout) records why and
/// releases its lease: the next sync runs at once instead of waiting for it to lapse, and
/// nothing stored changed.
pub async fn interrupted_sync_releases_its_lease_and_records_why<S: Store + 'static>(store: S) {
    let h = Harness::synced(store, Duration::ZERO).await;
    let before = h.exposure_luids().await;
    h.tableau.set_workbooks(vec![
        workbook("wb-1", "Sales", "p-fin", &["orders"]),
        workbook("wb-3", "Quarterly", "p-q1", &["customers"]),
        workbook("wb-4", "Forecast", "p-fin", &["orders"]),
    ]);
    h.tableau.set_delay(Duration::from_secs(3600));
    let interrupt = crate::CancellationToken::new();
    let pipeline = h
        .pipeline
        .clone()
        .with_stop(crate::Stop::never().on(interrupt.clone(), "interrupted (Ctrl-C)"));
    let (stopped, ()) = tokio::join!(pipeline.sync_integration("acme", Trigger::Manual), async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        interrupt.cancel();
    });
    let stopped = stopped.expect_err("the sync was stopped");
    assert!(
        matches!(stopped, PipelineError::Stopped { .. }),
        "got {stopped:?}"
    );
    assert!(
        stopped.to_string().contains("interrupted (Ctrl-C)"),
        "{stopped}"
    );
    assert_eq!(h.store().get_lease("acme").await.expect("lease"), None);
    let last = &h.store().list_runs("acme", 1).await.expect("runs")[0];
    assert!(
        last.error
            .as_deref()
            .is_some_and(|e| e.contains("stopped before it finished")),
        "{last:?}"
    );
    assert_eq!(h.exposure_luids().await, before, "nothing stored changed");
    h.tableau.set_delay(Duration::ZERO);
    h.pipeline
        .sync_integration("acme", Trigger::Manual)
        .await
        .expect("the next sync takes the lease at once");
}

/// Two syncs at once with patience: the second waits for the first; both are recorded and
/// the second finds nothing to change.
pub async fn concurrent_syncs_one_waits_both_recorded<S: Store + 'static>(store: S) {
    let h = Harness::synced(store, Duration::from_secs(10)).await;
    h.tableau.set_workbooks(vec![
        workbook("wb-1", "Sales", "p-fin", &["orders"]),
        workbook("wb-4", "Forecast", "p-fin", &["orders", "customers"]),
    ]);
    h.tableau.set_delay(Duration::from_millis(200));
    let runs_before = h.store().list_runs("acme", 100).await.expect("runs").len();
    let (a, b) = tokio::join!(
        h.pipeline.sync_integration("acme", Trigger::Manual),
        h.pipeline.sync_integration("acme", Trigger::Schedule),
    );
    let (a, b) = (a.expect("first"), b.expect("second"));
    let mut changes = [a.added + a.removed, b.added + b.removed];
    changes.sort();
    assert_eq!(
        changes,
        [0, 2],
        "one run changes, the other finds nothing: {a:?} {b:?}"
    );
    let runs = h.store().list_runs("acme", 100).await.expect("runs");
    assert_eq!(runs.len(), runs_before + 2);
    assert_eq!(h.exposure_luids().await, ["wb-1", "wb-4"]);
}

/// Two integrations of one dbt project (two Tableau sites) that hold same-named workbooks
/// get distinct exposure names: names are unique in the dbt project, and stay put.
pub async fn integrations_of_one_project_never_share_an_exposure_name<S: Store + 'static>(
    store: S,
) {
    let h = Harness::synced(store, Duration::ZERO).await;
    h.store()
        .create_integration(&sample_integration("beta", &["p-fin"]))
        .await
        .expect("create second integration");
    h.pipeline
        .sync_integration("beta", Trigger::Manual)
        .await
        .expect("sync second integration");
    let first = exposure_names(h.store(), "acme").await;
    let second = exposure_names(h.store(), "beta").await;
    assert_eq!(first, ["quarterly", "sales"]);
    assert_eq!(second.len(), 2);
    assert!(
        second.iter().all(|n| !first.contains(n)),
        "{first:?} and {second:?} share a name"
    );
    // A second sync of the first integration keeps its names.
    h.pipeline
        .sync_integration("acme", Trigger::Manual)
        .await
        .expect("sync again");
    assert_eq!(exposure_names(h.store(), "acme").await, first);
}

async fn exposure_names<S: Store + 'static>(store: &S, integration_id: &str) -> Vec<String> {
    let mut names: Vec<String> = store
        .list_exposures(integration_id)
        .await
        .expect("list exposures")
        .into_iter()
        .map(|s| s.exposure.name)
        .collect();
    names.sort();
    names
}

/// With publishing on (the Lambda flow), every change writes the dbt YAML beside the
/// manifest; a run that changes nothing leaves it as it was.
pub async fn publishing_writes_the_exposure_yaml_beside_the_manifest<S: Store + 'static>(store: S) {
    let h = Harness::build(store, Duration::ZERO, true).await;
    h.apply(
        "dbt/shop/prod/manifest.json",
        "2025-03-01T07:00:00Z",
        &["orders", "customers"],
    )
    .await;
    h.pipeline
        .sync_integration("acme", Trigger::Manual)
        .await
        .expect("sync");
    let published =
        ArtifactLocation::local("dbt/shop/prod/exposures/imported_from_tableau/exposures.yml");
    let yaml = String::from_utf8(
        h.artifacts
            .get(&published)
            .expect("published after the sync"),
    )
    .expect("utf-8");
    assert!(yaml.contains("name: sales"), "{yaml}");
    assert!(yaml.contains("name: quarterly"), "{yaml}");
    assert!(yaml.contains("autoexpose_integration: acme"), "{yaml}");
    assert!(yaml.contains("- ref('orders')"), "{yaml}");
    // Tableau drops a workbook: the published file follows.
    h.tableau
        .set_workbooks(vec![workbook("wb-1", "Sales", "p-fin", &["orders"])]);
    h.pipeline
        .sync_integration("acme", Trigger::Manual)
        .await
        .expect("second sync");
    let yaml =
        String::from_utf8(h.artifacts.get(&published).expect("still published")).expect("utf-8");
    assert!(!yaml.contains("name: quarterly"), "{yaml}");
}
