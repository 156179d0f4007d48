//! Each exposure with everything dbt will see of it resolved: owner, dependencies and
//! `meta`. The dbt YAML and the injected manifest are both written from this plan, so they
//! cannot disagree.

use std::collections::{BTreeMap, HashMap};

use autoexpose_domain::{Exposure, Manifest, Relation};

/// The owner name used when neither Tableau nor [`YamlOptions::fallback_owner`] gives one.
pub const DEFAULT_OWNER: &str = "autoexpose";

/// What the dbt YAML needs beyond the exposures.
#[derive(Debug, Clone, Default)]
pub struct YamlOptions {
    /// Target dbt version `(major, minor)`: decides where `meta` goes (under `config:` from
    /// dbt 1.10) and whether the owner needs an email (up to 1.4). Defaults to the
    /// manifest's `dbt_version`.
    pub dbt_version: Option<(u32, u32)>,
    /// Tableau site content URL, recorded in `meta`.
    pub site: Option<String>,
    /// Owner name used when Tableau gives none (dbt requires an owner): the integration's
    /// name. [`DEFAULT_OWNER`] when empty.
    pub fallback_owner: String,
    /// Owner email for dbt 1.3 and 1.4, which require one, when Tableau gives none (e.g. the
    /// data team's address). Without it those versions get an empty string, which they accept.
    pub fallback_owner_email: Option<String>,
    /// Extra `meta` entries; the pipeline passes `integration_id` and `synced_at`.
    pub extra_meta: BTreeMap<String, String>,
    /// `meta` entries for single exposures, by exposure name (e.g. the integration and
    /// sync time of each, when one file holds exposures of several integrations).
    pub exposure_meta: BTreeMap<String, BTreeMap<String, String>>,
}

/// What a dbt version accepts in an exposure, as far as autoexpose writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DbtTarget {
    /// `meta` under `config:` (dbt 1.10 and later) rather than at the top level.
    pub(crate) meta_in_config: bool,
    /// `owner.email` is required (dbt 1.4 and earlier).
    pub(crate) owner_email_required: bool,
}

impl DbtTarget {
    /// The rules of `version`; an unknown version gets what every supported dbt accepts
    /// (top-level `meta` only warns from 1.10 on).
    pub(crate) fn of(version: Option<(u32, u32)>) -> DbtTarget {
        match version {
            Some(v) => DbtTarget {
                meta_in_config: v >= (1, 10),
                owner_email_required: v < (1, 5),
            },
            None => DbtTarget {
                meta_in_config: false,
                owner_email_required: false,
            },
        }
    }
}

/// One exposure with everything dbt will see of it resolved: the YAML and the injected
/// manifest node are both written from this, so they cannot disagree.
#[derive(Debug)]
pub(crate) struct PlannedExposure<'a> {
    pub(crate) exposure: &'a Exposure,
    pub(crate) owner_name: String,
    pub(crate) owner_email: Option<String>,
    /// The relations it depends on, in the exposure's (sorted) order; ids the manifest does
    /// not hold are left out, as dbt would refuse them.
    pub(crate) depends_on: Vec<&'a Relation>,
    pub(crate) meta: BTreeMap<String, String>,
}

/// Resolves owners, dependencies and `meta`, sorted by exposure name.
pub(crate) fn plan<'a>(
    exposures: &'a [Exposure],
    manifest: &'a Manifest,
    options: &YamlOptions,
    target: DbtTarget,
) -> Vec<PlannedExposure<'a>> {
    let by_id: HashMap<&str, &Relation> = manifest
        .relations
        .iter()
        .map(|r| (r.unique_id.as_str(), r))
        .collect();
    let mut sorted: Vec<&Exposure> = exposures.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut planned = Vec::with_capacity(sorted.len());
    for exposure in sorted {
        let owner = exposure.owner.as_ref();
        let fallback = if options.fallback_owner.trim().is_empty() {
            DEFAULT_OWNER
        } else {
            options.fallback_owner.as_str()
        };
        let owner_name = owner
            .and_then(|o| o.name.as_deref())
            .filter(|n| !n.trim().is_empty())
            .unwrap_or(fallback)
            .to_string();
        let mut owner_email = owner
            .and_then(|o| o.email.clone())
            .filter(|e| !e.trim().is_empty());
        if target.owner_email_required && owner_email.is_none() {
            owner_email = Some(options.fallback_owner_email.clone().unwrap_or_default());
        }
        let depends_on = exposure
            .depends_on
            .iter()
            .filter_map(|id| by_id.get(id.as_str()).copied())
            .collect();
        planned.push(PlannedExposure {
            exposure,
            owner_name,
            owner_email,
            depends_on,
            meta: exposure_meta(exposure, options),
        });
    }
    planned
}

/// The `meta` of an auto exposure: how it was made and where it comes from in Tableau.
fn exposure_meta(exposure: &Exposure, options: &YamlOptions) -> BTreeMap<String, String> {
    let mut meta = BTreeMap::from([
        ("exposure_mode".to_string(), "auto".to_string()),
        ("integration".to_string(), "tableau".to_string()),
        (
            "tableau_workbook_luid".to_string(),
            exposure.workbook_luid.clone(),
        ),
        ("tableau_project".to_string(), exposure.project.clone()),
    ]);
    if let Some(luid) = &exposure.project_luid {
        meta.insert("tableau_project_luid".into(), luid.clone());
    }
    if let Some(site) = &options.site {
        meta.insert("tableau_site".into(), site.clone());
    }
    meta.extend(crate::usage_meta::usage_meta(exposure));
    meta.extend(options.extra_meta.clone());
    if let Some(own) = options.exposure_meta.get(&exposure.name) {
        meta.extend(own.clone());
    }
    meta
}
