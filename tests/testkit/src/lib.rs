//! Test helpers: start moto and the Tableau simulator on loopback.
//!
//! ```no_run
//! # async fn demo() -> Result<(), autoexpose_testkit::MotoError> {
//! use autoexpose_testkit::{MotoServer, unique_name};
//! let moto = MotoServer::shared()?; // one per test binary, stopped when it exits
//! let config = moto.sdk_config().await; // us-east-1, static credentials, moto endpoint
//! let table = unique_name("exposures"); // tests run in parallel against one moto
//! # let _ = (config, table);
//! # Ok(())
//! # }
//! ```
//!
//! ```no_run
//! # async fn demo() {
//! // The Tableau simulator serving tests/simulator/sites/example.json on a free port.
//! let sim = autoexpose_testkit::example_site().await;
//! let server_url = sim.base_url(); // sign in to site `acme` as `autoexpose-ci`
//! # let _ = server_url;
//! # }
//! ```

mod moto;
mod simulator;

pub use moto::{
    MOTO_SERVER_ENV, MotoError, MotoServer, TEST_REGION, moto_executable, unique_name,
    workspace_root,
};
pub use simulator::{
    BOARD_PACK, FINANCE_PICKS, example_site, example_site_data, example_site_path,
    example_site_with, with_tableau_collections,
};
