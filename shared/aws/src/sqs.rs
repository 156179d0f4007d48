//! SQS: where refresh jobs wait between two polls. Each message is one
//! [`RefreshJob`] as JSON; its `DelaySeconds` is the wait before the next poll, capped at
//! SQS's maximum of 900 seconds.

use std::time::Duration;

use crate::sdk_error::{describe, is_transient};
use autoexpose_pipeline::{JobQueue, QueueError, RefreshJob};
use aws_config::SdkConfig;
use aws_sdk_sqs::Client;

/// The longest delay SQS accepts on a message (15 minutes).
pub const SQS_MAX_DELAY: Duration = Duration::from_secs(900);

/// [`JobQueue`] on one SQS queue.
#[derive(Debug, Clone)]
pub struct SqsJobQueue {
    client: Client,
    queue_url: String,
    max_delay: Duration,
}

impl SqsJobQueue {
    /// Jobs sent to the queue at `queue_url` through `client`.
    pub fn new(client: Client, queue_url: impl Into<String>) -> SqsJobQueue {
        SqsJobQueue {
            client,
            queue_url: queue_url.into(),
            max_delay: SQS_MAX_DELAY,
        }
    }

    /// Jobs sent through a client built from `config`.
    pub fn from_sdk_config(config: &SdkConfig, queue_url: impl Into<String>) -> SqsJobQueue {
        SqsJobQueue::new(Client::new(config), queue_url)
    }

    /// Caps every delay at `max_delay` (at most [`SQS_MAX_DELAY`]); tests use a short cap
    /// so the next poll's message is visible at once.
    pub fn with_max_delay(mut self, max_delay: Duration) -> SqsJobQueue {
        self.max_delay = max_delay.min(SQS_MAX_DELAY);
        self
    }

    /// The queue's URL.
    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }
}

// Whole seconds of `delay`, rounded up, capped at `max` (and SQS's maximum).
fn delay_seconds(delay: Duration, max: Duration) -> i32 {
    let capped = delay.min(max).min(SQS_MAX_DELAY);
    let mut seconds = capped.as_secs();
    if capped.subsec_nanos() > 0 {
        seconds += 1;
    }
    i32::try_from(seconds.min(SQS_MAX_DELAY.as_secs())).unwrap_or(900)
}

#[async_trait::async_trait]
impl JobQueue for SqsJobQueue {
    async fn enqueue(&self, job: &RefreshJob, delay: Duration) -> Result<(), QueueError> {
        let body = serde_json::to_string(job).map_err(|e| {
            QueueError::Rejected(
                format!("job {} could not be written as JSON: {e}", job.job_id).into(),
            )
        })?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .delay_seconds(delay_seconds(delay, self.max_delay))
            .send()
            .await
            .map_err(|err| {
                let message = format!(
                    "could not send refresh job {} of integration '{}' to SQS queue {}: {}; \
                     check that the queue exists and the function's role may call sqs:SendMessage on it",
                    job.job_id,
                    job.integration_id,
                    self.queue_url,
                    describe(&err)
                );
                if is_transient(&err) {
                    QueueError::Unavailable(message.into())
                } else {
                    QueueError::Rejected(message.into())
                }
            })?;
        tracing::debug!(job_id = %job.job_id, attempt = job.attempt, "refresh job queued");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_are_whole_seconds_rounded_up_and_capped_at_the_sqs_maximum() {
        assert_eq!(delay_seconds(Duration::from_secs(60), SQS_MAX_DELAY), 60);
        assert_eq!(delay_seconds(Duration::from_millis(1500), SQS_MAX_DELAY), 2);
        assert_eq!(delay_seconds(Duration::from_secs(3600), SQS_MAX_DELAY), 900);
        assert_eq!(delay_seconds(Duration::from_secs(120), Duration::ZERO), 0);
        assert_eq!(
            delay_seconds(Duration::from_secs(120), Duration::from_secs(5000)),
            120
        );
    }

    #[test]
    fn a_cap_above_the_sqs_maximum_is_lowered_to_it() {
        let config = aws_sdk_sqs::Config::builder()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            .build();
        let queue = SqsJobQueue::new(Client::from_conf(config), "https://sqs/q")
            .with_max_delay(Duration::from_secs(4000));
        assert_eq!(queue.max_delay, SQS_MAX_DELAY);
    }
}
