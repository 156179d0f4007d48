//! What the CLI's integration tests share: the binary on a scratch local store, and the
//! example simulator site added as integration `acme`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tableau_sim::Simulator;

/// The PAT secret the example site accepts.
pub(crate) const SECRET: &str = "ci-secret-0123456789";

/// The repository root.
pub(crate) fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// An empty folder of this test process.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("autoexpose-flow-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The `autoexpose` binary on the local store `store`, with `secret` as the PAT secret.
pub(crate) fn command(store: &Path, secret: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_autoexpose"));
    command
        .args(args)
        .env("AUTOEXPOSE_STORE", store)
        .env("AUTOEXPOSE_TABLEAU_TOKEN_SECRET", secret)
        .env_remove("AUTOEXPOSE_DYNAMODB_TABLE")
        .env_remove("RUST_LOG");
    command
}

/// Runs `autoexpose` to the end (see [`command`]).
pub(crate) fn autoexpose(store: &Path, secret: &str, args: &[&str]) -> Output {
    command(store, secret, args)
        .output()
        .expect("autoexpose runs")
}

/// The stdout of a command that must have succeeded.
pub(crate) fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

/// Runs `integrations add` for the simulator's site `acme` with the example PAT.
pub(crate) fn add_integration(store: &Path, sim: &Simulator) {
    ok(autoexpose(
        store,
        SECRET,
        &[
            "integrations",
            "add",
            "--id",
            "acme",
            "--dbt-project",
            "jaffle_shop",
            "--server-url",
            &sim.base_url(),
            "--site",
            "acme",
            "--token-name",
            "autoexpose-ci",
        ],
    ));
}
