//! `cargo bench -p autoexpose --bench match`: manifest parsing speed, matching time and the
//! peak memory of a whole `autoexpose match` run, on generated inputs of realistic shape.
//!
//! For 1k, 10k and 50k models (about 10 KB a node: compiled and raw SQL, columns, docs; in
//! `parent_map` and `child_map` with two tests each) it prints the manifest size, parse
//! speed against `serde_json`'s `IgnoredAny` over the same bytes (the floor for any JSON
//! reader), the time to match 10,000 workbooks of 10 tables, and the peak resident memory
//! of the process measured by `/usr/bin/time -v`.
//! Set `AUTOEXPOSE_BENCH_SIZES=1000,10000` to choose the sizes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use autoexpose_domain::{Manifest, MatchOptions, build_exposures, skim};
use autoexpose_tableau::parse_workbooks_response;

const WORKBOOKS: usize = 10_000;
const TABLES_PER_WORKBOOK: usize = 10;

/// A small deterministic generator (xorshift), so every run sees the same inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn schema_of(i: usize) -> String {
    format!(
        "dbt_prod_{}",
        ["core", "marts", "finance", "marketing", "ops"][i % 5]
    )
}

fn model_json(out: &mut String, i: usize) {
    let name = format!("model_{i:06}");
    let schema = schema_of(i);
    let mut columns = String::new();
    for c in 0..12 {
        let _ = write!(
            columns,
            r#"{}"col_{c}": {{"name": "col_{c}", "description": "Column {c} of {name}: the value as reported by the upstream system, after cleaning and casting.", "meta": {{}}, "data_type": "varchar", "constraints": [], "quote": null, "tags": ["pii"], "granularity": null}}"#,
            if c == 0 { "" } else { ", " }
        );
    }
    let mut compiled = String::from(
        "with source as (\\n    select * from ANALYTICS.RAW.events\\n),\\nrenamed as (\\n    select\\n",
    );
    for c in 0..40 {
        let _ = write!(
            compiled,
            "        cast(\\\"col_{c}\\\" as varchar) as col_{c},\\n"
        );
    }
    compiled.push_str("        current_timestamp() as loaded_at\\n    from source\\n    where event_type <> 'test'\\n)\\nselect * from renamed");
    let raw = compiled.replace("ANALYTICS.RAW.events", "{{ source('raw', 'events') }}");
    let _ = write!(
        out,
        r#""model.bench.{name}": {{"database": "ANALYTICS", "schema": "{schema}", "name": "{name}", "resource_type": "model", "package_name": "bench", "path": "marts/{name}.sql", "original_file_path": "models/marts/{name}.sql", "unique_id": "model.bench.{name}", "fqn": ["bench", "marts", "{name}"], "alias": "{name}", "checksum": {{"name": "sha256", "checksum": "{:016x}{:016x}"}}, "config": {{"enabled": true, "alias": null, "schema": null, "database": null, "tags": [], "meta": {{}}, "group": null, "materialized": "table", "incremental_strategy": null, "persist_docs": {{}}, "post-hook": [], "pre-hook": [], "quoting": {{}}, "column_types": {{}}, "full_refresh": null, "unique_key": null, "on_schema_change": "ignore", "on_configuration_change": "apply", "grants": {{}}, "packages": [], "docs": {{"show": true, "node_color": null}}, "contract": {{"enforced": false, "alias_types": true}}, "access": "protected"}}, "tags": [], "description": "The {name} model: one row per event, cleaned, typed and deduplicated for reporting. See the docs block for the grain and the caveats.", "columns": {{{columns}}}, "meta": {{}}, "group": null, "docs": {{"show": true, "node_color": null}}, "patch_path": "bench://models/marts/_models.yml", "build_path": null, "unrendered_config": {{"materialized": "table"}}, "created_at": 1763618400.123, "relation_name": "ANALYTICS.{schema}.{name}", "raw_code": "{raw}", "language": "sql", "refs": [{{"name": "stg_events", "package": null, "version": null}}], "sources": [["raw", "events"]], "metrics": [], "depends_on": {{"macros": ["macro.bench.cents_to_dollars"], "nodes": ["source.bench.raw.events"]}}, "compiled_path": "target/compiled/bench/models/marts/{name}.sql", "compiled": true, "compiled_code": "{compiled}", "extra_ctes_injected": true, "extra_ctes": [], "contract": {{"enforced": false, "alias_types": true, "checksum": null}}, "access": "protected", "constraints": [], "version": null, "latest_version": null, "deprecation_date": null}}"#,
        i * 7919,
        i * 104729
    );
}

fn manifest_json(models: usize) -> String {
    let mut out = String::with_capacity(models * 11_000);
    out.push_str(r#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json", "dbt_version": "1.11.2", "generated_at": "2026-11-28T06:00:00.000000Z", "invocation_id": "00000000-0000-4000-8000-000000000000", "project_name": "bench", "adapter_type": "snowflake"}, "nodes": {"#);
    for i in 0..models {
        if i > 0 {
            out.push_str(", ");
        }
        model_json(&mut out, i);
    }
    out.push_str(r#"}, "sources": {"source.bench.raw.events": {"database": "ANALYTICS", "schema": "RAW", "name": "events", "source_name": "raw", "identifier": "events", "resource_type": "source", "package_name": "bench"}}, "macros": {}, "docs": {}, "exposures": {}, "disabled": {}, "#);
    graph_json(&mut out, models);
    out.push('}');
    out
}

/// `parent_map` and `child_map` as dbt writes them: every model reads the source (and,
/// after the first, the model before it) and has two tests.
fn graph_json(out: &mut String, models: usize) {
    let test = |i: usize, t: usize| format!("test.bench.not_null_model_{i:06}_col_{t}.{i:08x}{t}");
    out.push_str(r#""parent_map": {"source.bench.raw.events": []"#);
    for i in 0..models {
        let previous = if i == 0 {
            String::new()
        } else {
            format!(r#", "model.bench.model_{:06}""#, i - 1)
        };
        let _ = write!(
            out,
            r#", "model.bench.model_{i:06}": ["source.bench.raw.events"{previous}]"#
        );
        for t in 0..2 {
            let _ = write!(out, r#", "{}": ["model.bench.model_{i:06}"]"#, test(i, t));
        }
    }
    out.push_str(r#"}, "child_map": {"source.bench.raw.events": ["#);
    for i in 0..models {
        let _ = write!(
            out,
            r#"{}"model.bench.model_{i:06}""#,
            if i == 0 { "" } else { ", " }
        );
    }
    out.push(']');
    for i in 0..models {
        let next = if i + 1 < models {
            format!(r#", "model.bench.model_{:06}""#, i + 1)
        } else {
            String::new()
        };
        let _ = write!(
            out,
            r#", "model.bench.model_{i:06}": ["{}", "{}"{next}]"#,
            test(i, 0),
            test(i, 1)
        );
        for t in 0..2 {
            let _ = write!(out, r#", "{}": []"#, test(i, t));
        }
    }
    out.push('}');
}

fn tableau_json(models: usize, rng: &mut Rng) -> String {
    let mut out = String::with_capacity(WORKBOOKS * 2_000);
    out.push_str(r#"{"data": {"workbooks": ["#);
    for w in 0..WORKBOOKS {
        if w > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            r#"{{"name": "Workbook {w} - {}", "uri": "sites/1/workbooks/{w}", "id": "id-{w}", "luid": "{w:08x}-0000-4000-8000-000000000000", "projectLuid": "p-{}", "projectName": "Project {}", "upstreamTables": ["#,
            ["Sales", "Finance", "Ops"][w % 3],
            w % 50,
            w % 50
        );
        for t in 0..TABLES_PER_WORKBOOK {
            let i = rng.below(models);
            // One table in ten names something dbt does not build.
            let name = if t == 9 {
                format!("adhoc_{i}")
            } else {
                format!("MODEL_{i:06}")
            };
            let _ = write!(
                out,
                r#"{}{{"id": "t-{w}-{t}", "name": "{name}", "schema": "{}", "database": {{"name": "analytics", "connectionType": "snowflake"}}}}"#,
                if t == 0 { "" } else { "," },
                schema_of(i).to_uppercase()
            );
        }
        out.push_str("]}");
    }
    out.push_str("]}}");
    out
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let started = Instant::now();
        let value = f();
        best = best.min(started.elapsed());
        last = Some(value);
    }
    (best, last.expect("at least one run"))
}

/// Peak RSS in KiB of `autoexpose match` over the files, from `/usr/bin/time -v`.
fn peak_rss_kib(manifest: &Path, response: &Path) -> Option<u64> {
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(env!("CARGO_BIN_EXE_autoexpose"))
        .args([
            "match",
            "--format",
            "json",
            "--out",
            "/dev/null",
            "--manifest",
        ])
        .arg(manifest)
        .arg("--tableau-response")
        .arg(response)
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "autoexpose match failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())
}

fn main() {
    let sizes: Vec<usize> = std::env::var("AUTOEXPOSE_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 50_000]);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("match-bench");
    std::fs::create_dir_all(&dir).expect("bench dir");
    println!(
        "{:>7} {:>10} {:>11} {:>13} {:>6} {:>10} {:>9} {:>9} {:>6}",
        "models",
        "manifest",
        "parse MB/s",
        "ignored MB/s",
        "ratio",
        "match ms",
        "exposures",
        "peak MiB",
        "peak×"
    );
    for models in sizes {
        let mut rng = Rng(0x5eed_0000 + models as u64);
        let manifest_text = manifest_json(models);
        let response_text = tableau_json(models, &mut rng);
        let bytes = manifest_text.into_bytes();
        let mb = bytes.len() as f64 / 1e6;
        let (skim_time, _) = best_of(3, || skim(&bytes).expect("generated JSON is valid"));
        let (parse_time, manifest) = best_of(3, || {
            Manifest::from_slice(&bytes).expect("generated manifest parses")
        });
        assert_eq!(manifest.relations.len(), models + 1);
        let workbooks =
            parse_workbooks_response(response_text.as_bytes()).expect("response parses");
        let (match_time, outcome) = best_of(5, || {
            build_exposures(&manifest, &workbooks, &MatchOptions::default())
        });

        let manifest_path = dir.join(format!("manifest-{models}.json"));
        let response_path = dir.join(format!("tableau-{models}.json"));
        std::fs::write(&manifest_path, &bytes).expect("write manifest");
        std::fs::write(&response_path, &response_text).expect("write response");
        drop(bytes);
        let peak = peak_rss_kib(&manifest_path, &response_path);
        let _ = std::fs::remove_file(&manifest_path);
        let _ = std::fs::remove_file(&response_path);

        let parse_speed = mb / parse_time.as_secs_f64();
        let skim_speed = mb / skim_time.as_secs_f64();
        let (peak_mib, peak_ratio) = match peak {
            Some(kib) => (
                format!("{:.1}", kib as f64 / 1024.0),
                format!("{:.2}", kib as f64 * 1024.0 / (mb * 1e6)),
            ),
            None => ("n/a".into(), "n/a".into()),
        };
        println!(
            "{:>7} {:>8.1}MB {:>11.0} {:>13.0} {:>5.0}% {:>10.1} {:>9} {:>9} {:>6}",
            models,
            mb,
            parse_speed,
            skim_speed,
            100.0 * parse_speed / skim_speed,
            match_time.as_secs_f64() * 1000.0,
            outcome.exposures.len(),
            peak_mib,
            peak_ratio
        );
    }
    println!(
        "\nmatch: {WORKBOOKS} workbooks x {TABLES_PER_WORKBOOK} tables; ratio = parse speed / IgnoredAny speed; peak = max RSS of `autoexpose match` (manifest + Tableau response)."
    );
}
