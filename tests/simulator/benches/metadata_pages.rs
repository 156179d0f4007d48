//! What one Metadata API page costs the simulator, by site size: a simulator that is never
//! the bottleneck answers a page in time that grows with the page, not with the site.
//!
//! `cargo bench -p tableau-sim --bench metadata_pages [-- SIZES...]` (default 1000 10000
//! 50000 workbooks of 10 tables). For each size it pages through every workbook, 100 at a
//! time and with no latency, in id order (the order autoexpose asks for: cut from the
//! site's index) and in name order (sorted whole for every page, as any other order is),
//! and prints pages, bytes, wall and process CPU per page. The client here only counts
//! bytes, so the CPU is the simulator's, plus HTTP on both ends.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tableau_sim::{GENERATED_PAT, Simulator, generate_site};

const PAGE_SIZE: u32 = 100;

/// The shape of autoexpose's workbook query, without the published data source chains.
const QUERY: &str = "query Workbooks($first: Int, $after: String, $order: WorkbookOrderField) {
  workbooksConnection(first: $first, after: $after, orderBy: {field: $order, direction: ASC}) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id luid name uri vizportalUrlId projectName projectLuid description createdAt updatedAt
      owner { name username email }
      upstreamTables { __typename id name fullName schema connectionType database { name connectionType } }
      embeddedDatasources { hasExtracts upstreamTables { id name } upstreamDatasources { luid name } }
      upstreamDatasources { luid name hasExtracts upstreamTables { id name } }
    }
  }
}";

/// User plus system CPU time of this process so far, from `/proc/self/stat`.
fn cpu_time() -> Duration {
    let ticks_per_second = 100.0; // USER_HZ on Linux
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat; 12 and 13 after the name.
    Duration::from_secs_f64((ticks(11) + ticks(12)) / ticks_per_second)
}

struct Pass {
    pages: u32,
    bytes: u64,
    wall: Duration,
    cpu: Duration,
}

async fn sign_in(http: &reqwest::Client, base: &str) -> String {
    let body = json!({"credentials": {"personalAccessTokenName": GENERATED_PAT.0,
        "personalAccessTokenSecret": GENERATED_PAT.1, "site": {"contentUrl": "bench"}}});
    let reply: Value = http
        .post(format!("{base}/api/3.25/auth/signin"))
        .header("Accept", "application/json")
        .json(&body)
        .send()
        .await
        .expect("sign-in")
        .json()
        .await
        .expect("sign-in JSON");
    reply["credentials"]["token"]
        .as_str()
        .expect("a token")
        .to_string()
}

/// Pages through every workbook in `order`; returns what it cost.
async fn page_through(http: &reqwest::Client, base: &str, token: &str, order: &str) -> Pass {
    let started = Instant::now();
    let cpu_before = cpu_time();
    let (mut pages, mut bytes, mut after) = (0, 0, Value::Null);
    loop {
        let body = json!({"query": QUERY,
            "variables": {"first": PAGE_SIZE, "after": after, "order": order}});
        let reply = http
            .post(format!("{base}/api/metadata/graphql"))
            .header("X-Tableau-Auth", token)
            .json(&body)
            .send()
            .await
            .expect("a page")
            .bytes()
            .await
            .expect("its body");
        pages += 1;
        bytes += reply.len() as u64;
        let page: Value = serde_json::from_slice(&reply).expect("JSON");
        let info = &page["data"]["workbooksConnection"]["pageInfo"];
        if info["hasNextPage"] != json!(true) {
            break;
        }
        after = info["endCursor"].clone();
    }
    Pass {
        pages,
        bytes,
        wall: started.elapsed(),
        cpu: cpu_time().saturating_sub(cpu_before),
    }
}

fn print_pass(workbooks: usize, order: &str, pass: &Pass) {
    let per_page = |d: Duration| d.as_secs_f64() * 1000.0 / f64::from(pass.pages.max(1));
    println!(
        "{workbooks:>7} workbooks  {order:<22} {:>4} pages  {:>6.1} KB/page  {:>7.2} ms/page wall  {:>7.2} ms/page CPU  ({:.2} s wall)",
        pass.pages,
        pass.bytes as f64 / 1024.0 / f64::from(pass.pages.max(1)),
        per_page(pass.wall),
        per_page(pass.cpu),
        pass.wall.as_secs_f64(),
    );
}

#[tokio::main]
async fn main() {
    let mut sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if sizes.is_empty() {
        sizes = vec![1_000, 10_000, 50_000];
    }
    println!("metadata_pages: {PAGE_SIZE} workbooks a page, 10 tables a workbook, no latency");
    let http = reqwest::Client::new();
    for workbooks in sizes {
        let sim = Simulator::start(generate_site(workbooks, 10, 42))
            .await
            .expect("the simulator starts");
        let base = sim.base_url();
        let token = sign_in(&http, &base).await;
        let indexed = page_through(&http, &base, &token, "ID").await;
        print_pass(workbooks, "id order (indexed)", &indexed);
        // Every other order sorts the whole site for each page: the cost the id order
        // no longer pays.
        let sorted = page_through(&http, &base, &token, "NAME").await;
        print_pass(workbooks, "name order (full sort)", &sorted);
        sim.shutdown().await;
    }
}
