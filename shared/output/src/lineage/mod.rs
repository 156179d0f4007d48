//! The lineage page: dbt sources → models → exposures, as one self-contained HTML file.
//!
//! [`lineage_html`] keeps only the nodes upstream of at least one exposure (following the
//! manifest's [`Dag`]), lays them out in columns (sources, models by longest-path depth,
//! exposures grouped under `imported_from_tableau/<project>`) and draws them as inline SVG,
//! with inline CSS and a small script for search and path highlighting (`assets/` beside
//! this crate's sources). The page fetches nothing: a strict Content-Security-Policy
//! forbids it.
//!
//! The script honours URL fragment parameters, so a link (or a headless browser) can open
//! the page already filtered or with an exposure selected: `lineage.html#q=orders` and
//! `lineage.html#select=executive_overview`.
//!
//! Inside: [`graph`] picks the nodes and edges, [`layout`] places them, [`page`] writes the
//! HTML.

mod graph;
mod layout;
mod page;

use autoexpose_domain::dag::Dag;
use autoexpose_domain::{Exposure, Manifest};

use graph::Graph;
use layout::Layout;

/// What the page shows besides the graph.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineageOptions {
    /// The page title, e.g. the dbt project's name; "dbt lineage" when empty.
    pub title: String,
    /// When the page was generated, shown as given (e.g. RFC 3339). `None` keeps the page
    /// byte-for-byte identical across runs on the same input.
    pub generated_at: Option<String>,
}

/// Builds the lineage page: every exposure with the dbt nodes upstream of it.
///
/// Auto exposures (from Tableau) are grouped under `imported_from_tableau/<project>`;
/// the manifest's manual exposures under their own heading. The output depends only on
/// the inputs: the same input gives the same bytes.
pub fn lineage_html(
    manifest: &Manifest,
    dag: &Dag,
    exposures: &[Exposure],
    options: &LineageOptions,
) -> String {
    let graph = Graph::build(manifest, dag, exposures);
    let layout = Layout::compute(&graph);
    let mut page = String::with_capacity(16_384 + graph.nodes.len() * 1_024);
    page::write_page(&mut page, manifest, &graph, &layout, options);
    page
}
