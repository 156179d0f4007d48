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

fn with_generated_at(value: &str) -> String {
    GOOD.replace(
        r#""dbt_schema_version""#,
        &format!(r#""generated_at": {value}, "dbt_schema_version""#),
    )
}

#[test]
fn a_generated_at_that_is_no_timestamp_is_refused_naming_the_field_and_value() {
    let err = Manifest::from_slice(with_generated_at(r#""not a date""#).as_bytes()).unwrap_err();
    assert_eq!(
        err,
        ManifestError::InvalidTimestamp {
            field: "metadata.generated_at",
            value: "not a date".into()
        }
    );
    let message = err.to_string();
    assert!(
        message.contains("metadata.generated_at 'not a date' is not a timestamp"),
        "{message}"
    );
    assert!(message.contains("2024-05-01T12:00:00.123456Z"), "{message}");
}

#[test]
fn a_missing_or_null_generated_at_is_left_for_the_caller_to_report() {
    let manifest = Manifest::from_slice(GOOD.as_bytes()).expect("reads");
    assert_eq!(manifest.metadata.generated_at, None);
    let manifest = Manifest::from_slice(with_generated_at("null").as_bytes()).expect("reads");
    assert_eq!(manifest.metadata.generated_at, None);
}

#[test]
fn a_generated_at_in_another_zone_is_read_as_canonical_utc() {
    let manifest =
        Manifest::from_slice(with_generated_at(r#""2024-05-01T14:00:00+02:00""#).as_bytes())
            .expect("reads");
    assert_eq!(
        manifest.metadata.generated_at.as_deref(),
        Some("2024-05-01T12:00:00.000000Z")
    );
}

#[test]
fn a_two_megabyte_dbt_schema_version_is_cut_in_the_message() {
    let huge = format!("v{}", "9".repeat(2 * 1024 * 1024));
    let manifest = GOOD.replace("v12.json", &format!("{huge}.json"));
    let err = Manifest::from_slice(manifest.as_bytes()).unwrap_err();
    assert!(matches!(err, ManifestError::UnknownSchema(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.len() < 1_000, "{} bytes", message.len());
    assert!(message.contains("bytes in all"), "{message}");
}

#[test]
fn control_characters_of_an_artifact_kind_are_not_printed() {
    let manifest = GOOD.replace(
        "/dbt/manifest/v12.json",
        "/dbt/\\u001b]0;owned\\u0007catalog/v1.json",
    );
    let err = Manifest::from_slice(manifest.as_bytes()).unwrap_err();
    assert_eq!(
        err,
        ManifestError::WrongArtifact {
            kind: "]0;ownedcatalog".into()
        }
    );
}

#[test]
fn a_huge_string_where_a_block_belongs_is_cut_in_the_shape_error() {
    let manifest = format!(
        r#"{{"metadata": {{}}, "nodes": "{}\u001b[2J"}}"#,
        "x".repeat(1024 * 1024)
    );
    let err = Manifest::from_slice(manifest.as_bytes()).unwrap_err();
    assert!(matches!(err, ManifestError::Shape(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.len() < 1_000, "{} bytes", message.len());
    assert!(!message.contains('\u{1b}'), "{message}");
    let (_, position) = message
        .rsplit_once(" at line 1 column ")
        .unwrap_or_default();
    assert!(position.parse::<usize>().is_ok(), "{message}");
}

/// serde's derived readers take a struct's fields as an array too; dbt writes objects.
#[test]
fn a_manifest_written_as_arrays_is_refused() {
    for text in [
        r#"[{"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"}, {}]"#,
        r#"{"metadata": ["https://schemas.getdbt.com/dbt/manifest/v12.json"], "nodes": {}}"#,
    ] {
        assert!(Manifest::from_slice(text.as_bytes()).is_err(), "{text}");
        assert!(Manifest::with_tree(text.as_bytes()).is_err(), "{text}");
    }
    let node_as_array = r#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},
        "nodes": {"model.a.m": ["model", "m", null, null, "s"]}}"#;
    assert!(Manifest::from_slice(node_as_array.as_bytes()).is_err());
}
