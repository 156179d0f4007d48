//! SQS: where the daily sync's requests wait for the sync worker. Each message is one
//! [`SyncRequest`] as JSON; they are sent with `SendMessageBatch`, ten at a time.

use crate::sdk_error::{describe, is_transient};
use autoexpose_pipeline::{QueueError, SyncQueue, SyncRequest};
use aws_config::SdkConfig;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

/// The most entries SQS takes in one `SendMessageBatch`.
const BATCH: usize = 10;

/// [`SyncQueue`] on one SQS queue.
#[derive(Debug, Clone)]
pub struct SqsSyncQueue {
    client: Client,
    queue_url: String,
}

impl SqsSyncQueue {
    /// Requests sent to the queue at `queue_url` through `client`.
    pub fn new(client: Client, queue_url: impl Into<String>) -> SqsSyncQueue {
        SqsSyncQueue {
            client,
            queue_url: queue_url.into(),
        }
    }

    /// Requests sent through a client built from `config`.
    pub fn from_sdk_config(config: &SdkConfig, queue_url: impl Into<String>) -> SqsSyncQueue {
        SqsSyncQueue::new(Client::new(config), queue_url)
    }

    /// The queue's URL.
    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    async fn send_batch(&self, batch: &[SyncRequest]) -> Result<(), QueueError> {
        let mut entries = Vec::with_capacity(batch.len());
        for (index, request) in batch.iter().enumerate() {
            let entry = SendMessageBatchRequestEntry::builder()
                .id(index.to_string())
                .message_body(request.to_json())
                .build()
                .map_err(|e| {
                    QueueError::Rejected(format!("a sync request could not be built: {e}").into())
                })?;
            entries.push(entry);
        }
        let reply = self
            .client
            .send_message_batch()
            .queue_url(&self.queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|err| {
                let ids: Vec<&str> = batch.iter().map(|r| r.integration_id.as_str()).collect();
                let message = format!(
                    "could not send the sync requests of integrations {} to SQS queue {}: {}; \
                     check that the queue exists and the function's role may call sqs:SendMessage on it",
                    ids.join(", "),
                    self.queue_url,
                    describe(&err)
                );
                if is_transient(&err) {
                    QueueError::Unavailable(message.into())
                } else {
                    QueueError::Rejected(message.into())
                }
            })?;
        let failed = reply.failed();
        if failed.is_empty() {
            return Ok(());
        }
        let mut names = Vec::new();
        let mut transient = true;
        for entry in failed {
            let request = entry.id().parse::<usize>().ok().and_then(|i| batch.get(i));
            let id = request.map_or("?", |r| r.integration_id.as_str());
            names.push(format!(
                "'{id}' ({}: {})",
                entry.code(),
                entry.message().unwrap_or("")
            ));
            transient &= !entry.sender_fault();
        }
        let message = format!(
            "SQS queue {} refused the sync requests of integrations {}",
            self.queue_url,
            names.join(", ")
        );
        Err(if transient {
            QueueError::Unavailable(message.into())
        } else {
            QueueError::Rejected(message.into())
        })
    }
}

#[async_trait::async_trait]
impl SyncQueue for SqsSyncQueue {
    async fn send(&self, requests: &[SyncRequest]) -> Result<(), QueueError> {
        for batch in requests.chunks(BATCH) {
            self.send_batch(batch).await?;
        }
        tracing::debug!(requests = requests.len(), queue = %self.queue_url, "sync requests queued");
        Ok(())
    }
}
