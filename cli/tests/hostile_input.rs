//! What a person sees when the input is wrong on purpose or by accident: endless files,
//! unreadable paths, hard links to the input, escape sequences in a manifest.

use std::path::PathBuf;
use std::process::{Command, Output};

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/jaffle-shop")
        .join(name)
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("autoexpose-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// `autoexpose ARGS` with at most `address_space_mb` of memory (`prlimit --as`), so a read
/// without a bound dies instead of passing.
fn autoexpose_within(address_space_mb: u64, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new("prlimit");
    command
        .arg(format!("--as={}", address_space_mb * 1024 * 1024))
        .arg(env!("CARGO_BIN_EXE_autoexpose"))
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("AUTOEXPOSE_MAX_INPUT_MB");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("prlimit runs autoexpose")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn an_endless_input_file_is_refused_at_the_size_limit() {
    let response = example("tableau-response.json");
    let response = response.to_str().expect("utf-8");
    let dir = scratch("endless");
    let store = dir.join("state.db");
    let store = store.to_str().expect("utf-8");
    let limit = [("AUTOEXPOSE_MAX_INPUT_MB", "16")];
    for args in [
        vec![
            "match",
            "--manifest",
            "/dev/zero",
            "--tableau-response",
            response,
        ],
        vec![
            "diagnose",
            "--manifest",
            "/dev/zero",
            "--tableau-response",
            response,
        ],
        vec![
            "lineage",
            "--manifest",
            "/dev/zero",
            "--tableau-response",
            response,
            "--out",
            "/dev/null",
        ],
        vec![
            "exposures",
            "inject",
            "--manifest",
            "/dev/zero",
            "--tableau-response",
            response,
            "--out",
            "/dev/null",
        ],
        vec![
            "--store",
            store,
            "apply-manifest",
            "/dev/zero",
            "--dbt-project",
            "shop",
        ],
        vec![
            "--store",
            store,
            "record-results",
            "/dev/zero",
            "--dbt-project",
            "shop",
        ],
    ] {
        let out = autoexpose_within(512, &args, &limit);
        let message = stderr(&out);
        assert!(!out.status.success(), "{args:?}: {message}");
        assert!(
            message.contains("larger than 16 MiB") && message.contains("AUTOEXPOSE_MAX_INPUT_MB"),
            "{args:?}: the limit is named: {message}"
        );
    }
}

#[test]
fn a_read_error_names_the_path_once() {
    let dir = scratch("unreadable");
    let path = dir.to_str().expect("utf-8");
    let response = example("tableau-response.json");
    let store = dir.join("state.db");
    for args in [
        vec![
            "match",
            "--manifest",
            path,
            "--tableau-response",
            response.to_str().expect("utf-8"),
        ],
        vec![
            "--store",
            store.to_str().expect("utf-8"),
            "apply-manifest",
            path,
            "--dbt-project",
            "shop",
        ],
    ] {
        let out = autoexpose_within(2048, &args, &[]);
        let message = stderr(&out);
        assert!(!out.status.success());
        assert_eq!(
            message.matches(path).count(),
            1,
            "{args:?}: the path once: {message}"
        );
        assert!(message.to_lowercase().contains("directory"), "{message}");
    }
}

#[test]
fn inject_refuses_to_overwrite_its_input_through_a_hard_link() {
    let dir = scratch("hardlink");
    let manifest = dir.join("manifest.json");
    std::fs::copy(example("manifest.json"), &manifest).expect("copy");
    let link = dir.join("copy.json");
    std::fs::hard_link(&manifest, &link).expect("hard link");
    let before = std::fs::read(&manifest).expect("read");
    let out = autoexpose_within(
        2048,
        &[
            "exposures",
            "inject",
            "--manifest",
            manifest.to_str().expect("utf-8"),
            "--tableau-response",
            example("tableau-response.json").to_str().expect("utf-8"),
            "--out",
            link.to_str().expect("utf-8"),
        ],
        &[],
    );
    assert!(!out.status.success(), "refused");
    assert!(
        stderr(&out).contains("is the input manifest"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read(&manifest).expect("read"),
        before,
        "the input is untouched"
    );
}

#[test]
fn escape_sequences_and_huge_values_in_a_manifest_never_reach_the_terminal() {
    let dir = scratch("escapes");
    let manifest = dir.join("manifest.json");
    let schema = format!("\u{1b}]0;owned\u{7}\u{1b}[2J{}", "v".repeat(2_000_000));
    let text = serde_json::json!({
        "metadata": {"dbt_schema_version": schema},
        "nodes": {},
        "sources": {}
    });
    std::fs::write(&manifest, text.to_string()).expect("write");
    let out = autoexpose_within(
        2048,
        &[
            "match",
            "--manifest",
            manifest.to_str().expect("utf-8"),
            "--tableau-response",
            example("tableau-response.json").to_str().expect("utf-8"),
        ],
        &[],
    );
    let message = stderr(&out);
    assert!(!out.status.success());
    assert!(
        !message.contains('\u{1b}') && !message.contains('\u{7}'),
        "{message:?}"
    );
    assert!(
        message.len() < 5_000,
        "a long value is cut: {} bytes",
        message.len()
    );
}

/// The example manifest with `edit` applied to its metadata, written to `dir`.
fn example_manifest_with(
    dir: &std::path::Path,
    edit: impl FnOnce(&mut serde_json::Value),
) -> PathBuf {
    let text = std::fs::read_to_string(example("manifest.json")).expect("example");
    let mut manifest: serde_json::Value = serde_json::from_str(&text).expect("json");
    edit(&mut manifest["metadata"]);
    let path = dir.join("manifest.json");
    std::fs::write(&path, manifest.to_string()).expect("write");
    path
}

#[test]
fn a_manifest_schema_newer_than_autoexpose_knows_is_read_with_a_warning_naming_it() {
    let dir = scratch("v999");
    let manifest = example_manifest_with(&dir, |m| {
        m["dbt_schema_version"] = "https://schemas.getdbt.com/dbt/manifest/v999.json".into();
    });
    let out = autoexpose_within(
        2048,
        &[
            "match",
            "--manifest",
            manifest.to_str().expect("utf-8"),
            "--tableau-response",
            example("tableau-response.json").to_str().expect("utf-8"),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("v999"),
        "the version is named: {}",
        stderr(&out)
    );
    assert!(!out.stdout.is_empty());
}

#[test]
fn a_file_whose_generated_at_is_not_a_time_is_refused_and_changes_nothing() {
    let dir = scratch("generated-at");
    let store = dir.join("state.db");
    let store = store.to_str().expect("utf-8");
    let manifest = example_manifest_with(&dir, |m| m["generated_at"] = "not a date".into());
    let out = autoexpose_within(
        2048,
        &[
            "--store",
            store,
            "apply-manifest",
            manifest.to_str().expect("utf-8"),
            "--dbt-project",
            "jaffle_shop",
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("metadata.generated_at 'not a date'"),
        "{}",
        stderr(&out)
    );

    let text = std::fs::read_to_string(example("run_results.json")).expect("example");
    let mut results: serde_json::Value = serde_json::from_str(&text).expect("json");
    results["metadata"]["generated_at"] = "zzz".into();
    let path = dir.join("run_results.json");
    std::fs::write(&path, results.to_string()).expect("write");
    let out = autoexpose_within(
        2048,
        &[
            "--store",
            store,
            "record-results",
            path.to_str().expect("utf-8"),
            "--dbt-project",
            "jaffle_shop",
        ],
        &[],
    );
    assert!(
        !out.status.success(),
        "refused: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        stderr(&out).contains("generated_at 'zzz'"),
        "{}",
        stderr(&out)
    );

    // A genuine file afterwards is recorded: nothing was frozen.
    let good = example("run_results.json");
    let out = autoexpose_within(
        2048,
        &[
            "--store",
            store,
            "record-results",
            good.to_str().expect("utf-8"),
            "--dbt-project",
            "jaffle_shop",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("recorded"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_server_url_with_a_password_is_refused_and_never_printed() {
    let dir = scratch("userinfo");
    let store = dir.join("state.db");
    let out = autoexpose_within(
        2048,
        &[
            "--store",
            store.to_str().expect("utf-8"),
            "integrations",
            "add",
            "--id",
            "acme",
            "--dbt-project",
            "shop",
            "--server-url",
            "http://admin:hunter2@tableau.example.com",
            "--token-name",
            "ci",
        ],
        &[],
    );
    assert!(!out.status.success(), "refused");
    let message = stderr(&out);
    assert!(message.contains("--server-url"), "{message}");
    assert!(
        !message.contains("hunter2"),
        "the password is never printed: {message}"
    );
    let listed = autoexpose_within(
        2048,
        &[
            "--store",
            store.to_str().expect("utf-8"),
            "integrations",
            "list",
        ],
        &[],
    );
    assert!(String::from_utf8_lossy(&listed.stdout).contains("no integrations yet"));
}
