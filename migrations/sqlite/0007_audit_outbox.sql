-- Audit log entries waiting to be appended to the log in DATA_DIR/audit.db.
--
-- The log lives in its own database file (a restore of this one must not
-- truncate it), and two SQLite files cannot commit together. So every
-- action that the log records writes its entry here, in the same
-- transaction as the action itself; right after the commit, and whenever a
-- data directory is opened, queued entries are appended to the log (which
-- remembers each `uid`, so an entry is never appended twice) and then
-- removed from here. An action that committed therefore always gets its
-- entry, and an action that rolled back never does.

CREATE TABLE audit_outbox (
    id           INTEGER PRIMARY KEY,
    uid          BLOB    NOT NULL UNIQUE CHECK (length(uid) = 16),
    log_id       TEXT    NOT NULL,
    tenant       TEXT,
    kind         TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    occurred_at  TEXT    NOT NULL
);
