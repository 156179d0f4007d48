//! Usage through the stored pipeline: counts kept with the snapshot and carried onto the
//! exposures (with maturity and the stale flag), a site that limits usage noted once, and
//! passing trouble that keeps the last counts. Generic over the store, as the rest of the
//! suite.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use autoexpose_domain::Usage;
use autoexpose_domain::usage_rules::{Maturity, UsageRules};
use time::macros::datetime;

use super::{
    CountingStore, FakeTableau, ManualClock, MemoryArtifacts, StaticSecrets, manifest_json,
    sample_integration, workbook,
};
use crate::prelude::*;
use crate::{ArtifactLocation, BiError, Pipeline, Secret, Store, Trigger, UsageReport};

/// A pipeline over `store`: integration `acme` selecting Finance (`p-fin` and its child
/// `p-q1`), workbooks `wb-1` Sales (orders) and `wb-3` Quarterly (customers), and a
/// manifest with both models applied.
struct UsageHarness<S: Store + 'static> {
    pipeline: Pipeline,
    store: Arc<CountingStore<S>>,
    artifacts: MemoryArtifacts,
    tableau: FakeTableau,
    clock: ManualClock,
}

fn windows(two_weeks: u64, month: u64, three_months: u64, year: u64) -> Usage {
    Usage {
        hits_last_two_weeks: Some(two_weeks),
        hits_last_month: Some(month),
        hits_last_three_months: Some(three_months),
        hits_last_year: Some(year),
        total_views: Some(year * 2),
    }
}

/// Sales is busy; Quarterly was not opened for three months.
fn full_usage() -> UsageReport {
    UsageReport {
        by_workbook: BTreeMap::from([
            ("wb-1".to_string(), windows(90, 240, 700, 2500)),
            ("wb-3".to_string(), windows(0, 0, 0, 12)),
        ]),
        limitation: None,
    }
}

impl<S: Store + 'static> UsageHarness<S> {
    async fn new(store: S) -> UsageHarness<S> {
        let artifacts = MemoryArtifacts::default();
        let tableau = FakeTableau::with_projects();
        tableau.set_workbooks(vec![
            workbook("wb-1", "Sales", "p-fin", &["orders"]),
            workbook("wb-3", "Quarterly", "p-q1", &["customers"]),
        ]);
        tableau.set_usage(Ok(full_usage()));
        let clock = ManualClock::new(datetime!(2025-03-01 08:00 UTC));
        let store = Arc::new(CountingStore::new(store));
        let pipeline = Pipeline::from_shared(
            store.clone(),
            Arc::new(artifacts.clone()),
            Arc::new(StaticSecrets(Secret::new("pat-secret-value"))),
            Arc::new(tableau.clone()),
        )
        .with_clock(Arc::new(clock.clone()))
        .with_lease(Duration::from_secs(900), Duration::ZERO);
        pipeline
            .store()
            .create_integration(&sample_integration("acme", &["p-fin"]))
            .await
            .expect("create integration");
        let h = UsageHarness {
            pipeline,
            store,
            artifacts,
            tableau,
            clock,
        };
        h.apply("m1.json", "2025-03-01T07:00:00Z").await;
        h
    }

    async fn apply(&self, name: &str, generated_at: &str) {
        let location = ArtifactLocation::local(name);
        self.artifacts.put(
            &location,
            manifest_json(generated_at, name, &["orders", "customers"]),
        );
        self.clock.advance(Duration::from_secs(60));
        self.pipeline
            .apply_manifest("shop", &location)
            .await
            .expect("apply manifest");
    }

    async fn sync(&self) -> crate::SyncRun {
        self.clock.advance(Duration::from_secs(3600));
        let run = self
            .pipeline
            .sync_integration("acme", Trigger::Schedule)
            .await
            .expect("sync");
        assert_eq!(run.error, None);
        run
    }

    /// The stored exposures by workbook LUID.
    async fn exposures(&self) -> BTreeMap<String, autoexpose_domain::Exposure> {
        self.store
            .list_exposures("acme")
            .await
            .expect("list exposures")
            .into_iter()
            .map(|s| (s.exposure.workbook_luid.clone(), s.exposure))
            .collect()
    }

    async fn integration(&self) -> crate::Integration {
        self.store
            .get_integration("acme")
            .await
            .expect("get")
            .expect("stored")
    }
}

/// A sync keeps each workbook's usage in the snapshot and puts it on its exposure, with
/// maturity and the stale flag; a new manifest carries it on without asking Tableau, and a
/// sync whose counts did not change writes only its run record.
pub async fn usage_is_kept_with_the_snapshot_and_carried_onto_exposures<S: Store + 'static>(
    store: S,
) {
    let h = UsageHarness::new(store).await;
    h.sync().await;
    let snapshot = h
        .store
        .get_snapshot("acme")
        .await
        .expect("get snapshot")
        .expect("stored");
    let kept: BTreeMap<&str, Option<&Usage>> = snapshot
        .workbooks
        .iter()
        .map(|w| (w.luid.as_str(), w.usage.as_ref()))
        .collect();
    assert_eq!(kept["wb-1"], Some(&windows(90, 240, 700, 2500)));
    let exposures = h.exposures().await;
    let sales = &exposures["wb-1"];
    assert_eq!(sales.usage.as_ref(), Some(&windows(90, 240, 700, 2500)));
    assert_eq!((sales.maturity, sales.stale), (Some(Maturity::High), false));
    let quarterly = &exposures["wb-3"];
    assert_eq!(
        (quarterly.maturity, quarterly.stale),
        (Some(Maturity::Low), true)
    );

    h.store.reset();
    h.sync().await;
    let counts = h.store.counts();
    assert_eq!(counts.data_writes(), 1, "only the run record: {counts:?}");

    let calls = h.tableau.usage_calls();
    h.apply("m2.json", "2025-03-02T07:00:00Z").await;
    assert_eq!(
        h.tableau.usage_calls(),
        calls,
        "a rematch asks Tableau nothing"
    );
    assert_eq!(h.exposures().await["wb-1"].maturity, Some(Maturity::High));
}

/// New counts change the exposures they concern; the rules an integration sets (here:
/// maturity from usage off, a two-week stale window) apply on the next rematch.
pub async fn usage_rules_of_the_integration_decide_maturity_and_stale<S: Store + 'static>(
    store: S,
) {
    let h = UsageHarness::new(store).await;
    h.sync().await;
    let mut quieter = full_usage();
    quieter
        .by_workbook
        .insert("wb-1".into(), windows(0, 40, 300, 2500));
    h.tableau.set_usage(Ok(quieter));
    let run = h.sync().await;
    assert_eq!(run.changed, 1, "Sales changed; Quarterly did not");
    assert_eq!(h.exposures().await["wb-1"].maturity, Some(Maturity::Medium));

    let mut integration = h.integration().await;
    integration.usage_rules = UsageRules {
        maturity_from_usage: false,
        stale_after: Some(autoexpose_domain::usage_rules::UsageWindow::TwoWeeks),
        ..UsageRules::default()
    };
    h.pipeline
        .update_settings(&integration)
        .await
        .expect("settings");
    let exposures = h.exposures().await;
    assert_eq!(exposures["wb-1"].maturity, None, "the rule is off");
    assert!(exposures["wb-1"].stale, "no hit in two weeks");
    assert!(exposures["wb-1"].usage.is_some(), "the counts stay");
}

/// A site that gives only part of the usage says so once on the integration; one that
/// refuses it says that instead, and the sync still works; full usage clears the note.
pub async fn a_site_that_limits_usage_says_so_once<S: Store + 'static>(store: S) {
    let h = UsageHarness::new(store).await;
    let lifetime_only = UsageReport {
        by_workbook: BTreeMap::from([(
            "wb-1".to_string(),
            Usage {
                total_views: Some(31),
                ..Usage::default()
            },
        )]),
        limitation: Some("only lifetime view counts: the usage-stats method answered 404".into()),
    };
    h.tableau.set_usage(Ok(lifetime_only));
    h.sync().await;
    let noted = h.integration().await;
    let note = noted.usage_note.clone().expect("noted");
    assert!(note.message.contains("404"), "{}", note.message);
    assert_eq!(
        h.exposures().await["wb-1"]
            .usage
            .as_ref()
            .and_then(|u| u.total_views),
        Some(31)
    );

    h.store.reset();
    h.sync().await;
    assert_eq!(
        h.store.counts().integrations,
        0,
        "noted once, not every sync"
    );
    assert_eq!(h.integration().await.usage_note, Some(note));

    h.tableau.set_usage(Err(BiError::Other(
        "Tableau refused listing the site's views (HTTP 403)".into(),
    )));
    let run = h.sync().await;
    assert_eq!(run.workbooks, 2, "the rest of the sync works");
    let refused = h.integration().await.usage_note.expect("noted");
    assert!(
        refused
            .message
            .starts_with("usage is not available on this site")
            && refused.message.contains("403"),
        "{}",
        refused.message
    );
    let exposures = h.exposures().await;
    assert_eq!(exposures.len(), 2);
    assert!(
        exposures
            .values()
            .all(|e| e.usage.is_none() && e.maturity.is_none())
    );

    h.tableau.set_usage(Ok(full_usage()));
    h.sync().await;
    assert_eq!(h.integration().await.usage_note, None, "cleared");
}

/// Tableau too busy to answer usage keeps the last counts: exposures do not lose their
/// usage for a day, and nothing is noted on the integration.
pub async fn passing_usage_trouble_keeps_the_last_counts<S: Store + 'static>(store: S) {
    let h = UsageHarness::new(store).await;
    h.sync().await;
    let before = h.exposures().await;
    h.tableau.set_usage(Err(BiError::Unavailable(
        "Tableau rate-limited reading usage (HTTP 429) after 4 attempts".into(),
    )));
    h.store.reset();
    let run = h.sync().await;
    assert_eq!((run.added, run.changed, run.removed), (0, 0, 0));
    assert_eq!(h.exposures().await, before);
    assert_eq!(h.store.counts().data_writes(), 1, "only the run record");
    assert_eq!(h.integration().await.usage_note, None);
}
