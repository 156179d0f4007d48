//! The dbt YAML uses the right Jinja forms and puts `meta` where the dbt version expects it.

use autoexpose_domain::{Exposure, Manifest, Relation, RelationKind};
use autoexpose_output::{YamlOptions, dbt_yaml_files, dependency_call, to_dbt_yaml};

fn relation(kind: RelationKind, package: &str, name: &str) -> Relation {
    Relation {
        unique_id: format!("x.{package}.{name}"),
        kind,
        package: package.into(),
        name: name.into(),
        source_name: None,
        version: None,
        database: Some("db".into()),
        schema: "s".into(),
        identifier: name.into(),
        columns: Default::default(),
    }
}

#[test]
fn dependency_calls_use_ref_source_package_and_version_forms() {
    let root = Some("shop");
    assert_eq!(
        dependency_call(&relation(RelationKind::Model, "shop", "orders"), root),
        "ref('orders')"
    );
    assert_eq!(
        dependency_call(&relation(RelationKind::Model, "utils", "spine"), root),
        "ref('utils', 'spine')"
    );
    let mut versioned = relation(RelationKind::Model, "shop", "customers");
    versioned.version = Some("2".into());
    assert_eq!(dependency_call(&versioned, root), "ref('customers', v=2)");
    let mut source = relation(RelationKind::Source, "shop", "raw_orders");
    source.source_name = Some("ecom".into());
    assert_eq!(
        dependency_call(&source, root),
        "source('ecom', 'raw_orders')"
    );
    assert_eq!(
        dependency_call(&relation(RelationKind::Seed, "shop", "it's"), root),
        "ref('it\\'s')"
    );
    // Without a known root project the package is always named, which dbt accepts too.
    assert_eq!(
        dependency_call(&relation(RelationKind::Snapshot, "shop", "snap"), None),
        "ref('shop', 'snap')"
    );
}

fn manifest_of_version(version: &str) -> Manifest {
    let text = format!(
        r#"{{"metadata": {{"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
           "dbt_version": "{version}", "project_name": "shop"}},
           "nodes": {{"model.shop.orders": {{"resource_type": "model", "name": "orders", "alias": "orders",
             "database": "db", "schema": "s", "package_name": "shop"}}}}}}"#
    );
    Manifest::from_slice(text.as_bytes()).expect("parses")
}

fn exposure() -> Exposure {
    Exposure {
        name: "revenue".into(),
        label: "Revenue: Q3 \"final\"".into(),
        exposure_type: "dashboard".into(),
        url: Some("https://t/#/site/a/workbooks/1/views".into()),
        owner: None,
        description: Some("Line one\nline two: with colon".into()),
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
fn meta_goes_under_config_from_dbt_1_10_and_top_level_before() {
    let options = YamlOptions {
        fallback_owner: "Tableau".into(),
        ..YamlOptions::default()
    };
    let new = to_dbt_yaml(&[exposure()], &manifest_of_version("1.10.2"), &options);
    let old = to_dbt_yaml(&[exposure()], &manifest_of_version("1.9.8"), &options);
    let parsed_new: serde_json::Value = serde_saphyr_value(&new);
    let parsed_old: serde_json::Value = serde_saphyr_value(&old);
    assert_eq!(
        parsed_new["exposures"][0]["config"]["meta"]["tableau_workbook_luid"],
        "wb-1"
    );
    assert!(parsed_new["exposures"][0].get("meta").is_none());
    assert_eq!(
        parsed_old["exposures"][0]["meta"]["tableau_workbook_luid"],
        "wb-1"
    );
    assert!(parsed_old["exposures"][0].get("config").is_none());
}

#[test]
fn yaml_round_trips_awkward_text_and_falls_back_for_a_missing_owner() {
    let options = YamlOptions {
        fallback_owner: "Tableau".into(),
        ..YamlOptions::default()
    };
    let yaml = to_dbt_yaml(&[exposure()], &manifest_of_version("1.11.0"), &options);
    let parsed = serde_saphyr_value(&yaml);
    assert_eq!(parsed["version"], 2);
    let e = &parsed["exposures"][0];
    assert_eq!(e["label"], "Revenue: Q3 \"final\"");
    assert_eq!(e["description"], "Line one\nline two: with colon");
    assert_eq!(e["owner"]["name"], "Tableau");
    assert_eq!(e["depends_on"][0], "ref('orders')");
}

fn serde_saphyr_value(yaml: &str) -> serde_json::Value {
    serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("YAML does not parse: {e}\n{yaml}"))
}

fn exposure_named(name: &str, label: &str) -> Exposure {
    Exposure {
        name: name.into(),
        label: label.into(),
        description: None,
        ..exposure()
    }
}

#[test]
fn strings_yaml_1_1_would_misread_are_quoted_and_read_back_unchanged() {
    let labels = [
        "2024",
        "yes",
        "No",
        "null",
        "~",
        "1e3",
        "-",
        "on",
        "2024-01-01",
        ".inf",
        "0x1F",
        "Sales: \"Q3\" #1",
        " padded",
        "trailing:",
        "@home",
        "a\u{2028}b",
    ];
    let exposures: Vec<Exposure> = labels
        .iter()
        .enumerate()
        .map(|(i, label)| exposure_named(&format!("e{i:02}"), label))
        .collect();
    let options = YamlOptions {
        fallback_owner: "Tableau".into(),
        ..YamlOptions::default()
    };
    let yaml = to_dbt_yaml(&exposures, &manifest_of_version("1.11.0"), &options);
    let parsed = serde_saphyr_value(&yaml);
    for (i, label) in labels.iter().enumerate() {
        assert_eq!(parsed["exposures"][i]["label"], *label, "{yaml}");
        let line = format!("    label: {label}\n");
        assert!(!yaml.contains(&line), "'{label}' is written plain:\n{yaml}");
    }
    // Meta values that look like other types stay strings too.
    let mut numeric_project = exposure();
    numeric_project.project = "2024".into();
    let yaml = to_dbt_yaml(&[numeric_project], &manifest_of_version("1.9.0"), &options);
    assert!(yaml.contains("tableau_project: \"2024\"\n"), "{yaml}");
}

#[test]
fn multi_line_descriptions_are_literal_blocks_that_read_back_exactly() {
    let descriptions = [
        "Quarterly sales.\nSee: the #sales channel\n\n  - indented: yes",
        "ends with a newline\n",
        "  starts indented\nsecond",
        "tab\tand\r\nwindows",
    ];
    let options = YamlOptions {
        fallback_owner: "Tableau".into(),
        ..YamlOptions::default()
    };
    for text in descriptions {
        let mut e = exposure();
        e.description = Some(text.into());
        let yaml = to_dbt_yaml(&[e], &manifest_of_version("1.11.0"), &options);
        assert_eq!(
            serde_saphyr_value(&yaml)["exposures"][0]["description"],
            text,
            "{yaml}"
        );
    }
    let mut e = exposure();
    e.description = Some("line one\nline two".into());
    let yaml = to_dbt_yaml(&[e], &manifest_of_version("1.11.0"), &options);
    assert!(
        yaml.contains("    description: |-\n      line one\n      line two\n"),
        "{yaml}"
    );
}

#[test]
fn output_is_the_same_bytes_whatever_the_input_order() {
    let options = YamlOptions {
        fallback_owner: "Tableau".into(),
        extra_meta: [
            ("synced_at", "2026-04-13T13:09:40Z"),
            ("integration_id", "int-1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
        ..YamlOptions::default()
    };
    let a = exposure_named("alpha", "Alpha");
    let b = exposure_named("beta", "Beta");
    let manifest = manifest_of_version("1.11.0");
    let forward = to_dbt_yaml(&[a.clone(), b.clone()], &manifest, &options);
    let backward = to_dbt_yaml(&[b, a], &manifest, &options);
    assert_eq!(forward, backward);
    assert!(forward.find("name: alpha") < forward.find("name: beta"));
    let keys: Vec<&str> = forward
        .lines()
        .skip_while(|l| !l.contains("meta:"))
        .skip(1)
        .take_while(|l| l.starts_with("        "))
        .map(|l| l.trim().split(':').next().unwrap_or_default())
        .collect();
    assert_eq!(
        keys,
        [
            "exposure_mode",
            "integration",
            "integration_id",
            "synced_at",
            "tableau_project",
            "tableau_workbook_luid"
        ]
    );
}

#[test]
fn exposures_go_to_one_file_under_imported_from_tableau() {
    let options = YamlOptions::default();
    let manifest = manifest_of_version("1.11.0");
    let files = dbt_yaml_files(&[exposure()], &manifest, &options);
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].path, "imported_from_tableau/exposures.yml");
    assert_eq!(
        files[0].contents,
        to_dbt_yaml(&[exposure()], &manifest, &options)
    );
    let empty = dbt_yaml_files(&[], &manifest, &options);
    assert_eq!(
        serde_saphyr_value(&empty[0].contents)["exposures"],
        serde_json::json!([])
    );
}

#[test]
fn dbt_1_4_gets_an_owner_email_and_later_versions_only_a_known_one() {
    let manifest = manifest_of_version("1.4.10");
    let without = YamlOptions {
        fallback_owner: "BI team".into(),
        ..YamlOptions::default()
    };
    let with = YamlOptions {
        fallback_owner_email: Some("data@example.com".into()),
        ..without.clone()
    };
    let owner = |yaml: &str| serde_saphyr_value(yaml)["exposures"][0]["owner"].clone();
    assert_eq!(
        owner(&to_dbt_yaml(&[exposure()], &manifest, &with)),
        serde_json::json!({"name": "BI team", "email": "data@example.com"})
    );
    assert_eq!(
        owner(&to_dbt_yaml(&[exposure()], &manifest, &without)),
        serde_json::json!({"name": "BI team", "email": ""})
    );
    assert_eq!(
        owner(&to_dbt_yaml(
            &[exposure()],
            &manifest_of_version("1.5.0"),
            &with
        )),
        serde_json::json!({"name": "BI team"})
    );
    // An empty fallback still gives dbt the owner name it requires.
    let nameless = YamlOptions::default();
    assert_eq!(
        owner(&to_dbt_yaml(
            &[exposure()],
            &manifest_of_version("1.11.0"),
            &nameless
        ))["name"],
        "autoexpose"
    );
}
