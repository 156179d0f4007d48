//! The ports: the small traits the pipeline talks to the world through. Adapters (SQLite,
//! DynamoDB, S3, Secrets Manager, SQS, the Tableau client) implement them; the pipeline
//! names none of their types, and holds each as a trait object so one binary can choose
//! its adapters at run time.
//!
//! Each port's error says what kind of failure it is, and so whether a retry can help
//! (`is_retryable`); the adapter's own error is kept as the source.

mod artifacts;
mod bi;
mod clock;
mod queue;
mod secrets;
mod store;
mod sync_queue;

pub use artifacts::{ArtifactError, ArtifactLocation, ArtifactReader, Artifacts};
pub use bi::{
    BiError, BiTool, ColumnLineage, JobState, ProjectNode, RefreshReply, ResolvedCollection,
    TableauCollectionNode, TableauCollections, UsageReport, WarningChange, WarningReply,
    WarningText,
};
pub use clock::{Clock, SystemClock, format_timestamp, timestamp_after};
pub use queue::{JobQueue, QueueError};
pub use secrets::{Secret, SecretError, Secrets};
pub use store::{
    BoxError, ExposureStore, IntegrationStore, LeaseStore, ManifestStore, RefreshStore,
    ResultsStore, RunStore, SnapshotStore, Store, StoreError,
};
pub use sync_queue::SyncQueue;
