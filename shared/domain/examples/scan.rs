//! Reads each manifest named on the command line and prints what the matcher takes from it:
//! schema version, dbt version, adapter, and relations by kind.
//!
//! `cargo run --release -p autoexpose-domain --example scan -- path/to/manifest.json ...`

use std::collections::BTreeMap;

use autoexpose_domain::Manifest;

fn main() {
    let mut failed = false;
    for path in std::env::args().skip(1) {
        let started = std::time::Instant::now();
        let result = std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| Manifest::from_slice(&bytes).map_err(|e| e.to_string()));
        match result {
            Ok(manifest) => {
                let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
                let mut two_part = 0;
                for relation in &manifest.relations {
                    *kinds.entry(format!("{:?}", relation.kind)).or_default() += 1;
                    two_part += usize::from(relation.database.is_none());
                }
                let meta = &manifest.metadata;
                println!(
                    "{path}: v{} dbt {} {} project {} | {:?} | two-part {two_part} | manual exposures {} | {:.1} ms",
                    meta.schema_version,
                    meta.dbt_version.as_deref().unwrap_or("?"),
                    meta.adapter_type.as_deref().unwrap_or("?"),
                    meta.project_name.as_deref().unwrap_or("?"),
                    kinds,
                    manifest.exposures.len(),
                    started.elapsed().as_secs_f64() * 1000.0
                );
            }
            Err(err) => {
                failed = true;
                println!("{path}: ERROR {err}");
            }
        }
    }
    std::process::exit(i32::from(failed));
}
