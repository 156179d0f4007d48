//! The stateful commands: integrations, collections, syncs, manifests and exposures kept in
//! a local store (SQLite, `--store`, default `.autoexpose/state.db`), run through the same
//! pipeline as the AWS Lambda functions.
//!
//! The PAT secret is read from the environment variable the integration names
//! (`--secret-env`, default `AUTOEXPOSE_TABLEAU_TOKEN_SECRET`), never from a flag or the
//! store.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{Context, bail};
use autoexpose_pipeline::{
    ApplyOutcome, CatalogEntry, DEFAULT_ENVIRONMENT, ExposureMode, Integration, JobCheck,
    PipelineError, ResultsOutcome, SyncRun, Trigger, integration_status, parse_collection_list,
};
use autoexpose_store_local::DEFAULT_SECRET_ENV;

pub use crate::backend::StoreArgs;

/// The pipeline the stateful commands run (local store or a deployed stack's table).
pub type LocalPipeline = crate::backend::CliPipeline;

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
    /// Record a dbt run_results.json (and sources.json): exposure health, and extract
    /// refreshes of rebuilt exposures where active exposures are on.
    RecordResults(RecordResultsArgs),
}

/// Arguments of `autoexpose record-results`.
#[derive(Debug, clap::Args)]
pub struct RecordResultsArgs {
    /// Path of run_results.json from a production `dbt build`.
    pub path: PathBuf,
    /// Path of sources.json from `dbt source freshness`.
    #[arg(long)]
    pub sources: Option<PathBuf>,
    /// The dbt project it belongs to.
    #[arg(long)]
    pub dbt_project: String,
    /// Follow the refresh jobs until they finish (the local CLI has no queue).
    #[arg(long)]
    pub wait: bool,
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
    /// Change an integration's matching and refresh settings, then rematch its stored
    /// workbooks (no Tableau call).
    Set(SetIntegrationArgs),
}

/// Arguments of `autoexpose integrations set`.
#[derive(Debug, clap::Args)]
pub struct SetIntegrationArgs {
    /// Integration id.
    pub id: String,
    #[command(flatten)]
    pub aliases: crate::match_cmd::AliasArgs,
    /// Remove every database and schema alias first.
    #[arg(long)]
    pub clear_aliases: bool,
    /// Also make exposures for workbooks that match no dbt node.
    #[arg(long)]
    pub include_unmatched: Option<bool>,
    /// Refresh Tableau extracts after dbt builds.
    #[arg(long)]
    pub active_exposures: Option<bool>,
    /// Minimum minutes between refreshes of one workbook.
    #[arg(long)]
    pub build_after_minutes: Option<u32>,
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
    /// Environment variable that holds the token's secret (local store).
    #[arg(long, default_value = DEFAULT_SECRET_ENV)]
    pub secret_env: String,
    /// Secrets Manager secret (name or ARN) that holds the token's secret, with
    /// `--dynamodb-table`; default `autoexpose/<id>`, inside the stack's `SecretNamePrefix`.
    #[arg(long)]
    pub secret_id: Option<String>,
    /// Refresh Tableau extracts after dbt builds (`1`/`0`). Unset: the deployment's
    /// default (`DBT_ACTIVE_EXPOSURES` on the function, else off).
    #[arg(long, env = "DBT_ACTIVE_EXPOSURES", value_parser = clap::builder::BoolishValueParser::new())]
    pub active_exposures: Option<bool>,
    /// Minimum minutes between refreshes of one workbook. Unset: the deployment's default
    /// (`DBT_ACTIVE_EXPOSURES_BUILD_AFTER` on the function, else 1440).
    #[arg(long, env = "DBT_ACTIVE_EXPOSURES_BUILD_AFTER")]
    pub build_after_minutes: Option<u32>,
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

/// How the catalog is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    /// Aligned columns for people.
    Table,
    /// JSON for machines.
    Json,
    /// CSV for spreadsheets.
    Csv,
}

/// `autoexpose exposures ...`
#[derive(Debug, clap::Subcommand)]
pub enum ExposuresCommand {
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
    },
    /// Write the auto exposures as dbt YAML (`imported_from_tableau/exposures.yml`).
    Export(crate::export_cmd::ExportArgs),
    /// Add the auto exposures to a copy of manifest.json, for `dbt docs serve`.
    Inject(crate::export_cmd::InjectArgs),
    /// One exposure: its fields, depends_on, health with the reasons, and last refreshes.
    Show {
        /// Exposure name.
        name: String,
        /// Only this dbt project's.
        #[arg(long)]
        dbt_project: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The pipeline over the chosen backend (see [`crate::backend`]).
pub async fn open_pipeline(store: &StoreArgs) -> anyhow::Result<LocalPipeline> {
    crate::backend::open_pipeline(store).await
}

/// The one dbt project the store's integrations belong to, or an error asking to choose.
pub async fn only_dbt_project(pipeline: &LocalPipeline) -> anyhow::Result<String> {
    let mut projects: Vec<String> = pipeline
        .store()
        .list_integrations(None)
        .await?
        .into_iter()
        .map(|i| i.dbt_project)
        .collect();
    projects.sort();
    projects.dedup();
    match projects.as_slice() {
        [only] => Ok(only.clone()),
        [] => bail!("the store has no integration yet: add one with `autoexpose integrations add`"),
        _ => bail!(
            "the store holds several dbt projects ({}): choose one with --dbt-project",
            projects.join(", ")
        ),
    }
}

/// `autoexpose sync ID|--all` on the local store (see `crate::sync_cmd` for the command).
/// `id: None` syncs every integration.
pub async fn sync_stored(id: Option<String>, store: &StoreArgs) -> anyhow::Result<()> {
    let pipeline = open_pipeline(store).await?;
    sync(&pipeline, SyncStateArgs { id }).await
}

/// Runs a stateful command against the chosen store.
pub async fn run(cmd: StateCommand, store: &StoreArgs) -> anyhow::Result<()> {
    // Export and inject open the store only when they need it (not offline).
    let cmd = match cmd {
        StateCommand::Exposures(ExposuresCommand::Export(args)) => {
            return crate::export_cmd::run_export(args, store).await;
        }
        StateCommand::Exposures(ExposuresCommand::Inject(args)) => {
            return crate::export_cmd::run_inject(args, store).await;
        }
        other => other,
    };
    let pipeline = open_pipeline(store).await?;
    match cmd {
        StateCommand::Integrations(IntegrationsCommand::Add(args)) => {
            add(&pipeline, args, store.is_aws()).await
        }
        StateCommand::Integrations(IntegrationsCommand::List) => list(&pipeline).await,
        StateCommand::Integrations(IntegrationsCommand::Show { id }) => show(&pipeline, &id).await,
        StateCommand::Integrations(IntegrationsCommand::Set(args)) => set(&pipeline, args).await,
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
            dbt_project,
            format,
        }) => {
            list_exposures(
                &pipeline,
                integration.as_deref(),
                dbt_project.as_deref(),
                format,
            )
            .await
        }
        StateCommand::Exposures(ExposuresCommand::Export(_) | ExposuresCommand::Inject(_)) => {
            unreachable!("handled before the store is opened")
        }
        StateCommand::Exposures(ExposuresCommand::Show {
            name,
            dbt_project,
            json,
        }) => show_exposure(&pipeline, &name, dbt_project.as_deref(), json).await,
        StateCommand::RecordResults(args) => record_results(&pipeline, args).await,
    }
}

async fn show_exposure(
    pipeline: &LocalPipeline,
    name: &str,
    dbt_project: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let Some(detail) = pipeline.exposure_detail(name, dbt_project).await? else {
        bail!("there is no exposure '{name}'; `autoexpose exposures list` shows them");
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&detail)?);
        return Ok(());
    }
    let e = &detail.entry;
    println!("name:         {}", e.name);
    println!("type:         {}", e.exposure_type);
    println!(
        "owner:        {} <{}>",
        e.owner.as_deref().unwrap_or("-"),
        e.owner_email.as_deref().unwrap_or("-")
    );
    println!("integration:  {}", e.integration.as_deref().unwrap_or("-"));
    println!("dbt project:  {}", e.dbt_project);
    if let Some(url) = &e.url {
        println!("url:          {url}");
    }
    println!("depends_on:");
    for node in &e.depends_on {
        println!("  - {node}");
    }
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
            println!("  {notes}");
        }
        if let Some(skipped) = &r.skipped {
            println!("  skipped at {}: {}", skipped.at, skipped.reason);
        }
    }
    Ok(())
}

async fn record_results(pipeline: &LocalPipeline, args: RecordResultsArgs) -> anyhow::Result<()> {
    let mut paths = vec![args.path.clone()];
    paths.extend(args.sources.clone());
    let mut jobs = Vec::new();
    for path in paths {
        let location = crate::backend::artifact_location(&path.to_string_lossy());
        match pipeline
            .record_run_results(&args.dbt_project, &location)
            .await?
        {
            ResultsOutcome::Recorded {
                pointer,
                nodes,
                refreshes,
                jobs: queued,
            } => {
                println!(
                    "recorded {nodes} results of {} (invocation {})",
                    pointer.location, pointer.invocation_id
                );
                for (id, result) in refreshes {
                    match result {
                        Ok(records) => {
                            for r in records {
                                let what = match (&r.skipped, r.state) {
                                    (Some(s), _) => format!("skipped: {}", s.reason),
                                    (None, Some(state)) => state.as_str().to_string(),
                                    (None, None) => "-".into(),
                                };
                                println!(
                                    "{id}: refresh of {} '{}': {what}",
                                    r.target.kind.as_str(),
                                    r.target.name
                                );
                            }
                        }
                        Err(e) => eprintln!("{id}: refreshes failed: {e}"),
                    }
                }
                jobs.extend(queued);
            }
            ResultsOutcome::Duplicate(p) => {
                println!("{} is already recorded; nothing changed", p.location)
            }
            ResultsOutcome::Stale { recorded } => println!(
                "{location} is older than the recorded {} (generated {}); nothing changed",
                recorded.location, recorded.generated_at
            ),
        }
    }
    if !args.wait {
        if !jobs.is_empty() {
            println!(
                "{} refresh jobs queued; `--wait` follows them to the end",
                jobs.len()
            );
        }
        return Ok(());
    }
    for mut job in jobs {
        loop {
            match pipeline.check_refresh_job(&job).await? {
                JobCheck::Done(r) => {
                    println!(
                        "job {} ({} '{}'): {}{}",
                        job.job_id,
                        r.target.kind.as_str(),
                        r.target.name,
                        r.state.map_or("-", |s| s.as_str()),
                        r.notes
                            .as_deref()
                            .map(|n| format!(": {n}"))
                            .unwrap_or_default()
                    );
                    break;
                }
                JobCheck::NotYet { job: next, delay } => {
                    // Locally a short poll is fine; the queue's long delays are for Lambda.
                    tokio::time::sleep(delay.min(std::time::Duration::from_secs(5))).await;
                    job = next;
                }
            }
        }
    }
    Ok(())
}

async fn add(pipeline: &LocalPipeline, args: AddIntegrationArgs, aws: bool) -> anyhow::Result<()> {
    // Only a reference to the secret is stored: an environment variable's name locally,
    // a Secrets Manager secret for a deployed stack.
    let (secret_ref, where_secret) = if aws {
        let id = args
            .secret_id
            .clone()
            .unwrap_or_else(|| format!("autoexpose/{}", args.id));
        (id.clone(), format!("Secrets Manager secret '{id}'"))
    } else {
        (args.secret_env.clone(), format!("${}", args.secret_env))
    };
    let mut integration = Integration::new(
        &args.id,
        &args.dbt_project,
        &args.server_url,
        &args.site,
        &args.token_name,
        &secret_ref,
    );
    integration.environment = args.environment;
    integration.active_exposures = args.active_exposures;
    integration.build_after_minutes = args.build_after_minutes;
    pipeline.store().create_integration(&integration).await?;
    println!(
        "added integration '{}'; choose its collections with `autoexpose collections set {} Finance,Marketing/Campaigns` (the secret is read from {where_secret})",
        args.id, args.id
    );
    Ok(())
}

async fn set(pipeline: &LocalPipeline, args: SetIntegrationArgs) -> anyhow::Result<()> {
    let mut integration = integration(pipeline, &args.id).await?;
    if args.clear_aliases {
        integration.database_aliases.clear();
        integration.schema_aliases.clear();
    }
    let aliases = args.aliases.to_aliases();
    integration.database_aliases.extend(aliases.databases);
    integration.schema_aliases.extend(aliases.schemas);
    if let Some(include) = args.include_unmatched {
        integration.include_unmatched = include;
    }
    if let Some(active) = args.active_exposures {
        integration.active_exposures = Some(active);
    }
    if let Some(minutes) = args.build_after_minutes {
        integration.build_after_minutes = Some(minutes);
    }
    pipeline.store().update_integration(&integration).await?;
    println!("updated integration '{}'", args.id);
    match pipeline
        .rematch_integration(&args.id, Trigger::Manual)
        .await
    {
        Ok(run) => print_run(&run),
        // Settings are stored; exposures follow the first manifest.
        Err(PipelineError::NoManifest(project)) => println!(
            "no manifest applied for dbt project '{project}' yet: exposures follow the first one"
        ),
        Err(e) => return Err(e.into()),
    }
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
    let aliases: Vec<String> = i
        .database_aliases
        .iter()
        .map(|(from, to)| format!("database {from} -> {to}"))
        .chain(
            i.schema_aliases
                .iter()
                .map(|(from, to)| format!("schema {from} -> {to}")),
        )
        .collect();
    if !aliases.is_empty() {
        println!("aliases:       {}", aliases.join(", "));
    }
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
    let projects = pipeline.bi().list_projects(&i, &secret).await?;
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
    // `s3://bucket/key` for a deployed stack (its functions must read it too), else a path.
    let location = crate::backend::artifact_location(&args.path.to_string_lossy());
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
    only_integration: Option<&str>,
    dbt_project: Option<&str>,
    format: ListFormat,
) -> anyhow::Result<()> {
    let project = match only_integration {
        Some(id) => Some(integration(pipeline, id).await?.dbt_project),
        None => dbt_project.map(str::to_string),
    };
    let mut entries = pipeline.catalog(project.as_deref()).await?;
    if let Some(id) = only_integration {
        entries.retain(|e| e.integration.as_deref() == Some(id));
    }
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

/// dbt's catalog columns.
const CATALOG_COLUMNS: [&str; 7] = [
    "NAME",
    "HEALTH",
    "TYPE",
    "OWNER",
    "OWNER EMAIL",
    "INTEGRATION",
    "EXPOSURE MODE",
];

fn catalog_row(e: &CatalogEntry) -> Vec<String> {
    vec![
        e.name.clone(),
        e.health.clone(),
        e.exposure_type.clone(),
        e.owner.clone().unwrap_or_default(),
        e.owner_email.clone().unwrap_or_default(),
        e.integration
            .as_ref()
            .map_or(String::new(), |i| format!("Tableau ({i})")),
        match e.mode {
            ExposureMode::Auto => "Auto".to_string(),
            ExposureMode::Manual => "Manual".to_string(),
        },
    ]
}

/// The catalog as CSV (RFC 4180 quoting).
fn catalog_csv(entries: &[CatalogEntry]) -> String {
    let quote = |field: &str| {
        if field.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", field.replace('"', "\"\""))
        } else {
            field.to_string()
        }
    };
    let mut out = "name,health,type,owner,owner_email,integration,exposure_mode,url\n".to_string();
    for e in entries {
        let mut row = catalog_row(e);
        row[5] = e.integration.clone().unwrap_or_default();
        row.push(e.url.clone().unwrap_or_default());
        let fields: Vec<String> = row.iter().map(|f| quote(f)).collect();
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
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
