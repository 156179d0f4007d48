//! Sign-in, sign-out, re-sign-in, retries and typed errors against the simulator.

mod common;

use std::time::{Duration, Instant};

use autoexpose_tableau::{ClientOptions, GaveUp, RetryPolicy, SessionEnd, TableauError};
use common::*;
use tableau_sim::{GENERATED_PAT, HttpFailure, Simulator, generate_site};
use tokio::sync::Notify;

#[tokio::test]
async fn signs_out_after_success() {
    let sim = example_site().await;
    client(&sim, options(100))
        .list_collections(&[FINANCE.to_string()], |_| {})
        .await
        .unwrap();
    let stats = sim.stats();
    assert_eq!(stats.sign_ins, 1);
    assert_eq!(stats.sign_outs, 1);
}

#[tokio::test]
async fn signs_out_after_an_error_in_the_work() {
    let sim = example_site().await;
    sim.faults().set_metadata_disabled(true);
    let err = client(&sim, options(100))
        .list_collections(&[FINANCE.to_string()], |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, TableauError::MetadataApiDisabled), "{err:?}");
    assert!(
        err.to_string()
            .contains("tsm maintenance metadata-services enable")
    );
    assert_eq!(sim.stats().sign_outs, 1);
}

#[tokio::test]
async fn bad_secret_is_rejected_with_the_token_name() {
    let sim = example_site().await;
    let err = client_for(&sim, SITE, ("autoexpose-ci", "wrong"), options(100))
        .list_collections(&[FINANCE.to_string()], |_| {})
        .await
        .unwrap_err();
    match &err {
        TableauError::PatRejected {
            token_name, site, ..
        } => {
            assert_eq!(
                (token_name.as_str(), site.as_str()),
                ("autoexpose-ci", SITE)
            );
        }
        other => panic!("expected a rejected PAT, got {other:?}"),
    }
    assert!(err.to_string().contains("expired or revoked"));
    assert_eq!(sim.stats().sign_ins, 0);
}

#[tokio::test]
async fn expired_pat_is_rejected() {
    let sim = example_site().await;
    let err = client_for(&sim, SITE, ("old-token", "old-secret"), options(100))
        .list_collections(&[FINANCE.to_string()], |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(err, TableauError::PatRejected { ref token_name, .. } if token_name == "old-token")
    );
}

#[tokio::test]
async fn revoked_pat_is_rejected() {
    let sim = example_site().await;
    sim.faults().revoke_pat("autoexpose-ci");
    let err = client(&sim, options(100))
        .list_collections(&[FINANCE.to_string()], |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, TableauError::PatRejected { .. }), "{err:?}");
}

#[tokio::test]
async fn unknown_site_is_rejected_naming_the_site() {
    // Tableau answers a sign-in to a site that does not exist like a bad PAT (401001).
    let sim = example_site().await;
    let err = client_for(&sim, "no-such-site", PAT, options(100))
        .list_collections(&[FINANCE.to_string()], |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, TableauError::PatRejected { ref site, .. } if site == "no-such-site"));
    assert!(err.to_string().contains("site name 'no-such-site'"));
}

#[tokio::test]
async fn unreachable_server_names_the_host() {
    let sim = example_site().await;
    let url = sim.base_url();
    sim.shutdown().await;
    let client = autoexpose_tableau::TableauClient::new(
        autoexpose_tableau::ConnectionSettings {
            server_url: url.clone(),
            site: SITE.into(),
            token_name: PAT.0.into(),
            token_secret: autoexpose_tableau::TokenSecret::new(PAT.1),
        },
        options(100),
    )
    .unwrap();
    let err = client
        .list_collections(&[FINANCE.to_string()], |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(err, TableauError::Unreachable { attempts: 4, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains(url.trim_start_matches("http://")));
}

#[tokio::test]
async fn too_many_requests_with_retry_after_is_waited_out() {
    let sim = example_site().await;
    sim.faults().fail_next(
        2,
        HttpFailure::TooManyRequests {
            retry_after: Some(1),
        },
    );
    let started = Instant::now();
    let listing = client(&sim, options(100))
        .list_collections(&[FINANCE.to_string()], |_| {})
        .await
        .unwrap();
    assert_eq!(listing.workbooks.workbooks.len(), 3);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(sim.stats().injected_failures, 2);
}

#[tokio::test]
async fn service_unavailable_is_retried() {
    let sim = example_site().await;
    sim.faults().fail_next(3, HttpFailure::ServiceUnavailable);
    let listing = client(&sim, options(100))
        .list_collections(&[FINANCE.to_string()], |_| {})
        .await
        .unwrap();
    assert_eq!(listing.workbooks.workbooks.len(), 3);
    assert_eq!(sim.stats().injected_failures, 3);
}

#[tokio::test]
async fn server_errors_give_up_after_the_retries() {
    let sim = example_site().await;
    sim.faults()
        .fail_next(100, HttpFailure::InternalServerError);
    let err = client(&sim, options(100))
        .list_collections(&[FINANCE.to_string()], |_| {})
        .await
        .unwrap_err();
    match &err {
        TableauError::ServerError {
            status, attempts, ..
        } => assert_eq!((*status, *attempts), (500, 4)),
        other => panic!("expected a server error, got {other:?}"),
    }
    assert_eq!(
        sim.stats().injected_failures,
        4,
        "one try and three retries"
    );
}

#[tokio::test]
async fn silent_server_is_reported_with_the_attempts_that_reached_it() {
    let sim = example_site().await;
    sim.faults().fail_next(100, HttpFailure::Silent);
    let quick = ClientOptions {
        request_timeout: Duration::from_millis(200),
        ..options(100)
    };
    let err = client(&sim, quick).sign_in().await.unwrap_err();
    let arrived = sim.stats().injected_failures;
    assert_eq!(arrived, 4, "one try and three retries reached the server");
    match &err {
        TableauError::Unreachable {
            attempts, stopped, ..
        } => {
            assert_eq!(u64::from(*attempts), arrived);
            assert_eq!(*stopped, GaveUp::RetryLimit { max_retries: 3 });
        }
        other => panic!("expected an unreachable server, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("all 4 attempts failed"), "{message}");
    assert!(message.contains("the retry limit (3 retries)"), "{message}");
}

#[tokio::test]
async fn silent_server_is_given_up_on_when_the_time_budget_is_spent() {
    let sim = example_site().await;
    sim.faults().fail_next(1000, HttpFailure::Silent);
    let patient = ClientOptions {
        request_timeout: Duration::from_millis(150),
        retry_budget: Duration::from_millis(400),
        retry: RetryPolicy {
            max_retries: 100,
            ..fast_retry()
        },
        ..options(100)
    };
    let err = client(&sim, patient).sign_in().await.unwrap_err();
    let arrived = sim.stats().injected_failures;
    match &err {
        TableauError::Unreachable {
            attempts, stopped, ..
        } => {
            assert_eq!(u64::from(*attempts), arrived, "the count is the real one");
            assert!(*attempts < 101, "stopped before the retry limit");
            assert_eq!(
                *stopped,
                GaveUp::TimeBudget {
                    budget: Duration::from_millis(400)
                }
            );
        }
        other => panic!("expected an unreachable server, got {other:?}"),
    }
    assert!(err.to_string().contains("time budget of 400 ms"), "{err}");
}

#[tokio::test]
async fn rate_limiting_gives_up_after_the_retries() {
    let sim = example_site().await;
    sim.faults()
        .fail_next(100, HttpFailure::TooManyRequests { retry_after: None });
    let err = client(&sim, options(100))
        .list_collections(&[FINANCE.to_string()], |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(err, TableauError::RateLimited { attempts: 4, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn metadata_rate_exceeded_is_retried() {
    let sim = example_site().await;
    sim.faults().rate_limit_next_metadata(2);
    let listing = client(&sim, options(100))
        .list_collections(&[FINANCE.to_string()], |_| {})
        .await
        .unwrap();
    assert_eq!(listing.workbooks.workbooks.len(), 3);
}

#[tokio::test]
async fn metadata_rate_exceeded_gives_up() {
    let sim = example_site().await;
    sim.faults().rate_limit_next_metadata(100);
    let err = client(&sim, options(100))
        .list_collections(&[FINANCE.to_string()], |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(err, TableauError::RateLimited { ref what, .. } if what.contains("RATE_EXCEEDED"))
    );
    assert_eq!(sim.stats().sign_outs, 1);
}

#[tokio::test]
async fn expired_session_signs_in_again_once() {
    let sim = example_site().await;
    let client = client(&sim, options(100));
    let listing = client
        .with_session(async |s| {
            let projects = s.resolve_collections(&[FINANCE.into()]).await?;
            sim.faults().expire_all_tokens();
            let luids: Vec<String> = projects.into_iter().map(|p| p.luid).collect();
            s.list_workbooks(&luids, |_| {}).await
        })
        .await
        .unwrap();
    assert_eq!(listing.workbooks.len(), 3);
    let stats = sim.stats();
    assert_eq!(
        stats.sign_ins, 2,
        "one sign-in again, shared by concurrent requests"
    );
    assert_eq!(stats.sign_outs, 1);
}

#[tokio::test]
async fn session_lost_twice_is_an_error() {
    let sim = example_site().await;
    let err = client(&sim, options(100))
        .with_session(async |s| {
            sim.faults().expire_all_tokens();
            s.projects().await?;
            tokio::time::sleep(Duration::from_millis(5)).await;
            sim.faults().expire_all_tokens();
            s.projects().await
        })
        .await
        .unwrap_err();
    assert!(matches!(err, TableauError::SessionLost { ref token_name, .. } if token_name == PAT.0));
    assert!(
        matches!(
            err,
            TableauError::SessionLost {
                cause: SessionEnd::EndedInUse { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("another process is probably signing in with the same personal access token"),
        "{err}"
    );
    assert_eq!(sim.stats().sign_ins, 2);
}

#[tokio::test]
async fn second_sign_in_with_the_same_pat_is_survived_once() {
    let sim = Simulator::start(generate_site(150, 3, 9)).await.unwrap();
    sim.faults().set_latency(Duration::from_millis(10));
    let roots: Vec<String> = sim
        .site("bench")
        .unwrap()
        .projects
        .iter()
        .filter(|p| p.parent_id.is_none())
        .map(|p| p.id.clone())
        .collect();
    let first = client_for(&sim, "bench", GENERATED_PAT, options(3));
    let second = client_for(&sim, "bench", GENERATED_PAT, options(3));
    let pages_seen = std::sync::Arc::new(Notify::new());
    let notify = pages_seen.clone();
    let run = tokio::spawn(async move {
        first
            .list_collections(&roots, move |p| {
                if p.pages == 3 {
                    notify.notify_one();
                }
            })
            .await
    });
    pages_seen.notified().await;
    // Another process signs in with the same PAT: the first session dies (401002).
    let intruder = second.sign_in().await.unwrap();
    let listing = run.await.unwrap().unwrap();
    assert_eq!(listing.workbooks.workbooks.len(), 150);
    intruder.sign_out().await.unwrap();
    let stats = sim.stats();
    assert_eq!(stats.sign_ins, 3, "first, intruder, first again");
}
