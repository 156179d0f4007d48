//! The lineage page, read as text: which nodes it draws, where, and that it cannot be
//! made to run someone else's markup. `cli/tests/lineage_browser.rs` opens it in Chromium.

use std::collections::BTreeSet;

use autoexpose_domain::dag::Dag;
use autoexpose_domain::{Exposure, Manifest, Owner};
use autoexpose_output::{LineageOptions, lineage_html};
use serde_json::{Value, json};

mod lineage_support;
use lineage_support::projects::{self, Shape};
use lineage_support::svg;

/// A small shop: two sources → staging → marts, a seed, and an orphan model nobody reads.
fn shop_manifest_json() -> Value {
    let model = |name: &str, schema: &str| {
        json!({"resource_type": "model", "name": name, "alias": name, "database": "analytics",
               "schema": schema, "package_name": "shop", "config": {"materialized": "table"}})
    };
    let source = |source: &str, name: &str| {
        json!({"source_name": source, "name": name, "identifier": name, "database": "raw",
               "schema": source, "package_name": "shop"})
    };
    json!({
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
                     "dbt_version": "1.10.2", "project_name": "shop",
                     "generated_at": "2025-11-28T06:00:00.000000Z"},
        "nodes": {
            "model.shop.stg_orders": model("stg_orders", "staging"),
            "model.shop.stg_customers": model("stg_customers", "staging"),
            "model.shop.orders": model("orders", "marts"),
            "model.shop.customers": model("customers", "marts"),
            "model.shop.orphan": model("orphan", "marts"),
            "seed.shop.country_codes": {"resource_type": "seed", "name": "country_codes",
                "database": "analytics", "schema": "seeds", "package_name": "shop"},
            "test.shop.not_null_orders_id.abc": {"resource_type": "test", "name": "not_null"}
        },
        "sources": {
            "source.shop.ecom.raw_orders": source("ecom", "raw_orders"),
            "source.shop.ecom.raw_customers": source("ecom", "raw_customers"),
            "source.shop.ecom.raw_unused": source("ecom", "raw_unused")
        },
        "exposures": {
            "exposure.shop.weekly_kpis": {"name": "weekly_kpis", "type": "dashboard",
                "owner": {"name": "Callum", "email": "callum@example.com"},
                "depends_on": {"nodes": ["model.shop.customers"]}}
        },
        "parent_map": {
            "model.shop.stg_orders": ["source.shop.ecom.raw_orders"],
            "model.shop.stg_customers": ["source.shop.ecom.raw_customers"],
            "model.shop.orders": ["model.shop.stg_orders", "model.shop.stg_customers"],
            "model.shop.customers": ["model.shop.stg_customers", "seed.shop.country_codes"],
            "model.shop.orphan": ["source.shop.ecom.raw_unused"],
            "seed.shop.country_codes": [],
            "source.shop.ecom.raw_orders": [],
            "test.shop.not_null_orders_id.abc": ["model.shop.orders"],
            "exposure.shop.weekly_kpis": ["model.shop.customers"]
        }
    })
}

fn shop() -> (Manifest, Dag) {
    let bytes = serde_json::to_vec(&shop_manifest_json()).expect("serializes");
    let manifest = Manifest::from_slice(&bytes).expect("manifest parses");
    let dag = manifest.dag().clone();
    (manifest, dag)
}

fn exposure(name: &str, label: &str, project: &str, depends_on: &[&str]) -> Exposure {
    Exposure {
        name: name.into(),
        label: label.into(),
        exposure_type: "dashboard".into(),
        url: Some(format!(
            "https://10az.online.tableau.com/#/site/acme/workbooks/{name}"
        )),
        owner: Some(Owner {
            name: Some("Ada Lovelace".into()),
            email: Some("ada@example.com".into()),
        }),
        description: None,
        depends_on: depends_on.iter().map(|s| s.to_string()).collect(),
        workbook_luid: format!("luid-{name}"),
        project: project.into(),
        project_luid: None,
        unmatched_tables: Vec::new(),
        unparsed_custom_sql: vec![],
        referenced_columns: vec![],
        missing_columns: vec![],
        usage: None,
        maturity: None,
        stale: false,
    }
}

fn shop_exposures() -> Vec<Exposure> {
    vec![
        exposure(
            "executive_overview",
            "Executive Overview",
            "Finance",
            &["model.shop.orders"],
        ),
        exposure(
            "customer_360",
            "Customer 360",
            "Sales",
            &["model.shop.customers"],
        ),
    ]
}

fn page(manifest: &Manifest, dag: &Dag, exposures: &[Exposure]) -> String {
    lineage_html(manifest, dag, exposures, &LineageOptions::default())
}

/// The `data-id` of every node drawn on opening.
fn drawn_ids(page: &str) -> BTreeSet<String> {
    svg::opening_svg(page)
        .split("<g class=\"node ")
        .skip(1)
        .filter_map(|tag| attr(tag, "data-id"))
        .collect()
}

/// The value of `name="..."` in the text of one tag.
fn attr(tag: &str, name: &str) -> Option<String> {
    let tag = &tag[..tag.find('>')?];
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[start..].find('"')?;
    Some(tag[start..start + len].to_string())
}

/// The opening tag of a drawn node, from `<g` on.
fn node_tag<'a>(page: &'a str, id: &str) -> &'a str {
    let at = page
        .find(&format!(" data-id=\"{id}\""))
        .unwrap_or_else(|| panic!("{id} is drawn"));
    let start = page[..at].rfind("<g ").expect("inside a <g> tag");
    &page[start..]
}

/// The x coordinate a node is drawn at.
fn node_x(page: &str, id: &str) -> f64 {
    let transform = attr(node_tag(page, id), "transform").expect("node has a transform");
    let inner = transform
        .trim_start_matches("translate(")
        .trim_end_matches(')');
    let (x, _) = inner.split_once(',').expect("translate(x,y)");
    x.parse().expect("x is a number")
}

#[test]
fn every_exposure_and_all_its_ancestors_are_drawn() {
    let (manifest, dag) = shop();
    let ids = drawn_ids(&page(&manifest, &dag, &shop_exposures()));
    for id in [
        "exposure.shop.executive_overview",
        "exposure.shop.customer_360",
        "exposure.shop.weekly_kpis",
        "model.shop.orders",
        "model.shop.customers",
        "model.shop.stg_orders",
        "model.shop.stg_customers",
        "seed.shop.country_codes",
        "source.shop.ecom.raw_orders",
        "source.shop.ecom.raw_customers",
    ] {
        assert!(ids.contains(id), "{id} is missing from {ids:?}");
    }
}

#[test]
fn nodes_upstream_of_no_exposure_are_left_out_of_the_opening_view() {
    let (manifest, dag) = shop();
    let ids = drawn_ids(&page(&manifest, &dag, &shop_exposures()));
    assert!(!ids.contains("model.shop.orphan"), "{ids:?}");
    assert!(!ids.contains("source.shop.ecom.raw_unused"), "{ids:?}");
    assert!(ids.iter().all(|id| !id.starts_with("test.")), "{ids:?}");
    assert_eq!(ids.len(), 10, "{ids:?}");
}

#[test]
fn the_rest_of_the_project_is_in_the_page_marked_as_feeding_no_exposure() {
    let (manifest, dag) = shop();
    let html = page(&manifest, &dag, &shop_exposures());
    let whole = svg::whole_project_svg(&html).expect("the whole project is in the page");
    let boxes = svg::boxes(whole);
    let class_of = |id: &str| {
        boxes
            .iter()
            .find(|b| b.id == id)
            .map(|b| b.class.clone())
            .unwrap_or_else(|| panic!("{id} is not in the whole project"))
    };
    assert!(class_of("model.shop.orphan").contains("off-lineage"));
    assert!(class_of("source.shop.ecom.raw_unused").contains("off-lineage"));
    assert!(!class_of("model.shop.orders").contains("off-lineage"));
    assert_eq!(boxes.len(), 12, "10 upstream, 2 not");
    assert!(html.contains(">Show all 9 dbt nodes</button>"));
}

#[test]
fn a_project_whose_every_node_feeds_an_exposure_has_no_show_all_button() {
    let (manifest, dag) = shop();
    let mut exposures = shop_exposures();
    exposures.push(exposure(
        "orphan_report",
        "Orphan report",
        "Ops",
        &["model.shop.orphan", "model.shop.orders"],
    ));
    let html = page(&manifest, &dag, &exposures);
    assert!(svg::whole_project_svg(&html).is_none());
    assert!(!html.contains("id=\"scope\""));
}

#[test]
fn edges_that_skip_columns_run_between_the_nodes_they_pass() {
    let jaffle = projects::jaffle_shop();
    let html = page(&jaffle.manifest, &jaffle.dag, &jaffle.exposures);
    let drawn = svg::opening_svg(&html);
    assert_eq!(svg::edges_behind_nodes(drawn), Vec::new());
    // A workbook reading a source directly: its edge skips every model column.
    let skipping = svg::edges(drawn)
        .into_iter()
        .find(|e| e.from.starts_with("source.") && e.to.starts_with("exposure."))
        .expect("a source feeds an exposure directly");
    let start = skipping.points[0].0;
    let end = skipping.points.last().expect("points").0;
    let columns_crossed = svg::column_heads(drawn)
        .iter()
        .filter(|(x, _)| *x > start && *x < end)
        .count();
    assert!(columns_crossed >= 2, "{columns_crossed}");
    let (manifest, dag) = shop();
    let shop_page = page(&manifest, &dag, &shop_exposures());
    assert_eq!(
        svg::edges_behind_nodes(svg::opening_svg(&shop_page)),
        Vec::new()
    );
}

#[test]
fn edges_run_between_nodes_in_a_thousand_model_project() {
    let project = projects::generated(&Shape {
        models: 1000,
        exposures: 50,
    });
    let html = page(&project.manifest, &project.dag, &project.exposures);
    let behind = svg::edges_behind_nodes(svg::opening_svg(&html));
    assert!(
        behind.is_empty(),
        "{} edges behind nodes: {:?}",
        behind.len(),
        &behind[..behind.len().min(5)]
    );
    let whole = svg::whole_project_svg(&html).expect("whole project");
    let behind = svg::edges_behind_nodes(whole);
    assert!(
        behind.is_empty(),
        "{} edges behind nodes: {:?}",
        behind.len(),
        &behind[..behind.len().min(5)]
    );
}

#[test]
fn a_seed_sits_under_a_heading_that_names_seeds() {
    let (manifest, dag) = shop();
    let html = page(&manifest, &dag, &shop_exposures());
    let seed_x = node_x(&html, "seed.shop.country_codes");
    let heads = svg::column_heads(svg::opening_svg(&html));
    let (_, heading) = heads
        .iter()
        .find(|(x, _)| *x == seed_x)
        .expect("a heading over the seed's column");
    assert!(heading.contains("SEEDS"), "{heading}");
    assert!(heading.contains("MODELS"), "{heading}");
    let source_x = node_x(&html, "source.shop.ecom.raw_orders");
    assert!(
        heads.contains(&(source_x, "SOURCES".to_string())),
        "{heads:?}"
    );
}

#[test]
fn every_edge_between_drawn_nodes_is_drawn_once() {
    let (manifest, dag) = shop();
    let html = page(&manifest, &dag, &shop_exposures());
    let edges: Vec<(String, String)> = svg::opening_svg(&html)
        .split("<path class=\"edge\"")
        .skip(1)
        .map(|tag| {
            let tag = format!(" {tag}");
            (
                attr(&tag, "data-from").expect("from"),
                attr(&tag, "data-to").expect("to"),
            )
        })
        .collect();
    let unique: BTreeSet<_> = edges.iter().cloned().collect();
    assert_eq!(edges.len(), unique.len(), "duplicate edges: {edges:?}");
    for (from, to) in [
        ("source.shop.ecom.raw_orders", "model.shop.stg_orders"),
        ("model.shop.stg_customers", "model.shop.orders"),
        ("seed.shop.country_codes", "model.shop.customers"),
        ("model.shop.orders", "exposure.shop.executive_overview"),
        ("model.shop.customers", "exposure.shop.weekly_kpis"),
    ] {
        assert!(
            unique.contains(&(from.to_string(), to.to_string())),
            "{from} -> {to} missing"
        );
    }
    // 2 source edges, 4 model edges, 3 exposure edges.
    assert_eq!(unique.len(), 9, "{unique:?}");
}

#[test]
fn columns_run_from_sources_through_models_to_exposures() {
    let (manifest, dag) = shop();
    let html = page(&manifest, &dag, &shop_exposures());
    let source = node_x(&html, "source.shop.ecom.raw_orders");
    let staging = node_x(&html, "model.shop.stg_orders");
    let mart = node_x(&html, "model.shop.orders");
    let exposure = node_x(&html, "exposure.shop.executive_overview");
    assert!(
        source < staging && staging < mart && mart < exposure,
        "{source} {staging} {mart} {exposure}"
    );
    // A seed has no parents: it sits with the first models, not with the sources.
    assert_eq!(node_x(&html, "seed.shop.country_codes"), staging);
}

#[test]
fn exposures_are_grouped_under_their_tableau_project() {
    let (manifest, dag) = shop();
    let html = page(&manifest, &dag, &shop_exposures());
    let finance = html
        .find(">imported_from_tableau/Finance</text>")
        .expect("Finance heading");
    let sales = html
        .find(">imported_from_tableau/Sales</text>")
        .expect("Sales heading");
    assert!(finance < sales, "groups are sorted by project name");
    assert!(html.contains(">manual exposures (dbt YAML)</text>"));
    assert!(html.contains("data-mode=\"manual\""));
    assert!(html.contains("data-mode=\"auto · tableau\""));
}

#[test]
fn the_details_panel_gets_label_owner_and_url() {
    let (manifest, dag) = shop();
    let html = page(&manifest, &dag, &shop_exposures());
    let tag = node_tag(&html, "exposure.shop.customer_360");
    assert_eq!(attr(tag, "data-title").as_deref(), Some("Customer 360"));
    assert_eq!(attr(tag, "data-owner").as_deref(), Some("Ada Lovelace"));
    assert_eq!(attr(tag, "data-email").as_deref(), Some("ada@example.com"));
    assert_eq!(
        attr(tag, "data-url").as_deref(),
        Some("https://10az.online.tableau.com/#/site/acme/workbooks/customer_360")
    );
}

#[test]
fn workbook_text_cannot_inject_markup() {
    let (manifest, dag) = shop();
    let evil = "<script>alert(1)</script> & \"co\" 'x'";
    let mut bad = exposure(
        "evil",
        evil,
        "\"><img src=x onerror=alert(2)>",
        &["model.shop.orders"],
    );
    bad.owner = Some(Owner {
        name: Some("</title><script>alert(3)</script>".into()),
        email: Some("a\"b@example.com".into()),
    });
    bad.description = Some("<b onmouseover=alert(4)>hi</b>".into());
    bad.unmatched_tables = vec!["db.<s>.t".into()];
    let html = lineage_html(
        &manifest,
        &dag,
        &[bad],
        &LineageOptions {
            title: "<svg onload=alert(5)>".into(),
            generated_at: Some("<i>now</i>".into()),
        },
    );
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only the page's own script"
    );
    for injected in [
        "<img",
        "<b ",
        "<svg onload",
        "<i>",
        "<s>",
        "alert(1)</script>",
    ] {
        assert!(!html.contains(injected), "{injected} got through");
    }
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;co&quot; 'x'"));
}

#[test]
fn only_http_urls_become_links() {
    let (manifest, dag) = shop();
    let mut sneaky = exposure("sneaky", "Sneaky", "Finance", &["model.shop.orders"]);
    sneaky.url = Some("javascript:alert(1)".into());
    let html = page(&manifest, &dag, &[sneaky]);
    assert!(!html.contains("javascript:alert"), "the URL is dropped");
}

#[test]
fn the_same_input_gives_the_same_page() {
    let (manifest, dag) = shop();
    let first = page(&manifest, &dag, &shop_exposures());
    // The parent map in another order, the exposures in another order.
    let mut reordered: Vec<(String, Vec<String>)> = shop_manifest_json()["parent_map"]
        .as_object()
        .expect("object")
        .iter()
        .map(|(k, v)| {
            let mut parents: Vec<String> = v
                .as_array()
                .expect("array")
                .iter()
                .map(|p| p.as_str().expect("string").to_string())
                .collect();
            parents.reverse();
            (k.clone(), parents)
        })
        .collect();
    reordered.reverse();
    let mut exposures = shop_exposures();
    exposures.reverse();
    let second = page(&manifest, &Dag::from_parents(reordered), &exposures);
    assert_eq!(first, second);
    assert_eq!(first, page(&manifest, &dag, &shop_exposures()));
}

#[test]
fn the_header_names_the_manifest_and_when_the_page_was_made() {
    let (manifest, dag) = shop();
    let options = LineageOptions {
        title: "shop".into(),
        generated_at: Some("2025-11-28T16:12:00Z".into()),
    };
    let html = lineage_html(&manifest, &dag, &shop_exposures(), &options);
    assert!(html.contains("generated 2025-11-28T16:12:00Z"));
    assert!(html.contains("manifest of 2025-11-28T06:00:00.000000Z"));
    assert!(html.contains("dbt 1.10.2"));
    assert!(html.contains("<title>shop</title>"));
}

#[test]
fn the_page_fetches_nothing() {
    let (manifest, dag) = shop();
    let html = page(&manifest, &dag, &shop_exposures());
    assert!(html.contains("Content-Security-Policy\" content=\"default-src 'none'"));
    for fetch in [
        "src=\"http",
        "href=\"http",
        "url(http",
        "@import",
        "fetch(",
        "XMLHttpRequest",
    ] {
        assert!(!html.contains(fetch), "{fetch}");
    }
}

#[test]
fn a_model_missing_from_the_relations_still_links_its_sources() {
    // An ephemeral model is in parent_map but creates no relation.
    let (manifest, _) = shop();
    let dag = Dag::from_parents([
        (
            "model.shop.orders".to_string(),
            vec!["model.shop.int_orders".to_string()],
        ),
        (
            "model.shop.int_orders".to_string(),
            vec!["source.shop.ecom.raw_orders".to_string()],
        ),
    ]);
    let html = page(&manifest, &dag, &shop_exposures()[..1]);
    let ids = drawn_ids(&html);
    assert!(ids.contains("model.shop.int_orders"), "{ids:?}");
    assert!(ids.contains("source.shop.ecom.raw_orders"), "{ids:?}");
    assert!(html.contains(">int_orders</text>"));
}

#[test]
fn a_cycle_in_a_bad_parent_map_still_renders() {
    let (manifest, _) = shop();
    let dag = Dag::from_parents([
        (
            "model.shop.orders".to_string(),
            vec!["model.shop.stg_orders".to_string()],
        ),
        (
            "model.shop.stg_orders".to_string(),
            vec!["model.shop.orders".to_string()],
        ),
    ]);
    let ids = drawn_ids(&page(&manifest, &dag, &shop_exposures()[..1]));
    assert!(ids.contains("model.shop.stg_orders"), "{ids:?}");
}

#[test]
fn a_very_deep_chain_is_capped_to_a_readable_number_of_columns() {
    let (manifest, _) = shop();
    let mut entries = vec![(
        "model.shop.orders".to_string(),
        vec!["model.shop.step_0".to_string()],
    )];
    for i in 0..200 {
        entries.push((
            format!("model.shop.step_{i}"),
            vec![format!("model.shop.step_{}", i + 1)],
        ));
    }
    let html = page(
        &manifest,
        &Dag::from_parents(entries),
        &shop_exposures()[..1],
    );
    let ids = drawn_ids(&html);
    assert!(ids.contains("model.shop.step_200"));
    let columns: BTreeSet<u64> = ids.iter().map(|id| node_x(&html, id) as u64).collect();
    assert!(columns.len() <= 26, "{} columns", columns.len());
}

#[test]
fn without_exposures_the_page_says_so() {
    let (mut manifest, dag) = shop();
    manifest.exposures.clear();
    let html = page(&manifest, &dag, &[]);
    assert!(drawn_ids(&html).is_empty());
    assert!(html.contains("No exposures"));
}

#[test]
fn without_exposures_the_whole_project_keeps_its_models_out_of_the_exposure_column() {
    let (mut manifest, dag) = shop();
    manifest.exposures.clear();
    let html = page(&manifest, &dag, &[]);
    let whole = svg::whole_project_svg(&html).expect("the project is one click away");
    let heads = svg::column_heads(whole);
    let (last_x, last) = heads.last().expect("headings");
    assert_eq!(last, "EXPOSURES");
    let boxes = svg::boxes(whole);
    assert_eq!(boxes.len(), 9, "every relation of the shop");
    assert!(boxes.iter().all(|b| b.x < *last_x), "{boxes:?}");
}
