//! Injected faults and the stats a test reads back.

mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::StatusCode;
use serde_json::json;
use tableau_sim::HttpFailure;

#[tokio::test]
async fn next_requests_answer_429_with_retry_after_then_recover() {
    let sim = start().await;
    let token = token(&sim).await;
    sim.faults().fail_next(
        2,
        HttpFailure::TooManyRequests {
            retry_after: Some(7),
        },
    );
    for _ in 0..2 {
        let response = client()
            .get(format!(
                "{}/api/{API}/sites/{SITE_ID}/projects",
                sim.base_url()
            ))
            .header("X-Tableau-Auth", &token)
            .header("Accept", "application/json")
            .send()
            .await
            .expect("GET");
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()),
            Some("7")
        );
        let body: serde_json::Value = response.json().await.expect("JSON");
        assert_eq!(body["error"]["code"], "429000");
    }
    let (status, _) = get_json(&sim, &token, "projects").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sim.stats().injected_failures, 2);
}

#[tokio::test]
async fn injected_500_has_xml_error_and_503_has_html() {
    let sim = start().await;
    let token = token(&sim).await;
    sim.faults().fail_next(1, HttpFailure::InternalServerError);
    let response = client()
        .get(format!(
            "{}/api/{API}/sites/{SITE_ID}/projects",
            sim.base_url()
        ))
        .header("X-Tableau-Auth", &token)
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        response
            .text()
            .await
            .expect("body")
            .contains("<error code=\"500000\">")
    );

    sim.faults().fail_next(1, HttpFailure::ServiceUnavailable);
    let (status, body) = graphql(&sim, &token, "{ workbooks { name } }", json!({})).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        body,
        serde_json::Value::Null,
        "the 503 body is HTML, not JSON"
    );
    let (status, _) = graphql(&sim, &token, "{ workbooks { name } }", json!({})).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn expiring_all_tokens_gives_401002_until_signing_in_again() {
    let sim = start().await;
    let old = token(&sim).await;
    sim.faults().expire_all_tokens();
    let (status, body) = get_json(&sim, &old, "projects").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "401002");
    let (status, _) = graphql(&sim, &old, "{ workbooks { name } }", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Tokens issued after the expiry work.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let fresh = token(&sim).await;
    let (status, _) = get_json(&sim, &fresh, "projects").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn revoked_pat_cannot_sign_in_and_its_token_dies() {
    let sim = start().await;
    let live = token(&sim).await;
    sim.faults().revoke_pat(PAT.0);
    let (status, _) = get_json(&sim, &live, "projects").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = sign_in(&sim, PAT.0, PAT.1, "acme").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "401001");
    sim.faults().clear();
    let (status, _) = sign_in(&sim, PAT.0, PAT.1, "acme").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn latency_delays_requests_and_stats_count_concurrency() {
    let sim = start().await;
    let token = token(&sim).await;
    sim.reset_stats();
    sim.faults().set_latency(Duration::from_millis(300));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let url = format!("{}/api/{API}/sites/{SITE_ID}/projects", sim.base_url());
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            client()
                .get(url)
                .header("X-Tableau-Auth", token)
                .send()
                .await
                .map(|r| r.status())
        }));
    }
    for task in tasks {
        assert_eq!(task.await.expect("task").expect("request"), StatusCode::OK);
    }
    assert!(started.elapsed() >= Duration::from_millis(300));
    let stats = sim.stats();
    assert_eq!(stats.projects, 6);
    assert_eq!(stats.requests, 6);
    assert_eq!(stats.max_in_flight, 6);

    sim.reset_stats();
    sim.faults().set_latency(Duration::ZERO);
    for _ in 0..3 {
        get_json(&sim, &token, "projects").await;
    }
    assert_eq!(sim.stats().max_in_flight, 1);
}
