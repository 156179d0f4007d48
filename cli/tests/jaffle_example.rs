//! The example project in `examples/jaffle-shop` read end to end through the libraries the
//! CLI wires together: a saved Tableau response (the Tableau crate), matching (the domain)
//! and the lineage page (the output crate).

use std::path::Path;

use autoexpose_domain::{Manifest, MatchOptions, build_exposures};
use autoexpose_output::{LineageOptions, lineage_html};
use autoexpose_tableau::parse_workbooks_response;

#[test]
fn the_jaffle_shop_example_draws_every_exposure_and_what_it_reads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/jaffle-shop");
    let bytes = std::fs::read(root.join("manifest.json")).expect("example manifest");
    let manifest = Manifest::from_slice(&bytes).expect("parses");
    let response = std::fs::read(root.join("tableau-response.json")).expect("example response");
    let workbooks = parse_workbooks_response(&response).expect("parses");
    let outcome = build_exposures(&manifest, &workbooks, &MatchOptions::default());
    let html = lineage_html(
        &manifest,
        manifest.dag(),
        &outcome.exposures,
        &LineageOptions::default(),
    );
    let drawn = |id: &str| html.contains(&format!(" data-id=\"{id}\""));
    for exposure in &outcome.exposures {
        assert!(drawn(&format!("exposure.jaffle_shop.{}", exposure.name)));
        for id in &exposure.depends_on {
            assert!(drawn(id), "{id}");
        }
    }
    assert!(drawn("exposure.jaffle_shop.weekly_jaffle_metrics"));
}
