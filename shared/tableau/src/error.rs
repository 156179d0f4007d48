//! Everything that can go wrong talking to Tableau, each with what a person should do.
//!
//! No variant carries the personal access token's secret or a session token: errors end up
//! in logs, run records and CLI output. Text from Tableau (codes, summaries, details,
//! bodies) is shown through [`printable`]: without control characters, long values cut.

use std::fmt;
use std::time::Duration;

use autoexpose_domain::printable::printable;
use thiserror::Error;

/// A failure talking to Tableau.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TableauError {
    /// The configured server URL cannot be used.
    #[error(
        "the Tableau server URL '{url}' is not usable: {reason}; give a host such as 10az.online.tableau.com or a full URL such as https://tableau.example.com:8443"
    )]
    InvalidServerUrl {
        /// The URL as configured.
        url: String,
        /// Why it was refused.
        reason: String,
    },

    /// The server answered an HTTPS request in plain HTTP: the URL should say `http://`
    /// (a host alone implies https). Retrying cannot help.
    #[error(
        "the server at {host} answered plain HTTP to an HTTPS request (a host without a scheme means https): give the server URL as http://{host}"
    )]
    PlainHttp {
        /// `host[:port]` of the server.
        host: String,
    },

    /// The HTTP client could not be built (TLS set-up).
    #[error("could not set up the HTTPS client: {0}")]
    HttpClient(String),

    /// Sign-in refused the PAT: wrong name or secret, expired, revoked, or a wrong site.
    /// Tableau gives all of these the one answer (401001), so the message names them all.
    #[error(
        "Tableau rejected the personal access token '{token_name}' for site '{site}' ({}): it may be expired or revoked; create a new one and update the secret (also check that the site name '{site}' is the site's content URL)",
        printable(code)
    )]
    PatRejected {
        /// Name of the personal access token.
        token_name: String,
        /// Site content URL used for the sign-in.
        site: String,
        /// Tableau's error code (`401001`).
        code: String,
    },

    /// Tableau ended the session mid-run, and signing in again was refused: the PAT was
    /// revoked or expired while the run went on.
    #[error(
        "Tableau ended the session of personal access token '{token_name}' for site '{site}' during the run and then refused the token when signing in again ({}): {expiry}; create a new token and update the secret",
        printable(code)
    )]
    PatRefusedMidRun {
        /// Name of the personal access token.
        token_name: String,
        /// Site content URL used for the sign-in.
        site: String,
        /// Tableau's error code (`401001`).
        code: String,
        /// What the run's first sign-in said about the token's life.
        expiry: PatExpiry,
    },

    /// Something in front of Tableau (a proxy or gateway) answered 401 with a body that is
    /// not Tableau's.
    #[error(
        "something in front of Tableau at {host} refused {operation} with HTTP 401 and {content_type} that is not Tableau's error (it begins: {body_start}): a proxy or gateway between autoexpose and Tableau wants its own sign-in; point the server URL at Tableau itself, or have the proxy let autoexpose through"
    )]
    UnauthorizedByProxy {
        /// Server host.
        host: String,
        /// What was being done.
        operation: &'static str,
        /// The reply's content type.
        content_type: String,
        /// A printable cut of the reply's first bytes.
        body_start: String,
    },

    /// The site does not exist on this server.
    #[error(
        "Tableau at {host} has no site '{site}' ({}): the site name is the part after `#/site/` in the browser's address (empty for the Default site of Tableau Server)",
        printable(code)
    )]
    SiteNotFound {
        /// Server host.
        host: String,
        /// Site content URL that was asked for.
        site: String,
        /// Tableau's error code.
        code: String,
    },

    /// Sign-in was redirected, as Tableau Cloud does from `online.tableau.com` to a pod.
    #[error(
        "Tableau at {host} redirected the sign-in to {}: use that host (your Tableau Cloud pod) as the server URL",
        printable(location)
    )]
    Redirected {
        /// Server host that was configured.
        host: String,
        /// Where Tableau pointed.
        location: String,
    },

    /// Sign-in was refused as a method or scheme error (405000).
    #[error(
        "Tableau at {host} refused the sign-in (405000): use https, and on Tableau Cloud your pod's host (e.g. 10az.online.tableau.com)"
    )]
    SignInRefused {
        /// Server host.
        host: String,
    },

    /// Tableau ended the session twice in one run (the client signs in again once).
    #[error(
        "the Tableau session for token '{token_name}' ended twice during one run ({}): {cause}",
        printable(code)
    )]
    SessionLost {
        /// Name of the personal access token.
        token_name: String,
        /// Tableau's error code (`401002`), or `HTTP 401` when it gave none.
        code: String,
        /// What the timing of the loss points to.
        cause: SessionEnd,
    },

    /// The session was used after it was signed out.
    #[error("the Tableau session was already signed out")]
    SignedOut,

    /// The server does not speak a REST API version with PAT sign-in.
    #[error(
        "Tableau at {host} does not answer REST API version {version} ({}): autoexpose needs Tableau Server 2019.4 or later",
        printable(detail)
    )]
    UnsupportedServer {
        /// Server host.
        host: String,
        /// Version asked for.
        version: String,
        /// Tableau's message.
        detail: String,
    },

    /// The Metadata API is off (Tableau Server).
    #[error(
        "the Metadata API is disabled on this Tableau Server: an admin must run `tsm maintenance metadata-services enable`"
    )]
    MetadataApiDisabled,

    /// The Metadata API is still building its index, so answers may be incomplete.
    #[error(
        "the Tableau Metadata API is still indexing this site's content (BACKFILL_RUNNING), so its answers may be incomplete: try again once indexing has finished (a server admin can follow it at /api/metadata/v1/control/backfill/status)"
    )]
    MetadataIndexing,

    /// Tableau kept answering "too many requests".
    #[error(
        "Tableau at {host} rate-limited {} ({what}), and autoexpose stopped asking because {stopped}: try again later, or run fewer syncs against this site at once",
        attempts_text(*attempts)
    )]
    RateLimited {
        /// Server host.
        host: String,
        /// `HTTP 429` or the Metadata API's `RATE_EXCEEDED`.
        what: String,
        /// Requests sent, the first included.
        attempts: u32,
        /// Why no further request was sent.
        stopped: GaveUp,
    },

    /// Tableau kept failing with 5xx.
    #[error(
        "Tableau at {host} answered {} with HTTP {status} ({}), and autoexpose stopped asking because {stopped}: the server may be down or overloaded; try again later",
        attempts_text(*attempts),
        printable(message)
    )]
    ServerError {
        /// Server host.
        host: String,
        /// Last HTTP status.
        status: u16,
        /// Requests sent, the first included.
        attempts: u32,
        /// Why no further request was sent.
        stopped: GaveUp,
        /// Tableau's error summary, if it gave one.
        message: String,
    },

    /// Tableau could not be reached at all.
    #[error(
        "could not reach Tableau at {host}: {} failed ({}), and autoexpose stopped trying because {stopped}: check the server URL, DNS and the network path (proxy, firewall, VPC egress)",
        attempts_text(*attempts),
        printable(reason)
    )]
    Unreachable {
        /// Server host.
        host: String,
        /// Requests sent (or tried), the first included.
        attempts: u32,
        /// Why no further request was sent.
        stopped: GaveUp,
        /// The network error.
        reason: String,
    },

    /// A reply was larger than the client reads (an endless stream, or not Tableau at all).
    #[error(
        "Tableau's reply to {} was larger than {} (the limit set by the Tableau client option max_response_bytes); the rest was not read. A real Tableau page is far smaller: check that the server URL points at Tableau itself and not at a proxy that answers with something else; if the site's pages really are this large, lower the page size or raise the limit",
        printable(path),
        size_text(*limit)
    )]
    ResponseTooLarge {
        /// The URL path of the request.
        path: String,
        /// The limit, in bytes.
        limit: usize,
    },

    /// A response did not have the shape Tableau documents.
    #[error(
        "Tableau at {host} gave an unexpected answer to {operation}: {}",
        printable(detail)
    )]
    UnexpectedResponse {
        /// Server host.
        host: String,
        /// What was being done.
        operation: &'static str,
        /// What was wrong with it.
        detail: String,
    },

    /// Tableau refused a REST call with a documented error code.
    #[error(
        "Tableau refused {operation} (HTTP {status}, error {}): {}{}",
        printable(code),
        printable(summary),
        printable(detail)
    )]
    Api {
        /// What was being done.
        operation: &'static str,
        /// HTTP status.
        status: u16,
        /// Tableau's error code, e.g. `403004`.
        code: String,
        /// Tableau's summary.
        summary: String,
        /// Tableau's detail, prefixed with ": " when present.
        detail: String,
    },

    /// The Metadata API answered a query with an error.
    #[error("the Tableau Metadata API refused the query: {}", printable(message))]
    MetadataQuery {
        /// Tableau's message(s) and code(s).
        message: String,
    },

    /// Even one item per page exceeded the Metadata API's node or time limit.
    #[error(
        "the Tableau Metadata API returned only partial results for {what} even one item per page (node or time limit): ask a Tableau Server admin to raise the Metadata API limits"
    )]
    PartialResults {
        /// The listing that could not be completed.
        what: &'static str,
    },

    /// A selected collection names no project.
    #[error(
        "no Tableau project has the LUID or path '{0}': give a project LUID or its path of names from the top, e.g. Finance/Reporting"
    )]
    UnknownProject(String),

    /// A selected path names several projects.
    #[error(
        "the Tableau project path '{path}' names {} projects ({}): select one by its LUID instead",
        luids.len(),
        printable(&luids.join(", "))
    )]
    AmbiguousProject {
        /// The path as given.
        path: String,
        /// LUIDs of the projects with that path.
        luids: Vec<String>,
    },

    /// The site's REST API is older than 3.28, which introduced Tableau's own Collections.
    #[error(
        "Tableau Collections are not available on {host}: its REST API is {version}, and Collections need 3.28 or newer (Tableau Cloud February 2026, Tableau Server 2026.1); select projects instead"
    )]
    TableauCollectionsUnavailable {
        /// The server.
        host: String,
        /// The REST API version it speaks.
        version: String,
    },

    /// A requested Tableau Collection is not among those the token's user can see.
    #[error(
        "no Tableau Collection has the LUID or name '{}' for the token's user: `autoexpose collections list` shows the site's Collections (a private Collection is seen only by its owner and admins)",
        printable(.0)
    )]
    UnknownTableauCollection(String),

    /// A requested Tableau Collection name is shared by several Collections.
    #[error(
        "the Tableau Collection name '{}' names {} Collections ({}): select one by its LUID instead",
        printable(name),
        luids.len(),
        printable(&luids.join(", "))
    )]
    AmbiguousTableauCollection {
        /// The name as given.
        name: String,
        /// LUIDs of the Collections with that name.
        luids: Vec<String>,
    },

    /// A selected Tableau Collection no longer exists (deleted, or no longer shared with
    /// the token's user).
    #[error(
        "the selected Tableau Collection {} no longer exists on site '{}' (deleted, or no longer shared with the token's user): nothing was changed; select Collections again with `autoexpose collections set --tableau-collection`, or clear them",
        printable(luid),
        printable(site)
    )]
    TableauCollectionGone {
        /// The Collection's LUID as stored.
        luid: String,
        /// The site's content URL.
        site: String,
    },
}

/// What the timing of a lost session points to. Tableau answers 401002 alike for a timed-out
/// session and for one ended by another sign-in, so the client judges by when it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEnd {
    /// The refused request came after a pause longer than any the session survived:
    /// Tableau's idle timeout.
    Idle {
        /// How long the session had gone without a request.
        idle: Duration,
        /// The longest pause the run's sessions survived before.
        longest_survived: Duration,
    },
    /// The session was refused while in use: something ended it, most likely another
    /// sign-in with the same personal access token.
    EndedInUse {
        /// How long after the session's last accepted request it was refused.
        after_last_request: Duration,
        /// How long after sign-in.
        age: Duration,
    },
}

/// A session older than this may also have reached Tableau's longest session life (120
/// minutes on Tableau Cloud).
const LONG_SESSION: Duration = Duration::from_secs(100 * 60);

impl fmt::Display for SessionEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SessionEnd::Idle {
                idle,
                longest_survived,
            } => write!(
                f,
                "the session had gone {} without a request, longer than any pause it survived before ({}), so Tableau most likely timed it out: Tableau ends sessions left idle past its session timeout (wgserver.session.idle_limit on Tableau Server, 240 minutes by default; 120 minutes on Tableau Cloud); find what holds the run up between requests, or ask a Tableau admin for a longer session timeout",
                duration_text(idle),
                duration_text(longest_survived)
            ),
            SessionEnd::EndedInUse {
                after_last_request,
                age,
            } => {
                write!(
                    f,
                    "the session was refused {} after its last accepted request and {} after sign-in, so it ended while in use: another process is probably signing in with the same personal access token (a token holds one session, and a second sign-in ends the first); give each integration its own token or stop the other process",
                    duration_text(after_last_request),
                    duration_text(age)
                )?;
                if age >= LONG_SESSION {
                    f.write_str(
                        "; or the session reached Tableau's longest session life (120 minutes on Tableau Cloud)",
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// Whether a PAT refused mid-run had expired, by what the run's first sign-in said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PatExpiry {
    /// Its expiry time had passed: at sign-in Tableau gave it `left`.
    Passed {
        /// The life left at sign-in.
        left: Duration,
    },
    /// It still had time left, so it was revoked.
    NotYet {
        /// The life left when it was refused.
        left: Duration,
    },
    /// Tableau did not say how long the token had (`estimatedTimeToExpiration`).
    Unknown,
}

impl fmt::Display for PatExpiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PatExpiry::Passed { left } => write!(
                f,
                "the token expired during the run (at sign-in Tableau gave it {} more)",
                duration_text(left)
            ),
            PatExpiry::NotYet { left } => write!(
                f,
                "the token still had {} to live, so it was most likely revoked (by its owner or an admin, or because its user's sign-in method changed)",
                duration_text(left)
            ),
            PatExpiry::Unknown => f.write_str(
                "it was revoked or it expired; Tableau did not say how long it had left",
            ),
        }
    }
}

/// Why the client sent no further request after a run of failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GaveUp {
    /// Every retry that [`RetryPolicy::max_retries`](crate::RetryPolicy::max_retries)
    /// allows was made.
    RetryLimit {
        /// The retries allowed after the first attempt.
        max_retries: u32,
    },
    /// The next retry would have begun after
    /// [`ClientOptions::retry_budget`](crate::ClientOptions::retry_budget) had passed.
    TimeBudget {
        /// The budget.
        budget: Duration,
    },
}

impl fmt::Display for GaveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GaveUp::RetryLimit { max_retries: 1 } => {
                f.write_str("the retry limit (1 retry) was reached")
            }
            GaveUp::RetryLimit { max_retries } => {
                write!(f, "the retry limit ({max_retries} retries) was reached")
            }
            GaveUp::TimeBudget { budget } => write!(
                f,
                "another retry would have begun after the time budget of {} (the client option retry_budget)",
                duration_text(*budget)
            ),
        }
    }
}

/// `the one attempt` or `all 4 attempts`.
fn attempts_text(attempts: u32) -> String {
    if attempts == 1 {
        "the one attempt".to_string()
    } else {
        format!("all {attempts} attempts")
    }
}

/// `250 ms`, `12.5 s`, `3 min 20 s` or `2 h 5 min`: a duration as a person reads it.
pub(crate) fn duration_text(duration: Duration) -> String {
    let millis = duration.as_millis();
    let secs = duration.as_secs();
    if millis < 1000 {
        format!("{millis} ms")
    } else if secs < 60 {
        let tenths = millis / 100;
        if tenths.is_multiple_of(10) {
            format!("{secs} s")
        } else {
            format!("{}.{} s", tenths / 10, tenths % 10)
        }
    } else if secs < 3600 {
        format!("{} min {} s", secs / 60, secs % 60)
    } else if secs < 2 * 86_400 {
        format!("{} h {} min", secs / 3600, (secs % 3600) / 60)
    } else {
        format!("{} days {} h", secs / 86_400, (secs % 86_400) / 3600)
    }
}

/// `64 MiB`, `512 KiB` or `1000 bytes`: a byte count as a person reads it.
pub(crate) fn size_text(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_a_person_says_them() {
        assert_eq!(duration_text(Duration::from_millis(400)), "400 ms");
        assert_eq!(duration_text(Duration::from_millis(12_500)), "12.5 s");
        assert_eq!(duration_text(Duration::from_secs(150)), "2 min 30 s");
        assert_eq!(duration_text(Duration::from_secs(7500)), "2 h 5 min");
    }

    #[test]
    fn giving_up_says_which_limit_stopped_it() {
        let limit = GaveUp::RetryLimit { max_retries: 5 };
        assert_eq!(limit.to_string(), "the retry limit (5 retries) was reached");
        let budget = GaveUp::TimeBudget {
            budget: Duration::from_secs(150),
        };
        assert!(budget.to_string().contains("time budget of 2 min 30 s"));
        assert_eq!(attempts_text(1), "the one attempt");
        assert_eq!(attempts_text(6), "all 6 attempts");
    }

    #[test]
    fn tableau_text_in_a_message_loses_control_characters_and_is_cut() {
        let err = TableauError::Api {
            operation: "listing projects",
            status: 403,
            code: "403004\u{1b}[31m".into(),
            summary: "Forbidden\u{7}".into(),
            detail: format!(": \u{1b}]0;owned\u{7}{}", "x".repeat(5000)),
        };
        let message = err.to_string();
        assert!(!message.chars().any(char::is_control), "{message}");
        assert!(message.contains("error 403004[31m"), "{message}");
        assert!(message.contains("(5012 bytes in all)"), "{message}");
        assert!(message.len() < 400, "{message}");
        let err = TableauError::MetadataQuery {
            message: "Validation error\r\nof type \u{202e}FieldUndefined".into(),
        };
        assert_eq!(
            err.to_string(),
            "the Tableau Metadata API refused the query: Validation error of type FieldUndefined"
        );
    }

    #[test]
    fn sizes_read_in_the_largest_whole_unit() {
        assert_eq!(size_text(64 * 1024 * 1024), "64 MiB");
        assert_eq!(size_text(512 * 1024), "512 KiB");
        assert_eq!(size_text(1000), "1000 bytes");
    }
}
