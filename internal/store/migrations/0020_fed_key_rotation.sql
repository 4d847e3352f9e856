-- Key rotation: a peer's previous key stays trusted until prev_key_until
-- (a grace period announced with the new key); revoked keys are never
-- trusted again.
ALTER TABLE fed_peers ADD COLUMN prev_public_key TEXT NOT NULL DEFAULT '';
ALTER TABLE fed_peers ADD COLUMN prev_key_until TEXT NOT NULL DEFAULT '';

CREATE TABLE fed_revoked_keys (
    public_key TEXT PRIMARY KEY,
    peer       TEXT NOT NULL,
    revoked_at TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT ''
);

-- Certificate renewal: a peer's previous federation certificate stays
-- pinned until prev_cert_until.
ALTER TABLE fed_peers ADD COLUMN prev_tls_cert_sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE fed_peers ADD COLUMN prev_cert_until TEXT NOT NULL DEFAULT '';

-- Pending key and certificate announcements are looked up per delivery round.
CREATE INDEX fed_outbox_type_state ON fed_outbox(type, state);
