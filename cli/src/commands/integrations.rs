//! `autoexpose integrations add|list|show|set|remove|break-lease`: the integrations (a dbt
//! project linked to a Tableau site) kept in the chosen store.
//!
//! Locally the PAT secret is read from the environment variable the integration names
//! (`--secret-env`, default `AUTOEXPOSE_TABLEAU_TOKEN_SECRET`), never from a flag or the
//! store; a deployed stack's integration names a Secrets Manager secret.

use anyhow::{Context, bail};
use autoexpose_pipeline::{
    DEFAULT_BUILD_AFTER_MINUTES, DEFAULT_ENVIRONMENT, DEFAULT_MAX_REMOVAL_PERCENT, Integration,
    PipelineError, describe_lease, integration_status,
};
use autoexpose_store_local::DEFAULT_SECRET_ENV;
use autoexpose_tableau::{check_server_url, redact_server_url};
use clap::builder::BoolishValueParser;

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
    /// Change an integration's settings: its connection (token name, server, site; checked
    /// by signing in), matching and refresh settings; then rematch its stored workbooks.
    Set(SetIntegrationArgs),
    /// Remove an integration with its exposures, listing and run history (the dbt
    /// project's manifest and results stay, for its other integrations).
    Remove {
        /// Integration id.
        id: String,
    },
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
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
    /// Remove every database and schema alias and default first.
    #[arg(long)]
    pub(crate) clear_aliases: bool,
    /// Also make exposures for workbooks that match no dbt node (`true`/`false`, `1`/`0`).
    #[arg(long, value_name = "BOOL", hide_possible_values = true, value_parser = BoolishValueParser::new())]
    pub(crate) include_unmatched: Option<bool>,
    /// Refresh Tableau extracts after dbt builds (`true`/`false`, `1`/`0`).
    #[arg(long, value_name = "BOOL", hide_possible_values = true, value_parser = BoolishValueParser::new())]
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
    /// Store a changed connection without signing in to check it.
    #[arg(long)]
    pub(crate) no_sign_in_check: bool,
}

/// The connection settings `integrations set` can change; each left out stays.
#[derive(Debug, clap::Args)]
pub(crate) struct ConnectionArgs {
    /// A new Tableau server: a host (https implied) or a full URL.
    #[arg(long)]
    pub(crate) server_url: Option<String>,
    /// A new site content URL; an empty value is the Default site.
    #[arg(long)]
    pub(crate) site: Option<String>,
    /// A new personal access token name.
    #[arg(long)]
    pub(crate) token_name: Option<String>,
    /// A new environment variable that holds the token's secret (local store).
    #[arg(long, value_name = "VAR", conflicts_with = "secret_id")]
    pub(crate) secret_env: Option<String>,
    /// A new Secrets Manager secret (name or ARN) that holds the token's secret, with
    /// `--dynamodb-table`.
    #[arg(long, value_name = "SECRET")]
    pub(crate) secret_id: Option<String>,
}

impl ConnectionArgs {
    /// Whether any connection setting is given.
    fn any(&self) -> bool {
        self.server_url.is_some()
            || self.site.is_some()
            || self.token_name.is_some()
            || self.secret_env.is_some()
            || self.secret_id.is_some()
    }

    /// Puts the given settings on `integration`.
    fn apply(&self, integration: &mut Integration) -> anyhow::Result<()> {
        if let Some(url) = &self.server_url {
            check_server_url(url).context("--server-url")?;
            integration.server_url = url.clone();
        }
        if let Some(site) = &self.site {
            integration.site = site.trim().to_string();
        }
        if let Some(name) = &self.token_name {
            integration.token_name = name.trim().to_string();
        }
        if let Some(secret) = self.secret_env.as_ref().or(self.secret_id.as_ref()) {
            integration.secret_ref = secret.trim().to_string();
        }
        Ok(())
    }
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
    /// Refresh Tableau extracts after dbt builds (`true`/`false`, `1`/`0`). Unset: the
    /// deployment's default (`DBT_ACTIVE_EXPOSURES` on the function, else off).
    #[arg(long, value_name = "BOOL", hide_possible_values = true, env = "DBT_ACTIVE_EXPOSURES", value_parser = BoolishValueParser::new())]
    pub(crate) active_exposures: Option<bool>,
    /// Minimum minutes between refreshes of one workbook. Unset: the deployment's default
    /// (`DBT_ACTIVE_EXPOSURES_BUILD_AFTER` on the function, else 1440).
    #[arg(long, env = "DBT_ACTIVE_EXPOSURES_BUILD_AFTER")]
    pub(crate) build_after_minutes: Option<u32>,
    #[command(flatten)]
    pub(crate) warnings: WarningArgs,
    #[command(flatten)]
    pub(crate) usage: UsageArgs,
    /// Store the integration without signing in to Tableau first (setting up offline, or
    /// before the token exists). Without it, a token, server or site Tableau refuses is
    /// reported here and nothing is stored.
    #[arg(long)]
    pub(crate) no_sign_in_check: bool,
}

/// Runs `autoexpose integrations ...` against the chosen store.
pub(crate) async fn run(cmd: IntegrationsCommand, store: &StoreArgs) -> anyhow::Result<()> {
    let pipeline = match &cmd {
        IntegrationsCommand::Add(_) => store_choice::open_pipeline(store).await?,
        IntegrationsCommand::List if store_choice::is_missing(store) => {
            println!("no integrations yet; add one with `autoexpose integrations add`");
            return Ok(());
        }
        _ => store_choice::open_existing_pipeline(store).await?,
    };
    match cmd {
        IntegrationsCommand::Add(args) => add(&pipeline, args, store.is_aws()).await,
        IntegrationsCommand::List => list(&pipeline).await,
        IntegrationsCommand::Show { id } => show(&pipeline, &id, store.is_aws()).await,
        IntegrationsCommand::Set(args) => set(&pipeline, args).await,
        IntegrationsCommand::Remove { id } => remove(&pipeline, &id).await,
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
    if pipeline.store().get_integration(&args.id).await?.is_some() {
        bail!(
            "there is already an integration '{}'; change it with `autoexpose integrations set {}`, or remove it first with `autoexpose integrations remove {}`",
            args.id,
            args.id,
            args.id
        );
    }
    let projects = if args.no_sign_in_check {
        None
    } else {
        Some(
            check_sign_in(pipeline, &integration)
                .await
                .with_context(|| {
                    format!(
                        "integration '{}' was not added; fix the flag or the secret (read from {where_secret}), or add it with --no-sign-in-check to set it up offline",
                        args.id
                    )
                })?,
        )
    };
    pipeline.store().create_integration(&integration).await?;
    let id = &args.id;
    match projects {
        Some(count) => println!(
            "added integration '{id}': signed in to Tableau, which shows the token {count} {} (the secret is read from {where_secret})",
            plural(count, "project", "projects")
        ),
        None => println!(
            "added integration '{id}' without signing in (the secret is read from {where_secret})"
        ),
    }
    println!(
        "next: `autoexpose collections list {id}` shows the site's projects; `autoexpose collections set {id} PATH[,PATH...]` selects them"
    );
    Ok(())
}

/// Signs in with the integration's token and lists the site's projects: the cheapest call
/// that proves the server, the site, the token name and the secret all work. Returns how
/// many projects the token sees.
async fn check_sign_in(pipeline: &CliPipeline, integration: &Integration) -> anyhow::Result<usize> {
    let secret = pipeline
        .secrets()
        .tableau_secret(&integration.secret_ref)
        .await?;
    let projects = pipeline.bi().list_projects(integration, &secret).await?;
    Ok(projects.len())
}

/// `singular` for one, `plural` otherwise.
pub(crate) fn plural<'a>(count: usize, singular: &'a str, plural: &'a str) -> &'a str {
    if count == 1 { singular } else { plural }
}

/// Removes the integration and what is kept for it, unless a run holds its lease.
async fn remove(pipeline: &CliPipeline, id: &str) -> anyhow::Result<()> {
    let integration = stored_integration(pipeline, id).await?;
    if let Some(lease) = pipeline.store().get_lease(id).await? {
        bail!(
            "integration '{id}' was not removed: a run holds its lease ({}); wait for it to end, or clear a dead run's lease with `autoexpose integrations break-lease {id}`",
            describe_lease(&lease)
        );
    }
    let exposures = pipeline.store().list_exposures(id).await?.len();
    pipeline.store().delete_integration(id).await?;
    println!(
        "removed integration '{id}' with its {exposures} {} and its run history; the manifest and results of dbt project '{}' stay",
        plural(exposures, "exposure", "exposures"),
        integration.dbt_project
    );
    Ok(())
}

async fn set(pipeline: &CliPipeline, args: SetIntegrationArgs) -> anyhow::Result<()> {
    let mut integration = stored_integration(pipeline, &args.id).await?;
    let before = integration.clone();
    args.connection.apply(&mut integration)?;
    let moved_site = before.server_url != integration.server_url || before.site != integration.site;
    if args.connection.any() && !args.no_sign_in_check {
        // A sign-in ends the token's other session: never while a run holds the lease.
        if let Some(lease) = pipeline.store().get_lease(&args.id).await? {
            bail!(
                "integration '{}' was not changed: a run holds its lease ({}); try again when it has ended",
                args.id,
                describe_lease(&lease)
            );
        }
        check_sign_in(pipeline, &integration)
            .await
            .with_context(|| {
                format!(
                    "integration '{}' was not changed; fix the flag or the secret, or give --no-sign-in-check to store it unchecked",
                    args.id
                )
            })?;
    }
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
            if moved_site && !integration.collections.is_empty() {
                println!(
                    "note: the selected collections are projects of the previous site; choose the new site's with `autoexpose collections set {}`",
                    args.id
                );
            }
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

/// Where the token's secret is read from, in words.
fn secret_source(secret_ref: &str, aws: bool) -> String {
    if aws {
        format!("Secrets Manager secret '{secret_ref}'")
    } else {
        format!("${secret_ref}")
    }
}

/// The selected projects, each by path with its LUID (as LUID alone when it was selected
/// before paths were kept).
fn collection_list(integration: &Integration) -> String {
    if integration.collections.is_empty() {
        return "(none selected)".to_string();
    }
    let shown: Vec<String> = integration
        .collections
        .iter()
        .map(|luid| match integration.collection_paths.get(luid) {
            Some(path) => format!("{path} ({luid})"),
            None => luid.clone(),
        })
        .collect();
    crate::files::terminal_safe(&shown.join(", ")).into_owned()
}

/// The extract refresh settings, in words, with the default that applies when unset.
fn active_exposures(integration: &Integration) -> String {
    let minutes = match integration.build_after_minutes {
        Some(m) => format!("at most once every {m} minutes per workbook"),
        None => format!(
            "at most once every {DEFAULT_BUILD_AFTER_MINUTES} minutes per workbook (the default)"
        ),
    };
    match integration.active_exposures {
        Some(true) => format!("on: extracts are refreshed after dbt builds, {minutes}"),
        Some(false) => "off: extracts are never refreshed".to_string(),
        None => format!(
            "not set: the deployment's default (DBT_ACTIVE_EXPOSURES, off without it), {minutes}"
        ),
    }
}

async fn show(pipeline: &CliPipeline, id: &str, aws: bool) -> anyhow::Result<()> {
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
        "token name:    {} (secret from {})",
        i.token_name,
        secret_source(&i.secret_ref, aws)
    );
    println!("collections:   {}", collection_list(&i));
    println!(
        "Tableau Collections: {}",
        if i.tableau_collections.is_empty() {
            "(none selected)".to_string()
        } else {
            i.tableau_collections.join(", ")
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
    println!(
        "include unmatched: {}",
        if i.include_unmatched {
            "yes: workbooks that match no dbt node get exposures too"
        } else {
            "no: only workbooks that read a dbt node get exposures"
        }
    );
    println!("active exposures: {}", active_exposures(&i));
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
