//! Where the Tableau PAT secret comes from.

use async_trait::async_trait;
use std::fmt;

use crate::BoxError;

/// A secret value (the PAT secret). Its `Debug` and `Display` print `***`, so it cannot
/// reach a log line or an error message by accident; it is never serialized.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that must send it (the Tableau sign-in).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// What went wrong fetching a secret, by kind. Messages name the secret reference, never
/// the value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// No secret under that reference.
    #[error("secret '{0}' was not found; store the Tableau PAT secret there")]
    NotFound(String),
    /// The secret store could not be reached; a retry may succeed.
    #[error(transparent)]
    Unavailable(BoxError),
    /// Reading it was refused (permissions, an empty or unreadable value); a person must act.
    #[error(transparent)]
    Rejected(BoxError),
}

impl SecretError {
    /// True when the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, SecretError::Unavailable(_))
    }
}

/// Where PAT secrets come from (Secrets Manager, an environment variable).
#[async_trait]
pub trait Secrets: Send + Sync {
    /// The Tableau PAT secret stored under `secret_ref`.
    async fn tableau_secret(&self, secret_ref: &str) -> Result<Secret, SecretError>;
}
