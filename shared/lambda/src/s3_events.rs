//! S3 events: reading a record as an upload of a dbt artifact (the checks both S3-triggered
//! functions make before they touch the pipeline), and the loop over an event's records
//! with its retry decision.

use autoexpose_aws::s3_location;
use autoexpose_pipeline::{ArtifactKey, ArtifactKind, ArtifactLocation};
use aws_lambda_events::s3::{S3Event, S3EventRecord};
use lambda_runtime::LambdaEvent;

use crate::{FunctionError, Settings};

/// An object key whose URL encoding is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("S3 event key '{key}' is not valid URL encoding: {problem}")]
pub struct EncodingError {
    /// The key as it arrived.
    pub key: String,
    /// What is wrong with it.
    pub problem: String,
}

/// Decodes an object key as S3 event notifications carry it: `+` is a space, then
/// `%XX` escapes are decoded (`dbt/my+project/prod/manifest.json` →
/// `dbt/my project/prod/manifest.json`; a real `+` arrives as `%2B`).
pub fn decode_event_key(raw: &str) -> Result<String, EncodingError> {
    let encoding = |problem: &str| EncodingError {
        key: raw.to_string(),
        problem: problem.to_string(),
    };
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .ok_or_else(|| encoding("'%' is not followed by two hex digits"))?;
                // Both bytes checked first: `from_str_radix` alone takes a sign ("%+1").
                let hex = std::str::from_utf8(hex)
                    .ok()
                    .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| encoding("'%' is not followed by two hex digits"))?;
                out.push(hex);
                i += 3;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| encoding("the decoded bytes are not UTF-8"))
}

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
    let mut location = s3_location(bucket, key);
    location.version = record
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

/// What a function reports of one record: whether it failed with an error that a retry of
/// the event may get past.
pub trait RecordReport {
    /// The error, when the record failed and a retry may help.
    fn transient_error(&self) -> Option<&str>;
}

/// Handles every record of an S3 event in order, then asks Lambda to retry the whole event
/// when any record failed with a transient error (records already done come back as
/// duplicates, which change nothing). `what` names the function's work in the log line.
pub async fn handle_records<R, F>(
    event: LambdaEvent<S3Event>,
    what: &str,
    mut handle: F,
) -> Result<Vec<R>, FunctionError>
where
    R: RecordReport,
    F: AsyncFnMut(&S3EventRecord) -> R,
{
    let (event, context) = event.into_parts();
    let mut reports = Vec::with_capacity(event.records.len());
    for record in &event.records {
        reports.push(handle(record).await);
    }
    let retry: Vec<String> = reports
        .iter()
        .filter_map(|r| r.transient_error().map(str::to_string))
        .collect();
    if !retry.is_empty() {
        tracing::error!(request_id = %context.request_id, failed = retry.len(),
            records = reports.len(), "{what} failed with a transient error; Lambda will retry the event");
    }
    FunctionError::retry_records(&retry, reports.len())?;
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_decodes_to_space_and_percent_escapes_decode() {
        assert_eq!(
            decode_event_key("dbt/my+project/prod/manifest.json").as_deref(),
            Ok("dbt/my project/prod/manifest.json")
        );
        assert_eq!(
            decode_event_key("dbt%2Fa%2Bb/prod/manifest.json").as_deref(),
            Ok("dbt/a+b/prod/manifest.json")
        );
        assert_eq!(decode_event_key("caf%C3%A9").as_deref(), Ok("café"));
    }

    #[test]
    fn plain_keys_decode_to_themselves() {
        let key = "dbt/jaffle_shop/prod/manifest.json";
        assert_eq!(decode_event_key(key).as_deref(), Ok(key));
    }

    #[test]
    fn broken_percent_escapes_are_errors_naming_the_key() {
        for raw in ["dbt/%2", "dbt/%zz/x", "dbt/%FF"] {
            let err = decode_event_key(raw).expect_err(raw);
            assert!(err.to_string().contains(raw), "{err}");
        }
    }

    /// Found by the `s3_event_key` fuzz target (fuzz/artifacts-found/s3_event_key).
    #[test]
    fn a_signed_hex_escape_is_refused_not_decoded_to_a_control_byte() {
        for raw in ["%+1", "dbt/%+F/manifest.json", "dbt/%-1"] {
            let err = decode_event_key(raw).expect_err(raw);
            assert!(err.to_string().contains("two hex digits"), "{err}");
        }
    }

    #[test]
    fn decoded_event_key_with_spaces_parses() {
        let decoded = decode_event_key("dbt/my+project/prod/manifest.json").expect("decodes");
        let key = ArtifactKey::parse(&decoded).expect("valid");
        assert_eq!(key.project, "my project");
    }
}
