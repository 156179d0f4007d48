//! The columns an exposure reads are written under its `meta` in the shape Elementary's
//! `exposure_schema_validity` test reads (`column_name`, `data_type`, `node` as a
//! `ref(...)`/`source(...)`), beside the columns dbt lacks; and read back the way that
//! test's macro reads them.

use autoexpose_domain::{Exposure, Manifest, MatchStats, ReferencedColumn};
use autoexpose_output::{InjectOptions, YamlOptions, inject_exposures, to_dbt_yaml, to_json};
use serde_json::Value;

fn manifest(dbt_version: &str) -> Manifest {
    let text = format!(
        r#"{{"metadata": {{"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
           "dbt_version": "{dbt_version}", "project_name": "shop"}},
           "nodes": {{"model.shop.orders": {{"resource_type": "model", "name": "orders", "alias": "orders",
             "database": "db", "schema": "s", "package_name": "shop"}}}},
           "sources": {{"source.shop.raw.payments": {{"source_name": "raw", "name": "payments",
             "identifier": "payments", "database": "db", "schema": "raw", "package_name": "shop"}}}}}}"#
    );
    Manifest::from_slice(text.as_bytes()).expect("parses")
}

fn column(node: &str, name: &str, data_type: Option<&str>) -> ReferencedColumn {
    ReferencedColumn {
        node: node.into(),
        column_name: name.into(),
        data_type: data_type.map(str::to_string),
    }
}

fn exposure() -> Exposure {
    Exposure {
        name: "revenue".into(),
        label: "Revenue".into(),
        exposure_type: "dashboard".into(),
        url: None,
        owner: None,
        description: None,
        depends_on: vec![
            "model.shop.orders".into(),
            "source.shop.raw.payments".into(),
        ],
        workbook_luid: "wb-1".into(),
        project: "Finance".into(),
        project_luid: None,
        unmatched_tables: vec![],
        unparsed_custom_sql: vec![],
        referenced_columns: vec![
            column("model.shop.orders", "DISCOUNT", None),
            column("model.shop.orders", "order_id", Some("integer")),
            column("source.shop.raw.payments", "amount", Some("numeric")),
        ],
        missing_columns: vec![column("model.shop.orders", "DISCOUNT", None)],
        usage: None,
        maturity: None,
        stale: false,
    }
}

fn meta_of(yaml: &str, in_config: bool) -> Value {
    let parsed: Value =
        serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("YAML does not parse: {e}\n{yaml}"));
    let exposure = &parsed["exposures"][0];
    if in_config {
        exposure["config"]["meta"].clone()
    } else {
        exposure["meta"].clone()
    }
}

#[test]
fn referenced_columns_take_elementarys_shape_where_each_dbt_version_reads_meta() {
    let options = YamlOptions::default();
    for (version, in_config) in [("1.9.8", false), ("1.11.2", true)] {
        let yaml = to_dbt_yaml(&[exposure()], &manifest(version), &options);
        let meta = meta_of(&yaml, in_config);
        assert_eq!(
            meta["referenced_columns"],
            serde_json::json!([
                {"column_name": "DISCOUNT", "node": "ref('orders')"},
                {"column_name": "order_id", "data_type": "integer", "node": "ref('orders')"},
                {"column_name": "amount", "data_type": "numeric", "node": "source('raw', 'payments')"},
            ]),
            "{yaml}"
        );
        assert_eq!(
            meta["missing_columns"],
            serde_json::json!([{"column_name": "DISCOUNT", "node": "ref('orders')"}])
        );
        // The other meta entries stay beside them.
        assert_eq!(meta["tableau_workbook_luid"], "wb-1");
    }
}

#[test]
fn an_exposure_without_columns_writes_no_column_keys() {
    let mut plain = exposure();
    plain.referenced_columns.clear();
    plain.missing_columns.clear();
    let yaml = to_dbt_yaml(&[plain], &manifest("1.11.2"), &YamlOptions::default());
    assert!(!yaml.contains("referenced_columns"), "{yaml}");
    assert!(!yaml.contains("missing_columns"), "{yaml}");
}

#[test]
fn the_yaml_is_the_same_bytes_each_time() {
    let options = YamlOptions::default();
    let first = to_dbt_yaml(&[exposure()], &manifest("1.11.2"), &options);
    let second = to_dbt_yaml(&[exposure()], &manifest("1.11.2"), &options);
    assert_eq!(first, second);
}

#[test]
fn the_injected_manifest_keeps_depends_on_node_level_and_the_columns_in_meta() {
    let bytes =
        br#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
        "dbt_version": "1.11.2", "project_name": "shop"},
      "nodes": {"model.shop.orders": {"resource_type": "model", "name": "orders", "alias": "orders",
        "database": "db", "schema": "s", "package_name": "shop", "unique_id": "model.shop.orders"}},
      "sources": {"source.shop.raw.payments": {"resource_type": "source", "source_name": "raw",
        "name": "payments", "identifier": "payments", "database": "db", "schema": "raw",
        "package_name": "shop", "unique_id": "source.shop.raw.payments"}},
      "exposures": {}, "parent_map": {}, "child_map": {}}"#;
    let out = inject_exposures(bytes, &[exposure()], &InjectOptions::default()).expect("injects");
    let manifest: Value = serde_json::from_slice(&out).expect("JSON");
    let node = &manifest["exposures"]["exposure.shop.revenue"];
    assert_eq!(
        node["depends_on"]["nodes"],
        serde_json::json!(["model.shop.orders", "source.shop.raw.payments"])
    );
    for meta in [&node["meta"], &node["config"]["meta"]] {
        assert_eq!(meta["referenced_columns"][1]["column_name"], "order_id");
        assert_eq!(
            meta["referenced_columns"][2]["node"],
            "source('raw', 'payments')"
        );
        assert_eq!(meta["missing_columns"][0]["column_name"], "DISCOUNT");
    }
}

#[test]
fn the_json_output_carries_the_columns_and_the_missing_ones() {
    let json = to_json(&[exposure()], &MatchStats::default());
    let parsed: Value = serde_json::from_str(&json).expect("JSON");
    let e = &parsed["exposures"][0];
    assert_eq!(e["referenced_columns"][1]["node"], "model.shop.orders");
    assert_eq!(e["referenced_columns"][1]["data_type"], "integer");
    assert_eq!(e["missing_columns"][0]["column_name"], "DISCOUNT");
}

#[test]
fn the_lineage_page_shows_the_columns_of_each_upstream_node_on_the_exposure() {
    let manifest = manifest("1.11.2");
    let page = autoexpose_output::lineage_html(
        &manifest,
        manifest.dag(),
        &[exposure()],
        &autoexpose_output::LineageOptions::default(),
    );
    assert!(
        page.contains(
            "data-columns=\"model.shop.orders: DISCOUNT, order_id\nsource.shop.raw.payments: amount\""
        ),
        "each upstream node's columns on one line"
    );
    assert!(page.contains("data-missing=\"model.shop.orders: DISCOUNT\""));
    assert!(
        page.contains("\"Columns read\""),
        "the panel names the field"
    );
}
