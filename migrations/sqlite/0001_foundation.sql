-- Rapport's main store: one row per tenant, stakeholders with sealed personal
-- fields, and the records that refer to them. Every table but `tenants`
-- carries `tenant_id`, and every unique key starts with it: nothing is shared
-- across tenants. Personal fields are `*_sealed` BLOBs produced by the vault;
-- plaintext personal data never reaches this database.

CREATE TABLE tenants (
    id          INTEGER PRIMARY KEY,
    uuid        BLOB    NOT NULL UNIQUE CHECK (length(uuid) = 16),
    name        TEXT    NOT NULL UNIQUE,
    created_at  TEXT    NOT NULL
);

CREATE TABLE stakeholders (
    id                   INTEGER PRIMARY KEY,
    tenant_id            INTEGER NOT NULL REFERENCES tenants (id),
    external_id          TEXT    NOT NULL,
    kind                 TEXT    NOT NULL CHECK (kind IN ('customer', 'supplier', 'partner')),
    -- Random 16-byte subject id: the key store's key for this subject's data key.
    subject              BLOB    NOT NULL CHECK (length(subject) = 16),
    -- Keyed MAC of the imported row: detects unchanged rows without plaintext.
    fingerprint          BLOB    NOT NULL,
    country              TEXT,
    region               TEXT,
    signup_date          TEXT,
    category             TEXT,
    partner_type         TEXT,
    name_sealed          BLOB,
    contact_name_sealed  BLOB,
    email_sealed         BLOB,
    phone_sealed         BLOB,
    address_sealed       BLOB,
    birth_date_sealed    BLOB,
    gender_sealed        BLOB,
    age_band_sealed      BLOB,
    notes_sealed         BLOB,
    erased_at            TEXT,
    UNIQUE (tenant_id, external_id),
    UNIQUE (tenant_id, subject)
);

CREATE TABLE transactions (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL REFERENCES tenants (id),
    external_id     TEXT    NOT NULL,
    stakeholder_id  INTEGER NOT NULL REFERENCES stakeholders (id),
    date            TEXT    NOT NULL,
    quantity        INTEGER NOT NULL CHECK (quantity >= 0),
    amount          REAL    NOT NULL CHECK (amount >= 0),
    currency        TEXT,
    channel         TEXT,
    UNIQUE (tenant_id, external_id)
);
CREATE INDEX transactions_by_stakeholder ON transactions (tenant_id, stakeholder_id, date);

CREATE TABLE interactions (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL REFERENCES tenants (id),
    external_id     TEXT    NOT NULL,
    stakeholder_id  INTEGER NOT NULL REFERENCES stakeholders (id),
    occurred_at     TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    channel         TEXT,
    nps             INTEGER CHECK (nps BETWEEN 0 AND 10),
    sentiment       REAL    CHECK (sentiment BETWEEN -1 AND 1),
    fingerprint     BLOB    NOT NULL,
    text_sealed     BLOB,
    UNIQUE (tenant_id, external_id)
);
CREATE INDEX interactions_by_stakeholder ON interactions (tenant_id, stakeholder_id, occurred_at);

CREATE TABLE deliveries (
    id                  INTEGER PRIMARY KEY,
    tenant_id           INTEGER NOT NULL REFERENCES tenants (id),
    external_id         TEXT    NOT NULL,
    stakeholder_id      INTEGER NOT NULL REFERENCES stakeholders (id),
    order_date          TEXT    NOT NULL,
    promised_date       TEXT    NOT NULL,
    delivered_date      TEXT,
    quantity_ordered    INTEGER NOT NULL CHECK (quantity_ordered >= 0),
    quantity_delivered  INTEGER NOT NULL CHECK (quantity_delivered >= 0),
    quantity_accepted   INTEGER NOT NULL CHECK (quantity_accepted >= 0 AND quantity_accepted <= quantity_delivered),
    unit_price          REAL    NOT NULL CHECK (unit_price >= 0),
    agreed_unit_price   REAL,
    response_hours      REAL,
    UNIQUE (tenant_id, external_id)
);
CREATE INDEX deliveries_by_stakeholder ON deliveries (tenant_id, stakeholder_id, order_date);

CREATE TABLE referrals (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
    external_id  TEXT    NOT NULL,
    referrer_id  INTEGER NOT NULL REFERENCES stakeholders (id),
    referred_id  INTEGER NOT NULL REFERENCES stakeholders (id),
    date         TEXT    NOT NULL,
    CHECK (referrer_id <> referred_id),
    UNIQUE (tenant_id, external_id)
);

-- Consent records are evidence: once stored they are never changed. A
-- correction is a new version of the same record id; a re-import of the same
-- version is a no-op, different content under an existing version is refused
-- by the importer, and these triggers refuse any UPDATE or DELETE at the
-- database level.
CREATE TABLE consents (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL REFERENCES tenants (id),
    external_id     TEXT    NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    stakeholder_id  INTEGER NOT NULL REFERENCES stakeholders (id),
    purpose         TEXT    NOT NULL,
    lawful_basis    TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('granted', 'withdrawn', 'refused', 'objected')),
    jurisdiction    TEXT    NOT NULL,
    recorded_at     TEXT    NOT NULL,
    expires_at      TEXT,
    notice_id       TEXT,
    notice_version  INTEGER,
    method          TEXT    NOT NULL,
    source          TEXT,
    evidence_ref    TEXT,
    actor           TEXT,
    -- Explicit consent (GDPR Art. 9(2)(a), 22(2)(c)) and who gave it (the
    -- subject, or a parent or guardian for a child).
    explicit        INTEGER NOT NULL DEFAULT 0 CHECK (explicit IN (0, 1)),
    given_by        TEXT    NOT NULL DEFAULT 'subject' CHECK (given_by IN ('subject', 'parent_or_guardian')),
    fingerprint     BLOB    NOT NULL,
    UNIQUE (tenant_id, external_id, version)
);
CREATE INDEX consents_by_stakeholder ON consents (tenant_id, stakeholder_id, purpose, recorded_at);

CREATE TRIGGER consents_no_update BEFORE UPDATE ON consents
BEGIN
    SELECT RAISE(ABORT, 'consent records are append-only');
END;

CREATE TRIGGER consents_no_delete BEFORE DELETE ON consents
BEGIN
    SELECT RAISE(ABORT, 'consent records are append-only');
END;

-- One row per completed import batch.
CREATE TABLE imports (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
    kind         TEXT    NOT NULL,
    source       TEXT    NOT NULL,
    sha256       BLOB    NOT NULL,
    rows         INTEGER NOT NULL,
    written      INTEGER NOT NULL,
    unchanged    INTEGER NOT NULL,
    finished_at  TEXT    NOT NULL
);
