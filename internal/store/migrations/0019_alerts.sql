-- Regional alerts on wanted persons and objects. Every node keeps its own
-- alerts (origin_node = this node) and signed copies of the alerts partners
-- distributed to it (origin_node = the issuer). An alert has a global ID
-- (UUIDv7) shared by the issuer and every recipient. Person and object data
-- are JSON in TEXT; the candidate keys for checks are in alerts_keys.

CREATE TABLE alerts (
    id             TEXT PRIMARY KEY,
    origin_node    TEXT NOT NULL,
    kind           TEXT NOT NULL,
    sub            TEXT NOT NULL DEFAULT '',
    subject        TEXT NOT NULL,
    label          TEXT NOT NULL DEFAULT '',
    person         TEXT NOT NULL DEFAULT '',
    object         TEXT NOT NULL DEFAULT '',
    warnings       TEXT NOT NULL DEFAULT '[]',
    action         TEXT NOT NULL DEFAULT '',
    reason         TEXT NOT NULL DEFAULT '',
    authority      TEXT NOT NULL DEFAULT '',
    warrant_ref    TEXT NOT NULL DEFAULT '',
    interpol_ref   TEXT NOT NULL DEFAULT '',
    misused        TEXT NOT NULL DEFAULT '',
    case_refs      TEXT NOT NULL DEFAULT '[]',
    status         TEXT NOT NULL,
    hidden         INTEGER NOT NULL DEFAULT 0,
    closed_reason  TEXT NOT NULL DEFAULT '',
    agency         TEXT NOT NULL DEFAULT '',
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    validated_by   TEXT NOT NULL DEFAULT '',
    validated_at   TEXT NOT NULL DEFAULT '',
    review_due     TEXT NOT NULL DEFAULT '',
    review_warned  INTEGER NOT NULL DEFAULT 0,
    digest         TEXT NOT NULL DEFAULT '',
    envelope_id    TEXT NOT NULL DEFAULT '',
    signature      TEXT NOT NULL DEFAULT '',
    legal_basis    TEXT NOT NULL DEFAULT '',
    flag_reason    TEXT NOT NULL DEFAULT '',
    flagged_by     TEXT NOT NULL DEFAULT '',
    flagged_at     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alerts_status ON alerts(status, hidden);
CREATE INDEX alerts_origin ON alerts(origin_node, kind);
CREATE INDEX alerts_review ON alerts(review_due);

-- Candidate keys of checkable alerts: the matching engine's blocking keys
-- for each name of a person, and normalised identifiers (documents,
-- national numbers, plates, VINs, serial numbers).
CREATE TABLE alerts_keys (
    k        BIGINT NOT NULL,
    alert_id TEXT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    PRIMARY KEY (k, alert_id)
);
CREATE INDEX alerts_keys_alert ON alerts_keys(alert_id);

-- Recipients an issuer distributed an alert to, each with its legal basis.
CREATE TABLE alerts_recipients (
    alert_id       TEXT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    node           TEXT NOT NULL,
    legal_basis_id TEXT NOT NULL DEFAULT '',
    legal_basis    TEXT NOT NULL DEFAULT '',
    sent_at        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (alert_id, node)
);

-- Flags: a recipient will not execute the alert on its territory. The
-- recipient keeps its own flag on its copy (alerts.flag_reason); the issuer
-- keeps every recipient's flag here.
CREATE TABLE alerts_flags (
    alert_id    TEXT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    node        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    at          TEXT NOT NULL,
    lifted      INTEGER NOT NULL DEFAULT 0,
    lift_asked  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (alert_id, node)
);

-- Hit reports: filed on the node where the check hit (direction outgoing)
-- and received by the issuer (direction incoming), with the deadline for
-- the issuer's answer.
CREATE TABLE alerts_hits (
    id            TEXT PRIMARY KEY,
    alert_id      TEXT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    direction     TEXT NOT NULL,
    reporter_node TEXT NOT NULL,
    issuer_node   TEXT NOT NULL,
    place         TEXT NOT NULL,
    checked_at    TEXT NOT NULL,
    check_reason  TEXT NOT NULL DEFAULT '',
    route         TEXT NOT NULL DEFAULT '',
    companions    TEXT NOT NULL DEFAULT '',
    vehicle       TEXT NOT NULL DEFAULT '',
    action_taken  TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL,
    due           TEXT NOT NULL,
    answer        TEXT NOT NULL DEFAULT '',
    outcome       TEXT NOT NULL DEFAULT '',
    answered_by   TEXT NOT NULL DEFAULT '',
    answered_at   TEXT NOT NULL DEFAULT '',
    agency        TEXT NOT NULL DEFAULT '',
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    overdue_noted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX alerts_hits_alert ON alerts_hits(alert_id, created_at);
CREATE INDEX alerts_hits_open ON alerts_hits(status, due);

-- The timeline of an alert on this node.
CREATE TABLE alerts_events (
    id       TEXT PRIMARY KEY,
    alert_id TEXT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    at       TEXT NOT NULL,
    node     TEXT NOT NULL,
    actor    TEXT NOT NULL,
    kind     TEXT NOT NULL,
    status   TEXT NOT NULL DEFAULT '',
    note     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alerts_events_alert ON alerts_events(alert_id, at);

-- Firearms records of this node: lost, stolen, trafficked, seized,
-- deactivated or destroyed firearms, linked to persons and cases.
CREATE TABLE alerts_firearms (
    id             TEXT PRIMARY KEY,
    manufacturer   TEXT NOT NULL DEFAULT '',
    country_made   TEXT NOT NULL DEFAULT '',
    serial         TEXT NOT NULL,
    serial_norm    TEXT NOT NULL,
    year           INTEGER NOT NULL DEFAULT 0,
    model          TEXT NOT NULL DEFAULT '',
    calibre        TEXT NOT NULL DEFAULT '',
    type           TEXT NOT NULL,
    import_marking TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL,
    persons        TEXT NOT NULL DEFAULT '[]',
    case_refs      TEXT NOT NULL DEFAULT '[]',
    place          TEXT NOT NULL DEFAULT '',
    route          TEXT NOT NULL DEFAULT '',
    event_at       TEXT NOT NULL DEFAULT '',
    agency         TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX alerts_firearms_serial ON alerts_firearms(serial_norm);
CREATE INDEX alerts_firearms_status ON alerts_firearms(status, type);

-- Tracing requests to another country's firearms focal point: outgoing on
-- the requesting node, incoming on the requested node, one global ID.
CREATE TABLE alerts_traces (
    id             TEXT PRIMARY KEY,
    direction      TEXT NOT NULL,
    from_node      TEXT NOT NULL,
    to_node        TEXT NOT NULL,
    firearm_id     TEXT NOT NULL DEFAULT '',
    markings       TEXT NOT NULL,
    circumstances  TEXT NOT NULL DEFAULT '',
    legal_basis_id TEXT NOT NULL DEFAULT '',
    legal_basis    TEXT NOT NULL DEFAULT '',
    focal_point    TEXT NOT NULL DEFAULT '',
    requester      TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL,
    due            TEXT NOT NULL,
    answer         TEXT NOT NULL DEFAULT '',
    agency         TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX alerts_traces_agency ON alerts_traces(agency, updated_at);

CREATE TABLE alerts_trace_events (
    id       TEXT PRIMARY KEY,
    trace_id TEXT NOT NULL REFERENCES alerts_traces(id) ON DELETE CASCADE,
    at       TEXT NOT NULL,
    node     TEXT NOT NULL,
    actor    TEXT NOT NULL,
    status   TEXT NOT NULL DEFAULT '',
    note     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alerts_trace_events_trace ON alerts_trace_events(trace_id, at);
