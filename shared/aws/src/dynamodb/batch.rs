//! `BatchWriteItem` in batches of 25, retrying `UnprocessedItems` with backoff.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::WriteRequest;

/// DynamoDB's maximum number of requests in one `BatchWriteItem`.
pub(crate) const BATCH_SIZE: usize = 25;

/// How often unprocessed items are retried before giving up.
const MAX_RETRIES: u32 = 8;

/// What went wrong in a batch write.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BatchError {
    /// DynamoDB refused the request.
    #[error("DynamoDB table '{table}': BatchWriteItem failed: {message}")]
    Request {
        /// The table.
        table: String,
        /// DynamoDB's error, with its context.
        message: String,
    },
    /// Throttling left items unwritten after every retry.
    #[error(
        "DynamoDB table '{table}': {left} items were still unprocessed after {MAX_RETRIES} retries \
         (throttled); run again later or raise the table's capacity"
    )]
    Unprocessed {
        /// The table.
        table: String,
        /// How many items were left.
        left: usize,
    },
}

/// Writes every request, 25 at a time.
pub(crate) async fn write_all(
    client: &Client,
    table: &str,
    requests: Vec<WriteRequest>,
) -> Result<(), BatchError> {
    let mut requests = requests;
    while !requests.is_empty() {
        let rest = requests.split_off(requests.len().min(BATCH_SIZE));
        write_one_batch(client, table, requests).await?;
        requests = rest;
    }
    Ok(())
}

async fn write_one_batch(
    client: &Client,
    table: &str,
    mut pending: Vec<WriteRequest>,
) -> Result<(), BatchError> {
    let mut attempt = 0;
    loop {
        let out = client
            .batch_write_item()
            .request_items(table, pending)
            .send()
            .await
            .map_err(|e| BatchError::Request {
                table: table.to_string(),
                message: crate::sdk_error::describe(&e),
            })?;
        pending = out
            .unprocessed_items
            .and_then(|mut left| left.remove(table))
            .unwrap_or_default();
        if pending.is_empty() {
            return Ok(());
        }
        if attempt == MAX_RETRIES {
            return Err(BatchError::Unprocessed {
                table: table.to_string(),
                left: pending.len(),
            });
        }
        tracing::debug!(
            table,
            left = pending.len(),
            attempt,
            "DynamoDB left items unprocessed; retrying after a backoff"
        );
        tokio::time::sleep(backoff(attempt)).await;
        attempt += 1;
    }
}

/// 50 ms, 100 ms, 200 ms, ... capped at 5 s.
fn backoff(attempt: u32) -> Duration {
    let millis = 50u64.saturating_mul(1 << attempt.min(16));
    Duration::from_millis(millis.min(5_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(0), Duration::from_millis(50));
        assert_eq!(backoff(1), Duration::from_millis(100));
        assert_eq!(backoff(3), Duration::from_millis(400));
        assert_eq!(backoff(12), Duration::from_secs(5));
    }
}
