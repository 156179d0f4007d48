//! The one place these integration tests build clients against the simulator (which the
//! testkit starts).

#![allow(dead_code)] // each test binary uses a different part of it

use std::time::Duration;

use autoexpose_tableau::{
    ClientOptions, ConnectionSettings, RetryPolicy, TableauClient, TokenSecret,
};
use tableau_sim::Simulator;

/// A simulator serving the hand-made example site (`acme`), started the workspace's one way.
pub(crate) use autoexpose_testkit::example_site;

/// The example site's PAT: name and secret.
pub(crate) const PAT: (&str, &str) = ("autoexpose-ci", "ci-secret-0123456789");
/// The example site's content URL.
pub(crate) const SITE: &str = "acme";

/// Project LUIDs of the example site.
pub(crate) const FINANCE: &str = "1f0e1a6c-0001-4000-8000-00000000f001";
pub(crate) const REPORTING: &str = "1f0e1a6c-0002-4000-8000-00000000f002";
pub(crate) const ARCHIVE: &str = "1f0e1a6c-0003-4000-8000-00000000f003";
pub(crate) const MARKETING: &str = "1f0e1a6c-0004-4000-8000-00000000f004";
pub(crate) const SANDBOX: &str = "1f0e1a6c-0005-4000-8000-00000000f005";

/// Retries fast enough for tests, few enough to give up quickly.
pub(crate) fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(2),
    }
}

/// Test options: fast retries, the given page size.
pub(crate) fn options(page_size: u32) -> ClientOptions {
    ClientOptions {
        page_size,
        retry: fast_retry(),
        request_timeout: Duration::from_secs(30),
        ..ClientOptions::default()
    }
}

/// A client for `site` with the given PAT.
pub(crate) fn client_for(
    sim: &Simulator,
    site: &str,
    pat: (&str, &str),
    options: ClientOptions,
) -> TableauClient {
    TableauClient::new(
        ConnectionSettings {
            server_url: sim.base_url(),
            site: site.to_string(),
            token_name: pat.0.to_string(),
            token_secret: TokenSecret::new(pat.1),
        },
        options,
    )
    .expect("the client builds")
}

/// A client for the example site with its CI token.
pub(crate) fn client(sim: &Simulator, options: ClientOptions) -> TableauClient {
    client_for(sim, SITE, PAT, options)
}

/// The LUIDs of a listing's workbooks, sorted.
pub(crate) fn luids(workbooks: &[autoexpose_domain::Workbook]) -> Vec<String> {
    let mut luids: Vec<String> = workbooks.iter().map(|w| w.luid.clone()).collect();
    luids.sort();
    luids
}
