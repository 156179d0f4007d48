//! `autoexpose impact` on two manifests real dbt built from the fixture project in
//! `tests/fixtures/impact_project` (production, and a pull request that changes a model's
//! SQL, drops a column, renames a model's alias, deletes a model and touches a model no
//! dashboard reads): offline against a saved Tableau response, against a local store
//! synced from the simulator, and through the GitHub Action's step, which posts its
//! comment to a stand-in of GitHub's REST API.
//!
//! Needs dbt 1.11 of `infra/setup-dbt-venvs.sh`; fails, rather than skips, without it.
//! `AUTOEXPOSE_WRITE_IMPACT_PICTURE=1` also writes `docs/impact-comment.png` (the rendered
//! comment in headless Chromium).

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use serde_json::{Value, json};

use common::{SECRET, autoexpose, ok, scratch, workspace};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/impact_project")
}

/// The two manifests dbt built, made once per test process.
struct Built {
    base: PathBuf,
    pull_request: PathBuf,
}

fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = scratch("impact-dbt");
        let base = dir.join("base");
        copy_dir(&fixture().join("base"), &base);
        let pull_request = dir.join("pull_request");
        copy_dir(&fixture().join("base"), &pull_request);
        copy_dir(&fixture().join("pull_request"), &pull_request);
        std::fs::remove_file(pull_request.join("models/marts/legacy_orders.sql"))
            .expect("delete legacy_orders as the pull request does");
        Built {
            base: dbt_parse(&base),
            pull_request: dbt_parse(&pull_request),
        }
    })
}

/// Runs real `dbt parse` in `project` and returns the manifest it wrote.
fn dbt_parse(project: &Path) -> PathBuf {
    let dbt = workspace().join(".venv-dbt/1.11/bin/dbt");
    assert!(
        dbt.is_file(),
        "dbt 1.11 is not installed at {}: run `bash infra/setup-dbt-venvs.sh` first",
        dbt.display()
    );
    // Both runs name the same database (the file's stem), as two runs of one target do.
    std::fs::write(
        project.join("profiles.yml"),
        format!(
            "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: '{}'\n",
            project.join("shop.duckdb").display()
        ),
    )
    .expect("write profiles.yml");
    let output = Command::new(&dbt)
        .args(["parse", "--no-version-check", "--no-partial-parse"])
        .arg("--profiles-dir")
        .arg(project)
        .current_dir(project)
        .env("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        .output()
        .expect("start dbt");
    assert!(
        output.status.success(),
        "dbt parse failed in {}:\n{}\n{}",
        project.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    project.join("target/manifest.json")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create directory");
    for entry in std::fs::read_dir(from).expect("read fixture directory") {
        let entry = entry.expect("read fixture entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy fixture file");
        }
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `autoexpose impact` offline on the fixture change, with `extra` flags.
fn impact_offline(extra: &[&str]) -> Output {
    let built = built();
    let response = fixture().join("tableau_response.json");
    let mut args = vec![
        "impact",
        "--manifest",
        path(&built.pull_request),
        "--base",
        path(&built.base),
        "--tableau-response",
        path(&response),
        "--server-url",
        "https://tableau.example.com",
        "--site",
        "acme",
    ];
    args.extend_from_slice(extra);
    let store = scratch("impact-offline-unused").join("state.db");
    autoexpose(&store, SECRET, &args)
}

#[test]
fn the_fixture_change_is_reported_as_a_person_would_write_it() {
    let json: Value =
        serde_json::from_str(&ok(impact_offline(&["--format", "json"]))).expect("JSON report");
    let expected: Value = serde_json::from_slice(
        &std::fs::read(fixture().join("expected_impact.json")).expect("read expected report"),
    )
    .expect("expected report is JSON");
    assert_eq!(
        json,
        expected,
        "got:\n{}",
        serde_json::to_string_pretty(&json).unwrap_or_default()
    );

    let markdown = ok(impact_offline(&[]));
    let lines: Vec<&str> = markdown.lines().collect();
    assert_eq!(lines[0], "<!-- autoexpose-impact -->");
    assert_eq!(
        lines[1],
        "### autoexpose impact: 3 breaking, 2 changed upstream (of 6 dashboards checked)"
    );
    assert!(markdown.contains(
        "| **breaking** | [Revenue Overview](https://tableau.example.com/#/site/acme/workbooks/201/views) | Ada Lovelace | Finance | - | extract | - | `orders` modified (body, columns), columns removed: `discount` |"
    ), "{markdown}");
    assert!(
        markdown.contains("[Finance weekly export](https://finance.example.com/weekly) (manual)"),
        "{markdown}"
    );
    assert!(
        markdown.contains("- `model.shop.marketing_leads` modified; changed: body"),
        "the change no dashboard reads is listed apart:\n{markdown}"
    );
    assert!(!markdown.contains("Customer Geography"), "{markdown}");
    std::fs::write(
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("impact-fixture.md"),
        &markdown,
    )
    .expect("keep the report");
}

#[test]
fn fail_on_gates_the_merge_with_its_own_exit_code() {
    let breaking = impact_offline(&["--fail-on", "breaking", "--format", "json"]);
    assert_eq!(breaking.status.code(), Some(3), "{breaking:?}");
    assert!(
        String::from_utf8_lossy(&breaking.stdout).contains("\"affected\""),
        "the report is still printed"
    );
    assert!(String::from_utf8_lossy(&breaking.stderr).contains("3 dashboard(s) break"));

    // Production against itself changes nothing, and nothing fails.
    let built = built();
    let store = scratch("impact-same").join("state.db");
    let response = fixture().join("tableau_response.json");
    let same = ok(autoexpose(
        &store,
        SECRET,
        &[
            "impact",
            "--manifest",
            path(&built.base),
            "--base",
            path(&built.base),
            "--tableau-response",
            path(&response),
            "--fail-on",
            "changed",
        ],
    ));
    assert!(
        same.contains("no dashboard reads what this pull request changes (6 checked)"),
        "{same}"
    );
}

#[test]
fn offline_needs_the_production_manifest() {
    let built = built();
    let store = scratch("impact-nobase").join("state.db");
    let response = fixture().join("tableau_response.json");
    let out = autoexpose(
        &store,
        SECRET,
        &[
            "impact",
            "--manifest",
            path(&built.pull_request),
            "--tableau-response",
            path(&response),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("needs production's manifest as --base"),
        "{stderr}"
    );
}

/// The local store with integration `shop` synced from a simulator of the fixture's site
/// and the base manifest applied; the simulator stays up while the store is used.
async fn synced_store(name: &str) -> (tableau_sim::Simulator, PathBuf) {
    let data = tableau_sim::load_site_file(&fixture().join("site.json")).expect("site file");
    let sim = tableau_sim::Simulator::start(data)
        .await
        .expect("simulator");
    let store = scratch(name).join("state.db");
    let run = |args: &[&str]| ok(autoexpose(&store, SECRET, args));
    let base_url = sim.base_url();
    run(&[
        "integrations",
        "add",
        "--id",
        "shop",
        "--dbt-project",
        "shop",
        "--server-url",
        &base_url,
        "--site",
        "acme",
        "--token-name",
        "autoexpose-ci",
    ]);
    run(&["collections", "set", "shop", "Finance,Sales"]);
    run(&[
        "apply-manifest",
        path(&built().base),
        "--dbt-project",
        "shop",
    ]);
    (sim, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_gives_the_production_manifest_and_the_exposures() {
    let (_sim, store) = synced_store("impact-store").await;
    let out = ok(autoexpose(
        &store,
        SECRET,
        &[
            "impact",
            "--manifest",
            path(&built().pull_request),
            "--format",
            "json",
        ],
    ));
    let report: Value = serde_json::from_str(&out).expect("JSON report");
    let by_name: BTreeMap<&str, &Value> = report["affected"]
        .as_array()
        .expect("affected")
        .iter()
        .map(|a| (a["name"].as_str().unwrap_or_default(), a))
        .collect();
    let severity = |name: &str| by_name[name]["severity"].as_str().unwrap_or_default();
    assert_eq!(severity("customer_360"), "breaking");
    assert_eq!(severity("legacy_orders"), "breaking");
    assert_eq!(severity("daily_revenue"), "changed_upstream");
    assert_eq!(severity("finance_weekly_export"), "changed_upstream");
    // The simulator reports no field lineage yet, so which columns Revenue Overview reads
    // is unknown: the dropped column is not called breaking on a guess.
    assert_eq!(severity("revenue_overview"), "changed_upstream");
    assert_eq!(by_name["revenue_overview"]["columns"], Value::Null);
    // What only the store knows: health, and extract or live from the snapshot.
    assert_eq!(by_name["legacy_orders"]["health"], "Unknown");
    assert_eq!(by_name["legacy_orders"]["connection"], "extract");
    assert_eq!(by_name["customer_360"]["connection"], "live");
    assert_eq!(by_name["revenue_overview"]["connection"], "extract");
    assert_eq!(report["summary"]["exposures_checked"], 6);
    assert!(!by_name.contains_key("customer_geography"));
}

// --- GitHub, stood in for on loopback -----------------------------------------------

const GITHUB_TOKEN: &str = "ghs_stand_in_token_0123456789";

/// GitHub's issue comments of one pull request, kept in memory, with every request seen.
#[derive(Default)]
struct GithubStandIn {
    comments: Vec<(u64, String)>,
    next_id: u64,
    requests: Vec<String>,
}

type Shared = Arc<Mutex<GithubStandIn>>;

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {GITHUB_TOKEN}"))
        && headers.get("user-agent").is_some()
}

fn reply(status: StatusCode, body: Value) -> Response {
    (
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn comment_json(id: u64, body: &str) -> Value {
    json!({"id": id, "body": body,
           "html_url": format!("https://github.com/acme/dbt/pull/7#issuecomment-{id}")})
}

async fn list_comments(
    State(state): State<Shared>,
    UrlPath((owner, repo, number)): UrlPath<(String, String, u64)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let mut state = state.lock().expect("lock");
    let query = query.unwrap_or_default();
    state.requests.push(format!(
        "GET /repos/{owner}/{repo}/issues/{number}/comments?{query}"
    ));
    if !authorized(&headers) {
        return reply(
            StatusCode::UNAUTHORIZED,
            json!({"message": "Bad credentials"}),
        );
    }
    let param = |name: &str, default: usize| {
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(default)
    };
    let (per_page, page) = (param("per_page", 30), param("page", 1));
    let items: Vec<Value> = state
        .comments
        .iter()
        .skip(per_page * (page.max(1) - 1))
        .take(per_page)
        .map(|(id, body)| comment_json(*id, body))
        .collect();
    reply(StatusCode::OK, Value::Array(items))
}

async fn create_comment(
    State(state): State<Shared>,
    UrlPath((owner, repo, number)): UrlPath<(String, String, u64)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = state.lock().expect("lock");
    state.requests.push(format!(
        "POST /repos/{owner}/{repo}/issues/{number}/comments"
    ));
    if !authorized(&headers) {
        return reply(
            StatusCode::UNAUTHORIZED,
            json!({"message": "Bad credentials"}),
        );
    }
    let Some(text) = body_text(&body) else {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"message": "Invalid request."}),
        );
    };
    state.next_id += 1;
    let id = 9000 + state.next_id;
    state.comments.push((id, text.clone()));
    reply(StatusCode::CREATED, comment_json(id, &text))
}

async fn update_comment(
    State(state): State<Shared>,
    UrlPath((owner, repo, id)): UrlPath<(String, String, u64)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = state.lock().expect("lock");
    state
        .requests
        .push(format!("PATCH /repos/{owner}/{repo}/issues/comments/{id}"));
    if !authorized(&headers) {
        return reply(
            StatusCode::UNAUTHORIZED,
            json!({"message": "Bad credentials"}),
        );
    }
    let Some(text) = body_text(&body) else {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"message": "Invalid request."}),
        );
    };
    match state.comments.iter_mut().find(|(cid, _)| *cid == id) {
        Some(comment) => {
            comment.1 = text.clone();
            reply(StatusCode::OK, comment_json(id, &text))
        }
        None => reply(StatusCode::NOT_FOUND, json!({"message": "Not Found"})),
    }
}

fn body_text(body: &Bytes) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    value.get("body")?.as_str().map(str::to_string)
}

/// Starts the stand-in with `existing` comments already on the pull request.
async fn github_stand_in(existing: usize) -> (SocketAddr, Shared) {
    let state: Shared = Arc::new(Mutex::new(GithubStandIn::default()));
    {
        let mut s = state.lock().expect("lock");
        for i in 0..existing {
            s.next_id += 1;
            let id = 9000 + s.next_id;
            s.comments.push((id, format!("Looks good to me ({i})")));
        }
    }
    let app = Router::new()
        .route(
            "/repos/{owner}/{repo}/issues/{number}/comments",
            get(list_comments).post(create_comment),
        )
        .route(
            "/repos/{owner}/{repo}/issues/comments/{id}",
            patch(update_comment),
        )
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, state)
}

/// Runs the Action's step script as GitHub would, on the fixture change, offline.
fn run_action_step(addr: SocketAddr, dir: &Path, fail_on: &str) -> Output {
    let built = built();
    let summary = dir.join("step-summary.md");
    let outputs = dir.join("github-output");
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_autoexpose"));
    Command::new("bash")
        .arg(workspace().join("infra/github/impact-action.sh"))
        .env("AUTOEXPOSE_BIN", &bin)
        .env("INPUT_MANIFEST", &built.pull_request)
        .env("INPUT_BASE_MANIFEST", &built.base)
        .env(
            "INPUT_TABLEAU_RESPONSE",
            fixture().join("tableau_response.json"),
        )
        .env("INPUT_FAIL_ON", fail_on)
        .env("INPUT_COMMENT", "true")
        .env("INPUT_PULL_REQUEST", "7")
        .env(
            "INPUT_EXTRA_ARGS",
            "--server-url https://tableau.example.com --site acme",
        )
        .env("GITHUB_REPOSITORY", "acme/dbt")
        .env("GITHUB_API_URL", format!("http://{addr}"))
        .env("GITHUB_TOKEN", GITHUB_TOKEN)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
        .env("RUNNER_TEMP", dir)
        .env("AUTOEXPOSE_STORE", dir.join("state.db"))
        .env_remove("AUTOEXPOSE_DYNAMODB_TABLE")
        .stdin(Stdio::null())
        .output()
        .expect("run the action's step")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_action_comments_once_and_updates_that_comment_on_every_run() {
    // 120 comments already: the marked one will sit on the second page.
    let (addr, state) = github_stand_in(120).await;
    let dir = scratch("impact-action");

    let first = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || run_action_step(addr, &dir, "")
    })
    .await
    .expect("join");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stderr).contains("created the impact comment"));
    let created = {
        let s = state.lock().expect("lock");
        assert_eq!(s.comments.len(), 121);
        s.comments.last().cloned().expect("the new comment")
    };
    assert!(
        created
            .1
            .starts_with("<!-- autoexpose-impact -->\n### autoexpose impact: 3 breaking")
    );

    // A re-run with the gate finds the comment by its marker on page two and updates it,
    // then fails the step.
    state
        .lock()
        .expect("lock")
        .comments
        .last_mut()
        .expect("comment")
        .1 = "<!-- autoexpose-impact -->\nan older report".into();
    let second = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || run_action_step(addr, &dir, "breaking")
    })
    .await
    .expect("join");
    assert_eq!(second.status.code(), Some(1), "the gate fails the step");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("updated the impact comment"), "{stderr}");
    assert!(
        stderr.contains("::error::autoexpose impact: the change breaks dashboards"),
        "{stderr}"
    );
    let s = state.lock().expect("lock");
    assert_eq!(s.comments.len(), 121, "no second comment");
    assert_eq!(
        s.comments.last().map(|c| c.1.clone()),
        Some(created.1.clone())
    );
    let writes: Vec<&String> = s
        .requests
        .iter()
        .filter(|r| !r.starts_with("GET"))
        .collect();
    assert_eq!(
        writes,
        [
            "POST /repos/acme/dbt/issues/7/comments",
            &format!("PATCH /repos/acme/dbt/issues/comments/{}", created.0),
        ]
    );
    assert!(
        s.requests
            .iter()
            .any(|r| r == "GET /repos/acme/dbt/issues/7/comments?per_page=100&page=2")
    );
    let summary = std::fs::read_to_string(dir.join("step-summary.md")).expect("step summary");
    assert!(summary.contains("### autoexpose impact: 3 breaking"));
    let outputs = std::fs::read_to_string(dir.join("github-output")).expect("outputs");
    assert!(outputs.contains("gate=failed"), "{outputs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_is_reported_without_showing_it() {
    let (addr, _state) = github_stand_in(0).await;
    let built = built();
    let store = scratch("impact-badtoken").join("state.db");
    let response = fixture().join("tableau_response.json");
    let out = tokio::task::spawn_blocking(move || {
        common::command(
            &store,
            SECRET,
            &[
                "impact",
                "--manifest",
                path(&built.pull_request),
                "--base",
                path(&built.base),
                "--tableau-response",
                path(&response),
                "--comment",
                "--github-repository",
                "acme/dbt",
                "--pull-request",
                "7",
                "--github-api-url",
                &format!("http://{addr}"),
            ],
        )
        .env("GITHUB_TOKEN", "ghs_wrong_token_secret")
        .output()
        .expect("run")
    })
    .await
    .expect("join");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("401"), "{stderr}");
    assert!(
        stderr.contains("the token is missing, expired or revoked"),
        "{stderr}"
    );
    assert!(!stderr.contains("ghs_wrong_token_secret"), "{stderr}");
}

// --- The comment as GitHub shows it -------------------------------------------------

/// GitHub's flavour of Markdown: tables, strikethrough, autolinks, task lists, raw HTML
/// (github.com keeps `<details>` and `<summary>`), and GitHub's own quirks.
fn gfm_html(markdown: &str) -> String {
    let mut options = comrak::Options::default();
    options.extension.table = true;
    options.extension.strikethrough = true;
    options.extension.autolink = true;
    options.extension.tasklist = true;
    options.render.r#unsafe = true;
    options.render.gfm_quirks = true;
    comrak::markdown_to_html(markdown, &options)
}

#[test]
fn the_comment_renders_as_a_table_with_folded_details_in_github_markdown() {
    let markdown = ok(impact_offline(&[]));
    let html = gfm_html(&markdown);
    assert!(
        html.contains("<!-- autoexpose-impact -->"),
        "the marker stays hidden"
    );
    assert!(html.contains("<h3>autoexpose impact: 3 breaking, 2 changed upstream"));
    assert_eq!(html.matches("<table>").count(), 1, "{html}");
    // Header plus five affected dashboards, every row with all eight cells.
    assert_eq!(html.matches("<tr>").count(), 6, "{html}");
    assert_eq!(html.matches("<td").count(), 5 * 8, "{html}");
    assert!(html.contains(
        r#"<a href="https://tableau.example.com/#/site/acme/workbooks/201/views">Revenue Overview</a>"#
    ));
    assert!(html.contains("<td><strong>breaking</strong></td>"));
    assert_eq!(html.matches("<details>").count(), 2, "{html}");
    assert!(html.contains("<summary>Details per dashboard</summary>"));
    assert!(html.contains("<code>discount</code>"));

    if std::env::var_os("AUTOEXPOSE_WRITE_IMPACT_PICTURE").is_some() {
        let picture = workspace().join("docs/impact-comment.png");
        screenshot(&html, &picture);
    }
}

/// The rendered comment in a page styled like a GitHub comment, photographed by headless
/// Chromium into `picture`.
fn screenshot(html: &str, picture: &Path) {
    let dir = scratch("impact-picture");
    let page = dir.join("comment.html");
    std::fs::write(&page, format!("<!doctype html><html><head><meta charset=\"utf-8\"><style>{GITHUB_STYLE}</style></head><body><div class=\"comment\"><div class=\"head\"><b>github-actions</b> bot commented</div><div class=\"markdown-body\">{html}</div></div></body></html>")).expect("write page");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--window-size=1280,640",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--screenshot={}", picture.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .output()
        .expect("run Chromium (bash infra/setup-chromium.sh)");
    assert!(
        picture.is_file(),
        "Chromium wrote no picture: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Enough of github.com's comment styling to judge the layout by.
const GITHUB_STYLE: &str = "
body { margin: 0; padding: 24px; background: #fff; font-family: -apple-system, 'Segoe UI', 'Noto Sans', Helvetica, Arial, sans-serif; font-size: 14px; color: #1f2328; }
.comment { border: 1px solid #d1d9e0; border-radius: 6px; }
.head { background: #f6f8fa; border-bottom: 1px solid #d1d9e0; padding: 8px 16px; color: #59636e; }
.markdown-body { padding: 16px; line-height: 1.5; }
.markdown-body h3 { font-size: 1.25em; margin: 0 0 16px; }
.markdown-body table { border-collapse: collapse; display: block; overflow: auto; margin-bottom: 16px; }
.markdown-body th, .markdown-body td { border: 1px solid #d1d9e0; padding: 6px 13px; }
.markdown-body th { font-weight: 600; }
.markdown-body tr:nth-child(2n) { background: #f6f8fa; }
.markdown-body code { background: rgba(129,139,152,0.12); border-radius: 6px; padding: .2em .4em; font-size: 85%; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.markdown-body a { color: #0969da; text-decoration: none; }
.markdown-body details { margin-bottom: 16px; }
.markdown-body summary { cursor: pointer; }
.markdown-body sub { color: #59636e; }
";

// --- A deployed stack: DynamoDB and S3 (moto on loopback) ---------------------------

/// The CLI on the deployed stack's table, with moto's endpoint and test credentials.
fn on_stack(endpoint: &str, table: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_autoexpose"))
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AUTOEXPOSE_DYNAMODB_TABLE", table)
        .env_remove("AUTOEXPOSE_TABLEAU_TOKEN_SECRET")
        .env_remove("AUTOEXPOSE_STORE")
        .output()
        .expect("autoexpose runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployed_stack_gives_the_base_from_s3_and_the_exposures_from_dynamodb() {
    use autoexpose_aws::{DynamoStore, aws_sdk_dynamodb, aws_sdk_s3, aws_sdk_secretsmanager};
    use autoexpose_testkit::{MotoServer, unique_name};

    let moto = MotoServer::shared().expect("moto starts (run `bash infra/setup-venv.sh`)");
    let config = moto.sdk_config().await;
    let (table, bucket) = (unique_name("impact-state"), unique_name("impact-artifacts"));
    let secret = format!("autoexpose/{}", unique_name("shop"));
    DynamoStore::create_table(&aws_sdk_dynamodb::Client::new(&config), &table)
        .await
        .expect("create table");
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("bucket");
    let key = "dbt/shop/prod/manifest.json";
    let base = std::fs::read(&built().base).expect("base manifest");
    s3.put_object()
        .bucket(&bucket)
        .key(key)
        .body(base.into())
        .send()
        .await
        .expect("upload the production manifest");
    aws_sdk_secretsmanager::Client::new(&config)
        .create_secret()
        .name(&secret)
        .secret_string(r#"{"token_name": "autoexpose-ci", "token_secret": "ci-secret-0123456789"}"#)
        .send()
        .await
        .expect("create secret");
    let data = tableau_sim::load_site_file(&fixture().join("site.json")).expect("site file");
    let sim = tableau_sim::Simulator::start(data)
        .await
        .expect("simulator");
    let endpoint = moto.endpoint();
    let uri = format!("s3://{bucket}/{key}");
    let pull_request = built().pull_request.clone();
    let sim_url = sim.base_url();
    let (from_pointer, from_uri) = tokio::task::spawn_blocking(move || {
        let run = |args: &[&str]| ok(on_stack(&endpoint, &table, args));
        run(&[
            "integrations",
            "add",
            "--id",
            "shop",
            "--dbt-project",
            "shop",
            "--server-url",
            &sim_url,
            "--site",
            "acme",
            "--token-name",
            "autoexpose-ci",
            "--secret-id",
            &secret,
        ]);
        run(&["collections", "set", "shop", "Finance,Sales"]);
        run(&["apply-manifest", &uri, "--dbt-project", "shop"]);
        let impact = [
            "impact",
            "--manifest",
            path(&pull_request),
            "--format",
            "json",
        ];
        let from_pointer = run(&impact);
        let from_uri = run(&[&impact[..], &["--base", &uri]].concat());
        (from_pointer, from_uri)
    })
    .await
    .expect("join");
    for out in [&from_pointer, &from_uri] {
        let report: Value = serde_json::from_str(out).expect("JSON report");
        let names: Vec<(&str, &str)> = report["affected"]
            .as_array()
            .expect("affected")
            .iter()
            .map(|a| {
                (
                    a["name"].as_str().unwrap_or_default(),
                    a["severity"].as_str().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                ("customer_360", "breaking"),
                ("legacy_orders", "breaking"),
                ("daily_revenue", "changed_upstream"),
                // Synced workbooks have usage (none opened: 0 hits), the manual exposure
                // has none, and rows with known usage come first.
                ("revenue_overview", "changed_upstream"),
                ("finance_weekly_export", "changed_upstream"),
            ]
        );
        assert_eq!(report["summary"]["nodes_removed"], 1);
    }
    sim.shutdown().await;
}

#[test]
fn bad_inputs_are_refused_naming_the_file() {
    let dir = scratch("impact-bad");
    let store = dir.join("state.db");
    let not_json = dir.join("catalog.json");
    std::fs::write(&not_json, "{\"nodes\": ").expect("write");
    let built = built();
    let response = fixture().join("tableau_response.json");
    let offline = |extra: &[&str]| {
        let mut args = vec!["impact", "--tableau-response", path(&response)];
        args.extend_from_slice(extra);
        common::command(&store, SECRET, &args)
            .env("AUTOEXPOSE_MAX_INPUT_MB", "16")
            .output()
            .expect("run")
    };
    for (extra, expected) in [
        (
            vec!["--manifest", "/dev/zero", "--base", path(&built.base)],
            "larger than 16 MiB",
        ),
        (
            vec![
                "--manifest",
                path(&built.pull_request),
                "--base",
                "/dev/zero",
            ],
            "larger than 16 MiB",
        ),
        (
            vec![
                "--manifest",
                path(&built.pull_request),
                "--base",
                path(&built.base),
                "--catalog",
                path(&not_json),
                "--base-catalog",
                path(&not_json),
            ],
            "the catalog cannot be read: EOF while parsing",
        ),
        (
            vec!["--manifest", path(&response), "--base", path(&built.base)],
            "has no `nodes`",
        ),
    ] {
        let out = offline(&extra);
        let message = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {message}");
        assert!(message.contains(expected), "{extra:?}: {message}");
    }
}
