//! The HTML page around the graph: header, inline SVG, details panel, and the CSS and
//! script from `assets/`. Every text from a manifest or a workbook is escaped for where it
//! goes (element content or a double-quoted attribute) by `html-escape`.

use std::fmt::Write as _;

use autoexpose_domain::Manifest;
use html_escape::{encode_double_quoted_attribute as escape_attr, encode_text as escape_text};

use super::LineageOptions;
use super::graph::{Graph, Node, NodeKind};
use super::layout::{Layout, NODE_H, PAD, Route, SUB_CHAR, TITLE_CHAR, TOP, text_x};

/// Tableau's logo, simplified, and the arrow heads: `<defs>` the page's SVG refers to.
const SVG_DEFS: &str = include_str!("../../assets/lineage-defs.svg");

const TABLEAU_MARK_SMALL: &str = r##"<svg class="logo" width="30" height="30" viewBox="0 0 24 24" aria-hidden="true"><use href="#tableau-mark"/></svg>"##;

const CSS: &str = include_str!("../../assets/lineage.css");

const SCRIPT: &str = include_str!("../../assets/lineage.js");

/// The graphs the page holds: the lineage of the exposures, drawn on opening, and the
/// whole project (when it has more), kept in a `<template>` until asked for.
pub(super) struct Views<'a> {
    pub(super) lineage: (&'a Graph, &'a Layout),
    pub(super) whole: Option<(&'a Graph, &'a Layout)>,
}

pub(super) fn write_page(
    out: &mut String,
    manifest: &Manifest,
    views: &Views<'_>,
    options: &LineageOptions,
) {
    let title = if options.title.trim().is_empty() {
        "dbt lineage"
    } else {
        options.title.as_str()
    };
    let (graph, layout) = views.lineage;
    let dbt_nodes = graph.nodes.len() - graph.exposure_count;
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n",
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<title>{}</title>", escape_text(title));
    let _ = writeln!(out, "<style>\n{CSS}</style>\n</head>");
    let whole_nodes = views.whole.map_or(dbt_nodes, |(whole, _)| {
        whole.nodes.len() - whole.exposure_count
    });
    let _ = writeln!(
        out,
        "<body data-ready=\"false\" data-exposures=\"{}\" data-nodes=\"{}\" data-edges=\"{}\" \
         data-project-nodes=\"{whole_nodes}\">",
        graph.exposure_count,
        dbt_nodes,
        graph.edge_count()
    );
    write_header(out, manifest, views, title, options);
    out.push_str("<main>\n<div id=\"canvas\">\n");
    write_svg(out, graph, layout, "lineage");
    out.push_str("</div>\n");
    write_panel(out, graph, layout);
    out.push_str("</main>\n");
    if let Some((whole, whole_layout)) = views.whole {
        // Inert until the script clones it: a large project costs nothing on opening.
        out.push_str("<template id=\"whole-project\">\n");
        write_svg(out, whole, whole_layout, "project");
        out.push_str("</template>\n");
    }
    let _ = writeln!(out, "<script>\n{SCRIPT}</script>\n</body>\n</html>");
}

fn write_header(
    out: &mut String,
    manifest: &Manifest,
    views: &Views<'_>,
    title: &str,
    options: &LineageOptions,
) {
    let (graph, _) = views.lineage;
    out.push_str("<header>\n<div class=\"brand\">");
    out.push_str(TABLEAU_MARK_SMALL);
    let _ = write!(
        out,
        "<div><h1>{}</h1><p class=\"meta\">",
        escape_text(title)
    );
    let mut facts = vec![format!(
        "{} exposures · {} dbt nodes upstream",
        graph.exposure_count,
        graph.nodes.len() - graph.exposure_count
    )];
    if let Some(version) = &manifest.metadata.dbt_version {
        facts.push(format!("dbt {version}"));
    }
    if let Some(at) = &manifest.metadata.generated_at {
        facts.push(format!("manifest of {at}"));
    }
    if let Some(at) = &options.generated_at {
        facts.push(format!("generated {at}"));
    }
    let _ = writeln!(out, "{}</p></div></div>", escape_text(&facts.join(" · ")));
    out.push_str(
        "<div class=\"search\"><input id=\"search\" type=\"search\" placeholder=\"Search nodes by name…\" \
         autocomplete=\"off\" aria-label=\"Search nodes by name\"><span id=\"count\" aria-live=\"polite\"></span></div>\n\
         <div class=\"zoom\"><button id=\"zoom-out\" type=\"button\" title=\"Zoom out\">−</button>\
         <button id=\"zoom-fit\" type=\"button\" title=\"Fit the whole graph\">Fit</button>\
         <button id=\"zoom-in\" type=\"button\" title=\"Zoom in\">+</button>\
         <span id=\"zoom-level\">100%</span></div>\n",
    );
    if let Some((whole, _)) = views.whole {
        let all = whole.nodes.len() - whole.exposure_count;
        let _ = writeln!(
            out,
            "<div class=\"scope\"><button id=\"scope\" type=\"button\" aria-pressed=\"false\" \
             data-all=\"Show all {all} dbt nodes\" data-lineage=\"Show only what exposures read\" \
             title=\"{} nodes feed no exposure\">Show all {all} dbt nodes</button></div>",
            all - (graph.nodes.len() - graph.exposure_count)
        );
    }
    out.push_str("<ul class=\"legend\">");
    for (kind, label) in [
        (NodeKind::Source, "source"),
        (NodeKind::Seed, "seed"),
        (NodeKind::Snapshot, "snapshot"),
        (NodeKind::Model, "model"),
        (NodeKind::Exposure, "Tableau exposure"),
        (NodeKind::ManualExposure, "manual exposure"),
    ] {
        let _ = write!(
            out,
            "<li><span class=\"swatch k-{}\"></span>{label}</li>",
            kind.slug()
        );
    }
    out.push_str("</ul>\n</header>\n");
}

fn write_svg(out: &mut String, graph: &Graph, layout: &Layout, scope: &str) {
    let (w, h) = (num(layout.width), num(layout.height));
    let (bx, by, bw, bh) = layout.exposure_box;
    let _ = writeln!(
        out,
        "<svg id=\"graph\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"Lineage of {} exposures\" \
         data-scope=\"{scope}\" data-exposure-box=\"{} {} {} {}\">",
        graph.exposure_count,
        num(bx),
        num(by),
        num(bw),
        num(bh)
    );
    out.push_str(SVG_DEFS);
    let _ = writeln!(
        out,
        "<rect class=\"bg\" x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\"/>"
    );
    out.push_str("<g class=\"columns\">");
    for (c, text) in layout.col_titles.iter().enumerate() {
        let _ = write!(
            out,
            "<text class=\"col-head\" x=\"{}\" y=\"30\">{}</text>",
            num(layout.col_x[c]),
            escape_text(text)
        );
    }
    out.push_str("</g>\n");
    if graph.exposure_count == 0 {
        let _ = writeln!(
            out,
            "<text class=\"empty\" x=\"{}\" y=\"{}\">No exposures: no Tableau workbook matched a dbt node.</text>",
            num(PAD),
            num(TOP + 20.0)
        );
    }
    write_edges(out, graph, layout);
    out.push_str("<g class=\"groups\">");
    let last = layout.col_x.len() - 1;
    for (y, text) in &layout.group_heads {
        let _ = write!(
            out,
            "<g class=\"group-head\" transform=\"translate({},{})\"><path class=\"folder\" d=\"M0 3h5l2 2h7v8H0z\"/><text x=\"20\" y=\"12\">{}</text></g>",
            num(layout.col_x[last]),
            num(*y),
            escape_text(text)
        );
    }
    out.push_str("</g>\n<g class=\"nodes\">\n");
    for index in draw_order(graph, layout) {
        write_node(out, graph, layout, index);
    }
    out.push_str("</g>\n</svg>\n");
}

/// Column by column, top to bottom: the order a person reads (and tabs through) the page.
fn draw_order(graph: &Graph, layout: &Layout) -> Vec<usize> {
    let mut order: Vec<usize> = (0..graph.nodes.len()).collect();
    order.sort_by(|&a, &b| {
        layout.column[a]
            .cmp(&layout.column[b])
            .then_with(|| layout.y[a].total_cmp(&layout.y[b]))
            .then_with(|| graph.nodes[a].id.cmp(&graph.nodes[b].id))
    });
    order
}

fn write_edges(out: &mut String, graph: &Graph, layout: &Layout) {
    let mut routes: Vec<&Route> = layout.routes.iter().collect();
    routes.sort_by(|a, b| {
        let key = |r: &Route| (&graph.nodes[r.parent].id, &graph.nodes[r.child].id);
        key(a).cmp(&key(b))
    });
    out.push_str("<g class=\"edges\">\n");
    for route in routes {
        let _ = writeln!(
            out,
            "<path class=\"edge\" data-from=\"{}\" data-to=\"{}\" d=\"{}\"/>",
            escape_attr(&graph.nodes[route.parent].id),
            escape_attr(&graph.nodes[route.child].id),
            edge_path(layout, route)
        );
    }
    out.push_str("</g>\n");
}

/// From the parent's right side to the child's left, with a straight run through the lane
/// of every column between and an S-curve across each gap.
fn edge_path(layout: &Layout, route: &Route) -> String {
    let (parent, child) = (route.parent, route.child);
    let mut x = layout.x(parent) + layout.w(parent);
    let mut y = layout.y[parent] + NODE_H / 2.0;
    let mut d = format!("M{} {}", num(x), num(y));
    let first_lane = layout.column[parent] + 1;
    for (offset, &lane_y) in route.lanes.iter().enumerate() {
        let column = first_lane + offset;
        let left = layout.col_x[column];
        curve_to(&mut d, x, y, left, lane_y);
        x = left + layout.col_w[column];
        y = lane_y;
        let _ = write!(d, "H{}", num(x));
    }
    let x2 = layout.x(child) - 3.0;
    let y2 = layout.y[child] + NODE_H / 2.0;
    curve_to(&mut d, x, y, x2, y2);
    d
}

/// A cubic curve leaving and arriving horizontally.
fn curve_to(d: &mut String, x1: f64, y1: f64, x2: f64, y2: f64) {
    let bend = ((x2 - x1) / 2.0).abs().max(40.0);
    let _ = write!(
        d,
        "C{} {} {} {} {} {}",
        num(x1 + bend),
        num(y1),
        num(x2 - bend),
        num(y2),
        num(x2),
        num(y2)
    );
}

fn write_node(out: &mut String, graph: &Graph, layout: &Layout, index: usize) {
    let node = &graph.nodes[index];
    let (x, y, w) = (layout.x(index), layout.y[index], layout.w(index));
    let text_x = text_x(node.kind);
    let off = if node.feeds_exposure {
        ""
    } else {
        " off-lineage"
    };
    let _ = write!(
        out,
        "<g class=\"node k-{kind}{off}\" data-id=\"{id}\" data-kind=\"{kind}\" data-title=\"{title}\" \
         data-search=\"{search}\"",
        kind = node.kind.slug(),
        id = escape_attr(&node.id),
        title = escape_attr(&node.title),
        search = escape_attr(&node.search),
    );
    for (key, value) in &node.details {
        let _ = write!(out, " data-{key}=\"{}\"", escape_attr(value));
    }
    if !node.extra.is_empty() {
        let pairs = serde_json::to_string(&node.extra).unwrap_or_default();
        let _ = write!(out, " data-extra=\"{}\"", escape_attr(&pairs));
    }
    let _ = writeln!(
        out,
        " tabindex=\"0\" transform=\"translate({},{})\">",
        num(x),
        num(y)
    );
    let _ = writeln!(out, "<title>{}</title>", escape_text(&tooltip(node)));
    let _ = write!(
        out,
        "<rect class=\"box\" width=\"{}\" height=\"{}\" rx=\"7\"/><rect class=\"bar\" width=\"6\" height=\"{}\" rx=\"3\"/>",
        num(w),
        num(NODE_H),
        num(NODE_H)
    );
    match node.kind {
        NodeKind::Exposure => out
            .push_str("<use href=\"#tableau-mark\" x=\"12\" y=\"13\" width=\"20\" height=\"20\"/>"),
        NodeKind::ManualExposure => out.push_str(
            "<use href=\"#dashboard-mark\" x=\"13\" y=\"14\" width=\"18\" height=\"18\"/>",
        ),
        _ => {}
    }
    // A first cut by average glyph width; the script trims what the font still overflows.
    let title_chars = ((w - text_x - 12.0) / TITLE_CHAR).floor() as usize;
    let sub_chars = ((w - text_x - 12.0) / SUB_CHAR).floor() as usize;
    let _ = writeln!(
        out,
        "<text class=\"name\" x=\"{tx}\" y=\"20\">{}</text><text class=\"sub\" x=\"{tx}\" y=\"36\">{}</text>\n</g>",
        escape_text(&truncate(&node.title, title_chars)),
        escape_text(&truncate(&node.subtitle, sub_chars)),
        tx = num(text_x),
    );
}

fn tooltip(node: &Node) -> String {
    let mut lines = vec![node.title.clone(), node.id.clone()];
    for (key, value) in &node.details {
        if matches!(*key, "owner" | "email" | "url" | "relation" | "project") {
            lines.push(format!("{key}: {value}"));
        }
    }
    lines.join("\n")
}

fn write_panel(out: &mut String, graph: &Graph, layout: &Layout) {
    out.push_str("<aside id=\"details\">\n<div id=\"details-empty\">\n<h2>Lineage</h2>\n");
    let _ = writeln!(
        out,
        "<p>{} exposures read from {} dbt nodes through {} edges.</p>",
        graph.exposure_count,
        graph.nodes.len() - graph.exposure_count,
        graph.edge_count()
    );
    out.push_str(
        "<p>Click an exposure to highlight the sources and models it reads from; click the \
         background to clear. Pick one below to zoom to its lineage. Type in the search box \
         to find a node by name.</p>\n",
    );
    write_exposure_list(out, graph, layout);
    out.push_str(
        "<p class=\"hint\">Links: <code>#q=orders</code> searches, <code>#select=name</code> \
         selects an exposure, <code>#zoom=fit</code> shows the whole graph, \
         <code>#scope=all</code> draws the whole project.</p>\n</div>\n\
         <div id=\"details-node\" hidden><p class=\"kind\" id=\"d-kind\"></p><h2 id=\"d-title\"></h2>\
         <p class=\"id\" id=\"d-id\"></p><dl id=\"d-fields\"></dl></div>\n</aside>\n",
    );
}

/// Every exposure by name, in the order of the exposure column, under its group: a list
/// to pick from however large the graph.
fn write_exposure_list(out: &mut String, graph: &Graph, layout: &Layout) {
    if graph.exposure_count == 0 {
        return;
    }
    let mut exposures: Vec<usize> = (0..graph.exposure_count).collect();
    exposures.sort_by(|&a, &b| layout.y[a].total_cmp(&layout.y[b]));
    out.push_str("<nav class=\"exposure-list\" aria-label=\"Exposures\">\n");
    let mut group: Option<&str> = None;
    for index in exposures {
        let node = &graph.nodes[index];
        if group != Some(node.group.as_str()) {
            if group.is_some() {
                out.push_str("</ul>\n");
            }
            let _ = writeln!(out, "<h3>{}</h3>\n<ul>", escape_text(&node.group));
            group = Some(node.group.as_str());
        }
        let _ = writeln!(
            out,
            "<li><button type=\"button\" class=\"pick k-{}\" data-pick=\"{}\">{}</button></li>",
            node.kind.slug(),
            escape_attr(&node.id),
            escape_text(&node.title)
        );
    }
    out.push_str("</ul>\n</nav>\n");
}

/// Shortens `text` to at most `max` characters, ending with an ellipsis when cut.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut short: String = text.chars().take(max.saturating_sub(1)).collect();
    short.push('…');
    short
}

/// A coordinate as SVG wants it: rounded to a tenth, no trailing `.0`.
fn num(value: f64) -> String {
    let tenths = (value * 10.0).round() as i64;
    if tenths % 10 == 0 {
        (tenths / 10).to_string()
    } else {
        format!("{:.1}", tenths as f64 / 10.0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::graph::{Graph, Node, NodeKind};
    use super::super::layout::Layout;
    use super::write_node;

    fn node(id: &str, kind: NodeKind, extra: Vec<(String, String)>) -> Node {
        Node {
            id: id.into(),
            kind,
            title: id.into(),
            subtitle: String::new(),
            group: "imported_from_tableau".into(),
            details: Vec::new(),
            search: id.into(),
            extra,
            feeds_exposure: true,
        }
    }

    #[test]
    fn extra_facts_reach_the_panel_escaped() {
        let extra = vec![("Views, last month".to_string(), "12 <b>".to_string())];
        let graph = Graph {
            nodes: vec![
                node("exposure.shop.kpis", NodeKind::Exposure, extra),
                node("model.shop.orders", NodeKind::Model, Vec::new()),
            ],
            parents: vec![vec![1], vec![]],
            exposure_count: 1,
        };
        let layout = Layout::compute(&graph);
        let mut out = String::new();
        write_node(&mut out, &graph, &layout, 0);
        assert!(
            out.contains(
                " data-extra=\"[[&quot;Views, last month&quot;,&quot;12 &lt;b&gt;&quot;]]\""
            ),
            "{out}"
        );
        out.clear();
        write_node(&mut out, &graph, &layout, 1);
        assert!(!out.contains("data-extra"), "{out}");
    }
}
