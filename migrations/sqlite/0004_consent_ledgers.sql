-- A derived, packed copy of each stakeholder's consent ledger: one text
-- value per stakeholder, one line per record version. It is rebuilt from
-- `consents` in the same transaction whenever records are appended, so that
-- deciding a purpose for a whole tenant reads one short value per subject
-- instead of formatting millions of rows. `consents` remains the evidence;
-- this table can always be rebuilt from it.

CREATE TABLE consent_ledgers (
    stakeholder_id  INTEGER NOT NULL PRIMARY KEY REFERENCES stakeholders (id),
    tenant_id       INTEGER NOT NULL REFERENCES tenants (id),
    packed          TEXT    NOT NULL
) WITHOUT ROWID;

-- Existing records, packed exactly as `rapport-store` packs them
-- (`consent::PACKED_CONSENT`).
INSERT INTO consent_ledgers (stakeholder_id, tenant_id, packed)
SELECT stakeholder_id, tenant_id,
       group_concat(printf('%d %s %d %s %s %s %s %s %s %s %s %s %d %s',
           stakeholder_id, external_id, version, purpose, lawful_basis, status, jurisdiction, recorded_at,
           coalesce(expires_at, '-'), coalesce(notice_id, '-'), coalesce(notice_version, '-'), method, explicit,
           given_by), char(10))
FROM consents
GROUP BY stakeholder_id, tenant_id;
