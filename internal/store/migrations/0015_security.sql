-- Security hardening.
-- A second-factor secret being enrolled stays apart from the active one
-- until confirmed, and the last accepted one-time code step is kept so a
-- code cannot be used twice.
ALTER TABLE users ADD COLUMN totp_pending TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
-- API tokens carry scopes: "read", "all", or module actions and prefixes.
-- Tokens issued before scopes existed keep their access to module actions.
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'all';
-- The agency of whoever queued an outgoing message, to limit who may read
-- its status.
ALTER TABLE fed_outbox ADD COLUMN created_agency TEXT NOT NULL DEFAULT '';
