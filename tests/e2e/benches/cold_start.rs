//! Cold start of each built function: its `bootstrap` size, and, under cargo-lambda's
//! emulator of the Lambda runtime API with the environment `template.yaml` gives it, the
//! time from process start to the answer of a first trivial invocation (init plus one
//! invocation), a warm invocation after it, their difference (the init cost) and the
//! process's peak memory.
//!
//! Run `bash infra/build-lambdas.sh` first, then
//! `cargo bench -p autoexpose-e2e --bench cold_start` (needs moto: `bash infra/setup-venv.sh`
//! and `.venv/bin` on PATH). Figures vary with the machine; compare runs on one machine.

use std::time::{Duration, Instant};

use autoexpose_e2e::World;
use autoexpose_e2e::emulator::{Emulated, bootstrap, template_env};
use serde_json::{Value, json};

/// Each function (crate name, template logical id) with an event it answers without
/// touching AWS or Tableau: a key it skips, an empty batch, a refused payload.
fn trivial_events() -> Vec<(&'static str, &'static str, Value)> {
    let skipped_key = json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2025-03-01T07:00:05.123Z", "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": "b", "arn": "arn:aws:s3:::b"},
               "object": {"key": "not-dbt/readme.txt", "size": 1}}}]});
    vec![
        (
            "manifest-uploaded",
            "ManifestUploadedFunction",
            skipped_key.clone(),
        ),
        (
            "daily-sync",
            "DailySyncFunction",
            json!({
            "version": "0", "id": "1", "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": "2025-03-01T06:00:00Z", "region": "us-east-1",
            "resources": [], "detail": {}}),
        ),
        (
            "collections-updated",
            "CollectionsUpdatedFunction",
            json!({}),
        ),
        (
            "run-results-uploaded",
            "RunResultsUploadedFunction",
            skipped_key,
        ),
        (
            "refresh-watcher",
            "RefreshWatcherFunction",
            json!({"Records": []}),
        ),
        ("sync-worker", "SyncWorkerFunction", json!({"Records": []})),
    ]
}

/// The peak resident memory of a process, from /proc (Linux), in MiB.
fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let world = World::start().await;
    // The sync queue is never read by these events; the refresh queue stands in for it.
    let envs = template_env(
        &world.deps.settings().table_name,
        &world.queue_url,
        &world.queue_url,
    );
    println!(
        "{:<22} {:>9} {:>12} {:>10} {:>9} {:>9}",
        "function", "size MiB", "first ms", "warm ms", "init ms", "peak MiB"
    );
    for (function, logical_id, event) in trivial_events() {
        let size = std::fs::metadata(bootstrap(function)).map_or(0, |m| m.len());
        let emulated = Emulated::start(function, &envs[logical_id]).await;
        // `start` returns as the function is spawned (the emulator was up before it).
        let spawned = Instant::now();
        let first = emulated.invoke(&event).await;
        let first_time = spawned.elapsed();
        let warm_start = Instant::now();
        let second = emulated.invoke(&event).await;
        let warm_time = warm_start.elapsed();
        assert_eq!(first, second, "{function}: the same answer twice");
        let peak = peak_rss_mib(emulated.function.id()).unwrap_or(f64::NAN);
        println!(
            "{function:<22} {:>9.1} {:>12.1} {:>10.1} {:>9.1} {:>9.1}",
            size as f64 / 1_048_576.0,
            ms(first_time),
            ms(warm_time),
            ms(first_time.saturating_sub(warm_time)),
            peak
        );
    }
}
