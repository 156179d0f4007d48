//! `autoexpose exposures list|show|export|inject`: the exposures catalog and one exposure
//! from the chosen store; `export` and `inject` (in [`export`]) write them as files.

mod export;

use anyhow::bail;
use autoexpose_domain::Exposure;
use autoexpose_domain::printable::printable;
use autoexpose_pipeline::CatalogEntry;

use crate::lookups::stored_integration;
use crate::store_choice::{self, CliPipeline, StoreArgs};
use crate::tables::{
    CATALOG_COLUMNS, catalog_csv, catalog_row, print_table, usage_cell, usage_rank,
};

/// How the catalog is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ListFormat {
    /// Aligned columns for people.
    Table,
    /// JSON for machines.
    Json,
    /// CSV for spreadsheets.
    Csv,
}

/// How the catalog is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ListSort {
    /// By name.
    Name,
    /// Most used first.
    Usage,
}

/// How one exposure is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ShowFormat {
    /// Labelled lines for people.
    Text,
    /// JSON for machines.
    Json,
}

/// `autoexpose exposures ...`
#[derive(Debug, clap::Subcommand)]
pub(crate) enum ExposuresCommand {
    /// The exposures catalog: auto exposures beside the manifest's manual ones, with dbt's
    /// columns (Name, Health, Type, Owner, Owner email, Integration, Exposure mode).
    List {
        /// Only this integration's auto exposures (and no manual ones).
        #[arg(long)]
        integration: Option<String>,
        /// Only this dbt project's.
        #[arg(long)]
        dbt_project: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        /// Order: by `name` (default), or by `usage`, most opened first (hits in the last
        /// month, else three months, else lifetime views; exposures without usage last).
        #[arg(long, value_enum, default_value_t = ListSort::Name)]
        sort: ListSort,
        /// Only the stale dashboards: nobody opened them in their integration's stale
        /// window (`integrations set --stale-after`), candidates to retire.
        #[arg(long)]
        stale: bool,
    },
    /// Write the auto exposures as dbt YAML (`imported_from_tableau/exposures.yml`).
    Export(export::ExportArgs),
    /// Add the auto exposures to a copy of manifest.json, for `dbt docs serve`.
    Inject(export::InjectArgs),
    /// One exposure: its fields, depends_on, health with the reasons, and last refreshes.
    Show {
        /// Exposure name.
        name: String,
        /// Only this dbt project's.
        #[arg(long)]
        dbt_project: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
        format: ShowFormat,
    },
}

/// Runs `autoexpose exposures ...`.
pub(crate) async fn run(cmd: ExposuresCommand, store: &StoreArgs) -> anyhow::Result<()> {
    match cmd {
        // Export and inject open the store only when they need it (not offline).
        ExposuresCommand::Export(args) => export::run_export(args, store).await,
        ExposuresCommand::Inject(args) => export::run_inject(args, store).await,
        ExposuresCommand::List {
            integration,
            dbt_project,
            format,
            sort,
            stale,
        } => {
            let pipeline = store_choice::open_existing_pipeline(store).await?;
            list_exposures(
                &pipeline,
                integration.as_deref(),
                dbt_project.as_deref(),
                format,
                ListOrder { sort, stale },
            )
            .await
        }
        ExposuresCommand::Show {
            name,
            dbt_project,
            format,
        } => {
            let pipeline = store_choice::open_existing_pipeline(store).await?;
            show_exposure(&pipeline, &name, dbt_project.as_deref(), format).await
        }
    }
}

/// Which catalog entries are listed, in what order.
#[derive(Debug, Clone, Copy)]
struct ListOrder {
    sort: ListSort,
    stale: bool,
}

impl ListOrder {
    /// Keeps the stale entries if asked, and sorts by usage if asked (the catalog comes
    /// sorted by name; the sort is stable, so ties stay in name order).
    fn apply(self, entries: &mut Vec<autoexpose_pipeline::CatalogEntry>) {
        if self.stale {
            entries.retain(|e| e.stale);
        }
        if self.sort == ListSort::Usage {
            entries.sort_by_key(|e| std::cmp::Reverse(usage_rank(e)));
        }
    }
}

async fn list_exposures(
    pipeline: &CliPipeline,
    only_integration: Option<&str>,
    dbt_project: Option<&str>,
    format: ListFormat,
    order: ListOrder,
) -> anyhow::Result<()> {
    let project = match only_integration {
        Some(id) => Some(stored_integration(pipeline, id).await?.dbt_project),
        None => dbt_project.map(str::to_string),
    };
    if let Some(project) = &project {
        known_dbt_project(pipeline, project).await?;
    }
    let mut entries = pipeline.catalog(project.as_deref()).await?;
    if let Some(id) = only_integration {
        entries.retain(|e| e.integration.as_deref() == Some(id));
    }
    if entries.is_empty() {
        eprintln!(
            "no exposures yet: they appear once an integration has collections selected and a manifest is applied (`autoexpose apply-manifest PATH --dbt-project NAME`)"
        );
    }
    order.apply(&mut entries);
    match format {
        ListFormat::Json => println!("{}", serde_json::to_string_pretty(&entries)?),
        ListFormat::Csv => print!("{}", catalog_csv(&entries)),
        ListFormat::Table => {
            let mut rows = vec![CATALOG_COLUMNS.map(String::from).to_vec()];
            rows.extend(entries.iter().map(catalog_row));
            print_table(&rows);
        }
    }
    Ok(())
}

/// Fails, naming the dbt projects the store has, when `project` is none of them: a
/// mistyped `--dbt-project` would otherwise print an empty catalog.
async fn known_dbt_project(pipeline: &CliPipeline, project: &str) -> anyhow::Result<()> {
    let mut projects: Vec<String> = pipeline
        .store()
        .list_integrations(None)
        .await?
        .into_iter()
        .map(|i| i.dbt_project)
        .collect();
    projects.sort();
    projects.dedup();
    let applied = pipeline.store().get_applied_manifest(project).await?;
    if applied.is_some() || projects.iter().any(|p| p == project) {
        return Ok(());
    }
    let known = if projects.is_empty() {
        "none yet".to_string()
    } else {
        projects.join(", ")
    };
    bail!("the store has no dbt project '{project}' (its dbt projects: {known})")
}

/// The auto exposure behind a catalog entry, for what the catalog leaves out (label,
/// description, Tableau project); `None` for a manual exposure.
async fn stored_exposure(
    pipeline: &CliPipeline,
    entry: &CatalogEntry,
) -> anyhow::Result<Option<Exposure>> {
    let (Some(integration), Some(luid)) = (&entry.integration, &entry.workbook_luid) else {
        return Ok(None);
    };
    let stored = pipeline.store().list_exposures(integration).await?;
    Ok(stored
        .into_iter()
        .map(|s| s.exposure)
        .find(|x| &x.workbook_luid == luid))
}

async fn show_exposure(
    pipeline: &CliPipeline,
    name: &str,
    dbt_project: Option<&str>,
    format: ShowFormat,
) -> anyhow::Result<()> {
    let Some(detail) = pipeline.exposure_detail(name, dbt_project).await? else {
        bail!("there is no exposure '{name}'; `autoexpose exposures list` shows them");
    };
    if format == ShowFormat::Json {
        println!("{}", serde_json::to_string_pretty(&detail)?);
        return Ok(());
    }
    let e = &detail.entry;
    let stored = stored_exposure(pipeline, e).await?;
    let shown = |text: &str| crate::files::terminal_safe(text).into_owned();
    println!("name:         {}", e.name);
    if let Some(x) = &stored {
        println!("label:        {}", shown(&x.label));
    }
    println!("type:         {}", e.exposure_type);
    println!(
        "owner:        {} <{}>",
        e.owner.as_deref().unwrap_or("-"),
        e.owner_email.as_deref().unwrap_or("-")
    );
    if let Some(x) = &stored {
        println!(
            "description:  {}",
            shown(x.description.as_deref().unwrap_or("-"))
        );
        println!(
            "project:      {} (Tableau)",
            shown(if x.project.is_empty() {
                "-"
            } else {
                &x.project
            })
        );
    }
    println!("integration:  {}", e.integration.as_deref().unwrap_or("-"));
    println!("dbt project:  {}", e.dbt_project);
    if let Some(url) = &e.url {
        println!("url:          {url}");
    }
    if e.depends_on.is_empty() {
        println!("depends_on:   none (the workbook reads no dbt node)");
    } else {
        println!("depends_on:");
        for node in &e.depends_on {
            println!("  - {node}");
        }
    }
    if e.usage.is_some() {
        println!("usage:        {}", usage_cell(e));
    }
    print_columns(&detail);
    println!("health:       {}", e.health);
    for reason in &e.health_reasons {
        println!("  - {reason}");
    }
    if detail.refreshes.is_empty() {
        println!("last refresh: none");
    }
    for r in &detail.refreshes {
        let state = r.state.map_or("never requested", |s| s.as_str());
        println!(
            "last refresh: {} '{}': {state}{}{}",
            r.target.kind.as_str(),
            r.target.name,
            r.requested_at
                .as_deref()
                .map(|t| format!(", requested {t}"))
                .unwrap_or_default(),
            r.job_id
                .as_deref()
                .map(|j| format!(", job {j}"))
                .unwrap_or_default(),
        );
        if let Some(code) = r.finish_code {
            println!("  finish code {code}");
        }
        if let Some(notes) = &r.notes {
            // Tableau's job notes, as Tableau wrote them.
            println!("  {}", printable(notes));
        }
        if let Some(skipped) = &r.skipped {
            println!("  skipped at {}: {}", skipped.at, skipped.reason);
        }
    }
    Ok(())
}

/// The columns the exposure's workbook reads, under each node, with those dbt lacks marked.
fn print_columns(detail: &autoexpose_pipeline::ExposureDetail) {
    if detail.referenced_columns.is_empty() {
        return;
    }
    println!("columns read:");
    let mut node = "";
    for column in &detail.referenced_columns {
        if column.node != node {
            node = &column.node;
            println!("  {}", printable(node));
        }
        let data_type = column
            .data_type
            .as_deref()
            .map(|t| format!(" ({})", printable(t)))
            .unwrap_or_default();
        let missing = if detail.missing_columns.contains(column) {
            "   <- dbt does not have this column: the dashboard may break"
        } else {
            ""
        };
        println!(
            "    - {}{data_type}{missing}",
            printable(&column.column_name)
        );
    }
}
