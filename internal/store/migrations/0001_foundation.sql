-- Node settings: small key/value facts about this node.
CREATE TABLE node_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Accounts. roles is a space-separated set of role names.
CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    agency          TEXT NOT NULL,
    roles           TEXT NOT NULL,
    email           TEXT NOT NULL DEFAULT '',
    password_hash   TEXT NOT NULL,
    totp_secret     TEXT NOT NULL DEFAULT '',
    totp_enabled    INTEGER NOT NULL DEFAULT 0,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    disabled        INTEGER NOT NULL DEFAULT 0,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

-- Login sessions; only the SHA-256 of the cookie value is stored.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    absolute_expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Bearer tokens for programs; only the SHA-256 is stored.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    last_used_at TEXT NOT NULL DEFAULT '',
    revoked      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

-- Audit log: leaves of an RFC 6962 Merkle tree, dense index from 0.
CREATE TABLE audit_log (
    idx        BIGINT PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    agency     TEXT NOT NULL,
    action     TEXT NOT NULL,
    object     TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    detail     TEXT NOT NULL,
    leaf_hash  {{BLOB}} NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log(actor, idx);
CREATE INDEX audit_log_object ON audit_log(object, idx);

-- Perfect-subtree hashes of the audit tree, for inclusion and consistency proofs.
CREATE TABLE audit_nodes (
    level  INTEGER NOT NULL,
    idx    BIGINT NOT NULL,
    hash   {{BLOB}} NOT NULL,
    PRIMARY KEY (level, idx)
);

-- Signed tree heads.
CREATE TABLE audit_checkpoints (
    tree_size  BIGINT PRIMARY KEY,
    root_hash  {{BLOB}} NOT NULL,
    at         TEXT NOT NULL,
    node_id    TEXT NOT NULL,
    public_key TEXT NOT NULL,
    signature  {{BLOB}} NOT NULL
);
