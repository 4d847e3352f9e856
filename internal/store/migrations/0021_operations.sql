-- Cross-border operations room: hot pursuits, cross-border surveillance,
-- controlled deliveries, joint patrols and incidents. An operation has a
-- global ID (UUIDv7) shared by every node taking part; each node keeps its
-- own copy, with the header in ops_operations and an append-only,
-- hash-chained log of events in ops_events (each entry's hash covers the
-- previous entry's hash). Per-country states (authorisations, patrol
-- confirmations), organisations, tasks and the declared terms of the
-- agreements are projections kept beside it.

CREATE TABLE ops_operations (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    origin_node   TEXT NOT NULL,
    nodes         TEXT NOT NULL DEFAULT '[]',
    title         TEXT NOT NULL,
    status        TEXT NOT NULL,
    exercise      INTEGER NOT NULL DEFAULT 0,
    severity      INTEGER NOT NULL DEFAULT 0,
    details       TEXT NOT NULL DEFAULT '{}',
    legal_basis   TEXT NOT NULL DEFAULT '',
    legal_basis_id TEXT NOT NULL DEFAULT '',
    conditions    TEXT NOT NULL DEFAULT '',
    deadline_at   TEXT NOT NULL DEFAULT '',
    units         TEXT NOT NULL DEFAULT '[]',
    agency        TEXT NOT NULL DEFAULT '',
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    last_text     TEXT NOT NULL DEFAULT '',
    has_pos       INTEGER NOT NULL DEFAULT 0,
    last_lat      DOUBLE PRECISION NOT NULL DEFAULT 0,
    last_lon      DOUBLE PRECISION NOT NULL DEFAULT 0,
    last_at       TEXT NOT NULL DEFAULT '',
    closed        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ops_operations_open ON ops_operations (closed, updated_at);

CREATE TABLE ops_events (
    op_id     TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    id        TEXT NOT NULL,
    at        TEXT NOT NULL,
    node      TEXT NOT NULL,
    actor     TEXT NOT NULL,
    kind      TEXT NOT NULL,
    text      TEXT NOT NULL DEFAULT '',
    status    TEXT NOT NULL DEFAULT '',
    has_pos   INTEGER NOT NULL DEFAULT 0,
    lat       DOUBLE PRECISION NOT NULL DEFAULT 0,
    lon       DOUBLE PRECISION NOT NULL DEFAULT 0,
    data      TEXT NOT NULL DEFAULT '{}',
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL,
    PRIMARY KEY (op_id, seq)
);
CREATE UNIQUE INDEX ops_events_id ON ops_events (id);

CREATE TABLE ops_countries (
    op_id  TEXT NOT NULL,
    node   TEXT NOT NULL,
    state  TEXT NOT NULL,
    note   TEXT NOT NULL DEFAULT '',
    at     TEXT NOT NULL,
    PRIMARY KEY (op_id, node)
);

CREATE TABLE ops_orgs (
    op_id  TEXT NOT NULL,
    org    TEXT NOT NULL,
    state  TEXT NOT NULL,
    at     TEXT NOT NULL,
    PRIMARY KEY (op_id, org)
);

CREATE TABLE ops_tasks (
    id        TEXT PRIMARY KEY,
    op_id     TEXT NOT NULL,
    title     TEXT NOT NULL,
    priority  TEXT NOT NULL,
    assignee  TEXT NOT NULL DEFAULT '',
    state     TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX ops_tasks_op ON ops_tasks (op_id);

-- Declared terms of an agreement for one state (the state on whose
-- territory the operation continues): hot pursuit limits, right to
-- apprehend, the deadline for authorising urgent surveillance.
CREATE TABLE ops_terms (
    agreement_id     TEXT NOT NULL,
    country          TEXT NOT NULL,
    pursuit          INTEGER NOT NULL DEFAULT 1,
    pursuit_km       INTEGER NOT NULL DEFAULT 0,
    pursuit_hours    INTEGER NOT NULL DEFAULT 0,
    apprehend        INTEGER NOT NULL DEFAULT 0,
    surveillance_min INTEGER NOT NULL DEFAULT 300,
    note             TEXT NOT NULL DEFAULT '',
    updated_by       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (agreement_id, country)
);
