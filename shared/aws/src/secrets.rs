//! Secrets Manager: the Tableau PAT secret, cached for a few minutes per warm container.
//!
//! The secret string is either JSON, `{"token_name": "...", "token_secret": "..."}`,
//! or the bare token secret. Only `token_secret` is used: the token name lives in
//! the integration's settings.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::sdk_error::{describe, is_transient};
use autoexpose_pipeline::{Secret, SecretError, Secrets};
use aws_config::SdkConfig;
use aws_sdk_secretsmanager::Client;

/// How long a fetched secret is reused before it is read again.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(5 * 60);

/// [`Secrets`] on AWS Secrets Manager, with a small per-process TTL cache keyed by
/// secret id. Its `Debug` shows no secret.
pub struct SecretsManagerSecrets {
    client: Client,
    ttl: Duration,
    cache: Mutex<HashMap<String, (Instant, Secret)>>,
    fetches: AtomicU64,
}

impl std::fmt::Debug for SecretsManagerSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretsManagerSecrets")
            .field("ttl", &self.ttl)
            .field("fetches", &self.fetch_count())
            .finish_non_exhaustive()
    }
}

impl SecretsManagerSecrets {
    /// Secrets read through `client`, cached for [`DEFAULT_CACHE_TTL`].
    pub fn new(client: Client) -> SecretsManagerSecrets {
        SecretsManagerSecrets::with_ttl(client, DEFAULT_CACHE_TTL)
    }

    /// Secrets read through a client built from `config`.
    pub fn from_sdk_config(config: &SdkConfig) -> SecretsManagerSecrets {
        SecretsManagerSecrets::new(Client::new(config))
    }

    /// Secrets cached for `ttl` (zero turns the cache off).
    pub fn with_ttl(client: Client, ttl: Duration) -> SecretsManagerSecrets {
        SecretsManagerSecrets {
            client,
            ttl,
            cache: Mutex::new(HashMap::new()),
            fetches: AtomicU64::new(0),
        }
    }

    /// How many times Secrets Manager was asked (cache misses), for tests and metrics.
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::SeqCst)
    }

    fn cached(&self, secret_ref: &str) -> Option<Secret> {
        let cache = self.cache.lock().ok()?;
        let (fetched_at, secret) = cache.get(secret_ref)?;
        (fetched_at.elapsed() < self.ttl).then(|| secret.clone())
    }

    fn remember(&self, secret_ref: &str, secret: &Secret) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(secret_ref.to_string(), (Instant::now(), secret.clone()));
        }
    }

    async fn fetch(&self, secret_ref: &str) -> Result<Secret, SecretError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let output = self
            .client
            .get_secret_value()
            .secret_id(secret_ref)
            .send()
            .await
            .map_err(|err| {
                let not_found = err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception());
                if not_found {
                    SecretError::NotFound(secret_ref.to_string())
                } else {
                    // The error context holds codes and messages from AWS, never the value.
                    let message = format!(
                        "could not read secret '{secret_ref}' from Secrets Manager: {}; \
                         check that the function's role may call secretsmanager:GetSecretValue on it",
                        describe(&err)
                    );
                    if is_transient(&err) {
                        SecretError::Unavailable(message.into())
                    } else {
                        SecretError::Rejected(message.into())
                    }
                }
            })?;
        let Some(text) = output.secret_string() else {
            return Err(SecretError::Rejected(
                format!(
                    "secret '{secret_ref}' holds binary data; store the Tableau PAT secret as a \
                 string, either bare or as JSON {{\"token_name\": ..., \"token_secret\": ...}}"
                )
                .into(),
            ));
        };
        token_secret(secret_ref, text)
    }
}

/// The token secret from a secret string: JSON with `token_secret`, or the bare value.
fn token_secret(secret_ref: &str, text: &str) -> Result<Secret, SecretError> {
    let trimmed = text.trim();
    if trimmed.starts_with('{') {
        // Parse errors are not shown: serde's message could quote part of the value.
        let value: serde_json::Value = serde_json::from_str(trimmed).map_err(|_| {
            SecretError::Rejected(
                format!(
                    "secret '{secret_ref}' starts with '{{' but is not valid JSON; store \
                 {{\"token_name\": ..., \"token_secret\": ...}} or the bare token secret"
                )
                .into(),
            )
        })?;
        return match value.get("token_secret").and_then(|v| v.as_str()) {
            Some(secret) if !secret.is_empty() => Ok(Secret::new(secret)),
            _ => Err(SecretError::Rejected(format!(
                "secret '{secret_ref}' is JSON without a non-empty string field 'token_secret'; \
                 store {{\"token_name\": ..., \"token_secret\": ...}}"
            ).into())),
        };
    }
    if trimmed.is_empty() {
        return Err(SecretError::Rejected(
            format!("secret '{secret_ref}' is empty; store the Tableau PAT secret there").into(),
        ));
    }
    Ok(Secret::new(trimmed))
}

#[async_trait::async_trait]
impl Secrets for SecretsManagerSecrets {
    async fn tableau_secret(&self, secret_ref: &str) -> Result<Secret, SecretError> {
        if let Some(secret) = self.cached(secret_ref) {
            return Ok(secret);
        }
        let secret = self.fetch(secret_ref).await?;
        self.remember(secret_ref, &secret);
        Ok(secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_secret_gives_its_token_secret() {
        let secret =
            token_secret("s", r#"{"token_name": "ci", "token_secret": "abc=="}"#).expect("valid");
        assert_eq!(secret.expose(), "abc==");
    }

    #[test]
    fn bare_secret_is_used_as_it_is_without_surrounding_whitespace() {
        let secret = token_secret("s", "  abc==\n").expect("valid");
        assert_eq!(secret.expose(), "abc==");
    }

    #[test]
    fn errors_name_the_secret_but_never_show_its_value() {
        let cases = [
            r#"{"token_name": "ci", "token_secret": "#,
            r#"{"token_name": "ci", "token": "hunter2-value"}"#,
            "   ",
        ];
        for text in cases {
            let err = token_secret("autoexpose/acme", text).expect_err(text);
            let message = err.to_string();
            assert!(message.contains("autoexpose/acme"), "{message}");
            assert!(!message.contains("hunter2"), "{message}");
            assert!(!format!("{err:?}").contains("hunter2"));
        }
    }
}
