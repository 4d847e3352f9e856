-- Joint operational database: cases, stored entities of every kind, typed
-- relations, the candidate index for matching, cross-border hit/no-hit
-- queries and owner releases. List-valued fields are JSON arrays in TEXT.

CREATE TABLE cases_cases (
    id             TEXT PRIMARY KEY,
    reference      TEXT NOT NULL UNIQUE,
    title          TEXT NOT NULL,
    crime_area     TEXT NOT NULL,
    status         TEXT NOT NULL,
    opened_on      TEXT NOT NULL DEFAULT '',
    closed_on      TEXT NOT NULL DEFAULT '',
    places         TEXT NOT NULL DEFAULT '[]',
    modus_operandi TEXT NOT NULL DEFAULT '',
    route          TEXT NOT NULL DEFAULT '[]',
    links          TEXT NOT NULL DEFAULT '[]',
    created_by     TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX cases_cases_area ON cases_cases(crime_area, opened_on);

-- Entities. pk is a compact surrogate used by the candidate index;
-- fingerprint (SHA-256 of kind + normalised fields) makes imports
-- idempotent. merged_into is set when a duplicate was merged into another
-- entity (unmerge clears it); provenance is kept in source.
CREATE TABLE cases_entities (
    pk          {{SERIAL}},
    id          TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    label       TEXT NOT NULL,
    fields      TEXT NOT NULL,
    aliases     TEXT NOT NULL DEFAULT '[]',
    fingerprint TEXT NOT NULL UNIQUE,
    source      TEXT NOT NULL DEFAULT '',
    merged_into TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);
CREATE INDEX cases_entities_kind ON cases_entities(kind, merged_into);

-- Which entities appear in which case, with their role there.
CREATE TABLE cases_case_entities (
    case_id   TEXT NOT NULL REFERENCES cases_cases(id),
    entity_id TEXT NOT NULL REFERENCES cases_entities(id),
    role      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (case_id, entity_id)
);
CREATE INDEX cases_case_entities_entity ON cases_case_entities(entity_id);

-- Typed relations between entities (member_of, owns, uses, called, paid,
-- travelled_with).
CREATE TABLE cases_relations (
    id         TEXT PRIMARY KEY,
    from_id    TEXT NOT NULL REFERENCES cases_entities(id),
    to_id      TEXT NOT NULL REFERENCES cases_entities(id),
    type       TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    UNIQUE (from_id, to_id, type)
);
CREATE INDEX cases_relations_to ON cases_relations(to_id);

-- Candidate index: 64-bit hashes of blocking keys (phonetic name pairs,
-- name token + birth date parts, date of birth, identifiers, phones,
-- plates, IBANs, ...) → entity pk.
CREATE TABLE cases_keys (
    k   BIGINT NOT NULL,
    ent BIGINT NOT NULL,
    PRIMARY KEY (k, ent)
);
CREATE INDEX cases_keys_ent ON cases_keys(ent);

-- The node's matching model (JSON as written by match.Model.WriteJSON).
CREATE TABLE cases_model (
    id        INTEGER PRIMARY KEY,
    model     TEXT NOT NULL,
    records   BIGINT NOT NULL,
    fitted_at TEXT NOT NULL
);

-- Import runs (idempotency is per entity fingerprint; this is the history).
CREATE TABLE cases_imports (
    id         TEXT PRIMARY KEY,
    format     TEXT NOT NULL,
    filename   TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    rows_total INTEGER NOT NULL,
    created    INTEGER NOT NULL,
    unchanged  INTEGER NOT NULL,
    rejected   INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Cross-border hit/no-hit queries sent by this node.
CREATE TABLE cases_queries (
    id         TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,
    case_ref   TEXT NOT NULL,
    peers      TEXT NOT NULL,
    items      TEXT NOT NULL,
    created_by TEXT NOT NULL,
    agency     TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX cases_queries_by ON cases_queries(created_by, created_at);

-- Answers received: per peer and query item, hit or no-hit.
CREATE TABLE cases_query_results (
    query_id    TEXT NOT NULL,
    peer        TEXT NOT NULL,
    item        INTEGER NOT NULL,
    hit         INTEGER NOT NULL,
    reference   TEXT NOT NULL DEFAULT '',
    band        TEXT NOT NULL DEFAULT '',
    answered_at TEXT NOT NULL,
    PRIMARY KEY (query_id, peer, item)
);

-- Queries received from peers, answered by the worker.
CREATE TABLE cases_inbound (
    id          TEXT PRIMARY KEY,
    query_id    TEXT NOT NULL,
    peer        TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    case_ref    TEXT NOT NULL,
    requester   TEXT NOT NULL,
    agency      TEXT NOT NULL,
    items       TEXT NOT NULL,
    state       TEXT NOT NULL,
    hits        INTEGER NOT NULL DEFAULT 0,
    received_at TEXT NOT NULL,
    answered_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX cases_inbound_state ON cases_inbound(state, received_at);

-- The owner's hit inbox: one row per item that matched local data. The
-- reference is random and only meaningful here.
CREATE TABLE cases_hits (
    reference   TEXT PRIMARY KEY,
    inbound_id  TEXT NOT NULL,
    query_id    TEXT NOT NULL,
    peer        TEXT NOT NULL,
    item        INTEGER NOT NULL,
    entity_id   TEXT NOT NULL,
    score       TEXT NOT NULL,
    band        TEXT NOT NULL,
    asked       TEXT NOT NULL,
    state       TEXT NOT NULL,
    decided_by  TEXT NOT NULL DEFAULT '',
    decided_at  TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL DEFAULT '',
    released    TEXT NOT NULL DEFAULT '',
    envelope_id TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);
CREATE INDEX cases_hits_state ON cases_hits(state, created_at);

-- Releases (or refusals) received from owners.
CREATE TABLE cases_releases (
    id          TEXT PRIMARY KEY,
    query_id    TEXT NOT NULL,
    peer        TEXT NOT NULL,
    reference   TEXT NOT NULL,
    refused     INTEGER NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    fields      TEXT NOT NULL DEFAULT '{}',
    markings    TEXT NOT NULL DEFAULT '{}',
    released_by TEXT NOT NULL DEFAULT '',
    routed_to   TEXT NOT NULL DEFAULT '',
    received_at TEXT NOT NULL
);
CREATE INDEX cases_releases_query ON cases_releases(query_id);

-- Audit entries written by federation handlers inside their transaction
-- and appended to the audit log by the worker right after commit.
CREATE TABLE cases_audit_queue (
    seq   {{SERIAL}},
    entry TEXT NOT NULL
);

-- Aggregate statistics shared by peers (counts only, small cells suppressed).
CREATE TABLE cases_shared_stats (
    peer        TEXT PRIMARY KEY,
    stats       TEXT NOT NULL,
    received_at TEXT NOT NULL
);
