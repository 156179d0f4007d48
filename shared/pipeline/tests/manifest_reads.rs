//! Every stage that needs the applied manifest reads it as a stream
//! ([`autoexpose_pipeline::Artifacts::open`]), never whole into memory, so a function's
//! memory does not grow with the dbt project (issue 13): applying it, a sync's rematch, a
//! settings rematch, the catalog, `diagnose` and the lineage page.

use std::sync::Arc;

use autoexpose_pipeline::testsuite::{
    CountingArtifacts, FakeTableau, MemoryArtifacts, memory_pipeline_over, workbook,
};
use autoexpose_pipeline::{ArtifactLocation, Trigger};

#[tokio::test]
async fn no_stage_reads_the_applied_manifest_whole() {
    let memory = MemoryArtifacts::default();
    let artifacts = Arc::new(CountingArtifacts::new(memory.clone()));
    let tableau = FakeTableau::with_projects();
    tableau.set_workbooks(vec![
        workbook("wb-1", "Sales", "p-fin", &["orders"]),
        workbook("wb-3", "Quarterly", "p-q1", &["customers"]),
    ]);
    // Applies the manifest: the first stage that reads it.
    let (pipeline, _store) =
        memory_pipeline_over(artifacts.clone(), &memory, tableau, &["p-fin"]).await;
    let location = ArtifactLocation::local("manifest.json");
    let run = pipeline
        .sync_integration("acme", Trigger::Schedule)
        .await
        .expect("sync");
    assert_eq!(
        run.added, 2,
        "the sync matched against the manifest: {run:?}"
    );
    pipeline
        .rematch_integration("acme", Trigger::Schedule)
        .await
        .expect("rematch");
    let catalog = pipeline.catalog(Some("shop")).await.expect("catalog");
    assert_eq!(catalog.len(), 2, "{catalog:?}");
    pipeline
        .diagnose_integration("acme")
        .await
        .expect("diagnose");
    pipeline
        .lineage_page("shop", None)
        .await
        .expect("lineage page");

    assert!(
        artifacts.fetches_of(&location) >= 6,
        "every stage fetched the manifest: {}",
        artifacts.fetches_of(&location)
    );
    assert_eq!(
        artifacts.whole_reads_of(&location),
        0,
        "a stage read the manifest whole"
    );
}
