//! Where the steps of a fanned-out sync wait for a worker.

use async_trait::async_trait;

use crate::SyncRequest;
use crate::ports::QueueError;

/// Where sync requests wait for the sync worker (SQS in AWS): one per integration from
/// the daily schedule, and one per follow-up step of a sync too large for one invocation.
#[async_trait]
pub trait SyncQueue: Send + Sync {
    /// Hands over the requests; an error names those the queue did not take.
    async fn send(&self, requests: &[SyncRequest]) -> Result<(), QueueError>;
}
