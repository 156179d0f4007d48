//! Usage from the command line, on the local store against the simulator: the catalog's
//! usage column, `exposures list --sort usage` and `--stale`, the usage flags of
//! `integrations set`, and a site without the usage-stats method noted on `integrations show`.

mod common;

use autoexpose_testkit::example_site;
use common::*;
use serde_json::Value;
use tableau_sim::UsageStatsAccess;

fn names(catalog: &Value) -> Vec<String> {
    catalog
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_sorts_by_usage_lists_stale_dashboards_and_follows_the_rules() {
    let sim = example_site().await;
    let dir = scratch("usage");
    let store = dir.join("state.db");
    let manifest = workspace().join("examples/jaffle-shop/manifest.json");
    let run = |args: &[&str]| ok(autoexpose(&store, SECRET, args));
    add_integration(&store, &sim);
    run(&[
        "apply-manifest",
        manifest.to_str().expect("utf-8"),
        "--dbt-project",
        "jaffle_shop",
    ]);
    run(&["collections", "set", "acme", "Finance,Marketing"]);

    let list = |extra: &[&str]| -> Value {
        let args = [&["exposures", "list", "--format", "json"][..], extra].concat();
        serde_json::from_str(&run(&args)).expect("json")
    };
    let by_usage = list(&["--sort", "usage"]);
    let hits: Vec<Option<u64>> = by_usage
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["usage"]["hits_last_month"].as_u64())
        .collect();
    assert!(hits.len() >= 2, "{by_usage}");
    assert_eq!(names(&by_usage)[0], "revenue_overview", "{by_usage}");
    assert_eq!(hits[0], Some(410));
    assert!(
        hits.windows(2).all(|pair| pair[0] >= pair[1]),
        "most used first: {hits:?}"
    );
    assert_eq!(by_usage[0]["maturity"], "high");

    let stale = list(&["--stale"]);
    assert!(!names(&stale).is_empty(), "{by_usage}");
    assert!(
        stale
            .as_array()
            .expect("array")
            .iter()
            .all(|e| e["stale"] == true && e["usage"]["hits_last_three_months"] == 0),
        "{stale}"
    );
    let table = run(&["exposures", "list", "--sort", "usage"]);
    assert!(table.contains("USAGE"), "{table}");
    assert!(table.contains("410/month · high"), "{table}");

    // The rules are the integration's: a higher bar and no stale window, at once.
    run(&[
        "integrations",
        "set",
        "acme",
        "--maturity-high-hits",
        "1000",
        "--stale-after",
        "off",
    ]);
    assert_eq!(list(&["--stale"]), serde_json::json!([]));
    assert_eq!(list(&["--sort", "usage"])[0]["maturity"], "medium");
    let show = run(&["integrations", "show", "acme"]);
    assert!(
        show.contains("high above 1000 hits a month") && show.contains("no stale flag"),
        "{show}"
    );

    // An older server: the sync goes on with view counts and the status says so once.
    sim.edit_site("acme", |s| s.usage_stats = UsageStatsAccess::Absent)
        .expect("edit site");
    run(&["sync", "acme"]);
    let show = run(&["integrations", "show", "acme"]);
    assert!(show.contains("only lifetime view counts"), "{show}");
    let revenue = &list(&["--sort", "usage"])[0];
    assert_eq!(revenue["name"], "revenue_overview");
    assert_eq!(revenue["usage"]["total_views"], 9800);
    sim.shutdown().await;
}
