//! What a Tableau data quality warning should say about the dbt health of the exposures
//! that read one data source or table: pure data in, data out.
//!
//! An asset gets a warning when at least one exposure reading it is in a raising state
//! (Degraded, and Caution too when the policy says so). The message starts with
//! [`WARNING_MARKER`], so autoexpose can tell its own warnings from a person's or
//! Tableau's, names each unhealthy exposure with the dbt nodes and tests that failed, and
//! ends with a link where one is configured.
//!
//! ```
//! use autoexpose_domain::health::{Health, HealthReport};
//! use autoexpose_domain::quality_warning::{ExposureHealth, RaiseOn, WarningPolicy, warning_for};
//!
//! let report = HealthReport { health: Health::Degraded,
//!     reasons: vec!["model.shop.orders failed to build: division by zero".into()] };
//! let policy = WarningPolicy { raise_on: RaiseOn::Degraded, degraded_severe: true };
//! let warning = warning_for(&[ExposureHealth { label: "Revenue", report: &report, link: None }], policy)
//!     .expect("a degraded exposure raises a warning");
//! assert!(warning.severe);
//! assert!(warning.message.contains("model.shop.orders failed to build"));
//! ```

use serde::{Deserialize, Serialize};

use crate::health::{Health, HealthReport};

/// How every warning autoexpose writes begins; a warning without it is someone else's.
pub const WARNING_MARKER: &str = "[autoexpose]";

/// The longest message written; Tableau shows the start of a long one, and a person
/// follows the link for the rest.
pub const MAX_MESSAGE_CHARS: usize = 1000;

/// Which health states raise a warning.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RaiseOn {
    /// Degraded only: a failed build, a failed test, a freshness error.
    #[default]
    Degraded,
    /// Degraded and Caution (warnings, skipped nodes, freshness warnings).
    Caution,
}

impl RaiseOn {
    /// True when an exposure in `health` raises a warning.
    pub fn raises(self, health: Health) -> bool {
        match self {
            RaiseOn::Degraded => health == Health::Degraded,
            RaiseOn::Caution => matches!(health, Health::Degraded | Health::Caution),
        }
    }

    /// The word used in settings: `degraded` or `caution`.
    pub fn as_str(self) -> &'static str {
        match self {
            RaiseOn::Degraded => "degraded",
            RaiseOn::Caution => "caution",
        }
    }
}

/// An integration's choice of what raises a warning and how loudly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WarningPolicy {
    /// Which states raise one.
    pub raise_on: RaiseOn,
    /// A Degraded exposure's warning is severe (Caution never is).
    pub degraded_severe: bool,
}

/// One exposure reading the asset, with its health.
#[derive(Debug, Clone, Copy)]
pub struct ExposureHealth<'a> {
    /// The name a viewer knows it by (the workbook name).
    pub label: &'a str,
    /// Its health and reasons.
    pub report: &'a HealthReport,
    /// Where a person reads more (dbt docs, the lineage page), if configured.
    pub link: Option<&'a str>,
}

/// The warning an asset should carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningText {
    /// What viewers read; starts with [`WARNING_MARKER`].
    pub message: String,
    /// Shown as severe.
    pub severe: bool,
}

/// The warning for an asset read by `exposures`, or `None` when none of them raises one.
/// Exposures are listed worst first, then by label, so the same health gives the same text.
pub fn warning_for(exposures: &[ExposureHealth<'_>], policy: WarningPolicy) -> Option<WarningText> {
    let mut raising: Vec<&ExposureHealth<'_>> = exposures
        .iter()
        .filter(|e| policy.raise_on.raises(e.report.health))
        .collect();
    if raising.is_empty() {
        return None;
    }
    raising.sort_by(|a, b| (b.report.health, a.label).cmp(&(a.report.health, b.label)));
    raising.dedup_by(|a, b| a.label == b.label);
    let worst = raising[0].report.health;
    let mut message = format!("{WARNING_MARKER} dbt reports this data as {worst}.");
    for exposure in &raising {
        message.push_str(&format!(
            " {} ({}): {}.",
            exposure.label,
            exposure.report.health,
            exposure.report.reasons.join("; ")
        ));
        if let Some(link) = exposure.link {
            message.push_str(&format!(" Details: {link}"));
        }
    }
    Some(WarningText {
        message: shorten(message),
        severe: worst == Health::Degraded && policy.degraded_severe,
    })
}

/// True when a warning's message is one autoexpose wrote.
pub fn is_ours(message: &str) -> bool {
    message.starts_with(WARNING_MARKER)
}

fn shorten(message: String) -> String {
    if message.chars().count() <= MAX_MESSAGE_CHARS {
        return message;
    }
    let mut cut: String = message.chars().take(MAX_MESSAGE_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(health: Health, reason: &str) -> HealthReport {
        HealthReport {
            health,
            reasons: vec![reason.to_string()],
        }
    }

    const DEGRADED_ONLY: WarningPolicy = WarningPolicy {
        raise_on: RaiseOn::Degraded,
        degraded_severe: false,
    };

    #[test]
    fn healthy_and_unknown_exposures_raise_nothing() {
        let healthy = report(Health::Healthy, "3 upstream nodes built");
        let unknown = report(Health::Unknown, "no run results");
        let exposures = [
            ExposureHealth {
                label: "A",
                report: &healthy,
                link: None,
            },
            ExposureHealth {
                label: "B",
                report: &unknown,
                link: None,
            },
        ];
        assert_eq!(warning_for(&exposures, DEGRADED_ONLY), None);
    }

    #[test]
    fn caution_raises_only_when_chosen() {
        let caution = report(Health::Caution, "test.shop.not_null_orders_id warned");
        let exposures = [ExposureHealth {
            label: "A",
            report: &caution,
            link: None,
        }];
        assert_eq!(warning_for(&exposures, DEGRADED_ONLY), None);
        let policy = WarningPolicy {
            raise_on: RaiseOn::Caution,
            degraded_severe: true,
        };
        let warning = warning_for(&exposures, policy).unwrap();
        assert!(!warning.severe, "Caution is never severe");
        assert!(warning.message.contains("not_null_orders_id warned"));
    }

    #[test]
    fn the_worst_exposure_comes_first_and_sets_the_severity() {
        let caution = report(Health::Caution, "seed.shop.rates skipped");
        let degraded = report(Health::Degraded, "model.shop.orders failed to build");
        let exposures = [
            ExposureHealth {
                label: "Alpha",
                report: &caution,
                link: None,
            },
            ExposureHealth {
                label: "Zeta",
                report: &degraded,
                link: Some("https://docs/x"),
            },
        ];
        let policy = WarningPolicy {
            raise_on: RaiseOn::Caution,
            degraded_severe: true,
        };
        let warning = warning_for(&exposures, policy).unwrap();
        assert!(warning.severe);
        assert!(is_ours(&warning.message));
        let zeta = warning.message.find("Zeta").unwrap();
        let alpha = warning.message.find("Alpha").unwrap();
        assert!(zeta < alpha, "{}", warning.message);
        assert!(warning.message.contains("Details: https://docs/x"));
    }

    #[test]
    fn long_messages_are_cut_to_the_limit() {
        let long = report(Health::Degraded, &"x".repeat(5000));
        let exposures = [ExposureHealth {
            label: "A",
            report: &long,
            link: None,
        }];
        let warning = warning_for(&exposures, DEGRADED_ONLY).unwrap();
        assert_eq!(warning.message.chars().count(), MAX_MESSAGE_CHARS);
        assert!(warning.message.ends_with('…'));
    }

    #[test]
    fn a_person_s_warning_is_not_ours() {
        assert!(!is_ours(
            "Refresh failed: login failed for user svc_tableau"
        ));
    }
}
