-- A person alert may carry one photo of the wanted person (JPEG or PNG,
-- checked and bounded on upload and on receipt). The photo travels in the
-- signed alerts.publish envelope with the alert; its SHA-256 is part of
-- the alert's digest, kept on the alert row so the digest can be checked
-- without reading the image.

ALTER TABLE alerts ADD COLUMN photo_sha256 TEXT NOT NULL DEFAULT '';

CREATE TABLE alert_photos (
    alert_id     TEXT PRIMARY KEY REFERENCES alerts(id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    data         {{BLOB}} NOT NULL,
    created_at   TEXT NOT NULL
);

-- Links from an alert to other alerts (IDs of alerts held on the issuing
-- node), part of the alert's content and digest.
ALTER TABLE alerts ADD COLUMN links TEXT NOT NULL DEFAULT '[]';
