-- The action gate: every policy bundle a verdict pinned, every action with
-- its verdict and review, each targeted person's outcome, and every
-- disclosure an executed action made. A verdict is evidence: once written it
-- never changes, and only the moves of an action's life (review, execution)
-- may update its row.

CREATE TABLE policy_bundles (
    tenant_id  INTEGER NOT NULL REFERENCES tenants (id),
    -- SHA-256 of `content`, in hex.
    hash       TEXT    NOT NULL,
    -- The canonical text of the bundle (purposes, action kinds, gate policy,
    -- fairness thresholds).
    content    TEXT    NOT NULL,
    stored_at  TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, hash)
) WITHOUT ROWID;

CREATE TRIGGER policy_bundles_no_update BEFORE UPDATE ON policy_bundles
BEGIN
    SELECT RAISE(ABORT, 'a pinned policy bundle is immutable');
END;

CREATE TRIGGER policy_bundles_no_delete BEFORE DELETE ON policy_bundles
BEGIN
    SELECT RAISE(ABORT, 'a pinned policy bundle is immutable');
END;

CREATE TABLE actions (
    id            TEXT    PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenants (id),
    kind          TEXT    NOT NULL,
    purpose       TEXT    NOT NULL,
    run_id        TEXT    REFERENCES plugin_runs (id),
    policy_hash   TEXT    NOT NULL,
    -- The instant consent was decided at.
    requested_at  TEXT    NOT NULL,
    outcome       TEXT    NOT NULL CHECK (outcome IN ('allow', 'allow_with_exclusions', 'needs_review', 'block')),
    -- The verdict record (JSON): counts, reasons, fairness input and pins.
    verdict       TEXT    NOT NULL,
    -- The source population's stakeholder row ids, delta-encoded varints.
    population    BLOB    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('ready', 'pending_review', 'approved', 'rejected', 'blocked', 'executed')),
    reviewer      TEXT,
    review_note   TEXT,
    reviewed_at   TEXT,
    executed_at   TEXT,
    -- What execution did (JSON): final count, exclusions at execution,
    -- recipient, list file and its hash.
    execution     TEXT,
    -- The entry of the tenant's tamper-evident log that records the
    -- verdict: sequence number and leaf hash, set once appended.
    log_seq       INTEGER,
    log_leaf      TEXT,
    FOREIGN KEY (tenant_id, policy_hash) REFERENCES policy_bundles (tenant_id, hash),
    CHECK ((status = 'executed') = (executed_at IS NOT NULL)),
    CHECK ((status IN ('approved', 'rejected')) <= (reviewer IS NOT NULL))
);
CREATE INDEX actions_by_tenant ON actions (tenant_id, requested_at);

CREATE TRIGGER actions_verdict_immutable
BEFORE UPDATE OF id, tenant_id, kind, purpose, run_id, policy_hash, requested_at, outcome, verdict, population ON actions
BEGIN
    SELECT RAISE(ABORT, 'a verdict is immutable');
END;

-- An action moves only forward: a verdict held for review is approved or
-- rejected once, and an allowed or approved action is executed once.
CREATE TRIGGER actions_status_moves_forward BEFORE UPDATE OF status ON actions
WHEN NOT ((OLD.status = 'pending_review' AND NEW.status IN ('approved', 'rejected'))
       OR (OLD.status IN ('ready', 'approved') AND NEW.status = 'executed'))
BEGIN
    SELECT RAISE(ABORT, 'an action cannot move back or be executed twice');
END;

CREATE TRIGGER actions_no_delete BEFORE DELETE ON actions
BEGIN
    SELECT RAISE(ABORT, 'actions are evidence and are never deleted');
END;

CREATE TABLE action_subjects (
    action_id       TEXT    NOT NULL REFERENCES actions (id),
    stakeholder_id  INTEGER NOT NULL REFERENCES stakeholders (id),
    included        INTEGER NOT NULL CHECK (included IN (0, 1)),
    review          INTEGER NOT NULL CHECK (review IN (0, 1)),
    -- `rule@jurisdiction` tokens: the refusing rules of an excluded person,
    -- the allowing ones of an included person.
    reasons         TEXT    NOT NULL,
    -- `id:version` tokens of the consent records the decision relied on.
    records         TEXT    NOT NULL,
    -- Set when the action executes: whether the person is in the final
    -- list after consent is decided again, and why not.
    final           INTEGER CHECK (final IN (0, 1)),
    final_reasons   TEXT,
    PRIMARY KEY (action_id, stakeholder_id)
) WITHOUT ROWID;
CREATE INDEX action_subjects_by_stakeholder ON action_subjects (stakeholder_id);

CREATE TRIGGER action_subjects_verdict_immutable
BEFORE UPDATE OF action_id, stakeholder_id, included, review, reasons, records ON action_subjects
BEGIN
    SELECT RAISE(ABORT, 'a verdict is immutable');
END;

CREATE TRIGGER action_subjects_no_delete BEFORE DELETE ON action_subjects
BEGIN
    SELECT RAISE(ABORT, 'a verdict is immutable');
END;

-- Every disclosure of a person's data by an executed action: to whom, when
-- and for what, so that an erasure or rectification can be passed on to each
-- recipient (GDPR Art. 17(2), 19) and an access request can name them
-- (Art. 15(1)(c)).
CREATE TABLE disclosures (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL REFERENCES tenants (id),
    stakeholder_id  INTEGER NOT NULL REFERENCES stakeholders (id),
    action_id       TEXT    NOT NULL REFERENCES actions (id),
    recipient       TEXT    NOT NULL,
    -- The age public key the list was encrypted to.
    recipient_key   TEXT    NOT NULL,
    purpose         TEXT    NOT NULL,
    -- The personal fields disclosed, comma-separated.
    fields          TEXT    NOT NULL,
    disclosed_at    TEXT    NOT NULL
);
CREATE INDEX disclosures_by_stakeholder ON disclosures (tenant_id, stakeholder_id);
CREATE INDEX disclosures_by_action ON disclosures (action_id);

CREATE TRIGGER disclosures_no_update BEFORE UPDATE ON disclosures
BEGIN
    SELECT RAISE(ABORT, 'disclosure records are append-only');
END;

CREATE TRIGGER disclosures_no_delete BEFORE DELETE ON disclosures
BEGIN
    SELECT RAISE(ABORT, 'disclosure records are append-only');
END;
