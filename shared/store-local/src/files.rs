//! Artifacts from local paths and secrets from environment variables.

use std::io::Read as _;

use autoexpose_pipeline::{
    ArtifactError, ArtifactLocation, ArtifactReader, Artifacts, Secret, SecretError, Secrets,
};

/// The environment variable that holds the PAT secret when an integration names none.
pub const DEFAULT_SECRET_ENV: &str = "AUTOEXPOSE_TABLEAU_TOKEN_SECRET";

/// The environment variable that sets the size limit of local input files, in MiB.
pub const MAX_INPUT_ENV: &str = "AUTOEXPOSE_MAX_INPUT_MB";
/// The largest local input file read by default: 1 GiB, twice the largest manifest seen
/// (a 50,000-model project writes ~460 MB).
pub const DEFAULT_MAX_INPUT_MB: u64 = 1024;

/// The size limit of local input files in bytes: [`MAX_INPUT_ENV`] if set, else
/// [`DEFAULT_MAX_INPUT_MB`]; an error naming the variable when it is not a number.
pub fn max_input_bytes() -> Result<u64, String> {
    match std::env::var(MAX_INPUT_ENV) {
        Ok(text) => text
            .trim()
            .parse::<u64>()
            .map(|mb| mb.saturating_mul(1024 * 1024))
            .map_err(|_| {
                format!(
                    "{MAX_INPUT_ENV} must be a whole number of MiB, not '{}'",
                    autoexpose_domain::printable::printable(text.trim())
                )
            }),
        Err(_) => Ok(DEFAULT_MAX_INPUT_MB * 1024 * 1024),
    }
}

/// Reads a whole local file of at most `limit` bytes; refuses a larger one (or an endless
/// device such as `/dev/zero`) before it costs that much memory. The error names the file.
pub fn read_bounded(path: &std::path::Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let known_len = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    if known_len.is_some_and(|len| len > limit) {
        return Err(ReadError::TooLarge { limit });
    }
    let capacity = usize::try_from(known_len.unwrap_or(0)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(bytes)
}

/// Opens a local file of at most `limit` bytes to be read from its start, without reading
/// it: a larger one is refused at once, and one that grows past the limit while it is read
/// fails its read with the same error. What is not a regular file (a pipe, a device) is
/// read whole with [`read_bounded`].
fn open_bounded(path: &std::path::Path, limit: u64) -> Result<ArtifactReader, ReadError> {
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    match file.metadata() {
        Ok(meta) if meta.is_file() => {
            if meta.len() > limit {
                return Err(ReadError::TooLarge { limit });
            }
            Ok(ArtifactReader::new(Bounded {
                file,
                left: limit,
                limit,
            }))
        }
        _ => read_bounded(path, limit).map(ArtifactReader::from_bytes),
    }
}

/// A file read up to a limit; past it, reads fail with [`ReadError::TooLarge`]'s words.
struct Bounded {
    file: std::fs::File,
    left: u64,
    limit: u64,
}

impl std::io::Read for Bounded {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        if n as u64 > self.left {
            let limit = self.limit;
            return Err(std::io::Error::other(
                ReadError::TooLarge { limit }.to_string(),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Why [`read_bounded`] could not read a file.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The operating system refused or failed.
    #[error("{0}")]
    Io(std::io::Error),
    /// The file is larger than the limit.
    #[error(
        "it is larger than {} MiB, the most autoexpose reads; if it really is that large, raise the limit with {MAX_INPUT_ENV}",
        limit / (1024 * 1024)
    )]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
}

/// Reads and writes artifacts as local files: a location without a container, whose
/// `key` is the path.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalArtifacts;

fn local_path(location: &ArtifactLocation) -> Result<&str, ArtifactError> {
    match &location.container {
        None => Ok(&location.key),
        Some(container) => Err(ArtifactError::Rejected(format!(
            "'{}' is in '{container}', not on this machine; the local store reads only local paths (download it, or use the deployed pipeline)",
            location.key
        ).into())),
    }
}

/// Runs `read` (a bounded read or open) on a local location's path off the async threads,
/// with the size limit of local input files; errors name the file.
async fn read_local<T: Send + 'static>(
    location: &ArtifactLocation,
    read: fn(&std::path::Path, u64) -> Result<T, ReadError>,
) -> Result<T, ArtifactError> {
    let path = local_path(location)?.to_string();
    let limit = max_input_bytes().map_err(|e| ArtifactError::Rejected(e.into()))?;
    let file = path.clone();
    let result = tokio::task::spawn_blocking(move || read(std::path::Path::new(&file), limit))
        .await
        .map_err(|e| ArtifactError::Unavailable(format!("could not read {path}: {e}").into()))?;
    match result {
        Ok(value) => Ok(value),
        Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(ArtifactError::NotFound(path))
        }
        Err(e) => Err(ArtifactError::Rejected(
            format!("could not read {path}: {e}").into(),
        )),
    }
}

#[async_trait::async_trait]
impl Artifacts for LocalArtifacts {
    async fn read(&self, location: &ArtifactLocation) -> Result<Vec<u8>, ArtifactError> {
        read_local(location, read_bounded).await
    }

    /// Opens the file where it is: it is read as it is parsed, never held whole.
    async fn open(&self, location: &ArtifactLocation) -> Result<ArtifactReader, ArtifactError> {
        read_local(location, open_bounded).await
    }

    async fn write(&self, location: &ArtifactLocation, bytes: &[u8]) -> Result<(), ArtifactError> {
        let path = std::path::Path::new(local_path(location)?);
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(parent).await.map_err(|e| {
                ArtifactError::Rejected(
                    format!("could not create {}: {e}", parent.display()).into(),
                )
            })?;
        }
        tokio::fs::write(path, bytes).await.map_err(|e| {
            ArtifactError::Rejected(format!("could not write {}: {e}", path.display()).into())
        })
    }
}

/// Reads the PAT secret from the environment variable named by the integration's
/// `secret_ref` ([`DEFAULT_SECRET_ENV`] when it is empty).
#[derive(Debug, Clone, Copy, Default)]
pub struct EnvSecrets;

#[async_trait::async_trait]
impl Secrets for EnvSecrets {
    async fn tableau_secret(&self, secret_ref: &str) -> Result<Secret, SecretError> {
        let name = if secret_ref.is_empty() {
            DEFAULT_SECRET_ENV
        } else {
            secret_ref
        };
        match std::env::var(name) {
            Ok(value) if !value.is_empty() => Ok(Secret::new(value)),
            Ok(_) => Err(SecretError::Rejected(format!(
                "environment variable {name} is empty; export the Tableau personal access token's secret in it"
            ).into())),
            Err(std::env::VarError::NotPresent) => Err(SecretError::Rejected(format!(
                "environment variable {name} is not set; export the Tableau personal access token's secret in it"
            ).into())),
            Err(std::env::VarError::NotUnicode(_)) => Err(SecretError::Rejected(format!(
                "environment variable {name} is not valid UTF-8"
            ).into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn missing_secret_variable_is_named() {
        let err = EnvSecrets
            .tableau_secret("AUTOEXPOSE_TEST_SURELY_UNSET_VARIABLE")
            .await
            .expect_err("unset variable");
        assert!(
            err.to_string()
                .contains("AUTOEXPOSE_TEST_SURELY_UNSET_VARIABLE")
        );
    }

    #[tokio::test]
    async fn s3_locations_are_refused_locally() {
        let err = LocalArtifacts
            .read(&ArtifactLocation::in_container(
                "bucket",
                "shop/manifest.json",
            ))
            .await
            .expect_err("s3 location");
        let message = err.to_string();
        assert!(
            message.contains("'shop/manifest.json' is in 'bucket'"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn missing_file_is_not_found() {
        let err = LocalArtifacts
            .read(&ArtifactLocation::local(
                "/nonexistent/autoexpose/manifest.json",
            ))
            .await
            .expect_err("missing");
        assert!(matches!(err, ArtifactError::NotFound(_)));
    }
}
