//! The data quality warning flags of `integrations add` and `integrations set`, and how
//! `integrations show` reports them.

use autoexpose_domain::quality_warning::RaiseOn;
use autoexpose_pipeline::Integration;

/// Writing dbt health as Tableau data quality warnings.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct WarningArgs {
    /// Write dbt health as data quality warnings on the published data sources the
    /// exposures' workbooks read (`true`/`false`, `1`/`0`; off by default).
    #[arg(long, value_name = "BOOL", hide_possible_values = true, value_parser = clap::builder::BoolishValueParser::new())]
    pub(crate) quality_warnings: Option<bool>,
    /// Which health raises a warning: `degraded` (default) or `caution` (Degraded and
    /// Caution).
    #[arg(long, value_name = "STATE", value_parser = parse_raise_on)]
    pub(crate) warn_on: Option<RaiseOn>,
    /// Mark a Degraded exposure's warning severe (`true`/`false`, `1`/`0`).
    #[arg(long, value_name = "BOOL", hide_possible_values = true, value_parser = clap::builder::BoolishValueParser::new())]
    pub(crate) severe_warnings: Option<bool>,
    /// A link put in each warning (dbt docs, the lineage page); `{exposure}` is replaced
    /// by the exposure's name. An empty value removes it.
    #[arg(long, value_name = "URL")]
    pub(crate) warning_link: Option<String>,
    /// Where a workbook reads no published data source (only embedded ones), warn the
    /// dbt tables it reads instead (`true`/`false`, `1`/`0`; off by default; needs the site's
    /// tables catalogued, as with Tableau Catalog).
    #[arg(long, value_name = "BOOL", hide_possible_values = true, value_parser = clap::builder::BoolishValueParser::new())]
    pub(crate) table_warnings: Option<bool>,
}

fn parse_raise_on(text: &str) -> Result<RaiseOn, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "degraded" => Ok(RaiseOn::Degraded),
        "caution" => Ok(RaiseOn::Caution),
        other => Err(format!(
            "'{other}' is not a health state that raises warnings; use `degraded` or `caution`"
        )),
    }
}

impl WarningArgs {
    /// Whether any warning flag was given.
    pub(crate) fn any(&self) -> bool {
        self.quality_warnings.is_some()
            || self.warn_on.is_some()
            || self.severe_warnings.is_some()
            || self.warning_link.is_some()
            || self.table_warnings.is_some()
    }

    /// Changes what was given; the rest stays.
    pub(crate) fn apply(&self, integration: &mut Integration) {
        let settings = &mut integration.quality_warnings;
        if let Some(on) = self.quality_warnings {
            settings.enabled = on;
        }
        if let Some(raise_on) = self.warn_on {
            settings.raise_on = raise_on;
        }
        if let Some(severe) = self.severe_warnings {
            settings.degraded_severe = severe;
        }
        if let Some(link) = &self.warning_link {
            settings.link = Some(link.trim().to_string()).filter(|l| !l.is_empty());
        }
        if let Some(tables) = self.table_warnings {
            settings.tables = tables;
        }
    }
}

/// The lines `integrations show` prints about warnings.
pub(crate) fn describe(integration: &Integration) -> Vec<String> {
    let settings = &integration.quality_warnings;
    let state = &integration.quality_warning_state;
    let mut lines = Vec::new();
    if !settings.enabled && state.is_empty() {
        lines.push("off (`integrations set ID --quality-warnings true`)".to_string());
        return lines;
    }
    lines.push(format!(
        "{} on {}{}{}{}",
        if settings.enabled { "on," } else { "off," },
        settings.raise_on.as_str(),
        if settings.degraded_severe {
            ", Degraded severe"
        } else {
            ""
        },
        if settings.tables {
            ", on tables where no published data source is read"
        } else {
            ""
        },
        settings
            .link
            .as_deref()
            .map(|l| format!(", link {l}"))
            .unwrap_or_default()
    ));
    for owned in &state.owned {
        lines.push(format!(
            "written on {} '{}' ({}) at {}",
            owned.asset.kind.as_str(),
            owned.asset.name,
            owned.asset.luid,
            owned.written_at
        ));
    }
    for held in &state.held_back {
        lines.push(format!(
            "held back on {} '{}': {}",
            held.asset.kind.as_str(),
            held.asset.name,
            held.reason
        ));
    }
    if let Some(unavailable) = &state.unavailable {
        lines.push(format!(
            "{} (recorded {}; changing the setting tries again)",
            unavailable.reason, unavailable.at
        ));
    }
    lines
}
