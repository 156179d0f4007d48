//! The `tableau-sim` binary and site-file loading.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use tableau_sim::{SimError, load_site_file};

#[tokio::test]
async fn binary_prints_its_loopback_url_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tableau-sim"))
        .arg("--site-file")
        .arg(common::example_path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tableau-sim");
    let stdout = child.stdout.take().expect("stdout");
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .expect("reader thread")
    .expect("first line");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .map(str::to_string);
    let served = match &url {
        Some(url) if url.starts_with("http://127.0.0.1:") => {
            reqwest::get(format!("{url}/api/3.25/serverinfo"))
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false)
        }
        _ => false,
    };
    child.kill().expect("stop tableau-sim");
    let _ = child.wait();
    assert!(served, "unexpected first line {line:?} or no answer");
}

#[test]
fn site_file_with_dangling_reference_is_rejected_with_its_problem() {
    let dir = std::env::temp_dir().join(format!("tableau-sim-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("bad.json");
    let text = std::fs::read_to_string(common::example_path())
        .expect("example")
        .replace(
            "\"table_ids\": [\"tbl-payments\"]",
            "\"table_ids\": [\"tbl-missing\"]",
        );
    std::fs::write(&path, text).expect("write");
    let error = load_site_file(&path).expect_err("dangling table id");
    assert!(matches!(error, SimError::InvalidSite { .. }), "{error}");
    assert!(error.to_string().contains("tbl-missing"), "{error}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn example_site_file_loads() {
    let data = load_site_file(&common::example_path()).expect("example loads");
    let acme = &data.sites[0];
    assert_eq!(acme.content_url, "acme");
    assert_eq!(acme.workbooks.len(), 7);
    assert_eq!(data.sites[1].content_url, "");
}

/// Starts the binary on the example site with `args` and returns it with its URL.
async fn start_binary(args: &[&str]) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tableau-sim"))
        .arg("--site-file")
        .arg(common::example_path())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tableau-sim");
    let stdout = child.stdout.take().expect("stdout");
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .expect("reader thread")
    .expect("first line");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    (child, url)
}

#[tokio::test]
async fn fault_flags_hold_from_the_first_request() {
    let (mut child, url) = start_binary(&[
        "--latency-ms",
        "150",
        "--latency-jitter-ms",
        "10",
        "--fail-first",
        "1:503",
        "--metadata-disabled",
    ])
    .await;
    let client = reqwest::Client::new();
    let server_info = format!("{url}/api/{}/serverinfo", common::API);
    let started = std::time::Instant::now();
    let first = client.get(&server_info).send().await.map(|r| r.status());
    let first_took = started.elapsed();
    let second = client.get(&server_info).send().await.map(|r| r.status());
    let (name, secret) = common::PAT;
    let sign_in = serde_json::json!({"credentials": {"personalAccessTokenName": name,
        "personalAccessTokenSecret": secret, "site": {"contentUrl": "acme"}}});
    let token = async {
        let body: serde_json::Value = client
            .post(format!("{url}/api/{}/auth/signin", common::API))
            .header("Accept", "application/json")
            .json(&sign_in)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        body["credentials"]["token"].as_str().map(str::to_string)
    }
    .await;
    let metadata: Option<serde_json::Value> = match &token {
        Some(token) => {
            async {
                client
                    .post(format!("{url}/api/metadata/graphql"))
                    .header("X-Tableau-Auth", token)
                    .json(&serde_json::json!({"query": "{ workbooks { luid } }"}))
                    .send()
                    .await
                    .ok()?
                    .json()
                    .await
                    .ok()
            }
            .await
        }
        None => None,
    };
    child.kill().expect("stop tableau-sim");
    let _ = child.wait();

    assert_eq!(first.ok(), Some(reqwest::StatusCode::SERVICE_UNAVAILABLE));
    assert!(
        first_took >= std::time::Duration::from_millis(150),
        "--latency-ms 150, answered in {first_took:?}"
    );
    assert_eq!(
        second.ok(),
        Some(reqwest::StatusCode::OK),
        "one failure only"
    );
    let metadata = metadata.expect("signed in and queried the Metadata API");
    assert_eq!(
        common::first_error_code(&metadata),
        Some("FEATURE_DISABLED"),
        "{metadata}"
    );
}

#[test]
fn bad_fault_flag_is_refused_naming_the_value() {
    let output = Command::new(env!("CARGO_BIN_EXE_tableau-sim"))
        .arg("--site-file")
        .arg(common::example_path())
        .args(["--fail-first", "2:teapot"])
        .output()
        .expect("run tableau-sim");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("teapot") && stderr.contains("--fail-first"),
        "{stderr}"
    );
}
