//! The pipeline: the three stages of autoexpose (PRODUCT.md S5) over small traits.
//!
//! [`Pipeline::apply_manifest`] applies a newer dbt manifest and rematches every
//! integration of its project; [`Pipeline::sync_integration`] lists an integration's
//! Tableau workbooks and rematches; [`Pipeline::update_collections`] validates and stores a
//! new selection, then syncs. They talk to the world only through the ports in
//! [`ports`](crate#ports): [`Store`], [`Artifacts`], [`Secrets`], [`TableauApi`] and
//! [`Clock`]. The Lambda functions and the CLI wire their adapters into the same code.
//!
//! ```no_run
//! # async fn demo<S, A, K, T>(store: S, artifacts: A, secrets: K, tableau: T)
//! # -> Result<(), autoexpose_pipeline::PipelineError>
//! # where S: autoexpose_pipeline::Store, A: autoexpose_pipeline::Artifacts,
//! #       K: autoexpose_pipeline::Secrets, T: autoexpose_pipeline::TableauApi {
//! use autoexpose_pipeline::{ArtifactLocation, Pipeline, Trigger};
//!
//! let pipeline = Pipeline::new(store, artifacts, secrets, tableau);
//! pipeline
//!     .apply_manifest("shop", &ArtifactLocation::local("target/manifest.json"))
//!     .await?;
//! let run = pipeline.sync_integration("acme", Trigger::Manual).await?;
//! println!("{} added, {} changed, {} removed", run.added, run.changed, run.removed);
//! # Ok(()) }
//! ```

mod diff;
mod error;
mod orchestrate;
mod ports;
mod stages;
mod tableau_adapter;
#[cfg(feature = "testsuite")]
pub mod testsuite;
mod views;

pub use diff::{DiffOutcome, diff_exposures};
pub use error::PipelineError;
pub use orchestrate::{
    DEFAULT_JOB_MAX_AGE, JobCheck, MAX_POLL_DELAY, Orchestration, ResultsOutcome, poll_delay,
};
pub use ports::*;
pub use stages::{
    ApplyOutcome, DEFAULT_LEASE_TTL, DEFAULT_LEASE_WAIT, Pipeline, RunCounts, integration_status,
    manifest_order, parse_collection_list,
};
pub use tableau_adapter::TableauHttp;
pub use views::{CatalogEntry, ExposureDetail, ExposureMode, ProjectExposures, exposures_location};
