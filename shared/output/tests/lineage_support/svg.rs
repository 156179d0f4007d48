//! The drawn graph read back from the page's markup: node boxes, column headings and edge
//! paths, in SVG coordinates, and where an edge passes behind a box.

use std::collections::BTreeMap;

/// A node's box.
#[derive(Debug, Clone)]
pub(crate) struct NodeBox {
    pub(crate) id: String,
    pub(crate) class: String,
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) w: f64,
    pub(crate) h: f64,
}

/// An edge and its path, as points sampled along it.
#[derive(Debug, Clone)]
pub(crate) struct Edge {
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) points: Vec<(f64, f64)>,
}

/// The graph drawn on opening (the `<svg id="graph">` before the whole project's
/// `<template>`, if any).
pub(crate) fn opening_svg(page: &str) -> &str {
    let start = page.find("<svg id=\"graph\"").expect("a graph");
    let end = page[start..].find("</svg>\n").expect("the graph ends") + start;
    &page[start..end]
}

/// The whole project's graph, kept in the page's `<template>`.
pub(crate) fn whole_project_svg(page: &str) -> Option<&str> {
    let start = page.find("<template id=\"whole-project\">")?;
    let end = page[start..].find("</template>")? + start;
    Some(&page[start..end])
}

/// The value of `name="..."` in the text of one tag.
pub(crate) fn attr(tag: &str, name: &str) -> Option<String> {
    let tag = &tag[..tag.find('>')?];
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[start..].find('"')?;
    Some(tag[start..start + len].to_string())
}

pub(crate) fn boxes(svg: &str) -> Vec<NodeBox> {
    let mut boxes = Vec::new();
    for tag in svg.split("<g class=\"node ").skip(1) {
        let tag = format!(" class=\"{tag}");
        let id = attr(&tag, "data-id").expect("a node has an id");
        let class = attr(&tag, "class").expect("class");
        let transform = attr(&tag, "transform").expect("a node has a transform");
        let (x, y) = transform
            .trim_start_matches("translate(")
            .trim_end_matches(')')
            .split_once(',')
            .expect("translate(x,y)");
        let rect = &tag[tag.find("<rect class=\"box\"").expect("a box")..];
        boxes.push(NodeBox {
            id,
            class,
            x: x.parse().expect("x"),
            y: y.parse().expect("y"),
            w: attr(rect, "width").expect("w").parse().expect("w"),
            h: attr(rect, "height").expect("h").parse().expect("h"),
        });
    }
    boxes
}

/// `(x, text)` of every column heading.
pub(crate) fn column_heads(svg: &str) -> Vec<(f64, String)> {
    svg.split("<text class=\"col-head\"")
        .skip(1)
        .map(|tag| {
            let tag = format!(" {tag}");
            let x = attr(&tag, "x").expect("x").parse().expect("x");
            let text =
                tag[tag.find('>').expect(">") + 1..tag.find("</text>").expect("end")].to_string();
            (x, text)
        })
        .collect()
}

pub(crate) fn edges(svg: &str) -> Vec<Edge> {
    svg.split("<path class=\"edge\"")
        .skip(1)
        .map(|tag| {
            let tag = format!(" {tag}");
            Edge {
                from: attr(&tag, "data-from").expect("from"),
                to: attr(&tag, "data-to").expect("to"),
                points: sample_path(&attr(&tag, "d").expect("d")),
            }
        })
        .collect()
}

/// Points along a path of `M`, `C` and `H` commands (absolute), the only ones the page
/// draws edges with.
fn sample_path(d: &str) -> Vec<(f64, f64)> {
    let mut tokens: Vec<String> = Vec::new();
    let mut current = String::new();
    for ch in d.chars() {
        if ch.is_ascii_alphabetic() {
            if !current.is_empty() {
                tokens.push(std::mem::take(&mut current));
            }
            tokens.push(ch.to_string());
        } else if ch == ' ' || ch == ',' {
            if !current.is_empty() {
                tokens.push(std::mem::take(&mut current));
            }
        } else {
            current.push(ch);
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    let mut points = Vec::new();
    let mut at = (0.0, 0.0);
    let mut i = 0;
    let number = |tokens: &[String], i: usize| -> f64 {
        tokens[i]
            .parse()
            .unwrap_or_else(|_| panic!("a number in {d}"))
    };
    while i < tokens.len() {
        match tokens[i].as_str() {
            "M" => {
                at = (number(&tokens, i + 1), number(&tokens, i + 2));
                points.push(at);
                i += 3;
            }
            "C" => {
                let c: Vec<f64> = (1..=6).map(|k| number(&tokens, i + k)).collect();
                let (p1, p2, p3) = ((c[0], c[1]), (c[2], c[3]), (c[4], c[5]));
                for step in 1..=32 {
                    let t = step as f64 / 32.0;
                    let u = 1.0 - t;
                    let x = u * u * u * at.0
                        + 3.0 * u * u * t * p1.0
                        + 3.0 * u * t * t * p2.0
                        + t * t * t * p3.0;
                    let y = u * u * u * at.1
                        + 3.0 * u * u * t * p1.1
                        + 3.0 * u * t * t * p2.1
                        + t * t * t * p3.1;
                    points.push((x, y));
                }
                at = p3;
                i += 7;
            }
            "H" => {
                let x = number(&tokens, i + 1);
                for step in 1..=16 {
                    let t = step as f64 / 16.0;
                    points.push((at.0 + (x - at.0) * t, at.1));
                }
                at = (x, at.1);
                i += 2;
            }
            other => panic!("unexpected path command {other} in {d}"),
        }
    }
    points
}

/// Every (edge, node) pair where the edge passes behind the node's box (more than a
/// pixel inside it), other than the edge's own two ends.
pub(crate) fn edges_behind_nodes(svg: &str) -> Vec<(String, String, String)> {
    let boxes = boxes(svg);
    // Boxes by column (their left edge), each column sorted top to bottom.
    let mut columns: BTreeMap<i64, Vec<&NodeBox>> = BTreeMap::new();
    for b in &boxes {
        columns.entry(b.x.round() as i64).or_default().push(b);
    }
    for column in columns.values_mut() {
        column.sort_by(|a, b| a.y.total_cmp(&b.y));
    }
    let mut hits = Vec::new();
    for edge in edges(svg) {
        for column in columns.values() {
            let (left, right) = (column[0].x, column[0].x + column[0].w);
            for &(px, py) in &edge.points {
                if px <= left + 1.0 || px >= right - 1.0 {
                    continue;
                }
                let below = column.partition_point(|b| b.y + b.h <= py);
                if let Some(b) = column.get(below)
                    && py > b.y + 1.0
                    && py < b.y + b.h - 1.0
                    && b.id != edge.from
                    && b.id != edge.to
                    && px < b.x + b.w - 1.0
                {
                    hits.push((edge.from.clone(), edge.to.clone(), b.id.clone()));
                    break;
                }
            }
        }
    }
    hits.sort();
    hits.dedup();
    hits
}
