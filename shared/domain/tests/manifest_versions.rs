//! Manifests of every schema family read into the same relations.

use autoexpose_domain::{
    Manifest, ManifestError, ManifestWarning, NEWEST_SCHEMA_VERSION, RelationKind,
};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

fn example_manifest() -> Vec<u8> {
    let path = format!(
        "{}/../../examples/jaffle-shop/manifest.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("example {path}: {e}"))
}

fn ids(manifest: &Manifest) -> Vec<&str> {
    manifest
        .relations
        .iter()
        .map(|r| r.unique_id.as_str())
        .collect()
}

#[test]
fn v7_manifest_with_list_refs_reads_models_seeds_and_sources() {
    let manifest = Manifest::from_slice(&fixture("manifest-v7.json")).expect("v7 parses");
    assert_eq!(manifest.metadata.schema_version, 7);
    assert_eq!(
        ids(&manifest),
        [
            "model.jaffle_shop.orders",
            "model.jaffle_shop.orders_daily",
            "seed.jaffle_shop.raw_customers",
            "source.jaffle_shop.legacy.customer_accounts",
        ]
    );
    let daily = &manifest.relations[1];
    assert_eq!(daily.identifier, "Orders_Daily");
    assert_eq!(daily.schema, "main_reporting");
    let source = &manifest.relations[3];
    assert_eq!(source.kind, RelationKind::Source);
    assert_eq!(source.identifier, "CustomerAccounts");
    assert_eq!(source.source_name.as_deref(), Some("legacy"));
}

#[test]
fn root_project_of_an_old_manifest_comes_from_its_project_id() {
    let manifest = Manifest::from_slice(&fixture("manifest-v7.json")).expect("v7 parses");
    assert_eq!(
        manifest.metadata.project_name.as_deref(),
        Some("jaffle_shop")
    );
}

#[test]
fn ephemeral_tests_analyses_hooks_and_disabled_nodes_never_become_relations() {
    let manifest = Manifest::from_slice(&fixture("manifest-v7.json")).expect("v7 parses");
    for id in ids(&manifest) {
        assert!(
            !id.contains("stg_orders")
                && !id.starts_with("test.")
                && !id.starts_with("analysis.")
                && !id.starts_with("operation.")
                && !id.contains("old_orders"),
            "{id} should not be matchable"
        );
    }
}

#[test]
fn v12_manifest_with_ref_objects_reads_versions_and_packages() {
    let manifest = Manifest::from_slice(&example_manifest()).expect("v12 parses");
    assert_eq!(manifest.metadata.schema_version, 12);
    assert_eq!(
        manifest.metadata.project_name.as_deref(),
        Some("jaffle_shop")
    );
    let v2 = manifest
        .relations
        .iter()
        .find(|r| r.unique_id == "model.jaffle_shop.customer_summary.v2")
        .expect("versioned model");
    assert_eq!(v2.identifier, "customer_summary_v2");
    assert_eq!(v2.version.as_deref(), Some("2"));
    let spine = manifest
        .relations
        .iter()
        .find(|r| r.name == "date_spine")
        .expect("package model");
    assert_eq!(spine.package, "dbt_utils_extras");
    assert!(manifest.relations.iter().all(|r| r.name != "stg_orders"));
    assert!(manifest.relations.iter().all(|r| r.name != "legacy_orders"));
}

#[test]
fn manual_exposures_are_read_with_list_emails() {
    let manifest = Manifest::from_slice(&example_manifest()).expect("v12 parses");
    let exposure = &manifest.exposures[0];
    assert_eq!(exposure.name, "weekly_jaffle_metrics");
    assert_eq!(exposure.owner_email.as_deref(), Some("data@jaffleshop.com"));
    assert_eq!(
        exposure.depends_on,
        ["model.jaffle_shop.customers", "model.jaffle_shop.orders"]
    );
}

#[test]
fn fusion_manifest_with_null_configs_and_missing_fields_reads() {
    let manifest =
        Manifest::from_slice(&fixture("manifest-fusion-v20.json")).expect("fusion parses");
    assert_eq!(manifest.metadata.schema_version, 20);
    assert_eq!(manifest.metadata.dbt_minor_version(), Some((2, 0)));
    assert_eq!(
        ids(&manifest),
        [
            "model.sales_analytics.dim_store",
            "model.sales_analytics.fct_sales",
            "source.sales_analytics.pos.transactions",
        ]
    );
    // A null alias falls back to the node name; a null database is a two-part name.
    let dim = &manifest.relations[0];
    assert_eq!(dim.identifier, "dim_store");
    assert_eq!(dim.database, None);
}

#[test]
fn heavy_fields_of_any_shape_are_skipped() {
    let text = r#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v11.json"},
      "nodes": {"model.p.m": {"resource_type": "model", "name": "m", "schema": "s",
        "compiled_code": "select '\u00e9' as \"x\"", "columns": {"a": {"meta": {"deep": [1, {"x": null}]}}},
        "docs": {"show": true}, "unknown_future_field": [[[]]], "version": "v1"}},
      "sources": null, "macros": {"macro.p.x": {"macro_sql": "{{ x }}"}}}"#;
    let manifest = Manifest::from_slice(text.as_bytes()).expect("parses");
    assert_eq!(manifest.relations.len(), 1);
    assert_eq!(manifest.relations[0].version.as_deref(), Some("v1"));
}

#[test]
fn manifests_older_than_v7_are_refused_with_the_reason() {
    let text = br#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v4.json"}, "nodes": {}}"#;
    let err = Manifest::from_slice(text).unwrap_err();
    assert_eq!(err, ManifestError::TooOld { version: 4 });
    assert!(err.to_string().contains("v7 (dbt 1.3)"));
}

#[test]
fn generated_at_of_core_and_fusion_is_canonical_so_string_order_is_time_order() {
    let core = Manifest::from_slice(&fixture("manifest-v7.json")).expect("v7 parses");
    let fusion = Manifest::from_slice(&fixture("manifest-fusion-v20.json")).expect("v20 parses");
    let core_at = core.metadata.generated_at.clone().unwrap_or_default();
    let fusion_at = fusion.metadata.generated_at.clone().unwrap_or_default();
    assert_eq!(core_at, "2026-01-05T10:00:00.000000Z");
    assert_eq!(fusion_at, "2025-08-01T13:24:08.738968Z");
    assert!(fusion_at < core_at);
}

fn with_schema(version: &str) -> Vec<u8> {
    format!(
        r#"{{"metadata": {{"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/{version}.json"}},
          "nodes": {{"model.p.orders": {{"resource_type": "model", "name": "orders", "schema": "s"}}}}, "sources": {{}}}}"#
    )
    .into_bytes()
}

#[test]
fn a_schema_newer_than_autoexpose_knows_is_read_and_says_so() {
    let manifest = Manifest::from_slice(&with_schema("v999")).expect("read anyway");
    assert_eq!(ids(&manifest), ["model.p.orders"]);
    assert_eq!(manifest.metadata.newer_schema(), Some(999));
    let warnings = manifest.warnings();
    assert_eq!(warnings, [ManifestWarning::NewerSchema { version: 999 }]);
    let message = warnings[0].to_string();
    assert!(
        message.starts_with(&format!(
            "manifest schema v999 is newer than autoexpose knows (v{NEWEST_SCHEMA_VERSION}"
        )),
        "{message}"
    );
    assert!(message.contains("reading it as v12"), "{message}");
}

#[test]
fn known_schemas_core_and_fusion_give_no_warning() {
    for version in ["v7", "v12", "v20"] {
        let manifest = Manifest::from_slice(&with_schema(version)).expect("reads");
        assert_eq!(manifest.warnings(), [], "{version}");
    }
    assert_eq!(
        Manifest::from_slice(&with_schema("v13"))
            .expect("reads")
            .metadata
            .newer_schema(),
        Some(13)
    );
}
