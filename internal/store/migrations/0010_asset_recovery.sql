-- Asset recovery: assets linked to persons and cases, the steps of their
-- recovery (traced, frozen, seized, confiscated, managed, disposed or
-- returned) with date, authority and decision reference, and requests to
-- other countries' asset recovery offices. Values are in minor units
-- (cents) of the ISO 4217 currency; dates of steps are YYYY-MM-DD.

CREATE TABLE ar_assets (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    description TEXT NOT NULL,
    identifier  TEXT NOT NULL DEFAULT '',
    country     TEXT NOT NULL,
    person      TEXT NOT NULL DEFAULT '',
    case_ref    TEXT NOT NULL DEFAULT '',
    value_cents BIGINT NOT NULL DEFAULT 0,
    currency    TEXT NOT NULL,
    step        TEXT NOT NULL,
    agency      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX ar_assets_case ON ar_assets(case_ref);
CREATE INDEX ar_assets_step ON ar_assets(step);

CREATE TABLE ar_steps (
    id           TEXT PRIMARY KEY,
    asset_id     TEXT NOT NULL REFERENCES ar_assets(id) ON DELETE CASCADE,
    step         TEXT NOT NULL,
    on_date      TEXT NOT NULL,
    authority    TEXT NOT NULL,
    decision_ref TEXT NOT NULL DEFAULT '',
    value_cents  BIGINT NOT NULL DEFAULT 0,
    skip_reason  TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX ar_steps_asset ON ar_steps(asset_id, on_date);
CREATE INDEX ar_steps_date ON ar_steps(on_date);

-- Requests to (outgoing) and from (incoming) other countries' asset
-- recovery offices; the ID is shared by both nodes.
CREATE TABLE ar_requests (
    id          TEXT PRIMARY KEY,
    direction   TEXT NOT NULL,
    origin_node TEXT NOT NULL,
    target_node TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    subject     TEXT NOT NULL,
    details     TEXT NOT NULL DEFAULT '',
    case_ref    TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL,
    answer      TEXT NOT NULL DEFAULT '',
    agency      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    answered_by TEXT NOT NULL DEFAULT '',
    answered_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ar_requests_agency ON ar_requests(agency, created_at);
