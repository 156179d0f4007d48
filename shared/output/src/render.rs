//! Exposures as people and tools read them: JSON, a dbt properties file, a text table.

use std::collections::{BTreeMap, HashMap};

use autoexpose_domain::{Exposure, Manifest, MatchStats, Relation, RelationKind};
use serde::Serialize;

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

/// The folder, under the dbt project's model path, that holds the generated properties file.
pub const EXPOSURES_FOLDER: &str = "imported_from_tableau";

/// The generated properties file, relative to the dbt project's model path (`models/`).
///
/// One file holds every auto exposure, rather than one file per Tableau project: the path
/// never changes, so a pull request diff shows exactly the exposures that changed (a workbook
/// moved to another Tableau project is a one-line `meta` change, not a delete in one file and
/// an add in another); Tableau project names need no mapping to file names (they may hold
/// `/`, repeat under different parents, or be renamed); and a sync that removes the last
/// workbook of a project leaves no stale file behind to delete. The Tableau project stays
/// in each exposure's `meta.tableau_project`.
pub const EXPOSURES_FILE: &str = "imported_from_tableau/exposures.yml";

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

/// A file to write into the dbt project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlFile {
    /// Path relative to the dbt project's model path, e.g. [`EXPOSURES_FILE`].
    pub path: String,
    /// The file's text.
    pub contents: String,
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
/// Seeds and snapshots are `ref`ed like models. `v=` appears only for versioned models,
/// which exist from dbt 1.5 on, so the YAML for older projects never holds it.
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

/// The properties files that hold `exposures`: always one, [`EXPOSURES_FILE`] (see there
/// for why not one per Tableau project). With no exposures it holds `exposures: []`, so that
/// writing it removes exposures of workbooks that are gone.
pub fn dbt_yaml_files(
    exposures: &[Exposure],
    manifest: &Manifest,
    options: &YamlOptions,
) -> Vec<YamlFile> {
    vec![YamlFile {
        path: EXPOSURES_FILE.to_string(),
        contents: to_dbt_yaml(exposures, manifest, options),
    }]
}

/// Renders a dbt properties file (`version: 2`, `exposures:`) that dbt parses as it is.
///
/// The output is deterministic: exposures sorted by name, fields in a fixed order, `meta`
/// keys sorted, so that a sync that changes nothing rewrites the same bytes. Strings that
/// YAML 1.1 (PyYAML, which dbt uses) would read as anything but a string are quoted.
pub fn to_dbt_yaml(exposures: &[Exposure], manifest: &Manifest, options: &YamlOptions) -> String {
    let target = DbtTarget::of(
        options
            .dbt_version
            .or_else(|| manifest.metadata.dbt_minor_version()),
    );
    let root = manifest.metadata.project_name.as_deref();
    let planned = plan(exposures, manifest, options, target);
    let mut out = String::from(
        "# Generated by autoexpose from Tableau: edits are overwritten by the next sync.\n\
         version: 2\n",
    );
    if planned.is_empty() {
        out.push_str("exposures: []\n");
        return out;
    }
    out.push_str("\nexposures:\n");
    for (i, p) in planned.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        write_exposure(&mut out, p, root, target);
    }
    out
}

fn write_exposure(out: &mut String, p: &PlannedExposure<'_>, root: Option<&str>, t: DbtTarget) {
    let e = p.exposure;
    out.push_str(&format!("  - name: {}\n", scalar(&e.name)));
    let field = |out: &mut String, key: &str, value: Option<&str>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            out.push_str(&format!("    {key}: {}\n", text_value(value, 6)));
        }
    };
    field(out, "label", Some(&e.label));
    field(out, "type", Some(&e.exposure_type));
    field(out, "url", e.url.as_deref());
    field(out, "description", e.description.as_deref());
    out.push_str("    owner:\n");
    out.push_str(&format!("      name: {}\n", scalar(&p.owner_name)));
    if let Some(email) = &p.owner_email {
        out.push_str(&format!("      email: {}\n", scalar(email)));
    }
    if p.depends_on.is_empty() {
        out.push_str("    depends_on: []\n");
    } else {
        out.push_str("    depends_on:\n");
        for relation in &p.depends_on {
            let call = dependency_call(relation, root);
            out.push_str(&format!("      - {}\n", scalar(&call)));
        }
    }
    let indent = if t.meta_in_config {
        out.push_str("    config:\n      meta:\n");
        "        "
    } else {
        out.push_str("    meta:\n");
        "      "
    };
    for (key, value) in &p.meta {
        out.push_str(&format!("{indent}{}: {}\n", scalar(key), scalar(value)));
    }
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
    meta.extend(options.extra_meta.clone());
    if let Some(own) = options.exposure_meta.get(&exposure.name) {
        meta.extend(own.clone());
    }
    meta
}

/// Words YAML 1.1 reads as booleans or null (compared lowercased).
const YAML11_WORDS: [&str; 10] = [
    "y", "n", "yes", "no", "true", "false", "on", "off", "null", "~",
];

/// A YAML scalar for `text`: plain when nothing could misread it, double-quoted otherwise.
fn scalar(text: &str) -> String {
    if is_plain_safe(text) {
        text.to_string()
    } else {
        double_quoted(text)
    }
}

/// A value that may span lines: a literal block (`|-`) when that keeps it exact, else
/// [`scalar`]. `indent` is the column of the block's lines.
fn text_value(text: &str, indent: usize) -> String {
    let block_safe = text.contains('\n')
        && !text.starts_with(char::is_whitespace)
        && !text.ends_with(char::is_whitespace)
        && text.chars().all(|c| c == '\n' || !needs_escape(c));
    if !block_safe {
        return scalar(text);
    }
    let pad = " ".repeat(indent);
    let mut out = String::from("|-");
    for line in text.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    out
}

/// Plain scalars are kept to a conservative set: they start with a letter or `_`, hold only
/// letters, digits and a few punctuation marks, and are not a YAML 1.1 boolean or null, so
/// that no YAML reader sees a number, date, boolean, comment or mapping in them.
fn is_plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    if !(first.is_alphabetic() || first == '_') {
        return false;
    }
    let allowed = |c: char| c.is_alphanumeric() || " _-./@:#?=&%+()',".contains(c);
    text.chars().all(allowed)
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.ends_with([':', ' '])
        && !YAML11_WORDS.contains(&text.to_lowercase().as_str())
}

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// A double-quoted YAML scalar; escapes cover every character that YAML would otherwise
/// fold, strip or reject.
fn double_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
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
