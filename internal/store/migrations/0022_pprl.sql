-- Privacy-preserving hit/no-hit (issue 19): the mode a query used, the
-- schema/key fingerprint of a private query, and a peer's configuration
-- error (key or schema mismatch, private mode required) per answer item.
ALTER TABLE cases_queries ADD COLUMN mode TEXT NOT NULL DEFAULT 'plain';
ALTER TABLE cases_inbound ADD COLUMN mode TEXT NOT NULL DEFAULT 'plain';
ALTER TABLE cases_inbound ADD COLUMN pprl_key TEXT NOT NULL DEFAULT '';
ALTER TABLE cases_query_results ADD COLUMN error TEXT NOT NULL DEFAULT '';

-- Regional target deconfliction. A registration puts an investigation's
-- active targets up for comparison with the chosen partners; only keyed
-- encodings of the targets leave the node (and are kept here, never the
-- targets in clear: those stay in the case database).
CREATE TABLE cases_deconf_regs (
    id         TEXT PRIMARY KEY,
    case_id    TEXT NOT NULL,
    case_ref   TEXT NOT NULL,
    contact    TEXT NOT NULL,
    agency     TEXT NOT NULL,
    peers      TEXT NOT NULL,
    pprl_key   TEXT NOT NULL,
    targets    TEXT NOT NULL,
    state      TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    closed_at  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX cases_deconf_regs_case ON cases_deconf_regs(case_id, state);

-- Partners' registrations as received: their keyed target encodings and
-- contact point. Removed when the partner withdraws or closes.
CREATE TABLE cases_deconf_remote (
    peer        TEXT NOT NULL,
    reg_id      TEXT NOT NULL,
    contact     TEXT NOT NULL,
    agency      TEXT NOT NULL,
    pprl_key    TEXT NOT NULL,
    targets     TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (peer, reg_id)
);

-- Deconfliction notices for the NCU: a local registration and a partner's
-- share an active target. Only the two contact points are named.
CREATE TABLE cases_deconf_notices (
    id              TEXT PRIMARY KEY,
    local_reg       TEXT NOT NULL,
    peer            TEXT NOT NULL,
    remote_reg      TEXT NOT NULL,
    local_contact   TEXT NOT NULL,
    remote_contact  TEXT NOT NULL,
    remote_agency   TEXT NOT NULL,
    state           TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    closed_at       TEXT NOT NULL DEFAULT '',
    UNIQUE (local_reg, peer, remote_reg)
);
CREATE INDEX cases_deconf_notices_state ON cases_deconf_notices(state, created_at);
