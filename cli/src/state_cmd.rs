//! The stateful commands: integrations, collections, syncs, manifests and exposures kept in
//! a local store (SQLite, `--store`, default `.autoexpose/state.db`), run through the same
//! pipeline as the AWS Lambda functions.
//!
//! The PAT secret is read from the environment variable the integration names
//! (`--secret-env`, default `AUTOEXPOSE_TABLEAU_TOKEN_SECRET`), never from a flag or the
//! store.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use autoexpose_pipeline::Store as _;
use autoexpose_pipeline::{
    ApplyOutcome, ArtifactLocation, DEFAULT_ENVIRONMENT, Integration, Pipeline, Secrets,
    StoredExposure, SyncRun, TableauApi, TableauHttp, Trigger, integration_status,
    parse_collection_list,
};
use autoexpose_store_local::{DEFAULT_SECRET_ENV, EnvSecrets, LocalArtifacts, LocalStore};

/// Where the local store lives unless `--store` says otherwise.
pub const DEFAULT_STORE_PATH: &str = ".autoexpose/state.db";

type LocalPipeline = Pipeline<LocalStore, LocalArtifacts, EnvSecrets, TableauHttp>;

/// The `--store` option, shared by every stateful command.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// The local state file (SQLite).
    #[arg(id = "store", long = "store", global = true, env = "AUTOEXPOSE_STORE", default_value = DEFAULT_STORE_PATH)]
    pub path: PathBuf,
}

/// The stateful commands.
#[derive(Debug, clap::Subcommand)]
pub enum StateCommand {
    /// Add, list and show integrations (a dbt project linked to a Tableau site).
    #[command(subcommand)]
    Integrations(IntegrationsCommand),
    /// Choose and show an integration's Tableau collections (projects).
    #[command(subcommand)]
    Collections(CollectionsCommand),
    /// Apply a dbt manifest.json and rematch every integration of its dbt project.
    ApplyManifest(ApplyManifestArgs),
    /// Show the stored exposures.
    #[command(subcommand)]
    Exposures(ExposuresCommand),
}

/// `autoexpose integrations ...`
#[derive(Debug, clap::Subcommand)]
pub enum IntegrationsCommand {
    /// Add an integration.
    Add(AddIntegrationArgs),
    /// List the integrations with their last run.
    List,
    /// Show one integration's settings and status.
    Show {
        /// Integration id.
        id: String,
    },
}

/// Arguments of `autoexpose integrations add`.
#[derive(Debug, clap::Args)]
pub struct AddIntegrationArgs {
    /// A short id of your choice, e.g. acme-prod.
    #[arg(long)]
    pub id: String,
    /// The dbt project name (`name:` in dbt_project.yml).
    #[arg(long)]
    pub dbt_project: String,
    /// The production environment whose manifests count.
    #[arg(long, default_value = DEFAULT_ENVIRONMENT)]
    pub environment: String,
    /// Tableau server: a host (https implied, e.g. 10az.online.tableau.com) or a full URL.
    #[arg(long)]
    pub server_url: String,
    /// Tableau site content URL (the part after `#/site/`); empty for the Default site.
    #[arg(long, default_value = "")]
    pub site: String,
    /// Name of the personal access token.
    #[arg(long)]
    pub token_name: String,
    /// Environment variable that holds the token's secret.
    #[arg(long, default_value = DEFAULT_SECRET_ENV)]
    pub secret_env: String,
}

/// `autoexpose collections ...`
#[derive(Debug, clap::Subcommand)]
pub enum CollectionsCommand {
    /// Select collections (comma-separated project LUIDs or paths such as Finance/Reporting)
    /// and sync at once.
    Set {
        /// Integration id.
        id: String,
        /// Project LUIDs or paths, comma-separated; nested projects are included.
        collections: String,
    },
    /// Show the site's project tree with what is selected.
    List {
        /// Integration id.
        id: String,
    },
}

/// Which stored integrations `autoexpose sync` works on.
#[derive(Debug)]
pub struct SyncStateArgs {
    /// Integration id; `None` syncs every integration.
    pub id: Option<String>,
}

/// Arguments of `autoexpose apply-manifest`.
#[derive(Debug, clap::Args)]
pub struct ApplyManifestArgs {
    /// Path of the production manifest.json.
    pub path: PathBuf,
    /// The dbt project it belongs to.
    #[arg(long)]
    pub dbt_project: String,
}

/// How exposures are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    /// Aligned columns for people.
    Table,
    /// JSON for machines.
    Json,
}

/// `autoexpose exposures ...`
#[derive(Debug, clap::Subcommand)]
pub enum ExposuresCommand {
    /// List stored exposures.
    List {
        /// Only this integration's.
        #[arg(long)]
        integration: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
}

/// `autoexpose sync ID|--all` on the local store (see `crate::sync_cmd` for the command).
/// `id: None` syncs every integration.
pub async fn sync_stored(id: Option<String>, store_path: &Path) -> anyhow::Result<()> {
    let store = LocalStore::open(store_path)?;
    let pipeline = Pipeline::new(store, LocalArtifacts, EnvSecrets, TableauHttp::default());
    sync(&pipeline, SyncStateArgs { id }).await
}

/// Runs a stateful command against the local store at `store_path`.
pub async fn run(cmd: StateCommand, store_path: &Path) -> anyhow::Result<()> {
    let store = LocalStore::open(store_path)?;
    let pipeline = Pipeline::new(store, LocalArtifacts, EnvSecrets, TableauHttp::default());
    match cmd {
        StateCommand::Integrations(IntegrationsCommand::Add(args)) => add(&pipeline, args).await,
        StateCommand::Integrations(IntegrationsCommand::List) => list(&pipeline).await,
        StateCommand::Integrations(IntegrationsCommand::Show { id }) => show(&pipeline, &id).await,
        StateCommand::Collections(CollectionsCommand::Set { id, collections }) => {
            let collections = parse_collection_list(&collections);
            if collections.is_empty() {
                bail!(
                    "give at least one collection (a project LUID or path such as Finance/Reporting)"
                );
            }
            let run = pipeline.update_collections(&id, &collections).await?;
            println!("collections of '{id}' set to {}", collections.join(", "));
            print_run(&run);
            Ok(())
        }
        StateCommand::Collections(CollectionsCommand::List { id }) => {
            list_collections(&pipeline, &id).await
        }
        StateCommand::ApplyManifest(args) => apply(&pipeline, args).await,
        StateCommand::Exposures(ExposuresCommand::List {
            integration,
            format,
        }) => list_exposures(&pipeline, integration.as_deref(), format).await,
    }
}

async fn add(pipeline: &LocalPipeline, args: AddIntegrationArgs) -> anyhow::Result<()> {
    let mut integration = Integration::new(
        &args.id,
        &args.dbt_project,
        &args.server_url,
        &args.site,
        &args.token_name,
        &args.secret_env,
    );
    integration.environment = args.environment;
    pipeline.store().create_integration(&integration).await?;
    println!(
        "added integration '{}'; choose its collections with `autoexpose collections set {} Finance,Marketing/Campaigns` (the secret is read from ${})",
        args.id, args.id, args.secret_env
    );
    Ok(())
}

async fn integration(pipeline: &LocalPipeline, id: &str) -> anyhow::Result<Integration> {
    pipeline
        .store()
        .get_integration(id)
        .await?
        .with_context(|| {
            format!("there is no integration '{id}'; `autoexpose integrations list` shows them")
        })
}

fn run_summary(run: &SyncRun) -> String {
    match &run.error {
        Some(error) => format!("{} failed: {error}", run.finished_at),
        None => format!(
            "{} ok: {} workbooks, {} added, {} changed, {} removed",
            run.finished_at, run.workbooks, run.added, run.changed, run.removed
        ),
    }
}

fn print_run(run: &SyncRun) {
    println!(
        "{} ({}) {}",
        run.integration_id,
        run.trigger,
        run_summary(run)
    );
}

async fn list(pipeline: &LocalPipeline) -> anyhow::Result<()> {
    let integrations = pipeline.store().list_integrations(None).await?;
    if integrations.is_empty() {
        println!("no integrations yet; add one with `autoexpose integrations add`");
        return Ok(());
    }
    let mut rows = vec![
        [
            "ID",
            "DBT PROJECT",
            "SERVER",
            "SITE",
            "COLLECTIONS",
            "LAST RUN",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for i in &integrations {
        let status = integration_status(pipeline.store(), &i.id).await?;
        rows.push(vec![
            i.id.clone(),
            i.dbt_project.clone(),
            i.server_url.clone(),
            i.site.clone(),
            i.collections.len().to_string(),
            status
                .last_run
                .as_ref()
                .map(run_summary)
                .unwrap_or_else(|| "never".into()),
        ]);
    }
    print_table(&rows);
    Ok(())
}

async fn show(pipeline: &LocalPipeline, id: &str) -> anyhow::Result<()> {
    let i = integration(pipeline, id).await?;
    let status = integration_status(pipeline.store(), id).await?;
    let exposures = pipeline.store().list_exposures(id).await?;
    let applied = pipeline
        .store()
        .get_applied_manifest(&i.dbt_project)
        .await?;
    println!("integration:   {}", i.id);
    println!(
        "dbt project:   {} (environment {})",
        i.dbt_project, i.environment
    );
    println!("server:        {}", i.server_url);
    println!(
        "site:          {}",
        if i.site.is_empty() {
            "(Default)"
        } else {
            &i.site
        }
    );
    println!(
        "token name:    {} (secret from ${})",
        i.token_name, i.secret_ref
    );
    println!(
        "collections:   {}",
        if i.collections.is_empty() {
            "(none selected)".to_string()
        } else {
            i.collections.join(", ")
        }
    );
    println!("exposures:     {}", exposures.len());
    match applied {
        Some(m) => println!(
            "manifest:      {} (generated {})",
            m.location, m.generated_at
        ),
        None => println!(
            "manifest:      none applied yet (`autoexpose apply-manifest PATH --dbt-project {}`)",
            i.dbt_project
        ),
    }
    match &status.last_run {
        Some(run) => println!("last run:      {} {}", run.trigger, run_summary(run)),
        None => println!("last run:      never (`autoexpose sync {}`)", i.id),
    }
    if let Some(ok) = &status.last_success {
        println!("last success:  {}", ok.finished_at);
    }
    if let Some(error) = &status.last_error {
        println!("last error:    {error}");
    }
    Ok(())
}

async fn list_collections(pipeline: &LocalPipeline, id: &str) -> anyhow::Result<()> {
    let i = integration(pipeline, id).await?;
    let secret = pipeline.secrets().tableau_secret(&i.secret_ref).await?;
    let projects = pipeline.tableau().list_projects(&i, &secret).await?;
    let selected: BTreeSet<&str> = i.collections.iter().map(String::as_str).collect();
    // A project is included when it or one of its ancestors is selected.
    let parent_of = |luid: &str| {
        projects
            .iter()
            .find(|p| p.luid == luid)
            .and_then(|p| p.parent_luid.as_deref())
    };
    let mut sorted: Vec<_> = projects.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    for p in sorted {
        let mut mark = " ";
        let mut cursor = Some(p.luid.as_str());
        let mut steps = 0;
        while let Some(luid) = cursor {
            if selected.contains(luid) {
                mark = if luid == p.luid { "x" } else { "+" };
                break;
            }
            cursor = parent_of(luid);
            steps += 1;
            if steps > projects.len() {
                break;
            }
        }
        println!("[{mark}] {}  ({})", p.path, p.luid);
    }
    println!("[x] selected  [+] included as a nested project");
    let known: BTreeSet<&str> = projects.iter().map(|p| p.luid.as_str()).collect();
    for gone in selected.difference(&known) {
        println!(
            "warning: selected project {gone} no longer exists on the site; set the collections again"
        );
    }
    Ok(())
}

async fn sync(pipeline: &LocalPipeline, args: SyncStateArgs) -> anyhow::Result<()> {
    let ids: Vec<String> = match args.id {
        Some(id) => vec![id],
        None => pipeline
            .store()
            .list_integrations(None)
            .await?
            .into_iter()
            .map(|i| i.id)
            .collect(),
    };
    let mut failed = Vec::new();
    for id in &ids {
        match pipeline.sync_integration(id, Trigger::Manual).await {
            Ok(run) => print_run(&run),
            Err(e) => {
                eprintln!("{id}: {e}");
                failed.push(id.clone());
            }
        }
    }
    if !failed.is_empty() {
        bail!(
            "sync failed for {}; their exposures were left as they were",
            failed.join(", ")
        );
    }
    Ok(())
}

async fn apply(pipeline: &LocalPipeline, args: ApplyManifestArgs) -> anyhow::Result<()> {
    let location = ArtifactLocation::local(args.path.to_string_lossy());
    match pipeline
        .apply_manifest(&args.dbt_project, &location)
        .await?
    {
        ApplyOutcome::Applied {
            manifest,
            rematches,
        } => {
            println!(
                "applied {} (generated {})",
                manifest.location, manifest.generated_at
            );
            let mut failed = false;
            for (id, result) in rematches {
                match result {
                    Ok(run) => print_run(&run),
                    Err(e) => {
                        failed = true;
                        eprintln!("{id}: {e}");
                    }
                }
            }
            if failed {
                bail!("the manifest was applied but some integrations could not be rematched");
            }
        }
        ApplyOutcome::Duplicate(m) => {
            println!("{} is already applied; nothing changed", m.location)
        }
        ApplyOutcome::Stale { applied } => println!(
            "{location} is older than the applied manifest {} (generated {}); nothing changed",
            applied.location, applied.generated_at
        ),
    }
    Ok(())
}

async fn list_exposures(
    pipeline: &LocalPipeline,
    only: Option<&str>,
    format: ListFormat,
) -> anyhow::Result<()> {
    let ids: Vec<String> = match only {
        Some(id) => vec![integration(pipeline, id).await?.id],
        None => pipeline
            .store()
            .list_integrations(None)
            .await?
            .into_iter()
            .map(|i| i.id)
            .collect(),
    };
    let mut all: Vec<StoredExposure> = Vec::new();
    for id in &ids {
        all.extend(pipeline.store().list_exposures(id).await?);
    }
    match format {
        ListFormat::Json => println!("{}", serde_json::to_string_pretty(&all)?),
        ListFormat::Table => {
            let mut rows = vec![
                [
                    "NAME",
                    "INTEGRATION",
                    "WORKBOOK",
                    "PROJECT",
                    "OWNER",
                    "DEPENDS ON",
                ]
                .map(String::from)
                .to_vec(),
            ];
            for s in &all {
                let e = &s.exposure;
                rows.push(vec![
                    e.name.clone(),
                    s.integration_id.clone(),
                    e.label.clone(),
                    e.project.clone(),
                    e.owner
                        .as_ref()
                        .and_then(|o| o.name.clone())
                        .unwrap_or_default(),
                    e.depends_on.len().to_string(),
                ]);
            }
            print_table(&rows);
        }
    }
    Ok(())
}

fn print_table(rows: &[Vec<String>]) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  ", width = widths[c]));
            }
        }
        println!("{}", line.trim_end());
    }
}
