//! Where the CLI keeps state: the local SQLite file (`--store`, the default), or the
//! DynamoDB table of a deployed stack (`--dynamodb-table`), with S3 manifests and Secrets
//! Manager secrets, so a person manages a deployed integration with the same commands.
//!
//! The commands are written once against [`CliPipeline`]; the adapters below dispatch to
//! whichever backend was chosen.

use std::path::{Path, PathBuf};

use anyhow::Context;
use autoexpose_aws::{DynamoStore, S3Artifacts, SecretsManagerSecrets};
use autoexpose_pipeline::{
    AppliedManifest, ArtifactError, ArtifactLocation, Artifacts, ExposureDiff, Integration, Lease,
    NodeResult, Pipeline, RefreshRecord, RefreshTargetKind, ResultsKind, ResultsPointer, Secret,
    SecretError, Secrets, Snapshot, Store, StoreError, StoredExposure, SyncRun, TableauHttp,
};
use autoexpose_store_local::{EnvSecrets, LocalArtifacts, LocalStore};

/// The pipeline the commands run, over either backend.
pub type CliPipeline = Pipeline<AnyStore, AnyArtifacts, AnySecrets, TableauHttp>;

/// The state options shared by every stateful command.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// The local state file (SQLite).
    #[arg(
        id = "store",
        long = "store",
        global = true,
        env = "AUTOEXPOSE_STORE",
        default_value = ".autoexpose/state.db"
    )]
    pub path: PathBuf,
    /// Use a deployed stack's DynamoDB table instead of the local file (the `StateTableName`
    /// output of the stack); AWS credentials and region come from the usual AWS settings.
    #[arg(long, global = true, env = "AUTOEXPOSE_DYNAMODB_TABLE")]
    pub dynamodb_table: Option<String>,
}

impl StoreArgs {
    /// Whether the commands work on a deployed stack.
    pub fn is_aws(&self) -> bool {
        self.dynamodb_table.is_some()
    }
}

/// Opens the pipeline over the chosen backend.
pub async fn open_pipeline(args: &StoreArgs) -> anyhow::Result<CliPipeline> {
    let (store, artifacts, secrets) = match &args.dynamodb_table {
        Some(table) => {
            let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
            (
                AnyStore::Dynamo(DynamoStore::new(
                    autoexpose_aws::aws_sdk_dynamodb::Client::new(&config),
                    table.clone(),
                )),
                AnyArtifacts::S3(S3Artifacts::from_sdk_config(&config)),
                AnySecrets::SecretsManager(SecretsManagerSecrets::from_sdk_config(&config)),
            )
        }
        None => (
            AnyStore::Local(open_local(&args.path)?),
            AnyArtifacts::Local(LocalArtifacts),
            AnySecrets::Env(EnvSecrets),
        ),
    };
    Ok(Pipeline::new(
        store,
        artifacts,
        secrets,
        TableauHttp::default(),
    ))
}

fn open_local(path: &Path) -> anyhow::Result<LocalStore> {
    LocalStore::open(path).with_context(|| format!("local store '{}'", path.display()))
}

/// A manifest location as the user wrote it: `s3://bucket/key` or a local path.
pub fn artifact_location(text: &str) -> ArtifactLocation {
    match text
        .strip_prefix("s3://")
        .and_then(|rest| rest.split_once('/'))
    {
        Some((bucket, key)) => ArtifactLocation::s3(bucket, key),
        None => ArtifactLocation::local(text),
    }
}

/// The store of either backend.
pub enum AnyStore {
    /// SQLite on this machine.
    Local(LocalStore),
    /// A deployed stack's table.
    Dynamo(DynamoStore),
}

/// Calls the same method on whichever store is inside.
macro_rules! on_store {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        match $self {
            AnyStore::Local(store) => store.$method($($arg),*).await,
            AnyStore::Dynamo(store) => store.$method($($arg),*).await,
        }
    };
}

impl Store for AnyStore {
    async fn create_integration(&self, i: &Integration) -> Result<Integration, StoreError> {
        on_store!(self.create_integration(i))
    }
    async fn update_integration(&self, i: &Integration) -> Result<Integration, StoreError> {
        on_store!(self.update_integration(i))
    }
    async fn get_integration(&self, id: &str) -> Result<Option<Integration>, StoreError> {
        on_store!(self.get_integration(id))
    }
    async fn list_integrations(&self, p: Option<&str>) -> Result<Vec<Integration>, StoreError> {
        on_store!(self.list_integrations(p))
    }
    async fn get_snapshot(&self, id: &str) -> Result<Option<Snapshot>, StoreError> {
        on_store!(self.get_snapshot(id))
    }
    async fn put_snapshot(&self, snapshot: &Snapshot) -> Result<(), StoreError> {
        on_store!(self.put_snapshot(snapshot))
    }
    async fn get_applied_manifest(&self, p: &str) -> Result<Option<AppliedManifest>, StoreError> {
        on_store!(self.get_applied_manifest(p))
    }
    async fn put_applied_manifest(
        &self,
        manifest: &AppliedManifest,
        previous: Option<&AppliedManifest>,
    ) -> Result<(), StoreError> {
        on_store!(self.put_applied_manifest(manifest, previous))
    }
    async fn list_exposures(&self, id: &str) -> Result<Vec<StoredExposure>, StoreError> {
        on_store!(self.list_exposures(id))
    }
    async fn apply_exposure_diff(
        &self,
        id: &str,
        diff: &ExposureDiff,
        synced_at: &str,
    ) -> Result<(), StoreError> {
        on_store!(self.apply_exposure_diff(id, diff, synced_at))
    }
    async fn try_acquire_lease(&self, lease: &Lease, now: &str) -> Result<bool, StoreError> {
        on_store!(self.try_acquire_lease(lease, now))
    }
    async fn release_lease(&self, id: &str, holder: &str) -> Result<(), StoreError> {
        on_store!(self.release_lease(id, holder))
    }
    async fn record_run(&self, run: &SyncRun) -> Result<(), StoreError> {
        on_store!(self.record_run(run))
    }
    async fn list_runs(&self, id: &str, limit: usize) -> Result<Vec<SyncRun>, StoreError> {
        on_store!(self.list_runs(id, limit))
    }
    async fn get_results_pointer(
        &self,
        p: &str,
        kind: ResultsKind,
    ) -> Result<Option<ResultsPointer>, StoreError> {
        on_store!(self.get_results_pointer(p, kind))
    }
    async fn put_node_results(
        &self,
        pointer: &ResultsPointer,
        previous: Option<&ResultsPointer>,
        results: &[NodeResult],
    ) -> Result<(), StoreError> {
        on_store!(self.put_node_results(pointer, previous, results))
    }
    async fn list_node_results(&self, p: &str) -> Result<Vec<NodeResult>, StoreError> {
        on_store!(self.list_node_results(p))
    }
    async fn get_refresh(
        &self,
        id: &str,
        kind: RefreshTargetKind,
        luid: &str,
    ) -> Result<Option<RefreshRecord>, StoreError> {
        on_store!(self.get_refresh(id, kind, luid))
    }
    async fn put_refresh(&self, record: &RefreshRecord) -> Result<(), StoreError> {
        on_store!(self.put_refresh(record))
    }
    async fn list_refreshes(&self, id: &str) -> Result<Vec<RefreshRecord>, StoreError> {
        on_store!(self.list_refreshes(id))
    }
}

/// Artifacts of either backend.
pub enum AnyArtifacts {
    /// Local paths.
    Local(LocalArtifacts),
    /// S3 objects.
    S3(S3Artifacts),
}

impl Artifacts for AnyArtifacts {
    async fn read(&self, location: &ArtifactLocation) -> Result<Vec<u8>, ArtifactError> {
        match self {
            AnyArtifacts::Local(a) => a.read(location).await,
            AnyArtifacts::S3(a) => a.read(location).await,
        }
    }
    async fn write(&self, location: &ArtifactLocation, bytes: &[u8]) -> Result<(), ArtifactError> {
        match self {
            AnyArtifacts::Local(a) => a.write(location, bytes).await,
            AnyArtifacts::S3(a) => a.write(location, bytes).await,
        }
    }
}

/// Secrets of either backend.
pub enum AnySecrets {
    /// An environment variable.
    Env(EnvSecrets),
    /// AWS Secrets Manager.
    SecretsManager(SecretsManagerSecrets),
}

impl Secrets for AnySecrets {
    async fn tableau_secret(&self, secret_ref: &str) -> Result<Secret, SecretError> {
        match self {
            AnySecrets::Env(s) => s.tableau_secret(secret_ref).await,
            AnySecrets::SecretsManager(s) => s.tableau_secret(secret_ref).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_uris_and_local_paths_become_locations() {
        assert_eq!(
            artifact_location("s3://bucket-1/dbt/shop/prod/manifest.json"),
            ArtifactLocation::s3("bucket-1", "dbt/shop/prod/manifest.json")
        );
        assert_eq!(
            artifact_location("target/manifest.json"),
            ArtifactLocation::local("target/manifest.json")
        );
    }
}
