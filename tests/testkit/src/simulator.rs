//! Start the Tableau simulator with the bundled example site (`acme`), the site most
//! integration tests sign in to.

use std::path::PathBuf;

use tableau_sim::{SimConfig, Simulator, SiteData, load_site_file};

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
