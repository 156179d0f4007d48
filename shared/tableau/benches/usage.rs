//! The sync's extra cost for usage: on a generated site of 10,000 workbooks with 20 ms of
//! latency per request, reads the usage of every workbook (what a sync asks: the whole
//! selection) and of 2,000 of them (the matched ones, were only those asked), by the
//! usage-stats batch method and, on a site without it, by the views' view counts. Prints
//! requests and wall time of each.
//!
//! `cargo bench -p autoexpose-tableau --bench usage [-- WORKBOOKS [MATCHED]]`

use std::time::{Duration, Instant};

use autoexpose_tableau::{ClientOptions, ConnectionSettings, TableauClient, TokenSecret};
use tableau_sim::{GENERATED_PAT, Simulator, UsageStatsAccess, generate_site};

fn numeric_args() -> Vec<u64> {
    std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect()
}

/// Reads the usage of `luids` in one session and prints what it cost.
async fn measure(sim: &Simulator, label: &str, luids: &[String]) {
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
    let usage = client
        .with_session(async |s| s.workbook_usage(luids).await)
        .await
        .expect("usage reads");
    let wall = started.elapsed();
    let stats = sim.stats();
    println!(
        "  {label:<44} {:>6} workbooks  {:>5} usage requests ({} in all, sign-in and sign-out included)  {:>6.2} s  max in flight {}",
        usage.by_workbook.len(),
        stats.usage,
        stats.requests,
        wall.as_secs_f64(),
        stats.max_in_flight,
    );
    assert_eq!(usage.by_workbook.len(), luids.len());
    assert!(stats.max_in_flight <= 4, "more than 4 requests in flight");
}

#[tokio::main]
async fn main() {
    let args = numeric_args();
    let workbooks = args.first().copied().unwrap_or(10_000) as usize;
    let matched = args.get(1).copied().unwrap_or(2_000) as usize;
    let site = generate_site(workbooks, 10, 42);
    let luids: Vec<String> = site.sites[0]
        .workbooks
        .iter()
        .map(|w| w.luid.clone())
        .collect();
    let sim = Simulator::start(site).await.expect("the simulator starts");
    sim.faults().set_latency(Duration::from_millis(20));

    println!("usage: {workbooks} workbooks, 20 ms latency");
    measure(&sim, "usage-stats, every workbook (a sync)", &luids).await;
    measure(&sim, "usage-stats, the matched ones", &luids[..matched]).await;
    sim.edit_site("bench", |s| s.usage_stats = UsageStatsAccess::Absent)
        .expect("edit site");
    measure(&sim, "view counts, every workbook (a sync)", &luids).await;
    measure(&sim, "view counts, the matched ones", &luids[..matched]).await;
    sim.shutdown().await;
}
