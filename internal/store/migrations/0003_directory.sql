-- Regional directory: countries, agencies, contact points, mechanisms,
-- agreements and their implementation record. Every record names the node
-- that is the authority for it (owner_node) and carries a version so peers
-- can replicate a node's own entries and keep the newest. List-valued fields
-- are JSON arrays in TEXT; "search" is the folded text (Cyrillic → Latin,
-- no diacritics, lower case) that full-text search matches against.
-- seed_hash is set while a row still equals the versioned seed file and
-- cleared when an administrator edits it, so re-seeding never overwrites
-- local edits.

CREATE TABLE dir_countries (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    local_names TEXT NOT NULL DEFAULT '[]',
    kind        TEXT NOT NULL,
    parent      TEXT NOT NULL DEFAULT '',
    node        TEXT NOT NULL DEFAULT '',
    time_zone   TEXT NOT NULL DEFAULT '',
    languages   TEXT NOT NULL DEFAULT '[]',
    note        TEXT NOT NULL DEFAULT '',
    sources     TEXT NOT NULL DEFAULT '[]',
    owner_node  TEXT NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1,
    seed_hash   TEXT NOT NULL DEFAULT '',
    search      TEXT NOT NULL DEFAULT '',
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX dir_countries_node ON dir_countries(node);

CREATE TABLE dir_agencies (
    id           TEXT PRIMARY KEY,
    owner_node   TEXT NOT NULL,
    country      TEXT NOT NULL REFERENCES dir_countries(code),
    code         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    name_key     TEXT NOT NULL,
    local_name   TEXT NOT NULL DEFAULT '',
    acronym      TEXT NOT NULL DEFAULT '',
    type         TEXT NOT NULL,
    jurisdiction TEXT NOT NULL DEFAULT '',
    parent_id    TEXT NOT NULL DEFAULT '',
    languages    TEXT NOT NULL DEFAULT '[]',
    website      TEXT NOT NULL DEFAULT '',
    sources      TEXT NOT NULL DEFAULT '[]',
    version      BIGINT NOT NULL DEFAULT 1,
    seed_hash    TEXT NOT NULL DEFAULT '',
    search       TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    updated_by   TEXT NOT NULL DEFAULT '',
    UNIQUE (country, name_key)
);
CREATE INDEX dir_agencies_owner ON dir_agencies(owner_node);

CREATE TABLE dir_mechanisms (
    id                  TEXT PRIMARY KEY,
    owner_node          TEXT NOT NULL,
    code                TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    former_names        TEXT NOT NULL DEFAULT '[]',
    kind                TEXT NOT NULL,
    purpose             TEXT NOT NULL DEFAULT '',
    members             TEXT NOT NULL DEFAULT '[]',
    founded             INTEGER NOT NULL DEFAULT 0,
    themes              TEXT NOT NULL DEFAULT '[]',
    secretariat_city    TEXT NOT NULL DEFAULT '',
    secretariat_country TEXT NOT NULL DEFAULT '',
    website             TEXT NOT NULL DEFAULT '',
    parent_id           TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL DEFAULT 'unknown',
    status_note         TEXT NOT NULL DEFAULT '',
    sources             TEXT NOT NULL DEFAULT '[]',
    version             BIGINT NOT NULL DEFAULT 1,
    seed_hash           TEXT NOT NULL DEFAULT '',
    search              TEXT NOT NULL DEFAULT '',
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    updated_by          TEXT NOT NULL DEFAULT ''
);

CREATE TABLE dir_agreements (
    id           TEXT PRIMARY KEY,
    owner_node   TEXT NOT NULL,
    title        TEXT NOT NULL,
    title_key    TEXT NOT NULL UNIQUE,
    short_name   TEXT NOT NULL DEFAULT '',
    types        TEXT NOT NULL DEFAULT '[]',
    multilateral INTEGER NOT NULL DEFAULT 0,
    parties      TEXT NOT NULL DEFAULT '[]',
    signed       TEXT NOT NULL DEFAULT '',
    ratified     TEXT NOT NULL DEFAULT '',
    in_force     TEXT NOT NULL DEFAULT '',
    ended        TEXT NOT NULL DEFAULT '',
    legal_basis  TEXT NOT NULL DEFAULT '',
    scope        TEXT NOT NULL DEFAULT '',
    mechanism_id TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'unknown',
    status_note  TEXT NOT NULL DEFAULT '',
    sources      TEXT NOT NULL DEFAULT '[]',
    version      BIGINT NOT NULL DEFAULT 1,
    seed_hash    TEXT NOT NULL DEFAULT '',
    search       TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    updated_by   TEXT NOT NULL DEFAULT ''
);

CREATE TABLE dir_contact_points (
    id           TEXT PRIMARY KEY,
    owner_node   TEXT NOT NULL,
    country      TEXT NOT NULL REFERENCES dir_countries(code),
    agency_id    TEXT NOT NULL DEFAULT '',
    mechanism_id TEXT NOT NULL DEFAULT '',
    role         TEXT NOT NULL,
    title        TEXT NOT NULL,
    channels     TEXT NOT NULL DEFAULT '[]',
    languages    TEXT NOT NULL DEFAULT '[]',
    always_on    INTEGER NOT NULL DEFAULT 0,
    hours        TEXT NOT NULL DEFAULT '',
    time_zone    TEXT NOT NULL DEFAULT '',
    holder_name  TEXT NOT NULL,
    holder_title TEXT NOT NULL DEFAULT '',
    holder_since TEXT NOT NULL DEFAULT '',
    deputy_name  TEXT NOT NULL DEFAULT '',
    deputy_title TEXT NOT NULL DEFAULT '',
    notes        TEXT NOT NULL DEFAULT '',
    confirmed_at TEXT NOT NULL,
    confirmed_by TEXT NOT NULL DEFAULT '',
    sources      TEXT NOT NULL DEFAULT '[]',
    version      BIGINT NOT NULL DEFAULT 1,
    seed_hash    TEXT NOT NULL DEFAULT '',
    search       TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    updated_by   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX dir_contact_points_lookup ON dir_contact_points(country, role);
CREATE INDEX dir_contact_points_owner ON dir_contact_points(owner_node);

-- Handover of a contact point from one holder to the next. A handover
-- dated in the future stays "scheduled" and takes effect on its date.
CREATE TABLE dir_handovers (
    id               TEXT PRIMARY KEY,
    contact_point_id TEXT NOT NULL REFERENCES dir_contact_points(id),
    owner_node       TEXT NOT NULL,
    from_holder      TEXT NOT NULL,
    to_holder        TEXT NOT NULL,
    to_holder_title  TEXT NOT NULL DEFAULT '',
    to_deputy        TEXT NOT NULL DEFAULT '',
    to_deputy_title  TEXT NOT NULL DEFAULT '',
    effective_from   TEXT NOT NULL,
    reason           TEXT NOT NULL DEFAULT '',
    open_items       TEXT NOT NULL DEFAULT '[]',
    reassigned       INTEGER NOT NULL DEFAULT 0,
    state            TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    applied_at       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX dir_handovers_cp ON dir_handovers(contact_point_id, created_at);
CREATE INDEX dir_handovers_due ON dir_handovers(state, effective_from);

-- Manual entries of the implementation record of an agreement or mechanism.
CREATE TABLE dir_activity (
    id           TEXT PRIMARY KEY,
    owner_node   TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    kind         TEXT NOT NULL,
    count        INTEGER NOT NULL DEFAULT 1,
    occurred_on  TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    source       TEXT NOT NULL DEFAULT 'manual',
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX dir_activity_subject ON dir_activity(subject_kind, subject_id, occurred_on);
