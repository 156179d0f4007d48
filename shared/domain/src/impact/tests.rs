//! The rules of impact, one behaviour each, on hand-made manifests.

use serde_json::{Value, json};

use super::*;
use crate::error::ManifestError;

/// A manifest of `nodes` (unique id → node fields) with `child_map` and `exposures`.
fn manifest(nodes: Value, child_map: Value, exposures: Value) -> ProjectState {
    let mut all = serde_json::Map::new();
    let mut sources = serde_json::Map::new();
    for (id, node) in nodes.as_object().cloned().unwrap_or_default() {
        if id.starts_with("source.") {
            sources.insert(id, node);
        } else {
            all.insert(id, node);
        }
    }
    let document = json!({"nodes": all, "sources": sources, "child_map": child_map,
                          "exposures": exposures});
    ProjectState::from_manifest(document.to_string().as_bytes()).expect("manifest reads")
}

fn model(name: &str, checksum: &str) -> Value {
    json!({"resource_type": "model", "name": name, "database": "analytics",
           "schema": "prod", "alias": name,
           "checksum": {"name": "sha256", "checksum": checksum},
           "unrendered_config": {"materialized": "table"},
           "columns": {"id": {"name": "id", "data_type": "integer"},
                       "amount": {"name": "amount", "data_type": "numeric(10,2)"}}})
}

fn reader(name: &str, reads: &[&str]) -> ExposureUnderTest {
    ExposureUnderTest {
        name: name.into(),
        depends_on: reads.iter().map(|r| r.to_string()).collect(),
        ..ExposureUnderTest::default()
    }
}

fn only_change(base: &ProjectState, head: &ProjectState) -> NodeChange {
    let (changes, _) = node_changes(base, head);
    assert_eq!(changes.len(), 1, "{changes:?}");
    changes.into_iter().next().expect("one change")
}

#[test]
fn an_unchanged_project_changes_nothing() {
    let base = manifest(
        json!({"model.shop.orders": model("orders", "a")}),
        json!({}),
        json!({}),
    );
    let report = assess(
        &base,
        &base.clone(),
        &[reader("sales", &["model.shop.orders"])],
    );
    assert!(report.affected.is_empty());
    assert!(report.changed_nodes.is_empty());
}

#[test]
fn a_ci_run_rendered_into_its_own_schema_is_no_rename() {
    let base = manifest(
        json!({"model.shop.orders": model("orders", "a")}),
        json!({}),
        json!({}),
    );
    let mut ci = model("orders", "a");
    ci["schema"] = json!("dbt_ci_pr_42");
    let head = manifest(json!({"model.shop.orders": ci}), json!({}), json!({}));
    assert!(node_changes(&base, &head).0.is_empty());
}

#[test]
fn a_configured_schema_moves_the_relation_and_breaks_its_readers() {
    let base = manifest(
        json!({"model.shop.orders": model("orders", "a")}),
        json!({}),
        json!({}),
    );
    let mut moved = model("orders", "a");
    moved["schema"] = json!("dbt_ci_pr_42_finance");
    moved["unrendered_config"]["schema"] = json!("finance");
    let head = manifest(json!({"model.shop.orders": moved}), json!({}), json!({}));
    let change = only_change(&base, &head);
    assert_eq!(change.change, ChangeKind::Renamed);
    assert_eq!(
        change.renamed,
        Some(RelationRename {
            from: "analytics.prod.orders".into(),
            to: "analytics.dbt_ci_pr_42_finance.orders".into()
        })
    );
    let report = assess(&base, &head, &[reader("sales", &["model.shop.orders"])]);
    assert_eq!(report.affected[0].severity, Severity::Breaking);
}

#[test]
fn a_source_pointed_at_another_schema_is_renamed() {
    let source = |schema: &str| {
        json!({"resource_type": "source", "name": "orders", "database": "raw", "schema": schema,
               "identifier": "orders", "unrendered_config": {"enabled": true}})
    };
    let base = manifest(
        json!({"source.shop.raw.orders": source("stripe")}),
        json!({}),
        json!({}),
    );
    let head = manifest(
        json!({"source.shop.raw.orders": source("stripe_v2")}),
        json!({}),
        json!({}),
    );
    assert_eq!(only_change(&base, &head).change, ChangeKind::Renamed);
}

#[test]
fn tags_do_not_modify_but_materialization_does() {
    let base = manifest(
        json!({"model.shop.orders": model("orders", "a")}),
        json!({}),
        json!({}),
    );
    let mut tagged = model("orders", "a");
    tagged["unrendered_config"]["tags"] = json!(["finance"]);
    let head = manifest(json!({"model.shop.orders": tagged}), json!({}), json!({}));
    assert!(node_changes(&base, &head).0.is_empty());

    let mut view = model("orders", "a");
    view["unrendered_config"]["materialized"] = json!("view");
    let head = manifest(json!({"model.shop.orders": view}), json!({}), json!({}));
    assert_eq!(only_change(&base, &head).modified, [ModifiedPart::Config]);
}

#[test]
fn a_contract_enforced_or_changed_is_a_contract_change() {
    let mut enforced = model("orders", "a");
    enforced["contract"] = json!({"enforced": true, "checksum": "c1"});
    let base = manifest(
        json!({"model.shop.orders": enforced.clone()}),
        json!({}),
        json!({}),
    );
    enforced["contract"]["checksum"] = json!("c2");
    let head = manifest(json!({"model.shop.orders": enforced}), json!({}), json!({}));
    assert_eq!(only_change(&base, &head).modified, [ModifiedPart::Contract]);
}

#[test]
fn a_retyped_column_breaks_the_dashboard_that_reads_it_and_not_the_one_that_does_not() {
    let base = manifest(
        json!({"model.shop.orders": model("orders", "a")}),
        json!({}),
        json!({}),
    );
    let mut retyped = model("orders", "a");
    retyped["columns"]["amount"]["data_type"] = json!("FLOAT");
    // Spacing and case alone are no retype.
    retyped["columns"]["id"]["data_type"] = json!(" INTEGER ");
    let head = manifest(json!({"model.shop.orders": retyped}), json!({}), json!({}));
    let change = only_change(&base, &head);
    assert_eq!(
        change.columns_retyped,
        [ColumnRetype {
            column: "amount".into(),
            from: "numeric(10,2)".into(),
            to: "FLOAT".into()
        }]
    );
    let column = |name: &str| ReferencedColumn {
        node: "model.shop.orders".into(),
        column_name: name.into(),
        data_type: None,
    };
    let mut reads_amount = reader("revenue", &["model.shop.orders"]);
    reads_amount.referenced_columns = vec![column("AMOUNT")];
    let mut reads_id = reader("counts", &["model.shop.orders"]);
    reads_id.referenced_columns = vec![column("id")];
    let report = assess(&base, &head, &[reads_amount, reads_id]);
    let severities: Vec<(&str, Severity)> = report
        .affected
        .iter()
        .map(|a| (a.name.as_str(), a.severity))
        .collect();
    assert_eq!(
        severities,
        [
            ("revenue", Severity::Breaking),
            ("counts", Severity::ChangedUpstream)
        ]
    );
    assert_eq!(
        report.affected[1].columns.as_deref(),
        Some(&[column("id")][..])
    );
}

#[test]
fn catalog_columns_replace_the_documented_ones() {
    let mut base = manifest(
        json!({"model.shop.orders": model("orders", "a")}),
        json!({}),
        json!({}),
    );
    let mut head = base.clone();
    let catalog = |amount_type: &str| {
        let text = json!({"nodes": {"model.shop.orders": {"columns": {
            "ID": {"name": "ID", "type": "NUMBER", "index": 1},
            "AMOUNT": {"name": "AMOUNT", "type": amount_type, "index": 2}}}}});
        Catalog::from_slice(text.to_string().as_bytes()).expect("catalog reads")
    };
    base.use_catalog_columns(&catalog("NUMBER(10,2)"));
    head.use_catalog_columns(&catalog("VARCHAR"));
    let change = only_change(&base, &head);
    assert_eq!(change.columns_retyped[0].column, "AMOUNT");
    assert_eq!(change.columns_retyped[0].to, "VARCHAR");
}

#[test]
fn changes_reach_exposures_through_the_child_map_transitively() {
    let nodes = json!({
        "model.shop.stg_orders": model("stg_orders", "a"),
        "model.shop.orders": model("orders", "a"),
        "model.shop.revenue": model("revenue", "a"),
    });
    let child_map = json!({
        "model.shop.stg_orders": ["model.shop.orders", "test.shop.not_null_stg_orders_id"],
        "model.shop.orders": ["model.shop.revenue"],
        "model.shop.revenue": ["model.shop.stg_orders"]
    });
    let base = manifest(nodes.clone(), child_map, json!({}));
    let mut head_nodes = nodes;
    head_nodes["model.shop.stg_orders"] = model("stg_orders", "b");
    let head = manifest(head_nodes, json!({}), json!({}));
    let report = assess(&base, &head, &[reader("finance", &["model.shop.revenue"])]);
    let affected = &report.affected[0];
    assert_eq!(affected.severity, Severity::ChangedUpstream);
    assert_eq!(affected.nodes[0].change.unique_id, "model.shop.stg_orders");
    assert_eq!(affected.nodes[0].read_through, ["model.shop.revenue"]);
}

#[test]
fn a_deleted_model_breaks_readers_and_declared_exposures_are_read() {
    let base = manifest(
        json!({"model.shop.orders": model("orders", "a")}),
        json!({}),
        json!({"exposure.shop.weekly": {"name": "weekly", "label": "Weekly",
               "owner": {"name": "Grace", "email": ["grace@example.com", "ops@example.com"]},
               "depends_on": {"nodes": ["model.shop.orders"]}}}),
    );
    let head = manifest(json!({}), json!({}), json!({}));
    let declared = &base.exposures[0];
    assert_eq!(
        declared.owner.as_ref().and_then(|o| o.email.as_deref()),
        Some("grace@example.com")
    );
    let weekly = ExposureUnderTest {
        name: declared.name.clone(),
        origin: Some(ExposureOrigin::Manual),
        depends_on: declared.depends_on.clone(),
        ..ExposureUnderTest::default()
    };
    let report = assess(&base, &head, &[weekly]);
    assert_eq!(report.affected[0].severity, Severity::Breaking);
    assert_eq!(
        report.affected[0].breaks,
        ["reads `model.shop.orders`, which is removed"]
    );
    assert_eq!(report.summary.nodes_removed, 1);
}

#[test]
fn breaking_comes_first_then_the_most_used() {
    let nodes = json!({"model.shop.a": model("a", "1"), "model.shop.b": model("b", "1")});
    let base = manifest(nodes, json!({}), json!({}));
    let head = manifest(
        json!({"model.shop.a": model("a", "2"), "model.shop.b": model("b", "2")}),
        json!({}),
        json!({}),
    );
    let used = |name: &str, hits: Option<u64>| ExposureUnderTest {
        hits_last_month: hits,
        ..reader(name, &["model.shop.a"])
    };
    let report = assess(
        &base,
        &head,
        &[
            used("rarely", Some(2)),
            used("unknown", None),
            used("often", Some(900)),
        ],
    );
    let order: Vec<&str> = report.affected.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(order, ["often", "rarely", "unknown"]);
}

#[test]
fn a_file_that_is_no_manifest_is_refused_with_what_is_wrong() {
    assert_eq!(
        ProjectState::from_manifest(b"{\"results\": []}"),
        Err(ManifestError::MissingField("nodes"))
    );
    assert_eq!(
        ProjectState::from_manifest(b"  "),
        Err(ManifestError::Empty)
    );
    assert!(matches!(
        ProjectState::from_manifest(b"{\"nodes\": {"),
        Err(ManifestError::Truncated { .. })
    ));
}
