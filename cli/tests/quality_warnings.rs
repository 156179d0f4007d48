//! `autoexpose record-results` writes dbt health as Tableau data quality warnings when the
//! integration has them on: the same path as the run-results-uploaded function, from the
//! command line on a local store, against the simulator.

mod common;

use autoexpose_testkit::example_site;
use common::{SECRET, add_integration, autoexpose, ok, scratch, workspace};
use serde_json::json;

const ORDERS_DS: &str = "d5d5d5d5-0001-4000-8000-0000000000d1";

fn run_results(invocation_id: &str, generated_at: &str, results: &[(&str, &str)]) -> String {
    let results: Vec<serde_json::Value> = results
        .iter()
        .map(|(id, status)| {
            json!({"unique_id": id, "status": status, "thread_id": "Thread-1",
                "execution_time": 0.5, "timing": [], "adapter_response": {},
                "message": if *status == "error" { "Database Error: relation does not exist" } else { "OK" },
                "failures": null})
        })
        .collect();
    json!({
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json",
            "dbt_version": "1.9.4", "generated_at": generated_at, "invocation_id": invocation_id},
        "results": results, "elapsed_time": 3.0, "args": {"which": "build"}
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_results_raises_and_clears_the_warning_on_the_data_source() {
    let sim = example_site().await;
    let dir = scratch("quality-warnings");
    let store = dir.join("state.db");
    let manifest = workspace().join("examples/jaffle-shop/manifest.json");
    let run = |args: &[&str]| ok(autoexpose(&store, SECRET, args));
    add_integration(&store, &sim);
    run(&["collections", "set", "acme", "Finance"]);
    run(&[
        "apply-manifest",
        manifest.to_str().expect("utf-8"),
        "--dbt-project",
        "jaffle_shop",
    ]);
    let set = run(&[
        "integrations",
        "set",
        "acme",
        "--quality-warnings",
        "true",
        "--severe-warnings",
        "true",
        "--warning-link",
        "https://lineage.example.com/{exposure}",
        "--table-warnings",
        "true",
    ]);
    assert!(set.contains("updated integration"), "{set}");
    let shown = run(&["integrations", "show", "acme"]);
    assert!(
        shown.contains("on tables where no published data source is read"),
        "{shown}"
    );

    let catalog: serde_json::Value =
        serde_json::from_str(&run(&["exposures", "list", "--format", "json"])).expect("json");
    let revenue = catalog
        .as_array()
        .expect("array")
        .iter()
        .find(|e| e["name"] == "revenue_overview")
        .expect("revenue_overview is an exposure");
    let nodes: Vec<&str> = revenue["depends_on"]
        .as_array()
        .expect("depends_on")
        .iter()
        .filter_map(|n| n.as_str())
        .collect();
    let failing = nodes[0];

    let failed = dir.join("failed.json");
    let mut statuses: Vec<(&str, &str)> = nodes.iter().map(|n| (*n, "success")).collect();
    statuses[0].1 = "error";
    std::fs::write(
        &failed,
        run_results("f1", "2026-01-02T07:00:00Z", &statuses),
    )
    .expect("write");
    let out = run(&[
        "record-results",
        failed.to_str().expect("utf-8"),
        "--dbt-project",
        "jaffle_shop",
    ]);
    assert!(
        out.contains(&format!(
            "acme: data quality warning raised on datasource 'Orders (certified)' ({ORDERS_DS})"
        )),
        "{out}"
    );
    let site = sim.site("acme").expect("acme");
    assert_eq!(
        site.quality_warnings.len(),
        1,
        "{:?}",
        site.quality_warnings
    );
    let warning = &site.quality_warnings[0];
    assert_eq!(warning.content_id, ORDERS_DS);
    assert!(warning.message.contains(failing), "{}", warning.message);
    assert!(
        warning
            .message
            .contains("https://lineage.example.com/revenue_overview"),
        "{}",
        warning.message
    );
    assert!(warning.is_severe);
    let show = run(&["integrations", "show", "acme"]);
    assert!(
        show.contains("warnings:      on, on degraded, Degraded severe"),
        "{show}"
    );
    assert!(
        show.contains(&format!(
            "written on datasource 'Orders (certified)' ({ORDERS_DS})"
        )),
        "{show}"
    );

    // Turning warnings off removes ours at once, not at the next results; on again
    // writes them from the health last recorded.
    let off = run(&["integrations", "set", "acme", "--quality-warnings", "false"]);
    assert!(
        off.contains(&format!(
            "acme: data quality warning cleared from datasource 'Orders (certified)' ({ORDERS_DS})"
        )),
        "{off}"
    );
    assert!(sim.site("acme").expect("acme").quality_warnings.is_empty());
    let on = run(&["integrations", "set", "acme", "--quality-warnings", "true"]);
    assert!(
        on.contains("acme: data quality warning raised on datasource 'Orders (certified)'"),
        "{on}"
    );
    assert_eq!(sim.site("acme").expect("acme").quality_warnings.len(), 1);

    let fixed = dir.join("fixed.json");
    let statuses: Vec<(&str, &str)> = nodes.iter().map(|n| (*n, "success")).collect();
    std::fs::write(&fixed, run_results("f2", "2026-01-02T08:00:00Z", &statuses)).expect("write");
    let out = run(&[
        "record-results",
        fixed.to_str().expect("utf-8"),
        "--dbt-project",
        "jaffle_shop",
    ]);
    assert!(
        out.contains("data quality warning cleared from datasource"),
        "{out}"
    );
    assert!(sim.site("acme").expect("acme").quality_warnings.is_empty());
    sim.shutdown().await;
}
