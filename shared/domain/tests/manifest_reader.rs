//! `Manifest::from_reader` reads piece by piece what `Manifest::from_slice` reads whole:
//! the same manifest from every real one, and the same error, word for word, from every
//! broken one, however the reader cuts its reads.

use std::io::Read;
use std::path::Path;

use autoexpose_domain::{Manifest, ManifestError};

/// A reader that hands out at most `step` bytes per read, so pieces and characters are cut
/// at every possible place.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(out.len()).min(self.bytes.len());
        out[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

fn read_in_steps(bytes: &[u8], step: usize) -> Result<Manifest, ManifestError> {
    Manifest::from_reader(Trickle { bytes, step })
}

fn assert_same(bytes: &[u8], steps: &[usize], what: &str) {
    let whole = Manifest::from_slice(bytes);
    for &step in steps {
        assert_eq!(
            read_in_steps(bytes, step),
            whole,
            "{what}, read {step} bytes at a time"
        );
    }
}

fn repository_file(path: &str) -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read(root.join(path)).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

const REAL_MANIFESTS: &[&str] = &[
    "examples/jaffle-shop/manifest.json",
    "tests/e2e/fixtures/manifest.json",
    "shared/output/tests/fixtures/inject/dbt1.9/manifest_before.json",
    "shared/output/tests/fixtures/inject/dbt1.11/manifest_before.json",
    "shared/domain/tests/fixtures/manifest-v7.json",
    "shared/domain/tests/fixtures/manifest-fusion-v20.json",
];

const SEEDS: &[&str] = &[
    "fuzz/seeds/manifest/fusion-v20",
    "fuzz/seeds/manifest/too-old",
    "fuzz/seeds/manifest/truncated",
    "fuzz/seeds/manifest/v12",
    "fuzz/seeds/manifest/v7-project-id",
    "fuzz/seeds/manifest/wrong-artifact",
    "fuzz/artifacts-found/manifest/long-number-version",
];

#[test]
fn real_manifests_read_the_same_from_a_reader() {
    for path in REAL_MANIFESTS {
        let bytes = repository_file(path);
        let whole = Manifest::from_slice(&bytes).expect("a real manifest reads");
        assert!(!whole.relations.is_empty(), "{path} has relations");
        assert_same(&bytes, &[1, 3, 4096, usize::MAX], path);
    }
}

#[test]
fn fuzz_seeds_read_the_same_from_a_reader() {
    for path in SEEDS {
        assert_same(&repository_file(path), &[1, 2, 5, usize::MAX], path);
    }
}

#[test]
fn every_cut_and_every_wrong_byte_is_refused_with_the_same_error() {
    let good = repository_file("fuzz/seeds/manifest/v12");
    assert!(Manifest::from_slice(&good).is_ok());
    for len in 0..good.len() {
        assert_same(&good[..len], &[1, usize::MAX], &format!("cut at {len}"));
    }
    let wrong: &[u8] = b"}],\":{[\\x0 \x01\xff";
    for at in 0..good.len() {
        for &byte in wrong {
            let mut bytes = good.clone();
            bytes[at] = byte;
            assert_same(&bytes, &[5], &format!("byte {at} made {byte:#04x}"));
        }
    }
}

#[test]
fn odd_documents_are_refused_with_the_same_error() {
    let documents: &[&[u8]] = &[
        b"",
        b"   \n\t",
        "\u{a0} \u{2028}".as_bytes(),
        "\u{a0}{}".as_bytes(),
        b"[]",
        b"[{\"metadata\": {}}]",
        b"\"a manifest\"",
        b"null",
        b"12",
        b"tru",
        b"{}",
        b"{} {}",
        b"{}  x",
        b"{\"nodes\": null, \"nodes\": {}}",
        b"{\"metadata\": null, \"metadata\": {}}",
        b"{\"parent_map\": []}",
        b"{\"nodes\": []}",
        b"{\"nodes\": {\"a\": 1}}",
        b"{\"nodes\": {\"a\": null}, \"macros\": {\"m\": [1,]}}",
        b"{\"macros\": {\"m\": 1,}}",
        b"{\"macros\": [1, 2}",
        b"{\"docs\": {\"d\" 1}}",
        b"{\"nod\\u0065s\": {}, \"metadata\": {\"dbt_schema_version\": \"https://schemas.getdbt.com/dbt/manifest/v12.json\"}}",
        b"{\"nodes\": {\"model.p.a\": {\"resource_type\": \"model\", \"name\": \"a\", \"schema\": \"s\", \"version\": [[[1]]]}}}",
        b"{\"nodes\": {\"model.p.a\": {\"name\": \"a\\ud800\"}}}",
        b"{\"metadata\": {\"dbt_schema_version\": 7}}",
        b"{\"metadata\": {}, \"nodes\": {}, \"child_map\": {\"a\": [\"b\"]}}\n\n  ",
    ];
    for document in documents {
        assert_same(
            document,
            &[1, usize::MAX],
            &String::from_utf8_lossy(document),
        );
    }
}

#[test]
fn a_reader_that_fails_is_an_io_error() {
    struct Broken;
    impl Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("connection reset"))
        }
    }
    let err = Manifest::from_reader(Broken).expect_err("fails");
    assert_eq!(err, ManifestError::Io("connection reset".into()));
}

/// Found by the fuzz target comparing the two readers (fuzz/artifacts-found/manifest/
/// unicode-escape-cut-by-quote): `"\u"max…` is an invalid escape to serde_json, which reads
/// four hex digits after `\u` whatever they are; the streaming reader once cut the string
/// at the quote and called it truncated.
#[test]
fn a_unicode_escape_cut_short_by_a_quote_is_the_same_invalid_escape() {
    let bytes = br#""\u"max_loaded_at_time_ago_in_s"{"metadata": {}}"#;
    let whole = Manifest::from_slice(bytes);
    assert!(
        matches!(&whole, Err(ManifestError::NotJson(m)) if m.contains("invalid escape")),
        "{whole:?}"
    );
    for step in [1, 2, 3, 7, 64, 4096] {
        assert_eq!(
            read_in_steps(bytes, step),
            whole,
            "read {step} bytes at a time"
        );
    }
}

/// Found by the same fuzz target (fuzz/artifacts-found/manifest/duplicate-field-without-colon):
/// serde_json reads a key's colon only when its value is asked for, so a field given twice
/// is refused as a duplicate even when no colon follows; the streaming reader once
/// checked the colon first.
#[test]
fn a_field_given_twice_is_a_duplicate_before_its_missing_colon() {
    let bytes = br#"{"metadata":{"dbt_schema_version":"https://schemas.getdbt.com/dbt/manifest/v7.json"},"nodes":{},"nodes""parent_map":null}"#;
    let whole = Manifest::from_slice(bytes);
    assert!(
        matches!(&whole, Err(ManifestError::Shape(m)) if m.contains("duplicate field `nodes`")),
        "{whole:?}"
    );
    for step in [1, 2, 3, 7, 60, 4096] {
        assert_eq!(
            read_in_steps(bytes, step),
            whole,
            "read {step} bytes at a time"
        );
    }
}
