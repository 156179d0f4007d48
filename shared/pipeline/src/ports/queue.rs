//! Where refresh jobs wait between polls.

use async_trait::async_trait;
use std::time::Duration;

use crate::BoxError;
use crate::records::RefreshJob;

/// What went wrong handing a job to the queue, by kind. The source names the queue and why.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The queue could not be reached or throttled; a retry may succeed.
    #[error(transparent)]
    Unavailable(BoxError),
    /// The queue refused the message (permissions, a missing queue); a person must act.
    #[error(transparent)]
    Rejected(BoxError),
}

/// Where refresh jobs wait until they are polled again (SQS in AWS).
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Hands over a job to poll after `delay`.
    async fn enqueue(&self, job: &RefreshJob, delay: Duration) -> Result<(), QueueError>;
}
