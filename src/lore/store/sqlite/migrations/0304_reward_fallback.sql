-- A step whose reward the model failed to score keeps the neutral 0.5 and says so, as Mnemosyne
-- does: its session goes on to extraction instead of failing.
ALTER TABLE steps ADD COLUMN reward_fallback INTEGER NOT NULL DEFAULT 0;
