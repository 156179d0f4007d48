//! The client (one per site and token) and its signed-in [`Session`].
//!
//! A personal access token has one live session: a second sign-in ends the first. So a
//! run signs in once, every request shares that one token, and when Tableau ends the
//! session mid-run (401002) exactly one request signs in again while the others wait for
//! it; a second loss in the same run is an error. Tableau answers alike for a session that
//! timed out and one that another sign-in ended, so the error judges by timing (see
//! [`SessionEnd`]); a 401 whose body is not Tableau's is a proxy's, and reported as such.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use autoexpose_domain::printable::printable;
use reqwest::StatusCode;
use serde_json::json;

use crate::error::{PatExpiry, SessionEnd, TableauError};
use crate::rest;
use crate::settings::{ClientOptions, ConnectionSettings, SessionToken};
use crate::transport::{Reply, Transport, build_http_client};

/// The REST version asked first: every server with PAT sign-in (2019.4+) knows it.
const DISCOVERY_VERSION: &str = "3.6";

/// A Tableau client for one site and one personal access token.
///
/// Cheap to clone; clones share the HTTP connection pool and the cap of
/// [`MAX_IN_FLIGHT`](crate::MAX_IN_FLIGHT) requests in flight.
#[derive(Clone)]
pub struct TableauClient {
    inner: Arc<ClientInner>,
}

struct ClientInner {
    settings: ConnectionSettings,
    options: ClientOptions,
    transport: Transport,
}

impl std::fmt::Debug for TableauClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableauClient")
            .field("server", &self.inner.transport.base())
            .field("site", &self.inner.settings.site)
            .field("token_name", &self.inner.settings.token_name)
            .finish_non_exhaustive()
    }
}

impl TableauClient {
    /// A client with its own HTTPS client (rustls).
    pub fn new(
        settings: ConnectionSettings,
        options: ClientOptions,
    ) -> Result<TableauClient, TableauError> {
        let http = build_http_client(&options)?;
        TableauClient::with_http_client(settings, options, http)
    }

    /// A client that reuses `http` (e.g. one built once per Lambda container).
    ///
    /// The client should not follow redirects (`reqwest::redirect::Policy::none()`), so
    /// that a Tableau Cloud redirect to a pod is reported rather than re-sent as a GET.
    pub fn with_http_client(
        settings: ConnectionSettings,
        options: ClientOptions,
        http: reqwest::Client,
    ) -> Result<TableauClient, TableauError> {
        let transport = Transport::new(http, &settings.server_url, &options)?;
        Ok(TableauClient {
            inner: Arc::new(ClientInner {
                settings,
                options,
                transport,
            }),
        })
    }

    /// The settings this client connects with.
    pub fn settings(&self) -> &ConnectionSettings {
        &self.inner.settings
    }

    /// The tuning this client runs with.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// Signs in with the personal access token. Prefer [`TableauClient::with_session`],
    /// which always signs out; a [`Session`] dropped without [`Session::sign_out`] signs
    /// out in the background if a Tokio runtime is still running.
    pub async fn sign_in(&self) -> Result<Session, TableauError> {
        let api_version = self.server_version().await?;
        let credentials = self.sign_in_at(&api_version).await?;
        let now = Instant::now();
        tracing::info!(
            host = self.transport().host(),
            site = %self.inner.settings.site,
            api_version = %api_version,
            "signed in to Tableau"
        );
        if let Some(left) = credentials.pat_expires_in
            && left < PAT_EXPIRY_WARNING
        {
            tracing::warn!(
                token_name = %self.inner.settings.token_name,
                days_left = left.as_secs() / 86_400,
                "the personal access token expires soon; create a new one and update the secret"
            );
        }
        Ok(Session {
            inner: Arc::new(SessionInner {
                client: self.clone(),
                api_version,
                site_luid: credentials.site_luid,
                user_luid: credentials.user_luid,
                token: RwLock::new(Some((SessionToken::new(credentials.token), 0))),
                renewing: tokio::sync::Mutex::new(()),
                renewed: AtomicBool::new(false),
                activity: Mutex::new(Activity::new(now)),
                pat_expires_at: credentials.pat_expires_in.map(|left| (now + left, left)),
            }),
        })
    }

    /// Signs in, runs `work` with the session, and signs out whether `work` succeeded
    /// or not. A failed sign-out is logged, never allowed to hide `work`'s result.
    pub async fn with_session<T, F, Fut>(&self, work: F) -> Result<T, TableauError>
    where
        F: FnOnce(Session) -> Fut,
        Fut: Future<Output = Result<T, TableauError>>,
    {
        let session = self.sign_in().await?;
        let result = work(session.clone()).await;
        if let Err(err) = session.sign_out().await {
            tracing::warn!(error = %err, "could not sign out of Tableau");
        }
        result
    }

    /// The newest REST API version the server speaks, from `serverinfo`.
    async fn server_version(&self) -> Result<String, TableauError> {
        let transport = self.transport();
        let url = format!("{}/api/{DISCOVERY_VERSION}/serverinfo", transport.base());
        let reply = transport
            .send("reading the server version", |http| {
                http.get(&url).header("Accept", "application/json")
            })
            .await?;
        match reply.status {
            StatusCode::OK => rest::rest_api_version(&reply.body).map_err(|detail| {
                TableauError::UnexpectedResponse {
                    host: transport.host().to_string(),
                    operation: "reading the server version",
                    detail,
                }
            }),
            StatusCode::NOT_FOUND => Err(TableauError::UnsupportedServer {
                host: transport.host().to_string(),
                version: DISCOVERY_VERSION.to_string(),
                detail: rest::error_body(&reply.body)
                    .map(|e| format!("{} {}", e.code, e.detail))
                    .unwrap_or_else(|| "HTTP 404: is this a Tableau server?".into()),
            }),
            _ => Err(self.refusal("reading the server version", &reply)),
        }
    }

    /// The PAT sign-in request itself.
    async fn sign_in_at(&self, api_version: &str) -> Result<rest::Credentials, TableauError> {
        let settings = &self.inner.settings;
        let transport = self.transport();
        let url = format!("{}/api/{api_version}/auth/signin", transport.base());
        let mut reply = transport
            .send("signing in", |http| {
                let body = json!({"credentials": {
                    "personalAccessTokenName": settings.token_name,
                    "personalAccessTokenSecret": settings.token_secret.expose_for_sign_in(),
                    "site": {"contentUrl": settings.site},
                }});
                http.post(&url)
                    .header("Accept", "application/json")
                    .json(&body)
            })
            .await?;
        reply.scrub(settings.token_secret.expose_for_sign_in());
        let host = transport.host().to_string();
        let code = rest::error_body(&reply.body).map(|e| e.code);
        match (reply.status, code.as_deref()) {
            (StatusCode::OK | StatusCode::CREATED, _) => {
                rest::credentials(&reply.body).map_err(|detail| TableauError::UnexpectedResponse {
                    host,
                    operation: "signing in",
                    detail: detail.to_string(),
                })
            }
            (StatusCode::UNAUTHORIZED, _) => {
                match rest::unauthorized(reply.content_type.as_deref(), &reply.body) {
                    rest::Unauthorized::NotTableau {
                        content_type,
                        body_start,
                    } => Err(TableauError::UnauthorizedByProxy {
                        host,
                        operation: "signing in",
                        content_type,
                        body_start,
                    }),
                    tableau => Err(TableauError::PatRejected {
                        token_name: settings.token_name.clone(),
                        site: settings.site.clone(),
                        code: tableau.code(),
                    }),
                }
            }
            (StatusCode::NOT_FOUND, Some(code)) if code != "404001" => {
                Err(TableauError::SiteNotFound {
                    host,
                    site: settings.site.clone(),
                    code: code.to_string(),
                })
            }
            (StatusCode::METHOD_NOT_ALLOWED, _) => Err(TableauError::SignInRefused { host }),
            (status, _) if status.is_redirection() => Err(TableauError::Redirected {
                host,
                location: self.redirect_target(&reply),
            }),
            _ => Err(self.refusal("signing in", &reply)),
        }
    }

    fn redirect_target(&self, reply: &Reply) -> String {
        reply
            .location
            .as_deref()
            .and_then(|l| reqwest::Url::parse(l).ok())
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "another host".to_string())
    }

    /// The error for a reply that is neither success nor a case the caller handles.
    pub(crate) fn refusal(&self, operation: &'static str, reply: &Reply) -> TableauError {
        refusal(self.transport().host(), operation, reply)
    }
}

/// A REST error code, a proxy's 401, or an "unexpected response" naming the status, the
/// content type and the start of the body (made printable here; the error's message makes
/// Tableau's other text printable).
pub(crate) fn refusal(host: &str, operation: &'static str, reply: &Reply) -> TableauError {
    if let Some(error) = rest::error_body(&reply.body) {
        return TableauError::Api {
            operation,
            status: reply.status.as_u16(),
            code: error.code,
            summary: error.summary,
            detail: if error.detail.is_empty() {
                String::new()
            } else {
                format!(": {}", error.detail)
            },
        };
    }
    let unauthorized = (reply.status == StatusCode::UNAUTHORIZED)
        .then(|| rest::unauthorized(reply.content_type.as_deref(), &reply.body));
    if let Some(rest::Unauthorized::NotTableau {
        content_type,
        body_start,
    }) = unauthorized
    {
        return TableauError::UnauthorizedByProxy {
            host: host.to_string(),
            operation,
            content_type,
            body_start,
        };
    }
    let content_type = reply
        .content_type
        .as_deref()
        .map(printable)
        .unwrap_or_else(|| "no content type".to_string());
    TableauError::UnexpectedResponse {
        host: host.to_string(),
        operation,
        detail: format!(
            "HTTP {} with {content_type} that is not a Tableau error (it begins: {})",
            reply.status.as_u16(),
            rest::body_start(&reply.body)
        ),
    }
}

/// A personal access token closer than this to its expiry is worth a warning at sign-in.
const PAT_EXPIRY_WARNING: Duration = Duration::from_secs(14 * 86_400);

/// A pause shorter than this is never an idle timeout (Tableau's are minutes long).
const SHORTEST_IDLE_TIMEOUT: Duration = Duration::from_secs(1);

/// When the current token was issued and last accepted, to tell an idle timeout from a
/// session ended while in use.
struct Activity {
    signed_in: Instant,
    last_accepted: Instant,
    /// The longest pause between requests that a session of this run survived.
    longest_survived: Duration,
}

impl Activity {
    fn new(signed_in: Instant) -> Activity {
        Activity {
            signed_in,
            last_accepted: signed_in,
            longest_survived: Duration::ZERO,
        }
    }

    /// A request sent at `sent` was accepted.
    fn accepted(&mut self, sent: Instant) {
        let pause = sent.saturating_duration_since(self.last_accepted);
        self.longest_survived = self.longest_survived.max(pause);
        self.last_accepted = self.last_accepted.max(Instant::now());
    }

    /// What a refusal of a request sent at `sent` points to.
    fn judge_loss(&self, sent: Instant) -> SessionEnd {
        let pause = sent.saturating_duration_since(self.last_accepted);
        if pause >= SHORTEST_IDLE_TIMEOUT && pause > self.longest_survived {
            SessionEnd::Idle {
                idle: pause,
                longest_survived: self.longest_survived,
            }
        } else {
            SessionEnd::EndedInUse {
                after_last_request: pause,
                age: sent.saturating_duration_since(self.signed_in),
            }
        }
    }
}

/// A signed-in session on one site: one token shared by every request.
///
/// Cheap to clone (clones share the token); concurrent use is the point.
#[derive(Clone)]
pub struct Session {
    inner: Arc<SessionInner>,
}

struct SessionInner {
    client: TableauClient,
    api_version: String,
    site_luid: String,
    user_luid: Option<String>,
    /// The token and its generation (bumped by each sign-in); `None` once signed out.
    token: RwLock<Option<(SessionToken, u64)>>,
    /// Held while signing in again, so concurrent 401s cause one sign-in.
    renewing: tokio::sync::Mutex<()>,
    /// Whether this run has already signed in again once.
    renewed: AtomicBool,
    /// Timing of the current token's use.
    activity: Mutex<Activity>,
    /// When the PAT expires and the life it had at the first sign-in, if Tableau said.
    pat_expires_at: Option<(Instant, Duration)>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("api_version", &self.inner.api_version)
            .field("site_luid", &self.inner.site_luid)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// The REST API version in use (the server's newest).
    pub fn api_version(&self) -> &str {
        &self.inner.api_version
    }

    /// The site's LUID, as used in REST paths.
    pub fn site_luid(&self) -> &str {
        &self.inner.site_luid
    }

    /// The signed-in user's LUID.
    pub fn user_luid(&self) -> Option<&str> {
        self.inner.user_luid.as_deref()
    }

    /// The client this session belongs to.
    pub fn client(&self) -> &TableauClient {
        &self.inner.client
    }

    pub(crate) fn transport(&self) -> &Transport {
        self.inner.client.transport()
    }

    /// `{base}/api/{version}/sites/{site-luid}` for site-scoped REST paths.
    pub(crate) fn site_url(&self) -> String {
        format!(
            "{}/api/{}/sites/{}",
            self.transport().base(),
            self.inner.api_version,
            self.inner.site_luid
        )
    }

    fn current_token(&self) -> Result<(SessionToken, u64), TableauError> {
        let guard = self
            .inner
            .token
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        guard.clone().ok_or(TableauError::SignedOut)
    }

    /// Sends an authenticated request; on Tableau's 401 signs in again (once per run) and
    /// resends. A 401 that is not Tableau's (a proxy's page) is reported at once.
    pub(crate) async fn call(
        &self,
        operation: &'static str,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<Reply, TableauError> {
        let mut renewed_for_this_call = false;
        loop {
            let (token, generation) = self.current_token()?;
            let sent = Instant::now();
            let mut reply = self
                .transport()
                .send(operation, |http| {
                    build(http).header("X-Tableau-Auth", token.expose_for_header())
                })
                .await?;
            reply.scrub(token.expose_for_header());
            if reply.status != StatusCode::UNAUTHORIZED {
                self.activity(generation, |a| a.accepted(sent));
                return Ok(reply);
            }
            let code = match rest::unauthorized(reply.content_type.as_deref(), &reply.body) {
                rest::Unauthorized::NotTableau {
                    content_type,
                    body_start,
                } => {
                    return Err(TableauError::UnauthorizedByProxy {
                        host: self.transport().host().to_string(),
                        operation,
                        content_type,
                        body_start,
                    });
                }
                tableau => tableau.code(),
            };
            let cause = self.judge_loss(sent);
            if renewed_for_this_call {
                return Err(self.session_lost(code, cause));
            }
            self.renew(generation, code, cause).await?;
            renewed_for_this_call = true;
        }
    }

    fn lock_activity(&self) -> std::sync::MutexGuard<'_, Activity> {
        self.inner
            .activity
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Updates the timing, if `generation` is still the current token.
    fn activity(&self, generation: u64, update: impl FnOnce(&mut Activity)) {
        let current = self.current_token().map(|(_, g)| g).ok();
        if current == Some(generation) {
            update(&mut self.lock_activity());
        }
    }

    fn judge_loss(&self, sent: Instant) -> SessionEnd {
        self.lock_activity().judge_loss(sent)
    }

    fn session_lost(&self, code: String, cause: SessionEnd) -> TableauError {
        TableauError::SessionLost {
            token_name: self.inner.client.settings().token_name.clone(),
            code,
            cause,
        }
    }

    /// Signs in again after the token of `generation` was refused, unless another request
    /// already did; a run signs in again at most once.
    async fn renew(
        &self,
        generation: u64,
        code: String,
        cause: SessionEnd,
    ) -> Result<(), TableauError> {
        let _single_flight = self.inner.renewing.lock().await;
        let (_, current) = self.current_token()?;
        if current != generation {
            return Ok(());
        }
        if self.inner.renewed.swap(true, Ordering::SeqCst) {
            return Err(self.session_lost(code, cause));
        }
        tracing::warn!(
            site = %self.inner.client.settings().site,
            code = %code,
            cause = ?cause,
            "Tableau ended the session; signing in again once"
        );
        let credentials = match self.inner.client.sign_in_at(&self.inner.api_version).await {
            Ok(credentials) => credentials,
            Err(TableauError::PatRejected {
                token_name,
                site,
                code,
            }) => {
                return Err(TableauError::PatRefusedMidRun {
                    token_name,
                    site,
                    code,
                    expiry: self.pat_expiry(),
                });
            }
            Err(other) => return Err(other),
        };
        let mut guard = self
            .inner
            .token
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if guard.is_none() {
            return Err(TableauError::SignedOut);
        }
        *guard = Some((SessionToken::new(credentials.token), generation + 1));
        let mut activity = self.lock_activity();
        let longest_survived = activity.longest_survived;
        *activity = Activity {
            longest_survived,
            ..Activity::new(Instant::now())
        };
        Ok(())
    }

    /// Whether the PAT had reached the expiry that the first sign-in announced.
    fn pat_expiry(&self) -> PatExpiry {
        match self.inner.pat_expires_at {
            None => PatExpiry::Unknown,
            Some((at, left)) => {
                let now = Instant::now();
                if now >= at {
                    PatExpiry::Passed { left }
                } else {
                    PatExpiry::NotYet { left: at - now }
                }
            }
        }
    }

    /// Signs out, ending the token for every clone of this session.
    pub async fn sign_out(self) -> Result<(), TableauError> {
        let taken = self
            .inner
            .token
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        let Some((token, _)) = taken else {
            return Ok(());
        };
        sign_out_token(self.transport(), &self.inner.api_version, token).await
    }
}

async fn sign_out_token(
    transport: &Transport,
    api_version: &str,
    token: SessionToken,
) -> Result<(), TableauError> {
    let url = format!("{}/api/{api_version}/auth/signout", transport.base());
    let mut reply = transport
        .send("signing out", |http| {
            http.post(&url)
                .header("Accept", "application/json")
                .header("X-Tableau-Auth", token.expose_for_header())
        })
        .await?;
    reply.scrub(token.expose_for_header());
    if reply.status.is_success() {
        tracing::info!("signed out of Tableau");
        Ok(())
    } else if reply.status == StatusCode::UNAUTHORIZED {
        // The session had already ended (replaced or expired): nothing left to end.
        tracing::debug!("the Tableau session had already ended at sign-out");
        Ok(())
    } else {
        Err(refusal(transport.host(), "signing out", &reply))
    }
}

impl Drop for SessionInner {
    fn drop(&mut self) {
        let taken = self
            .token
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        let Some((token, _)) = taken else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("a Tableau session was dropped without signing out");
            return;
        };
        tracing::warn!("a Tableau session was dropped without signing out; signing out now");
        let client = self.client.clone();
        let api_version = self.api_version.clone();
        runtime.spawn(async move {
            if let Err(err) = sign_out_token(client.transport(), &api_version, token).await {
                tracing::warn!(error = %err, "could not sign out of Tableau");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_after_the_longest_pause_yet_is_an_idle_timeout() {
        let start = Instant::now();
        let mut activity = Activity::new(start);
        activity.accepted(start + Duration::from_secs(30));
        let judged = activity.judge_loss(start + Duration::from_secs(600));
        assert!(matches!(judged, SessionEnd::Idle { .. }), "{judged:?}");
    }

    #[test]
    fn a_refusal_after_a_pause_already_survived_is_a_session_ended_in_use() {
        let start = Instant::now();
        let mut activity = Activity::new(start);
        // A pause of 5 s survived, then a refusal 2 s after a request.
        activity.accepted(start + Duration::from_secs(5));
        activity.last_accepted = start + Duration::from_secs(10);
        let judged = activity.judge_loss(start + Duration::from_secs(12));
        assert!(
            matches!(judged, SessionEnd::EndedInUse { .. }),
            "{judged:?}"
        );
        assert!(judged.to_string().contains("another process"));
        assert!(!judged.to_string().contains("longest session life"));
    }

    #[test]
    fn a_session_ended_in_use_after_hours_may_have_reached_its_life() {
        let judged = SessionEnd::EndedInUse {
            after_last_request: Duration::from_millis(20),
            age: Duration::from_secs(3 * 3600),
        };
        assert!(judged.to_string().contains("longest session life"));
    }
}
