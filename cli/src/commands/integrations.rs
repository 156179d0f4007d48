//! `autoexpose integrations add|list|show|set|break-lease`: the integrations (a dbt project linked to a
//! Tableau site) kept in the chosen store.
//!
//! Locally the PAT secret is read from the environment variable the integration names
//! (`--secret-env`, default `AUTOEXPOSE_TABLEAU_TOKEN_SECRET`), never from a flag or the
//! store; a deployed stack's integration names a Secrets Manager secret.

use anyhow::Context;
use autoexpose_pipeline::{
    DEFAULT_ENVIRONMENT, DEFAULT_MAX_REMOVAL_PERCENT, Integration, PipelineError, describe_lease,
    integration_status,
};
use autoexpose_store_local::DEFAULT_SECRET_ENV;
use autoexpose_tableau::{check_server_url, redact_server_url};

use super::usage_flags::{self, UsageArgs};
use super::warning_flags::{self, WarningArgs};
use crate::lookups::stored_integration;
use crate::match_flags::AliasArgs;
use crate::run_summary::{print_run, run_summary};
use crate::store_choice::{self, CliPipeline, StoreArgs};
use crate::tables::print_table;

/// `autoexpose integrations ...`
#[derive(Debug, clap::Subcommand)]
pub(crate) enum IntegrationsCommand {
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
    /// Remove the lease a dead run left (a killed process, a timed-out function), so the
    /// next sync need not wait for it to lapse. Only when no run is alive: two runs at
    /// once sign in twice with one token and end each other's sessions.
    BreakLease {
        /// Integration id.
        id: String,
    },
}

/// Arguments of `autoexpose integrations set`.
#[derive(Debug, clap::Args)]
pub(crate) struct SetIntegrationArgs {
    /// Integration id.
    pub(crate) id: String,
    #[command(flatten)]
    pub(crate) aliases: AliasArgs,
    /// Remove every database and schema alias and default first.
    #[arg(long)]
    pub(crate) clear_aliases: bool,
    /// Also make exposures for workbooks that match no dbt node.
    #[arg(long)]
    pub(crate) include_unmatched: Option<bool>,
    /// Refresh Tableau extracts after dbt builds.
    #[arg(long)]
    pub(crate) active_exposures: Option<bool>,
    /// Minimum minutes between refreshes of one workbook.
    #[arg(long)]
    pub(crate) build_after_minutes: Option<u32>,
    /// The largest share of the exposures, in percent, one run may remove before it is
    /// held back for `--allow-mass-removal` (default 50; 100 allows any).
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub(crate) max_removal_percent: Option<u8>,
    #[command(flatten)]
    pub(crate) warnings: WarningArgs,
    #[command(flatten)]
    pub(crate) usage: UsageArgs,
}

/// Arguments of `autoexpose integrations add`.
#[derive(Debug, clap::Args)]
pub(crate) struct AddIntegrationArgs {
    /// A short id of your choice, e.g. acme-prod.
    #[arg(long)]
    pub(crate) id: String,
    /// The dbt project name (`name:` in dbt_project.yml).
    #[arg(long)]
    pub(crate) dbt_project: String,
    /// The production environment whose manifests count.
    #[arg(long, default_value = DEFAULT_ENVIRONMENT)]
    pub(crate) environment: String,
    /// Tableau server: a host (https implied, e.g. 10az.online.tableau.com) or a full URL.
    #[arg(long)]
    pub(crate) server_url: String,
    /// Tableau site content URL (the part after `#/site/`); empty for the Default site.
    #[arg(long, default_value = "")]
    pub(crate) site: String,
    /// Name of the personal access token.
    #[arg(long)]
    pub(crate) token_name: String,
    /// Environment variable that holds the token's secret (local store).
    #[arg(long, default_value = DEFAULT_SECRET_ENV)]
    pub(crate) secret_env: String,
    /// Secrets Manager secret (name or ARN) that holds the token's secret, with
    /// `--dynamodb-table`; default `autoexpose/<id>`, inside the stack's `SecretNamePrefix`.
    #[arg(long)]
    pub(crate) secret_id: Option<String>,
    /// Refresh Tableau extracts after dbt builds (`1`/`0`). Unset: the deployment's
    /// default (`DBT_ACTIVE_EXPOSURES` on the function, else off).
    #[arg(long, env = "DBT_ACTIVE_EXPOSURES", value_parser = clap::builder::BoolishValueParser::new())]
    pub(crate) active_exposures: Option<bool>,
    /// Minimum minutes between refreshes of one workbook. Unset: the deployment's default
    /// (`DBT_ACTIVE_EXPOSURES_BUILD_AFTER` on the function, else 1440).
    #[arg(long, env = "DBT_ACTIVE_EXPOSURES_BUILD_AFTER")]
    pub(crate) build_after_minutes: Option<u32>,
    #[command(flatten)]
    pub(crate) warnings: WarningArgs,
    #[command(flatten)]
    pub(crate) usage: UsageArgs,
}

/// Runs `autoexpose integrations ...` against the chosen store.
pub(crate) async fn run(cmd: IntegrationsCommand, store: &StoreArgs) -> anyhow::Result<()> {
    let pipeline = store_choice::open_pipeline(store).await?;
    match cmd {
        IntegrationsCommand::Add(args) => add(&pipeline, args, store.is_aws()).await,
        IntegrationsCommand::List => list(&pipeline).await,
        IntegrationsCommand::Show { id } => show(&pipeline, &id).await,
        IntegrationsCommand::Set(args) => set(&pipeline, args).await,
        IntegrationsCommand::BreakLease { id } => break_lease(&pipeline, &id).await,
    }
}

async fn add(pipeline: &CliPipeline, args: AddIntegrationArgs, aws: bool) -> anyhow::Result<()> {
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
    check_server_url(&args.server_url).context("--server-url")?;
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
    args.warnings.apply(&mut integration);
    args.usage.apply(&mut integration);
    pipeline.store().create_integration(&integration).await?;
    println!(
        "added integration '{}'; choose its collections with `autoexpose collections set {} Finance,Marketing/Campaigns` (the secret is read from {where_secret})",
        args.id, args.id
    );
    Ok(())
}

async fn set(pipeline: &CliPipeline, args: SetIntegrationArgs) -> anyhow::Result<()> {
    let mut integration = stored_integration(pipeline, &args.id).await?;
    if args.clear_aliases {
        integration.database_aliases.clear();
        integration.schema_aliases.clear();
        integration.default_schemas.clear();
        integration.default_databases.clear();
    }
    let aliases = args.aliases.to_aliases();
    integration.database_aliases.extend(aliases.databases);
    integration.schema_aliases.extend(aliases.schemas);
    integration.default_schemas.extend(aliases.default_schemas);
    integration
        .default_databases
        .extend(aliases.default_databases);
    if let Some(include) = args.include_unmatched {
        integration.include_unmatched = include;
    }
    if let Some(active) = args.active_exposures {
        integration.active_exposures = Some(active);
    }
    if let Some(minutes) = args.build_after_minutes {
        integration.build_after_minutes = Some(minutes);
    }
    if let Some(percent) = args.max_removal_percent {
        integration.max_removal_percent = Some(percent);
    }
    args.warnings.apply(&mut integration);
    args.usage.apply(&mut integration);
    let dbt_project = integration.dbt_project.clone();
    match pipeline.update_settings(&integration).await {
        Ok((run, rematched)) => {
            println!("updated integration '{}'", args.id);
            if rematched {
                print_run(&run);
            } else {
                println!(
                    "no manifest applied for dbt project '{dbt_project}' yet: exposures follow the first one"
                );
            }
            if args.warnings.any() {
                rewrite_warnings(pipeline, &args.id).await;
            }
            Ok(())
        }
        Err(e @ PipelineError::StoredNotApplied { .. }) => Err(e.into()),
        Err(e) => {
            Err(anyhow::Error::new(e).context(format!("integration '{}' was not changed", args.id)))
        }
    }
}

/// Puts the warnings in line with changed warning settings at once (turning them off
/// removes ours). A failure changes nothing already stored; the next recorded results try
/// again.
async fn rewrite_warnings(pipeline: &CliPipeline, id: &str) {
    match pipeline.rewrite_quality_warnings(id).await {
        Ok(Some(outcome)) => {
            for line in outcome.describe() {
                println!("{id}: data quality warning {line}");
            }
        }
        Ok(None) => {}
        Err(e) => eprintln!(
            "warning: {id}: data quality warnings were not brought in line with the new settings: {e}; the next recorded results try again"
        ),
    }
}

async fn break_lease(pipeline: &CliPipeline, id: &str) -> anyhow::Result<()> {
    stored_integration(pipeline, id).await?;
    match pipeline.store().break_lease(id).await? {
        Some(lease) => {
            eprintln!(
                "warning: broke the lease of integration '{id}': {}. If that run is still alive, it and the next run may overlap, and two sign-ins with one token end each other's sessions.",
                describe_lease(&lease)
            );
            println!("lease of '{id}' cleared");
        }
        None => println!("integration '{id}' holds no lease; nothing to break"),
    }
    Ok(())
}

async fn list(pipeline: &CliPipeline) -> anyhow::Result<()> {
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
            redact_server_url(&i.server_url),
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

async fn show(pipeline: &CliPipeline, id: &str) -> anyhow::Result<()> {
    let i = stored_integration(pipeline, id).await?;
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
    println!("server:        {}", redact_server_url(&i.server_url));
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
    if !i.tableau_collections.is_empty() {
        println!("Tableau Collections: {}", i.tableau_collections.join(", "));
    }
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
    let scoped = |part: &str, scope: &str, value: &str| match scope {
        "" => format!("{part} {value}"),
        scope => format!("{part} {value} for {scope}"),
    };
    let defaults: Vec<String> = i
        .default_schemas
        .iter()
        .map(|(scope, value)| scoped("schema", scope, value))
        .chain(
            i.default_databases
                .iter()
                .map(|(scope, value)| scoped("database", scope, value)),
        )
        .collect();
    if !defaults.is_empty() {
        println!(
            "defaults:      {} (where Tableau names none)",
            defaults.join(", ")
        );
    }
    println!("exposures:     {}", exposures.len());
    println!(
        "removal guard: a run may remove up to {}% of them; more is held back for `--allow-mass-removal`",
        i.max_removal_percent.unwrap_or(DEFAULT_MAX_REMOVAL_PERCENT)
    );
    match applied {
        Some(m) => println!(
            "manifest:      {} (generated {})",
            store_choice::shown(&m.location),
            m.generated_at
        ),
        None => println!(
            "manifest:      none applied yet (`autoexpose apply-manifest PATH --dbt-project {}`)",
            i.dbt_project
        ),
    }
    for (n, line) in warning_flags::describe(&i).iter().enumerate() {
        let label = if n == 0 { "warnings:" } else { "" };
        println!("{label:<15}{line}");
    }
    for (n, line) in usage_flags::describe(&i).iter().enumerate() {
        let label = if n == 0 { "usage:" } else { "" };
        println!("{label:<15}{line}");
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
    if let Some(warning) = &status.last_warning {
        println!("warning:       {warning}");
    }
    if let Some(lease) = pipeline.store().get_lease(id).await? {
        let since = if lease.acquired_at.is_empty() {
            "an unknown time".to_string()
        } else {
            lease.acquired_at.clone()
        };
        println!(
            "lease:         held by '{}' since {since}, expires {} (a dead holder's lease can be cleared with `autoexpose integrations break-lease {id}`)",
            lease.holder, lease.expires_at
        );
    }
    Ok(())
}
