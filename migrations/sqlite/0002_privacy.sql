-- Data-subject requests with their legal clocks (GDPR Art. 12(3); Cal. Civ.
-- Code §1798.130(a)(2), 11 CCR §7021, §7026(f)). Dates are `YYYY-MM-DD`: a
-- deadline is the last day on which the answer is still in time. The row is
-- the evidence that a request was answered and when, so it stays after the
-- subject is erased (it points at the pseudonymised stakeholder row).

CREATE TABLE privacy_requests (
    id                   INTEGER PRIMARY KEY,
    tenant_id            INTEGER NOT NULL REFERENCES tenants (id),
    stakeholder_id       INTEGER NOT NULL REFERENCES stakeholders (id),
    kind                 TEXT    NOT NULL CHECK (kind IN ('access', 'portability', 'erasure', 'rectification', 'opt_out', 'restriction')),
    jurisdiction         TEXT    NOT NULL,
    received_at          TEXT    NOT NULL,
    due_at               TEXT    NOT NULL,
    extended_due_at      TEXT,
    confirmation_due_at  TEXT,
    status               TEXT    NOT NULL CHECK (status IN ('open', 'extended', 'completed', 'refused')),
    completed_at         TEXT,
    -- The reason given to the data subject with the notice of extension.
    extension_reason     TEXT,
    -- What answering did, in words without personal values (e.g. `field email rectified`).
    outcome              TEXT,
    CHECK ((status IN ('completed', 'refused')) = (completed_at IS NOT NULL)),
    CHECK ((status = 'extended') <= (extended_due_at IS NOT NULL))
);
CREATE INDEX privacy_requests_pending ON privacy_requests (tenant_id, status, due_at);
CREATE INDEX privacy_requests_by_stakeholder ON privacy_requests (tenant_id, stakeholder_id);

-- A subject's export and erasure look referrals up from either side.
CREATE INDEX referrals_by_referrer ON referrals (tenant_id, referrer_id);
CREATE INDEX referrals_by_referred ON referrals (tenant_id, referred_id);

-- Opening a data directory compares the key store's erasure records with the
-- erased rows here; this keeps that a walk over erased rows only.
CREATE INDEX stakeholders_erased ON stakeholders (tenant_id) WHERE erased_at IS NOT NULL;
