//! Lists a generated site of 10,000 workbooks (about 10 tables each) from the simulator
//! with 20 ms of latency per request, and prints wall time, requests, the most requests in
//! flight and peak memory. Target: under 30 s, never more than 4 requests in flight.
//!
//! `cargo bench -p autoexpose-tableau --bench list_site [-- WORKBOOKS [PAGE_SIZE]]`
//!
//! Peak memory is the whole process: the simulator's site lives in it too.

use std::time::{Duration, Instant};

use autoexpose_tableau::{ClientOptions, ConnectionSettings, TableauClient, TokenSecret};
use tableau_sim::{GENERATED_PAT, Simulator, generate_site};

fn numeric_args() -> Vec<u64> {
    std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect()
}

/// `VmHWM` (peak resident memory) from `/proc/self/status`.
fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

#[tokio::main]
async fn main() {
    let args = numeric_args();
    let workbooks = args.first().copied().unwrap_or(10_000) as usize;
    let page_size = args.get(1).copied().unwrap_or(100) as u32;

    let site = generate_site(workbooks, 10, 42);
    let roots: Vec<String> = site.sites[0]
        .projects
        .iter()
        .filter(|p| p.parent_id.is_none())
        .map(|p| p.id.clone())
        .collect();
    let sim = Simulator::start(site).await.expect("the simulator starts");
    sim.faults().set_latency(Duration::from_millis(20));

    let client = TableauClient::new(
        ConnectionSettings {
            server_url: sim.base_url(),
            site: "bench".into(),
            token_name: GENERATED_PAT.0.into(),
            token_secret: TokenSecret::new(GENERATED_PAT.1),
        },
        ClientOptions {
            page_size,
            ..ClientOptions::default()
        },
    )
    .expect("the client builds");

    let started = Instant::now();
    let listing = client
        .list_collections(&roots, |_| {})
        .await
        .expect("the listing succeeds");
    let wall = started.elapsed();
    let stats = sim.stats();
    let tables: usize = listing
        .workbooks
        .workbooks
        .iter()
        .map(|w| w.tables.len())
        .sum();

    println!("list_site: {workbooks} workbooks x ~10 tables, 20 ms latency, page size {page_size}");
    println!("  workbooks listed : {}", listing.workbooks.workbooks.len());
    println!("  tables           : {tables}");
    println!("  projects         : {}", listing.projects.len());
    println!("  wall time        : {:.2} s", wall.as_secs_f64());
    println!(
        "  requests         : {} ({} Metadata API, {} pages)",
        stats.requests, stats.metadata_queries, listing.workbooks.pages
    );
    println!("  max in flight    : {}", stats.max_in_flight);
    println!(
        "  peak memory      : {} (VmHWM, simulator included)",
        peak_memory()
    );
    assert_eq!(listing.workbooks.workbooks.len(), workbooks);
    assert!(stats.max_in_flight <= 4, "more than 4 requests in flight");
    sim.shutdown().await;
}
