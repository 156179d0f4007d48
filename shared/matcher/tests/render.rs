//! The dbt YAML uses the right Jinja forms and puts `meta` where the dbt version expects it.

use autoexpose_matcher::render::{YamlOptions, dependency_call, to_dbt_yaml};
use autoexpose_matcher::{Exposure, Manifest, Relation, RelationKind};

fn relation(kind: RelationKind, package: &str, name: &str) -> Relation {
    Relation {
        unique_id: format!("x.{package}.{name}"),
        kind,
        package: package.into(),
        name: name.into(),
        source_name: None,
        version: None,
        database: Some("db".into()),
        schema: "s".into(),
        identifier: name.into(),
    }
}

#[test]
fn dependency_calls_use_ref_source_package_and_version_forms() {
    let root = Some("shop");
    assert_eq!(
        dependency_call(&relation(RelationKind::Model, "shop", "orders"), root),
        "ref('orders')"
    );
    assert_eq!(
        dependency_call(&relation(RelationKind::Model, "utils", "spine"), root),
        "ref('utils', 'spine')"
    );
    let mut versioned = relation(RelationKind::Model, "shop", "customers");
    versioned.version = Some("2".into());
    assert_eq!(dependency_call(&versioned, root), "ref('customers', v=2)");
    let mut source = relation(RelationKind::Source, "shop", "raw_orders");
    source.source_name = Some("ecom".into());
    assert_eq!(
        dependency_call(&source, root),
        "source('ecom', 'raw_orders')"
    );
    assert_eq!(
        dependency_call(&relation(RelationKind::Seed, "shop", "it's"), root),
        "ref('it\\'s')"
    );
    // Without a known root project the package is always named, which dbt accepts too.
    assert_eq!(
        dependency_call(&relation(RelationKind::Snapshot, "shop", "snap"), None),
        "ref('shop', 'snap')"
    );
}

fn manifest_of_version(version: &str) -> Manifest {
    let text = format!(
        r#"{{"metadata": {{"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
           "dbt_version": "{version}", "project_name": "shop"}},
           "nodes": {{"model.shop.orders": {{"resource_type": "model", "name": "orders", "alias": "orders",
             "database": "db", "schema": "s", "package_name": "shop"}}}}}}"#
    );
    Manifest::from_slice(text.as_bytes()).expect("parses")
}

fn exposure() -> Exposure {
    Exposure {
        name: "revenue".into(),
        label: "Revenue: Q3 \"final\"".into(),
        exposure_type: "dashboard".into(),
        url: Some("https://t/#/site/a/workbooks/1/views".into()),
        owner: None,
        description: Some("Line one\nline two: with colon".into()),
        depends_on: vec!["model.shop.orders".into()],
        workbook_luid: "wb-1".into(),
        project: "Finance".into(),
        project_luid: None,
        unmatched_tables: vec![],
    }
}

#[test]
fn meta_goes_under_config_from_dbt_1_10_and_top_level_before() {
    let options = YamlOptions {
        fallback_owner: "Tableau".into(),
        ..YamlOptions::default()
    };
    let new = to_dbt_yaml(&[exposure()], &manifest_of_version("1.10.2"), &options);
    let old = to_dbt_yaml(&[exposure()], &manifest_of_version("1.9.8"), &options);
    let parsed_new: serde_json::Value = serde_saphyr_value(&new);
    let parsed_old: serde_json::Value = serde_saphyr_value(&old);
    assert_eq!(
        parsed_new["exposures"][0]["config"]["meta"]["tableau_workbook_luid"],
        "wb-1"
    );
    assert!(parsed_new["exposures"][0].get("meta").is_none());
    assert_eq!(
        parsed_old["exposures"][0]["meta"]["tableau_workbook_luid"],
        "wb-1"
    );
    assert!(parsed_old["exposures"][0].get("config").is_none());
}

#[test]
fn yaml_round_trips_awkward_text_and_falls_back_for_a_missing_owner() {
    let options = YamlOptions {
        fallback_owner: "Tableau".into(),
        ..YamlOptions::default()
    };
    let yaml = to_dbt_yaml(&[exposure()], &manifest_of_version("1.11.0"), &options);
    let parsed = serde_saphyr_value(&yaml);
    assert_eq!(parsed["version"], 2);
    let e = &parsed["exposures"][0];
    assert_eq!(e["label"], "Revenue: Q3 \"final\"");
    assert_eq!(e["description"], "Line one\nline two: with colon");
    assert_eq!(e["owner"]["name"], "Tableau");
    assert_eq!(e["depends_on"][0], "ref('orders')");
}

fn serde_saphyr_value(yaml: &str) -> serde_json::Value {
    serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("YAML does not parse: {e}\n{yaml}"))
}
