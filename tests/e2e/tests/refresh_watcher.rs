//! Refresh jobs end to end: a `run_results.json` upload hands the jobs Tableau queued to
//! the refresh queue (SQS on moto), and the refresh-watcher handler, called with the
//! messages read back from that queue, follows them on the Tableau simulator until their
//! outcome is recorded.

use std::time::Duration;

use autoexpose_e2e::{DAILY_ORDERS, World, run_results};
use autoexpose_pipeline::{RefreshJob, RefreshState, RefreshTargetKind};
use run_results_uploaded::RecordOutcome;
use tableau_sim::SimConfig;

const RESULTS_KEY: &str = "dbt/shop/prod/run_results.json";

fn sim(job_duration: Duration) -> SimConfig {
    SimConfig {
        job_duration,
        ..SimConfig::default()
    }
}

/// A build that rebuilt orders, orders_daily and customers: three targets to refresh.
const BUILD: &[(&str, &str)] = &[
    ("model.shop.orders", "success"),
    ("model.shop.orders_daily", "success"),
    ("model.shop.customers", "success"),
];

async fn upload_build(world: &World, generated_at: &str, invocation_id: &str) -> Vec<RefreshJob> {
    let upload = world
        .upload(RESULTS_KEY, run_results(generated_at, invocation_id, BUILD))
        .await;
    let report = run_results_uploaded::handler(world.s3_event(&[&upload]), &world.deps)
        .await
        .expect("handled");
    match &report.records[0].outcome {
        RecordOutcome::Recorded { jobs, .. } => jobs.clone(),
        other => panic!("recorded expected: {other:?}"),
    }
}

async fn states(world: &World) -> Vec<(RefreshTargetKind, String, Option<RefreshState>)> {
    world
        .store()
        .list_refreshes("acme")
        .await
        .expect("list refreshes")
        .into_iter()
        .map(|r| (r.target.kind, r.target.luid, r.state))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_jobs_are_followed_through_sqs_until_they_succeed() {
    let world = World::with_active_exposures(sim(Duration::from_secs(4)), None).await;
    let mut jobs = upload_build(&world, "2025-03-01T07:30:00Z", "b1").await;
    jobs.sort_by(|a, b| a.job_id.cmp(&b.job_id));
    assert_eq!(jobs.len(), 3, "daily orders, campaigns and the data source");

    // The upload handed every job to SQS, to be polled first.
    let first = world.receive_queued().await;
    assert_eq!(World::jobs_in(&first), jobs);

    // Still running: each goes back to the queue with its attempt counted.
    let response = refresh_watcher::handler(world.sqs_event(&first), &world.deps)
        .await
        .expect("handled");
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert!(
        states(&world)
            .await
            .iter()
            .all(|(_, _, s)| *s == Some(RefreshState::Queued))
    );
    let second = world.receive_queued().await;
    let requeued = World::jobs_in(&second);
    assert_eq!(requeued.len(), 3);
    assert!(requeued.iter().all(|j| j.attempt == 1), "{requeued:?}");

    // Finished: recorded, and nothing is left to follow.
    tokio::time::sleep(Duration::from_millis(4100)).await;
    let response = refresh_watcher::handler(world.sqs_event(&second), &world.deps)
        .await
        .expect("handled");
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let records = world.store().list_refreshes("acme").await.expect("list");
    assert_eq!(records.len(), 3);
    for record in &records {
        assert_eq!(record.state, Some(RefreshState::Succeeded), "{record:?}");
        assert_eq!(record.finish_code, Some(0));
    }
    assert!(world.receive_queued().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_refresh_is_recorded_with_finish_code_1_and_tableaus_notes() {
    let world = World::with_active_exposures(sim(Duration::from_millis(200)), None).await;
    world
        .sim
        .edit_site("acme", |site| {
            let workbook = site
                .workbooks
                .iter_mut()
                .find(|w| w.luid == DAILY_ORDERS)
                .expect("Daily Orders");
            workbook.refresh_error =
                Some("ORA-01017: invalid username/password; logon denied".into());
        })
        .expect("edit site");
    upload_build(&world, "2025-03-01T07:30:00Z", "b1").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let messages = world.receive_queued().await;
    let response = refresh_watcher::handler(world.sqs_event(&messages), &world.deps)
        .await
        .expect("handled");
    assert!(response.batch_item_failures.is_empty(), "{response:?}");

    let daily = world
        .store()
        .get_refresh("acme", RefreshTargetKind::Workbook, DAILY_ORDERS)
        .await
        .expect("get")
        .expect("recorded");
    assert_eq!(daily.state, Some(RefreshState::Failed));
    assert_eq!(daily.finish_code, Some(1));
    assert!(
        daily
            .notes
            .as_deref()
            .is_some_and(|n| n.contains("ORA-01017")),
        "{daily:?}"
    );
    let others: Vec<_> = states(&world)
        .await
        .into_iter()
        .filter(|(_, luid, _)| luid != DAILY_ORDERS)
        .collect();
    assert_eq!(others.len(), 2);
    assert!(
        others
            .iter()
            .all(|(_, _, s)| *s == Some(RefreshState::Succeeded))
    );
    assert!(world.receive_queued().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_tableau_already_runs_is_recorded_as_already_queued() {
    // No build-after window, and jobs that run for a minute: the second build finds them.
    let world = World::with_active_exposures(sim(Duration::from_secs(60)), Some(0)).await;
    let jobs = upload_build(&world, "2025-03-01T07:30:00Z", "b1").await;
    assert_eq!(jobs.len(), 3);
    let again = upload_build(&world, "2025-03-01T07:45:00Z", "b2").await;
    assert!(again.is_empty(), "nothing new to follow: {again:?}");
    assert_eq!(world.sim.stats().refreshes, 6, "all three asked twice");

    let records = world.store().list_refreshes("acme").await.expect("list");
    for record in &records {
        assert_eq!(
            record.state,
            Some(RefreshState::AlreadyQueued),
            "{record:?}"
        );
        assert!(
            record
                .notes
                .as_deref()
                .is_some_and(|n| n.contains("409093")),
            "{record:?}"
        );
        assert_eq!(record.invocation_id.as_deref(), Some("b2"));
    }
    // Only the first build's jobs wait on the queue.
    let queued = World::jobs_in(&world.receive_queued().await);
    let mut first = jobs;
    first.sort_by(|a, b| a.job_id.cmp(&b.job_id));
    assert_eq!(queued, first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_the_queue_refused_are_handed_over_when_lambda_retries_the_upload() {
    let world = World::with_active_exposures(sim(Duration::from_secs(60)), None).await;
    let upload = world
        .upload(
            RESULTS_KEY,
            run_results("2025-03-01T07:30:00Z", "b1", BUILD),
        )
        .await;
    let event = world.s3_event(&[&upload]);
    let missing_queue = world.deps_with_queue(&format!("{}-missing", world.queue_url));
    let error = run_results_uploaded::handler(event.clone(), &missing_queue)
        .await
        .expect_err("the queue refused: Lambda retries");
    assert!(error.to_string().contains("sqs:SendMessage"), "{error}");
    assert!(world.receive_queued().await.is_empty());

    // Lambda's retry: the file is a duplicate, no refresh is asked again, and the jobs
    // still queued in Tableau reach the refresh queue.
    let report = run_results_uploaded::handler(event, &world.deps)
        .await
        .expect("handled");
    let RecordOutcome::Unchanged { jobs, .. } = &report.records[0].outcome else {
        panic!("a duplicate expected: {report:?}");
    };
    assert_eq!(jobs.len(), 3, "{jobs:?}");
    assert_eq!(world.sim.stats().refreshes, 3, "asked of Tableau once");
    let queued = World::jobs_in(&world.receive_queued().await);
    let mut expected = jobs.clone();
    expected.sort_by(|a, b| a.job_id.cmp(&b.job_id));
    assert_eq!(queued, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_messages_are_dropped_and_failing_jobs_are_left_for_redelivery() {
    let world = World::with_active_exposures(sim(Duration::from_secs(60)), None).await;
    let jobs = upload_build(&world, "2025-03-01T07:30:00Z", "b1").await;
    let mut unknown_job = jobs[0].clone();
    unknown_job.job_id = "00000000-0000-4000-8000-00000000dead".into();
    let mut gone = jobs[0].clone();
    gone.integration_id = "deleted-integration".into();
    let body = |job: &RefreshJob| serde_json::to_string(job).expect("json");
    let event = world.sqs_event_of(&[
        ("m-malformed".into(), "{\"integration_id\": ".into()),
        ("m-unknown-job".into(), body(&unknown_job)),
        ("m-gone".into(), body(&gone)),
        ("m-running".into(), body(&jobs[1])),
    ]);
    let response = refresh_watcher::handler(event, &world.deps)
        .await
        .expect("handled");
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["m-unknown-job"]);
    // The running one went back to the queue, and only it (beside the upload's three).
    let queued = World::jobs_in(&world.receive_queued().await);
    assert_eq!(queued.len(), 4, "{queued:?}");
    assert_eq!(queued.iter().filter(|j| j.attempt == 1).count(), 1);
}
