//! The mismatch report names the nearest dbt relation and the part that differs.

use autoexpose_domain::diagnose::{Part, TableStatus, diagnose, to_text};
use autoexpose_domain::{Aliases, Manifest, UpstreamTable, Workbook};

fn manifest() -> Manifest {
    Manifest::from_slice(
        br#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json", "project_name": "shop"},
        "nodes": {
          "model.shop.orders": {"resource_type": "model", "name": "orders", "alias": "orders", "database": "analytics", "schema": "dbt_prod", "package_name": "shop"},
          "model.shop.customers": {"resource_type": "model", "name": "customers", "alias": "customers", "database": "analytics", "schema": "dbt_prod", "package_name": "shop"},
          "model.shop.payments": {"resource_type": "model", "name": "payments", "alias": "payments", "database": "analytics", "schema": "dbt_prod", "package_name": "shop"}
        }, "sources": {}}"#,
    )
    .expect("manifest parses")
}

fn workbook(tables: &[(&str, &str, &str)]) -> Workbook {
    Workbook {
        luid: "wb-1".into(),
        name: "Revenue".into(),
        tables: tables
            .iter()
            .map(|(d, s, n)| UpstreamTable {
                database: Some(d.to_string()),
                schema: Some(s.to_string()),
                name: Some(n.to_string()),
                ..UpstreamTable::default()
            })
            .collect(),
        ..Workbook::default()
    }
}

#[test]
fn a_database_mismatch_is_named_with_the_alias_that_fixes_it() {
    let report = diagnose(
        &manifest(),
        &[workbook(&[("PROD_ANALYTICS", "DBT_PROD", "ORDERS")])],
        &Aliases::default(),
    );
    let TableStatus::Unmatched { nearest, hint } = &report.tables[0].status else {
        panic!("should be unmatched: {:?}", report.tables[0]);
    };
    assert_eq!(nearest[0].unique_id, "model.shop.orders");
    assert_eq!(nearest[0].differs, [Part::Database]);
    assert!(
        hint.as_deref()
            .is_some_and(|h| h.contains("--database-alias PROD_ANALYTICS=analytics")),
        "{hint:?}"
    );
    // With the suggested alias, the same table matches.
    let aliases = Aliases {
        databases: [("PROD_ANALYTICS".to_string(), "analytics".to_string())].into(),
        ..Aliases::default()
    };
    let fixed = diagnose(
        &manifest(),
        &[workbook(&[("PROD_ANALYTICS", "DBT_PROD", "ORDERS")])],
        &aliases,
    );
    assert_eq!(fixed.summary.matched, 1);
}

#[test]
fn a_misspelled_name_finds_the_near_relation_and_unrelated_tables_find_none() {
    let report = diagnose(
        &manifest(),
        &[workbook(&[
            ("analytics", "dbt_prod", "customer"),
            ("analytics", "dbt_prod", "orders"),
            ("warehouse", "finance", "ledger_entries"),
        ])],
        &Aliases::default(),
    );
    let TableStatus::Unmatched { nearest, .. } = &report.tables[0].status else {
        panic!("customer should not match");
    };
    assert_eq!(
        nearest.len(),
        1,
        "only similar names are candidates: {nearest:?}"
    );
    assert_eq!(nearest[0].unique_id, "model.shop.customers");
    assert_eq!(nearest[0].differs, [Part::Name]);
    assert!(matches!(
        report.tables[1].status,
        TableStatus::Matched { .. }
    ));
    assert!(matches!(
        &report.tables[2].status,
        TableStatus::Unmatched { nearest, hint: None } if nearest.is_empty()
    ));
    let s = &report.summary;
    assert_eq!(
        (
            s.tables,
            s.matched,
            s.unmatched_with_candidate,
            s.unmatched_without_candidate
        ),
        (3, 1, 1, 1)
    );
    let text = to_text(&report);
    assert!(text.contains(
        "3 tables: 1 matched, 1 unmatched with a near dbt relation, 1 unmatched with none, 0 hidden"
    ));
}

#[test]
fn the_report_serializes_with_a_status_per_table() {
    let report = diagnose(
        &manifest(),
        &[workbook(&[("analytics", "dbt_prod", "orders")])],
        &Aliases::default(),
    );
    let json = serde_json::to_value(&report).expect("serializes");
    assert_eq!(json["tables"][0]["status"], "matched");
    assert_eq!(json["tables"][0]["nodes"][0], "model.shop.orders");
    assert_eq!(json["summary"]["matched"], 1);
}

#[test]
fn escape_sequences_in_tableau_names_do_not_reach_the_report_text() {
    let mut book = workbook(&[("PROD\u{1b}[2J", "DBT_PROD", "ORDERS")]);
    book.name = "Revenue\u{1b}]0;owned\u{7}".into();
    let report = diagnose(&manifest(), &[book], &Aliases::default());
    let text = to_text(&report);
    assert!(
        !text.chars().any(|c| c == '\u{1b}' || c == '\u{7}'),
        "{text:?}"
    );
    assert!(text.starts_with("Revenue]0;owned (wb-1)"), "{text}");
    let TableStatus::Unmatched { hint, .. } = &report.tables[0].status else {
        panic!("should be unmatched: {:?}", report.tables[0]);
    };
    assert!(
        hint.as_deref()
            .is_some_and(|h| h.contains("--database-alias PROD[2J=analytics")),
        "{hint:?}"
    );
}

#[test]
fn the_same_name_in_another_schema_comes_before_a_renamed_model() {
    // dbt builds `orders` in dbt_prod and `Orders_Daily` in dbt_prod_reporting (a custom
    // schema); Tableau reads `dbt_prod.Orders_Daily`. The same-named relation is the fix (a
    // schema alias), even though `orders` shares more of the name's schema.
    let manifest = Manifest::from_slice(
        br#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json", "project_name": "shop"},
        "nodes": {
          "model.shop.orders": {"resource_type": "model", "name": "orders", "alias": "orders", "database": "ANALYTICS", "schema": "DBT_PROD", "package_name": "shop"},
          "model.shop.orders_daily": {"resource_type": "model", "name": "orders_daily", "alias": "Orders_Daily", "database": "ANALYTICS", "schema": "DBT_PROD_REPORTING", "package_name": "shop"}
        }, "sources": {}}"#,
    )
    .expect("manifest parses");
    let report = diagnose(
        &manifest,
        &[workbook(&[("analytics", "dbt_prod", "Orders_Daily")])],
        &Aliases::default(),
    );
    let TableStatus::Unmatched { nearest, hint } = &report.tables[0].status else {
        panic!("should be unmatched: {:?}", report.tables[0]);
    };
    assert_eq!(
        nearest[0].unique_id, "model.shop.orders_daily",
        "{nearest:?}"
    );
    assert_eq!(nearest[0].differs, [Part::Schema]);
    assert_eq!(nearest[1].unique_id, "model.shop.orders");
    let hint = hint.as_deref().unwrap_or_default();
    assert!(
        hint.contains("--schema-alias dbt_prod=DBT_PROD_REPORTING"),
        "{hint}"
    );
}

#[test]
fn a_table_read_by_custom_sql_and_listed_upstream_is_reported_once() {
    // Tableau lists the tables of a custom SQL query among the workbook's upstream tables
    // and in the query's own parsed list: one workbook, one line per table.
    let mut cohort = workbook(&[("analytics", "dbt_prod", "customers")]);
    cohort.custom_sql = vec![autoexpose_domain::CustomSql {
        query: "select * from analytics.dbt_prod.customers".into(),
        tables: vec![UpstreamTable {
            database: Some("ANALYTICS".into()),
            schema: Some("DBT_PROD".into()),
            name: Some("CUSTOMERS".into()),
            ..UpstreamTable::default()
        }],
        ..autoexpose_domain::CustomSql::default()
    }];
    let report = diagnose(&manifest(), &[cohort], &Aliases::default());
    assert_eq!(report.tables.len(), 1, "{:?}", report.tables);
    assert_eq!(report.summary.tables, 1);
    assert_eq!(report.summary.matched, 1);
}
