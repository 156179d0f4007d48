//! Which columns of its dbt nodes a workbook reads: each column its fields read
//! ([`FieldColumn`]) is placed on the node its table matches, and looked up among the
//! columns dbt knows of that node, case-insensitively and with quoting removed.
//!
//! dbt's spelling wins where dbt has the column. A column dbt does not have is reported as
//! missing, a likely break of the dashboard: where `catalog.json` lists the node, a column
//! the catalog lacks (it lists what the warehouse has); else, on a node with documented
//! columns, one the manifest does not document. On a node dbt knows no columns of, nothing
//! can be called missing, and the BI tool's spelling is kept.

use std::collections::BTreeMap;

use crate::catalog::Catalog;
use crate::columns::{DbtColumn, FieldColumn, ReferencedColumn};
use crate::fqn::normalize_part;
use crate::index::{AliasMap, Lookup, RelationIndex};
use crate::manifest::Relation;

/// The columns one workbook reads, placed on dbt nodes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ColumnsRead {
    /// Every column read of a matched node, sorted by node, then column, each once.
    pub(crate) referenced: Vec<ReferencedColumn>,
    /// Those of `referenced` that dbt does not have, though it knows the node's columns.
    pub(crate) missing: Vec<ReferencedColumn>,
}

impl ColumnsRead {
    /// Keeps only the columns of these nodes (sorted unique ids).
    pub(crate) fn keep_nodes(&mut self, nodes: &[String]) {
        let wanted = |c: &ReferencedColumn| nodes.binary_search(&c.node).is_ok();
        self.referenced.retain(wanted);
        self.missing.retain(wanted);
    }
}

/// Places each column the workbook's fields read on the dbt nodes its table matches.
/// Columns of tables that match nothing, or that the BI tool hid, are left out: the table
/// level already reports those.
pub(crate) fn columns_read(
    columns: &[FieldColumn],
    index: &RelationIndex<'_>,
    aliases: &AliasMap,
    catalog: Option<&Catalog>,
) -> ColumnsRead {
    let relations = index.relations();
    let mut found: BTreeMap<(String, String), (ReferencedColumn, bool)> = BTreeMap::new();
    let mut key = String::new();
    let mut hits: Vec<u32> = Vec::new();
    for column in columns {
        let Some(name) = column.name.as_deref().filter(|n| !n.trim().is_empty()) else {
            continue;
        };
        hits.clear();
        if !matches!(
            index.lookup_into(&column.table, aliases, &mut key, &mut hits),
            Lookup::Matched
        ) {
            continue;
        }
        hits.sort_unstable();
        hits.dedup();
        let wanted = normalize_part(name);
        for &hit in &hits {
            let relation = &relations[hit as usize];
            let slot = (relation.unique_id.clone(), wanted.clone());
            if found.contains_key(&slot) {
                continue;
            }
            found.insert(slot, place(relation, name, &wanted, catalog));
        }
    }
    let mut read = ColumnsRead::default();
    for (_, (column, missing)) in found {
        if missing {
            read.missing.push(column.clone());
        }
        read.referenced.push(column);
    }
    read.referenced.sort();
    read.missing.sort();
    read
}

/// The column as dbt knows it on `relation`, and whether dbt lacks it there.
fn place(
    relation: &Relation,
    bi_name: &str,
    wanted: &str,
    catalog: Option<&Catalog>,
) -> (ReferencedColumn, bool) {
    let documented = relation
        .columns
        .iter()
        .find(|c| normalize_part(c.name) == wanted);
    let listed = catalog.and_then(|c| c.columns(&relation.unique_id));
    let in_catalog = listed.and_then(|columns| find(columns, wanted));
    let spelling = documented
        .map(|c| c.name)
        .or(in_catalog.map(|c| c.name.as_str()))
        .map(str::to_string);
    let data_type = documented
        .and_then(|c| c.data_type)
        .or_else(|| in_catalog.and_then(|c| c.data_type.as_deref()))
        .map(str::to_string);
    // The catalog lists what the warehouse has, so where it lists the node it alone
    // decides: a documented column the warehouse lacks is missing too.
    let missing = match listed {
        Some(_) => in_catalog.is_none(),
        None => !relation.columns.is_empty() && documented.is_none(),
    };
    let column = ReferencedColumn {
        node: relation.unique_id.clone(),
        column_name: spelling.unwrap_or_else(|| bi_name.trim().to_string()),
        data_type,
    };
    (column, missing)
}

fn find<'c>(columns: &'c [DbtColumn], wanted: &str) -> Option<&'c DbtColumn> {
    columns.iter().find(|c| normalize_part(&c.name) == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::DocumentedColumns;
    use crate::manifest::RelationKind;
    use crate::workbook::UpstreamTable;

    fn orders(columns: &[(&str, Option<&str>)]) -> Relation {
        Relation {
            unique_id: "model.shop.orders".into(),
            kind: RelationKind::Model,
            package: "shop".into(),
            name: "orders".into(),
            source_name: None,
            version: None,
            database: Some("analytics".into()),
            schema: "prod".into(),
            identifier: "orders".into(),
            columns: DocumentedColumns::new(columns.iter().copied()),
        }
    }

    fn read(name: Option<&str>, table: &str) -> FieldColumn {
        FieldColumn {
            table: UpstreamTable {
                database: Some("ANALYTICS".into()),
                schema: Some("PROD".into()),
                name: Some(table.into()),
                ..UpstreamTable::default()
            },
            name: name.map(str::to_string),
            remote_type: Some("WSTR".into()),
        }
    }

    fn run(
        relations: &[Relation],
        columns: &[FieldColumn],
        catalog: Option<&Catalog>,
    ) -> ColumnsRead {
        let index = RelationIndex::new(relations);
        columns_read(columns, &index, &AliasMap::default(), catalog)
    }

    #[test]
    fn dbt_spelling_and_type_win_over_the_bi_tool() {
        let relations = [orders(&[("order_id", Some("integer")), ("status", None)])];
        let got = run(
            &relations,
            &[
                read(Some("ORDER_ID"), "ORDERS"),
                read(Some("\"Status\""), "ORDERS"),
            ],
            None,
        );
        assert_eq!(
            got.referenced,
            [
                ReferencedColumn {
                    node: "model.shop.orders".into(),
                    column_name: "order_id".into(),
                    data_type: Some("integer".into()),
                },
                ReferencedColumn {
                    node: "model.shop.orders".into(),
                    column_name: "status".into(),
                    data_type: None,
                },
            ]
        );
        assert!(got.missing.is_empty());
    }

    #[test]
    fn a_column_dbt_does_not_have_is_missing_only_where_dbt_knows_the_columns() {
        let documented = [orders(&[("order_id", None)])];
        let got = run(&documented, &[read(Some("DISCOUNT"), "ORDERS")], None);
        assert_eq!(got.missing.len(), 1);
        assert_eq!(got.missing[0].column_name, "DISCOUNT");
        assert_eq!(got.referenced, got.missing);

        let undocumented = [orders(&[])];
        let got = run(&undocumented, &[read(Some("DISCOUNT"), "ORDERS")], None);
        assert!(got.missing.is_empty());
        assert_eq!(got.referenced[0].column_name, "DISCOUNT");
    }

    #[test]
    fn the_catalog_supplies_columns_and_types_the_manifest_lacks() {
        let catalog = Catalog::from_slice(
            br#"{"nodes": {"model.shop.orders": {"columns": {"AMOUNT": {"type": "NUMBER(38,2)", "index": 1, "name": "AMOUNT"}}}}}"#,
        )
        .expect("reads");
        let relations = [orders(&[])];
        let got = run(
            &relations,
            &[read(Some("amount"), "ORDERS"), read(Some("gone"), "ORDERS")],
            Some(&catalog),
        );
        assert_eq!(got.referenced[0].column_name, "AMOUNT");
        assert_eq!(got.referenced[0].data_type.as_deref(), Some("NUMBER(38,2)"));
        assert_eq!(got.missing.len(), 1);
        assert_eq!(got.missing[0].column_name, "gone");
    }

    #[test]
    fn hidden_columns_and_unmatched_tables_are_left_out_and_repeats_kept_once() {
        let relations = [orders(&[("id", None)])];
        let got = run(
            &relations,
            &[
                read(None, "ORDERS"),
                read(Some("id"), "OTHER_TABLE"),
                read(Some("ID"), "ORDERS"),
                read(Some("id"), "orders"),
            ],
            None,
        );
        assert_eq!(got.referenced.len(), 1);
        assert_eq!(got.referenced[0].column_name, "id");
    }

    #[test]
    fn a_documented_column_the_catalog_lacks_is_missing() {
        let catalog = Catalog::from_slice(
            br#"{"nodes": {"model.shop.orders": {"columns": {"ID": {"type": "NUMBER", "index": 1}}}}}"#,
        )
        .expect("reads");
        let relations = [orders(&[("id", None), ("dropped", Some("text"))])];
        let got = run(
            &relations,
            &[read(Some("ID"), "ORDERS"), read(Some("DROPPED"), "ORDERS")],
            Some(&catalog),
        );
        assert_eq!(got.missing.len(), 1);
        assert_eq!(got.missing[0].column_name, "dropped");
        assert_eq!(got.referenced[1].data_type.as_deref(), Some("NUMBER"));
    }
}
