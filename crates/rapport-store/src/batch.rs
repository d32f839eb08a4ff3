//! Import writes: one [`Batch`] is one SQLite transaction, so a batch is
//! all-or-nothing even if the process is killed half-way.
//!
//! Upserts are keyed by `(tenant_id, external_id)` and only touch a row whose
//! content changed, so re-importing a file writes nothing.

use std::collections::HashMap;

use rapport_domain::rows::{DeliveryRow, ReferralRow, TransactionRow};
use rapport_domain::StakeholderKind;
use sqlx::{QueryBuilder, Sqlite, Transaction};

use crate::records::*;
use crate::Result;

/// SQLite accepts at most 32,766 bound parameters per statement; chunks stay
/// well under it whatever the table's width.
const MAX_PARAMS: usize = 30_000;

/// One all-or-nothing write transaction for one tenant.
pub struct Batch<'t> {
    tx: Transaction<'static, Sqlite>,
    tenant: &'t Tenant,
}

impl std::fmt::Debug for Batch<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("tenant", &self.tenant.name)
            .finish()
    }
}

fn chunk_rows(columns: usize) -> usize {
    (MAX_PARAMS / columns).max(1)
}

impl<'t> Batch<'t> {
    pub(crate) fn new(tx: Transaction<'static, Sqlite>, tenant: &'t Tenant) -> Self {
        Batch { tx, tenant }
    }

    /// Every stakeholder of the tenant, by external id.
    ///
    /// Loading a million rows one by one costs several microseconds each in
    /// the driver, so SQLite packs each page of rows into one text value
    /// (`id kind erased subject-hex fingerprint-hex external-id`, a line
    /// each) that is split here. External ids never hold spaces or line
    /// breaks (see `EXTERNAL_ID_PATTERN`), so the packing is unambiguous.
    /// Pages walk the rowid (`+tenant_id` keeps the planner off the
    /// `(tenant_id, external_id)` index, which would re-sort the whole tenant
    /// for every page).
    pub async fn stakeholder_index(&mut self) -> Result<HashMap<String, StakeholderRef>> {
        const PAGE: i64 = 20_000;
        let mut index = HashMap::new();
        let mut after = 0i64;
        loop {
            let (packed, last): (Option<String>, Option<i64>) = sqlx::query_as(
                "SELECT group_concat(id || ' ' || kind || ' ' || (erased_at IS NOT NULL) || ' ' || \
                 hex(subject) || ' ' || hex(fingerprint) || ' ' || external_id, char(10)), max(id) \
                 FROM (SELECT * FROM stakeholders WHERE +tenant_id = ? AND id > ? ORDER BY id LIMIT ?)",
            )
            .bind(self.tenant.id)
            .bind(after)
            .bind(PAGE)
            .fetch_one(&mut *self.tx)
            .await?;
            let (Some(packed), Some(last)) = (packed, last) else {
                break;
            };
            index.reserve(PAGE as usize);
            for line in packed.split('\n') {
                if let Some((external_id, r)) = parse_index_line(line) {
                    index.insert(external_id.to_owned(), r);
                } else {
                    tracing::error!(tenant = %self.tenant.name, "unreadable stakeholder index line");
                }
            }
            after = last;
        }
        Ok(index)
    }

    /// Inserts new stakeholders and updates changed ones; returns the row id
    /// of each by external id.
    pub async fn upsert_stakeholders(
        &mut self,
        rows: &[StakeholderRecord],
    ) -> Result<Vec<(String, i64)>> {
        let mut ids = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(chunk_rows(20)) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO stakeholders (tenant_id, external_id, kind, subject, fingerprint, country, region, \
                 signup_date, category, partner_type, name_sealed, contact_name_sealed, email_sealed, \
                 phone_sealed, address_sealed, birth_date_sealed, gender_sealed, age_band_sealed, notes_sealed) ",
            );
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(self.tenant.id)
                    .push_bind(r.external_id.as_str())
                    .push_bind(r.kind.as_str())
                    .push_bind(&r.subject[..])
                    .push_bind(&r.fingerprint[..])
                    .push_bind(r.country.as_deref())
                    .push_bind(r.region.as_deref())
                    .push_bind(r.signup_date.as_deref())
                    .push_bind(r.category.as_deref())
                    .push_bind(r.partner_type.as_deref())
                    .push_bind(r.sealed.name.as_deref())
                    .push_bind(r.sealed.contact_name.as_deref())
                    .push_bind(r.sealed.email.as_deref())
                    .push_bind(r.sealed.phone.as_deref())
                    .push_bind(r.sealed.address.as_deref())
                    .push_bind(r.sealed.birth_date.as_deref())
                    .push_bind(r.sealed.gender.as_deref())
                    .push_bind(r.sealed.age_band.as_deref())
                    .push_bind(r.sealed.notes.as_deref());
            });
            qb.push(
                " ON CONFLICT (tenant_id, external_id) DO UPDATE SET \
                 fingerprint = excluded.fingerprint, country = excluded.country, region = excluded.region, \
                 signup_date = excluded.signup_date, category = excluded.category, \
                 partner_type = excluded.partner_type, name_sealed = excluded.name_sealed, \
                 contact_name_sealed = excluded.contact_name_sealed, email_sealed = excluded.email_sealed, \
                 phone_sealed = excluded.phone_sealed, address_sealed = excluded.address_sealed, \
                 birth_date_sealed = excluded.birth_date_sealed, gender_sealed = excluded.gender_sealed, \
                 age_band_sealed = excluded.age_band_sealed, notes_sealed = excluded.notes_sealed \
                 WHERE stakeholders.fingerprint <> excluded.fingerprint \
                 RETURNING external_id, id",
            );
            let got: Vec<(String, i64)> = qb.build_query_as().fetch_all(&mut *self.tx).await?;
            ids.extend(got);
        }
        Ok(ids)
    }

    /// Upserts transactions; `rows` pairs each row with its customer's row id.
    pub async fn upsert_transactions(
        &mut self,
        rows: &[(i64, &TransactionRow)],
    ) -> Result<WriteCounts> {
        let mut counts = WriteCounts::default();
        for chunk in rows.chunks(chunk_rows(9)) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO transactions (tenant_id, external_id, stakeholder_id, date, quantity, amount, \
                 currency, channel) ",
            );
            qb.push_values(chunk, |mut b, (sid, r)| {
                b.push_bind(self.tenant.id)
                    .push_bind(r.id.as_str())
                    .push_bind(*sid)
                    .push_bind(r.date.as_str())
                    .push_bind(r.quantity)
                    .push_bind(r.amount)
                    .push_bind(r.currency.as_deref())
                    .push_bind(r.channel.as_deref());
            });
            qb.push(
                " ON CONFLICT (tenant_id, external_id) DO UPDATE SET \
                 stakeholder_id = excluded.stakeholder_id, date = excluded.date, quantity = excluded.quantity, \
                 amount = excluded.amount, currency = excluded.currency, channel = excluded.channel \
                 WHERE transactions.stakeholder_id IS NOT excluded.stakeholder_id \
                 OR transactions.date IS NOT excluded.date OR transactions.quantity IS NOT excluded.quantity \
                 OR transactions.amount IS NOT excluded.amount OR transactions.currency IS NOT excluded.currency \
                 OR transactions.channel IS NOT excluded.channel",
            );
            let done = qb.build().execute(&mut *self.tx).await?;
            counts += counted(chunk.len(), done.rows_affected());
        }
        Ok(counts)
    }

    /// Upserts interactions; a row is rewritten only when its fingerprint changed.
    pub async fn upsert_interactions(&mut self, rows: &[InteractionRecord]) -> Result<WriteCounts> {
        let mut counts = WriteCounts::default();
        for chunk in rows.chunks(chunk_rows(11)) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO interactions (tenant_id, external_id, stakeholder_id, occurred_at, kind, channel, \
                 nps, sentiment, fingerprint, text_sealed) ",
            );
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(self.tenant.id)
                    .push_bind(r.external_id.as_str())
                    .push_bind(r.stakeholder_id)
                    .push_bind(r.occurred_at.as_str())
                    .push_bind(r.kind.as_str())
                    .push_bind(r.channel.as_deref())
                    .push_bind(r.nps)
                    .push_bind(r.sentiment)
                    .push_bind(&r.fingerprint[..])
                    .push_bind(r.text_sealed.as_deref());
            });
            qb.push(
                " ON CONFLICT (tenant_id, external_id) DO UPDATE SET \
                 stakeholder_id = excluded.stakeholder_id, occurred_at = excluded.occurred_at, \
                 kind = excluded.kind, channel = excluded.channel, nps = excluded.nps, \
                 sentiment = excluded.sentiment, fingerprint = excluded.fingerprint, \
                 text_sealed = excluded.text_sealed \
                 WHERE interactions.fingerprint <> excluded.fingerprint",
            );
            let done = qb.build().execute(&mut *self.tx).await?;
            counts += counted(chunk.len(), done.rows_affected());
        }
        Ok(counts)
    }

    /// Upserts supplier deliveries; `rows` pairs each with its supplier's row id.
    pub async fn upsert_deliveries(&mut self, rows: &[(i64, &DeliveryRow)]) -> Result<WriteCounts> {
        let mut counts = WriteCounts::default();
        for chunk in rows.chunks(chunk_rows(13)) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO deliveries (tenant_id, external_id, stakeholder_id, order_date, promised_date, \
                 delivered_date, quantity_ordered, quantity_delivered, quantity_accepted, unit_price, \
                 agreed_unit_price, response_hours) ",
            );
            qb.push_values(chunk, |mut b, (sid, r)| {
                b.push_bind(self.tenant.id)
                    .push_bind(r.id.as_str())
                    .push_bind(*sid)
                    .push_bind(r.order_date.as_str())
                    .push_bind(r.promised_date.as_str())
                    .push_bind(r.delivered_date.as_deref())
                    .push_bind(r.quantity_ordered)
                    .push_bind(r.quantity_delivered)
                    .push_bind(r.quantity_accepted)
                    .push_bind(r.unit_price)
                    .push_bind(r.agreed_unit_price)
                    .push_bind(r.response_hours);
            });
            qb.push(
                " ON CONFLICT (tenant_id, external_id) DO UPDATE SET \
                 stakeholder_id = excluded.stakeholder_id, order_date = excluded.order_date, \
                 promised_date = excluded.promised_date, delivered_date = excluded.delivered_date, \
                 quantity_ordered = excluded.quantity_ordered, quantity_delivered = excluded.quantity_delivered, \
                 quantity_accepted = excluded.quantity_accepted, unit_price = excluded.unit_price, \
                 agreed_unit_price = excluded.agreed_unit_price, response_hours = excluded.response_hours \
                 WHERE deliveries.stakeholder_id IS NOT excluded.stakeholder_id \
                 OR deliveries.order_date IS NOT excluded.order_date \
                 OR deliveries.promised_date IS NOT excluded.promised_date \
                 OR deliveries.delivered_date IS NOT excluded.delivered_date \
                 OR deliveries.quantity_ordered IS NOT excluded.quantity_ordered \
                 OR deliveries.quantity_delivered IS NOT excluded.quantity_delivered \
                 OR deliveries.quantity_accepted IS NOT excluded.quantity_accepted \
                 OR deliveries.unit_price IS NOT excluded.unit_price \
                 OR deliveries.agreed_unit_price IS NOT excluded.agreed_unit_price \
                 OR deliveries.response_hours IS NOT excluded.response_hours",
            );
            let done = qb.build().execute(&mut *self.tx).await?;
            counts += counted(chunk.len(), done.rows_affected());
        }
        Ok(counts)
    }

    /// Upserts referrals; `rows` carries (referrer row id, referred row id, row).
    pub async fn upsert_referrals(
        &mut self,
        rows: &[(i64, i64, &ReferralRow)],
    ) -> Result<WriteCounts> {
        let mut counts = WriteCounts::default();
        for chunk in rows.chunks(chunk_rows(5)) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO referrals (tenant_id, external_id, referrer_id, referred_id, date) ",
            );
            qb.push_values(chunk, |mut b, (from, to, r)| {
                b.push_bind(self.tenant.id)
                    .push_bind(r.id.as_str())
                    .push_bind(*from)
                    .push_bind(*to)
                    .push_bind(r.date.as_str());
            });
            qb.push(
                " ON CONFLICT (tenant_id, external_id) DO UPDATE SET \
                 referrer_id = excluded.referrer_id, referred_id = excluded.referred_id, date = excluded.date \
                 WHERE referrals.referrer_id IS NOT excluded.referrer_id \
                 OR referrals.referred_id IS NOT excluded.referred_id OR referrals.date IS NOT excluded.date",
            );
            let done = qb.build().execute(&mut *self.tx).await?;
            counts += counted(chunk.len(), done.rows_affected());
        }
        Ok(counts)
    }

    /// Fingerprints of stored consent record versions among `keys`
    /// (external id, version).
    pub async fn consent_fingerprints(
        &mut self,
        keys: &[(&str, i64)],
    ) -> Result<HashMap<(String, i64), [u8; 32]>> {
        let mut out = HashMap::new();
        for chunk in keys.chunks(chunk_rows(1) - 1) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "SELECT external_id, version, fingerprint FROM consents WHERE tenant_id = ",
            );
            qb.push_bind(self.tenant.id);
            qb.push(" AND external_id IN (");
            let mut sep = qb.separated(", ");
            for (id, _) in chunk {
                sep.push_bind(*id);
            }
            sep.push_unseparated(")");
            let got: Vec<(String, i64, Vec<u8>)> =
                qb.build_query_as().fetch_all(&mut *self.tx).await?;
            for (id, version, fp) in got {
                let mut f = [0u8; 32];
                let n = fp.len().min(32);
                f[..n].copy_from_slice(&fp[..n]);
                out.insert((id, version), f);
            }
        }
        Ok(out)
    }

    /// Appends consent records. Records already stored are skipped; the
    /// caller refuses a changed record before it gets here.
    pub async fn append_consents(&mut self, rows: &[ConsentRecord]) -> Result<WriteCounts> {
        let mut counts = WriteCounts::default();
        for chunk in rows.chunks(chunk_rows(20)) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO consents (tenant_id, external_id, version, stakeholder_id, purpose, lawful_basis, \
                 status, jurisdiction, recorded_at, expires_at, notice_id, notice_version, method, source, \
                 evidence_ref, actor, explicit, given_by, fingerprint) ",
            );
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(self.tenant.id)
                    .push_bind(r.external_id.as_str())
                    .push_bind(r.version)
                    .push_bind(r.stakeholder_id)
                    .push_bind(r.purpose.as_str())
                    .push_bind(r.lawful_basis.as_str())
                    .push_bind(r.status.as_str())
                    .push_bind(r.jurisdiction.as_str())
                    .push_bind(r.recorded_at.as_str())
                    .push_bind(r.expires_at.as_deref())
                    .push_bind(r.notice_id.as_deref())
                    .push_bind(r.notice_version)
                    .push_bind(r.method.as_str())
                    .push_bind(r.source.as_deref())
                    .push_bind(r.evidence_ref.as_deref())
                    .push_bind(r.actor.as_deref())
                    .push_bind(r.explicit)
                    .push_bind(r.given_by.as_str())
                    .push_bind(&r.fingerprint[..]);
            });
            qb.push(" ON CONFLICT (tenant_id, external_id, version) DO NOTHING");
            let done = qb.build().execute(&mut *self.tx).await?;
            counts += counted(chunk.len(), done.rows_affected());
            if done.rows_affected() > 0 {
                let mut ids: Vec<i64> = chunk.iter().map(|r| r.stakeholder_id).collect();
                ids.sort_unstable();
                ids.dedup();
                self.rebuild_ledgers(&ids).await?;
            }
        }
        Ok(counts)
    }

    /// Rebuilds the packed ledgers (`consent_ledgers`) of some stakeholders
    /// from their consent records.
    async fn rebuild_ledgers(&mut self, stakeholder_ids: &[i64]) -> Result<()> {
        for chunk in stakeholder_ids.chunks(chunk_rows(1) - 1) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT OR REPLACE INTO consent_ledgers (stakeholder_id, tenant_id, packed) \
                 SELECT stakeholder_id, tenant_id, group_concat(",
            );
            qb.push(crate::consent::PACKED_CONSENT);
            qb.push(", char(10)) FROM consents WHERE tenant_id = ");
            qb.push_bind(self.tenant.id);
            qb.push(" AND stakeholder_id IN (");
            let mut sep = qb.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            sep.push_unseparated(") GROUP BY stakeholder_id");
            qb.build().execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Records the completed import in the import log.
    pub async fn record_import(&mut self, rec: &ImportRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO imports (tenant_id, kind, source, sha256, rows, written, unchanged, finished_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(self.tenant.id)
        .bind(rec.kind.as_str())
        .bind(rec.source.as_str())
        .bind(&rec.sha256[..])
        .bind(to_i64(rec.rows))
        .bind(to_i64(rec.written))
        .bind(to_i64(rec.unchanged))
        .bind(rec.finished_at.as_str())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Queues audit log entries, to commit with everything else in the batch.
    pub async fn queue_audit(&mut self, notes: &[crate::AuditNote]) -> Result<()> {
        crate::audit_log::queue_notes(&mut self.tx, notes).await
    }

    /// Commits everything written through this batch, atomically.
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }

    /// Discards everything written through this batch.
    pub async fn rollback(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}

fn parse_index_line(line: &str) -> Option<(&str, StakeholderRef)> {
    let mut parts = line.splitn(6, ' ');
    let id = parts.next()?.parse().ok()?;
    let kind = StakeholderKind::parse(parts.next()?)?;
    let erased = parts.next()? == "1";
    let subject = unhex::<16>(parts.next()?)?;
    let fingerprint = unhex::<32>(parts.next()?)?;
    let external_id = parts.next()?;
    Some((
        external_id,
        StakeholderRef {
            id,
            kind,
            subject,
            fingerprint,
            erased,
        },
    ))
}

fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let b = s.as_bytes();
    if b.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (i, pair) in b.chunks_exact(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        out[i] = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

fn counted(rows: usize, affected: u64) -> WriteCounts {
    let rows = rows as u64;
    WriteCounts {
        written: affected.min(rows),
        unchanged: rows.saturating_sub(affected),
    }
}

pub(crate) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
