//! Listing projects and workbooks against the simulator: paging, nesting, limits, cap.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use autoexpose_tableau::{JobState, Progress, RefreshReply, TableauError};
use common::*;
use tableau_sim::{GENERATED_PAT, ProjectSpec, Simulator, generate_site};

#[tokio::test]
async fn collection_path_includes_nested_projects() {
    let sim = example_site().await;
    let listing = client(&sim, options(100))
        .list_collections(&["Finance".to_string()], |_| {})
        .await
        .unwrap();
    let projects: Vec<&str> = listing.projects.iter().map(|p| p.luid.as_str()).collect();
    assert_eq!(projects, [FINANCE, REPORTING, ARCHIVE]);
    assert_eq!(
        luids(&listing.workbooks.workbooks),
        [
            "e1e1e1e1-0001-4000-8000-0000000000e1",
            "e1e1e1e1-0002-4000-8000-0000000000e2",
            "e1e1e1e1-0006-4000-8000-0000000000e6",
        ]
    );
    assert!(listing.workbooks.complete);
}

#[tokio::test]
async fn nested_path_and_luid_resolve_to_the_same_projects() {
    let sim = example_site().await;
    let client = client(&sim, options(100));
    let by_path = client
        .with_session(async |s| s.resolve_collections(&["Finance/Reporting".into()]).await)
        .await
        .unwrap();
    let by_luid = client
        .with_session(async |s| s.resolve_collections(&[REPORTING.into()]).await)
        .await
        .unwrap();
    assert_eq!(by_path, by_luid);
    let luids: Vec<&str> = by_path.iter().map(|p| p.luid.as_str()).collect();
    assert_eq!(luids, [REPORTING, ARCHIVE]);
}

#[tokio::test]
async fn unknown_collection_is_a_typed_error() {
    let sim = example_site().await;
    let err = client(&sim, options(100))
        .list_collections(&["Finance/Nowhere".to_string()], |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, TableauError::UnknownProject(ref p) if p == "Finance/Nowhere"));
    assert_eq!(sim.stats().sign_outs, 1, "signed out after the error");
}

#[tokio::test]
async fn duplicate_project_path_is_ambiguous() {
    let sim = example_site().await;
    sim.edit_site(SITE, |site| {
        site.projects.push(ProjectSpec {
            id: "1f0e1a6c-0099-4000-8000-00000000f099".into(),
            name: "Reporting".into(),
            description: String::new(),
            parent_id: Some(FINANCE.into()),
            owner_id: None,
        })
    })
    .unwrap();
    let err = client(&sim, options(100))
        .list_collections(&["Finance/Reporting".to_string()], |_| {})
        .await
        .unwrap_err();
    match err {
        TableauError::AmbiguousProject { luids, .. } => assert_eq!(luids.len(), 2),
        other => panic!("expected an ambiguous path, got {other:?}"),
    }
}

#[tokio::test]
async fn custom_sql_is_attached_to_its_workbook() {
    let sim = example_site().await;
    let listing = client(&sim, options(100))
        .list_collections(&[MARKETING.to_string()], |_| {})
        .await
        .unwrap();
    let cohort = listing
        .workbooks
        .workbooks
        .iter()
        .find(|w| w.name == "Cohort Analysis")
        .expect("Cohort Analysis is listed");
    let ids: Vec<Option<&str>> = cohort.custom_sql.iter().map(|s| s.id.as_deref()).collect();
    assert_eq!(ids, [Some("csql-cohorts")]);
    assert!(
        cohort.custom_sql[0]
            .query
            .contains("analytics.dbt_prod.customers")
    );
}

/// The whole generated site, listed with a roomy page size and no faults.
async fn full_listing(sim: &Simulator) -> Vec<autoexpose_domain::Workbook> {
    let roots = top_level_projects(sim);
    generated_client(sim, 500)
        .list_collections(&roots, |_| {})
        .await
        .unwrap()
        .workbooks
        .workbooks
}

fn top_level_projects(sim: &Simulator) -> Vec<String> {
    let site = sim.site("bench").unwrap();
    site.projects
        .iter()
        .filter(|p| p.parent_id.is_none())
        .map(|p| p.id.clone())
        .collect()
}

fn generated_client(sim: &Simulator, page_size: u32) -> autoexpose_tableau::TableauClient {
    client_for(sim, "bench", GENERATED_PAT, options(page_size))
}

#[tokio::test]
async fn paging_across_many_pages_lists_every_workbook_once() {
    let sim = Simulator::start(generate_site(240, 4, 7)).await.unwrap();
    let roots = top_level_projects(&sim);
    let seen = Arc::new(Mutex::new(Vec::<Progress>::new()));
    let sink = seen.clone();
    let listing = generated_client(&sim, 7)
        .list_collections(&roots, move |p| sink.lock().unwrap().push(p))
        .await
        .unwrap();
    let site = sim.site("bench").unwrap();
    let mut expected: Vec<String> = site.workbooks.iter().map(|w| w.luid.clone()).collect();
    expected.sort();
    assert_eq!(luids(&listing.workbooks.workbooks), expected);
    assert!(
        listing.workbooks.pages >= 240 / 7,
        "pages: {}",
        listing.workbooks.pages
    );
    let last = *seen.lock().unwrap().iter().max_by_key(|p| p.pages).unwrap();
    assert_eq!(last.workbooks, 240);
    assert_eq!(last.total, Some(240));
}

#[tokio::test]
async fn node_limit_halves_the_page_and_the_listing_stays_complete() {
    let sim = Simulator::start(generate_site(120, 10, 11)).await.unwrap();
    let expected = full_listing(&sim).await;
    // Small enough that a 100-workbook page overflows, large enough for a few per page.
    sim.faults().set_node_limit(400);
    sim.reset_stats();
    let roots = top_level_projects(&sim);
    let listing = generated_client(&sim, 100)
        .list_collections(&roots, |_| {})
        .await
        .unwrap();
    assert_eq!(listing.workbooks.workbooks, expected);
    assert!(sim.stats().metadata_queries > listing.workbooks.pages as u64);
}

#[tokio::test]
async fn time_limit_halves_the_page_too() {
    let sim = Simulator::start(generate_site(60, 3, 5)).await.unwrap();
    let expected = full_listing(&sim).await;
    sim.faults().set_metadata_timeout_above(Some(8));
    sim.reset_stats();
    let listing = generated_client(&sim, 100)
        .list_collections(&top_level_projects(&sim), |_| {})
        .await
        .unwrap();
    assert_eq!(listing.workbooks.workbooks, expected);
    assert!(sim.stats().metadata_queries > listing.workbooks.pages as u64);
}

#[tokio::test]
async fn node_limit_at_one_workbook_per_page_is_an_error() {
    let sim = example_site().await;
    sim.faults().set_node_limit(2);
    let err = client(&sim, options(4))
        .list_collections(&[FINANCE.to_string()], |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(err, TableauError::PartialResults { .. }),
        "{err:?}"
    );
    assert_eq!(sim.stats().sign_outs, 1);
}

#[tokio::test]
async fn never_more_than_four_requests_in_flight() {
    let sim = Simulator::start(generate_site(200, 3, 3)).await.unwrap();
    sim.faults().set_latency(Duration::from_millis(15));
    let mut options = options(5);
    options.projects_per_query = 2;
    let client = client_for(&sim, "bench", GENERATED_PAT, options);
    let listing = client
        .list_collections(&top_level_projects(&sim), |_| {})
        .await
        .unwrap();
    assert_eq!(listing.workbooks.workbooks.len(), 200);
    let stats = sim.stats();
    assert!(
        stats.max_in_flight <= 4,
        "max in flight {}",
        stats.max_in_flight
    );
    assert!(
        stats.max_in_flight >= 2,
        "requests ran concurrently: {}",
        stats.max_in_flight
    );
}

#[tokio::test]
async fn refresh_queues_a_job_that_can_be_followed() {
    let sim = example_site().await;
    let client = client(&sim, options(100));
    let (first, second, no_extract, status) = client
        .with_session(async |s| {
            let first = s
                .refresh_workbook("e1e1e1e1-0002-4000-8000-0000000000e2")
                .await?;
            let second = s
                .refresh_workbook("e1e1e1e1-0002-4000-8000-0000000000e2")
                .await?;
            let no_extract = s
                .refresh_workbook("e1e1e1e1-0001-4000-8000-0000000000e1")
                .await?;
            let RefreshReply::Queued { job_id } = &first else {
                return Ok((first, second, no_extract, None));
            };
            let status = s.job(job_id).await?;
            Ok((first, second, no_extract, Some(status)))
        })
        .await
        .unwrap();
    assert!(matches!(first, RefreshReply::Queued { .. }), "{first:?}");
    assert_eq!(second, RefreshReply::AlreadyQueued);
    assert_eq!(no_extract, RefreshReply::NotRefreshable);
    assert!(
        matches!(status, Some(JobState::InProgress { .. })),
        "{status:?}"
    );
}

#[tokio::test]
async fn failed_refresh_job_reports_tableau_notes() {
    let sim = example_site().await;
    let client = client(&sim, options(100));
    let status = client
        .with_session(async |s| {
            let RefreshReply::Queued { job_id } = s
                .refresh_workbook("e1e1e1e1-0006-4000-8000-0000000000e6")
                .await?
            else {
                panic!("the refresh was not queued");
            };
            loop {
                let status = s.job(&job_id).await?;
                if !matches!(status, JobState::InProgress { .. }) {
                    return Ok(status);
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
        .await
        .unwrap();
    match status {
        JobState::Failed { notes } => assert!(notes.unwrap().contains("Login failed")),
        other => panic!("expected a failed job, got {other:?}"),
    }
}
