//! REST API behaviour: versions, sign-in, sessions, projects, refresh and jobs.

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use tableau_sim::SimConfig;

#[tokio::test]
async fn server_info_answers_old_and_current_versions_but_not_unknown_ones() {
    let sim = start().await;
    for version in ["2.4", "3.25"] {
        let response = client()
            .get(format!("{}/api/{version}/serverInfo", sim.base_url()))
            .send()
            .await
            .expect("serverInfo");
        assert_eq!(response.status(), StatusCode::OK);
        let text = response.text().await.expect("body");
        assert!(
            text.contains("<restApiVersion>3.25</restApiVersion>"),
            "{text}"
        );
        assert!(text.contains("xmlns=\"http://tableau.com/api\""), "{text}");
    }
    for version in ["3.26", "abc", "9"] {
        let response = client()
            .get(format!("{}/api/{version}/serverinfo", sim.base_url()))
            .send()
            .await
            .expect("serverinfo");
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(
            response
                .text()
                .await
                .expect("body")
                .contains("code=\"404001\"")
        );
    }
}

#[tokio::test]
async fn xml_sign_in_returns_token_site_and_user() {
    let sim = start().await;
    let body = format!(
        r#"<tsRequest><credentials personalAccessTokenName="{}" personalAccessTokenSecret="{}"><site contentUrl="acme"/></credentials></tsRequest>"#,
        PAT.0, PAT.1
    );
    let response = client()
        .post(format!("{}/api/{API}/auth/signin", sim.base_url()))
        .header("Content-Type", "application/xml")
        .body(body)
        .send()
        .await
        .expect("sign-in");
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.expect("body");
    assert!(text.contains("<credentials token=\""), "{text}");
    assert!(
        text.contains(&format!("<site id=\"{SITE_ID}\" contentUrl=\"acme\"/>")),
        "{text}"
    );
    assert!(
        text.contains("<user id=\"a1a1a1a1-0001-4000-8000-0000000000a1\"/>"),
        "{text}"
    );
    assert_eq!(sim.stats().sign_ins, 1);
}

#[tokio::test]
async fn json_sign_in_returns_token_site_and_user() {
    let sim = start().await;
    let (status, body) = sign_in(&sim, PAT.0, PAT.1, "acme").await;
    assert_eq!(status, StatusCode::OK);
    let credentials = &body["credentials"];
    assert!(credentials["token"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(credentials["site"]["id"], SITE_ID);
    assert_eq!(credentials["site"]["contentUrl"], "acme");
    assert_eq!(
        credentials["user"]["id"],
        "a1a1a1a1-0001-4000-8000-0000000000a1"
    );
    assert!(credentials["estimatedTimeToExpiration"].is_string());
}

#[tokio::test]
async fn default_site_signs_in_with_empty_content_url() {
    let sim = start().await;
    let (status, body) = sign_in(&sim, "admin-pat", "admin-secret", "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["credentials"]["site"]["contentUrl"], "");
}

#[tokio::test]
async fn bad_secret_unknown_site_and_expired_pat_fail_with_401001() {
    let sim = start().await;
    let attempts = [
        (PAT.0, "wrong", "acme"),
        (PAT.0, PAT.1, "nosuchsite"),
        ("old-token", "old-secret", "acme"),
        ("admin-pat", "admin-secret", "acme"),
    ];
    for (name, secret, site) in attempts {
        let (status, body) = sign_in(&sim, name, secret, site).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}/{site}");
        assert_eq!(body["error"]["code"], "401001");
        assert_eq!(body["error"]["summary"], "Signin Error");
    }
    assert_eq!(sim.stats().failed_sign_ins, 4);
    assert_eq!(sim.stats().sign_ins, 0);
}

#[tokio::test]
async fn malformed_sign_in_body_is_400000() {
    let sim = start().await;
    let response = client()
        .post(format!("{}/api/{API}/auth/signin", sim.base_url()))
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("sign-in");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "400000");
}

#[tokio::test]
async fn second_signin_revokes_first_token() {
    let sim = start().await;
    let first = token(&sim).await;
    let (status, _) = get_json(&sim, &first, "projects").await;
    assert_eq!(status, StatusCode::OK);
    let second = token(&sim).await;
    assert_ne!(first, second);
    let (status, body) = get_json(&sim, &first, "projects").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "401002");
    let (status, _) = get_json(&sim, &second, "projects").await;
    assert_eq!(status, StatusCode::OK);
    // Another PAT's session is unaffected.
    let (_, bob) = sign_in(&sim, "bob-laptop", "bob-secret-9876543210", "acme").await;
    let (status, _) = get_json(&sim, &second, "projects").await;
    assert_eq!(status, StatusCode::OK, "{bob}");
    assert_eq!(sim.stats().sign_ins, 3);
}

#[tokio::test]
async fn missing_token_is_401000_and_bad_token_is_401002() {
    let sim = start().await;
    let response = client()
        .get(format!(
            "{}/api/{API}/sites/{SITE_ID}/projects",
            sim.base_url()
        ))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let text = response.text().await.expect("body");
    assert!(text.contains("<error code=\"401000\">"), "{text}");
    let (status, body) = get_json(&sim, "not-a-token", "projects").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "401002");
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let sim = start().await;
    let token = token(&sim).await;
    let response = client()
        .post(format!("{}/api/{API}/auth/signout", sim.base_url()))
        .header("X-Tableau-Auth", &token)
        .send()
        .await
        .expect("sign-out");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, body) = get_json(&sim, &token, "projects").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "401002");
    assert_eq!(sim.stats().sign_outs, 1);
}

#[tokio::test]
async fn expired_session_ttl_gives_401002() {
    let config = SimConfig {
        session_ttl: Duration::from_millis(100),
        ..SimConfig::default()
    };
    let sim = start_with(config).await;
    let token = token(&sim).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (status, body) = get_json(&sim, &token, "projects").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "401002");
}

#[tokio::test]
async fn projects_page_across_pages_with_string_numbers() {
    let sim = start().await;
    let token = token(&sim).await;
    let mut names = Vec::new();
    for page in 1..=3 {
        let (status, body) = get_json(
            &sim,
            &token,
            &format!("projects?pageSize=2&pageNumber={page}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["pagination"]["pageNumber"], page.to_string());
        assert_eq!(body["pagination"]["pageSize"], "2");
        assert_eq!(body["pagination"]["totalAvailable"], "5");
        for project in body["projects"]["project"].as_array().expect("array") {
            let top_level = project["topLevelProject"] == "true";
            assert_eq!(
                project.get("parentProjectId").is_none(),
                top_level,
                "{project}"
            );
            names.push(project["name"].as_str().expect("name").to_string());
        }
    }
    assert_eq!(
        names,
        ["Finance", "Reporting", "Archive", "Marketing", "Sandbox"]
    );
    let (status, body) = get_json(&sim, &token, "projects?pageSize=2&pageNumber=4").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "400006");
}

#[tokio::test]
async fn empty_project_list_is_an_empty_object() {
    let sim = start().await;
    let token = token(&sim).await;
    let (status, body) = get_json(&sim, &token, "projects?filter=name:eq:Nothing").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["projects"], serde_json::json!({}));
    assert_eq!(body["pagination"]["totalAvailable"], "0");
}

#[tokio::test]
async fn projects_filter_by_parent_and_name_list() {
    let sim = start().await;
    let token = token(&sim).await;
    let (_, body) = get_json(
        &sim,
        &token,
        "projects?filter=parentProjectId:eq:1f0e1a6c-0001-4000-8000-00000000f001",
    )
    .await;
    assert_eq!(body["projects"]["project"][0]["name"], "Reporting");
    assert_eq!(body["pagination"]["totalAvailable"], "1");
    let (_, body) = get_json(
        &sim,
        &token,
        "projects?filter=name:in:%5BSandbox,Finance%5D",
    )
    .await;
    assert_eq!(body["pagination"]["totalAvailable"], "2");
}

#[tokio::test]
async fn page_size_and_number_are_validated() {
    let sim = start().await;
    let token = token(&sim).await;
    let cases = [
        ("pageSize=1001", StatusCode::FORBIDDEN, "403014"),
        ("pageSize=0", StatusCode::BAD_REQUEST, "400007"),
        ("pageSize=abc", StatusCode::BAD_REQUEST, "400007"),
        ("pageNumber=0", StatusCode::BAD_REQUEST, "400006"),
        ("pageNumber=x", StatusCode::BAD_REQUEST, "400006"),
    ];
    for (query, status, code) in cases {
        let (got, body) = get_json(&sim, &token, &format!("projects?{query}")).await;
        assert_eq!(got, status, "{query}");
        assert_eq!(body["error"]["code"], code, "{query}");
    }
    let (status, _) = get_json(&sim, &token, "projects?pageSize=1000").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn other_site_in_path_is_not_found() {
    let sim = start().await;
    let token = token(&sim).await;
    let response = client()
        .get(format!(
            "{}/api/{API}/sites/0d0d0d0d-0000-4000-8000-000000000000/projects",
            sim.base_url()
        ))
        .header("X-Tableau-Auth", &token)
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

const DAILY_ORDERS: &str = "e1e1e1e1-0002-4000-8000-0000000000e2";

#[tokio::test]
async fn refresh_job_runs_then_succeeds_and_blocks_duplicates_meanwhile() {
    let config = SimConfig {
        job_duration: Duration::from_millis(400),
        ..SimConfig::default()
    };
    let sim = start_with(config).await;
    let token = token(&sim).await;
    let (status, body) =
        post_json(&sim, &token, &format!("workbooks/{DAILY_ORDERS}/refresh")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let job = &body["job"];
    assert_eq!(job["mode"], "Asynchronous");
    assert_eq!(job["type"], "RefreshExtract");
    assert_eq!(job["extractRefreshJob"]["workbook"]["id"], DAILY_ORDERS);
    assert_eq!(job["extractRefreshJob"]["workbook"]["name"], "Daily Orders");
    let job_id = job["id"].as_str().expect("job id").to_string();

    let (status, body) = get_json(&sim, &token, &format!("jobs/{job_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["job"].get("finishCode").is_none(), "{body}");
    assert!(body["job"].get("completedAt").is_none(), "{body}");
    let progress: u32 = body["job"]["progress"]
        .as_str()
        .expect("progress")
        .parse()
        .expect("number");
    assert!(progress < 100);

    let (status, body) =
        post_json(&sim, &token, &format!("workbooks/{DAILY_ORDERS}/refresh")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "409093");

    tokio::time::sleep(Duration::from_millis(450)).await;
    let (_, body) = get_json(&sim, &token, &format!("jobs/{job_id}")).await;
    assert_eq!(body["job"]["finishCode"], "0");
    assert_eq!(body["job"]["progress"], "100");
    assert!(body["job"]["completedAt"].is_string());

    let (status, _) = post_json(&sim, &token, &format!("workbooks/{DAILY_ORDERS}/refresh")).await;
    assert_eq!(status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn failing_refresh_finishes_with_code_1_and_notes() {
    let config = SimConfig {
        job_duration: Duration::ZERO,
        ..SimConfig::default()
    };
    let sim = start_with(config).await;
    let token = token(&sim).await;
    let (status, body) = post_json(
        &sim,
        &token,
        "workbooks/e1e1e1e1-0006-4000-8000-0000000000e6/refresh",
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let job_id = body["job"]["id"].as_str().expect("id").to_string();
    let (_, body) = get_json(&sim, &token, &format!("jobs/{job_id}")).await;
    assert_eq!(body["job"]["finishCode"], "1");
    let notes = body["job"]["extractRefreshJob"]["notes"]
        .as_str()
        .expect("notes");
    assert!(notes.contains("Login failed"), "{notes}");
}

#[tokio::test]
async fn datasource_refresh_names_the_datasource() {
    let sim = start().await;
    let token = token(&sim).await;
    let (status, body) = post_json(
        &sim,
        &token,
        "datasources/d5d5d5d5-0001-4000-8000-0000000000d1/refresh",
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(
        body["job"]["extractRefreshJob"]["datasource"]["name"],
        "Orders (certified)"
    );
}

#[tokio::test]
async fn refresh_and_job_errors_use_tableau_codes() {
    let sim = start().await;
    let token = token(&sim).await;
    let cases = [
        (
            "workbooks/e1e1e1e1-0005-4000-8000-0000000000e5/refresh",
            StatusCode::CONFLICT,
            "409090",
        ),
        (
            "workbooks/no-such-workbook/refresh",
            StatusCode::NOT_FOUND,
            "404006",
        ),
        (
            "datasources/no-such-datasource/refresh",
            StatusCode::NOT_FOUND,
            "404004",
        ),
    ];
    for (path, status, code) in cases {
        let (got, body) = post_json(&sim, &token, path).await;
        assert_eq!(got, status, "{path}");
        assert_eq!(body["error"]["code"], code, "{path}");
    }
    let (status, body) = get_json(&sim, &token, "jobs/no-such-job").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "404018");
}

#[tokio::test]
async fn refresh_job_xml_has_tableau_shape() {
    let sim = start().await;
    let token = token(&sim).await;
    let response = client()
        .post(format!(
            "{}/api/{API}/sites/{SITE_ID}/workbooks/{DAILY_ORDERS}/refresh",
            sim.base_url()
        ))
        .header("X-Tableau-Auth", &token)
        .body("<tsRequest><extractRefresh/></tsRequest>")
        .send()
        .await
        .expect("refresh");
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let text = response.text().await.expect("body");
    assert!(
        text.contains("mode=\"Asynchronous\" type=\"RefreshExtract\""),
        "{text}"
    );
    assert!(
        text.contains(&format!("<extractRefreshJob><workbook id=\"{DAILY_ORDERS}\" name=\"Daily Orders\"/></extractRefreshJob>")),
        "{text}"
    );
}
