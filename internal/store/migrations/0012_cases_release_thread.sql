-- Owner releases travel as secure-exchange messages: the hit (owner side)
-- and the release notice (requesting side) keep the exchange thread.
ALTER TABLE cases_hits ADD COLUMN thread_id TEXT NOT NULL DEFAULT '';
ALTER TABLE cases_releases ADD COLUMN thread_id TEXT NOT NULL DEFAULT '';
