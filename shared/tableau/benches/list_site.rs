//! Lists a generated site of 10,000 workbooks (10 tables each) from the simulator and
//! prints, for each case, the requests, the bytes, the most requests in flight, the wall
//! time and the latency floor: requests × latency / requests in flight, the least any
//! client needs for that many requests over that network. The simulator runs in this
//! process and costs about 20 ms of CPU per 100 workbooks of a page
//! (`cargo bench -p tableau-sim --bench metadata_pages`), so where the CPU column nears
//! the wall time, the gap to the floor is both ends' CPU, not the network.
//!
//! Then, at the same latencies, what a sync asks on top of the listing: the field lineage
//! (the columns each dashboard reads) of the matched workbooks only, 2,000 of the 10,000,
//! and the usage of every workbook listed, by the usage-stats batch method and, on a site
//! without it, by the views' view counts.
//!
//! `cargo bench -p autoexpose-tableau --bench list_site [-- WORKBOOKS [MATCHED]] [-- --sweep]`
//!
//! Without `--sweep`: the default options at 20 ms (a server nearby) and at 200 ms (Tableau
//! Cloud across an ocean). With `--sweep`: page sizes and requests in flight at 200 ms,
//! the measurement the defaults in `settings.rs` were chosen from. Peak memory is the
//! whole process: the simulator's site lives in it too.

use std::time::{Duration, Instant};

use autoexpose_tableau::{
    ClientOptions, ConnectionSettings, FIELDS_PAGE_SIZE, LUIDS_PER_FIELDS_QUERY, TableauClient,
    TokenSecret,
};
use tableau_sim::{GENERATED_PAT, Simulator, UsageStatsAccess, generate_site};

const TABLES_PER_WORKBOOK: usize = 10;

/// One way to list the site.
#[derive(Debug, Clone, Copy)]
struct Case {
    latency: Duration,
    page_size: u32,
    max_in_flight: usize,
}

/// What one listing cost.
struct Measured {
    wall: Duration,
    cpu: Duration,
    requests: u64,
    metadata_queries: u64,
    bytes: u64,
    max_in_flight: u64,
    workbooks: usize,
}

impl Measured {
    /// requests × latency / slots: what the network alone costs.
    fn floor(&self, case: &Case) -> Duration {
        case.latency
            .mul_f64(self.requests as f64 / case.max_in_flight.max(1) as f64)
    }
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

/// User plus system CPU of this process (client and simulator), from `/proc/self/stat`.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime, in USER_HZ (100 a second on Linux).
    Duration::from_secs_f64((ticks(11) + ticks(12)) / 100.0)
}

fn client(sim: &Simulator, case: &Case) -> TableauClient {
    TableauClient::new(
        ConnectionSettings {
            server_url: sim.base_url(),
            site: "bench".into(),
            token_name: GENERATED_PAT.0.into(),
            token_secret: TokenSecret::new(GENERATED_PAT.1),
        },
        ClientOptions {
            page_size: case.page_size,
            max_in_flight: case.max_in_flight,
            ..ClientOptions::default()
        },
    )
    .expect("the client builds")
}

/// What the simulator counted since its last reset, and the time since `started`.
fn measured(sim: &Simulator, started: Instant, cpu_before: Duration, workbooks: usize) -> Measured {
    let wall = started.elapsed();
    let stats = sim.stats();
    Measured {
        wall,
        cpu: cpu_time().saturating_sub(cpu_before),
        requests: stats.requests,
        metadata_queries: stats.metadata_queries,
        bytes: stats.bytes_sent + stats.bytes_received,
        max_in_flight: stats.max_in_flight,
        workbooks,
    }
}

async fn list_once(sim: &Simulator, roots: &[String], case: Case) -> Measured {
    sim.faults().set_latency(case.latency);
    sim.reset_stats();
    let client = client(sim, &case);
    let cpu_before = cpu_time();
    let started = Instant::now();
    let listing = client
        .list_collections(roots, |_| {})
        .await
        .expect("the listing succeeds");
    measured(sim, started, cpu_before, listing.workbooks.workbooks.len())
}

/// What a sync asks after the listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Extra {
    /// The field lineage of the matched workbooks.
    Columns,
    /// The usage of every workbook, by the usage-stats batch method.
    UsageStats,
    /// The same on a site without it: the views' view counts.
    ViewCounts,
}

/// Fetches one [`Extra`] for `luids` in one session and measures it like a listing.
async fn extra_once(sim: &Simulator, case: Case, extra: Extra, luids: &[String]) -> Measured {
    sim.faults().set_latency(case.latency);
    let access = match extra {
        Extra::ViewCounts => UsageStatsAccess::Absent,
        Extra::Columns | Extra::UsageStats => UsageStatsAccess::default(),
    };
    sim.edit_site("bench", |s| s.usage_stats = access)
        .expect("edit site");
    sim.reset_stats();
    let client = client(sim, &case);
    let cpu_before = cpu_time();
    let started = Instant::now();
    let workbooks = match extra {
        Extra::Columns => {
            let read = client
                .with_session(async |session| session.workbook_columns(luids).await)
                .await
                .expect("the fields query succeeds");
            read.columns.len()
        }
        Extra::UsageStats | Extra::ViewCounts => {
            let usage = client
                .with_session(async |session| session.workbook_usage(luids).await)
                .await
                .expect("usage reads");
            usage.by_workbook.len()
        }
    };
    measured(sim, started, cpu_before, workbooks)
}

fn print_header() {
    println!(
        "{:<22} {:>7} {:>5} {:>9} {:>8} {:>8} {:>8} {:>10} {:>8} {:>8} {:>10} {:>8}",
        "",
        "latency",
        "page",
        "in flight",
        "requests",
        "metadata",
        "MB",
        "peak in fl",
        "wall s",
        "floor s",
        "wall/floor",
        "CPU s"
    );
}

fn print_row(label: &str, case: &Case, m: &Measured) {
    let floor = m.floor(case);
    println!(
        "{label:<22} {:>5}ms {:>5} {:>9} {:>8} {:>8} {:>8.1} {:>10} {:>8.2} {:>8.2} {:>10.2} {:>8.2}",
        case.latency.as_millis(),
        case.page_size,
        case.max_in_flight,
        m.requests,
        m.metadata_queries,
        m.bytes as f64 / 1_000_000.0,
        m.max_in_flight,
        m.wall.as_secs_f64(),
        floor.as_secs_f64(),
        m.wall.as_secs_f64() / floor.as_secs_f64().max(f64::EPSILON),
        m.cpu.as_secs_f64(),
    );
}

fn cases(sweep: bool) -> Vec<Case> {
    let defaults = ClientOptions::default();
    let at = |latency_ms: u64, page_size: u32, max_in_flight: usize| Case {
        latency: Duration::from_millis(latency_ms),
        page_size,
        max_in_flight,
    };
    if !sweep {
        return vec![
            at(20, defaults.page_size, defaults.max_in_flight),
            at(200, defaults.page_size, defaults.max_in_flight),
        ];
    }
    let mut cases = Vec::new();
    for page_size in [100, 200, 300, 400, 500] {
        cases.push(at(200, page_size, 4));
    }
    for max_in_flight in [1, 2] {
        cases.push(at(200, defaults.page_size, max_in_flight));
    }
    cases
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let workbooks = args
        .iter()
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(10_000);
    let matched = args
        .iter()
        .filter_map(|a| a.parse::<usize>().ok())
        .nth(1)
        .unwrap_or(workbooks / 5);
    let sweep = args.iter().any(|a| a == "--sweep");

    let site = generate_site(workbooks, TABLES_PER_WORKBOOK, 42);
    let roots: Vec<String> = site.sites[0]
        .projects
        .iter()
        .filter(|p| p.parent_id.is_none())
        .map(|p| p.id.clone())
        .collect();
    let every: Vec<String> = site.sites[0]
        .workbooks
        .iter()
        .map(|w| w.luid.clone())
        .collect();
    // Spread over the site, as matches are.
    let step = (workbooks / matched.max(1)).max(1);
    let matched_luids: Vec<String> = every.iter().step_by(step).take(matched).cloned().collect();
    let sim = Simulator::start(site).await.expect("the simulator starts");

    println!(
        "list_site: {workbooks} workbooks x {TABLES_PER_WORKBOOK} tables, node limit 20,000; \
         floor = requests x latency / in flight"
    );
    print_header();
    let check = |case: &Case, measured: &Measured, expected: usize| {
        assert_eq!(measured.workbooks, expected, "every workbook read");
        assert!(
            measured.max_in_flight <= case.max_in_flight as u64,
            "more requests in flight than allowed"
        );
    };
    for case in cases(sweep) {
        let measured = list_once(&sim, &roots, case).await;
        print_row("listing", &case, &measured);
        check(&case, &measured, workbooks);
    }
    if !sweep {
        println!(
            "a sync's extra cost: columns of the {} matched workbooks ({LUIDS_PER_FIELDS_QUERY} LUIDs a query, pages of {FIELDS_PAGE_SIZE}), usage of all {workbooks}",
            matched_luids.len()
        );
        print_header();
        for case in cases(false) {
            for (label, extra, luids) in [
                ("+ columns, matched", Extra::Columns, &matched_luids),
                ("+ usage-stats, all", Extra::UsageStats, &every),
                ("  (or view counts, all)", Extra::ViewCounts, &every),
            ] {
                let measured = extra_once(&sim, case, extra, luids).await;
                print_row(label, &case, &measured);
                check(&case, &measured, luids.len());
            }
        }
    }
    println!("peak memory: {} (VmHWM, simulator included)", peak_memory());
    sim.shutdown().await;
}
