-- Which nodes' vectors changed, in order, per project: a recall process that keeps a project's
-- vectors in an approximate nearest-neighbour index (lore.recall.ann) catches up from the last
-- change it applied instead of rebuilding the index. A deleted node is logged from the nodes
-- side: when its embedding goes with it (ON DELETE CASCADE), its project can no longer be read.
CREATE TABLE vector_changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL,
    node_id    INTEGER NOT NULL
);
CREATE INDEX vector_changes_by_project ON vector_changes(project_id, seq);

CREATE TRIGGER embeddings_changes_insert AFTER INSERT ON embeddings
BEGIN
    INSERT INTO vector_changes (project_id, node_id)
        SELECT project_id, id FROM nodes WHERE id = new.node_id;
END;

CREATE TRIGGER embeddings_changes_update AFTER UPDATE ON embeddings
BEGIN
    INSERT INTO vector_changes (project_id, node_id)
        SELECT project_id, id FROM nodes WHERE id = new.node_id;
END;

CREATE TRIGGER embeddings_changes_delete AFTER DELETE ON embeddings
BEGIN
    INSERT INTO vector_changes (project_id, node_id)
        SELECT project_id, id FROM nodes WHERE id = old.node_id;
END;

CREATE TRIGGER nodes_changes_delete AFTER DELETE ON nodes
BEGIN
    INSERT INTO vector_changes (project_id, node_id) VALUES (old.project_id, old.id);
END;
