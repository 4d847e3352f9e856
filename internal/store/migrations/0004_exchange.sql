-- Secure information exchange: case threads and their messages. A thread has
-- a global ID (UUIDv7) shared by every participating node; each node keeps
-- its own copy. List-valued fields are JSON arrays in TEXT. "search" columns
-- hold folded text (Cyrillic → Latin, no diacritics, lower case).

CREATE TABLE ex_threads (
    id            TEXT PRIMARY KEY,
    subject       TEXT NOT NULL,
    crime_area    TEXT NOT NULL DEFAULT '',
    priority      TEXT NOT NULL,
    database_info INTEGER NOT NULL DEFAULT 0,
    case_refs     TEXT NOT NULL DEFAULT '[]',
    parties       TEXT NOT NULL DEFAULT '[]',
    origin_node   TEXT NOT NULL,
    origin_agency TEXT NOT NULL DEFAULT '',
    agency        TEXT NOT NULL,
    status        TEXT NOT NULL,
    created_by    TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    deadline_at   TEXT NOT NULL DEFAULT '',
    reminded      INTEGER NOT NULL DEFAULT 0,
    expired       INTEGER NOT NULL DEFAULT 0,
    review_at     TEXT NOT NULL,
    keep_reason   TEXT NOT NULL DEFAULT '',
    review_warned INTEGER NOT NULL DEFAULT 0,
    search        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ex_threads_agency ON ex_threads(agency, updated_at);
CREATE INDEX ex_threads_deadline ON ex_threads(status, deadline_at);
CREATE INDEX ex_threads_review ON ex_threads(review_at);

-- Local agencies a thread is shared with besides its owning agency.
CREATE TABLE ex_shares (
    thread_id  TEXT NOT NULL REFERENCES ex_threads(id) ON DELETE CASCADE,
    agency     TEXT NOT NULL,
    shared_by  TEXT NOT NULL,
    shared_at  TEXT NOT NULL,
    PRIMARY KEY (thread_id, agency)
);

CREATE TABLE ex_messages (
    id             TEXT PRIMARY KEY,
    thread_id      TEXT NOT NULL REFERENCES ex_threads(id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,
    node           TEXT NOT NULL,
    author         TEXT NOT NULL,
    agency         TEXT NOT NULL,
    body           TEXT NOT NULL,
    classification TEXT NOT NULL,
    handling       TEXT NOT NULL DEFAULT '[]',
    handling_note  TEXT NOT NULL DEFAULT '',
    reliability    TEXT NOT NULL,
    accuracy       INTEGER NOT NULL,
    onward         INTEGER NOT NULL DEFAULT 0,
    entities       TEXT NOT NULL DEFAULT '[]',
    forwarded_from TEXT NOT NULL DEFAULT '',
    permission     TEXT NOT NULL DEFAULT '',
    reason         TEXT NOT NULL DEFAULT '',
    recipients     TEXT NOT NULL DEFAULT '[]',
    created_at     TEXT NOT NULL,
    received_at    TEXT NOT NULL DEFAULT '',
    search         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ex_messages_thread ON ex_messages(thread_id, created_at);

-- Search index: one row per distinct folded token of a message (and of its
-- thread's subject), so searches are index range scans, not table scans.
CREATE TABLE ex_terms (
    term       TEXT NOT NULL,
    message_id TEXT NOT NULL,
    thread_id  TEXT NOT NULL,
    PRIMARY KEY (term, message_id)
);
CREATE INDEX ex_terms_thread ON ex_terms(thread_id);

CREATE TABLE ex_attachments (
    id           TEXT PRIMARY KEY,
    message_id   TEXT NOT NULL REFERENCES ex_messages(id) ON DELETE CASCADE,
    thread_id    TEXT NOT NULL,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    data         {{BLOB}} NOT NULL
);
CREATE INDEX ex_attachments_message ON ex_attachments(message_id);

-- Delivery and read acknowledgements per message and recipient node.
CREATE TABLE ex_deliveries (
    message_id   TEXT NOT NULL REFERENCES ex_messages(id) ON DELETE CASCADE,
    thread_id    TEXT NOT NULL,
    node         TEXT NOT NULL,
    envelope_id  TEXT NOT NULL DEFAULT '',
    delivered_at TEXT NOT NULL DEFAULT '',
    read_at      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (message_id, node)
);
CREATE INDEX ex_deliveries_thread ON ex_deliveries(thread_id);

-- Entities imported from a received message into a local case, with provenance.
CREATE TABLE ex_imports (
    id          TEXT PRIMARY KEY,
    thread_id   TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    case_ref    TEXT NOT NULL,
    entity      TEXT NOT NULL,
    provenance  TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at TEXT NOT NULL
);
CREATE INDEX ex_imports_thread ON ex_imports(thread_id);

-- In-app notifications: for one user, or for every user of an agency holding a role.
CREATE TABLE ex_notifications (
    id         TEXT PRIMARY KEY,
    agency     TEXT NOT NULL,
    role       TEXT NOT NULL DEFAULT '',
    thread_id  TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL,
    text       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at    TEXT NOT NULL DEFAULT '',
    mailed     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ex_notifications_agency ON ex_notifications(agency, created_at);
CREATE INDEX ex_notifications_mail ON ex_notifications(mailed);
