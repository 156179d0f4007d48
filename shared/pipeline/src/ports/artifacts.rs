//! Where dbt artifacts come from and where published files go.

use async_trait::async_trait;
use std::fmt;

use crate::BoxError;

use serde::{Deserialize, Serialize};

/// Where an artifact lives: an S3 object (`bucket` set) or a local file (`bucket` `None`,
/// `key` is the path).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ArtifactLocation {
    /// S3 bucket; `None` for a local path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// S3 key, or the local file path.
    pub key: String,
    /// S3 object version, when the bucket is versioned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
}

impl ArtifactLocation {
    /// A local file.
    pub fn local(path: impl Into<String>) -> ArtifactLocation {
        ArtifactLocation {
            bucket: None,
            key: path.into(),
            version_id: None,
        }
    }

    /// An S3 object.
    pub fn s3(bucket: impl Into<String>, key: impl Into<String>) -> ArtifactLocation {
        ArtifactLocation {
            bucket: Some(bucket.into()),
            key: key.into(),
            version_id: None,
        }
    }
}

impl fmt::Display for ArtifactLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.bucket, &self.version_id) {
            (Some(bucket), Some(version)) => {
                write!(f, "s3://{bucket}/{}?versionId={version}", self.key)
            }
            (Some(bucket), None) => write!(f, "s3://{bucket}/{}", self.key),
            (None, _) => f.write_str(&self.key),
        }
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

/// Where manifests come from (S3, local files) and where exported files go.
#[async_trait]
pub trait Artifacts: Send + Sync {
    /// The bytes at a location.
    async fn read(&self, location: &ArtifactLocation) -> Result<Vec<u8>, ArtifactError>;

    /// Writes bytes to a location, replacing what is there.
    async fn write(&self, location: &ArtifactLocation, bytes: &[u8]) -> Result<(), ArtifactError>;
}
