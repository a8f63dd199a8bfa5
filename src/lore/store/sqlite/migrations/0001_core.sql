-- Core schema: projects, capture (events, sessions, episodes, steps), the graph and accounting.
-- Times are UNIX seconds (REAL, UTC). JSON columns hold JSON text.

CREATE TABLE projects (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    repo            TEXT,
    settings        TEXT NOT NULL DEFAULT '{}',
    embedding_model TEXT,
    embedding_dim   INTEGER,
    created_at      REAL NOT NULL,
    updated_at      REAL NOT NULL
);

-- Small per-project state: last digested commit, transcript offsets, last auto-learn run, ...
CREATE TABLE project_state (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (project_id, key)
);

CREATE TABLE sessions (
    id              INTEGER PRIMARY KEY,
    project_id      INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    source          TEXT NOT NULL,
    goal            TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL CHECK (state IN ('idle','collecting','extracting','ready','failed')),
    overrides       TEXT NOT NULL DEFAULT '{}',
    created_at      REAL NOT NULL,
    last_event_at   REAL,
    closed_at       REAL,
    completed_at    REAL,
    event_count     INTEGER NOT NULL DEFAULT 0,
    items_extracted INTEGER NOT NULL DEFAULT 0,
    enriched        INTEGER NOT NULL DEFAULT 0,
    error           TEXT
);
CREATE INDEX sessions_by_project ON sessions(project_id, id DESC);
CREATE INDEX sessions_collecting ON sessions(project_id, source, state, created_at);

CREATE TABLE episodes (
    id         INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    goal       TEXT NOT NULL DEFAULT '',
    status     TEXT NOT NULL DEFAULT 'open',
    started_at REAL NOT NULL,
    closed_at  REAL
);
CREATE INDEX episodes_by_session ON episodes(session_id, id);

CREATE TABLE events (
    id              INTEGER PRIMARY KEY,
    project_id      INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    session_id      INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    episode_id      INTEGER REFERENCES episodes(id) ON DELETE SET NULL,
    source          TEXT NOT NULL,
    type            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    content_hash    TEXT NOT NULL,
    idempotency_key TEXT,
    created_at      REAL NOT NULL,
    occurred_at     REAL,
    enriched_job_id INTEGER
);
CREATE UNIQUE INDEX events_by_hash ON events(project_id, content_hash);
CREATE UNIQUE INDEX events_by_key ON events(project_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX events_by_session ON events(session_id, id);

-- Events are immutable: only the enrichment marker and episode may change.
CREATE TRIGGER events_immutable
BEFORE UPDATE OF project_id, session_id, source, type, payload, content_hash, created_at ON events
BEGIN
    SELECT RAISE(ABORT, 'events are immutable');
END;

CREATE TABLE steps (
    id            INTEGER PRIMARY KEY,
    session_id    INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    episode_id    INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    event_id      INTEGER REFERENCES events(id) ON DELETE SET NULL,
    seq           INTEGER NOT NULL,
    observation   TEXT NOT NULL,
    action        TEXT NOT NULL,
    state_summary TEXT,
    subgoal       TEXT,
    subgoal_vec   BLOB,
    reward        REAL,
    trajectory    INTEGER,
    boundary      INTEGER NOT NULL DEFAULT 0,
    created_at    REAL NOT NULL,
    annotated_at  REAL,
    UNIQUE (episode_id, seq)
);

-- The knowledge graph: one typed node table, one typed link table.
CREATE TABLE nodes (
    id                 INTEGER PRIMARY KEY,
    project_id         INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    kind               TEXT NOT NULL CHECK (kind IN
                         ('semantic','procedural','episodic','subgoal','source','tag','intent')),
    type               TEXT,
    title              TEXT NOT NULL DEFAULT '',
    body               TEXT NOT NULL DEFAULT '',
    data               TEXT NOT NULL DEFAULT '{}',
    schema_key         TEXT,
    status             TEXT,
    confidence         REAL,
    importance         REAL,
    files              TEXT NOT NULL DEFAULT '[]',
    tags               TEXT NOT NULL DEFAULT '[]',
    dedup_hint         TEXT,
    content_hash       TEXT,
    session_id         INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
    job_id             INTEGER,
    commit_from        TEXT,
    commit_to          TEXT,
    valid_from         REAL,
    valid_to           REAL,
    superseded_by      INTEGER REFERENCES nodes(id) ON DELETE SET NULL,
    merged_from        TEXT NOT NULL DEFAULT '[]',
    last_reinforced_at REAL,
    access_count       INTEGER NOT NULL DEFAULT 0,
    last_access_at     REAL,
    reward_sum         REAL NOT NULL DEFAULT 0,
    reward_count       INTEGER NOT NULL DEFAULT 0,
    created_at         REAL NOT NULL,
    updated_at         REAL NOT NULL
);
CREATE INDEX nodes_by_project ON nodes(project_id, kind, status);
CREATE INDEX nodes_by_hash ON nodes(project_id, content_hash);
CREATE INDEX nodes_by_schema_key ON nodes(project_id, schema_key);
CREATE INDEX nodes_by_session ON nodes(session_id);

CREATE TABLE links (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN
                 ('membership','hierarchical','provenance','sibling','supersedes','related','evidence')),
    src        INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
    dst        INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
    weight     REAL NOT NULL DEFAULT 1.0,
    created_at REAL NOT NULL,
    UNIQUE (kind, src, dst)
);
CREATE INDEX links_by_dst ON links(dst, kind);

-- Which events an item was built from (its provenance down to the event log).
CREATE TABLE node_events (
    node_id  INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    quote    TEXT,
    PRIMARY KEY (node_id, event_id)
);
CREATE INDEX node_events_by_event ON node_events(event_id);

CREATE TABLE embeddings (
    node_id INTEGER PRIMARY KEY REFERENCES nodes(id) ON DELETE CASCADE,
    model   TEXT NOT NULL,
    dim     INTEGER NOT NULL,
    vector  BLOB NOT NULL
);

-- Every LLM call: provider, model, step, tokens, duration and outcome.
CREATE TABLE llm_calls (
    id                INTEGER PRIMARY KEY,
    project_id        INTEGER REFERENCES projects(id) ON DELETE SET NULL,
    job_id            INTEGER,
    stage             TEXT,
    step              TEXT NOT NULL,
    provider          TEXT NOT NULL,
    model             TEXT NOT NULL,
    prompt_tokens     INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    duration_ms       REAL NOT NULL,
    outcome           TEXT NOT NULL,
    error             TEXT,
    fallback_from     TEXT,
    created_at        REAL NOT NULL
);
CREATE INDEX llm_calls_by_job ON llm_calls(job_id);
CREATE INDEX llm_calls_by_day ON llm_calls(created_at);

-- A changeset waits here between extraction and commit (or discard).
CREATE TABLE changesets (
    id         INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    episode_id INTEGER REFERENCES episodes(id) ON DELETE SET NULL,
    job_id     INTEGER,
    status     TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','applied','discarded')),
    data       TEXT NOT NULL,
    created_at REAL NOT NULL,
    applied_at REAL
);
CREATE INDEX changesets_by_session ON changesets(session_id, status);
