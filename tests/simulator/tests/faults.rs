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

#[tokio::test]
async fn gateway_401_is_an_html_page_not_tableau_json() {
    let sim = start().await;
    let token = token(&sim).await;
    sim.faults().fail_next(1, HttpFailure::GatewayUnauthorized);
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
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(response.headers().contains_key("www-authenticate"));
    let text = response.text().await.expect("body");
    assert!(text.contains("401 Authorization Required"), "{text}");
    assert!(serde_json::from_str::<serde_json::Value>(&text).is_err());
}

#[tokio::test]
async fn huge_body_streams_exactly_the_bytes_asked_for_without_a_length() {
    let sim = start().await;
    sim.faults().fail_next(
        1,
        HttpFailure::HugeBody {
            status: 200,
            bytes: Some(300_000),
        },
    );
    let response = client()
        .get(format!("{}/api/{API}/serverinfo", sim.base_url()))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.content_length(), None, "chunked, no length");
    let body = response.bytes().await.expect("body");
    assert_eq!(body.len(), 300_000);
    assert!(body.starts_with(b"{\"data\": {\"padding\": \""));
}

#[tokio::test]
async fn endless_body_keeps_streaming_until_the_client_hangs_up() {
    let sim = start().await;
    sim.faults().fail_next(
        1,
        HttpFailure::HugeBody {
            status: 200,
            bytes: None,
        },
    );
    let mut response = client()
        .get(format!("{}/api/{API}/serverinfo", sim.base_url()))
        .send()
        .await
        .expect("GET");
    let mut read = 0;
    while read < 2_000_000 {
        read += response.chunk().await.expect("chunk").expect("more").len();
    }
    drop(response);
    // The simulator serves on after the client hung up.
    let (status, _) = sign_in(&sim, PAT.0, PAT.1, "acme").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn silent_requests_are_counted_and_never_answered() {
    let sim = start().await;
    sim.faults().fail_next(2, HttpFailure::Silent);
    for _ in 0..2 {
        let outcome = client()
            .get(format!("{}/api/{API}/serverinfo", sim.base_url()))
            .timeout(Duration::from_millis(200))
            .send()
            .await;
        assert!(outcome.expect_err("no answer").is_timeout());
    }
    let stats = sim.stats();
    assert_eq!((stats.requests, stats.injected_failures), (2, 2));
    let (status, _) = sign_in(&sim, PAT.0, PAT.1, "acme").await;
    assert_eq!(status, StatusCode::OK);
    sim.shutdown().await;
}

#[tokio::test]
async fn idle_sessions_time_out_but_used_ones_live_on() {
    let sim = start().await;
    sim.faults()
        .set_session_idle_timeout(Some(Duration::from_millis(300)));
    let token = token(&sim).await;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (status, _) = get_json(&sim, &token, "projects").await;
        assert_eq!(status, StatusCode::OK, "each call restarts the idle clock");
    }
    tokio::time::sleep(Duration::from_millis(450)).await;
    let (status, body) = get_json(&sim, &token, "projects").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "401002");
}

#[tokio::test]
async fn expired_pat_cannot_sign_in_but_its_live_session_goes_on() {
    let sim = start().await;
    let live = token(&sim).await;
    sim.faults().expire_pat(PAT.0);
    let (status, _) = get_json(&sim, &live, "projects").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = sign_in(&sim, PAT.0, PAT.1, "acme").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "401001");
}

#[tokio::test]
async fn echoing_proxy_repeats_the_request_headers_in_its_401_page() {
    let sim = start().await;
    sim.faults().fail_next(1, HttpFailure::EchoingProxy);
    let response = client()
        .get(format!(
            "{}/api/{API}/sites/{SITE_ID}/projects",
            sim.base_url()
        ))
        .header("X-Tableau-Auth", "token-to-echo")
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let text = response.text().await.expect("body");
    assert!(text.contains("x-tableau-auth: token-to-echo"), "{text}");
}

#[tokio::test]
async fn bandwidth_makes_large_answers_slower_and_stats_count_bytes() {
    let sim = start().await;
    let token = token(&sim).await;
    sim.reset_stats();
    let (_, page) = get_json(&sim, &token, "projects").await;
    let page_bytes = page.to_string().len() as u64;
    let stats = sim.stats();
    assert!(
        stats.bytes_sent >= page_bytes / 2,
        "bytes_sent {} for a page of about {page_bytes} bytes",
        stats.bytes_sent
    );
    assert_eq!(stats.bytes_received, 0, "a GET has no body");

    // 2,000 bytes a second: the page takes its size / 2,000 seconds more.
    sim.faults().set_bandwidth(Some(2_000));
    let started = Instant::now();
    get_json(&sim, &token, "projects").await;
    let limited = started.elapsed();
    assert!(
        limited >= Duration::from_secs_f64(stats.bytes_sent as f64 / 2_000.0),
        "took {limited:?} for {} bytes at 2,000 B/s",
        stats.bytes_sent
    );
    sim.faults().set_bandwidth(None);
    let started = Instant::now();
    get_json(&sim, &token, "projects").await;
    assert!(started.elapsed() < limited, "unlimited again");
}

#[tokio::test]
async fn jitter_adds_a_varying_delay_on_top_of_the_fixed_latency() {
    let sim = start().await;
    let token = token(&sim).await;
    sim.faults().set_latency(Duration::from_millis(20));
    sim.faults().set_latency_jitter(Duration::from_millis(200));
    let mut took = Vec::new();
    for _ in 0..8 {
        let started = Instant::now();
        get_json(&sim, &token, "projects").await;
        took.push(started.elapsed());
    }
    assert!(
        took.iter().all(|t| *t >= Duration::from_millis(20)),
        "{took:?}"
    );
    let spread = took.iter().max().copied().unwrap_or_default()
        - took.iter().min().copied().unwrap_or_default();
    // Eight draws from 0..=200 ms all within 5 ms of each other: odds about 1e-10.
    assert!(spread > Duration::from_millis(5), "no jitter: {took:?}");
}

#[test]
fn failures_read_as_the_command_line_names_them() {
    assert_eq!(
        "429@3".parse::<HttpFailure>(),
        Ok(HttpFailure::TooManyRequests {
            retry_after: Some(3)
        })
    );
    assert_eq!("503".parse(), Ok(HttpFailure::ServiceUnavailable));
    assert_eq!(
        "huge@200@4096".parse(),
        Ok(HttpFailure::HugeBody {
            status: 200,
            bytes: Some(4096)
        })
    );
    let unknown = "teapot".parse::<HttpFailure>().expect_err("unknown kind");
    assert!(
        unknown.contains("teapot") && unknown.contains("429@SECONDS"),
        "{unknown}"
    );
    let bad_number = "429@soon".parse::<HttpFailure>().expect_err("bad seconds");
    assert!(bad_number.contains("soon"), "{bad_number}");
}
