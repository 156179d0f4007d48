//! Store-level behaviours: the semantics every `Store` adapter must share.

use super::fakes::{sample_exposure as exposure, sample_integration, workbook};
use crate::{
    AppliedManifest, ArtifactLocation, ExposureDiff, Lease, Snapshot, Store, StoreError, SyncRun,
    Trigger,
};

fn lease(holder: &str, expires_at: &str) -> Lease {
    Lease {
        integration_id: "acme".into(),
        holder: holder.into(),
        expires_at: expires_at.into(),
        acquired_at: String::new(),
    }
}

/// An update from a stale version fails with `Conflict` and leaves the stored one alone.
pub async fn integration_version_conflict_is_typed<S: Store + 'static>(store: S) {
    let created = store
        .create_integration(&sample_integration("acme", &["p-fin"]))
        .await
        .expect("create");
    assert_eq!(created.version, 1, "a new integration starts at version 1");
    let mut first = created.clone();
    first.collections = vec!["p-ops".into()];
    let updated = store
        .update_integration(&first)
        .await
        .expect("first update");
    assert_eq!(updated.version, 2);

    let mut stale = created.clone();
    stale.collections = vec!["p-q1".into()];
    let err = store.update_integration(&stale).await;
    assert!(
        matches!(err, Err(StoreError::Conflict(_))),
        "stale update must conflict, got {err:?}"
    );
    let stored = store.get_integration("acme").await.expect("get");
    assert_eq!(
        stored.expect("stored").collections,
        vec!["p-ops".to_string()]
    );

    let mut missing = sample_integration("nobody", &[]);
    missing.version = 1;
    let err = store.update_integration(&missing).await;
    assert!(matches!(err, Err(StoreError::NotFound(_))), "got {err:?}");
}

/// Creating an id twice is refused and keeps the first.
pub async fn integration_create_twice_is_refused<S: Store + 'static>(store: S) {
    store
        .create_integration(&sample_integration("acme", &["p-fin"]))
        .await
        .expect("create");
    let err = store
        .create_integration(&sample_integration("acme", &["p-ops"]))
        .await;
    assert!(
        matches!(err, Err(StoreError::AlreadyExists(_))),
        "got {err:?}"
    );
    let stored = store
        .get_integration("acme")
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(stored.collections, vec!["p-fin".to_string()]);
}

/// Removing an integration removes its settings, snapshot, exposures, lease and runs, and
/// leaves another integration's alone; an id added again starts empty.
pub async fn removing_an_integration_removes_its_records<S: Store + 'static>(store: S) {
    for id in ["acme", "other"] {
        store
            .create_integration(&sample_integration(id, &["p-fin"]))
            .await
            .expect("create");
        store
            .put_snapshot(&Snapshot {
                integration_id: id.into(),
                taken_at: "2025-01-01T00:00:00.000Z".into(),
                workbooks: vec![workbook("wb-1", "Sales", "p-fin", &["orders"])],
            })
            .await
            .expect("snapshot");
        let diff = ExposureDiff {
            upserts: vec![exposure("wb-1", "sales")],
            removals: vec![],
        };
        store
            .apply_exposure_diff(id, &diff, "2025-01-01T00:00:00.000Z")
            .await
            .expect("exposures");
        let mut done = run("a", "2025-01-01T00:00:00.000Z", None);
        done.integration_id = id.into();
        store.record_run(&done).await.expect("run");
    }
    let mut held = lease("crashed-run", "2025-01-01T00:15:00.000Z");
    held.acquired_at = "2025-01-01T00:00:00.000Z".into();
    assert!(
        store
            .try_acquire_lease(&held, "2025-01-01T00:00:00.000Z")
            .await
            .expect("lease")
    );

    assert!(store.delete_integration("acme").await.expect("delete"));
    assert_eq!(store.get_integration("acme").await.expect("get"), None);
    assert_eq!(store.get_snapshot("acme").await.expect("get"), None);
    assert!(store.list_exposures("acme").await.expect("list").is_empty());
    assert!(store.list_runs("acme", 10).await.expect("list").is_empty());
    assert_eq!(store.get_lease("acme").await.expect("get"), None);
    assert!(
        !store.delete_integration("acme").await.expect("delete"),
        "a second removal finds nothing"
    );
    assert!(store.get_integration("other").await.expect("get").is_some());
    assert_eq!(store.list_exposures("other").await.expect("list").len(), 1);
    assert_eq!(store.list_runs("other", 10).await.expect("list").len(), 1);
}

/// Integrations list sorted by id, all or by dbt project.
pub async fn integrations_list_by_dbt_project<S: Store + 'static>(store: S) {
    let mut other = sample_integration("zeta", &[]);
    other.dbt_project = "warehouse".into();
    store.create_integration(&other).await.expect("create");
    store
        .create_integration(&sample_integration("beta", &[]))
        .await
        .expect("create");
    store
        .create_integration(&sample_integration("alpha", &[]))
        .await
        .expect("create");
    let all: Vec<String> = store
        .list_integrations(None)
        .await
        .expect("list")
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(all, ["alpha", "beta", "zeta"]);
    let shop: Vec<String> = store
        .list_integrations(Some("shop"))
        .await
        .expect("list")
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(shop, ["alpha", "beta"]);
    assert!(
        store
            .get_integration("nobody")
            .await
            .expect("get")
            .is_none()
    );
}

/// A held lease excludes others until it expires; then it can be taken over; its holder
/// can renew it; after release anyone can take it.
pub async fn lease_excludes_a_second_holder_until_it_expires<S: Store + 'static>(store: S) {
    let t0 = "2025-01-01T00:00:00.000Z";
    let t1 = "2025-01-01T00:05:00.000Z";
    let t2 = "2025-01-01T00:20:00.000Z";
    assert!(
        store
            .try_acquire_lease(&lease("a", "2025-01-01T00:15:00.000Z"), t0)
            .await
            .expect("a")
    );
    assert!(
        !store
            .try_acquire_lease(&lease("b", "2025-01-01T00:20:00.000Z"), t1)
            .await
            .expect("b"),
        "a live lease must exclude another holder"
    );
    assert!(
        store
            .try_acquire_lease(&lease("a", "2025-01-01T00:20:00.000Z"), t1)
            .await
            .expect("renew"),
        "the holder may renew"
    );
    assert!(
        store
            .try_acquire_lease(&lease("b", "2025-01-01T00:35:00.000Z"), t2)
            .await
            .expect("take over"),
        "an expired lease can be taken over"
    );
    assert!(
        !store
            .try_acquire_lease(&lease("a", "2025-01-01T00:40:00.000Z"), t2)
            .await
            .expect("a again")
    );
    store.release_lease("acme", "b").await.expect("release");
    assert!(
        store
            .try_acquire_lease(&lease("a", "2025-01-01T00:40:00.000Z"), t2)
            .await
            .expect("after release")
    );
}

/// Releasing someone else's lease leaves it held.
pub async fn lease_release_by_a_stranger_changes_nothing<S: Store + 'static>(store: S) {
    let t0 = "2025-01-01T00:00:00.000Z";
    assert!(
        store
            .try_acquire_lease(&lease("a", "2025-01-01T00:15:00.000Z"), t0)
            .await
            .expect("a")
    );
    store
        .release_lease("acme", "b")
        .await
        .expect("stranger release");
    assert!(
        !store
            .try_acquire_lease(&lease("b", "2025-01-01T00:15:00.000Z"), t0)
            .await
            .expect("b")
    );
}

/// The lease reads back as taken, lapsed or not, and a person can break it whoever holds
/// it; afterwards anyone may take it.
pub async fn lease_can_be_read_and_broken_whoever_holds_it<S: Store + 'static>(store: S) {
    let t0 = "2025-01-01T00:00:00.000Z";
    assert_eq!(store.get_lease("acme").await.expect("get"), None);
    let mut held = lease("crashed-run", "2025-01-01T00:15:00.000Z");
    held.acquired_at = t0.to_string();
    assert!(store.try_acquire_lease(&held, t0).await.expect("take"));
    assert_eq!(
        store.get_lease("acme").await.expect("get"),
        Some(held.clone())
    );
    assert_eq!(
        store.break_lease("acme").await.expect("break"),
        Some(held),
        "breaking returns what was removed"
    );
    assert_eq!(store.get_lease("acme").await.expect("get"), None);
    assert_eq!(store.break_lease("acme").await.expect("break again"), None);
    assert!(
        store
            .try_acquire_lease(&lease("next", "2025-01-01T00:15:00.000Z"), t0)
            .await
            .expect("after break"),
        "a broken lease is free at once, long before it would lapse"
    );
}

fn applied(generated_at: &str, invocation_id: &str) -> AppliedManifest {
    AppliedManifest {
        dbt_project: "shop".into(),
        location: ArtifactLocation::in_container(
            "artifacts",
            format!("shop/prod/{invocation_id}/manifest.json"),
        ),
        generated_at: generated_at.into(),
        invocation_id: invocation_id.into(),
        applied_at: "2025-01-01T00:00:00.000Z".into(),
    }
}

/// The applied-manifest pointer is a compare-and-swap: a writer that read an older pointer
/// cannot overwrite a newer one.
pub async fn applied_manifest_cannot_go_backwards<S: Store + 'static>(store: S) {
    let first = applied("2025-01-01T00:00:00Z", "inv-1");
    store
        .put_applied_manifest(&first, None)
        .await
        .expect("first");
    let err = store
        .put_applied_manifest(&applied("2025-01-01T00:00:00Z", "inv-x"), None)
        .await;
    assert!(
        matches!(err, Err(StoreError::Conflict(_))),
        "second create must conflict: {err:?}"
    );

    let second = applied("2025-01-02T00:00:00Z", "inv-2");
    store
        .put_applied_manifest(&second, Some(&first))
        .await
        .expect("second");
    // A concurrent applier that still believes `first` is current must fail.
    let racing = applied("2025-01-01T12:00:00Z", "inv-3");
    let err = store.put_applied_manifest(&racing, Some(&first)).await;
    assert!(matches!(err, Err(StoreError::Conflict(_))), "got {err:?}");
    let current = store.get_applied_manifest("shop").await.expect("get");
    assert_eq!(current, Some(second));
    assert!(
        store
            .get_applied_manifest("other")
            .await
            .expect("get")
            .is_none()
    );
}

/// A diff upserts by workbook LUID and removes by workbook LUID; exposures list by name.
pub async fn exposure_diff_upserts_and_removes<S: Store + 'static>(store: S) {
    let diff = ExposureDiff {
        upserts: vec![exposure("wb-2", "zeta"), exposure("wb-1", "alpha")],
        removals: vec![],
    };
    store
        .apply_exposure_diff("acme", &diff, "2025-01-01T00:00:00.000Z")
        .await
        .expect("diff");
    let mut changed = exposure("wb-2", "zeta");
    changed.depends_on.push("model.shop.customers".into());
    let diff = ExposureDiff {
        upserts: vec![changed.clone()],
        removals: vec!["wb-1".into()],
    };
    store
        .apply_exposure_diff("acme", &diff, "2025-01-02T00:00:00.000Z")
        .await
        .expect("diff");
    let stored = store.list_exposures("acme").await.expect("list");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].exposure, changed);
    assert_eq!(stored[0].integration_id, "acme");
    assert_eq!(stored[0].synced_at, "2025-01-02T00:00:00.000Z");
    assert!(
        store
            .list_exposures("other")
            .await
            .expect("list")
            .is_empty()
    );
}

/// A snapshot reads back as written and a new one replaces it.
pub async fn snapshot_round_trips<S: Store + 'static>(store: S) {
    assert!(store.get_snapshot("acme").await.expect("get").is_none());
    let first = Snapshot {
        integration_id: "acme".into(),
        taken_at: "2025-01-01T00:00:00.000Z".into(),
        workbooks: vec![workbook("wb-1", "Sales", "p-fin", &["orders"])],
    };
    store.put_snapshot(&first).await.expect("put");
    let second = Snapshot {
        taken_at: "2025-01-02T00:00:00.000Z".into(),
        workbooks: vec![],
        ..first.clone()
    };
    store.put_snapshot(&second).await.expect("put");
    assert_eq!(store.get_snapshot("acme").await.expect("get"), Some(second));
}

fn run(id: &str, started_at: &str, error: Option<&str>) -> SyncRun {
    SyncRun {
        run_id: format!("{started_at}-{id}"),
        integration_id: "acme".into(),
        trigger: Trigger::Schedule,
        started_at: started_at.into(),
        finished_at: started_at.into(),
        added: 1,
        changed: 2,
        removed: 3,
        workbooks: 4,
        error: error.map(str::to_string),
        warning: None,
    }
}

/// Runs list newest first, limited.
pub async fn runs_list_newest_first<S: Store + 'static>(store: S) {
    let a = run("a", "2025-01-01T00:00:00.000Z", None);
    let b = run(
        "b",
        "2025-01-03T00:00:00.000Z",
        Some("Tableau rejected the token"),
    );
    let c = run("c", "2025-01-02T00:00:00.000Z", None);
    for r in [&a, &b, &c] {
        store.record_run(r).await.expect("record");
    }
    assert_eq!(
        store.list_runs("acme", 10).await.expect("list"),
        vec![b.clone(), c, a]
    );
    assert_eq!(store.list_runs("acme", 1).await.expect("list"), vec![b]);
    assert!(store.list_runs("other", 10).await.expect("list").is_empty());
}
