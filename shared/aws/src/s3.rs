//! S3: reading and writing dbt artifacts, and making sense of the keys S3 events carry.
//!
//! Artifacts are uploaded under `dbt/<project>/<environment>/<file>`, where `<file>`
//! is `manifest.json`, `run_results.json` or `sources.json`; [`ArtifactKey::parse`]
//! reads the project and environment from such a key. Keys arrive URL-encoded in S3
//! event notifications; [`decode_event_key`] undoes that.

use std::fmt;

use autoexpose_pipeline::{ArtifactError, ArtifactLocation, Artifacts};
use aws_config::SdkConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use crate::sdk_error::{describe, is_transient};
use aws_sdk_s3::primitives::ByteStream;

/// [`Artifacts`] on S3. Only S3 locations (with a bucket) are accepted.
#[derive(Debug, Clone)]
pub struct S3Artifacts {
    client: Client,
}

impl S3Artifacts {
    /// Artifacts read through an existing client.
    pub fn new(client: Client) -> S3Artifacts {
        S3Artifacts { client }
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
    location.bucket.as_deref().ok_or_else(|| {
        ArtifactError::Rejected(
            format!(
                "{location} is a local path, but this deployment reads artifacts from S3 only; \
                 give an S3 location (bucket and key)"
            )
            .into(),
        )
    })
}

#[async_trait::async_trait]
impl Artifacts for S3Artifacts {
    async fn read(&self, location: &ArtifactLocation) -> Result<Vec<u8>, ArtifactError> {
        let bucket = bucket_of(location)?;
        let response = self
            .client
            .get_object()
            .bucket(bucket)
            .key(&location.key)
            .set_version_id(location.version_id.clone())
            .send()
            .await;
        let output = match response {
            Ok(output) => output,
            Err(err) => {
                let no_such_key = err.as_service_error().is_some_and(|e| e.is_no_such_key());
                return Err(match err.code() {
                    _ if no_such_key => ArtifactError::NotFound(location.to_string()),
                    Some("NoSuchBucket") => ArtifactError::NotFound(format!(
                        "{location}: bucket '{bucket}' does not exist (check the bucket name and region)"
                    )),
                    Some("NoSuchVersion") => ArtifactError::NotFound(format!(
                        "{location}: that object version does not exist"
                    )),
                    _ => artifact_error(&err, format!("could not read {location}")),
                });
            }
        };
        let body = output.body.collect().await.map_err(|e| {
            ArtifactError::Unavailable(format!("reading the body of {location} failed: {e}").into())
        })?;
        Ok(body.into_bytes().to_vec())
    }

    async fn write(&self, location: &ArtifactLocation, bytes: &[u8]) -> Result<(), ArtifactError> {
        let bucket = bucket_of(location)?;
        self.client
            .put_object()
            .bucket(bucket)
            .key(&location.key)
            .body(ByteStream::from(bytes.to_vec()))
            .send()
            .await
            .map_err(|err| match err.code() {
                Some("NoSuchBucket") => ArtifactError::NotFound(format!(
                    "{location}: bucket '{bucket}' does not exist (check the bucket name and region)"
                )),
                _ => artifact_error(&err, format!("could not write {location}")),
            })?;
        Ok(())
    }
}

/// Which dbt artifact a key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArtifactKind {
    /// `manifest.json`: the project's nodes; triggers a rematch.
    Manifest,
    /// `run_results.json`: the results of a dbt invocation.
    RunResults,
    /// `sources.json`: source freshness.
    Sources,
}

impl ArtifactKind {
    /// The file name dbt writes for it.
    pub fn file_name(self) -> &'static str {
        match self {
            ArtifactKind::Manifest => "manifest.json",
            ArtifactKind::RunResults => "run_results.json",
            ArtifactKind::Sources => "sources.json",
        }
    }

    fn from_file_name(name: &str) -> Option<ArtifactKind> {
        [
            ArtifactKind::Manifest,
            ArtifactKind::RunResults,
            ArtifactKind::Sources,
        ]
        .into_iter()
        .find(|kind| kind.file_name() == name)
    }
}

/// A key of the layout `dbt/<project>/<environment>/<file>`, taken apart.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ArtifactKey {
    /// The dbt project name.
    pub project: String,
    /// The environment, e.g. `prod`.
    pub environment: String,
    /// Which artifact.
    pub kind: ArtifactKind,
}

/// A key that is not `dbt/<project>/<environment>/<file>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The key has another shape.
    #[error(
        "S3 key '{key}' is not of the form dbt/<project>/<environment>/<file>: {problem}; \
         upload dbt artifacts as e.g. dbt/jaffle_shop/prod/manifest.json"
    )]
    Layout {
        /// The (decoded) key.
        key: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The key's URL encoding is broken.
    #[error("S3 event key '{key}' is not valid URL encoding: {problem}")]
    Encoding {
        /// The key as it arrived.
        key: String,
        /// What is wrong with it.
        problem: String,
    },
}

impl ArtifactKey {
    /// Reads project, environment and artifact kind from an (already decoded) key.
    pub fn parse(key: &str) -> Result<ArtifactKey, KeyError> {
        let layout = |problem: &str| KeyError::Layout {
            key: key.to_string(),
            problem: problem.to_string(),
        };
        let parts: Vec<&str> = key.split('/').collect();
        let [prefix, project, environment, file] = parts.as_slice() else {
            return Err(layout(&format!(
                "it has {} parts separated by '/', not 4",
                parts.len()
            )));
        };
        if *prefix != "dbt" {
            return Err(layout("it does not start with 'dbt/'"));
        }
        if project.is_empty() || environment.is_empty() {
            return Err(layout("the project or environment is empty"));
        }
        let kind = ArtifactKind::from_file_name(file).ok_or_else(|| {
            layout(&format!(
                "'{file}' is not manifest.json, run_results.json or sources.json"
            ))
        })?;
        Ok(ArtifactKey {
            project: project.to_string(),
            environment: environment.to_string(),
            kind,
        })
    }
}

impl fmt::Display for ArtifactKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "dbt/{}/{}/{}",
            self.project,
            self.environment,
            self.kind.file_name()
        )
    }
}

/// Decodes an object key as S3 event notifications carry it: `+` is a space, then
/// `%XX` escapes are decoded (`dbt/my+project/prod/manifest.json` →
/// `dbt/my project/prod/manifest.json`; a real `+` arrives as `%2B`).
pub fn decode_event_key(raw: &str) -> Result<String, KeyError> {
    let encoding = |problem: &str| KeyError::Encoding {
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
                let hex = std::str::from_utf8(hex)
                    .ok()
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

    #[test]
    fn manifest_key_gives_project_and_environment() {
        let key = ArtifactKey::parse("dbt/jaffle_shop/prod/manifest.json").expect("valid");
        assert_eq!(key.project, "jaffle_shop");
        assert_eq!(key.environment, "prod");
        assert_eq!(key.kind, ArtifactKind::Manifest);
        assert_eq!(key.to_string(), "dbt/jaffle_shop/prod/manifest.json");
    }

    #[test]
    fn run_results_and_sources_keys_are_recognised() {
        let run = ArtifactKey::parse("dbt/p/staging/run_results.json").expect("valid");
        assert_eq!(run.kind, ArtifactKind::RunResults);
        assert_eq!(run.environment, "staging");
        let sources = ArtifactKey::parse("dbt/p/prod/sources.json").expect("valid");
        assert_eq!(sources.kind, ArtifactKind::Sources);
    }

    #[test]
    fn decoded_event_key_with_spaces_parses() {
        let decoded = decode_event_key("dbt/my+project/prod/manifest.json").expect("decodes");
        let key = ArtifactKey::parse(&decoded).expect("valid");
        assert_eq!(key.project, "my project");
    }

    #[test]
    fn keys_of_another_shape_are_refused_with_a_reason() {
        for bad in [
            "manifest.json",
            "dbt/p/manifest.json",
            "dbt/p/prod/extra/manifest.json",
            "other/p/prod/manifest.json",
            "dbt//prod/manifest.json",
            "dbt/p/prod/catalog.json",
        ] {
            let err = ArtifactKey::parse(bad).expect_err(bad);
            assert!(err.to_string().contains(bad), "{err}");
        }
    }
}
