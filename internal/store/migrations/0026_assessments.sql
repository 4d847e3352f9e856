-- Joint risk assessment (SEE-OCTA/SOCTA style). National contributions are
-- drafted and approved on each node and sent to the regional node, which
-- keeps them (state 'received') and merges them into a regional
-- assessment. Assessments hold analysis text and scores only, never
-- personal data. Sections, threats and priorities are JSON.

-- Contributions written on this node (node = this node) and those received
-- from national nodes (node = the sender, state 'received').
CREATE TABLE analysis_contributions (
    node          TEXT NOT NULL,
    id            TEXT NOT NULL,
    regional_node TEXT NOT NULL,
    crime_area    TEXT NOT NULL,
    period        TEXT NOT NULL,
    title         TEXT NOT NULL,
    sections      TEXT NOT NULL DEFAULT '[]',
    state         TEXT NOT NULL,
    version       BIGINT NOT NULL DEFAULT 1,
    created_by    TEXT NOT NULL DEFAULT '',
    submitted_by  TEXT NOT NULL DEFAULT '',
    approved_by   TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    approved_at   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (node, id)
);
CREATE INDEX analysis_contributions_area ON analysis_contributions (crime_area, period, state);

-- Regional assessments held by this node.
CREATE TABLE analysis_assessments (
    id            TEXT PRIMARY KEY,
    crime_area    TEXT NOT NULL,
    period        TEXT NOT NULL,
    title         TEXT NOT NULL,
    summary       TEXT NOT NULL DEFAULT '',
    sections      TEXT NOT NULL DEFAULT '[]',
    contributions TEXT NOT NULL DEFAULT '[]',
    threats       TEXT NOT NULL DEFAULT '[]',
    priorities    TEXT NOT NULL DEFAULT '[]',
    state         TEXT NOT NULL,
    version       BIGINT NOT NULL DEFAULT 1,
    created_by    TEXT NOT NULL DEFAULT '',
    submitted_by  TEXT NOT NULL DEFAULT '',
    approved_by   TEXT NOT NULL DEFAULT '',
    superseded_by TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    approved_at   TEXT NOT NULL DEFAULT '',
    needs_sent_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX analysis_assessments_area ON analysis_assessments (crime_area, state);
