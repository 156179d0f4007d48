//! The lineage page: dbt sources → models → exposures, as one self-contained HTML file.
//!
//! [`lineage_html`] keeps only the nodes upstream of at least one exposure (following the
//! manifest's [`Dag`]), lays them out
//! in columns (sources, models by longest-path depth, exposures grouped under
//! `imported_from_tableau/<project>`) and draws them as inline SVG, with inline CSS and a
//! small script for search and path highlighting. The page fetches nothing: a strict
//! Content-Security-Policy forbids it.
//!
//! The script honours URL fragment parameters, so a link (or a headless browser) can open
//! the page already filtered or with an exposure selected: `lineage.html#q=orders` and
//! `lineage.html#select=executive_overview`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::{self, Write as _};

use autoexpose_domain::dag::Dag;
use autoexpose_domain::{Exposure, Manifest, ManualExposure, Relation, RelationKind};

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
    write_page(&mut page, manifest, &graph, &layout, options);
    page
}

// ---- the graph: nodes upstream of at least one exposure ----

/// Kinds of node on the page, in column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum NodeKind {
    Source,
    Seed,
    Snapshot,
    Model,
    Exposure,
    ManualExposure,
}

impl NodeKind {
    fn of_dbt_id(unique_id: &str) -> Option<NodeKind> {
        RelationKind::of_unique_id(unique_id).map(NodeKind::of_relation)
    }

    fn of_relation(kind: RelationKind) -> NodeKind {
        match kind {
            RelationKind::Source => NodeKind::Source,
            RelationKind::Seed => NodeKind::Seed,
            RelationKind::Snapshot => NodeKind::Snapshot,
            RelationKind::Model => NodeKind::Model,
        }
    }

    /// The `data-kind` value and CSS class suffix.
    fn slug(self) -> &'static str {
        match self {
            NodeKind::Source => "source",
            NodeKind::Seed => "seed",
            NodeKind::Snapshot => "snapshot",
            NodeKind::Model => "model",
            NodeKind::Exposure => "exposure",
            NodeKind::ManualExposure => "manual-exposure",
        }
    }

    fn is_exposure(self) -> bool {
        matches!(self, NodeKind::Exposure | NodeKind::ManualExposure)
    }
}

/// Heading of the manual exposures' group.
const MANUAL_GROUP: &str = "manual exposures (dbt YAML)";

struct Node {
    id: String,
    kind: NodeKind,
    /// The big line: a node's name, an exposure's label.
    title: String,
    /// The small line under it.
    subtitle: String,
    /// Exposures only: the group heading, and the sort key inside the column.
    group: String,
    /// `data-*` attributes for the details panel, in output order.
    details: Vec<(&'static str, String)>,
    /// Lower-cased text the search box matches against.
    search: String,
}

struct Graph {
    nodes: Vec<Node>,
    /// For each node, its direct upstream nodes (indices), sorted, without duplicates.
    parents: Vec<Vec<usize>>,
    /// Exposures come first in `nodes`: this many of them.
    exposure_count: usize,
}

impl Graph {
    fn build(manifest: &Manifest, dag: &Dag, exposures: &[Exposure]) -> Graph {
        let relations: BTreeMap<&str, &Relation> = manifest
            .relations
            .iter()
            .map(|r| (r.unique_id.as_str(), r))
            .collect();
        let package = manifest.metadata.project_name.as_deref();
        let mut builder = GraphBuilder::default();
        let mut pending: Vec<(usize, &[String])> = Vec::new();
        for exposure in exposures {
            if let Some(index) = builder.add(auto_exposure_node(exposure, package)) {
                pending.push((index, &exposure.depends_on));
            }
        }
        for manual in &manifest.exposures {
            if let Some(index) = builder.add(manual_exposure_node(manual)) {
                pending.push((index, &manual.depends_on));
            }
        }
        let exposure_count = builder.nodes.len();
        let mut queue = VecDeque::new();
        for (child, depends_on) in pending {
            for id in depends_on {
                builder.link(child, id, &relations, &mut queue);
            }
        }
        while let Some(child) = queue.pop_front() {
            let id = builder.nodes[child].id.clone();
            for parent in dag.parents(&id) {
                builder.link(child, parent, &relations, &mut queue);
            }
        }
        for list in &mut builder.parents {
            list.sort_unstable();
            list.dedup();
        }
        Graph {
            nodes: builder.nodes,
            parents: builder.parents,
            exposure_count,
        }
    }

    fn edge_count(&self) -> usize {
        self.parents.iter().map(Vec::len).sum()
    }
}

#[derive(Default)]
struct GraphBuilder {
    nodes: Vec<Node>,
    parents: Vec<Vec<usize>>,
    index: BTreeMap<String, usize>,
}

impl GraphBuilder {
    /// Adds a node unless one with the same id is already there.
    fn add(&mut self, node: Node) -> Option<usize> {
        if self.index.contains_key(&node.id) {
            return None;
        }
        let index = self.nodes.len();
        self.index.insert(node.id.clone(), index);
        self.nodes.push(node);
        self.parents.push(Vec::new());
        Some(index)
    }

    /// Records `parent_id` as a parent of `child`, adding (and queueing) it when new.
    fn link(
        &mut self,
        child: usize,
        parent_id: &str,
        relations: &BTreeMap<&str, &Relation>,
        queue: &mut VecDeque<usize>,
    ) {
        let parent = match self.index.get(parent_id) {
            Some(&index) => index,
            None => {
                let Some(node) = dbt_node(parent_id, relations.get(parent_id).copied()) else {
                    return;
                };
                let Some(index) = self.add(node) else { return };
                queue.push_back(index);
                index
            }
        };
        if parent != child {
            self.parents[child].push(parent);
        }
    }
}

fn dbt_node(unique_id: &str, relation: Option<&Relation>) -> Option<Node> {
    let (kind, title, fqn, location, package) = match relation {
        Some(r) => (
            NodeKind::of_relation(r.kind),
            relation_title(r),
            r.display_fqn(),
            relation_location(r),
            r.package.clone(),
        ),
        None => (
            NodeKind::of_dbt_id(unique_id)?,
            name_from_id(unique_id),
            String::new(),
            "not in the warehouse".to_string(),
            package_from_id(unique_id),
        ),
    };
    let subtitle = format!("{} · {location}", kind.slug());
    let search = format!("{title} {unique_id} {fqn}").to_lowercase();
    let mut details = vec![("package", package)];
    if !fqn.is_empty() {
        details.push(("relation", fqn));
    } else if kind == NodeKind::Model {
        details.push(("relation", "none: ephemeral or not built".into()));
    }
    Some(Node {
        id: unique_id.to_string(),
        kind,
        title,
        subtitle,
        group: String::new(),
        details,
        search,
    })
}

/// Where a relation lives, short: `database.schema`, plus the table name when it differs
/// from the node name (an alias, a source identifier). The full name is in the tooltip.
fn relation_location(relation: &Relation) -> String {
    let mut location = match &relation.database {
        Some(db) => format!("{db}.{}", relation.schema),
        None => relation.schema.clone(),
    };
    if relation.identifier != relation.name {
        location.push('.');
        location.push_str(&relation.identifier);
    }
    location
}

fn relation_title(relation: &Relation) -> String {
    match (&relation.source_name, &relation.version) {
        (Some(source), _) => format!("{source}.{}", relation.name),
        (None, Some(version)) => format!("{} v{version}", relation.name),
        (None, None) => relation.name.clone(),
    }
}

/// `model.pkg.orders` → `orders`; `source.pkg.ecom.raw_orders` → `ecom.raw_orders`.
fn name_from_id(unique_id: &str) -> String {
    let mut parts = unique_id.splitn(3, '.');
    let _kind = parts.next();
    let _package = parts.next();
    parts.next().unwrap_or(unique_id).to_string()
}

fn package_from_id(unique_id: &str) -> String {
    unique_id.split('.').nth(1).unwrap_or_default().to_string()
}

fn auto_exposure_node(exposure: &Exposure, package: Option<&str>) -> Node {
    let id = match package {
        Some(p) if !p.is_empty() => format!("exposure.{p}.{}", exposure.name),
        _ => format!("exposure.{}", exposure.name),
    };
    let title = if exposure.label.trim().is_empty() {
        exposure.name.clone()
    } else {
        exposure.label.clone()
    };
    let group = if exposure.project.is_empty() {
        "imported_from_tableau".to_string()
    } else {
        format!("imported_from_tableau/{}", exposure.project)
    };
    let owner = exposure.owner.clone().unwrap_or_default();
    let mut details = vec![
        ("name", exposure.name.clone()),
        ("mode", "auto · tableau".to_string()),
        ("type", exposure.exposure_type.clone()),
        ("project", exposure.project.clone()),
        ("owner", owner.name.unwrap_or_default()),
        ("email", owner.email.unwrap_or_default()),
        ("url", safe_url(exposure.url.as_deref())),
        (
            "description",
            exposure.description.clone().unwrap_or_default(),
        ),
        ("workbook", exposure.workbook_luid.clone()),
        ("unmatched", exposure.unmatched_tables.join("\n")),
    ];
    details.retain(|(_, value)| !value.is_empty());
    let search = format!("{title} {} {}", exposure.name, exposure.project).to_lowercase();
    Node {
        id,
        kind: NodeKind::Exposure,
        subtitle: format!("tableau · {}", exposure.name),
        title,
        group,
        details,
        search,
    }
}

fn manual_exposure_node(exposure: &ManualExposure) -> Node {
    let mut details = vec![
        ("name", exposure.name.clone()),
        ("mode", "manual".to_string()),
        ("type", exposure.exposure_type.clone()),
        ("owner", exposure.owner_name.clone().unwrap_or_default()),
        ("email", exposure.owner_email.clone().unwrap_or_default()),
    ];
    details.retain(|(_, value)| !value.is_empty());
    Node {
        id: exposure.unique_id.clone(),
        kind: NodeKind::ManualExposure,
        title: exposure.name.clone(),
        subtitle: format!("{} · manual", exposure.exposure_type),
        group: MANUAL_GROUP.to_string(),
        details,
        search: format!("{} {}", exposure.name, exposure.unique_id).to_lowercase(),
    }
}

/// Only http(s) URLs become links: a `javascript:` URL in a workbook field must not.
fn safe_url(url: Option<&str>) -> String {
    match url.map(str::trim) {
        Some(u)
            if starts_with_ignore_case(u, "https://") || starts_with_ignore_case(u, "http://") =>
        {
            u.to_string()
        }
        _ => String::new(),
    }
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

// ---- layout: columns by depth, rows ordered by the children's positions ----

/// Deeper chains share the last model column, so a pathological DAG stays on the page.
const MAX_LEVEL: usize = 24;
const PAD: f64 = 24.0;
const TOP: f64 = 56.0;
const NODE_H: f64 = 42.0;
const ROW: f64 = 54.0;
const GAP_X: f64 = 56.0;
/// Most empty space kept above a node to line it up with its children, in rows.
const MAX_GAP_ROWS: f64 = 1.5;
const GROUP_HEAD: f64 = 30.0;
const GROUP_GAP: f64 = 18.0;
const MIN_W: f64 = 150.0;
const MAX_W: f64 = 270.0;
/// Average glyph widths of the 13px title and 11px subtitle (system sans-serif).
const TITLE_CHAR: f64 = 8.2;
const SUB_CHAR: f64 = 5.9;
/// The subtitle (a relation name) is cut rather than widen a column beyond this.
const SUB_MAX_W: f64 = 190.0;
/// Average glyph width of an exposure group heading (12px, semi-bold).
const GROUP_CHAR: f64 = 7.0;
/// Left edge of a node's text: after the kind bar, or after the Tableau mark.
const TEXT_X: f64 = 16.0;
const TEXT_X_EXPOSURE: f64 = 38.0;

struct Layout {
    column: Vec<usize>,
    y: Vec<f64>,
    col_x: Vec<f64>,
    col_w: Vec<f64>,
    col_titles: Vec<String>,
    /// `(y, text)` of each exposure group heading, in the last column.
    group_heads: Vec<(f64, String)>,
    width: f64,
    height: f64,
}

impl Layout {
    fn compute(graph: &Graph) -> Layout {
        let levels = longest_levels(graph);
        let used: BTreeSet<usize> = graph
            .nodes
            .iter()
            .zip(&levels)
            .filter(|(n, _)| !n.kind.is_exposure())
            .map(|(_, &level)| level)
            .collect();
        let dbt_columns = used.len();
        let column_of_level: BTreeMap<usize, usize> =
            used.iter().enumerate().map(|(c, &l)| (l, c)).collect();
        let column: Vec<usize> = graph
            .nodes
            .iter()
            .zip(&levels)
            .map(|(n, level)| {
                if n.kind.is_exposure() {
                    dbt_columns
                } else {
                    column_of_level.get(level).copied().unwrap_or(0)
                }
            })
            .collect();
        let columns = dbt_columns + 1;
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); columns];
        for (index, &c) in column.iter().enumerate() {
            members[c].push(index);
        }
        let col_w: Vec<f64> = members.iter().map(|m| column_width(graph, m)).collect();
        let mut col_x = Vec::with_capacity(columns);
        let mut x = PAD;
        for w in &col_w {
            col_x.push(x);
            x += w + GAP_X;
        }
        let width = x - GAP_X + PAD;

        let mut y = vec![0.0; graph.nodes.len()];
        let group_heads = place_exposures(graph, &members[dbt_columns], &mut y);
        let children = children_of(graph);
        for c in (0..dbt_columns).rev() {
            place_upstream(graph, &members[c], &children, &mut y);
        }
        let bottom = y.iter().fold(TOP, |m, &v| m.max(v + NODE_H));
        let col_titles = column_titles(graph, &members);
        Layout {
            column,
            y,
            col_x,
            col_w,
            col_titles,
            group_heads,
            width: width.max(480.0),
            height: bottom + PAD,
        }
    }

    fn x(&self, node: usize) -> f64 {
        self.col_x[self.column[node]]
    }

    fn w(&self, node: usize) -> f64 {
        self.col_w[self.column[node]]
    }
}

/// Sources at level 0; any other dbt node one past its deepest parent (at least 1).
fn longest_levels(graph: &Graph) -> Vec<usize> {
    const NEW: u8 = 0;
    const OPEN: u8 = 1;
    const DONE: u8 = 2;
    let n = graph.nodes.len();
    let mut state = vec![NEW; n];
    let mut level = vec![0usize; n];
    for start in 0..n {
        if state[start] != NEW {
            continue;
        }
        // Iterative depth-first search: (node, index of the next parent to visit).
        let mut stack = vec![(start, 0usize)];
        state[start] = OPEN;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&parent) = graph.parents[node].get(*next) {
                *next += 1;
                // An OPEN parent closes a cycle (bad input): that edge is ignored.
                if state[parent] == NEW {
                    state[parent] = OPEN;
                    stack.push((parent, 0));
                }
                continue;
            }
            stack.pop();
            state[node] = DONE;
            level[node] = if graph.nodes[node].kind == NodeKind::Source {
                0
            } else {
                let deepest = graph.parents[node]
                    .iter()
                    .filter(|&&p| state[p] == DONE)
                    .map(|&p| level[p] + 1)
                    .max()
                    .unwrap_or(1);
                deepest.clamp(1, MAX_LEVEL)
            };
        }
    }
    pull_roots_right(graph, &mut level);
    level
}

/// A node without parents (a seed, a model on a hard-coded table) moves next to its
/// earliest child, instead of drawing a long edge from the first model column.
fn pull_roots_right(graph: &Graph, level: &mut [usize]) {
    let children = children_of(graph);
    for node in 0..graph.nodes.len() {
        let kind = graph.nodes[node].kind;
        if kind == NodeKind::Source || kind.is_exposure() || !graph.parents[node].is_empty() {
            continue;
        }
        let earliest = children[node]
            .iter()
            .filter(|&&c| !graph.nodes[c].kind.is_exposure())
            .map(|&c| level[c])
            .min();
        if let Some(child_level) = earliest {
            level[node] = level[node].max(child_level.saturating_sub(1)).max(1);
        }
    }
}

fn column_width(graph: &Graph, members: &[usize]) -> f64 {
    let mut widest: f64 = MIN_W;
    for &i in members {
        let node = &graph.nodes[i];
        let text_x = text_x(node.kind);
        let title = node.title.chars().count() as f64 * TITLE_CHAR;
        let subtitle = (node.subtitle.chars().count() as f64 * SUB_CHAR).min(SUB_MAX_W);
        widest = widest.max(text_x + title.max(subtitle) + 12.0);
        if node.kind.is_exposure() {
            widest = widest.max(20.0 + node.group.chars().count() as f64 * GROUP_CHAR);
        }
    }
    widest.min(MAX_W).round()
}

fn text_x(kind: NodeKind) -> f64 {
    if kind.is_exposure() {
        TEXT_X_EXPOSURE
    } else {
        TEXT_X
    }
}

/// Exposures in their groups (Tableau projects by name, manual ones last), by label.
fn place_exposures(graph: &Graph, members: &[usize], y: &mut [f64]) -> Vec<(f64, String)> {
    let mut sorted = members.to_vec();
    sorted.sort_by(|&a, &b| {
        let (na, nb) = (&graph.nodes[a], &graph.nodes[b]);
        (na.kind, na.group.to_lowercase(), &na.group)
            .cmp(&(nb.kind, nb.group.to_lowercase(), &nb.group))
            .then_with(|| na.title.to_lowercase().cmp(&nb.title.to_lowercase()))
            .then_with(|| na.id.cmp(&nb.id))
    });
    let mut heads = Vec::new();
    let mut cursor = TOP;
    let mut current: Option<&str> = None;
    for &i in &sorted {
        let group = graph.nodes[i].group.as_str();
        if current != Some(group) {
            if current.is_some() {
                cursor += GROUP_GAP;
            }
            heads.push((cursor, group.to_string()));
            cursor += GROUP_HEAD;
            current = Some(group);
        }
        y[i] = cursor;
        cursor += ROW;
    }
    heads
}

fn children_of(graph: &Graph) -> Vec<Vec<usize>> {
    let mut children = vec![Vec::new(); graph.nodes.len()];
    for (child, parents) in graph.parents.iter().enumerate() {
        for &parent in parents {
            children[parent].push(child);
        }
    }
    children
}

/// Puts each node of a column level with the middle of its (already placed) children,
/// then pushes overlapping nodes down and lifts the column back towards its target.
fn place_upstream(graph: &Graph, members: &[usize], children: &[Vec<usize>], y: &mut [f64]) {
    let mut wanted: Vec<(f64, usize)> = Vec::with_capacity(members.len());
    for &i in members {
        // Placed nodes sit at TOP or below; 0 means "not placed yet" (a clamped level).
        let placed: Vec<f64> = children[i]
            .iter()
            .filter(|&&c| y[c] > 0.0)
            .map(|&c| y[c])
            .collect();
        let target = if placed.is_empty() {
            TOP
        } else {
            placed.iter().sum::<f64>() / placed.len() as f64
        };
        wanted.push((target, i));
    }
    wanted.sort_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then_with(|| graph.nodes[a.1].id.cmp(&graph.nodes[b.1].id))
    });
    // Keep the order, but never leave more than MAX_GAP_ROWS of empty space above a
    // node: in a tall project, upstream columns stay near the top instead of floating
    // in the middle of thousands of pixels.
    let mut previous = TOP - ROW;
    let mut placed = Vec::with_capacity(wanted.len());
    for &(target, _) in &wanted {
        let at = target
            .min(previous + ROW * (1.0 + MAX_GAP_ROWS))
            .max(previous + ROW);
        placed.push(at);
        previous = at;
    }
    // Packing only ever moves nodes down; move the column up by the average excess.
    let count = wanted.len().max(1) as f64;
    let excess: f64 = wanted
        .iter()
        .zip(&placed)
        .map(|((target, _), at)| at - target)
        .sum::<f64>()
        / count;
    let room = placed.first().map_or(0.0, |first| first - TOP);
    let lift = excess.min(room).max(0.0);
    for (&(_, i), at) in wanted.iter().zip(&placed) {
        y[i] = (at - lift).round();
    }
}

fn column_titles(graph: &Graph, members: &[Vec<usize>]) -> Vec<String> {
    let last = members.len() - 1;
    let model_columns = members[..last]
        .iter()
        .filter(|m| m.iter().any(|&i| graph.nodes[i].kind != NodeKind::Source))
        .count();
    let mut level = 0;
    let mut titles = Vec::with_capacity(members.len());
    for (c, m) in members.iter().enumerate() {
        let title = if c == last {
            "EXPOSURES".to_string()
        } else if m.iter().all(|&i| graph.nodes[i].kind == NodeKind::Source) {
            "SOURCES".to_string()
        } else {
            level += 1;
            if model_columns > 1 {
                format!("MODELS · {level}")
            } else {
                "MODELS".to_string()
            }
        };
        titles.push(title);
    }
    titles
}

// ---- the page ----

fn write_page(
    out: &mut String,
    manifest: &Manifest,
    graph: &Graph,
    layout: &Layout,
    options: &LineageOptions,
) {
    let title = if options.title.trim().is_empty() {
        "dbt lineage"
    } else {
        options.title.as_str()
    };
    let dbt_nodes = graph.nodes.len() - graph.exposure_count;
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n",
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<title>{}</title>", Esc(title));
    let _ = writeln!(out, "<style>{CSS}</style>\n</head>");
    let _ = writeln!(
        out,
        "<body data-ready=\"false\" data-exposures=\"{}\" data-nodes=\"{}\" data-edges=\"{}\">",
        graph.exposure_count,
        dbt_nodes,
        graph.edge_count()
    );
    write_header(out, manifest, graph, title, options);
    out.push_str("<main>\n<div id=\"canvas\">\n");
    write_svg(out, graph, layout);
    out.push_str("</div>\n");
    write_panel(out, graph);
    out.push_str("</main>\n");
    let _ = writeln!(out, "<script>{SCRIPT}</script>\n</body>\n</html>");
}

fn write_header(
    out: &mut String,
    manifest: &Manifest,
    graph: &Graph,
    title: &str,
    options: &LineageOptions,
) {
    out.push_str("<header>\n<div class=\"brand\">");
    out.push_str(TABLEAU_MARK_SMALL);
    let _ = write!(out, "<div><h1>{}</h1><p class=\"meta\">", Esc(title));
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
    let _ = writeln!(out, "{}</p></div></div>", Esc(&facts.join(" · ")));
    out.push_str(
        "<div class=\"search\"><input id=\"search\" type=\"search\" placeholder=\"Search nodes by name…\" \
         autocomplete=\"off\" aria-label=\"Search nodes by name\"><span id=\"count\" aria-live=\"polite\"></span></div>\n\
         <div class=\"zoom\"><button id=\"zoom-out\" type=\"button\" title=\"Zoom out\">−</button>\
         <button id=\"zoom-fit\" type=\"button\" title=\"Fit the whole graph\">Fit</button>\
         <button id=\"zoom-in\" type=\"button\" title=\"Zoom in\">+</button>\
         <span id=\"zoom-level\">100%</span></div>\n",
    );
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

fn write_svg(out: &mut String, graph: &Graph, layout: &Layout) {
    let (w, h) = (num(layout.width), num(layout.height));
    let _ = writeln!(
        out,
        "<svg id=\"graph\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"Lineage of {} exposures\">",
        graph.exposure_count
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
            Esc(text)
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
            Esc(text)
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
    let mut edges: Vec<(usize, usize)> = Vec::with_capacity(graph.edge_count());
    for (child, parents) in graph.parents.iter().enumerate() {
        edges.extend(parents.iter().map(|&parent| (parent, child)));
    }
    edges.sort_by(|a, b| {
        let key = |&(p, c): &(usize, usize)| (&graph.nodes[p].id, &graph.nodes[c].id);
        key(a).cmp(&key(b))
    });
    out.push_str("<g class=\"edges\">\n");
    for (parent, child) in edges {
        let x1 = layout.x(parent) + layout.w(parent);
        let y1 = layout.y[parent] + NODE_H / 2.0;
        let x2 = layout.x(child) - 3.0;
        let y2 = layout.y[child] + NODE_H / 2.0;
        let bend = ((x2 - x1) / 2.0).abs().max(40.0);
        let _ = writeln!(
            out,
            "<path class=\"edge\" data-from=\"{}\" data-to=\"{}\" d=\"M{} {} C{} {} {} {} {} {}\"/>",
            Esc(&graph.nodes[parent].id),
            Esc(&graph.nodes[child].id),
            num(x1),
            num(y1),
            num(x1 + bend),
            num(y1),
            num(x2 - bend),
            num(y2),
            num(x2),
            num(y2)
        );
    }
    out.push_str("</g>\n");
}

fn write_node(out: &mut String, graph: &Graph, layout: &Layout, index: usize) {
    let node = &graph.nodes[index];
    let (x, y, w) = (layout.x(index), layout.y[index], layout.w(index));
    let text_x = text_x(node.kind);
    let _ = write!(
        out,
        "<g class=\"node k-{kind}\" data-id=\"{id}\" data-kind=\"{kind}\" data-title=\"{title}\" \
         data-search=\"{search}\"",
        kind = node.kind.slug(),
        id = Esc(&node.id),
        title = Esc(&node.title),
        search = Esc(&node.search),
    );
    for (key, value) in &node.details {
        let _ = write!(out, " data-{key}=\"{}\"", Esc(value));
    }
    let _ = writeln!(
        out,
        " tabindex=\"0\" transform=\"translate({},{})\">",
        num(x),
        num(y)
    );
    let _ = writeln!(out, "<title>{}</title>", Esc(&tooltip(node)));
    let _ = write!(
        out,
        "<rect class=\"box\" width=\"{}\" height=\"{}\" rx=\"7\"/><rect class=\"bar\" width=\"6\" height=\"{}\" rx=\"3\"/>",
        num(w),
        num(NODE_H),
        num(NODE_H)
    );
    match node.kind {
        NodeKind::Exposure => out
            .push_str("<use href=\"#tableau-mark\" x=\"12\" y=\"11\" width=\"20\" height=\"20\"/>"),
        NodeKind::ManualExposure => out.push_str(
            "<use href=\"#dashboard-mark\" x=\"13\" y=\"12\" width=\"18\" height=\"18\"/>",
        ),
        _ => {}
    }
    let title_chars = ((w - text_x - 10.0) / TITLE_CHAR).floor() as usize;
    let sub_chars = ((w - text_x - 10.0) / SUB_CHAR).floor() as usize;
    let _ = writeln!(
        out,
        "<text class=\"name\" x=\"{tx}\" y=\"18\">{}</text><text class=\"sub\" x=\"{tx}\" y=\"33\">{}</text>\n</g>",
        Esc(&truncate(&node.title, title_chars)),
        Esc(&truncate(&node.subtitle, sub_chars)),
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

fn write_panel(out: &mut String, graph: &Graph) {
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
         background to clear. Type in the search box to find a node by name.</p>\n\
         <p class=\"hint\">Links: <code>#q=orders</code> searches, <code>#select=name</code> \
         selects an exposure, <code>#zoom=fit</code> shows the whole graph.</p>\n</div>\n\
         <div id=\"details-node\" hidden><p class=\"kind\" id=\"d-kind\"></p><h2 id=\"d-title\"></h2>\
         <p class=\"id\" id=\"d-id\"></p><dl id=\"d-fields\"></dl></div>\n</aside>\n",
    );
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

/// Text escaped for HTML and SVG, in element content and in quoted attribute values.
struct Esc<'a>(&'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '&' => f.write_str("&amp;")?,
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                '"' => f.write_str("&quot;")?,
                '\'' => f.write_str("&#39;")?,
                '\n' => f.write_str("&#10;")?,
                c if c.is_control() => f.write_char(' ')?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

// ---- fixed parts of the page ----

/// Tableau's logo, simplified: crosses of decreasing size in Tableau's colours.
const SVG_DEFS: &str = r##"<defs>
<symbol id="tableau-mark" viewBox="0 0 24 24">
<path fill="#e8762b" d="M11 5h2v5h5v2h-5v5h-2v-5H6v-2h5z" transform="translate(0 0.5)"/>
<path fill="#c72035" d="M11.25 0h1.5v2h2v1.5h-2v2h-1.5v-2h-2V2h2z"/>
<path fill="#5b879b" d="M11.25 18.5h1.5v2h2V22h-2v2h-1.5v-2h-2v-1.5h2z"/>
<path fill="#1f457e" d="M2 9.75h1.5v2h2v1.5h-2v2H2v-2H0v-1.5h2z"/>
<path fill="#eb912b" d="M20.5 9.75H22v2h2v1.5h-2v2h-1.5v-2h-2v-1.5h2z"/>
<path fill="#59879b" d="M4.5 3.5h1v1.5H7v1H5.5v1.5h-1V6H3V5h1.5zM18.5 3.5h1v1.5H21v1h-1.5v1.5h-1V6H17V5h1.5zM4.5 17h1v1.5H7v1H5.5V21h-1v-1.5H3v-1h1.5zM18.5 17h1v1.5H21v1h-1.5V21h-1v-1.5H17v-1h1.5z"/>
</symbol>
<symbol id="dashboard-mark" viewBox="0 0 24 24">
<rect x="2" y="2" width="9" height="9" rx="2" fill="#64748b"/><rect x="13" y="2" width="9" height="9" rx="2" fill="#94a3b8"/>
<rect x="2" y="13" width="9" height="9" rx="2" fill="#94a3b8"/><rect x="13" y="13" width="9" height="9" rx="2" fill="#64748b"/>
</symbol>
<marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerUnits="userSpaceOnUse" markerWidth="8" markerHeight="8" orient="auto"><path d="M0 0L8 4L0 8z" fill="#9aa5b1"/></marker>
<marker id="arrow-on" viewBox="0 0 8 8" refX="7" refY="4" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto"><path d="M0 0L8 4L0 8z" fill="#ff694b"/></marker>
</defs>
"##;

const TABLEAU_MARK_SMALL: &str = r##"<svg class="logo" width="30" height="30" viewBox="0 0 24 24" aria-hidden="true"><use href="#tableau-mark"/></svg>"##;

const CSS: &str = r#"
:root{--source:#16a34a;--seed:#b45309;--snapshot:#7c3aed;--model:#2563eb;--exposure:#e8762b;--manual-exposure:#64748b;--accent:#ff694b}
*{box-sizing:border-box}
html,body{height:100%}
body{margin:0;display:flex;flex-direction:column;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans","Helvetica Neue",Arial,sans-serif;color:#1f2937;background:#f5f6f8}
header{display:flex;flex-wrap:wrap;align-items:center;gap:10px 28px;padding:12px 20px;background:#fff;border-bottom:1px solid #e5e7eb}
.brand{display:flex;align-items:center;gap:10px}
h1{font-size:18px;margin:0;font-weight:650}
.meta{margin:0;color:#6b7280;font-size:12px}
.search{display:flex;align-items:center;gap:10px}
#search{width:280px;padding:7px 11px;border:1px solid #cbd2da;border-radius:7px;font:inherit;background:#fff}
#search:focus{outline:2px solid var(--accent);outline-offset:0;border-color:transparent}
#count{font-size:12px;color:#6b7280;white-space:nowrap;min-width:110px}
.zoom{display:flex;align-items:center;gap:4px}
.zoom button{font:inherit;font-size:13px;min-width:30px;height:30px;padding:0 8px;border:1px solid #cbd2da;border-radius:6px;background:#fff;color:#374151;cursor:pointer}
.zoom button:hover{border-color:var(--accent)}
#zoom-level{font-size:12px;color:#6b7280;width:40px;text-align:right}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;list-style:none;margin:0 0 0 auto;padding:0;font-size:12px;color:#374151}
.legend li{display:flex;align-items:center;gap:6px}
.swatch{width:12px;height:12px;border-radius:3px;display:inline-block;background:var(--k)}
main{flex:1;display:flex;min-height:0}
#canvas{flex:1;overflow:auto;background:#f5f6f8}
#graph{display:block}
#details{width:290px;flex:none;overflow:auto;padding:16px 18px;background:#fff;border-left:1px solid #e5e7eb;font-size:13px}
#details h2{font-size:16px;margin:4px 0 6px;word-break:break-word}
#details .kind{margin:0;font-size:11px;font-weight:700;letter-spacing:.06em;text-transform:uppercase;color:var(--k)}
#details .id{margin:0 0 12px;color:#6b7280;font:12px/1.4 ui-monospace,"DejaVu Sans Mono",monospace;word-break:break-all}
#details dl{margin:0;display:grid;grid-template-columns:92px 1fr;gap:6px 10px}
#details dt{color:#6b7280}
#details dd{margin:0;word-break:break-word;white-space:pre-line}
#details a{color:#1d4ed8}
#details .hint{color:#6b7280;font-size:12px}
code{font:12px ui-monospace,"DejaVu Sans Mono",monospace;background:#f3f4f6;padding:1px 4px;border-radius:4px}
.k-source{--k:var(--source)}.k-seed{--k:var(--seed)}.k-snapshot{--k:var(--snapshot)}.k-model{--k:var(--model)}.k-exposure{--k:var(--exposure)}.k-manual-exposure{--k:var(--manual-exposure)}
.bg{fill:transparent}
.col-head{font-size:11px;font-weight:700;letter-spacing:.08em;fill:#8a94a3}
.group-head text{font-size:12px;font-weight:650;fill:#9a3412}
.group-head .folder{fill:#fdba74}
.empty{font-size:14px;fill:#6b7280}
.edge{fill:none;stroke:#b3bcc7;stroke-width:1.3;marker-end:url(#arrow)}
.node{cursor:pointer}
.node .box{fill:#fff;stroke:#d5dbe2;stroke-width:1}
.node .bar{fill:var(--k)}
.node.k-exposure .box{fill:#fff8f2}
.node.k-manual-exposure .box{stroke-dasharray:4 3}
.node .name{font-size:13px;font-weight:600;fill:#111827}
.node .sub{font-size:11px;fill:#6b7280}
.node:hover .box,.node:focus .box{stroke:var(--k);stroke-width:1.6}
.node:focus{outline:none}
.dim{opacity:.2}
body.selecting .node:not(.on-path){opacity:.3}
body.selecting .edge:not(.on-path){opacity:.18}
.edge.on-path{stroke:var(--accent);stroke-width:2.4;marker-end:url(#arrow-on)}
.node.on-path .box{stroke:var(--k);stroke-width:2}
.node.selected .box{stroke:var(--accent);stroke-width:2.6}
"#;

const SCRIPT: &str = r#"
(function () {
  "use strict";
  var body = document.body;
  var svg = document.getElementById("graph");
  var nodes = Array.prototype.slice.call(svg.querySelectorAll("g.node"));
  var edges = Array.prototype.slice.call(svg.querySelectorAll("path.edge"));
  var search = document.getElementById("search");
  var count = document.getElementById("count");
  var canvas = document.getElementById("canvas");
  var fullWidth = Number(svg.getAttribute("width"));
  var fullHeight = Number(svg.getAttribute("height"));
  var zoom = 1;
  var byId = new Map();
  var parents = new Map();
  var edgesInto = new Map();
  nodes.forEach(function (n) { byId.set(n.getAttribute("data-id"), n); });
  edges.forEach(function (e) {
    var to = e.getAttribute("data-to");
    if (!parents.has(to)) { parents.set(to, []); edgesInto.set(to, []); }
    parents.get(to).push(e.getAttribute("data-from"));
    edgesInto.get(to).push(e);
  });

  function applySearch(text) {
    var q = (text || "").trim().toLowerCase();
    var visible = 0;
    nodes.forEach(function (n) {
      var hit = q === "" || n.getAttribute("data-search").indexOf(q) !== -1;
      n.classList.toggle("dim", !hit);
      if (hit) { visible += 1; }
    });
    edges.forEach(function (e) {
      var from = byId.get(e.getAttribute("data-from"));
      var to = byId.get(e.getAttribute("data-to"));
      e.classList.toggle("dim", q !== "" && (from.classList.contains("dim") || to.classList.contains("dim")));
    });
    body.setAttribute("data-query", q);
    body.setAttribute("data-visible-count", String(visible));
    count.textContent = q === "" ? nodes.length + " nodes" : visible + " of " + nodes.length + " nodes match";
  }

  function ancestors(id) {
    var seen = new Set([id]);
    var queue = [id];
    var path = [];
    while (queue.length > 0) {
      var current = queue.shift();
      (edgesInto.get(current) || []).forEach(function (e) { path.push(e); });
      (parents.get(current) || []).forEach(function (p) {
        if (!seen.has(p)) { seen.add(p); queue.push(p); }
      });
    }
    return { nodes: seen, edges: path };
  }

  function clearSelection() {
    body.classList.remove("selecting");
    body.removeAttribute("data-selected");
    body.removeAttribute("data-path-count");
    svg.querySelectorAll(".on-path, .selected").forEach(function (el) {
      el.classList.remove("on-path", "selected");
    });
    document.getElementById("details-node").hidden = true;
    document.getElementById("details-empty").hidden = false;
  }

  function select(node) {
    clearSelection();
    if (!node) { return; }
    var id = node.getAttribute("data-id");
    var path = ancestors(id);
    path.nodes.forEach(function (n) { byId.get(n).classList.add("on-path"); });
    path.edges.forEach(function (e) { e.classList.add("on-path"); });
    node.classList.add("selected");
    body.classList.add("selecting");
    body.setAttribute("data-selected", id);
    body.setAttribute("data-path-count", String(path.nodes.size - 1));
    showDetails(node, path.nodes.size - 1);
  }

  function field(list, label, value, href) {
    if (!value) { return; }
    var dt = document.createElement("dt");
    dt.textContent = label;
    var dd = document.createElement("dd");
    if (href && /^https?:\/\//i.test(href)) {
      var a = document.createElement("a");
      a.href = href;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      a.textContent = value;
      dd.appendChild(a);
    } else {
      dd.textContent = value;
    }
    list.appendChild(dt);
    list.appendChild(dd);
  }

  function showDetails(node, upstream) {
    var get = function (k) { return node.getAttribute("data-" + k) || ""; };
    var panel = document.getElementById("details-node");
    panel.setAttribute("class", "k-" + get("kind"));
    document.getElementById("d-kind").textContent = get("kind").replace("-", " ");
    document.getElementById("d-title").textContent = get("title");
    document.getElementById("d-id").textContent = get("id");
    var list = document.getElementById("d-fields");
    list.textContent = "";
    field(list, "Name", get("name"));
    field(list, "Mode", get("mode"));
    field(list, "Type", get("type"));
    field(list, "Project", get("project"));
    field(list, "Owner", get("owner"));
    field(list, "Email", get("email"));
    field(list, "URL", get("url"), get("url"));
    field(list, "Description", get("description"));
    field(list, "Relation", get("relation"));
    field(list, "Package", get("package"));
    field(list, "Workbook", get("workbook"));
    var direct = (parents.get(get("id")) || []).map(function (p) {
      return byId.get(p).getAttribute("data-title");
    });
    field(list, "Reads", direct.join("\n"));
    field(list, "Upstream", upstream + " node" + (upstream === 1 ? "" : "s"));
    field(list, "Unmatched", get("unmatched"));
    document.getElementById("details-empty").hidden = true;
    panel.hidden = false;
  }

  function setZoom(z) {
    zoom = Math.min(2, Math.max(0.2, z));
    svg.setAttribute("width", String(Math.round(fullWidth * zoom)));
    svg.setAttribute("height", String(Math.round(fullHeight * zoom)));
    document.getElementById("zoom-level").textContent = Math.round(zoom * 100) + "%";
    body.setAttribute("data-zoom", zoom.toFixed(2));
  }

  function fitZoom() {
    return Math.min(1, (canvas.clientWidth - 8) / fullWidth, (canvas.clientHeight - 8) / fullHeight);
  }

  // Small projects fit the window's width; large ones stay readable and scroll.
  function autoZoom() {
    return Math.min(1, Math.max(0.7, (canvas.clientWidth - 8) / fullWidth));
  }

  function reveal(node) {
    var box = node.getBoundingClientRect();
    var view = canvas.getBoundingClientRect();
    if (box.left < view.left || box.right > view.right || box.top < view.top || box.bottom > view.bottom) {
      node.scrollIntoView({ block: "center", inline: "nearest" });
    }
  }

  function findExposure(key) {
    if (byId.has(key)) { return byId.get(key); }
    for (var i = 0; i < nodes.length; i += 1) {
      if (nodes[i].getAttribute("data-name") === key) { return nodes[i]; }
    }
    return null;
  }

  function applyHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    var q = params.get("q") || "";
    search.value = q;
    applySearch(q);
    var z = params.get("zoom");
    setZoom(z === "fit" ? fitZoom() : (z && Number(z) > 0 ? Number(z) : autoZoom()));
    var wanted = params.get("select");
    var node = wanted ? findExposure(wanted) : null;
    select(node);
    if (node) { reveal(node); }
  }

  search.addEventListener("input", function () { applySearch(search.value); });
  svg.addEventListener("click", function (event) {
    var node = event.target.closest ? event.target.closest("g.node") : null;
    select(node);
  });
  svg.addEventListener("keydown", function (event) {
    var node = event.target.closest ? event.target.closest("g.node") : null;
    if (node && (event.key === "Enter" || event.key === " ")) { event.preventDefault(); select(node); }
    if (event.key === "Escape") { select(null); }
  });
  document.getElementById("zoom-in").addEventListener("click", function () { setZoom(zoom * 1.25); });
  document.getElementById("zoom-out").addEventListener("click", function () { setZoom(zoom / 1.25); });
  document.getElementById("zoom-fit").addEventListener("click", function () { setZoom(fitZoom()); });
  window.addEventListener("hashchange", applyHash);
  applyHash();
  body.setAttribute("data-drawn-nodes", String(nodes.length));
  body.setAttribute("data-drawn-edges", String(edges.length));
  body.setAttribute("data-ready", "true");
})();
"#;
