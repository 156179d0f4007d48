//! The manifest-uploaded handler, fed the S3 events S3 sends, against moto and the
//! Tableau simulator.

use autoexpose_e2e::{DAILY_ORDERS, FINANCE, MANIFEST_KEY, PROJECT, REVENUE, World, fixture};
use autoexpose_lambda::{Deps, RunStatus, Settings};
use autoexpose_pipeline::Trigger;
use manifest_uploaded::{ManifestReport, RecordOutcome, handler};

async fn deliver(
    world: &World,
    event: lambda_runtime::LambdaEvent<aws_lambda_events::s3::S3Event>,
) -> ManifestReport {
    handler(event, &world.deps)
        .await
        .expect("the event succeeds")
}

/// An integration selecting Finance whose workbooks are already listed (snapshot stored),
/// as after it was set up.
async fn listed_integration(world: &World) {
    world.add_integration("acme-prod", &[FINANCE]).await;
    world
        .deps
        .pipeline()
        .sync_integration("acme-prod", Trigger::Manual)
        .await
        .expect("first listing");
    assert!(
        world.exposure_luids("acme-prod").await.is_empty(),
        "no manifest yet"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manifest_upload_creates_exposures() {
    let world = World::start().await;
    listed_integration(&world).await;

    let upload = world
        .upload_manifest(MANIFEST_KEY, PROJECT, "2025-03-01T07:00:00Z", "inv-1")
        .await;
    let report = deliver(&world, world.s3_event(&[&upload])).await;

    let [record] = report.records.as_slice() else {
        panic!("one record: {report:?}");
    };
    assert_eq!(record.dbt_project.as_deref(), Some(PROJECT));
    assert_eq!(record.version_id, upload.version_id);
    let RecordOutcome::Applied {
        invocation_id,
        rematches,
        ..
    } = &record.outcome
    else {
        panic!("applied: {record:?}");
    };
    assert_eq!(invocation_id, "inv-1");
    assert_eq!(rematches.len(), 1, "{rematches:?}");
    assert_eq!(rematches[0].status, RunStatus::Ok, "{rematches:?}");
    assert_eq!(rematches[0].added, 2, "{rematches:?}");

    assert_eq!(
        world.exposure_luids("acme-prod").await,
        [REVENUE, DAILY_ORDERS]
    );
    let exposures = world.exposures("acme-prod").await;
    let revenue = exposures
        .iter()
        .find(|s| s.exposure.workbook_luid == REVENUE)
        .expect("revenue exposure");
    assert_eq!(
        revenue.exposure.depends_on,
        [
            "model.shop.customers",
            "model.shop.orders",
            "model.shop.payments"
        ]
    );

    // The dbt YAML and the lineage page are published beside the manifest.
    let published = MANIFEST_KEY.replace(
        "manifest.json",
        "exposures/imported_from_tableau/exposures.yml",
    );
    let yaml = world
        .object_text(&published)
        .await
        .expect("exposures.yml published");
    assert!(yaml.contains("autoexpose_integration: acme-prod"), "{yaml}");
    assert!(yaml.contains("- ref('payments')"), "{yaml}");
    let lineage = MANIFEST_KEY.replace("manifest.json", "exposures/lineage.html");
    let page = world
        .object_text(&lineage)
        .await
        .expect("lineage.html published");
    assert!(
        page.contains("data-kind=\"exposure\""),
        "lineage page draws exposures"
    );

    // The report is what the Lambda returns: plain JSON with the outcome per record.
    let json = serde_json::to_value(&report).expect("json");
    assert_eq!(json["records"][0]["outcome"], "applied");
    assert_eq!(json["records"][0]["key"], MANIFEST_KEY);
    assert_eq!(
        json["records"][0]["rematches"][0]["integration_id"],
        "acme-prod"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_s3_event_changes_nothing() {
    let world = World::start().await;
    listed_integration(&world).await;
    let upload = world
        .upload_manifest(MANIFEST_KEY, PROJECT, "2025-03-01T07:00:00Z", "inv-1")
        .await;
    deliver(&world, world.s3_event(&[&upload])).await;
    let exposures = world.exposures("acme-prod").await;
    let runs = world.runs("acme-prod").await;

    // S3 delivers at least once: the same event again.
    let report = deliver(&world, world.s3_event(&[&upload])).await;

    assert!(
        matches!(&report.records[0].outcome, RecordOutcome::Duplicate { invocation_id } if invocation_id == "inv-1"),
        "{report:?}"
    );
    assert_eq!(world.exposures("acme-prod").await, exposures);
    assert_eq!(
        world.runs("acme-prod").await,
        runs,
        "no run for a duplicate"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_out_of_order_s3_event_changes_nothing() {
    let world = World::start().await;
    listed_integration(&world).await;
    // An earlier dbt run's manifest (without the payments model) is uploaded, then a later
    // one; their events arrive the other way round.
    let mut older = fixture("tests/e2e/fixtures/manifest.json");
    older["metadata"]["generated_at"] = "2025-03-01T07:00:00Z".into();
    older["metadata"]["invocation_id"] = "inv-old".into();
    older["nodes"]
        .as_object_mut()
        .expect("nodes")
        .remove("model.shop.payments");
    let old_upload = world
        .upload(MANIFEST_KEY, serde_json::to_vec(&older).expect("json"))
        .await;
    let new_upload = world
        .upload_manifest(MANIFEST_KEY, PROJECT, "2025-03-01T08:00:00Z", "inv-new")
        .await;
    assert_ne!(
        old_upload.version_id, new_upload.version_id,
        "versioned bucket"
    );

    deliver(&world, world.s3_event(&[&new_upload])).await;
    let exposures = world.exposures("acme-prod").await;
    let report = deliver(&world, world.s3_event(&[&old_upload])).await;

    assert!(
        matches!(&report.records[0].outcome, RecordOutcome::Stale { applied_invocation_id, .. } if applied_invocation_id == "inv-new"),
        "{report:?}"
    );
    assert_eq!(world.exposures("acme-prod").await, exposures);
    let applied = world
        .store()
        .get_applied_manifest(PROJECT)
        .await
        .expect("read pointer")
        .expect("a manifest is applied");
    assert_eq!(applied.invocation_id, "inv-new");
    assert_eq!(applied.location.version, new_upload.version_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_production_manifest_of_several_records_is_applied() {
    let world = World::start().await;
    listed_integration(&world).await;
    let run_results = world
        .upload("dbt/shop/prod/run_results.json", b"{}".to_vec())
        .await;
    let dev = world
        .upload_manifest(
            "dbt/shop/dev/manifest.json",
            PROJECT,
            "2025-03-01T09:00:00Z",
            "inv-dev",
        )
        .await;
    let prod = world
        .upload_manifest(MANIFEST_KEY, PROJECT, "2025-03-01T07:00:00Z", "inv-prod")
        .await;

    let report = deliver(&world, world.s3_event(&[&run_results, &dev, &prod])).await;

    let outcomes: Vec<&RecordOutcome> = report.records.iter().map(|r| &r.outcome).collect();
    assert!(
        matches!(outcomes[0], RecordOutcome::Skipped { reason } if reason.contains("run_results.json")),
        "{outcomes:?}"
    );
    assert!(
        matches!(outcomes[1], RecordOutcome::Skipped { reason } if reason.contains("'dev'")),
        "{outcomes:?}"
    );
    assert!(
        matches!(outcomes[2], RecordOutcome::Applied { .. }),
        "{outcomes:?}"
    );
    assert_eq!(
        world.exposure_luids("acme-prod").await,
        [REVENUE, DAILY_ORDERS]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_with_spaces_arrives_encoded_and_is_applied() {
    let world = World::start().await;
    world
        .add_integration_of("jaffle", "jaffle shop", &[FINANCE])
        .await;
    let key = "dbt/jaffle shop/prod/manifest.json";
    let upload = world
        .upload_manifest(key, "jaffle shop", "2025-03-01T07:00:00Z", "inv-j")
        .await;

    let event = world.s3_event(&[&upload]);
    assert_eq!(
        event.payload.records[0].s3.object.key.as_deref(),
        Some("dbt/jaffle+shop/prod/manifest.json"),
        "S3 sends the key URL-encoded"
    );
    let report = deliver(&world, event).await;

    assert_eq!(report.records[0].key.as_deref(), Some(key));
    assert_eq!(
        report.records[0].dbt_project.as_deref(),
        Some("jaffle shop")
    );
    assert!(
        matches!(&report.records[0].outcome, RecordOutcome::Applied { rematches, .. } if rematches.len() == 1),
        "{report:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_manifest_is_reported_and_not_retried() {
    let world = World::start().await;
    listed_integration(&world).await;
    let upload = world
        .upload(MANIFEST_KEY, b"{\"metadata\": {\"generated_at\": ".to_vec())
        .await;

    let report = deliver(&world, world.s3_event(&[&upload])).await;

    let RecordOutcome::Failed {
        error,
        kind,
        retryable,
    } = &report.records[0].outcome
    else {
        panic!("failed: {report:?}");
    };
    assert_eq!(*kind, "invalid_manifest");
    assert!(!retryable);
    assert!(error.contains(MANIFEST_KEY), "names the object: {error}");
    assert!(
        world
            .store()
            .get_applied_manifest(PROJECT)
            .await
            .expect("read")
            .is_none(),
        "nothing applied"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_outage_makes_lambda_retry_the_event() {
    let world = World::start().await;
    let upload = world
        .upload_manifest(MANIFEST_KEY, PROJECT, "2025-03-01T07:00:00Z", "inv-1")
        .await;
    // The same function, but nothing answers where DynamoDB should be: an outage.
    let unreachable = world
        .config
        .to_builder()
        .endpoint_url("http://127.0.0.1:9")
        .build();
    let mut settings = Settings::new(world.deps.settings().table_name.clone());
    settings.artifacts_bucket = Some(world.bucket.clone());
    let broken = Deps::new(&unreachable, settings);

    let error = handler(world.s3_event(&[&upload]), &broken)
        .await
        .expect_err("Lambda must retry");

    let message = error.to_string();
    assert!(message.contains("1 of 1 records failed"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_table_is_reported_not_retried() {
    let world = World::start().await;
    let upload = world
        .upload_manifest(MANIFEST_KEY, PROJECT, "2025-03-01T07:00:00Z", "inv-1")
        .await;
    // A table that is not there fails the same way on every retry: a person must fix the
    // stack, so the event is reported as failed instead of being retried to the DLQ.
    let mut settings = Settings::new("autoexpose-missing-table");
    settings.artifacts_bucket = Some(world.bucket.clone());
    let broken = Deps::new(&world.config, settings);

    let report = handler(world.s3_event(&[&upload]), &broken)
        .await
        .expect("not retried");

    let json = serde_json::to_value(&report).expect("json");
    let record = &json["records"][0];
    assert_eq!(record["outcome"], "failed", "{json}");
    assert_eq!(record["retryable"], false, "{json}");
    let error = record["error"].as_str().unwrap_or_default();
    assert!(error.contains("ResourceNotFoundException"), "{error}");
}
