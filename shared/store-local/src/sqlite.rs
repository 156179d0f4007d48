//! The `Store` over one SQLite file.
//!
//! SQLite calls block, so each runs on `tokio::task::spawn_blocking` with the connection
//! behind a mutex: the async runtime's threads never wait on disk, and one process makes
//! one write at a time (which the CLI's load never notices). Other processes on the same
//! file are kept consistent by SQLite's locking: WAL mode, a busy timeout, and
//! `BEGIN IMMEDIATE` transactions around every conditional write.

use async_trait::async_trait;
use autoexpose_pipeline::{
    ExposureStore, IntegrationStore, LeaseStore, ManifestStore, RefreshStore, ResultsStore,
    RunStore, SnapshotStore,
};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use autoexpose_pipeline::{
    AppliedManifest, ExposureDiff, Integration, Lease, NodeResult, RefreshRecord,
    RefreshTargetKind, ResultsKind, ResultsPointer, Snapshot, StoreError, StoredExposure, SyncRun,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The schema, one step per version; a database at version N runs steps N+1 and later.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema. Records are JSON bodies; the columns conditions and lookups need
    // are kept beside them.
    "CREATE TABLE integrations (
         id TEXT PRIMARY KEY, dbt_project TEXT NOT NULL, version INTEGER NOT NULL,
         body TEXT NOT NULL);
     CREATE INDEX integrations_by_project ON integrations (dbt_project, id);
     CREATE TABLE snapshots (integration_id TEXT PRIMARY KEY, body TEXT NOT NULL);
     CREATE TABLE applied_manifests (
         dbt_project TEXT PRIMARY KEY, generated_at TEXT NOT NULL,
         invocation_id TEXT NOT NULL, body TEXT NOT NULL);
     CREATE TABLE exposures (
         integration_id TEXT NOT NULL, workbook_luid TEXT NOT NULL, name TEXT NOT NULL,
         synced_at TEXT NOT NULL, body TEXT NOT NULL,
         PRIMARY KEY (integration_id, workbook_luid));
     CREATE TABLE leases (
         integration_id TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at TEXT NOT NULL);
     CREATE TABLE runs (
         integration_id TEXT NOT NULL, run_id TEXT NOT NULL, started_at TEXT NOT NULL,
         body TEXT NOT NULL, PRIMARY KEY (integration_id, run_id));",
    // 2: dbt results (the latest per node and kind, and the latest file per kind) and
    // extract refresh records (PRODUCT.md S8, S10).
    "CREATE TABLE results_pointers (
         dbt_project TEXT NOT NULL, kind TEXT NOT NULL, generated_at TEXT NOT NULL,
         invocation_id TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (dbt_project, kind));
     CREATE TABLE node_results (
         dbt_project TEXT NOT NULL, kind TEXT NOT NULL, unique_id TEXT NOT NULL,
         body TEXT NOT NULL, PRIMARY KEY (dbt_project, kind, unique_id));
     CREATE TABLE refreshes (
         integration_id TEXT NOT NULL, target_kind TEXT NOT NULL, luid TEXT NOT NULL,
         body TEXT NOT NULL, PRIMARY KEY (integration_id, target_kind, luid));",
    // 3: when a lease was taken, so a person can tell a dead holder from a slow one.
    "ALTER TABLE leases ADD COLUMN acquired_at TEXT NOT NULL DEFAULT '';",
];

/// The local store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The folder for the file could not be created.
    #[error("could not create the folder {path} for the local store: {source}")]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// SQLite refused the file or the migration.
    #[error("could not open the local store {path}: {message}")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// SQLite's complaint.
        message: String,
    },
    /// The file was written by a newer autoexpose.
    #[error(
        "the local store {path} has schema version {found}, newer than this autoexpose knows ({known}); upgrade autoexpose"
    )]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: usize,
        /// The newest this build knows.
        known: usize,
    },
}

/// The store over one SQLite file. Cheap to clone: clones share the connection.
#[derive(Clone)]
pub struct LocalStore {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

/// SQLite's errors by kind: a busy or locked file may free up; anything else (a read-only
/// file, a full disk, a schema from another version) needs a person.
fn backend(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            StoreError::unavailable("the local store", e)
        }
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
            StoreError::corrupt("the local store", e.to_string())
        }
        _ => StoreError::rejected("the local store", e),
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::rejected("encoding a record", e))
}

fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| {
        StoreError::corrupt(
            "a record of the local store",
            format!("it does not read back ({e}); the file may be damaged"),
        )
    })
}

/// The record in the `body` column of the one row `sql` selects, if any.
fn json_row<T: DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Option<T>, StoreError> {
    let body: Option<String> = conn
        .query_row(sql, params, |r| r.get(0))
        .optional()
        .map_err(backend)?;
    body.as_deref().map(from_json).transpose()
}

/// The records in the `body` column of every row `sql` selects, in row order.
fn json_rows<T: DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare(sql).map_err(backend)?;
    let rows = stmt
        .query_map(params, |r| r.get::<_, String>(0))
        .map_err(backend)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(from_json(&row.map_err(backend)?)?);
    }
    Ok(out)
}

impl LocalStore {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<LocalStore, OpenError> {
        let path = path.as_ref().to_path_buf();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| OpenError::Folder {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let sqlite = |e: rusqlite::Error| OpenError::Sqlite {
            path: path.clone(),
            message: e.to_string(),
        };
        let mut conn = Connection::open(&path).map_err(sqlite)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(sqlite)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sqlite)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sqlite)?;
        let found: usize = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(sqlite)?;
        if found > MIGRATIONS.len() {
            return Err(OpenError::TooNew {
                path,
                found,
                known: MIGRATIONS.len(),
            });
        }
        for (i, step) in MIGRATIONS.iter().enumerate().skip(found) {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sqlite)?;
            tx.execute_batch(step).map_err(sqlite)?;
            tx.pragma_update(None, "user_version", i + 1)
                .map_err(sqlite)?;
            tx.commit().map_err(sqlite)?;
        }
        Ok(LocalStore {
            conn: Arc::new(Mutex::new(conn)),
            path,
        })
    }

    /// The file it keeps its state in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on the connection on a blocking thread.
    async fn call<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut conn)
        })
        .await
        .map_err(|e| {
            StoreError::unavailable("the local store", format!("a store task failed: {e}"))
        })?
    }
}

#[async_trait]
impl IntegrationStore for LocalStore {
    async fn create_integration(
        &self,
        integration: &Integration,
    ) -> Result<Integration, StoreError> {
        let mut stored = integration.clone();
        stored.version = 1;
        self.call(move |conn| {
            let body = to_json(&stored)?;
            let inserted = conn
                .execute(
                    "INSERT INTO integrations (id, dbt_project, version, body) VALUES (?1, ?2, 1, ?3)
                     ON CONFLICT (id) DO NOTHING",
                    params![stored.id, stored.dbt_project, body],
                )
                .map_err(backend)?;
            if inserted == 0 {
                return Err(StoreError::AlreadyExists(format!("integration '{}'", stored.id)));
            }
            Ok(stored)
        })
        .await
    }

    async fn update_integration(
        &self,
        integration: &Integration,
    ) -> Result<Integration, StoreError> {
        let expected = integration.version;
        let mut stored = integration.clone();
        stored.version = expected + 1;
        self.call(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(backend)?;
            let current: Option<u64> = tx
                .query_row(
                    "SELECT version FROM integrations WHERE id = ?1",
                    params![stored.id],
                    |row| row.get(0),
                )
                .optional()
                .map_err(backend)?;
            match current {
                None => return Err(StoreError::NotFound(format!("integration '{}'", stored.id))),
                Some(v) if v != expected => {
                    return Err(StoreError::Conflict(format!("integration '{}'", stored.id)));
                }
                Some(_) => {}
            }
            tx.execute(
                "UPDATE integrations SET dbt_project = ?2, version = ?3, body = ?4 WHERE id = ?1",
                params![
                    stored.id,
                    stored.dbt_project,
                    stored.version,
                    to_json(&stored)?
                ],
            )
            .map_err(backend)?;
            tx.commit().map_err(backend)?;
            Ok(stored)
        })
        .await
    }

    async fn get_integration(&self, id: &str) -> Result<Option<Integration>, StoreError> {
        let id = id.to_string();
        self.call(move |conn| {
            json_row(
                conn,
                "SELECT body FROM integrations WHERE id = ?1",
                params![id],
            )
        })
        .await
    }

    async fn list_integrations(
        &self,
        dbt_project: Option<&str>,
    ) -> Result<Vec<Integration>, StoreError> {
        let project = dbt_project.map(str::to_string);
        self.call(move |conn| {
            json_rows(
                conn,
                "SELECT body FROM integrations WHERE ?1 IS NULL OR dbt_project = ?1 ORDER BY id",
                params![project],
            )
        })
        .await
    }

    async fn delete_integration(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_string();
        self.call(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(backend)?;
            for table in ["snapshots", "exposures", "leases", "runs", "refreshes"] {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE integration_id = ?1"),
                    params![id],
                )
                .map_err(backend)?;
            }
            let removed = tx
                .execute("DELETE FROM integrations WHERE id = ?1", params![id])
                .map_err(backend)?;
            tx.commit().map_err(backend)?;
            Ok(removed > 0)
        })
        .await
    }
}

#[async_trait]
impl SnapshotStore for LocalStore {
    async fn get_snapshot(&self, integration_id: &str) -> Result<Option<Snapshot>, StoreError> {
        let id = integration_id.to_string();
        self.call(move |conn| {
            json_row(
                conn,
                "SELECT body FROM snapshots WHERE integration_id = ?1",
                params![id],
            )
        })
        .await
    }

    async fn put_snapshot(&self, snapshot: &Snapshot) -> Result<(), StoreError> {
        let id = snapshot.integration_id.clone();
        let body = to_json(snapshot)?;
        self.call(move |conn| {
            conn.execute(
                "INSERT INTO snapshots (integration_id, body) VALUES (?1, ?2)
                 ON CONFLICT (integration_id) DO UPDATE SET body = excluded.body",
                params![id, body],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl ManifestStore for LocalStore {
    async fn get_applied_manifest(
        &self,
        dbt_project: &str,
    ) -> Result<Option<AppliedManifest>, StoreError> {
        let project = dbt_project.to_string();
        self.call(move |conn| {
            json_row(
                conn,
                "SELECT body FROM applied_manifests WHERE dbt_project = ?1",
                params![project],
            )
        })
        .await
    }

    async fn put_applied_manifest(
        &self,
        manifest: &AppliedManifest,
        previous: Option<&AppliedManifest>,
    ) -> Result<(), StoreError> {
        let manifest = manifest.clone();
        let previous = previous.map(|p| (p.generated_at.clone(), p.invocation_id.clone()));
        self.call(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(backend)?;
            let current: Option<(String, String)> = tx
                .query_row(
                    "SELECT generated_at, invocation_id FROM applied_manifests WHERE dbt_project = ?1",
                    params![manifest.dbt_project],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(backend)?;
            if current != previous {
                return Err(StoreError::Conflict(format!(
                    "the applied manifest of dbt project '{}'",
                    manifest.dbt_project
                )));
            }
            tx.execute(
                "INSERT INTO applied_manifests (dbt_project, generated_at, invocation_id, body)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (dbt_project) DO UPDATE SET generated_at = excluded.generated_at,
                     invocation_id = excluded.invocation_id, body = excluded.body",
                params![
                    manifest.dbt_project,
                    manifest.generated_at,
                    manifest.invocation_id,
                    to_json(&manifest)?
                ],
            )
            .map_err(backend)?;
            tx.commit().map_err(backend)
        })
        .await
    }
}

#[async_trait]
impl ExposureStore for LocalStore {
    async fn list_exposures(
        &self,
        integration_id: &str,
    ) -> Result<Vec<StoredExposure>, StoreError> {
        let id = integration_id.to_string();
        self.call(move |conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT body, synced_at FROM exposures WHERE integration_id = ?1
                     ORDER BY name, workbook_luid",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![id], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .map_err(backend)?;
            let mut out = Vec::new();
            for row in rows {
                let (body, synced_at) = row.map_err(backend)?;
                out.push(StoredExposure {
                    integration_id: id.clone(),
                    exposure: from_json(&body)?,
                    synced_at,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn apply_exposure_diff(
        &self,
        integration_id: &str,
        diff: &ExposureDiff,
        synced_at: &str,
    ) -> Result<(), StoreError> {
        if diff.is_empty() {
            return Ok(());
        }
        let id = integration_id.to_string();
        let diff = diff.clone();
        let synced_at = synced_at.to_string();
        self.call(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(backend)?;
            for exposure in &diff.upserts {
                tx.execute(
                    "INSERT INTO exposures (integration_id, workbook_luid, name, synced_at, body)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (integration_id, workbook_luid) DO UPDATE SET
                         name = excluded.name, synced_at = excluded.synced_at, body = excluded.body",
                    params![id, exposure.workbook_luid, exposure.name, synced_at, to_json(exposure)?],
                )
                .map_err(backend)?;
            }
            for luid in &diff.removals {
                tx.execute(
                    "DELETE FROM exposures WHERE integration_id = ?1 AND workbook_luid = ?2",
                    params![id, luid],
                )
                .map_err(backend)?;
            }
            tx.commit().map_err(backend)
        })
        .await
    }
}

#[async_trait]
impl LeaseStore for LocalStore {
    async fn try_acquire_lease(&self, lease: &Lease, now: &str) -> Result<bool, StoreError> {
        let lease = lease.clone();
        let now = now.to_string();
        self.call(move |conn| {
            // An upsert whose update only happens when the lease lapsed or is ours: one
            // statement, so two processes cannot both take it.
            let changed = conn
                .execute(
                    "INSERT INTO leases (integration_id, holder, expires_at, acquired_at)
                     VALUES (?1, ?2, ?3, ?5)
                     ON CONFLICT (integration_id) DO UPDATE SET
                         holder = excluded.holder, expires_at = excluded.expires_at,
                         acquired_at = excluded.acquired_at
                     WHERE leases.expires_at <= ?4 OR leases.holder = excluded.holder",
                    params![
                        lease.integration_id,
                        lease.holder,
                        lease.expires_at,
                        now,
                        lease.acquired_at
                    ],
                )
                .map_err(backend)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn release_lease(&self, integration_id: &str, holder: &str) -> Result<(), StoreError> {
        let id = integration_id.to_string();
        let holder = holder.to_string();
        self.call(move |conn| {
            conn.execute(
                "DELETE FROM leases WHERE integration_id = ?1 AND holder = ?2",
                params![id, holder],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn get_lease(&self, integration_id: &str) -> Result<Option<Lease>, StoreError> {
        let id = integration_id.to_string();
        self.call(move |conn| read_lease(conn, &id)).await
    }

    async fn break_lease(&self, integration_id: &str) -> Result<Option<Lease>, StoreError> {
        let id = integration_id.to_string();
        self.call(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(backend)?;
            let held = read_lease(&tx, &id)?;
            tx.execute("DELETE FROM leases WHERE integration_id = ?1", params![id])
                .map_err(backend)?;
            tx.commit().map_err(backend)?;
            Ok(held)
        })
        .await
    }
}

fn read_lease(conn: &Connection, integration_id: &str) -> Result<Option<Lease>, StoreError> {
    conn.query_row(
        "SELECT holder, expires_at, acquired_at FROM leases WHERE integration_id = ?1",
        params![integration_id],
        |row| {
            Ok(Lease {
                integration_id: integration_id.to_string(),
                holder: row.get(0)?,
                expires_at: row.get(1)?,
                acquired_at: row.get(2)?,
            })
        },
    )
    .optional()
    .map_err(backend)
}

#[async_trait]
impl RunStore for LocalStore {
    async fn record_run(&self, run: &SyncRun) -> Result<(), StoreError> {
        let run = run.clone();
        self.call(move |conn| {
            conn.execute(
                "INSERT INTO runs (integration_id, run_id, started_at, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (integration_id, run_id) DO UPDATE SET body = excluded.body",
                params![run.integration_id, run.run_id, run.started_at, to_json(&run)?],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn list_runs(
        &self,
        integration_id: &str,
        limit: usize,
    ) -> Result<Vec<SyncRun>, StoreError> {
        let id = integration_id.to_string();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.call(move |conn| {
            json_rows(
                conn,
                "SELECT body FROM runs WHERE integration_id = ?1
                     ORDER BY started_at DESC, run_id DESC LIMIT ?2",
                params![id, limit],
            )
        })
        .await
    }
}

#[async_trait]
impl ResultsStore for LocalStore {
    async fn get_results_pointer(
        &self,
        dbt_project: &str,
        kind: ResultsKind,
    ) -> Result<Option<ResultsPointer>, StoreError> {
        let project = dbt_project.to_string();
        self.call(move |conn| {
            json_row(
                conn,
                "SELECT body FROM results_pointers WHERE dbt_project = ?1 AND kind = ?2",
                params![project, kind.as_str()],
            )
        })
        .await
    }

    async fn put_node_results(
        &self,
        pointer: &ResultsPointer,
        previous: Option<&ResultsPointer>,
        results: &[NodeResult],
    ) -> Result<(), StoreError> {
        let pointer = pointer.clone();
        let previous = previous.map(|p| (p.generated_at.clone(), p.invocation_id.clone()));
        let results = results.to_vec();
        self.call(move |conn| {
            // One transaction: the results and the pointer move together.
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(backend)?;
            let kind = pointer.kind.as_str();
            let current: Option<(String, String)> = tx
                .query_row(
                    "SELECT generated_at, invocation_id FROM results_pointers
                     WHERE dbt_project = ?1 AND kind = ?2",
                    params![pointer.dbt_project, kind],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(backend)?;
            if current != previous {
                return Err(StoreError::Conflict(format!(
                    "the recorded {} of dbt project '{}'",
                    pointer.kind.file_name(),
                    pointer.dbt_project
                )));
            }
            for result in &results {
                tx.execute(
                    "INSERT INTO node_results (dbt_project, kind, unique_id, body) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (dbt_project, kind, unique_id) DO UPDATE SET body = excluded.body",
                    params![pointer.dbt_project, result.kind.as_str(), result.unique_id, to_json(result)?],
                )
                .map_err(backend)?;
            }
            tx.execute(
                "INSERT INTO results_pointers (dbt_project, kind, generated_at, invocation_id, body)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (dbt_project, kind) DO UPDATE SET generated_at = excluded.generated_at,
                     invocation_id = excluded.invocation_id, body = excluded.body",
                params![
                    pointer.dbt_project,
                    kind,
                    pointer.generated_at,
                    pointer.invocation_id,
                    to_json(&pointer)?
                ],
            )
            .map_err(backend)?;
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn list_node_results(&self, dbt_project: &str) -> Result<Vec<NodeResult>, StoreError> {
        let project = dbt_project.to_string();
        self.call(move |conn| {
            let mut out: Vec<NodeResult> = json_rows(
                conn,
                "SELECT body FROM node_results WHERE dbt_project = ?1",
                params![project],
            )?;
            out.sort_by(|a, b| (&a.unique_id, a.kind).cmp(&(&b.unique_id, b.kind)));
            Ok(out)
        })
        .await
    }
}

#[async_trait]
impl RefreshStore for LocalStore {
    async fn get_refresh(
        &self,
        integration_id: &str,
        kind: RefreshTargetKind,
        luid: &str,
    ) -> Result<Option<RefreshRecord>, StoreError> {
        let (id, luid) = (integration_id.to_string(), luid.to_string());
        self.call(move |conn| {
            json_row(conn, "SELECT body FROM refreshes WHERE integration_id = ?1 AND target_kind = ?2 AND luid = ?3", params![id, kind.as_str(), luid])
        })
        .await
    }

    async fn put_refresh(&self, record: &RefreshRecord) -> Result<(), StoreError> {
        let record = record.clone();
        self.call(move |conn| {
            conn.execute(
                "INSERT INTO refreshes (integration_id, target_kind, luid, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (integration_id, target_kind, luid) DO UPDATE SET body = excluded.body",
                params![
                    record.integration_id,
                    record.target.kind.as_str(),
                    record.target.luid,
                    to_json(&record)?
                ],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn list_refreshes(&self, integration_id: &str) -> Result<Vec<RefreshRecord>, StoreError> {
        let id = integration_id.to_string();
        self.call(move |conn| {
            let mut out: Vec<RefreshRecord> = json_rows(
                conn,
                "SELECT body FROM refreshes WHERE integration_id = ?1",
                params![id],
            )?;
            out.sort_by(|a, b| {
                (a.target.kind, &a.target.luid).cmp(&(b.target.kind, &b.target.luid))
            });
            Ok(out)
        })
        .await
    }
}
