-- Failed form submits and freshly made secrets waiting to be shown on the
-- next page (POST/redirect/GET). Kept in the database so that the next
-- page may come from any instance of the node; the payload is sealed with
-- a key derived from the node's identity, and rows live 15 minutes.
CREATE TABLE web_stash (
    id         TEXT PRIMARY KEY,
    username   TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    payload    TEXT NOT NULL
);
CREATE INDEX web_stash_expires ON web_stash (expires_at);
CREATE INDEX web_stash_user ON web_stash (username, expires_at);
