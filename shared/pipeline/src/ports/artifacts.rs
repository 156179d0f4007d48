//! Where dbt artifacts come from and where published files go.

use async_trait::async_trait;
use std::fmt;

use crate::BoxError;

use serde::{Deserialize, Serialize};

/// Where an artifact lives, in terms every [`Artifacts`] adapter maps to its own: a `key`
/// inside an optional `container`, at an optional `version`. An object store's adapter
/// reads the container as its bucket and the version as the object version; the
/// local-files adapter takes a location without a container, whose key is a path on this
/// machine.
///
/// Records written before the port was neutral named the fields `bucket` and
/// `version_id`; they still read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ArtifactLocation {
    /// The store of artifacts that holds it, e.g. a bucket; `None` for a local path.
    #[serde(default, alias = "bucket", skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// The key inside the container, or the local path.
    pub key: String,
    /// The version of the artifact, when its container keeps versions.
    #[serde(default, alias = "version_id", skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl ArtifactLocation {
    /// A local file.
    pub fn local(path: impl Into<String>) -> ArtifactLocation {
        ArtifactLocation {
            container: None,
            key: path.into(),
            version: None,
        }
    }

    /// The latest version of `key` in `container`.
    pub fn in_container(container: impl Into<String>, key: impl Into<String>) -> ArtifactLocation {
        ArtifactLocation {
            container: Some(container.into()),
            key: key.into(),
            version: None,
        }
    }
}

/// `<container>/<key>`, or the path of a local file, with the version in parentheses when
/// one is pinned. Adapters name locations in their own notation in their own messages.
impl fmt::Display for ArtifactLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(container) = &self.container {
            write!(f, "{container}/")?;
        }
        f.write_str(&self.key)?;
        if let Some(version) = &self.version {
            write!(f, " (version {version})")?;
        }
        Ok(())
    }
}

/// What went wrong reading or writing an artifact, by kind.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// Nothing at that location.
    #[error("no artifact at {0}")]
    NotFound(String),
    /// The store behind it could not be reached or timed out; a retry may succeed. The
    /// source names the location and the cause.
    #[error(transparent)]
    Unavailable(BoxError),
    /// The read or write was refused (permissions, not a file, too large); a person must
    /// act. The source names the location and the cause.
    #[error(transparent)]
    Rejected(BoxError),
}

impl ArtifactError {
    /// True when the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, ArtifactError::Unavailable(_))
    }
}

/// An artifact opened for reading from its start, for a caller that must not hold it in
/// memory whole: a file on local storage, or bytes already in memory.
pub struct ArtifactReader(Box<dyn std::io::Read + Send>);

impl ArtifactReader {
    /// Reads from `reader` (an open file, typically).
    pub fn new(reader: impl std::io::Read + Send + 'static) -> ArtifactReader {
        ArtifactReader(Box::new(reader))
    }

    /// Reads bytes already in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> ArtifactReader {
        ArtifactReader::new(std::io::Cursor::new(bytes))
    }
}

impl std::io::Read for ArtifactReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl fmt::Debug for ArtifactReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ArtifactReader")
    }
}

/// Where manifests come from (S3, local files) and where exported files go.
#[async_trait]
pub trait Artifacts: Send + Sync {
    /// The bytes at a location.
    async fn read(&self, location: &ArtifactLocation) -> Result<Vec<u8>, ArtifactError>;

    /// The artifact at a location, to be read from its start without holding it in memory
    /// (a manifest of hundreds of megabytes). The size limits of [`Artifacts::read`] hold,
    /// and an artifact that arrives incomplete is an error, never a shorter reader. By
    /// default it is `read` whole; adapters whose artifacts are large override it (S3
    /// downloads to an unnamed file in the temporary directory, local files are opened
    /// where they are).
    async fn open(&self, location: &ArtifactLocation) -> Result<ArtifactReader, ArtifactError> {
        Ok(ArtifactReader::from_bytes(self.read(location).await?))
    }

    /// Writes bytes to a location, replacing what is there.
    async fn write(&self, location: &ArtifactLocation, bytes: &[u8]) -> Result<(), ArtifactError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_written_with_a_bucket_still_read() {
        let old = r#"{"bucket":"artifacts","key":"dbt/shop/prod/manifest.json","version_id":"v1"}"#;
        let location: ArtifactLocation = serde_json::from_str(old).expect("old pointer reads");
        assert_eq!(
            location,
            ArtifactLocation {
                container: Some("artifacts".into()),
                key: "dbt/shop/prod/manifest.json".into(),
                version: Some("v1".into()),
            }
        );
        let local: ArtifactLocation =
            serde_json::from_str(r#"{"key":"target/manifest.json"}"#).expect("local reads");
        assert_eq!(local, ArtifactLocation::local("target/manifest.json"));
    }

    #[test]
    fn locations_are_named_without_a_storage_service() {
        let mut location =
            ArtifactLocation::in_container("artifacts", "dbt/shop/prod/manifest.json");
        assert_eq!(
            location.to_string(),
            "artifacts/dbt/shop/prod/manifest.json"
        );
        location.version = Some("v1".into());
        assert_eq!(
            location.to_string(),
            "artifacts/dbt/shop/prod/manifest.json (version v1)"
        );
        assert_eq!(
            ArtifactLocation::local("target/manifest.json").to_string(),
            "target/manifest.json"
        );
        let json = serde_json::to_string(&location).expect("encodes");
        assert_eq!(
            json,
            r#"{"container":"artifacts","key":"dbt/shop/prod/manifest.json","version":"v1"}"#
        );
    }
}
