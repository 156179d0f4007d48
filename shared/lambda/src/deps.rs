//! The pipeline wired to its AWS adapters, built once per container.

use autoexpose_aws::{DynamoStore, S3Artifacts, SecretsManagerSecrets, SqsJobQueue};
use autoexpose_pipeline::Pipeline;
use autoexpose_pipeline::Stop;
use autoexpose_tableau_bi::TableauHttp;
use aws_config::{BehaviorVersion, SdkConfig};
use lambda_runtime::Context;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::settings::{ConfigError, Settings};

/// How long before an invocation's deadline its runs stop, to record themselves and
/// release their leases.
pub const STOP_MARGIN: Duration = Duration::from_secs(10);

/// Time left until a Lambda deadline (milliseconds since the Unix epoch); `None` for no
/// deadline (0).
pub(crate) fn time_left(deadline_ms: u64) -> Option<Duration> {
    if deadline_ms == 0 {
        return None;
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Some(Duration::from_millis(deadline_ms).saturating_sub(now))
}

/// The time an invocation may use, as it starts: `None` when its context gives no usable
/// deadline, either none (`0`, a unit test's `Context::default()`) or one already past
/// (emulators send the timeout where the runtime API says epoch milliseconds).
pub(crate) fn invocation_time_left(deadline_ms: u64) -> Option<Duration> {
    time_left(deadline_ms).filter(|left| !left.is_zero())
}

/// The pipeline as every function runs it: DynamoDB, S3, Secrets Manager and real Tableau
/// in AWS; any adapters in a handler's unit test.
pub type FunctionPipeline = Pipeline;

/// What a handler needs: the pipeline, the refresh job queue and the settings. Build it
/// once per container (outside the handler) so SDK clients, their connection pools and
/// the Secrets Manager cache live across invocations; [`Deps::for_invocation`] gives
/// each invocation a copy (sharing the clients) that stops before the function's timeout.
#[derive(Clone)]
pub struct Deps {
    pipeline: FunctionPipeline,
    job_queue: Option<SqsJobQueue>,
    settings: Settings,
}

impl Deps {
    /// Wires the adapters from an SDK configuration and explicit settings (tests point
    /// `config` at moto).
    pub fn new(config: &SdkConfig, settings: Settings) -> Deps {
        let store = DynamoStore::from_sdk_config(config, &settings.table_name);
        let pipeline = Pipeline::new(
            store,
            S3Artifacts::from_sdk_config(config),
            SecretsManagerSecrets::from_sdk_config(config),
            TableauHttp::new(settings.tableau.clone()),
        )
        // The Lambda flow writes the dbt YAML and the lineage page beside the manifest.
        .with_publishing()
        .with_orchestration(settings.orchestration.clone());
        let job_queue = settings.refresh_queue_url.as_ref().map(|url| {
            SqsJobQueue::from_sdk_config(config, url).with_max_delay(settings.refresh_max_delay)
        });
        Deps {
            pipeline,
            job_queue,
            settings,
        }
    }

    /// Wires a pipeline built elsewhere (other lease timings, another clock); no job
    /// queue unless [`Deps::with_job_queue`] adds one.
    pub fn with_pipeline(pipeline: FunctionPipeline, settings: Settings) -> Deps {
        Deps {
            pipeline,
            job_queue: None,
            settings,
        }
    }

    /// Replaces the refresh job queue (tests aim it at another queue).
    pub fn with_job_queue(mut self, job_queue: SqsJobQueue) -> Deps {
        self.job_queue = Some(job_queue);
        self
    }

    /// Reads [`Settings::from_env`] and the AWS configuration of the Lambda environment
    /// (region and role credentials).
    pub async fn from_env() -> Result<Deps, ConfigError> {
        let settings = Settings::from_env()?;
        let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
        Ok(Deps::new(&config, settings))
    }

    /// A copy for one invocation whose runs stop [`STOP_MARGIN`] before the invocation's
    /// deadline, so that a run cut short still records itself and releases its lease
    /// instead of being killed holding it. A context without a deadline (a unit test's
    /// `Context::default()`) never stops early, and neither does one whose deadline has
    /// already passed as the invocation starts: Lambda never sends one, but emulators do
    /// (cargo-lambda's sends the timeout, `600000`, where the runtime API says epoch
    /// milliseconds), and stopping every run at once would make the function useless.
    pub fn for_invocation(&self, context: &Context) -> Deps {
        let mut deps = self.clone();
        match time_left(context.deadline) {
            Some(Duration::ZERO) => tracing::warn!(
                deadline_ms = context.deadline,
                "the invocation's deadline has already passed as it starts; it is ignored, \
                 and runs stop only at the function's timeout"
            ),
            Some(remaining) => {
                deps.pipeline = deps
                    .pipeline
                    .with_stop(Stop::never().before(remaining, STOP_MARGIN));
            }
            None => {}
        }
        deps
    }

    /// The pipeline.
    pub fn pipeline(&self) -> &FunctionPipeline {
        &self.pipeline
    }

    /// The queue refresh jobs wait on between polls; an error naming `REFRESH_QUEUE_URL`
    /// when it is not configured.
    pub fn job_queue(&self) -> Result<&SqsJobQueue, ConfigError> {
        self.job_queue
            .as_ref()
            .ok_or(ConfigError::Missing("REFRESH_QUEUE_URL"))
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_context_without_deadline_gives_no_time_limit() {
        assert_eq!(time_left(0), None);
    }

    #[test]
    fn time_left_counts_down_to_the_deadline_and_not_below_zero() {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_millis() as u64;
        let left = time_left(now_ms + 60_000).expect("a deadline");
        assert!(left <= Duration::from_secs(60) && left > Duration::from_secs(50));
        assert_eq!(time_left(now_ms - 5_000), Some(Duration::ZERO));
    }

    /// cargo-lambda's emulator sends the timeout (600000) as the deadline; a deadline
    /// already past as the invocation starts must not stop every run at once.
    #[tokio::test]
    async fn a_deadline_already_past_at_the_start_does_not_stop_the_runs() {
        use autoexpose_pipeline::Trigger;
        use autoexpose_pipeline::testsuite::memory_pipeline;
        let (pipeline, _store) = memory_pipeline(&["p-fin"]).await;
        let deps = Deps::with_pipeline(pipeline, Settings::new("unused-table"));
        let mut context = Context::default();
        context.deadline = 600_000;
        let run = deps
            .for_invocation(&context)
            .pipeline()
            .sync_integration("acme", Trigger::Schedule)
            .await
            .expect("synced, not stopped");
        assert!(run.error.is_none(), "{run:?}");
    }
}
