-- The run whose outputs a plugin run read as each subject's `previous`
-- output (fields `previous.*`), pinned so that a replay reads the same one.
ALTER TABLE plugin_runs ADD COLUMN previous_run TEXT REFERENCES plugin_runs (id);
CREATE INDEX plugin_runs_by_plugin ON plugin_runs (tenant_id, plugin_id, status);
