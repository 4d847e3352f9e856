-- Peer nodes this node exchanges envelopes with.
CREATE TABLE fed_peers (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    url             TEXT NOT NULL,
    public_key      TEXT NOT NULL,
    tls_cert_sha256 TEXT NOT NULL DEFAULT '',
    suspended       INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    last_contact_at TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    failures        INTEGER NOT NULL DEFAULT 0
);

-- Outgoing envelopes. A domain write inserts here in the same transaction
-- (transactional outbox); the delivery worker sends them in order per
-- conversation.
CREATE TABLE fed_outbox (
    id              TEXT PRIMARY KEY,
    peer            TEXT NOT NULL REFERENCES fed_peers(id),
    type            TEXT NOT NULL,
    conversation    TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    created_at      TEXT NOT NULL,
    envelope        TEXT NOT NULL,
    state           TEXT NOT NULL,
    sensitive       INTEGER NOT NULL DEFAULT 0,
    summary         TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL DEFAULT '',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    delivered_at    TEXT NOT NULL DEFAULT '',
    decided_by      TEXT NOT NULL DEFAULT '',
    decided_at      TEXT NOT NULL DEFAULT '',
    reason          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX fed_outbox_due ON fed_outbox(state, next_attempt_at);
CREATE INDEX fed_outbox_conv ON fed_outbox(peer, conversation, seq);

-- Incoming envelopes, stored once per id (idempotent receive).
CREATE TABLE fed_inbox (
    id            TEXT PRIMARY KEY,
    peer          TEXT NOT NULL,
    type          TEXT NOT NULL,
    conversation  TEXT NOT NULL,
    seq           BIGINT NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    envelope      TEXT NOT NULL,
    state         TEXT NOT NULL,
    summary       TEXT NOT NULL DEFAULT '',
    routed_to     TEXT NOT NULL DEFAULT '',
    decided_by    TEXT NOT NULL DEFAULT '',
    decided_at    TEXT NOT NULL DEFAULT '',
    handled_at    TEXT NOT NULL DEFAULT '',
    last_error    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX fed_inbox_state ON fed_inbox(state, received_at);
