//! The plugin platform's records (trusted publisher keys, the tenant's field
//! policy, installations, runs and outputs) and the reads that assemble a
//! plugin's input.
//!
//! Input reads are paged by ranges of stakeholder row ids and packed by
//! SQLite into one text value per page (fields joined by U+001F, rows by
//! U+001E), like the consent ledger reads: at a million customers that is an
//! order of magnitude faster than fetching rows through the driver. Only the
//! tables a plugin was granted are read at all.

use crate::records::Tenant;
use crate::{Result, Store, StoreError};

const FIELD: char = '\u{1f}';
const ROW: char = '\u{1e}';

/// A publisher key a tenant trusts.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct TrustedKey {
    pub key_id: String,
    pub public_key: String,
    pub added_at: String,
}

/// An installation as recorded.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredInstallation {
    pub id: i64,
    pub plugin_id: String,
    pub version: String,
    pub kind: String,
    pub component_digest: String,
    pub statement_digest: String,
    pub signer_key_id: String,
    pub purpose: String,
    /// The configuration as JSON.
    pub config: String,
    pub config_hash: String,
    /// JSON array of field names.
    pub granted_fields: String,
    /// JSON array of declared field names the tenant's policy withheld.
    pub withheld_fields: String,
    /// The installation's limits as JSON.
    pub limits: String,
    pub installed_at: String,
    pub removed_at: Option<String>,
}

/// A run as recorded.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct StoredRun {
    pub id: String,
    pub installation_id: i64,
    pub plugin_id: String,
    pub version: String,
    pub component_digest: String,
    pub purpose: String,
    pub config_hash: String,
    pub input_hash: String,
    pub output_hash: Option<String>,
    pub as_of: String,
    pub seed: i64,
    pub subjects: i64,
    pub excluded: i64,
    pub batches: i64,
    pub fuel_used: i64,
    pub peak_memory: i64,
    pub duration_ms: i64,
    pub status: String,
    pub failure: Option<String>,
    /// JSON array of the plugin's diagnostics.
    pub diagnostics: String,
    pub replay_of: Option<String>,
    pub started_at: String,
    pub finished_at: String,
    /// The earlier run whose outputs this run read as `previous.*`, if it
    /// read any.
    pub previous_run: Option<String>,
}

/// One stored output, with the stakeholder's external id.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct StoredOutput {
    pub stakeholder_id: i64,
    pub external_id: String,
    pub score: f64,
    pub label: Option<String>,
    /// JSON object of named values.
    pub named_values: String,
    /// JSON array of `{label, value}` contributions.
    pub explanation: String,
}

/// One stored output of a subject, with the run that produced it.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct SubjectOutput {
    pub run_id: String,
    pub plugin_id: String,
    pub version: String,
    pub component_digest: String,
    pub purpose: String,
    pub as_of: String,
    pub score: f64,
    pub label: Option<String>,
    pub named_values: String,
    pub explanation: String,
}

/// One output of a run with what a fairness audit needs of its subject:
/// the subject id (to find its data key) and its sealed protected
/// attributes.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditedOutput {
    pub stakeholder_id: i64,
    pub subject: [u8; 16],
    pub score: f64,
    pub label: Option<String>,
    pub gender_sealed: Option<Vec<u8>>,
    pub age_band_sealed: Option<Vec<u8>>,
}

/// One output to store.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputRow {
    pub stakeholder_id: i64,
    pub score: f64,
    pub label: Option<String>,
    pub named_values: String,
    pub explanation: String,
}

/// A customer's or supplier's unsealed attributes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PopulationMember {
    pub id: i64,
    pub country: Option<String>,
    pub region: Option<String>,
    pub signup_date: Option<String>,
    pub category: Option<String>,
    pub erased: bool,
}

/// A customer's purchases, summarised by the store.
#[derive(Clone, Debug, PartialEq)]
pub struct PurchaseSummary {
    pub stakeholder_id: i64,
    pub count: u32,
    pub days: u32,
    pub first: String,
    pub last: String,
    pub total_amount: f64,
    pub total_quantity: i64,
}

/// One transaction line of a plugin input.
#[derive(Clone, Debug, PartialEq)]
pub struct TransactionLine {
    pub stakeholder_id: i64,
    pub date: String,
    pub amount: f64,
    pub quantity: i64,
    pub channel: Option<String>,
}

/// One interaction line of a plugin input (never its text).
#[derive(Clone, Debug, PartialEq)]
pub struct InteractionLine {
    pub stakeholder_id: i64,
    pub occurred_at: String,
    pub kind: String,
    pub channel: Option<String>,
    pub nps: Option<i64>,
    pub sentiment: Option<f64>,
}

/// One referral line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferralLine {
    pub referrer_id: i64,
    pub referred_id: i64,
    pub date: String,
}

/// One delivery line.
#[derive(Clone, Debug, PartialEq)]
pub struct DeliveryLine {
    pub stakeholder_id: i64,
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

/// A new installation.
#[derive(Clone, Debug)]
pub struct NewInstallation<'a> {
    pub plugin_id: &'a str,
    pub version: &'a str,
    pub kind: &'a str,
    pub component_digest: &'a str,
    pub statement_digest: &'a str,
    pub signer_key_id: &'a str,
    pub purpose: &'a str,
    pub config: &'a str,
    pub config_hash: &'a str,
    pub granted_fields: &'a str,
    pub withheld_fields: &'a str,
    pub limits: &'a str,
    pub installed_at: &'a str,
}

fn split_rows(packed: Option<&str>) -> impl Iterator<Item = Vec<&str>> {
    packed
        .unwrap_or("")
        .split(ROW)
        .filter(|r| !r.is_empty())
        .map(|r| r.split(FIELD).collect())
}

fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

fn num<T: std::str::FromStr>(s: &str, what: &str) -> Result<T> {
    s.parse().map_err(|_| {
        StoreError::Database(sqlx::Error::Decode(
            format!("unreadable {what} `{s}` in a plugin input page").into(),
        ))
    })
}

fn opt_num<T: std::str::FromStr>(s: &str, what: &str) -> Result<Option<T>> {
    if s.is_empty() {
        Ok(None)
    } else {
        num(s, what).map(Some)
    }
}

fn field<'a>(row: &[&'a str], i: usize) -> Result<&'a str> {
    row.get(i).copied().ok_or_else(|| {
        StoreError::Database(sqlx::Error::Decode(
            format!(
                "short row in a plugin input page (field {i} of {})",
                row.len()
            )
            .into(),
        ))
    })
}

/// The columns of [`StoredInstallation`], in order.
const SELECT_INSTALLATIONS: &str = "SELECT id, plugin_id, version, kind, component_digest, statement_digest, \
     signer_key_id, purpose, config, config_hash, granted_fields, withheld_fields, limits, installed_at, removed_at \
     FROM plugin_installations";

/// The columns of [`StoredRun`], in order.
const SELECT_RUNS: &str = "SELECT id, installation_id, plugin_id, version, component_digest, purpose, config_hash, \
     input_hash, output_hash, as_of, seed, subjects, excluded, batches, fuel_used, peak_memory, duration_ms, status, \
     failure, diagnostics, replay_of, started_at, finished_at, previous_run FROM plugin_runs";

impl Store {
    async fn packed(
        &self,
        sql: &str,
        tenant: &Tenant,
        (after, until): (i64, i64),
        last: &str,
    ) -> Result<Option<String>> {
        let q = sqlx::query_as::<_, (Option<String>,)>(sql)
            .bind(tenant.id)
            .bind(after)
            .bind(until)
            .bind(last);
        Ok(q.fetch_one(&self.pool).await?.0)
    }

    /// The highest stakeholder row id of a tenant, of any kind.
    pub async fn max_stakeholder_row(&self, tenant: &Tenant) -> Result<i64> {
        let (max,): (Option<i64>,) =
            sqlx::query_as("SELECT max(id) FROM stakeholders WHERE tenant_id = ?")
                .bind(tenant.id)
                .fetch_one(&self.pool)
                .await?;
        Ok(max.unwrap_or(0))
    }

    /// Stakeholders of one kind with row ids in `(after, until]`, in id order.
    pub async fn population_page(
        &self,
        tenant: &Tenant,
        kind: rapport_domain::StakeholderKind,
        after: i64,
        until: i64,
    ) -> Result<Vec<PopulationMember>> {
        let packed = self
            .packed(
                "SELECT group_concat((id || char(31) || coalesce(country, '') || char(31) || coalesce(region, '') || char(31) || coalesce(signup_date, '') || char(31) || coalesce(category, '') || char(31) || (erased_at IS NOT NULL)), char(30)) \
                 FROM stakeholders WHERE +tenant_id = ? AND id > ? AND id <= ? AND kind = ?",
                tenant,
                (after, until),
                kind.as_str(),
            )
            .await?;
        let mut out = Vec::new();
        for r in split_rows(packed.as_deref()) {
            out.push(PopulationMember {
                id: num(field(&r, 0)?, "row id")?,
                country: opt(field(&r, 1)?),
                region: opt(field(&r, 2)?),
                signup_date: opt(field(&r, 3)?),
                category: opt(field(&r, 4)?),
                erased: field(&r, 5)? == "1",
            });
        }
        out.sort_by_key(|m| m.id);
        Ok(out)
    }

    /// Purchase summaries of the customers in `(after, until]`, counting
    /// transactions dated on or before `until_date`.
    pub async fn purchase_summaries(
        &self,
        tenant: &Tenant,
        after: i64,
        until: i64,
        until_date: &str,
    ) -> Result<Vec<PurchaseSummary>> {
        let packed = self
            .packed(
                "SELECT group_concat((stakeholder_id || char(31) || n || char(31) || days || char(31) || first || char(31) || last || char(31) || printf('%!.17g', total) || char(31) || qty), char(30)) FROM ( \
                 SELECT stakeholder_id, count(*) AS n, count(DISTINCT date) AS days, min(date) AS first, \
                 max(date) AS last, sum(amount) AS total, sum(quantity) AS qty FROM transactions \
                 WHERE tenant_id = ? AND stakeholder_id > ? AND stakeholder_id <= ? AND date <= ? \
                 GROUP BY stakeholder_id)",
                tenant,
                (after, until),
                until_date,
            )
            .await?;
        let mut out = Vec::new();
        for r in split_rows(packed.as_deref()) {
            out.push(PurchaseSummary {
                stakeholder_id: num(field(&r, 0)?, "row id")?,
                count: num(field(&r, 1)?, "count")?,
                days: num(field(&r, 2)?, "day count")?,
                first: field(&r, 3)?.to_owned(),
                last: field(&r, 4)?.to_owned(),
                total_amount: num(field(&r, 5)?, "amount")?,
                total_quantity: num(field(&r, 6)?, "quantity")?,
            });
        }
        out.sort_by_key(|s| s.stakeholder_id);
        Ok(out)
    }

    /// Transactions of the customers in `(after, until]` dated on or before
    /// `until_date`, by customer, date and row.
    pub async fn transaction_lines(
        &self,
        tenant: &Tenant,
        after: i64,
        until: i64,
        until_date: &str,
    ) -> Result<Vec<TransactionLine>> {
        let packed = self
            .packed(
                "SELECT group_concat((stakeholder_id || char(31) || date || char(31) || printf('%!.17g', amount) || char(31) || quantity || char(31) || coalesce(channel, '')), char(30)) FROM (SELECT * FROM transactions \
                 WHERE tenant_id = ? AND stakeholder_id > ? AND stakeholder_id <= ? AND date <= ? \
                 ORDER BY stakeholder_id, date, id)",
                tenant,
                (after, until),
                until_date,
            )
            .await?;
        let mut out = Vec::new();
        for r in split_rows(packed.as_deref()) {
            out.push(TransactionLine {
                stakeholder_id: num(field(&r, 0)?, "row id")?,
                date: field(&r, 1)?.to_owned(),
                amount: num(field(&r, 2)?, "amount")?,
                quantity: num(field(&r, 3)?, "quantity")?,
                channel: opt(field(&r, 4)?),
            });
        }
        Ok(out)
    }

    /// Interactions (without text) of the stakeholders in `(after, until]`
    /// that occurred on or before `until_instant`.
    pub async fn interaction_lines(
        &self,
        tenant: &Tenant,
        after: i64,
        until: i64,
        until_instant: &str,
    ) -> Result<Vec<InteractionLine>> {
        let packed = self
            .packed(
                "SELECT group_concat((stakeholder_id || char(31) || occurred_at || char(31) || kind || char(31) || coalesce(channel, '') || char(31) || coalesce(nps, '') || char(31) || iif(sentiment IS NULL, '', printf('%!.17g', sentiment))), char(30)) \
                 FROM (SELECT * FROM interactions WHERE tenant_id = ? AND stakeholder_id > ? \
                 AND stakeholder_id <= ? AND occurred_at <= ? ORDER BY stakeholder_id, occurred_at, id)",
                tenant,
                (after, until),
                until_instant,
            )
            .await?;
        let mut out = Vec::new();
        for r in split_rows(packed.as_deref()) {
            out.push(InteractionLine {
                stakeholder_id: num(field(&r, 0)?, "row id")?,
                occurred_at: field(&r, 1)?.to_owned(),
                kind: field(&r, 2)?.to_owned(),
                channel: opt(field(&r, 3)?),
                nps: opt_num(field(&r, 4)?, "nps")?,
                sentiment: opt_num(field(&r, 5)?, "sentiment")?,
            });
        }
        Ok(out)
    }

    /// Referrals made by the customers in `(after, until]` dated on or
    /// before `until_date`.
    pub async fn referral_lines(
        &self,
        tenant: &Tenant,
        after: i64,
        until: i64,
        until_date: &str,
    ) -> Result<Vec<ReferralLine>> {
        let packed = self
            .packed(
                "SELECT group_concat((referrer_id || char(31) || referred_id || char(31) || date), char(30)) \
                 FROM (SELECT * FROM referrals WHERE tenant_id = ? AND referrer_id > ? AND referrer_id <= ? \
                 AND date <= ? ORDER BY referrer_id, date, id)",
                tenant,
                (after, until),
                until_date,
            )
            .await?;
        let mut out = Vec::new();
        for r in split_rows(packed.as_deref()) {
            out.push(ReferralLine {
                referrer_id: num(field(&r, 0)?, "row id")?,
                referred_id: num(field(&r, 1)?, "row id")?,
                date: field(&r, 2)?.to_owned(),
            });
        }
        Ok(out)
    }

    /// Deliveries of the suppliers in `(after, until]` ordered on or before
    /// `until_date`.
    pub async fn delivery_lines(
        &self,
        tenant: &Tenant,
        after: i64,
        until: i64,
        until_date: &str,
    ) -> Result<Vec<DeliveryLine>> {
        let packed = self
            .packed(
                "SELECT group_concat((stakeholder_id || char(31) || order_date || char(31) || promised_date || char(31) || coalesce(delivered_date, '') || char(31) || quantity_ordered || char(31) || quantity_delivered || char(31) || quantity_accepted || char(31) || printf('%!.17g', unit_price) || char(31) || iif(agreed_unit_price IS NULL, '', printf('%!.17g', agreed_unit_price)) || char(31) || iif(response_hours IS NULL, '', printf('%!.17g', response_hours))), char(30)) \
                 FROM (SELECT * FROM deliveries WHERE tenant_id = ? AND stakeholder_id > ? \
                 AND stakeholder_id <= ? AND order_date <= ? ORDER BY stakeholder_id, order_date, id)",
                tenant,
                (after, until),
                until_date,
            )
            .await?;
        let mut out = Vec::new();
        for r in split_rows(packed.as_deref()) {
            out.push(DeliveryLine {
                stakeholder_id: num(field(&r, 0)?, "row id")?,
                order_date: field(&r, 1)?.to_owned(),
                promised_date: field(&r, 2)?.to_owned(),
                delivered_date: opt(field(&r, 3)?),
                quantity_ordered: num(field(&r, 4)?, "quantity")?,
                quantity_delivered: num(field(&r, 5)?, "quantity")?,
                quantity_accepted: num(field(&r, 6)?, "quantity")?,
                unit_price: num(field(&r, 7)?, "price")?,
                agreed_unit_price: opt_num(field(&r, 8)?, "price")?,
                response_hours: opt_num(field(&r, 9)?, "hours")?,
            });
        }
        Ok(out)
    }

    /// Adds a trusted publisher key (no-op if the key id is already trusted).
    /// Returns whether it was new.
    pub async fn trust_key(&self, tenant: &Tenant, key: &TrustedKey) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO plugin_trusted_keys (tenant_id, key_id, public_key, added_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (tenant_id, key_id) DO NOTHING",
        )
        .bind(tenant.id)
        .bind(&key.key_id)
        .bind(&key.public_key)
        .bind(&key.added_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Removes a trusted key; returns whether it was trusted.
    pub async fn distrust_key(&self, tenant: &Tenant, key_id: &str) -> Result<bool> {
        let done =
            sqlx::query("DELETE FROM plugin_trusted_keys WHERE tenant_id = ? AND key_id = ?")
                .bind(tenant.id)
                .bind(key_id)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The tenant's trusted publisher keys.
    pub async fn trusted_keys(&self, tenant: &Tenant) -> Result<Vec<TrustedKey>> {
        Ok(sqlx::query_as(
            "SELECT key_id, public_key, added_at FROM plugin_trusted_keys WHERE tenant_id = ? ORDER BY added_at, key_id",
        )
        .bind(tenant.id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The fields the tenant refuses to grant.
    pub async fn denied_fields(&self, tenant: &Tenant) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT field FROM plugin_denied_fields WHERE tenant_id = ? ORDER BY field",
        )
        .bind(tenant.id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(f,)| f).collect())
    }

    /// Replaces the denied fields.
    pub async fn set_denied_fields(
        &self,
        tenant: &Tenant,
        fields: &[&str],
        at: &str,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM plugin_denied_fields WHERE tenant_id = ?")
            .bind(tenant.id)
            .execute(&mut *tx)
            .await?;
        for f in fields {
            sqlx::query(
                "INSERT INTO plugin_denied_fields (tenant_id, field, added_at) VALUES (?, ?, ?)",
            )
            .bind(tenant.id)
            .bind(f)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records an installation, retiring the current one of the same plugin
    /// in the same transaction (an upgrade). Returns the new row id.
    /// `notes` (given the new row id) are queued for the audit log in the
    /// same transaction.
    pub async fn install_plugin(
        &self,
        tenant: &Tenant,
        i: &NewInstallation<'_>,
        notes: impl FnOnce(i64) -> Result<Vec<crate::AuditNote>>,
    ) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE plugin_installations SET removed_at = ? WHERE tenant_id = ? AND plugin_id = ? AND removed_at IS NULL",
        )
        .bind(i.installed_at)
        .bind(tenant.id)
        .bind(i.plugin_id)
        .execute(&mut *tx)
        .await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO plugin_installations (tenant_id, plugin_id, version, kind, component_digest, \
             statement_digest, signer_key_id, purpose, config, config_hash, granted_fields, withheld_fields, \
             limits, installed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(tenant.id)
        .bind(i.plugin_id)
        .bind(i.version)
        .bind(i.kind)
        .bind(i.component_digest)
        .bind(i.statement_digest)
        .bind(i.signer_key_id)
        .bind(i.purpose)
        .bind(i.config)
        .bind(i.config_hash)
        .bind(i.granted_fields)
        .bind(i.withheld_fields)
        .bind(i.limits)
        .bind(i.installed_at)
        .fetch_one(&mut *tx)
        .await?;
        crate::audit_log::queue_notes(&mut tx, &notes(id)?).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Marks the current installation of a plugin removed; returns whether
    /// there was one. `notes` are queued for the audit log in the same
    /// transaction when there was.
    pub async fn uninstall_plugin(
        &self,
        tenant: &Tenant,
        plugin_id: &str,
        at: &str,
        notes: &[crate::AuditNote],
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE plugin_installations SET removed_at = ? WHERE tenant_id = ? AND plugin_id = ? AND removed_at IS NULL",
        )
        .bind(at)
        .bind(tenant.id)
        .bind(plugin_id)
        .execute(&mut *tx)
        .await?;
        let removed = done.rows_affected() > 0;
        if removed {
            crate::audit_log::queue_notes(&mut tx, notes).await?;
        }
        tx.commit().await?;
        Ok(removed)
    }

    /// The current installations of a tenant.
    pub async fn installations(&self, tenant: &Tenant) -> Result<Vec<StoredInstallation>> {
        Ok(sqlx::query_as(&format!(
            "{SELECT_INSTALLATIONS} WHERE tenant_id = ? AND removed_at IS NULL ORDER BY plugin_id",
        ))
        .bind(tenant.id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// One installation by row id, current or removed.
    pub async fn installation(
        &self,
        tenant: &Tenant,
        id: i64,
    ) -> Result<Option<StoredInstallation>> {
        Ok(sqlx::query_as(&format!(
            "{SELECT_INSTALLATIONS} WHERE tenant_id = ? AND id = ?",
        ))
        .bind(tenant.id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Records a finished run and its outputs in one transaction, with
    /// `notes` queued for the audit log.
    pub async fn record_run(
        &self,
        tenant: &Tenant,
        run: &StoredRun,
        outputs: &[OutputRow],
        notes: &[crate::AuditNote],
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO plugin_runs (id, tenant_id, installation_id, plugin_id, version, component_digest, \
             purpose, config_hash, input_hash, output_hash, as_of, seed, subjects, excluded, batches, fuel_used, \
             peak_memory, duration_ms, status, failure, diagnostics, replay_of, started_at, finished_at, previous_run) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&run.id)
        .bind(tenant.id)
        .bind(run.installation_id)
        .bind(&run.plugin_id)
        .bind(&run.version)
        .bind(&run.component_digest)
        .bind(&run.purpose)
        .bind(&run.config_hash)
        .bind(&run.input_hash)
        .bind(&run.output_hash)
        .bind(&run.as_of)
        .bind(run.seed)
        .bind(run.subjects)
        .bind(run.excluded)
        .bind(run.batches)
        .bind(run.fuel_used)
        .bind(run.peak_memory)
        .bind(run.duration_ms)
        .bind(&run.status)
        .bind(&run.failure)
        .bind(&run.diagnostics)
        .bind(&run.replay_of)
        .bind(&run.started_at)
        .bind(&run.finished_at)
        .bind(&run.previous_run)
        .execute(&mut *tx)
        .await?;
        // Multi-row inserts: 5 parameters a row, well under SQLite's limit.
        for chunk in outputs.chunks(2_000) {
            let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO plugin_outputs (run_id, stakeholder_id, score, label, named_values, explanation) ",
            );
            qb.push_values(chunk, |mut b, o| {
                b.push_bind(&run.id)
                    .push_bind(o.stakeholder_id)
                    .push_bind(o.score)
                    .push_bind(&o.label)
                    .push_bind(&o.named_values)
                    .push_bind(&o.explanation);
            });
            qb.build().execute(&mut *tx).await?;
        }
        crate::audit_log::queue_notes(&mut tx, notes).await?;
        tx.commit().await?;
        Ok(())
    }

    /// One run of a tenant.
    pub async fn run(&self, tenant: &Tenant, id: &str) -> Result<Option<StoredRun>> {
        Ok(
            sqlx::query_as(&format!("{SELECT_RUNS} WHERE tenant_id = ? AND id = ?",))
                .bind(tenant.id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The runs of a tenant, newest first.
    pub async fn runs(&self, tenant: &Tenant) -> Result<Vec<StoredRun>> {
        Ok(sqlx::query_as(&format!(
            "{SELECT_RUNS} WHERE tenant_id = ? \
             ORDER BY started_at DESC, id",
        ))
        .bind(tenant.id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The outputs of a run, by stakeholder row id; `limit` caps how many.
    pub async fn run_outputs(
        &self,
        tenant: &Tenant,
        run_id: &str,
        limit: Option<u64>,
    ) -> Result<Vec<StoredOutput>> {
        let limit = limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
        Ok(sqlx::query_as(
            "SELECT o.stakeholder_id, s.external_id, o.score, o.label, o.named_values, o.explanation \
             FROM plugin_outputs o JOIN plugin_runs r ON r.id = o.run_id JOIN stakeholders s ON s.id = o.stakeholder_id \
             WHERE r.tenant_id = ? AND o.run_id = ? ORDER BY o.stakeholder_id LIMIT ?",
        )
        .bind(tenant.id)
        .bind(run_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every stored output about one stakeholder, oldest run first (for a
    /// data-subject access request).
    pub async fn outputs_of(
        &self,
        tenant: &Tenant,
        stakeholder_id: i64,
    ) -> Result<Vec<SubjectOutput>> {
        Ok(sqlx::query_as(
            "SELECT r.id AS run_id, r.plugin_id, r.version, r.component_digest, r.purpose, r.as_of, o.score, \
             o.label, o.named_values, o.explanation FROM plugin_outputs o JOIN plugin_runs r ON r.id = o.run_id \
             WHERE r.tenant_id = ? AND o.stakeholder_id = ? ORDER BY r.started_at, r.id",
        )
        .bind(tenant.id)
        .bind(stakeholder_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The most recently recorded successful run of a plugin in a tenant
    /// that is not a replay: the run whose outputs the plugin's next run
    /// reads as `previous.*`.
    pub async fn latest_succeeded_run(
        &self,
        tenant: &Tenant,
        plugin_id: &str,
    ) -> Result<Option<StoredRun>> {
        Ok(sqlx::query_as(&format!(
            "{SELECT_RUNS} WHERE tenant_id = ? AND plugin_id = ? AND status = 'succeeded' \
             AND replay_of IS NULL ORDER BY rowid DESC LIMIT 1",
        ))
        .bind(tenant.id)
        .bind(plugin_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The score and label of every output of a run, by stakeholder row id
    /// (ascending). Outputs of erased subjects are gone (see `privacy.rs`).
    pub async fn run_scores(
        &self,
        tenant: &Tenant,
        run_id: &str,
    ) -> Result<Vec<(i64, f64, Option<String>)>> {
        Ok(sqlx::query_as(
            "SELECT o.stakeholder_id, o.score, o.label FROM plugin_outputs o \
             JOIN plugin_runs r ON r.id = o.run_id \
             WHERE r.tenant_id = ? AND o.run_id = ? ORDER BY o.stakeholder_id",
        )
        .bind(tenant.id)
        .bind(run_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// A page of a run's outputs for a fairness audit: at most `limit`
    /// outputs of stakeholders with row ids above `after`, in row-id order,
    /// each with its subject id and sealed gender and age band.
    pub async fn run_audit_page(
        &self,
        tenant: &Tenant,
        run_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<AuditedOutput>> {
        type Row = (
            i64,
            Vec<u8>,
            f64,
            Option<String>,
            Option<Vec<u8>>,
            Option<Vec<u8>>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT o.stakeholder_id, s.subject, o.score, o.label, s.gender_sealed, s.age_band_sealed \
             FROM plugin_outputs o JOIN stakeholders s ON s.id = o.stakeholder_id \
             WHERE o.run_id = ? AND s.tenant_id = ? AND o.stakeholder_id > ? \
             ORDER BY o.stakeholder_id LIMIT ?",
        )
        .bind(run_id)
        .bind(tenant.id)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, subject, score, label, gender, age_band)| {
                let subject: [u8; 16] = subject.as_slice().try_into().map_err(|_| {
                    StoreError::NotAStore(
                        "stakeholders".to_owned(),
                        format!("row {id} has a subject id that is not 16 bytes"),
                    )
                })?;
                Ok(AuditedOutput {
                    stakeholder_id: id,
                    subject,
                    score,
                    label,
                    gender_sealed: gender,
                    age_band_sealed: age_band,
                })
            })
            .collect()
    }

    /// How many outputs carry each label in a run, most frequent first.
    pub async fn run_label_counts(
        &self,
        tenant: &Tenant,
        run_id: &str,
    ) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT coalesce(o.label, '-'), count(*) AS n FROM plugin_outputs o JOIN plugin_runs r ON r.id = o.run_id \
             WHERE r.tenant_id = ? AND o.run_id = ? GROUP BY 1 ORDER BY n DESC, 1",
        )
        .bind(tenant.id)
        .bind(run_id)
        .fetch_all(&self.pool)
        .await?)
    }
}
