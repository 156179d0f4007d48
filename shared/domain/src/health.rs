//! Data health of exposures (PRODUCT.md S10) and which ones a dbt build rebuilt (S8).
//!
//! An exposure's health follows the latest results of every node upstream of it —
//! transitively through the manifest's `parent_map` — and of the tests on those nodes:
//!
//! * **Degraded**: a failed build, a test that failed or errored, a source freshness error;
//! * **Caution**: a skipped node, a test warning, a source freshness warning;
//! * **Healthy**: results exist and none of the above;
//! * **Unknown**: no result for any upstream node or its tests.
//!
//! Every report carries its reasons, naming the node or test, sorted, so the same inputs
//! always give the same output.
//!
//! ```
//! use autoexpose_domain::dag::{Dag, TestTargets};
//! use autoexpose_domain::health::{Health, ProjectHealth};
//! use autoexpose_domain::run_results::{NodeResult, ResultsKind};
//!
//! let dag = Dag::from_parents([("model.shop.orders".to_string(), vec!["source.shop.raw.orders".to_string()])]);
//! let failed = NodeResult { kind: ResultsKind::SourceFreshness, unique_id: "source.shop.raw.orders".into(),
//!     status: "error".into(), message: None, failures: None, generated_at: None, invocation_id: None };
//! let (tests, results) = (TestTargets::default(), [failed]);
//! let health = ProjectHealth::new(&dag, &tests, &results);
//! let report = health.exposure(&["model.shop.orders".to_string()]);
//! assert_eq!(report.health, Health::Degraded);
//! assert!(report.reasons[0].contains("source.shop.raw.orders"));
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::dag::{Dag, TestTargets, is_test};
use crate::run_results::{NodeResult, ResultsKind};

/// An exposure's data health signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Health {
    /// No results for anything upstream.
    Unknown,
    /// Sources fresh, models built, tests passed.
    Healthy,
    /// A freshness warning, a skipped node or a test warning.
    Caution,
    /// A freshness error, a failed build, or a failed or errored test.
    Degraded,
}

impl Health {
    /// The word shown in the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Unknown => "Unknown",
            Health::Healthy => "Healthy",
            Health::Caution => "Caution",
            Health::Degraded => "Degraded",
        }
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An exposure's health and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthReport {
    /// The signal.
    pub health: Health,
    /// What decided it, naming nodes and tests; sorted.
    pub reasons: Vec<String>,
}

/// Every node upstream of `depends_on`, the nodes themselves included.
pub fn upstream_nodes(depends_on: &[String], dag: &Dag) -> BTreeSet<String> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut todo: Vec<String> = depends_on.to_vec();
    while let Some(node) = todo.pop() {
        if seen.insert(node.clone()) {
            todo.extend(dag.parents(&node).map(str::to_string));
        }
    }
    seen
}

/// How one result counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Fine,
    Caution,
    Degraded,
    Ignored,
}

fn verdict(result: &NodeResult) -> (Verdict, String) {
    let id = &result.unique_id;
    let detail = result
        .message
        .as_deref()
        .map(|m| format!(": {m}"))
        .unwrap_or_default();
    let status = result.status.as_str();
    let freshness =
        result.kind == ResultsKind::SourceFreshness || result.unique_id.starts_with("source.");
    if freshness {
        return match status {
            "pass" | "success" => (Verdict::Fine, String::new()),
            "warn" => (
                Verdict::Caution,
                format!("source {id} freshness warning{detail}"),
            ),
            "error" | "runtime error" => (
                Verdict::Degraded,
                format!("source {id} freshness error{detail}"),
            ),
            _ => (Verdict::Ignored, String::new()),
        };
    }
    if is_test(id) {
        let rows = result
            .failures
            .filter(|n| *n > 0)
            .map(|n| format!(" ({n} failing rows)"))
            .unwrap_or_default();
        return match status {
            "pass" | "success" => (Verdict::Fine, String::new()),
            "warn" => (Verdict::Caution, format!("test {id} warned{rows}{detail}")),
            "skipped" => (Verdict::Caution, format!("test {id} was skipped")),
            "fail" => (Verdict::Degraded, format!("test {id} failed{rows}{detail}")),
            "error" | "runtime error" => (Verdict::Degraded, format!("test {id} errored{detail}")),
            _ => (Verdict::Ignored, String::new()),
        };
    }
    match status {
        "success" | "pass" | "no-op" => (Verdict::Fine, String::new()),
        "skipped" => (Verdict::Caution, format!("{id} was skipped{detail}")),
        "warn" => (Verdict::Caution, format!("{id} warned{detail}")),
        "error" | "fail" | "runtime error" | "partial success" => {
            (Verdict::Degraded, format!("{id} failed to build{detail}"))
        }
        _ => (Verdict::Ignored, String::new()),
    }
}

/// The latest results of a dbt project, indexed for health questions.
#[derive(Debug, Clone)]
pub struct ProjectHealth<'a> {
    dag: &'a Dag,
    results: BTreeMap<(&'a str, ResultsKind), &'a NodeResult>,
    tests_of: BTreeMap<&'a str, Vec<&'a NodeResult>>,
}

impl<'a> ProjectHealth<'a> {
    /// Indexes `results` (the latest per node and kind) against the DAG and the tests'
    /// targets.
    pub fn new(dag: &'a Dag, tests: &'a TestTargets, results: &'a [NodeResult]) -> Self {
        let mut by_node = BTreeMap::new();
        let mut tests_of: BTreeMap<&'a str, Vec<&'a NodeResult>> = BTreeMap::new();
        for result in results {
            if is_test(&result.unique_id) {
                for target in tests.targets(&result.unique_id) {
                    tests_of.entry(target).or_default().push(result);
                }
            } else {
                by_node.insert((result.unique_id.as_str(), result.kind), result);
            }
        }
        ProjectHealth {
            dag,
            results: by_node,
            tests_of,
        }
    }

    /// The health of an exposure that depends on these nodes.
    pub fn exposure(&self, depends_on: &[String]) -> HealthReport {
        if depends_on.is_empty() {
            return HealthReport {
                health: Health::Unknown,
                reasons: vec!["it depends on no dbt node".into()],
            };
        }
        let mut seen = 0usize;
        let (mut built, mut fresh, mut passed) = (0usize, 0usize, 0usize);
        let mut caution = BTreeSet::new();
        let mut degraded = BTreeSet::new();
        for node in upstream_nodes(depends_on, self.dag) {
            let own = [ResultsKind::RunResults, ResultsKind::SourceFreshness]
                .into_iter()
                .filter_map(|k| self.results.get(&(node.as_str(), k)).copied());
            let tests = self.tests_of.get(node.as_str()).into_iter().flatten();
            for result in own.chain(tests.copied()) {
                let (verdict, reason) = verdict(result);
                match verdict {
                    Verdict::Ignored => continue,
                    Verdict::Fine if is_test(&result.unique_id) => passed += 1,
                    Verdict::Fine if result.kind == ResultsKind::SourceFreshness => fresh += 1,
                    Verdict::Fine => built += 1,
                    Verdict::Caution => {
                        caution.insert(reason);
                    }
                    Verdict::Degraded => {
                        degraded.insert(reason);
                    }
                }
                seen += 1;
            }
        }
        if !degraded.is_empty() {
            return HealthReport {
                health: Health::Degraded,
                reasons: degraded.into_iter().chain(caution).collect(),
            };
        }
        if !caution.is_empty() {
            return HealthReport {
                health: Health::Caution,
                reasons: caution.into_iter().collect(),
            };
        }
        if seen == 0 {
            return HealthReport {
                health: Health::Unknown,
                reasons: vec![
                    "no run results or source freshness for its upstream nodes yet".into(),
                ],
            };
        }
        HealthReport {
            health: Health::Healthy,
            reasons: vec![format!(
                "{} built, {} passed, {} fresh",
                counted(built, "upstream node", "upstream nodes"),
                counted(passed, "test", "tests"),
                counted(fresh, "source", "sources")
            )],
        }
    }
}

/// Whether one dbt invocation calls for refreshing an exposure's extracts (PRODUCT.md S8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshDecision {
    /// At least one upstream node was rebuilt successfully and none failed.
    Refresh {
        /// The upstream nodes rebuilt, sorted.
        rebuilt: Vec<String>,
    },
    /// Nothing upstream was rebuilt in this invocation.
    NothingRebuilt,
    /// Something upstream failed (a build, or a test that failed or errored).
    UpstreamFailed {
        /// What failed, naming nodes and tests; sorted.
        reasons: Vec<String>,
    },
}

/// Decides from one invocation's run results whether an exposure's extracts are refreshed.
pub fn refresh_decision(
    depends_on: &[String],
    dag: &Dag,
    tests: &TestTargets,
    invocation: &[NodeResult],
) -> RefreshDecision {
    let upstream = upstream_nodes(depends_on, dag);
    let mut rebuilt = Vec::new();
    let mut failed = BTreeSet::new();
    for result in invocation {
        if result.kind != ResultsKind::RunResults {
            continue;
        }
        let relevant = if is_test(&result.unique_id) {
            tests
                .targets(&result.unique_id)
                .any(|t| upstream.contains(t))
        } else {
            upstream.contains(&result.unique_id)
        };
        if !relevant {
            continue;
        }
        let (verdict, reason) = verdict(result);
        match verdict {
            Verdict::Degraded => {
                failed.insert(reason);
            }
            Verdict::Fine if !is_test(&result.unique_id) => rebuilt.push(result.unique_id.clone()),
            _ => {}
        }
    }
    if !failed.is_empty() {
        return RefreshDecision::UpstreamFailed {
            reasons: failed.into_iter().collect(),
        };
    }
    if rebuilt.is_empty() {
        return RefreshDecision::NothingRebuilt;
    }
    rebuilt.sort();
    rebuilt.dedup();
    RefreshDecision::Refresh { rebuilt }
}

/// `count` and the noun in the number it takes: "1 test", "2 tests".
fn counted(count: usize, singular: &str, plural: &str) -> String {
    format!("{count} {}", if count == 1 { singular } else { plural })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dag() -> Dag {
        Dag::from_parents([
            (
                "model.shop.orders".to_string(),
                vec!["model.shop.stg_orders".to_string()],
            ),
            (
                "model.shop.stg_orders".to_string(),
                vec!["source.shop.raw.orders".to_string()],
            ),
            ("model.shop.customers".to_string(), vec![]),
        ])
    }

    fn tests() -> TestTargets {
        TestTargets::from_pairs([
            (
                "test.shop.not_null_stg_orders_id.1".to_string(),
                vec!["model.shop.stg_orders".to_string()],
            ),
            (
                "test.shop.unique_customers_id.2".to_string(),
                vec!["model.shop.customers".to_string()],
            ),
        ])
    }

    fn run(id: &str, status: &str) -> NodeResult {
        NodeResult {
            kind: ResultsKind::RunResults,
            unique_id: id.into(),
            status: status.into(),
            message: None,
            failures: None,
            generated_at: None,
            invocation_id: None,
        }
    }

    fn freshness(id: &str, status: &str) -> NodeResult {
        NodeResult {
            kind: ResultsKind::SourceFreshness,
            ..run(id, status)
        }
    }

    fn health_of(results: &[NodeResult]) -> HealthReport {
        let (dag, tests) = (dag(), tests());
        ProjectHealth::new(&dag, &tests, results).exposure(&["model.shop.orders".to_string()])
    }

    #[test]
    fn all_built_tests_passed_and_fresh_is_healthy() {
        let report = health_of(&[
            run("model.shop.orders", "success"),
            run("model.shop.stg_orders", "success"),
            run("test.shop.not_null_stg_orders_id.1", "pass"),
            freshness("source.shop.raw.orders", "pass"),
        ]);
        assert_eq!(report.health, Health::Healthy);
        assert_eq!(
            report.reasons,
            ["2 upstream nodes built, 1 test passed, 1 source fresh"]
        );
    }

    #[test]
    fn a_test_warning_two_levels_up_is_caution_naming_the_test() {
        let report = health_of(&[
            run("model.shop.orders", "success"),
            run("test.shop.not_null_stg_orders_id.1", "warn"),
        ]);
        assert_eq!(report.health, Health::Caution);
        assert_eq!(
            report.reasons,
            ["test test.shop.not_null_stg_orders_id.1 warned"]
        );
    }

    #[test]
    fn a_skipped_model_or_freshness_warning_is_caution() {
        let report = health_of(&[run("model.shop.stg_orders", "skipped")]);
        assert_eq!(report.health, Health::Caution);
        let report = health_of(&[freshness("source.shop.raw.orders", "warn")]);
        assert_eq!(report.health, Health::Caution);
        assert!(report.reasons[0].contains("source.shop.raw.orders freshness warning"));
    }

    #[test]
    fn a_failed_build_test_error_or_freshness_error_is_degraded() {
        let mut failed = run("model.shop.stg_orders", "error");
        failed.message = Some("Database Error: relation missing".into());
        let report = health_of(&[failed, run("model.shop.orders", "success")]);
        assert_eq!(report.health, Health::Degraded);
        assert_eq!(
            report.reasons,
            ["model.shop.stg_orders failed to build: Database Error: relation missing"]
        );
        let report = health_of(&[run("test.shop.not_null_stg_orders_id.1", "error")]);
        assert_eq!(report.health, Health::Degraded);
        let report = health_of(&[freshness("source.shop.raw.orders", "runtime error")]);
        assert_eq!(report.health, Health::Degraded);
    }

    #[test]
    fn degraded_outranks_caution_and_lists_both() {
        let report = health_of(&[
            run("model.shop.stg_orders", "skipped"),
            freshness("source.shop.raw.orders", "error"),
        ]);
        assert_eq!(report.health, Health::Degraded);
        assert_eq!(report.reasons.len(), 2);
    }

    #[test]
    fn results_elsewhere_in_the_project_leave_it_unknown() {
        let report = health_of(&[
            run("model.shop.customers", "error"),
            run("test.shop.unique_customers_id.2", "fail"),
        ]);
        assert_eq!(report.health, Health::Unknown);
    }

    #[test]
    fn refresh_needs_a_rebuilt_upstream_node_and_no_failure() {
        let (dag, tests) = (dag(), tests());
        let deps = ["model.shop.orders".to_string()];
        assert_eq!(
            refresh_decision(
                &deps,
                &dag,
                &tests,
                &[run("model.shop.stg_orders", "success")]
            ),
            RefreshDecision::Refresh {
                rebuilt: vec!["model.shop.stg_orders".into()]
            }
        );
        assert_eq!(
            refresh_decision(
                &deps,
                &dag,
                &tests,
                &[run("model.shop.customers", "success")]
            ),
            RefreshDecision::NothingRebuilt
        );
        let decision = refresh_decision(
            &deps,
            &dag,
            &tests,
            &[
                run("model.shop.orders", "success"),
                run("test.shop.not_null_stg_orders_id.1", "fail"),
            ],
        );
        assert!(
            matches!(decision, RefreshDecision::UpstreamFailed { ref reasons } if reasons[0].contains("not_null_stg_orders_id")),
            "{decision:?}"
        );
    }
}
