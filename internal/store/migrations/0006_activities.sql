-- Partner activity registry: donor- and partner-funded activities, the
-- needs declared by beneficiary countries, joint prioritisation rounds,
-- events and the best-practice library. Activities, needs, events and
-- practices are public to the federation: every row names the node that
-- owns it (owner_node) and carries a version; peers keep the highest
-- version of another node's entries and never overwrite their own.
-- List-valued fields are JSON arrays in TEXT; "search" is folded text
-- (Cyrillic → Latin, no diacritics, lower case) for search across languages.

CREATE TABLE act_activities (
    id               TEXT PRIMARY KEY,
    owner_node       TEXT NOT NULL,
    version          BIGINT NOT NULL DEFAULT 1,
    status           TEXT NOT NULL,
    published        INTEGER NOT NULL DEFAULT 0,
    title            TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    kind             TEXT NOT NULL,
    implementer      TEXT NOT NULL,
    donor            TEXT NOT NULL,
    budget           BIGINT NOT NULL DEFAULT 0,
    currency         TEXT NOT NULL DEFAULT 'EUR',
    countries        TEXT NOT NULL DEFAULT '[]',
    agencies         TEXT NOT NULL DEFAULT '[]',
    themes           TEXT NOT NULL DEFAULT '[]',
    start_date       TEXT NOT NULL DEFAULT '',
    end_date         TEXT NOT NULL DEFAULT '',
    expected_results TEXT NOT NULL DEFAULT '',
    indicators       TEXT NOT NULL DEFAULT '[]',
    beneficiaries    INTEGER NOT NULL DEFAULT 0,
    contact_name     TEXT NOT NULL DEFAULT '',
    contact_email    TEXT NOT NULL DEFAULT '',
    contact_phone    TEXT NOT NULL DEFAULT '',
    documents        TEXT NOT NULL DEFAULT '[]',
    resolutions      TEXT NOT NULL DEFAULT '[]',
    merged_into      TEXT NOT NULL DEFAULT '',
    search           TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL,
    created_by       TEXT NOT NULL DEFAULT '',
    updated_at       TEXT NOT NULL,
    updated_by       TEXT NOT NULL DEFAULT '',
    published_at     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX act_activities_owner ON act_activities(owner_node);
CREATE INDEX act_activities_dates ON act_activities(published, start_date, end_date);

CREATE TABLE act_needs (
    id          TEXT PRIMARY KEY,
    owner_node  TEXT NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1,
    country     TEXT NOT NULL,
    agency      TEXT NOT NULL DEFAULT '',
    theme       TEXT NOT NULL,
    priority    INTEGER NOT NULL,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT 'open',
    search      TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX act_needs_country ON act_needs(country, theme);

CREATE TABLE act_rounds (
    id          TEXT PRIMARY KEY,
    owner_node  TEXT NOT NULL,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL,
    closes_on   TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL DEFAULT '',
    closed_at   TEXT NOT NULL DEFAULT ''
);

CREATE TABLE act_votes (
    round_id    TEXT NOT NULL REFERENCES act_rounds(id),
    need_id     TEXT NOT NULL,
    voter       TEXT NOT NULL,
    voter_agency TEXT NOT NULL DEFAULT '',
    voter_role  TEXT NOT NULL DEFAULT '',
    points      INTEGER NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL,
    PRIMARY KEY (round_id, need_id, voter)
);

CREATE TABLE act_events (
    id           TEXT PRIMARY KEY,
    owner_node   TEXT NOT NULL,
    version      BIGINT NOT NULL DEFAULT 1,
    title        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    activity_id  TEXT NOT NULL DEFAULT '',
    start_date   TEXT NOT NULL,
    end_date     TEXT NOT NULL DEFAULT '',
    country      TEXT NOT NULL DEFAULT '',
    city         TEXT NOT NULL DEFAULT '',
    themes       TEXT NOT NULL DEFAULT '[]',
    description  TEXT NOT NULL DEFAULT '',
    participants TEXT NOT NULL DEFAULT '[]',
    materials    TEXT NOT NULL DEFAULT '[]',
    contact_name  TEXT NOT NULL DEFAULT '',
    contact_email TEXT NOT NULL DEFAULT '',
    search       TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    updated_by   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX act_events_start ON act_events(start_date);

CREATE TABLE act_practices (
    id          TEXT PRIMARY KEY,
    owner_node  TEXT NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1,
    title       TEXT NOT NULL,
    summary     TEXT NOT NULL,
    language    TEXT NOT NULL DEFAULT 'en',
    themes      TEXT NOT NULL DEFAULT '[]',
    link        TEXT NOT NULL DEFAULT '',
    event_id    TEXT NOT NULL DEFAULT '',
    search      TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL DEFAULT ''
);
