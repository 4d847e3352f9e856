-- Joint investigation teams (JITs) and coordinated parallel investigations.
-- Both are "workspaces" replicated by a single authoritative leader node:
-- the leader validates every change, gives it the next sequence number in
-- jit_events and sends it to every party node, which applies the same
-- event to its own copy. The tables other than jit_events are the state
-- derived from the events; jit_files and jit_audit_queue are node-local.

CREATE TABLE jit_workspaces (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,              -- jit | parallel
    leader_node      TEXT NOT NULL,
    reference        TEXT NOT NULL DEFAULT '',
    title            TEXT NOT NULL,
    template         TEXT NOT NULL DEFAULT '',
    purpose          TEXT NOT NULL DEFAULT '',
    legal_basis      TEXT NOT NULL DEFAULT '',
    parties          TEXT NOT NULL DEFAULT '[]', -- node IDs
    start_date       TEXT NOT NULL DEFAULT '',
    end_date         TEXT NOT NULL DEFAULT '',
    extensions       TEXT NOT NULL DEFAULT '[]',
    plan_status      TEXT NOT NULL DEFAULT 'draft',
    plan_version     BIGINT NOT NULL DEFAULT 1,
    plan_approved_by TEXT NOT NULL DEFAULT '',
    plan_approved_at TEXT NOT NULL DEFAULT '',
    exchange_agreed  TEXT NOT NULL DEFAULT '[]', -- nodes that agreed the exchange plan
    last_seq         BIGINT NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    created_by       TEXT NOT NULL DEFAULT '',
    updated_at       TEXT NOT NULL
);

CREATE TABLE jit_members (
    workspace_id TEXT NOT NULL,
    id           TEXT NOT NULL,
    node         TEXT NOT NULL,
    username     TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    agency       TEXT NOT NULL DEFAULT '',
    role         TEXT NOT NULL,
    added_at     TEXT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE UNIQUE INDEX jit_members_user ON jit_members(workspace_id, node, username);
CREATE INDEX jit_members_lookup ON jit_members(node, username);

CREATE TABLE jit_tasks (
    workspace_id TEXT NOT NULL,
    id           TEXT NOT NULL,
    title        TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    owner        TEXT NOT NULL DEFAULT '',   -- member ID
    due_date     TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'open',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE jit_events (
    workspace_id TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    actor_node   TEXT NOT NULL DEFAULT '',
    actor        TEXT NOT NULL DEFAULT '',
    agency       TEXT NOT NULL DEFAULT '',
    summary      TEXT NOT NULL DEFAULT '',
    data         TEXT NOT NULL DEFAULT '{}',
    at           TEXT NOT NULL,
    PRIMARY KEY (workspace_id, seq)
);

CREATE TABLE jit_messages (
    workspace_id TEXT NOT NULL,
    id           TEXT NOT NULL,
    node         TEXT NOT NULL,
    author       TEXT NOT NULL,
    body         TEXT NOT NULL,
    at           TEXT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE jit_evidence (
    id                TEXT PRIMARY KEY,
    workspace_id      TEXT NOT NULL,
    title             TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    sha256            TEXT NOT NULL,
    size              BIGINT NOT NULL DEFAULT 0,
    file_name         TEXT NOT NULL DEFAULT '',
    content_type      TEXT NOT NULL DEFAULT '',
    origin            TEXT NOT NULL DEFAULT '',
    collecting_party  TEXT NOT NULL,
    legal_basis       TEXT NOT NULL DEFAULT '',
    governing_law     TEXT NOT NULL,
    custodian         TEXT NOT NULL,
    use_authorised    INTEGER NOT NULL DEFAULT 0,
    use_authorised_by TEXT NOT NULL DEFAULT '',
    registered_by     TEXT NOT NULL DEFAULT '',
    registered_at     TEXT NOT NULL
);
CREATE INDEX jit_evidence_ws ON jit_evidence(workspace_id);

-- Chain of custody: each entry's hash covers the previous entry's hash, so
-- a changed, removed or reordered entry breaks every later hash.
CREATE TABLE jit_custody (
    evidence_id  TEXT NOT NULL,
    n            BIGINT NOT NULL,
    workspace_id TEXT NOT NULL,
    action       TEXT NOT NULL,
    from_party   TEXT NOT NULL DEFAULT '',
    to_party     TEXT NOT NULL DEFAULT '',
    actor        TEXT NOT NULL DEFAULT '',
    actor_node   TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    at           TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL,
    PRIMARY KEY (evidence_id, n)
);

-- Node-local encrypted evidence files: "store" at the registering node,
-- "transfer" at a node that received a transfer (purged after download or
-- at purge_at).
CREATE TABLE jit_files (
    evidence_id  TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    area         TEXT NOT NULL,
    nonce        {{BLOB}} NOT NULL,
    data         {{BLOB}} NOT NULL,
    received_at  TEXT NOT NULL,
    purge_at     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX jit_files_purge ON jit_files(area, purge_at);

CREATE TABLE jit_cases (
    workspace_id TEXT NOT NULL,
    node         TEXT NOT NULL,
    case_ref     TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    linked_by    TEXT NOT NULL DEFAULT '',
    at           TEXT NOT NULL,
    PRIMARY KEY (workspace_id, node, case_ref)
);

CREATE TABLE jit_targets (
    workspace_id TEXT NOT NULL,
    id           TEXT NOT NULL,
    node         TEXT NOT NULL,
    kind         TEXT NOT NULL,   -- person | location
    label        TEXT NOT NULL,
    fields       TEXT NOT NULL DEFAULT '{}',
    added_by     TEXT NOT NULL DEFAULT '',
    at           TEXT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE jit_warnings (
    workspace_id TEXT NOT NULL,
    id           TEXT NOT NULL,
    target_a     TEXT NOT NULL,
    target_b     TEXT NOT NULL,
    node_a       TEXT NOT NULL,
    node_b       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    score        DOUBLE PRECISION NOT NULL DEFAULT 0,
    explanation  TEXT NOT NULL DEFAULT '',
    at           TEXT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE jit_exchange (
    workspace_id TEXT NOT NULL,
    id           TEXT NOT NULL,
    what         TEXT NOT NULL,
    from_node    TEXT NOT NULL,
    to_node      TEXT NOT NULL,
    channel      TEXT NOT NULL DEFAULT '',
    schedule     TEXT NOT NULL DEFAULT '',
    at           TEXT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

-- Changes this node submitted that the leader refused, with its reason.
CREATE TABLE jit_rejections (
    workspace_id TEXT NOT NULL,
    id           TEXT NOT NULL,
    kind         TEXT NOT NULL,
    actor        TEXT NOT NULL DEFAULT '',
    reason       TEXT NOT NULL,
    at           TEXT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE jit_audit_queue (
    seq   {{SERIAL}},
    entry TEXT NOT NULL
);
