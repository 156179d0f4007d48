//! One place that starts the simulator and speaks to it, shared by the test files.
#![allow(dead_code)]

use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tableau_sim::{SimConfig, Simulator, load_site_file};

pub(crate) const SITE_ID: &str = "9a8b7c6d-1111-4e2f-8a3b-5c6d7e8f9a0b";
pub(crate) const PAT: (&str, &str) = ("autoexpose-ci", "ci-secret-0123456789");
pub(crate) const API: &str = "3.25";

pub(crate) fn example_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sites/example.json")
}

pub(crate) async fn start() -> Simulator {
    start_with(SimConfig::default()).await
}

pub(crate) async fn start_with(config: SimConfig) -> Simulator {
    let data = load_site_file(&example_path()).expect("example site loads");
    Simulator::start_with(data, config)
        .await
        .expect("simulator starts")
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// Signs in with JSON and returns the HTTP status and body.
pub(crate) async fn sign_in(
    sim: &Simulator,
    name: &str,
    secret: &str,
    site: &str,
) -> (StatusCode, Value) {
    let body = json!({"credentials": {"personalAccessTokenName": name, "personalAccessTokenSecret": secret, "site": {"contentUrl": site}}});
    let response = client()
        .post(format!("{}/api/{API}/auth/signin", sim.base_url()))
        .header("Accept", "application/json")
        .json(&body)
        .send()
        .await
        .expect("sign-in request");
    let status = response.status();
    (status, response.json().await.expect("JSON body"))
}

/// Signs in with the example's CI PAT and returns the token.
pub(crate) async fn token(sim: &Simulator) -> String {
    let (status, body) = sign_in(sim, PAT.0, PAT.1, "acme").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["credentials"]["token"]
        .as_str()
        .expect("token")
        .to_string()
}

/// GET a site-relative REST path as JSON.
pub(crate) async fn get_json(sim: &Simulator, token: &str, path: &str) -> (StatusCode, Value) {
    let response = client()
        .get(format!(
            "{}/api/{API}/sites/{SITE_ID}/{path}",
            sim.base_url()
        ))
        .header("X-Tableau-Auth", token)
        .header("Accept", "application/json")
        .send()
        .await
        .expect("GET");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// POST to a site-relative REST path with an empty `<tsRequest/>`, as JSON.
pub(crate) async fn post_json(sim: &Simulator, token: &str, path: &str) -> (StatusCode, Value) {
    let response = client()
        .post(format!(
            "{}/api/{API}/sites/{SITE_ID}/{path}",
            sim.base_url()
        ))
        .header("X-Tableau-Auth", token)
        .header("Accept", "application/json")
        .header("Content-Type", "application/xml")
        .body("<tsRequest/>")
        .send()
        .await
        .expect("POST");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Runs a GraphQL query on the Metadata API.
pub(crate) async fn graphql(
    sim: &Simulator,
    token: &str,
    query: &str,
    variables: Value,
) -> (StatusCode, Value) {
    let response = client()
        .post(format!("{}/api/metadata/graphql", sim.base_url()))
        .header("X-Tableau-Auth", token)
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .expect("GraphQL request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The `code` of the first GraphQL error.
pub(crate) fn first_error_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}
