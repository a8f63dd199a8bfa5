-- The failed extraction a step was handed back from: retrying that run's job takes back exactly
-- its steps (not those appended since), so the job can resume where it failed.
ALTER TABLE steps ADD COLUMN released_from INTEGER;
