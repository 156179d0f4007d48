//! Broken manifests get an error that names the problem; nothing panics.

use autoexpose_domain::{Manifest, ManifestError};

const GOOD: &str = r#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},
  "nodes": {"model.p.orders": {"resource_type": "model", "name": "orders", "schema": "s"}}, "sources": {}}"#;

#[test]
fn truncated_manifest_says_it_is_truncated() {
    let cut = &GOOD.as_bytes()[..GOOD.len() / 2];
    let err = Manifest::from_slice(cut).unwrap_err();
    assert!(matches!(err, ManifestError::Truncated { .. }), "{err:?}");
    assert!(err.to_string().contains("truncated"));
}

#[test]
fn empty_manifest_says_it_is_empty() {
    assert_eq!(Manifest::from_slice(b"").unwrap_err(), ManifestError::Empty);
    assert_eq!(
        Manifest::from_slice(b"  \n").unwrap_err(),
        ManifestError::Empty
    );
}

#[test]
fn non_json_manifest_says_it_is_not_json() {
    let err = Manifest::from_slice(b"version: 2\nmodels: []\n").unwrap_err();
    assert!(matches!(err, ManifestError::NotJson(_)), "{err:?}");
}

#[test]
fn non_utf8_manifest_names_the_offset() {
    let mut bytes = GOOD.as_bytes().to_vec();
    bytes[10] = 0xff;
    assert_eq!(
        Manifest::from_slice(&bytes).unwrap_err(),
        ManifestError::NotUtf8 { offset: 10 }
    );
}

#[test]
fn run_results_instead_of_a_manifest_is_named_as_such() {
    let run_results = br#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json"}, "results": []}"#;
    let err = Manifest::from_slice(run_results).unwrap_err();
    assert_eq!(
        err,
        ManifestError::WrongArtifact {
            kind: "run-results".into()
        }
    );
    assert!(err.to_string().contains("not a manifest.json"));
    let no_nodes = br#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"}}"#;
    assert_eq!(
        Manifest::from_slice(no_nodes).unwrap_err(),
        ManifestError::MissingField("nodes")
    );
}

#[test]
fn wrongly_typed_blocks_are_shape_errors() {
    let err = Manifest::from_slice(br#"{"metadata": {}, "nodes": [1, 2]}"#).unwrap_err();
    assert!(matches!(err, ManifestError::Shape(_)), "{err:?}");
    let err = Manifest::from_slice(br#"[]"#).unwrap_err();
    assert!(matches!(err, ManifestError::Shape(_)), "{err:?}");
}
