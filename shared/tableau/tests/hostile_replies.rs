//! Replies that would exhaust the process: every body is read up to a limit, then dropped.

mod common;

use autoexpose_tableau::{ClientOptions, DEFAULT_MAX_RESPONSE_BYTES, TableauError};
use common::*;
use tableau_sim::HttpFailure;

const LIMIT: usize = 1024 * 1024;

fn limited() -> ClientOptions {
    ClientOptions {
        max_response_bytes: LIMIT,
        ..options(100)
    }
}

#[tokio::test]
async fn endless_metadata_reply_stops_at_the_limit_naming_it_and_the_path() {
    let sim = example_site().await;
    let err = client(&sim, limited())
        .with_session(async |s| {
            sim.faults().fail_next(
                1,
                HttpFailure::HugeBody {
                    status: 200,
                    bytes: None,
                },
            );
            s.list_workbooks(&[FINANCE.to_string()], |_| {}).await
        })
        .await
        .unwrap_err();
    match &err {
        TableauError::ResponseTooLarge { path, limit } => {
            assert_eq!((path.as_str(), *limit), ("/api/metadata/graphql", LIMIT));
        }
        other => panic!("expected a reply too large, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.starts_with("Tableau's reply to /api/metadata/graphql was larger than 1 MiB (the limit set by the Tableau client option max_response_bytes)"),
        "{message}"
    );
    assert_eq!(sim.stats().sign_outs, 1, "signed out after the failure");
}

#[tokio::test]
async fn huge_rest_error_body_is_bounded_too_and_not_asked_for_again() {
    let sim = example_site().await;
    let err = client(&sim, limited())
        .with_session(async |s| {
            sim.faults().fail_next(
                5,
                HttpFailure::HugeBody {
                    status: 500,
                    bytes: Some(8 * LIMIT as u64),
                },
            );
            s.projects().await
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, TableauError::ResponseTooLarge { path, .. } if path.ends_with("/projects")),
        "{err:?}"
    );
    // The projects request and the sign-out after it, each read once: neither was retried.
    assert_eq!(sim.stats().injected_failures, 2);
}

#[tokio::test]
async fn replies_up_to_the_limit_are_read_whole() {
    let sim = example_site().await;
    // The example site's pages are a few kilobytes: well inside a 64 KiB limit.
    let listing = client(
        &sim,
        ClientOptions {
            max_response_bytes: 64 * 1024,
            ..options(100)
        },
    )
    .list_collections(&[FINANCE.to_string()], |_| {})
    .await
    .unwrap();
    assert_eq!(listing.workbooks.workbooks.len(), 3);
    assert_eq!(DEFAULT_MAX_RESPONSE_BYTES, 64 * 1024 * 1024);
    assert_eq!(
        ClientOptions::default().max_response_bytes,
        DEFAULT_MAX_RESPONSE_BYTES
    );
}
