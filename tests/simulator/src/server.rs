//! The running simulator: the HTTP listener, the request pipeline, and the test-facing handle.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::data::{SiteData, SiteSpec};
use crate::error::SimError;
use crate::faults::{Faults, HttpFailure};
use crate::rest::body::{Format, RestError, with_type};
use crate::rest::{self, Req, Route};
use crate::state::{AppState, Site};
use crate::stats::{Stats, StatsCell};
use crate::{metadata, rest::parse_query};

/// Settings fixed at start.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Metadata API node limit at start (Tableau's default is 20,000).
    pub node_limit: usize,
    /// How long an extract refresh job runs before it finishes.
    pub job_duration: Duration,
    /// How long a session token lives (Tableau Server's default idle limit is 240 minutes).
    pub session_ttl: Duration,
    /// `estimatedTimeToExpiration` reported at sign-in (the PAT's remaining life, `days:hours:minutes`).
    pub pat_time_to_expiration: String,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            port: 0,
            node_limit: 20_000,
            job_duration: Duration::from_millis(1500),
            session_ttl: Duration::from_secs(240 * 60),
            pat_time_to_expiration: "179:23:59".to_string(),
        }
    }
}

/// A running simulated Tableau server on 127.0.0.1.
pub struct Simulator {
    state: Arc<AppState>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Simulator {
    /// Starts serving `data` on a free loopback port with default settings.
    pub async fn start(data: SiteData) -> Result<Simulator, SimError> {
        Simulator::start_with(data, SimConfig::default()).await
    }

    /// Starts serving `data` with `config`.
    pub async fn start_with(data: SiteData, config: SimConfig) -> Result<Simulator, SimError> {
        data.validate()?;
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))
            .await
            .map_err(|source| SimError::Bind {
                port: config.port,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SimError::Bind {
            port: config.port,
            source,
        })?;
        let state = Arc::new(AppState {
            server: data.server,
            sites: RwLock::new(
                data.sites
                    .into_iter()
                    .map(|s| Arc::new(Site::new(s)))
                    .collect(),
            ),
            sessions: Mutex::default(),
            jobs: Mutex::default(),
            faults: Faults::new(config.node_limit),
            stats: StatsCell::default(),
            config,
            schema: metadata::build_schema(),
            released: tokio::sync::watch::Sender::new(false),
        });
        let app = Router::new().fallback(dispatch).with_state(state.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(error) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(%error, "the Tableau simulator stopped serving");
            }
        });
        tracing::info!(%addr, "Tableau simulator listening");
        Ok(Simulator {
            state,
            addr,
            stop: Some(stop),
            task,
        })
    }

    /// `http://127.0.0.1:PORT`, to hand to a Tableau client as the server URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The fault switches; changes apply to the next request.
    pub fn faults(&self) -> &Faults {
        &self.state.faults
    }

    /// A snapshot of the request counters.
    pub fn stats(&self) -> Stats {
        self.state.stats.snapshot()
    }

    /// Sets every counter back to zero.
    pub fn reset_stats(&self) {
        self.state.stats.reset();
    }

    /// Changes a site while the simulator runs (add or remove workbooks, projects, ...).
    /// Requests already running keep the snapshot they started with.
    pub fn edit_site<R>(
        &self,
        content_url: &str,
        f: impl FnOnce(&mut SiteSpec) -> R,
    ) -> Result<R, SimError> {
        let mut sites = self.state.sites.write().unwrap_or_else(|p| p.into_inner());
        let slot = sites
            .iter_mut()
            .find(|s| s.spec.content_url == content_url)
            .ok_or_else(|| SimError::UnknownSite(content_url.to_string()))?;
        let mut spec = slot.spec.clone();
        let result = f(&mut spec);
        *slot = Arc::new(Site::new(spec));
        Ok(result)
    }

    /// A copy of a site's current content.
    pub fn site(&self, content_url: &str) -> Option<SiteSpec> {
        self.state.site_by_url(content_url).map(|s| s.spec.clone())
    }

    /// Stops listening and waits for open connections to finish (silent requests are
    /// answered first, so none holds the shutdown up).
    pub async fn shutdown(mut self) {
        self.state.released.send_replace(true);
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if self.stop.is_some() {
            self.task.abort();
        }
    }
}

const MAX_BODY: usize = 16 * 1024 * 1024;

/// Every request comes through here: stats, latency, injected failures, then the route;
/// last, the bandwidth limit and the byte counters.
async fn dispatch(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let route = Route::parse(parts.uri.path());
    let _in_flight = state.stats.begin(route.kind());
    let latency = state.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (response, request_bytes) = answer(&state, route, parts, body).await;
    // Streamed bodies (HugeBody) have no exact size; they count as what is known of them.
    let response_bytes = response.body().size_hint().lower();
    state.stats.record(|s| {
        s.bytes_received += request_bytes;
        s.bytes_sent += response_bytes;
    });
    let transfer = state.faults.transfer_time(request_bytes + response_bytes);
    if !transfer.is_zero() {
        tokio::time::sleep(transfer).await;
    }
    response
}

/// The answer to one request, and the size of the request's body.
async fn answer(
    state: &Arc<AppState>,
    route: Route,
    parts: axum::http::request::Parts,
    body: Body,
) -> (Response, u64) {
    let format = Format::from_headers(&parts.headers);
    if let Some(failure) = state.faults.take_failure() {
        state.stats.record(|s| s.injected_failures += 1);
        if failure == HttpFailure::Silent {
            // Held until shutdown; a client that gives up first drops the connection.
            let mut released = state.released.subscribe();
            let _ = released.wait_for(|released| *released).await;
        }
        if failure == HttpFailure::EchoingProxy {
            let body = to_bytes(body, MAX_BODY).await.unwrap_or_default();
            return (echo_page(&parts, &body), body.len() as u64);
        }
        return (failure_response(failure, format), 0);
    }
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        let refusal = RestError::bad_request("The request body could not be read.");
        return (refusal.into_response(format), 0);
    };
    let request_bytes = body.len() as u64;
    let req = Req {
        method: parts.method,
        query: parse_query(parts.uri.query()),
        headers: parts.headers,
        body,
        format,
    };
    let response = match route {
        Route::Metadata => metadata::handle(state, &req).await,
        other => rest::handle(state, other, &req),
    };
    (response, request_bytes)
}

fn failure_response(failure: HttpFailure, format: Format) -> Response {
    match failure {
        HttpFailure::TooManyRequests { retry_after } => {
            let mut response = RestError::new(
                429,
                "429000",
                "Too Many Requests",
                "The request was throttled. Try again later.",
            )
            .into_response(format);
            if let Some(seconds) = retry_after
                && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
            {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        HttpFailure::InternalServerError => RestError::new(
            500,
            "500000",
            "Internal Server Error",
            "The server encountered an error and cannot complete the request.",
        )
        .into_response(format),
        HttpFailure::ServiceUnavailable => with_type(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/html",
            "<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>".to_string(),
        ),
        HttpFailure::GatewayUnauthorized => {
            let mut response = with_type(
                StatusCode::UNAUTHORIZED,
                "text/html",
                "<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n<center><h1>401 Authorization Required</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n".to_string(),
            );
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Corporate proxy\""),
            );
            response
        }
        HttpFailure::HugeBody { status, bytes } => huge_body(status, bytes),
        // Answered in `dispatch`, which has the request to echo.
        HttpFailure::EchoingProxy => StatusCode::UNAUTHORIZED.into_response(),
        // Answered in `dispatch`, which holds the request instead.
        HttpFailure::Silent => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// A debugging proxy's 401 page: every header, the request line and the body, verbatim.
fn echo_page(parts: &axum::http::request::Parts, body: &[u8]) -> Response {
    let mut page = String::from("<pre>");
    for (name, value) in &parts.headers {
        page.push_str(&format!(
            "{name}: {}\n",
            String::from_utf8_lossy(value.as_bytes())
        ));
    }
    page.push_str(&format!("{} {}\n\n", parts.method, parts.uri));
    page.push_str(&String::from_utf8_lossy(body));
    page.push_str("\n</pre>");
    with_type(StatusCode::UNAUTHORIZED, "text/html", page)
}

/// A JSON-looking body of `bytes` bytes (`None`: endless), streamed without `Content-Length`.
fn huge_body(status: u16, bytes: Option<u64>) -> Response {
    // async-graphql re-exports futures-util; using it spares the simulator a dependency.
    use async_graphql::futures_util::stream;
    const CHUNK: usize = 64 * 1024;
    static FILL: [u8; CHUNK] = [b' '; CHUNK];
    const HEAD: &[u8] = b"{\"data\": {\"padding\": \"";
    let chunks = stream::unfold(0u64, move |sent| async move {
        let left = bytes.map_or(u64::MAX, |total| total.saturating_sub(sent));
        if left == 0 {
            return None;
        }
        let chunk = if sent == 0 {
            Bytes::from_static(HEAD)
        } else {
            let size = left.min(CHUNK as u64) as usize;
            Bytes::from_static(&FILL[..size])
        };
        let sent = sent + chunk.len() as u64;
        Some((Ok::<Bytes, std::io::Error>(chunk), sent))
    });
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json;charset=utf-8"),
        )],
        Body::from_stream(chunks),
    )
        .into_response()
}
