//! Where the CLI keeps state: the local SQLite file (`--store`, the default), or the
//! DynamoDB table of a deployed stack (`--dynamodb-table`), with S3 manifests and Secrets
//! Manager secrets, so a person manages a deployed integration with the same commands.
//!
//! The commands are written once against [`CliPipeline`]; which adapters sit behind its
//! ports is chosen here, at run time.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use autoexpose_aws::{DynamoStore, S3Artifacts, S3Uri, SecretsManagerSecrets, s3_location};
use autoexpose_pipeline::{ArtifactLocation, Artifacts, Pipeline, Secrets, Store};
use autoexpose_store_local::{EnvSecrets, LocalArtifacts, LocalStore};
use autoexpose_tableau_bi::TableauHttp;

use crate::interrupt;

/// The pipeline the commands run, over either backend.
pub(crate) type CliPipeline = Pipeline;

/// The heading the state options stand under in every command's help, apart from the
/// command's own options (the offline `match` reads no store at all).
const STORE_HEADING: &str =
    "Store (stateful commands only; `match` and offline `diagnose` ignore these)";

/// The state options shared by every stateful command.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct StoreArgs {
    /// The local state file (SQLite).
    #[arg(
        id = "store",
        long = "store",
        global = true,
        help_heading = STORE_HEADING,
        env = "AUTOEXPOSE_STORE",
        default_value = ".autoexpose/state.db"
    )]
    pub(crate) path: PathBuf,
    /// Use a deployed stack's DynamoDB table instead of the local file (the `StateTableName`
    /// output of the stack); AWS credentials and region come from the usual AWS settings.
    #[arg(long, global = true, env = "AUTOEXPOSE_DYNAMODB_TABLE", help_heading = STORE_HEADING)]
    pub(crate) dynamodb_table: Option<String>,
    /// Apply a run that removes more of an integration's exposures than its
    /// `--max-removal-percent` allows (such runs are otherwise held back).
    #[arg(long, global = true, help_heading = STORE_HEADING)]
    pub(crate) allow_mass_removal: bool,
}

impl StoreArgs {
    /// Whether the commands work on a deployed stack.
    pub(crate) fn is_aws(&self) -> bool {
        self.dynamodb_table.is_some()
    }
}

/// Opens the pipeline over the chosen backend.
pub(crate) async fn open_pipeline(args: &StoreArgs) -> anyhow::Result<CliPipeline> {
    let (store, artifacts, secrets): (Arc<dyn Store>, Arc<dyn Artifacts>, Arc<dyn Secrets>) =
        match &args.dynamodb_table {
            Some(table) => {
                let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
                (
                    Arc::new(DynamoStore::from_sdk_config(&config, table.clone())),
                    Arc::new(S3Artifacts::from_sdk_config(&config)),
                    Arc::new(SecretsManagerSecrets::from_sdk_config(&config)),
                )
            }
            None => (
                Arc::new(open_local(&args.path)?),
                Arc::new(LocalArtifacts),
                Arc::new(EnvSecrets),
            ),
        };
    let pipeline =
        Pipeline::from_shared(store, artifacts, secrets, Arc::new(TableauHttp::default()))
            .with_stop(interrupt::stop());
    Ok(if args.allow_mass_removal {
        pipeline.with_mass_removal_allowed()
    } else {
        pipeline
    })
}

/// Opens the pipeline for a command that only reads: a local store that does not exist yet
/// is an error saying so, rather than an empty store made on the spot (which would leave
/// `.autoexpose/state.db` in whatever folder the command was tried in).
pub(crate) async fn open_existing_pipeline(args: &StoreArgs) -> anyhow::Result<CliPipeline> {
    if !args.is_aws() && !args.path.exists() {
        anyhow::bail!(
            "there is no local store at '{}' yet, so nothing to show: start with `autoexpose integrations add` (or give the store's path with --store or AUTOEXPOSE_STORE)",
            args.path.display()
        );
    }
    open_pipeline(args).await
}

/// Whether the chosen store holds nothing yet: a local store file that does not exist.
pub(crate) fn is_missing(args: &StoreArgs) -> bool {
    !args.is_aws() && !args.path.exists()
}

fn open_local(path: &Path) -> anyhow::Result<LocalStore> {
    LocalStore::open(path).with_context(|| format!("local store '{}'", path.display()))
}

/// A manifest location as the user wrote it: `s3://bucket/key` or a local path.
pub(crate) fn artifact_location(text: &str) -> ArtifactLocation {
    match text
        .strip_prefix("s3://")
        .and_then(|rest| rest.split_once('/'))
    {
        Some((bucket, key)) => s3_location(bucket, key),
        None => ArtifactLocation::local(text),
    }
}

/// A location as the user writes it, the inverse of [`artifact_location`]: a container is
/// an S3 bucket, since S3 is where a deployed stack keeps its artifacts.
pub(crate) fn shown(location: &ArtifactLocation) -> S3Uri<'_> {
    S3Uri(location)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_uris_and_local_paths_become_locations() {
        assert_eq!(
            artifact_location("s3://bucket-1/dbt/shop/prod/manifest.json"),
            s3_location("bucket-1", "dbt/shop/prod/manifest.json")
        );
        assert_eq!(
            artifact_location("target/manifest.json"),
            ArtifactLocation::local("target/manifest.json")
        );
        for text in [
            "s3://bucket-1/dbt/shop/prod/manifest.json",
            "target/manifest.json",
        ] {
            assert_eq!(shown(&artifact_location(text)).to_string(), text);
        }
    }
}
