//! The lineage page in a real headless Chromium: the page's script runs, draws every
//! exposure and node, filters on `#q=`, highlights a path on `#select=`, and a screenshot
//! is taken (kept under `target/tmp/lineage-browser/`). The page at the example's size and
//! at 1,000 models is tested in `shared/output/tests/lineage_browser.rs`.
//!
//! Most tests build the page with the library, so they run whatever the CLI wiring;
//! `cli_writes_the_lineage_page` runs `autoexpose lineage` itself. Chromium is driven
//! with its own command-line switches (`--dump-dom`, `--screenshot`), no driver crate.
//! Without Chromium the tests fail and say how to install it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use autoexpose_domain::dag::Dag;
use autoexpose_domain::{Exposure, Manifest, MatchOptions, build_exposures};
use autoexpose_output::{LineageOptions, lineage_html};
use autoexpose_tableau::TableauSite;
use autoexpose_tableau::parse_workbooks_response;
use serde_json::{Value, json};

// ---- driving Chromium ----

fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return PathBuf::from(path);
    }
    for candidate in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(candidate).exists() {
            return PathBuf::from(candidate);
        }
    }
    panic!("Chromium is not installed: run `bash infra/setup-chromium.sh` (or set CHROMIUM)");
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("lineage-browser")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Runs headless Chromium on `url` with `extra` switches; kills it after two minutes.
fn run_chromium(dir: &Path, url: &str, extra: &[String]) -> Output {
    let profile = dir.join(format!("profile-{}", extra.len()));
    let mut command = Command::new(chromium());
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap_or_else(|e| {
        panic!("cannot start Chromium ({e}): run `bash infra/setup-chromium.sh`")
    });
    // Read the pipes on threads so a large DOM cannot block Chromium on a full pipe.
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut buf).map(|_| buf)
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut buf).map(|_| buf)
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for Chromium") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("Chromium did not finish within two minutes on {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: out_reader.join().expect("reader").expect("stdout"),
        stderr: err_reader.join().expect("reader").expect("stderr"),
    }
}

fn file_url(page: &Path, fragment: &str) -> String {
    let path = page.canonicalize().expect("page exists");
    format!("file://{}{fragment}", path.display())
}

/// The DOM after the page's script ran, as Chromium serializes it.
fn dump_dom(page: &Path, fragment: &str) -> String {
    let dir = page.parent().expect("page has a directory");
    let out = run_chromium(dir, &file_url(page, fragment), &["--dump-dom".into()]);
    assert!(
        out.status.success(),
        "Chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8(out.stdout).expect("DOM is UTF-8");
    assert!(
        dom.contains("data-ready=\"true\""),
        "the page's script did not finish; Chromium said: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dom
}

/// Takes a 1400×900 screenshot of the page and returns the PNG's path.
fn screenshot(page: &Path, fragment: &str, name: &str) -> PathBuf {
    let dir = page.parent().expect("page has a directory");
    let png = dir.join(name);
    let out = run_chromium(
        dir,
        &file_url(page, fragment),
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1400,900".into(),
        ],
    );
    assert!(
        out.status.success() && png.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    png
}

// ---- reading the DOM ----

/// The value of `name="..."` in the opening tag that starts `tag`.
fn attr(tag: &str, name: &str) -> Option<String> {
    let tag = &tag[..tag.find('>')?];
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[start..].find('"')?;
    Some(tag[start..start + len].to_string())
}

fn body_attr(dom: &str, name: &str) -> String {
    let body = &dom[dom.find("<body").expect("a body")..];
    attr(body, name).unwrap_or_else(|| panic!("<body> has no {name}"))
}

/// The classes of the node drawn for `id`.
fn node_classes(dom: &str, id: &str) -> Vec<String> {
    let at = dom
        .find(&format!(" data-id=\"{}\"", html_escape(id)))
        .unwrap_or_else(|| panic!("{id} is not drawn"));
    let start = dom[..at].rfind("<g ").expect("inside a <g>");
    let class = attr(&dom[start..], "class").expect("node has a class");
    class.split_whitespace().map(str::to_string).collect()
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn edge_count_with_class(dom: &str, class: &str) -> usize {
    dom.split("<path class=\"")
        .skip(1)
        .filter(|tag| {
            let classes = &tag[..tag.find('"').unwrap_or(0)];
            let mut words = classes.split_whitespace();
            words.next() == Some("edge") && classes.split_whitespace().any(|w| w == class)
        })
        .count()
}

// ---- a generated dbt project with a real parent_map ----

/// A shop: raw sources → staging → intermediate → marts, a seed and a snapshot, plus
/// `extra_models` more marts fed by staging (for a large project), and workbooks that read
/// the marts in three Tableau projects.
struct Project {
    manifest: Value,
    tableau: Value,
}

fn shop_project(extra_models: usize) -> Project {
    let mut nodes = serde_json::Map::new();
    let mut sources = serde_json::Map::new();
    let mut parent_map = serde_json::Map::new();
    let mut model = |name: &str, schema: &str, parents: &[String]| {
        let id = format!("model.shop.{name}");
        nodes.insert(
            id.clone(),
            json!({"resource_type": "model", "name": name, "alias": name,
                   "database": "analytics", "schema": schema, "package_name": "shop",
                   "config": {"materialized": "table"}}),
        );
        parent_map.insert(id, json!(parents));
    };
    let raw = [
        ("ecom", "raw_orders"),
        ("ecom", "raw_customers"),
        ("ecom", "raw_items"),
        ("ecom", "raw_products"),
        ("ecom", "raw_stores"),
        ("stripe", "payments"),
    ];
    for (source, name) in raw {
        sources.insert(
            format!("source.shop.{source}.{name}"),
            json!({"source_name": source, "name": name, "identifier": name,
                   "database": "raw", "schema": source, "package_name": "shop"}),
        );
    }
    let src = |s: &str, n: &str| format!("source.shop.{s}.{n}");
    let m = |n: &str| format!("model.shop.{n}");
    model("stg_orders", "staging", &[src("ecom", "raw_orders")]);
    model("stg_customers", "staging", &[src("ecom", "raw_customers")]);
    model("stg_order_items", "staging", &[src("ecom", "raw_items")]);
    model("stg_products", "staging", &[src("ecom", "raw_products")]);
    model("stg_locations", "staging", &[src("ecom", "raw_stores")]);
    model("stg_payments", "staging", &[src("stripe", "payments")]);
    model(
        "int_order_items_enriched",
        "intermediate",
        &[m("stg_order_items"), m("stg_products")],
    );
    model(
        "orders",
        "marts",
        &[
            m("stg_orders"),
            m("int_order_items_enriched"),
            m("stg_payments"),
        ],
    );
    model(
        "customers",
        "marts",
        &[
            m("stg_customers"),
            m("orders"),
            "seed.shop.country_codes".into(),
        ],
    );
    model("locations", "marts", &[m("stg_locations")]);
    model("revenue_daily", "marts", &[m("orders"), m("locations")]);
    model("unused_mart", "marts", &[m("stg_products")]);
    for i in 0..extra_models {
        model(
            &format!("mart_{i:03}"),
            "marts",
            &[m(["stg_orders", "stg_customers", "stg_products"][i % 3])],
        );
    }
    nodes.insert(
        "seed.shop.country_codes".into(),
        json!({"resource_type": "seed", "name": "country_codes", "database": "analytics",
               "schema": "seeds", "package_name": "shop"}),
    );
    nodes.insert(
        "snapshot.shop.customers_snapshot".into(),
        json!({"resource_type": "snapshot", "name": "customers_snapshot",
               "database": "analytics", "schema": "snapshots", "package_name": "shop"}),
    );
    parent_map.insert(
        "snapshot.shop.customers_snapshot".into(),
        json!([src("ecom", "raw_customers")]),
    );
    parent_map.insert("test.shop.unique_orders_id.1a".into(), json!([m("orders")]));
    let manifest = json!({
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
                     "dbt_version": "1.10.2", "project_name": "shop"},
        "nodes": nodes,
        "sources": sources,
        "exposures": {
            "exposure.shop.ops_notebook": {"name": "ops_notebook", "type": "notebook",
                "owner": {"name": "Ops team", "email": "ops@example.com"},
                "depends_on": {"nodes": ["model.shop.locations"]}}
        },
        "parent_map": parent_map,
    });
    let table = |schema: &str, name: &str| {
        json!({"name": name.to_uppercase(), "schema": schema.to_uppercase(),
               "database": {"name": "ANALYTICS", "connectionType": "snowflake"}})
    };
    let mut workbooks = vec![
        workbook(
            1,
            "Executive Overview",
            "Finance",
            vec![table("marts", "revenue_daily"), table("marts", "customers")],
        ),
        workbook(
            2,
            "Revenue <Q4> & \"Forecast\"",
            "Finance",
            vec![table("marts", "revenue_daily")],
        ),
        workbook(
            3,
            "Customer 360",
            "Sales",
            vec![
                table("marts", "customers"),
                table("snapshots", "customers_snapshot"),
            ],
        ),
        workbook(
            4,
            "Store Performance",
            "Sales",
            vec![table("marts", "locations")],
        ),
        workbook(
            5,
            "Order Items Deep Dive",
            "Operations",
            vec![
                table("marts", "orders"),
                table("intermediate", "int_order_items_enriched"),
            ],
        ),
    ];
    for i in 0..extra_models {
        workbooks.push(workbook(
            100 + i,
            &format!("Mart report {i:03}"),
            &format!("Team {:02}", i % 12),
            vec![table("marts", &format!("mart_{i:03}"))],
        ));
    }
    Project {
        manifest,
        tableau: json!({"data": {"workbooks": workbooks}}),
    }
}

fn workbook(n: usize, name: &str, project: &str, tables: Vec<Value>) -> Value {
    json!({
        "name": name, "luid": format!("wb-{n:04}"), "uri": format!("sites/1/workbooks/{n}"),
        "projectName": project, "projectLuid": format!("p-{project}"),
        "owner": {"name": "Ada Lovelace", "email": "ada@example.com"},
        "upstreamTables": tables
    })
}

/// What the page is built from, and the page itself written to `dir/lineage.html`.
struct Built {
    manifest: Manifest,
    dag: Dag,
    exposures: Vec<Exposure>,
    page: PathBuf,
}

fn build_page(dir: &Path, manifest_bytes: &[u8], tableau_bytes: &[u8]) -> Built {
    let manifest = Manifest::from_slice(manifest_bytes).expect("manifest parses");
    let dag = manifest.dag().clone();
    let workbooks = parse_workbooks_response(tableau_bytes).expect("response parses");
    let options = MatchOptions {
        urls: Some(std::sync::Arc::new(TableauSite {
            server_url: "10az.online.tableau.com".into(),
            content_url: "acme".into(),
        })),
        ..MatchOptions::default()
    };
    let exposures = build_exposures(&manifest, &workbooks, &options).exposures;
    let html = lineage_html(
        &manifest,
        &dag,
        &exposures,
        &LineageOptions {
            title: "shop · dbt lineage".into(),
            generated_at: None,
        },
    );
    let page = dir.join("lineage.html");
    std::fs::write(&page, html).expect("write page");
    Built {
        manifest,
        dag,
        exposures,
        page,
    }
}

fn build_shop(dir: &Path, extra_models: usize) -> Built {
    let project = shop_project(extra_models);
    build_page(
        dir,
        &serde_json::to_vec(&project.manifest).expect("json"),
        &serde_json::to_vec(&project.tableau).expect("json"),
    )
}

fn exposure_id(name: &str) -> String {
    format!("exposure.shop.{name}")
}

/// Every node upstream of `id` (not `id` itself), following exposures' `depends_on` and
/// the DAG: what a click on the exposure must highlight.
fn ancestors_of(built: &Built, exposure: &Exposure) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    let mut queue: Vec<String> = exposure.depends_on.clone();
    while let Some(id) = queue.pop() {
        if seen.insert(id.clone()) {
            queue.extend(built.dag.parents(&id).map(str::to_string));
        }
    }
    seen.into_iter().collect()
}

// ---- the tests ----

#[test]
fn chromium_draws_every_exposure_and_node_of_the_jaffle_shop_example() {
    let dir = scratch("jaffle");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/jaffle-shop");
    let manifest = std::fs::read(example.join("manifest.json")).expect("example manifest");
    let tableau = std::fs::read(example.join("tableau-response.json")).expect("example");
    let built = build_page(&dir, &manifest, &tableau);
    let dom = dump_dom(&built.page, "");
    assert!(!built.exposures.is_empty());
    for exposure in &built.exposures {
        node_classes(&dom, &format!("exposure.jaffle_shop.{}", exposure.name));
        for id in &exposure.depends_on {
            node_classes(&dom, id);
        }
    }
    for manual in &built.manifest.exposures {
        node_classes(&dom, &manual.unique_id);
    }
    let drawn: usize = body_attr(&dom, "data-drawn-nodes").parse().expect("count");
    let nodes: usize = body_attr(&dom, "data-nodes").parse().expect("count");
    let exposures: usize = body_attr(&dom, "data-exposures").parse().expect("count");
    assert_eq!(drawn, nodes + exposures);
    assert_eq!(
        exposures,
        built.exposures.len() + built.manifest.exposures.len()
    );
    screenshot(&built.page, "", "jaffle.png");
}

#[test]
fn chromium_draws_the_whole_upstream_graph_of_a_project_with_a_parent_map() {
    let dir = scratch("shop");
    let built = build_shop(&dir, 0);
    let dom = dump_dom(&built.page, "");
    let mut expected = std::collections::BTreeSet::new();
    for exposure in &built.exposures {
        expected.insert(exposure_id(&exposure.name));
        expected.extend(ancestors_of(&built, exposure));
    }
    expected.insert("exposure.shop.ops_notebook".to_string());
    expected.insert("model.shop.locations".to_string());
    expected.insert("model.shop.stg_locations".to_string());
    expected.insert("source.shop.ecom.raw_stores".to_string());
    for id in &expected {
        let classes = node_classes(&dom, id);
        assert!(!classes.contains(&"dim".to_string()), "{id} is dimmed");
    }
    // A node that feeds no exposure is only in the whole project's (inert) template.
    let drawn_part = &dom[..dom.find("<template").unwrap_or(dom.len())];
    assert!(!drawn_part.contains("data-id=\"model.shop.unused_mart\""));
    let drawn: usize = body_attr(&dom, "data-drawn-nodes").parse().expect("count");
    assert_eq!(drawn, expected.len());
    // The workbook name with markup in it is shown as text.
    assert!(dom.contains("Revenue &lt;Q4&gt; &amp; \"Forecast\""));
    assert_eq!(
        body_attr(&dom, "data-visible-count"),
        expected.len().to_string()
    );
}

#[test]
fn the_search_fragment_dims_nodes_whose_name_does_not_match() {
    let dir = scratch("search");
    let built = build_shop(&dir, 0);
    let dom = dump_dom(&built.page, "#q=orders");
    assert!(dom.contains("data-query=\"orders\""));
    let matching = [
        "model.shop.orders",
        "model.shop.stg_orders",
        "source.shop.ecom.raw_orders",
    ];
    for id in matching {
        assert!(!node_classes(&dom, id).contains(&"dim".into()), "{id}");
    }
    for id in [
        "model.shop.customers",
        "source.shop.stripe.payments",
        "exposure.shop.executive_overview",
    ] {
        assert!(node_classes(&dom, id).contains(&"dim".into()), "{id}");
    }
    assert_eq!(
        body_attr(&dom, "data-visible-count"),
        matching.len().to_string()
    );
    assert!(dom.contains("3 of "), "the count is shown");
}

#[test]
fn the_select_fragment_highlights_the_exposures_upstream_path() {
    let dir = scratch("select");
    let built = build_shop(&dir, 0);
    let customer_360 = built
        .exposures
        .iter()
        .find(|e| e.label == "Customer 360")
        .expect("Customer 360 matched");
    let dom = dump_dom(&built.page, &format!("#select={}", customer_360.name));
    let id = exposure_id(&customer_360.name);
    assert_eq!(body_attr(&dom, "data-selected"), id);
    let upstream = ancestors_of(&built, customer_360);
    assert_eq!(
        body_attr(&dom, "data-path-count"),
        upstream.len().to_string()
    );
    assert!(node_classes(&dom, &id).contains(&"selected".into()));
    for node in &upstream {
        assert!(
            node_classes(&dom, node).contains(&"on-path".into()),
            "{node}"
        );
    }
    for off in ["model.shop.locations", "source.shop.ecom.raw_stores"] {
        assert!(
            !node_classes(&dom, off).contains(&"on-path".into()),
            "{off}"
        );
    }
    let edges_on_path = edge_count_with_class(&dom, "on-path");
    assert!(edges_on_path >= upstream.len(), "{edges_on_path} edges lit");
    // The details panel shows the workbook's owner and URL.
    assert!(dom.contains(">Ada Lovelace<"));
    assert!(dom.contains("href=\"https://10az.online.tableau.com/#/site/acme/workbooks/"));
}

#[test]
fn a_screenshot_shows_the_page() {
    let dir = scratch("screenshot");
    let built = build_shop(&dir, 0);
    let png = screenshot(&built.page, "#select=customer_360", "lineage.png");
    let bytes = std::fs::read(&png).expect("read screenshot");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let width = u32::from_be_bytes(bytes[16..20].try_into().expect("4 bytes"));
    let height = u32::from_be_bytes(bytes[20..24].try_into().expect("4 bytes"));
    assert_eq!((width, height), (1400, 900));
    // A blank or error page compresses to a few kilobytes; the drawn graph does not.
    assert!(
        bytes.len() > 30_000,
        "{} bytes: is the page blank?",
        bytes.len()
    );
}

#[test]
fn a_project_with_hundreds_of_nodes_is_drawn_completely() {
    let dir = scratch("large");
    let built = build_shop(&dir, 400);
    let dom = dump_dom(&built.page, "#q=mart_3");
    let exposures: usize = body_attr(&dom, "data-exposures").parse().expect("count");
    let nodes: usize = body_attr(&dom, "data-nodes").parse().expect("count");
    let drawn: usize = body_attr(&dom, "data-drawn-nodes").parse().expect("count");
    assert_eq!(exposures, built.exposures.len() + 1);
    assert!(nodes > 400, "{nodes}");
    assert_eq!(drawn, nodes + exposures);
    for i in [0, 199, 399] {
        node_classes(&dom, &format!("model.shop.mart_{i:03}"));
    }
    // mart_300..mart_399 match by id and name; their exposures' names do not contain it.
    assert_eq!(body_attr(&dom, "data-visible-count"), "100");
    screenshot(&built.page, "", "large.png");
}

#[test]
fn cli_writes_the_lineage_page() {
    let dir = scratch("cli");
    let project = shop_project(0);
    let manifest = dir.join("manifest.json");
    let tableau = dir.join("tableau.json");
    std::fs::write(
        &manifest,
        serde_json::to_vec(&project.manifest).expect("json"),
    )
    .expect("w");
    std::fs::write(
        &tableau,
        serde_json::to_vec(&project.tableau).expect("json"),
    )
    .expect("w");
    let page = dir.join("out.html");
    let out = Command::new(env!("CARGO_BIN_EXE_autoexpose"))
        .args(["lineage", "--manifest"])
        .arg(&manifest)
        .arg("--tableau-response")
        .arg(&tableau)
        .args([
            "--server-url",
            "10az.online.tableau.com",
            "--site",
            "acme",
            "--out",
        ])
        .arg(&page)
        .output()
        .expect("autoexpose runs");
    assert!(
        out.status.success(),
        "autoexpose lineage failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = dump_dom(&page, "#select=executive_overview");
    assert_eq!(
        body_attr(&dom, "data-selected"),
        "exposure.shop.executive_overview"
    );
    node_classes(&dom, "source.shop.stripe.payments");
}

#[test]
fn cli_names_the_file_it_cannot_read() {
    let dir = scratch("cli-missing");
    let out = Command::new(env!("CARGO_BIN_EXE_autoexpose"))
        .args(["lineage", "--manifest"])
        .arg(dir.join("nope.json"))
        .arg("--tableau-response")
        .arg(dir.join("nope-either.json"))
        .arg("--out")
        .arg(dir.join("out.html"))
        .output()
        .expect("autoexpose runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("nope.json"), "{stderr}");
    assert!(!dir.join("out.html").exists());
}
