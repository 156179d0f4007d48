//! The lineage page: dbt sources → models → exposures, as one self-contained HTML file.
//!
//! [`lineage_html`] draws the nodes upstream of at least one exposure (following the
//! manifest's [`Dag`]), laid out in columns (sources, models by longest-path depth,
//! exposures grouped under `imported_from_tableau/<project>`), as inline SVG, with inline
//! CSS and a small script for search and path highlighting (`assets/` beside this crate's
//! sources). Edges that skip columns run in lanes between the nodes they pass. The rest of
//! the project (nodes that feed no exposure) is in the page too, laid out on its own and
//! drawn only when asked for (the "Show all" button), so a large project opens on what its
//! dashboards read: zoomed so that every exposure is in view. The page fetches nothing: a
//! strict Content-Security-Policy forbids it.
//!
//! The script honours URL fragment parameters, so a link (or a headless browser) can open
//! the page already filtered, with an exposure selected or with the whole project drawn:
//! `lineage.html#q=orders`, `lineage.html#select=executive_overview`, `#scope=all`.
//!
//! Inside: [`graph`] picks the nodes and edges, [`layout`] places them, [`page`] writes the
//! HTML.

mod graph;
mod layout;
mod page;

use autoexpose_domain::dag::Dag;
use autoexpose_domain::{Exposure, Manifest};

use graph::{Graph, Scope};
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
    let lineage = Graph::build(manifest, dag, exposures, Scope::UpstreamOfExposures);
    let lineage_layout = Layout::compute(&lineage);
    let whole = Graph::build(manifest, dag, exposures, Scope::WholeProject);
    let whole = if whole.nodes.len() > lineage.nodes.len() {
        let layout = Layout::compute(&whole);
        Some((whole, layout))
    } else {
        None
    };
    let drawn = lineage.nodes.len() + whole.as_ref().map_or(0, |(g, _)| g.nodes.len());
    let mut page = String::with_capacity(16_384 + drawn * 1_200);
    let views = page::Views {
        lineage: (&lineage, &lineage_layout),
        whole: whole.as_ref().map(|(g, l)| (g, l)),
    };
    page::write_page(&mut page, manifest, &views, options);
    page
}
