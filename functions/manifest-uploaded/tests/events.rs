//! S3 events as S3 sends them, read into manifest uploads without touching AWS.

use autoexpose_lambda::Settings;
use aws_lambda_events::s3::S3Event;
use manifest_uploaded::manifest_upload;

fn fixture(name: &str) -> S3Event {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("read fixture");
    serde_json::from_str(&text).expect("the fixture is an S3 event")
}

fn settings() -> Settings {
    let mut settings = Settings::new("autoexpose");
    settings.artifacts_bucket = Some("acme-dbt-artifacts".into());
    settings
}

#[test]
fn a_production_manifest_is_applied_with_its_version() {
    let event = fixture("s3-put-manifest.json");
    let upload = manifest_upload(&event.records[0], &settings()).expect("a manifest upload");
    assert_eq!(upload.dbt_project, "shop");
    assert_eq!(
        upload.location.container.as_deref(),
        Some("acme-dbt-artifacts")
    );
    assert_eq!(upload.location.key, "dbt/shop/prod/manifest.json");
    assert_eq!(
        upload.location.version.as_deref(),
        Some("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY")
    );
}

#[test]
fn url_encoded_keys_are_decoded_before_reading_the_project() {
    let event = fixture("s3-put-encoded-key.json");
    let upload = manifest_upload(&event.records[0], &settings()).expect("a manifest upload");
    assert_eq!(upload.dbt_project, "jaffle shop+more");
    assert_eq!(
        upload.location.key,
        "dbt/jaffle shop+more/prod/manifest.json"
    );
}

#[test]
fn other_artifacts_and_environments_are_skipped_with_the_reason() {
    let event = fixture("s3-put-several-artifacts.json");
    let plans: Vec<_> = event
        .records
        .iter()
        .map(|r| manifest_upload(r, &settings()))
        .collect();
    let run_results = plans[0].as_ref().expect_err("run_results is skipped");
    assert!(run_results.contains("not manifest.json"), "{run_results}");
    assert!(plans[1].is_ok(), "{:?}", plans[1]);
    let dev = plans[2].as_ref().expect_err("dev is skipped");
    assert!(dev.contains("environment 'dev'"), "{dev}");
}

#[test]
fn another_bucket_or_a_removal_is_skipped() {
    let mut event = fixture("s3-put-manifest.json");
    let mut other = settings();
    other.artifacts_bucket = Some("someone-elses-bucket".into());
    let reason = manifest_upload(&event.records[0], &other).expect_err("other bucket");
    assert!(reason.contains("not the artifacts bucket"), "{reason}");

    event.records[0].event_name = Some("ObjectRemoved:Delete".into());
    let reason = manifest_upload(&event.records[0], &settings()).expect_err("removal");
    assert!(reason.contains("not an object creation"), "{reason}");
}

#[test]
fn a_key_outside_the_layout_is_skipped_not_failed() {
    let mut event = fixture("s3-put-manifest.json");
    event.records[0].s3.object.key = Some("uploads/manifest.json".into());
    let reason = manifest_upload(&event.records[0], &settings()).expect_err("bad layout");
    assert!(
        reason.contains("dbt/<project>/<environment>/<file>"),
        "{reason}"
    );

    event.records[0].s3.object.key = Some("dbt/shop/prod/manifest%zz.json".into());
    let reason = manifest_upload(&event.records[0], &settings()).expect_err("bad encoding");
    assert!(reason.contains("URL encoding"), "{reason}");
}
