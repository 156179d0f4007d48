//! Orchestration behaviours (PRODUCT.md S8, S10): the store's results and refresh records,
//! and the pipeline's health and refresh decisions over them.

use std::sync::Arc;
use std::time::Duration;

use autoexpose_domain::DatasourceRef;
use autoexpose_domain::run_results::{NodeResult, ResultsKind};
use time::macros::datetime;

use super::fakes::{
    FakeTableau, ManualClock, MemoryArtifacts, StaticSecrets, manifest_json, sample_integration,
    workbook,
};
use crate::pipeline::Pipeline;
use crate::{
    ArtifactLocation, JobState, RefreshRecord, RefreshState, RefreshTarget, RefreshTargetKind,
    ResultsPointer, Secret, Store, StoreError, Trigger,
};
use crate::{JobCheck, ResultsOutcome};

fn pointer(generated_at: &str, invocation_id: &str) -> ResultsPointer {
    ResultsPointer {
        dbt_project: "shop".into(),
        kind: ResultsKind::RunResults,
        location: ArtifactLocation::local("run_results.json"),
        generated_at: generated_at.into(),
        invocation_id: invocation_id.into(),
        recorded_at: "2025-03-01T08:00:00.000Z".into(),
    }
}

fn result(id: &str, status: &str, invocation_id: &str) -> NodeResult {
    NodeResult {
        kind: ResultsKind::RunResults,
        unique_id: id.into(),
        status: status.into(),
        message: None,
        failures: None,
        generated_at: None,
        invocation_id: Some(invocation_id.into()),
    }
}

/// Node results merge per node across invocations, and the pointer is conditional.
pub async fn node_results_merge_per_node_and_the_pointer_is_conditional<S: Store + 'static>(
    store: S,
) {
    let first = pointer("2025-03-01T07:00:00Z", "a");
    store
        .put_node_results(
            &first,
            None,
            &[
                result("model.shop.orders", "success", "a"),
                result("model.shop.customers", "error", "a"),
            ],
        )
        .await
        .expect("first");
    let second = pointer("2025-03-01T08:00:00Z", "b");
    store
        .put_node_results(
            &second,
            Some(&first),
            &[result("model.shop.customers", "success", "b")],
        )
        .await
        .expect("second");
    let err = store
        .put_node_results(&pointer("2025-03-01T09:00:00Z", "c"), Some(&first), &[])
        .await;
    assert!(
        matches!(err, Err(StoreError::Conflict(_))),
        "a stale previous pointer must conflict: {err:?}"
    );
    let stored = store
        .get_results_pointer("shop", ResultsKind::RunResults)
        .await
        .expect("get");
    assert_eq!(stored, Some(second));
    assert_eq!(
        store
            .get_results_pointer("shop", ResultsKind::SourceFreshness)
            .await
            .expect("get"),
        None
    );
    let results = store.list_node_results("shop").await.expect("list");
    let summary: Vec<(&str, &str, Option<&str>)> = results
        .iter()
        .map(|r| {
            (
                r.unique_id.as_str(),
                r.status.as_str(),
                r.invocation_id.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("model.shop.customers", "success", Some("b")),
            ("model.shop.orders", "success", Some("a")),
        ]
    );
    assert!(
        store
            .list_node_results("other")
            .await
            .expect("list")
            .is_empty()
    );
}

/// Refresh records are kept per integration, target kind and LUID.
pub async fn refresh_records_round_trip_per_target<S: Store + 'static>(store: S) {
    let record = |kind: RefreshTargetKind, luid: &str, state: RefreshState| RefreshRecord {
        integration_id: "acme".into(),
        target: RefreshTarget {
            kind,
            luid: luid.into(),
            name: luid.to_uppercase(),
        },
        workbook_luids: vec!["wb-1".into()],
        state: Some(state),
        requested_at: Some("2025-03-01T08:00:00.000Z".into()),
        invocation_id: Some("b".into()),
        job_id: Some(format!("job-{luid}")),
        finish_code: None,
        notes: None,
        skipped: None,
        updated_at: "2025-03-01T08:00:00.000Z".into(),
    };
    let wb = record(RefreshTargetKind::Workbook, "x-1", RefreshState::Queued);
    let ds = record(RefreshTargetKind::Datasource, "x-1", RefreshState::Queued);
    store.put_refresh(&wb).await.expect("put wb");
    store.put_refresh(&ds).await.expect("put ds");
    let mut done = wb.clone();
    done.state = Some(RefreshState::Failed);
    done.finish_code = Some(1);
    done.notes = Some("Login failed".into());
    store.put_refresh(&done).await.expect("replace");
    assert_eq!(
        store
            .get_refresh("acme", RefreshTargetKind::Workbook, "x-1")
            .await
            .expect("get"),
        Some(done.clone())
    );
    assert_eq!(
        store.list_refreshes("acme").await.expect("list"),
        vec![done, ds]
    );
    assert!(
        store
            .list_refreshes("other")
            .await
            .expect("list")
            .is_empty()
    );
}

const BUILD: &str = r#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json",
  "generated_at": "GEN", "invocation_id": "INV"}, "results": RESULTS, "elapsed_time": 3.0, "args": {}}"#;

fn run_results(generated_at: &str, invocation_id: &str, results: &[(&str, &str)]) -> Vec<u8> {
    let results: Vec<serde_json::Value> = results
        .iter()
        .map(|(id, status)| {
            serde_json::json!({"unique_id": id, "status": status, "timing": [], "thread_id": "Thread-1",
                "execution_time": 0.5, "adapter_response": {}, "message": null, "failures": null})
        })
        .collect();
    BUILD
        .replace("GEN", generated_at)
        .replace("INV", invocation_id)
        .replace(
            "RESULTS",
            &serde_json::to_string(&results).unwrap_or_default(),
        )
        .into_bytes()
}

type OrchestratedPipeline = Pipeline;

/// Integration `acme` with active exposures and a 60-minute window over `wb-1` (embedded
/// extract, reads orders, uses data source `ds-1`), `wb-2` (reads orders, uses `ds-1`) and
/// `wb-3` (embedded extract, reads customers); the manifest has `stg_orders` upstream of
/// `orders`.
async fn orchestrated<S: Store + 'static>(
    store: S,
) -> (
    OrchestratedPipeline,
    MemoryArtifacts,
    FakeTableau,
    ManualClock,
) {
    let artifacts = MemoryArtifacts::default();
    let tableau = FakeTableau::with_projects();
    let ds = DatasourceRef {
        luid: "ds-1".into(),
        name: "Orders (certified)".into(),
        has_extracts: true,
    };
    let mut wb1 = workbook("wb-1", "Sales", "p-fin", &["orders"]);
    wb1.has_embedded_extracts = true;
    wb1.datasources = vec![ds.clone()];
    let mut wb2 = workbook("wb-2", "Pipeline", "p-fin", &["orders"]);
    wb2.datasources = vec![ds];
    let mut wb3 = workbook("wb-3", "Quarterly", "p-q1", &["customers"]);
    wb3.has_embedded_extracts = true;
    tableau.set_workbooks(vec![wb1, wb2, wb3]);
    let clock = ManualClock::new(datetime!(2025-03-01 08:00 UTC));
    let pipeline = Pipeline::new(
        store,
        artifacts.clone(),
        StaticSecrets(Secret::new("pat-secret-value")),
        tableau.clone(),
    )
    .with_clock(Arc::new(clock.clone()));
    let mut integration = sample_integration("acme", &["p-fin"]);
    integration.active_exposures = Some(true);
    integration.build_after_minutes = Some(60);
    pipeline
        .store()
        .create_integration(&integration)
        .await
        .expect("create");
    let mut manifest: serde_json::Value = serde_json::from_slice(&manifest_json(
        "2025-03-01T07:00:00Z",
        "m1",
        &["orders", "stg_orders", "customers"],
    ))
    .expect("manifest");
    manifest["parent_map"] = serde_json::json!({
        "model.shop.orders": ["model.shop.stg_orders"],
        "model.shop.stg_orders": [],
        "model.shop.customers": [],
        "test.shop.not_null_stg_orders_id.1": ["model.shop.stg_orders"]
    });
    let location = ArtifactLocation::local("manifest.json");
    artifacts.put(&location, serde_json::to_vec(&manifest).unwrap_or_default());
    pipeline
        .apply_manifest("shop", &location)
        .await
        .expect("apply");
    pipeline
        .sync_integration("acme", Trigger::Manual)
        .await
        .expect("sync");
    (pipeline, artifacts, tableau, clock)
}

async fn record(
    pipeline: &OrchestratedPipeline,
    artifacts: &MemoryArtifacts,
    name: &str,
    bytes: Vec<u8>,
) -> ResultsOutcome {
    let location = ArtifactLocation::local(name);
    artifacts.put(&location, bytes);
    pipeline
        .record_run_results("shop", &location)
        .await
        .expect("record results")
}

async fn health_of(pipeline: &OrchestratedPipeline) -> Vec<(String, String)> {
    pipeline
        .catalog(Some("shop"))
        .await
        .expect("catalog")
        .into_iter()
        .map(|e| (e.name, e.health))
        .collect()
}

/// A build rebuilds `stg_orders`: the exposures reading `orders` (two levels down) are
/// refreshed — the shared data source once — and become healthy; the one reading only
/// `customers` stays unknown and is not refreshed.
pub async fn rebuilt_exposures_are_refreshed_once_per_target<S: Store + 'static>(store: S) {
    let (pipeline, artifacts, tableau, _clock) = orchestrated(store).await;
    assert_eq!(
        health_of(&pipeline).await,
        [
            ("pipeline".to_string(), "Unknown".to_string()),
            ("quarterly".to_string(), "Unknown".to_string()),
            ("sales".to_string(), "Unknown".to_string())
        ]
    );
    let outcome = record(
        &pipeline,
        &artifacts,
        "b1.json",
        run_results(
            "2025-03-01T07:30:00Z",
            "b1",
            &[
                ("model.shop.stg_orders", "success"),
                ("test.shop.not_null_stg_orders_id.1", "pass"),
            ],
        ),
    )
    .await;
    let ResultsOutcome::Recorded {
        jobs, refreshes, ..
    } = outcome
    else {
        panic!("recorded expected, got {outcome:?}");
    };
    let asked: Vec<(RefreshTargetKind, String)> = tableau
        .refreshes()
        .into_iter()
        .map(|t| (t.kind, t.luid))
        .collect();
    assert_eq!(
        asked,
        [
            (RefreshTargetKind::Workbook, "wb-1".to_string()),
            (RefreshTargetKind::Datasource, "ds-1".to_string())
        ],
        "the shared data source is asked for once"
    );
    assert_eq!(
        tableau.refresh_sessions(),
        1,
        "one sign-in for all refreshes"
    );
    assert_eq!(jobs.len(), 2);
    assert_eq!(refreshes.len(), 1);
    assert_eq!(
        health_of(&pipeline).await,
        [
            ("pipeline".to_string(), "Healthy".to_string()),
            ("quarterly".to_string(), "Unknown".to_string()),
            ("sales".to_string(), "Healthy".to_string())
        ]
    );
}

/// A failed test upstream degrades the exposure and stops its refresh; an older
/// invocation arriving late changes nothing.
pub async fn failed_upstream_degrades_and_older_results_change_nothing<S: Store + 'static>(
    store: S,
) {
    let (pipeline, artifacts, tableau, _clock) = orchestrated(store).await;
    record(
        &pipeline,
        &artifacts,
        "b2.json",
        run_results(
            "2025-03-01T07:40:00Z",
            "b2",
            &[
                ("model.shop.stg_orders", "success"),
                ("test.shop.not_null_stg_orders_id.1", "fail"),
            ],
        ),
    )
    .await;
    assert!(tableau.refreshes().is_empty(), "nothing refreshed");
    let detail = pipeline
        .exposure_detail("sales", Some("shop"))
        .await
        .expect("detail")
        .expect("exists");
    assert_eq!(detail.entry.health, "Degraded");
    assert!(
        detail.entry.health_reasons[0].contains("test.shop.not_null_stg_orders_id.1"),
        "{:?}",
        detail.entry.health_reasons
    );
    let outcome = record(
        &pipeline,
        &artifacts,
        "b1.json",
        run_results(
            "2025-03-01T07:30:00Z",
            "b1",
            &[
                ("model.shop.stg_orders", "success"),
                ("test.shop.not_null_stg_orders_id.1", "pass"),
            ],
        ),
    )
    .await;
    assert!(
        matches!(outcome, ResultsOutcome::Stale { .. }),
        "{outcome:?}"
    );
    assert!(tableau.refreshes().is_empty(), "still nothing refreshed");
    assert_eq!(health_of(&pipeline).await[2].1, "Degraded");
}

/// Inside the build-after window a refresh is recorded as skipped with the time left;
/// after it, the target is refreshed again. A 409093 is recorded as already queued.
pub async fn refresh_inside_the_window_is_skipped_with_time_left<S: Store + 'static>(store: S) {
    let (pipeline, artifacts, tableau, clock) = orchestrated(store).await;
    let build = |at: &str, inv: &str| run_results(at, inv, &[("model.shop.orders", "success")]);
    record(
        &pipeline,
        &artifacts,
        "b1.json",
        build("2025-03-01T07:30:00Z", "b1"),
    )
    .await;
    clock.advance(Duration::from_secs(20 * 60));
    tableau.set_already_queued("ds-1");
    let outcome = record(
        &pipeline,
        &artifacts,
        "b2.json",
        build("2025-03-01T07:50:00Z", "b2"),
    )
    .await;
    let ResultsOutcome::Recorded { jobs, .. } = outcome else {
        panic!("recorded expected");
    };
    assert!(jobs.is_empty(), "nothing new was queued");
    assert_eq!(
        tableau.refreshes().len(),
        2,
        "no new request inside the window"
    );
    let wb = pipeline
        .store()
        .get_refresh("acme", RefreshTargetKind::Workbook, "wb-1")
        .await
        .expect("get")
        .expect("recorded");
    let skipped = wb.skipped.expect("skipped");
    assert!(
        skipped.reason.contains("ends in 40 minutes"),
        "{}",
        skipped.reason
    );
    assert_eq!(
        wb.state,
        Some(RefreshState::Queued),
        "the last request stays"
    );

    clock.advance(Duration::from_secs(41 * 60));
    record(
        &pipeline,
        &artifacts,
        "b3.json",
        build("2025-03-01T08:31:00Z", "b3"),
    )
    .await;
    assert_eq!(
        tableau.refreshes().len(),
        4,
        "refreshed again after the window"
    );
    let ds = pipeline
        .store()
        .get_refresh("acme", RefreshTargetKind::Datasource, "ds-1")
        .await
        .expect("get")
        .expect("recorded");
    assert_eq!(ds.state, Some(RefreshState::AlreadyQueued));
    assert!(ds.skipped.is_none());
}

/// A job is polled until it finishes; its outcome (finish code, notes) is recorded on
/// the refresh record, and the exposure shows it.
pub async fn refresh_job_is_followed_to_its_outcome<S: Store + 'static>(store: S) {
    let (pipeline, artifacts, tableau, clock) = orchestrated(store).await;
    let outcome = record(
        &pipeline,
        &artifacts,
        "b1.json",
        run_results(
            "2025-03-01T07:30:00Z",
            "b1",
            &[("model.shop.orders", "success")],
        ),
    )
    .await;
    let ResultsOutcome::Recorded { jobs, .. } = outcome else {
        panic!("recorded expected");
    };
    let job = jobs
        .into_iter()
        .find(|j| j.target.kind == RefreshTargetKind::Workbook)
        .expect("workbook job");
    let JobCheck::NotYet { job: next, delay } =
        pipeline.check_refresh_job(&job).await.expect("poll")
    else {
        panic!("still running expected");
    };
    assert_eq!(next.attempt, 1);
    assert!(delay > Duration::from_secs(60), "delays grow: {delay:?}");
    clock.advance(delay);
    tableau.set_job_state(
        &job.job_id,
        JobState::Failed {
            notes: Some("Login failed for user 'svc_tableau'".into()),
        },
    );
    let JobCheck::Done(record) = pipeline.check_refresh_job(&next).await.expect("poll") else {
        panic!("done expected");
    };
    assert_eq!(record.state, Some(RefreshState::Failed));
    assert_eq!(record.finish_code, Some(1));
    let detail = pipeline
        .exposure_detail("sales", None)
        .await
        .expect("detail")
        .expect("exists");
    let shown = detail
        .refreshes
        .iter()
        .find(|r| r.target.kind == RefreshTargetKind::Workbook)
        .expect("shown");
    assert_eq!(
        shown.notes.as_deref(),
        Some("Login failed for user 'svc_tableau'")
    );
}

/// A job still running after the maximum age is recorded as given up, saying so.
pub async fn job_running_too_long_is_given_up<S: Store + 'static>(store: S) {
    let (pipeline, artifacts, _tableau, clock) = orchestrated(store).await;
    let ResultsOutcome::Recorded { jobs, .. } = record(
        &pipeline,
        &artifacts,
        "b1.json",
        run_results(
            "2025-03-01T07:30:00Z",
            "b1",
            &[("model.shop.orders", "success")],
        ),
    )
    .await
    else {
        panic!("recorded expected");
    };
    clock.advance(Duration::from_secs(7 * 3600));
    let JobCheck::Done(record) = pipeline.check_refresh_job(&jobs[0]).await.expect("poll") else {
        panic!("given up expected");
    };
    assert_eq!(record.state, Some(RefreshState::GaveUp));
    assert!(
        record
            .notes
            .as_deref()
            .is_some_and(|n| n.contains("still running after 7 hours")),
        "{:?}",
        record.notes
    );
}
