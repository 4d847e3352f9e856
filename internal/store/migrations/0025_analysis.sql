-- Analysis: aggregates other nodes shared with this node (cooperation
-- scoreboards, harmonised statistics tables) and this node's own
-- harmonised tables. Only counts are kept here, never personal data.

-- What a peer shared with this node, the newest per peer and kind
-- ("scoreboard", or "table:<id>" for a harmonised table).
CREATE TABLE analysis_shared (
    peer        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (peer, kind)
);

-- Harmonised statistics tables held by this node (entered, imported or
-- computed from local cases). Definitions and cells are JSON.
CREATE TABLE analysis_tables (
    id            TEXT PRIMARY KEY,
    indicator_set TEXT NOT NULL,
    title         TEXT NOT NULL,
    period        TEXT NOT NULL,
    jurisdiction  TEXT NOT NULL,
    source        TEXT NOT NULL DEFAULT '',
    definitions   TEXT NOT NULL DEFAULT '[]',
    cells         TEXT NOT NULL DEFAULT '[]',
    created_by    TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX analysis_tables_set ON analysis_tables (indicator_set, period);
