//! Data-subject rights in SQL: privacy requests and their clocks, everything
//! held about one subject (for an export), applying an erasure (sealed
//! columns cleared, the external id replaced by a pseudonym), retention
//! sweeps, and consistent backups.
//!
//! Erasure is crypto-shredding first (the key store destroys the data key);
//! what happens here removes what the key does not cover: the external id,
//! the fingerprints (keyed MACs of the imported rows, which would let anyone
//! holding the tenant's MAC key confirm a guess of the person's data), and
//! the ciphertexts themselves, which are useless without the key but need
//! not be kept.

use std::path::Path;
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{ConnectOptions, QueryBuilder, Sqlite};

use crate::records::Tenant;
use crate::AuditNote;
use crate::{to_16, Result, Store, StoreError};

/// The prefix of every pseudonymised external id. `#` is outside the import
/// id pattern (`EXTERNAL_ID_PATTERN`), so no imported id can collide with a
/// pseudonym.
pub const PSEUDONYM_PREFIX: &str = "erased#";

/// A new privacy request, deadlines already computed by the domain's clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPrivacyRequest {
    pub stakeholder_id: i64,
    pub kind: String,
    pub jurisdiction: String,
    pub received_at: String,
    pub due_at: String,
    pub confirmation_due_at: Option<String>,
    /// `open`, or `completed` for a request answered as it is recorded.
    pub status: String,
    pub completed_at: Option<String>,
    pub outcome: Option<String>,
}

/// A privacy request as stored, with the subject's current external id (a
/// pseudonym once erased).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredPrivacyRequest {
    pub id: i64,
    pub stakeholder_id: i64,
    pub subject: String,
    pub kind: String,
    pub jurisdiction: String,
    pub received_at: String,
    pub due_at: String,
    pub extended_due_at: Option<String>,
    pub confirmation_due_at: Option<String>,
    pub status: String,
    pub completed_at: Option<String>,
    pub extension_reason: Option<String>,
    pub outcome: Option<String>,
}

/// A transaction of one subject.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct StoredTransaction {
    pub external_id: String,
    pub date: String,
    pub quantity: i64,
    pub amount: f64,
    pub currency: Option<String>,
    pub channel: Option<String>,
}

/// An interaction of one subject, text still sealed.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct StoredInteraction {
    pub external_id: String,
    pub occurred_at: String,
    pub kind: String,
    pub channel: Option<String>,
    pub nps: Option<i64>,
    pub sentiment: Option<f64>,
    pub text_sealed: Option<Vec<u8>>,
}

/// A delivery of one supplier.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct StoredDelivery {
    pub external_id: String,
    pub order_date: String,
    pub promised_date: String,
    pub delivered_date: Option<String>,
    pub quantity_ordered: i64,
    pub quantity_delivered: i64,
    pub quantity_accepted: i64,
    pub unit_price: f64,
    pub agreed_unit_price: Option<f64>,
    pub response_hours: Option<f64>,
}

/// A referral the subject made (`referrer`) or was brought in by
/// (`referred`). The other party is not named: that is someone else's data.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredReferral {
    pub external_id: String,
    pub date: String,
    pub role: String,
}

/// A stakeholder whose erasure record is not reflected in the store yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingErasure {
    pub id: i64,
    pub external_id: String,
    pub subject: [u8; 16],
}

/// What a retention sweep needs to know about one live stakeholder.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RetentionCandidate {
    pub id: i64,
    pub external_id: String,
    /// `YYYY-MM-DD` of the latest signup, transaction, interaction, consent
    /// record, delivery or referral; `None` when nothing is dated.
    pub last_activity: Option<String>,
    /// Has transactions or deliveries: records the law may require keeping.
    pub has_records: bool,
}

/// The latest consent record of a stakeholder for one purpose (a refusal
/// wins a tie, as in the decision rules).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct LatestConsent {
    pub stakeholder_id: i64,
    pub purpose: String,
    pub status: String,
    pub expires_at: Option<String>,
}

const REQUEST_COLUMNS: &str =
    "r.id, r.stakeholder_id, s.external_id AS subject, r.kind, r.jurisdiction, \
     r.received_at, r.due_at, r.extended_due_at, r.confirmation_due_at, r.status, r.completed_at, \
     r.extension_reason, r.outcome";

impl Store {
    /// Records a privacy request; returns its id. `notes` (given the id)
    /// are queued for the audit log in the same transaction.
    pub async fn insert_privacy_request(
        &self,
        tenant: &Tenant,
        r: &NewPrivacyRequest,
        notes: impl FnOnce(i64) -> Result<Vec<AuditNote>>,
    ) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "INSERT INTO privacy_requests (tenant_id, stakeholder_id, kind, jurisdiction, received_at, due_at, \
             confirmation_due_at, status, completed_at, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(tenant.id)
        .bind(r.stakeholder_id)
        .bind(&r.kind)
        .bind(&r.jurisdiction)
        .bind(&r.received_at)
        .bind(&r.due_at)
        .bind(&r.confirmation_due_at)
        .bind(&r.status)
        .bind(&r.completed_at)
        .bind(&r.outcome)
        .execute(&mut *tx)
        .await?;
        let id = done.last_insert_rowid();
        crate::audit_log::queue_notes(&mut tx, &notes(id)?).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// One privacy request of a tenant.
    pub async fn privacy_request(&self, tenant: &Tenant, id: i64) -> Result<StoredPrivacyRequest> {
        sqlx::query_as(&format!(
            "SELECT {REQUEST_COLUMNS} FROM privacy_requests r JOIN stakeholders s ON s.id = r.stakeholder_id \
             WHERE r.tenant_id = ? AND r.id = ?"
        ))
        .bind(tenant.id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::UnknownPrivacyRequest(id))
    }

    /// A tenant's privacy requests, earliest deadline first; only the
    /// pending ones (open or extended) unless `all`.
    pub async fn privacy_requests(
        &self,
        tenant: &Tenant,
        all: bool,
    ) -> Result<Vec<StoredPrivacyRequest>> {
        let filter = if all {
            ""
        } else {
            " AND r.status IN ('open', 'extended')"
        };
        Ok(sqlx::query_as(&format!(
            "SELECT {REQUEST_COLUMNS} FROM privacy_requests r JOIN stakeholders s ON s.id = r.stakeholder_id \
             WHERE r.tenant_id = ?{filter} ORDER BY coalesce(r.extended_due_at, r.due_at), r.id"
        ))
        .bind(tenant.id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every privacy request about one stakeholder, oldest first.
    pub async fn privacy_requests_of(
        &self,
        tenant: &Tenant,
        stakeholder_id: i64,
    ) -> Result<Vec<StoredPrivacyRequest>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {REQUEST_COLUMNS} FROM privacy_requests r JOIN stakeholders s ON s.id = r.stakeholder_id \
             WHERE r.tenant_id = ? AND r.stakeholder_id = ? ORDER BY r.id"
        ))
        .bind(tenant.id)
        .bind(stakeholder_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Extends an open request (the caller checked that the law allows it),
    /// queueing `notes` for the audit log in the same transaction.
    pub async fn extend_privacy_request(
        &self,
        tenant: &Tenant,
        id: i64,
        extended_due_at: &str,
        reason: &str,
        notes: &[AuditNote],
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE privacy_requests SET status = 'extended', extended_due_at = ?, extension_reason = ? \
             WHERE tenant_id = ? AND id = ? AND status = 'open'",
        )
        .bind(extended_due_at)
        .bind(reason)
        .bind(tenant.id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::UnknownPrivacyRequest(id));
        }
        crate::audit_log::queue_notes(&mut tx, notes).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Closes a pending request as `completed` or `refused`, queueing
    /// `notes` for the audit log in the same transaction.
    pub async fn close_privacy_request(
        &self,
        tenant: &Tenant,
        id: i64,
        status: &str,
        completed_at: &str,
        outcome: &str,
        notes: &[AuditNote],
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE privacy_requests SET status = ?, completed_at = ?, outcome = ? \
             WHERE tenant_id = ? AND id = ? AND status IN ('open', 'extended')",
        )
        .bind(status)
        .bind(completed_at)
        .bind(outcome)
        .bind(tenant.id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::UnknownPrivacyRequest(id));
        }
        crate::audit_log::queue_notes(&mut tx, notes).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Completes every pending request of one kind about a stakeholder;
    /// returns their ids. `notes` (given the ids) are queued for the audit
    /// log in the same transaction.
    pub async fn complete_pending_requests(
        &self,
        tenant: &Tenant,
        stakeholder_id: i64,
        kind: &str,
        completed_at: &str,
        outcome: &str,
        notes: impl FnOnce(&[i64]) -> Result<Vec<AuditNote>>,
    ) -> Result<Vec<i64>> {
        let mut tx = self.pool.begin().await?;
        let ids: Vec<(i64,)> = sqlx::query_as(
            "UPDATE privacy_requests SET status = 'completed', completed_at = ?, outcome = ? \
             WHERE tenant_id = ? AND stakeholder_id = ? AND kind = ? AND status IN ('open', 'extended') \
             RETURNING id",
        )
        .bind(completed_at)
        .bind(outcome)
        .bind(tenant.id)
        .bind(stakeholder_id)
        .bind(kind)
        .fetch_all(&mut *tx)
        .await?;
        let ids: Vec<i64> = ids.into_iter().map(|(id,)| id).collect();
        if !ids.is_empty() {
            crate::audit_log::queue_notes(&mut tx, &notes(&ids)?).await?;
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// A subject's transactions, by date.
    pub async fn transactions_of(
        &self,
        tenant: &Tenant,
        stakeholder_id: i64,
    ) -> Result<Vec<StoredTransaction>> {
        Ok(sqlx::query_as(
            "SELECT external_id, date, quantity, amount, currency, channel FROM transactions \
             WHERE tenant_id = ? AND stakeholder_id = ? ORDER BY date, external_id",
        )
        .bind(tenant.id)
        .bind(stakeholder_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// A subject's interactions, by time, text sealed.
    pub async fn interactions_of(
        &self,
        tenant: &Tenant,
        stakeholder_id: i64,
    ) -> Result<Vec<StoredInteraction>> {
        Ok(sqlx::query_as(
            "SELECT external_id, occurred_at, kind, channel, nps, sentiment, text_sealed FROM interactions \
             WHERE tenant_id = ? AND stakeholder_id = ? ORDER BY occurred_at, external_id",
        )
        .bind(tenant.id)
        .bind(stakeholder_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// A supplier's deliveries, by order date.
    pub async fn deliveries_of(
        &self,
        tenant: &Tenant,
        stakeholder_id: i64,
    ) -> Result<Vec<StoredDelivery>> {
        Ok(sqlx::query_as(
            "SELECT external_id, order_date, promised_date, delivered_date, quantity_ordered, \
             quantity_delivered, quantity_accepted, unit_price, agreed_unit_price, response_hours \
             FROM deliveries WHERE tenant_id = ? AND stakeholder_id = ? ORDER BY order_date, external_id",
        )
        .bind(tenant.id)
        .bind(stakeholder_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The referrals a subject made or was brought in by.
    pub async fn referrals_of(
        &self,
        tenant: &Tenant,
        stakeholder_id: i64,
    ) -> Result<Vec<StoredReferral>> {
        Ok(sqlx::query_as(
            "SELECT external_id, date, CASE WHEN referrer_id = ? THEN 'referrer' ELSE 'referred' END AS role \
             FROM referrals WHERE tenant_id = ? AND (referrer_id = ? OR referred_id = ?) \
             ORDER BY date, external_id",
        )
        .bind(stakeholder_id)
        .bind(tenant.id)
        .bind(stakeholder_id)
        .bind(stakeholder_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Replaces one sealed field of a stakeholder (rectification). The row's
    /// fingerprint is kept on purpose: re-importing the unchanged source
    /// file then counts the row as unchanged instead of writing the old,
    /// inaccurate value back.
    ///
    /// `notes` are queued for the audit log in the same transaction.
    pub async fn replace_sealed_field(
        &self,
        tenant: &Tenant,
        stakeholder_id: i64,
        field: &str,
        sealed: &[u8],
        notes: &[AuditNote],
    ) -> Result<()> {
        let column = match field {
            "name" => "name_sealed",
            "contact_name" => "contact_name_sealed",
            "email" => "email_sealed",
            "phone" => "phone_sealed",
            "address" => "address_sealed",
            "birth_date" => "birth_date_sealed",
            "gender" => "gender_sealed",
            "age_band" => "age_band_sealed",
            "notes" => "notes_sealed",
            _ => return Err(StoreError::UnknownField(field.to_owned())),
        };
        // The column name comes from the fixed list above, never from input.
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(&format!(
            "UPDATE stakeholders SET {column} = ? WHERE tenant_id = ? AND id = ? AND erased_at IS NULL"
        ))
        .bind(sealed)
        .bind(tenant.id)
        .bind(stakeholder_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::UnknownStakeholder(stakeholder_id.to_string()));
        }
        crate::audit_log::queue_notes(&mut tx, notes).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Applies an erasure to the main store (the key is already destroyed):
    /// the stakeholder gets its pseudonym as external id, loses its sealed
    /// fields, signup date and fingerprint and is marked erased; its
    /// interactions lose their text and fingerprints. Transactions,
    /// deliveries, referrals and consent records stay, linked to the
    /// pseudonym (bookkeeping and evidence). Returns whether anything
    /// changed; `notes` are queued for the audit log in the same
    /// transaction when something did.
    pub async fn apply_erasure(
        &self,
        tenant: &Tenant,
        stakeholder_id: i64,
        pseudonym: &str,
        erased_at: &str,
        notes: &[AuditNote],
    ) -> Result<bool> {
        let (_, changed) = self
            .apply_retention(
                tenant,
                None,
                &[(stakeholder_id, pseudonym.to_owned())],
                erased_at,
                |_, changed| {
                    Ok(if changed > 0 {
                        notes.to_vec()
                    } else {
                        Vec::new()
                    })
                },
            )
            .await?;
        Ok(changed > 0)
    }

    /// A retention sweep's writes, in one transaction: drops the text of
    /// live subjects' interactions that occurred before `texts_before` (an
    /// RFC 3339 instant, if given), then applies the erasures (row id,
    /// pseudonym) as [`Store::apply_erasure`] does, and queues the audit
    /// log notes that `notes` makes of (texts dropped, stakeholders
    /// changed). Returns those two counts.
    pub async fn apply_retention(
        &self,
        tenant: &Tenant,
        texts_before: Option<&str>,
        erasures: &[(i64, String)],
        erased_at: &str,
        notes: impl FnOnce(u64, u64) -> Result<Vec<AuditNote>>,
    ) -> Result<(u64, u64)> {
        let mut changed = 0;
        let mut tx = self.pool.begin().await?;
        let mut texts_dropped = 0;
        if let Some(before) = texts_before {
            texts_dropped = sqlx::query(
                "UPDATE interactions SET text_sealed = NULL WHERE tenant_id = ? AND occurred_at < ? AND text_sealed IS NOT NULL",
            )
            .bind(tenant.id)
            .bind(before)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        for (stakeholder_id, pseudonym) in erasures {
            let done = sqlx::query(
                "UPDATE stakeholders SET external_id = ?, fingerprint = zeroblob(32), signup_date = NULL, \
                 name_sealed = NULL, contact_name_sealed = NULL, email_sealed = NULL, phone_sealed = NULL, \
                 address_sealed = NULL, birth_date_sealed = NULL, gender_sealed = NULL, age_band_sealed = NULL, \
                 notes_sealed = NULL, erased_at = coalesce(erased_at, ?) \
                 WHERE tenant_id = ? AND id = ? AND (external_id <> ? OR erased_at IS NULL)",
            )
            .bind(pseudonym)
            .bind(erased_at)
            .bind(tenant.id)
            .bind(stakeholder_id)
            .bind(pseudonym)
            .execute(&mut *tx)
            .await?;
            let texts = sqlx::query(
                "UPDATE interactions SET text_sealed = NULL, fingerprint = zeroblob(32) \
                 WHERE tenant_id = ? AND stakeholder_id = ? AND (text_sealed IS NOT NULL OR fingerprint <> zeroblob(32))",
            )
            .bind(tenant.id)
            .bind(stakeholder_id)
            .execute(&mut *tx)
            .await?;
            // Scores are personal data derived from the subject: they go too.
            let scores = sqlx::query("DELETE FROM plugin_outputs WHERE stakeholder_id = ?")
                .bind(stakeholder_id)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() + texts.rows_affected() + scores.rows_affected() > 0 {
                changed += 1;
            }
        }
        crate::audit_log::queue_notes(&mut tx, &notes(texts_dropped, changed)?).await?;
        tx.commit().await?;
        Ok((texts_dropped, changed))
    }

    /// How many stakeholders of a tenant are erased and pseudonymised.
    pub async fn applied_erasure_count(&self, tenant: &Tenant) -> Result<u64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM stakeholders WHERE tenant_id = ? AND erased_at IS NOT NULL \
             AND substr(external_id, 1, length(?)) = ?",
        )
        .bind(tenant.id)
        .bind(PSEUDONYM_PREFIX)
        .bind(PSEUDONYM_PREFIX)
        .fetch_one(&self.pool)
        .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Among `subjects` (erased in the key store), the stakeholders of this
    /// store that do not show the erasure yet: not marked erased, or not
    /// pseudonymised (a backup from before the erasure, or a crash between
    /// destroying the key and updating this store).
    pub async fn pending_erasures(
        &self,
        tenant: &Tenant,
        subjects: &[[u8; 16]],
    ) -> Result<Vec<PendingErasure>> {
        let mut out = Vec::new();
        for chunk in subjects.chunks(20_000) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "SELECT id, external_id, subject FROM stakeholders WHERE tenant_id = ",
            );
            qb.push_bind(tenant.id);
            qb.push(" AND (erased_at IS NULL OR substr(external_id, 1, ");
            qb.push(PSEUDONYM_PREFIX.len().to_string());
            qb.push(") <> ");
            qb.push_bind(PSEUDONYM_PREFIX);
            qb.push(") AND subject IN (");
            let mut sep = qb.separated(", ");
            for s in chunk {
                sep.push_bind(&s[..]);
            }
            sep.push_unseparated(")");
            let rows: Vec<(i64, String, Vec<u8>)> =
                qb.build_query_as().fetch_all(&self.pool).await?;
            out.extend(rows.into_iter().map(|(id, external_id, s)| PendingErasure {
                id,
                external_id,
                subject: to_16(&s),
            }));
        }
        Ok(out)
    }

    /// Every live (not erased) stakeholder of a tenant with the date of its
    /// latest activity.
    pub async fn retention_candidates(&self, tenant: &Tenant) -> Result<Vec<RetentionCandidate>> {
        // SQLite's many-argument max() is NULL if any argument is, hence the
        // coalesce to '' (which sorts before every date) and back.
        Ok(sqlx::query_as(
            "SELECT s.id, s.external_id, nullif(max( \
               coalesce(s.signup_date, ''), \
               coalesce((SELECT max(date) FROM transactions t WHERE t.tenant_id = s.tenant_id AND t.stakeholder_id = s.id), ''), \
               coalesce((SELECT substr(max(occurred_at), 1, 10) FROM interactions i WHERE i.tenant_id = s.tenant_id AND i.stakeholder_id = s.id), ''), \
               coalesce((SELECT substr(max(recorded_at), 1, 10) FROM consents c WHERE c.tenant_id = s.tenant_id AND c.stakeholder_id = s.id), ''), \
               coalesce((SELECT max(max(order_date, coalesce(delivered_date, ''))) FROM deliveries d WHERE d.tenant_id = s.tenant_id AND d.stakeholder_id = s.id), ''), \
               coalesce((SELECT max(date) FROM referrals r WHERE r.tenant_id = s.tenant_id AND r.referrer_id = s.id), ''), \
               coalesce((SELECT max(date) FROM referrals r WHERE r.tenant_id = s.tenant_id AND r.referred_id = s.id), '') \
             ), '') AS last_activity, \
             (EXISTS (SELECT 1 FROM transactions t WHERE t.tenant_id = s.tenant_id AND t.stakeholder_id = s.id) \
              OR EXISTS (SELECT 1 FROM deliveries d WHERE d.tenant_id = s.tenant_id AND d.stakeholder_id = s.id)) AS has_records \
             FROM stakeholders s WHERE s.tenant_id = ? AND s.erased_at IS NULL ORDER BY s.id",
        )
        .bind(tenant.id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The latest consent record of every (stakeholder, purpose) of a tenant.
    pub async fn latest_consents(&self, tenant: &Tenant) -> Result<Vec<LatestConsent>> {
        Ok(sqlx::query_as(
            "SELECT stakeholder_id, purpose, status, expires_at FROM ( \
               SELECT stakeholder_id, purpose, status, expires_at, row_number() OVER ( \
                 PARTITION BY stakeholder_id, purpose \
                 ORDER BY recorded_at DESC, status = 'granted', version DESC) AS rn \
               FROM consents WHERE tenant_id = ?) WHERE rn = 1",
        )
        .bind(tenant.id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Counts the interaction texts that [`Store::apply_retention`] would
    /// drop before `before` (an RFC 3339 instant). Dropping keeps the
    /// fingerprint, so re-importing the source file counts the row as
    /// unchanged instead of bringing the text back.
    pub async fn interaction_texts_before(&self, tenant: &Tenant, before: &str) -> Result<u64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM interactions WHERE tenant_id = ? AND occurred_at < ? AND text_sealed IS NOT NULL",
        )
        .bind(tenant.id)
        .bind(before)
        .fetch_one(&self.pool)
        .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Writes a consistent copy of the whole database to `out` (SQLite
    /// `VACUUM INTO`: a snapshot as of one transaction, compacted, readable
    /// while imports keep writing). Keys are in the key store, not here.
    pub async fn backup_into(&self, out: &Path) -> Result<()> {
        sqlx::query("VACUUM INTO ?")
            .bind(out.display().to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Checks, without changing it, that `path` is a Rapport main store:
    /// a SQLite file that passes `quick_check` and holds Rapport's first
    /// migration and its core tables. Returns the names of its tenants.
    pub async fn validate_backup(path: &Path) -> Result<Vec<(String, [u8; 16])>> {
        let shown = path.display().to_string();
        let not_a_store = |reason: &str| StoreError::NotAStore(shown.clone(), reason.to_owned());
        if !path.is_file() {
            return Err(not_a_store("no such file"));
        }
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .read_only(true)
            .immutable(true)
            .disable_statement_logging();
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await
            .map_err(|_| not_a_store("not a SQLite database"))?;
        let result = async {
            let check: std::result::Result<(String,), sqlx::Error> =
                sqlx::query_as("PRAGMA quick_check").fetch_one(&pool).await;
            match check {
                Ok((s,)) if s == "ok" => {}
                Ok(_) => return Err(not_a_store("the database is damaged (quick_check failed)")),
                Err(_) => return Err(not_a_store("not a SQLite database")),
            }
            let (tables,): (i64,) = sqlx::query_as(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN \
                 ('_sqlx_migrations', 'tenants', 'stakeholders', 'transactions', 'consents')",
            )
            .fetch_one(&pool)
            .await?;
            if tables != 5 {
                return Err(not_a_store("it lacks Rapport's tables"));
            }
            let (first,): (i64,) = sqlx::query_as(
                "SELECT count(*) FROM _sqlx_migrations WHERE version = 1 AND success = 1 \
                 AND description = 'foundation'",
            )
            .fetch_one(&pool)
            .await?;
            if first != 1 {
                return Err(not_a_store("it does not carry Rapport's schema migrations"));
            }
            let rows: Vec<(String, Vec<u8>)> =
                sqlx::query_as("SELECT name, uuid FROM tenants ORDER BY name")
                    .fetch_all(&pool)
                    .await?;
            Ok(rows.into_iter().map(|(n, u)| (n, to_16(&u))).collect())
        }
        .await;
        crate::close_pool(pool, "the backup", false).await;
        result
    }
}
