//! The fanned-out daily sync (issue 13), end to end: the daily-sync handler fills a sync
//! queue on moto, and the sync-worker handler drains it against the Tableau simulator,
//! fed the SQS events Lambda would deliver. [`drain`] plays the event source mapping: it
//! receives batches, runs at most `MaximumConcurrency` invocations at once, deletes the
//! messages that succeeded and makes the reported failures visible again.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use autoexpose_aws::aws_sdk_sqs;
use autoexpose_e2e::{
    CAMPAIGNS, COHORTS, CUSTOMER_360, DAILY_ORDERS, FINANCE, MANIFEST_KEY, MARKETING, PAT_NAME,
    PAT_SECRET, PROJECT, REVENUE, World, schedule_event,
};
use autoexpose_lambda::{FanoutDeps, FanoutSettings, json_subscriber};
use autoexpose_pipeline::{Integration, SyncRequest, Trigger};
use autoexpose_testkit::unique_name;
use aws_lambda_events::sqs::SqsBatchResponse;
use tableau_sim::{GENERATED_PAT, PatSpec, SimConfig, Simulator, generate_site};
use tokio::sync::Semaphore;
use tracing::instrument::WithSubscriber;

const NEW_WORKBOOK: &str = "e1e1e1e1-0099-4000-8000-000000000099";

/// A world with a sync queue of its own and the fan-out's dependencies on it.
struct Fanout {
    world: World,
    deps: FanoutDeps,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
}

impl Fanout {
    /// `page_size` workbooks per Metadata API page, at most `step_max_pages` pages per
    /// worker step (`None`: no page limit).
    async fn start(world: World, page_size: u32, step_max_pages: Option<usize>) -> Fanout {
        let sqs = aws_sdk_sqs::Client::new(&world.config);
        let queue_url = sqs
            .create_queue()
            .queue_name(unique_name("e2e-sync"))
            .send()
            .await
            .expect("create sync queue")
            .queue_url
            .expect("queue url");
        let mut settings = world.deps.settings().clone();
        settings.tableau.page_size = page_size;
        let mut fanout = FanoutSettings::new(&queue_url);
        fanout.step_max_pages = step_max_pages;
        let deps = FanoutDeps::new(&world.config, settings, fanout);
        Fanout {
            world,
            deps,
            sqs,
            queue_url,
        }
    }

    async fn enqueue(&self) -> daily_sync::EnqueueReport {
        daily_sync::handler(schedule_event(), &self.deps)
            .await
            .expect("the daily sync queues")
    }

    /// Receives what waits on the sync queue, up to `max` messages.
    async fn receive(&self, max: i32) -> Vec<aws_sdk_sqs::types::Message> {
        self.sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(max.clamp(1, 10))
            .wait_time_seconds(0)
            .send()
            .await
            .expect("receive")
            .messages
            .unwrap_or_default()
    }

    async fn work(&self, messages: &[aws_sdk_sqs::types::Message]) -> SqsBatchResponse {
        sync_worker::handler(self.world.sqs_event(messages), &self.deps)
            .await
            .expect("the worker answers the batch")
    }

    async fn delete(&self, messages: &[aws_sdk_sqs::types::Message]) {
        for message in messages {
            self.sqs
                .delete_message()
                .queue_url(&self.queue_url)
                .receipt_handle(message.receipt_handle().unwrap_or_default())
                .send()
                .await
                .expect("delete");
        }
    }
}

/// What draining the queue took.
#[derive(Debug, Default)]
struct Drained {
    invocations: usize,
    messages: usize,
    failed_deliveries: usize,
    dead_lettered: Vec<String>,
    peak_concurrency: usize,
    elapsed: Duration,
}

/// Plays the event source mapping until the queue is empty: batches of `batch_size`, at
/// most `max_concurrency` invocations at once; a message reported failed `max_receives`
/// times is taken off the queue as SQS would move it to the dead-letter queue.
async fn drain(
    fanout: &Fanout,
    max_concurrency: usize,
    batch_size: i32,
    max_receives: usize,
) -> Drained {
    let started = Instant::now();
    let slots = Arc::new(Semaphore::new(max_concurrency));
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let mut receives: HashMap<String, usize> = HashMap::new();
    let mut drained = Drained::default();
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        let permit = slots.clone().acquire_owned().await.expect("semaphore");
        let messages = fanout.receive(batch_size).await;
        if messages.is_empty() {
            drop(permit);
            match tasks.join_next().await {
                Some(done) => {
                    let (failed, dead): (usize, Vec<String>) = done.expect("worker task");
                    drained.failed_deliveries += failed;
                    drained.dead_lettered.extend(dead);
                    continue;
                }
                None => break,
            }
        }
        drained.invocations += 1;
        drained.messages += messages.len();
        let mut last_chance = Vec::new();
        for message in &messages {
            let id = message.message_id().unwrap_or_default().to_string();
            let count = receives.entry(id.clone()).or_default();
            *count += 1;
            if *count >= max_receives {
                last_chance.push(id);
            }
        }
        let event = fanout.world.sqs_event(&messages);
        let deps = fanout.deps.clone();
        let sqs = fanout.sqs.clone();
        let queue_url = fanout.queue_url.clone();
        let (running, peak) = (running.clone(), peak.clone());
        tasks.spawn(async move {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let response = sync_worker::handler(event, &deps).await.expect("worker");
            running.fetch_sub(1, Ordering::SeqCst);
            drop(permit);
            let failed: Vec<&str> = response
                .batch_item_failures
                .iter()
                .map(|f| f.item_identifier.as_str())
                .collect();
            let mut dead = Vec::new();
            for message in &messages {
                let id = message.message_id().unwrap_or_default();
                let handle = message.receipt_handle().unwrap_or_default();
                if failed.contains(&id) && !last_chance.iter().any(|l| l == id) {
                    sqs.change_message_visibility()
                        .queue_url(&queue_url)
                        .receipt_handle(handle)
                        .visibility_timeout(0)
                        .send()
                        .await
                        .expect("make visible again");
                    continue;
                }
                if failed.contains(&id) {
                    dead.push(message.body().unwrap_or_default().to_string());
                }
                sqs.delete_message()
                    .queue_url(&queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .expect("delete");
            }
            (failed.len(), dead)
        });
    }
    drained.peak_concurrency = peak.load(Ordering::SeqCst);
    drained.elapsed = started.elapsed();
    drained
}

/// The production manifest applied.
async fn with_manifest(world: &World) {
    let upload = world
        .upload_manifest(MANIFEST_KEY, PROJECT, "2025-03-01T07:00:00Z", "inv-1")
        .await;
    manifest_uploaded::handler(world.s3_event(&[&upload]), &world.deps)
        .await
        .expect("manifest applied");
}

/// A world with the manifest applied and integration `acme-prod` selecting Finance and
/// Marketing, not yet synced.
async fn world_with_acme_prod() -> World {
    let world = World::start().await;
    with_manifest(&world).await;
    world
        .add_integration("acme-prod", &[FINANCE, MARKETING])
        .await;
    world
}

fn sorted(mut luids: Vec<String>) -> Vec<String> {
    luids.sort();
    luids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedule_queues_one_request_per_integration_and_syncs_nothing_itself() {
    let world = World::start().await;
    for id in ["acme-prod", "acme-finance", "acme-marketing"] {
        world.add_integration(id, &[FINANCE]).await;
    }
    let fanout = Fanout::start(world, 100, None).await;

    let report = fanout.enqueue().await;

    assert_eq!(
        report.queued,
        ["acme-finance", "acme-marketing", "acme-prod"]
    );
    let mut requests: Vec<SyncRequest> = fanout
        .receive(10)
        .await
        .iter()
        .map(|m| SyncRequest::parse(m.body().unwrap_or_default()).expect("a request"))
        .collect();
    requests.sort_by(|a, b| a.integration_id.cmp(&b.integration_id));
    assert_eq!(
        requests,
        ["acme-finance", "acme-marketing", "acme-prod"]
            .map(|id| SyncRequest::first(id, Trigger::Schedule))
    );
    assert!(
        fanout.world.runs("acme-prod").await.is_empty(),
        "nothing synced yet"
    );
    assert_eq!(fanout.world.sim.stats().sign_ins, 0, "Tableau not called");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_integration_is_reported_alone_and_the_others_sync() {
    let world = world_with_acme_prod().await;
    world.add_integration("acme-finance", &[FINANCE]).await;
    let mut broken = Integration::new(
        "acme-broken",
        PROJECT,
        world.sim.base_url(),
        "acme",
        PAT_NAME,
        "autoexpose/no-such-secret",
    );
    broken.collections = vec![FINANCE.to_string()];
    world
        .store()
        .create_integration(&broken)
        .await
        .expect("create");
    let fanout = Fanout::start(world, 100, None).await;
    fanout.enqueue().await;
    let messages = fanout.receive(10).await;
    assert_eq!(messages.len(), 3);

    let response = fanout.work(&messages).await;

    let broken_message = messages
        .iter()
        .find(|m| m.body().unwrap_or_default().contains("acme-broken"))
        .and_then(|m| m.message_id())
        .expect("the broken integration's message");
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, [broken_message]);
    let world = &fanout.world;
    assert_eq!(
        sorted(world.exposure_luids("acme-prod").await),
        sorted(
            [REVENUE, DAILY_ORDERS, CUSTOMER_360, CAMPAIGNS, COHORTS]
                .map(String::from)
                .to_vec()
        )
    );
    assert_eq!(world.exposure_luids("acme-finance").await.len(), 2);
    let status = world.status("acme-broken").await;
    let error = status.last_error.expect("recorded on its status");
    assert!(error.contains("autoexpose/no-such-secret"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_pat_is_retried_reported_as_such_and_never_logged() {
    let wrong = "wrong-secret-for-autoexpose-ci";
    let world = World::start_with_secret(wrong).await;
    with_manifest(&world).await;
    world.add_integration("acme-prod", &[FINANCE]).await;
    let fanout = Fanout::start(world, 100, None).await;
    fanout.enqueue().await;
    let logs = Captured::default();
    let sink = logs.clone();
    let subscriber = tracing::Dispatch::new(json_subscriber("info", move || sink.clone()));

    for delivery in 1..=2 {
        let messages = fanout.receive(1).await;
        assert_eq!(messages.len(), 1, "delivery {delivery}");
        let response = fanout
            .work(&messages)
            .with_subscriber(subscriber.clone())
            .await;
        assert_eq!(response.batch_item_failures.len(), 1, "delivery {delivery}");
        fanout.make_visible(&messages).await;
    }

    let status = fanout.world.status("acme-prod").await;
    let error = status.last_error.unwrap_or_default();
    assert!(
        error.contains(&format!("rejected the personal access token '{PAT_NAME}'")),
        "{error}"
    );
    let text = String::from_utf8(logs.0.lock().expect("logs").clone()).expect("utf-8");
    for line in text.lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    }
    assert!(text.contains("sync step failed"), "{text}");
    assert!(!text.contains(wrong), "secret in the logs: {text}");
    assert!(!error.contains(wrong), "secret in the status: {error}");
}

/// One workbook per page, one page per step: five workbooks take several steps. In
/// Tableau meanwhile one workbook was added and one deleted; the exposures stay as they
/// were until the step that completes the listing, which gets them exactly right.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_too_large_for_one_step_continues_and_removes_only_once_complete() {
    let world = world_with_acme_prod().await;
    world
        .deps
        .pipeline()
        .sync_integration("acme-prod", Trigger::Manual)
        .await
        .expect("first sync");
    let listed = world.runs("acme-prod").await[0].workbooks;
    let before = world.exposures("acme-prod").await;
    assert!(before.iter().any(|e| e.exposure.workbook_luid == CAMPAIGNS));
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
    let fanout = Fanout::start(world, 1, Some(1)).await;
    fanout.enqueue().await;

    let mut steps = 0;
    loop {
        let messages = fanout.receive(1).await;
        assert_eq!(messages.len(), 1, "a step waits after step {steps}");
        let response = fanout.work(&messages).await;
        assert!(response.batch_item_failures.is_empty(), "{response:?}");
        fanout.delete(&messages).await;
        steps += 1;
        let request = SyncRequest::parse(messages[0].body().unwrap_or_default()).expect("request");
        assert_eq!(request.step as usize, steps - 1);
        if fanout.receive_count_waiting().await == 0 {
            break;
        }
        assert_eq!(
            fanout.world.exposures("acme-prod").await,
            before,
            "nothing changes before the listing is complete (after step {steps})"
        );
        assert!(
            fanout.world.runs("acme-prod").await.len() == 1,
            "no run recorded mid-listing"
        );
    }

    assert!(steps >= 4, "at least three continuations: {steps} steps");
    assert_eq!(
        sorted(fanout.world.exposure_luids("acme-prod").await),
        sorted(
            [REVENUE, DAILY_ORDERS, CUSTOMER_360, COHORTS, NEW_WORKBOOK]
                .map(String::from)
                .to_vec()
        )
    );
    let runs = fanout.world.runs("acme-prod").await;
    assert_eq!(runs.len(), 2, "one run for the whole sync: {runs:?}");
    assert_eq!((runs[0].added, runs[0].removed), (1, 1), "{runs:?}");
    assert_eq!(runs[0].workbooks, listed, "one added, one deleted");
}

/// A step that fails half-way (Tableau rate limiting every query) changes nothing; its
/// message is delivered again and goes on from the same checkpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_step_is_retried_from_its_checkpoint() {
    let world = world_with_acme_prod().await;
    let fanout = Fanout::start(world, 1, Some(2)).await;
    fanout.enqueue().await;
    let first = fanout.receive(1).await;
    assert!(fanout.work(&first).await.batch_item_failures.is_empty());
    fanout.delete(&first).await;
    let second = fanout.receive(1).await;
    let request = SyncRequest::parse(second[0].body().unwrap_or_default()).expect("request");
    assert!(request.checkpoint_id.is_some(), "{request:?}");

    fanout.world.sim.faults().rate_limit_next_metadata(1_000);
    let failed = fanout.work(&second).await;
    assert_eq!(failed.batch_item_failures.len(), 1);
    assert!(fanout.world.exposures("acme-prod").await.is_empty());

    fanout.world.sim.faults().clear();
    fanout.make_visible(&second).await;
    let drained = drain(&fanout, 1, 1, 5).await;
    assert!(drained.dead_lettered.is_empty(), "{drained:?}");
    assert_eq!(fanout.world.exposure_luids("acme-prod").await.len(), 5);
}

impl Fanout {
    /// Makes received messages visible again at once, as a reported failure becomes after
    /// its visibility timeout.
    async fn make_visible(&self, messages: &[aws_sdk_sqs::types::Message]) {
        for message in messages {
            self.sqs
                .change_message_visibility()
                .queue_url(&self.queue_url)
                .receipt_handle(message.receipt_handle().unwrap_or_default())
                .visibility_timeout(0)
                .send()
                .await
                .expect("visible again");
        }
    }

    /// How many messages wait (visible) on the sync queue.
    async fn receive_count_waiting(&self) -> usize {
        let attributes = self
            .sqs
            .get_queue_attributes()
            .queue_url(&self.queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .expect("queue attributes");
        attributes
            .attributes()
            .and_then(|a| {
                a.get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            })
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }
}

/// A log sink the test reads back.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
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

/// Measures, by hand: `cargo test -p autoexpose-e2e --test fanout -- --ignored --nocapture
/// measure_two_hundred_integrations`. Each integration signs in with its own PAT (one PAT
/// per integration, as a PAT's sign-in ends its earlier session); they belong to twenty
/// dbt projects of ten integrations each (every sync reads the exposures of its project's
/// other integrations, so 200 in one project measures that, not the queue).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, run by hand"]
async fn measure_two_hundred_integrations_through_the_queue() {
    const INTEGRATIONS: usize = 200;
    const PER_PROJECT: usize = 10;
    const MAX_CONCURRENCY: usize = 4;
    let world = World::start().await;
    for p in 0..INTEGRATIONS / PER_PROJECT {
        let project = format!("shop{p:02}");
        let upload = world
            .upload_manifest(
                &format!("dbt/{project}/prod/manifest.json"),
                &project,
                "2025-03-01T07:00:00Z",
                "inv-1",
            )
            .await;
        manifest_uploaded::handler(world.s3_event(&[&upload]), &world.deps)
            .await
            .expect("manifest applied");
    }
    world
        .sim
        .edit_site("acme", |site| {
            let user_id = site.pats[0].user_id.clone();
            for i in 0..INTEGRATIONS {
                site.pats.push(PatSpec {
                    name: format!("pat-{i:03}"),
                    secret: PAT_SECRET.to_string(),
                    user_id: user_id.clone(),
                    expired: false,
                });
            }
        })
        .expect("edit site");
    for i in 0..INTEGRATIONS {
        let mut integration = Integration::new(
            format!("acme-{i:03}"),
            format!("shop{:02}", i / PER_PROJECT),
            world.sim.base_url(),
            "acme",
            format!("pat-{i:03}"),
            &world.secret_name,
        );
        integration.collections = vec![FINANCE.to_string(), MARKETING.to_string()];
        world
            .store()
            .create_integration(&integration)
            .await
            .expect("create");
    }
    let fanout = Fanout::start(world, 100, None).await;
    fanout.world.sim.reset_stats();

    let started = Instant::now();
    let report = fanout.enqueue().await;
    let enqueued_in = started.elapsed();
    let drained = drain(&fanout, MAX_CONCURRENCY, 1, 3).await;

    let mut synced = 0;
    for id in &report.queued {
        if fanout.world.exposure_luids(id).await.len() == 5 {
            synced += 1;
        }
    }
    let stats = fanout.world.sim.stats();
    println!(
        "FANOUT 200: queued {} in {:?}; drained in {:?}: {} invocations, {} messages, {} failed deliveries, \
         peak worker concurrency {} (limit {MAX_CONCURRENCY}), simulator peak in-flight requests {}, sign-ins {}; \
         {synced} integrations with all 5 exposures",
        report.queued.len(),
        enqueued_in,
        drained.elapsed,
        drained.invocations,
        drained.messages,
        drained.failed_deliveries,
        drained.peak_concurrency,
        stats.max_in_flight,
        stats.sign_ins
    );
    assert_eq!(synced, INTEGRATIONS);
    assert!(drained.peak_concurrency <= MAX_CONCURRENCY);
}

/// Measures, by hand: `cargo test -p autoexpose-e2e --test fanout -- --ignored --nocapture
/// measure_a_twenty_thousand_workbook_site`. 100 workbooks a page, 50 pages a step: four
/// steps, three continuations; every workbook becomes an exposure (include-unmatched).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, run by hand"]
async fn measure_a_twenty_thousand_workbook_site_in_steps() {
    const WORKBOOKS: usize = 20_000;
    let world = World::start().await;
    with_manifest(&world).await;
    let data = generate_site(WORKBOOKS, 3, 13);
    let site = &data.sites[0];
    let roots: Vec<String> = site
        .projects
        .iter()
        .filter(|p| p.parent_id.is_none())
        .map(|p| p.id.clone())
        .collect();
    let mut expected: Vec<String> = site.workbooks.iter().map(|w| w.luid.clone()).collect();
    expected.sort();
    let bench = Simulator::start_with(data, SimConfig::default())
        .await
        .expect("the bench simulator starts");
    let secret_name = format!("autoexpose/{}", unique_name("bench"));
    autoexpose_aws::aws_sdk_secretsmanager::Client::new(&world.config)
        .create_secret()
        .name(&secret_name)
        .secret_string(GENERATED_PAT.1)
        .send()
        .await
        .expect("create secret");
    let mut integration = Integration::new(
        "bench",
        PROJECT,
        bench.base_url(),
        "bench",
        GENERATED_PAT.0,
        &secret_name,
    );
    integration.collections = roots;
    integration.include_unmatched = true;
    world
        .store()
        .create_integration(&integration)
        .await
        .expect("create");
    let fanout = Fanout::start(world, 100, Some(50)).await;

    let started = Instant::now();
    fanout.enqueue().await;
    let drained = drain(&fanout, 1, 1, 3).await;

    let luids = sorted(fanout.world.exposure_luids("bench").await);
    let runs = fanout.world.runs("bench").await;
    let stats = bench.stats();
    println!(
        "FANOUT 20k: {} workbooks in {:?}: {} steps ({} continuations), {} failed deliveries, \
         {} Metadata API queries, {} sign-ins; {} exposures, exact: {}; runs recorded: {}",
        expected.len(),
        started.elapsed(),
        drained.messages,
        drained.messages.saturating_sub(1),
        drained.failed_deliveries,
        stats.metadata_queries,
        stats.sign_ins,
        luids.len(),
        luids == expected,
        runs.len()
    );
    assert!(drained.messages >= 4, "{drained:?}");
    assert_eq!(luids, expected);
    assert_eq!(runs.len(), 1, "{runs:?}");
}
