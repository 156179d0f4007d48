//! Faults a test can switch on while the simulator runs.

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// An HTTP failure answered instead of the real response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpFailure {
    /// `429` with Tableau's error body (code `429000`) and, if given, `Retry-After: <seconds>`.
    TooManyRequests {
        /// Seconds for the `Retry-After` header; `None` sends no header.
        retry_after: Option<u64>,
    },
    /// `500` with Tableau's XML/JSON error body (code `500000`).
    InternalServerError,
    /// `503` with an HTML page, as a gateway sends it.
    ServiceUnavailable,
    /// `401` with an HTML page and `WWW-Authenticate: Basic`, as a proxy in front of
    /// Tableau sends it when it wants its own sign-in: not Tableau's JSON at all.
    GatewayUnauthorized,
    /// `401` with an HTML page that echoes the request's headers and body back, as a
    /// debugging proxy does: the page then holds whatever secret the request carried.
    EchoingProxy,
    /// `status` with a JSON-looking body of `bytes` bytes sent in 64 KiB chunks, without a
    /// `Content-Length`; `None` never ends (a runaway server or a stuck proxy).
    HugeBody {
        /// HTTP status, e.g. 200 (or 500 for a huge error body).
        status: u16,
        /// Body length; `None` streams until the client hangs up.
        bytes: Option<u64>,
    },
    /// Reads the request and never answers, until the client gives up or the simulator
    /// shuts down (a server that accepts connections and hangs).
    Silent,
}

impl std::str::FromStr for HttpFailure {
    type Err = String;

    /// Reads a failure as the `tableau-sim` command line names it: `429` (or `429@SECONDS`
    /// for a `Retry-After`), `500`, `503`, `proxy-401`, `echo-401`, `silent`, or
    /// `huge@STATUS@BYTES` (a huge body; `huge@STATUS` never ends).
    fn from_str(text: &str) -> Result<HttpFailure, String> {
        let number = |part: &str, what: &str| {
            part.parse::<u64>()
                .map_err(|_| format!("'{part}' in failure '{text}' is not a {what}"))
        };
        let parts: Vec<&str> = text.split('@').collect();
        match parts.as_slice() {
            ["429"] => Ok(HttpFailure::TooManyRequests { retry_after: None }),
            ["429", seconds] => Ok(HttpFailure::TooManyRequests {
                retry_after: Some(number(seconds, "number of seconds")?),
            }),
            ["500"] => Ok(HttpFailure::InternalServerError),
            ["503"] => Ok(HttpFailure::ServiceUnavailable),
            ["proxy-401"] => Ok(HttpFailure::GatewayUnauthorized),
            ["echo-401"] => Ok(HttpFailure::EchoingProxy),
            ["silent"] => Ok(HttpFailure::Silent),
            ["huge", status, rest @ ..] if rest.len() <= 1 => Ok(HttpFailure::HugeBody {
                status: u16::try_from(number(status, "HTTP status")?)
                    .map_err(|_| format!("'{status}' in failure '{text}' is not an HTTP status"))?,
                bytes: match rest.first() {
                    Some(bytes) => Some(number(bytes, "number of bytes")?),
                    None => None,
                },
            }),
            _ => Err(format!(
                "unknown failure '{text}': expected 429, 429@SECONDS, 500, 503, proxy-401, \
                 echo-401, silent, huge@STATUS or huge@STATUS@BYTES"
            )),
        }
    }
}

/// Where the knobs live; see [`Faults`] for what each does.
#[derive(Debug)]
struct FaultState {
    latency: Duration,
    latency_jitter: Duration,
    bandwidth: Option<u64>,
    failure: Option<(HttpFailure, u32)>,
    tokens_expired_at: Option<Instant>,
    revoked_pats: HashSet<String>,
    expired_pats: HashSet<String>,
    session_idle_timeout: Option<Duration>,
    metadata_disabled: bool,
    node_limit: usize,
    rate_exceeded_left: u32,
    timeout_above_first: Option<usize>,
    backfill_running: bool,
    field_lineage_unavailable: bool,
}

/// Shared, runtime-changeable fault switches. Get it from [`crate::Simulator::faults`].
///
/// ```no_run
/// # async fn demo(sim: tableau_sim::Simulator) {
/// use tableau_sim::HttpFailure;
/// sim.faults().fail_next(2, HttpFailure::TooManyRequests { retry_after: Some(1) });
/// sim.faults().set_node_limit(50);
/// # }
/// ```
#[derive(Debug)]
pub struct Faults {
    state: Mutex<FaultState>,
    default_node_limit: usize,
}

impl Faults {
    pub(crate) fn new(node_limit: usize) -> Faults {
        Faults {
            state: Mutex::new(FaultState {
                latency: Duration::ZERO,
                latency_jitter: Duration::ZERO,
                bandwidth: None,
                failure: None,
                tokens_expired_at: None,
                revoked_pats: HashSet::new(),
                expired_pats: HashSet::new(),
                session_idle_timeout: None,
                metadata_disabled: false,
                node_limit,
                rate_exceeded_left: 0,
                timeout_above_first: None,
                backfill_running: false,
                field_lineage_unavailable: false,
            }),
            default_node_limit: node_limit,
        }
    }

    fn lock(&self) -> MutexGuard<'_, FaultState> {
        // A panicking test thread must not take the simulator down with it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Delays every request by `latency` before it is answered.
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    /// Adds to each request's latency a further delay drawn uniformly from `0..=jitter`,
    /// as a real network's round trips vary; zero (the default) turns it off.
    pub fn set_latency_jitter(&self, jitter: Duration) {
        self.lock().latency_jitter = jitter;
    }

    /// Limits how fast bodies travel, in bytes per second: each request waits
    /// `(request body + response body) / bytes_per_second` more before its answer is
    /// sent, so a large page costs more than a small one. `None` (the default) is
    /// unlimited. The wait is one delay per request, not a paced stream.
    pub fn set_bandwidth(&self, bytes_per_second: Option<u64>) {
        self.lock().bandwidth = bytes_per_second.filter(|b| *b > 0);
    }

    /// The next `count` requests (REST or Metadata) answer `failure` instead.
    pub fn fail_next(&self, count: u32, failure: HttpFailure) {
        self.lock().failure = (count > 0).then_some((failure, count));
    }

    /// Every token issued so far stops working now (next call gets 401002).
    pub fn expire_all_tokens(&self) {
        self.lock().tokens_expired_at = Some(Instant::now());
    }

    /// Revokes the PAT with this name: sign-in fails with 401001 and its live tokens die.
    pub fn revoke_pat(&self, name: &str) {
        self.lock().revoked_pats.insert(name.to_string());
    }

    /// Expires the PAT with this name, as its expiry date passing does: sign-in fails with
    /// 401001 (the same answer as for a revoked or wrong token), but sessions it already
    /// holds live on until they end by themselves.
    pub fn expire_pat(&self, name: &str) {
        self.lock().expired_pats.insert(name.to_string());
    }

    /// Ends sessions that go unused for longer than `timeout` (Tableau Server's
    /// `wgserver.session.idle_limit`, 240 minutes by default): their next call gets 401002.
    /// Each accepted call restarts the idle clock. `None` turns it off.
    pub fn set_session_idle_timeout(&self, timeout: Option<Duration>) {
        self.lock().session_idle_timeout = timeout;
    }

    /// Switches the Metadata API off (`FEATURE_DISABLED`, `data: null`) or back on.
    pub fn set_metadata_disabled(&self, disabled: bool) {
        self.lock().metadata_disabled = disabled;
    }

    /// Sets the Metadata API node limit (default from [`crate::SimConfig::node_limit`]).
    pub fn set_node_limit(&self, limit: usize) {
        self.lock().node_limit = limit;
    }

    /// The next `count` Metadata API queries get a `RATE_EXCEEDED` error.
    pub fn rate_limit_next_metadata(&self, count: u32) {
        self.lock().rate_exceeded_left = count;
    }

    /// Queries asking a connection for more than `first` nodes time out
    /// (`Reached time limit of PT5S for query execution.`, partial data); `None` turns it off.
    pub fn set_metadata_timeout_above(&self, first: Option<usize>) {
        self.lock().timeout_above_first = first;
    }

    /// Marks the Metadata API as still building its index (after `tsm maintenance
    /// metadata-services enable`, or a re-index): every query answers its data with a
    /// `BACKFILL_RUNNING` warning, as the data may be incomplete.
    pub fn set_metadata_backfill_running(&self, running: bool) {
        self.lock().backfill_running = running;
    }

    /// Answers every query that asks for field lineage (`upstreamColumns`) with the
    /// validation error of a server whose schema lacks it, as older Tableau Servers do;
    /// other queries are answered as usual.
    pub fn set_field_lineage_unavailable(&self, unavailable: bool) {
        self.lock().field_lineage_unavailable = unavailable;
    }

    /// Turns every fault off and restores the configured node limit.
    pub fn clear(&self) {
        let mut state = self.lock();
        *state = FaultState {
            latency: Duration::ZERO,
            latency_jitter: Duration::ZERO,
            bandwidth: None,
            failure: None,
            tokens_expired_at: state.tokens_expired_at,
            revoked_pats: HashSet::new(),
            expired_pats: HashSet::new(),
            session_idle_timeout: None,
            metadata_disabled: false,
            node_limit: self.default_node_limit,
            rate_exceeded_left: 0,
            timeout_above_first: None,
            backfill_running: false,
            field_lineage_unavailable: false,
        };
    }

    /// This request's latency: the fixed part plus a fresh draw of the jitter.
    pub(crate) fn latency(&self) -> Duration {
        let (fixed, jitter) = {
            let state = self.lock();
            (state.latency, state.latency_jitter)
        };
        fixed + crate::util::random_duration_up_to(jitter)
    }

    /// How long `bytes` take to travel at the configured bandwidth (zero when unlimited).
    pub(crate) fn transfer_time(&self, bytes: u64) -> Duration {
        match self.lock().bandwidth {
            Some(per_second) => Duration::from_secs_f64(bytes as f64 / per_second as f64),
            None => Duration::ZERO,
        }
    }

    pub(crate) fn take_failure(&self) -> Option<HttpFailure> {
        let mut state = self.lock();
        let (failure, left) = state.failure?;
        state.failure = (left > 1).then_some((failure, left - 1));
        Some(failure)
    }

    pub(crate) fn token_expired(&self, issued: Instant) -> bool {
        self.lock().tokens_expired_at.is_some_and(|at| issued <= at)
    }

    pub(crate) fn pat_revoked(&self, name: &str) -> bool {
        self.lock().revoked_pats.contains(name)
    }

    pub(crate) fn pat_expired(&self, name: &str) -> bool {
        self.lock().expired_pats.contains(name)
    }

    pub(crate) fn session_idle_timeout(&self) -> Option<Duration> {
        self.lock().session_idle_timeout
    }

    pub(crate) fn metadata_disabled(&self) -> bool {
        self.lock().metadata_disabled
    }

    pub(crate) fn node_limit(&self) -> usize {
        self.lock().node_limit
    }

    pub(crate) fn take_rate_exceeded(&self) -> bool {
        let mut state = self.lock();
        if state.rate_exceeded_left == 0 {
            return false;
        }
        state.rate_exceeded_left -= 1;
        true
    }

    pub(crate) fn backfill_running(&self) -> bool {
        self.lock().backfill_running
    }

    pub(crate) fn field_lineage_unavailable(&self) -> bool {
        self.lock().field_lineage_unavailable
    }

    pub(crate) fn timeout_above_first(&self) -> Option<usize> {
        self.lock().timeout_above_first
    }
}
