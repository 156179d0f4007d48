//! The graph on the page: every exposure, auto and manual, and the dbt nodes upstream of
//! at least one of them, with what each shows in its box and details panel.

use std::collections::{BTreeMap, VecDeque};

use autoexpose_domain::dag::Dag;
use autoexpose_domain::{
    Exposure, Manifest, ManualExposure, ReferencedColumn, Relation, RelationKind,
};

/// Kinds of node on the page, in column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum NodeKind {
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
    pub(super) fn slug(self) -> &'static str {
        match self {
            NodeKind::Source => "source",
            NodeKind::Seed => "seed",
            NodeKind::Snapshot => "snapshot",
            NodeKind::Model => "model",
            NodeKind::Exposure => "exposure",
            NodeKind::ManualExposure => "manual-exposure",
        }
    }

    pub(super) fn is_exposure(self) -> bool {
        matches!(self, NodeKind::Exposure | NodeKind::ManualExposure)
    }
}

/// Heading of the manual exposures' group.
const MANUAL_GROUP: &str = "manual exposures (dbt YAML)";

pub(super) struct Node {
    pub(super) id: String,
    pub(super) kind: NodeKind,
    /// The big line: a node's name, an exposure's label.
    pub(super) title: String,
    /// The small line under it.
    pub(super) subtitle: String,
    /// Exposures only: the group heading, and the sort key inside the column.
    pub(super) group: String,
    /// `data-*` attributes for the details panel, in output order.
    pub(super) details: Vec<(&'static str, String)>,
    /// Lower-cased text the search box matches against.
    pub(super) search: String,
    /// Labelled facts beyond the standard ones (e.g. the columns a workbook reads, how
    /// often it is opened), shown in the details panel after them, in this order.
    pub(super) extra: Vec<(String, String)>,
    /// Whether the node is an exposure or upstream of one; only the whole-project graph
    /// holds nodes for which this is false.
    pub(super) feeds_exposure: bool,
}

/// Which dbt nodes a graph holds besides the exposures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    /// Only the nodes upstream of at least one exposure: what the page opens with.
    UpstreamOfExposures,
    /// Every model, seed, snapshot and source of the manifest: one click away.
    WholeProject,
}

pub(super) struct Graph {
    pub(super) nodes: Vec<Node>,
    /// For each node, its direct upstream nodes (indices), sorted, without duplicates.
    pub(super) parents: Vec<Vec<usize>>,
    /// Exposures come first in `nodes`: this many of them.
    pub(super) exposure_count: usize,
}

impl Graph {
    pub(super) fn build(
        manifest: &Manifest,
        dag: &Dag,
        exposures: &[Exposure],
        scope: Scope,
    ) -> Graph {
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
        builder.follow_parents(dag, &relations, &mut queue);
        let upstream_count = builder.nodes.len();
        if scope == Scope::WholeProject {
            for relation in relations.values() {
                let node = dbt_node(&relation.unique_id, Some(relation));
                if let Some(index) = node.and_then(|node| builder.add(node)) {
                    queue.push_back(index);
                }
            }
            builder.follow_parents(dag, &relations, &mut queue);
        }
        // Had a node fed an exposure, the walk up from the exposures would have found it.
        for node in &mut builder.nodes[upstream_count..] {
            node.feeds_exposure = false;
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

    pub(super) fn edge_count(&self) -> usize {
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

    /// Links every queued node to its parents in the DAG, queueing parents that are new.
    fn follow_parents(
        &mut self,
        dag: &Dag,
        relations: &BTreeMap<&str, &Relation>,
        queue: &mut VecDeque<usize>,
    ) {
        while let Some(child) = queue.pop_front() {
            let id = self.nodes[child].id.clone();
            for parent in dag.parents(&id) {
                self.link(child, parent, relations, queue);
            }
        }
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
        extra: Vec::new(),
        feeds_exposure: true,
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
        ("usage", crate::usage_summary(exposure)),
        ("unmatched", exposure.unmatched_tables.join("\n")),
        ("columns", columns_by_node(&exposure.referenced_columns)),
        ("missing", columns_by_node(&exposure.missing_columns)),
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
        extra: Vec::new(),
        feeds_exposure: true,
    }
}

/// One line per node: `model.shop.orders: order_id, amount` (columns sorted by node).
fn columns_by_node(columns: &[ReferencedColumn]) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut node = "";
    for column in columns {
        if column.node != node {
            node = &column.node;
            lines.push(format!("{node}: {}", column.column_name));
        } else if let Some(line) = lines.last_mut() {
            line.push_str(", ");
            line.push_str(&column.column_name);
        }
    }
    lines.join("\n")
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
        extra: Vec::new(),
        feeds_exposure: true,
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
