//! The usage an exposure carries, as `meta` entries: hits per window and lifetime views
//! where Tableau reported them, and `tableau_stale` for a dashboard nobody opened in the
//! integration's stale window. dbt's `maturity` goes beside `meta`, not in it.

use std::collections::BTreeMap;

use autoexpose_domain::Exposure;

/// The `meta` entries of an exposure's usage; none when it has no usage.
pub(crate) fn usage_meta(exposure: &Exposure) -> BTreeMap<String, String> {
    let mut meta = BTreeMap::new();
    let Some(usage) = &exposure.usage else {
        return meta;
    };
    for (key, count) in [
        ("tableau_hits_last_two_weeks", usage.hits_last_two_weeks),
        ("tableau_hits_last_month", usage.hits_last_month),
        (
            "tableau_hits_last_three_months",
            usage.hits_last_three_months,
        ),
        ("tableau_hits_last_year", usage.hits_last_year),
        ("tableau_total_views", usage.total_views),
    ] {
        if let Some(count) = count {
            meta.insert(key.to_string(), count.to_string());
        }
    }
    if exposure.stale {
        meta.insert("tableau_stale".to_string(), "true".to_string());
    }
    meta
}

/// One line on an exposure's usage for people (the lineage page's details panel):
/// `410 hits in the last month, 1150 in three months · maturity high`, or
/// `9800 views in all · stale`. Empty when it has no usage.
pub fn usage_summary(exposure: &Exposure) -> String {
    let Some(usage) = &exposure.usage else {
        return String::new();
    };
    let mut parts = Vec::new();
    match (usage.hits_last_month, usage.hits_last_three_months) {
        (Some(month), Some(quarter)) => parts.push(format!(
            "{month} hits in the last month, {quarter} in three months"
        )),
        (Some(month), None) => parts.push(format!("{month} hits in the last month")),
        (None, Some(quarter)) => parts.push(format!("{quarter} hits in three months")),
        (None, None) => {
            if let Some(total) = usage.total_views {
                parts.push(format!("{total} views in all"));
            }
        }
    }
    if let Some(maturity) = exposure.maturity {
        parts.push(format!("maturity {maturity}"));
    }
    if exposure.stale {
        parts.push("stale".to_string());
    }
    parts.join(" · ")
}
