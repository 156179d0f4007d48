//! Prints how long reading a chain of N CTEs takes and how much memory it peaks at, the
//! shape that once made the custom SQL reader super-linear:
//! `WITH c1 AS (SELECT * FROM c0), c2 AS (SELECT * FROM c1), ... SELECT * FROM cN`.
//!
//! `cargo run --release -p autoexpose-domain --example cte_chain -- 5000 10000 30000`
//!
//! Each length runs in a child process of its own so that its peak memory (the child's
//! maximum resident set, from `getrusage`) is its alone.

use std::process::Command;
use std::time::Instant;

use autoexpose_domain::custom_sql::tables_in_query;

/// A query whose `WITH` holds `n` CTEs, each reading the one before; `c0` is the real table.
fn cte_chain(n: usize) -> String {
    let mut sql = String::from("WITH ");
    for i in 1..=n {
        if i > 1 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("c{i} AS (SELECT * FROM c{})", i - 1));
    }
    sql.push_str(&format!(" SELECT * FROM c{n}"));
    sql
}

/// The child's own peak resident set, in megabytes (Linux reports kilobytes).
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    if let Ok(n) = std::env::var("CTE_CHAIN_CHILD") {
        let n: usize = n.parse().unwrap_or(0);
        let sql = cte_chain(n);
        let started = Instant::now();
        let result = tables_in_query(&sql, Some("snowflake"));
        let elapsed = started.elapsed();
        let outcome = match result {
            Ok(tables) => format!("{} table(s)", tables.len()),
            Err(error) => format!("unparsed: {error}"),
        };
        println!(
            "{n:>6} CTEs, {:>5} KB: {:>8.1} ms, peak {:>7.1} MB, {outcome}",
            sql.len() / 1024,
            elapsed.as_secs_f64() * 1000.0,
            peak_rss_mb(),
        );
        return;
    }
    let lengths: Vec<String> = std::env::args().skip(1).collect();
    let lengths = if lengths.is_empty() {
        vec!["5000".into(), "10000".into(), "30000".into()]
    } else {
        lengths
    };
    let Ok(me) = std::env::current_exe() else {
        eprintln!("cannot find this example's own binary to re-run it");
        std::process::exit(1);
    };
    for n in lengths {
        let status = Command::new(&me).env("CTE_CHAIN_CHILD", &n).status();
        match status {
            Ok(status) if status.success() => {}
            Ok(status) => println!("{n:>6} CTEs: the reader's process ended with {status}"),
            Err(error) => println!("{n:>6} CTEs: could not start the reader's process: {error}"),
        }
    }
}
