//! Table names as real Tableau servers return them, through the real client against the
//! simulator's `rentals` site (`tests/simulator/sites/real_names.json`): `schema` empty or
//! disagreeing with `fullName`, doubled brackets, `database: null`, tables of files, web
//! data connectors and SaaS, and tables whose names the Metadata API obfuscates.

// This binary starts its own site, not the example one the helpers re-export.
#[allow(unused_imports)]
mod common;

use autoexpose_domain::diagnose::{TableStatus, diagnose};
use autoexpose_domain::{
    Aliases, Manifest, MatchOptions, UpstreamTable, Workbook, build_exposures,
};
use common::{PAT, client_for, options};
use tableau_sim::{Simulator, load_site_file};

const DVD_RENTAL: &str = "2a0e1a6c-0001-4000-8000-00000000d001";

async fn rentals_site() -> Simulator {
    let path = autoexpose_testkit::workspace_root().join("tests/simulator/sites/real_names.json");
    let data = load_site_file(&path).expect("the real-names site loads");
    Simulator::start(data).await.expect("the simulator starts")
}

async fn listing(sim: &Simulator) -> Vec<Workbook> {
    client_for(sim, "rentals", PAT, options(100))
        .list_collections(&[DVD_RENTAL.to_string()], |_| {})
        .await
        .expect("the site lists")
        .workbooks
        .workbooks
}

fn manifest() -> Manifest {
    Manifest::from_slice(
        br#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json", "project_name": "rentals"},
        "nodes": {
          "model.rentals.actor": {"resource_type": "model", "name": "actor", "alias": "actor", "database": "dvdrental", "schema": "public", "package_name": "rentals"},
          "model.rentals.film": {"resource_type": "model", "name": "film", "alias": "film", "database": "dvdrental", "schema": "public", "package_name": "rentals"},
          "model.rentals.odd": {"resource_type": "model", "name": "odd", "alias": "odd", "database": "dvdrental", "schema": "we]ird", "package_name": "rentals"},
          "model.rentals.orders": {"resource_type": "model", "name": "orders", "alias": "orders", "database": "sales", "schema": "dbo", "package_name": "rentals"},
          "model.rentals.orders_eu": {"resource_type": "model", "name": "orders_eu", "alias": "orders", "database": "sales_eu", "schema": "dbo", "package_name": "rentals"}
        }, "sources": {}}"#,
    )
    .expect("manifest parses")
}

fn table<'w>(workbooks: &'w [Workbook], id: &str) -> &'w UpstreamTable {
    workbooks
        .iter()
        .flat_map(|w| &w.tables)
        .find(|t| t.id.as_deref() == Some(id))
        .unwrap_or_else(|| panic!("table {id} is listed"))
}

fn exposure_of<'o>(
    outcome: &'o autoexpose_domain::MatchOutcome,
    label: &str,
) -> &'o autoexpose_domain::Exposure {
    outcome
        .exposures
        .iter()
        .find(|e| e.label == label)
        .unwrap_or_else(|| panic!("an exposure for {label}: {:?}", outcome.exposures))
}

#[tokio::test]
async fn names_arrive_as_the_server_sends_them() {
    let sim = rentals_site().await;
    let workbooks = listing(&sim).await;
    let stale = table(&workbooks, "tbl-actor-stale");
    assert_eq!(stale.schema.as_deref(), Some("public1"));
    assert_eq!(stale.full_name.as_deref(), Some("[public].[actor]"));
    let bare = table(&workbooks, "tbl-film-no-schema");
    assert_eq!(bare.schema.as_deref(), Some(""));
    let no_database = table(&workbooks, "tbl-orders-no-database");
    assert_eq!(no_database.database, None);
    assert_eq!(no_database.connection_type.as_deref(), Some("sqlserver"));
    let hidden = table(&workbooks, "tbl-hidden-2");
    assert_eq!(
        (
            &hidden.name,
            &hidden.schema,
            &hidden.full_name,
            &hidden.database
        ),
        (&None, &None, &None, &None)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn full_name_decides_the_schema_and_defaults_fill_what_tableau_leaves_empty() {
    let sim = rentals_site().await;
    let workbooks = listing(&sim).await;
    let plain = build_exposures(&manifest(), &workbooks, &MatchOptions::default());
    // `[public].[actor]` wins over `schema: "public1"`; `[we]]ird].[odd]` is schema `we]ird`.
    assert_eq!(
        exposure_of(&plain, "Rental Quirks").depends_on,
        ["model.rentals.actor", "model.rentals.odd"]
    );
    let options = MatchOptions {
        aliases: Aliases {
            default_schemas: [("postgres".to_string(), "public".to_string())].into(),
            default_databases: [("sqlserver".to_string(), "sales_eu".to_string())].into(),
            ..Aliases::default()
        },
        ..MatchOptions::default()
    };
    let with_defaults = build_exposures(&manifest(), &workbooks, &options);
    assert_eq!(
        exposure_of(&with_defaults, "Rental Quirks").depends_on,
        [
            "model.rentals.actor",
            "model.rentals.film",
            "model.rentals.odd",
            "model.rentals.orders_eu"
        ]
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn files_connectors_and_saas_are_counted_apart() {
    let sim = rentals_site().await;
    let workbooks = listing(&sim).await;
    let outcome = build_exposures(&manifest(), &workbooks, &MatchOptions::default());
    let targets = exposure_of(&outcome, "Targets From Files");
    assert!(targets.unmatched_tables.is_empty(), "{targets:?}");
    assert_eq!(outcome.stats.tables_not_warehouse, 4);
    let report = diagnose(&manifest(), &workbooks, &Aliases::default());
    let apart: Vec<&str> = report
        .tables
        .iter()
        .filter_map(|t| match &t.status {
            TableStatus::NotWarehouse {
                connection_type, ..
            } => Some(connection_type.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        apart,
        [
            "excel-direct",
            "textscan",
            "webdata-direct:marketo-marketo",
            "salesforce"
        ]
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn obfuscated_tables_are_hidden_and_warned_about() {
    let sim = rentals_site().await;
    let workbooks = listing(&sim).await;
    let outcome = build_exposures(&manifest(), &workbooks, &MatchOptions::default());
    assert_eq!(outcome.stats.tables_hidden, 3);
    let warning = outcome.stats.hidden_warning().expect("a warning");
    assert!(
        warning.contains("Tableau hid the names of 3 of"),
        "{warning}"
    );
    let report = diagnose(&manifest(), &workbooks, &Aliases::default());
    let hidden: Vec<&str> = report
        .tables
        .iter()
        .filter(|t| t.status == TableStatus::Hidden)
        .map(|t| t.table.as_str())
        .collect();
    assert_eq!(
        hidden,
        [
            "(name hidden by Tableau permissions; table id tbl-hidden-1)",
            "(name hidden by Tableau permissions; table id tbl-hidden-2)",
            "(name hidden by Tableau permissions; table id tbl-hidden-3)"
        ]
    );
    sim.shutdown().await;
}
