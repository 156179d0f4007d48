//! The client (one per site and token) and its signed-in [`Session`].
//!
//! A personal access token has one live session: a second sign-in ends the first. So a
//! run signs in once, every request shares that one token, and when Tableau ends the
//! session mid-run (401002) exactly one request signs in again while the others wait for
//! it; a second loss in the same run is an error.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use reqwest::StatusCode;
use serde_json::json;

use crate::error::TableauError;
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
        tracing::info!(
            host = self.transport().host(),
            site = %self.inner.settings.site,
            api_version = %api_version,
            "signed in to Tableau"
        );
        Ok(Session {
            inner: Arc::new(SessionInner {
                client: self.clone(),
                api_version,
                site_luid: credentials.site_luid,
                user_luid: credentials.user_luid,
                token: RwLock::new(Some((SessionToken::new(credentials.token), 0))),
                renewing: tokio::sync::Mutex::new(()),
                renewed: AtomicBool::new(false),
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
        let reply = transport
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
            (StatusCode::UNAUTHORIZED, _) => Err(TableauError::PatRejected {
                token_name: settings.token_name.clone(),
                site: settings.site.clone(),
            }),
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

/// A REST error code, or an "unexpected response" naming the status.
pub(crate) fn refusal(host: &str, operation: &'static str, reply: &Reply) -> TableauError {
    match rest::error_body(&reply.body) {
        Some(error) => TableauError::Api {
            operation,
            status: reply.status.as_u16(),
            code: error.code,
            summary: error.summary,
            detail: if error.detail.is_empty() {
                String::new()
            } else {
                format!(": {}", error.detail)
            },
        },
        None => TableauError::UnexpectedResponse {
            host: host.to_string(),
            operation,
            detail: format!(
                "HTTP {} with a body that is not a Tableau error",
                reply.status.as_u16()
            ),
        },
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

    /// Sends an authenticated request; on 401 signs in again (once per run) and resends.
    pub(crate) async fn call(
        &self,
        operation: &'static str,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<Reply, TableauError> {
        let mut renewed_for_this_call = false;
        loop {
            let (token, generation) = self.current_token()?;
            let reply = self
                .transport()
                .send(operation, |http| {
                    build(http).header("X-Tableau-Auth", token.expose_for_header())
                })
                .await?;
            if reply.status != StatusCode::UNAUTHORIZED {
                return Ok(reply);
            }
            if renewed_for_this_call {
                return Err(self.session_lost());
            }
            self.renew(generation).await?;
            renewed_for_this_call = true;
        }
    }

    fn session_lost(&self) -> TableauError {
        TableauError::SessionLost {
            token_name: self.inner.client.settings().token_name.clone(),
        }
    }

    /// Signs in again after the token of `generation` was refused, unless another request
    /// already did; a run signs in again at most once.
    async fn renew(&self, generation: u64) -> Result<(), TableauError> {
        let _single_flight = self.inner.renewing.lock().await;
        let (_, current) = self.current_token()?;
        if current != generation {
            return Ok(());
        }
        if self.inner.renewed.swap(true, Ordering::SeqCst) {
            return Err(self.session_lost());
        }
        tracing::warn!(
            site = %self.inner.client.settings().site,
            "Tableau ended the session (401002); signing in again once"
        );
        let credentials = self
            .inner
            .client
            .sign_in_at(&self.inner.api_version)
            .await?;
        let mut guard = self
            .inner
            .token
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if guard.is_none() {
            return Err(TableauError::SignedOut);
        }
        *guard = Some((SessionToken::new(credentials.token), generation + 1));
        Ok(())
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
    let reply = transport
        .send("signing out", |http| {
            http.post(&url)
                .header("Accept", "application/json")
                .header("X-Tableau-Auth", token.expose_for_header())
        })
        .await?;
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
