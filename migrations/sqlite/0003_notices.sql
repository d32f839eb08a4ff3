-- Privacy notices: immutable versions with the SHA-256 of their text, so the
-- exact notice a consent was given under can be proven. A version marked as
-- a material change makes grants given under earlier versions lapse.

CREATE TABLE notices (
    id               INTEGER PRIMARY KEY,
    tenant_id        INTEGER NOT NULL REFERENCES tenants (id),
    notice_id        TEXT    NOT NULL,
    version          INTEGER NOT NULL CHECK (version >= 1),
    content_sha256   TEXT    NOT NULL,
    material_change  INTEGER NOT NULL CHECK (material_change IN (0, 1)),
    published_at     TEXT    NOT NULL,
    content          TEXT    NOT NULL,
    UNIQUE (tenant_id, notice_id, version)
);

CREATE TRIGGER notices_no_update BEFORE UPDATE ON notices
BEGIN
    SELECT RAISE(ABORT, 'notice versions are immutable');
END;

CREATE TRIGGER notices_no_delete BEFORE DELETE ON notices
BEGIN
    SELECT RAISE(ABORT, 'notice versions are immutable');
END;
