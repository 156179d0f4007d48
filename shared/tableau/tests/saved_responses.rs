//! Saved Metadata API responses (the CLI's offline `match` and `diagnose`) read into the
//! domain's workbooks, or into an error that names the problem; nothing panics.

use autoexpose_domain::{Manifest, MatchOptions, build_exposures};
use autoexpose_tableau::{TableauResponseError, parse_workbooks_response};

/// Two tables of one dbt project, `a.s.orders` and `a.s.customers`.
fn shop_manifest() -> Manifest {
    let model = |name: &str| {
        format!(
            r#""model.shop.{name}": {{"resource_type": "model", "name": "{name}", "alias": "{name}",
                "database": "a", "schema": "s", "package_name": "shop"}}"#
        )
    };
    let text = format!(
        r#"{{"metadata": {{"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"}},
            "nodes": {{{}, {}}}}}"#,
        model("orders"),
        model("customers")
    );
    Manifest::from_slice(text.as_bytes()).expect("test manifest parses")
}

#[test]
fn graphql_errors_without_data_quote_tableau() {
    let body = br#"{"data": null, "errors": [{"message": "The Metadata API is disabled", "extensions": {"severity": "ERROR", "code": "FEATURE_DISABLED"}}]}"#;
    let err = parse_workbooks_response(body).unwrap_err();
    assert_eq!(
        err,
        TableauResponseError::GraphQl("The Metadata API is disabled (FEATURE_DISABLED)".into())
    );
}

#[test]
fn tableau_response_of_the_wrong_shape_is_named() {
    let err = parse_workbooks_response(br#"{"data": {"publishedDatasources": []}}"#).unwrap_err();
    assert!(matches!(err, TableauResponseError::Shape(_)), "{err:?}");
    let err = parse_workbooks_response(br#"{"data": {"workbooks": [{"name": 5}]}}"#).unwrap_err();
    assert!(matches!(err, TableauResponseError::Shape(_)), "{err:?}");
}

#[test]
fn truncated_tableau_response_says_so() {
    let err = parse_workbooks_response(br#"{"data": {"workbooks": [{"name": "a""#).unwrap_err();
    assert!(
        matches!(err, TableauResponseError::Truncated { .. }),
        "{err:?}"
    );
}

#[test]
fn paged_connection_responses_gather_tables_through_data_sources() {
    let pages = br#"[
      {"data": {"workbooksConnection": {"nodes": [{
         "luid": "wb-1", "name": "Revenue", "vizportalUrlId": "7", "projectName": "Finance",
         "owner": {"name": "Ada", "email": "ada@example.com"}, "description": "Monthly revenue",
         "upstreamTables": [{"id": "t1", "name": "orders", "schema": "s", "database": {"name": "a"}}],
         "embeddedDatasources": [{"hasExtracts": true,
            "upstreamTables": [{"id": "t1", "name": "orders", "schema": "s", "database": {"name": "a"}}],
            "upstreamDatasources": [{"luid": "ds-1", "name": "Customers", "hasExtracts": true,
               "upstreamTables": [{"id": "t2", "name": "customers", "schema": "s", "database": {"name": "a"}}]}]}]
      }], "pageInfo": {"hasNextPage": true, "endCursor": "abc"}, "totalCount": 2}}},
      {"data": {"workbooksConnection": {"nodes": [{"luid": "wb-2", "name": "Other",
         "upstreamTables": [{"name": "customers", "schema": "s", "database": {"name": "a"}}]}],
         "pageInfo": {"hasNextPage": false, "endCursor": null}, "totalCount": 2}},
       "errors": [{"message": "index is still being built", "extensions": {"severity": "WARNING", "code": "BACKFILL_RUNNING"}}]}
    ]"#;
    let workbooks = parse_workbooks_response(pages).expect("pages parse");
    assert_eq!(workbooks.len(), 2);
    let revenue = &workbooks[0];
    assert_eq!(
        revenue.tables.len(),
        2,
        "duplicates through data sources are merged"
    );
    assert_eq!(revenue.datasources[0].luid, "ds-1");
    assert!(
        !revenue.has_embedded_extracts,
        "an extract that proxies a published source"
    );
    let outcome = build_exposures(&shop_manifest(), &workbooks, &MatchOptions::default());
    let revenue = &outcome.exposures[1];
    assert_eq!(
        revenue.depends_on,
        ["model.shop.customers", "model.shop.orders"]
    );
    assert_eq!(
        revenue.owner.as_ref().and_then(|o| o.email.as_deref()),
        Some("ada@example.com")
    );
    assert_eq!(revenue.description.as_deref(), Some("Monthly revenue"));
}

#[test]
fn the_dbt_troubleshooting_query_response_matches_the_example_project() {
    let root = format!("{}/../../examples/jaffle-shop", env!("CARGO_MANIFEST_DIR"));
    let manifest_bytes = std::fs::read(format!("{root}/manifest.json")).expect("example manifest");
    let response =
        std::fs::read(format!("{root}/tableau-response.json")).expect("example response");
    let manifest = Manifest::from_slice(&manifest_bytes).expect("manifest parses");
    let workbooks = parse_workbooks_response(&response).expect("response parses");
    let outcome = build_exposures(&manifest, &workbooks, &MatchOptions::default());
    let summary: Vec<(&str, Vec<&str>)> = outcome
        .exposures
        .iter()
        .map(|e| {
            (
                e.name.as_str(),
                e.depends_on.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "executive_overview",
                vec!["model.jaffle_shop.customers", "model.jaffle_shop.orders"]
            ),
            (
                "marketing_funnel",
                vec![
                    "source.jaffle_shop.ecom.raw_orders",
                    "source.jaffle_shop.legacy.customer_accounts"
                ]
            ),
            ("sales_emea", vec!["model.jaffle_shop.orders_daily"]),
            (
                "sales_emea_7e4b2f10",
                vec![
                    "model.jaffle_shop.customer_summary.v2",
                    "model.jaffle_shop.customers"
                ]
            ),
            (
                "snapshot_review",
                vec![
                    "seed.jaffle_shop.raw_payments",
                    "snapshot.jaffle_shop.orders_snapshot"
                ]
            ),
        ]
    );
    assert_eq!(outcome.stats.tables_hidden, 1);
}
