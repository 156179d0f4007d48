//! `autoexpose match` end to end, as a person runs it.

use std::path::PathBuf;
use std::process::{Command, Output};

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/jaffle-shop")
        .join(name)
}

fn autoexpose(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_autoexpose"))
        .args(args)
        .output()
        .expect("autoexpose runs")
}

fn match_with(manifest: &std::path::Path, response: &std::path::Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "match",
        "--manifest",
        manifest.to_str().expect("utf-8 path"),
        "--tableau-response",
        response.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra);
    autoexpose(&args)
}

fn scratch_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("autoexpose-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write scratch file");
    path
}

#[test]
fn json_output_lists_exposures_with_the_documented_fields() {
    let out = match_with(
        &example("manifest.json"),
        &example("tableau-response.json"),
        &[
            "--format",
            "json",
            "--server-url",
            "10az.online.tableau.com",
            "--site",
            "acme",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let exposures = doc["exposures"].as_array().expect("exposures array");
    assert_eq!(exposures.len(), 5);
    let first = &exposures[0];
    for field in [
        "name",
        "label",
        "type",
        "url",
        "depends_on",
        "workbook_luid",
        "unmatched_tables",
    ] {
        assert!(first.get(field).is_some(), "missing {field} in {first}");
    }
    assert_eq!(first["name"], "executive_overview");
    assert_eq!(first["type"], "dashboard");
    assert_eq!(
        first["url"],
        "https://10az.online.tableau.com/#/site/acme/workbooks/15995/views"
    );
    assert_eq!(
        first["unmatched_tables"][0],
        "analytics.dbt_prod.orders_archive"
    );
}

#[test]
fn include_unmatched_adds_the_workbooks_that_matched_nothing() {
    let out = match_with(
        &example("manifest.json"),
        &example("tableau-response.json"),
        &["--format", "json", "--include-unmatched"],
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let sandbox = doc["exposures"]
        .as_array()
        .expect("array")
        .iter()
        .find(|e| e["name"] == "ops_sandbox")
        .expect("the unmatched workbook is included");
    assert_eq!(sandbox["depends_on"].as_array().map(Vec::len), Some(0));
    assert_eq!(
        sandbox["unmatched_tables"][0],
        "prod_analytics.dbt_prod.orders"
    );
}

#[test]
fn yaml_output_is_a_dbt_properties_file() {
    let out = match_with(
        &example("manifest.json"),
        &example("tableau-response.json"),
        &["--format", "yaml"],
    );
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.lines().any(|l| l == "version: 2"), "{text}");
    assert!(text.lines().any(|l| l == "exposures:"), "{text}");
    assert!(text.contains("- ref('customer_summary', v=2)"));
    assert!(text.contains("- source('ecom', 'raw_orders')"));
}

#[test]
fn table_output_ends_with_a_summary() {
    let out = match_with(
        &example("manifest.json"),
        &example("tableau-response.json"),
        &[],
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.starts_with("NAME"));
    assert!(text.contains("5 exposures from 6 workbooks"), "{text}");
}

fn assert_fails_cleanly(out: &Output, must_mention: &[&str]) {
    assert!(!out.status.success(), "should fail");
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "one clear message: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for needle in must_mention {
        assert!(stderr.contains(needle), "'{needle}' not in: {stderr}");
    }
}

#[test]
fn a_missing_manifest_is_named() {
    let out = match_with(
        std::path::Path::new("/nonexistent/manifest.json"),
        &example("tableau-response.json"),
        &[],
    );
    assert_fails_cleanly(&out, &["/nonexistent/manifest.json", "No such file"]);
}

#[test]
fn a_truncated_manifest_is_named_as_truncated() {
    let full = std::fs::read(example("manifest.json")).expect("example");
    let path = scratch_file("truncated.json", &full[..full.len() / 3]);
    let out = match_with(&path, &example("tableau-response.json"), &[]);
    assert_fails_cleanly(&out, &["truncated.json", "truncated"]);
}

#[test]
fn a_non_json_or_non_utf8_manifest_is_named() {
    let path = scratch_file("not-json.json", b"<html>502 Bad Gateway</html>");
    let out = match_with(&path, &example("tableau-response.json"), &[]);
    assert_fails_cleanly(&out, &["not-json.json", "not valid JSON"]);
    let path = scratch_file("latin1.json", b"{\"metadata\": \"caf\xe9\"}");
    let out = match_with(&path, &example("tableau-response.json"), &[]);
    assert_fails_cleanly(&out, &["latin1.json", "not UTF-8"]);
}

#[test]
fn a_wrongly_shaped_response_is_named() {
    let path = scratch_file(
        "errors.json",
        br#"{"data": null, "errors": [{"message": "Invalid authentication credentials"}]}"#,
    );
    let out = match_with(&example("manifest.json"), &path, &[]);
    assert_fails_cleanly(&out, &["errors.json", "Invalid authentication credentials"]);
    let path = scratch_file("shape.json", br#"{"workbooks": "none"}"#);
    let out = match_with(&example("manifest.json"), &path, &[]);
    assert_fails_cleanly(&out, &["shape.json", "shape"]);
}

#[test]
fn a_database_alias_turns_an_unmatched_workbook_into_an_exposure() {
    let out = match_with(
        &example("manifest.json"),
        &example("tableau-response.json"),
        &[
            "--format",
            "json",
            "--database-alias",
            "prod_analytics=analytics",
        ],
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let sandbox = doc["exposures"]
        .as_array()
        .expect("array")
        .iter()
        .find(|e| e["name"] == "ops_sandbox")
        .expect("the aliased workbook now matches");
    assert_eq!(sandbox["depends_on"][0], "model.jaffle_shop.orders");
    let bad = match_with(
        &example("manifest.json"),
        &example("tableau-response.json"),
        &["--database-alias", "no-equals-sign"],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("TABLEAU=DBT"));
}

#[test]
fn diagnose_reports_every_table_with_a_summary_line() {
    let out = autoexpose(&[
        "diagnose",
        "--manifest",
        example("manifest.json").to_str().expect("path"),
        "--tableau-response",
        example("tableau-response.json").to_str().expect("path"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        text.contains("--database-alias PROD_ANALYTICS=ANALYTICS"),
        "{text}"
    );
    // The spreadsheet is listed apart, not as unmatched: nothing in dbt can be it.
    assert!(
        text.contains(
            "13 tables: 9 matched, 2 unmatched with a near dbt relation, 0 unmatched with none, 1 hidden, 1 not in a warehouse"
        ),
        "{text}"
    );
}

#[test]
fn offline_export_writes_the_yaml_and_keeps_no_state() {
    let dir = std::env::temp_dir().join(format!("autoexpose-offline-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let out = Command::new(env!("CARGO_BIN_EXE_autoexpose"))
        .current_dir(&dir)
        .env_remove("AUTOEXPOSE_STORE")
        .env_remove("AUTOEXPOSE_DYNAMODB_TABLE")
        .args([
            "exposures",
            "export",
            "--manifest",
            example("manifest.json").to_str().expect("path"),
            "--tableau-response",
            example("tableau-response.json").to_str().expect("path"),
            "--out",
            "models",
        ])
        .output()
        .expect("autoexpose runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let yaml = std::fs::read_to_string(dir.join("models/imported_from_tableau/exposures.yml"))
        .expect("exposures.yml");
    assert!(yaml.contains("name: executive_overview"));
    assert!(
        !dir.join(".autoexpose").exists(),
        "an offline command created a store"
    );
}
