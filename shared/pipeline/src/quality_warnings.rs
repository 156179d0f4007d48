//! dbt health where dashboard viewers look: after recorded results, the published data
//! sources behind each unhealthy exposure get a Tableau data quality warning, updated when
//! the reason changes and removed when health returns.
//!
//! Only warnings this integration wrote (their LUIDs are kept on the integration record)
//! are ever changed or removed. Writes are diffs: when no asset's warning would change,
//! nothing is signed in to and nothing is stored. A site that refuses warnings is recorded
//! once and left alone until the setting changes.

use std::collections::{BTreeMap, BTreeSet};

use autoexpose_domain::connection::non_warehouse_kind;
use autoexpose_domain::health::{HealthReport, ProjectHealth};
use autoexpose_domain::quality_warning::{ExposureHealth, WarningText, warning_for};
use autoexpose_domain::{Exposure, UpstreamTable, Workbook, table_fqn};

use crate::error::PipelineError;
use crate::pipeline::Pipeline;
use crate::{
    HeldBackWarning, Integration, OwnedWarning, QualityWarningState, StoreError, WarningAsset,
    WarningAssetKind, WarningChange, WarningReply, WarningsUnavailable, format_timestamp,
};

const STATE_RETRIES: usize = 5;

/// What one integration's warnings pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WarningsOutcome {
    /// Warnings put on assets.
    pub raised: Vec<WarningAsset>,
    /// Our warnings rewritten with a new reason.
    pub updated: Vec<WarningAsset>,
    /// Our warnings removed.
    pub cleared: Vec<WarningAsset>,
    /// Assets left with someone else's warning (one warning per asset on this Tableau).
    pub held_back: Vec<WarningAsset>,
    /// Changes that failed, with why; their assets keep what they had.
    pub failed: Vec<(WarningAsset, String)>,
    /// Set when the site refused warnings now (recorded once on the integration).
    pub unavailable: Option<String>,
}

impl WarningsOutcome {
    /// One line per change, for a person: `raised on datasource 'Orders' (d5d5…)`.
    pub fn describe(&self) -> Vec<String> {
        let named = |a: &WarningAsset| format!("{} '{}' ({})", a.kind.as_str(), a.name, a.luid);
        let mut lines = Vec::new();
        for (verb, assets) in [
            ("raised on", &self.raised),
            ("updated on", &self.updated),
            ("cleared from", &self.cleared),
            (
                "held back (someone else's warning kept) on",
                &self.held_back,
            ),
        ] {
            for asset in assets {
                lines.push(format!("{verb} {}", named(asset)));
            }
        }
        for (asset, error) in &self.failed {
            lines.push(format!("failed on {}: {error}", named(asset)));
        }
        if let Some(reason) = &self.unavailable {
            lines.push(reason.clone());
        }
        lines
    }
}

/// One unhealthy exposure reading an asset, as the domain needs it.
struct Reader {
    label: String,
    report: HealthReport,
    link: Option<String>,
}

impl Pipeline {
    /// Writes the health of every integration of `dbt_project` that has warnings on (or
    /// still owns some) as data quality warnings. One entry per integration it considered:
    /// `Ok` with what changed (empty when nothing did), or the error that stopped it.
    pub(crate) async fn write_quality_warnings(
        &self,
        dbt_project: &str,
    ) -> Result<Vec<(String, Result<WarningsOutcome, String>)>, PipelineError> {
        let mut outcomes = Vec::new();
        let integrations = self.store().list_integrations(Some(dbt_project)).await?;
        let wanted: Vec<Integration> = integrations
            .into_iter()
            .filter(|i| i.quality_warnings.enabled || !i.quality_warning_state.owned.is_empty())
            .collect();
        if wanted.is_empty() {
            return Ok(outcomes);
        }
        let (dag, tests) = self.project_graph(dbt_project).await?;
        let results = self.store().list_node_results(dbt_project).await?;
        let health = ProjectHealth::new(&dag, &tests, &results);
        for integration in wanted {
            let outcome = self.integration_warnings(&integration, &health).await;
            if let Err(e) = &outcome {
                tracing::warn!(integration = %integration.id, error = %e, "data quality warnings failed");
            }
            outcomes.push((integration.id.clone(), outcome.map_err(|e| e.to_string())));
        }
        Ok(outcomes)
    }

    /// Brings one integration's warnings in line with its settings now, from the health
    /// last recorded, instead of at the next recorded results: turning warnings off
    /// removes the ones autoexpose wrote; turning them on, or changing what raises one,
    /// writes them. `None` when the integration neither wants warnings nor owns any.
    pub async fn rewrite_quality_warnings(
        &self,
        integration_id: &str,
    ) -> Result<Option<WarningsOutcome>, PipelineError> {
        let Some(integration) = self.store().get_integration(integration_id).await? else {
            return Ok(None);
        };
        let owns_some = !integration.quality_warning_state.owned.is_empty();
        if !integration.quality_warnings.enabled && !owns_some {
            return Ok(None);
        }
        let dbt_project = &integration.dbt_project;
        let (dag, tests) = self.project_graph(dbt_project).await?;
        let results = self.store().list_node_results(dbt_project).await?;
        let health = ProjectHealth::new(&dag, &tests, &results);
        self.integration_warnings(&integration, &health)
            .await
            .map(Some)
    }

    async fn integration_warnings(
        &self,
        integration: &Integration,
        health: &ProjectHealth<'_>,
    ) -> Result<WarningsOutcome, PipelineError> {
        let settings = &integration.quality_warnings;
        let state = &integration.quality_warning_state;
        if let Some(unavailable) = &state.unavailable
            && &unavailable.settings == settings
        {
            tracing::debug!(integration = %integration.id, reason = %unavailable.reason,
                "data quality warnings not tried: the site refused them");
            return Ok(WarningsOutcome::default());
        }
        let desired = if settings.enabled {
            self.desired_warnings(integration, health).await?
        } else {
            BTreeMap::new()
        };
        let (changes, mut next) = plan(state, &desired);
        if changes.is_empty() {
            if next != *state {
                self.store_warning_state(&integration.id, &next).await?;
            }
            return Ok(WarningsOutcome::default());
        }
        let replies = self
            .with_integration_lease(&integration.id, async |secret| {
                self.bi()
                    .apply_quality_warnings(integration, secret, &changes)
                    .await
                    .map_err(|source| PipelineError::Tableau {
                        integration: integration.id.clone(),
                        source,
                    })
            })
            .await?;
        let stamp = format_timestamp(self.now());
        let mut outcome = WarningsOutcome::default();
        for (change, reply) in changes.iter().zip(replies) {
            apply_reply(&mut next, &mut outcome, change, reply, &stamp);
        }
        if let Some(reason) = &outcome.unavailable {
            tracing::warn!(integration = %integration.id, %reason, "data quality warnings not available");
            next.unavailable = Some(WarningsUnavailable {
                reason: reason.clone(),
                at: stamp.clone(),
                settings: settings.clone(),
            });
        } else {
            next.unavailable = None;
        }
        next.owned.sort_by(|a, b| a.asset.cmp(&b.asset));
        self.store_warning_state(&integration.id, &next).await?;
        tracing::info!(integration = %integration.id, raised = outcome.raised.len(),
            updated = outcome.updated.len(), cleared = outcome.cleared.len(),
            held_back = outcome.held_back.len(), failed = outcome.failed.len(),
            "data quality warnings written");
        Ok(outcome)
    }

    /// Each asset that should carry a warning now, with its text: the published data
    /// sources of every exposure's workbook (or its dbt tables, see [`warning_assets`]),
    /// from the stored snapshot.
    async fn desired_warnings(
        &self,
        integration: &Integration,
        health: &ProjectHealth<'_>,
    ) -> Result<BTreeMap<WarningAsset, WarningText>, PipelineError> {
        let workbooks: BTreeMap<String, autoexpose_domain::Workbook> = self
            .store()
            .get_snapshot(&integration.id)
            .await?
            .map(|s| s.workbooks)
            .unwrap_or_default()
            .into_iter()
            .map(|w| (w.luid.clone(), w))
            .collect();
        let settings = &integration.quality_warnings;
        let mut readers: BTreeMap<WarningAsset, Vec<Reader>> = BTreeMap::new();
        for stored in self.store().list_exposures(&integration.id).await? {
            let exposure = stored.exposure;
            let Some(workbook) = workbooks.get(&exposure.workbook_luid) else {
                continue;
            };
            let report = health.exposure(&exposure.depends_on);
            for asset in warning_assets(workbook, &exposure, settings.tables) {
                readers.entry(asset).or_default().push(Reader {
                    label: exposure.label.clone(),
                    report: report.clone(),
                    link: settings.link_for(&exposure.name),
                });
            }
        }
        let mut desired = BTreeMap::new();
        for (asset, readers) in readers {
            let exposures: Vec<ExposureHealth<'_>> = readers
                .iter()
                .map(|r| ExposureHealth {
                    label: &r.label,
                    report: &r.report,
                    link: r.link.as_deref(),
                })
                .collect();
            if let Some(text) = warning_for(&exposures, settings.policy()) {
                desired.insert(asset, text);
            }
        }
        Ok(desired)
    }

    /// Stores the state on the integration record, re-reading it on a version conflict so
    /// a settings change made meanwhile is kept.
    async fn store_warning_state(
        &self,
        integration_id: &str,
        state: &QualityWarningState,
    ) -> Result<(), PipelineError> {
        let mut attempts = 0;
        loop {
            let mut fresh = self.integration(integration_id).await?;
            fresh.quality_warning_state = state.clone();
            match self.store().update_integration(&fresh).await {
                Ok(_) => return Ok(()),
                Err(StoreError::Conflict(_)) if attempts < STATE_RETRIES => attempts += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// The changes that bring `state` to `desired`, and the state as it stands once the
/// changes that need no call are made (held-back assets that no longer need a warning are
/// forgotten).
fn plan(
    state: &QualityWarningState,
    desired: &BTreeMap<WarningAsset, WarningText>,
) -> (Vec<WarningChange>, QualityWarningState) {
    let mut changes = Vec::new();
    let mut next = state.clone();
    let wanted = |asset: &WarningAsset| desired.iter().find(|(a, _)| a.same_asset(asset));
    for owned in &state.owned {
        match wanted(&owned.asset) {
            Some((_, text)) if text.message == owned.message && text.severe == owned.severe => {}
            Some((asset, text)) => changes.push(WarningChange::Update {
                asset: asset.clone(),
                warning_luid: owned.warning_luid.clone(),
                text: text.clone(),
            }),
            None => changes.push(WarningChange::Clear {
                asset: owned.asset.clone(),
                warning_luid: owned.warning_luid.clone(),
            }),
        }
    }
    next.held_back.retain(|held| wanted(&held.asset).is_some());
    for (asset, text) in desired {
        let owned = state.owned.iter().any(|o| o.asset.same_asset(asset));
        let held = next.held_back.iter().any(|h| h.asset.same_asset(asset));
        if !owned && !held {
            changes.push(WarningChange::Raise {
                asset: asset.clone(),
                text: text.clone(),
            });
        }
    }
    (changes, next)
}

fn apply_reply(
    next: &mut QualityWarningState,
    outcome: &mut WarningsOutcome,
    change: &WarningChange,
    reply: Result<WarningReply, crate::BiError>,
    stamp: &str,
) {
    let asset = change.asset().clone();
    match reply {
        Ok(WarningReply::Written { warning_luid }) => {
            let text = match change {
                WarningChange::Raise { text, .. } | WarningChange::Update { text, .. } => text,
                WarningChange::Clear { .. } => return,
            };
            next.owned.retain(|o| !o.asset.same_asset(&asset));
            next.owned.push(OwnedWarning {
                asset: asset.clone(),
                warning_luid,
                message: text.message.clone(),
                severe: text.severe,
                written_at: stamp.to_string(),
            });
            match change {
                WarningChange::Raise { .. } => outcome.raised.push(asset),
                _ => outcome.updated.push(asset),
            }
        }
        Ok(WarningReply::Cleared) => {
            next.owned.retain(|o| !o.asset.same_asset(&asset));
            outcome.cleared.push(asset);
        }
        Ok(WarningReply::HeldBack { detail }) => {
            next.owned.retain(|o| !o.asset.same_asset(&asset));
            next.held_back.retain(|h| !h.asset.same_asset(&asset));
            next.held_back.push(HeldBackWarning {
                asset: asset.clone(),
                reason: format!("it already holds a warning autoexpose did not write, and this Tableau allows one per asset: {detail}"),
                at: stamp.to_string(),
            });
            outcome.held_back.push(asset);
        }
        Ok(WarningReply::NotAvailable { detail }) => {
            if outcome.unavailable.is_none() {
                outcome.unavailable = Some(format!("not available on this site: {detail}"));
            }
        }
        Err(e) => outcome.failed.push((asset, e.to_string())),
    }
}

/// The assets that carry an exposure's warning: the published data sources its workbook
/// reads; for a workbook that reads none (only embedded data sources), and where the
/// integration allows table warnings, the catalogued tables it reads (custom SQL's
/// included) that are dbt relations. Each asset is listed once.
fn warning_assets(workbook: &Workbook, exposure: &Exposure, tables: bool) -> Vec<WarningAsset> {
    if !workbook.datasources.is_empty() {
        return workbook
            .datasources
            .iter()
            .map(|datasource| WarningAsset {
                kind: WarningAssetKind::Datasource,
                luid: datasource.luid.clone(),
                name: datasource.name.clone(),
            })
            .collect();
    }
    if !tables {
        return Vec::new();
    }
    let catalogued_sql_tables = workbook.custom_sql.iter().flat_map(|sql| &sql.tables);
    workbook
        .tables
        .iter()
        .chain(catalogued_sql_tables)
        .filter(|table| reads_a_dbt_relation(table, exposure))
        .filter_map(|table| {
            Some(WarningAsset {
                kind: WarningAssetKind::Table,
                luid: table.luid.clone()?,
                name: table.name.clone().unwrap_or_default(),
            })
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Whether a workbook's table is one of the dbt relations its exposure depends on: named
/// (not hidden), in a warehouse, and not among the exposure's unmatched tables.
fn reads_a_dbt_relation(table: &UpstreamTable, exposure: &Exposure) -> bool {
    let in_warehouse = table
        .connection_type
        .as_deref()
        .is_none_or(|class| non_warehouse_kind(class).is_none());
    let Some(fqn) = table_fqn(table) else {
        return false;
    };
    in_warehouse && !exposure.unmatched_tables.contains(&fqn.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(luid: &str) -> WarningAsset {
        WarningAsset {
            kind: WarningAssetKind::Datasource,
            luid: luid.into(),
            name: format!("ds {luid}"),
        }
    }

    fn text(message: &str) -> WarningText {
        WarningText {
            message: message.into(),
            severe: false,
        }
    }

    fn owned(luid: &str, message: &str) -> OwnedWarning {
        OwnedWarning {
            asset: asset(luid),
            warning_luid: format!("w-{luid}"),
            message: message.into(),
            severe: false,
            written_at: "2026-01-01T00:00:00.000Z".into(),
        }
    }

    #[test]
    fn unchanged_warnings_need_no_call() {
        let state = QualityWarningState {
            owned: vec![owned("a", "m")],
            ..Default::default()
        };
        let desired = BTreeMap::from([(asset("a"), text("m"))]);
        let (changes, next) = plan(&state, &desired);
        assert!(changes.is_empty());
        assert_eq!(next, state);
    }

    #[test]
    fn new_changed_and_healed_assets_are_raised_updated_and_cleared() {
        let state = QualityWarningState {
            owned: vec![owned("a", "old"), owned("b", "m")],
            ..Default::default()
        };
        let desired = BTreeMap::from([(asset("a"), text("new")), (asset("c"), text("m"))]);
        let (changes, _) = plan(&state, &desired);
        assert_eq!(
            changes,
            vec![
                WarningChange::Update {
                    asset: asset("a"),
                    warning_luid: "w-a".into(),
                    text: text("new")
                },
                WarningChange::Clear {
                    asset: asset("b"),
                    warning_luid: "w-b".into()
                },
                WarningChange::Raise {
                    asset: asset("c"),
                    text: text("m")
                },
            ]
        );
    }

    #[test]
    fn a_held_back_asset_is_not_asked_again_and_is_forgotten_once_healthy() {
        let held = HeldBackWarning {
            asset: asset("a"),
            reason: "one per asset".into(),
            at: "t".into(),
        };
        let state = QualityWarningState {
            held_back: vec![held],
            ..Default::default()
        };
        let still = BTreeMap::from([(asset("a"), text("m"))]);
        let (changes, next) = plan(&state, &still);
        assert!(changes.is_empty());
        assert_eq!(next, state);
        let (changes, next) = plan(&state, &BTreeMap::new());
        assert!(changes.is_empty());
        assert!(next.held_back.is_empty());
    }
}
