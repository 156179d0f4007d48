//! The collections-updated handler, invoked directly with the payloads a caller sends,
//! against moto and the Tableau simulator.

use autoexpose_e2e::{
    CAMPAIGNS, COHORTS, CUSTOMER_360, DAILY_ORDERS, FINANCE, MANIFEST_KEY, MARKETING, PROJECT,
    REVENUE, World, fixture, invoke_event,
};
use autoexpose_lambda::{ErrorResponse, RunOutcome, RunStatus};
use collections_updated::{CollectionsResponse, handler};
use serde_json::{Value, json};

async fn invoke(world: &World, payload: Value) -> CollectionsResponse {
    handler(invoke_event(payload), &world.deps)
        .await
        .expect("answered, not failed")
}

fn updated(response: &CollectionsResponse) -> &RunOutcome {
    match response {
        CollectionsResponse::Updated { run, .. } => run,
        CollectionsResponse::Rejected(e) => panic!("refused: {e:?}"),
    }
}

fn rejected(response: &CollectionsResponse) -> &ErrorResponse {
    match response {
        CollectionsResponse::Rejected(e) => e,
        CollectionsResponse::Updated { run, .. } => panic!("accepted: {run:?}"),
    }
}

/// A world with the production manifest applied and an integration selecting Finance.
async fn world_on_finance(secret: Option<&str>) -> World {
    let world = match secret {
        Some(secret) => World::start_with_secret(secret).await,
        None => World::start().await,
    };
    on_finance(world).await
}

/// `world` with the production manifest applied and an integration selecting Finance.
async fn on_finance(world: World) -> World {
    world.add_integration("acme-prod", &[FINANCE]).await;
    let upload = world
        .upload_manifest(MANIFEST_KEY, PROJECT, "2025-03-01T07:00:00Z", "inv-1")
        .await;
    manifest_uploaded::handler(world.s3_event(&[&upload]), &world.deps)
        .await
        .expect("manifest applied");
    world
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collections_update_captures_new_workbooks_and_removes_others() {
    let world = world_on_finance(None).await;
    let first = invoke(
        &world,
        json!({"integration_id": "acme-prod", "collections": ["Finance"]}),
    )
    .await;
    assert_eq!(updated(&first).added, 2, "{first:?}");
    assert_eq!(
        world.exposure_luids("acme-prod").await,
        [REVENUE, DAILY_ORDERS]
    );

    // The fixture payload: Finance by path plus Marketing by LUID.
    let mut payload =
        fixture("functions/collections-updated/tests/fixtures/collections-updated.json");
    payload["integration_id"] = "acme-prod".into();
    let both = invoke(&world, payload).await;
    let run = updated(&both);
    assert_eq!(
        (run.status, run.added, run.removed),
        (RunStatus::Ok, 3, 0),
        "{run:?}"
    );

    // Only Marketing: Finance's workbooks lose their exposures.
    let response = invoke(
        &world,
        json!({"integration_id": "acme-prod", "collections": ["Marketing"]}),
    )
    .await;
    let run = updated(&response);
    assert_eq!(run.removed, 2, "{run:?}");
    assert_eq!(
        world.exposure_luids("acme-prod").await,
        [CUSTOMER_360, CAMPAIGNS, COHORTS]
    );
    let stored = world
        .store()
        .get_integration("acme-prod")
        .await
        .expect("read")
        .expect("integration");
    assert_eq!(stored.collections, [MARKETING]);
    let json = serde_json::to_value(&response).expect("json");
    assert_eq!(json["status"], "ok");
    assert_eq!(json["removed"], 2);
    assert_eq!(json["collections"], json!(["Marketing"]));
    assert!(json["run_id"].as_str().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_payloads_get_a_clear_error_response() {
    let world = world_on_finance(None).await;
    let cases = [
        (
            "missing-integration-id.json",
            "\"integration_id\" is missing",
        ),
        (
            "collections-not-a-list.json",
            "\"collections\" must be a list of strings",
        ),
        ("misspelled-field.json", "unknown field(s) \"collection\""),
    ];
    for (name, expected) in cases {
        let payload = fixture(&format!(
            "functions/collections-updated/tests/fixtures/{name}"
        ));
        let response = invoke(&world, payload).await;
        let error = rejected(&response);
        assert_eq!(error.kind, "invalid_request", "{name}");
        assert!(error.error.contains(expected), "{name}: {}", error.error);
        let json = serde_json::to_value(&response).expect("json");
        assert!(json["error"].is_string(), "{json}");
    }
    let response = invoke(&world, json!("acme-prod")).await;
    assert_eq!(rejected(&response).kind, "invalid_request");
    let stored = world
        .store()
        .get_integration("acme-prod")
        .await
        .expect("read")
        .expect("there");
    assert_eq!(stored.collections, [FINANCE], "nothing changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_integration_or_collection_is_named_and_nothing_changes() {
    let world = world_on_finance(None).await;
    invoke(
        &world,
        json!({"integration_id": "acme-prod", "collections": ["Finance"]}),
    )
    .await;
    let exposures = world.exposures("acme-prod").await;

    let response = invoke(
        &world,
        json!({"integration_id": "acme-typo", "collections": ["Finance"]}),
    )
    .await;
    let error = rejected(&response);
    assert_eq!(error.kind, "unknown_integration");
    assert!(error.error.contains("acme-typo"), "{}", error.error);

    let response = invoke(
        &world,
        json!({"integration_id": "acme-prod", "collections": ["Marketing", "Nope/Nothing"]}),
    )
    .await;
    let error = rejected(&response);
    assert_eq!(error.kind, "unknown_collections");
    assert!(error.error.contains("Nope/Nothing"), "{}", error.error);
    assert!(
        !error.error.contains("Marketing,"),
        "only the unknown one: {}",
        error.error
    );
    assert_eq!(world.exposures("acme-prod").await, exposures);
    let stored = world
        .store()
        .get_integration("acme-prod")
        .await
        .expect("read")
        .expect("there");
    assert_eq!(stored.collections, [FINANCE]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_pat_is_refused_naming_the_token() {
    let world = world_on_finance(Some("not-the-secret")).await;

    let response = invoke(
        &world,
        json!({"integration_id": "acme-prod", "collections": ["Marketing"]}),
    )
    .await;

    let error = rejected(&response);
    assert_eq!(error.kind, "tableau_sign_in");
    assert!(error.error.contains("'autoexpose-ci'"), "{}", error.error);
    assert!(
        !error.error.contains("not-the-secret"),
        "secret leaked: {}",
        error.error
    );
    let stored = world
        .store()
        .get_integration("acme-prod")
        .await
        .expect("read")
        .expect("there");
    assert_eq!(stored.collections, [FINANCE], "nothing stored");
}

/// Tableau's own Collections through the deployed function's payload: a workbook in the
/// selected Collection is captured while the projects stay as they were, and clearing
/// the Collections removes it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tableau_collections_in_the_payload_are_stored_and_synced() {
    let mut data = autoexpose_testkit::example_site_data();
    autoexpose_testkit::with_tableau_collections(&mut data);
    let world = on_finance(World::start_with_site(data).await).await;

    let response = invoke(
        &world,
        json!({"integration_id": "acme-prod", "tableau_collections": ["Board pack"]}),
    )
    .await;
    let run = updated(&response);
    assert_eq!(run.status, RunStatus::Ok, "{run:?}");
    let luids = world.exposure_luids("acme-prod").await;
    assert!(luids.contains(&CAMPAIGNS.to_string()), "{luids:?}");
    assert!(
        luids.contains(&REVENUE.to_string()),
        "Finance kept: {luids:?}"
    );
    assert!(!luids.contains(&CUSTOMER_360.to_string()), "{luids:?}");
    let stored = world
        .store()
        .get_integration("acme-prod")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(stored.tableau_collections, [autoexpose_testkit::BOARD_PACK]);
    assert_eq!(stored.collections.len(), 1, "{:?}", stored.collections);

    let response = invoke(
        &world,
        json!({"integration_id": "acme-prod", "tableau_collections": []}),
    )
    .await;
    updated(&response);
    let luids = world.exposure_luids("acme-prod").await;
    assert!(!luids.contains(&CAMPAIGNS.to_string()), "{luids:?}");
}
