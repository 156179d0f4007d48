//! What the fanned-out daily sync needs beside [`Deps`]: the sync queue, where
//! checkpoints go and how much one step of a sync may list (issue 13).

use std::sync::Arc;
use std::time::{Duration, Instant};

use autoexpose_aws::SqsSyncQueue;
use autoexpose_pipeline::{ListingBudget, StepOptions, SyncQueue};
use aws_config::{BehaviorVersion, SdkConfig};
use lambda_runtime::Context;

use crate::deps::{Deps, invocation_time_left};
use crate::settings::{ConfigError, Settings, at_least_one};

/// How long one step lists Tableau when `SYNC_STEP_SECONDS` is not set: ten of the
/// worker's fifteen minutes, leaving the rest to rematch and write.
pub const DEFAULT_STEP_LISTING: Duration = Duration::from_secs(600);
/// Time a step keeps, after listing, to rematch, write and record before the deadline.
pub const STEP_RESERVE: Duration = Duration::from_secs(180);

/// The fan-out's own settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FanoutSettings {
    /// The queue the daily sync fills and the sync worker reads (`SYNC_QUEUE_URL`,
    /// required).
    pub sync_queue_url: String,
    /// How long one step may list before it pauses at a checkpoint (`SYNC_STEP_SECONDS`,
    /// default 600).
    pub step_listing: Duration,
    /// At most this many Metadata API pages per step (`SYNC_STEP_MAX_PAGES`; unset: no
    /// limit but time). Tests set it to force continuations.
    pub step_max_pages: Option<usize>,
}

impl FanoutSettings {
    /// Settings for this queue, with the defaults for everything else.
    pub fn new(sync_queue_url: impl Into<String>) -> FanoutSettings {
        FanoutSettings {
            sync_queue_url: sync_queue_url.into(),
            step_listing: DEFAULT_STEP_LISTING,
            step_max_pages: None,
        }
    }

    /// Reads the settings through `lookup` (a variable's value, `None` when unset).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<FanoutSettings, ConfigError> {
        let read = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let url = read("SYNC_QUEUE_URL").ok_or(ConfigError::Missing("SYNC_QUEUE_URL"))?;
        let mut settings = FanoutSettings::new(url);
        if let Some(value) = read("SYNC_STEP_SECONDS") {
            let seconds = at_least_one(
                "SYNC_STEP_SECONDS",
                value,
                "it must be a whole number of seconds, at least 1",
            )?;
            settings.step_listing = Duration::from_secs(seconds as u64);
        }
        if let Some(value) = read("SYNC_STEP_MAX_PAGES") {
            settings.step_max_pages = Some(at_least_one(
                "SYNC_STEP_MAX_PAGES",
                value,
                "it must be a whole number of pages, at least 1",
            )?);
        }
        Ok(settings)
    }
}

/// [`Deps`] with the sync queue and the fan-out settings: what the daily-sync enqueuer
/// and the sync worker are built from, once per container.
#[derive(Clone)]
pub struct FanoutDeps {
    deps: Deps,
    queue: Arc<dyn SyncQueue>,
    fanout: FanoutSettings,
}

impl FanoutDeps {
    /// Wires the adapters and the SQS sync queue from an SDK configuration (tests point
    /// `config` at moto).
    pub fn new(config: &SdkConfig, settings: Settings, fanout: FanoutSettings) -> FanoutDeps {
        let queue = SqsSyncQueue::from_sdk_config(config, &fanout.sync_queue_url);
        FanoutDeps::with_queue(Deps::new(config, settings), Arc::new(queue), fanout)
    }

    /// Wires dependencies built elsewhere (another pipeline, another queue).
    pub fn with_queue(deps: Deps, queue: Arc<dyn SyncQueue>, fanout: FanoutSettings) -> FanoutDeps {
        FanoutDeps {
            deps,
            queue,
            fanout,
        }
    }

    /// Reads [`Settings`] and [`FanoutSettings`] from the process environment, and the
    /// AWS configuration of the Lambda environment.
    pub async fn from_env() -> Result<FanoutDeps, ConfigError> {
        let settings = Settings::from_env()?;
        let fanout = FanoutSettings::from_lookup(|name| std::env::var(name).ok())?;
        let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
        Ok(FanoutDeps::new(&config, settings, fanout))
    }

    /// A copy for one invocation, whose runs stop before its deadline (see
    /// [`Deps::for_invocation`]).
    pub fn for_invocation(&self, context: &Context) -> FanoutDeps {
        FanoutDeps {
            deps: self.deps.for_invocation(context),
            ..self.clone()
        }
    }

    /// The pipeline, its adapters and the settings.
    pub fn deps(&self) -> &Deps {
        &self.deps
    }

    /// The sync queue.
    pub fn sync_queue(&self) -> &dyn SyncQueue {
        self.queue.as_ref()
    }

    /// The fan-out settings.
    pub fn fanout(&self) -> &FanoutSettings {
        &self.fanout
    }

    /// How a step begun now may list: `SYNC_STEP_SECONDS` (or less, to keep
    /// [`STEP_RESERVE`] before the invocation's deadline) and `SYNC_STEP_MAX_PAGES`;
    /// checkpoints go to the artifacts bucket. A deadline already past as the step starts
    /// is ignored, as [`Deps::for_invocation`] ignores it: a zero budget would pause every
    /// step after one page.
    pub fn step_options(&self, context: &Context) -> StepOptions {
        let mut listing = self.fanout.step_listing;
        if let Some(left) = invocation_time_left(context.deadline) {
            listing = listing.min(left.saturating_sub(STEP_RESERVE));
        }
        let mut budget = ListingBudget::unlimited().with_deadline(Instant::now() + listing);
        if let Some(pages) = self.fanout.step_max_pages {
            budget = budget.with_max_pages(pages);
        }
        StepOptions {
            checkpoint_container: self.deps.settings().artifacts_bucket.clone(),
            budget,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::tests::lookup;

    fn deps_with_deadline(deadline_ms: u64) -> (FanoutDeps, Context) {
        let config = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .build();
        // Built, never called: no step is run.
        let deps = FanoutDeps::new(
            &config,
            Settings::new("unused-table"),
            FanoutSettings::new("https://sqs/sync"),
        );
        let mut context = Context::default();
        context.deadline = deadline_ms;
        (deps, context)
    }

    fn now_ms() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_millis() as u64
    }

    /// A worker with little time left lists only until the reserve before its deadline,
    /// then pauses at a checkpoint instead of being killed by Lambda mid-write.
    #[test]
    fn a_step_stops_listing_the_reserve_before_the_deadline() {
        let reserve_ms = STEP_RESERVE.as_millis() as u64;
        let (deps, context) = deps_with_deadline(now_ms() + reserve_ms + 2_000);
        let budget = deps.step_options(&context).budget;
        assert!(budget.allows(1), "two seconds of listing are left");
        std::thread::sleep(Duration::from_millis(2_500));
        assert!(!budget.allows(1), "no page may start inside the reserve");
    }

    /// cargo-lambda's emulator sends the timeout (600000) as the deadline: the step keeps
    /// its whole listing time rather than pausing after every page.
    #[test]
    fn a_deadline_already_past_at_the_start_leaves_the_step_its_listing_time() {
        let (deps, context) = deps_with_deadline(600_000);
        assert!(deps.step_options(&context).budget.allows(1));
    }

    #[test]
    fn the_queue_is_required_and_named_when_missing() {
        let err = FanoutSettings::from_lookup(lookup(&[])).expect_err("missing");
        assert_eq!(err, ConfigError::Missing("SYNC_QUEUE_URL"));
    }

    #[test]
    fn step_limits_are_read_and_bad_ones_are_named() {
        let settings = FanoutSettings::from_lookup(lookup(&[
            ("SYNC_QUEUE_URL", "https://sqs/q"),
            ("SYNC_STEP_SECONDS", "30"),
            ("SYNC_STEP_MAX_PAGES", "4"),
        ]))
        .expect("settings");
        assert_eq!(settings.step_listing, Duration::from_secs(30));
        assert_eq!(settings.step_max_pages, Some(4));
        for (name, value) in [("SYNC_STEP_SECONDS", "0"), ("SYNC_STEP_MAX_PAGES", "many")] {
            let err = FanoutSettings::from_lookup(lookup(&[
                ("SYNC_QUEUE_URL", "https://sqs/q"),
                (name, value),
            ]))
            .expect_err("refused");
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    #[test]
    fn defaults_list_for_ten_minutes_without_a_page_limit() {
        let settings = FanoutSettings::from_lookup(lookup(&[("SYNC_QUEUE_URL", "https://sqs/q")]))
            .expect("ok");
        assert_eq!(settings.step_listing, DEFAULT_STEP_LISTING);
        assert_eq!(settings.step_max_pages, None);
    }
}
