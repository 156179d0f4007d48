//! Rows written by an earlier autoexpose still read: the JSON bodies keep their old field
//! names on disk (an artifact location's `bucket` and `version_id`, a snapshot workbook's
//! Tableau ids) until the record is next written.

use std::path::PathBuf;

use autoexpose_pipeline::prelude::*;
use autoexpose_pipeline::{ArtifactLocation, ResultsKind};
use autoexpose_store_local::LocalStore;
use autoexpose_tableau::TableauSite;
use rusqlite::{Connection, params};

/// A fresh store file with the current schema, and a raw connection to write old rows.
fn store_with_raw_connection(name: &str) -> (LocalStore, Connection) {
    let path: PathBuf = std::env::temp_dir()
        .join(format!("autoexpose-earlier-{}", std::process::id()))
        .join(format!("{name}.db"));
    let _ = std::fs::remove_file(&path);
    let store = LocalStore::open(&path).expect("open store");
    let raw = Connection::open(&path).expect("raw connection");
    (store, raw)
}

#[tokio::test]
async fn applied_manifest_written_with_a_bucket_still_reads() {
    let (store, raw) = store_with_raw_connection("applied");
    let body = r#"{"dbt_project":"shop","location":{"bucket":"artifacts","key":"dbt/shop/prod/manifest.json","version_id":"v-1"},"generated_at":"2025-03-01T07:00:00Z","invocation_id":"inv-1","applied_at":"2025-03-01T08:00:00.000Z"}"#;
    raw.execute(
        "INSERT INTO applied_manifests (dbt_project, generated_at, invocation_id, body)
         VALUES (?1, ?2, ?3, ?4)",
        params!["shop", "2025-03-01T07:00:00Z", "inv-1", body],
    )
    .expect("old row");
    let applied = store
        .get_applied_manifest("shop")
        .await
        .expect("get")
        .expect("the old row reads");
    assert_eq!(
        applied.location,
        ArtifactLocation {
            container: Some("artifacts".into()),
            key: "dbt/shop/prod/manifest.json".into(),
            version: Some("v-1".into()),
        }
    );
    assert_eq!(applied.invocation_id, "inv-1");
}

#[tokio::test]
async fn results_pointer_of_the_earlier_format_still_reads() {
    let (store, raw) = store_with_raw_connection("results");
    let body = r#"{"dbt_project":"shop","kind":"run_results","location":{"key":"target/run_results.json"},"generated_at":"2025-03-01T07:00:00Z","invocation_id":"inv-2","recorded_at":"2025-03-01T08:00:00.000Z"}"#;
    raw.execute(
        "INSERT INTO results_pointers (dbt_project, kind, generated_at, invocation_id, body)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params!["shop", "run_results", "2025-03-01T07:00:00Z", "inv-2", body],
    )
    .expect("old row");
    let pointer = store
        .get_results_pointer("shop", ResultsKind::RunResults)
        .await
        .expect("get")
        .expect("the old row reads");
    assert_eq!(
        pointer.location,
        ArtifactLocation::local("target/run_results.json")
    );
}

#[tokio::test]
async fn snapshot_written_with_tableau_ids_keeps_its_workbook_urls() {
    let (store, raw) = store_with_raw_connection("snapshot");
    let body = r#"{"integration_id":"acme","taken_at":"2025-03-01T08:00:00.000Z","workbooks":[
        {"luid":"wb-1","name":"Revenue","vizportal_url_id":"42","uri":"sites/4989/workbooks/42","tables":[]},
        {"luid":"wb-2","name":"Campaigns","uri":"sites/4989/workbooks/15995","tables":[]}]}"#;
    raw.execute(
        "INSERT INTO snapshots (integration_id, body) VALUES (?1, ?2)",
        params!["acme", body],
    )
    .expect("old row");
    let snapshot = store
        .get_snapshot("acme")
        .await
        .expect("get")
        .expect("the old row reads");
    let site = TableauSite {
        server_url: "10az.online.tableau.com".into(),
        content_url: "acme".into(),
    };
    let urls: Vec<Option<String>> = snapshot
        .workbooks
        .iter()
        .map(|workbook| site.workbook_url(workbook))
        .collect();
    assert_eq!(
        urls,
        [
            Some("https://10az.online.tableau.com/#/site/acme/workbooks/42/views".to_string()),
            Some("https://10az.online.tableau.com/#/site/acme/workbooks/15995/views".to_string()),
        ]
    );
}
