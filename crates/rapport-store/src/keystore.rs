//! The key store: wrapped subject data keys and erasure records, in a SQLite
//! file of their own (`keys/keys.db`), apart from the main store.
//!
//! Wrapped keys are ciphertext; the key-encryption keys that open them live
//! only in the vault's age-encrypted keyring. `secure_delete` makes SQLite
//! overwrite a destroyed key's bytes, and destroying one truncates the WAL so
//! no older copy of the page lingers there.

use std::collections::HashMap;
use std::path::Path;

use sqlx::sqlite::SqlitePoolOptions;
use sqlx::{QueryBuilder, Sqlite, SqlitePool, Transaction};

use crate::{sqlite_options, to_16, Result, StoreError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/keystore");

/// A wrapped data key as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredKey {
    pub kek_version: u32,
    pub wrapped: Vec<u8>,
}

/// The key store.
#[derive(Clone, Debug)]
pub struct KeyStore {
    pool: SqlitePool,
}

impl KeyStore {
    async fn connect(path: &Path, create: bool) -> Result<KeyStore> {
        let opts = sqlite_options(path, create)?.pragma("secure_delete", "ON");
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(opts)
            .await?;
        MIGRATOR.run(&pool).await.map_err(StoreError::Migrate)?;
        Ok(KeyStore { pool })
    }

    /// Creates the key store at `path`.
    pub async fn create(path: &Path) -> Result<KeyStore> {
        Self::connect(path, true).await
    }

    /// Opens an existing key store.
    pub async fn open(path: &Path) -> Result<KeyStore> {
        if !path.exists() {
            return Err(StoreError::Missing(path.display().to_string()));
        }
        Self::connect(path, false).await
    }

    /// Checkpoints the WAL and closes every connection.
    pub async fn close(self) {
        crate::close_pool(self.pool, "the key store", true).await;
    }

    /// Starts a transaction for adding or replacing keys.
    pub async fn begin(&self) -> Result<KeyBatch> {
        Ok(KeyBatch {
            tx: self.pool.begin().await?,
        })
    }

    /// The wrapped key of one subject, if it exists (it does not once erased).
    pub async fn get(&self, tenant: [u8; 16], subject: [u8; 16]) -> Result<Option<StoredKey>> {
        let row: Option<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT kek_version, wrapped FROM subject_keys WHERE tenant = ? AND subject = ?",
        )
        .bind(&tenant[..])
        .bind(&subject[..])
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(v, wrapped)| StoredKey {
            kek_version: u32::try_from(v).unwrap_or(0),
            wrapped,
        }))
    }

    /// The wrapped keys of many subjects at once. The rows come back packed
    /// into one hex text value per query (see the store's ledger reads): the
    /// driver's per-row cost would otherwise dominate large batches.
    pub async fn get_many(
        &self,
        tenant: [u8; 16],
        subjects: &[[u8; 16]],
    ) -> Result<HashMap<[u8; 16], StoredKey>> {
        let mut out = HashMap::with_capacity(subjects.len());
        for chunk in subjects.chunks(20_000) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "SELECT group_concat(hex(subject) || ' ' || kek_version || ' ' || hex(wrapped), char(10)) \
                 FROM subject_keys WHERE tenant = ",
            );
            qb.push_bind(&tenant[..]);
            qb.push(" AND subject IN (");
            let mut sep = qb.separated(", ");
            for s in chunk {
                sep.push_bind(&s[..]);
            }
            sep.push_unseparated(")");
            let (packed,): (Option<String>,) = qb.build_query_as().fetch_one(&self.pool).await?;
            for line in packed
                .as_deref()
                .unwrap_or("")
                .split('\n')
                .filter(|l| !l.is_empty())
            {
                let mut p = line.split(' ');
                let (Some(s), Some(v), Some(w)) = (p.next(), p.next(), p.next()) else {
                    continue;
                };
                let (Some(subject), Ok(kek_version), Some(wrapped)) =
                    (unhex(s), v.parse(), unhex(w))
                else {
                    continue;
                };
                out.insert(
                    to_16(&subject),
                    StoredKey {
                        kek_version,
                        wrapped,
                    },
                );
            }
        }
        Ok(out)
    }

    /// Every wrapped key of a tenant by subject, read in pages of the key
    /// table's order and packed into one hex text value per page, like
    /// [`KeyStore::get_many`]: for a population of a million, one ordered
    /// scan costs a fraction of a lookup per subject or of a driver row per
    /// key.
    pub async fn all_by_subject(&self, tenant: [u8; 16]) -> Result<HashMap<[u8; 16], StoredKey>> {
        const PAGE: i64 = 100_000;
        let mut out = HashMap::new();
        let mut after: Vec<u8> = Vec::new();
        loop {
            let (packed, last): (Option<String>, Option<Vec<u8>>) = sqlx::query_as(
                "SELECT group_concat(hex(subject) || ' ' || kek_version || ' ' || hex(wrapped), char(10)), \
                 max(subject) FROM (SELECT subject, kek_version, wrapped FROM subject_keys \
                 WHERE tenant = ? AND subject > ? ORDER BY subject LIMIT ?)",
            )
            .bind(&tenant[..])
            .bind(&after[..])
            .bind(PAGE)
            .fetch_one(&self.pool)
            .await?;
            let (Some(packed), Some(last)) = (packed, last) else {
                break;
            };
            out.reserve(PAGE as usize);
            for line in packed.split('\n') {
                let mut p = line.split(' ');
                let (Some(s), Some(v), Some(w)) = (p.next(), p.next(), p.next()) else {
                    return Err(unreadable_key());
                };
                let (Some(subject), Ok(kek_version), Some(wrapped)) =
                    (unhex(s), v.parse(), unhex(w))
                else {
                    return Err(unreadable_key());
                };
                out.insert(
                    to_16(&subject),
                    StoredKey {
                        kek_version,
                        wrapped,
                    },
                );
            }
            after = last;
        }
        Ok(out)
    }

    /// Every wrapped key of a tenant (for key rotation).
    pub async fn all(&self, tenant: [u8; 16]) -> Result<Vec<([u8; 16], StoredKey)>> {
        let rows: Vec<(Vec<u8>, i64, Vec<u8>)> = sqlx::query_as(
            "SELECT subject, kek_version, wrapped FROM subject_keys WHERE tenant = ?",
        )
        .bind(&tenant[..])
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(s, v, wrapped)| {
                (
                    to_16(&s),
                    StoredKey {
                        kek_version: u32::try_from(v).unwrap_or(0),
                        wrapped,
                    },
                )
            })
            .collect())
    }

    /// Destroys a subject's data key and records the erasure, atomically;
    /// then truncates the WAL so the key's bytes survive nowhere in the file.
    /// Returns whether a key was destroyed.
    pub async fn destroy(
        &self,
        tenant: [u8; 16],
        subject: [u8; 16],
        erased_at: &str,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("DELETE FROM subject_keys WHERE tenant = ? AND subject = ?")
            .bind(&tenant[..])
            .bind(&subject[..])
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO erasures (tenant, subject, erased_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
            .bind(&tenant[..])
            .bind(&subject[..])
            .bind(erased_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Destroys many subjects' data keys and records their erasures in one
    /// transaction, then truncates the WAL once: the same guarantee as
    /// [`KeyStore::destroy`] for each, without a checkpoint per key. Returns
    /// how many keys were destroyed.
    pub async fn destroy_many(
        &self,
        tenant: [u8; 16],
        subjects: &[[u8; 16]],
        erased_at: &str,
    ) -> Result<u64> {
        let mut destroyed = 0;
        let mut tx = self.pool.begin().await?;
        for subject in subjects {
            let done = sqlx::query("DELETE FROM subject_keys WHERE tenant = ? AND subject = ?")
                .bind(&tenant[..])
                .bind(&subject[..])
                .execute(&mut *tx)
                .await?;
            destroyed += done.rows_affected();
            sqlx::query(
                "INSERT INTO erasures (tenant, subject, erased_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(&tenant[..])
            .bind(&subject[..])
            .bind(erased_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await?;
        Ok(destroyed)
    }

    /// The erasure records of a tenant: (subject, erased at).
    pub async fn erasures(&self, tenant: [u8; 16]) -> Result<Vec<([u8; 16], String)>> {
        let rows: Vec<(Vec<u8>, String)> = sqlx::query_as(
            "SELECT subject, erased_at FROM erasures WHERE tenant = ? ORDER BY erased_at",
        )
        .bind(&tenant[..])
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(s, at)| (to_16(&s), at)).collect())
    }

    /// Number of wrapped keys held for a tenant.
    pub async fn count(&self, tenant: [u8; 16]) -> Result<u64> {
        let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM subject_keys WHERE tenant = ?")
            .bind(&tenant[..])
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

/// One key-store transaction.
pub struct KeyBatch {
    tx: Transaction<'static, Sqlite>,
}

impl std::fmt::Debug for KeyBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyBatch")
    }
}

impl KeyBatch {
    /// Stores wrapped keys, replacing any already stored for the same subject
    /// (as key rotation does).
    pub async fn put(&mut self, tenant: [u8; 16], keys: &[([u8; 16], StoredKey)]) -> Result<()> {
        for chunk in keys.chunks(7_000) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO subject_keys (tenant, subject, kek_version, wrapped) ",
            );
            qb.push_values(chunk, |mut b, (subject, key)| {
                b.push_bind(&tenant[..])
                    .push_bind(&subject[..])
                    .push_bind(i64::from(key.kek_version))
                    .push_bind(key.wrapped.as_slice());
            });
            qb.push(
                " ON CONFLICT (tenant, subject) DO UPDATE SET \
                 kek_version = excluded.kek_version, wrapped = excluded.wrapped",
            );
            qb.build().execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Commits the keys.
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// Decodes upper-case hex as SQLite's `hex()` writes it.
pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    s.as_bytes()
        .chunks_exact(2)
        .map(|pair| {
            let hi = (pair[0] as char).to_digit(16)?;
            let lo = (pair[1] as char).to_digit(16)?;
            u8::try_from(hi * 16 + lo).ok()
        })
        .collect()
}

/// A key row of a packed read that does not parse (the database was edited
/// outside Rapport).
fn unreadable_key() -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        "unreadable wrapped key in a packed key-store read".into(),
    ))
}
