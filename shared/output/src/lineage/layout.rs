//! Where each node goes, as in a Sugiyama layout: columns by longest-path depth (sources
//! first, exposures last); an edge that skips columns gets a lane in each column it
//! crosses (a "dummy node" with no box), so it runs between the nodes there, never behind
//! them; rows are ordered to keep edges short and uncrossed, then placed as close to their
//! neighbours as the order allows.
//!
//! The lanes of one parent are shared by all its long edges: its edges to the far columns
//! run together and branch off where they end, like a bundle, instead of as parallel lines.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::graph::{Graph, NodeKind};

/// Deeper chains share the last model column, so a pathological DAG stays on the page.
const MAX_LEVEL: usize = 24;
pub(super) const PAD: f64 = 24.0;
pub(super) const TOP: f64 = 56.0;
pub(super) const NODE_H: f64 = 46.0;
/// Space between two boxes in a column; between a box and a lane; between two lanes.
const NODE_GAP: f64 = 12.0;
const LANE_MARGIN: f64 = 9.0;
const LANE_GAP: f64 = 6.0;
/// Rows of the exposure column, which is stacked, not aligned.
const EXPOSURE_ROW: f64 = NODE_H + 10.0;
const GAP_X: f64 = 64.0;
const GROUP_HEAD: f64 = 30.0;
const GROUP_GAP: f64 = 18.0;
const MIN_W: f64 = 150.0;
const MAX_W: f64 = 270.0;
/// Average glyph widths of the 13px title and 11px subtitle (system sans-serif).
pub(super) const TITLE_CHAR: f64 = 8.2;
pub(super) const SUB_CHAR: f64 = 6.2;
/// The subtitle (a relation name) is cut rather than widen a column beyond this.
const SUB_MAX_W: f64 = 190.0;
/// Average glyph width of an exposure group heading (12px, semi-bold) and of a column
/// heading (11px bold capitals, spaced).
const GROUP_CHAR: f64 = 7.0;
const HEAD_CHAR: f64 = 8.0;
/// Left edge of a node's text: after the kind bar, or after the Tableau mark.
const TEXT_X: f64 = 16.0;
const TEXT_X_EXPOSURE: f64 = 38.0;
/// Rounds of ordering sweeps (down and up) and of placement passes.
const ORDER_SWEEPS: usize = 4;
const PLACE_PASSES: usize = 3;

pub(super) struct Layout {
    pub(super) column: Vec<usize>,
    /// Top of each node's box.
    pub(super) y: Vec<f64>,
    pub(super) col_x: Vec<f64>,
    pub(super) col_w: Vec<f64>,
    pub(super) col_titles: Vec<String>,
    /// `(y, text)` of each exposure group heading, in the last column.
    pub(super) group_heads: Vec<(f64, String)>,
    /// Every edge, with the lanes it runs through.
    pub(super) routes: Vec<Route>,
    /// `(x, y, width, height)` of the exposure column, which the page opens on.
    pub(super) exposure_box: (f64, f64, f64, f64),
    pub(super) width: f64,
    pub(super) height: f64,
}

/// One edge, parent → child, and the centre line of its lane in each column between them
/// (left to right; empty when the two are in neighbouring columns).
pub(super) struct Route {
    pub(super) parent: usize,
    pub(super) child: usize,
    pub(super) lanes: Vec<f64>,
}

impl Layout {
    pub(super) fn compute(graph: &Graph) -> Layout {
        let (column, columns) = assign_columns(graph);
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); columns];
        for (index, &c) in column.iter().enumerate() {
            members[c].push(index);
        }
        let col_titles = column_titles(graph, &members);
        let col_w: Vec<f64> = members
            .iter()
            .zip(&col_titles)
            .map(|(m, title)| column_width(graph, m, title))
            .collect();
        let mut col_x = Vec::with_capacity(columns);
        let mut x = PAD;
        for w in &col_w {
            col_x.push(x);
            x += w + GAP_X;
        }
        let width = x - GAP_X + PAD;

        let mut layered = Layered::build(graph, &column, columns);
        let exposure_column = columns - 1;
        let (group_heads, exposure_bottom) =
            place_exposures(graph, &mut layered, &members[exposure_column]);
        layered.order_rows(graph, exposure_column);
        layered.place_rows(exposure_column);

        let y: Vec<f64> = (0..graph.nodes.len())
            .map(|i| (layered.centre[i] - NODE_H / 2.0).round())
            .collect();
        let routes = layered.routes(graph, &column);
        let bottom = layered
            .centre
            .iter()
            .fold(exposure_bottom, |m, &c| m.max(c + NODE_H / 2.0));
        let last = col_x.len() - 1;
        let exposure_box = (
            col_x[last],
            TOP - 8.0,
            col_w[last],
            exposure_bottom - TOP + 16.0,
        );
        Layout {
            column,
            y,
            col_x,
            col_w,
            col_titles,
            group_heads,
            routes,
            exposure_box,
            width: width.max(480.0),
            height: (bottom + PAD).round(),
        }
    }

    pub(super) fn x(&self, node: usize) -> f64 {
        self.col_x[self.column[node]]
    }

    pub(super) fn w(&self, node: usize) -> f64 {
        self.col_w[self.column[node]]
    }
}

/// Columns of the dbt nodes by level (only the levels in use), exposures in the last
/// (which is there even when empty); and how many columns there are.
fn assign_columns(graph: &Graph) -> (Vec<usize>, usize) {
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
    let column = graph
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
    (column, dbt_columns + 1)
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

fn children_of(graph: &Graph) -> Vec<Vec<usize>> {
    let mut children = vec![Vec::new(); graph.nodes.len()];
    for (child, parents) in graph.parents.iter().enumerate() {
        for &parent in parents {
            children[parent].push(child);
        }
    }
    children
}

fn column_width(graph: &Graph, members: &[usize], title: &str) -> f64 {
    let mut widest: f64 = MIN_W.max(title.chars().count() as f64 * HEAD_CHAR);
    for &i in members {
        let node = &graph.nodes[i];
        let text_x = text_x(node.kind);
        let title = node.title.chars().count() as f64 * TITLE_CHAR;
        let subtitle = (node.subtitle.chars().count() as f64 * SUB_CHAR).min(SUB_MAX_W);
        widest = widest.max(text_x + title.max(subtitle) + 14.0);
        if node.kind.is_exposure() {
            widest = widest.max(20.0 + node.group.chars().count() as f64 * GROUP_CHAR);
        }
    }
    widest.min(MAX_W).round()
}

pub(super) fn text_x(kind: NodeKind) -> f64 {
    if kind.is_exposure() {
        TEXT_X_EXPOSURE
    } else {
        TEXT_X
    }
}

/// The layered graph: the nodes plus one lane per (parent, column crossed), with links
/// only between neighbouring columns, and each column's rows in order.
struct Layered {
    /// The column of each item; items `0..nodes` are the graph's nodes, the rest lanes.
    column: Vec<usize>,
    /// Links to the previous column and to the next one.
    up: Vec<Vec<usize>>,
    down: Vec<Vec<usize>>,
    /// The lane of a parent in a column.
    lane_of: HashMap<(usize, usize), usize>,
    /// Each column's items, top to bottom.
    rows: Vec<Vec<usize>>,
    /// The centre line of each item.
    centre: Vec<f64>,
    nodes: usize,
}

impl Layered {
    fn build(graph: &Graph, column: &[usize], columns: usize) -> Layered {
        let nodes = graph.nodes.len();
        let mut layered = Layered {
            column: column.to_vec(),
            up: vec![Vec::new(); nodes],
            down: vec![Vec::new(); nodes],
            lane_of: HashMap::new(),
            rows: vec![Vec::new(); columns],
            centre: vec![0.0; nodes],
            nodes,
        };
        let mut linked = HashSet::new();
        for (child, parents) in graph.parents.iter().enumerate() {
            for &parent in parents {
                let (from, to) = (column[parent], column[child]);
                if to <= from {
                    continue; // a clamped chain or a cycle: drawn directly, without lanes
                }
                let mut previous = parent;
                for c in from + 1..to {
                    let lane = layered.lane(parent, c);
                    layered.link(&mut linked, previous, lane);
                    previous = lane;
                }
                layered.link(&mut linked, previous, child);
            }
        }
        layered
    }

    fn lane(&mut self, parent: usize, column: usize) -> usize {
        if let Some(&lane) = self.lane_of.get(&(parent, column)) {
            return lane;
        }
        let lane = self.column.len();
        self.column.push(column);
        self.up.push(Vec::new());
        self.down.push(Vec::new());
        self.centre.push(0.0);
        self.lane_of.insert((parent, column), lane);
        lane
    }

    fn link(&mut self, linked: &mut HashSet<(usize, usize)>, from: usize, to: usize) {
        if linked.insert((from, to)) {
            self.down[from].push(to);
            self.up[to].push(from);
        }
    }

    fn is_lane(&self, item: usize) -> bool {
        item >= self.nodes
    }

    /// Orders the rows of every column but the exposures' (already in place) by the
    /// barycentre of their neighbours, sweeping right to left and back.
    fn order_rows(&mut self, graph: &Graph, exposure_column: usize) {
        let mut unplaced: Vec<Vec<usize>> = vec![Vec::new(); self.rows.len()];
        for item in 0..self.column.len() {
            if self.column[item] != exposure_column {
                unplaced[self.column[item]].push(item);
            }
        }
        // First order: by the children's rows, from the exposures leftwards; items whose
        // children are not placed (leaves of the whole project) go last, by id.
        let mut position = vec![f64::NAN; self.column.len()];
        self.number(exposure_column, &mut position);
        for c in (0..exposure_column).rev() {
            let mut keyed: Vec<(f64, usize)> = unplaced[c]
                .iter()
                .map(|&i| (mean_of(&self.down[i], &position), i))
                .collect();
            keyed.sort_by(|a, b| {
                let (ka, kb) = (a.0, b.0);
                match (ka.is_nan(), kb.is_nan()) {
                    (false, false) => ka.total_cmp(&kb),
                    (nan_a, nan_b) => nan_a.cmp(&nan_b),
                }
                .then_with(|| self.item_key(graph, a.1).cmp(&self.item_key(graph, b.1)))
            });
            self.rows[c] = keyed.into_iter().map(|(_, i)| i).collect();
            self.number(c, &mut position);
        }
        for _ in 0..ORDER_SWEEPS {
            for c in 1..exposure_column {
                self.reorder(c, true, &mut position);
            }
            for c in (0..exposure_column).rev() {
                self.reorder(c, false, &mut position);
            }
        }
    }

    /// A stable tie-break: a node's id, a lane's parent id then column.
    fn item_key<'g>(&self, graph: &'g Graph, item: usize) -> (&'g str, usize) {
        if self.is_lane(item) {
            let parent = self.up_chain_root(item);
            (graph.nodes[parent].id.as_str(), self.column[item])
        } else {
            (graph.nodes[item].id.as_str(), 0)
        }
    }

    fn up_chain_root(&self, mut item: usize) -> usize {
        while self.is_lane(item) {
            item = self.up[item][0];
        }
        item
    }

    /// Positions in a column as fractions of its height, so columns of different sizes
    /// pull on each other evenly.
    fn number(&self, column: usize, position: &mut [f64]) {
        let len = self.rows[column].len() as f64;
        for (index, &item) in self.rows[column].iter().enumerate() {
            position[item] = (index as f64 + 0.5) / len;
        }
    }

    fn reorder(&mut self, column: usize, by_parents: bool, position: &mut [f64]) {
        let mut keyed: Vec<(f64, usize)> = self.rows[column]
            .iter()
            .map(|&i| {
                let neighbours = if by_parents {
                    &self.up[i]
                } else {
                    &self.down[i]
                };
                let key = mean_of(neighbours, position);
                (if key.is_nan() { position[i] } else { key }, i)
            })
            .collect();
        // Stable: ties keep their current order.
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
        self.rows[column] = keyed.into_iter().map(|(_, i)| i).collect();
        self.number(column, position);
    }

    /// Places every column's rows, in order, as near the mean of their neighbours as the
    /// spacing allows; the exposure column stays where it is.
    fn place_rows(&mut self, exposure_column: usize) {
        for c in 0..exposure_column {
            let mut at = TOP;
            let rows = self.rows[c].clone();
            for (index, &item) in rows.iter().enumerate() {
                if index > 0 {
                    at += self.spacing(rows[index - 1], item);
                } else {
                    at += self.half(item);
                }
                self.centre[item] = at;
            }
        }
        for c in (0..exposure_column).rev() {
            self.place_column(c, false, true);
        }
        for _ in 0..PLACE_PASSES {
            for c in 0..exposure_column {
                self.place_column(c, true, true);
            }
            for c in (0..exposure_column).rev() {
                self.place_column(c, true, true);
            }
        }
    }

    fn half(&self, item: usize) -> f64 {
        if self.is_lane(item) {
            0.0
        } else {
            NODE_H / 2.0
        }
    }

    /// Least distance between the centres of two neighbouring rows.
    fn spacing(&self, above: usize, below: usize) -> f64 {
        match (self.is_lane(above), self.is_lane(below)) {
            (false, false) => NODE_H + NODE_GAP,
            (true, true) => LANE_GAP,
            _ => NODE_H / 2.0 + LANE_MARGIN,
        }
    }

    /// One column: targets from its neighbours, then the closest ordered placement
    /// (isotonic regression by pooling adjacent violators, on targets shifted by the
    /// cumulative spacing), kept below the top.
    fn place_column(&mut self, column: usize, use_up: bool, use_down: bool) {
        let rows = self.rows[column].clone();
        if rows.is_empty() {
            return;
        }
        let mut offset = Vec::with_capacity(rows.len());
        let mut total = 0.0;
        for (index, &item) in rows.iter().enumerate() {
            if index > 0 {
                total += self.spacing(rows[index - 1], item);
            }
            offset.push(total);
        }
        let mut targets = Vec::with_capacity(rows.len());
        for (index, &item) in rows.iter().enumerate() {
            let mut sum = 0.0;
            let mut count = 0.0;
            let lists = [(use_up, &self.up[item]), (use_down, &self.down[item])];
            for (wanted, list) in lists {
                if wanted {
                    for &n in list {
                        sum += self.centre[n];
                        count += 1.0;
                    }
                }
            }
            let (target, weight) = if count > 0.0 {
                (sum / count, count)
            } else {
                (self.centre[item], 0.01)
            };
            targets.push((target - offset[index], weight));
        }
        let floor = TOP + self.half(rows[0]);
        let placed = pool_adjacent_violators(&targets);
        for (index, &item) in rows.iter().enumerate() {
            self.centre[item] = placed[index].max(floor) + offset[index];
        }
    }

    /// Every edge of the graph with the centres of the lanes it runs through.
    fn routes(&self, graph: &Graph, column: &[usize]) -> Vec<Route> {
        let mut routes = Vec::with_capacity(graph.edge_count());
        for (child, parents) in graph.parents.iter().enumerate() {
            for &parent in parents {
                let mut lanes = Vec::new();
                for c in column[parent] + 1..column[child].max(column[parent] + 1) {
                    if let Some(&lane) = self.lane_of.get(&(parent, c)) {
                        lanes.push(self.centre[lane]);
                    }
                }
                routes.push(Route {
                    parent,
                    child,
                    lanes,
                });
            }
        }
        routes
    }
}

/// The mean of the positions of `items` (NaN when there are none).
fn mean_of(items: &[usize], position: &[f64]) -> f64 {
    let mut sum = 0.0;
    let mut count = 0usize;
    for &i in items {
        if !position[i].is_nan() {
            sum += position[i];
            count += 1;
        }
    }
    if count == 0 {
        f64::NAN
    } else {
        sum / count as f64
    }
}

/// The non-decreasing sequence closest to `targets` (value, weight) in weighted least
/// squares.
fn pool_adjacent_violators(targets: &[(f64, f64)]) -> Vec<f64> {
    // Blocks of pooled rows: (mean, total weight, rows).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(targets.len());
    for &(value, weight) in targets {
        blocks.push((value, weight, 1));
        while blocks.len() > 1 {
            let (mean, weight, rows) = blocks[blocks.len() - 1];
            let (prev_mean, prev_weight, prev_rows) = blocks[blocks.len() - 2];
            if prev_mean <= mean {
                break;
            }
            blocks.pop();
            let total = prev_weight + weight;
            let last = blocks.len() - 1;
            blocks[last] = (
                (prev_mean * prev_weight + mean * weight) / total,
                total,
                prev_rows + rows,
            );
        }
    }
    let mut values = Vec::with_capacity(targets.len());
    for (mean, _, rows) in blocks {
        values.extend(std::iter::repeat_n(mean, rows));
    }
    values
}

/// Exposures in their groups (Tableau projects by name, manual ones last), by label,
/// stacked from the top. Returns the group headings and the bottom of the last box.
fn place_exposures(
    graph: &Graph,
    layered: &mut Layered,
    members: &[usize],
) -> (Vec<(f64, String)>, f64) {
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
    let mut bottom = TOP;
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
        layered.centre[i] = cursor + NODE_H / 2.0;
        bottom = cursor + NODE_H;
        cursor += EXPOSURE_ROW;
    }
    if let Some(exposure_column) = layered.rows.len().checked_sub(1) {
        layered.rows[exposure_column] = sorted;
    }
    (heads, bottom)
}

/// A heading per column naming the kinds of node in it: `SOURCES`, `MODELS · 2`,
/// `SEEDS & MODELS · 1`, ... and `EXPOSURES` last.
fn column_titles(graph: &Graph, members: &[Vec<usize>]) -> Vec<String> {
    let last = members.len() - 1;
    let numbered = members[..last]
        .iter()
        .filter(|m| m.iter().any(|&i| graph.nodes[i].kind != NodeKind::Source))
        .count()
        > 1;
    let mut level = 0;
    let mut titles = Vec::with_capacity(members.len());
    for (c, m) in members.iter().enumerate() {
        if c == last {
            titles.push("EXPOSURES".to_string());
            continue;
        }
        let kinds: BTreeSet<NodeKind> = m.iter().map(|&i| graph.nodes[i].kind).collect();
        let names: Vec<&str> = kinds.iter().map(|&k| plural_heading(k)).collect();
        let mut title = match names.split_last() {
            Some((only, [])) => only.to_string(),
            Some((last_name, rest)) => format!("{} & {last_name}", rest.join(", ")),
            None => String::new(),
        };
        if kinds.iter().any(|&k| k != NodeKind::Source) {
            level += 1;
            if numbered {
                title.push_str(&format!(" · {level}"));
            }
        }
        titles.push(title);
    }
    titles
}

fn plural_heading(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Source => "SOURCES",
        NodeKind::Seed => "SEEDS",
        NodeKind::Snapshot => "SNAPSHOTS",
        NodeKind::Model => "MODELS",
        NodeKind::Exposure | NodeKind::ManualExposure => "EXPOSURES",
    }
}

#[cfg(test)]
mod tests {
    use super::pool_adjacent_violators;

    #[test]
    fn pooling_keeps_order_and_meets_targets_where_it_can() {
        let placed = pool_adjacent_violators(&[(0.0, 1.0), (5.0, 1.0), (3.0, 1.0), (9.0, 1.0)]);
        assert_eq!(placed, vec![0.0, 4.0, 4.0, 9.0]);
    }
}
