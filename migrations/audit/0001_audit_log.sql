-- The audit log (DATA_DIR/audit.db): one append-only Merkle log per tenant,
-- and one for the data directory itself (log id 'platform'), in the manner
-- of Certificate Transparency (RFC 9162). It lives in a file of its own so
-- that restoring an older backup of rapport.db never truncates the log that
-- exported tree heads have already committed to.
--
-- Nothing here is trusted by verification except the signatures: every
-- entry carries a receipt signed by the log's key (held in the vault), and
-- `rapport audit verify` recomputes every hash from the entries' bytes.
-- The triggers below keep honest code from changing history; an attacker
-- with file access can drop them, and verification then names the entry
-- they changed.

CREATE TABLE audit_logs (
    log_id          TEXT    NOT NULL PRIMARY KEY,
    tenant          TEXT,
    public_key      BLOB    NOT NULL CHECK (length(public_key) = 32),
    key_id          TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    -- A cache of the tree's right edge (the roots of its perfect subtrees),
    -- rewritten by every append in the same transaction. Appending checks
    -- it against the entries and rebuilds it from their leaf hashes if it
    -- disagrees; verification never reads it.
    size            INTEGER NOT NULL,
    frontier        BLOB    NOT NULL,
    last_timestamp  TEXT,
    last_head_at    TEXT
);

-- `entry` is the canonical JSON of the entry (RFC 8785): the leaf's bytes.
-- `receipt` is the Ed25519 signature over (log, seq, leaf hash, root of the
-- log before this entry). `uid` is the outbox note the entry came from, so
-- a note is never appended twice.
CREATE TABLE audit_entries (
    log_id     TEXT    NOT NULL REFERENCES audit_logs (log_id),
    seq        INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    timestamp  TEXT    NOT NULL,
    entry      TEXT    NOT NULL,
    leaf_hash  BLOB    NOT NULL,
    receipt    BLOB    NOT NULL,
    uid        BLOB,
    PRIMARY KEY (log_id, seq)
) WITHOUT ROWID;

CREATE UNIQUE INDEX audit_entries_uid ON audit_entries (uid) WHERE uid IS NOT NULL;

-- Signed tree heads, in the order they were issued.
CREATE TABLE audit_heads (
    id         INTEGER PRIMARY KEY,
    log_id     TEXT    NOT NULL REFERENCES audit_logs (log_id),
    size       INTEGER NOT NULL,
    root       BLOB    NOT NULL,
    timestamp  TEXT    NOT NULL,
    key_id     TEXT    NOT NULL,
    signature  BLOB    NOT NULL
);

CREATE INDEX audit_heads_log ON audit_heads (log_id, id);

CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'audit log entries are append-only');
END;

CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'audit log entries are append-only');
END;

CREATE TRIGGER audit_heads_no_update BEFORE UPDATE ON audit_heads
BEGIN
    SELECT RAISE(ABORT, 'signed tree heads are immutable');
END;

CREATE TRIGGER audit_heads_no_delete BEFORE DELETE ON audit_heads
BEGIN
    SELECT RAISE(ABORT, 'signed tree heads are immutable');
END;

CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs
BEGIN
    SELECT RAISE(ABORT, 'audit logs are never deleted');
END;

CREATE TRIGGER audit_logs_identity_fixed
BEFORE UPDATE OF log_id, tenant, public_key, key_id, created_at ON audit_logs
BEGIN
    SELECT RAISE(ABORT, 'an audit log keeps its id, tenant and key');
END;
