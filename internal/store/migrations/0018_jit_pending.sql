-- Changes a member proposed to a joint investigation's leader node and that
-- the leader has not yet confirmed (as a numbered event) or refused: shown
-- as pending so that the person who made them sees them at once.
CREATE TABLE jit_pending (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    kind         TEXT NOT NULL,
    actor        TEXT NOT NULL,
    summary      TEXT NOT NULL,
    submitted_at TEXT NOT NULL
);
CREATE INDEX jit_pending_workspace ON jit_pending(workspace_id, submitted_at);
