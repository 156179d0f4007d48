//! The built functions as Lambda runs them: each `bootstrap` that `infra/build-lambdas.sh`
//! made, started under cargo-lambda's emulator of the Lambda runtime API with exactly the
//! environment `template.yaml` gives it (derived by `infra/function_env.py`), pointed at moto
//! and the Tableau simulator, and invoked with real event JSON through the Invoke API.
//!
//! These tests need the release bootstraps, so they are ignored in a plain `cargo test`;
//! `bash infra/test-lambdas.sh` builds the functions and runs them (the README's test
//! command does).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use autoexpose_aws::{aws_sdk_s3, aws_sdk_sqs};
use autoexpose_e2e::emulator::{Emulated, REGION, template_env};
use autoexpose_e2e::{
    FINANCE, MANIFEST_KEY, MARKETING, PROJECT, World, fixture, manifest, run_results,
};
use autoexpose_pipeline::{RefreshJob, RefreshState};
use autoexpose_testkit::{MotoServer, workspace_root};
use serde_json::{Value, json};

const MANIFEST_PUT: &str = "functions/manifest-uploaded/tests/fixtures/s3-put-manifest.json";
const RESULTS_PUT: &str = "functions/run-results-uploaded/tests/fixtures/s3-put-results.json";

/// The artifacts bucket as the template names it, created on moto, holding the manifest.
async fn artifacts_bucket(world: &World, env: &BTreeMap<String, String>) -> String {
    let bucket = env["ARTIFACTS_BUCKET"].clone();
    let _ = s3(world).create_bucket().bucket(&bucket).send().await;
    put(
        world,
        &bucket,
        MANIFEST_KEY,
        manifest(PROJECT, "2025-03-01T07:00:00Z", "m1"),
    )
    .await;
    bucket
}

fn s3(world: &World) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&world.config)
            .force_path_style(true)
            .build(),
    )
}

async fn put(world: &World, bucket: &str, key: &str, body: Vec<u8>) {
    s3(world)
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body.into())
        .send()
        .await
        .expect("upload");
}

/// The collections stored for integration `acme`.
async fn collections_of_acme(world: &World) -> Vec<String> {
    world
        .store()
        .get_integration("acme")
        .await
        .expect("get")
        .expect("stored")
        .collections
}

/// A sync queue of the world's own on moto.
async fn sync_queue(world: &World) -> String {
    aws_sdk_sqs::Client::new(&world.config)
        .create_queue()
        .queue_name(autoexpose_testkit::unique_name("emulated-sync"))
        .send()
        .await
        .expect("create the sync queue")
        .queue_url
        .expect("a queue url")
}

/// `(message id, body)` of what waits on `queue_url`.
async fn receive(world: &World, queue_url: &str) -> Vec<(String, String)> {
    let received = aws_sdk_sqs::Client::new(&world.config)
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(2)
        .send()
        .await
        .expect("receive");
    received
        .messages()
        .iter()
        .map(|m| {
            (
                m.message_id().unwrap_or_default().to_string(),
                m.body().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The first record of the S3 put event in `fixture`, for `key` in `bucket`.
fn s3_put(fixture_path: &str, bucket: &str, key: &str) -> Value {
    let mut event = fixture(fixture_path);
    event["Records"] = Value::Array(vec![event["Records"][0].clone()]);
    let record = &mut event["Records"][0]["s3"];
    record["bucket"]["name"] = bucket.into();
    record["bucket"]["arn"] = format!("arn:aws:s3:::{bucket}").into();
    record["object"]["key"] = key.into();
    record["object"]["versionId"] = Value::Null;
    event
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the bootstraps of `bash infra/build-lambdas.sh`; run by infra/test-lambdas.sh"]
async fn each_built_function_serves_real_events_under_the_lambda_runtime() {
    let world = World::start().await;
    let mut acme = world.add_integration("acme", &[FINANCE, MARKETING]).await;
    acme.active_exposures = Some(true);
    world
        .store()
        .update_integration(&acme)
        .await
        .expect("refresh extracts after builds");
    let envs = template_env(
        &world.deps.settings().table_name,
        &world.queue_url,
        &sync_queue(&world).await,
    );
    let bucket = artifacts_bucket(&world, &envs["ManifestUploadedFunction"]).await;

    // A manifest upload applies the manifest and rematches.
    let manifest_fn = Emulated::start("manifest-uploaded", &envs["ManifestUploadedFunction"]).await;
    let response = manifest_fn
        .invoke(&s3_put(MANIFEST_PUT, &bucket, MANIFEST_KEY))
        .await;
    assert_eq!(response["records"][0]["outcome"], "applied", "{response}");
    drop(manifest_fn);

    // The schedule queues one sync per integration; the worker syncs it from the SQS
    // batch, and a second batch is served by the same process, reusing its clients.
    let daily = Emulated::start("daily-sync", &envs["DailySyncFunction"]).await;
    let schedule = fixture("functions/daily-sync/tests/fixtures/scheduled-event.json");
    let queued = daily.invoke(&schedule).await;
    assert_eq!(queued["queued"], json!(["acme"]), "{queued}");
    drop(daily);
    let messages = receive(&world, &envs["SyncWorkerFunction"]["SYNC_QUEUE_URL"]).await;
    assert_eq!(messages.len(), 1, "one message per integration");
    let batch = serde_json::to_value(world.sqs_event_of(&messages).payload).expect("json");
    let mut worker = Emulated::start("sync-worker", &envs["SyncWorkerFunction"]).await;
    let first = worker.invoke(&batch).await;
    assert_eq!(first["batchItemFailures"], json!([]), "{first}");
    assert!(!world.exposure_luids("acme").await.is_empty());
    let second = worker.invoke(&batch).await;
    assert_eq!(second["batchItemFailures"], json!([]), "{second}");
    assert!(
        worker.still_running(),
        "one process served both invocations"
    );
    drop(worker);

    // A collections update stores the selection and syncs at once.
    let collections =
        Emulated::start("collections-updated", &envs["CollectionsUpdatedFunction"]).await;
    let response = collections
        .invoke(&json!({"integration_id": "acme", "collections": [FINANCE]}))
        .await;
    assert_eq!(response["status"], "ok", "{response}");
    assert_eq!(response["collections"], json!([FINANCE]), "{response}");
    assert_eq!(collections_of_acme(&world).await, [FINANCE]);
    drop(collections);

    // Run results are recorded, and the extract refreshes Tableau queued are handed over.
    let results_key = format!("dbt/{PROJECT}/prod/run_results.json");
    let build = [("model.shop.orders", "success")];
    put(
        &world,
        &bucket,
        &results_key,
        run_results("2025-03-01T07:30:00Z", "b1", &build),
    )
    .await;
    let results_fn =
        Emulated::start("run-results-uploaded", &envs["RunResultsUploadedFunction"]).await;
    let response = results_fn
        .invoke(&s3_put(RESULTS_PUT, &bucket, &results_key))
        .await;
    let record = &response["records"][0];
    assert_eq!(record["outcome"], "recorded", "{response}");
    let jobs: Vec<RefreshJob> =
        serde_json::from_value(record["jobs"].clone()).expect("the jobs handed over");
    assert!(
        !jobs.is_empty(),
        "orders feeds a Finance extract: {response}"
    );
    drop(results_fn);

    // The refresh watcher follows them from an SQS batch until Tableau says how they ended.
    let mut watcher = Emulated::start("refresh-watcher", &envs["RefreshWatcherFunction"]).await;
    let bodies: Vec<(String, String)> = jobs
        .iter()
        .map(|job| {
            (
                job.job_id.clone(),
                serde_json::to_string(job).expect("json"),
            )
        })
        .collect();
    let batch = serde_json::to_value(world.sqs_event_of(&bodies).payload).expect("json");
    let mut finished = false;
    for _ in 0..40 {
        let response = watcher.invoke(&batch).await;
        assert_eq!(response["batchItemFailures"], json!([]), "{response}");
        let refreshes = world.store().list_refreshes("acme").await.expect("list");
        if refreshes
            .iter()
            .all(|r| r.state == Some(RefreshState::Succeeded))
        {
            finished = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(finished, "every refresh succeeded on the simulator");
    assert!(watcher.still_running(), "one process served every batch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the bootstraps of `bash infra/build-lambdas.sh`; run by infra/test-lambdas.sh"]
async fn a_missing_or_wrong_variable_fails_init_naming_it() {
    let world = World::start().await;
    let envs = template_env(
        &world.deps.settings().table_name,
        &world.queue_url,
        &sync_queue(&world).await,
    );
    for (function, logical_id, change, name) in [
        ("daily-sync", "DailySyncFunction", "remove", "TABLE_NAME"),
        (
            "sync-worker",
            "SyncWorkerFunction",
            "set",
            "SYNC_STEP_SECONDS",
        ),
    ] {
        let mut env = envs[logical_id].clone();
        if change == "remove" {
            env.remove(name);
        } else {
            env.insert(name.into(), "many".into());
        }
        let mut daily = Emulated::start(function, &env).await;
        let mut exited = None;
        for _ in 0..100 {
            if let Ok(Some(status)) = daily.function.try_wait() {
                exited = Some(status);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let status = exited.expect("init fails and the process ends");
        assert!(!status.success());
        let mut logs = String::new();
        if let Some(mut out) = daily.function.stdout.take() {
            let _ = out.read_to_string(&mut logs);
        }
        if let Some(mut err) = daily.function.stderr.take() {
            let _ = err.read_to_string(&mut logs);
        }
        assert!(
            logs.contains(name),
            "{change} {name}: the log names it: {logs}"
        );
    }
}

/// The CLI binary `infra/test-lambdas.sh` builds beside the bootstraps.
fn cli_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), PathBuf::from);
    let path = target.join("debug/autoexpose");
    assert!(
        path.exists(),
        "{} is missing: `cargo build -p autoexpose`",
        path.display()
    );
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the bootstraps of `bash infra/build-lambdas.sh`; run by infra/test-lambdas.sh"]
async fn the_cli_sets_collections_through_the_deployed_function() {
    let world = World::start().await;
    world.add_integration("acme", &[FINANCE, MARKETING]).await;
    let envs = template_env(
        &world.deps.settings().table_name,
        &world.queue_url,
        &sync_queue(&world).await,
    );
    let bucket = artifacts_bucket(&world, &envs["ManifestUploadedFunction"]).await;
    world
        .deps
        .pipeline()
        .apply_manifest(PROJECT, &autoexpose_aws::s3_location(&bucket, MANIFEST_KEY))
        .await
        .expect("apply");
    let function =
        Emulated::start("collections-updated", &envs["CollectionsUpdatedFunction"]).await;
    let moto = MotoServer::shared().expect("moto");
    let cli = |collections: &str| {
        Command::new(cli_binary())
            .args(["collections", "set", "acme", collections, "--function", "_"])
            .env(
                "AUTOEXPOSE_DYNAMODB_TABLE",
                &world.deps.settings().table_name,
            )
            .env("AWS_ENDPOINT_URL", moto.endpoint())
            // The Invoke call goes to the emulator, everything else to moto.
            .env(
                "AWS_ENDPOINT_URL_LAMBDA",
                format!("http://127.0.0.1:{}", function.port),
            )
            .env("AWS_REGION", REGION)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AUTOEXPOSE_STORE")
            .output()
            .expect("autoexpose runs")
    };

    let set = cli(FINANCE);
    let stdout = String::from_utf8_lossy(&set.stdout);
    assert!(
        set.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&set.stderr)
    );
    assert!(stdout.contains("in function _"), "{stdout}");
    assert_eq!(
        collections_of_acme(&world).await,
        [FINANCE],
        "the function stored them"
    );
    let runs = world.runs("acme").await;
    assert!(
        runs.iter().any(|r| stdout.contains(&r.run_id)),
        "the function's sync is the one reported: {stdout}"
    );

    // A collection the site does not have is refused by the function, and said so.
    let refused = cli("No Such Project");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(stderr.contains("No Such Project"), "{stderr}");
    assert_eq!(
        collections_of_acme(&world).await,
        [FINANCE],
        "nothing changed"
    );
}
