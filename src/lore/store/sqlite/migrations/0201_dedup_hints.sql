-- Dedup looks stored items up by their dedup hint as well as by their content hash.
CREATE INDEX IF NOT EXISTS nodes_by_dedup_hint ON nodes(project_id, dedup_hint)
    WHERE dedup_hint IS NOT NULL;
