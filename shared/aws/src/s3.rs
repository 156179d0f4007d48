//! S3: reading and writing dbt artifacts, and making sense of the keys S3 events carry.
//!
//! Artifacts are uploaded under `dbt/<project>/<environment>/<file>`, where `<file>`
//! is `manifest.json`, `run_results.json` or `sources.json`; [`ArtifactKey::parse`]
//! reads the project and environment from such a key. Keys arrive URL-encoded in S3
//! event notifications; `autoexpose-lambda` undoes that.
//!
//! The pipeline's [`ArtifactLocation`] names no storage service: here its container is
//! the bucket and its version the object version, and messages write it as S3 users do,
//! `s3://bucket/key` ([`S3Uri`]).

use std::fmt;

use autoexpose_pipeline::{ArtifactError, ArtifactLocation, ArtifactReader, Artifacts};
use aws_config::SdkConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectOutput;

use crate::sdk_error::{describe, is_transient};
use aws_sdk_s3::primitives::ByteStream;

/// The location of the latest version of an S3 object: the bucket is its container.
pub fn s3_location(bucket: impl Into<String>, key: impl Into<String>) -> ArtifactLocation {
    ArtifactLocation::in_container(bucket, key)
}

/// An artifact location written as S3 users write an object:
/// `s3://bucket/key?versionId=…`. A location without a bucket is its path.
#[derive(Debug, Clone, Copy)]
pub struct S3Uri<'a>(pub &'a ArtifactLocation);

impl fmt::Display for S3Uri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let location = self.0;
        match (&location.container, &location.version) {
            (Some(bucket), Some(version)) => {
                write!(f, "s3://{bucket}/{}?versionId={version}", location.key)
            }
            (Some(bucket), None) => write!(f, "s3://{bucket}/{}", location.key),
            (None, _) => f.write_str(&location.key),
        }
    }
}

/// [`Artifacts`] on S3. Only S3 locations (with a bucket) are accepted.
#[derive(Debug, Clone)]
pub struct S3Artifacts {
    client: Client,
    max_bytes: u64,
}

/// The largest object read by default: 1 GiB, twice the largest manifest seen (a
/// 50,000-model project writes ~460 MB).
pub const DEFAULT_MAX_OBJECT_BYTES: u64 = 1024 * 1024 * 1024;

impl S3Artifacts {
    /// Artifacts read through an existing client.
    pub fn new(client: Client) -> S3Artifacts {
        S3Artifacts {
            client,
            max_bytes: DEFAULT_MAX_OBJECT_BYTES,
        }
    }

    /// Refuses objects larger than `max_bytes` (before reading them when S3 gives their
    /// size, and as soon as the body passes it otherwise).
    pub fn with_max_bytes(mut self, max_bytes: u64) -> S3Artifacts {
        self.max_bytes = max_bytes;
        self
    }

    /// Artifacts read through a client built from `config`; path-style addressing
    /// is switched on when the config has an endpoint override (moto, MinIO), whose
    /// hosts have no per-bucket DNS names.
    pub fn from_sdk_config(config: &SdkConfig) -> S3Artifacts {
        let s3 = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(config.endpoint_url().is_some())
            .build();
        S3Artifacts::new(Client::from_conf(s3))
    }

    /// The underlying client.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// An S3 error by kind: throttling and timeouts may pass, access denied will not.
fn artifact_error<E, R>(err: &SdkError<E, R>, doing: String) -> ArtifactError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let message = format!("{doing}: {}", describe(err)).into();
    if is_transient(err) {
        ArtifactError::Unavailable(message)
    } else {
        ArtifactError::Rejected(message)
    }
}

fn bucket_of(location: &ArtifactLocation) -> Result<&str, ArtifactError> {
    location.container.as_deref().ok_or_else(|| {
        ArtifactError::Rejected(
            format!(
                "{location} is a local path, but this deployment reads artifacts from S3 only; \
                 give an S3 location (bucket and key)"
            )
            .into(),
        )
    })
}

impl S3Artifacts {
    /// The object's response, its body not read yet, and the size S3 announced; refused
    /// before the body is read when that size is over the limit.
    async fn get(
        &self,
        location: &ArtifactLocation,
    ) -> Result<(GetObjectOutput, Option<u64>), ArtifactError> {
        let bucket = bucket_of(location)?;
        let uri = S3Uri(location);
        let response = self
            .client
            .get_object()
            .bucket(bucket)
            .key(&location.key)
            .set_version_id(location.version.clone())
            .send()
            .await;
        let output = match response {
            Ok(output) => output,
            Err(err) => {
                let no_such_key = err.as_service_error().is_some_and(|e| e.is_no_such_key());
                return Err(match err.code() {
                    _ if no_such_key => ArtifactError::NotFound(uri.to_string()),
                    Some("NoSuchBucket") => ArtifactError::NotFound(format!(
                        "{uri}: bucket '{bucket}' does not exist (check the bucket name and region)"
                    )),
                    Some("NoSuchVersion") => ArtifactError::NotFound(format!(
                        "{uri}: that object version does not exist"
                    )),
                    _ => artifact_error(&err, format!("could not read {uri}")),
                });
            }
        };
        let announced = output.content_length().and_then(|n| u64::try_from(n).ok());
        if announced.is_some_and(|n| n > self.max_bytes) {
            return Err(self.too_large(location));
        }
        Ok((output, announced))
    }

    fn too_large(&self, location: &ArtifactLocation) -> ArtifactError {
        ArtifactError::Rejected(
            format!(
                "{} is larger than {} MiB, the most autoexpose reads",
                S3Uri(location),
                self.max_bytes / (1024 * 1024)
            )
            .into(),
        )
    }

    /// Reads the body chunk by chunk into `sink`, refusing it as soon as it passes the
    /// limit, and refusing one that ends before the size S3 announced.
    async fn read_body<F, Fut>(
        &self,
        location: &ArtifactLocation,
        output: GetObjectOutput,
        announced: Option<u64>,
        mut sink: F,
    ) -> Result<(), ArtifactError>
    where
        F: FnMut(bytes::Bytes) -> Fut,
        Fut: Future<Output = Result<(), ArtifactError>>,
    {
        let uri = S3Uri(location);
        let mut received: u64 = 0;
        let mut body = output.body;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| {
                ArtifactError::Unavailable(format!("reading the body of {uri} failed: {e}").into())
            })?;
            received += chunk.len() as u64;
            if received > self.max_bytes {
                return Err(self.too_large(location));
            }
            sink(chunk).await?;
        }
        match announced {
            Some(size) if received != size => Err(ArtifactError::Unavailable(
                format!(
                    "the download of {uri} ended after {received} of its {size} bytes; \
                     it was not read (a retry downloads it again)"
                )
                .into(),
            )),
            _ => Ok(()),
        }
    }
}

/// A file in the temporary directory (Lambda's ephemeral storage) that has no name: it
/// is removed as soon as it is created, so its space is freed when it is closed, however
/// the process ends.
fn unnamed_temp_file() -> std::io::Result<(std::fs::File, std::path::PathBuf)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir();
    let path = dir.join(format!(
        "autoexpose-download-{}-{}",
        std::process::id(),
        SEQUENCE.fetch_add(1, Ordering::Relaxed)
    ));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    std::fs::remove_file(&path)?;
    Ok((file, dir))
}

#[async_trait::async_trait]
impl Artifacts for S3Artifacts {
    async fn read(&self, location: &ArtifactLocation) -> Result<Vec<u8>, ArtifactError> {
        let (output, announced) = self.get(location).await?;
        let capacity = usize::try_from(announced.unwrap_or(0)).unwrap_or(0);
        let mut bytes = Vec::with_capacity(capacity);
        self.read_body(location, output, announced, |chunk| {
            bytes.extend_from_slice(&chunk);
            std::future::ready(Ok(()))
        })
        .await?;
        Ok(bytes)
    }

    /// Downloads the object to an unnamed file in the temporary directory (on Lambda,
    /// the function's ephemeral storage, which must hold the largest manifest), so only
    /// one chunk of it is ever in memory.
    async fn open(&self, location: &ArtifactLocation) -> Result<ArtifactReader, ArtifactError> {
        use std::io::Seek;
        use tokio::io::AsyncWriteExt;
        let (output, announced) = self.get(location).await?;
        let uri = S3Uri(location);
        let (file, dir) = unnamed_temp_file().map_err(|e| {
            ArtifactError::Rejected(
                format!(
                    "could not create a file in {} to download {uri} to: {e}",
                    std::env::temp_dir().display()
                )
                .into(),
            )
        })?;
        let cannot_write = |e: std::io::Error| {
            let hint = if e.kind() == std::io::ErrorKind::StorageFull {
                " (the temporary directory is smaller than the object: give the function more ephemeral storage)"
            } else {
                ""
            };
            ArtifactError::Rejected(
                format!("could not download {uri} to {}: {e}{hint}", dir.display()).into(),
            )
        };
        let file = tokio::sync::Mutex::new(tokio::fs::File::from_std(file));
        self.read_body(location, output, announced, |chunk| {
            let file = &file;
            async move {
                file.lock()
                    .await
                    .write_all(&chunk)
                    .await
                    .map_err(cannot_write)
            }
        })
        .await?;
        let mut file = file.into_inner();
        file.flush().await.map_err(cannot_write)?;
        let mut file = file.into_std().await;
        file.rewind().map_err(cannot_write)?;
        Ok(ArtifactReader::new(file))
    }

    async fn write(&self, location: &ArtifactLocation, bytes: &[u8]) -> Result<(), ArtifactError> {
        let bucket = bucket_of(location)?;
        let uri = S3Uri(location);
        self.client
            .put_object()
            .bucket(bucket)
            .key(&location.key)
            .body(ByteStream::from(bytes.to_vec()))
            .send()
            .await
            .map_err(|err| match err.code() {
                Some("NoSuchBucket") => ArtifactError::NotFound(format!(
                    "{uri}: bucket '{bucket}' does not exist (check the bucket name and region)"
                )),
                _ => artifact_error(&err, format!("could not write {uri}")),
            })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_written_as_s3_users_write_objects() {
        let mut location = s3_location("artifacts", "dbt/shop/prod/manifest.json");
        assert_eq!(
            S3Uri(&location).to_string(),
            "s3://artifacts/dbt/shop/prod/manifest.json"
        );
        location.version = Some("v1".into());
        assert_eq!(
            S3Uri(&location).to_string(),
            "s3://artifacts/dbt/shop/prod/manifest.json?versionId=v1"
        );
        let local = ArtifactLocation::local("target/manifest.json");
        assert_eq!(S3Uri(&local).to_string(), "target/manifest.json");
    }
}
