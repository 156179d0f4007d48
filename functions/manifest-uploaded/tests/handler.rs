//! The handler called as a function: a real S3 event fixture, the in-memory store and
//! in-memory artifacts, no moto and no Lambda runtime.

use autoexpose_lambda::{Deps, Settings};
use autoexpose_pipeline::testsuite::{FakeTableau, MemoryArtifacts, StaticSecrets, manifest_json};
use autoexpose_pipeline::{ArtifactLocation, ManifestStore, MemoryStore, Pipeline, Secret};
use aws_lambda_events::s3::S3Event;
use lambda_runtime::{Context, LambdaEvent};
use manifest_uploaded::handler;
use std::sync::Arc;

fn event(name: &str) -> S3Event {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("read fixture");
    serde_json::from_str(&text).expect("the fixture is an S3 event")
}

#[tokio::test]
async fn a_manifest_upload_is_applied_on_the_memory_store() {
    let event = event("s3-put-manifest.json");
    let record = &event.records[0];
    let mut location = ArtifactLocation::in_container(
        record.s3.bucket.name.clone().expect("bucket"),
        record.s3.object.key.clone().expect("key"),
    );
    location.version = record.s3.object.version_id.clone();
    let artifacts = MemoryArtifacts::default();
    artifacts.put(
        &location,
        manifest_json("2025-03-01T07:00:00Z", "inv-1", &["orders"]),
    );
    let store = Arc::new(MemoryStore::new());
    let pipeline = Pipeline::from_shared(
        store.clone(),
        Arc::new(artifacts),
        Arc::new(StaticSecrets(Secret::new("unused"))),
        Arc::new(FakeTableau::with_projects()),
    );
    let mut settings = Settings::new("unused-table");
    settings.artifacts_bucket = location.container.clone();
    let deps = Deps::with_pipeline(pipeline, settings);

    let report = handler(LambdaEvent::new(event.clone(), Context::default()), &deps)
        .await
        .expect("no retry");

    let json = serde_json::to_value(&report).expect("json");
    assert_eq!(json["records"][0]["outcome"], "applied", "{json}");
    let applied = store
        .get_applied_manifest("shop")
        .await
        .expect("read")
        .expect("applied");
    assert_eq!(applied.invocation_id, "inv-1");
    assert_eq!(applied.location, location);
}

/// A manifest event that changes exposures reads its manifest once: the rematch and the
/// published YAML and lineage page all come from that one download.
#[tokio::test]
async fn a_manifest_event_downloads_its_manifest_once() {
    use autoexpose_pipeline::Trigger;
    use autoexpose_pipeline::prelude::*;
    use autoexpose_pipeline::testsuite::{CountingArtifacts, sample_integration, workbook};

    let event = event("s3-put-manifest.json");
    let record = &event.records[0];
    let mut location = ArtifactLocation::in_container(
        record.s3.bucket.name.clone().expect("bucket"),
        record.s3.object.key.clone().expect("key"),
    );
    location.version = record.s3.object.version_id.clone();
    let memory = MemoryArtifacts::default();
    let older = ArtifactLocation::in_container("acme-dbt-artifacts", "dbt/shop/prod/old.json");
    memory.put(
        &older,
        manifest_json("2025-02-01T07:00:00Z", "inv-0", &["customers"]),
    );
    memory.put(
        &location,
        manifest_json("2025-03-01T07:00:00Z", "inv-1", &["orders", "customers"]),
    );
    let artifacts = Arc::new(CountingArtifacts::new(memory.clone()));
    let tableau = FakeTableau::with_projects();
    tableau.set_workbooks(vec![
        workbook("wb-1", "Sales", "p-fin", &["orders"]),
        workbook("wb-3", "Quarterly", "p-q1", &["customers"]),
    ]);
    let store = Arc::new(MemoryStore::new());
    let pipeline = Pipeline::from_shared(
        store.clone(),
        artifacts.clone(),
        Arc::new(StaticSecrets(Secret::new("pat"))),
        Arc::new(tableau),
    )
    .with_publishing();
    store
        .create_integration(&sample_integration("acme", &["p-fin"]))
        .await
        .expect("integration");
    // An older manifest and a sync: the workbooks are stored, `orders` matches nothing yet.
    pipeline
        .apply_manifest("shop", &older)
        .await
        .expect("older");
    pipeline
        .sync_integration("acme", Trigger::Manual)
        .await
        .expect("sync");
    let mut settings = Settings::new("unused-table");
    settings.artifacts_bucket = location.container.clone();
    let deps = Deps::with_pipeline(pipeline, settings);

    let report = handler(LambdaEvent::new(event, Context::default()), &deps)
        .await
        .expect("no retry");

    let json = serde_json::to_value(&report).expect("json");
    assert_eq!(json["records"][0]["outcome"], "applied", "{json}");
    assert_eq!(
        json["records"][0]["rematches"][0]["added"], 1,
        "Sales now reads a dbt model: {json}"
    );
    let published = |file: &str| {
        let at = ArtifactLocation::in_container(
            "acme-dbt-artifacts",
            format!("dbt/shop/prod/exposures/{file}"),
        );
        String::from_utf8(memory.get(&at).unwrap_or_default()).expect("utf-8")
    };
    let yaml = published("imported_from_tableau/exposures.yml");
    assert!(yaml.contains("name: sales"), "{yaml}");
    assert!(yaml.contains("- ref('orders')"), "{yaml}");
    assert!(published("lineage.html").contains("orders"));
    assert_eq!(
        artifacts.fetches_of(&location),
        1,
        "the manifest of the event is downloaded once"
    );
}
