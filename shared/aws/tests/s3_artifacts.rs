//! `S3Artifacts` against moto through the real AWS SDK.

mod common;

use autoexpose_aws::{S3Artifacts, s3_location};
use autoexpose_pipeline::{ArtifactError, ArtifactKey, ArtifactLocation, Artifacts};
use autoexpose_testkit::unique_name;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};

async fn fresh_bucket() -> (S3Artifacts, String) {
    let artifacts = S3Artifacts::from_sdk_config(&common::moto_config().await);
    let bucket = unique_name("artifacts");
    artifacts
        .client()
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket");
    (artifacts, bucket)
}

async fn upload(artifacts: &S3Artifacts, bucket: &str, key: &str, body: &str) -> Option<String> {
    artifacts
        .client()
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.as_bytes().to_vec()))
        .send()
        .await
        .expect("put object")
        .version_id
}

#[tokio::test]
async fn reads_an_uploaded_manifest() {
    let (artifacts, bucket) = fresh_bucket().await;
    let key = "dbt/shop/prod/manifest.json";
    upload(&artifacts, &bucket, key, "{\"nodes\": {}}").await;
    let bytes = artifacts
        .read(&s3_location(&bucket, key))
        .await
        .expect("read");
    assert_eq!(bytes, b"{\"nodes\": {}}");
}

#[tokio::test]
async fn key_with_spaces_is_read_and_fits_the_layout() {
    let (artifacts, bucket) = fresh_bucket().await;
    upload(
        &artifacts,
        &bucket,
        "dbt/my shop/prod/manifest.json",
        "spaced",
    )
    .await;
    // As `autoexpose_lambda::decode_event_key` gives it from the event's `dbt/my+shop/…`.
    let key = "dbt/my shop/prod/manifest.json";
    let parsed = ArtifactKey::parse(key).expect("layout");
    assert_eq!(parsed.project, "my shop");
    let bytes = artifacts
        .read(&s3_location(&bucket, key))
        .await
        .expect("read");
    assert_eq!(bytes, b"spaced");
}

#[tokio::test]
async fn reads_the_given_object_version() {
    let (artifacts, bucket) = fresh_bucket().await;
    let versioning = VersioningConfiguration::builder()
        .status(BucketVersioningStatus::Enabled)
        .build();
    artifacts
        .client()
        .put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(versioning)
        .send()
        .await
        .expect("versioning");
    let key = "dbt/shop/prod/manifest.json";
    let first = upload(&artifacts, &bucket, key, "first")
        .await
        .expect("version id");
    upload(&artifacts, &bucket, key, "second").await;
    let mut location = s3_location(&bucket, key);
    assert_eq!(artifacts.read(&location).await.expect("latest"), b"second");
    location.version = Some(first);
    assert_eq!(artifacts.read(&location).await.expect("first"), b"first");
}

#[tokio::test]
async fn missing_key_is_not_found_naming_the_location() {
    let (artifacts, bucket) = fresh_bucket().await;
    let location = s3_location(&bucket, "dbt/shop/prod/manifest.json");
    let err = artifacts.read(&location).await.expect_err("missing");
    assert!(matches!(err, ArtifactError::NotFound(_)), "got {err:?}");
    let message = err.to_string();
    assert!(
        message.contains(&bucket) && message.contains("dbt/shop/prod/manifest.json"),
        "{message}"
    );
}

#[tokio::test]
async fn missing_bucket_is_not_found_naming_the_bucket() {
    let artifacts = S3Artifacts::from_sdk_config(&common::moto_config().await);
    let bucket = unique_name("nobucket");
    let location = s3_location(&bucket, "dbt/shop/prod/manifest.json");
    let err = artifacts.read(&location).await.expect_err("missing");
    assert!(matches!(err, ArtifactError::NotFound(_)), "got {err:?}");
    assert!(
        err.to_string()
            .contains(&format!("bucket '{bucket}' does not exist")),
        "{err}"
    );
}

#[tokio::test]
async fn written_bytes_read_back() {
    let (artifacts, bucket) = fresh_bucket().await;
    let location = s3_location(&bucket, "exports/exposures.yml");
    artifacts
        .write(&location, b"version: 2\n")
        .await
        .expect("write");
    assert_eq!(
        artifacts.read(&location).await.expect("read"),
        b"version: 2\n"
    );
}

#[tokio::test]
async fn local_locations_are_refused_with_a_reason() {
    let artifacts = S3Artifacts::from_sdk_config(&common::moto_config().await);
    let err = artifacts
        .read(&ArtifactLocation::local("target/manifest.json"))
        .await
        .expect_err("local");
    assert!(err.to_string().contains("target/manifest.json"), "{err}");
}

#[tokio::test]
async fn an_object_past_the_limit_is_refused_naming_it_and_the_limit() {
    let (artifacts, bucket) = fresh_bucket().await;
    let key = "dbt/shop/prod/manifest.json";
    upload(&artifacts, &bucket, key, &"x".repeat(3 * 1024 * 1024)).await;
    let limited = artifacts.clone().with_max_bytes(2 * 1024 * 1024);
    let err = limited
        .read(&s3_location(&bucket, key))
        .await
        .expect_err("refused");
    assert!(!err.is_retryable(), "a person must act: {err}");
    let message = err.to_string();
    assert!(
        message.contains(key) && message.contains("larger than 2 MiB"),
        "{message}"
    );
    assert_eq!(
        artifacts
            .read(&s3_location(&bucket, key))
            .await
            .expect("read")
            .len(),
        3 * 1024 * 1024,
        "under the default limit it reads whole"
    );
}

async fn read_opened(artifacts: &S3Artifacts, location: &ArtifactLocation) -> Vec<u8> {
    use std::io::Read;
    let mut reader = artifacts.open(location).await.expect("open");
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).expect("read the download");
    bytes
}

#[tokio::test]
async fn an_opened_object_is_downloaded_whole_and_read_from_its_start() {
    let (artifacts, bucket) = fresh_bucket().await;
    let key = "dbt/shop/prod/manifest.json";
    // Several body chunks, and a file that is gone from the directory once open.
    let body: String = (0..400_000).map(|n| format!("{n:07},")).collect();
    upload(&artifacts, &bucket, key, &body).await;
    let location = s3_location(&bucket, key);
    assert_eq!(read_opened(&artifacts, &location).await, body.as_bytes());
    let leftovers = std::fs::read_dir(std::env::temp_dir())
        .expect("temp dir")
        .filter_map(Result::ok)
        .filter(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.starts_with(&format!("autoexpose-download-{}-", std::process::id()))
        })
        .count();
    assert_eq!(
        leftovers, 0,
        "the download has no name in the temporary directory"
    );
}

#[tokio::test]
async fn an_object_past_the_limit_is_not_opened_either() {
    let (artifacts, bucket) = fresh_bucket().await;
    let key = "dbt/shop/prod/manifest.json";
    upload(&artifacts, &bucket, key, &"x".repeat(3 * 1024 * 1024)).await;
    let limited = artifacts.clone().with_max_bytes(2 * 1024 * 1024);
    let err = limited
        .open(&s3_location(&bucket, key))
        .await
        .expect_err("refused");
    assert!(!err.is_retryable(), "a person must act: {err}");
    let message = err.to_string();
    assert!(
        message.contains(key) && message.contains("larger than 2 MiB"),
        "{message}"
    );
}

/// An S3 endpoint that announces 1000 bytes and sends 500 before it hangs up.
fn endpoint_that_cuts_downloads_short() -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut request = Vec::new();
            let mut byte = [0u8; 1];
            while !request.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                request.push(byte[0]);
            }
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                        Content-Length: 1000\r\nConnection: close\r\n\r\n";
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&[b' '; 500]);
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn a_download_cut_short_is_refused_never_read_and_may_be_retried() {
    let config = common::moto_config()
        .await
        .into_builder()
        .endpoint_url(endpoint_that_cuts_downloads_short())
        .build();
    let artifacts = S3Artifacts::from_sdk_config(&config);
    let location = s3_location("artifacts", "dbt/shop/prod/manifest.json");
    let err = artifacts.open(&location).await.expect_err("cut short");
    assert!(err.is_retryable(), "the next try may get it whole: {err}");
    assert!(
        err.to_string().contains("dbt/shop/prod/manifest.json"),
        "{err}"
    );
    let err = artifacts.read(&location).await.expect_err("cut short");
    assert!(err.is_retryable(), "{err}");
}
