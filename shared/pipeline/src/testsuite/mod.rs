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
//! An adapter's test file stamps out one `#[tokio::test]` per behaviour, so a failure
//! names its behaviour and `cargo test NAME` runs one:
//!
//! ```ignore
//! autoexpose_pipeline::store_behaviour_tests!(|| async { MyStore::fresh().await });
//! ```

mod counting;
mod fakes;
mod large;
mod orchestrate_behaviour;
mod pipeline_behaviour;
mod store_behaviour;
mod usage_behaviour;

pub use counting::{CountingArtifacts, CountingStore, WriteCounts};
pub use fakes::{
    FakeTableau, ManualClock, MemoryArtifacts, StaticSecrets, manifest_json, memory_pipeline,
    memory_pipeline_over, sample_exposure, sample_integration, workbook,
};
pub use large::{LargeManifest, peak_memory_kib, run_limited, write_large_manifest};
pub use orchestrate_behaviour::*;
pub use pipeline_behaviour::*;
pub use store_behaviour::*;
pub use usage_behaviour::*;

/// Stamps out one `#[tokio::test]` per shared behaviour, each against a fresh store made
/// by the given closure (`|| async { ... }`). Use it once per adapter's test file.
#[macro_export]
macro_rules! store_behaviour_tests {
    ($make_store:expr) => {
        $crate::store_behaviour_tests!(
            @each $make_store;
            integration_version_conflict_is_typed,
            integration_create_twice_is_refused,
            integrations_list_by_dbt_project,
            removing_an_integration_removes_its_records,
            lease_excludes_a_second_holder_until_it_expires,
            lease_release_by_a_stranger_changes_nothing,
            lease_can_be_read_and_broken_whoever_holds_it,
            applied_manifest_cannot_go_backwards,
            exposure_diff_upserts_and_removes,
            snapshot_round_trips,
            runs_list_newest_first,
            stale_manifest_changes_nothing,
            duplicate_manifest_changes_nothing,
            failed_sync_keeps_old_exposures_and_records_the_error,
            broken_manifest_keeps_old_exposures,
            no_change_sync_writes_only_its_run_record,
            collections_update_drops_workbooks_outside_the_selection,
            unknown_collections_store_nothing,
            concurrent_syncs_one_gives_up_nothing_lost,
            interrupted_sync_releases_its_lease_and_records_why,
            settings_change_while_busy_stores_nothing,
            manifest_without_relations_is_refused_and_changes_nothing,
            mass_removal_by_a_manifest_is_held_until_allowed,
            mass_removal_by_a_listing_is_held_unless_the_integration_allows_it,
            concurrent_syncs_one_waits_both_recorded,
            integrations_of_one_project_never_share_an_exposure_name,
            publishing_writes_the_exposure_yaml_beside_the_manifest,
            node_results_merge_per_node_and_the_pointer_is_conditional,
            refresh_records_round_trip_per_target,
            rebuilt_exposures_are_refreshed_once_per_target,
            failed_upstream_degrades_and_older_results_change_nothing,
            refresh_inside_the_window_is_skipped_with_time_left,
            refresh_job_is_followed_to_its_outcome,
            job_running_too_long_is_given_up,
            usage_is_kept_with_the_snapshot_and_carried_onto_exposures,
            usage_rules_of_the_integration_decide_maturity_and_stale,
            a_site_that_limits_usage_says_so_once,
            passing_usage_trouble_keeps_the_last_counts,
        );
    };
    (@each $make_store:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let make_store = $make_store;
                $crate::testsuite::$name(make_store().await).await;
            }
        )*
    };
}
