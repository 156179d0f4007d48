//! The manifest reader under hostile input: `Manifest::from_slice` never panics; what it
//! accepts is sorted as documented, its DAG holds only lineage nodes and its test targets
//! only what the tests' entries list; and reading through the JSON tree
//! (`Manifest::with_tree`, the path of the writers that inject exposures) agrees with
//! reading the same tree as text and with the tree's own `parent_map`. (The text round trip
//! once failed for a 60-digit model `version` read 1 ULP off, before serde_json's
//! `float_roundtrip`; fuzz/artifacts-found/manifest/long-number-version.) And the streaming
//! reader (`Manifest::from_reader`, cutting its reads at a place chosen by the input) gives
//! exactly what `from_slice` gives, the same manifest or the same error (for input nested
//! deeper than serde_json's limit, an error at another place: the documented difference).
#![no_main]

use std::collections::BTreeSet;

use autoexpose_domain::{Manifest, RelationKind};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// Hands out at most `step` bytes per read.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(out.len()).min(self.bytes.len());
        out[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let whole = Manifest::from_slice(data);
    if let Ok(manifest) = &whole {
        check_manifest(manifest);
    }
    let step = 1 + data.first().map_or(0, |b| usize::from(*b)) % 64;
    let streamed = Manifest::from_reader(Trickle { bytes: data, step });
    if is_too_deep(&whole) || is_too_deep(&streamed) {
        // The one documented difference (shared/domain/src/manifest/stream.rs): serde_json's
        // nesting limit counts from the piece when streaming, so the two refuse the same
        // too-deep input at different places, or in other words.
        assert!(whole.is_err() && streamed.is_err(), "{whole:?} / {streamed:?}");
    } else {
        assert_eq!(streamed, whole, "read {step} bytes at a time");
    }
    if let Ok((manifest, tree)) = Manifest::with_tree(data) {
        check_manifest(&manifest);
        check_graph_against_tree(&manifest, &tree);
        // The tree written out and read again as text gives the same manifest. (The bytes
        // themselves may differ from the tree: a key given twice is merged by the
        // streaming reader and kept once, the last, by the tree.)
        let text = serde_json::to_vec(&tree).expect("a parsed tree serializes");
        assert_eq!(Manifest::from_slice(&text).as_ref(), Ok(&manifest));
    }
});

/// Whether serde_json refused the input for nesting deeper than its limit.
fn is_too_deep(result: &Result<Manifest, autoexpose_domain::ManifestError>) -> bool {
    result
        .as_ref()
        .is_err_and(|e| e.to_string().contains("recursion limit exceeded"))
}

/// What holds of every manifest the reader accepts, whatever the input.
fn check_manifest(manifest: &Manifest) {
    assert!(manifest.metadata.schema_version >= 7);
    assert!(
        manifest
            .relations
            .is_sorted_by(|a, b| a.unique_id <= b.unique_id)
    );
    assert!(
        manifest
            .exposures
            .is_sorted_by(|a, b| a.unique_id <= b.unique_id)
    );
    for relation in &manifest.relations {
        assert_ne!(relation.database.as_deref(), Some(""));
    }
    for exposure in &manifest.exposures {
        assert!(is_strictly_sorted(&exposure.depends_on));
    }
    // Walk the DAG from every relation and every manual exposure's inputs, as health does.
    let mut queue: Vec<&str> = manifest
        .relations
        .iter()
        .map(|r| r.unique_id.as_str())
        .chain(
            manifest
                .exposures
                .iter()
                .flat_map(|e| e.depends_on.iter().map(String::as_str)),
        )
        .collect();
    let mut seen = BTreeSet::new();
    while let Some(node) = queue.pop() {
        if !seen.insert(node) {
            continue;
        }
        let parents: Vec<&str> = manifest.dag().parents(node).collect();
        assert_eq!(parents.len(), manifest.dag().parents(node).len());
        assert!(is_strictly_sorted(&parents), "{node}: {parents:?}");
        for parent in &parents {
            assert!(RelationKind::of_unique_id(parent).is_some(), "{parent}");
        }
        queue.extend(parents);
    }
}

/// The graph read from a tree is exactly the tree's `parent_map`: each relation's entry
/// its lineage parents, each test's entry everything it lists, sorted and deduplicated;
/// nothing else has an entry.
fn check_graph_against_tree(manifest: &Manifest, tree: &Value) {
    let Some(Value::Object(parent_map)) = tree.get("parent_map") else {
        assert!(manifest.dag().is_empty());
        return;
    };
    let mut lineage_entries = 0;
    for (node, list) in parent_map {
        let listed: Vec<&str> = match list {
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let lineage = RelationKind::of_unique_id(node).is_some();
        let test = node.starts_with("test.") || node.starts_with("unit_test.");
        let expected: BTreeSet<&str> = listed
            .into_iter()
            .filter(|id| !lineage || RelationKind::of_unique_id(id).is_some())
            .collect();
        let parents: Vec<&str> = manifest.dag().parents(node).collect();
        let targets: Vec<&str> = manifest.test_targets().targets(node).collect();
        if lineage {
            lineage_entries += 1;
            assert!(parents.iter().copied().eq(expected.iter().copied()));
        } else {
            assert!(parents.is_empty());
        }
        if test {
            assert!(targets.iter().copied().eq(expected.iter().copied()));
        } else {
            assert!(targets.is_empty());
        }
    }
    assert_eq!(manifest.dag().len(), lineage_entries);
}

fn is_strictly_sorted<T: AsRef<str>>(ids: &[T]) -> bool {
    ids.is_sorted_by(|a, b| a.as_ref() < b.as_ref())
}
