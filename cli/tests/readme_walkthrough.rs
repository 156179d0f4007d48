//! The README's dbt Core walkthrough runs exactly as written against the bundled simulator.
//!
//! Every ```bash block that follows a `<!-- walkthrough -->` line in README.md is run, in
//! order, by one `bash -euo pipefail`, with the `autoexpose` binary on `PATH`, in a folder
//! that holds `examples/` as the repository root does. The one thing the test does for
//! itself is the README's start-up block: it starts the simulator in this process (on a
//! free port, where the README uses 8710) and sets `TABLEAU_URL` and `target/try` as that
//! block does.

mod common;

use std::path::Path;
use std::process::Command;

use autoexpose_testkit::example_site;
use common::{scratch, workspace};

/// The line that marks a README code block as part of the walkthrough.
const MARKER: &str = "<!-- walkthrough -->";

/// The walkthrough's command blocks, in README order.
fn walkthrough_blocks(readme: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if line.trim() != MARKER {
            continue;
        }
        let fence = lines.next().unwrap_or_default();
        assert_eq!(fence.trim(), "```bash", "a marked block is a bash block");
        let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
        blocks.push(body.join("\n"));
    }
    blocks
}

/// A folder standing in for the repository root: the examples, and `target/try`.
fn project_folder(name: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    std::os::unix::fs::symlink(workspace().join("examples"), dir.join("examples"))
        .expect("examples linked");
    std::fs::create_dir_all(dir.join("target/try")).expect("target/try");
    dir
}

fn binary_dir() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_autoexpose"))
        .parent()
        .expect("the binary's folder")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_walkthrough_runs_as_written_against_the_simulator() {
    let readme = std::fs::read_to_string(workspace().join("README.md")).expect("README");
    let blocks = walkthrough_blocks(&readme);
    assert!(blocks.len() >= 2, "the walkthrough's blocks are marked");
    let commands = blocks
        .iter()
        .flat_map(|b| b.lines())
        .filter(|l| l.trim_start().starts_with("autoexpose "))
        .count();
    assert!(commands >= 15, "{commands} commands");

    let sim = example_site().await;
    let dir = project_folder("readme");
    let path = format!(
        "{}:{}",
        binary_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = format!("set -euo pipefail\n{}\n", blocks.join("\n"));
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(&dir)
        .env("PATH", path)
        .env("TABLEAU_URL", sim.base_url())
        .env_remove("AUTOEXPOSE_STORE")
        .env_remove("AUTOEXPOSE_DYNAMODB_TABLE")
        .env_remove("AUTOEXPOSE_TABLEAU_TOKEN_SECRET")
        .env_remove("RUST_LOG")
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the walkthrough failed:\n{stderr}\n--- stdout ---\n{stdout}"
    );
    for expected in [
        "signed in to Tableau",
        "Finance/Reporting/Archive",
        "2 of 6 workbooks read no dbt node",
        "collections of 'acme' set to Finance, Marketing",
        "applied ",
        "recorded 6 results",
        "revenue_overview",
        "label:        Revenue Overview",
        "Daily Orders",
        "2 added",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?}:\n{stdout}");
    }
    for file in [
        "target/try/models/imported_from_tableau/exposures.yml",
        "target/try/manifest.with-exposures.json",
        "target/try/lineage.html",
        ".autoexpose/state.db",
    ] {
        assert!(dir.join(file).is_file(), "{file} written");
    }
    sim.shutdown().await;
}
