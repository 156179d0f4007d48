//! Where each node goes: columns by longest-path depth (sources first, exposures last),
//! rows ordered by the positions of each node's children.

use std::collections::{BTreeMap, BTreeSet};

use super::graph::{Graph, NodeKind};

/// Deeper chains share the last model column, so a pathological DAG stays on the page.
const MAX_LEVEL: usize = 24;
pub(super) const PAD: f64 = 24.0;
pub(super) const TOP: f64 = 56.0;
pub(super) const NODE_H: f64 = 42.0;
const ROW: f64 = 54.0;
const GAP_X: f64 = 56.0;
/// Most empty space kept above a node to line it up with its children, in rows.
const MAX_GAP_ROWS: f64 = 1.5;
const GROUP_HEAD: f64 = 30.0;
const GROUP_GAP: f64 = 18.0;
const MIN_W: f64 = 150.0;
const MAX_W: f64 = 270.0;
/// Average glyph widths of the 13px title and 11px subtitle (system sans-serif).
pub(super) const TITLE_CHAR: f64 = 8.2;
pub(super) const SUB_CHAR: f64 = 5.9;
/// The subtitle (a relation name) is cut rather than widen a column beyond this.
const SUB_MAX_W: f64 = 190.0;
/// Average glyph width of an exposure group heading (12px, semi-bold).
const GROUP_CHAR: f64 = 7.0;
/// Left edge of a node's text: after the kind bar, or after the Tableau mark.
const TEXT_X: f64 = 16.0;
const TEXT_X_EXPOSURE: f64 = 38.0;

pub(super) struct Layout {
    pub(super) column: Vec<usize>,
    pub(super) y: Vec<f64>,
    pub(super) col_x: Vec<f64>,
    pub(super) col_w: Vec<f64>,
    pub(super) col_titles: Vec<String>,
    /// `(y, text)` of each exposure group heading, in the last column.
    pub(super) group_heads: Vec<(f64, String)>,
    pub(super) width: f64,
    pub(super) height: f64,
}

impl Layout {
    pub(super) fn compute(graph: &Graph) -> Layout {
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

    pub(super) fn x(&self, node: usize) -> f64 {
        self.col_x[self.column[node]]
    }

    pub(super) fn w(&self, node: usize) -> f64 {
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

pub(super) fn text_x(kind: NodeKind) -> f64 {
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
