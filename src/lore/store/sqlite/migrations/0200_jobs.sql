-- Enrichment jobs: one row per job, one row per stage of it with the stage's stored output.
-- A worker owns a processing job while its lease lasts; an expired lease lets another take it.

CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY,
    project_id       INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    session_id       INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    trigger          TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('queued','processing','completed','failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    run_after        REAL NOT NULL,
    lease_owner      TEXT,
    lease_expires_at REAL,
    items_extracted  INTEGER NOT NULL DEFAULT 0,
    error            TEXT,
    error_detail     TEXT,
    created_at       REAL NOT NULL,
    started_at       REAL,
    finished_at      REAL
);
CREATE INDEX jobs_claimable ON jobs(status, run_after);
CREATE INDEX jobs_by_session ON jobs(session_id, id DESC);
CREATE INDEX jobs_by_project ON jobs(project_id, id DESC);

CREATE TABLE job_stages (
    job_id       INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending','active','completed','failed','skipped')),
    started_at   REAL,
    duration_ms  REAL,
    tokens       INTEGER NOT NULL DEFAULT 0,
    llm_calls    INTEGER NOT NULL DEFAULT 0,
    items        INTEGER NOT NULL DEFAULT 0,
    runs         INTEGER NOT NULL DEFAULT 0,
    note         TEXT,
    error        TEXT,
    error_detail TEXT,
    output       TEXT,
    PRIMARY KEY (job_id, name)
);
