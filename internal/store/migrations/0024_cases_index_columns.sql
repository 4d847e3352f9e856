-- The candidate index is kept beside each entity instead of in a table of
-- its own: the entity's blocking keys (little-endian int64s) and, for a
-- person, its comparison-ready records (entity's binary form), stamped
-- with the version of the code that computed them. Loading writes one row
-- per entity instead of a dozen, and a start-up rebuild reads them back
-- without parsing; rows from other code versions are recomputed.
ALTER TABLE cases_entities ADD COLUMN ix_keys {{BLOB}};
ALTER TABLE cases_entities ADD COLUMN ix_rec {{BLOB}};
ALTER TABLE cases_entities ADD COLUMN ix_ver BIGINT NOT NULL DEFAULT 0;
DROP TABLE cases_keys;
