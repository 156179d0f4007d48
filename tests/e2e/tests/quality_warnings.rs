//! dbt health as Tableau data quality warnings, end to end: results uploaded to S3 on
//! moto, the run-results-uploaded handler called with the S3 event, warnings written on
//! the simulator's data sources, and the integration's record on DynamoDB.

use autoexpose_e2e::{CAMPAIGNS, PROJECT, World, run_results};
use autoexpose_pipeline::{Integration, QualityWarningSettings, RaiseOn, Trigger, WARNING_MARKER};
use run_results_uploaded::{RecordOutcome, handler};
use tableau_sim::{DatasourceSpec, QualityWarningSpec, SimConfig, table_luid};

const RESULTS_KEY: &str = "dbt/shop/prod/run_results.json";
/// The certified orders data source: Revenue Overview and Customer 360 read it.
const ORDERS_DS: &str = "d5d5d5d5-0001-4000-8000-0000000000d1";
/// A campaigns data source added for these tests: Campaign Performance reads it.
const CAMPAIGNS_DS: &str = "d5d5d5d5-0002-4000-8000-0000000000d2";
const FOREIGN: &str = "f0f0f0f0-0001-4000-8000-0000000000f1";
const LINK: &str = "https://docs.example.com/#!/exposure/exposure.shop.{exposure}";

/// `acme` with its orders and campaigns data sources, a person's warning on the
/// campaigns one, refreshes off and warnings on (Degraded, severe, with a docs link).
async fn world(edit: impl FnOnce(&mut tableau_sim::SiteSpec)) -> World {
    let world = World::with_active_exposures(SimConfig::default(), None).await;
    world
        .sim
        .edit_site("acme", |site| {
            site.datasources.push(DatasourceSpec {
                luid: CAMPAIGNS_DS.into(),
                name: "Campaigns (certified)".into(),
                project_id: site.datasources[0].project_id.clone(),
                table_ids: vec!["tbl-campaigns".into()],
                ..DatasourceSpec::default()
            });
            let campaigns = site.workbooks.iter_mut().find(|w| w.luid == CAMPAIGNS);
            campaigns
                .expect("Campaign Performance")
                .datasource_luids
                .push(CAMPAIGNS_DS.into());
            site.quality_warnings.push(QualityWarningSpec {
                id: FOREIGN.into(),
                content_type: "datasource".into(),
                content_id: CAMPAIGNS_DS.into(),
                warning_type: "MAINTENANCE".into(),
                message: "Campaign data is being reloaded this week".into(),
                is_active: true,
                owner_id: Some("a1a1a1a1-0001-4000-8000-0000000000a1".into()),
                ..QualityWarningSpec::default()
            });
            edit(site);
        })
        .expect("edit site");
    let mut integration = acme(&world).await;
    integration.active_exposures = Some(false);
    integration.quality_warnings = QualityWarningSettings {
        enabled: true,
        raise_on: RaiseOn::Degraded,
        degraded_severe: true,
        link: Some(LINK.into()),
        tables: false,
    };
    world
        .store()
        .update_integration(&integration)
        .await
        .expect("turn warnings on");
    world
        .deps
        .pipeline()
        .sync_integration("acme", Trigger::Manual)
        .await
        .expect("sync the new data source");
    world
}

async fn acme(world: &World) -> Integration {
    world
        .store()
        .get_integration("acme")
        .await
        .expect("read")
        .expect("acme exists")
}

/// Uploads a build's results and hands the event to the function.
async fn build(world: &World, invocation_id: &str, generated_at: &str, results: &[(&str, &str)]) {
    let upload = world
        .upload(
            RESULTS_KEY,
            run_results(generated_at, invocation_id, results),
        )
        .await;
    let report = handler(world.s3_event(&[&upload]), &world.deps)
        .await
        .expect("handled");
    assert!(
        matches!(report.records[0].outcome, RecordOutcome::Recorded { .. }),
        "{report:?}"
    );
}

fn warnings_on(world: &World, luid: &str) -> Vec<QualityWarningSpec> {
    let site = world.sim.site("acme").expect("acme");
    site.quality_warnings
        .into_iter()
        .filter(|w| w.content_id == luid)
        .collect()
}

const ALL_BUILT: [(&str, &str); 4] = [
    ("model.shop.orders", "success"),
    ("model.shop.customers", "success"),
    ("model.shop.payments", "success"),
    ("model.shop.stg_campaigns", "success"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_model_warns_exactly_its_data_sources_and_a_fixed_run_clears_them() {
    let world = world(|_| {}).await;
    build(
        &world,
        "r1",
        "2025-03-02T07:00:00Z",
        &[
            ("model.shop.orders", "error"),
            ("model.shop.customers", "success"),
            ("model.shop.payments", "success"),
            ("model.shop.stg_campaigns", "success"),
        ],
    )
    .await;

    let on_orders = warnings_on(&world, ORDERS_DS);
    assert_eq!(on_orders.len(), 1, "{on_orders:?}");
    let ours = &on_orders[0];
    assert!(ours.message.starts_with(WARNING_MARKER), "{}", ours.message);
    assert!(
        ours.message.contains("model.shop.orders failed to build"),
        "{}",
        ours.message
    );
    assert!(
        ours.message.contains("Revenue Overview"),
        "{}",
        ours.message
    );
    assert!(
        ours.message
            .contains("https://docs.example.com/#!/exposure/exposure.shop.revenue_overview"),
        "{}",
        ours.message
    );
    assert!(ours.is_severe && ours.is_active);
    assert_eq!(ours.warning_type, "WARNING");
    let on_campaigns = warnings_on(&world, CAMPAIGNS_DS);
    assert_eq!(
        on_campaigns.len(),
        1,
        "only the person's warning: {on_campaigns:?}"
    );
    assert_eq!(on_campaigns[0].id, FOREIGN);
    let state = acme(&world).await.quality_warning_state;
    assert_eq!(state.owned.len(), 1);
    assert_eq!(state.owned[0].warning_luid, ours.id);

    // Another failure upstream of the same data source: the reason changes, the warning is
    // rewritten in place.
    let failing_more = [
        ("model.shop.orders", "error"),
        ("model.shop.customers", "error"),
        ("model.shop.payments", "success"),
        ("model.shop.stg_campaigns", "success"),
    ];
    build(&world, "r2", "2025-03-02T08:00:00Z", &failing_more).await;
    let updated = warnings_on(&world, ORDERS_DS);
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0].id, ours.id, "updated, not added again");
    assert!(
        updated[0]
            .message
            .contains("model.shop.customers failed to build")
    );

    // The same health again: no call to Tableau at all.
    world.sim.reset_stats();
    build(&world, "r3", "2025-03-02T09:00:00Z", &failing_more).await;
    let stats = world.sim.stats();
    assert_eq!(
        (stats.quality_warnings, stats.sign_ins),
        (0, 0),
        "{stats:?}"
    );

    // Fixed: our warning goes, the person's stays.
    build(&world, "r4", "2025-03-02T10:00:00Z", &ALL_BUILT).await;
    assert!(warnings_on(&world, ORDERS_DS).is_empty());
    let on_campaigns = warnings_on(&world, CAMPAIGNS_DS);
    assert_eq!(on_campaigns.len(), 1);
    assert_eq!(
        on_campaigns[0].message,
        "Campaign data is being reloaded this week"
    );
    assert!(acme(&world).await.quality_warning_state.owned.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unlicensed_site_is_recorded_once_and_not_asked_again_until_the_setting_changes() {
    let world = world(|site| site.no_data_management = true).await;
    build(
        &world,
        "r1",
        "2025-03-02T07:00:00Z",
        &[("model.shop.orders", "error")],
    )
    .await;
    let unavailable = acme(&world)
        .await
        .quality_warning_state
        .unavailable
        .expect("recorded on the integration");
    assert!(
        unavailable
            .reason
            .starts_with("not available on this site: "),
        "{}",
        unavailable.reason
    );
    assert!(unavailable.reason.contains("403"), "{}", unavailable.reason);
    let health = world
        .deps
        .pipeline()
        .catalog(Some(PROJECT))
        .await
        .expect("catalog");
    assert!(
        health.iter().any(|e| e.health == "Degraded"),
        "health is recorded all the same"
    );

    world.sim.reset_stats();
    build(
        &world,
        "r2",
        "2025-03-02T08:00:00Z",
        &[
            ("model.shop.orders", "error"),
            ("model.shop.customers", "error"),
        ],
    )
    .await;
    assert_eq!(world.sim.stats().quality_warnings, 0, "not tried again");
    let again = acme(&world).await.quality_warning_state.unavailable;
    assert_eq!(again.map(|u| u.at), Some(unavailable.at), "recorded once");

    let mut integration = acme(&world).await;
    integration.quality_warnings.raise_on = RaiseOn::Caution;
    world
        .store()
        .update_integration(&integration)
        .await
        .expect("change the setting");
    build(
        &world,
        "r3",
        "2025-03-02T09:00:00Z",
        &[("model.shop.orders", "error")],
    )
    .await;
    assert!(
        world.sim.stats().quality_warnings > 0,
        "a new setting tries again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_tableau_with_one_warning_per_asset_a_foreign_warning_is_left_in_place() {
    let world = world(|site| {
        site.one_warning_per_asset = true;
        // Tableau's own warning after a failed extract refresh: no owner.
        site.quality_warnings.push(QualityWarningSpec {
            id: "f0f0f0f0-0002-4000-8000-0000000000f2".into(),
            content_type: "datasource".into(),
            content_id: ORDERS_DS.into(),
            warning_type: "STALE".into(),
            message: "Extract refresh failed".into(),
            is_active: true,
            ..QualityWarningSpec::default()
        });
    })
    .await;
    build(
        &world,
        "r1",
        "2025-03-02T07:00:00Z",
        &[("model.shop.orders", "error")],
    )
    .await;
    let on_orders = warnings_on(&world, ORDERS_DS);
    assert_eq!(on_orders.len(), 1, "{on_orders:?}");
    assert_eq!(on_orders[0].message, "Extract refresh failed");
    let state = acme(&world).await.quality_warning_state;
    assert!(state.owned.is_empty());
    assert_eq!(state.held_back.len(), 1);
    assert_eq!(state.held_back[0].asset.luid, ORDERS_DS);

    // Held back is remembered: the same health asks nothing.
    world.sim.reset_stats();
    build(
        &world,
        "r2",
        "2025-03-02T08:00:00Z",
        &[("model.shop.orders", "error")],
    )
    .await;
    assert_eq!(world.sim.stats().quality_warnings, 0);
}

/// The REST LUID the simulator gives a table of `acme`.
fn luid_of_table(world: &World, id: &str) -> String {
    let site = world.sim.site("acme").expect("acme");
    table_luid(site.table(id).expect("the table is on acme"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workbook_reading_only_embedded_sources_warns_its_tables_where_the_site_allows_it() {
    // Cohort Analysis reads customers (a model) and raw sessions (a source) through custom
    // SQL on an embedded data source: no published data source to carry a warning.
    let world = world(|_| {}).await;
    let customers = luid_of_table(&world, "tbl-customers");
    let sessions = luid_of_table(&world, "tbl-sessions");
    let failing_customers = [
        ("model.shop.orders", "success"),
        ("model.shop.customers", "error"),
        ("model.shop.payments", "success"),
        ("model.shop.stg_campaigns", "success"),
    ];

    // Table warnings off (the default): nothing lands on the tables.
    build(&world, "r1", "2025-03-02T07:00:00Z", &failing_customers).await;
    assert!(warnings_on(&world, &customers).is_empty());

    let mut integration = acme(&world).await;
    integration.quality_warnings.tables = true;
    world
        .store()
        .update_integration(&integration)
        .await
        .expect("allow table warnings");
    build(&world, "r2", "2025-03-02T08:00:00Z", &failing_customers).await;
    for table in [&customers, &sessions] {
        let on_table = warnings_on(&world, table);
        assert_eq!(on_table.len(), 1, "{table}: {on_table:?}");
        assert_eq!(on_table[0].content_type, "table");
        assert!(on_table[0].message.starts_with(WARNING_MARKER));
        assert!(
            on_table[0].message.contains("Cohort Analysis"),
            "{}",
            on_table[0].message
        );
    }
    let owned = acme(&world).await.quality_warning_state.owned;
    assert!(
        owned
            .iter()
            .any(|o| o.asset.luid == customers && o.asset.name == "customers"),
        "{owned:?}"
    );

    // Fixed: the table warnings go too.
    build(&world, "r3", "2025-03-02T09:00:00Z", &ALL_BUILT).await;
    assert!(warnings_on(&world, &customers).is_empty());
    assert!(warnings_on(&world, &sessions).is_empty());
}
