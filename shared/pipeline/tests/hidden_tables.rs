//! A workbook whose tables Tableau starts hiding from the token's user (a permission
//! taken away) keeps its exposure as it was: what it reads is unknown, not gone. The run
//! says why it is incomplete.

use std::sync::Arc;

use autoexpose_domain::UpstreamTable;
use autoexpose_pipeline::testsuite::{
    FakeTableau, MemoryArtifacts, memory_pipeline_over, workbook,
};
use autoexpose_pipeline::{ExposureStore, Trigger};

#[tokio::test]
async fn a_workbook_whose_tables_become_hidden_keeps_its_exposure() {
    let tableau = FakeTableau::with_projects();
    tableau.set_workbooks(vec![
        workbook("wb-1", "Sales", "p-fin", &["orders"]),
        workbook("wb-2", "Margins", "p-fin", &["customers"]),
    ]);
    let memory = MemoryArtifacts::default();
    let (pipeline, store) = memory_pipeline_over(
        Arc::new(memory.clone()),
        &memory,
        tableau.clone(),
        &["p-fin"],
    )
    .await;
    let first = pipeline
        .sync_integration("acme", Trigger::Schedule)
        .await
        .expect("sync");
    assert_eq!(first.added, 2, "{first:?}");
    let before = store.list_exposures("acme").await.expect("list");

    // Sales' table comes back obfuscated (id kept, every name null); Margins goes away.
    let mut sales = workbook("wb-1", "Sales", "p-fin", &[]);
    sales.tables = vec![UpstreamTable {
        id: Some("t-hidden".into()),
        ..UpstreamTable::default()
    }];
    tableau.set_workbooks(vec![sales]);
    let run = pipeline
        .sync_integration("acme", Trigger::Schedule)
        .await
        .expect("sync");
    assert_eq!((run.added, run.changed, run.removed), (0, 0, 1), "{run:?}");
    assert!(
        run.warning
            .as_deref()
            .is_some_and(|w| w.contains("hid the names of 1")),
        "{run:?}"
    );
    let after = store.list_exposures("acme").await.expect("list");
    assert_eq!(after.len(), 1, "{after:?}");
    let kept = before
        .iter()
        .find(|s| s.exposure.workbook_luid == "wb-1")
        .expect("Sales had an exposure");
    assert_eq!(after[0].exposure, kept.exposure, "kept as it was");
}
