//! `autoexpose exposures export` and `autoexpose exposures inject`, offline: the exposures of
//! a saved Tableau response, written as dbt YAML or added to a copy of `manifest.json`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use autoexpose_matcher::inject::{InjectOptions, inject_exposures};
use autoexpose_matcher::render::{YamlOptions, dbt_yaml_files};
use autoexpose_matcher::{
    Exposure, Manifest, MatchOptions, TableauSite, build_exposures, parse_minor_version,
};

use crate::match_cmd::AliasArgs;
use crate::output;

/// The inputs and exposure settings that `export` and `inject` share.
#[derive(Debug, clap::Args)]
pub struct OfflineArgs {
    /// dbt `manifest.json` of the production environment.
    #[arg(long)]
    manifest: PathBuf,
    /// Saved Metadata API response (`{"data": {"workbooks": [...]}}` or `workbooksConnection` pages).
    #[arg(long)]
    tableau_response: PathBuf,
    /// Tableau server, for workbook URLs: a host (https implied) or a full URL.
    #[arg(long)]
    server_url: Option<String>,
    /// Tableau site content URL (the part after `#/site/`); empty for the Default site.
    #[arg(long, default_value = "")]
    site: String,
    /// Also make exposures for workbooks that matched no dbt node.
    #[arg(long)]
    include_unmatched: bool,
    /// Owner name for workbooks whose owner Tableau does not give (dbt requires an owner).
    #[arg(long, default_value = "Tableau")]
    owner: String,
    /// Owner email for dbt 1.3 and 1.4, which require one, when Tableau gives none.
    #[arg(long)]
    owner_email: Option<String>,
    /// When the Tableau response was taken (e.g. `2026-04-13T13:09:40Z`), recorded as `meta.synced_at`.
    #[arg(long)]
    synced_at: Option<String>,
    /// Extra `meta` entry on every exposure: `KEY=VALUE` (repeatable).
    #[arg(long = "meta", value_name = "KEY=VALUE", value_parser = parse_meta)]
    meta: Vec<(String, String)>,
    #[command(flatten)]
    aliases: AliasArgs,
}

/// Output format of `autoexpose exposures export`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// dbt properties files under `imported_from_tableau/`.
    #[default]
    Yaml,
}

/// Arguments of `autoexpose exposures export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    input: OfflineArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExportFormat::Yaml)]
    format: ExportFormat,
    /// Target dbt version `X.Y` (where `meta` goes, `ref(..., v=N)`, owner rules);
    /// defaults to the manifest's `dbt_version`.
    #[arg(long, value_parser = parse_dbt_version)]
    dbt_version: Option<(u32, u32)>,
    /// The dbt project's model directory (e.g. `models`): files go to `DIR/imported_from_tableau/`.
    /// Without it the YAML is printed.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Arguments of `autoexpose exposures inject`.
#[derive(Debug, clap::Args)]
pub struct InjectArgs {
    #[command(flatten)]
    input: OfflineArgs,
    /// Where to write the manifest with the exposures added (never the input file itself).
    #[arg(long)]
    out: PathBuf,
    /// The dbt project's model path, for the exposures' `original_file_path`.
    #[arg(long, default_value = "models")]
    model_path: String,
}

fn parse_meta(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("'{text}' is not KEY=VALUE, e.g. team=finance")),
    }
}

fn parse_dbt_version(text: &str) -> Result<(u32, u32), String> {
    parse_minor_version(text).ok_or_else(|| format!("'{text}' is not a dbt version such as 1.11"))
}

impl OfflineArgs {
    /// Matches the saved response against the manifest, as `autoexpose match` does.
    fn exposures(&self) -> anyhow::Result<(Manifest, Vec<Exposure>)> {
        let manifest = output::read_manifest(&self.manifest)?;
        let workbooks = output::read_tableau_response(&self.tableau_response)?;
        let options = MatchOptions {
            include_unmatched: self.include_unmatched,
            site: self.server_url.clone().map(|server_url| TableauSite {
                server_url,
                content_url: self.site.clone(),
            }),
            aliases: self.aliases.to_aliases(),
            ..MatchOptions::default()
        };
        let outcome = build_exposures(&manifest, &workbooks, &options);
        Ok((manifest, outcome.exposures))
    }

    fn yaml_options(&self, dbt_version: Option<(u32, u32)>) -> YamlOptions {
        let mut extra_meta: BTreeMap<String, String> = self.meta.iter().cloned().collect();
        if let Some(synced_at) = &self.synced_at {
            extra_meta.insert("synced_at".into(), synced_at.clone());
        }
        YamlOptions {
            dbt_version,
            site: (!self.site.is_empty()).then(|| self.site.clone()),
            fallback_owner: self.owner.clone(),
            fallback_owner_email: self.owner_email.clone(),
            extra_meta,
        }
    }
}

/// Runs `autoexpose exposures export` on a saved Tableau response: writes
/// `OUT/imported_from_tableau/exposures.yml`, or prints it without `--out`.
pub fn run_export_offline(args: ExportArgs) -> anyhow::Result<()> {
    let (manifest, exposures) = args.input.exposures()?;
    let ExportFormat::Yaml = args.format;
    let options = args.input.yaml_options(args.dbt_version);
    let files = dbt_yaml_files(&exposures, &manifest, &options);
    let Some(dir) = args.out else {
        let text: String = files.iter().map(|f| f.contents.as_str()).collect();
        return output::emit(&text, None);
    };
    for file in files {
        let path = dir.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create directory '{}'", parent.display()))?;
        }
        output::emit(&file.contents, Some(&path))?;
        eprintln!("wrote {} ({} exposures)", path.display(), exposures.len());
    }
    Ok(())
}

/// Runs `autoexpose exposures inject` on a saved Tableau response: a copy of the manifest
/// with the exposures added, for `dbt docs serve`.
pub fn run_inject(args: InjectArgs) -> anyhow::Result<()> {
    let (_, exposures) = args.input.exposures()?;
    let path = &args.input.manifest;
    if same_file(path, &args.out) {
        anyhow::bail!(
            "--out '{}' is the input manifest; write the copy elsewhere (dbt rewrites manifest.json on its next run)",
            args.out.display()
        );
    }
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read manifest '{}'", path.display()))?;
    let created_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default();
    let options = InjectOptions {
        render: args.input.yaml_options(None),
        created_at,
        model_path: args.model_path,
    };
    let injected = inject_exposures(&bytes, &exposures, &options)
        .with_context(|| format!("cannot add exposures to manifest '{}'", path.display()))?;
    std::fs::write(&args.out, injected)
        .with_context(|| format!("cannot write '{}'", args.out.display()))?;
    eprintln!(
        "wrote {} with {} auto exposures",
        args.out.display(),
        exposures.len()
    );
    Ok(())
}

fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
