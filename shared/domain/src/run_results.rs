//! dbt's `run_results.json` (what `dbt build`/`run`/`test` did to each node) and
//! `sources.json` (what `dbt source freshness` found), read leniently into one shape.
//!
//! Only what health and extract refreshes need is read: each result's `unique_id`,
//! `status`, `message` and `failures` (run results), or `status`, `error` and
//! `max_loaded_at_time_ago_in_s` (freshness). Everything else is skipped unread, so any
//! schema version dbt writes (run-results v4–v6, sources v3) is accepted.
//!
//! ```
//! use autoexpose_domain::run_results::{ResultsKind, parse_results};
//!
//! let file = parse_results(br#"{
//!   "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json",
//!                "generated_at": "2025-03-01T07:10:00Z", "invocation_id": "b1"},
//!   "results": [{"unique_id": "model.shop.orders", "status": "success", "message": "SUCCESS 1"}]
//! }"#).unwrap();
//! assert_eq!(file.kind, ResultsKind::RunResults);
//! assert_eq!(file.results[0].status, "success");
//! ```

use serde::{Deserialize, Serialize};

use crate::error::json_error;
use crate::object::Object;
use crate::printable::printable;
use crate::timestamp::canonical_generated_at;

/// Longest message kept per result: a compiled-SQL error can be pages long.
pub const MAX_MESSAGE_CHARS: usize = 500;

/// Which artifact a result came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultsKind {
    /// `run_results.json`: models, seeds, snapshots and tests built or run.
    RunResults,
    /// `sources.json`: source freshness.
    SourceFreshness,
}

impl ResultsKind {
    /// The word stored and shown for it.
    pub fn as_str(self) -> &'static str {
        match self {
            ResultsKind::RunResults => "run_results",
            ResultsKind::SourceFreshness => "source_freshness",
        }
    }

    /// The file dbt writes it to.
    pub fn file_name(self) -> &'static str {
        match self {
            ResultsKind::RunResults => "run_results.json",
            ResultsKind::SourceFreshness => "sources.json",
        }
    }
}

/// What dbt reported for one node in one invocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeResult {
    /// Which artifact it came from.
    pub kind: ResultsKind,
    /// dbt unique id, e.g. `model.shop.orders` or `test.shop.not_null_orders_id.5f1b2c`.
    pub unique_id: String,
    /// dbt's status word, lower case: `success`, `error`, `skipped`, `warn`, `pass`,
    /// `fail`, `runtime error`, ...
    pub status: String,
    /// dbt's message (or freshness age), cut to [`MAX_MESSAGE_CHARS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Failing rows of a test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failures: Option<u64>,
    /// `metadata.generated_at` of the file it came from, canonical as in [`ResultsFile`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_at: Option<String>,
    /// `metadata.invocation_id` of the file it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_id: Option<String>,
}

/// One `run_results.json` or `sources.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultsFile {
    /// Which of the two it is.
    pub kind: ResultsKind,
    /// `metadata.generated_at`, canonical: UTC with six digits of fraction as dbt Core writes it, so that
    /// string order is time order (see [`crate::timestamp`]).
    pub generated_at: Option<String>,
    /// `metadata.invocation_id`.
    pub invocation_id: Option<String>,
    /// One per node, in file order.
    pub results: Vec<NodeResult>,
}

/// A results file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResultsError {
    /// Not JSON, or not the shape of a results file.
    #[error("it is not a dbt run_results.json or sources.json: {0}")]
    Shape(String),
    /// A timestamp dbt writes is there but is no timestamp.
    #[error(
        "its {field} '{value}' is not a timestamp (dbt writes e.g. {example}), so it cannot \
         be ordered against other results; upload the file dbt wrote",
        example = crate::timestamp::GENERATED_AT_EXAMPLE
    )]
    InvalidTimestamp {
        /// The field, e.g. `metadata.generated_at`.
        field: &'static str,
        /// What it holds, made printable and cut.
        value: String,
    },
    /// Another dbt artifact (a manifest, a catalog) was given.
    #[error(
        "its dbt_schema_version '{0}' is not run-results or sources; upload run_results.json or sources.json"
    )]
    WrongArtifact(String),
}

#[derive(Deserialize)]
struct RawFile {
    #[serde(default)]
    metadata: Option<Object<RawMetadata>>,
    #[serde(default)]
    results: Option<Vec<Object<RawResult>>>,
}

#[derive(Deserialize, Default)]
struct RawMetadata {
    #[serde(default)]
    dbt_schema_version: Option<String>,
    #[serde(default)]
    generated_at: Option<String>,
    #[serde(default)]
    invocation_id: Option<String>,
}

#[derive(Deserialize)]
struct RawResult {
    unique_id: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    failures: Option<u64>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    max_loaded_at_time_ago_in_s: Option<f64>,
}

/// Reads a `run_results.json` or `sources.json`; which one it is comes from
/// `metadata.dbt_schema_version` (or, without one, from the results' shape).
pub fn parse_results(bytes: &[u8]) -> Result<ResultsFile, ResultsError> {
    let Object(raw): Object<RawFile> =
        serde_json::from_slice(bytes).map_err(|e| ResultsError::Shape(json_error(&e)))?;
    let results: Vec<RawResult> = raw
        .results
        .ok_or_else(|| ResultsError::Shape("it has no `results` list".into()))?
        .into_iter()
        .map(|Object(r)| r)
        .collect();
    if results.iter().any(|r| r.unique_id.trim().is_empty()) {
        return Err(ResultsError::Shape(
            "a result has an empty `unique_id`".into(),
        ));
    }
    let mut metadata = raw.metadata.map(|Object(m)| m).unwrap_or_default();
    let kind = match metadata.dbt_schema_version.as_deref() {
        Some(v) if v.contains("/sources/") => ResultsKind::SourceFreshness,
        Some(v) if v.contains("/run-results/") => ResultsKind::RunResults,
        Some(v) => return Err(ResultsError::WrongArtifact(printable(v))),
        None if results
            .iter()
            .any(|r| r.max_loaded_at_time_ago_in_s.is_some()) =>
        {
            ResultsKind::SourceFreshness
        }
        None => ResultsKind::RunResults,
    };
    if let Some(text) = metadata.generated_at.take() {
        let canonical =
            canonical_generated_at(&text).ok_or_else(|| ResultsError::InvalidTimestamp {
                field: "metadata.generated_at",
                value: printable(&text),
            })?;
        metadata.generated_at = Some(canonical);
    }
    let results = results
        .into_iter()
        .map(|r| {
            let message = match kind {
                ResultsKind::SourceFreshness => r.error.or_else(|| {
                    r.max_loaded_at_time_ago_in_s
                        .map(|s| format!("last loaded {} ago", human_age(s)))
                }),
                ResultsKind::RunResults => r.message.or(r.error),
            };
            NodeResult {
                kind,
                unique_id: r.unique_id,
                status: r
                    .status
                    .map_or_else(|| "unknown".to_string(), |s| s.trim().to_lowercase()),
                message: message.map(|m| cut(m.trim())).filter(|m| !m.is_empty()),
                failures: r.failures,
                generated_at: metadata.generated_at.clone(),
                invocation_id: metadata.invocation_id.clone(),
            }
        })
        .collect();
    Ok(ResultsFile {
        kind,
        generated_at: metadata.generated_at,
        invocation_id: metadata.invocation_id,
        results,
    })
}

fn cut(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

fn human_age(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    if s >= 2 * 86_400 {
        format!("{} days", s / 86_400)
    } else if s >= 3_600 {
        format!("{} hours", s / 3_600)
    } else {
        format!("{} minutes", s / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_results_v6_are_read_with_status_message_and_failures() {
        let file = parse_results(
            br#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json",
                 "dbt_version": "1.9.4", "generated_at": "2025-03-01T07:10:00.000000Z", "invocation_id": "b1", "env": {}},
               "results": [
                 {"unique_id": "model.shop.orders", "status": "success", "timing": [], "thread_id": "Thread-1",
                  "execution_time": 1.2, "adapter_response": {"rows_affected": 10}, "message": "SUCCESS 10", "failures": null},
                 {"unique_id": "test.shop.not_null_orders_id.5f1b", "status": "fail", "timing": [], "thread_id": "Thread-2",
                  "execution_time": 0.3, "adapter_response": {}, "message": "Got 3 results, configured to fail if != 0", "failures": 3}],
               "elapsed_time": 4.2, "args": {"which": "build"}}"#,
        )
        .expect("reads");
        assert_eq!(file.kind, ResultsKind::RunResults);
        assert_eq!(file.invocation_id.as_deref(), Some("b1"));
        assert_eq!(file.results[1].status, "fail");
        assert_eq!(file.results[1].failures, Some(3));
        assert_eq!(file.results[0].generated_at, file.generated_at);
    }

    #[test]
    fn sources_json_gives_freshness_with_age_or_error() {
        let file = parse_results(
            br#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/sources/v3.json",
                 "generated_at": "2025-03-01T06:00:00Z", "invocation_id": "f1"},
               "results": [
                 {"unique_id": "source.shop.raw.sessions", "status": "warn", "max_loaded_at": "2025-02-28T00:00:00Z",
                  "snapshotted_at": "2025-03-01T06:00:00Z", "max_loaded_at_time_ago_in_s": 108000.0,
                  "criteria": {"warn_after": {"count": 12, "period": "hour"}}},
                 {"unique_id": "source.shop.raw.events", "status": "runtime error", "error": "relation does not exist"}],
               "elapsed_time": 1.0}"#,
        )
        .expect("reads");
        assert_eq!(file.kind, ResultsKind::SourceFreshness);
        assert_eq!(
            file.results[0].message.as_deref(),
            Some("last loaded 30 hours ago")
        );
        assert_eq!(file.results[1].status, "runtime error");
        assert_eq!(
            file.results[1].message.as_deref(),
            Some("relation does not exist")
        );
    }

    #[test]
    fn a_manifest_is_refused_as_the_wrong_artifact() {
        let err = parse_results(
            br#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"}, "results": []}"#,
        )
        .expect_err("wrong");
        assert!(matches!(err, ResultsError::WrongArtifact(_)), "{err}");
    }

    fn with_generated_at(schema: &str, generated_at: &str) -> Vec<u8> {
        format!(
            r#"{{"metadata": {{"dbt_schema_version": "https://schemas.getdbt.com/dbt/{schema}.json",
                 "generated_at": "{generated_at}", "invocation_id": "i"}},
               "results": [{{"unique_id": "model.a.b", "status": "success"}}]}}"#
        )
        .into_bytes()
    }

    #[test]
    fn a_generated_at_that_is_no_timestamp_is_refused_naming_the_field_and_value() {
        for (schema, value) in [("run-results/v6", "not a date"), ("sources/v3", "zzz")] {
            let err = parse_results(&with_generated_at(schema, value)).expect_err("refused");
            assert_eq!(
                err,
                ResultsError::InvalidTimestamp {
                    field: "metadata.generated_at",
                    value: value.into()
                }
            );
            let message = err.to_string();
            assert!(
                message.contains(&format!(
                    "metadata.generated_at '{value}' is not a timestamp"
                )),
                "{message}"
            );
        }
    }

    #[test]
    fn generated_at_is_canonical_in_the_file_and_in_each_result() {
        let file = parse_results(&with_generated_at("run-results/v6", "2025-03-01T07:10:00Z"))
            .expect("reads");
        let canonical = Some("2025-03-01T07:10:00.000000Z".to_string());
        assert_eq!(file.generated_at, canonical);
        assert_eq!(file.results[0].generated_at, canonical);
    }

    #[test]
    fn a_control_character_in_a_refused_generated_at_is_not_printed() {
        let err = parse_results(&with_generated_at("run-results/v6", "x\\u001b[2Jy"))
            .expect_err("refused");
        assert!(!err.to_string().contains('\u{1b}'), "{err}");
    }

    #[test]
    fn a_huge_schema_url_is_cut_in_the_wrong_artifact_message() {
        let huge = format!(
            r#"{{"metadata": {{"dbt_schema_version": "https://schemas.getdbt.com/dbt/catalog/{}"}}, "results": []}}"#,
            "v".repeat(1024 * 1024)
        );
        let err = parse_results(huge.as_bytes()).expect_err("wrong artifact");
        assert!(matches!(err, ResultsError::WrongArtifact(_)), "{err}");
        assert!(err.to_string().len() < 1_000);
    }

    #[test]
    fn long_messages_are_cut() {
        let long = "x".repeat(2_000);
        let json = format!(
            r#"{{"results": [{{"unique_id": "model.a.b", "status": "error", "message": "{long}"}}]}}"#
        );
        let file = parse_results(json.as_bytes()).expect("reads");
        let message = file.results[0].message.clone().unwrap_or_default();
        assert_eq!(message.chars().count(), MAX_MESSAGE_CHARS + 1);
    }

    /// Found by the `run_results` fuzz target (fuzz/artifacts-found/run_results/array-form).
    #[test]
    fn a_json_array_is_not_read_as_a_results_file() {
        for text in [
            r#"[[],[[""],[""]]]"#,
            r#"[{"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json"}, []]"#,
            r#"{"results": [["model.a.b", "success"]]}"#,
            r#"{"metadata": ["https://schemas.getdbt.com/dbt/run-results/v6.json"], "results": []}"#,
        ] {
            let err = parse_results(text.as_bytes()).expect_err(text);
            assert!(matches!(err, ResultsError::Shape(_)), "{text}: {err}");
        }
    }

    #[test]
    fn a_result_without_a_unique_id_refuses_the_file() {
        let err = parse_results(br#"{"results": [{"unique_id": " ", "status": "success"}]}"#)
            .expect_err("refused");
        assert!(err.to_string().contains("empty `unique_id`"), "{err}");
    }
}
