//! `autoexpose lineage`: the lineage page (dbt nodes → exposures) as one HTML file,
//! built offline from a manifest and a saved Tableau response (PRODUCT.md S7).

use std::path::PathBuf;

use anyhow::Context;
use autoexpose_domain::{MatchOptions, build_exposures};
use autoexpose_output::{LineageOptions, lineage_html};

use crate::files;
use crate::lookups;
use crate::match_flags::{AliasArgs, SiteArgs};
use crate::store_choice::{self, StoreArgs};

/// Arguments of `autoexpose lineage`.
#[derive(Debug, clap::Args)]
pub(crate) struct LineageArgs {
    /// Offline: a dbt `manifest.json` (its `parent_map` gives the edges); needs
    /// `--tableau-response`. Without both, the page shows the stored exposures.
    #[arg(long, requires = "tableau_response")]
    manifest: Option<PathBuf>,
    /// Offline: a saved Metadata API response (the GraphiQL query of dbt's troubleshooting
    /// guide, or `workbooksConnection` pages).
    #[arg(long, requires = "manifest")]
    tableau_response: Option<PathBuf>,
    /// The dbt project whose stored exposures to draw (when the store has several).
    #[arg(long, conflicts_with = "manifest")]
    dbt_project: Option<String>,
    #[command(flatten)]
    site: SiteArgs,
    /// Page title; defaults to the dbt project's name.
    #[arg(long)]
    title: Option<String>,
    /// Write the page here (a self-contained HTML file).
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    aliases: AliasArgs,
}

/// Runs `autoexpose lineage`: the stored exposures of a dbt project, or offline those of a
/// saved Tableau response.
pub(crate) async fn run(args: LineageArgs, store: &StoreArgs) -> anyhow::Result<()> {
    let (Some(manifest_path), Some(response)) =
        (args.manifest.clone(), args.tableau_response.clone())
    else {
        let pipeline = store_choice::open_existing_pipeline(store).await?;
        let project = match &args.dbt_project {
            Some(project) => project.clone(),
            None => lookups::only_dbt_project(&pipeline).await?,
        };
        let page = pipeline.lineage_page(&project, None).await?;
        std::fs::write(&args.out, page)
            .with_context(|| format!("cannot write '{}'", args.out.display()))?;
        eprintln!("wrote {}", args.out.display());
        return Ok(());
    };
    let manifest = files::read_manifest(&manifest_path)?;
    let workbooks = files::read_tableau_response(&response)?;
    let options = MatchOptions {
        urls: args.site.workbook_urls(),
        aliases: args.aliases.to_aliases(),
        ..MatchOptions::default()
    };
    let outcome = build_exposures(&manifest, &workbooks, &options);
    let title = args
        .title
        .unwrap_or_else(|| match manifest.metadata.project_name.as_deref() {
            Some(project) => format!("{project} · dbt lineage"),
            None => "dbt lineage".to_string(),
        });
    let page = lineage_html(
        &manifest,
        manifest.dag(),
        &outcome.exposures,
        &LineageOptions {
            title,
            // The manifest's own time is in the header; no clock, so the same inputs
            // give the same file (reviewable, cacheable).
            generated_at: None,
        },
    );
    files::emit(&page, Some(&args.out))
}
