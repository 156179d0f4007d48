//! S3 events as S3 sends them, read into results uploads without touching AWS.

use autoexpose_lambda::Settings;
use aws_lambda_events::s3::S3Event;
use run_results_uploaded::results_upload;

fn event() -> S3Event {
    let path = format!(
        "{}/tests/fixtures/s3-put-results.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("read fixture");
    serde_json::from_str(&text).expect("the fixture is an S3 event")
}

fn settings() -> Settings {
    let mut settings = Settings::new("autoexpose");
    settings.artifacts_bucket = Some("acme-dbt-artifacts".into());
    settings
}

#[test]
fn production_run_results_are_recorded_with_their_version() {
    let event = event();
    let (project, location) =
        results_upload(&event.records[0], &settings()).expect("a results upload");
    assert_eq!(project, "shop");
    assert_eq!(location.key, "dbt/shop/prod/run_results.json");
    assert_eq!(
        location.version.as_deref(),
        Some("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY")
    );
}

#[test]
fn sources_json_of_an_unversioned_bucket_is_read_without_a_version() {
    let event = event();
    let (project, location) =
        results_upload(&event.records[1], &settings()).expect("a results upload");
    assert_eq!(project, "shop");
    assert_eq!(location.key, "dbt/shop/prod/sources.json");
    assert_eq!(location.version, None, "\"null\" is no version");
}

#[test]
fn encoded_project_names_are_decoded_for_multipart_uploads() {
    let event = event();
    let (project, _) = results_upload(&event.records[4], &settings()).expect("a results upload");
    assert_eq!(project, "jaffle shop");
}

#[test]
fn other_environments_artifacts_and_deletions_are_skipped_with_the_reason() {
    let event = event();
    let dev = results_upload(&event.records[2], &settings()).expect_err("dev");
    assert!(dev.contains("environment 'dev'"), "{dev}");
    let manifest = results_upload(&event.records[3], &settings()).expect_err("manifest");
    assert!(manifest.contains("not run_results.json"), "{manifest}");
    let removed = results_upload(&event.records[5], &settings()).expect_err("removed");
    assert!(removed.contains("not an object creation"), "{removed}");
}

#[test]
fn events_from_another_bucket_are_skipped() {
    let mut settings = settings();
    settings.artifacts_bucket = Some("another-bucket".into());
    let skipped = results_upload(&event().records[0], &settings).expect_err("other bucket");
    assert!(skipped.contains("not the artifacts bucket"), "{skipped}");
}
