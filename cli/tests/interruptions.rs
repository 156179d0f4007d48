//! A sync cut short: by SIGTERM (the lease is released and the next sync runs at once), by
//! SIGKILL (the lease stays, `integrations show` tells who holds it, `break-lease` clears
//! it), and what a settings change does while the lease is held.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use autoexpose_testkit::example_site;
use common::{SECRET, add_integration, autoexpose, command, ok, scratch, workspace};

/// Starts `autoexpose sync acme` in the background, and returns once it holds the lease
/// (`integrations show` lists it), so a signal lands mid-listing.
fn start_sync_holding_the_lease(store: &Path) -> Child {
    let mut child = command(store, SECRET, &["sync", "acme"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sync starts");
    for _ in 0..300 {
        let shown = ok(autoexpose(store, SECRET, &["integrations", "show", "acme"]));
        if shown.contains("lease:") {
            return child;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the sync never took the lease");
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{name}");
}

/// The example site as integration `acme`, selecting Finance, on a fresh local store.
async fn finance_site(name: &str) -> (tableau_sim::Simulator, PathBuf) {
    let sim = example_site().await;
    let store = scratch(name).join("state.db");
    add_integration(&store, &sim);
    ok(autoexpose(
        &store,
        SECRET,
        &["collections", "set", "acme", "Finance"],
    ));
    (sim, store)
}

fn apply_example_manifest(store: &Path) {
    let manifest = workspace().join("examples/jaffle-shop/manifest.json");
    ok(autoexpose(
        store,
        SECRET,
        &[
            "apply-manifest",
            manifest.to_str().expect("utf-8 path"),
            "--dbt-project",
            "jaffle_shop",
        ],
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_listing_releases_the_lease_and_the_next_sync_runs_at_once() {
    let (sim, store) = finance_site("sigterm").await;
    apply_example_manifest(&store);
    let before = ok(autoexpose(&store, SECRET, &["exposures", "list"]));

    sim.faults().set_latency(Duration::from_secs(30));
    let child = start_sync_holding_the_lease(&store);
    signal(&child, "TERM");
    let out = child.wait_with_output().expect("sync ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "an interrupted sync fails: {stderr}");
    assert!(stderr.contains("stopped before it finished"), "{stderr}");
    assert!(
        stderr.contains("interrupted by Ctrl-C or SIGTERM"),
        "{stderr}"
    );

    let shown = ok(autoexpose(
        &store,
        SECRET,
        &["integrations", "show", "acme"],
    ));
    assert!(!shown.contains("lease:"), "the lease was released: {shown}");
    assert!(
        shown.contains("stopped before it finished"),
        "the run is recorded: {shown}"
    );
    assert_eq!(
        ok(autoexpose(&store, SECRET, &["exposures", "list"])),
        before
    );

    sim.faults().set_latency(Duration::ZERO);
    let again = ok(autoexpose(&store, SECRET, &["sync", "acme"]));
    // Nothing was lost or half-written; the one change is the columns the exposure reads,
    // which the first live sync after the manifest fetches.
    assert!(again.contains(" 0 added, "), "{again}");
    assert!(again.contains(", 0 removed"), "{again}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_sync_leaves_a_lease_that_is_shown_and_can_be_broken() {
    let (sim, store) = finance_site("sigkill").await;

    sim.faults().set_latency(Duration::from_secs(30));
    let mut child = start_sync_holding_the_lease(&store);
    signal(&child, "KILL");
    child.wait().expect("killed");
    sim.faults().set_latency(Duration::ZERO);

    let shown = ok(autoexpose(
        &store,
        SECRET,
        &["integrations", "show", "acme"],
    ));
    assert!(
        shown.contains("lease:         held by '")
            && shown.contains(" since 20")
            && shown.contains("expires 20"),
        "holder, since and expiry are shown: {shown}"
    );

    // While the dead run's lease stands, a settings change stores nothing and says so.
    let refused = autoexpose(&store, SECRET, &["collections", "set", "acme", "Marketing"]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        stderr.contains("the collections of 'acme' were not changed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("break-lease acme"),
        "it says how to clear it: {stderr}"
    );
    let refused = autoexpose(
        &store,
        SECRET,
        &["integrations", "set", "acme", "--include-unmatched", "true"],
    );
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        stderr.contains("integration 'acme' was not changed"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&refused.stdout);
    assert!(
        !stdout.contains("updated"),
        "no claim of an update: {stdout}"
    );
    let shown = ok(autoexpose(
        &store,
        SECRET,
        &["integrations", "show", "acme"],
    ));
    assert!(
        shown.contains("is busy"),
        "the busy failure is recorded: {shown}"
    );

    let broken = autoexpose(&store, SECRET, &["integrations", "break-lease", "acme"]);
    let warning = String::from_utf8_lossy(&broken.stderr);
    assert!(broken.status.success(), "{warning}");
    assert!(warning.contains("warning: broke the lease"), "{warning}");
    let shown = ok(autoexpose(
        &store,
        SECRET,
        &["integrations", "show", "acme"],
    ));
    assert!(!shown.contains("lease:"), "{shown}");

    let set = ok(autoexpose(
        &store,
        SECRET,
        &["collections", "set", "acme", "Marketing"],
    ));
    assert!(
        set.contains("collections of 'acme' set to Marketing"),
        "{set}"
    );
    let nothing = ok(autoexpose(
        &store,
        SECRET,
        &["integrations", "break-lease", "acme"],
    ));
    assert!(nothing.contains("holds no lease"), "{nothing}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_flags_and_rust_log_turn_on_the_logs() {
    let sim = example_site().await;
    let dir = scratch("verbose");
    let store = dir.join("state.db");
    add_integration(&store, &sim);
    let quiet = autoexpose(&store, SECRET, &["collections", "set", "acme", "Finance"]);
    assert!(quiet.status.success());
    assert!(
        quiet.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );

    let verbose = autoexpose(&store, SECRET, &["-v", "sync", "acme"]);
    let logs = String::from_utf8_lossy(&verbose.stderr);
    assert!(
        logs.contains("INFO") && logs.contains("run finished"),
        "{logs}"
    );
    assert!(!logs.contains(SECRET), "no secret in the logs");

    let out = command(&store, SECRET, &["sync", "acme"])
        .env("RUST_LOG", "debug")
        .output()
        .expect("runs");
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(logs.contains("DEBUG"), "{logs}");
    assert!(!logs.contains(SECRET), "no secret in the logs");
    sim.shutdown().await;
}
