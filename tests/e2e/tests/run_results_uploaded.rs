//! The run-results-uploaded function end to end: real `run_results.json`/`sources.json`
//! shapes uploaded to S3 on moto, the handler called with the S3 event, extract refreshes
//! asked of the Tableau simulator and their jobs followed.

use std::time::Duration;

use autoexpose_e2e::{PROJECT, World, run_results};
use autoexpose_pipeline::{JobCheck, RefreshState, RefreshTargetKind};
use run_results_uploaded::{RecordOutcome, handler};
use serde_json::json;
use tableau_sim::SimConfig;

const RESULTS_KEY: &str = "dbt/shop/prod/run_results.json";
const SOURCES_KEY: &str = "dbt/shop/prod/sources.json";

fn sources(generated_at: &str, invocation_id: &str, status: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/sources/v3.json",
            "generated_at": generated_at, "invocation_id": invocation_id},
        "results": [{"unique_id": "source.shop.raw.sessions", "status": status,
            "max_loaded_at": "2025-02-28T00:00:00Z", "snapshotted_at": generated_at,
            "max_loaded_at_time_ago_in_s": 108000.0,
            "criteria": {"warn_after": {"count": 12, "period": "hour"}, "error_after": {"count": 48, "period": "hour"}},
            "adapter_response": {}, "timing": [], "thread_id": "Thread-1", "execution_time": 0.2}],
        "elapsed_time": 1.0
    }))
    .expect("json")
}

async fn world_with_active_exposures() -> World {
    World::with_active_exposures(SimConfig::default(), None).await
}

async fn health(world: &World) -> Vec<(String, String)> {
    world
        .deps
        .pipeline()
        .catalog(Some(PROJECT))
        .await
        .expect("catalog")
        .into_iter()
        .map(|e| (e.name, e.health))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_sets_health_and_refreshes_only_rebuilt_exposures() {
    let world = world_with_active_exposures().await;
    assert!(health(&world).await.iter().all(|(_, h)| h == "Unknown"));

    // orders rebuilt (Revenue Overview and Customer 360 through the certified data source,
    // Daily Orders through orders_daily); the payments test failed (Revenue Overview).
    let upload = world
        .upload(
            RESULTS_KEY,
            run_results(
                "2025-03-01T07:30:00Z",
                "b1",
                &[
                    ("model.shop.orders", "success"),
                    ("model.shop.orders_daily", "success"),
                    ("model.shop.customers", "success"),
                    ("test.shop.not_null_payments_id.1", "fail"),
                ],
            ),
        )
        .await;
    let report = handler(world.s3_event(&[&upload]), &world.deps)
        .await
        .expect("handled");
    let RecordOutcome::Recorded { jobs, .. } = &report.records[0].outcome else {
        panic!("recorded expected: {report:?}");
    };
    let health = health(&world).await;
    let of = |name: &str| {
        health
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, h)| h.clone())
            .unwrap_or_default()
    };
    assert_eq!(of("revenue_overview"), "Degraded");
    assert_eq!(of("daily_orders"), "Healthy");
    assert_eq!(of("customer_360"), "Healthy");

    // Revenue Overview is not refreshed (its test failed); Daily Orders (embedded extract)
    // and the certified data source (Customer 360) are, the data source once.
    let stats = world.sim.stats();
    assert_eq!(
        stats.refreshes, 3,
        "daily orders, campaigns and the data source"
    );
    let refreshes = world.store().list_refreshes("acme").await.expect("list");
    let targets: Vec<(RefreshTargetKind, Option<RefreshState>)> =
        refreshes.iter().map(|r| (r.target.kind, r.state)).collect();
    assert_eq!(targets.len(), 3, "{targets:?}");
    assert!(
        refreshes
            .iter()
            .all(|r| r.state == Some(RefreshState::Queued))
    );

    // A job followed to success (the simulator finishes jobs after 1.5 s).
    let mut job = jobs[0].clone();
    let record = loop {
        match world
            .deps
            .pipeline()
            .check_refresh_job(&job)
            .await
            .expect("poll")
        {
            JobCheck::Done(record) => break record,
            JobCheck::NotYet { job: next, .. } => {
                tokio::time::sleep(Duration::from_millis(400)).await;
                job = next;
            }
        }
    };
    assert_eq!(record.state, Some(RefreshState::Succeeded));
    assert_eq!(record.finish_code, Some(0));

    // The same build again is a duplicate; within the window nothing more is asked.
    let report = handler(world.s3_event(&[&upload]), &world.deps)
        .await
        .expect("handled");
    assert!(matches!(
        report.records[0].outcome,
        RecordOutcome::Unchanged { .. }
    ));
    let later = world
        .upload(
            RESULTS_KEY,
            run_results(
                "2025-03-01T08:00:00Z",
                "b2",
                &[("model.shop.orders", "success")],
            ),
        )
        .await;
    handler(world.s3_event(&[&later]), &world.deps)
        .await
        .expect("handled");
    assert_eq!(world.sim.stats().refreshes, 3, "inside the window: skipped");
    let daily = world
        .store()
        .get_refresh(
            "acme",
            RefreshTargetKind::Workbook,
            autoexpose_e2e::DAILY_ORDERS,
        )
        .await
        .expect("get")
        .expect("recorded");
    assert!(
        daily
            .skipped
            .as_ref()
            .is_some_and(|s| s.reason.contains("build-after window")),
        "{daily:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_freshness_sets_caution_and_error_degraded() {
    let world = world_with_active_exposures().await;
    let warn = world
        .upload(SOURCES_KEY, sources("2025-03-01T06:00:00Z", "f1", "warn"))
        .await;
    handler(world.s3_event(&[&warn]), &world.deps)
        .await
        .expect("handled");
    let detail = world
        .deps
        .pipeline()
        .exposure_detail("campaign_performance", None)
        .await
        .expect("detail")
        .expect("exists");
    assert_eq!(detail.entry.health, "Caution");
    assert!(
        detail.entry.health_reasons[0].contains("source.shop.raw.sessions freshness warning"),
        "{:?}",
        detail.entry.health_reasons
    );
    assert_eq!(
        world.sim.stats().refreshes,
        0,
        "freshness refreshes nothing"
    );
    let error = world
        .upload(SOURCES_KEY, sources("2025-03-01T07:00:00Z", "f2", "error"))
        .await;
    handler(world.s3_event(&[&error]), &world.deps)
        .await
        .expect("handled");
    let older = world
        .upload(SOURCES_KEY, sources("2025-03-01T05:00:00Z", "f0", "pass"))
        .await;
    handler(world.s3_event(&[&older]), &world.deps)
        .await
        .expect("handled");
    let catalog = world
        .deps
        .pipeline()
        .catalog(Some(PROJECT))
        .await
        .expect("catalog");
    let campaigns = catalog
        .iter()
        .find(|e| e.name == "campaign_performance")
        .expect("exists");
    assert_eq!(
        campaigns.health, "Degraded",
        "the older file changed nothing"
    );
}
