//! The real cause of a 401: a proxy's page, an idle timeout, a session ended while in use,
//! or a token that expired or was revoked during the run.

mod common;

use std::time::Duration;

use autoexpose_tableau::{PatExpiry, SessionEnd, TableauError};
use autoexpose_testkit::example_site_with;
use common::*;
use tableau_sim::{HttpFailure, SimConfig};

#[tokio::test]
async fn proxy_html_401_is_named_with_its_content_type_and_not_retried_as_a_session() {
    let sim = example_site().await;
    let err = client(&sim, options(100))
        .with_session(async |s| {
            sim.faults().fail_next(3, HttpFailure::GatewayUnauthorized);
            s.projects().await
        })
        .await
        .unwrap_err();
    match &err {
        TableauError::UnauthorizedByProxy {
            content_type,
            body_start,
            ..
        } => {
            assert_eq!(content_type, "text/html");
            assert!(
                body_start.contains("401 Authorization Required"),
                "{body_start}"
            );
        }
        other => panic!("expected a proxy's 401, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("HTTP 401 and text/html"), "{message}");
    assert!(!message.contains("another process"), "{message}");
    assert!(
        !message.contains('\n') && !message.contains('\r'),
        "{message}"
    );
    assert_eq!(
        sim.stats().sign_ins,
        1,
        "no sign-in again for a proxy's 401"
    );
}

#[tokio::test]
async fn proxy_html_401_before_sign_in_is_not_a_rejected_token() {
    let sim = example_site().await;
    sim.faults().fail_next(1, HttpFailure::GatewayUnauthorized);
    let err = client(&sim, options(100)).sign_in().await.unwrap_err();
    assert!(
        matches!(err, TableauError::UnauthorizedByProxy { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn idle_timeout_signs_in_again_once_then_is_reported_as_idle() {
    let sim = example_site().await;
    sim.faults()
        .set_session_idle_timeout(Some(Duration::from_millis(600)));
    let err = client(&sim, options(100))
        .with_session(async |s| {
            s.projects().await?;
            tokio::time::sleep(Duration::from_millis(1200)).await;
            // Timed out: signed in again, and the request goes through.
            s.projects().await?;
            tokio::time::sleep(Duration::from_millis(1200)).await;
            s.projects().await
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            TableauError::SessionLost {
                cause: SessionEnd::Idle { .. },
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("without a request"), "{message}");
    assert!(message.contains("wgserver.session.idle_limit"), "{message}");
    assert!(!message.contains("another process"), "{message}");
    assert_eq!(sim.stats().sign_ins, 2, "signed in again once");
}

#[tokio::test]
async fn pat_expiring_during_the_run_is_reported_as_expired() {
    let sim = example_site_with(SimConfig {
        pat_time_to_expiration: "0:00:00".into(),
        ..SimConfig::default()
    })
    .await;
    let err = client(&sim, options(100))
        .with_session(async |s| {
            sim.faults().expire_pat(PAT.0);
            sim.faults().expire_all_tokens();
            s.projects().await
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            TableauError::PatRefusedMidRun {
                expiry: PatExpiry::Passed { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("the token expired during the run"),
        "{err}"
    );
}

#[tokio::test]
async fn pat_revoked_during_the_run_is_reported_as_revoked() {
    let sim = example_site().await;
    let err = client(&sim, options(100))
        .with_session(async |s| {
            sim.faults().revoke_pat(PAT.0);
            s.projects().await
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            TableauError::PatRefusedMidRun {
                expiry: PatExpiry::NotYet { .. },
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("most likely revoked"), "{message}");
    assert!(message.contains("(401001)"), "{message}");
}
