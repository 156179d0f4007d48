//! The moto helper starts a real server and stops it again.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use autoexpose_testkit::{MotoServer, unique_name};

fn accepts_connections(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

#[test]
fn started_server_answers_and_dropping_it_stops_it() {
    let moto = MotoServer::start().expect("moto starts");
    let port = moto.port();
    assert!(moto.endpoint().starts_with("http://127.0.0.1:"));
    assert!(accepts_connections(port), "moto listens on {port}");
    drop(moto);
    let deadline = Instant::now() + Duration::from_secs(5);
    while accepts_connections(port) {
        assert!(
            Instant::now() < deadline,
            "moto still listens on {port} after drop"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn shared_server_is_started_once_per_process() {
    let first = MotoServer::shared().expect("moto starts");
    let second = MotoServer::shared().expect("moto starts");
    assert_eq!(first.endpoint(), second.endpoint());
}

#[tokio::test]
async fn sdk_config_points_at_the_server_in_the_test_region() {
    let moto = MotoServer::shared().expect("moto starts");
    let config = moto.sdk_config().await;
    assert_eq!(config.endpoint_url(), Some(moto.endpoint().as_str()));
    assert_eq!(config.region().map(|r| r.as_ref()), Some("us-east-1"));
}

#[test]
fn unique_names_differ_and_are_valid_bucket_names() {
    let a = unique_name("bucket");
    let b = unique_name("bucket");
    assert_ne!(a, b);
    assert!(a.len() <= 63);
    assert!(
        a.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    );
}

#[test]
fn missing_moto_tells_how_to_install_it() {
    let missing = std::path::Path::new("/nonexistent/.venv/bin/moto_server");
    let err = MotoServer::start_with(missing).expect_err("no moto there");
    let message = err.to_string();
    assert!(message.contains("bash infra/setup-venv.sh"), "{message}");
    assert!(
        message.contains("/nonexistent/.venv/bin/moto_server"),
        "{message}"
    );
}
