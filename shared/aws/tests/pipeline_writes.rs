//! The real pipeline over `DynamoStore` on moto: what reaches DynamoDB.

mod common;

use autoexpose_pipeline::prelude::*;
use std::sync::Arc;
use std::time::Duration;

use autoexpose_pipeline::testsuite::{
    FakeTableau, ManualClock, MemoryArtifacts, StaticSecrets, manifest_json, sample_integration,
    workbook,
};
use autoexpose_pipeline::{ArtifactLocation, Pipeline, Secret, Trigger};
use time::macros::datetime;

#[tokio::test]
async fn no_change_sync_writes_only_its_run_record_to_dynamodb() {
    let store = common::fresh_store().await;
    let artifacts = MemoryArtifacts::default();
    let tableau = FakeTableau::with_projects();
    tableau.set_workbooks(vec![
        workbook("wb-1", "Sales", "p-fin", &["orders"]),
        workbook("wb-3", "Quarterly", "p-q1", &["customers"]),
    ]);
    let clock = ManualClock::new(datetime!(2025-03-01 08:00 UTC));
    let pipeline = Pipeline::new(
        store.clone(),
        artifacts.clone(),
        StaticSecrets(Secret::new("pat-secret-value")),
        tableau,
    )
    .with_clock(Arc::new(clock.clone()));
    store
        .create_integration(&sample_integration("acme", &["p-fin"]))
        .await
        .expect("create integration");
    let manifest = ArtifactLocation::local("m1.json");
    artifacts.put(
        &manifest,
        manifest_json("2025-03-01T07:00:00Z", "inv-1", &["orders", "customers"]),
    );
    pipeline
        .apply_manifest("shop", &manifest)
        .await
        .expect("apply manifest");
    let first = pipeline
        .sync_integration("acme", Trigger::Manual)
        .await
        .expect("first sync");
    assert_eq!(first.added, 2);

    clock.advance(Duration::from_secs(3600));
    let (data_before, leases_before) = (store.write_count(), store.lease_write_count());
    let again = pipeline
        .sync_integration("acme", Trigger::Schedule)
        .await
        .expect("second sync");
    assert_eq!((again.added, again.changed, again.removed), (0, 0, 0));
    assert_eq!(store.write_count() - data_before, 1, "only the run record");
    assert_eq!(
        store.lease_write_count() - leases_before,
        2,
        "take and give back the lease"
    );
    let runs = store.list_runs("acme", 10).await.expect("runs");
    assert_eq!(
        runs[0].trigger,
        Trigger::Schedule,
        "the new run is listed first"
    );
}
