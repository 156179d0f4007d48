//! Reading an S3 event record as an upload of a dbt artifact: the checks both S3-triggered
//! functions make before they touch the pipeline.

use autoexpose_aws::{ArtifactKey, ArtifactKind, decode_event_key};
use autoexpose_pipeline::ArtifactLocation;
use aws_lambda_events::s3::S3EventRecord;

use crate::Settings;

/// A production dbt artifact that landed in the artifacts bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactUpload {
    /// The dbt project, from `dbt/<project>/<environment>/<file>`.
    pub dbt_project: String,
    /// Which artifact it is.
    pub kind: ArtifactKind,
    /// Bucket, decoded key and version id (when the bucket is versioned).
    pub location: ArtifactLocation,
}

/// Reads a record as an upload of one of the `wanted` artifacts, or says why it is
/// skipped: not an object creation, another bucket, a key outside
/// `dbt/<project>/<environment>/`, another file, or another environment than the
/// production one. Keys arrive URL-encoded, as S3 sends them.
pub fn artifact_upload(
    record: &S3EventRecord,
    settings: &Settings,
    wanted: &[ArtifactKind],
) -> Result<ArtifactUpload, String> {
    let event_name = record.event_name.as_deref().unwrap_or("");
    if !event_name.starts_with("ObjectCreated:") {
        return Err(format!("event '{event_name}' is not an object creation"));
    }
    let bucket = record
        .s3
        .bucket
        .name
        .as_deref()
        .filter(|b| !b.is_empty())
        .ok_or("the record names no bucket")?;
    if let Some(expected) = settings.artifacts_bucket.as_deref()
        && bucket != expected
    {
        return Err(format!(
            "bucket '{bucket}' is not the artifacts bucket '{expected}'"
        ));
    }
    let raw_key = record
        .s3
        .object
        .key
        .as_deref()
        .filter(|k| !k.is_empty())
        .ok_or("the record names no object key")?;
    let key = decode_event_key(raw_key).map_err(|e| e.to_string())?;
    let parsed = ArtifactKey::parse(&key).map_err(|e| e.to_string())?;
    if !wanted.contains(&parsed.kind) {
        let names: Vec<&str> = wanted.iter().map(|k| k.file_name()).collect();
        return Err(format!(
            "'{key}' is {}, not {}",
            parsed.kind.file_name(),
            names.join(" or ")
        ));
    }
    if parsed.environment != settings.production_environment {
        return Err(format!(
            "'{key}' is from environment '{}', not the production environment '{}'",
            parsed.environment, settings.production_environment
        ));
    }
    let mut location = ArtifactLocation::s3(bucket, key);
    location.version_id = record
        .s3
        .object
        .version_id
        .clone()
        .filter(|v| !v.is_empty() && v != "null");
    Ok(ArtifactUpload {
        dbt_project: parsed.project,
        kind: parsed.kind,
        location,
    })
}
