-- Mutual legal assistance and other judicial requests. A request has a
-- global ID (UUIDv7) shared by the requesting and the requested node; each
-- keeps its own copy (direction outgoing on the requesting node, incoming on
-- the requested node). Deadlines are absolute times; the *_reminded and
-- *_overdue flags record that the job already wrote the reminder or the
-- overdue notice to the timeline. List-valued fields are JSON arrays in TEXT.

CREATE TABLE mla_requests (
    id                 TEXT PRIMARY KEY,
    direction          TEXT NOT NULL,
    origin_node        TEXT NOT NULL,
    target_node        TEXT NOT NULL,
    kind               TEXT NOT NULL,
    title              TEXT NOT NULL,
    facts              TEXT NOT NULL DEFAULT '',
    measures           TEXT NOT NULL DEFAULT '',
    persons            TEXT NOT NULL DEFAULT '',
    case_refs          TEXT NOT NULL DEFAULT '[]',
    urgent             INTEGER NOT NULL DEFAULT 0,
    legal_basis_id     TEXT NOT NULL DEFAULT '',
    legal_basis        TEXT NOT NULL DEFAULT '',
    channel            TEXT NOT NULL,
    contact_id         TEXT NOT NULL DEFAULT '',
    contact            TEXT NOT NULL DEFAULT '',
    translations       TEXT NOT NULL DEFAULT '[]',
    status             TEXT NOT NULL,
    reason             TEXT NOT NULL DEFAULT '',
    agency             TEXT NOT NULL,
    created_by         TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    signed_by          TEXT NOT NULL DEFAULT '',
    signed_at          TEXT NOT NULL DEFAULT '',
    digest             TEXT NOT NULL DEFAULT '',
    sent_at            TEXT NOT NULL DEFAULT '',
    received_at        TEXT NOT NULL DEFAULT '',
    recognised_at      TEXT NOT NULL DEFAULT '',
    closed_at          TEXT NOT NULL DEFAULT '',
    recognise_due      TEXT NOT NULL DEFAULT '',
    execute_due        TEXT NOT NULL DEFAULT '',
    extended           INTEGER NOT NULL DEFAULT 0,
    recognise_reminded INTEGER NOT NULL DEFAULT 0,
    recognise_overdue  INTEGER NOT NULL DEFAULT 0,
    execute_reminded   INTEGER NOT NULL DEFAULT 0,
    execute_overdue    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX mla_requests_agency ON mla_requests(agency, updated_at);
CREATE INDEX mla_requests_status ON mla_requests(status);
CREATE INDEX mla_requests_basis ON mla_requests(legal_basis_id);

-- The timeline of a request: creation, signature, every status change with
-- its reason or answer, extensions, reminders and overdue notices.
CREATE TABLE mla_events (
    id         TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES mla_requests(id) ON DELETE CASCADE,
    at         TEXT NOT NULL,
    node       TEXT NOT NULL,
    actor      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT '',
    note       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mla_events_request ON mla_events(request_id, at);
