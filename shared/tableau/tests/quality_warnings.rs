//! Data quality warnings against the simulator: add, query, update, delete, and the
//! refusals of unlicensed sites and of Tableau versions that allow one warning per asset.

mod common;

use autoexpose_tableau::{AddedWarning, WarningContent};
use common::*;

const ORDERS: &str = "d5d5d5d5-0001-4000-8000-0000000000d1";

#[tokio::test]
async fn a_warning_is_added_updated_and_deleted() {
    let sim = example_site().await;
    let client = client(&sim, options(100));
    client
        .with_session(async |s| {
            let AddedWarning::Added(added) = s
                .add_quality_warning(WarningContent::Datasource, ORDERS, "orders failed", true)
                .await?
            else {
                panic!("a site with Data Management takes a warning");
            };
            assert_eq!(
                (added.content_id.as_str(), added.is_severe, added.is_active),
                (ORDERS, true, true)
            );
            let updated = s
                .update_quality_warning(&added.id, "orders warned", false)
                .await?
                .expect("the warning exists");
            assert_eq!(
                (updated.message.as_str(), updated.is_severe),
                ("orders warned", false)
            );
            let listed = s
                .quality_warnings(WarningContent::Datasource, ORDERS)
                .await?;
            assert_eq!(listed, vec![updated]);
            assert!(s.delete_quality_warning(&added.id).await?);
            assert!(!s.delete_quality_warning(&added.id).await?, "already gone");
            assert_eq!(s.update_quality_warning(&added.id, "x", false).await?, None);
            let left = s
                .quality_warnings(WarningContent::Datasource, ORDERS)
                .await?;
            assert!(left.is_empty());
            Ok(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_site_without_data_management_refuses_with_forbidden() {
    let sim = example_site().await;
    sim.edit_site(SITE, |s| s.no_data_management = true)
        .unwrap();
    let err = client(&sim, options(100))
        .with_session(async |s| {
            s.add_quality_warning(WarningContent::Datasource, ORDERS, "m", false)
                .await
        })
        .await
        .unwrap_err();
    assert!(err.is_forbidden(), "{err}");
    assert!(err.to_string().contains("403"), "{err}");
}

#[tokio::test]
async fn a_second_warning_on_an_older_tableau_is_reported_not_added() {
    let sim = example_site().await;
    sim.edit_site(SITE, |s| s.one_warning_per_asset = true)
        .unwrap();
    let client = client(&sim, options(100));
    let (first, second) = client
        .with_session(async |s| {
            let first = s
                .add_quality_warning(WarningContent::Datasource, ORDERS, "one", false)
                .await?;
            let second = s
                .add_quality_warning(WarningContent::Datasource, ORDERS, "two", false)
                .await?;
            Ok((first, second))
        })
        .await
        .unwrap();
    assert!(matches!(first, AddedWarning::Added(_)));
    assert!(matches!(second, AddedWarning::AssetHoldsOne { .. }));
    let site = sim.site(SITE).unwrap();
    assert_eq!(site.quality_warnings.len(), 1);
    assert_eq!(site.quality_warnings[0].message, "one");
}
