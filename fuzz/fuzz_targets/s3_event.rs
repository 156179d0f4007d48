//! The S3 event readers under hostile input: an event as Lambda hands it to
//! manifest-uploaded and run-results-uploaded (`S3Event` from JSON), each record read by
//! `artifact_upload` and the two functions' `manifest_upload` / `results_upload`.
//!
//! None panics; the two functions accept exactly the records `artifact_upload` accepts
//! for their kinds; and an accepted record is an object creation in the artifacts bucket
//! whose decoded key is `dbt/<project>/<production environment>/<file>`, with a real
//! version id or none.
#![no_main]

use autoexpose_lambda::{Settings, artifact_upload, decode_event_key};
use autoexpose_pipeline::{ArtifactKey, ArtifactKind};
use aws_lambda_events::s3::{S3Event, S3EventRecord};
use libfuzzer_sys::fuzz_target;

const ALL_KINDS: [ArtifactKind; 3] = [
    ArtifactKind::Manifest,
    ArtifactKind::RunResults,
    ArtifactKind::Sources,
];

fuzz_target!(|data: &[u8]| {
    let Ok(event) = serde_json::from_slice::<S3Event>(data) else {
        return;
    };
    let open = Settings::new("fuzz");
    let mut guarded = Settings::new("fuzz");
    guarded.artifacts_bucket = Some("artifacts".to_string());
    for record in &event.records {
        check_record(record, &open);
        check_record(record, &guarded);
    }
});

fn check_record(record: &S3EventRecord, settings: &Settings) {
    let manifest = manifest_uploaded::manifest_upload(record, settings);
    let results = run_results_uploaded::results_upload(record, settings);
    let Ok(upload) = artifact_upload(record, settings, &ALL_KINDS) else {
        assert!(manifest.is_err() && results.is_err());
        return;
    };
    let is_manifest = upload.kind == ArtifactKind::Manifest;
    assert_eq!(manifest.is_ok(), is_manifest);
    assert_eq!(results.is_ok(), !is_manifest);
    if let Ok(manifest) = manifest {
        assert_eq!(manifest.location, upload.location);
        assert_eq!(manifest.dbt_project, upload.dbt_project);
    }
    if let Ok((project, location)) = results {
        assert_eq!(location, upload.location);
        assert_eq!(project, upload.dbt_project);
    }

    let event_name = record.event_name.as_deref().unwrap_or_default();
    assert!(event_name.starts_with("ObjectCreated:"), "{event_name}");
    let bucket = record.s3.bucket.name.as_deref();
    assert_eq!(upload.location.container.as_deref(), bucket);
    if let Some(expected) = &settings.artifacts_bucket {
        assert_eq!(bucket, Some(expected.as_str()));
    }
    let raw_key = record.s3.object.key.as_deref().unwrap_or_default();
    assert_eq!(decode_event_key(raw_key).as_ref(), Ok(&upload.location.key));
    let key = ArtifactKey::parse(&upload.location.key).expect("an accepted key parses");
    assert_eq!(key.project, upload.dbt_project);
    assert_eq!(key.environment, settings.production_environment);
    assert_eq!(key.kind, upload.kind);
    assert!(!key.project.is_empty());
    // A key that parses is exactly the key it names.
    assert_eq!(key.to_string(), upload.location.key);
    if let Some(version) = &upload.location.version {
        assert!(!version.is_empty() && version != "null");
    }
}
