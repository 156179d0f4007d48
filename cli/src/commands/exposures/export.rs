//! `autoexpose exposures export` and `autoexpose exposures inject`: the exposures of the
//! local store (or, offline, of a saved Tableau response) written as dbt YAML or added to a
//! copy of `manifest.json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use autoexpose_domain::{Exposure, Manifest, MatchOptions, build_exposures, parse_minor_version};
use autoexpose_output::{InjectOptions, YamlOptions, dbt_yaml_files, inject_exposures};

use crate::files;
use crate::lookups;
use crate::match_flags::{AliasArgs, SiteArgs};
use crate::store_choice::{self, StoreArgs};

/// The inputs and exposure settings that `export` and `inject` share: the stored exposures
/// of a dbt project, or offline those of a saved Tableau response.
#[derive(Debug, clap::Args)]
pub(crate) struct OfflineArgs {
    /// dbt `manifest.json`; by default the manifest applied to the dbt project.
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// Offline: a saved Metadata API response (`{"data": {"workbooks": [...]}}` or
    /// `workbooksConnection` pages) instead of the store's exposures; needs `--manifest`.
    #[arg(long, requires = "manifest")]
    tableau_response: Option<PathBuf>,
    /// The dbt project whose stored exposures to use (when the store has several).
    #[arg(long, conflicts_with = "tableau_response")]
    dbt_project: Option<String>,
    #[command(flatten)]
    site: SiteArgs,
    /// Also make exposures for workbooks that matched no dbt node.
    #[arg(long)]
    include_unmatched: bool,
    /// Owner name for workbooks whose owner Tableau does not give (dbt requires an owner);
    /// by default "Tableau" and the integration.
    #[arg(long)]
    owner: Option<String>,
    /// Owner email for dbt 1.3 and 1.4, which require one, when Tableau gives none.
    #[arg(long)]
    owner_email: Option<String>,
    /// When the Tableau response was taken (e.g. `2026-04-13T13:09:40Z`), recorded as `meta.tableau_synced_at` on each exposure.
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
pub(crate) enum ExportFormat {
    /// dbt properties files under `imported_from_tableau/`.
    #[default]
    Yaml,
}

/// Arguments of `autoexpose exposures export`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExportArgs {
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
pub(crate) struct InjectArgs {
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

/// Exposures ready to render, and the manifest they go with.
struct Source {
    manifest: Manifest,
    manifest_path: Option<PathBuf>,
    exposures: Vec<Exposure>,
    exposure_meta: BTreeMap<String, BTreeMap<String, String>>,
    fallback_owner: Option<String>,
}

impl OfflineArgs {
    /// The stored exposures of a dbt project, or offline those of the saved response.
    async fn source(&self, store: &StoreArgs) -> anyhow::Result<Source> {
        if let (Some(manifest), Some(response)) = (&self.manifest, &self.tableau_response) {
            let (parsed, exposures) = self.exposures(manifest, response)?;
            return Ok(Source {
                manifest: parsed,
                manifest_path: Some(manifest.clone()),
                exposures,
                exposure_meta: BTreeMap::new(),
                fallback_owner: None,
            });
        }
        let pipeline = store_choice::open_existing_pipeline(store).await?;
        let given = match &self.manifest {
            Some(path) => Some(files::read_manifest(path)?),
            None => None,
        };
        let project = match (
            &self.dbt_project,
            given.as_ref().and_then(|m| m.metadata.project_name.clone()),
        ) {
            (Some(project), _) => project.clone(),
            (None, Some(project)) => project,
            (None, None) => lookups::only_dbt_project(&pipeline).await?,
        };
        let manifest = match given {
            Some(manifest) => manifest,
            None => pipeline
                .applied_manifest(&project)
                .await?
                .map(|(_, manifest)| manifest)
                .ok_or(autoexpose_pipeline::PipelineError::NoManifest(
                    project.clone(),
                ))?,
        };
        let stored = pipeline.project_exposures(&project).await?;
        Ok(Source {
            manifest,
            manifest_path: self.manifest.clone(),
            exposures: stored.exposures,
            exposure_meta: stored.exposure_meta,
            fallback_owner: Some(stored.fallback_owner),
        })
    }

    /// Matches the saved response against the manifest, as `autoexpose match` does.
    fn exposures(
        &self,
        manifest_path: &Path,
        response: &Path,
    ) -> anyhow::Result<(Manifest, Vec<Exposure>)> {
        let manifest = files::read_manifest(manifest_path)?;
        let workbooks = files::read_tableau_response(response)?;
        let options = MatchOptions {
            include_unmatched: self.include_unmatched,
            urls: self.site.workbook_urls(),
            aliases: self.aliases.to_aliases(),
            ..MatchOptions::default()
        };
        let outcome = build_exposures(&manifest, &workbooks, &options);
        Ok((manifest, outcome.exposures))
    }

    fn yaml_options(&self, dbt_version: Option<(u32, u32)>, source: &Source) -> YamlOptions {
        let mut extra_meta: BTreeMap<String, String> = self.meta.iter().cloned().collect();
        if let Some(synced_at) = &self.synced_at {
            extra_meta.insert("tableau_synced_at".into(), synced_at.clone());
        }
        YamlOptions {
            dbt_version,
            site: self.site.content_url().map(str::to_string),
            fallback_owner: match (&self.owner, &source.fallback_owner) {
                (Some(owner), _) => owner.clone(),
                (None, Some(stored)) => stored.clone(),
                (None, None) => "Tableau".to_string(),
            },
            fallback_owner_email: self.owner_email.clone(),
            extra_meta,
            exposure_meta: source.exposure_meta.clone(),
        }
    }
}

/// Runs `autoexpose exposures export`: writes `OUT/imported_from_tableau/exposures.yml`, or
/// prints it without `--out`.
pub(crate) async fn run_export(args: ExportArgs, store: &StoreArgs) -> anyhow::Result<()> {
    let source = args.input.source(store).await?;
    let ExportFormat::Yaml = args.format;
    let options = args.input.yaml_options(args.dbt_version, &source);
    let exposures = &source.exposures;
    let files = dbt_yaml_files(exposures, &source.manifest, &options);
    let Some(dir) = args.out else {
        let text: String = files.iter().map(|f| f.contents.as_str()).collect();
        return files::emit(&text, None);
    };
    for file in files {
        let path = dir.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create directory '{}'", parent.display()))?;
        }
        files::emit(&file.contents, Some(&path))?;
        eprintln!("wrote {} ({} exposures)", path.display(), exposures.len());
    }
    Ok(())
}

/// Runs `autoexpose exposures inject`: a copy of the manifest with the auto exposures added,
/// for `dbt docs serve`.
pub(crate) async fn run_inject(args: InjectArgs, store: &StoreArgs) -> anyhow::Result<()> {
    let source = args.input.source(store).await?;
    let Some(path) = source.manifest_path.clone() else {
        anyhow::bail!("give the manifest to copy with --manifest (e.g. target/manifest.json)");
    };
    let exposures = &source.exposures;
    let path = &path;
    if same_file(path, &args.out) {
        anyhow::bail!(
            "--out '{}' is the input manifest; write the copy elsewhere (dbt rewrites manifest.json on its next run)",
            args.out.display()
        );
    }
    let bytes = files::read_input(path, "manifest")?;
    let created_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default();
    let options = InjectOptions {
        render: args.input.yaml_options(None, &source),
        created_at,
        model_path: args.model_path,
    };
    let injected = inject_exposures(&bytes, exposures, &options)
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

/// Whether two paths name one file: the same path after links are resolved, or (on
/// Unix) two hard links to one inode.
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    if let (Ok(x), Ok(y)) = (a.canonicalize(), b.canonicalize())
        && x == y
    {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    false
}
