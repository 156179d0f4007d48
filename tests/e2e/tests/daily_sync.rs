//! The daily-sync handler, fed the EventBridge scheduled event, against moto and the
//! Tableau simulator.

use std::io::Write;
use std::sync::{Arc, Mutex};

use autoexpose_e2e::{
    CAMPAIGNS, COHORTS, CUSTOMER_360, DAILY_ORDERS, FINANCE, MANIFEST_KEY, MARKETING, PAT_NAME,
    PAT_SECRET, PROJECT, REVENUE, World, schedule_event,
};
use autoexpose_lambda::{RunOutcome, RunStatus, json_subscriber};
use daily_sync::{SyncReport, handler};
use tracing::instrument::WithSubscriber;

const NEW_WORKBOOK: &str = "e1e1e1e1-0099-4000-8000-000000000099";

async fn daily_sync(world: &World) -> SyncReport {
    handler(schedule_event(), &world.deps)
        .await
        .expect("the daily sync succeeds")
}

fn outcome<'a>(report: &'a SyncReport, integration: &str) -> &'a RunOutcome {
    report
        .results
        .iter()
        .find(|r| r.integration_id == integration)
        .unwrap_or_else(|| panic!("no result for {integration}: {report:?}"))
}

/// A world with the production manifest applied and one integration selecting
/// Finance and Marketing.
async fn synced_world(secret: &str) -> World {
    let world = World::start_with_secret(secret).await;
    world
        .add_integration("acme-prod", &[FINANCE, MARKETING])
        .await;
    let upload = world
        .upload_manifest(MANIFEST_KEY, PROJECT, "2025-03-01T07:00:00Z", "inv-1")
        .await;
    manifest_uploaded::handler(world.s3_event(&[&upload]), &world.deps)
        .await
        .expect("manifest applied");
    world
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_sync_picks_up_added_workbooks_and_drops_deleted_ones() {
    let world = synced_world(PAT_SECRET).await;
    let first = daily_sync(&world).await;
    assert_eq!(
        outcome(&first, "acme-prod").status,
        RunStatus::Ok,
        "{first:?}"
    );
    let before = world.exposure_luids("acme-prod").await;
    assert!(before.contains(&CAMPAIGNS.to_string()), "{before:?}");

    // In Tableau: a new workbook in Finance, Campaign Performance deleted.
    world
        .sim
        .edit_site("acme", |site| {
            let mut added = site
                .workbooks
                .iter()
                .find(|w| w.luid == REVENUE)
                .cloned()
                .expect("revenue workbook");
            added.luid = NEW_WORKBOOK.to_string();
            added.id = None;
            added.name = "Revenue Forecast".to_string();
            added.vizportal_url_id = "16099".to_string();
            site.workbooks.push(added);
            site.workbooks.retain(|w| w.luid != CAMPAIGNS);
        })
        .expect("edit site");

    let report = daily_sync(&world).await;

    let run = outcome(&report, "acme-prod");
    assert_eq!(run.status, RunStatus::Ok, "{run:?}");
    assert_eq!((run.added, run.removed), (1, 1), "{run:?}");
    let after = world.exposure_luids("acme-prod").await;
    assert!(after.contains(&NEW_WORKBOOK.to_string()), "{after:?}");
    assert!(!after.contains(&CAMPAIGNS.to_string()), "{after:?}");
    for kept in [REVENUE, DAILY_ORDERS, CUSTOMER_360, COHORTS] {
        assert!(after.contains(&kept.to_string()), "{kept} kept: {after:?}");
    }
    let json = serde_json::to_value(&report).expect("json");
    assert_eq!(json["results"][0]["status"], "ok");
    assert_eq!(json["results"][0]["added"], 1);
    assert_eq!(json["results"][0]["removed"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_failing_integration_does_not_stop_the_others() {
    let world = synced_world(PAT_SECRET).await;
    world.add_integration("acme-finance", &[FINANCE]).await;
    let mut broken = autoexpose_pipeline::Integration::new(
        "acme-broken",
        PROJECT,
        world.sim.base_url(),
        "acme",
        PAT_NAME,
        "autoexpose/no-such-secret",
    );
    broken.collections = vec![FINANCE.to_string()];
    autoexpose_pipeline::IntegrationStore::create_integration(world.store(), &broken)
        .await
        .expect("create");

    let report = daily_sync(&world).await;

    let ids: Vec<&str> = report
        .results
        .iter()
        .map(|r| r.integration_id.as_str())
        .collect();
    assert_eq!(ids, ["acme-broken", "acme-finance", "acme-prod"]);
    let failed = outcome(&report, "acme-broken");
    assert_eq!(failed.status, RunStatus::Error);
    assert_eq!(failed.error_kind, Some("secret_not_found"));
    assert!(
        failed
            .error
            .as_deref()
            .is_some_and(|e| e.contains("autoexpose/no-such-secret")),
        "{failed:?}"
    );
    assert_eq!(outcome(&report, "acme-finance").status, RunStatus::Ok);
    assert_eq!(outcome(&report, "acme-finance").added, 2);
    assert_eq!(outcome(&report, "acme-prod").status, RunStatus::Ok);
    let status = world.status("acme-broken").await;
    assert!(
        status.last_error.is_some(),
        "recorded on the status: {status:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tableau_failing_mid_sync_keeps_the_exposures_and_records_the_error() {
    let world = synced_world(PAT_SECRET).await;
    daily_sync(&world).await;
    let exposures = world.exposures("acme-prod").await;
    assert!(!exposures.is_empty());
    let last_good = world
        .status("acme-prod")
        .await
        .last_success
        .expect("a good run");

    // Sign-in and the project listing work; then every Metadata API query is refused,
    // while a workbook has really gone.
    world.sim.faults().rate_limit_next_metadata(1_000);
    world
        .sim
        .edit_site("acme", |site| site.workbooks.retain(|w| w.luid != REVENUE))
        .expect("edit site");

    let report = daily_sync(&world).await;

    let failed = outcome(&report, "acme-prod");
    assert_eq!(failed.status, RunStatus::Error, "{failed:?}");
    assert_eq!(failed.error_kind, Some("tableau_unavailable"), "{failed:?}");
    assert_eq!(
        world.exposures("acme-prod").await,
        exposures,
        "nothing removed"
    );
    let status = world.status("acme-prod").await;
    let error = status.last_error.expect("the error is on the status");
    assert!(
        error.contains("RATE_EXCEEDED") || error.contains("rate"),
        "{error}"
    );
    assert_eq!(status.last_success, Some(last_good));

    // Tableau recovers: the next sync removes the deleted workbook.
    world.sim.faults().clear();
    let report = daily_sync(&world).await;
    assert_eq!(outcome(&report, "acme-prod").removed, 1, "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_pat_is_reported_as_such() {
    let wrong = "wrong-secret-for-autoexpose-ci";
    let world = synced_world(wrong).await;

    let report = daily_sync(&world).await;

    let failed = outcome(&report, "acme-prod");
    assert_eq!(failed.status, RunStatus::Error);
    assert_eq!(failed.error_kind, Some("tableau_sign_in"));
    let error = failed.error.clone().unwrap_or_default();
    assert!(
        error.contains(&format!("rejected the personal access token '{PAT_NAME}'")),
        "{error}"
    );
    assert!(!error.contains(wrong), "secret leaked: {error}");
    let status = world.status("acme-prod").await;
    assert_eq!(status.last_error.as_deref(), Some(error.as_str()));
}

/// A log sink the test reads back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_json_lines_with_the_ids_and_no_secret() {
    let world = synced_world(PAT_SECRET).await;
    let logs = Captured::default();
    let sink = logs.clone();
    let subscriber = json_subscriber("info", move || sink.clone());

    handler(schedule_event(), &world.deps)
        .with_subscriber(subscriber)
        .await
        .expect("daily sync");

    let text = String::from_utf8(logs.0.lock().expect("logs").clone()).expect("utf-8");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let synced = lines
        .iter()
        .find(|l| l["message"] == "integration synced")
        .unwrap_or_else(|| panic!("a line per integration: {text}"));
    assert_eq!(synced["integration"], "acme-prod");
    assert_eq!(synced["dbt_project"], PROJECT);
    assert!(
        synced["run_id"].as_str().is_some_and(|r| !r.is_empty()),
        "{synced}"
    );
    assert_eq!(synced["level"], "INFO");
    assert!(!text.contains(PAT_SECRET), "secret in the logs: {text}");
}
