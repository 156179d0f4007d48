//! Hostile custom SQL is reported as unread within a small budget of memory, never fatal.
//!
//! The budgets are deterministic (bytes, tokens, `SELECT`s), so these tests need no
//! stopwatch: one checks what is refused and why, and one reads the worst queries in a
//! child process whose address space is capped, where a reader that needed gigabytes (as
//! a chain of 30,000 CTEs once did) would abort.

use autoexpose_domain::custom_sql::{
    CustomSqlError, MAX_QUERY_BYTES, MAX_QUERY_SELECTS, MAX_QUERY_TOKENS, tables_in_query,
};

/// `WITH c1 AS (SELECT * FROM c0), c2 AS (SELECT * FROM c1), ... SELECT * FROM cN`.
fn cte_chain(n: usize) -> String {
    let ctes: Vec<String> = (1..=n)
        .map(|i| format!("c{i} AS (SELECT * FROM c{})", i - 1))
        .collect();
    format!("WITH {} SELECT * FROM c{n}", ctes.join(", "))
}

/// `SELECT * FROM t0, t1, ...`: the most syntax tree per token short of a `SELECT`.
fn from_list(n: usize) -> String {
    let tables: Vec<String> = (0..n).map(|i| format!("t{i}")).collect();
    format!("SELECT * FROM {}", tables.join(","))
}

fn names(query: &str) -> Result<Vec<String>, CustomSqlError> {
    let tables = tables_in_query(query, Some("snowflake"))?;
    Ok(tables.iter().map(ToString::to_string).collect())
}

#[test]
fn a_chain_of_ctes_within_the_select_budget_reads_its_one_real_table() {
    // n CTEs and the final query make n + 1 SELECTs.
    assert_eq!(
        names(&cte_chain(MAX_QUERY_SELECTS - 1)),
        Ok(vec!["c0".into()])
    );
}

#[test]
fn a_chain_of_ctes_over_the_select_budget_is_reported_as_too_large() {
    let error = names(&cte_chain(2_000)).expect_err("over the budget");
    assert_eq!(
        error,
        CustomSqlError::TooLarge {
            what: "SELECTs",
            count: 2_001,
            limit: MAX_QUERY_SELECTS
        }
    );
    let message = error.to_string();
    assert!(message.contains("too large to read"), "{message}");
    assert!(message.contains("at most 1000 SELECTs"), "{message}");
}

#[test]
fn a_query_over_the_token_budget_is_reported_as_too_large() {
    let within = from_list(MAX_QUERY_TOKENS / 2 - 10);
    assert_eq!(
        names(&within).map(|n| n.len()),
        Ok(MAX_QUERY_TOKENS / 2 - 10)
    );
    let over = format!(
        "SELECT * FROM s.t WHERE x IN ({})",
        vec!["0"; MAX_QUERY_TOKENS / 2].join(",")
    );
    let error = names(&over).expect_err("over the budget");
    assert!(
        matches!(error, CustomSqlError::TooLarge { what: "tokens", count, .. } if count > MAX_QUERY_TOKENS),
        "{error:?}"
    );
}

#[test]
fn a_chain_of_thirty_thousand_ctes_is_refused_by_its_length() {
    let query = cte_chain(30_000);
    assert!(query.len() > MAX_QUERY_BYTES);
    assert_eq!(
        names(&query),
        Err(CustomSqlError::TooLong { bytes: query.len() })
    );
}

/// Set in the child process that reads hostile queries under an address-space cap.
#[cfg(target_os = "linux")]
const CHILD: &str = "AUTOEXPOSE_HOSTILE_SQL_CHILD";

/// What the child prints when it has read every query, so that the parent knows it ran.
#[cfg(target_os = "linux")]
const DONE: &str = "read every hostile query";

/// The child's address space: the test binary, its threads' stacks and malloc arenas, the
/// stack grown for a deep query (128 bytes per byte of SQL, 32 MiB at most), and what
/// one query may take. The reader before budgets needed 2.8 GB for 10,000 CTEs.
#[cfg(target_os = "linux")]
const ADDRESS_SPACE_BYTES: u64 = 320 * 1024 * 1024;

#[cfg(target_os = "linux")]
#[test]
fn hostile_queries_are_read_within_a_capped_address_space() {
    let me = std::env::current_exe().expect("the test binary's path");
    let output = std::process::Command::new("prlimit")
        .arg(format!("--as={ADDRESS_SPACE_BYTES}"))
        .arg("--")
        .arg(me)
        .args([
            "--exact",
            "hostile_queries_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .expect("run the test binary under prlimit (util-linux)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains(DONE),
        "the reader did not finish within {ADDRESS_SPACE_BYTES} bytes of address space \
         ({}):\n{stdout}\n{stderr}",
        output.status
    );
}

/// Reads the hostile queries; does nothing unless started by the test above.
#[cfg(target_os = "linux")]
#[test]
fn hostile_queries_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let over = [cte_chain(30_000), cte_chain(10_000), cte_chain(5_000)];
    for query in &over {
        assert!(names(query).is_err());
    }
    let within = [
        cte_chain(MAX_QUERY_SELECTS - 1),
        from_list(MAX_QUERY_TOKENS / 2 - 10),
        format!(
            "SELECT 1{} FROM s.t",
            " + 1".repeat(MAX_QUERY_TOKENS / 2 - 10)
        ),
    ];
    for query in &within {
        assert!(names(query).is_ok());
    }
    println!("{DONE}");
}
