-- The plugin platform's records: which publisher keys a tenant trusts,
-- which input fields its policy lets plugins read, the installed plugins,
-- and every run with its outputs. Packages themselves live in the data
-- directory's registry (`plugins/registry/`), verified again at every load.

CREATE TABLE plugin_trusted_keys (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    key_id      TEXT    NOT NULL,
    public_key  TEXT    NOT NULL,
    added_at    TEXT    NOT NULL,
    UNIQUE (tenant_id, key_id)
);

-- Input fields a tenant refuses to grant to any plugin (on top of the
-- fields no plugin is ever granted).
CREATE TABLE plugin_denied_fields (
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    field       TEXT    NOT NULL,
    added_at    TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, field)
) WITHOUT ROWID;

CREATE TABLE plugin_installations (
    id                INTEGER PRIMARY KEY,
    tenant_id         INTEGER NOT NULL REFERENCES tenants (id),
    plugin_id         TEXT    NOT NULL,
    version           TEXT    NOT NULL,
    kind              TEXT    NOT NULL,
    component_digest  TEXT    NOT NULL,
    statement_digest  TEXT    NOT NULL,
    signer_key_id     TEXT    NOT NULL,
    purpose           TEXT    NOT NULL,
    config            TEXT    NOT NULL,
    config_hash       TEXT    NOT NULL,
    granted_fields    TEXT    NOT NULL,
    withheld_fields   TEXT    NOT NULL,
    limits            TEXT    NOT NULL,
    installed_at      TEXT    NOT NULL,
    removed_at        TEXT
);
CREATE UNIQUE INDEX plugin_installations_current
    ON plugin_installations (tenant_id, plugin_id) WHERE removed_at IS NULL;

CREATE TABLE plugin_runs (
    id                TEXT    PRIMARY KEY,
    tenant_id         INTEGER NOT NULL REFERENCES tenants (id),
    installation_id   INTEGER NOT NULL REFERENCES plugin_installations (id),
    plugin_id         TEXT    NOT NULL,
    version           TEXT    NOT NULL,
    component_digest  TEXT    NOT NULL,
    purpose           TEXT    NOT NULL,
    config_hash       TEXT    NOT NULL,
    input_hash        TEXT    NOT NULL,
    output_hash       TEXT,
    as_of             TEXT    NOT NULL,
    seed              INTEGER NOT NULL,
    subjects          INTEGER NOT NULL,
    excluded          INTEGER NOT NULL,
    batches           INTEGER NOT NULL,
    fuel_used         INTEGER NOT NULL,
    peak_memory       INTEGER NOT NULL,
    duration_ms       INTEGER NOT NULL,
    status            TEXT    NOT NULL CHECK (status IN ('succeeded', 'failed', 'refused')),
    failure           TEXT,
    diagnostics       TEXT    NOT NULL,
    replay_of         TEXT,
    started_at        TEXT    NOT NULL,
    finished_at       TEXT    NOT NULL
);
CREATE INDEX plugin_runs_by_tenant ON plugin_runs (tenant_id, started_at);

CREATE TABLE plugin_outputs (
    run_id          TEXT    NOT NULL REFERENCES plugin_runs (id),
    stakeholder_id  INTEGER NOT NULL REFERENCES stakeholders (id),
    score           REAL    NOT NULL,
    label           TEXT,
    named_values    TEXT    NOT NULL,
    explanation     TEXT    NOT NULL,
    PRIMARY KEY (run_id, stakeholder_id)
) WITHOUT ROWID;
CREATE INDEX plugin_outputs_by_stakeholder ON plugin_outputs (stakeholder_id);
