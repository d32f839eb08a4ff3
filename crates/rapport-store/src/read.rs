//! Reads over one tenant's data.

use rapport_domain::StakeholderKind;

use crate::batch::to_i64;
use crate::records::*;
use crate::{to_16, Result, Store, StoreError};

type ProfileRow = (
    i64,
    String,
    String,
    Vec<u8>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

type SealedRow = (
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
);

impl Store {
    /// Row counts of one tenant's tables.
    pub async fn counts(&self, tenant: &Tenant) -> Result<TenantCounts> {
        let mut c = TenantCounts::default();
        let kinds: Vec<(String, i64)> = sqlx::query_as(
            "SELECT kind, count(*) FROM stakeholders WHERE tenant_id = ? GROUP BY kind",
        )
        .bind(tenant.id)
        .fetch_all(&self.pool)
        .await?;
        for (kind, n) in kinds {
            let n = u64::try_from(n).unwrap_or(0);
            match StakeholderKind::parse(&kind) {
                Some(StakeholderKind::Customer) => c.customers = n,
                Some(StakeholderKind::Supplier) => c.suppliers = n,
                Some(StakeholderKind::Partner) => c.partners = n,
                None => {}
            }
        }
        for (table, slot) in [
            ("transactions", &mut c.transactions),
            ("interactions", &mut c.interactions),
            ("deliveries", &mut c.deliveries),
            ("referrals", &mut c.referrals),
            ("consents", &mut c.consents),
            ("imports", &mut c.imports),
        ] {
            // Table names come from the fixed list above, never from input.
            let (n,): (i64,) =
                sqlx::query_as(&format!("SELECT count(*) FROM {table} WHERE tenant_id = ?"))
                    .bind(tenant.id)
                    .fetch_one(&self.pool)
                    .await?;
            *slot = u64::try_from(n).unwrap_or(0);
        }
        Ok(c)
    }

    /// One stakeholder with its sealed fields.
    pub async fn stakeholder(
        &self,
        tenant: &Tenant,
        external_id: &str,
    ) -> Result<StakeholderProfile> {
        let row: Option<ProfileRow> = sqlx::query_as(
            "SELECT id, external_id, kind, subject, country, region, signup_date, category, partner_type, \
             erased_at FROM stakeholders WHERE tenant_id = ? AND external_id = ?",
        )
        .bind(tenant.id)
        .bind(external_id)
        .fetch_optional(&self.pool)
        .await?;
        let (
            id,
            external_id,
            kind,
            subject,
            country,
            region,
            signup_date,
            category,
            partner_type,
            erased_at,
        ) = row.ok_or_else(|| StoreError::UnknownStakeholder(external_id.to_owned()))?;
        let s: SealedRow = sqlx::query_as(
            "SELECT name_sealed, contact_name_sealed, email_sealed, phone_sealed, address_sealed, \
             birth_date_sealed, gender_sealed, age_band_sealed, notes_sealed FROM stakeholders WHERE id = ?",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(StakeholderProfile {
            id,
            external_id,
            kind: StakeholderKind::parse(&kind).unwrap_or(StakeholderKind::Customer),
            subject: to_16(&subject),
            country,
            region,
            signup_date,
            category,
            partner_type,
            erased_at,
            sealed: SealedFields {
                name: s.0,
                contact_name: s.1,
                email: s.2,
                phone: s.3,
                address: s.4,
                birth_date: s.5,
                gender: s.6,
                age_band: s.7,
                notes: s.8,
            },
        })
    }

    /// External ids of a tenant's stakeholders of one kind, in id order, a page at a time.
    pub async fn stakeholder_ids(
        &self,
        tenant: &Tenant,
        kind: StakeholderKind,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT external_id FROM stakeholders WHERE tenant_id = ? AND kind = ? ORDER BY id LIMIT ? OFFSET ?",
        )
        .bind(tenant.id)
        .bind(kind.as_str())
        .bind(to_i64(limit))
        .bind(to_i64(offset))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(s,)| s).collect())
    }

    /// Marks a stakeholder erased (its data key is destroyed in the key store).
    pub async fn mark_erased(
        &self,
        tenant: &Tenant,
        external_id: &str,
        erased_at: &str,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE stakeholders SET erased_at = coalesce(erased_at, ?) WHERE tenant_id = ? AND external_id = ?",
        )
        .bind(erased_at)
        .bind(tenant.id)
        .bind(external_id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::UnknownStakeholder(external_id.to_owned()));
        }
        Ok(())
    }
}

impl Store {
    /// A canonical text dump of every row of every table, in table and row
    /// order: equal dumps mean equal stored content, whatever the file
    /// bytes. Used to prove that a rejected import changed nothing.
    pub async fn content_dump(&self) -> Result<Vec<String>> {
        let tables: Vec<(String,)> = sqlx::query_as(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name NOT LIKE '_sqlx%' ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for (table,) in tables {
            let cols: Vec<(String,)> =
                sqlx::query_as("SELECT name FROM pragma_table_info(?) ORDER BY cid")
                    .bind(&table)
                    .fetch_all(&self.pool)
                    .await?;
            if cols.is_empty() {
                continue;
            }
            // Names come from the schema itself, quoted as identifiers.
            let expr = cols
                .iter()
                .map(|(c,)| format!("quote(\"{}\")", c.replace('"', "\"\"")))
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            // Ordered by the dumped text itself: tables without a rowid have
            // no other order that always exists.
            let sql = format!(
                "SELECT {expr} FROM \"{}\" ORDER BY 1",
                table.replace('"', "\"\"")
            );
            let rows: Vec<(String,)> = sqlx::query_as(&sql).fetch_all(&self.pool).await?;
            out.push(format!("table {table}"));
            out.extend(rows.into_iter().map(|(r,)| r));
        }
        Ok(out)
    }
}
