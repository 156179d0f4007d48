//! Issue 18, as a newcomer meets it: `diagnose` and `record-results` give right results,
//! and every integration setting can be seen and fixed from the command line.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

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

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The example site added as `acme`, Finance and Marketing selected, the example manifest
/// applied.
fn synced_store(store: &Path, sim: &tableau_sim::Simulator) {
    add_integration(store, sim);
    ok(autoexpose(
        store,
        SECRET,
        &["collections", "set", "acme", "Finance,Marketing"],
    ));
    ok(autoexpose(
        store,
        SECRET,
        &[
            "apply-manifest",
            &example("manifest.json"),
            "--dbt-project",
            "jaffle_shop",
        ],
    ));
}

/// The lines of `text` between the line starting with `start` and the next blank line or
/// workbook header.
fn block<'a>(text: &'a str, start: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|l| !l.starts_with(start))
        .skip(1)
        .take_while(|l| l.starts_with(' '))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diagnose_lists_the_same_name_in_another_schema_first() {
    let sim = example_site().await;
    let store = scratch("same-name-first").join("state.db");
    synced_store(&store, &sim);
    let report = ok(autoexpose(
        &store,
        SECRET,
        &["diagnose", "--integration", "acme"],
    ));
    let daily = block(&report, "Daily Orders");
    let nearest: Vec<&&str> = daily.iter().filter(|l| l.contains("nearest:")).collect();
    assert!(
        nearest
            .first()
            .is_some_and(|l| l.contains("DBT_PROD_REPORTING.Orders_Daily")
                && l.contains("differs in schema")),
        "the same-named relation comes first: {daily:#?}"
    );
    let hint = daily.iter().find(|l| l.contains("hint:")).expect("a hint");
    assert!(hint.contains("--schema-alias"), "{hint}");
    sim.shutdown().await;
}

/// The table a report line is about, when it is a table's line (not a candidate or hint).
fn table_of(line: &str) -> Option<&str> {
    let line = line.trim_start();
    ["ok", "no match", "hidden", "apart"]
        .iter()
        .find_map(|status| line.strip_prefix(status))
        .and_then(|rest| rest.split_whitespace().next())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diagnose_lists_each_table_of_a_workbook_once() {
    let sim = example_site().await;
    let store = scratch("each-table-once").join("state.db");
    synced_store(&store, &sim);
    let report = ok(autoexpose(
        &store,
        SECRET,
        &["diagnose", "--integration", "acme"],
    ));
    let cohort = block(&report, "Cohort Analysis");
    for table in ["customers", "SESSIONS"] {
        let lines = cohort
            .iter()
            .filter_map(|l| table_of(l))
            .filter(|t| t.ends_with(table))
            .count();
        assert_eq!(lines, 1, "{table} once: {cohort:#?}");
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_results_with_a_missing_sources_file_records_nothing() {
    let sim = example_site().await;
    let dir = scratch("results-all-or-nothing");
    let store = dir.join("state.db");
    synced_store(&store, &sim);
    let missing = dir.join("target/sources.json");
    let missing = missing.to_str().expect("utf-8 path");
    let results = example("run_results.json");
    let args = [
        "record-results",
        &results,
        "--dbt-project",
        "jaffle_shop",
        "--sources",
        missing,
        "--wait",
    ];
    let out = autoexpose(&store, SECRET, &args);
    assert!(!out.status.success());
    assert!(
        !stdout(&out).contains("recorded"),
        "nothing is recorded: {}",
        stdout(&out)
    );
    let message = stderr(&out);
    assert!(message.contains("nothing was recorded"), "{message}");
    assert!(message.contains("sources.json"), "{message}");
    assert_eq!(
        message.matches("no artifact at").count(),
        1,
        "each cause said once: {message}"
    );
    // The run results alone are still new, so a fixed command records them.
    let again = ok(autoexpose(
        &store,
        SECRET,
        &["record-results", &results, "--dbt-project", "jaffle_shop"],
    ));
    assert!(again.contains("recorded 6 results"), "{again}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integrations_remove_takes_the_integration_and_its_exposures_away() {
    let sim = example_site().await;
    let store = scratch("remove").join("state.db");
    synced_store(&store, &sim);
    let removed = ok(autoexpose(
        &store,
        SECRET,
        &["integrations", "remove", "acme"],
    ));
    assert!(removed.contains("removed integration 'acme'"), "{removed}");
    assert!(removed.contains("4 exposures"), "{removed}");
    let listed = ok(autoexpose(&store, SECRET, &["integrations", "list"]));
    assert!(listed.contains("no integrations yet"), "{listed}");
    let catalog = ok(autoexpose(
        &store,
        SECRET,
        &["exposures", "list", "--format", "json"],
    ));
    let catalog: serde_json::Value = serde_json::from_str(&catalog).expect("json");
    assert!(
        catalog
            .as_array()
            .expect("array")
            .iter()
            .all(|e| e["mode"] == "manual"),
        "only the manifest's own exposures stay: {catalog}"
    );
    // The id is free again, and starts with nothing.
    add_integration(&store, &sim);
    let shown = ok(autoexpose(
        &store,
        SECRET,
        &["integrations", "show", "acme"],
    ));
    assert!(shown.contains("last run:      never"), "{shown}");
    let gone = autoexpose(&store, SECRET, &["integrations", "remove", "nope"]);
    assert!(stderr(&gone).contains("there is no integration 'nope'"));
    sim.shutdown().await;
}

fn add_args<'a>(url: &'a str, token_name: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "integrations",
        "add",
        "--id",
        "acme",
        "--dbt-project",
        "jaffle_shop",
        "--server-url",
        url,
        "--site",
        "acme",
        "--token-name",
        token_name,
    ];
    args.extend_from_slice(extra);
    args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integrations_add_checks_the_sign_in_unless_told_not_to() {
    let sim = example_site().await;
    let store = scratch("add-signs-in").join("state.db");
    let url = sim.base_url();
    let refused = autoexpose(&store, SECRET, &add_args(&url, "autoexpose", &[]));
    assert!(!refused.status.success());
    let message = stderr(&refused);
    assert!(message.contains("was not added"), "{message}");
    assert!(
        message.contains("'autoexpose'"),
        "names the token: {message}"
    );
    assert!(message.contains("--no-sign-in-check"), "{message}");
    assert!(
        !message.contains(SECRET),
        "the secret never shows: {message}"
    );
    let listed = ok(autoexpose(&store, SECRET, &["integrations", "list"]));
    assert!(listed.contains("no integrations yet"), "{listed}");

    let added = ok(autoexpose(
        &store,
        SECRET,
        &add_args(&url, "autoexpose-ci", &[]),
    ));
    assert!(added.contains("signed in to Tableau"), "{added}");
    assert!(added.contains("5 projects"), "{added}");

    let offline = scratch("add-offline").join("state.db");
    let unchecked = ok(autoexpose(
        &offline,
        SECRET,
        &add_args("tableau.invalid", "autoexpose", &["--no-sign-in-check"]),
    ));
    assert!(unchecked.contains("without signing in"), "{unchecked}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integrations_set_changes_the_token_name_server_and_site_after_signing_in() {
    let sim = example_site().await;
    let store = scratch("set-connection").join("state.db");
    let url = sim.base_url();
    // A mistyped token name, stored without the check: the state a person must get out of.
    ok(autoexpose(
        &store,
        SECRET,
        &add_args("127.0.0.1:9", "autoexpose", &["--no-sign-in-check"]),
    ));
    let wrong = autoexpose(
        &store,
        SECRET,
        &[
            "integrations",
            "set",
            "acme",
            "--token-name",
            "still-wrong",
            "--server-url",
            &url,
        ],
    );
    assert!(!wrong.status.success());
    assert!(
        stderr(&wrong).contains("was not changed"),
        "{}",
        stderr(&wrong)
    );
    let shown = ok(autoexpose(
        &store,
        SECRET,
        &["integrations", "show", "acme"],
    ));
    assert!(shown.contains("token name:    autoexpose "), "{shown}");

    ok(autoexpose(
        &store,
        SECRET,
        &[
            "integrations",
            "set",
            "acme",
            "--token-name",
            "autoexpose-ci",
            "--server-url",
            &url,
            "--site",
            "acme",
        ],
    ));
    let shown = ok(autoexpose(
        &store,
        SECRET,
        &["integrations", "show", "acme"],
    ));
    assert!(shown.contains("token name:    autoexpose-ci "), "{shown}");
    assert!(shown.contains(&format!("server:        {url}")), "{shown}");
    // The fixed connection works.
    ok(autoexpose(
        &store,
        SECRET,
        &["collections", "set", "acme", "Finance"],
    ));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integrations_set_accepts_1_and_0_for_active_exposures() {
    let sim = example_site().await;
    let store = scratch("set-boolish").join("state.db");
    add_integration(&store, &sim);
    ok(autoexpose(
        &store,
        SECRET,
        &["integrations", "set", "acme", "--active-exposures", "1"],
    ));
    let shown = ok(autoexpose(
        &store,
        SECRET,
        &["integrations", "show", "acme"],
    ));
    assert!(shown.contains("active exposures: on"), "{shown}");
    ok(autoexpose(
        &store,
        SECRET,
        &[
            "integrations",
            "set",
            "acme",
            "--active-exposures",
            "0",
            "--include-unmatched",
            "1",
        ],
    ));
    let shown = ok(autoexpose(
        &store,
        SECRET,
        &["integrations", "show", "acme"],
    ));
    assert!(shown.contains("active exposures: off"), "{shown}");
    assert!(shown.contains("include unmatched: yes"), "{shown}");
    // The help says what is accepted, and nothing that contradicts it.
    let help = ok(autoexpose(
        &store,
        SECRET,
        &["integrations", "set", "--help"],
    ));
    assert!(help.contains("`1`/`0`"), "{help}");
    assert!(!help.contains("[possible values: true, false]"), "{help}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integrations_show_prints_every_setting_and_collections_by_path() {
    let sim = example_site().await;
    let store = scratch("show-all").join("state.db");
    add_integration(&store, &sim);
    ok(autoexpose(
        &store,
        SECRET,
        &["collections", "set", "acme", "Finance/Reporting,Marketing"],
    ));
    ok(autoexpose(
        &store,
        SECRET,
        &["integrations", "set", "acme", "--build-after-minutes", "60"],
    ));
    let shown = ok(autoexpose(
        &store,
        SECRET,
        &["integrations", "show", "acme"],
    ));
    for line in [
        "collections:   Finance/Reporting (1f0e1a6c-0002-4000-8000-00000000f002), Marketing (1f0e1a6c-0004-4000-8000-00000000f004)",
        "Tableau Collections: (none selected)",
        "include unmatched: no",
        "active exposures: not set",
        "at most once every 60 minutes",
        "removal guard:",
        "warnings:",
    ] {
        assert!(shown.contains(line), "missing {line:?} in:\n{shown}");
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collection_paths_match_without_case_and_suggest_a_near_one() {
    let sim = example_site().await;
    let store = scratch("paths-case").join("state.db");
    add_integration(&store, &sim);
    let set = ok(autoexpose(
        &store,
        SECRET,
        &["collections", "set", "acme", "finance/reporting"],
    ));
    assert!(set.contains("ok:"), "{set}");
    let shown = ok(autoexpose(
        &store,
        SECRET,
        &["integrations", "show", "acme"],
    ));
    assert!(
        shown.contains("Finance/Reporting (1f0e1a6c-0002"),
        "{shown}"
    );

    let typo = autoexpose(&store, SECRET, &["collections", "set", "acme", "Finanse"]);
    assert!(!typo.status.success());
    let message = stderr(&typo);
    assert!(message.contains("did you mean 'Finance'?"), "{message}");
    let nested = autoexpose(&store, SECRET, &["collections", "set", "acme", "Archive"]);
    let message = stderr(&nested);
    assert!(
        message.contains("did you mean 'Finance/Reporting/Archive'?"),
        "{message}"
    );
    sim.shutdown().await;
}

/// The path of a scratch file that is never created.
fn absent(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

#[test]
fn read_only_commands_in_an_empty_folder_create_no_store() {
    let dir = scratch("no-store");
    let store = absent(&dir, ".autoexpose/state.db");
    for args in [
        &["exposures", "list"][..],
        &["integrations", "show", "acme"],
        &["diagnose", "--integration", "acme"],
        &["collections", "list", "acme"],
    ] {
        let out = autoexpose(&store, SECRET, args);
        assert!(!out.status.success(), "{args:?}");
        assert!(
            stderr(&out).contains("there is no local store"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let listed = ok(autoexpose(&store, SECRET, &["integrations", "list"]));
    assert!(listed.contains("no integrations yet"), "{listed}");
    assert!(!store.exists(), "nothing was created");
}
