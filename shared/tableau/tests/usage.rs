//! Usage against the simulator: the usage-stats batch method in batches, the views' view
//! counts on a site without it (absent or forbidden), and 429s retried like any call.

mod common;

use autoexpose_domain::Usage;
use autoexpose_tableau::{USAGE_BATCH, UsageSource};
use common::*;
use tableau_sim::{HttpFailure, Simulator, UsageSpec, UsageStatsAccess, generate_site};

const REVENUE: &str = "e1e1e1e1-0001-4000-8000-0000000000e1";
const CAMPAIGNS: &str = "e1e1e1e1-0004-4000-8000-0000000000e4";
const SALES_TARGETS: &str = "e1e1e1e1-0007-4000-8000-0000000000e7";

fn example_luids() -> Vec<String> {
    [REVENUE, CAMPAIGNS, SALES_TARGETS]
        .map(String::from)
        .to_vec()
}

#[tokio::test]
async fn the_usage_stats_method_gives_hits_per_window() {
    let sim = example_site().await;
    let usage = client(&sim, options(100))
        .with_session(async |s| s.workbook_usage(&example_luids()).await)
        .await
        .expect("usage reads");
    assert_eq!(usage.source, UsageSource::UsageStats);
    assert_eq!(usage.fallback_reason, None);
    assert_eq!(
        usage.by_workbook[REVENUE],
        Usage {
            hits_last_two_weeks: Some(180),
            hits_last_month: Some(410),
            hits_last_three_months: Some(1150),
            hits_last_year: Some(4200),
            total_views: Some(9800),
        }
    );
    assert_eq!(usage.by_workbook[CAMPAIGNS].hits_last_three_months, Some(0));
    // A workbook nobody ever opened has zeros, not nothing.
    assert_eq!(usage.by_workbook[SALES_TARGETS].hits_last_year, Some(0));
    assert_eq!(sim.stats().usage, 1, "three workbooks fit one call");
}

#[tokio::test]
async fn an_unknown_workbook_gets_no_usage_and_fails_nothing() {
    let sim = example_site().await;
    let asked = vec![REVENUE.to_string(), "not-a-workbook".to_string()];
    let usage = client(&sim, options(100))
        .with_session(async |s| s.workbook_usage(&asked).await)
        .await
        .expect("usage reads");
    assert!(usage.by_workbook.contains_key(REVENUE));
    assert!(!usage.by_workbook.contains_key("not-a-workbook"));
}

#[tokio::test]
async fn a_site_without_the_method_gives_lifetime_view_counts() {
    for access in [UsageStatsAccess::Absent, UsageStatsAccess::Forbidden] {
        let sim = example_site().await;
        sim.edit_site(SITE, |s| s.usage_stats = access).unwrap();
        let usage = client(&sim, options(100))
            .with_session(async |s| s.workbook_usage(&example_luids()).await)
            .await
            .expect("view counts read");
        assert_eq!(usage.source, UsageSource::ViewCounts, "{access:?}");
        let reason = usage.fallback_reason.expect("says why");
        let status = if access == UsageStatsAccess::Absent {
            "404"
        } else {
            "403"
        };
        assert!(reason.contains(status), "{reason}");
        // Revenue Overview's two views: 6100 + 3700.
        assert_eq!(
            usage.by_workbook[REVENUE],
            Usage {
                total_views: Some(9800),
                ..Usage::default()
            }
        );
        assert_eq!(usage.by_workbook[SALES_TARGETS].total_views, Some(0));
        assert_eq!(usage.by_workbook[CAMPAIGNS].hits_last_month, None);
    }
}

/// A generated site whose PAT the common helpers do not know.
async fn generated(workbooks: usize) -> (Simulator, Vec<String>) {
    let data = generate_site(workbooks, 2, 11);
    let luids = data.sites[0]
        .workbooks
        .iter()
        .map(|w| w.luid.clone())
        .collect();
    let sim = Simulator::start(data).await.expect("simulator starts");
    (sim, luids)
}

#[tokio::test]
async fn many_workbooks_go_in_batches_of_a_hundred() {
    let (sim, luids) = generated(250).await;
    let site = sim.site("bench").expect("the generated site");
    let usage = client_for(&sim, "bench", tableau_sim::GENERATED_PAT, options(100))
        .with_session(async |s| s.workbook_usage(&luids).await)
        .await
        .expect("usage reads");
    assert_eq!(usage.by_workbook.len(), 250);
    assert_eq!(sim.stats().usage, 250_u64.div_ceil(USAGE_BATCH as u64));
    assert_eq!(usage.requests, 3);
    for workbook in &site.workbooks {
        let spec = workbook.usage.clone().unwrap_or(UsageSpec::default());
        let got = &usage.by_workbook[&workbook.luid];
        assert_eq!(got.hits_last_month, Some(spec.hits_last_one_month));
        assert_eq!(got.total_views, Some(spec.hits_total));
    }
}

#[tokio::test]
async fn view_counts_of_few_workbooks_are_asked_per_workbook() {
    let (sim, luids) = generated(2_500).await;
    sim.edit_site("bench", |s| s.usage_stats = UsageStatsAccess::Absent)
        .unwrap();
    let one = luids[..1].to_vec();
    let usage = client_for(&sim, "bench", tableau_sim::GENERATED_PAT, options(100))
        .with_session(async |s| s.workbook_usage(&one).await)
        .await
        .expect("view counts read");
    assert_eq!(usage.by_workbook.len(), 1);
    // One refused batch and the first page of the site's views (2,500 views: three
    // pages), then one call for the one workbook rather than two more pages.
    assert_eq!(sim.stats().usage, 1 + 1 + 1);
    assert_eq!(usage.requests, 3);
    let (sim, luids) = generated(1_500).await;
    sim.edit_site("bench", |s| s.usage_stats = UsageStatsAccess::Absent)
        .unwrap();
    let usage = client_for(&sim, "bench", tableau_sim::GENERATED_PAT, options(100))
        .with_session(async |s| s.workbook_usage(&luids).await)
        .await
        .expect("view counts read");
    assert_eq!(usage.by_workbook.len(), 1_500);
    // Many workbooks: the refused batch, then the site's two pages of views.
    assert_eq!(sim.stats().usage, 1 + 2);
}

#[tokio::test]
async fn rate_limits_are_retried() {
    let sim = example_site().await;
    let client = client(&sim, options(100));
    let usage = client
        .with_session(async |s| {
            sim.faults().fail_next(
                2,
                HttpFailure::TooManyRequests {
                    retry_after: Some(0),
                },
            );
            s.workbook_usage(&example_luids()).await
        })
        .await
        .expect("usage reads after the 429s");
    assert_eq!(usage.source, UsageSource::UsageStats);
    assert_eq!(usage.by_workbook.len(), 3);
    assert_eq!(sim.stats().injected_failures, 2);
}
