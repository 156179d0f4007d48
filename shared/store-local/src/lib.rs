//! The embedded local store: the pipeline's ports on one machine, with no AWS account.
//!
//! - [`LocalStore`]: the [`Store`](autoexpose_pipeline::Store) over one SQLite file
//!   (bundled SQLite, WAL mode), with the same conditional-write semantics as the DynamoDB
//!   store: optimistic integration versions, a compare-and-swap applied-manifest pointer,
//!   leases that lapse, exposure diffs in one transaction.
//! - [`LocalArtifacts`]: artifacts from local paths.
//! - [`EnvSecrets`]: the PAT secret from an environment variable named by the
//!   integration's `secret_ref` (default [`DEFAULT_SECRET_ENV`]).
//!
//! ```no_run
//! use autoexpose_pipeline::{Pipeline, Trigger};
//! use autoexpose_store_local::{EnvSecrets, LocalArtifacts, LocalStore};
//!
//! # async fn run(tableau: impl autoexpose_pipeline::BiTool + 'static) -> Result<(), Box<dyn std::error::Error>> {
//! let store = LocalStore::open(".autoexpose/state.db")?;
//! let pipeline = Pipeline::new(store, LocalArtifacts, EnvSecrets, tableau);
//! pipeline.sync_integration("acme", Trigger::Manual).await?;
//! # Ok(()) }
//! ```

mod files;
mod sqlite;

pub use files::{
    DEFAULT_MAX_INPUT_MB, DEFAULT_SECRET_ENV, EnvSecrets, LocalArtifacts, MAX_INPUT_ENV, ReadError,
    max_input_bytes, read_bounded,
};
pub use sqlite::{LocalStore, OpenError};
