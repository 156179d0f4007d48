//! AWS adapters: the DynamoDB store, S3 artifacts, Secrets Manager secrets, the SQS
//! job queue, and deployed functions invoked from the CLI.
//!
//! Each type implements one port of `autoexpose-pipeline`, and only this crate
//! names the AWS SDK:
//!
//! * [`DynamoStore`] — [`autoexpose_pipeline::Store`] on one DynamoDB table; the key
//!   design is documented in [`dynamodb`].
//! * [`S3Artifacts`] — [`autoexpose_pipeline::Artifacts`] on S3 (the bucket layout it
//!   serves, `dbt/<project>/<environment>/<file>`, is the pipeline's `layout`; S3 event
//!   keys are decoded by `autoexpose-lambda`). A location's container is the bucket:
//!   [`s3_location`] builds one, [`S3Uri`] writes it as `s3://bucket/key`.
//! * [`SecretsManagerSecrets`] — [`autoexpose_pipeline::Secrets`] on Secrets Manager,
//!   cached for a few minutes per warm container.
//! * [`SqsJobQueue`] — [`autoexpose_pipeline::JobQueue`] on SQS: refresh jobs wait there,
//!   as JSON messages delayed until their next poll.
//! * [`SqsSyncQueue`] — [`autoexpose_pipeline::SyncQueue`] on SQS: the daily sync's
//!   requests, one per integration and one per follow-up step, wait there for the worker.
//! * [`DeployedFunction`] — a stack's Lambda function invoked synchronously, for the CLI's
//!   stages that run in the deployed stack (`collections set`); feature `invoke`.
//!
//! ```no_run
//! # async fn demo() {
//! use autoexpose_aws::{DynamoStore, S3Artifacts, SecretsManagerSecrets};
//! let config = aws_config::load_from_env().await;
//! let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&config), "autoexpose");
//! let artifacts = S3Artifacts::from_sdk_config(&config);
//! let secrets = SecretsManagerSecrets::from_sdk_config(&config);
//! # let _ = (store, artifacts, secrets);
//! # }
//! ```

pub mod dynamodb;
#[cfg(feature = "invoke")]
mod lambda;
mod s3;
mod sdk_error;
mod secrets;
mod sqs;
mod sync_queue;

pub use dynamodb::{CreateTableError, DynamoStore, RUN_RETENTION_SECS, TTL_ATTRIBUTE};
#[cfg(feature = "invoke")]
pub use lambda::{DeployedFunction, Invocation, InvokeError};
pub use s3::{DEFAULT_MAX_OBJECT_BYTES, S3Artifacts, S3Uri, s3_location};
pub use secrets::{DEFAULT_CACHE_TTL, SecretsManagerSecrets};
pub use sqs::{SQS_MAX_DELAY, SqsJobQueue};
pub use sync_queue::SqsSyncQueue;

#[cfg(feature = "invoke")]
pub use aws_sdk_lambda;
/// The SDK crates, re-exported so callers build clients with the same versions.
pub use {aws_sdk_dynamodb, aws_sdk_s3, aws_sdk_secretsmanager, aws_sdk_sqs};
