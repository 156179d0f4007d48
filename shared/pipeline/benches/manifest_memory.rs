//! How large a manifest the function applies in how little memory, and how fast.
//!
//! `cargo bench -p autoexpose-pipeline --bench manifest_memory` generates a manifest of
//! `AUTOEXPOSE_BENCH_MANIFEST_MB` MiB (2048 by default; kept in the target directory
//! for the next run) of the shape dbt writes, then:
//!
//! 1. times the floor: serde_json skipping every byte (`IgnoredAny`) from the same file,
//!    through a 4 MiB `BufReader` (serde_json's reader path), and from memory (its
//!    fastest path, on the file read whole beforehand, not timed);
//! 2. in a child process whose address space `prlimit --as` limits to
//!    `AUTOEXPOSE_BENCH_LIMIT_MB` MiB (512 by default), times `Manifest::from_reader` on
//!    the file, then applies it as the function does (`Pipeline::apply_manifest` over
//!    artifacts that open the file, as the S3 adapter opens its download in the
//!    temporary directory and the local adapter opens a local file), and
//!    reports the child's peak address space and peak resident memory;
//! 3. checks that the result is the one `Manifest::from_slice` gives, and times that
//!    (which needs the whole file in memory) for comparison.
//!
//! It prints the figures; it asserts only that the child applied the manifest under the
//! limit and that the results agree.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use autoexpose_domain::Manifest;
use autoexpose_pipeline::testsuite::{
    FakeTableau, StaticSecrets, peak_memory_kib, run_limited, write_large_manifest,
};
use autoexpose_pipeline::{
    ArtifactError, ArtifactLocation, ArtifactReader, Artifacts, MemoryStore, Pipeline, Secret,
};
use serde::de::IgnoredAny;

/// Artifacts that are local files, opened where they are.
struct Files;

#[async_trait::async_trait]
impl Artifacts for Files {
    async fn read(&self, location: &ArtifactLocation) -> Result<Vec<u8>, ArtifactError> {
        std::fs::read(&location.key).map_err(|e| ArtifactError::Rejected(e.into()))
    }
    async fn open(&self, location: &ArtifactLocation) -> Result<ArtifactReader, ArtifactError> {
        let file =
            std::fs::File::open(&location.key).map_err(|e| ArtifactError::Rejected(e.into()))?;
        Ok(ArtifactReader::new(file))
    }
    async fn write(&self, _: &ArtifactLocation, _: &[u8]) -> Result<(), ArtifactError> {
        Ok(())
    }
}

const CHILD: &str = "AUTOEXPOSE_BENCH_CHILD";

fn env_mib(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// In the child: parse, then apply, and print the figures.
fn child(path: &str) {
    let started = Instant::now();
    let file = std::fs::File::open(path).expect("open");
    let manifest = Manifest::from_reader(file).expect("parses");
    let parse = started.elapsed().as_secs_f64();
    let relations = manifest.relations.len();
    drop(manifest);
    let pipeline = Pipeline::from_shared(
        Arc::new(MemoryStore::new()),
        Arc::new(Files),
        Arc::new(StaticSecrets(Secret::new("unused"))),
        Arc::new(FakeTableau::with_projects()),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let started = Instant::now();
    let outcome = runtime
        .block_on(pipeline.apply_manifest("big", &ArtifactLocation::local(path)))
        .expect("applied");
    let apply = started.elapsed().as_secs_f64();
    let (peak, hwm) = peak_memory_kib().expect("Linux");
    let applied = matches!(outcome, autoexpose_pipeline::ApplyOutcome::Applied { .. });
    println!("parse_s={parse:.3} apply_s={apply:.3} relations={relations} applied={applied}");
    println!("vm_peak_kib={peak} hwm_kib={hwm}");
}

fn field(report: &str, name: &str) -> f64 {
    let start = report
        .find(name)
        .unwrap_or_else(|| panic!("{name} in {report}"))
        + name.len();
    let number: String = report[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    number.parse().expect("a number")
}

/// The generated manifest, made once per size and kept in the target directory.
fn manifest_file(size_mib: u64) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("bench-manifest-{size_mib}mib.json"));
    if !path.exists() {
        let partial = path.with_extension("partial");
        let started = Instant::now();
        let file = std::fs::File::create(&partial).expect("create");
        let written = write_large_manifest(file, size_mib << 20).expect("generate");
        std::fs::rename(&partial, &path).expect("rename");
        println!(
            "generated {} ({:.0} MiB: {} models, {} tests, {} sources) in {:.1} s",
            path.display(),
            mib(written.bytes),
            written.models,
            written.tests,
            written.sources,
            started.elapsed().as_secs_f64()
        );
    }
    path
}

fn main() {
    if let Ok(path) = std::env::var(CHILD) {
        return child(&path);
    }
    let size_mib = env_mib("AUTOEXPOSE_BENCH_MANIFEST_MB", 2048);
    let limit_mib = env_mib("AUTOEXPOSE_BENCH_LIMIT_MB", 512);
    let path = manifest_file(size_mib);
    let bytes_on_disk = std::fs::metadata(&path).expect("stat").len();
    println!(
        "manifest: {} ({:.0} MiB)",
        path.display(),
        mib(bytes_on_disk)
    );

    let started = Instant::now();
    let reader = BufReader::with_capacity(4 << 20, std::fs::File::open(&path).expect("open"));
    serde_json::from_reader::<_, IgnoredAny>(reader).expect("skips");
    let floor_reader = started.elapsed().as_secs_f64();

    let text = std::fs::read(&path).expect("read whole");
    let started = Instant::now();
    autoexpose_domain::skim(&text).expect("skips");
    let floor_memory = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let whole = Manifest::from_slice(&text).expect("parses");
    let from_slice = started.elapsed().as_secs_f64();
    // The streaming reader without the file: its parse alone, against the same floor.
    let started = Instant::now();
    let read_in_memory = Manifest::from_reader(&text[..]).expect("parses");
    let from_reader_memory = started.elapsed().as_secs_f64();
    assert!(
        read_in_memory == whole,
        "the reader reads what the slice does"
    );
    drop(read_in_memory);
    drop(text);

    let path_text = path.to_str().expect("utf-8 path");
    let output = run_limited(Some(limit_mib << 20), &[], &[(CHILD, path_text)]).expect("child");
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success() && report.contains("applied=true"),
        "the child did not apply the manifest under {limit_mib} MiB:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let parse = field(&report, "parse_s=");
    let apply = field(&report, "apply_s=");
    let relations = field(&report, "relations=") as usize;
    let peak = field(&report, "vm_peak_kib=") / 1024.0;
    let hwm = field(&report, "hwm_kib=") / 1024.0;
    assert_eq!(
        relations,
        whole.relations.len(),
        "the reader and the slice agree"
    );
    let streamed =
        Manifest::from_reader(std::fs::File::open(&path).expect("open")).expect("parses");
    assert!(
        streamed == whole,
        "the reader and the slice read the same manifest"
    );

    let throughput = |s: f64| mib(bytes_on_disk) / s;
    println!("limit (prlimit --as):         {limit_mib} MiB");
    println!(
        "parse, from_reader on file:   {parse:.2} s ({:.0} MiB/s)",
        throughput(parse)
    );
    println!("apply_manifest, whole:        {apply:.2} s");
    println!(
        "floor, IgnoredAny from file:  {floor_reader:.2} s ({:.0} MiB/s); parse speed {:.2}x the floor",
        throughput(floor_reader),
        floor_reader / parse
    );
    println!(
        "floor, IgnoredAny in memory:  {floor_memory:.2} s ({:.0} MiB/s); parse speed {:.2}x the floor",
        throughput(floor_memory),
        floor_memory / parse
    );
    println!(
        "from_reader, in memory:       {from_reader_memory:.2} s ({:.0} MiB/s); parse speed {:.2}x the in-memory floor",
        throughput(from_reader_memory),
        floor_memory / from_reader_memory
    );
    println!(
        "from_slice, in memory:        {from_slice:.2} s ({:.0} MiB/s), needing the whole file in memory",
        throughput(from_slice)
    );
    println!("peak address space (VmPeak):  {peak:.0} MiB");
    println!("peak resident (VmHWM):        {hwm:.0} MiB");
    println!("relations read:               {relations} (same as from_slice)");
}
