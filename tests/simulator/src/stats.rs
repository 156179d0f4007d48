//! Request counters a test can read.

use std::sync::{Mutex, MutexGuard};

/// What the simulator has seen so far. Read it with [`crate::Simulator::stats`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Every request, of any kind.
    pub requests: u64,
    /// `serverinfo` requests.
    pub server_info: u64,
    /// Successful sign-ins.
    pub sign_ins: u64,
    /// Sign-ins refused (bad PAT, unknown site, bad body).
    pub failed_sign_ins: u64,
    /// Successful sign-outs.
    pub sign_outs: u64,
    /// Project listing requests.
    pub projects: u64,
    /// Metadata API (GraphQL) requests.
    pub metadata_queries: u64,
    /// Extract refresh requests (workbook or data source).
    pub refreshes: u64,
    /// Job status requests.
    pub job_polls: u64,
    /// Data quality warning requests (add, query, update, delete).
    pub quality_warnings: u64,
    /// Usage requests (the usage-stats batch method, views with their view counts).
    pub usage: u64,
    /// Requests to routes the simulator does not serve.
    pub other: u64,
    /// Requests answered with an injected 429/500/503.
    pub injected_failures: u64,
    /// Most requests being handled at the same moment.
    pub max_in_flight: u64,
    /// Request body bytes read (headers not counted).
    pub bytes_received: u64,
    /// Response body bytes sent (headers not counted; a streamed body of unknown length
    /// counts as 0).
    pub bytes_sent: u64,
}

/// The kind of route a request went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RouteKind {
    ServerInfo,
    SignIn,
    SignOut,
    Projects,
    Metadata,
    Refresh,
    Job,
    QualityWarnings,
    Usage,
    Other,
}

#[derive(Debug, Default)]
pub(crate) struct StatsCell {
    inner: Mutex<(Stats, u64)>,
}

/// Decrements the in-flight count when the request is done, however it ends.
pub(crate) struct InFlight<'a>(&'a StatsCell);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.lock().1 -= 1;
    }
}

impl StatsCell {
    fn lock(&self) -> MutexGuard<'_, (Stats, u64)> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn begin(&self, kind: RouteKind) -> InFlight<'_> {
        let mut guard = self.lock();
        let (stats, in_flight) = &mut *guard;
        *in_flight += 1;
        stats.max_in_flight = stats.max_in_flight.max(*in_flight);
        stats.requests += 1;
        match kind {
            RouteKind::ServerInfo => stats.server_info += 1,
            RouteKind::Metadata => stats.metadata_queries += 1,
            RouteKind::Projects => stats.projects += 1,
            RouteKind::Refresh => stats.refreshes += 1,
            RouteKind::Job => stats.job_polls += 1,
            RouteKind::QualityWarnings => stats.quality_warnings += 1,
            RouteKind::Usage => stats.usage += 1,
            RouteKind::Other => stats.other += 1,
            // Counted when the outcome is known.
            RouteKind::SignIn | RouteKind::SignOut => {}
        }
        InFlight(self)
    }

    pub(crate) fn record(&self, f: impl FnOnce(&mut Stats)) {
        f(&mut self.lock().0);
    }

    pub(crate) fn snapshot(&self) -> Stats {
        self.lock().0.clone()
    }

    pub(crate) fn reset(&self) {
        self.lock().0 = Stats::default();
    }
}
