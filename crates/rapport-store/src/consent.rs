//! The consent ledger and privacy notices: reads for decisions and history,
//! and the append of single records. Consent rows are never updated or
//! deleted (the database refuses it); a correction is a new version.

use rapport_domain::StakeholderKind;

use crate::records::{ConsentRecord, Tenant};
use crate::{to_16, Result, Store, StoreError};

/// A consent record as stored.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct StoredConsent {
    pub stakeholder_id: i64,
    pub external_id: String,
    pub version: i64,
    pub purpose: String,
    pub lawful_basis: String,
    pub status: String,
    pub jurisdiction: String,
    pub recorded_at: String,
    pub expires_at: Option<String>,
    pub notice_id: Option<String>,
    pub notice_version: Option<i64>,
    pub method: String,
    pub source: Option<String>,
    pub evidence_ref: Option<String>,
    pub actor: Option<String>,
    pub explicit: bool,
    pub given_by: String,
}

/// One immutable version of a privacy notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredNotice {
    pub notice_id: String,
    pub version: i64,
    pub content_sha256: String,
    pub material_change: bool,
    pub published_at: String,
}

/// What a consent decision needs to know about a stakeholder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerSubject {
    pub id: i64,
    pub external_id: String,
    pub subject: [u8; 16],
    pub country: Option<String>,
    pub region: Option<String>,
    pub has_birth_date: bool,
    pub erased: bool,
}

/// A page of subjects with every consent record of each, in id order.
#[derive(Clone, Debug, Default)]
pub struct LedgerPage {
    pub subjects: Vec<LedgerSubject>,
    /// Sorted by stakeholder id.
    pub consents: Vec<StoredConsent>,
}

/// How one consent record version is packed into a ledger line; fields never
/// contain spaces (ids, purposes and codes are patterned, instants RFC 3339).
pub(crate) const PACKED_CONSENT: &str = "printf('%d %s %d %s %s %s %s %s %s %s %s %s %d %s', \
     stakeholder_id, external_id, version, purpose, lawful_basis, status, jurisdiction, recorded_at, \
     coalesce(expires_at, '-'), coalesce(notice_id, '-'), coalesce(notice_version, '-'), method, explicit, \
     given_by)";

const CONSENT_COLUMNS: &str = "stakeholder_id, external_id, version, purpose, lawful_basis, status, \
     jurisdiction, recorded_at, expires_at, notice_id, notice_version, method, source, evidence_ref, actor, \
     explicit, given_by";

fn opt(s: &str) -> Option<String> {
    (s != "-").then(|| s.to_owned())
}

/// Parses one packed consent line (see [`Store::ledger_page`]).
pub(crate) fn parse_consent(line: &str) -> Option<StoredConsent> {
    let mut p = line.split(' ');
    Some(StoredConsent {
        stakeholder_id: p.next()?.parse().ok()?,
        external_id: p.next()?.to_owned(),
        version: p.next()?.parse().ok()?,
        purpose: p.next()?.to_owned(),
        lawful_basis: p.next()?.to_owned(),
        status: p.next()?.to_owned(),
        jurisdiction: p.next()?.to_owned(),
        recorded_at: p.next()?.to_owned(),
        expires_at: opt(p.next()?),
        notice_id: opt(p.next()?),
        notice_version: match p.next()? {
            "-" => None,
            v => Some(v.parse().ok()?),
        },
        method: p.next()?.to_owned(),
        explicit: p.next()? == "1",
        given_by: p.next()?.to_owned(),
        source: None,
        evidence_ref: None,
        actor: None,
    })
}

fn parse_subject(line: &str) -> Option<LedgerSubject> {
    let mut p = line.split(' ');
    let id = p.next()?.parse().ok()?;
    let external_id = p.next()?.to_owned();
    let hex = p.next()?;
    let mut subject = [0u8; 16];
    for (i, pair) in hex.as_bytes().chunks_exact(2).enumerate().take(16) {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        subject[i] = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(LedgerSubject {
        id,
        external_id,
        subject,
        country: opt(p.next()?),
        region: opt(p.next()?),
        has_birth_date: p.next()? == "1",
        erased: p.next()? == "1",
    })
}

impl Store {
    /// Every version of every consent record of one stakeholder, oldest first.
    pub async fn consents_of(
        &self,
        tenant: &Tenant,
        stakeholder_id: i64,
    ) -> Result<Vec<StoredConsent>> {
        let rows: Vec<StoredConsent> = sqlx::query_as(&format!(
            "SELECT {CONSENT_COLUMNS} FROM consents WHERE tenant_id = ? AND stakeholder_id = ? \
             ORDER BY recorded_at, external_id, version"
        ))
        .bind(tenant.id)
        .bind(stakeholder_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }

    /// Appends one consent record (a new id, or a new version of an id).
    /// Returns false if exactly this version is already stored.
    /// `notes` are queued for the audit log in the same transaction.
    pub async fn append_consent(
        &self,
        tenant: &Tenant,
        c: &ConsentRecord,
        notes: &[crate::AuditNote],
    ) -> Result<bool> {
        let mut batch = self.begin(tenant).await?;
        let counts = batch.append_consents(std::slice::from_ref(c)).await?;
        if counts.written == 1 {
            batch.queue_audit(notes).await?;
        }
        batch.commit().await?;
        Ok(counts.written == 1)
    }

    /// The highest stored version of a consent record id.
    pub async fn consent_version(&self, tenant: &Tenant, external_id: &str) -> Result<Option<i64>> {
        let (v,): (Option<i64>,) = sqlx::query_as(
            "SELECT max(version) FROM consents WHERE tenant_id = ? AND external_id = ?",
        )
        .bind(tenant.id)
        .bind(external_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(v)
    }

    /// The highest stakeholder row id of a tenant (0 when it has none).
    pub async fn max_stakeholder_id(&self, tenant: &Tenant) -> Result<i64> {
        let (max,): (Option<i64>,) =
            sqlx::query_as("SELECT max(id) FROM stakeholders WHERE tenant_id = ?")
                .bind(tenant.id)
                .fetch_one(&self.pool)
                .await?;
        Ok(max.unwrap_or(0))
    }

    /// The customers with row ids in `(after, until]`, with all their consent
    /// records. Rows are packed into one text value per query by SQLite
    /// (fields never contain spaces), which is an order of magnitude faster
    /// than fetching them one by one through the driver; ranges of ids let
    /// several pages be read at once.
    pub async fn ledger_page(&self, tenant: &Tenant, after: i64, until: i64) -> Result<LedgerPage> {
        let (packed,): (Option<String>,) = sqlx::query_as(
            "SELECT group_concat(printf('%d %s %s %s %s %d %d', id, external_id, hex(subject), \
             coalesce(country, '-'), coalesce(region, '-'), birth_date_sealed IS NOT NULL, \
             erased_at IS NOT NULL), char(10)) \
             FROM stakeholders WHERE id > ? AND id <= ? AND +tenant_id = ? AND kind = ?",
        )
        .bind(after)
        .bind(until)
        .bind(tenant.id)
        .bind(StakeholderKind::Customer.as_str())
        .fetch_one(&self.pool)
        .await?;
        let mut subjects: Vec<LedgerSubject> = packed
            .as_deref()
            .unwrap_or("")
            .split('\n')
            .filter(|l| !l.is_empty())
            .filter_map(parse_subject)
            .collect();
        subjects.sort_by_key(|s| s.id);
        let (consents,): (Option<String>,) = sqlx::query_as(
            "SELECT group_concat(packed, char(10)) FROM consent_ledgers \
             WHERE stakeholder_id > ? AND stakeholder_id <= ? AND tenant_id = ?",
        )
        .bind(after)
        .bind(until)
        .bind(tenant.id)
        .fetch_one(&self.pool)
        .await?;
        let mut consents: Vec<StoredConsent> = consents
            .as_deref()
            .unwrap_or("")
            .split('\n')
            .filter(|l| !l.is_empty())
            .filter_map(parse_consent)
            .collect();
        consents.sort_by_key(|c| c.stakeholder_id);
        Ok(LedgerPage { subjects, consents })
    }

    /// The sealed birth dates of some stakeholders, by row id (packed like
    /// the ledger reads).
    pub async fn birth_dates(&self, tenant: &Tenant, ids: &[i64]) -> Result<Vec<(i64, Vec<u8>)>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(30_000) {
            let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "SELECT group_concat(id || ' ' || hex(birth_date_sealed), char(10)) FROM stakeholders \
                 WHERE birth_date_sealed IS NOT NULL AND +tenant_id = ",
            );
            qb.push_bind(tenant.id);
            qb.push(" AND id IN (");
            let mut sep = qb.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            sep.push_unseparated(")");
            let (packed,): (Option<String>,) = qb.build_query_as().fetch_one(&self.pool).await?;
            for line in packed.as_deref().unwrap_or("").split('\n') {
                if let Some((id, hex)) = line.split_once(' ') {
                    if let (Ok(id), Some(sealed)) = (id.parse(), crate::keystore::unhex(hex)) {
                        out.push((id, sealed));
                    }
                }
            }
        }
        Ok(out)
    }

    /// Publishes a new version of a notice; returns its version number.
    /// `notes` (given the version) are queued for the audit log in the same
    /// transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn publish_notice(
        &self,
        tenant: &Tenant,
        notice_id: &str,
        content: &str,
        content_sha256: &str,
        material_change: bool,
        published_at: &str,
        notes: impl FnOnce(i64) -> Result<Vec<crate::AuditNote>>,
    ) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let (latest,): (Option<i64>,) = sqlx::query_as(
            "SELECT max(version) FROM notices WHERE tenant_id = ? AND notice_id = ?",
        )
        .bind(tenant.id)
        .bind(notice_id)
        .fetch_one(&mut *tx)
        .await?;
        let version = latest.unwrap_or(0) + 1;
        sqlx::query(
            "INSERT INTO notices (tenant_id, notice_id, version, content_sha256, material_change, published_at, content) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(tenant.id)
        .bind(notice_id)
        .bind(version)
        .bind(content_sha256)
        .bind(material_change)
        .bind(published_at)
        .bind(content)
        .execute(&mut *tx)
        .await?;
        crate::audit_log::queue_notes(&mut tx, &notes(version)?).await?;
        tx.commit().await?;
        Ok(version)
    }

    /// Every notice version of a tenant.
    pub async fn notices(&self, tenant: &Tenant) -> Result<Vec<StoredNotice>> {
        let rows: Vec<(String, i64, String, bool, String)> = sqlx::query_as(
            "SELECT notice_id, version, content_sha256, material_change, published_at FROM notices \
             WHERE tenant_id = ? ORDER BY notice_id, version",
        )
        .bind(tenant.id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(notice_id, version, content_sha256, material_change, published_at)| {
                    StoredNotice {
                        notice_id,
                        version,
                        content_sha256,
                        material_change,
                        published_at,
                    }
                },
            )
            .collect())
    }

    /// The row id and subject of a stakeholder, by external id.
    pub async fn stakeholder_ref(
        &self,
        tenant: &Tenant,
        external_id: &str,
    ) -> Result<(i64, [u8; 16])> {
        let row: Option<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT id, subject FROM stakeholders WHERE tenant_id = ? AND external_id = ?",
        )
        .bind(tenant.id)
        .bind(external_id)
        .fetch_optional(&self.pool)
        .await?;
        let (id, subject) =
            row.ok_or_else(|| StoreError::UnknownStakeholder(external_id.to_owned()))?;
        Ok((id, to_16(&subject)))
    }
}
