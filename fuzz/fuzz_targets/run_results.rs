//! The run-results and source-freshness reader under hostile input: `parse_results` never
//! panics; what it accepts has one result per entry of `results`, each stamped with the
//! file's metadata, its status normalised and its message cut as documented.
//!
//! The reader is more lenient than a JSON tree: fields it skips may hold bytes that are
//! not UTF-8 or lone surrogate escapes (serde_json does not check skipped strings), so the
//! comparison with the tree is made only when the bytes are a tree too. What it accepts
//! is an object with a `unique_id` on every result (it once read `[[],[[""],[""]]]`,
//! fuzz/artifacts-found/run_results/array-form).
#![no_main]

use autoexpose_domain::run_results::{MAX_MESSAGE_CHARS, ResultsKind, parse_results};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(file) = parse_results(data) else {
        return;
    };
    let tree = serde_json::from_slice::<Value>(data).ok();
    assert!(
        tree.as_ref().is_none_or(Value::is_object),
        "accepted a non-object"
    );
    assert!(file.results.iter().all(|r| !r.unique_id.trim().is_empty()));
    if let Some(tree) = tree.filter(Value::is_object) {
        let entries = tree["results"].as_array().map_or(0, Vec::len);
        assert_eq!(file.results.len(), entries);
        if let Some(version) = tree["metadata"]["dbt_schema_version"].as_str() {
            let expected = if version.contains("/sources/") {
                ResultsKind::SourceFreshness
            } else {
                ResultsKind::RunResults
            };
            assert_eq!(file.kind, expected);
        }
    }
    for result in &file.results {
        assert_eq!(result.kind, file.kind);
        assert_eq!(result.generated_at, file.generated_at);
        assert_eq!(result.invocation_id, file.invocation_id);
        assert_eq!(result.status.trim().to_lowercase(), result.status);
        if let Some(message) = &result.message {
            assert!(!message.is_empty());
            // The cut keeps MAX_MESSAGE_CHARS characters and adds an ellipsis.
            assert!(message.chars().count() <= MAX_MESSAGE_CHARS + 1);
        }
    }
});
