//! The manifest's `parent_map` is read with the rest of the manifest, in the same pass,
//! into the DAG between relations and the targets of each test.

use autoexpose_domain::{Manifest, ManifestError};

/// A manifest around `parent_map` (given as JSON text).
fn with_parent_map(parent_map: &str) -> Vec<u8> {
    format!(
        r#"{{"metadata": {{"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"}},
            "nodes": {{}}, "parent_map": {parent_map}}}"#
    )
    .into_bytes()
}

fn parse(bytes: &[u8]) -> Manifest {
    Manifest::from_slice(bytes).expect("manifest parses")
}

#[test]
fn the_dag_keeps_relations_and_drops_tests_and_exposures() {
    let manifest = parse(&with_parent_map(
        r#"{
        "model.shop.stg_orders": ["source.shop.ecom.raw_orders"],
        "model.shop.orders": ["model.shop.stg_orders", "model.shop.stg_customers",
                              "model.shop.stg_orders", "metric.shop.revenue"],
        "seed.shop.country_codes": [],
        "snapshot.shop.orders_snapshot": ["model.shop.orders"],
        "source.shop.ecom.raw_orders": [],
        "test.shop.not_null_orders_id.abc": ["model.shop.orders"],
        "exposure.shop.weekly_kpis": ["model.shop.orders"]
    }"#,
    ));
    let dag = manifest.dag();
    assert_eq!(
        dag.parents("model.shop.orders").collect::<Vec<_>>(),
        ["model.shop.stg_customers", "model.shop.stg_orders"],
        "sorted, without duplicates or non-relations"
    );
    assert_eq!(dag.parents("test.shop.not_null_orders_id.abc").len(), 0);
    assert_eq!(dag.parents("exposure.shop.weekly_kpis").len(), 0);
    assert_eq!(dag.parents("model.shop.unknown").len(), 0);
    assert_eq!(dag.len(), 5);
}

#[test]
fn test_targets_come_from_the_parent_map_of_tests_only() {
    let manifest = parse(&with_parent_map(
        r#"{
        "model.shop.orders": ["model.shop.stg_orders"],
        "test.shop.not_null_orders_id.9": ["model.shop.orders"],
        "unit_test.shop.orders.t": ["model.shop.orders"]
    }"#,
    ));
    let targets = manifest.test_targets();
    assert_eq!(
        targets
            .targets("test.shop.not_null_orders_id.9")
            .collect::<Vec<_>>(),
        ["model.shop.orders"]
    );
    assert_eq!(
        targets
            .targets("unit_test.shop.orders.t")
            .collect::<Vec<_>>(),
        ["model.shop.orders"]
    );
    assert_eq!(targets.targets("model.shop.orders").len(), 0);
}

#[test]
fn a_null_or_missing_parent_map_is_no_edges() {
    assert!(parse(&with_parent_map("null")).dag().is_empty());
    let missing = br#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},
        "nodes": {}}"#;
    assert!(parse(missing).dag().is_empty());
    let null_list = parse(&with_parent_map(r#"{"model.a.b": null}"#));
    assert_eq!(null_list.dag().parents("model.a.b").len(), 0);
}

#[test]
fn a_broken_parent_map_is_a_broken_manifest() {
    assert!(matches!(
        Manifest::from_slice(&with_parent_map(r#"{"model.a.b": "model.a.c"}"#)),
        Err(ManifestError::Shape(_))
    ));
    assert!(matches!(
        Manifest::from_slice(&with_parent_map("[1, 2]")),
        Err(ManifestError::Shape(_))
    ));
    let cut = with_parent_map(r#"{"model.a.b": ["#);
    assert!(matches!(
        Manifest::from_slice(&cut[..cut.len() - 1]),
        Err(ManifestError::Truncated { .. })
    ));
}

#[test]
fn the_tree_for_writers_reads_the_same_manifest_once() {
    let bytes = with_parent_map(r#"{"model.a.b": ["source.a.s.t"], "test.a.t.1": ["model.a.b"]}"#);
    let (manifest, tree) = Manifest::with_tree(&bytes).expect("parses");
    assert_eq!(manifest, parse(&bytes));
    assert!(manifest.dag().parents("model.a.b").eq(["source.a.s.t"]));
    assert_eq!(tree["parent_map"]["test.a.t.1"][0], "model.a.b");
    assert_eq!(Manifest::with_tree(b" "), Err(ManifestError::Empty));
    assert!(matches!(
        Manifest::with_tree(b"{nope"),
        Err(ManifestError::NotJson(_))
    ));
    assert!(matches!(
        Manifest::with_tree(br#"{"metadata": {}, "nodes": [1]}"#),
        Err(ManifestError::Shape(_))
    ));
}

/// Found by the `manifest` fuzz target (fuzz/artifacts-found/manifest/long-number-version):
/// serde_json's best-effort float reading put the tree 1 ULP from the text.
#[test]
fn a_long_number_reads_the_same_through_the_tree_and_written_back_as_text() {
    let bytes = br#"{"metadata":{"dbt_schema_version":"v12"},"nodes":{"model.a.m":{"resource_type":"model","name":"m","schema":"s","version":444444444444444444444444444444444444444444444444444444444442}}}"#;
    let (manifest, tree) = Manifest::with_tree(bytes).expect("parses");
    assert_eq!(manifest, parse(bytes));
    let written = serde_json::to_vec(&tree).expect("serializes");
    assert_eq!(parse(&written), manifest);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&written).expect("reads"),
        tree
    );
}
