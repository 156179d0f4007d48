//! Large inputs made by code, for the tests and the benchmark that prove a manifest is
//! applied in memory that does not grow with it: a dbt manifest of the shape dbt writes
//! (models with config, columns, descriptions and compiled SQL, tests, sources, exposures,
//! `parent_map` and `child_map`, macros), of any size; and the process-level helpers that
//! run a child under an address-space limit and read its peak memory.

use std::io::{self, Write};

/// What [`write_large_manifest`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LargeManifest {
    /// Models written (every one enabled, materialized as a table).
    pub models: usize,
    /// Tests written (one per model).
    pub tests: usize,
    /// Sources written.
    pub sources: usize,
    /// Bytes written.
    pub bytes: u64,
}

impl LargeManifest {
    /// The relations autoexpose reads from it: the models and the sources.
    pub fn relations(&self) -> usize {
        self.models + self.sources
    }
}

struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

const DESCRIPTION: &str = "One row per order, with its customer, its status as of the \
    latest load, and the amounts paid by each method. Refunds are netted out; orders placed \
    before the migration keep their legacy ids in \\\"legacy_id\\\".";

/// Writes a manifest of dbt project `big` of about `target_bytes` (a little more) to `out`:
/// models `model.big.model_<n>`, each reading the one before it and source
/// `raw.table_<n % sources>`, with a test each.
pub fn write_large_manifest(out: impl Write, target_bytes: u64) -> io::Result<LargeManifest> {
    let mut w = Counting {
        inner: io::BufWriter::with_capacity(1 << 20, out),
        bytes: 0,
    };
    write!(
        w,
        r#"{{"metadata":{{"dbt_schema_version":"https://schemas.getdbt.com/dbt/manifest/v12.json","dbt_version":"1.10.2","generated_at":"2025-06-01T07:00:00.000000Z","invocation_id":"large-1","env":{{}},"project_name":"big","project_id":"3d0c4d0b0b6ad4e1a36d0bc2d6a7e2c4","user_id":null,"send_anonymous_usage_stats":false,"adapter_type":"snowflake"}},"nodes":{{"#
    )?;
    let sources = 50;
    let mut models = 0;
    // The nodes are about nine tenths of a real manifest; the maps and the rest follow.
    while w.bytes < target_bytes / 10 * 9 {
        if models > 0 {
            w.write_all(b",")?;
        }
        write_model(&mut w, models, sources)?;
        w.write_all(b",")?;
        write_test(&mut w, models)?;
        models += 1;
    }
    w.write_all(br#"},"sources":{"#)?;
    for n in 0..sources {
        if n > 0 {
            w.write_all(b",")?;
        }
        write!(
            w,
            r#""source.big.raw.table_{n}":{{"database":"raw","schema":"landing","name":"table_{n}","resource_type":"source","package_name":"big","path":"models/sources.yml","unique_id":"source.big.raw.table_{n}","fqn":["big","raw","table_{n}"],"source_name":"raw","source_description":"","loader":"fivetran","identifier":"table_{n}","quoting":{{}},"loaded_at_field":null,"freshness":{{"warn_after":{{"count":null,"period":null}}}},"description":"{DESCRIPTION}","columns":{{}},"meta":{{}},"tags":[],"config":{{"enabled":true}},"relation_name":"raw.landing.table_{n}","created_at":1748761200.0}}"#
        )?;
    }
    w.write_all(br#"},"exposures":{"exposure.big.weekly":{"name":"weekly","type":"dashboard","owner":{"name":"Data","email":["data@example.com"]},"depends_on":{"macros":[],"nodes":["model.big.model_0"]}}},"macros":{"#)?;
    for n in 0..200 {
        if n > 0 {
            w.write_all(b",")?;
        }
        write!(
            w,
            r#""macro.big.m_{n}":{{"name":"m_{n}","resource_type":"macro","package_name":"big","macro_sql":"{{% macro m_{n}(x) %}}\n  cast({{{{ x }}}} as varchar)\n{{% endmacro %}}","depends_on":{{"macros":[]}},"arguments":[]}}"#
        )?;
    }
    w.write_all(br#"},"docs":{},"disabled":{},"parent_map":{"#)?;
    write_map(&mut w, models, sources, true)?;
    w.write_all(br#"},"child_map":{"#)?;
    write_map(&mut w, models, sources, false)?;
    w.write_all(br#"},"group_map":{},"saved_queries":{},"semantic_models":{},"unit_tests":{}}"#)?;
    w.flush()?;
    Ok(LargeManifest {
        models,
        tests: models,
        sources,
        bytes: w.bytes,
    })
}

fn write_model(w: &mut impl Write, n: usize, sources: usize) -> io::Result<()> {
    let parent = n.saturating_sub(1);
    let source = n % sources;
    write!(
        w,
        r#""model.big.model_{n}":{{"database":"analytics","schema":"marts","name":"model_{n}","resource_type":"model","package_name":"big","path":"marts/model_{n}.sql","original_file_path":"models/marts/model_{n}.sql","unique_id":"model.big.model_{n}","fqn":["big","marts","model_{n}"],"alias":"model_{n}","checksum":{{"name":"sha256","checksum":"9f2c1e4b7a6d5c3b2a190817263544536271809a8b7c6d5e4f3a2b1c0d9e8f7a"}},"config":{{"enabled":true,"alias":null,"schema":null,"database":null,"tags":["finance","daily"],"meta":{{"owner":"finance"}},"group":null,"materialized":"table","incremental_strategy":null,"batch_size":null,"lookback":1,"persist_docs":{{}},"post-hook":[],"pre-hook":[],"quoting":{{}},"column_types":{{}},"full_refresh":null,"unique_key":null,"on_schema_change":"ignore","on_configuration_change":"apply","grants":{{}},"packages":[],"docs":{{"show":true,"node_color":null}},"contract":{{"enforced":false,"alias_types":true}},"access":"protected"}},"tags":["finance","daily"],"description":"{DESCRIPTION}","columns":{{"#
    )?;
    for c in 0..12 {
        if c > 0 {
            w.write_all(b",")?;
        }
        write!(
            w,
            r#""column_{c}":{{"name":"column_{c}","description":"{DESCRIPTION}","meta":{{}},"data_type":"varchar","constraints":[],"quote":null,"tags":[],"granularity":null}}"#
        )?;
    }
    write!(
        w,
        r#"}},"meta":{{"owner":"finance"}},"group":null,"docs":{{"show":true,"node_color":null}},"patch_path":"big://models/marts/schema.yml","build_path":null,"unrendered_config":{{"materialized":"table"}},"created_at":1748761200.123456,"relation_name":"analytics.marts.model_{n}","raw_code":"select\n    o.id,\n    o.customer_id,\n    sum(p.amount) as amount\nfrom {{{{ ref('model_{parent}') }}}} as o\njoin {{{{ source('raw', 'table_{source}') }}}} as p on p.order_id = o.id\ngroup by 1, 2","language":"sql","refs":[{{"name":"model_{parent}","package":null,"version":null}}],"sources":[["raw","table_{source}"]],"metrics":[],"depends_on":{{"macros":["macro.big.m_1"],"nodes":["model.big.model_{parent}","source.big.raw.table_{source}"]}},"compiled_path":"target/compiled/big/models/marts/model_{n}.sql","compiled":true,"compiled_code":"select\n    o.id,\n    o.customer_id,\n    sum(p.amount) as amount\nfrom \"analytics\".\"marts\".\"model_{parent}\" as o\njoin \"raw\".\"landing\".\"table_{source}\" as p on p.order_id = o.id\ngroup by 1, 2","extra_ctes_injected":true,"extra_ctes":[],"contract":{{"enforced":false,"alias_types":true,"checksum":null}},"access":"protected","constraints":[],"version":null,"latest_version":null,"deprecation_date":null}}"#
    )
}

fn write_test(w: &mut impl Write, n: usize) -> io::Result<()> {
    write!(
        w,
        r#""test.big.not_null_model_{n}_column_0.a1b2c3":{{"database":"analytics","schema":"marts_dbt_test__audit","name":"not_null_model_{n}_column_0","resource_type":"test","package_name":"big","path":"not_null_model_{n}_column_0.sql","unique_id":"test.big.not_null_model_{n}_column_0.a1b2c3","config":{{"enabled":true,"severity":"ERROR","materialized":"test"}},"raw_code":"{{{{ test_not_null(**_dbt_generic_test_kwargs) }}}}","test_metadata":{{"name":"not_null","kwargs":{{"column_name":"column_0","model":"{{{{ get_where_subquery(ref('model_{n}')) }}}}"}},"namespace":null}},"column_name":"column_0","attached_node":"model.big.model_{n}","depends_on":{{"macros":["macro.dbt.test_not_null"],"nodes":["model.big.model_{n}"]}}}}"#
    )
}

/// `parent_map` (each model's parents, each test's model) or `child_map` (the reverse).
fn write_map(w: &mut impl Write, models: usize, sources: usize, parents: bool) -> io::Result<()> {
    for n in 0..models {
        if n > 0 {
            w.write_all(b",")?;
        }
        let test = format!("test.big.not_null_model_{n}_column_0.a1b2c3");
        if parents {
            let source = format!("source.big.raw.table_{}", n % sources);
            match n {
                0 => write!(w, r#""model.big.model_0":["{source}"]"#)?,
                _ => write!(
                    w,
                    r#""model.big.model_{n}":["model.big.model_{}","{source}"]"#,
                    n - 1
                )?,
            }
            write!(w, r#","{test}":["model.big.model_{n}"]"#)?;
        } else {
            write!(
                w,
                r#""model.big.model_{n}":["model.big.model_{}","{test}"],"{test}":[]"#,
                n + 1
            )?;
        }
    }
    for n in 0..sources {
        if models > 0 || n > 0 {
            w.write_all(b",")?;
        }
        write!(w, r#""source.big.raw.table_{n}":[]"#)?;
    }
    Ok(())
}

/// The peak of this process's address space (`VmPeak`) and of its resident memory
/// (`VmHWM`), in KiB, from `/proc/self/status` (Linux); `None` elsewhere.
pub fn peak_memory_kib() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some((field("VmPeak:")?, field("VmHWM:")?))
}

/// Runs this executable again with `args` and `env`, its address space limited to
/// `limit_bytes` by `prlimit --as`, and returns its output. glibc's malloc is kept to its
/// one main arena: another thread's arena reserves 64 MiB of address space up front,
/// which would both count against the limit and hide allocations inside it from it.
pub fn run_limited(
    limit_bytes: Option<u64>,
    args: &[&str],
    env: &[(&str, &str)],
) -> io::Result<std::process::Output> {
    let exe = std::env::current_exe()?;
    let mut command = match limit_bytes {
        Some(limit) => {
            let mut command = std::process::Command::new("prlimit");
            command.arg(format!("--as={limit}")).arg("--").arg(exe);
            command
        }
        None => std::process::Command::new(exe),
    };
    command.args(args).env("MALLOC_ARENA_MAX", "1");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output()
}
