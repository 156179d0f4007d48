//! Real dbt accepts the exposures YAML autoexpose writes, and resolves each exposure to
//! exactly the nodes autoexpose matched; the manifest injection writes the same nodes dbt does.
//!
//! Needs the dbt virtualenvs of `infra/setup-dbt-venvs.sh` (dbt-core 1.9, 1.11 and 1.12 with
//! dbt-duckdb); it fails, rather than skips, without them. `dbt parse` connects to nothing.
//!
//! Set `AUTOEXPOSE_WRITE_INJECT_FIXTURES=<dir>` to also write what dbt produced, trimmed,
//! as the fixtures of `shared/output/tests/inject.rs`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use autoexpose_domain::Exposure;
use autoexpose_output::{InjectOptions, YamlOptions, inject_exposures};
use serde_json::{Value, json};

fn workspace_root() -> PathBuf {
    let cli = Path::new(env!("CARGO_MANIFEST_DIR"));
    cli.parent().unwrap_or(cli).to_path_buf()
}

/// The `dbt` executable of one venv; fails the test with what to run when it is missing.
fn dbt_executable(version: &str) -> PathBuf {
    let dbt = workspace_root()
        .join(".venv-dbt")
        .join(version)
        .join("bin")
        .join("dbt");
    assert!(
        dbt.is_file(),
        "dbt {version} is not installed at {}: run `bash infra/setup-dbt-venvs.sh` first",
        dbt.display()
    );
    dbt
}

/// A copy of the fixture project in a fresh temporary directory, removed on drop.
struct Project {
    dir: PathBuf,
}

impl Project {
    fn copy_fixture(tag: &str) -> Project {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir = std::env::temp_dir().join(format!(
            "autoexpose-dbt-parse-{tag}-{}-{nanos}",
            std::process::id()
        ));
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dbt_project");
        copy_dir(&fixture, &dir);
        // What `dbt deps` does with the local package of packages.yml.
        copy_dir(
            &fixture.join("local_packages/shop_utils"),
            &dir.join("dbt_packages/shop_utils"),
        );
        std::fs::write(
            dir.join("profiles.yml"),
            format!(
                "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: '{}'\n",
                dir.join("shop.duckdb").display()
            ),
        )
        .expect("write profiles.yml");
        Project { dir }
    }

    /// Runs `dbt parse` and returns the manifest it wrote; panics with dbt's output on failure.
    fn parse(&self, dbt: &Path) -> Value {
        let output = Command::new(dbt)
            .args(["parse", "--no-version-check", "--no-partial-parse"])
            .arg("--profiles-dir")
            .arg(&self.dir)
            .current_dir(&self.dir)
            .env("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
            .output()
            .expect("start dbt");
        assert!(
            output.status.success(),
            "dbt parse failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        read_json(&self.dir.join("target/manifest.json"))
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create directory");
    for entry in std::fs::read_dir(from).expect("read fixture directory") {
        let entry = entry.expect("read fixture entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy fixture file");
        }
    }
}

fn read_json(path: &Path) -> Value {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn table(name: &str, schema: &str, database: &str) -> Value {
    json!({"name": name, "schema": schema, "database": {"name": database, "connectionType": "duckdb"}})
}

/// A Metadata API listing whose tables name the fixture's relations in mixed case, with an
/// owner-less workbook and names and descriptions YAML could misread.
fn tableau_listing() -> Value {
    json!({"data": {"workbooks": [
        {"name": "Finance Overview", "luid": "wb-finance", "uri": "sites/1/workbooks/101",
         "projectName": "Finance", "projectLuid": "pr-finance",
         "owner": {"name": "Ada Lovelace", "email": "ada@example.com"},
         "upstreamTables": [table("ORDERS", "MAIN", "SHOP"), table("Orders_Daily", "MAIN_REPORTING", "shop"),
                            table("customeraccounts", "CRM", "Shop"), table("Country_Codes", "main", "shop")]},
        {"name": "2024", "luid": "wb-2024", "uri": "sites/1/workbooks/102",
         "projectName": "yes", "projectLuid": "pr-yes",
         "upstreamTables": [table("CUSTOMER_SUMMARY_V1", "MAIN", "SHOP"), table("Customer_Summary_V2", "main", "shop"),
                            table("CALENDAR", "MAIN", "SHOP"), table("Orders_Snapshot", "SNAPSHOTS", "SHOP")]},
        {"name": "Sales: \"Q3\" #1", "luid": "wb-sales", "uri": "sites/1/workbooks/103",
         "projectName": "Sales", "description": "Quarterly sales.\nSee: the #sales channel\n\n  - indented: yes",
         "owner": {"email": "sales@example.com"},
         "upstreamTables": [table("RAW_ORDERS", "CRM", "SHOP"), table("ORDER_TOTALS_EPHEMERAL", "MAIN", "SHOP")]},
        {"name": "null", "luid": "wb-null", "uri": "sites/1/workbooks/104",
         "projectName": "1e3", "owner": {"name": "-"},
         "upstreamTables": [table("stg_orders", "main", "shop")]}
    ]}})
}

fn autoexpose(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_autoexpose"))
        .args(args)
        .output()
        .expect("start autoexpose");
    assert!(
        output.status.success(),
        "autoexpose {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn sorted_strings(value: &Value) -> Vec<String> {
    let mut items: Vec<String> = value
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), String::from))
                .collect()
        })
        .unwrap_or_default();
    items.sort();
    items
}

/// An exposure node with what may legitimately differ (parse time, list order) normalized.
fn comparable(node: &Value) -> Value {
    let mut node = node.clone();
    if let Some(map) = node.as_object_mut() {
        map.remove("created_at");
    }
    node["depends_on"]["nodes"] = json!(sorted_strings(&node["depends_on"]["nodes"]));
    node["refs"] = json!(sorted_strings(&node["refs"]));
    node["sources"] = json!(sorted_strings(&node["sources"]));
    node
}

/// Parses the fixture with one dbt version, writes autoexpose's YAML into it, parses again
/// and checks every exposure dbt resolved against what autoexpose computed.
fn dbt_accepts_the_generated_yaml(version: &str, meta_in_config: bool) {
    let dbt = dbt_executable(version);
    let project = Project::copy_fixture(version);
    let before = project.parse(&dbt);
    let before_path = project.dir.join("manifest-before.json");
    std::fs::copy(project.dir.join("target/manifest.json"), &before_path).expect("keep manifest");
    let listing_path = project.dir.join("tableau.json");
    std::fs::write(&listing_path, tableau_listing().to_string()).expect("write listing");
    let common = [
        "match",
        "--manifest",
        before_path.to_str().expect("utf-8 path"),
        "--tableau-response",
        listing_path.to_str().expect("utf-8 path"),
        "--server-url",
        "https://tableau.example.com",
        "--site",
        "acme",
    ];

    let report: Value =
        serde_json::from_str(&autoexpose(&[&common[..], &["--format", "json"]].concat()))
            .expect("match --format json prints JSON");
    let exposures: Vec<Exposure> =
        serde_json::from_value(report["exposures"].clone()).expect("exposures deserialize");
    assert_eq!(exposures.len(), 4, "every workbook matched something");
    let matched: BTreeSet<&str> = exposures
        .iter()
        .flat_map(|e| e.depends_on.iter().map(String::as_str))
        .collect();
    for kind in [
        "model.shop.orders_daily",
        "model.shop.customer_summary.v1",
        "model.shop_utils.calendar",
        "seed.shop.country_codes",
        "snapshot.shop.orders_snapshot",
        "source.shop.legacy.customer_accounts",
    ] {
        assert!(
            matched.contains(kind),
            "the listing should match {kind}; matched {matched:?}"
        );
    }

    // The files come from `autoexpose exposures export`, as a dbt Core user writes them.
    let models = project.dir.join("models");
    let yaml_path = models.join("imported_from_tableau/exposures.yml");
    let offline = &common[1..];
    autoexpose(
        &[
            &["exposures", "export"][..],
            offline,
            &["--out", models.to_str().expect("utf-8 path")],
        ]
        .concat(),
    );
    let yaml = std::fs::read_to_string(&yaml_path).expect("read YAML");
    let after = project.parse(&dbt);

    let dbt_exposures = after["exposures"].as_object().expect("exposures map");
    let ids: BTreeSet<&str> = dbt_exposures.keys().map(String::as_str).collect();
    let expected: BTreeSet<String> = exposures
        .iter()
        .map(|e| format!("exposure.shop.{}", e.name))
        .collect();
    assert_eq!(
        ids,
        expected.iter().map(String::as_str).collect(),
        "YAML:\n{yaml}"
    );
    for exposure in &exposures {
        let node = &dbt_exposures[&format!("exposure.shop.{}", exposure.name)];
        assert_eq!(
            sorted_strings(&node["depends_on"]["nodes"]),
            exposure.depends_on,
            "{}",
            exposure.name
        );
        assert_eq!(node["label"], exposure.label.as_str(), "YAML:\n{yaml}");
        assert_eq!(
            node["description"],
            exposure.description.as_deref().unwrap_or_default()
        );
        let (placed, absent) = if meta_in_config {
            (&node["config"]["meta"], &node["unrendered_config"]["meta"])
        } else {
            (&node["meta"], &node["config"]["meta"])
        };
        assert_eq!(
            placed["tableau_workbook_luid"],
            exposure.workbook_luid.as_str()
        );
        assert_eq!(
            placed["tableau_project"],
            exposure.project.as_str(),
            "YAML:\n{yaml}"
        );
        assert_eq!(placed["tableau_site"], "acme");
        if meta_in_config {
            assert_eq!(absent, placed, "dbt {version} read meta from config:");
        } else {
            assert!(absent.is_null(), "dbt {version} has no config.meta");
        }
    }
    let ownerless = &dbt_exposures["exposure.shop.2024"];
    assert_eq!(ownerless["owner"]["name"], "Tableau");

    // The injected manifest holds the very nodes dbt wrote from the YAML.
    let options = InjectOptions {
        render: YamlOptions {
            site: Some("acme".into()),
            fallback_owner: "Tableau".into(),
            ..YamlOptions::default()
        },
        ..InjectOptions::default()
    };
    let before_bytes = std::fs::read(&before_path).expect("read manifest");
    let injected: Value = serde_json::from_slice(
        &inject_exposures(&before_bytes, &exposures, &options).expect("inject"),
    )
    .expect("injected JSON");
    for (id, node) in dbt_exposures {
        assert_eq!(
            comparable(&injected["exposures"][id]),
            comparable(node),
            "{id}"
        );
        assert_eq!(
            injected["parent_map"][id], after["parent_map"][id],
            "parent_map of {id}"
        );
        for parent in sorted_strings(&node["depends_on"]["nodes"]) {
            assert_eq!(
                injected["child_map"][&parent], after["child_map"][&parent],
                "child_map of {parent}"
            );
        }
    }
    // `autoexpose exposures inject` writes the same nodes as the library call above.
    let injected_path = project.dir.join("manifest-injected.json");
    autoexpose(
        &[
            &["exposures", "inject"][..],
            offline,
            &["--out", injected_path.to_str().expect("utf-8 path")],
        ]
        .concat(),
    );
    let from_cli: Value =
        serde_json::from_slice(&std::fs::read(&injected_path).expect("injected manifest"))
            .expect("injected JSON");
    for id in dbt_exposures.keys() {
        assert_eq!(
            comparable(&from_cli["exposures"][id]),
            comparable(&injected["exposures"][id]),
            "{id}"
        );
    }
    if let Ok(dir) = std::env::var("AUTOEXPOSE_WRITE_INJECT_FIXTURES") {
        write_inject_fixtures(
            &Path::new(&dir).join(format!("dbt{version}")),
            before,
            &exposures,
            &after,
        );
    }
}

/// Writes the inputs and dbt's output for `shared/output/tests/inject.rs`, trimmed of
/// macros and docs (thousands of lines that exposures do not touch).
fn write_inject_fixtures(dir: &Path, mut before: Value, exposures: &[Exposure], after: &Value) {
    std::fs::create_dir_all(dir).expect("create fixture directory");
    before["macros"] = json!({});
    before["docs"] = json!({});
    let mut parent_map = serde_json::Map::new();
    let mut child_map = serde_json::Map::new();
    for (id, node) in after["exposures"].as_object().into_iter().flatten() {
        parent_map.insert(id.clone(), after["parent_map"][id].clone());
        for parent in sorted_strings(&node["depends_on"]["nodes"]) {
            child_map.insert(parent.clone(), after["child_map"][&parent].clone());
        }
    }
    let dbt_wrote =
        json!({"exposures": after["exposures"], "parent_map": parent_map, "child_map": child_map});
    let write = |name: &str, value: &Value| {
        let text = serde_json::to_string_pretty(value).expect("serialize") + "\n";
        std::fs::write(dir.join(name), text).expect("write fixture");
    };
    write("manifest_before.json", &before);
    write("exposures.json", &json!(exposures));
    write("dbt_wrote.json", &dbt_wrote);
}

#[test]
fn dbt_1_9_parses_the_yaml_with_meta_at_the_top_level() {
    dbt_accepts_the_generated_yaml("1.9", false);
}

#[test]
fn dbt_1_11_parses_the_yaml_with_meta_under_config() {
    dbt_accepts_the_generated_yaml("1.11", true);
}

#[test]
fn dbt_1_12_parses_the_yaml_with_meta_under_config() {
    dbt_accepts_the_generated_yaml("1.12", true);
}

/// Writes exposures whose workbooks carry Tableau usage (one busy, one nobody opened for
/// three months) into the fixture and checks dbt reads their `maturity` and usage `meta`.
fn dbt_reads_maturity_and_usage(version: &str, meta_in_config: bool) {
    use autoexpose_domain::{
        Manifest, MatchOptions, UpstreamTable, Usage, Workbook, build_exposures,
    };
    let dbt = dbt_executable(version);
    let project = Project::copy_fixture(&format!("usage-{version}"));
    project.parse(&dbt);
    let manifest_bytes =
        std::fs::read(project.dir.join("target/manifest.json")).expect("read manifest");
    let manifest = Manifest::from_slice(&manifest_bytes).expect("dbt's manifest reads");
    let workbook = |luid: &str, name: &str, usage: Usage| Workbook {
        luid: luid.into(),
        name: name.into(),
        tables: vec![UpstreamTable {
            database: Some("SHOP".into()),
            schema: Some("MAIN".into()),
            name: Some("ORDERS".into()),
            ..UpstreamTable::default()
        }],
        usage: Some(usage),
        ..Workbook::default()
    };
    let busy = Usage {
        hits_last_two_weeks: Some(120),
        hits_last_month: Some(250),
        hits_last_three_months: Some(700),
        hits_last_year: Some(2600),
        total_views: Some(5000),
    };
    let forgotten = Usage {
        hits_last_two_weeks: Some(0),
        hits_last_month: Some(0),
        hits_last_three_months: Some(0),
        hits_last_year: Some(4),
        total_views: Some(30),
    };
    let workbooks = [
        workbook("wb-busy", "Busy Board", busy),
        workbook("wb-old", "Old Board", forgotten),
    ];
    let outcome = build_exposures(&manifest, &workbooks, &MatchOptions::default());
    assert_eq!(outcome.exposures.len(), 2);
    let yaml =
        autoexpose_output::to_dbt_yaml(&outcome.exposures, &manifest, &YamlOptions::default());
    let folder = project.dir.join("models/imported_from_tableau");
    std::fs::create_dir_all(&folder).expect("folder");
    std::fs::write(folder.join("exposures.yml"), &yaml).expect("write YAML");
    let after = project.parse(&dbt);
    let node = |name: &str| after["exposures"][format!("exposure.shop.{name}")].clone();
    let meta = |node: &Value| {
        if meta_in_config {
            node["config"]["meta"].clone()
        } else {
            node["meta"].clone()
        }
    };
    let busy = node("busy_board");
    assert_eq!(busy["maturity"], "high", "YAML:\n{yaml}");
    assert_eq!(
        meta(&busy)["tableau_hits_last_month"],
        "250",
        "YAML:\n{yaml}"
    );
    assert_eq!(meta(&busy)["tableau_total_views"], "5000");
    assert!(meta(&busy)["tableau_stale"].is_null());
    let old = node("old_board");
    assert_eq!(old["maturity"], "low", "YAML:\n{yaml}");
    assert_eq!(meta(&old)["tableau_stale"], "true", "YAML:\n{yaml}");
    assert_eq!(meta(&old)["tableau_hits_last_three_months"], "0");
}

#[test]
fn dbt_1_9_reads_maturity_and_usage_meta() {
    dbt_reads_maturity_and_usage("1.9", false);
}

#[test]
fn dbt_1_11_reads_maturity_and_usage_meta() {
    dbt_reads_maturity_and_usage("1.11", true);
}

#[test]
fn dbt_1_12_reads_maturity_and_usage_meta() {
    dbt_reads_maturity_and_usage("1.12", true);
}

// ---- The columns each dashboard reads, as dbt and Elementary read them ----

/// A workbook reading three of the fixture's nodes, with the columns its fields read.
fn workbook_with_columns() -> autoexpose_domain::Workbook {
    use autoexpose_domain::{FieldColumn, UpstreamTable, Workbook};
    let table = |name: &str, schema: &str| UpstreamTable {
        database: Some("SHOP".into()),
        schema: Some(schema.into()),
        name: Some(name.into()),
        ..UpstreamTable::default()
    };
    let column = |table_name: &str, schema: &str, name: &str| FieldColumn {
        table: table(table_name, schema),
        name: Some(name.into()),
        remote_type: Some("WSTR".into()),
    };
    Workbook {
        luid: "wb-columns".into(),
        name: "Order Columns".into(),
        tables: vec![
            table("ORDERS", "MAIN"),
            table("customeraccounts", "CRM"),
            table("Customer_Summary_V2", "main"),
        ],
        columns: vec![
            column("ORDERS", "MAIN", "order_id"),
            column("ORDERS", "MAIN", "AMOUNT"),
            column("ORDERS", "MAIN", "DISCOUNT"),
            column("customeraccounts", "CRM", "EMAIL"),
            column("Customer_Summary_V2", "main", "CUSTOMER_ID"),
        ],
        ..Workbook::default()
    }
}

/// Elementary's `exposure_schema_validity` test (macros/edr/tests/
/// test_exposure_schema_validity.sql), step for step over the graph dbt wrote: the
/// exposures that depend on `node` and have a `meta`; each `meta.referenced_columns` entry
/// whose `node` renders to the model (or any entry when the exposure depends on one node)
/// must name one of `columns` (compared upper-cased, quotes stripped) and, where it gives a
/// `data_type`, that type. `render_ref` stands for `render(get_rendered_ref(...))`, and the
/// types are given already normalized. Returns the errors the test's query would select.
fn elementary_schema_validity(
    graph: &Value,
    node: &str,
    model_rendered: &str,
    columns: &[(&str, &str)],
    render_ref: impl Fn(&str) -> String,
) -> Vec<String> {
    let columns_dict: std::collections::HashMap<String, &str> = columns
        .iter()
        .map(|(name, data_type)| {
            (
                name.trim_matches('"').trim_matches('\'').to_uppercase(),
                *data_type,
            )
        })
        .collect();
    let mut errors = Vec::new();
    for exposure in graph["exposures"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(_, e)| e)
    {
        let nodes = exposure["depends_on"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let meta = &exposure["meta"];
        if !nodes.iter().any(|n| n == node) || meta.is_null() {
            continue;
        }
        let Some(referenced) = meta["referenced_columns"].as_array() else {
            errors.push(format!(
                "warning: missing meta property for the exposure: {}",
                exposure["name"]
            ));
            continue;
        };
        for column in referenced {
            let Some(entry) = column.as_object() else {
                continue;
            };
            if nodes.len() > 1 && !entry.contains_key("node") {
                errors.push(format!(
                    "warning: missing node property for {}",
                    exposure["name"]
                ));
                continue;
            }
            let column_node = column["node"].as_str().unwrap_or_default();
            if nodes.len() != 1 && render_ref(column_node) != model_rendered.to_lowercase() {
                continue;
            }
            let name = column["column_name"].as_str().unwrap_or_default();
            let data_type = column["data_type"].as_str().unwrap_or_default();
            match columns_dict.get(&name.to_uppercase()) {
                None => errors.push(format!("{name} column missing in the model")),
                Some(actual) if !data_type.is_empty() && data_type != *actual => errors.push(
                    format!("different data type for the column {name} {data_type} vs {actual}"),
                ),
                Some(_) => {}
            }
        }
    }
    errors
}

/// `get_rendered_ref` of Elementary: `ref('<name>')` (matched on the lowered text) is the
/// relation of that model; anything else, a `source(...)` or a versioned ref, is left as
/// its lowered text, which renders to itself.
fn rendered_ref(graph: &Value, call: &str) -> String {
    let lowered = call.to_lowercase();
    let Some(name) = lowered
        .strip_prefix("ref('")
        .and_then(|rest| rest.rfind("')").map(|end| &rest[..end]))
    else {
        return lowered;
    };
    graph["nodes"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(_, n)| n)
        .find(|n| n["name"] == name && n["resource_type"] == "model")
        .map(relation_name)
        .unwrap_or(lowered)
}

fn relation_name(node: &Value) -> String {
    let part = |key: &str| node[key].as_str().unwrap_or_default().to_lowercase();
    let identifier = node["alias"]
        .as_str()
        .or(node["identifier"].as_str())
        .unwrap_or_default();
    format!(
        "{}.{}.{}",
        part("database"),
        part("schema"),
        identifier.to_lowercase()
    )
}

/// Matches the workbook against the fixture's real manifest with a catalog, writes the
/// YAML into the project, lets dbt parse it, and reads the columns back as Elementary does.
fn dbt_and_elementary_read_the_referenced_columns(version: &str, meta_in_config: bool) {
    use autoexpose_domain::{Catalog, Manifest, MatchOptions, build_exposures};
    use autoexpose_output::dbt_yaml_files;

    let dbt = dbt_executable(version);
    let project = Project::copy_fixture(&format!("columns-{version}"));
    let before = project.parse(&dbt);
    let before_bytes = serde_json::to_vec(&before).expect("manifest bytes");
    let manifest = Manifest::from_slice(&before_bytes).expect("dbt's manifest reads");
    let catalog = Catalog::from_slice(
        br#"{"nodes": {"model.shop.orders": {"columns": {
            "ORDER_ID": {"type": "INTEGER", "index": 1, "name": "ORDER_ID"},
            "AMOUNT": {"type": "DOUBLE", "index": 2, "name": "AMOUNT"}}}}}"#,
    )
    .expect("catalog reads");
    let options = MatchOptions {
        catalog: Some(std::sync::Arc::new(catalog)),
        ..MatchOptions::default()
    };
    let outcome = build_exposures(&manifest, &[workbook_with_columns()], &options);
    let exposure = &outcome.exposures[0];
    assert_eq!(
        exposure.depends_on,
        [
            "model.shop.customer_summary.v2",
            "model.shop.orders",
            "source.shop.legacy.customer_accounts"
        ]
    );
    let yaml_options = YamlOptions {
        fallback_owner: "Tableau".into(),
        ..YamlOptions::default()
    };
    for file in dbt_yaml_files(&outcome.exposures, &manifest, &yaml_options) {
        let path = project.dir.join("models").join(&file.path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("create folder");
        std::fs::write(&path, &file.contents).expect("write YAML");
    }
    let after = project.parse(&dbt);
    let node = &after["exposures"]["exposure.shop.order_columns"];
    // dbt keeps depends_on node-level and the columns as written, where each version reads
    // meta; 1.10+ also gives the node's own `meta` the config's, which is what graph
    // readers such as Elementary see.
    assert_eq!(
        sorted_strings(&node["depends_on"]["nodes"]),
        exposure.depends_on
    );
    let placed = if meta_in_config {
        &node["config"]["meta"]
    } else {
        &node["meta"]
    };
    assert_eq!(
        placed["referenced_columns"],
        json!([
            {"column_name": "CUSTOMER_ID", "node": "ref('customer_summary', v=2)"},
            {"column_name": "AMOUNT", "data_type": "DOUBLE", "node": "ref('orders')"},
            {"column_name": "DISCOUNT", "node": "ref('orders')"},
            {"column_name": "ORDER_ID", "data_type": "INTEGER", "node": "ref('orders')"},
            {"column_name": "EMAIL", "node": "source('legacy', 'customer_accounts')"},
        ]),
        "dbt {version}"
    );
    assert_eq!(
        placed["missing_columns"],
        json!([{"column_name": "DISCOUNT", "node": "ref('orders')"}])
    );
    assert_eq!(
        node["meta"], *placed,
        "dbt {version}: the graph's exposure meta"
    );

    // The injected manifest holds what dbt wrote, columns included.
    let injected: Value = serde_json::from_slice(
        &inject_exposures(
            &before_bytes,
            &outcome.exposures,
            &InjectOptions {
                render: yaml_options,
                ..InjectOptions::default()
            },
        )
        .expect("inject"),
    )
    .expect("injected JSON");
    assert_eq!(
        comparable(&injected["exposures"]["exposure.shop.order_columns"]),
        comparable(node)
    );

    // Elementary's test on `orders`, with the warehouse's columns: the dropped DISCOUNT is
    // the one failure; a retyped column would be the other kind.
    let orders = &after["nodes"]["model.shop.orders"];
    let model = relation_name(orders);
    let warehouse = [("ORDER_ID", "INTEGER"), ("AMOUNT", "DOUBLE")];
    let errors = elementary_schema_validity(&after, "model.shop.orders", &model, &warehouse, |c| {
        rendered_ref(&after, c)
    });
    assert_eq!(
        errors,
        ["DISCOUNT column missing in the model"],
        "dbt {version}"
    );
    let retyped = [
        ("ORDER_ID", "BIGINT"),
        ("AMOUNT", "DOUBLE"),
        ("DISCOUNT", "TEXT"),
    ];
    let errors = elementary_schema_validity(&after, "model.shop.orders", &model, &retyped, |c| {
        rendered_ref(&after, c)
    });
    assert_eq!(
        errors,
        ["different data type for the column ORDER_ID INTEGER vs BIGINT"]
    );
}

#[test]
fn dbt_1_9_and_elementary_read_the_referenced_columns() {
    dbt_and_elementary_read_the_referenced_columns("1.9", false);
}

#[test]
fn dbt_1_11_and_elementary_read_the_referenced_columns() {
    dbt_and_elementary_read_the_referenced_columns("1.11", true);
}

#[test]
fn dbt_1_12_and_elementary_read_the_referenced_columns() {
    dbt_and_elementary_read_the_referenced_columns("1.12", true);
}
