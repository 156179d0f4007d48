//! The whole stored sync — list from Tableau, match, diff, write — on a generated site of
//! 10,000 workbooks (10 tables each) and a manifest holding their tables, over both stores:
//! the local SQLite store and DynamoDB (on moto). For each store it runs a first sync
//! (every exposure new) and a no-change sync (nothing to write), and prints where the time
//! went: in the Tableau listing, in the store, and in the rest (reading the manifest,
//! matching, diffing). A no-change sync's own cost is everything but the Tableau listing.
//!
//! `cargo bench -p autoexpose-e2e --bench stored_sync [-- WORKBOOKS]`; the simulator's
//! latency is 20 ms (`AUTOEXPOSE_BENCH_LATENCY_MS`). DynamoDB needs moto
//! (`bash infra/setup-venv.sh`); without it only SQLite runs.

mod timed;

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use autoexpose_aws::{DynamoStore, aws_sdk_dynamodb};
use autoexpose_pipeline::{
    ArtifactLocation, Integration, IntegrationStore, Pipeline, Secret, SecretError, Secrets, Store,
    Trigger,
};
use autoexpose_store_local::{LocalArtifacts, LocalStore};
use autoexpose_tableau::ClientOptions;
use autoexpose_tableau_bi::TableauHttp;
use autoexpose_testkit::{MotoServer, unique_name};
use tableau_sim::{GENERATED_PAT, Simulator, SiteSpec, generate_site};
use timed::{Clock, Spent, TimedBi, TimedStore};

const PROJECT: &str = "bench";
const INTEGRATION: &str = "bench-site";

/// The generated site's PAT secret, whatever the reference.
struct BenchSecret;

#[async_trait]
impl Secrets for BenchSecret {
    async fn tableau_secret(&self, _secret_ref: &str) -> Result<Secret, SecretError> {
        Ok(Secret::new(GENERATED_PAT.1))
    }
}

/// A manifest of dbt project `bench` with one model for each of the site's tables in the
/// `ANALYTICS` database (the others, in `LEGACY_DW`, stay unmatched), in lower case as dbt
/// writes them: Tableau's upper-case names match case-insensitively.
fn manifest_for(site: &SiteSpec) -> Vec<u8> {
    let mut nodes = String::new();
    for table in site.tables.iter().filter(|t| t.database == "ANALYTICS") {
        let name = table.name.to_lowercase();
        let schema = table.schema.to_lowercase();
        if !nodes.is_empty() {
            nodes.push(',');
        }
        let _ = write!(
            nodes,
            r#""model.bench.{schema}__{name}": {{"resource_type": "model", "name": "{schema}__{name}",
            "alias": "{name}", "database": "analytics", "schema": "{schema}", "package_name": "bench",
            "unique_id": "model.bench.{schema}__{name}", "config": {{"materialized": "table", "enabled": true}}}}"#
        );
    }
    format!(
        r#"{{"metadata": {{"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
        "generated_at": "2026-12-01T06:00:00Z", "invocation_id": "bench-1", "project_name": "bench"}},
        "nodes": {{{nodes}}}, "sources": {{}}}}"#
    )
    .into_bytes()
}

/// The stores to measure: SQLite always, DynamoDB when moto runs.
async fn stores(dir: &std::path::Path) -> Vec<(&'static str, Arc<dyn Store>)> {
    let sqlite = LocalStore::open(dir.join("autoexpose.sqlite")).expect("the SQLite store opens");
    let mut stores: Vec<(&'static str, Arc<dyn Store>)> = vec![("sqlite", Arc::new(sqlite))];
    match MotoServer::shared() {
        Ok(moto) => {
            let client = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
            let table = unique_name("bench");
            DynamoStore::create_table(&client, &table)
                .await
                .expect("the DynamoDB table is created");
            stores.push(("dynamodb (moto)", Arc::new(DynamoStore::new(client, table))));
        }
        Err(error) => println!("DynamoDB skipped: {error}"),
    }
    stores
}

/// One sync's figures.
struct Measured {
    wall: Duration,
    tableau: Spent,
    store: Spent,
    requests: u64,
    added: u32,
    changed: u32,
    removed: u32,
}

fn print_header() {
    println!(
        "{:<16} {:<10} {:>7} {:>9} {:>9} {:>10} {:>9} {:>9} {:>8} {:>8}",
        "store",
        "sync",
        "wall s",
        "tableau s",
        "store s",
        "st. calls",
        "rest s",
        "own s",
        "requests",
        "written"
    );
}

fn print_row(store: &str, sync: &str, m: &Measured) {
    let rest = m.wall.saturating_sub(m.tableau.time + m.store.time);
    println!(
        "{store:<16} {sync:<10} {:>7.2} {:>9.2} {:>9.2} {:>4}r {:>3}w {:>9.2} {:>9.2} {:>8} {:>8}",
        m.wall.as_secs_f64(),
        m.tableau.time.as_secs_f64(),
        m.store.time.as_secs_f64(),
        m.store.reads,
        m.store.writes,
        rest.as_secs_f64(),
        (m.wall.saturating_sub(m.tableau.time)).as_secs_f64(),
        m.requests,
        format!("+{} ~{} -{}", m.added, m.changed, m.removed),
    );
}

async fn sync_once(
    pipeline: &Pipeline,
    sim: &Simulator,
    tableau: &Clock,
    store: &Clock,
) -> Measured {
    tableau.take();
    store.take();
    sim.reset_stats();
    let started = Instant::now();
    let run = pipeline
        .sync_integration(INTEGRATION, Trigger::Manual)
        .await
        .expect("the sync succeeds");
    Measured {
        wall: started.elapsed(),
        tableau: tableau.take(),
        store: store.take(),
        requests: sim.stats().requests,
        added: run.added,
        changed: run.changed,
        removed: run.removed,
    }
}

#[tokio::main]
async fn main() {
    let workbooks = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(10_000);
    let latency_ms: u64 = std::env::var("AUTOEXPOSE_BENCH_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);

    let data = generate_site(workbooks, 10, 42);
    let site = data.sites[0].clone();
    let roots: Vec<String> = site
        .projects
        .iter()
        .filter(|p| p.parent_id.is_none())
        .map(|p| p.id.clone())
        .collect();
    let sim = Simulator::start(data).await.expect("the simulator starts");
    sim.faults().set_latency(Duration::from_millis(latency_ms));

    let dir = std::env::temp_dir().join(unique_name("stored-sync-bench"));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let manifest_path = dir.join("manifest.json");
    let manifest = manifest_for(&site);
    std::fs::write(&manifest_path, &manifest).expect("the manifest is written");
    let manifest_location = ArtifactLocation::local(manifest_path.to_string_lossy());

    println!(
        "stored_sync: {workbooks} workbooks x 10 tables, {latency_ms} ms latency, manifest {:.1} MB; \
         own = wall - tableau (what a sync costs besides Tableau's answers)",
        manifest.len() as f64 / 1_000_000.0
    );
    print_header();
    for (name, inner) in stores(&dir).await {
        let (store_clock, tableau_clock) = (Clock::default(), Clock::default());
        let store = Arc::new(TimedStore {
            inner,
            clock: store_clock.clone(),
        });
        let bi = Arc::new(TimedBi {
            inner: Arc::new(TableauHttp::new(ClientOptions::default())),
            clock: tableau_clock.clone(),
        });
        let pipeline = Pipeline::from_shared(
            store.clone(),
            Arc::new(LocalArtifacts),
            Arc::new(BenchSecret),
            bi,
        );
        let mut integration = Integration::new(
            INTEGRATION,
            PROJECT,
            sim.base_url(),
            "bench",
            GENERATED_PAT.0,
            "bench-secret",
        );
        integration.collections = roots.clone();
        store
            .create_integration(&integration)
            .await
            .expect("the integration is stored");
        pipeline
            .apply_manifest(PROJECT, &manifest_location)
            .await
            .expect("the manifest applies");
        let first = sync_once(&pipeline, &sim, &tableau_clock, &store_clock).await;
        print_row(name, "first", &first);
        let again = sync_once(&pipeline, &sim, &tableau_clock, &store_clock).await;
        print_row(name, "no change", &again);
        assert!(first.added > 0, "the first sync adds exposures");
        assert_eq!(
            (again.added, again.changed, again.removed),
            (0, 0, 0),
            "a no-change sync writes no exposure"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    sim.shutdown().await;
}
