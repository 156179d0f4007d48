//! Which tables a workbook reaches through the paths real sites use: published data
//! sources built on other published data sources, virtual connections, custom SQL on a
//! published data source; and a Metadata API that is still indexing.

mod common;

use autoexpose_domain::Workbook;
use autoexpose_tableau::TableauError;
use common::*;
use tableau_sim::{
    CustomSqlSpec, DatasourceSpec, Simulator, VirtualConnectionSpec, VirtualTableSpec, WorkbookSpec,
};

/// The example site's certified published data source (reads ORDERS and customers).
const ORDERS_SOURCE: &str = "d5d5d5d5-0001-4000-8000-0000000000d1";
const OWNER: &str = "a1a1a1a1-0001-4000-8000-0000000000a1";

fn workbook(luid: &str, name: &str) -> WorkbookSpec {
    WorkbookSpec {
        luid: luid.into(),
        name: name.into(),
        project_id: SANDBOX.into(),
        owner_id: OWNER.into(),
        vizportal_url_id: "90001".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        updated_at: "2026-01-02T00:00:00Z".into(),
        ..WorkbookSpec::default()
    }
}

fn datasource(luid: &str, name: &str) -> DatasourceSpec {
    DatasourceSpec {
        luid: luid.into(),
        name: name.into(),
        project_id: SANDBOX.into(),
        owner_id: Some(OWNER.into()),
        ..DatasourceSpec::default()
    }
}

async fn sandbox_workbook(sim: &Simulator, name: &str) -> Workbook {
    let listing = client(sim, options(100))
        .list_collections(&[SANDBOX.to_string()], |_| {})
        .await
        .unwrap();
    listing
        .workbooks
        .workbooks
        .into_iter()
        .find(|w| w.name == name)
        .unwrap_or_else(|| panic!("{name} is listed"))
}

fn table_ids(workbook: &Workbook) -> Vec<&str> {
    let mut ids: Vec<&str> = workbook
        .tables
        .iter()
        .filter_map(|t| t.id.as_deref())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn tables_of_published_sources_built_on_published_sources_count_once() {
    let sim = example_site().await;
    sim.edit_site(SITE, |site| {
        // Orders + Payments is published on top of Orders (certified); Revenue Bridge
        // sits on top of that, and its workbook also reads ORDERS itself.
        let mut middle = datasource("d5d5d5d5-0002-4000-8000-0000000000d2", "Orders + Payments");
        middle.table_ids = vec!["tbl-payments".into()];
        middle.datasource_luids = vec![ORDERS_SOURCE.into()];
        let mut top = datasource("d5d5d5d5-0003-4000-8000-0000000000d3", "Revenue Bridge");
        top.table_ids = vec!["tbl-targets".into()];
        top.datasource_luids = vec![middle.luid.clone()];
        let mut wb = workbook("e1e1e1e1-0101-4000-8000-000000000101", "Chained Sources");
        wb.table_ids = vec!["tbl-orders".into()];
        wb.datasource_luids = vec![top.luid.clone()];
        site.datasources.extend([middle, top]);
        site.workbooks.push(wb);
    })
    .unwrap();
    let wb = sandbox_workbook(&sim, "Chained Sources").await;
    assert_eq!(
        table_ids(&wb),
        ["tbl-customers", "tbl-orders", "tbl-payments", "tbl-targets"]
    );
    // The data source the workbook uses is the one it depends on for refreshes.
    let sources: Vec<&str> = wb.datasources.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(sources, ["Revenue Bridge"]);
}

#[tokio::test]
async fn tables_behind_virtual_connection_tables_count_like_any_other() {
    let sim = example_site().await;
    sim.edit_site(SITE, |site| {
        site.virtual_connections.push(VirtualConnectionSpec {
            luid: "f0f0f0f0-0001-4000-8000-0000000000f0".into(),
            name: "Warehouse (governed)".into(),
            tables: vec![
                VirtualTableSpec {
                    luid: "vct-sessions".into(),
                    name: "SESSIONS".into(),
                    table_ids: vec!["tbl-sessions".into()],
                },
                VirtualTableSpec {
                    luid: "vct-gl".into(),
                    name: "GL_ENTRIES".into(),
                    table_ids: vec!["tbl-gl-entries".into()],
                },
            ],
        });
        let mut governed = datasource("d5d5d5d5-0004-4000-8000-0000000000d4", "Governed GL");
        governed.virtual_table_luids = vec!["vct-gl".into()];
        let mut wb = workbook("e1e1e1e1-0102-4000-8000-000000000102", "Through a VC");
        wb.virtual_table_luids = vec!["vct-sessions".into()];
        wb.datasource_luids = vec![governed.luid.clone()];
        site.datasources.push(governed);
        site.workbooks.push(wb);
    })
    .unwrap();
    let wb = sandbox_workbook(&sim, "Through a VC").await;
    assert_eq!(table_ids(&wb), ["tbl-gl-entries", "tbl-sessions"]);
}

#[tokio::test]
async fn custom_sql_of_a_published_source_reaches_the_workbooks_using_it() {
    let sim = example_site().await;
    sim.edit_site(SITE, |site| {
        let mut shared = datasource("d5d5d5d5-0005-4000-8000-0000000000d5", "Shared SQL");
        shared.custom_sql = vec![CustomSqlSpec {
            id: "csql-shared".into(),
            query: "select * from analytics.dbt_prod.payments".into(),
            connection_type: "snowflake".into(),
            database: "ANALYTICS".into(),
            table_ids: vec!["tbl-payments".into()],
            is_unsupported: false,
        }];
        let mut wb = workbook("e1e1e1e1-0103-4000-8000-000000000103", "On Shared SQL");
        wb.datasource_luids = vec![shared.luid.clone()];
        site.datasources.push(shared);
        site.workbooks.push(wb);
    })
    .unwrap();
    let wb = sandbox_workbook(&sim, "On Shared SQL").await;
    let ids: Vec<Option<&str>> = wb.custom_sql.iter().map(|s| s.id.as_deref()).collect();
    assert_eq!(ids, [Some("csql-shared")]);
    assert_eq!(wb.custom_sql[0].tables[0].name.as_deref(), Some("PAYMENTS"));
}

#[tokio::test]
async fn a_metadata_index_being_rebuilt_fails_the_listing_as_indexing() {
    let sim = example_site().await;
    sim.faults().set_metadata_backfill_running(true);
    let err = client(&sim, options(100))
        .list_collections(&[SANDBOX.to_string()], |_| {})
        .await
        .expect_err("a listing during a backfill may be incomplete");
    assert!(matches!(err, TableauError::MetadataIndexing), "{err:?}");
    assert!(err.to_string().contains("still indexing"));
    sim.faults().set_metadata_backfill_running(false);
    client(&sim, options(100))
        .list_collections(&[SANDBOX.to_string()], |_| {})
        .await
        .expect("once indexing is done the listing works again");
}
