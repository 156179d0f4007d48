//! Usage where people and dbt read it: `maturity` and the usage `meta` entries in the YAML,
//! the injected manifest's `maturity`, and a usage line on the lineage page.

use autoexpose_domain::usage_rules::Maturity;
use autoexpose_domain::{Exposure, Manifest, Usage};
use autoexpose_output::{
    InjectOptions, LineageOptions, YamlOptions, inject_exposures, lineage_html, to_dbt_yaml,
    usage_summary,
};

const MANIFEST: &str = r#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
   "dbt_version": "1.9.0", "project_name": "shop"},
   "nodes": {"model.shop.orders": {"resource_type": "model", "name": "orders", "alias": "orders",
     "database": "db", "schema": "s", "package_name": "shop"}},
   "sources": {}, "parent_map": {"model.shop.orders": []}, "child_map": {"model.shop.orders": []}}"#;

fn exposure(name: &str, usage: Option<Usage>, maturity: Option<Maturity>, stale: bool) -> Exposure {
    Exposure {
        name: name.into(),
        label: name.into(),
        exposure_type: "dashboard".into(),
        url: None,
        owner: None,
        description: None,
        depends_on: vec!["model.shop.orders".into()],
        workbook_luid: format!("wb-{name}"),
        project: "Finance".into(),
        project_luid: None,
        unmatched_tables: vec![],
        unparsed_custom_sql: vec![],
        referenced_columns: vec![],
        missing_columns: vec![],
        usage,
        maturity,
        stale,
    }
}

fn busy() -> Exposure {
    exposure(
        "busy",
        Some(Usage {
            hits_last_two_weeks: Some(120),
            hits_last_month: Some(250),
            hits_last_three_months: Some(700),
            hits_last_year: Some(2600),
            total_views: Some(5000),
        }),
        Some(Maturity::High),
        false,
    )
}

fn forgotten() -> Exposure {
    exposure(
        "forgotten",
        Some(Usage {
            total_views: Some(0),
            ..Usage::default()
        }),
        Some(Maturity::Low),
        true,
    )
}

#[test]
fn the_yaml_has_maturity_and_usage_meta_and_nothing_without_usage() {
    let manifest = Manifest::from_slice(MANIFEST.as_bytes()).expect("parses");
    let exposures = [busy(), forgotten(), exposure("quiet", None, None, false)];
    let yaml = to_dbt_yaml(&exposures, &manifest, &YamlOptions::default());
    let busy_block = &yaml[yaml.find("- name: busy").expect("busy")
        ..yaml.find("- name: forgotten").expect("forgotten")];
    assert!(busy_block.contains("maturity: high"), "{yaml}");
    assert!(
        busy_block.contains("tableau_hits_last_month: \"250\""),
        "{yaml}"
    );
    assert!(
        busy_block.contains("tableau_hits_last_year: \"2600\""),
        "{yaml}"
    );
    assert!(!busy_block.contains("tableau_stale"), "{yaml}");
    let forgotten_block = &yaml[yaml.find("- name: forgotten").expect("forgotten")
        ..yaml.find("- name: quiet").expect("quiet")];
    assert!(forgotten_block.contains("maturity: low"), "{yaml}");
    assert!(
        forgotten_block.contains("tableau_stale: \"true\""),
        "{yaml}"
    );
    assert!(
        forgotten_block.contains("tableau_total_views: \"0\""),
        "{yaml}"
    );
    assert!(
        !forgotten_block.contains("tableau_hits_last_month"),
        "{yaml}"
    );
    let quiet_block = &yaml[yaml.find("- name: quiet").expect("quiet")..];
    assert!(!quiet_block.contains("maturity"), "{yaml}");
    assert!(!quiet_block.contains("tableau_hits"), "{yaml}");
}

#[test]
fn the_injected_manifest_carries_maturity() {
    let exposures = [busy(), exposure("quiet", None, None, false)];
    let injected: serde_json::Value = serde_json::from_slice(
        &inject_exposures(MANIFEST.as_bytes(), &exposures, &InjectOptions::default())
            .expect("inject"),
    )
    .expect("JSON");
    assert_eq!(
        injected["exposures"]["exposure.shop.busy"]["maturity"],
        "high"
    );
    assert!(injected["exposures"]["exposure.shop.quiet"]["maturity"].is_null());
    assert_eq!(
        injected["exposures"]["exposure.shop.busy"]["meta"]["tableau_hits_last_month"],
        "250"
    );
}

#[test]
fn the_lineage_page_shows_usage_on_each_exposure() {
    let manifest = Manifest::from_slice(MANIFEST.as_bytes()).expect("parses");
    let html = lineage_html(
        &manifest,
        manifest.dag(),
        &[busy(), forgotten()],
        &LineageOptions::default(),
    );
    assert!(
        html.contains(
            "data-usage=\"250 hits in the last month, 700 in three months · maturity high\""
        ),
        "{html}"
    );
    assert!(html.contains("data-usage=\"0 views in all · maturity low · stale\""));
    assert!(html.contains("field(list, \"Usage\", get(\"usage\"))"));
    assert_eq!(usage_summary(&exposure("quiet", None, None, false)), "");
}
