-- The key store: wrapped per-subject data keys and the erasure records, kept in
-- a database file of its own so that a backup of the main store never carries
-- keys. Wrapped keys are ciphertext under the tenant's key-encryption key,
-- which lives only in the age-encrypted keyring. Opened with
-- `PRAGMA secure_delete = ON`, so an erased key is overwritten on disk.

CREATE TABLE subject_keys (
    tenant       BLOB    NOT NULL CHECK (length(tenant) = 16),
    subject      BLOB    NOT NULL CHECK (length(subject) = 16),
    kek_version  INTEGER NOT NULL,
    wrapped      BLOB    NOT NULL,
    PRIMARY KEY (tenant, subject)
) WITHOUT ROWID;

-- An erasure outlives the key it destroyed: a restored backup replays these
-- before it serves, so an erased subject never comes back.
CREATE TABLE erasures (
    tenant     BLOB NOT NULL CHECK (length(tenant) = 16),
    subject    BLOB NOT NULL CHECK (length(subject) = 16),
    erased_at  TEXT NOT NULL,
    PRIMARY KEY (tenant, subject)
) WITHOUT ROWID;
