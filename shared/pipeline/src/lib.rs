//! The pipeline: the three stages of autoexpose (PRODUCT.md S5) over small traits.
//!
//! [`Pipeline::apply_manifest`] applies a newer dbt manifest and rematches every
//! integration of its project; [`Pipeline::sync_integration`] lists an integration's
//! workbooks from its BI tool and rematches; [`Pipeline::update_collections`] validates and
//! stores a new selection, then syncs; [`Pipeline::record_run_results`] records dbt's
//! results and refreshes the extracts behind rebuilt exposures.
//!
//! The pipeline talks to the world only through the ports: the store (one narrow trait per
//! record family: [`IntegrationStore`], [`SnapshotStore`], [`ExposureStore`], …, together
//! [`Store`]), [`Artifacts`], [`Secrets`], the BI tool ([`BiTool`]: Tableau today),
//! [`JobQueue`] and [`Clock`]. It holds each as a trait object, so the Lambda functions,
//! the CLI and the tests wire in their adapters at run time; [`MemoryStore`] is the store
//! for tests and one-shot runs.
//!
//! Where things are: `pipeline.rs` (the struct, its adapters, the lease), `stages.rs`
//! (apply, sync, update collections), `orchestrate.rs` (run results, extract refreshes),
//! `quality_warnings.rs` (health written as Tableau data quality warnings),
//! `reports.rs` (catalog, YAML files, diagnosis, lineage page), `records/` (what is
//! stored), `ports/` (the traits and their typed errors), `layout.rs` (where artifacts
//! live: `dbt/<project>/<environment>/<file>`). An [`ArtifactLocation`] is a key in an
//! optional container, named for no storage service; each `Artifacts` adapter maps it
//! to its own terms.
//!
//! ```no_run
//! # use autoexpose_pipeline as ae;
//! # async fn demo(
//! #     artifacts: impl ae::Artifacts + 'static,
//! #     secrets: impl ae::Secrets + 'static,
//! #     bi: impl ae::BiTool + 'static,
//! # ) -> Result<(), ae::PipelineError> {
//! use autoexpose_pipeline::{ArtifactLocation, MemoryStore, Pipeline, Trigger};
//!
//! let pipeline = Pipeline::new(MemoryStore::new(), artifacts, secrets, bi);
//! pipeline
//!     .apply_manifest("shop", &ArtifactLocation::local("target/manifest.json"))
//!     .await?;
//! let run = pipeline.sync_integration("acme", Trigger::Manual).await?;
//! println!("{} added, {} changed, {} removed", run.added, run.changed, run.removed);
//! # Ok(()) }
//! ```

mod checkpoint;
mod columns;
mod diff;
mod error;
mod layout;
mod memory;
mod orchestrate;
mod pipeline;
mod ports;
mod quality_warnings;
mod records;
mod reports;
mod stages;
mod stop;
#[cfg(feature = "testsuite")]
pub mod testsuite;
mod usage;

pub use autoexpose_domain::run_results::{NodeResult, ResultsKind};
pub use checkpoint::{
    ListingBudget, PartialListing, StepOptions, SyncCheckpoint, SyncRequest, SyncRequestError,
    SyncStep, checkpoint_location,
};
pub use diff::{DiffOutcome, diff_exposures};
pub use error::PipelineError;
pub use layout::{ArtifactKey, ArtifactKind, LayoutError, exposures_location};
pub use memory::MemoryStore;
pub use orchestrate::{JobCheck, MAX_POLL_DELAY, ResultsOutcome, poll_delay};
pub use pipeline::{
    DEFAULT_JOB_MAX_AGE, DEFAULT_LEASE_TTL, DEFAULT_LEASE_WAIT, INPUT_WARNINGS, Orchestration,
    Pipeline, describe_lease, integration_status,
};
pub use ports::*;
pub use quality_warnings::WarningsOutcome;
pub use records::*;
pub use reports::{CatalogEntry, ExposureDetail, ExposureMode, ProjectExposures};
pub use stages::{ApplyOutcome, RunCounts, manifest_order, parse_collection_list};
pub use stop::Stop;
pub use tokio_util::sync::CancellationToken;

/// The store's narrow traits, to bring their methods into scope on a concrete store
/// (`use autoexpose_pipeline::prelude::*;`), as `std::io::prelude` does for readers.
pub mod prelude {
    pub use crate::ports::{
        ExposureStore as _, IntegrationStore as _, LeaseStore as _, ManifestStore as _,
        RefreshStore as _, ResultsStore as _, RunStore as _, SnapshotStore as _,
    };
}
