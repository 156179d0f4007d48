//! The columns a workbook reads end up on its exposure, in dbt's spelling, with the ones
//! dbt lacks reported apart; the manifest's documented columns are read by both the
//! whole-slice and the streaming reader.

use std::sync::Arc;

use autoexpose_domain::{
    Catalog, FieldColumn, Manifest, MatchOptions, ReferencedColumn, UpstreamTable, Workbook,
    build_exposures,
};

const MANIFEST: &str = r#"{
  "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},
  "nodes": {
    "model.shop.orders": {"resource_type": "model", "name": "orders", "alias": "orders",
      "database": "analytics", "schema": "prod", "package_name": "shop",
      "config": {"materialized": "table"},
      "columns": {
        "order_id": {"name": "order_id", "data_type": "integer", "description": "", "meta": {}},
        "Status": {"name": "Status", "data_type": null}
      }},
    "model.shop.customers": {"resource_type": "model", "name": "customers", "alias": "customers",
      "database": "analytics", "schema": "prod", "package_name": "shop",
      "config": {"materialized": "table"}, "columns": {}}
  },
  "sources": {},
  "parent_map": {}
}"#;

fn column(table: &str, name: &str) -> FieldColumn {
    FieldColumn {
        table: UpstreamTable {
            database: Some("ANALYTICS".into()),
            schema: Some("PROD".into()),
            name: Some(table.into()),
            ..UpstreamTable::default()
        },
        name: Some(name.into()),
        remote_type: Some("WSTR".into()),
    }
}

fn workbook() -> Workbook {
    Workbook {
        luid: "wb-1".into(),
        name: "Sales".into(),
        tables: vec![UpstreamTable {
            database: Some("ANALYTICS".into()),
            schema: Some("PROD".into()),
            name: Some("ORDERS".into()),
            ..UpstreamTable::default()
        }],
        columns: vec![
            column("ORDERS", "ORDER_ID"),
            column("ORDERS", "STATUS"),
            column("ORDERS", "DISCOUNT"),
            column("CUSTOMERS", "EMAIL"),
        ],
        ..Workbook::default()
    }
}

#[test]
fn both_manifest_readers_keep_the_documented_columns() {
    let whole = Manifest::from_slice(MANIFEST.as_bytes()).expect("reads");
    let streamed = Manifest::from_reader(MANIFEST.as_bytes()).expect("reads");
    for manifest in [&whole, &streamed] {
        let orders = manifest
            .relations
            .iter()
            .find(|r| r.unique_id == "model.shop.orders")
            .expect("orders");
        let columns: Vec<(&str, Option<&str>)> = orders
            .columns
            .iter()
            .map(|c| (c.name, c.data_type))
            .collect();
        assert_eq!(columns, [("Status", None), ("order_id", Some("integer"))]);
    }
}

#[test]
fn documented_columns_keep_escaped_names_and_the_last_of_a_repeated_key() {
    let manifest = r#"{
      "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},
      "nodes": {"model.shop.orders": {"resource_type": "model", "name": "orders",
        "schema": "prod", "package_name": "shop", "columns": {
          "b": {"name": "b", "data_type": "int"},
          "a\"q": {"name": "", "data_type": "  "},
          "b": {"name": "B", "data_type": "bigint"},
          "c": null
        }}},
      "sources": {}, "parent_map": {}
    }"#;
    let whole = Manifest::from_slice(manifest.as_bytes()).expect("reads");
    let streamed = Manifest::from_reader(manifest.as_bytes()).expect("reads");
    for manifest in [&whole, &streamed] {
        let columns: Vec<(&str, Option<&str>)> = manifest.relations[0]
            .columns
            .iter()
            .map(|c| (c.name, c.data_type))
            .collect();
        assert_eq!(
            columns,
            [("a\"q", None), ("B", Some("bigint")), ("c", None)]
        );
    }
}

#[test]
fn an_exposure_lists_the_columns_it_reads_and_those_dbt_lacks() {
    let manifest = Manifest::from_slice(MANIFEST.as_bytes()).expect("reads");
    let outcome = build_exposures(&manifest, &[workbook()], &MatchOptions::default());
    let exposure = &outcome.exposures[0];
    // Only its tables decide `depends_on`, and only columns of those nodes are listed:
    // the customers column is not.
    assert_eq!(exposure.depends_on, ["model.shop.orders"]);
    let read: Vec<(&str, &str)> = exposure
        .referenced_columns
        .iter()
        .map(|c| (c.node.as_str(), c.column_name.as_str()))
        .collect();
    assert_eq!(
        read,
        [
            ("model.shop.orders", "DISCOUNT"),
            ("model.shop.orders", "Status"),
            ("model.shop.orders", "order_id"),
        ]
    );
    assert_eq!(
        exposure.missing_columns,
        [ReferencedColumn {
            node: "model.shop.orders".into(),
            column_name: "DISCOUNT".into(),
            data_type: None,
        }]
    );
}

#[test]
fn with_a_catalog_the_warehouse_decides_what_is_missing() {
    let manifest = Manifest::from_slice(MANIFEST.as_bytes()).expect("reads");
    let catalog = Catalog::from_slice(
        br#"{"nodes": {"model.shop.orders": {"columns": {
            "ORDER_ID": {"type": "NUMBER", "index": 1, "name": "ORDER_ID"},
            "DISCOUNT": {"type": "NUMBER", "index": 2, "name": "DISCOUNT"}}}}}"#,
    )
    .expect("reads");
    let options = MatchOptions {
        catalog: Some(Arc::new(catalog)),
        ..MatchOptions::default()
    };
    let outcome = build_exposures(&manifest, &[workbook()], &options);
    let exposure = &outcome.exposures[0];
    let missing: Vec<&str> = exposure
        .missing_columns
        .iter()
        .map(|c| c.column_name.as_str())
        .collect();
    assert_eq!(missing, ["Status"]);
    let discount = exposure
        .referenced_columns
        .iter()
        .find(|c| c.column_name == "DISCOUNT")
        .expect("read");
    assert_eq!(discount.data_type.as_deref(), Some("NUMBER"));
}
