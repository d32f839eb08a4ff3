//! Rapport's store: the only crate that writes SQL.
//!
//! Two databases, deliberately apart:
//!
//! * [`Store`] (`rapport.db`): tenants, stakeholders with their sealed
//!   personal fields, and the records that refer to them.
//! * [`KeyStore`] (`keys/keys.db`): wrapped per-subject data keys and the
//!   erasure records. A backup of the main store therefore never carries
//!   keys, and destroying a row here crypto-shreds a subject everywhere.
//!
//! and a third, [`AuditStore`] (`audit.db`), the tamper-evident audit log,
//! fed through an outbox in the main store ([`AuditNote`]) so that an
//! action and its log entry commit together.
//!
//! Architecture invariant: callers see typed records and never SQL; every
//! multi-row write happens inside one transaction ([`Batch`]); every query
//! is scoped by tenant.

mod audit_log;
mod batch;
mod consent;
mod gate;
mod keystore;
mod plugins;
mod privacy;
mod read;
mod records;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, SqlitePool};

pub use audit_log::{
    AppendTx, AuditNote, AuditStore, LogState, StoredEntry, StoredHead, StoredLog,
};
pub use batch::Batch;
pub use consent::{LedgerPage, LedgerSubject, StoredConsent, StoredNotice};
pub use gate::*;
pub use keystore::{KeyBatch, KeyStore, StoredKey};
pub use plugins::*;
pub use privacy::*;
pub use records::*;

/// What can go wrong in the store. Messages name tables and ids, never
/// personal values (the store holds none in plaintext anyway).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no database at {0} (run `rapport init` first)")]
    Missing(String),
    #[error("tenant `{0}` does not exist (see `rapport tenant list`)")]
    UnknownTenant(String),
    #[error("tenant `{0}` already exists")]
    TenantExists(String),
    #[error("stakeholder `{0}` does not exist in this tenant")]
    UnknownStakeholder(String),
    #[error("privacy request {0} does not exist in this tenant or is no longer pending")]
    UnknownPrivacyRequest(i64),
    #[error("`{0}` is not a personal field (expected one of: name, contact_name, email, phone, address, birth_date, gender, age_band, notes)")]
    UnknownField(String),
    #[error("{0} is not a Rapport store: {1}")]
    NotAStore(String, String),
    #[error("could not migrate the database schema")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    #[error("an audit log entry could not be built: {0}")]
    AuditNote(String),
    #[error("database error")]
    Database(#[from] sqlx::Error),
}

/// Result alias for store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

/// The main store.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
}

pub(crate) fn sqlite_options(path: &Path, create: bool) -> Result<SqliteConnectOptions> {
    let url = format!("sqlite://{}", path.display());
    Ok(SqliteConnectOptions::from_str(&url)?
        .create_if_missing(create)
        // WAL: readers never block the writer, and a killed process leaves
        // either the whole committed transaction or none of it.
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(30))
        // A 128 MiB page cache per connection: bulk upserts walk large
        // indexes, and SQLite's 2 MiB default sends them to the kernel for
        // every page.
        .pragma("cache_size", "-131072")
        // Reads through a memory map of up to 2 GiB of the file (SQLite's
        // built-in ceiling): a gate request or a consent summary scans a
        // million-row table several times, and reading its pages in place
        // spares a copy of every page out of the kernel's cache and most of
        // the page-cache bookkeeping. Writes still go through the WAL.
        .pragma("mmap_size", "2147418112")
        // Bulk imports run statements over large tables by design; the
        // driver's per-statement logging would only be noise.
        .disable_statement_logging())
}

impl Store {
    /// Creates a new database at `path` (which must not exist) and migrates it.
    pub async fn create(path: &Path) -> Result<Store> {
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(sqlite_options(path, true)?)
            .await?;
        MIGRATOR.run(&pool).await.map_err(StoreError::Migrate)?;
        Ok(Store { pool })
    }

    /// Opens an existing database and applies any pending migrations.
    pub async fn open(path: &Path) -> Result<Store> {
        if !path.exists() {
            return Err(StoreError::Missing(path.display().to_string()));
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(sqlite_options(path, false)?)
            .await?;
        MIGRATOR.run(&pool).await.map_err(StoreError::Migrate)?;
        Ok(Store { pool })
    }

    /// Checkpoints the WAL into the database file and closes every
    /// connection, so that the file alone holds everything committed.
    pub async fn close(self) {
        close_pool(self.pool, "the store", true).await;
    }

    /// Creates a tenant, queueing `notes` for the audit log in the same
    /// transaction.
    pub async fn create_tenant(
        &self,
        name: &str,
        uuid: [u8; 16],
        now: &str,
        notes: &[AuditNote],
    ) -> Result<Tenant> {
        let mut tx = self.pool.begin().await?;
        let res = sqlx::query("INSERT INTO tenants (uuid, name, created_at) VALUES (?, ?, ?)")
            .bind(&uuid[..])
            .bind(name)
            .bind(now)
            .execute(&mut *tx)
            .await;
        let res = match res {
            Ok(done) => {
                audit_log::queue_notes(&mut tx, notes).await?;
                tx.commit().await?;
                Ok(done)
            }
            Err(e) => Err(e),
        };
        match res {
            Ok(done) => Ok(Tenant {
                id: done.last_insert_rowid(),
                uuid,
                name: name.to_owned(),
                created_at: now.to_owned(),
            }),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::TenantExists(name.to_owned()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Looks a tenant up by name.
    pub async fn tenant(&self, name: &str) -> Result<Tenant> {
        let row: Option<(i64, Vec<u8>, String, String)> =
            sqlx::query_as("SELECT id, uuid, name, created_at FROM tenants WHERE name = ?")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        let (id, uuid, name_, created_at) =
            row.ok_or_else(|| StoreError::UnknownTenant(name.to_owned()))?;
        Ok(Tenant {
            id,
            uuid: to_16(&uuid),
            name: name_,
            created_at,
        })
    }

    /// Every tenant, by name.
    pub async fn tenants(&self) -> Result<Vec<Tenant>> {
        let rows: Vec<(i64, Vec<u8>, String, String)> =
            sqlx::query_as("SELECT id, uuid, name, created_at FROM tenants ORDER BY name")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(id, uuid, name, created_at)| Tenant {
                id,
                uuid: to_16(&uuid),
                name,
                created_at,
            })
            .collect())
    }

    /// Starts a write batch for one tenant: everything written through it
    /// commits together or not at all.
    pub async fn begin<'t>(&self, tenant: &'t Tenant) -> Result<Batch<'t>> {
        let tx = self.pool.begin().await?;
        Ok(Batch::new(tx, tenant))
    }
}

/// Checkpoints the WAL (if `checkpoint`) and closes every connection of `pool` before
/// returning, so that the database is a quiescent file the moment this
/// returns: no connection is left to delete the `-wal` and `-shm` files
/// later, under a copy or a backup taken right after.
///
/// `Pool::close` alone does not promise that: a connection released just
/// before is tested on its way back to the pool by a spawned task, and if it
/// arrives after the close has drained the idle queue it is closed only when
/// the pool is dropped, on its own thread. So every connection is checked
/// out first (waiting for any on its way back), then closed one by one.
pub(crate) async fn close_pool(pool: SqlitePool, what: &str, checkpoint: bool) {
    let mut held = Vec::new();
    while held.len() < (pool.size() as usize).max(1) {
        match pool.acquire().await {
            Ok(c) => held.push(c),
            Err(e) => {
                tracing::warn!(error = %e, "could not take every connection of {what} before closing");
                break;
            }
        }
    }
    if let Some(c) = held.first_mut().filter(|_| checkpoint) {
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut **c)
            .await
        {
            tracing::warn!(error = %e, "could not checkpoint {what} before closing");
        }
    }
    for c in held {
        if let Err(e) = c.close().await {
            tracing::warn!(error = %e, "could not close a connection of {what}");
        }
    }
    pool.close().await;
}

pub(crate) fn to_16(bytes: &[u8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    let n = bytes.len().min(16);
    out[..n].copy_from_slice(&bytes[..n]);
    out
}
