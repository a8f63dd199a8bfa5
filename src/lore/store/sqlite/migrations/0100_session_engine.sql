-- The session engine: extraction runs, queued async operations, and what steps and changesets
-- need so that a restart resumes where the process stopped.

-- 1 for sessions started through the engine (library, REST, MCP): the engine runs their
-- annotation, timers and close. Capture sessions (0) share the state machine only.
ALTER TABLE sessions ADD COLUMN managed INTEGER NOT NULL DEFAULT 0;

-- The extraction run that took the step (NULL: not extracted yet, or released by a failure).
ALTER TABLE steps ADD COLUMN extraction_id INTEGER;
CREATE INDEX steps_by_session ON steps(session_id, episode_id, seq);
CREATE INDEX steps_unannotated ON steps(session_id, seq) WHERE annotated_at IS NULL;

ALTER TABLE changesets ADD COLUMN extraction_id INTEGER;
ALTER TABLE changesets ADD COLUMN vectors TEXT;
ALTER TABLE changesets ADD COLUMN embedding_model TEXT;

CREATE TABLE session_extractions (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    episode_id  INTEGER REFERENCES episodes(id) ON DELETE CASCADE,
    job_id      INTEGER,
    scope       TEXT NOT NULL CHECK (scope IN ('episode','trajectory')),
    status      TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running','succeeded','failed')),
    runner      TEXT NOT NULL,
    error       TEXT,
    created_at  REAL NOT NULL,
    finished_at REAL
);
CREATE INDEX session_extractions_by_session ON session_extractions(session_id, status, id);
CREATE INDEX session_extractions_running ON session_extractions(status) WHERE status = 'running';

-- Async operations queued while a session is busy, and the outcome of each.
CREATE TABLE session_ops (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    op          TEXT NOT NULL CHECK (op IN ('commit','discard','start_episode','close')),
    args        TEXT NOT NULL DEFAULT '{}',
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','done','failed')),
    result      TEXT,
    reason      TEXT,
    error       TEXT,
    created_at  REAL NOT NULL,
    finished_at REAL
);
CREATE INDEX session_ops_by_session ON session_ops(session_id, status, id);
