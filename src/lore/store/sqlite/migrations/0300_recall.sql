-- Recall: full-text indexes over nodes, kept current by triggers, and a version per project that
-- tells the in-process vector cache when a project's embeddings changed.

-- Porter-stemmed words for BM25 (lore.recall.text.FTS_TOKENIZER). ``scope`` holds the tokens
-- ``p<project id>`` and ``k<kind>``, so the project filter (always applied) and the kind filter run
-- inside the full-text engine instead of over every project's matches.
CREATE VIRTUAL TABLE node_fts USING fts5(
    text, scope, tokenize = 'porter unicode61 remove_diacritics 2'
);

-- How many nodes hold each (stemmed) term: recall leaves out the commonest query terms when
-- scoring them all would cost more than the budget (lore.recall.text.affordable).
CREATE VIRTUAL TABLE node_fts_terms USING fts5vocab(node_fts, row);

-- Substrings of the same text (trigram tokenizer): an identifier in a query (``useState``,
-- ``config.py``, ``ERR_CONNECTION_REFUSED``) matches inside longer tokens too. Routing nodes
-- (tags, intents) are left out: they are matched through node_fts.
CREATE VIRTUAL TABLE node_trigram USING fts5(text, tokenize = 'trigram');

-- The brain reads the latest scan of a project.
CREATE INDEX events_by_type ON events(project_id, type, id);

CREATE TABLE recall_versions (
    project_id INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    version    INTEGER NOT NULL DEFAULT 0
);

CREATE TRIGGER nodes_recall_insert AFTER INSERT ON nodes
BEGIN
    INSERT INTO node_fts (rowid, text, scope) VALUES (
        new.id,
        new.title || char(10) || new.body || char(10)
            || (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(new.tags)) || ' '
            || (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(new.files)),
        'p' || new.project_id || ' k' || new.kind
    );
    INSERT INTO node_trigram (rowid, text)
    SELECT new.id,
           new.title || char(10) || new.body || char(10)
               || (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(new.files))
    WHERE new.kind NOT IN ('tag', 'intent');
END;

CREATE TRIGGER nodes_recall_update AFTER UPDATE OF title, body, tags, files, kind ON nodes
BEGIN
    DELETE FROM node_fts WHERE rowid = old.id;
    DELETE FROM node_trigram WHERE rowid = old.id;
    INSERT INTO node_fts (rowid, text, scope) VALUES (
        new.id,
        new.title || char(10) || new.body || char(10)
            || (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(new.tags)) || ' '
            || (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(new.files)),
        'p' || new.project_id || ' k' || new.kind
    );
    INSERT INTO node_trigram (rowid, text)
    SELECT new.id,
           new.title || char(10) || new.body || char(10)
               || (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(new.files))
    WHERE new.kind NOT IN ('tag', 'intent');
END;

CREATE TRIGGER nodes_recall_delete AFTER DELETE ON nodes
BEGIN
    DELETE FROM node_fts WHERE rowid = old.id;
    DELETE FROM node_trigram WHERE rowid = old.id;
    INSERT INTO recall_versions (project_id, version) VALUES (old.project_id, 1)
        ON CONFLICT (project_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER embeddings_recall_insert AFTER INSERT ON embeddings
BEGIN
    INSERT INTO recall_versions (project_id, version)
        SELECT project_id, 1 FROM nodes WHERE id = new.node_id
        ON CONFLICT (project_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER embeddings_recall_update AFTER UPDATE ON embeddings
BEGIN
    INSERT INTO recall_versions (project_id, version)
        SELECT project_id, 1 FROM nodes WHERE id = new.node_id
        ON CONFLICT (project_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER embeddings_recall_delete AFTER DELETE ON embeddings
BEGIN
    INSERT INTO recall_versions (project_id, version)
        SELECT project_id, 1 FROM nodes WHERE id = old.node_id
        ON CONFLICT (project_id) DO UPDATE SET version = version + 1;
END;

-- Nodes stored before this migration.
INSERT INTO node_fts (rowid, text, scope)
SELECT id,
       title || char(10) || body || char(10)
           || (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(nodes.tags)) || ' '
           || (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(nodes.files)),
       'p' || project_id || ' k' || kind
FROM nodes;

INSERT INTO node_trigram (rowid, text)
SELECT id,
       title || char(10) || body || char(10)
           || (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(nodes.files))
FROM nodes WHERE kind NOT IN ('tag', 'intent');
