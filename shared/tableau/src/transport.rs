//! HTTP to one Tableau server: base URL, the in-flight cap, retries and backoff.
//!
//! Everything above this module sees a [`Reply`] (status and body) or a [`TableauError`];
//! retryable failures (429, 5xx, network) never leave it until the retries are spent.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{RequestBuilder, StatusCode};
use tokio::sync::Semaphore;

use crate::error::{GaveUp, TableauError};
use crate::rest;
use crate::settings::{
    ClientOptions, MAX_IN_FLIGHT, RetryPolicy, redact_server_url, strip_user_info,
};

/// A fully read HTTP response.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) body: Vec<u8>,
    /// `Retry-After` in seconds, when Tableau (or a gateway) sent one.
    pub(crate) retry_after: Option<Duration>,
    /// `Location`, for redirects.
    pub(crate) location: Option<String>,
    /// `Content-Type`, to tell Tableau's JSON from a gateway's page.
    pub(crate) content_type: Option<String>,
}

impl Reply {
    /// Replaces `secret` with `***` in the body of a reply that is not a success: a proxy
    /// may echo the request into its page, and error bodies reach messages.
    pub(crate) fn scrub(&mut self, secret: &str) {
        if self.status.is_success() || secret.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&self.body);
        if text.contains(secret) {
            self.body = text.replace(secret, "***").into_bytes();
        }
    }
}

/// The server's origin plus the shared HTTP client and in-flight cap.
pub(crate) struct Transport {
    http: reqwest::Client,
    base: String,
    host: String,
    in_flight: Arc<Semaphore>,
    pub(crate) retry: RetryPolicy,
    retry_budget: Duration,
    max_response_bytes: usize,
}

/// Turns the configured server URL into `scheme://host[:port]` and the host for messages.
pub(crate) fn parse_server_url(server_url: &str) -> Result<(String, String), TableauError> {
    let trimmed = server_url.trim().trim_end_matches('/');
    let invalid = |reason: &str| TableauError::InvalidServerUrl {
        url: redact_server_url(server_url),
        reason: reason.to_string(),
    };
    if trimmed.is_empty() {
        return Err(invalid("it is empty"));
    }
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("https://{trimmed}")
    };
    // Checked before parsing, so a URL that fails to parse says so too, not only its error.
    if strip_user_info(trimmed) != trimmed {
        return Err(invalid(
            "the server URL carries a user name and password; remove them: autoexpose signs in with a personal access token",
        ));
    }
    let url = reqwest::Url::parse(&with_scheme).map_err(|e| invalid(&e.to_string()))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "the server URL carries a user name and password; remove them: autoexpose signs in with a personal access token",
        ));
    }
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(invalid(
            "the scheme must be https (or http for a local server)",
        ));
    }
    let Some(host) = url.host_str() else {
        return Err(invalid("it has no host"));
    };
    let host = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    };
    let base = format!(
        "{}://{host}{}",
        url.scheme(),
        url.path().trim_end_matches('/')
    );
    Ok((base, host))
}

/// Builds the HTTP client Tableau calls need (no redirect following, timeouts from the
/// options). Build it once and pass it to [`crate::TableauClient::with_http_client`] for
/// every connection of a process (a Lambda container keeps it warm).
pub fn build_http_client(options: &ClientOptions) -> Result<reqwest::Client, TableauError> {
    reqwest::Client::builder()
        // Sign-in redirects must be re-POSTed, not followed as GETs: handled by the caller.
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(15))
        .timeout(options.request_timeout)
        .pool_max_idle_per_host(MAX_IN_FLIGHT)
        .user_agent(concat!("autoexpose/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| TableauError::HttpClient(e.to_string()))
}

impl Transport {
    pub(crate) fn new(
        http: reqwest::Client,
        server_url: &str,
        options: &ClientOptions,
    ) -> Result<Transport, TableauError> {
        let (base, host) = parse_server_url(server_url)?;
        let permits = options.max_in_flight.clamp(1, MAX_IN_FLIGHT);
        Ok(Transport {
            http,
            base,
            host,
            in_flight: Arc::new(Semaphore::new(permits)),
            retry: options.retry.clone(),
            retry_budget: options.retry_budget,
            max_response_bytes: options.max_response_bytes,
        })
    }

    /// `scheme://host[:port]` of the server.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// `host[:port]`, for messages.
    pub(crate) fn host(&self) -> &str {
        &self.host
    }

    /// Sends a request built by `build` (called once per attempt), retrying 429, 5xx and
    /// network failures within the retry limit and the time budget; returns any other
    /// reply for the caller to interpret.
    pub(crate) async fn send(
        &self,
        operation: &'static str,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Reply, TableauError> {
        let started = Instant::now();
        let mut attempts: u32 = 0;
        loop {
            attempts += 1;
            let outcome = self.attempt(&build).await;
            let (failure, retry_after) = match outcome {
                Ok(reply) if is_retryable(reply.status) => {
                    let retry_after = reply.retry_after;
                    (Failure::Status(reply), retry_after)
                }
                Ok(reply) => return Ok(reply),
                Err(AttemptError::Network(err))
                    if self.base.starts_with("https://") && answered_plain_http(&err) =>
                {
                    return Err(TableauError::PlainHttp {
                        host: self.host.clone(),
                    });
                }
                Err(AttemptError::Network(err)) => (Failure::Network(err), None),
                // Asking again would only read as much again.
                Err(AttemptError::TooLarge { path }) => {
                    return Err(TableauError::ResponseTooLarge {
                        path,
                        limit: self.max_response_bytes,
                    });
                }
            };
            let retries_made = attempts - 1;
            if retries_made >= self.retry.max_retries {
                let stopped = GaveUp::RetryLimit {
                    max_retries: self.retry.max_retries,
                };
                return Err(self.give_up(failure, attempts, stopped));
            }
            let wait = self.retry.delay(retries_made, retry_after);
            if started.elapsed() + wait > self.retry_budget {
                let stopped = GaveUp::TimeBudget {
                    budget: self.retry_budget,
                };
                return Err(self.give_up(failure, attempts, stopped));
            }
            match &failure {
                Failure::Status(reply) => tracing::warn!(
                    operation,
                    status = reply.status.as_u16(),
                    attempt = attempts,
                    wait_ms = wait.as_millis() as u64,
                    "Tableau answered with a retryable status; retrying"
                ),
                Failure::Network(err) => tracing::warn!(
                    operation,
                    error = %network_reason(err),
                    attempt = attempts,
                    wait_ms = wait.as_millis() as u64,
                    "request to Tableau failed; retrying"
                ),
            }
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(
        &self,
        build: &impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Reply, AttemptError> {
        // The permit is held until the body is read: that is when the request is done.
        let _permit = self.in_flight.acquire().await;
        let mut response = build(&self.http)
            .send()
            .await
            .map_err(AttemptError::Network)?;
        let status = response.status();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let retry_after = header(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let location = header(reqwest::header::LOCATION);
        let content_type = header(reqwest::header::CONTENT_TYPE);
        let body = read_bounded(&mut response, self.max_response_bytes).await?;
        Ok(Reply {
            status,
            body,
            retry_after,
            location,
            content_type,
        })
    }

    fn give_up(&self, failure: Failure, attempts: u32, stopped: GaveUp) -> TableauError {
        let host = self.host.clone();
        match failure {
            Failure::Network(err) => TableauError::Unreachable {
                host,
                attempts,
                stopped,
                reason: network_reason(&err),
            },
            Failure::Status(reply) if reply.status == StatusCode::TOO_MANY_REQUESTS => {
                TableauError::RateLimited {
                    host,
                    what: "HTTP 429".into(),
                    attempts,
                    stopped,
                }
            }
            Failure::Status(reply) => {
                let message = rest::error_body(&reply.body)
                    .map(|e| format!("{} {}", e.code, e.summary))
                    .unwrap_or_else(|| {
                        reply
                            .status
                            .canonical_reason()
                            .unwrap_or("no message")
                            .to_string()
                    });
                TableauError::ServerError {
                    host,
                    status: reply.status.as_u16(),
                    attempts,
                    stopped,
                    message,
                }
            }
        }
    }
}

/// Why one attempt got no reply to hand on.
enum AttemptError {
    Network(reqwest::Error),
    /// The body passed the limit; `path` is the request's URL path.
    TooLarge {
        path: String,
    },
}

/// Reads the body chunk by chunk and stops at `limit` bytes, so an endless or huge reply
/// costs at most about `limit` bytes of memory.
async fn read_bounded(
    response: &mut reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, AttemptError> {
    let path = response.url().path().to_string();
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Err(AttemptError::TooLarge { path });
    }
    let mut body: Vec<u8> = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(AttemptError::Network)? {
        let needed = body.len() + chunk.len();
        if needed > limit {
            return Err(AttemptError::TooLarge { path });
        }
        if needed > body.capacity() {
            // Double as usual, but never past the limit.
            let target = body.capacity().saturating_mul(2).clamp(needed, limit);
            body.reserve_exact(target - body.len());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

enum Failure {
    Status(Reply),
    Network(reqwest::Error),
}

fn is_retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error()
}

/// Whether the TLS handshake failed because the server spoke plain HTTP: rustls reads
/// the first bytes of `HTTP/1.1 400 ...` as a record of an invalid content type.
fn answered_plain_http(err: &reqwest::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(err);
    while let Some(cause) = source {
        if cause.to_string().contains("InvalidContentType") {
            return true;
        }
        source = cause.source();
    }
    false
}

/// The innermost cause of a network error ("Connection refused", "operation timed out").
fn network_reason(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let mut source: &dyn std::error::Error = err;
    while let Some(next) = source.source() {
        source = next;
    }
    format!("{kind}: {source}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_echoed_into_an_error_body_is_scrubbed() {
        let reply = |status: u16| Reply {
            status: StatusCode::from_u16(status).unwrap(),
            body: b"<pre>x-tableau-auth: tok|en\n{\"secret\": \"tok|en\"}</pre>".to_vec(),
            retry_after: None,
            location: None,
            content_type: None,
        };
        let mut refused = reply(401);
        refused.scrub("tok|en");
        assert_eq!(
            refused.body,
            b"<pre>x-tableau-auth: ***\n{\"secret\": \"***\"}</pre>".to_vec()
        );
        let mut accepted = reply(200);
        accepted.scrub("tok|en");
        assert_eq!(accepted.body, reply(200).body, "successes are left alone");
    }

    #[test]
    fn bare_host_means_https() {
        let (base, host) = parse_server_url("10az.online.tableau.com").unwrap();
        assert_eq!(base, "https://10az.online.tableau.com");
        assert_eq!(host, "10az.online.tableau.com");
    }

    #[test]
    fn full_url_keeps_scheme_and_port() {
        let (base, host) = parse_server_url("http://127.0.0.1:8080/").unwrap();
        assert_eq!(base, "http://127.0.0.1:8080");
        assert_eq!(host, "127.0.0.1:8080");
    }

    #[test]
    fn other_schemes_are_refused() {
        let err = parse_server_url("ftp://tableau.example.com").unwrap_err();
        assert!(matches!(err, TableauError::InvalidServerUrl { .. }));
        assert!(parse_server_url("  ").is_err());
    }
}
