//! The DynamoDB store: every record of [`autoexpose_pipeline::Store`] in ONE table.
//!
//! # Key design
//!
//! The table has a string partition key `pk` and a string sort key `sk`, billing
//! `PAY_PER_REQUEST`, and TTL on the number attribute [`TTL_ATTRIBUTE`] (`ttl`).
//! Records are stored as a JSON document in `data` plus the few attributes that
//! conditions and sorting need.
//!
//! | record | `pk` | `sk` | other attributes |
//! |---|---|---|---|
//! | integration settings | `INTEGRATIONS` | `INTEGRATION#<integration id>` | `data` (JSON [`Integration`], no secret), `dbt_project`, `version` (N) |
//! | snapshot header | `SNAPSHOT#<integration id>` | `META` | `taken_at`, `workbooks` (N, count) |
//! | snapshot workbook | `SNAPSHOT#<integration id>` | `WB#<workbook luid>` | `data` (JSON `Workbook`), `pos` (N, order in the listing; absent when the listing is in LUID order) |
//! | applied manifest | `MANIFEST#<dbt project>` | `APPLIED` | `bucket` (the location's container), `key`, `version_id` (its version), `generated_at`, `invocation_id`, `applied_at` |
//! | exposure | `EXPOSURES#<integration id>` | `WB#<workbook luid>` | `data` (JSON `Exposure`), `name`, `synced_at` |
//! | lease | `LEASE#<integration id>` | `LEASE` | `holder`, `expires_at` (RFC 3339 text) |
//! | sync run | `RUNS#<integration id>` | `RUN#<started_at>#<recorded, epoch ns>#<run id>` | `data` (JSON [`SyncRun`]), `ttl` (N, epoch seconds, 90 days on) |
//! | latest results file | `RESULTS#<dbt project>` | `POINTER#<run_results\|source_freshness>` | `data` (JSON [`ResultsPointer`]; its location's `container` and `version` were `bucket` and `version_id` before, and read either way), `generated_at`, `invocation_id` |
//! | node result | `RESULTS#<dbt project>` | `NODE#<run_results\|source_freshness>#<unique id>` | `data` (JSON [`NodeResult`], message cut to 500 chars) |
//! | extract refresh | `REFRESHES#<integration id>` | `REFRESH#<workbook\|datasource>#<luid>` | `data` (JSON [`RefreshRecord`]) |
//!
//! All integrations share one partition, so listing them is one `Query`; an
//! account has a handful, far below a partition's limits. Every other record
//! lives in a partition of its own integration or dbt project.
//!
//! # Writes
//!
//! * Integration updates are conditional on `version` (optimistic concurrency);
//!   creation on `attribute_not_exists(pk)`.
//! * The applied-manifest pointer is replaced only while the stored one still has
//!   the `invocation_id` and `generated_at` the caller read.
//! * The lease is a conditional put: taken when absent, lapsed
//!   (`expires_at <= now`, text comparison of fixed-width RFC 3339) or already held
//!   by the same holder; released by a delete conditional on `holder`.
//! * A snapshot is one item per workbook, so a big site never meets the 400 KB
//!   item limit, and replacing it writes only the workbooks that changed (a diff
//!   against what is stored), plus the header when `taken_at` or the count moved.
//! * Run results: the node items are written first (batches of 25, each the latest
//!   result of its node), then the `POINTER#` item, conditional on the `invocation_id`
//!   and `generated_at` the caller read. A retried event writes the same node items
//!   again; an older file is refused by the pipeline before anything is written.
//! * Refresh records are plain puts: one per workbook or data source of an integration.
//! * Exposure diffs and snapshot diffs go through `BatchWriteItem` in batches of 25;
//!   `UnprocessedItems` are retried with exponential backoff.
//!
//! Snapshot and exposure diffs span many items and are not atomic; they are
//! written under the integration's lease, and a failed write is repaired by the
//! next run because both are diffs against what is actually stored.

mod batch;
mod items;
mod ports;

use async_trait::async_trait;
use autoexpose_pipeline::{
    ExposureStore, IntegrationStore, LeaseStore, ManifestStore, RefreshStore, ResultsStore,
    RunStore, SnapshotStore,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use autoexpose_pipeline::{
    AppliedManifest, ArtifactLocation, ExposureDiff, Integration, Lease, NodeResult, RefreshRecord,
    RefreshTargetKind, ResultsKind, ResultsPointer, Snapshot, StoreError, StoredExposure, SyncRun,
};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use crate::sdk_error::{describe, is_transient};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, DeleteRequest, KeySchemaElement, KeyType,
    PutRequest, ReturnValue, ScalarAttributeType, TimeToLiveSpecification, WriteRequest,
};

use items::{Item, ItemExt};

/// The name of the TTL attribute (epoch seconds) that expires run records.
pub const TTL_ATTRIBUTE: &str = "ttl";

/// How long run records are kept before DynamoDB's TTL removes them.
pub const RUN_RETENTION_SECS: u64 = 90 * 24 * 60 * 60;

const INTEGRATIONS_PK: &str = "INTEGRATIONS";

/// The [`Store`] on one DynamoDB table (see the module docs for the key design).
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    writes: Arc<AtomicU64>,
    lease_writes: Arc<AtomicU64>,
}

/// What went wrong creating the table.
#[derive(Debug, thiserror::Error)]
pub enum CreateTableError {
    /// DynamoDB refused or could not be reached.
    #[error("could not create DynamoDB table '{table}': {message}")]
    Create {
        /// The table.
        table: String,
        /// DynamoDB's error, with its context.
        message: String,
    },
    /// The table exists but TTL could not be switched on.
    #[error(
        "could not enable TTL on attribute '{TTL_ATTRIBUTE}' of DynamoDB table '{table}': {message}"
    )]
    Ttl {
        /// The table.
        table: String,
        /// DynamoDB's error, with its context.
        message: String,
    },
}

impl DynamoStore {
    /// A store on an existing table.
    pub fn new(client: Client, table: impl Into<String>) -> DynamoStore {
        DynamoStore {
            client,
            table: table.into(),
            writes: Arc::new(AtomicU64::new(0)),
            lease_writes: Arc::new(AtomicU64::new(0)),
        }
    }

    /// A store on an existing table, with a client built from an SDK configuration (the
    /// Lambda role's, the CLI user's, or a test's aimed at moto).
    pub fn from_sdk_config(
        config: &aws_config::SdkConfig,
        table: impl Into<String>,
    ) -> DynamoStore {
        DynamoStore::new(Client::new(config), table)
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// How many data items this store (and its clones) has written or deleted so far:
    /// each item of a batch and each conditional write attempt, leases excluded.
    pub fn write_count(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }

    /// How many lease writes (acquire and release attempts) this store and its clones
    /// have made: coordination, not data.
    pub fn lease_write_count(&self) -> u64 {
        self.lease_writes.load(Ordering::SeqCst)
    }

    /// Creates the table with the key design above and TTL on [`TTL_ATTRIBUTE`],
    /// for tests and the local demo (in AWS the SAM template creates it). An
    /// existing table of that name is left as it is.
    pub async fn create_table(client: &Client, table: &str) -> Result<(), CreateTableError> {
        let key = |name: &str, kind: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
        };
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
        };
        let create_err = |message: String| CreateTableError::Create {
            table: table.to_string(),
            message,
        };
        let schema = [key("pk", KeyType::Hash), key("sk", KeyType::Range)]
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| create_err(e.to_string()))?;
        let attrs = [attr("pk"), attr("sk")]
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| create_err(e.to_string()))?;
        let created = client
            .create_table()
            .table_name(table)
            .set_key_schema(Some(schema))
            .set_attribute_definitions(Some(attrs))
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(err) if err.code() == Some("ResourceInUseException") => return Ok(()),
            Err(err) => return Err(create_err(describe(&err))),
        }
        let ttl = TimeToLiveSpecification::builder()
            .attribute_name(TTL_ATTRIBUTE)
            .enabled(true)
            .build()
            .map_err(|e| CreateTableError::Ttl {
                table: table.to_string(),
                message: e.to_string(),
            })?;
        client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(ttl)
            .send()
            .await
            .map_err(|err| CreateTableError::Ttl {
                table: table.to_string(),
                message: describe(&err),
            })?;
        Ok(())
    }

    fn count_writes(&self, n: usize) {
        self.writes.fetch_add(n as u64, Ordering::SeqCst);
    }

    fn backend<E, R>(&self, what: &str, err: SdkError<E, R>) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let what = format!("DynamoDB table '{}': {what}", self.table);
        if is_transient(&err) {
            StoreError::unavailable(what, describe(&err))
        } else {
            StoreError::rejected(what, describe(&err))
        }
    }

    /// Every item of one partition whose sort key starts with `prefix`, in sort-key order.
    async fn query_prefix(&self, pk: &str, prefix: &str) -> Result<Vec<Item>, StoreError> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", s(pk))
                .expression_attribute_values(":prefix", s(prefix))
                .set_exclusive_start_key(start.take())
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| self.backend(&format!("query of partition '{pk}'"), e))?;
            out.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(out),
            }
        }
    }

    async fn get_item(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        let got = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.backend(&format!("read of {pk}/{sk}"), e))?;
        Ok(got.item)
    }

    /// Puts an item under a condition; `Ok(false)` when the condition failed.
    async fn conditional_put(
        &self,
        item: Item,
        condition: &str,
        values: HashMap<String, AttributeValue>,
        what: &str,
    ) -> Result<bool, StoreError> {
        let is_lease = item
            .get("sk")
            .and_then(|sk| sk.as_s().ok())
            .map(String::as_str)
            == Some("LEASE");
        if is_lease {
            self.lease_writes.fetch_add(1, Ordering::SeqCst);
        } else {
            self.count_writes(1);
        }
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_values((!values.is_empty()).then_some(values))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) => {
                let failed = err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception());
                if failed {
                    Ok(false)
                } else {
                    Err(self.backend(what, err))
                }
            }
        }
    }

    async fn write_batch(&self, requests: Vec<WriteRequest>, what: &str) -> Result<(), StoreError> {
        self.count_writes(requests.len());
        batch::write_all(&self.client, &self.table, requests)
            .await
            .map_err(|e| StoreError::unavailable(format!("writing {what}"), e.to_string()))
    }
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn values<const N: usize>(pairs: [(&str, AttributeValue); N]) -> HashMap<String, AttributeValue> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn key(pk: &str, sk: &str) -> Item {
    values([("pk", s(pk)), ("sk", s(sk))])
}

fn put(item: Item) -> Result<WriteRequest, StoreError> {
    let put = PutRequest::builder()
        .set_item(Some(item))
        .build()
        .map_err(|e| StoreError::rejected("building a DynamoDB put", e))?;
    Ok(WriteRequest::builder().put_request(put).build())
}

fn delete(pk: &str, sk: &str) -> Result<WriteRequest, StoreError> {
    let delete = DeleteRequest::builder()
        .set_key(Some(key(pk, sk)))
        .build()
        .map_err(|e| StoreError::rejected("building a DynamoDB delete", e))?;
    Ok(WriteRequest::builder().delete_request(delete).build())
}

fn to_json<T: serde::Serialize>(value: &T, what: &str) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::rejected(format!("encoding {what} as JSON"), e))
}

fn integration_sk(id: &str) -> String {
    format!("INTEGRATION#{id}")
}

fn snapshot_pk(integration_id: &str) -> String {
    format!("SNAPSHOT#{integration_id}")
}

fn exposures_pk(integration_id: &str) -> String {
    format!("EXPOSURES#{integration_id}")
}

fn manifest_pk(dbt_project: &str) -> String {
    format!("MANIFEST#{dbt_project}")
}

fn lease_pk(integration_id: &str) -> String {
    format!("LEASE#{integration_id}")
}

fn runs_pk(integration_id: &str) -> String {
    format!("RUNS#{integration_id}")
}

fn results_pk(dbt_project: &str) -> String {
    format!("RESULTS#{dbt_project}")
}

fn refreshes_pk(integration_id: &str) -> String {
    format!("REFRESHES#{integration_id}")
}

fn refresh_sk(kind: RefreshTargetKind, luid: &str) -> String {
    format!("REFRESH#{}#{luid}", kind.as_str())
}

fn workbook_sk(luid: &str) -> String {
    format!("WB#{luid}")
}

fn integration_item(integration: &Integration) -> Result<Item, StoreError> {
    let mut item = key(INTEGRATIONS_PK, &integration_sk(&integration.id));
    item.insert(
        "data".into(),
        s(to_json(
            integration,
            &format!("integration '{}'", integration.id),
        )?),
    );
    item.insert("dbt_project".into(), s(&integration.dbt_project));
    item.insert("version".into(), n(integration.version));
    Ok(item)
}

fn integration_from(item: &Item) -> Result<Integration, StoreError> {
    let mut integration: Integration = item.json("data", "integration")?;
    // The `version` attribute is what conditions check; it is the truth.
    integration.version = item.number("version", "integration")?;
    Ok(integration)
}

/// Runs sort by start time, then by when they were recorded: two runs started at the
/// same instant (a coarse or test clock) still list newest first, deterministically.
fn run_sk(run: &SyncRun) -> String {
    let recorded = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("RUN#{}#{recorded:020}#{}", run.started_at, run.run_id)
}

fn epoch_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
