//! Tableau's own Python client (tableauserverclient) against the simulator.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use tableau_sim::SimConfig;

fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(2)
        .expect("tests/simulator sits two levels below the workspace root")
        .to_path_buf()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tableau_python_client_signs_in_pages_queries_and_refreshes() {
    let python = workspace_root().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `bash infra/setup-venv.sh` from the workspace root",
        python.display()
    );
    let probe = std::process::Command::new(&python)
        .args(["-c", "import tableauserverclient"])
        .output()
        .expect("run python");
    assert!(
        probe.status.success(),
        "tableauserverclient is not installed in .venv: run `bash infra/setup-venv.sh` ({})",
        String::from_utf8_lossy(&probe.stderr)
    );

    let config = SimConfig {
        job_duration: Duration::from_millis(700),
        ..SimConfig::default()
    };
    let sim = common::start_with(config).await;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/tsc_check.py");
    let url = sim.base_url();
    let run = tokio::task::spawn_blocking(move || {
        std::process::Command::new(&python)
            .arg(&script)
            .arg(url)
            .output()
    });
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("tsc_check.py finishes within two minutes")
        .expect("the runner thread ends")
        .expect("run tsc_check.py");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "tsc_check.py failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("tsc ok"), "{stdout}");
    let stats = sim.stats();
    assert_eq!(stats.sign_ins, 1);
    assert_eq!(stats.sign_outs, 1);
    assert_eq!(stats.metadata_queries, 3);
    assert!(stats.server_info >= 1);
    assert!(stats.job_polls >= 1);
    sim.shutdown().await;
}
