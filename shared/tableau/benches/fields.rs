//! The extra cost of the columns each dashboard reads: on a generated site of 10,000
//! workbooks (about 10 tables each, 3 column fields per table and a calculated field),
//! fetches the field lineage of 2,000 of them (the matched ones) from the simulator with
//! 20 ms of latency per request, and prints wall time, requests, pages, columns and the
//! most requests in flight. Compare with `list_site`, the listing it comes after.
//!
//! `cargo bench -p autoexpose-tableau --bench fields [-- WORKBOOKS [MATCHED]]`

use std::time::{Duration, Instant};

use autoexpose_tableau::{
    ClientOptions, ConnectionSettings, FIELDS_PAGE_SIZE, LUIDS_PER_FIELDS_QUERY, TableauClient,
    TokenSecret,
};
use tableau_sim::{GENERATED_PAT, Simulator, generate_site};

fn numeric_args() -> Vec<u64> {
    std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect()
}

#[tokio::main]
async fn main() {
    let args = numeric_args();
    let workbooks = args.first().copied().unwrap_or(10_000) as usize;
    let matched = args.get(1).copied().unwrap_or(2_000) as usize;

    let site = generate_site(workbooks, 10, 42);
    // Every fifth workbook stands for a matched one.
    let step = (workbooks / matched.max(1)).max(1);
    let luids: Vec<String> = site.sites[0]
        .workbooks
        .iter()
        .step_by(step)
        .take(matched)
        .map(|w| w.luid.clone())
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
        ClientOptions::default(),
    )
    .expect("the client builds");

    sim.reset_stats();
    let started = Instant::now();
    let read = client
        .with_session(async |session| session.workbook_columns(&luids).await)
        .await
        .expect("the fields query succeeds");
    let wall = started.elapsed();
    let stats = sim.stats();
    let columns: usize = read.columns.values().map(Vec::len).sum();

    println!(
        "fields: {} of {workbooks} workbooks, 20 ms latency, {LUIDS_PER_FIELDS_QUERY} LUIDs a query, pages of {FIELDS_PAGE_SIZE}",
        luids.len()
    );
    println!("  workbooks read   : {}", read.columns.len());
    println!("  columns          : {columns}");
    println!("  wall time        : {:.2} s", wall.as_secs_f64());
    println!(
        "  requests         : {} ({} Metadata API, {} pages; sign-in and sign-out included)",
        stats.requests, stats.metadata_queries, read.pages
    );
    println!("  max in flight    : {}", stats.max_in_flight);
    assert_eq!(read.columns.len(), luids.len());
    assert!(stats.max_in_flight <= 4, "more than 4 requests in flight");
    sim.shutdown().await;
}
