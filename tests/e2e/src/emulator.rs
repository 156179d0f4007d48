//! The built functions under a Lambda runtime: each `bootstrap` that
//! `infra/build-lambdas.sh` made, served by cargo-lambda's emulator of the Lambda runtime
//! API (`cargo lambda watch --only-lambda-apis`, installed by
//! `infra/setup-lambda-tools.sh`), with the environment `template.yaml` gives it
//! (derived by `infra/function_env.py`). The runtime-emulator tests and the cold-start
//! bench start functions through this module.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use autoexpose_testkit::{MotoServer, workspace_root};
use serde_json::Value;

const STACK: &str = "autoexpose-emulated";
const ACCOUNT: &str = "123456789012";
/// The region the emulated stack runs in.
pub const REGION: &str = "us-east-1";

/// One function: its bootstrap serving the emulator's runtime API, and the emulator.
pub struct Emulated {
    emulator: Child,
    /// The function's process.
    pub function: Child,
    /// The emulator's port: its Invoke API is `http://127.0.0.1:{port}`.
    pub port: u16,
    http: reqwest::Client,
}

impl Emulated {
    /// Starts the emulator on a free port, then the function's bootstrap with `env` (and
    /// nothing else from this process's environment but PATH).
    pub async fn start(function: &str, env: &BTreeMap<String, String>) -> Emulated {
        let port = free_port();
        let emulator = Command::new(workspace_root().join(".venv-lambda/bin/cargo-lambda"))
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "-A",
                "127.0.0.1",
                "-P",
            ])
            .arg(port.to_string())
            .current_dir(workspace_root())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cargo lambda watch starts (run `bash infra/setup-lambda-tools.sh`)");
        wait_for_port(port).await;
        let function = Command::new(bootstrap(function))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(env)
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{port}/.rt"),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", function)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the bootstrap starts");
        Emulated {
            emulator,
            function,
            port,
            http: reqwest::Client::new(),
        }
    }

    /// Invokes the function through the emulator's Invoke API and returns its response.
    pub async fn invoke(&self, event: &Value) -> Value {
        let url = format!(
            "http://127.0.0.1:{}/2015-03-31/functions/_/invocations",
            self.port
        );
        let response = self
            .http
            .post(url)
            .json(event)
            .timeout(Duration::from_secs(120))
            .send()
            .await
            .expect("the emulator answers");
        response.json().await.expect("a JSON response")
    }

    /// Whether the function process is still the one that served earlier invocations.
    pub fn still_running(&mut self) -> bool {
        matches!(self.function.try_wait(), Ok(None))
    }
}

impl Drop for Emulated {
    fn drop(&mut self) {
        let _ = self.function.kill();
        let _ = self.function.wait();
        let _ = self.emulator.kill();
        let _ = self.emulator.wait();
    }
}

/// The bootstrap `infra/build-lambdas.sh` built for `function` (its crate name).
pub fn bootstrap(function: &str) -> PathBuf {
    let path = workspace_root().join(format!("target/lambda/{function}/bootstrap"));
    assert!(
        path.exists(),
        "{} is missing: build the functions with `bash infra/build-lambdas.sh`",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn wait_for_port(port: u16) {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the emulator never listened on port {port}");
}

/// The variables `template.yaml` gives each function (by logical id), resolved for a stack
/// whose table and queues are these, plus what Lambda itself sets: the region and credentials (moto's).
pub fn template_env(
    table: &str,
    refresh_queue_url: &str,
    sync_queue_url: &str,
) -> BTreeMap<String, BTreeMap<String, String>> {
    let out = Command::new(workspace_root().join(".venv/bin/python"))
        .arg(workspace_root().join("infra/function_env.py"))
        .arg(workspace_root().join("template.yaml"))
        .args([
            "--stack-name",
            STACK,
            "--account",
            ACCOUNT,
            "--region",
            REGION,
        ])
        .arg("--ref")
        .arg(format!("StateTable={table}"))
        .arg("--ref")
        .arg(format!("RefreshQueue={refresh_queue_url}"))
        .arg("--ref")
        .arg(format!("SyncQueue={sync_queue_url}"))
        .output()
        .expect("function_env.py runs (run `bash infra/setup-venv.sh`)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut envs: BTreeMap<String, BTreeMap<String, String>> =
        serde_json::from_slice(&out.stdout).expect("JSON");
    let moto = MotoServer::shared().expect("moto");
    for env in envs.values_mut() {
        env.insert("AWS_ENDPOINT_URL".into(), moto.endpoint());
        env.insert("AWS_REGION".into(), REGION.into());
        env.insert("AWS_ACCESS_KEY_ID".into(), "testing".into());
        env.insert("AWS_SECRET_ACCESS_KEY".into(), "testing".into());
        env.insert("AWS_LAMBDA_LOG_LEVEL".into(), "INFO".into());
    }
    envs
}
