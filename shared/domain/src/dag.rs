//! The graph of a dbt project, from the manifest's `parent_map`: which nodes each relation
//! is built from ([`Dag`]) and which nodes each test tests ([`TestTargets`]).
//!
//! Both are read with the rest of the manifest, in the same pass, by
//! [`Manifest::from_slice`](crate::Manifest::from_slice), and reached through
//! [`Manifest::dag`](crate::Manifest::dag) and
//! [`Manifest::test_targets`](crate::Manifest::test_targets).

use crate::manifest::RelationKind;

/// The edges between dbt nodes: each node's direct upstream nodes, from `parent_map`.
///
/// Only models, seeds, snapshots and sources are kept; tests, metrics and the like are
/// dropped while reading.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dag {
    lists: IdLists,
}

impl Dag {
    /// Builds a DAG from `(node, its direct parents)` pairs, e.g. a parent map kept in a store.
    pub fn from_parents(entries: impl IntoIterator<Item = (String, Vec<String>)>) -> Dag {
        Dag::from_lists(IdLists::from_entries(entries, is_lineage_node))
    }

    /// The DAG of lists read straight from a manifest, lineage nodes only.
    pub(crate) fn from_lists(lists: IdLists) -> Dag {
        Dag {
            lists: lists.finish(),
        }
    }

    /// The direct upstream nodes of `unique_id`, sorted; none when it has none or is unknown.
    pub fn parents(&self, unique_id: &str) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.lists.get(unique_id)
    }

    /// How many nodes have an entry.
    pub fn len(&self) -> usize {
        self.lists.nodes.len()
    }

    /// Whether the DAG has no nodes (an empty, null or missing `parent_map`).
    pub fn is_empty(&self) -> bool {
        self.lists.nodes.is_empty()
    }
}

/// Which nodes each test tests (`parent_map` of `test.*` and `unit_test.*` ids).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestTargets {
    lists: IdLists,
}

impl TestTargets {
    /// From `(test id, the nodes it tests)` pairs.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, Vec<String>)>) -> TestTargets {
        TestTargets::from_lists(IdLists::from_entries(pairs, |_| true))
    }

    /// The targets read straight from a manifest.
    pub(crate) fn from_lists(lists: IdLists) -> TestTargets {
        TestTargets {
            lists: lists.finish(),
        }
    }

    /// The nodes a test tests, sorted; none when unknown.
    pub fn targets(&self, test_id: &str) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.lists.get(test_id)
    }
}

/// Where an id lies in [`IdLists::text`].
type Span = (usize, usize);

/// A list of unique ids for each node, every id kept in one shared string: reading the
/// `parent_map` of a large project (tens of thousands of entries) then allocates nothing
/// per id or per list.
#[derive(Debug, Clone, Default)]
pub(crate) struct IdLists {
    /// Every id, one after the other.
    text: String,
    /// The ids of every list, one list after the other.
    ids: Vec<Span>,
    /// Each node's id and the range of its list in `ids`; sorted by id once finished.
    nodes: Vec<(Span, Span)>,
}

impl IdLists {
    /// The `(node, ids)` entries whose node `keep` accepts, each with the ids it accepts.
    fn from_entries(
        entries: impl IntoIterator<Item = (String, Vec<String>)>,
        keep: fn(&str) -> bool,
    ) -> IdLists {
        let mut lists = IdLists::default();
        for (node, ids) in entries.into_iter().filter(|(node, _)| keep(node)) {
            let start = lists.open();
            for id in ids.iter().filter(|id| keep(id)) {
                lists.add(id);
            }
            lists.close(&node, start);
        }
        lists
    }

    /// Where the next list starts: pass it to [`IdLists::close`] after adding its ids.
    pub(crate) fn open(&self) -> usize {
        self.ids.len()
    }

    /// Adds an id to the list being read.
    pub(crate) fn add(&mut self, id: &str) {
        let start = self.text.len();
        self.text.push_str(id);
        self.ids.push((start, self.text.len()));
    }

    /// Records `node` with the ids added since `start`, sorted and without duplicates.
    pub(crate) fn close(&mut self, node: &str, start: usize) {
        let at = self.text.len();
        self.text.push_str(node);
        self.sort_list(start);
        self.nodes
            .push(((at, self.text.len()), (start, self.ids.len())));
    }

    /// Sorts the list that starts at `start` and runs to the end of `ids`, without
    /// duplicates. dbt writes sorted lists, so this is usually a check.
    fn sort_list(&mut self, start: usize) {
        let text = &self.text;
        let id = |span: &Span| &text[span.0..span.1];
        let list = &mut self.ids[start..];
        if list.is_sorted_by(|a, b| id(a) < id(b)) {
            return;
        }
        list.sort_by(|a, b| id(a).cmp(id(b)));
        let mut kept = start;
        for next in start..self.ids.len() {
            if kept == start || id(&self.ids[next]) != id(&self.ids[kept - 1]) {
                self.ids[kept] = self.ids[next];
                kept += 1;
            }
        }
        self.ids.truncate(kept);
    }

    /// Sorts the nodes, merging the lists of a node given twice. dbt writes its maps with
    /// sorted keys, so this is usually a check.
    fn finish(mut self) -> IdLists {
        let text = &self.text;
        let id = |span: &Span| &text[span.0..span.1];
        if self.nodes.is_sorted_by(|a, b| id(&a.0) < id(&b.0)) {
            return self;
        }
        self.nodes.sort_by(|a, b| id(&a.0).cmp(id(&b.0)));
        let mut merged: Vec<(Span, Span)> = Vec::with_capacity(self.nodes.len());
        for (node, list) in std::mem::take(&mut self.nodes) {
            match merged.last_mut() {
                Some((last, kept)) if self.text[last.0..last.1] == self.text[node.0..node.1] => {
                    let start = self.ids.len();
                    self.ids.extend_from_within(kept.0..kept.1);
                    self.ids.extend_from_within(list.0..list.1);
                    self.sort_list(start);
                    *kept = (start, self.ids.len());
                }
                _ => merged.push((node, list)),
            }
        }
        self.nodes = merged;
        self
    }

    fn get(&self, node: &str) -> impl ExactSizeIterator<Item = &str> + '_ {
        let found = self
            .nodes
            .binary_search_by(|(id, _)| self.text[id.0..id.1].cmp(node));
        let list = found.map_or((0, 0), |at| self.nodes[at].1);
        self.list(list)
    }

    fn list(&self, range: Span) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.ids[range.0..range.1]
            .iter()
            .map(|span| &self.text[span.0..span.1])
    }
}

/// Equal when they hold the same lists, however their ids are laid out.
impl PartialEq for IdLists {
    fn eq(&self, other: &IdLists) -> bool {
        self.nodes.len() == other.nodes.len()
            && self.nodes.iter().zip(&other.nodes).all(|(a, b)| {
                self.text[a.0.0..a.0.1] == other.text[b.0.0..b.0.1]
                    && self.list(a.1).eq(other.list(b.1))
            })
    }
}

impl Eq for IdLists {}

/// Whether a unique id names a data or unit test.
pub(crate) fn is_test(unique_id: &str) -> bool {
    unique_id.starts_with("test.") || unique_id.starts_with("unit_test.")
}

/// Whether a unique id names a node that lineage follows: a model, seed, snapshot or source.
pub(crate) fn is_lineage_node(unique_id: &str) -> bool {
    RelationKind::of_unique_id(unique_id).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(node: &str, parents: &[&str]) -> (String, Vec<String>) {
        let parents = parents.iter().map(|p| p.to_string()).collect();
        (node.to_string(), parents)
    }

    #[test]
    fn a_node_given_twice_gets_both_lists_sorted_without_duplicates() {
        let dag = Dag::from_parents([
            entry("model.a.z", &["model.a.y"]),
            entry("model.a.b", &["source.a.s.t", "model.a.c", "source.a.s.t"]),
            entry("model.a.b", &["model.a.a", "model.a.c", "test.a.x.1"]),
        ]);
        let parents: Vec<&str> = dag.parents("model.a.b").collect();
        assert_eq!(parents, ["model.a.a", "model.a.c", "source.a.s.t"]);
        assert_eq!(dag.parents("model.a.z").collect::<Vec<_>>(), ["model.a.y"]);
        assert_eq!(dag.len(), 2);
    }

    #[test]
    fn the_same_lists_are_equal_whatever_the_order_they_came_in() {
        let forward = Dag::from_parents([
            entry("model.a.b", &["model.a.a", "source.a.s.t"]),
            entry("model.a.c", &["model.a.b"]),
        ]);
        let backward = Dag::from_parents([
            entry("model.a.c", &["model.a.b"]),
            entry("model.a.b", &["source.a.s.t", "model.a.a"]),
        ]);
        assert_eq!(forward, backward);
        assert_ne!(
            forward,
            Dag::from_parents([entry("model.a.c", &["model.a.b"])])
        );
    }
}
