//! Artifacts from local paths and secrets from environment variables.

use autoexpose_pipeline::{
    ArtifactError, ArtifactLocation, Artifacts, Secret, SecretError, Secrets,
};

/// The environment variable that holds the PAT secret when an integration names none.
pub const DEFAULT_SECRET_ENV: &str = "AUTOEXPOSE_TABLEAU_TOKEN_SECRET";

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

#[async_trait::async_trait]
impl Artifacts for LocalArtifacts {
    async fn read(&self, location: &ArtifactLocation) -> Result<Vec<u8>, ArtifactError> {
        let path = local_path(location)?;
        match tokio::fs::read(path).await {
            Ok(bytes) => Ok(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(ArtifactError::NotFound(path.to_string()))
            }
            Err(e) => Err(ArtifactError::Rejected(
                format!("could not read {path}: {e}").into(),
            )),
        }
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
