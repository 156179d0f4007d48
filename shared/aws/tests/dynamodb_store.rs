//! `DynamoStore` against moto through the real AWS SDK: every operation, the lease
//! race, batches over 25 items, snapshot diffs and the run TTL.

mod common;

use autoexpose_pipeline::prelude::*;
use std::sync::Arc;

use autoexpose_aws::{DynamoStore, TTL_ATTRIBUTE};
use autoexpose_pipeline::testsuite::{sample_exposure as exposure, sample_integration, workbook};
use autoexpose_pipeline::{
    AppliedManifest, ArtifactLocation, ExposureDiff, Lease, ResultsKind, Snapshot, StoreError,
    SyncRun, Trigger,
};
use aws_sdk_dynamodb::types::AttributeValue;

fn run(id: &str, started_at: &str, error: Option<&str>) -> SyncRun {
    SyncRun {
        run_id: id.into(),
        integration_id: "acme".into(),
        trigger: Trigger::Schedule,
        started_at: started_at.into(),
        finished_at: started_at.into(),
        added: 1,
        changed: 0,
        removed: 0,
        workbooks: 3,
        error: error.map(String::from),
        warning: None,
    }
}

fn manifest(generated_at: &str, invocation_id: &str) -> AppliedManifest {
    AppliedManifest {
        dbt_project: "shop".into(),
        location: ArtifactLocation {
            container: Some("artifacts".into()),
            key: "dbt/shop/prod/manifest.json".into(),
            version: Some(format!("v-{invocation_id}")),
        },
        generated_at: generated_at.into(),
        invocation_id: invocation_id.into(),
        applied_at: "2025-03-01T08:00:00.000Z".into(),
    }
}

#[tokio::test]
async fn creating_the_table_twice_is_harmless() {
    let store = common::fresh_store().await;
    let client = common::dynamodb().await;
    DynamoStore::create_table(&client, store.table())
        .await
        .expect("second create is a no-op");
}

#[tokio::test]
async fn integration_round_trips_and_updates_bump_the_version() {
    let store = common::fresh_store().await;
    let mut wanted = sample_integration("acme", &["p-fin", "p-ops"]);
    wanted
        .database_aliases
        .insert("prod_analytics".into(), "analytics".into());
    let created = store.create_integration(&wanted).await.expect("create");
    assert_eq!(created.version, 1);
    let got = store
        .get_integration("acme")
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(got, created);

    let mut changed = got.clone();
    changed.collections = vec!["p-q1".into()];
    let updated = store.update_integration(&changed).await.expect("update");
    assert_eq!(updated.version, 2);
    let err = store.update_integration(&changed).await;
    assert!(matches!(err, Err(StoreError::Conflict(_))), "got {err:?}");
    assert_eq!(
        store.get_integration("acme").await.expect("get"),
        Some(updated)
    );
    assert_eq!(store.get_integration("nobody").await.expect("get"), None);
}

#[tokio::test]
async fn integrations_list_sorted_and_filtered_by_project() {
    let store = common::fresh_store().await;
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
    let ids = |list: Vec<autoexpose_pipeline::Integration>| {
        list.into_iter().map(|i| i.id).collect::<Vec<_>>()
    };
    assert_eq!(
        ids(store.list_integrations(None).await.expect("list")),
        ["alpha", "beta", "zeta"]
    );
    let shop = sample_integration("x", &[]).dbt_project;
    assert_eq!(
        ids(store.list_integrations(Some(&shop)).await.expect("list")),
        ["alpha", "beta"]
    );
}

#[tokio::test]
async fn big_snapshot_round_trips_in_order() {
    let store = common::fresh_store().await;
    // 120 workbooks of ~5 KB each: 600 KB in all, over one item's 400 KB limit.
    let workbooks: Vec<_> = (0..120)
        .rev()
        .map(|i| {
            let mut wb = workbook(
                &format!("wb-{i:03}"),
                &format!("Workbook {i}"),
                "p-fin",
                &["orders"],
            );
            wb.description = Some("d".repeat(5_000));
            wb
        })
        .collect();
    let snapshot = Snapshot {
        integration_id: "acme".into(),
        taken_at: "2025-03-01T08:00:00.000Z".into(),
        workbooks,
    };
    store.put_snapshot(&snapshot).await.expect("put");
    assert_eq!(
        store.get_snapshot("acme").await.expect("get"),
        Some(snapshot)
    );
    assert_eq!(store.get_snapshot("other").await.expect("get"), None);
}

#[tokio::test]
async fn snapshot_replacement_writes_only_what_changed() {
    let store = common::fresh_store().await;
    let mut snapshot = Snapshot {
        integration_id: "acme".into(),
        taken_at: "2025-03-01T08:00:00.000Z".into(),
        workbooks: (0..30)
            .map(|i| {
                workbook(
                    &format!("wb-{i:02}"),
                    &format!("W{i}"),
                    "p-fin",
                    &["orders"],
                )
            })
            .collect(),
    };
    store.put_snapshot(&snapshot).await.expect("put");

    let before = store.write_count();
    store.put_snapshot(&snapshot).await.expect("same again");
    assert_eq!(
        store.write_count(),
        before,
        "an identical snapshot writes nothing"
    );

    // The pipeline lists in LUID order: a change, a removal and an addition are
    // three writes, whatever their place in the listing.
    snapshot.workbooks[3].name = "Renamed".into();
    snapshot.workbooks.remove(7);
    snapshot
        .workbooks
        .push(workbook("wb-zz-new", "New", "p-fin", &["customers"]));
    snapshot.workbooks.sort_by(|a, b| a.luid.cmp(&b.luid));
    let before = store.write_count();
    store.put_snapshot(&snapshot).await.expect("put diff");
    assert_eq!(store.write_count() - before, 3);
    assert_eq!(
        store.get_snapshot("acme").await.expect("get"),
        Some(snapshot.clone())
    );

    snapshot.taken_at = "2025-03-02T08:00:00.000Z".into();
    let before = store.write_count();
    store.put_snapshot(&snapshot).await.expect("new time only");
    assert_eq!(store.write_count() - before, 1, "only the header moves");
}

#[tokio::test]
async fn snapshot_keeps_the_order_it_was_given_when_reordered() {
    let store = common::fresh_store().await;
    let sorted: Vec<_> = ["wb-a", "wb-b", "wb-c"]
        .into_iter()
        .map(|luid| workbook(luid, luid, "p-fin", &["orders"]))
        .collect();
    let mut snapshot = Snapshot {
        integration_id: "acme".into(),
        taken_at: "2025-03-01T08:00:00.000Z".into(),
        workbooks: sorted.iter().rev().cloned().collect(),
    };
    store.put_snapshot(&snapshot).await.expect("reversed");
    assert_eq!(
        store.get_snapshot("acme").await.expect("get"),
        Some(snapshot.clone())
    );
    snapshot.workbooks = sorted;
    store.put_snapshot(&snapshot).await.expect("sorted");
    assert_eq!(
        store.get_snapshot("acme").await.expect("get"),
        Some(snapshot)
    );
}

#[tokio::test]
async fn applied_manifest_pointer_is_conditional_on_the_previous_one() {
    let store = common::fresh_store().await;
    assert_eq!(store.get_applied_manifest("shop").await.expect("get"), None);
    let first = manifest("2025-03-01T07:00:00Z", "inv-1");
    store
        .put_applied_manifest(&first, None)
        .await
        .expect("first");
    assert_eq!(
        store.get_applied_manifest("shop").await.expect("get"),
        Some(first.clone())
    );
    let err = store.put_applied_manifest(&first, None).await;
    assert!(matches!(err, Err(StoreError::Conflict(_))), "got {err:?}");

    let second = manifest("2025-03-01T08:00:00Z", "inv-2");
    store
        .put_applied_manifest(&second, Some(&first))
        .await
        .expect("second");
    let racer = manifest("2025-03-01T07:30:00Z", "inv-3");
    let err = store.put_applied_manifest(&racer, Some(&first)).await;
    assert!(matches!(err, Err(StoreError::Conflict(_))), "got {err:?}");
    assert_eq!(
        store.get_applied_manifest("shop").await.expect("get"),
        Some(second)
    );
}

#[tokio::test]
async fn applied_manifest_without_bucket_or_version_round_trips() {
    let store = common::fresh_store().await;
    let mut local = manifest("2025-03-01T07:00:00Z", "inv-1");
    local.location = ArtifactLocation::local("target/manifest.json");
    store.put_applied_manifest(&local, None).await.expect("put");
    assert_eq!(
        store.get_applied_manifest("shop").await.expect("get"),
        Some(local)
    );
}

/// Puts one item as an earlier autoexpose wrote it, straight through the SDK.
async fn put_raw(store: &DynamoStore, attributes: &[(&str, &str)]) {
    let mut put = common::dynamodb()
        .await
        .put_item()
        .table_name(store.table());
    for (name, value) in attributes {
        put = put.item(*name, AttributeValue::S((*value).into()));
    }
    put.send().await.expect("raw put");
}

#[tokio::test]
async fn applied_manifest_items_of_the_earlier_format_still_read() {
    let store = common::fresh_store().await;
    put_raw(
        &store,
        &[
            ("pk", "MANIFEST#shop"),
            ("sk", "APPLIED"),
            ("bucket", "artifacts"),
            ("key", "dbt/shop/prod/manifest.json"),
            ("version_id", "v-7"),
            ("generated_at", "2025-03-01T07:00:00Z"),
            ("invocation_id", "inv-7"),
            ("applied_at", "2025-03-01T08:00:00.000Z"),
        ],
    )
    .await;
    let applied = store
        .get_applied_manifest("shop")
        .await
        .expect("get")
        .expect("the old item reads");
    assert_eq!(
        applied.location,
        ArtifactLocation {
            container: Some("artifacts".into()),
            key: "dbt/shop/prod/manifest.json".into(),
            version: Some("v-7".into()),
        }
    );
    // And a newer manifest still replaces it by compare-and-swap.
    let newer = manifest("2025-03-02T07:00:00Z", "inv-8");
    store
        .put_applied_manifest(&newer, Some(&applied))
        .await
        .expect("replace the old pointer");
}

#[tokio::test]
async fn results_pointers_written_with_a_bucket_field_still_read() {
    let store = common::fresh_store().await;
    let data = r#"{"dbt_project":"shop","kind":"run_results","location":{"bucket":"artifacts","key":"dbt/shop/prod/run_results.json","version_id":"v-3"},"generated_at":"2025-03-01T07:00:00Z","invocation_id":"inv-3","recorded_at":"2025-03-01T08:00:00.000Z"}"#;
    put_raw(
        &store,
        &[
            ("pk", "RESULTS#shop"),
            ("sk", "POINTER#run_results"),
            ("data", data),
            ("generated_at", "2025-03-01T07:00:00Z"),
            ("invocation_id", "inv-3"),
        ],
    )
    .await;
    let pointer = store
        .get_results_pointer("shop", ResultsKind::RunResults)
        .await
        .expect("get")
        .expect("the old pointer reads");
    assert_eq!(pointer.location.container.as_deref(), Some("artifacts"));
    assert_eq!(pointer.location.key, "dbt/shop/prod/run_results.json");
    assert_eq!(pointer.location.version.as_deref(), Some("v-3"));
    assert_eq!(pointer.invocation_id, "inv-3");
}

#[tokio::test]
async fn snapshot_workbooks_written_with_tableau_ids_still_read() {
    let store = common::fresh_store().await;
    put_raw(
        &store,
        &[
            ("pk", "SNAPSHOT#acme"),
            ("sk", "META"),
            ("taken_at", "2025-03-01T08:00:00.000Z"),
        ],
    )
    .await;
    put_raw(
        &store,
        &[
            ("pk", "SNAPSHOT#acme"),
            ("sk", "WB#wb-1"),
            (
                "data",
                r#"{"luid":"wb-1","name":"Revenue","vizportal_url_id":"42","uri":"sites/4989/workbooks/42","tables":[]}"#,
            ),
        ],
    )
    .await;
    let snapshot = store
        .get_snapshot("acme")
        .await
        .expect("get")
        .expect("the old items read");
    assert_eq!(snapshot.workbooks.len(), 1);
    assert_eq!(snapshot.workbooks[0].url_id.as_deref(), Some("42"));
}

#[tokio::test]
async fn exposure_diff_over_25_items_is_written_in_batches() {
    let store = common::fresh_store().await;
    let upserts: Vec<_> = (0..60)
        .map(|i| exposure(&format!("wb-{i:02}"), &format!("exposure_{i:02}")))
        .collect();
    let diff = ExposureDiff {
        upserts,
        removals: vec![],
    };
    store
        .apply_exposure_diff("acme", &diff, "2025-03-01T08:00:00.000Z")
        .await
        .expect("apply");
    let stored = store.list_exposures("acme").await.expect("list");
    assert_eq!(stored.len(), 60);
    assert_eq!(stored[0].exposure.name, "exposure_00");
    assert_eq!(stored[59].synced_at, "2025-03-01T08:00:00.000Z");

    let removals: Vec<_> = (0..40).map(|i| format!("wb-{i:02}")).collect();
    let diff = ExposureDiff {
        upserts: vec![exposure("wb-59", "renamed")],
        removals,
    };
    store
        .apply_exposure_diff("acme", &diff, "2025-03-02T08:00:00.000Z")
        .await
        .expect("apply");
    let stored = store.list_exposures("acme").await.expect("list");
    assert_eq!(stored.len(), 20);
    let renamed = stored
        .iter()
        .find(|e| e.exposure.workbook_luid == "wb-59")
        .expect("kept");
    assert_eq!(renamed.exposure.name, "renamed");
    assert_eq!(renamed.synced_at, "2025-03-02T08:00:00.000Z");
    assert!(
        store
            .list_exposures("other")
            .await
            .expect("list")
            .is_empty()
    );
}

#[tokio::test]
async fn empty_exposure_diff_writes_nothing() {
    let store = common::fresh_store().await;
    store
        .apply_exposure_diff("acme", &ExposureDiff::default(), "2025-03-01T08:00:00.000Z")
        .await
        .expect("apply");
    assert_eq!(store.write_count(), 0);
}

#[tokio::test]
async fn lease_is_exclusive_renewable_and_taken_over_after_expiry() {
    let store = common::fresh_store().await;
    let lease = |holder: &str, expires_at: &str| Lease {
        integration_id: "acme".into(),
        holder: holder.into(),
        expires_at: expires_at.into(),
        acquired_at: String::new(),
    };
    let now = "2025-03-01T08:00:00.000Z";
    assert!(
        store
            .try_acquire_lease(&lease("a", "2025-03-01T08:15:00.000Z"), now)
            .await
            .expect("a")
    );
    assert!(
        !store
            .try_acquire_lease(&lease("b", "2025-03-01T08:15:00.000Z"), now)
            .await
            .expect("b")
    );
    assert!(
        store
            .try_acquire_lease(&lease("a", "2025-03-01T08:30:00.000Z"), now)
            .await
            .expect("renew")
    );
    let later = "2025-03-01T08:30:00.000Z";
    assert!(
        store
            .try_acquire_lease(&lease("b", "2025-03-01T08:45:00.000Z"), later)
            .await
            .expect("take over")
    );
    store
        .release_lease("acme", "a")
        .await
        .expect("stranger release");
    assert!(
        !store
            .try_acquire_lease(&lease("c", "2025-03-01T09:00:00.000Z"), later)
            .await
            .expect("c")
    );
    store.release_lease("acme", "b").await.expect("release");
    assert!(
        store
            .try_acquire_lease(&lease("c", "2025-03-01T09:00:00.000Z"), later)
            .await
            .expect("c")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_acquirers_at_once_exactly_one_wins() {
    let store = Arc::new(common::fresh_store().await);
    for round in 0..10 {
        let integration_id = format!("race-{round}");
        let attempt = |holder: &'static str| {
            let store = Arc::clone(&store);
            let lease = Lease {
                integration_id: integration_id.clone(),
                holder: holder.into(),
                expires_at: "2025-03-01T08:15:00.000Z".into(),
                acquired_at: String::new(),
            };
            tokio::spawn(async move {
                store
                    .try_acquire_lease(&lease, "2025-03-01T08:00:00.000Z")
                    .await
                    .expect("acquire")
            })
        };
        let (a, b) = (attempt("a"), attempt("b"));
        let (a, b) = (a.await.expect("task a"), b.await.expect("task b"));
        assert!(a ^ b, "round {round}: exactly one wins, got a={a} b={b}");
    }
}

#[tokio::test]
async fn runs_list_newest_first_with_a_limit_and_carry_a_ttl() {
    let store = common::fresh_store().await;
    store
        .record_run(&run("r1", "2025-03-01T08:00:00.000Z", None))
        .await
        .expect("r1");
    store
        .record_run(&run(
            "r3",
            "2025-03-03T08:00:00.000Z",
            Some("Tableau refused the token"),
        ))
        .await
        .expect("r3");
    store
        .record_run(&run("r2", "2025-03-02T08:00:00.000Z", None))
        .await
        .expect("r2");
    let ids = |runs: Vec<SyncRun>| runs.into_iter().map(|r| r.run_id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.list_runs("acme", 10).await.expect("list")),
        ["r3", "r2", "r1"]
    );
    assert_eq!(
        ids(store.list_runs("acme", 2).await.expect("list")),
        ["r3", "r2"]
    );
    assert!(store.list_runs("acme", 0).await.expect("list").is_empty());
    let newest = store.list_runs("acme", 1).await.expect("list");
    assert_eq!(
        newest[0].error.as_deref(),
        Some("Tableau refused the token")
    );

    let items = common::dynamodb()
        .await
        .query()
        .table_name(store.table())
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S("RUNS#acme".into()))
        .send()
        .await
        .expect("query")
        .items
        .unwrap_or_default();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    for item in items {
        let ttl: u64 = item
            .get(TTL_ATTRIBUTE)
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .expect("ttl attribute");
        let days = (ttl - now) / 86_400;
        assert!((89..=90).contains(&days), "kept about 90 days, got {days}");
    }
}

#[tokio::test]
async fn runs_started_at_the_same_instant_list_in_recording_order() {
    let store = common::fresh_store().await;
    let at = "2025-03-01T08:00:00.000Z";
    store
        .record_run(&run(&format!("{at}-ffff"), at, None))
        .await
        .expect("first");
    store
        .record_run(&run(&format!("{at}-0000"), at, Some("failed")))
        .await
        .expect("second");
    let runs = store.list_runs("acme", 5).await.expect("list");
    assert_eq!(runs[0].error.as_deref(), Some("failed"));
}

#[tokio::test]
async fn missing_table_is_reported_by_name() {
    let store = DynamoStore::new(common::dynamodb().await, "no-such-table-here");
    let err = store.get_integration("acme").await.expect_err("no table");
    let message = err.to_string();
    assert!(message.contains("no-such-table-here"), "{message}");
    assert!(message.contains("ResourceNotFoundException"), "{message}");
}
