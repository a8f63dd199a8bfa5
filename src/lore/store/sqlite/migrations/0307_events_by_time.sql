-- A project's events by when they happened (a digested commit's own time, else when captured):
-- the Activity tab counts them per day.
CREATE INDEX events_by_time ON events(project_id, coalesce(occurred_at, created_at));
