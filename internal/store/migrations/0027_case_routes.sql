-- Routes recorded on cases: journeys of trafficking or smuggling, each an
-- ordered list of places and border crossings (codes of the gazetteer in
-- internal/cases/places.go) with the day travelled. The analysis module
-- counts consecutive stops as route segments over a period.

CREATE TABLE cases_routes (
    id           TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL REFERENCES cases_cases(id),
    travelled_on TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL
);
CREATE INDEX cases_routes_case ON cases_routes(case_id);
CREATE INDEX cases_routes_day ON cases_routes(travelled_on);

CREATE TABLE cases_route_stops (
    route_id TEXT NOT NULL REFERENCES cases_routes(id),
    seq      INTEGER NOT NULL,
    place    TEXT NOT NULL,
    PRIMARY KEY (route_id, seq)
);
