//! Neither the PAT secret nor a session token ever reaches a log line, an error or `Debug`.
//!
//! This binary installs a global TRACE subscriber (and the `log` bridge) writing to a
//! buffer, runs successful and failing imports, and searches everything it captured.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use autoexpose_tableau::{ClientOptions, TableauError};
use common::*;
use tableau_sim::HttpFailure;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, fmt};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn captured_logs() -> &'static Buffer {
    static LOGS: OnceLock<Buffer> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let layer = fmt::layer()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .with_filter(
                // The simulator's own logs are not ours to police.
                Targets::new()
                    .with_default(LevelFilter::TRACE)
                    .with_target("tableau_sim", LevelFilter::OFF),
            );
        tracing_subscriber::registry().with(layer).init();
        buffer
    })
}

/// Whether `text` holds something shaped like the simulator's session tokens
/// (22 hex digits, `|`, 32 hex digits).
fn has_token_shape(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(i, b)| {
        *b == b'|'
            && i >= 22
            && bytes.len() >= i + 33
            && bytes[i - 22..i].iter().all(u8::is_ascii_hexdigit)
            && bytes[i + 1..i + 33].iter().all(u8::is_ascii_hexdigit)
    })
}

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(PAT.1), "{what} shows the PAT secret: {text}");
    assert!(
        !has_token_shape(text),
        "{what} shows a session token: {text}"
    );
}

#[test]
fn token_shape_detector_finds_tokens() {
    let token = format!("{}|{}", "a".repeat(22), "0".repeat(32));
    assert!(has_token_shape(&format!("X-Tableau-Auth: {token}")));
    assert!(!has_token_shape("no token | here"));
}

#[tokio::test]
async fn no_secret_or_token_in_logs_or_errors() {
    let logs = captured_logs();
    let sim = example_site().await;
    let mut errors: Vec<TableauError> = Vec::new();

    // A successful run, with a re-sign-in and retries on the way.
    let client = client(&sim, options(2));
    sim.faults().fail_next(2, HttpFailure::InternalServerError);
    client
        .with_session(async |s| {
            sim.faults().expire_all_tokens();
            let projects = s.resolve_collections(&[FINANCE.into()]).await?;
            let luids: Vec<String> = projects.into_iter().map(|p| p.luid).collect();
            s.list_workbooks(&luids, |_| {}).await
        })
        .await
        .unwrap();
    assert_clean("the client's Debug", &format!("{client:?}"));
    assert_clean("the settings' Debug", &format!("{:?}", client.settings()));

    // Failing runs, one per kind of error that can be provoked here.
    let wrong_secret = client_for(&sim, SITE, (PAT.0, "wrong-secret"), options(2));
    errors.push(wrong_secret.sign_in().await.unwrap_err());
    errors.push(
        client
            .list_collections(&["Nope".to_string()], |_| {})
            .await
            .unwrap_err(),
    );
    sim.faults().set_metadata_disabled(true);
    errors.push(
        client
            .list_collections(&[FINANCE.to_string()], |_| {})
            .await
            .unwrap_err(),
    );
    sim.faults().set_metadata_disabled(false);
    sim.faults()
        .fail_next(100, HttpFailure::InternalServerError);
    errors.push(
        client
            .list_collections(&[FINANCE.to_string()], |_| {})
            .await
            .unwrap_err(),
    );
    sim.faults().clear();
    errors.push(
        client
            .with_session(async |s| {
                sim.faults().expire_all_tokens();
                s.projects().await?;
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                sim.faults().expire_all_tokens();
                s.projects().await
            })
            .await
            .unwrap_err(),
    );
    // A proxy that echoes the request (with its X-Tableau-Auth header) into its 401 page.
    let echoed = client
        .with_session(async |s| {
            sim.faults().fail_next(1, HttpFailure::EchoingProxy);
            s.projects().await
        })
        .await
        .unwrap_err();
    assert!(
        echoed.to_string().contains("x-tableau-auth: ***"),
        "the echoed token is scrubbed, not cut away: {echoed}"
    );
    errors.push(echoed);
    errors.push(
        client_for(
            &sim,
            SITE,
            PAT,
            ClientOptions {
                max_response_bytes: 64 * 1024,
                ..options(2)
            },
        )
        .with_session(async |s| {
            sim.faults().fail_next(
                1,
                HttpFailure::HugeBody {
                    status: 200,
                    bytes: None,
                },
            );
            s.projects().await
        })
        .await
        .unwrap_err(),
    );
    errors.push(
        client
            .with_session(async |s| {
                sim.faults().revoke_pat(PAT.0);
                s.projects().await
            })
            .await
            .unwrap_err(),
    );
    sim.faults().clear();
    sim.faults().fail_next(4, HttpFailure::Silent);
    errors.push(
        client_for(
            &sim,
            SITE,
            PAT,
            ClientOptions {
                request_timeout: std::time::Duration::from_millis(100),
                ..options(2)
            },
        )
        .sign_in()
        .await
        .unwrap_err(),
    );
    let session = client.sign_in().await.unwrap();
    assert_clean("the session's Debug", &format!("{session:?}"));
    session.clone().sign_out().await.unwrap();
    errors.push(session.projects().await.unwrap_err());
    sim.shutdown().await;
    errors.push(client.sign_in().await.unwrap_err());

    assert_eq!(errors.len(), 11);
    for err in &errors {
        assert_clean("an error's Debug", &format!("{err:?}"));
        assert_clean("an error's message", &err.to_string());
    }
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("signed in to Tableau"),
        "the capture works: {text}"
    );
    assert!(
        text.contains("signing in again once"),
        "the re-sign-in was logged"
    );
    assert_clean("the TRACE log", &text);
}
