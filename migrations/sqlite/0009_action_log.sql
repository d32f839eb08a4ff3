-- The audit log entries of each gate action: its verdict, its review, its
-- execution and the disclosure it made, each a leaf of the tenant's
-- tamper-evident log (DATA_DIR/audit.db).
--
-- The entry's note is queued in the outbox (0007) in the same transaction
-- that commits the verdict, the review or the execution, and its `uid` is
-- kept here with it. The log appends the note right after the commit (or at
-- the next open after a crash); then the entry's position and leaf hash are
-- filled in, once. This supersedes the `log_seq`/`log_leaf` columns of
-- `actions` (0008), which held the verdict's entry only and stay unused.

CREATE TABLE action_log_entries (
    action_id  TEXT    NOT NULL REFERENCES actions (id),
    -- The entry kind: verdict, approval, rejection, execution, disclosure.
    event      TEXT    NOT NULL CHECK (event IN ('verdict', 'approval', 'rejection', 'execution', 'disclosure')),
    -- The outbox note the entry comes from.
    note_uid   BLOB    NOT NULL UNIQUE CHECK (length(note_uid) = 16),
    -- The log and the entry's position and leaf hash (hex), once appended.
    log_id     TEXT    NOT NULL,
    log_seq    INTEGER,
    log_leaf   TEXT,
    PRIMARY KEY (action_id, event),
    CHECK ((log_seq IS NULL) = (log_leaf IS NULL))
) WITHOUT ROWID;

-- A pin is filled in once and never changed; the link to the note never
-- changes.
CREATE TRIGGER action_log_entries_pin_once
BEFORE UPDATE ON action_log_entries
WHEN OLD.log_seq IS NOT NULL
  OR NEW.action_id IS NOT OLD.action_id
  OR NEW.event IS NOT OLD.event
  OR NEW.note_uid IS NOT OLD.note_uid
  OR NEW.log_id IS NOT OLD.log_id
BEGIN
    SELECT RAISE(ABORT, 'the log entry of an action is pinned once');
END;

CREATE TRIGGER action_log_entries_no_delete BEFORE DELETE ON action_log_entries
BEGIN
    SELECT RAISE(ABORT, 'the log entries of actions are evidence and are never deleted');
END;
