//! The columns a workbook's fields read, fetched by LUID against the simulator: column
//! fields, calculated fields, published data sources' fields through their stand-ins,
//! obfuscated columns, and the node limit and rate limit met on the way.

mod common;

use std::collections::BTreeMap;

use autoexpose_domain::FieldColumn;
use autoexpose_tableau::{TableauError, WorkbookColumns};
use common::*;
use tableau_sim::{FieldSpec, Simulator};

const REVENUE: &str = "e1e1e1e1-0001-4000-8000-0000000000e1";
const DAILY_ORDERS: &str = "e1e1e1e1-0002-4000-8000-0000000000e2";
const CUSTOMER_360: &str = "e1e1e1e1-0003-4000-8000-0000000000e3";

async fn columns_of(sim: &Simulator, luids: &[&str]) -> Result<WorkbookColumns, TableauError> {
    let luids: Vec<String> = luids.iter().map(|l| l.to_string()).collect();
    client(sim, options(100))
        .with_session(async |session| session.workbook_columns(&luids).await)
        .await
}

/// `TABLE.COLUMN` of each column read, in order.
fn names(columns: &[FieldColumn]) -> Vec<String> {
    columns
        .iter()
        .map(|c| {
            format!(
                "{}.{}",
                c.table.name.as_deref().unwrap_or("?"),
                c.name.as_deref().unwrap_or("?")
            )
        })
        .collect()
}

const ORDERS_SOURCE: [&str; 6] = [
    "ORDERS.AMOUNT",
    "ORDERS.CUSTOMER_ID",
    "ORDERS.DISCOUNT_CODE",
    "ORDERS.ORDER_DATE",
    "ORDERS.ORDER_ID",
    "customers.first_name",
];

#[tokio::test]
async fn a_published_data_source_gives_its_columns_to_each_workbook_that_uses_it() {
    let sim = example_site().await;
    let read = columns_of(&sim, &[CUSTOMER_360]).await.expect("reads");
    assert_eq!(read.columns.keys().collect::<Vec<_>>(), [CUSTOMER_360]);
    assert_eq!(names(&read.columns[CUSTOMER_360]), ORDERS_SOURCE);
    let amount = &read.columns[CUSTOMER_360][0];
    assert_eq!(amount.remote_type.as_deref(), Some("R8"));
    assert_eq!(amount.table.database.as_deref(), Some("ANALYTICS"));
    assert_eq!(amount.table.schema.as_deref(), Some("DBT_PROD"));
    // The customers table's `email` column is obfuscated for this user: counted, not kept.
    assert_eq!(read.hidden, 1);
}

#[tokio::test]
async fn own_fields_calculated_fields_and_published_ones_add_up() {
    let sim = example_site().await;
    let read = columns_of(&sim, &[REVENUE, DAILY_ORDERS])
        .await
        .expect("reads");
    // Sorted by database, schema, table and column as Tableau spells them.
    let mut expected: Vec<&str> = ORDERS_SOURCE[..5].to_vec();
    expected.extend([
        "PAYMENTS.AMOUNT",
        "PAYMENTS.PAYMENT_METHOD",
        "customers.first_name",
    ]);
    assert_eq!(names(&read.columns[REVENUE]), expected);
    // A workbook without fields is answered, with none.
    assert_eq!(read.columns[DAILY_ORDERS], []);
}

#[tokio::test]
async fn a_calculated_field_reads_the_columns_of_the_fields_in_its_formula() {
    let sim = example_site().await;
    // Revenue's `Paid` is SUM([Payment Amount]); make the formula read a new field only it
    // names, and drop the plain field, so the column is reached through the formula alone.
    sim.edit_site(SITE, |site| {
        let revenue = site
            .workbooks
            .iter_mut()
            .find(|w| w.luid == REVENUE)
            .expect("revenue");
        revenue.fields.retain(|f| f.name != "Payment Amount");
        revenue.fields.push(FieldSpec {
            name: "Net".into(),
            formula: Some("[Gross] - [Fee]".into()),
            references: vec!["Gross".into()],
            ..FieldSpec::default()
        });
        revenue.fields.push(FieldSpec {
            name: "Gross".into(),
            table_id: Some("tbl-payments".into()),
            column: Some("AMOUNT".into()),
            ..FieldSpec::default()
        });
        revenue
            .fields
            .iter_mut()
            .find(|f| f.name == "Paid")
            .expect("paid")
            .references = vec!["Net".into()];
    })
    .expect("edited");
    let read = columns_of(&sim, &[REVENUE]).await.expect("reads");
    let names = names(&read.columns[REVENUE]);
    assert!(names.contains(&"PAYMENTS.AMOUNT".to_string()), "{names:?}");
}

#[tokio::test]
async fn pages_cut_at_the_node_limit_are_fetched_again_smaller_to_the_same_columns() {
    let sim = example_site().await;
    let all = [REVENUE, DAILY_ORDERS, CUSTOMER_360];
    let whole = columns_of(&sim, &all).await.expect("reads");
    assert_eq!(whole.pages, 1);
    sim.faults().set_node_limit(100);
    let cut = columns_of(&sim, &all)
        .await
        .expect("reads in smaller pages");
    assert!(cut.pages > 1, "{} pages", cut.pages);
    assert_eq!(cut.columns, whole.columns);
    assert_eq!(cut.hidden, whole.hidden);
}

#[tokio::test]
async fn a_workbook_larger_than_the_node_limit_fails_rather_than_giving_part_of_its_columns() {
    let sim = example_site().await;
    sim.faults().set_node_limit(10);
    let err = columns_of(&sim, &[REVENUE]).await.expect_err("cannot fit");
    assert!(
        matches!(err, TableauError::PartialResults { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn rate_exceeded_is_waited_out() {
    let sim = example_site().await;
    sim.faults().rate_limit_next_metadata(2);
    let read = columns_of(&sim, &[CUSTOMER_360]).await.expect("reads");
    assert_eq!(names(&read.columns[CUSTOMER_360]), ORDERS_SOURCE);
}

#[tokio::test]
async fn many_workbooks_are_asked_for_in_batches_of_luids() {
    let sim = example_site().await;
    // 250 LUIDs, three of them real: three batches of at most 100.
    let mut luids: Vec<String> = (0..247)
        .map(|i| format!("00000000-0000-4000-8000-{i:012}"))
        .collect();
    luids.extend([REVENUE, DAILY_ORDERS, CUSTOMER_360].map(String::from));
    sim.reset_stats();
    let read = client(&sim, options(100))
        .with_session(async |session| session.workbook_columns(&luids).await)
        .await
        .expect("reads");
    assert_eq!(read.columns.len(), 3);
    assert_eq!(read.pages, 3);
    assert_eq!(sim.stats().metadata_queries, 3);
    let sizes: BTreeMap<&str, usize> = read
        .columns
        .iter()
        .map(|(luid, columns)| (luid.as_str(), columns.len()))
        .collect();
    assert_eq!(sizes[CUSTOMER_360], 6);
}
