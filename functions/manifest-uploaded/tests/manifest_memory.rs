//! A manifest is applied in memory that does not grow with it: a generated manifest is
//! applied, from a file as the function reads its download, in a child process whose
//! address space is limited (`prlimit --as`) to what the process needs anyway plus less
//! than the manifest's size; reading the same file whole under the same limit fails, so
//! the limit is known to bite. The file path reads what `Manifest::from_slice` reads.

use std::sync::Arc;

use autoexpose_domain::Manifest;
use autoexpose_pipeline::testsuite::{
    FakeTableau, StaticSecrets, peak_memory_kib, run_limited, write_large_manifest,
};
use autoexpose_pipeline::{
    ArtifactError, ArtifactLocation, Artifacts, MemoryStore, Pipeline, Secret,
};
use autoexpose_store_local::LocalArtifacts;

const CHILD: &str = "AUTOEXPOSE_MEMORY_TEST_CHILD";
const TEST: &str = "a_manifest_is_applied_in_less_memory_than_its_size";
const MANIFEST_MIB: u64 = 24;
/// What the child may use over its baseline: well under the manifest's size.
const HEADROOM_MIB: u64 = 10;

/// Local files read whole, as artifacts were read before they could be opened.
struct ReadWhole(LocalArtifacts);

#[async_trait::async_trait]
impl Artifacts for ReadWhole {
    async fn read(&self, location: &ArtifactLocation) -> Result<Vec<u8>, ArtifactError> {
        self.0.read(location).await
    }
    async fn write(&self, location: &ArtifactLocation, bytes: &[u8]) -> Result<(), ArtifactError> {
        self.0.write(location, bytes).await
    }
}

/// In the child: applies the manifest at `path` and prints the outcome and the peaks.
fn child(mode: &str, path: &str) {
    let artifacts: Arc<dyn Artifacts> = match mode {
        "whole" => Arc::new(ReadWhole(LocalArtifacts)),
        _ => Arc::new(LocalArtifacts),
    };
    let pipeline = Pipeline::from_shared(
        Arc::new(MemoryStore::new()),
        artifacts,
        Arc::new(StaticSecrets(Secret::new("unused"))),
        Arc::new(FakeTableau::with_projects()),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let outcome = runtime
        .block_on(pipeline.apply_manifest("big", &ArtifactLocation::local(path)))
        .expect("applied");
    let (peak, hwm) = peak_memory_kib().expect("Linux");
    println!("outcome={outcome:?}");
    println!("vm_peak_kib={peak} hwm_kib={hwm}");
}

fn run_child(mode: &str, path: &str, limit: Option<u64>) -> (bool, String) {
    let env = format!("{mode}:{path}");
    let output = run_limited(
        limit,
        &[TEST, "--exact", "--nocapture", "--test-threads=1"],
        &[(CHILD, env.as_str())],
    )
    .expect("run the child");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    (
        output.status.success() && stdout.contains("outcome=Applied"),
        format!("{stdout}\n{stderr}"),
    )
}

fn field(report: &str, name: &str) -> u64 {
    let start = report
        .find(name)
        .unwrap_or_else(|| panic!("{name} in {report}"))
        + name.len();
    let digits: String = report[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().expect("a number")
}

#[test]
fn a_manifest_is_applied_in_less_memory_than_its_size() {
    if let Ok(job) = std::env::var(CHILD) {
        let (mode, path) = job.split_once(':').expect("mode:path");
        return child(mode, path);
    }
    let dir = std::env::temp_dir();
    let path = dir.join(format!(
        "autoexpose-memory-test-{}.json",
        std::process::id()
    ));
    let tiny = dir.join(format!(
        "autoexpose-memory-test-{}-tiny.json",
        std::process::id()
    ));
    let written = write_large_manifest(
        std::fs::File::create(&path).expect("create"),
        MANIFEST_MIB << 20,
    )
    .expect("generate");
    write_large_manifest(std::fs::File::create(&tiny).expect("create"), 1).expect("generate");

    // The file path reads exactly what the slice path reads (on a smaller one: this
    // test runs unoptimized).
    let small = dir.join(format!(
        "autoexpose-memory-test-{}-small.json",
        std::process::id()
    ));
    let small_written =
        write_large_manifest(std::fs::File::create(&small).expect("create"), 2 << 20)
            .expect("generate");
    let bytes = std::fs::read(&small).expect("read");
    let whole = Manifest::from_slice(&bytes).expect("parses");
    let streamed =
        Manifest::from_reader(std::fs::File::open(&small).expect("open")).expect("parses");
    assert_eq!(streamed, whole);
    assert_eq!(streamed.relations.len(), small_written.relations());
    assert_eq!(streamed.dag(), whole.dag());

    let (ok, report) = run_child("open", tiny.to_str().expect("utf-8"), None);
    assert!(ok, "{report}");
    let baseline_kib = field(&report, "vm_peak_kib=");
    let limit = (baseline_kib << 10) + (HEADROOM_MIB << 20);
    assert!(limit < (baseline_kib << 10) + written.bytes);

    let file = path.to_str().expect("utf-8");
    let (ok, report) = run_child("open", file, Some(limit));
    assert!(
        ok,
        "applied from the file under {} MiB: {report}",
        limit >> 20
    );
    let peak_kib = field(&report, "vm_peak_kib=");
    assert!(
        peak_kib <= baseline_kib + (HEADROOM_MIB << 10),
        "peak {peak_kib} KiB over baseline {baseline_kib} KiB: {report}"
    );
    let (ok, report) = run_child("whole", file, Some(limit));
    assert!(
        !ok,
        "read whole, it should not fit in {} MiB: {report}",
        limit >> 20
    );

    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(&tiny);
    let _ = std::fs::remove_file(&small);
}
