//! The README's main path as a person runs it: the `autoexpose` binary on a local store
//! against the Tableau simulator on loopback, every stage, plus the store-less live sync.

mod common;

use std::process::Command;

use autoexpose_testkit::example_site;
use common::{SECRET, add_integration, autoexpose, ok, scratch, workspace};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_stage_runs_from_the_command_line_on_a_local_store() {
    let sim = example_site().await;
    let dir = scratch("stages");
    let store = dir.join("state.db");
    let manifest = workspace().join("examples/jaffle-shop/manifest.json");
    let manifest = manifest.to_str().expect("utf-8 path");
    let run = |args: &[&str]| ok(autoexpose(&store, SECRET, args));

    add_integration(&store, &sim);
    let tree = run(&["collections", "list", "acme"]);
    assert!(tree.contains("Finance/Reporting/Archive"), "{tree}");
    run(&["collections", "set", "acme", "Finance,Marketing"]);
    run(&["apply-manifest", manifest, "--dbt-project", "jaffle_shop"]);

    let catalog: serde_json::Value =
        serde_json::from_str(&run(&["exposures", "list", "--format", "json"])).expect("json");
    let rows: Vec<(String, String)> = catalog
        .as_array()
        .expect("array")
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap_or("").into(),
                e["mode"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert!(rows.contains(&("revenue_overview".into(), "auto".into())));
    assert!(rows.contains(&("weekly_jaffle_metrics".into(), "manual".into())));

    // The manifest's rematch read the columns of the workbooks it matched (the selection
    // synced before any manifest, when nothing could match them).
    let shown = run(&["exposures", "show", "revenue_overview"]);
    assert!(shown.contains("DISCOUNT_CODE"), "{shown}");
    // So a sync that finds nothing new changes nothing.
    let again = run(&["sync", "acme"]);
    assert!(again.contains("0 added, 0 changed, 0 removed"), "{again}");

    let models = dir.join("models");
    autoexpose(
        &store,
        SECRET,
        &[
            "exposures",
            "export",
            "--out",
            models.to_str().expect("path"),
        ],
    );
    let yaml = std::fs::read_to_string(models.join("imported_from_tableau/exposures.yml"))
        .expect("exposures.yml written");
    assert!(yaml.contains("name: revenue_overview"), "{yaml}");
    assert!(yaml.contains("autoexpose_integration: acme"), "{yaml}");

    let page = dir.join("lineage.html");
    run(&["lineage", "--out", page.to_str().expect("path")]);
    let html = std::fs::read_to_string(&page).expect("lineage written");
    assert!(html.contains("revenue_overview"));

    let report = run(&["diagnose", "--integration", "acme"]);
    assert!(
        report.contains("GL_ENTRIES") || report.contains("Targets$"),
        "{report}"
    );
    assert!(report.contains("matched"), "{report}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_is_reported_as_such_and_keeps_the_exposures() {
    let sim = example_site().await;
    let dir = scratch("wrong-token");
    let store = dir.join("state.db");
    let manifest = workspace().join("examples/jaffle-shop/manifest.json");
    let manifest = manifest.to_str().expect("utf-8 path");
    add_integration(&store, &sim);
    ok(autoexpose(
        &store,
        SECRET,
        &["collections", "set", "acme", "Finance"],
    ));
    ok(autoexpose(
        &store,
        SECRET,
        &["apply-manifest", manifest, "--dbt-project", "jaffle_shop"],
    ));
    let before = ok(autoexpose(
        &store,
        SECRET,
        &["exposures", "list", "--format", "json"],
    ));

    let wrong = "not-the-secret-4711";
    let out = autoexpose(&store, wrong, &["sync", "acme"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("401001") || stderr.contains("personal access token"),
        "{stderr}"
    );
    assert!(!stderr.contains(wrong), "the secret leaked: {stderr}");
    let after = ok(autoexpose(
        &store,
        wrong,
        &["exposures", "list", "--format", "json"],
    ));
    assert_eq!(before, after, "a failed sync keeps the exposures");
    let status = ok(autoexpose(&store, wrong, &["integrations", "show", "acme"]));
    assert!(
        status.contains("personal access token") || status.contains("401001"),
        "{status}"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_sync_prints_exposures_without_a_store() {
    let sim = example_site().await;
    let dir = scratch("live");
    let manifest = workspace().join("examples/jaffle-shop/manifest.json");
    let out = ok(autoexpose(
        &dir.join("unused.db"),
        SECRET,
        &[
            "sync",
            "--manifest",
            manifest.to_str().expect("path"),
            "--server-url",
            &sim.base_url(),
            "--site",
            "acme",
            "--token-name",
            "autoexpose-ci",
            "--collections",
            "Finance,Marketing",
            "--format",
            "json",
        ],
    ));
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    let names: Vec<&str> = doc["exposures"]
        .as_array()
        .expect("exposures")
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "campaign_performance",
            "cohort_analysis",
            "customer_360",
            "revenue_overview"
        ]
    );
    assert!(!dir.join("unused.db").exists(), "live sync keeps no state");
    let missing = Command::new(env!("CARGO_BIN_EXE_autoexpose"))
        .args([
            "sync",
            "--manifest",
            manifest.to_str().expect("path"),
            "--server-url",
            &sim.base_url(),
            "--site",
            "acme",
            "--token-name",
            "autoexpose-ci",
            "--collections",
            "Finance",
        ])
        .env_remove("AUTOEXPOSE_TABLEAU_TOKEN_SECRET")
        .output()
        .expect("runs");
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("AUTOEXPOSE_TABLEAU_TOKEN_SECRET"));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alias_set_on_the_integration_rematches_asking_tableau_only_for_new_columns() {
    let sim = example_site().await;
    let dir = scratch("alias");
    let store = dir.join("state.db");
    let manifest = workspace().join("examples/jaffle-shop/manifest.json");
    let manifest = manifest.to_str().expect("utf-8 path");
    let run = |args: &[&str]| ok(autoexpose(&store, SECRET, args));
    add_integration(&store, &sim);
    run(&["collections", "set", "acme", "Finance"]);
    run(&["apply-manifest", manifest, "--dbt-project", "jaffle_shop"]);
    let before = run(&["diagnose", "--integration", "acme"]);
    assert!(before.contains("Orders_Daily"), "{before}");
    // Daily Orders reads analytics.dbt_prod.Orders_Daily; dbt builds it in DBT_PROD_REPORTING.
    let before = sim.stats();
    let changed = run(&[
        "integrations",
        "set",
        "acme",
        "--schema-alias",
        "dbt_prod=dbt_prod_reporting",
    ]);
    assert!(changed.contains("1 added"), "{changed}");
    // The rematch lists nothing: Tableau is asked only for the columns of the workbook
    // the alias matched.
    let after = sim.stats();
    assert_eq!(
        (
            after.metadata_queries - before.metadata_queries,
            after.projects - before.projects,
            after.usage - before.usage,
        ),
        (1, 0, 0),
        "{after:?}"
    );
    let catalog = run(&["exposures", "list", "--format", "json"]);
    assert!(catalog.contains("daily_orders"), "{catalog}");
    let shown = run(&["integrations", "show", "acme"]);
    assert!(
        shown.contains("schema dbt_prod -> dbt_prod_reporting"),
        "{shown}"
    );
    sim.shutdown().await;
}
