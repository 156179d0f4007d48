//! What a workbook's usage says about its exposure: dbt's `maturity`, and whether the
//! dashboard is stale (nobody opened it for a while), so a team can retire what no one uses.
//!
//! The rules read only the counts Tableau reported ([`Usage`]); a window Tableau did not
//! report decides nothing. They are pure: the windows are Tableau's own (two weeks, a month,
//! three months, a year, counted back from when Tableau answered), so no clock is needed.
//!
//! ```
//! use autoexpose_domain::Usage;
//! use autoexpose_domain::usage_rules::{Maturity, UsageRules};
//!
//! let rules = UsageRules::default();
//! let busy = Usage { hits_last_month: Some(250), hits_last_three_months: Some(700), ..Usage::default() };
//! assert_eq!(rules.maturity(&busy), Some(Maturity::High));
//! let forgotten = Usage { hits_last_month: Some(0), hits_last_three_months: Some(0), ..Usage::default() };
//! assert_eq!(rules.maturity(&forgotten), Some(Maturity::Low));
//! assert!(rules.is_stale(&forgotten));
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::columns::Usage;

/// dbt's exposure `maturity`: how much people rely on the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Maturity {
    /// Nobody opened it in the stale window.
    Low,
    /// Opened, but not often enough to be `high`.
    Medium,
    /// Opened more than the configured number of times in the last month.
    High,
}

impl Maturity {
    /// The word dbt reads: `low`, `medium` or `high`.
    pub fn as_str(self) -> &'static str {
        match self {
            Maturity::Low => "low",
            Maturity::Medium => "medium",
            Maturity::High => "high",
        }
    }
}

impl fmt::Display for Maturity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One of the windows Tableau counts hits over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageWindow {
    /// The last two weeks.
    TwoWeeks,
    /// The last month.
    Month,
    /// The last three months.
    ThreeMonths,
    /// The last year.
    Year,
}

impl UsageWindow {
    /// Every window, shortest first.
    pub const ALL: [UsageWindow; 4] = [
        UsageWindow::TwoWeeks,
        UsageWindow::Month,
        UsageWindow::ThreeMonths,
        UsageWindow::Year,
    ];

    /// The hits Tableau reported for this window, if it did.
    pub fn hits(self, usage: &Usage) -> Option<u64> {
        match self {
            UsageWindow::TwoWeeks => usage.hits_last_two_weeks,
            UsageWindow::Month => usage.hits_last_month,
            UsageWindow::ThreeMonths => usage.hits_last_three_months,
            UsageWindow::Year => usage.hits_last_year,
        }
    }

    /// The word typed on a command line and shown: `2weeks`, `1month`, `3months`, `1year`.
    pub fn as_str(self) -> &'static str {
        match self {
            UsageWindow::TwoWeeks => "2weeks",
            UsageWindow::Month => "1month",
            UsageWindow::ThreeMonths => "3months",
            UsageWindow::Year => "1year",
        }
    }
}

impl fmt::Display for UsageWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A window that is not one Tableau counts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a window Tableau counts usage over; use 2weeks, 1month, 3months or 1year (or off)"
)]
pub struct UnknownWindow(pub String);

impl FromStr for UsageWindow {
    type Err = UnknownWindow;

    /// Reads `2weeks`, `1month`, `3months`, `1year`, and the spellings people type
    /// (`14d`, `30d`, `90d`, `365d`, `two_weeks`, `month`, `3m`, `12months`, `year`).
    fn from_str(text: &str) -> Result<UsageWindow, UnknownWindow> {
        let word: String = text
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| !matches!(c, ' ' | '_' | '-'))
            .collect();
        match word.as_str() {
            "2weeks" | "2w" | "twoweeks" | "14d" | "14days" => Ok(UsageWindow::TwoWeeks),
            "1month" | "month" | "1m" | "30d" | "30days" => Ok(UsageWindow::Month),
            "3months" | "threemonths" | "3m" | "90d" | "90days" => Ok(UsageWindow::ThreeMonths),
            "1year" | "year" | "1y" | "12months" | "365d" | "365days" => Ok(UsageWindow::Year),
            _ => Err(UnknownWindow(text.trim().to_string())),
        }
    }
}

/// An integration's rules for reading usage. On by default: `high` above
/// [`DEFAULT_HIGH_HITS`] hits in the last month, `low` (and stale) for no hit in the last
/// three months, `medium` between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRules {
    /// Set dbt's `maturity` from usage.
    #[serde(default = "default_true")]
    pub maturity_from_usage: bool,
    /// More hits than this in the last month make an exposure `high`.
    #[serde(default = "default_high_hits")]
    pub high_hits_per_month: u64,
    /// No hit in this window makes an exposure stale (and `low`); `None` never does.
    #[serde(default = "default_stale_after")]
    pub stale_after: Option<UsageWindow>,
}

/// The default of [`UsageRules::high_hits_per_month`].
pub const DEFAULT_HIGH_HITS: u64 = 100;

fn default_true() -> bool {
    true
}

fn default_high_hits() -> u64 {
    DEFAULT_HIGH_HITS
}

fn default_stale_after() -> Option<UsageWindow> {
    Some(UsageWindow::ThreeMonths)
}

impl Default for UsageRules {
    fn default() -> UsageRules {
        UsageRules {
            maturity_from_usage: true,
            high_hits_per_month: DEFAULT_HIGH_HITS,
            stale_after: default_stale_after(),
        }
    }
}

impl UsageRules {
    /// True when nothing differs from the default (nothing to store).
    pub fn is_default(&self) -> bool {
        self == &UsageRules::default()
    }

    /// Whether nobody opened the workbook in the stale window. Where Tableau gave only
    /// lifetime view counts, only a workbook never viewed at all is stale; where it gave
    /// nothing, nothing is stale.
    pub fn is_stale(&self, usage: &Usage) -> bool {
        let Some(window) = self.stale_after else {
            return false;
        };
        match window.hits(usage) {
            Some(hits) => hits == 0,
            None => !has_windows(usage) && usage.total_views == Some(0),
        }
    }

    /// dbt's `maturity` for the exposure, or `None` when the rule is off or the counts
    /// cannot tell (no usage, or only lifetime views of a workbook that was viewed).
    pub fn maturity(&self, usage: &Usage) -> Option<Maturity> {
        if !self.maturity_from_usage {
            return None;
        }
        if self.is_stale(usage) {
            return Some(Maturity::Low);
        }
        let month = usage.hits_last_month?;
        if month > self.high_hits_per_month {
            Some(Maturity::High)
        } else {
            Some(Maturity::Medium)
        }
    }
}

/// Whether Tableau reported any windowed count (the usage-stats method answered).
fn has_windows(usage: &Usage) -> bool {
    UsageWindow::ALL.iter().any(|w| w.hits(usage).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows(two_weeks: u64, month: u64, three_months: u64, year: u64) -> Usage {
        Usage {
            hits_last_two_weeks: Some(two_weeks),
            hits_last_month: Some(month),
            hits_last_three_months: Some(three_months),
            hits_last_year: Some(year),
            total_views: None,
        }
    }

    #[test]
    fn many_hits_in_a_month_make_a_dashboard_high() {
        let rules = UsageRules::default();
        assert_eq!(
            rules.maturity(&windows(60, 101, 300, 900)),
            Some(Maturity::High)
        );
        assert_eq!(
            rules.maturity(&windows(60, 100, 300, 900)),
            Some(Maturity::Medium)
        );
        let stricter = UsageRules {
            high_hits_per_month: 500,
            ..UsageRules::default()
        };
        assert_eq!(
            stricter.maturity(&windows(60, 101, 300, 900)),
            Some(Maturity::Medium)
        );
    }

    #[test]
    fn no_hit_in_three_months_makes_a_dashboard_low_and_stale() {
        let rules = UsageRules::default();
        let forgotten = windows(0, 0, 0, 40);
        assert_eq!(rules.maturity(&forgotten), Some(Maturity::Low));
        assert!(rules.is_stale(&forgotten));
        let once = windows(0, 0, 1, 40);
        assert_eq!(rules.maturity(&once), Some(Maturity::Medium));
        assert!(!rules.is_stale(&once));
    }

    #[test]
    fn the_stale_window_is_configurable_and_can_be_off() {
        let quiet_fortnight = windows(0, 3, 9, 40);
        let fortnight = UsageRules {
            stale_after: Some(UsageWindow::TwoWeeks),
            ..UsageRules::default()
        };
        assert!(fortnight.is_stale(&quiet_fortnight));
        assert_eq!(fortnight.maturity(&quiet_fortnight), Some(Maturity::Low));
        let never = UsageRules {
            stale_after: None,
            ..UsageRules::default()
        };
        assert!(!never.is_stale(&windows(0, 0, 0, 0)));
        assert_eq!(never.maturity(&windows(0, 0, 0, 0)), Some(Maturity::Medium));
    }

    #[test]
    fn turning_the_rule_off_leaves_maturity_unset_but_keeps_stale() {
        let off = UsageRules {
            maturity_from_usage: false,
            ..UsageRules::default()
        };
        assert_eq!(off.maturity(&windows(500, 500, 500, 500)), None);
        assert!(off.is_stale(&windows(0, 0, 0, 0)));
    }

    #[test]
    fn lifetime_views_only_tell_of_workbooks_never_viewed() {
        let rules = UsageRules::default();
        let never_viewed = Usage {
            total_views: Some(0),
            ..Usage::default()
        };
        assert!(rules.is_stale(&never_viewed));
        assert_eq!(rules.maturity(&never_viewed), Some(Maturity::Low));
        let viewed = Usage {
            total_views: Some(12),
            ..Usage::default()
        };
        assert!(!rules.is_stale(&viewed));
        assert_eq!(rules.maturity(&viewed), None);
        assert_eq!(rules.maturity(&Usage::default()), None);
        assert!(!rules.is_stale(&Usage::default()));
    }

    #[test]
    fn windows_read_the_spellings_people_type() {
        for (text, window) in [
            ("3months", UsageWindow::ThreeMonths),
            ("90d", UsageWindow::ThreeMonths),
            ("2 weeks", UsageWindow::TwoWeeks),
            ("1Month", UsageWindow::Month),
            ("12months", UsageWindow::Year),
        ] {
            assert_eq!(text.parse::<UsageWindow>(), Ok(window), "{text}");
        }
        let error = "6months".parse::<UsageWindow>().unwrap_err();
        assert!(error.to_string().contains("'6months'"), "{error}");
    }

    #[test]
    fn stored_rules_of_an_earlier_version_read_as_the_defaults() {
        let rules: UsageRules = serde_json::from_str("{}").expect("reads");
        assert_eq!(rules, UsageRules::default());
        let off: UsageRules = serde_json::from_str(r#"{"stale_after":null}"#).expect("reads");
        assert_eq!(off.stale_after, None);
    }
}
