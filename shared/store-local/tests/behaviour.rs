//! The shared behavioural suite (`autoexpose_pipeline::testsuite`) against the SQLite store.

use autoexpose_pipeline::prelude::*;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use autoexpose_pipeline::{Lease, testsuite};
use autoexpose_store_local::LocalStore;

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A fresh database file under the target's temp folder, unique per call.
fn fresh_path(test: &str) -> PathBuf {
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    std::env::temp_dir()
        .join(format!("autoexpose-store-local-{}", std::process::id()))
        .join(format!("{test}-{n}.db"))
}

fn fresh_store(test: &str) -> LocalStore {
    LocalStore::open(fresh_path(test)).expect("open a fresh local store")
}

autoexpose_pipeline::store_behaviour_tests!(|| async { fresh_store("suite") });

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_handles_on_one_file_share_the_lease() {
    let path = fresh_path("two-handles");
    let a = LocalStore::open(&path).expect("open a");
    let b = LocalStore::open(&path).expect("open b");
    // The lease race across two connections (two CLI processes on one file).
    let lease = |holder: &str| Lease {
        integration_id: "shared".into(),
        holder: holder.into(),
        expires_at: "2030-01-01T00:00:00.000Z".into(),
        acquired_at: String::new(),
    };
    let now = "2025-01-01T00:00:00.000Z";
    let (lx, ly) = (lease("x"), lease("y"));
    let (x, y) = tokio::join!(a.try_acquire_lease(&lx, now), b.try_acquire_lease(&ly, now));
    let (x, y) = (x.expect("x"), y.expect("y"));
    assert!(x ^ y, "exactly one connection takes the lease: {x} {y}");
}

#[tokio::test]
async fn reopening_keeps_state_and_schema() {
    let path = fresh_path("reopen");
    let store = LocalStore::open(&path).expect("open");
    store
        .create_integration(&testsuite::sample_integration("acme", &["p-fin"]))
        .await
        .expect("create");
    drop(store);
    let store = LocalStore::open(&path).expect("reopen");
    let stored = store
        .get_integration("acme")
        .await
        .expect("get")
        .expect("kept");
    assert_eq!(stored.collections, ["p-fin"]);
}
