-- Witnessed audit log. The node keeps a signed checkpoint of its latest size
-- (written in the same transaction as the entries it covers), checkpoints are
-- also signed as C2SP tlog-checkpoint notes, and peers witness each other's
-- checkpoints: a witness keeps the latest checkpoint it has seen of each
-- peer's log and cosigns it (C2SP tlog-cosignature).
ALTER TABLE audit_checkpoints ADD COLUMN note TEXT NOT NULL DEFAULT '';

-- The signed checkpoint of the log's current size: one row.
CREATE TABLE audit_head (
    id         INTEGER PRIMARY KEY,
    tree_size  BIGINT NOT NULL,
    root_hash  {{BLOB}} NOT NULL,
    at         TEXT NOT NULL,
    note       TEXT NOT NULL
);

-- As a witness: the latest checkpoint of each peer's log seen here, kept only
-- after a consistency proof from the one before.
CREATE TABLE audit_witnessed (
    origin      TEXT PRIMARY KEY,
    peer        TEXT NOT NULL,
    tree_size   BIGINT NOT NULL,
    root_hash   {{BLOB}} NOT NULL,
    note        TEXT NOT NULL,
    received_at TEXT NOT NULL
);

-- As a witness: checkpoints of a peer that were refused because they are not
-- consistent with what was seen before (a rewritten or truncated log).
CREATE TABLE audit_witness_alarms (
    id          TEXT PRIMARY KEY,
    peer        TEXT NOT NULL,
    held_size   BIGINT NOT NULL,
    held_note   TEXT NOT NULL,
    new_size    BIGINT NOT NULL,
    new_note    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX audit_witness_alarms_at ON audit_witness_alarms(at);

-- As a log: the latest cosignature each peer returned for this node's
-- checkpoints, and the size it says it holds.
CREATE TABLE audit_cosignatures (
    witness     TEXT PRIMARY KEY,
    tree_size   BIGINT NOT NULL,
    note        TEXT NOT NULL,
    status      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    received_at TEXT NOT NULL
);
