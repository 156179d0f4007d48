//! The usage flags of `integrations add` and `integrations set` (how Tableau usage sets
//! dbt's `maturity` and the `stale` flag), and how `integrations show` reports them.

use autoexpose_pipeline::{Integration, UsageWindow};

/// How usage sets `maturity` and `stale` on the integration's exposures.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct UsageArgs {
    /// Set dbt's `maturity` from Tableau usage (`true`/`false`, `1`/`0`; on by default): `high`
    /// above `--maturity-high-hits` hits in the last month, `low` for a stale dashboard,
    /// `medium` between.
    #[arg(long, value_name = "BOOL", hide_possible_values = true, value_parser = clap::builder::BoolishValueParser::new())]
    pub(crate) maturity_from_usage: Option<bool>,
    /// More hits than this in the last month make an exposure's maturity `high`
    /// (default 100).
    #[arg(long, value_name = "N")]
    pub(crate) maturity_high_hits: Option<u64>,
    /// A dashboard nobody opened in this window is stale (and `low`): `2weeks`, `1month`,
    /// `3months` (default) or `1year` — the windows Tableau counts — or `off`.
    #[arg(long, value_name = "WINDOW", value_parser = parse_stale_after)]
    pub(crate) stale_after: Option<StaleAfter>,
}

/// A stale window, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StaleAfter(Option<UsageWindow>);

fn parse_stale_after(text: &str) -> Result<StaleAfter, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "off" | "never" | "none" => Ok(StaleAfter(None)),
        _ => text
            .parse::<UsageWindow>()
            .map(|w| StaleAfter(Some(w)))
            .map_err(|e| e.to_string()),
    }
}

impl UsageArgs {
    /// Changes what was given; the rest stays.
    pub(crate) fn apply(&self, integration: &mut Integration) {
        let rules = &mut integration.usage_rules;
        if let Some(on) = self.maturity_from_usage {
            rules.maturity_from_usage = on;
        }
        if let Some(hits) = self.maturity_high_hits {
            rules.high_hits_per_month = hits;
        }
        if let Some(StaleAfter(window)) = self.stale_after {
            rules.stale_after = window;
        }
    }
}

/// The lines `integrations show` prints about usage.
pub(crate) fn describe(integration: &Integration) -> Vec<String> {
    let rules = &integration.usage_rules;
    let stale = match rules.stale_after {
        Some(window) => format!("stale after no hit in {window}"),
        None => "no stale flag".to_string(),
    };
    let maturity = if rules.maturity_from_usage {
        format!(
            "maturity from usage (high above {} hits a month, low when stale)",
            rules.high_hits_per_month
        )
    } else {
        "maturity not set from usage".to_string()
    };
    let mut lines = vec![format!("{maturity}; {stale}")];
    if let Some(note) = &integration.usage_note {
        lines.push(format!("{} (since {})", note.message, note.since));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_windows_read_off_and_tableau_windows_and_refuse_others() {
        assert_eq!(parse_stale_after("off"), Ok(StaleAfter(None)));
        assert_eq!(
            parse_stale_after("3months"),
            Ok(StaleAfter(Some(UsageWindow::ThreeMonths)))
        );
        let error = parse_stale_after("45d").unwrap_err();
        assert!(
            error.contains("'45d'") && error.contains("1year"),
            "{error}"
        );
    }

    #[test]
    fn only_the_flags_given_change_the_rules() {
        let mut integration = Integration::new("acme", "shop", "h", "s", "t", "r");
        UsageArgs {
            maturity_high_hits: Some(500),
            ..UsageArgs::default()
        }
        .apply(&mut integration);
        assert_eq!(integration.usage_rules.high_hits_per_month, 500);
        assert!(integration.usage_rules.maturity_from_usage);
        assert_eq!(
            integration.usage_rules.stale_after,
            Some(UsageWindow::ThreeMonths)
        );
        UsageArgs {
            maturity_from_usage: Some(false),
            stale_after: Some(StaleAfter(None)),
            ..UsageArgs::default()
        }
        .apply(&mut integration);
        assert!(!integration.usage_rules.maturity_from_usage);
        assert_eq!(integration.usage_rules.stale_after, None);
        assert_eq!(integration.usage_rules.high_hits_per_month, 500);
    }
}
