//! Table names as real Tableau servers return them: `schema` empty or disagreeing with
//! `fullName`, no database, tables of files and SaaS connectors, and hidden names.

use autoexpose_domain::diagnose::{TableStatus, diagnose, to_text};
use autoexpose_domain::{
    Aliases, Manifest, MatchOptions, UpstreamTable, Workbook, build_exposures,
};

fn manifest() -> Manifest {
    Manifest::from_slice(
        br#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json", "project_name": "shop"},
        "nodes": {
          "model.shop.actor": {"resource_type": "model", "name": "actor", "alias": "actor", "database": "dvd", "schema": "public", "package_name": "shop"},
          "model.shop.orders": {"resource_type": "model", "name": "orders", "alias": "orders", "database": "sales", "schema": "dbo", "package_name": "shop"},
          "model.shop.orders_eu": {"resource_type": "model", "name": "orders", "alias": "orders", "database": "sales_eu", "schema": "dbo", "package_name": "shop"}
        }, "sources": {}}"#,
    )
    .expect("manifest parses")
}

fn table(
    database: Option<&str>,
    schema: &str,
    name: &str,
    full: &str,
    class: &str,
) -> UpstreamTable {
    UpstreamTable {
        id: Some(format!("t-{name}-{class}")),
        luid: None,
        database: database.map(str::to_string),
        schema: Some(schema.to_string()),
        name: Some(name.to_string()),
        full_name: (!full.is_empty()).then(|| full.to_string()),
        connection_type: Some(class.to_string()),
    }
}

fn workbook(tables: Vec<UpstreamTable>) -> Workbook {
    Workbook {
        luid: "wb-1".into(),
        name: "Rentals".into(),
        tables,
        ..Workbook::default()
    }
}

fn depends_on(workbook: Workbook, aliases: Aliases) -> Vec<String> {
    let options = MatchOptions {
        aliases,
        ..MatchOptions::default()
    };
    let outcome = build_exposures(&manifest(), &[workbook], &options);
    outcome
        .exposures
        .first()
        .map(|e| e.depends_on.clone())
        .unwrap_or_default()
}

#[test]
fn full_name_wins_over_a_stale_schema_field() {
    let stale = table(
        Some("dvd"),
        "public1",
        "actor",
        "[public].[actor]",
        "postgres",
    );
    assert_eq!(
        depends_on(workbook(vec![stale]), Aliases::default()),
        ["model.shop.actor"]
    );
}

#[test]
fn an_empty_schema_is_read_from_full_name() {
    let empty = table(Some("dvd"), "", "actor", "[public].[actor]", "postgres");
    assert_eq!(
        depends_on(workbook(vec![empty]), Aliases::default()),
        ["model.shop.actor"]
    );
}

#[test]
fn a_doubled_bracket_inside_a_full_name_part_is_one_bracket() {
    let m = Manifest::from_slice(
        br#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},
        "nodes": {"model.shop.odd": {"resource_type": "model", "name": "odd", "alias": "odd", "database": "dvd", "schema": "we]ird.schema", "package_name": "shop"}},
        "sources": {}}"#,
    )
    .expect("manifest parses");
    let odd = table(Some("dvd"), "", "odd", "[we]]ird.schema].[odd]", "postgres");
    let outcome = build_exposures(&m, &[workbook(vec![odd])], &MatchOptions::default());
    assert_eq!(outcome.exposures[0].depends_on, ["model.shop.odd"]);
}

#[test]
fn a_table_with_no_schema_matches_only_with_a_default_schema() {
    let bare = || table(Some("dvd"), "", "actor", "[actor]", "postgres");
    assert!(depends_on(workbook(vec![bare()]), Aliases::default()).is_empty());
    for scope in ["", "postgres", "DVD"] {
        let aliases = Aliases {
            default_schemas: [(scope.to_string(), "public".to_string())].into(),
            ..Aliases::default()
        };
        assert_eq!(
            depends_on(workbook(vec![bare()]), aliases),
            ["model.shop.actor"],
            "scope '{scope}'"
        );
    }
    let other_connection = Aliases {
        default_schemas: [("sqlserver".to_string(), "public".to_string())].into(),
        ..Aliases::default()
    };
    assert!(depends_on(workbook(vec![bare()]), other_connection).is_empty());
}

#[test]
fn the_most_specific_default_schema_wins() {
    let aliases = Aliases {
        default_schemas: [
            (String::new(), "dbo".to_string()),
            ("postgres".to_string(), "public".to_string()),
        ]
        .into(),
        ..Aliases::default()
    };
    let bare = table(Some("dvd"), "", "actor", "", "postgres");
    assert_eq!(
        depends_on(workbook(vec![bare]), aliases),
        ["model.shop.actor"]
    );
}

#[test]
fn a_missing_database_is_filled_by_the_default_database() {
    // `orders` is in two dbt databases, so schema and name alone cannot decide.
    let two_part = || table(None, "dbo", "orders", "[dbo].[orders]", "sqlserver");
    assert!(depends_on(workbook(vec![two_part()]), Aliases::default()).is_empty());
    let aliases = Aliases {
        default_databases: [("sqlserver".to_string(), "SALES_EU".to_string())].into(),
        ..Aliases::default()
    };
    assert_eq!(
        depends_on(workbook(vec![two_part()]), aliases),
        ["model.shop.orders_eu"]
    );
}

#[test]
fn tables_of_files_and_saas_are_counted_apart_not_unmatched() {
    let tables = vec![
        table(None, "", "Sheet1", "[Sheet1$]", "excel-direct"),
        table(None, "", "orders.csv", "[orders#csv]", "textscan"),
        table(
            None,
            "",
            "Leads",
            "[Leads]",
            "webdata-direct:marketo-marketo",
        ),
        table(None, "", "Account", "[Account]", "salesforce"),
        table(
            Some("dvd"),
            "public",
            "actor",
            "[public].[actor]",
            "postgres",
        ),
    ];
    let outcome = build_exposures(
        &manifest(),
        &[workbook(tables.clone())],
        &MatchOptions::default(),
    );
    assert_eq!(outcome.stats.tables_not_warehouse, 4);
    assert_eq!(outcome.stats.tables_unmatched, 0);
    assert!(outcome.exposures[0].unmatched_tables.is_empty());
    let report = diagnose(&manifest(), &[workbook(tables)], &Aliases::default());
    assert_eq!(report.summary.not_warehouse, 4);
    assert!(matches!(
        &report.tables[3].status,
        TableStatus::NotWarehouse { connection_type, .. } if connection_type == "salesforce"
    ));
    let text = to_text(&report);
    assert!(
        text.contains("Sheet1 (excel-direct: a file, which no dbt node can be)"),
        "{text}"
    );
    assert!(text.contains("4 not in a warehouse"), "{text}");
}

#[test]
fn diagnose_suggests_the_default_schema_and_shows_it_once_set() {
    let bare = || table(Some("dvd"), "", "actor", "[actor]", "postgres");
    let report = diagnose(&manifest(), &[workbook(vec![bare()])], &Aliases::default());
    let TableStatus::Unmatched {
        hint: Some(hint), ..
    } = &report.tables[0].status
    else {
        panic!("unmatched with a hint: {:?}", report.tables[0]);
    };
    assert!(hint.contains("Tableau names no schema"), "{hint}");
    assert!(hint.contains("--default-schema postgres=public"), "{hint}");
    let aliases = Aliases {
        default_schemas: [("postgres".to_string(), "public".to_string())].into(),
        ..Aliases::default()
    };
    let fixed = diagnose(&manifest(), &[workbook(vec![bare()])], &aliases);
    assert!(matches!(
        fixed.tables[0].status,
        TableStatus::Matched { .. }
    ));
    let text = to_text(&fixed);
    assert!(
        text.contains(
            "note: schema 'public' is the default for postgres tables (Tableau names none)"
        ),
        "{text}"
    );
}

#[test]
fn diagnose_suggests_the_default_database_when_dbt_has_the_table_twice() {
    let two_part = table(None, "dbo", "orders", "[dbo].[orders]", "sqlserver");
    let report = diagnose(
        &manifest(),
        &[workbook(vec![two_part])],
        &Aliases::default(),
    );
    let TableStatus::Unmatched {
        hint: Some(hint), ..
    } = &report.tables[0].status
    else {
        panic!("unmatched with a hint: {:?}", report.tables[0]);
    };
    assert!(hint.contains("Tableau names no database"), "{hint}");
    assert!(hint.contains("--default-database sqlserver="), "{hint}");
    let text = to_text(&report);
    assert!(
        text.contains("has the same schema and name, in one of several databases"),
        "{text}"
    );
}

#[test]
fn diagnose_notes_a_schema_field_that_disagrees_with_full_name() {
    let stale = table(
        Some("dvd"),
        "public1",
        "actor",
        "[public].[actor]",
        "postgres",
    );
    let report = diagnose(&manifest(), &[workbook(vec![stale])], &Aliases::default());
    assert!(matches!(
        report.tables[0].status,
        TableStatus::Matched { .. }
    ));
    let note = report.tables[0].note.as_deref().unwrap_or_default();
    assert!(
        note.contains(
            "schema field says 'public1' but its full name [public].[actor] reads schema 'public'"
        ),
        "{note}"
    );
}

#[test]
fn hidden_tables_are_listed_and_never_pass_for_a_success() {
    let hidden = |id: &str| UpstreamTable {
        id: Some(id.to_string()),
        connection_type: Some("postgres".into()),
        ..UpstreamTable::default()
    };
    let tables = vec![
        hidden("h-1"),
        hidden("h-2"),
        hidden("h-3"),
        table(
            Some("dvd"),
            "public",
            "actor",
            "[public].[actor]",
            "postgres",
        ),
    ];
    let outcome = build_exposures(
        &manifest(),
        &[workbook(tables.clone())],
        &MatchOptions::default(),
    );
    assert_eq!(outcome.stats.tables_hidden, 3);
    let warning = outcome.stats.hidden_warning().expect("hidden tables warn");
    assert!(warning.contains("3 of 4 tables (75%)"), "{warning}");
    assert!(
        warning.contains("Connect permission on the data sources"),
        "{warning}"
    );
    let report = diagnose(&manifest(), &[workbook(tables)], &Aliases::default());
    let text = to_text(&report);
    assert!(
        text.contains("hidden    (name hidden by Tableau permissions; table id h-2)"),
        "{text}"
    );
    assert!(text.contains("3 of 4 tables are hidden"), "{text}");
    assert!(text.contains("Site Administrator Explorer"), "{text}");
}

#[test]
fn no_hidden_tables_no_warning() {
    let outcome = build_exposures(
        &manifest(),
        &[workbook(vec![table(
            Some("dvd"),
            "public",
            "actor",
            "",
            "postgres",
        )])],
        &MatchOptions::default(),
    );
    assert_eq!(outcome.stats.hidden_warning(), None);
}
