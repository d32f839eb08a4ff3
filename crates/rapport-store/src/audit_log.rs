//! The audit log's storage: the log database (`DATA_DIR/audit.db`,
//! [`AuditStore`]) and the outbox in the main store through which actions
//! hand their entries over ([`AuditNote`]).
//!
//! The store knows entries only as bytes and hashes: building entries,
//! Merkle roots and signatures is `rapport-audit`'s and the vault's work,
//! put together by `rapport-core`. Appending happens in an [`AppendTx`],
//! one `BEGIN IMMEDIATE` transaction on the log database, so concurrent
//! processes append one after the other and a sequence number is never
//! handed out twice.

use std::path::Path;

use sqlx::sqlite::SqlitePoolOptions;
use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};

use crate::{sqlite_options, Result, Store, StoreError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/audit");

/// An entry queued in the main store's outbox, written in the same
/// transaction as the action it records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditNote {
    /// Random; the log remembers it so a note is appended once only.
    pub uid: [u8; 16],
    pub log_id: String,
    pub tenant: Option<String>,
    pub kind: String,
    /// The entry body, canonical JSON.
    pub body: String,
    pub occurred_at: String,
}

/// Queues notes on an open transaction of the main store.
pub(crate) async fn queue_notes(conn: &mut SqliteConnection, notes: &[AuditNote]) -> Result<()> {
    for n in notes {
        sqlx::query(
            "INSERT INTO audit_outbox (uid, log_id, tenant, kind, body, occurred_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&n.uid[..])
        .bind(&n.log_id)
        .bind(&n.tenant)
        .bind(&n.kind)
        .bind(&n.body)
        .bind(&n.occurred_at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

impl Store {
    /// Queues notes on their own (for actions with no write of their own in
    /// this store, e.g. a plugin published into the registry).
    pub async fn queue_audit_notes(&self, notes: &[AuditNote]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        queue_notes(&mut tx, notes).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The queued notes, oldest first, with their outbox row ids.
    pub async fn queued_audit_notes(&self) -> Result<Vec<(i64, AuditNote)>> {
        type Row = (i64, Vec<u8>, String, Option<String>, String, String, String);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, uid, log_id, tenant, kind, body, occurred_at FROM audit_outbox ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, uid, log_id, tenant, kind, body, occurred_at)| {
                (
                    id,
                    AuditNote {
                        uid: crate::to_16(&uid),
                        log_id,
                        tenant,
                        kind,
                        body,
                        occurred_at,
                    },
                )
            })
            .collect())
    }

    /// Removes notes that are in the log now.
    pub async fn remove_audit_notes(&self, ids: &[i64]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for id in ids {
            sqlx::query("DELETE FROM audit_outbox WHERE id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// A log as recorded in the log database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredLog {
    pub log_id: String,
    pub tenant: Option<String>,
    pub public_key: Vec<u8>,
    pub key_id: String,
    pub created_at: String,
}

/// The appending state of a log: size, frontier (roots of the perfect
/// subtrees, concatenated) and the last timestamps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogState {
    pub size: u64,
    pub frontier: Vec<u8>,
    pub last_timestamp: Option<String>,
    pub last_head_at: Option<String>,
}

/// One entry as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEntry {
    pub seq: i64,
    pub kind: String,
    pub timestamp: String,
    /// Canonical JSON text: the leaf's bytes.
    pub entry: String,
    pub leaf_hash: Vec<u8>,
    pub receipt: Vec<u8>,
}

/// A signed tree head as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredHead {
    pub id: i64,
    pub size: i64,
    pub root: Vec<u8>,
    pub timestamp: String,
    pub key_id: String,
    pub signature: Vec<u8>,
}

type EntryRow = (i64, String, String, String, Vec<u8>, Vec<u8>);
type HeadRowTuple = (i64, i64, Vec<u8>, String, String, Vec<u8>);

fn entry_of((seq, kind, timestamp, entry, leaf_hash, receipt): EntryRow) -> StoredEntry {
    StoredEntry {
        seq,
        kind,
        timestamp,
        entry,
        leaf_hash,
        receipt,
    }
}

fn head_of((id, size, root, timestamp, key_id, signature): HeadRowTuple) -> StoredHead {
    StoredHead {
        id,
        size,
        root,
        timestamp,
        key_id,
        signature,
    }
}

const ENTRY_COLUMNS: &str = "seq, kind, timestamp, entry, leaf_hash, receipt";
const HEAD_COLUMNS: &str = "id, size, root, timestamp, key_id, signature";

/// The audit log database.
#[derive(Clone, Debug)]
pub struct AuditStore {
    pool: SqlitePool,
}

impl AuditStore {
    /// Opens the log database at `path`, creating it (and migrating it) if
    /// needed: a data directory made before the log existed gets one on
    /// first open.
    pub async fn open_or_create(path: &Path) -> Result<AuditStore> {
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(sqlite_options(path, true)?)
            .await?;
        MIGRATOR.run(&pool).await.map_err(StoreError::Migrate)?;
        Ok(AuditStore { pool })
    }

    /// Checkpoints the WAL and closes every connection.
    pub async fn close(self) {
        crate::close_pool(self.pool, "the audit log", true).await;
    }

    /// Starts an append: an immediate write transaction, so that the state
    /// read next cannot change before the commit.
    pub async fn begin_append(&self) -> Result<AppendTx> {
        Ok(AppendTx {
            tx: self.pool.begin_with("BEGIN IMMEDIATE").await?,
        })
    }

    /// Every log, by id.
    pub async fn logs(&self) -> Result<Vec<StoredLog>> {
        type Row = (String, Option<String>, Vec<u8>, String, String);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT log_id, tenant, public_key, key_id, created_at FROM audit_logs ORDER BY log_id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(log_id, tenant, public_key, key_id, created_at)| StoredLog {
                    log_id,
                    tenant,
                    public_key,
                    key_id,
                    created_at,
                },
            )
            .collect())
    }

    /// One log.
    pub async fn log(&self, log_id: &str) -> Result<Option<StoredLog>> {
        Ok(self.logs().await?.into_iter().find(|l| l.log_id == log_id))
    }

    /// Entries with `seq` in `[from, to)`, in order.
    pub async fn entries(&self, log_id: &str, from: u64, to: u64) -> Result<Vec<StoredEntry>> {
        let rows: Vec<EntryRow> = sqlx::query_as(&format!(
            "SELECT {ENTRY_COLUMNS} FROM audit_entries WHERE log_id = ? AND seq >= ? AND seq < ? ORDER BY seq"
        ))
        .bind(log_id)
        .bind(to_i64(from))
        .bind(to_i64(to))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(entry_of).collect())
    }

    /// Every entry of a log, in `seq` order.
    pub async fn all_entries(&self, log_id: &str) -> Result<Vec<StoredEntry>> {
        self.entries(log_id, 0, i64::MAX as u64).await
    }

    /// One entry.
    pub async fn entry(&self, log_id: &str, seq: u64) -> Result<Option<StoredEntry>> {
        Ok(self.entries(log_id, seq, seq + 1).await?.into_iter().next())
    }

    /// The stored leaf hashes of the first `size` entries, in order.
    pub async fn leaf_hashes(&self, log_id: &str, size: u64) -> Result<Vec<Vec<u8>>> {
        let rows: Vec<(Vec<u8>,)> = sqlx::query_as(
            "SELECT leaf_hash FROM audit_entries WHERE log_id = ? AND seq < ? ORDER BY seq",
        )
        .bind(log_id)
        .bind(to_i64(size))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(h,)| h).collect())
    }

    /// The entry appended from outbox note `uid`, if any: (log, seq, leaf hash).
    pub async fn entry_of_note(&self, uid: &[u8; 16]) -> Result<Option<(String, i64, Vec<u8>)>> {
        Ok(
            sqlx::query_as("SELECT log_id, seq, leaf_hash FROM audit_entries WHERE uid = ?")
                .bind(&uid[..])
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The signed tree heads of a log, in the order they were issued.
    pub async fn heads(&self, log_id: &str) -> Result<Vec<StoredHead>> {
        let rows: Vec<HeadRowTuple> = sqlx::query_as(&format!(
            "SELECT {HEAD_COLUMNS} FROM audit_heads WHERE log_id = ? ORDER BY id"
        ))
        .bind(log_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(head_of).collect())
    }

    /// The latest signed tree head of a log.
    pub async fn latest_head(&self, log_id: &str) -> Result<Option<StoredHead>> {
        let row: Option<HeadRowTuple> = sqlx::query_as(&format!(
            "SELECT {HEAD_COLUMNS} FROM audit_heads WHERE log_id = ? ORDER BY id DESC LIMIT 1"
        ))
        .bind(log_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(head_of))
    }

    /// The number of entries stored for a log.
    pub async fn count(&self, log_id: &str) -> Result<u64> {
        let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM audit_entries WHERE log_id = ?")
            .bind(log_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// One append transaction on the log database.
pub struct AppendTx {
    tx: Transaction<'static, Sqlite>,
}

impl std::fmt::Debug for AppendTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppendTx")
    }
}

impl AppendTx {
    /// The log's key and appending state, if the log exists.
    pub async fn log(&mut self, log_id: &str) -> Result<Option<(StoredLog, LogState)>> {
        type Row = (
            Option<String>,
            Vec<u8>,
            String,
            String,
            i64,
            Vec<u8>,
            Option<String>,
            Option<String>,
        );
        let row: Option<Row> = sqlx::query_as(
            "SELECT tenant, public_key, key_id, created_at, size, frontier, last_timestamp, last_head_at \
             FROM audit_logs WHERE log_id = ?",
        )
        .bind(log_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        Ok(row.map(
            |(
                tenant,
                public_key,
                key_id,
                created_at,
                size,
                frontier,
                last_timestamp,
                last_head_at,
            )| {
                (
                    StoredLog {
                        log_id: log_id.to_owned(),
                        tenant,
                        public_key,
                        key_id,
                        created_at,
                    },
                    LogState {
                        size: u64::try_from(size).unwrap_or(0),
                        frontier,
                        last_timestamp,
                        last_head_at,
                    },
                )
            },
        ))
    }

    /// Creates a log (empty).
    pub async fn create_log(&mut self, log: &StoredLog, empty_frontier: &[u8]) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_logs (log_id, tenant, public_key, key_id, created_at, size, frontier) \
             VALUES (?, ?, ?, ?, ?, 0, ?)",
        )
        .bind(&log.log_id)
        .bind(&log.tenant)
        .bind(&log.public_key)
        .bind(&log.key_id)
        .bind(&log.created_at)
        .bind(empty_frontier)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// The number of entries actually stored and the highest `seq`, which
    /// the cached state must agree with.
    pub async fn stored_extent(&mut self, log_id: &str) -> Result<(u64, Option<u64>)> {
        let (n, max): (i64, Option<i64>) =
            sqlx::query_as("SELECT count(*), max(seq) FROM audit_entries WHERE log_id = ?")
                .bind(log_id)
                .fetch_one(&mut *self.tx)
                .await?;
        Ok((
            u64::try_from(n).unwrap_or(0),
            max.and_then(|m| u64::try_from(m).ok()),
        ))
    }

    /// The stored leaf hashes, in `seq` order (to rebuild a frontier).
    pub async fn leaf_hashes(&mut self, log_id: &str) -> Result<Vec<Vec<u8>>> {
        let rows: Vec<(Vec<u8>,)> =
            sqlx::query_as("SELECT leaf_hash FROM audit_entries WHERE log_id = ? ORDER BY seq")
                .bind(log_id)
                .fetch_all(&mut *self.tx)
                .await?;
        Ok(rows.into_iter().map(|(h,)| h).collect())
    }

    /// Whether a note is in the log already.
    pub async fn has_note(&mut self, uid: &[u8; 16]) -> Result<bool> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM audit_entries WHERE uid = ?")
            .bind(&uid[..])
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(row.is_some())
    }

    /// Appends one entry.
    pub async fn insert_entry(
        &mut self,
        log_id: &str,
        e: &StoredEntry,
        uid: Option<&[u8; 16]>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_entries (log_id, seq, kind, timestamp, entry, leaf_hash, receipt, uid) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(log_id)
        .bind(e.seq)
        .bind(&e.kind)
        .bind(&e.timestamp)
        .bind(&e.entry)
        .bind(&e.leaf_hash)
        .bind(&e.receipt)
        .bind(uid.map(|u| u.to_vec()))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Records a signed tree head.
    pub async fn insert_head(&mut self, log_id: &str, h: &StoredHead) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_heads (log_id, size, root, timestamp, key_id, signature) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(log_id)
        .bind(h.size)
        .bind(&h.root)
        .bind(&h.timestamp)
        .bind(&h.key_id)
        .bind(&h.signature)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Saves the appending state.
    pub async fn set_state(&mut self, log_id: &str, state: &LogState) -> Result<()> {
        sqlx::query(
            "UPDATE audit_logs SET size = ?, frontier = ?, last_timestamp = ?, last_head_at = ? WHERE log_id = ?",
        )
        .bind(to_i64(state.size))
        .bind(&state.frontier)
        .bind(&state.last_timestamp)
        .bind(&state.last_head_at)
        .bind(log_id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Commits the append.
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}
