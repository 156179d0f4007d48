//! Exposures as people and tools read them: JSON, a dbt properties file, a text table.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::manifest::{Manifest, Relation, RelationKind};
use crate::matching::{Exposure, MatchStats};

/// The JSON document `autoexpose match --format json` prints.
#[derive(Debug, Serialize)]
pub struct JsonReport<'a> {
    /// The exposures, sorted by name.
    pub exposures: &'a [Exposure],
    /// Counts of the run.
    pub summary: &'a MatchStats,
}

/// Renders exposures as pretty JSON with a top-level `exposures` array.
pub fn to_json(exposures: &[Exposure], stats: &MatchStats) -> String {
    let report = JsonReport {
        exposures,
        summary: stats,
    };
    // Serializing plain owned data to a String cannot fail.
    serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
}

/// What the dbt YAML needs beyond the exposures.
#[derive(Debug, Clone, Default)]
pub struct YamlOptions {
    /// Target dbt version `(major, minor)`; decides where `meta` goes (under `config:`
    /// from dbt 1.10). Defaults to the manifest's `dbt_version`.
    pub dbt_version: Option<(u32, u32)>,
    /// Tableau site content URL, recorded in `meta`.
    pub site: Option<String>,
    /// Owner name used when Tableau gives none (dbt requires an owner).
    pub fallback_owner: String,
    /// Extra `meta` entries (integration id, last synced at).
    pub extra_meta: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct PropertiesFile<'a> {
    version: u32,
    exposures: Vec<YamlExposure<'a>>,
}

#[derive(Serialize)]
struct YamlOwner<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
}

#[derive(Serialize)]
struct YamlConfig {
    meta: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct YamlExposure<'a> {
    name: &'a str,
    label: &'a str,
    #[serde(rename = "type")]
    exposure_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    owner: YamlOwner<'a>,
    depends_on: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    meta: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    config: Option<YamlConfig>,
}

fn quote_arg(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn version_arg(version: &str) -> String {
    if !version.is_empty() && version.chars().all(|c| c.is_ascii_digit() || c == '.') {
        version.to_string()
    } else {
        quote_arg(version)
    }
}

/// The Jinja call that names a relation in `depends_on`: `ref('orders')`,
/// `ref('pkg', 'orders')`, `ref('orders', v=2)` or `source('src', 'table')`.
pub fn dependency_call(relation: &Relation, root_project: Option<&str>) -> String {
    if relation.kind == RelationKind::Source {
        let source = relation.source_name.as_deref().unwrap_or_default();
        return format!(
            "source({}, {})",
            quote_arg(source),
            quote_arg(&relation.name)
        );
    }
    let mut args = Vec::with_capacity(3);
    if root_project != Some(relation.package.as_str()) {
        args.push(quote_arg(&relation.package));
    }
    args.push(quote_arg(&relation.name));
    if let Some(version) = &relation.version {
        args.push(format!("v={}", version_arg(version)));
    }
    format!("ref({})", args.join(", "))
}

/// Renders a dbt properties file (`version: 2`, `exposures:`) that dbt parses as it is.
pub fn to_dbt_yaml(exposures: &[Exposure], manifest: &Manifest, options: &YamlOptions) -> String {
    let by_id: HashMap<&str, &Relation> = manifest
        .relations
        .iter()
        .map(|r| (r.unique_id.as_str(), r))
        .collect();
    let root = manifest.metadata.project_name.as_deref();
    let dbt_version = options
        .dbt_version
        .or_else(|| manifest.metadata.dbt_minor_version());
    let meta_in_config = dbt_version.is_some_and(|v| v >= (1, 10));
    let mut sorted: Vec<&Exposure> = exposures.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let items = sorted
        .into_iter()
        .map(|exposure| {
            let depends_on = exposure
                .depends_on
                .iter()
                .filter_map(|id| by_id.get(id.as_str()))
                .map(|r| dependency_call(r, root))
                .collect();
            let meta = exposure_meta(exposure, options);
            let owner = exposure.owner.as_ref();
            YamlExposure {
                name: &exposure.name,
                label: &exposure.label,
                exposure_type: &exposure.exposure_type,
                url: exposure.url.as_deref(),
                description: exposure.description.as_deref(),
                owner: YamlOwner {
                    name: owner
                        .and_then(|o| o.name.as_deref())
                        .unwrap_or(&options.fallback_owner),
                    email: owner.and_then(|o| o.email.as_deref()),
                },
                depends_on,
                meta: (!meta_in_config).then(|| meta.clone()),
                config: meta_in_config.then_some(YamlConfig { meta }),
            }
        })
        .collect();
    let file = PropertiesFile {
        version: 2,
        exposures: items,
    };
    serde_saphyr::to_string(&file).unwrap_or_default()
}

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
    if let Some(site) = &options.site {
        meta.insert("tableau_site".into(), site.clone());
    }
    meta.extend(options.extra_meta.clone());
    meta
}

/// Renders exposures as an aligned text table for people.
pub fn to_table(exposures: &[Exposure], stats: &MatchStats) -> String {
    let header = [
        "NAME",
        "WORKBOOK",
        "PROJECT",
        "OWNER",
        "DEPENDS ON",
        "UNMATCHED",
    ];
    let rows: Vec<[String; 6]> = exposures
        .iter()
        .map(|e| {
            [
                e.name.clone(),
                e.label.clone(),
                e.project.clone(),
                e.owner
                    .as_ref()
                    .and_then(|o| o.name.clone().or_else(|| o.email.clone()))
                    .unwrap_or_default(),
                e.depends_on.len().to_string(),
                e.unmatched_tables.len().to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(&header.map(String::from));
    for row in &rows {
        out.push_str(&line(row));
    }
    out.push_str(&format!(
        "\n{} exposures from {} workbooks; tables: {} matched, {} unmatched, {} hidden by Tableau permissions\n",
        stats.exposures, stats.workbooks, stats.tables_matched, stats.tables_unmatched, stats.tables_hidden
    ));
    out
}
