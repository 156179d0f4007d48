//! Tableau's own Collections (REST 3.28+) through the real client against the simulator.

mod common;

use autoexpose_tableau::{Selection, TableauError};
use autoexpose_testkit::{BOARD_PACK, FINANCE_PICKS, example_site_data, with_tableau_collections};
use common::*;
use tableau_sim::Simulator;

const CAMPAIGNS: &str = "e1e1e1e1-0004-4000-8000-0000000000e4";
const TARGETS: &str = "e1e1e1e1-0007-4000-8000-0000000000e7";
const REVENUE: &str = "e1e1e1e1-0001-4000-8000-0000000000e1";

async fn site_with_collections() -> Simulator {
    let mut data = example_site_data();
    with_tableau_collections(&mut data);
    Simulator::start(data).await.expect("the simulator starts")
}

#[tokio::test]
async fn lists_the_collections_the_token_user_can_see() {
    let sim = site_with_collections().await;
    let collections = client(&sim, options(100))
        .with_session(async |s| s.tableau_collections().await)
        .await
        .unwrap();
    let names: Vec<(&str, &str)> = collections
        .iter()
        .map(|c| (c.luid.as_str(), c.name.as_str()))
        .collect();
    assert_eq!(
        names,
        [(BOARD_PACK, "Board pack"), (FINANCE_PICKS, "Finance picks")]
    );
    assert_eq!(collections[0].item_count, Some(3));
    assert_eq!(collections[1].visibility.as_deref(), Some("private"));
}

#[tokio::test]
async fn collections_in_the_newer_body_shape_with_items_the_token_user_cannot_see() {
    let sim = site_with_collections().await;
    sim.edit_site("acme", |site| {
        site.collections_in_content_shape = true;
        // Sales Targets is in the Board pack but hidden from the token's user.
        let board = site
            .tableau_collections
            .iter_mut()
            .find(|c| c.id == BOARD_PACK);
        let board = board.expect("the Board pack");
        board
            .items
            .iter_mut()
            .find(|i| i.luid == TARGETS)
            .expect("Targets")
            .hidden = true;
    })
    .unwrap();
    let (collections, items) = client(&sim, options(100))
        .with_session(async |s| {
            let collections = s.tableau_collections().await?;
            let items = s.tableau_collection_items(BOARD_PACK).await?;
            Ok((collections, items))
        })
        .await
        .unwrap();
    let board = collections
        .iter()
        .find(|c| c.luid == BOARD_PACK)
        .expect("listed by luid");
    assert_eq!(
        (board.item_count, board.visible_item_count),
        (Some(3), Some(2))
    );
    assert_eq!(board.hidden_item_count(), Some(1));
    let read: Vec<(&str, &str, &str)> = items
        .iter()
        .map(|i| (i.luid.as_str(), i.name.as_str(), i.content_type.as_str()))
        .collect();
    assert_eq!(
        read,
        [
            (CAMPAIGNS, "Campaign Performance", "workbook"),
            (
                "f1f1f1f1-0001-4000-8000-0000000000f1",
                "Pipeline by region",
                "view"
            ),
        ]
    );
}

#[tokio::test]
async fn a_collections_workbooks_are_listed_across_projects_without_their_neighbours() {
    let sim = site_with_collections().await;
    let selection = Selection {
        projects: vec![],
        tableau_collections: vec![BOARD_PACK.into()],
    };
    let listing = client(&sim, options(100))
        .with_session(async |s| {
            let resolved = s.resolve_selection(&selection).await?;
            let mut listing = s.list_workbooks(&resolved.projects_to_list, |_| {}).await?;
            resolved.retain(&mut listing.workbooks);
            Ok((resolved, listing))
        })
        .await
        .unwrap();
    let (resolved, listing) = listing;
    // The view in the Collection is not a workbook; the Marketing project's other
    // workbooks are listed with it but are not the Collection's.
    assert_eq!(
        resolved.collection_workbooks.iter().collect::<Vec<_>>(),
        [CAMPAIGNS, TARGETS]
    );
    assert_eq!(luids(&listing.workbooks), [CAMPAIGNS, TARGETS]);
    assert!(listing.complete);
}

#[tokio::test]
async fn projects_and_collections_together_import_both() {
    let sim = site_with_collections().await;
    let selection = Selection {
        projects: vec!["Finance/Reporting".into()],
        tableau_collections: vec![FINANCE_PICKS.into()],
    };
    let workbooks = client(&sim, options(100))
        .with_session(async |s| {
            let resolved = s.resolve_selection(&selection).await?;
            let mut listing = s.list_workbooks(&resolved.projects_to_list, |_| {}).await?;
            resolved.retain(&mut listing.workbooks);
            Ok(listing.workbooks)
        })
        .await
        .unwrap();
    assert_eq!(
        luids(&workbooks),
        [
            REVENUE,
            "e1e1e1e1-0002-4000-8000-0000000000e2",
            "e1e1e1e1-0006-4000-8000-0000000000e6",
        ]
    );
}

#[tokio::test]
async fn a_deleted_collection_is_reported_as_gone() {
    let sim = site_with_collections().await;
    sim.edit_site("acme", |site| {
        site.tableau_collections.retain(|c| c.id != BOARD_PACK)
    })
    .unwrap();
    let err = client(&sim, options(100))
        .with_session(async |s| s.tableau_collection_items(BOARD_PACK).await)
        .await
        .unwrap_err();
    assert!(
        matches!(err, TableauError::TableauCollectionGone { ref luid, .. } if luid == BOARD_PACK),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("no longer exists on site 'acme'"),
        "{message}"
    );
    assert!(message.contains("nothing was changed"), "{message}");
}

#[tokio::test]
async fn a_site_older_than_3_28_says_collections_are_not_available() {
    // The example site speaks REST 3.25.
    let sim = example_site().await;
    let err = client(&sim, options(100))
        .with_session(async |s| s.tableau_collections().await)
        .await
        .unwrap_err();
    assert!(
        matches!(err, TableauError::TableauCollectionsUnavailable { ref version, .. } if version == "3.25"),
        "{err:?}"
    );
    assert!(err.to_string().contains("need 3.28 or newer"), "{err}");
    // Decided from serverinfo: no request went to a path the server does not have.
    let stats = sim.stats();
    assert_eq!(stats.other, 0, "{stats:?}");
}
