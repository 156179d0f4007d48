//! [`Stop`]: when a run gives up its work early, so that it can still record itself and
//! release its lease instead of dying with it.
//!
//! A person pressing Ctrl-C, a SIGTERM, and a Lambda function whose time is nearly up all
//! end the same way: the work in flight (a Tableau listing, a refresh) is dropped, the run
//! is recorded with the reason, and the lease is released, so the next run need not wait
//! for it to lapse.

use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// When to stop: on a signal (a cancelled token), at a deadline, both, or never (the
/// default).
#[derive(Debug, Clone, Default)]
pub struct Stop {
    signal: Option<(CancellationToken, String)>,
    deadline: Option<(Instant, String)>,
}

impl Stop {
    /// Never stops early.
    pub fn never() -> Stop {
        Stop::default()
    }

    /// Stops when `token` is cancelled; `reason` says why in the run's record, e.g.
    /// "interrupted (Ctrl-C)".
    pub fn on(mut self, token: CancellationToken, reason: impl Into<String>) -> Stop {
        self.signal = Some((token, reason.into()));
        self
    }

    /// Stops at `deadline`; `reason` says why in the run's record.
    pub fn at(mut self, deadline: Instant, reason: impl Into<String>) -> Stop {
        self.deadline = Some((deadline, reason.into()));
        self
    }

    /// Stops `margin` before a deadline `remaining` from now (a Lambda function's time
    /// left), leaving that margin to record the run and release the lease.
    pub fn before(self, remaining: Duration, margin: Duration) -> Stop {
        let left = remaining.saturating_sub(margin);
        self.at(
            Instant::now() + left,
            format!(
                "stopped {} s before the function's timeout, to record the run and release the lease",
                margin.as_secs()
            ),
        )
    }

    /// Whether a stop was already asked for.
    pub fn is_requested(&self) -> bool {
        self.signal.as_ref().is_some_and(|(t, _)| t.is_cancelled())
            || self
                .deadline
                .as_ref()
                .is_some_and(|(at, _)| Instant::now() >= *at)
    }

    /// Waits until a stop is asked for and says why; pending for ever if it never is.
    pub(crate) async fn requested(&self) -> String {
        // A timer already past its deadline still waits for the timer's next tick; a stop
        // already due is said at once.
        if let Some((token, reason)) = &self.signal
            && token.is_cancelled()
        {
            return reason.clone();
        }
        if let Some((at, reason)) = &self.deadline
            && Instant::now() >= *at
        {
            return reason.clone();
        }
        let signal = async {
            match &self.signal {
                Some((token, reason)) => {
                    token.cancelled().await;
                    reason.clone()
                }
                None => std::future::pending().await,
            }
        };
        let deadline = async {
            match &self.deadline {
                Some((at, reason)) => {
                    tokio::time::sleep_until(*at).await;
                    reason.clone()
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            reason = signal => reason,
            reason = deadline => reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_cancelled_token_stops_with_its_reason() {
        let token = CancellationToken::new();
        let stop = Stop::never().on(token.clone(), "interrupted (Ctrl-C)");
        assert!(!stop.is_requested());
        token.cancel();
        assert!(stop.is_requested());
        assert_eq!(stop.requested().await, "interrupted (Ctrl-C)");
    }

    #[tokio::test]
    async fn a_deadline_stops_once_it_passes() {
        let stop = Stop::never().before(Duration::from_millis(10_020), Duration::from_secs(10));
        let reason = stop.requested().await;
        assert!(
            reason.contains("10 s before the function's timeout"),
            "{reason}"
        );
        assert!(stop.is_requested());
    }

    #[tokio::test]
    async fn less_time_left_than_the_margin_stops_at_once() {
        let stop = Stop::never().before(Duration::from_secs(3), Duration::from_secs(10));
        assert!(stop.is_requested());
    }
}
