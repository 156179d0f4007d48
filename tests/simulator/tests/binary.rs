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
