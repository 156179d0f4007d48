//! What the Lambda functions share, so each function crate is only its event
//! parsing and its handler (PRODUCT.md S5).
//!
//! * [`Settings`] — the environment a function reads (`TABLE_NAME`, `ARTIFACTS_BUCKET`,
//!   `PRODUCTION_ENVIRONMENT`, `SYNC_CONCURRENCY`, `DBT_ACTIVE_EXPOSURES`,
//!   `DBT_ACTIVE_EXPOSURES_BUILD_AFTER`, `REFRESH_QUEUE_URL`), or the same values given
//!   by a test.
//! * [`Deps`] — the pipeline wired to DynamoDB, S3, Secrets Manager and Tableau, and the
//!   SQS queue refresh jobs wait on, built once per container from an `SdkConfig` and
//!   [`Settings`].
//! * [`FanoutDeps`] — [`Deps`] with the sync queue (`SYNC_QUEUE_URL`) and how much one
//!   step of a fanned-out sync may list (`SYNC_STEP_SECONDS`, `SYNC_STEP_MAX_PAGES`).
//! * [`RunOutcome`], [`ErrorResponse`], [`FunctionError`], [`is_retryable`] — how pipeline
//!   results and errors become a function's response, and which errors Lambda should retry.
//! * [`init_tracing`] — JSON log lines, one object per line, for CloudWatch.
//!
//! ```no_run
//! # async fn demo() -> Result<(), autoexpose_lambda::ConfigError> {
//! use autoexpose_lambda::{Deps, init_tracing};
//! init_tracing();
//! let deps = Deps::from_env().await?; // once per container
//! let runs = deps.pipeline().sync_integration("acme", autoexpose_pipeline::Trigger::Schedule);
//! # let _ = runs;
//! # Ok(()) }
//! ```

mod deps;
mod fanout;
mod logging;
mod response;
mod s3_events;
mod settings;

pub use deps::{Deps, FunctionPipeline, STOP_MARGIN};
pub use fanout::{DEFAULT_STEP_LISTING, FanoutDeps, FanoutSettings, STEP_RESERVE};
pub use logging::{init_tracing, json_subscriber};
pub use response::{ErrorResponse, FunctionError, RunOutcome, RunStatus, error_kind, is_retryable};
pub use s3_events::{
    ArtifactUpload, EncodingError, RecordReport, artifact_upload, decode_event_key, handle_records,
};
pub use settings::{
    ConfigError, DEFAULT_PRODUCTION_ENVIRONMENT, DEFAULT_SYNC_CONCURRENCY, Settings,
};
