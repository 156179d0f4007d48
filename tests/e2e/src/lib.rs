//! Support for the end-to-end tests: one [`World`] per test — its own DynamoDB table,
//! versioned S3 bucket, PAT secret and refresh queue (SQS) on the shared moto server, its
//! own Tableau simulator with the example site — and the events S3, EventBridge, SQS and a
//! direct invoke deliver, built from the function crates' fixture files.

pub mod emulator;

use std::path::PathBuf;
use std::time::Duration;

use autoexpose_aws::aws_sdk_s3::primitives::ByteStream;
use autoexpose_aws::aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use autoexpose_aws::{
    DynamoStore, aws_sdk_dynamodb, aws_sdk_s3, aws_sdk_secretsmanager, aws_sdk_sqs, s3_location,
};
use autoexpose_lambda::{Deps, Settings};
use autoexpose_pipeline::{
    Integration, IntegrationStatus, RefreshJob, StoredExposure, SyncRun, Trigger,
    integration_status,
};
use autoexpose_tableau::{ClientOptions, RetryPolicy};
use autoexpose_testkit::{MotoServer, example_site_with, unique_name, workspace_root};
use aws_config::SdkConfig;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::s3::S3Event;
use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use tableau_sim::{SimConfig, Simulator};

/// The example site's PAT that autoexpose signs in with.
pub const PAT_NAME: &str = "autoexpose-ci";
/// Its secret.
pub const PAT_SECRET: &str = "ci-secret-0123456789";
/// The dbt project of the manifest fixture.
pub const PROJECT: &str = "shop";
/// The manifest key of [`PROJECT`]'s production environment.
pub const MANIFEST_KEY: &str = "dbt/shop/prod/manifest.json";

/// Project `Finance` (with `Reporting` and `Archive` below it).
pub const FINANCE: &str = "1f0e1a6c-0001-4000-8000-00000000f001";
/// Project `Marketing`.
pub const MARKETING: &str = "1f0e1a6c-0004-4000-8000-00000000f004";
/// Workbook `Revenue Overview` (Finance): payments, and orders and customers through the
/// certified data source.
pub const REVENUE: &str = "e1e1e1e1-0001-4000-8000-0000000000e1";
/// Workbook `Daily Orders` (Finance/Reporting): orders_daily.
pub const DAILY_ORDERS: &str = "e1e1e1e1-0002-4000-8000-0000000000e2";
/// Workbook `Customer 360` (Marketing).
pub const CUSTOMER_360: &str = "e1e1e1e1-0003-4000-8000-0000000000e3";
/// Workbook `Campaign Performance` (Marketing).
pub const CAMPAIGNS: &str = "e1e1e1e1-0004-4000-8000-0000000000e4";
/// Workbook `Cohort Analysis` (Marketing), custom SQL.
pub const COHORTS: &str = "e1e1e1e1-0005-4000-8000-0000000000e5";

/// One test's world: AWS resources of its own on moto, a simulator of its own, and the
/// functions' dependencies wired to both exactly as `main` wires them.
pub struct World {
    /// The Tableau simulator serving the example site.
    pub sim: Simulator,
    /// What the handlers get.
    pub deps: Deps,
    /// The artifacts bucket (versioned).
    pub bucket: String,
    /// The Secrets Manager name holding the PAT secret.
    pub secret_name: String,
    /// The SDK configuration aimed at moto.
    pub config: SdkConfig,
    /// The refresh queue's URL; the functions send jobs there with no delay, so tests
    /// read them back at once.
    pub queue_url: String,
    s3: aws_sdk_s3::Client,
    sqs: aws_sdk_sqs::Client,
}

/// An uploaded object, as an S3 event names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// The key (not encoded).
    pub key: String,
    /// The object version S3 gave it.
    pub version_id: Option<String>,
    /// Its size in bytes.
    pub size: i64,
}

impl World {
    /// A world whose secret holds the right PAT secret.
    pub async fn start() -> World {
        World::start_with_secret(PAT_SECRET).await
    }

    /// A world whose secret holds `secret` (a wrong one, to see it reported).
    pub async fn start_with_secret(secret: &str) -> World {
        World::start_with(secret, SimConfig::default()).await
    }

    /// A world whose simulator runs with `config` (e.g. a short or long `job_duration`).
    pub async fn start_with_sim(config: SimConfig) -> World {
        World::start_with(PAT_SECRET, config).await
    }

    /// A world whose simulator serves `data` instead of the example site as it is (the
    /// example made a newer server, say).
    pub async fn start_with_site(data: tableau_sim::SiteData) -> World {
        let sim = tableau_sim::Simulator::start(data)
            .await
            .expect("the simulator starts");
        World::start_on(PAT_SECRET, sim).await
    }

    async fn start_with(secret: &str, sim_config: SimConfig) -> World {
        World::start_on(secret, example_site_with(sim_config).await).await
    }

    async fn start_on(secret: &str, sim: tableau_sim::Simulator) -> World {
        let moto = MotoServer::shared().expect("moto starts (run `bash infra/setup-venv.sh`)");
        let config = moto.sdk_config().await;
        let table = unique_name("e2e");
        let bucket = unique_name("e2e-artifacts");
        let secret_name = format!("autoexpose/{}", unique_name("pat"));

        DynamoStore::create_table(&aws_sdk_dynamodb::Client::new(&config), &table)
            .await
            .expect("create table");
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        );
        s3.create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("create bucket");
        s3.put_bucket_versioning()
            .bucket(&bucket)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .expect("enable versioning");
        aws_sdk_secretsmanager::Client::new(&config)
            .create_secret()
            .name(&secret_name)
            .secret_string(secret)
            .send()
            .await
            .expect("create secret");

        let sqs = aws_sdk_sqs::Client::new(&config);
        let queue_url = sqs
            .create_queue()
            .queue_name(unique_name("e2e-refresh"))
            .send()
            .await
            .expect("create queue")
            .queue_url
            .expect("queue url");

        let mut settings = Settings::new(table);
        settings.artifacts_bucket = Some(bucket.clone());
        settings.sync_concurrency = 2;
        settings.tableau = quick_tableau_options();
        settings.refresh_queue_url = Some(queue_url.clone());
        settings.refresh_max_delay = Duration::ZERO;
        World {
            sim,
            deps: Deps::new(&config, settings),
            bucket,
            secret_name,
            config,
            queue_url,
            s3,
            sqs,
        }
    }

    /// A world with integration `acme` (Finance and Marketing) of [`PROJECT`] refreshing
    /// extracts after builds (with this build-after window, `None` for the default), the
    /// manifest applied with a small DAG — orders_daily built from orders, stg_campaigns
    /// from the sessions source, a test on payments — and the site synced.
    pub async fn with_active_exposures(
        sim_config: SimConfig,
        build_after_minutes: Option<u32>,
    ) -> World {
        let world = World::start_with_sim(sim_config).await;
        let mut integration = world.add_integration("acme", &[FINANCE, MARKETING]).await;
        integration.active_exposures = Some(true);
        integration.build_after_minutes = build_after_minutes;
        world
            .store()
            .update_integration(&integration)
            .await
            .expect("enable active exposures");
        let mut m: Value =
            serde_json::from_slice(&manifest(PROJECT, "2025-03-01T07:00:00Z", "m1")).expect("json");
        m["parent_map"] = json!({
            "model.shop.orders": [],
            "model.shop.customers": [],
            "model.shop.payments": [],
            "model.shop.orders_daily": ["model.shop.orders"],
            "model.shop.stg_campaigns": ["source.shop.raw.sessions"],
            "source.shop.raw.sessions": [],
            "test.shop.not_null_payments_id.1": ["model.shop.payments"]
        });
        let upload = world
            .upload(MANIFEST_KEY, serde_json::to_vec(&m).expect("json"))
            .await;
        let pipeline = world.deps.pipeline();
        pipeline
            .apply_manifest(PROJECT, &s3_location(&world.bucket, &upload.key))
            .await
            .expect("apply");
        pipeline
            .sync_integration("acme", Trigger::Manual)
            .await
            .expect("sync");
        world
    }

    /// The functions' dependencies with the refresh queue at another URL (a missing
    /// queue, to see the hand-over fail).
    pub fn deps_with_queue(&self, queue_url: &str) -> Deps {
        let mut settings = self.deps.settings().clone();
        settings.refresh_queue_url = Some(queue_url.to_string());
        Deps::new(&self.config, settings)
    }

    /// Receives (and so hides for the visibility timeout) what waits on the refresh
    /// queue, waiting up to a second for the first message.
    pub async fn receive_queued(&self) -> Vec<aws_sdk_sqs::types::Message> {
        let mut messages = Vec::new();
        loop {
            let batch = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(if messages.is_empty() { 1 } else { 0 })
                .send()
                .await
                .expect("receive messages")
                .messages
                .unwrap_or_default();
            if batch.is_empty() {
                return messages;
            }
            messages.extend(batch);
        }
    }

    /// The jobs in these messages, sorted by job id.
    pub fn jobs_in(messages: &[aws_sdk_sqs::types::Message]) -> Vec<RefreshJob> {
        let mut jobs: Vec<RefreshJob> = messages
            .iter()
            .map(|m| serde_json::from_str(m.body().unwrap_or_default()).expect("a job"))
            .collect();
        jobs.sort_by(|a, b| a.job_id.cmp(&b.job_id));
        jobs
    }

    /// The SQS event Lambda delivers for these received messages, built from the
    /// refresh-watcher function's fixture.
    pub fn sqs_event(&self, messages: &[aws_sdk_sqs::types::Message]) -> LambdaEvent<SqsEvent> {
        let bodies: Vec<(String, String)> = messages
            .iter()
            .map(|m| {
                (
                    m.message_id().unwrap_or_default().to_string(),
                    m.body().unwrap_or_default().to_string(),
                )
            })
            .collect();
        self.sqs_event_of(&bodies)
    }

    /// The SQS event for these `(message id, body)` pairs.
    pub fn sqs_event_of(&self, messages: &[(String, String)]) -> LambdaEvent<SqsEvent> {
        let fixture = fixture("functions/refresh-watcher/tests/fixtures/sqs-refresh-jobs.json");
        let template = fixture["Records"][0].clone();
        let records: Vec<Value> = messages
            .iter()
            .map(|(id, body)| {
                let mut record = template.clone();
                record["messageId"] = Value::from(id.as_str());
                record["receiptHandle"] = Value::from(format!("receipt-{id}"));
                record["body"] = Value::from(body.as_str());
                record
            })
            .collect();
        let event: SqsEvent =
            serde_json::from_value(json!({ "Records": records })).expect("an SQS event");
        invocation(event)
    }

    /// The store the functions write to.
    pub fn store(&self) -> &dyn autoexpose_pipeline::Store {
        self.deps.pipeline().store()
    }

    /// Registers an integration of [`PROJECT`] on the simulator's `acme` site with these
    /// selected project LUIDs.
    pub async fn add_integration(&self, id: &str, collections: &[&str]) -> Integration {
        self.add_integration_of(id, PROJECT, collections).await
    }

    /// Registers an integration of another dbt project.
    pub async fn add_integration_of(
        &self,
        id: &str,
        dbt_project: &str,
        collections: &[&str],
    ) -> Integration {
        let mut integration = Integration::new(
            id,
            dbt_project,
            self.sim.base_url(),
            "acme",
            PAT_NAME,
            &self.secret_name,
        );
        integration.collections = collections.iter().map(|c| c.to_string()).collect();
        self.store()
            .create_integration(&integration)
            .await
            .expect("create integration")
    }

    /// Uploads the manifest fixture under `key`, with this `generated_at` and
    /// `invocation_id` (and project), as a dbt job would.
    pub async fn upload_manifest(
        &self,
        key: &str,
        project: &str,
        generated_at: &str,
        invocation_id: &str,
    ) -> Upload {
        let bytes = manifest(project, generated_at, invocation_id);
        self.upload(key, bytes).await
    }

    /// Uploads raw bytes under `key`.
    pub async fn upload(&self, key: &str, bytes: Vec<u8>) -> Upload {
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        let output = self
            .s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .expect("put object");
        Upload {
            key: key.to_string(),
            version_id: output.version_id().map(str::to_string),
            size,
        }
    }

    /// The S3 `ObjectCreated:Put` event S3 sends for these uploads, one record each, built
    /// from the manifest-uploaded function's fixture (keys URL-encoded as S3 sends them).
    pub fn s3_event(&self, uploads: &[&Upload]) -> LambdaEvent<S3Event> {
        let fixture = fixture("functions/manifest-uploaded/tests/fixtures/s3-put-manifest.json");
        let template = fixture["Records"][0].clone();
        let records: Vec<Value> = uploads
            .iter()
            .map(|upload| {
                let mut record = template.clone();
                let s3 = &mut record["s3"];
                s3["bucket"]["name"] = Value::from(self.bucket.as_str());
                s3["bucket"]["arn"] = Value::from(format!("arn:aws:s3:::{}", self.bucket));
                let object = &mut s3["object"];
                object["key"] = Value::from(encode_event_key(&upload.key));
                object["size"] = Value::from(upload.size);
                match &upload.version_id {
                    Some(version) => object["versionId"] = Value::from(version.as_str()),
                    None => {
                        if let Some(map) = object.as_object_mut() {
                            map.remove("versionId");
                        }
                    }
                }
                record
            })
            .collect();
        let event: S3Event =
            serde_json::from_value(serde_json::json!({ "Records": records })).expect("an S3 event");
        invocation(event)
    }

    /// The integration's exposures.
    /// The text of an object in the artifacts bucket, if it exists.
    pub async fn object_text(&self, key: &str) -> Option<String> {
        let object = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .ok()?;
        let bytes = object.body.collect().await.ok()?.into_bytes();
        String::from_utf8(bytes.to_vec()).ok()
    }

    /// The integration's stored exposures, sorted by name.
    pub async fn exposures(&self, integration_id: &str) -> Vec<StoredExposure> {
        self.store()
            .list_exposures(integration_id)
            .await
            .expect("list exposures")
    }

    /// The workbook LUIDs of the integration's exposures, sorted.
    pub async fn exposure_luids(&self, integration_id: &str) -> Vec<String> {
        let mut luids: Vec<String> = self
            .exposures(integration_id)
            .await
            .into_iter()
            .map(|s| s.exposure.workbook_luid)
            .collect();
        luids.sort();
        luids
    }

    /// The integration's runs, newest first.
    pub async fn runs(&self, integration_id: &str) -> Vec<SyncRun> {
        self.store()
            .list_runs(integration_id, 100)
            .await
            .expect("list runs")
    }

    /// The integration's status.
    pub async fn status(&self, integration_id: &str) -> IntegrationStatus {
        integration_status(self.store(), integration_id)
            .await
            .expect("status")
    }
}

/// Tableau client options that give up fast, so failure tests take milliseconds.
pub fn quick_tableau_options() -> ClientOptions {
    ClientOptions {
        retry: RetryPolicy {
            max_retries: 1,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            max_retry_after: Duration::from_millis(100),
        },
        request_timeout: Duration::from_secs(10),
        ..ClientOptions::default()
    }
}

/// A `run_results.json` as `dbt build` writes it, with these `(unique_id, status)` results.
pub fn run_results(generated_at: &str, invocation_id: &str, results: &[(&str, &str)]) -> Vec<u8> {
    let results: Vec<Value> = results
        .iter()
        .map(|(id, status)| {
            json!({"unique_id": id, "status": status, "thread_id": "Thread-1", "execution_time": 0.8,
                "timing": [{"name": "execute", "started_at": generated_at, "completed_at": generated_at}],
                "adapter_response": {"_message": "SUCCESS 1", "rows_affected": 1}, "message": "SUCCESS 1",
                "failures": if *status == "fail" { json!(2) } else { json!(null) }})
        })
        .collect();
    serde_json::to_vec(&json!({
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json",
            "dbt_version": "1.9.4", "generated_at": generated_at, "invocation_id": invocation_id, "env": {}},
        "results": results, "elapsed_time": 12.5, "args": {"which": "build"}
    }))
    .expect("json")
}

/// The manifest fixture with its metadata replaced.
pub fn manifest(project: &str, generated_at: &str, invocation_id: &str) -> Vec<u8> {
    let mut manifest = fixture("tests/e2e/fixtures/manifest.json");
    manifest["metadata"]["generated_at"] = Value::from(generated_at);
    manifest["metadata"]["invocation_id"] = Value::from(invocation_id);
    manifest["metadata"]["project_name"] = Value::from(project);
    serde_json::to_vec(&manifest).expect("manifest JSON")
}

/// The EventBridge scheduled event, from the daily-sync function's fixture.
pub fn schedule_event() -> LambdaEvent<EventBridgeEvent> {
    let event = fixture("functions/daily-sync/tests/fixtures/scheduled-event.json");
    invocation(serde_json::from_value(event).expect("an EventBridge event"))
}

/// A direct invocation of the collections-updated function with this payload.
pub fn invoke_event(payload: Value) -> LambdaEvent<Value> {
    invocation(payload)
}

/// A fixture file (path from the workspace root) as JSON.
pub fn fixture(path: &str) -> Value {
    let path: PathBuf = workspace_root().join(path);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("read fixture {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("fixture {} is JSON: {e}", path.display()))
}

/// Encodes a key the way S3 event notifications carry it: a space as `+`, every byte
/// but letters, digits, `-_.~/` as `%XX`.
pub fn encode_event_key(key: &str) -> String {
    let mut encoded = String::with_capacity(key.len());
    for byte in key.bytes() {
        match byte {
            b' ' => encoded.push('+'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                encoded.push(char::from(byte))
            }
            other => encoded.push_str(&format!("%{other:02X}")),
        }
    }
    encoded
}

fn invocation<T>(payload: T) -> LambdaEvent<T> {
    let mut context = Context::default();
    context.request_id = unique_name("request");
    LambdaEvent::new(payload, context)
}
