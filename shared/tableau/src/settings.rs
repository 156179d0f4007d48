//! What the client needs to know: where Tableau is, which site, which token, and how
//! patient to be.

use std::fmt;
use std::time::Duration;

use crate::error::TableauError;

/// The secret of a Tableau personal access token.
///
/// It prints as `***` in `Debug` and `Display`; only [`TokenSecret::expose_for_sign_in`]
/// gives the value, for the one request body that needs it.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSecret(String);

impl TokenSecret {
    /// Wraps a secret read from a secret store or the environment.
    pub fn new(secret: impl Into<String>) -> TokenSecret {
        TokenSecret(secret.into())
    }

    /// The secret itself, for the sign-in request body and nothing else.
    pub fn expose_for_sign_in(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A signed-in session's `X-Tableau-Auth` token; never printed.
#[derive(Clone)]
pub(crate) struct SessionToken(String);

impl SessionToken {
    pub(crate) fn new(token: String) -> SessionToken {
        SessionToken(token)
    }

    /// The token for the `X-Tableau-Auth` header.
    pub(crate) fn expose_for_header(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where and as whom to connect: one Tableau site and one personal access token.
///
/// Its `Debug` shows the server URL through [`redact_server_url`] and never the secret.
#[derive(Clone)]
pub struct ConnectionSettings {
    /// A host (`10az.online.tableau.com`, https implied), `host:port`, or a full URL
    /// with scheme and port (`http://localhost:8080` for a local server).
    pub server_url: String,
    /// The site's content URL (the part after `#/site/`); empty for the Default site.
    pub site: String,
    /// The personal access token's name.
    pub token_name: String,
    /// The personal access token's secret.
    pub token_secret: TokenSecret,
}

impl fmt::Debug for ConnectionSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionSettings")
            .field("server_url", &redact_server_url(&self.server_url))
            .field("site", &self.site)
            .field("token_name", &self.token_name)
            .field("token_secret", &self.token_secret)
            .finish()
    }
}

/// Checks a server URL as the client will read it: a host, `host:port` or an http(s)
/// URL, without a user name or password. Call it where a person gives a server URL, so a
/// bad one is refused before it is stored.
pub fn check_server_url(server_url: &str) -> Result<(), TableauError> {
    crate::transport::parse_server_url(server_url).map(|_| ())
}

/// The server URL with any user name and password replaced by `***`, for messages, logs
/// and `Debug` (records stored by older versions may hold such a URL).
///
/// Everything up to the last `@` before any `?` or `#` is taken as user info, so a
/// password holding `/` does not show either.
pub fn redact_server_url(server_url: &str) -> String {
    match split_user_info(server_url) {
        Some((scheme, after_at)) => format!("{scheme}***@{after_at}"),
        None => server_url.to_string(),
    }
}

/// The server URL without user info, for links a person opens.
pub(crate) fn strip_user_info(server_url: &str) -> String {
    match split_user_info(server_url) {
        Some((scheme, after_at)) => format!("{scheme}{after_at}"),
        None => server_url.to_string(),
    }
}

/// `(scheme://, what follows the user info's '@')` when the URL carries user info.
fn split_user_info(server_url: &str) -> Option<(&str, &str)> {
    let start = server_url.find("://").map_or(0, |i| i + 3);
    let (scheme, rest) = server_url.split_at(start);
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    let at = rest[..end].rfind('@')?;
    Some((scheme, &rest[at + 1..]))
}

/// How failed requests are retried: capped exponential backoff with jitter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (so `max_retries + 1` attempts in all).
    pub max_retries: u32,
    /// Delay before the first retry; doubled for each further retry.
    pub base_delay: Duration,
    /// Longest delay between two attempts, before jitter.
    pub max_delay: Duration,
    /// Longest wait that a `Retry-After` header can ask for.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (0-based), honouring `Retry-After` when given.
    pub(crate) fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wanted) = retry_after {
            return wanted.min(self.max_retry_after);
        }
        let factor = 2u32.saturating_pow(retry.min(20));
        let capped = self.base_delay.saturating_mul(factor).min(self.max_delay);
        // Half fixed, half random: spreads retries of concurrent requests apart.
        let half = capped / 2;
        let jitter_nanos = fastrand::u64(0..=half.as_nanos().min(u64::MAX as u128) as u64);
        half + Duration::from_nanos(jitter_nanos)
    }
}

/// Tuning of the client; the defaults suit Tableau Cloud.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Workbooks asked for per Metadata API page (halved on node/time limits); 1..=1000.
    pub page_size: u32,
    /// Requests in flight to the site at once; at most 4.
    pub max_in_flight: usize,
    /// Project LUIDs per Metadata API filter; larger selections are split.
    pub projects_per_query: usize,
    /// Retries of 429, 5xx, `RATE_EXCEEDED` and network failures.
    pub retry: RetryPolicy,
    /// Timeout of one HTTP request (only for the client this crate builds).
    pub request_timeout: Duration,
    /// How long one request may go on being retried: no retry begins after this much
    /// time since the first attempt, so a call ends within about `retry_budget` plus one
    /// `request_timeout`. The default, 150 s, with the default 120 s request timeout ends
    /// a call to a silent server within 270 s, inside the 300 s Lambda timeout.
    pub retry_budget: Duration,
    /// The largest reply body read, in bytes (default [`DEFAULT_MAX_RESPONSE_BYTES`]);
    /// a larger one fails the request with
    /// [`TableauError::ResponseTooLarge`](crate::TableauError::ResponseTooLarge).
    pub max_response_bytes: usize,
}

/// The default of [`ClientOptions::max_response_bytes`]: 64 MiB.
///
/// The largest real reply is a Metadata API page of workbooks with their upstream tables
/// and custom SQL. Tableau cuts a query at its node limit (20,000 nodes by default), and
/// a table node is about 300 bytes of JSON, so a full page is about 6 MB; a server whose
/// admin raised the limit fivefold, or custom SQL queries of several kilobytes each, make
/// 30 MB. 64 MiB is twice that, while four requests in flight still fit in a 512 MB
/// Lambda function.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// The most requests this client ever has in flight to one site.
pub const MAX_IN_FLIGHT: usize = 4;

/// The default of [`ClientOptions::page_size`]: workbooks per Metadata API page.
///
/// Over a network, a listing costs about requests × latency / requests in flight, so
/// the fewer pages the better, up to Tableau's node limit (20,000 by default): a page cut
/// at the limit is fetched again at half the size, which costs a request. Measured with
/// `cargo bench -p autoexpose-tableau --bench list_site -- --sweep` (10,000 workbooks of
/// 10 tables, 200 ms): 100 a page took 117 requests, 300 took 43 (about 45 nodes a
/// workbook, two thirds of the limit), and 400 took 64, because pages hit the limit and
/// were halved. A site whose workbooks read more than about 15 tables each pays one
/// halving per chunk of projects, then goes on at the smaller size.
pub const DEFAULT_PAGE_SIZE: u32 = 300;

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            page_size: DEFAULT_PAGE_SIZE,
            max_in_flight: MAX_IN_FLIGHT,
            projects_per_query: 100,
            retry: RetryPolicy::default(),
            request_timeout: Duration::from_secs(120),
            retry_budget: Duration::from_secs(150),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints() {
        let secret = TokenSecret::new("s3cr3t-value");
        assert_eq!(format!("{secret:?} {secret}"), "*** ***");
        assert_eq!(secret.expose_for_sign_in(), "s3cr3t-value");
    }

    #[test]
    fn retry_delay_grows_and_is_capped() {
        let policy = RetryPolicy {
            max_retries: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(5),
        };
        let first = policy.delay(0, None);
        assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
        let late = policy.delay(9, None);
        assert!(late >= Duration::from_millis(500) && late <= Duration::from_secs(1));
    }

    #[test]
    fn retry_after_is_honoured_up_to_its_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay(0, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            policy.delay(0, Some(Duration::from_secs(3600))),
            policy.max_retry_after
        );
    }
}
