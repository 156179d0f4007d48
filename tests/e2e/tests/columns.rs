//! The columns each dashboard reads, through the stored pipeline on DynamoDB and S3 (moto)
//! with the real Tableau client against the simulator: the snapshot and the exposures keep
//! them, and the `catalog.json` beside the manifest in S3 decides what dbt lacks.

use autoexpose_domain::{Exposure, Workbook};
use autoexpose_e2e::{CUSTOMER_360, FINANCE, MANIFEST_KEY, PROJECT, REVENUE, World, invoke_event};
use serde_json::json;

const CATALOG_KEY: &str = "dbt/shop/prod/catalog.json";

/// The warehouse's columns of `orders` and `payments`: `DISCOUNT_CODE` is gone.
fn catalog() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/catalog/v1.json"},
        "nodes": {
            "model.shop.orders": {"columns": {
                "ORDER_ID": {"type": "NUMBER", "index": 1, "name": "ORDER_ID"},
                "CUSTOMER_ID": {"type": "NUMBER", "index": 2, "name": "CUSTOMER_ID"},
                "ORDER_DATE": {"type": "TIMESTAMP_NTZ", "index": 3, "name": "ORDER_DATE"},
                "AMOUNT": {"type": "NUMBER(12,2)", "index": 4, "name": "AMOUNT"}}},
            "model.shop.payments": {"columns": {
                "PAYMENT_ID": {"type": "NUMBER", "index": 1, "name": "PAYMENT_ID"},
                "AMOUNT": {"type": "NUMBER", "index": 2, "name": "AMOUNT"},
                "PAYMENT_METHOD": {"type": "TEXT", "index": 3, "name": "PAYMENT_METHOD"}}}
        },
        "sources": {}
    }))
    .expect("catalog JSON")
}

/// Uploads the production manifest and has the manifest-uploaded function apply it.
async fn apply_manifest(world: &World) {
    let upload = world
        .upload_manifest(MANIFEST_KEY, PROJECT, "2025-03-01T07:00:00Z", "inv-1")
        .await;
    manifest_uploaded::handler(world.s3_event(&[&upload]), &world.deps)
        .await
        .expect("manifest applied");
}

/// Has the collections-updated function select these collections, which syncs.
async fn select(world: &World, collections: &[&str]) {
    collections_updated::handler(
        invoke_event(json!({"integration_id": "acme-prod", "collections": collections})),
        &world.deps,
    )
    .await
    .expect("synced");
}

/// The stored exposure of one workbook.
async fn exposure_of(world: &World, luid: &str) -> Exposure {
    world
        .exposures("acme-prod")
        .await
        .into_iter()
        .find(|s| s.exposure.workbook_luid == luid)
        .unwrap_or_else(|| panic!("no exposure of {luid}"))
        .exposure
}

/// One workbook as the stored snapshot holds it.
async fn snapshot_workbook(world: &World, luid: &str) -> Workbook {
    world
        .store()
        .get_snapshot("acme-prod")
        .await
        .expect("read snapshot")
        .expect("a snapshot")
        .workbooks
        .into_iter()
        .find(|w| w.luid == luid)
        .unwrap_or_else(|| panic!("{luid} is not in the snapshot"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_on_dynamodb_keeps_the_columns_each_dashboard_reads() {
    let world = World::start().await;
    world.add_integration("acme-prod", &[FINANCE]).await;
    world.upload(CATALOG_KEY, catalog()).await;
    apply_manifest(&world).await;
    select(&world, &["Finance", "Marketing"]).await;

    let revenue = exposure_of(&world, REVENUE).await;
    let read: Vec<String> = revenue
        .referenced_columns
        .iter()
        .map(|c| format!("{}.{}", c.node, c.column_name))
        .collect();
    assert_eq!(
        read,
        [
            "model.shop.customers.first_name",
            "model.shop.orders.AMOUNT",
            "model.shop.orders.CUSTOMER_ID",
            "model.shop.orders.DISCOUNT_CODE",
            "model.shop.orders.ORDER_DATE",
            "model.shop.orders.ORDER_ID",
            "model.shop.payments.AMOUNT",
            "model.shop.payments.PAYMENT_METHOD",
        ]
    );
    let missing: Vec<&str> = revenue
        .missing_columns
        .iter()
        .map(|c| c.column_name.as_str())
        .collect();
    assert_eq!(missing, ["DISCOUNT_CODE"]);
    let method = revenue
        .referenced_columns
        .iter()
        .find(|c| c.column_name == "PAYMENT_METHOD")
        .expect("payment method");
    assert_eq!(method.data_type.as_deref(), Some("TEXT"));

    // The snapshot in DynamoDB holds the columns: the next sync changes nothing.
    let customer_360 = snapshot_workbook(&world, CUSTOMER_360).await;
    assert_eq!(customer_360.columns.len(), 6);
    let runs_before = world.runs("acme-prod").await.len();
    select(&world, &["Finance", "Marketing"]).await;
    let runs = world.runs("acme-prod").await;
    assert_eq!(runs.len(), runs_before + 1);
    let last = runs
        .iter()
        .max_by(|a, b| a.started_at.cmp(&b.started_at))
        .expect("a run");
    assert_eq!(
        (last.added, last.changed, last.removed),
        (0, 0, 0),
        "{last:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manifest_uploaded_after_the_sync_gives_the_newly_matched_their_columns() {
    let world = World::start().await;
    world.add_integration("acme-prod", &[FINANCE]).await;
    // Synced before any manifest: the snapshot has no field lineage yet.
    select(&world, &["Finance"]).await;
    assert!(world.exposures("acme-prod").await.is_empty());

    apply_manifest(&world).await;
    let revenue = exposure_of(&world, REVENUE).await;
    assert_eq!(revenue.referenced_columns.len(), 8, "{revenue:?}");
    let stored = snapshot_workbook(&world, REVENUE).await;
    assert!(stored.columns_fetched && !stored.columns.is_empty());
}
