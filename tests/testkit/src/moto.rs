//! Start a moto server (the local AWS: S3, DynamoDB, Secrets Manager) on a free
//! loopback port, for tests that talk to AWS through the real SDK.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

/// Environment variable that names the `moto_server` executable to use instead
/// of the workspace's `.venv/bin/moto_server`.
pub const MOTO_SERVER_ENV: &str = "AUTOEXPOSE_MOTO_SERVER";

/// How long to wait for a freshly started moto to answer `GET /moto-api/`.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// How many lines of moto's stderr to keep for error messages.
const STDERR_LINES: usize = 40;

/// The region every test client uses.
pub const TEST_REGION: &str = "us-east-1";

/// Why moto could not be started.
#[derive(Debug, thiserror::Error)]
pub enum MotoError {
    /// The `moto_server` executable is not where we looked.
    #[error(
        "moto_server not found at {path}: run `bash infra/setup-venv.sh` from the workspace root \
         (or set AUTOEXPOSE_MOTO_SERVER to a moto_server executable)"
    )]
    NotInstalled {
        /// Where we looked.
        path: PathBuf,
    },
    /// The operating system refused to start a process (moto or its watchdog).
    #[error("could not start {what} ({path}): {source}")]
    Spawn {
        /// Which process.
        what: &'static str,
        /// The executable.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// No free loopback port could be reserved.
    #[error("could not find a free port on 127.0.0.1: {0}")]
    NoFreePort(#[source] std::io::Error),
    /// moto exited before it answered.
    #[error("moto_server exited ({status}) before answering on port {port}; its stderr:\n{stderr}")]
    Exited {
        /// The port it was told to use.
        port: u16,
        /// Its exit status.
        status: ExitStatus,
        /// The last lines it wrote to stderr.
        stderr: String,
    },
    /// moto did not answer in time.
    #[error(
        "moto_server did not answer GET /moto-api/ on port {port} within {secs} s; its stderr:\n{stderr}"
    )]
    Timeout {
        /// The port it was told to use.
        port: u16,
        /// How long we waited.
        secs: u64,
        /// The last lines it wrote to stderr.
        stderr: String,
    },
    /// The shared instance failed to start earlier in this test binary.
    #[error("the shared moto server failed to start: {0}")]
    Shared(String),
}

/// A running moto server, stopped when dropped.
///
/// A watchdog shell holds a pipe from this process: if the test binary exits
/// without running `Drop` (as happens to [`MotoServer::shared`]'s static), the
/// pipe closes and the watchdog stops moto, so no server outlives its tests.
pub struct MotoServer {
    port: u16,
    child: Child,
    watchdog: Option<(Child, ChildStdin)>,
    stderr: Arc<Mutex<VecDeque<String>>>,
}

impl std::fmt::Debug for MotoServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MotoServer")
            .field("endpoint", &self.endpoint())
            .field("pid", &self.child.id())
            .finish()
    }
}

impl MotoServer {
    /// Starts a new moto server on a free loopback port and waits until it answers.
    pub fn start() -> Result<MotoServer, MotoError> {
        MotoServer::start_with(&moto_executable())
    }

    /// Starts the given `moto_server` executable; see [`MotoServer::start`].
    pub fn start_with(exe: &Path) -> Result<MotoServer, MotoError> {
        if !exe.is_file() {
            return Err(MotoError::NotInstalled {
                path: exe.to_path_buf(),
            });
        }
        // A port found free can be taken by someone else before moto binds it;
        // moto then exits at once, and another port is tried.
        let mut last = None;
        for _ in 0..3 {
            match start_on_free_port(exe) {
                Ok(server) => return Ok(server),
                Err(err @ MotoError::Exited { .. }) => last = Some(err),
                Err(err) => return Err(err),
            }
        }
        Err(last.unwrap_or(MotoError::Shared("no attempt was made".into())))
    }

    /// The moto server shared by every test in this test binary, started on first use.
    ///
    /// Tests sharing it must use unique resource names ([`unique_name`]): moto
    /// keeps state for as long as it runs, and tests run in parallel.
    pub fn shared() -> Result<&'static MotoServer, MotoError> {
        static SHARED: OnceLock<Result<MotoServer, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| MotoServer::start().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|msg| MotoError::Shared(msg.clone()))
    }

    /// The base URL, e.g. `http://127.0.0.1:40123`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The TCP port moto listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// An SDK configuration aimed at this server: region `us-east-1`, static test
    /// credentials, the endpoint override, and no IMDS, profile or SSO lookups.
    ///
    /// S3 clients built from it should also set `force_path_style(true)`.
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(TEST_REGION))
            .endpoint_url(self.endpoint())
            .credentials_provider(Credentials::new(
                "test",
                "test",
                None,
                None,
                "autoexpose-testkit",
            ))
            .load()
            .await
    }

    /// The last lines moto wrote to stderr (its request log), for debugging a test.
    pub fn recent_stderr(&self) -> String {
        joined(&self.stderr)
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        // Let the watchdog send SIGTERM and finish before we reap moto, so its
        // `kill` can never reach a recycled pid.
        if let Some((mut watchdog, stdin)) = self.watchdog.take() {
            drop(stdin);
            let _ = watchdog.wait();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A name unique to this process and call, for buckets, tables and secrets:
/// lowercase letters, digits and hyphens, at most 63 characters.
pub fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() % 1_000_000_000_000)
        .unwrap_or(0);
    let mut name = format!("{prefix}-{:x}-{nanos:x}-{n}", std::process::id());
    name.truncate(63);
    name
}

/// Where `moto_server` is: `$AUTOEXPOSE_MOTO_SERVER`, else `<workspace>/.venv/bin/moto_server`.
pub fn moto_executable() -> PathBuf {
    if let Some(path) = std::env::var_os(MOTO_SERVER_ENV) {
        return PathBuf::from(path);
    }
    workspace_root().join(".venv/bin/moto_server")
}

/// The workspace root, two levels above this crate (`tests/testkit`).
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| here.to_path_buf())
}

fn start_on_free_port(exe: &Path) -> Result<MotoServer, MotoError> {
    let port = free_port().map_err(MotoError::NoFreePort)?;
    let mut child = Command::new(exe)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| MotoError::Spawn {
            what: "moto_server",
            path: exe.to_path_buf(),
            source,
        })?;
    let stderr = Arc::new(Mutex::new(VecDeque::new()));
    if let Some(pipe) = child.stderr.take() {
        drain_into(pipe, Arc::clone(&stderr));
    }
    let watchdog = match spawn_watchdog(child.id()) {
        Ok(w) => Some(w),
        Err(err) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(err);
        }
    };
    let mut server = MotoServer {
        port,
        child,
        watchdog,
        stderr,
    };
    server.wait_until_ready()?;
    Ok(server)
}

impl MotoServer {
    fn wait_until_ready(&mut self) -> Result<(), MotoError> {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                // Give the drain thread a moment to collect the last words.
                std::thread::sleep(Duration::from_millis(100));
                return Err(MotoError::Exited {
                    port: self.port,
                    status,
                    stderr: joined(&self.stderr),
                });
            }
            if answers_moto_api(self.port) {
                return Ok(());
            }
            if started.elapsed() > READY_TIMEOUT {
                return Err(MotoError::Timeout {
                    port: self.port,
                    secs: READY_TIMEOUT.as_secs(),
                    stderr: joined(&self.stderr),
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

/// A shell that waits for EOF on its stdin (our end closes when this process
/// exits, however it exits), then stops moto.
fn spawn_watchdog(pid: u32) -> Result<(Child, ChildStdin), MotoError> {
    let mut child = Command::new("sh")
        .args([
            "-c",
            "read _ignored; kill \"$0\" 2>/dev/null",
            &pid.to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|source| MotoError::Spawn {
            what: "the moto watchdog",
            path: PathBuf::from("sh"),
            source,
        })?;
    match child.stdin.take() {
        Some(stdin) => Ok((child, stdin)),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            Err(MotoError::Spawn {
                what: "the moto watchdog",
                path: PathBuf::from("sh"),
                source: std::io::Error::other("no stdin pipe"),
            })
        }
    }
}

/// Reads moto's stderr on a thread so the pipe never fills (moto logs every
/// request there), keeping the last lines.
fn drain_into(pipe: impl Read + Send + 'static, lines: Arc<Mutex<VecDeque<String>>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            let Ok(mut kept) = lines.lock() else { break };
            if kept.len() == STDERR_LINES {
                kept.pop_front();
            }
            kept.push_back(line);
        }
    });
}

fn joined(lines: &Mutex<VecDeque<String>>) -> String {
    match lines.lock() {
        Ok(kept) => kept.iter().cloned().collect::<Vec<_>>().join("\n"),
        Err(_) => String::from("(stderr unavailable)"),
    }
}

/// True when `GET /moto-api/` answers 200.
fn answers_moto_api(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut status = String::new();
    if BufReader::new(stream).read_line(&mut status).is_err() {
        return false;
    }
    status.split_whitespace().nth(1) == Some("200")
}
