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
