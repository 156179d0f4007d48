//! The exposure diff: what to write so the stored exposures equal the new ones.

use std::collections::{BTreeMap, BTreeSet};

use autoexpose_domain::Exposure;

use crate::{ExposureDiff, StoredExposure};

/// A diff and its counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiffOutcome {
    /// What to write.
    pub diff: ExposureDiff,
    /// Exposures that did not exist before.
    pub added: u32,
    /// Exposures that exist and differ in some field.
    pub changed: u32,
    /// Exposures whose workbook is gone (or no longer matches).
    pub removed: u32,
}

/// Compares stored exposures with new ones by workbook LUID, field by field (the stored
/// `synced_at` is not compared), so an unchanged exposure is not rewritten.
pub fn diff_exposures(stored: &[StoredExposure], new: &[Exposure]) -> DiffOutcome {
    let before: BTreeMap<&str, &Exposure> = stored
        .iter()
        .map(|s| (s.exposure.workbook_luid.as_str(), &s.exposure))
        .collect();
    let mut outcome = DiffOutcome::default();
    let mut seen = BTreeSet::new();
    for exposure in new {
        seen.insert(exposure.workbook_luid.as_str());
        match before.get(exposure.workbook_luid.as_str()) {
            None => {
                outcome.added += 1;
                outcome.diff.upserts.push(exposure.clone());
            }
            Some(old) if *old != exposure => {
                outcome.changed += 1;
                outcome.diff.upserts.push(exposure.clone());
            }
            Some(_) => {}
        }
    }
    for luid in before.keys() {
        if !seen.contains(luid) {
            outcome.removed += 1;
            outcome.diff.removals.push((*luid).to_string());
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exposure(luid: &str, name: &str, depends_on: &[&str]) -> Exposure {
        Exposure {
            name: name.into(),
            label: name.into(),
            exposure_type: "dashboard".into(),
            url: None,
            owner: None,
            description: None,
            depends_on: depends_on.iter().map(|s| s.to_string()).collect(),
            workbook_luid: luid.into(),
            project: "Finance".into(),
            project_luid: None,
            unmatched_tables: vec![],
            unparsed_custom_sql: vec![],
            referenced_columns: vec![],
            missing_columns: vec![],
            usage: None,
            maturity: None,
            stale: false,
        }
    }

    fn stored(e: Exposure) -> StoredExposure {
        StoredExposure {
            integration_id: "i".into(),
            exposure: e,
            synced_at: "2020-01-01T00:00:00.000Z".into(),
        }
    }

    #[test]
    fn unchanged_exposures_are_not_rewritten() {
        let a = exposure("wb-1", "sales", &["model.x.a"]);
        let outcome = diff_exposures(&[stored(a.clone())], &[a]);
        assert!(outcome.diff.is_empty());
        assert_eq!((outcome.added, outcome.changed, outcome.removed), (0, 0, 0));
    }

    #[test]
    fn new_changed_and_gone_exposures_are_counted_apart() {
        let old_a = exposure("wb-1", "sales", &["model.x.a"]);
        let new_a = exposure("wb-1", "sales", &["model.x.a", "model.x.b"]);
        let gone = exposure("wb-2", "ops", &["model.x.a"]);
        let fresh = exposure("wb-3", "hr", &["model.x.c"]);
        let outcome = diff_exposures(
            &[stored(old_a), stored(gone)],
            &[new_a.clone(), fresh.clone()],
        );
        assert_eq!((outcome.added, outcome.changed, outcome.removed), (1, 1, 1));
        assert_eq!(outcome.diff.upserts, vec![new_a, fresh]);
        assert_eq!(outcome.diff.removals, vec!["wb-2".to_string()]);
    }
}
