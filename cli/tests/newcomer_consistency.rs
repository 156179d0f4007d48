//! Issue 18, the inconsistencies a newcomer trips on: one flag for one thing, one value in
//! every format, words that say what happened, and help that keeps each command's own
//! options together.

mod common;

use std::process::{Command, Output};

use autoexpose_testkit::example_site;
use common::{SECRET, add_integration, autoexpose, ok, scratch, workspace};

fn example(name: &str) -> String {
    workspace()
        .join("examples/jaffle-shop")
        .join(name)
        .to_str()
        .expect("utf-8 path")
        .to_string()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The example site added as `acme`, Finance and Marketing selected, the example manifest
/// and run results applied.
fn synced_store(store: &std::path::Path, sim: &tableau_sim::Simulator) {
    add_integration(store, sim);
    for args in [
        &["collections", "set", "acme", "Finance,Marketing"][..],
        &[
            "apply-manifest",
            &example("manifest.json"),
            "--dbt-project",
            "jaffle_shop",
        ],
        &[
            "record-results",
            &example("run_results.json"),
            "--dbt-project",
            "jaffle_shop",
        ],
    ] {
        ok(autoexpose(store, SECRET, args));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exposures_show_takes_format_json_like_every_other_command() {
    let sim = example_site().await;
    let store = scratch("show-format").join("state.db");
    synced_store(&store, &sim);
    let json = ok(autoexpose(
        &store,
        SECRET,
        &["exposures", "show", "revenue_overview", "--format", "json"],
    ));
    let detail: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(detail["name"], "revenue_overview");
    let old = autoexpose(
        &store,
        SECRET,
        &["exposures", "show", "revenue_overview", "--json"],
    );
    assert!(!old.status.success(), "one flag for one thing");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_shows_the_same_integration_and_mode_in_every_format() {
    let sim = example_site().await;
    let store = scratch("catalog-values").join("state.db");
    synced_store(&store, &sim);
    let json = ok(autoexpose(
        &store,
        SECRET,
        &["exposures", "list", "--format", "json"],
    ));
    let json: serde_json::Value = serde_json::from_str(&json).expect("json");
    let revenue = json
        .as_array()
        .expect("array")
        .iter()
        .find(|e| e["name"] == "revenue_overview")
        .expect("revenue_overview");
    assert_eq!(
        (revenue["integration"].as_str(), revenue["mode"].as_str()),
        (Some("acme"), Some("auto"))
    );
    let csv = ok(autoexpose(
        &store,
        SECRET,
        &["exposures", "list", "--format", "csv"],
    ));
    let row = csv
        .lines()
        .find(|l| l.starts_with("revenue_overview,"))
        .expect("csv row");
    assert!(row.contains(",acme,auto,"), "{row}");
    let table = ok(autoexpose(&store, SECRET, &["exposures", "list"]));
    let row = table
        .lines()
        .find(|l| l.starts_with("revenue_overview "))
        .expect("table row");
    let cells: Vec<&str> = row.split_whitespace().collect();
    let integration = cells.iter().position(|c| *c == "acme").expect("{row}");
    assert_eq!(cells.get(integration + 1), Some(&"auto"), "{row}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exposures_show_prints_label_description_and_project() {
    let sim = example_site().await;
    let store = scratch("show-fields").join("state.db");
    synced_store(&store, &sim);
    let shown = ok(autoexpose(
        &store,
        SECRET,
        &["exposures", "show", "revenue_overview"],
    ));
    assert!(shown.contains("label:        Revenue Overview"), "{shown}");
    assert!(
        shown.contains("description:  Revenue by month and region"),
        "{shown}"
    );
    assert!(shown.contains("project:      Finance (Tableau)"), "{shown}");
    assert!(!shown.contains("depends_on:\nhealth"), "{shown}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_dbt_project_is_named_not_an_empty_table() {
    let sim = example_site().await;
    let store = scratch("unknown-project").join("state.db");
    synced_store(&store, &sim);
    let out = autoexpose(
        &store,
        SECRET,
        &["exposures", "list", "--dbt-project", "nope"],
    );
    assert!(!out.status.success());
    let message = stderr(&out);
    assert!(message.contains("no dbt project 'nope'"), "{message}");
    assert!(message.contains("jaffle_shop"), "{message}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_collections_set_says_exposures_follow_a_manifest() {
    let sim = example_site().await;
    let store = scratch("first-set").join("state.db");
    add_integration(&store, &sim);
    let set = ok(autoexpose(
        &store,
        SECRET,
        &["collections", "set", "acme", "Finance,Marketing"],
    ));
    assert!(
        set.contains("no manifest applied for dbt project 'jaffle_shop' yet"),
        "{set}"
    );
    assert!(set.contains("become exposures once one is"), "{set}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_http_server_given_without_scheme_is_named_as_such() {
    let sim = example_site().await;
    let store = scratch("plain-http").join("state.db");
    let host = sim.base_url().trim_start_matches("http://").to_string();
    let started = std::time::Instant::now();
    let out = autoexpose(
        &store,
        SECRET,
        &[
            "integrations",
            "add",
            "--id",
            "acme",
            "--dbt-project",
            "jaffle_shop",
            "--server-url",
            &host,
            "--site",
            "acme",
            "--token-name",
            "autoexpose-ci",
        ],
    );
    assert!(!out.status.success());
    let message = stderr(&out);
    assert!(message.contains("answered plain HTTP"), "{message}");
    assert!(message.contains(&format!("http://{host}")), "{message}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "no retries: {:?}",
        started.elapsed()
    );
    sim.shutdown().await;
}

#[test]
fn match_json_lists_url_owner_and_description_even_when_empty() {
    let out = Command::new(env!("CARGO_BIN_EXE_autoexpose"))
        .args([
            "match",
            "--manifest",
            &example("manifest.json"),
            "--tableau-response",
            &example("tableau-response.json"),
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    for exposure in report["exposures"].as_array().expect("exposures") {
        for field in ["url", "owner", "description", "label", "depends_on"] {
            assert!(exposure.get(field).is_some(), "{field} in {exposure}");
        }
    }
}

#[test]
fn counts_are_spelled_in_the_singular_for_one() {
    let out = Command::new(env!("CARGO_BIN_EXE_autoexpose"))
        .args([
            "match",
            "--manifest",
            &example("manifest.json"),
            "--tableau-response",
            &example("tableau-response.json"),
            "--include-unmatched",
        ])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let summary = text.lines().last().unwrap_or_default();
    assert!(!summary.starts_with("1 exposures"), "{summary}");
    assert!(!summary.contains("from 1 workbooks"), "{summary}");
}

#[test]
fn store_options_stand_under_their_own_heading() {
    let out = Command::new(env!("CARGO_BIN_EXE_autoexpose"))
        .args(["match", "--help"])
        .output()
        .expect("runs");
    let help = String::from_utf8_lossy(&out.stdout);
    let heading = help.find("Store (").expect("a Store heading");
    let store = help.find("--store").expect("--store");
    let own = help.find("--manifest").expect("--manifest");
    assert!(
        own < heading && heading < store,
        "match's own options first, then the store's under their heading:\n{help}"
    );
}

#[test]
fn a_missing_file_is_named_once() {
    let dir = scratch("missing-file");
    let store = dir.join("state.db");
    let missing = dir.join("target/manifest.json");
    let missing = missing.to_str().expect("utf-8");
    let out = autoexpose(
        &store,
        SECRET,
        &["apply-manifest", missing, "--dbt-project", "jaffle_shop"],
    );
    assert!(!out.status.success());
    let message = stderr(&out);
    assert_eq!(message.matches(missing).count(), 1, "{message}");
}
