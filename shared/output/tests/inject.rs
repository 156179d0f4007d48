//! Injected exposures are the nodes dbt itself writes from the generated YAML, and the
//! manifest around them stays a manifest.

use std::path::PathBuf;

use autoexpose_domain::{Exposure, Manifest};
use autoexpose_output::{InjectError, InjectOptions, YamlOptions, inject_exposures};
use serde_json::{Value, json};

fn fixture_dir(version: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/inject/dbt{version}"))
}

fn read(version: &str, name: &str) -> Vec<u8> {
    let path = fixture_dir(version).join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("JSON")
}

/// The options `autoexpose match --site acme --format yaml` renders with.
fn options() -> InjectOptions {
    InjectOptions {
        render: YamlOptions {
            site: Some("acme".into()),
            fallback_owner: "Tableau".into(),
            ..YamlOptions::default()
        },
        ..InjectOptions::default()
    }
}

fn exposures(version: &str) -> Vec<Exposure> {
    serde_json::from_slice(&read(version, "exposures.json")).expect("exposures")
}

fn sorted(value: &Value) -> Value {
    let mut items: Vec<String> = value
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_str().map_or_else(|| v.to_string(), String::from))
        .collect();
    items.sort();
    json!(items)
}

/// A node without what may differ between two parses (time, list order).
fn comparable(node: &Value) -> Value {
    let mut node = node.clone();
    node.as_object_mut().expect("node").remove("created_at");
    node["depends_on"]["nodes"] = sorted(&node["depends_on"]["nodes"]);
    node["refs"] = sorted(&node["refs"]);
    node["sources"] = sorted(&node["sources"]);
    node
}

fn injected_nodes_equal_dbts(version: &str) {
    let out = inject_exposures(
        &read(version, "manifest_before.json"),
        &exposures(version),
        &options(),
    )
    .expect("inject");
    let injected = json_of(&out);
    let dbt = json_of(&read(version, "dbt_wrote.json"));
    let dbt_exposures = dbt["exposures"].as_object().expect("exposures");
    assert_eq!(dbt_exposures.len(), 4);
    for (id, node) in dbt_exposures {
        let ours = &injected["exposures"][id];
        let mut our_keys: Vec<&String> = ours.as_object().expect("injected node").keys().collect();
        let mut dbt_keys: Vec<&String> = node.as_object().expect("dbt node").keys().collect();
        our_keys.sort();
        dbt_keys.sort();
        assert_eq!(our_keys, dbt_keys, "{id}: keys");
        assert_eq!(comparable(ours), comparable(node), "{id}");
        assert_eq!(
            injected["parent_map"][id], dbt["parent_map"][id],
            "parent_map of {id}"
        );
    }
    for (parent, children) in dbt["child_map"].as_object().expect("child_map") {
        assert_eq!(
            &injected["child_map"][parent], children,
            "child_map of {parent}"
        );
    }
}

#[test]
fn injected_nodes_equal_what_dbt_1_9_wrote_from_the_yaml() {
    injected_nodes_equal_dbts("1.9");
}

#[test]
fn injected_nodes_equal_what_dbt_1_11_wrote_from_the_yaml() {
    injected_nodes_equal_dbts("1.11");
}

#[test]
fn injected_manifest_reads_back_with_its_exposures() {
    let out = inject_exposures(
        &read("1.11", "manifest_before.json"),
        &exposures("1.11"),
        &options(),
    )
    .expect("inject");
    let manifest = Manifest::from_slice(&out).expect("still a manifest");
    let ids: Vec<&str> = manifest
        .exposures
        .iter()
        .map(|e| e.unique_id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "exposure.shop.2024",
            "exposure.shop.finance_overview",
            "exposure.shop.null",
            "exposure.shop.sales_q3_1"
        ]
    );
    let finance = &manifest.exposures[1];
    assert_eq!(finance.owner_name.as_deref(), Some("Ada Lovelace"));
    assert!(
        finance
            .depends_on
            .contains(&"seed.shop.country_codes".to_string())
    );
}

#[test]
fn reinjecting_replaces_the_exposure_and_drops_its_old_edges() {
    let mut exposures = exposures("1.11");
    let first = inject_exposures(
        &read("1.11", "manifest_before.json"),
        &exposures,
        &options(),
    )
    .expect("inject");
    let sales = exposures
        .iter_mut()
        .find(|e| e.name == "sales_q3_1")
        .expect("sales exposure");
    assert!(
        sales
            .depends_on
            .contains(&"source.shop.legacy.raw_orders".to_string())
    );
    sales.depends_on = vec!["model.shop.orders".into()];
    let second = json_of(&inject_exposures(&first, &exposures, &options()).expect("reinject"));
    let id = "exposure.shop.sales_q3_1";
    assert_eq!(second["exposures"].as_object().expect("map").len(), 4);
    assert_eq!(second["parent_map"][id], json!(["model.shop.orders"]));
    let old_children = second["child_map"]["source.shop.legacy.raw_orders"]
        .as_array()
        .expect("children");
    assert!(!old_children.contains(&json!(id)), "{old_children:?}");
    assert!(
        second["child_map"]["model.shop.orders"]
            .as_array()
            .expect("children")
            .contains(&json!(id))
    );
}

fn small_manifest(schema: u32, dbt_version: &str, project: Option<&str>) -> Vec<u8> {
    let metadata = match project {
        Some(p) => {
            json!({"dbt_schema_version": format!("https://schemas.getdbt.com/dbt/manifest/v{schema}.json"),
                          "dbt_version": dbt_version, "project_name": p})
        }
        None => {
            json!({"dbt_schema_version": format!("https://schemas.getdbt.com/dbt/manifest/v{schema}.json"),
                       "dbt_version": dbt_version})
        }
    };
    json!({
        "metadata": metadata,
        "nodes": {"model.shop.orders": {"resource_type": "model", "name": "orders", "alias": "orders",
            "database": "db", "schema": "s", "package_name": "shop", "root_path": "/home/dbt/shop"}},
        "sources": {},
        "exposures": {"exposure.shop.manual": {"name": "manual", "unique_id": "exposure.shop.manual",
            "type": "notebook", "owner": {"email": "a@b.c"},
            "depends_on": {"macros": [], "nodes": ["model.shop.orders"]}}},
        "parent_map": {"model.shop.orders": [], "exposure.shop.manual": ["model.shop.orders"]},
        "child_map": {"model.shop.orders": ["exposure.shop.manual"], "exposure.shop.manual": []}
    })
    .to_string()
    .into_bytes()
}

fn exposure_on_orders() -> Exposure {
    Exposure {
        name: "sales".into(),
        label: "Sales".into(),
        exposure_type: "dashboard".into(),
        url: None,
        owner: None,
        description: None,
        depends_on: vec!["model.shop.orders".into()],
        workbook_luid: "wb-1".into(),
        project: "Finance".into(),
        project_luid: None,
        unmatched_tables: vec![],
        unparsed_custom_sql: vec![],
        referenced_columns: vec![],
        missing_columns: vec![],
        usage: None,
        maturity: None,
        stale: false,
    }
}

#[test]
fn manual_exposures_are_left_as_they_were() {
    let before = small_manifest(12, "1.11.2", Some("shop"));
    let out =
        json_of(&inject_exposures(&before, &[exposure_on_orders()], &options()).expect("inject"));
    assert_eq!(
        out["exposures"]["exposure.shop.manual"],
        json_of(&before)["exposures"]["exposure.shop.manual"]
    );
    assert_eq!(
        out["child_map"]["model.shop.orders"],
        json!(["exposure.shop.manual", "exposure.shop.sales"])
    );
}

#[test]
fn v7_nodes_have_list_refs_root_path_no_metrics_and_a_required_email() {
    let before = small_manifest(7, "1.3.8", Some("shop"));
    let out =
        json_of(&inject_exposures(&before, &[exposure_on_orders()], &options()).expect("inject"));
    let node = &out["exposures"]["exposure.shop.sales"];
    // The keys of a real dbt 1.3.8 exposure node (gen-classic-dbt1.3-v7).
    let mut expected = vec![
        "fqn",
        "unique_id",
        "package_name",
        "root_path",
        "path",
        "original_file_path",
        "name",
        "type",
        "owner",
        "resource_type",
        "description",
        "label",
        "maturity",
        "meta",
        "tags",
        "config",
        "unrendered_config",
        "url",
        "depends_on",
        "refs",
        "sources",
        "created_at",
    ];
    expected.sort_unstable();
    let mut keys: Vec<&str> = node
        .as_object()
        .expect("node")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(node["refs"], json!([["orders"]]));
    assert_eq!(node["root_path"], "/home/dbt/shop");
    assert_eq!(node["owner"], json!({"name": "Tableau", "email": ""}));
}

#[test]
fn a_manifest_without_a_root_project_is_refused() {
    let before = small_manifest(8, "1.4.10", None);
    let err = inject_exposures(&before, &[exposure_on_orders()], &options()).expect_err("refused");
    assert_eq!(err, InjectError::NoRootProject);
}

#[test]
fn a_manifest_that_is_not_json_is_refused_with_the_manifest_error() {
    let err = inject_exposures(b"{\"metadata\": ", &[exposure_on_orders()], &options())
        .expect_err("refused");
    assert!(matches!(err, InjectError::Manifest(_)), "{err}");
}

/// A manifest as dbt writes it, with a number beyond f64 (`1e400`) in a node's `meta`:
/// the reader skips it, so injecting must not refuse it.
fn manifest_with_a_huge_number() -> String {
    let small = String::from_utf8(small_manifest(12, "1.11.2", Some("shop"))).expect("UTF-8");
    small.replace(
        r#""package_name":"shop","#,
        r#""package_name":"shop", "meta": {"rows": 1e400,  "ratio": -2.5E-500},"#,
    )
}

#[test]
fn a_number_beyond_f64_that_the_reader_accepts_is_injected_and_kept_byte_for_byte() {
    let before = manifest_with_a_huge_number();
    assert!(before.contains("1e400"), "{before}");
    Manifest::from_slice(before.as_bytes()).expect("the reader accepts it");
    let out = inject_exposures(before.as_bytes(), &[exposure_on_orders()], &options())
        .expect("inject accepts what the reader accepts");
    let out = String::from_utf8(out).expect("UTF-8");
    let nodes_before = block(&before, "nodes");
    assert_eq!(block(&out, "nodes"), nodes_before);
    assert!(
        out.contains(r#""rows": 1e400,  "ratio": -2.5E-500"#),
        "{out}"
    );
    let manifest = Manifest::from_slice(out.as_bytes()).expect("still a manifest");
    let ids: Vec<&str> = manifest
        .exposures
        .iter()
        .map(|e| e.unique_id.as_str())
        .collect();
    assert_eq!(ids, ["exposure.shop.manual", "exposure.shop.sales"]);
}

/// The text of the first object under `key`, from its key to the end of its value.
fn block<'a>(json: &'a str, key: &str) -> &'a str {
    let start = json.find(&format!(r#""{key}":{{"#)).expect("block");
    let rest = &json[start..];
    let mut depth = 0;
    for (i, c) in rest.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 1 => return &rest[..=i],
            '}' => depth -= 1,
            _ => {}
        }
    }
    rest
}

#[test]
fn blocks_inject_does_not_touch_keep_their_order_and_spacing() {
    let before = br#"{"nodes": {"model.shop.orders": {"resource_type": "model", "name": "orders",
        "alias": "orders", "database": "db", "schema": "s", "package_name": "shop"}},
      "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
        "dbt_version": "1.11.2", "project_name": "shop"},
      "sources": {}, "zzz_extra": [1.0, 1e400], "exposures": {}, "parent_map": null}"#;
    let out = inject_exposures(before, &[exposure_on_orders()], &options()).expect("inject");
    let out = String::from_utf8(out).expect("UTF-8");
    assert!(
        out.starts_with(
            r#"{"nodes":{"model.shop.orders": {"resource_type": "model", "name": "orders",
        "alias": "orders""#
        ),
        "{out}"
    );
    assert!(out.contains(r#""zzz_extra":[1.0, 1e400]"#), "{out}");
    // A map dbt left null stays null.
    assert!(out.ends_with(r#""parent_map":null}"#), "{out}");
}
