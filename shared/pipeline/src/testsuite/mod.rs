//! The behavioural test suite, written once and generic over [`Store`], so every store
//! adapter (SQLite, DynamoDB on moto) runs the very same checks. Enabled by the cargo
//! feature `testsuite`.
//!
//! Store-level behaviours need only a store. Pipeline-level behaviours run the real
//! [`Pipeline`] over the store with in-memory fakes for artifacts, secrets and Tableau
//! ([`FakeTableau`]): they test the pipeline's logic and the store's semantics, not the
//! Tableau client (the store-local crate's integration tests run the real client against
//! the simulator).
//!
//! ```ignore
//! #[tokio::test]
//! async fn behaves_like_a_store() {
//!     autoexpose_pipeline::testsuite::run_all(|| async { MyStore::fresh().await }).await;
//! }
//! ```

mod counting;
mod fakes;
mod orchestrate_behaviour;
mod pipeline_behaviour;
mod store_behaviour;

pub use counting::{CountingStore, WriteCounts};
pub use fakes::{
    FakeTableau, ManualClock, MemoryArtifacts, StaticSecrets, manifest_json, sample_exposure,
    sample_integration, workbook,
};
pub use orchestrate_behaviour::*;
pub use pipeline_behaviour::*;
pub use store_behaviour::*;

use std::future::Future;

use crate::ports::Store;

/// Runs every behaviour, each against a fresh store from `make_store`, and panics with the
/// behaviour's name on the first failure.
pub async fn run_all<S, F, Fut>(mut make_store: F)
where
    S: Store,
    F: FnMut() -> Fut,
    Fut: Future<Output = S>,
{
    integration_version_conflict_is_typed(make_store().await).await;
    integration_create_twice_is_refused(make_store().await).await;
    integrations_list_by_dbt_project(make_store().await).await;
    lease_excludes_a_second_holder_until_it_expires(make_store().await).await;
    lease_release_by_a_stranger_changes_nothing(make_store().await).await;
    applied_manifest_cannot_go_backwards(make_store().await).await;
    exposure_diff_upserts_and_removes(make_store().await).await;
    snapshot_round_trips(make_store().await).await;
    runs_list_newest_first(make_store().await).await;
    stale_manifest_changes_nothing(make_store().await).await;
    duplicate_manifest_changes_nothing(make_store().await).await;
    failed_sync_keeps_old_exposures_and_records_the_error(make_store().await).await;
    broken_manifest_keeps_old_exposures(make_store().await).await;
    no_change_sync_writes_only_its_run_record(make_store().await).await;
    collections_update_drops_workbooks_outside_the_selection(make_store().await).await;
    unknown_collections_store_nothing(make_store().await).await;
    concurrent_syncs_one_gives_up_nothing_lost(make_store().await).await;
    concurrent_syncs_one_waits_both_recorded(make_store().await).await;
    integrations_of_one_project_never_share_an_exposure_name(make_store().await).await;
    publishing_writes_the_exposure_yaml_beside_the_manifest(make_store().await).await;
    node_results_merge_per_node_and_the_pointer_is_conditional(make_store().await).await;
    refresh_records_round_trip_per_target(make_store().await).await;
    rebuilt_exposures_are_refreshed_once_per_target(make_store().await).await;
    failed_upstream_degrades_and_older_results_change_nothing(make_store().await).await;
    refresh_inside_the_window_is_skipped_with_time_left(make_store().await).await;
    refresh_job_is_followed_to_its_outcome(make_store().await).await;
    job_running_too_long_is_given_up(make_store().await).await;
}
