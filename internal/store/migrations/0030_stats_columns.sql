-- Case statistics counted in SQL. What the statistics need of a case and
-- of each suspect or victim is derived once (by the Go code that parses
-- dates, sexes and nationalities) into stored columns, stamped with the
-- version of the code that derived them (st_ver; 0 = not yet derived), and
-- counted with GROUP BY over narrow covering indexes instead of reading
-- and decoding every case and person.
--
-- cases_cases: the year the case was opened (the creation year when the
-- opening date is missing) and the case's route and modus operandi as an
-- entry of cases_stat_texts (texts repeat across cases and may be too
-- long for an index).
ALTER TABLE cases_cases ADD COLUMN st_ver BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cases_cases ADD COLUMN st_year INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases_cases ADD COLUMN st_text BIGINT NOT NULL DEFAULT 0;
CREATE INDEX cases_cases_stats ON cases_cases(st_ver, crime_area, st_year, status, st_text);

CREATE TABLE cases_stat_texts (
    id             {{SERIAL}},
    route          TEXT NOT NULL,
    modus_operandi TEXT NOT NULL
);

-- cases_case_entities: whether the link counts (a person as suspect or
-- victim), the case's crime area, the person's age band when the case was
-- opened, sex and nationality. Links, cases' areas and opening dates and
-- entities' fields do not change once written; merges are taken into
-- account when counting.
ALTER TABLE cases_case_entities ADD COLUMN st_ver BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cases_case_entities ADD COLUMN st_counted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases_case_entities ADD COLUMN st_area TEXT NOT NULL DEFAULT '';
ALTER TABLE cases_case_entities ADD COLUMN st_band TEXT NOT NULL DEFAULT '';
ALTER TABLE cases_case_entities ADD COLUMN st_sex TEXT NOT NULL DEFAULT '';
ALTER TABLE cases_case_entities ADD COLUMN st_nat TEXT NOT NULL DEFAULT '';
CREATE INDEX cases_case_entities_stats ON cases_case_entities(st_ver, st_counted, st_area, role, st_band, st_sex, st_nat);

-- Link charts: breadth-first steps look relations up by either end; the
-- lookup by to_id now finds the other end and the type in the index
-- (from_id is covered by the UNIQUE (from_id, to_id, type) index).
CREATE INDEX cases_relations_to_cover ON cases_relations(to_id, from_id, type);
DROP INDEX cases_relations_to;
