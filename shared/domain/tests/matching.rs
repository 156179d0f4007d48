//! Tableau tables match dbt relations by `{database}.{schema}.{name}`, as users expect.

use autoexpose_domain::{Manifest, MatchOptions, UpstreamTable, Workbook, build_exposures};

fn manifest(nodes: &str, sources: &str) -> Manifest {
    let text = format!(
        r#"{{"metadata": {{"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
            "project_name": "shop", "dbt_version": "1.9.0"}},
            "nodes": {{{nodes}}}, "sources": {{{sources}}}}}"#
    );
    Manifest::from_slice(text.as_bytes()).expect("test manifest parses")
}

fn model(id: &str, db: Option<&str>, schema: &str, alias: &str) -> String {
    let db = db.map_or("null".to_string(), |d| format!("\"{d}\""));
    format!(
        r#""model.shop.{id}": {{"resource_type": "model", "name": "{id}", "alias": "{alias}",
            "database": {db}, "schema": "{schema}", "package_name": "shop",
            "config": {{"materialized": "table"}}}}"#
    )
}

fn table(db: Option<&str>, schema: Option<&str>, name: Option<&str>) -> UpstreamTable {
    UpstreamTable {
        database: db.map(str::to_string),
        schema: schema.map(str::to_string),
        name: name.map(str::to_string),
        ..UpstreamTable::default()
    }
}

fn workbook(luid: &str, name: &str, tables: Vec<UpstreamTable>) -> Workbook {
    Workbook {
        luid: luid.into(),
        name: name.into(),
        url_id: Some("42".into()),
        tables,
        ..Workbook::default()
    }
}

fn depends_on(manifest: &Manifest, tables: Vec<UpstreamTable>) -> Vec<String> {
    let outcome = build_exposures(
        manifest,
        &[workbook("wb-1", "W", tables)],
        &MatchOptions::default(),
    );
    outcome
        .exposures
        .first()
        .map(|e| e.depends_on.clone())
        .unwrap_or_default()
}

#[test]
fn names_match_whatever_their_case_and_quoting() {
    let m = manifest(
        &model("orders", Some("ANALYTICS"), "DBT_PROD", "Orders"),
        "",
    );
    for (db, schema, name) in [
        ("analytics", "dbt_prod", "orders"),
        ("\"ANALYTICS\"", "[DBT_PROD]", "`Orders`"),
        ("Analytics", "Dbt_Prod", "\"ORDERS\""),
    ] {
        assert_eq!(
            depends_on(&m, vec![table(Some(db), Some(schema), Some(name))]),
            ["model.shop.orders"],
            "{db}.{schema}.{name}"
        );
    }
}

#[test]
fn a_different_part_never_matches() {
    let m = manifest(
        &model("orders", Some("analytics"), "dbt_prod", "orders"),
        "",
    );
    for (db, schema, name) in [
        ("analytics", "dbt_prod", "orders_archive"),
        ("prod_analytics", "dbt_prod", "orders"),
        ("analytics", "dbt_dev", "orders"),
        ("analytics", "dbt_prod", "order"),
    ] {
        assert!(
            depends_on(&m, vec![table(Some(db), Some(schema), Some(name))]).is_empty(),
            "{db}.{schema}.{name} must not match"
        );
    }
}

#[test]
fn sources_match_by_identifier_not_by_yaml_name() {
    let source = r#""source.shop.legacy.customer_accounts": {"resource_type": "source",
        "source_name": "legacy", "name": "customer_accounts", "identifier": "CustomerAccounts",
        "database": "legacy_db", "schema": "CRM", "package_name": "shop"}"#;
    let m = manifest("", source);
    assert_eq!(
        depends_on(
            &m,
            vec![table(
                Some("LEGACY_DB"),
                Some("crm"),
                Some("customeraccounts")
            )]
        ),
        ["source.shop.legacy.customer_accounts"]
    );
    assert!(
        depends_on(
            &m,
            vec![table(
                Some("legacy_db"),
                Some("crm"),
                Some("customer_accounts")
            )]
        )
        .is_empty()
    );
}

#[test]
fn two_part_relations_match_on_schema_and_name_when_unambiguous() {
    let m = manifest(&model("orders", None, "dbt_prod", "orders"), "");
    assert_eq!(
        depends_on(
            &m,
            vec![table(
                Some("spark_catalog"),
                Some("dbt_prod"),
                Some("ORDERS")
            )]
        ),
        ["model.shop.orders"]
    );
    assert_eq!(
        depends_on(&m, vec![table(None, Some("dbt_prod"), Some("orders"))]),
        ["model.shop.orders"]
    );
}

#[test]
fn a_tableau_table_without_database_is_not_matched_when_two_databases_fit() {
    let nodes = [
        model("orders", Some("analytics"), "dbt_prod", "orders"),
        model("orders_copy", Some("finance"), "dbt_prod", "orders"),
    ]
    .join(",");
    let m = manifest(&nodes, "");
    assert!(depends_on(&m, vec![table(None, Some("dbt_prod"), Some("orders"))]).is_empty());
    assert_eq!(
        depends_on(
            &m,
            vec![table(Some("finance"), Some("dbt_prod"), Some("orders"))]
        ),
        ["model.shop.orders_copy"]
    );
}

#[test]
fn missing_parts_are_taken_from_the_bracketed_full_name() {
    let m = manifest(
        &model("orders", Some("analytics"), "dbt.prod", "orders"),
        "",
    );
    let t = UpstreamTable {
        name: Some("orders".into()),
        full_name: Some("[analytics].[dbt.prod].[orders]".into()),
        ..UpstreamTable::default()
    };
    assert_eq!(depends_on(&m, vec![t]), ["model.shop.orders"]);
}

#[test]
fn hidden_tables_are_skipped_and_counted() {
    let m = manifest(&model("orders", Some("a"), "s", "orders"), "");
    let wb = workbook(
        "wb-1",
        "W",
        vec![
            table(Some("a"), Some("s"), Some("orders")),
            table(None, None, None),
        ],
    );
    let outcome = build_exposures(&m, &[wb], &MatchOptions::default());
    assert_eq!(outcome.stats.tables_hidden, 1);
    assert_eq!(outcome.stats.tables_matched, 1);
    assert!(outcome.exposures[0].unmatched_tables.is_empty());
}

#[test]
fn depends_on_is_sorted_without_duplicates_and_unmatched_tables_are_kept() {
    let nodes = [
        model("b_orders", Some("a"), "s", "orders"),
        model("a_customers", Some("a"), "s", "customers"),
    ]
    .join(",");
    let m = manifest(&nodes, "");
    let wb = workbook(
        "wb-1",
        "W",
        vec![
            table(Some("a"), Some("s"), Some("orders")),
            table(Some("A"), Some("S"), Some("ORDERS")),
            table(Some("a"), Some("s"), Some("customers")),
            table(Some("a"), Some("s"), Some("orders_archive")),
        ],
    );
    let outcome = build_exposures(&m, &[wb], &MatchOptions::default());
    let exposure = &outcome.exposures[0];
    assert_eq!(
        exposure.depends_on,
        ["model.shop.a_customers", "model.shop.b_orders"]
    );
    assert_eq!(exposure.unmatched_tables, ["a.s.orders_archive"]);
}

#[test]
fn workbooks_without_matches_are_left_out_unless_asked_for() {
    let m = manifest(&model("orders", Some("a"), "s", "orders"), "");
    let wbs = [
        workbook(
            "wb-1",
            "Matched",
            vec![table(Some("a"), Some("s"), Some("orders"))],
        ),
        workbook(
            "wb-2",
            "Unmatched",
            vec![table(Some("x"), Some("y"), Some("z"))],
        ),
    ];
    let default = build_exposures(&m, &wbs, &MatchOptions::default());
    assert_eq!(default.exposures.len(), 1);
    let all = build_exposures(
        &m,
        &wbs,
        &MatchOptions {
            include_unmatched: true,
            ..MatchOptions::default()
        },
    );
    assert_eq!(all.exposures.len(), 2);
    assert!(
        all.exposures
            .iter()
            .any(|e| e.name == "unmatched" && e.depends_on.is_empty())
    );
}

#[test]
fn colliding_workbook_names_get_distinct_stable_exposure_names() {
    let m = manifest(&model("orders", Some("a"), "s", "orders"), "");
    let t = || vec![table(Some("a"), Some("s"), Some("orders"))];
    let wbs = [
        workbook("b2c3", "Sales / EMEA", t()),
        workbook("a1b2", "Sales - EMEA", t()),
    ];
    let first = build_exposures(&m, &wbs, &MatchOptions::default());
    let names: Vec<&str> = first.exposures.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["sales_emea", "sales_emea_b2c3"]);
    let reversed = [wbs[1].clone(), wbs[0].clone()];
    assert_eq!(
        build_exposures(&m, &reversed, &MatchOptions::default()),
        first
    );
}

#[test]
fn database_and_schema_aliases_apply_before_matching_whatever_the_case() {
    let m = manifest(
        &model("orders", Some("analytics"), "dbt_prod", "orders"),
        "",
    );
    let wb = workbook(
        "wb-1",
        "W",
        vec![table(
            Some("PROD_ANALYTICS"),
            Some("REPORTING"),
            Some("ORDERS"),
        )],
    );
    let without = build_exposures(&m, std::slice::from_ref(&wb), &MatchOptions::default());
    assert!(without.exposures.is_empty());
    let options = MatchOptions {
        aliases: autoexpose_domain::Aliases {
            databases: [("prod_analytics".to_string(), "ANALYTICS".to_string())].into(),
            schemas: [("Reporting".to_string(), "dbt_prod".to_string())].into(),
            ..autoexpose_domain::Aliases::default()
        },
        ..MatchOptions::default()
    };
    let with = build_exposures(&m, &[wb], &options);
    assert_eq!(with.exposures[0].depends_on, ["model.shop.orders"]);
}

fn custom_sql(
    query: &str,
    database: Option<&str>,
    tables: Vec<UpstreamTable>,
) -> autoexpose_domain::CustomSql {
    autoexpose_domain::CustomSql {
        id: Some("csql-1".into()),
        query: query.into(),
        database: database.map(str::to_string),
        connection_type: Some("snowflake".into()),
        tables,
    }
}

#[test]
fn custom_sql_queries_are_parsed_when_tableau_gives_no_tables() {
    let nodes = [
        model("orders", Some("analytics"), "dbt_prod", "orders"),
        model("customers", Some("analytics"), "dbt_prod", "customers"),
    ]
    .join(",");
    let m = manifest(&nodes, "");
    let query = "with recent as (select * from ANALYTICS.DBT_PROD.ORDERS where order_date &gt;= '2024-01-01')\n\
                 select c.id, count(*) from recent r join dbt_prod.customers c on c.id = r.customer_id group by 1";
    let wb = Workbook {
        custom_sql: vec![custom_sql(query, Some("ANALYTICS"), vec![])],
        ..workbook("wb-1", "Cohorts", vec![])
    };
    let outcome = build_exposures(&m, &[wb], &MatchOptions::default());
    let exposure = &outcome.exposures[0];
    assert_eq!(
        exposure.depends_on,
        ["model.shop.customers", "model.shop.orders"]
    );
    assert!(exposure.unparsed_custom_sql.is_empty());
}

#[test]
fn tableau_parsed_custom_sql_tables_are_used_as_given() {
    let m = manifest(
        &model("orders", Some("analytics"), "dbt_prod", "orders"),
        "",
    );
    let wb = Workbook {
        custom_sql: vec![custom_sql(
            "this is not SQL at all",
            None,
            vec![table(Some("ANALYTICS"), Some("DBT_PROD"), Some("ORDERS"))],
        )],
        ..workbook("wb-1", "Orders", vec![])
    };
    let outcome = build_exposures(&m, &[wb], &MatchOptions::default());
    assert_eq!(outcome.exposures[0].depends_on, ["model.shop.orders"]);
    assert!(outcome.exposures[0].unparsed_custom_sql.is_empty());
}

#[test]
fn an_unreadable_custom_sql_query_is_reported_not_fatal() {
    let m = manifest(&model("orders", Some("a"), "s", "orders"), "");
    let wb = Workbook {
        custom_sql: vec![custom_sql("select * from (((", Some("a"), vec![])],
        ..workbook(
            "wb-1",
            "Broken",
            vec![table(Some("a"), Some("s"), Some("orders"))],
        )
    };
    let outcome = build_exposures(&m, &[wb], &MatchOptions::default());
    let exposure = &outcome.exposures[0];
    assert_eq!(exposure.depends_on, ["model.shop.orders"]);
    assert_eq!(exposure.unparsed_custom_sql.len(), 1);
    assert!(
        exposure.unparsed_custom_sql[0].starts_with("custom SQL csql-1: "),
        "{:?}",
        exposure.unparsed_custom_sql
    );
}

#[test]
fn large_listings_match_the_same_on_many_threads_as_one_by_one() {
    let nodes: Vec<String> = (0..50)
        .map(|i| {
            model(
                &format!("orders_{i}"),
                Some("a"),
                "s",
                &format!("orders_{i}"),
            )
        })
        .collect();
    let m = manifest(&nodes.join(","), "");
    let workbooks: Vec<Workbook> = (0..5_000)
        .map(|i| {
            workbook(
                &format!("wb-{i:05}"),
                &format!("Report {}", i % 700),
                vec![
                    table(Some("A"), Some("S"), Some(&format!("ORDERS_{}", i % 50))),
                    table(Some("a"), Some("s"), Some("missing")),
                ],
            )
        })
        .collect();
    let all = build_exposures(&m, &workbooks, &MatchOptions::default());
    assert_eq!(all.stats.workbooks, 5_000);
    assert_eq!(all.stats.tables_matched, 5_000);
    assert_eq!(all.stats.tables_unmatched, 5_000);
    assert_eq!(all.exposures.len(), 5_000);
    // Each exposure, built alone (the one-thread path), is the same as in the big run.
    for (i, wb) in workbooks.iter().enumerate().step_by(97) {
        let alone = build_exposures(&m, std::slice::from_ref(wb), &MatchOptions::default());
        let big = all
            .exposures
            .iter()
            .find(|e| e.workbook_luid == wb.luid)
            .expect("every workbook has its exposure");
        assert_eq!(big.depends_on, [format!("model.shop.orders_{}", i % 50)]);
        assert_eq!(big.depends_on, alone.exposures[0].depends_on);
        assert_eq!(big.unmatched_tables, alone.exposures[0].unmatched_tables);
    }
    let mut names: Vec<&str> = all.exposures.iter().map(|e| e.name.as_str()).collect();
    names.dedup();
    assert_eq!(names.len(), 5_000, "names stay unique across threads");
}

#[test]
fn a_seed_and_a_source_on_one_two_part_table_are_not_ambiguous() {
    let nodes =
        model("raw_customers", None, "raw", "raw_customers").replace("\"model\"", "\"seed\"");
    let source = r#""source.shop.ecom.raw_customers": {"resource_type": "source", "source_name": "ecom",
        "name": "raw_customers", "identifier": "raw_customers", "database": null, "schema": "raw",
        "package_name": "shop"}"#;
    let m = manifest(&nodes, source);
    assert_eq!(
        depends_on(
            &m,
            vec![table(
                Some("spark_catalog"),
                Some("RAW"),
                Some("RAW_CUSTOMERS")
            )]
        ),
        ["model.shop.raw_customers", "source.shop.ecom.raw_customers"]
    );
}
