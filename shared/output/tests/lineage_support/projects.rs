//! The projects the lineage tests draw.

use std::path::Path;

use autoexpose_domain::dag::Dag;
use autoexpose_domain::{Exposure, Manifest, MatchOptions, Owner, build_exposures};
use autoexpose_tableau::{TableauSite, parse_workbooks_response};
use serde_json::{Map, json};

/// A manifest, its DAG and the exposures to draw on it.
pub(crate) struct Project {
    pub(crate) manifest: Manifest,
    pub(crate) dag: Dag,
    pub(crate) exposures: Vec<Exposure>,
}

/// The example the demo and the README use: `examples/jaffle-shop`, matched as the demo
/// matches it.
pub(crate) fn jaffle_shop() -> Project {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/jaffle-shop");
    let manifest = std::fs::read(example.join("manifest.json")).expect("example manifest");
    let tableau = std::fs::read(example.join("tableau-response.json")).expect("example");
    let manifest = Manifest::from_slice(&manifest).expect("manifest parses");
    let workbooks = parse_workbooks_response(&tableau).expect("response parses");
    let options = MatchOptions {
        urls: Some(std::sync::Arc::new(TableauSite {
            server_url: "10az.online.tableau.com".into(),
            content_url: "acme".into(),
        })),
        ..MatchOptions::default()
    };
    let exposures = build_exposures(&manifest, &workbooks, &options).exposures;
    let dag = manifest.dag().clone();
    Project {
        manifest,
        dag,
        exposures,
    }
}

/// A deterministic stream of numbers (a linear congruential generator), so the generated
/// project is the same on every run.
struct Numbers(u64);

impl Numbers {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

/// Sizes of a generated project.
pub(crate) struct Shape {
    pub(crate) models: usize,
    pub(crate) exposures: usize,
}

/// A dbt project shaped like real ones, of `shape.models` models: 60 source tables,
/// staging models on them, intermediate models on staging, marts on both (some reading a
/// source or a seed directly, so edges skip columns), and `shape.exposures` exposures in
/// ten Tableau projects, each reading one to three of the first marts, so that part of
/// the project feeds no exposure.
pub(crate) fn generated(shape: &Shape) -> Project {
    let mut numbers = Numbers(42);
    let mut nodes = Map::new();
    let mut sources = Map::new();
    let mut parent_map = Map::new();
    let source_ids: Vec<String> = (0..60)
        .map(|i| format!("source.big.system_{}.table_{i:02}", i % 6))
        .collect();
    for (i, id) in source_ids.iter().enumerate() {
        sources.insert(
            id.clone(),
            json!({"source_name": format!("system_{}", i % 6), "name": format!("table_{i:02}"),
                   "identifier": format!("table_{i:02}"), "database": "raw",
                   "schema": format!("system_{}", i % 6), "package_name": "big"}),
        );
    }
    let seed_ids: Vec<String> = (0..8).map(|i| format!("seed.big.mapping_{i}")).collect();
    for (i, id) in seed_ids.iter().enumerate() {
        nodes.insert(
            id.clone(),
            json!({"resource_type": "seed", "name": format!("mapping_{i}"),
                   "database": "analytics", "schema": "seeds", "package_name": "big"}),
        );
    }
    let staging = shape.models / 6;
    let intermediate = shape.models * 7 / 20;
    let marts = shape.models - staging - intermediate;
    let mut add_model = |name: String, schema: &str, parents: Vec<String>| {
        let id = format!("model.big.{name}");
        nodes.insert(
            id.clone(),
            json!({"resource_type": "model", "name": name, "alias": name,
                   "database": "analytics", "schema": schema, "package_name": "big",
                   "config": {"materialized": "table"}}),
        );
        parent_map.insert(id.clone(), json!(parents));
        id
    };
    let mut staging_ids = Vec::new();
    for i in 0..staging {
        let parents = vec![source_ids[i % source_ids.len()].clone()];
        staging_ids.push(add_model(format!("stg_{i:03}"), "staging", parents));
    }
    let mut int_ids: Vec<String> = Vec::new();
    for i in 0..intermediate {
        let mut parents = vec![staging_ids[numbers.below(staging)].clone()];
        let other = if !int_ids.is_empty() && numbers.below(2) == 0 {
            int_ids[numbers.below(int_ids.len())].clone()
        } else {
            staging_ids[numbers.below(staging)].clone()
        };
        parents.push(other);
        parents.sort();
        parents.dedup();
        int_ids.push(add_model(format!("int_{i:03}"), "intermediate", parents));
    }
    let mut mart_ids: Vec<String> = Vec::new();
    for i in 0..marts {
        let mut parents = Vec::new();
        for _ in 0..1 + numbers.below(3) {
            parents.push(int_ids[numbers.below(int_ids.len())].clone());
        }
        match numbers.below(8) {
            0 => parents.push(source_ids[numbers.below(source_ids.len())].clone()),
            1 => parents.push(seed_ids[numbers.below(seed_ids.len())].clone()),
            2 => parents.push(staging_ids[numbers.below(staging)].clone()),
            3 if !mart_ids.is_empty() => {
                parents.push(mart_ids[numbers.below(mart_ids.len())].clone())
            }
            _ => {}
        }
        parents.sort();
        parents.dedup();
        mart_ids.push(add_model(format!("mart_{i:03}"), "marts", parents));
    }
    let manifest = json!({
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
                     "dbt_version": "1.10.2", "project_name": "big",
                     "generated_at": "2025-11-28T06:00:00.000000Z"},
        "nodes": nodes, "sources": sources, "exposures": {}, "parent_map": parent_map,
    });
    let bytes = serde_json::to_vec(&manifest).expect("serializes");
    let manifest = Manifest::from_slice(&bytes).expect("generated manifest parses");
    let dag = manifest.dag().clone();
    let read_from = (marts / 3).max(1);
    let exposures = (0..shape.exposures)
        .map(|i| {
            let mut depends_on: Vec<String> = (0..1 + numbers.below(3))
                .map(|_| mart_ids[numbers.below(read_from)].clone())
                .collect();
            depends_on.sort();
            depends_on.dedup();
            exposure(i, depends_on)
        })
        .collect();
    Project {
        manifest,
        dag,
        exposures,
    }
}

fn exposure(i: usize, depends_on: Vec<String>) -> Exposure {
    let name = format!("dashboard_{i:03}");
    Exposure {
        label: format!("Dashboard {i:03}"),
        exposure_type: "dashboard".into(),
        url: Some(format!(
            "https://10az.online.tableau.com/#/site/acme/workbooks/{i}"
        )),
        owner: Some(Owner {
            name: Some("Ada Lovelace".into()),
            email: Some("ada@example.com".into()),
        }),
        description: None,
        depends_on,
        workbook_luid: format!("wb-{i:04}"),
        project: format!("Team {:02}", i % 10),
        project_luid: None,
        unmatched_tables: Vec::new(),
        unparsed_custom_sql: Vec::new(),
        referenced_columns: Vec::new(),
        missing_columns: Vec::new(),
        usage: None,
        maturity: None,
        stale: false,
        name,
    }
}

/// Every dbt node upstream of the exposures, following `depends_on` and the DAG.
pub(crate) fn upstream_of_exposures(project: &Project) -> std::collections::BTreeSet<String> {
    let mut seen = std::collections::BTreeSet::new();
    let mut queue: Vec<String> = project
        .exposures
        .iter()
        .flat_map(|e| e.depends_on.iter().cloned())
        .collect();
    for manual in &project.manifest.exposures {
        queue.extend(manual.depends_on.iter().cloned());
    }
    while let Some(id) = queue.pop() {
        if seen.insert(id.clone()) {
            queue.extend(project.dag.parents(&id).map(str::to_string));
        }
    }
    seen
}
