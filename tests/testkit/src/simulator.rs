//! Start the Tableau simulator with the bundled example site (`acme`), the site most
//! integration tests sign in to.

use std::path::PathBuf;

use tableau_sim::{
    SimConfig, Simulator, SiteData, TableauCollectionItemSpec, TableauCollectionSpec,
    load_site_file,
};

use crate::workspace_root;

/// Where the example site lives: `tests/simulator/sites/example.json`.
pub fn example_site_path() -> PathBuf {
    workspace_root().join("tests/simulator/sites/example.json")
}

/// The example site's data, for tests that change it before starting a simulator.
///
/// # Panics
/// If the bundled file is missing or invalid: a bug in the repository, not in the test.
pub fn example_site_data() -> SiteData {
    let path = example_site_path();
    load_site_file(&path)
        .unwrap_or_else(|e| panic!("the example site {} loads: {e}", path.display()))
}

/// A simulator on a free loopback port serving the example site.
///
/// # Panics
/// If the example site does not load or the simulator cannot bind a port.
pub async fn example_site() -> Simulator {
    example_site_with(SimConfig::default()).await
}

/// A simulator serving the example site with the given settings (node limit, failures).
///
/// # Panics
/// If the example site does not load or the simulator cannot bind a port.
pub async fn example_site_with(config: SimConfig) -> Simulator {
    Simulator::start_with(example_site_data(), config)
        .await
        .unwrap_or_else(|e| panic!("the Tableau simulator starts: {e}"))
}

/// The example site's Tableau Collection "Board pack": Campaign Performance (Marketing)
/// and Sales Targets (Sandbox), and a view, which is not a workbook.
pub const BOARD_PACK: &str = "c0c0c0c0-0001-4000-8000-0000000000c1";
/// The example site's private Tableau Collection "Finance picks": Revenue Overview.
pub const FINANCE_PICKS: &str = "c0c0c0c0-0002-4000-8000-0000000000c2";

/// Makes the example site a REST 3.28 server (Tableau Cloud February 2026) with two
/// Tableau Collections, [`BOARD_PACK`] and [`FINANCE_PICKS`].
pub fn with_tableau_collections(data: &mut SiteData) {
    data.server.rest_api_version = "3.28".to_string();
    data.server.product_version = "2026.1.0".to_string();
    let item = |luid: &str| TableauCollectionItemSpec {
        content_type: "workbook".to_string(),
        luid: luid.to_string(),
        name: String::new(),
        hidden: false,
    };
    let acme = &mut data.sites[0];
    acme.tableau_collections = vec![
        TableauCollectionSpec {
            id: BOARD_PACK.to_string(),
            name: "Board pack".to_string(),
            description: "What the board reads each quarter".to_string(),
            visibility: "public".to_string(),
            owner_id: Some(acme.users[0].id.clone()),
            items: vec![
                item("e1e1e1e1-0004-4000-8000-0000000000e4"),
                item("e1e1e1e1-0007-4000-8000-0000000000e7"),
                TableauCollectionItemSpec {
                    content_type: "view".to_string(),
                    luid: "f1f1f1f1-0001-4000-8000-0000000000f1".to_string(),
                    name: "Pipeline by region".to_string(),
                    hidden: false,
                },
            ],
        },
        TableauCollectionSpec {
            id: FINANCE_PICKS.to_string(),
            name: "Finance picks".to_string(),
            description: String::new(),
            visibility: "private".to_string(),
            owner_id: Some(acme.users[0].id.clone()),
            items: vec![item("e1e1e1e1-0001-4000-8000-0000000000e1")],
        },
    ];
}
