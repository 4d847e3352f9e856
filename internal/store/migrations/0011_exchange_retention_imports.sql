-- Exchange: what happens to a thread at its review date (delete or
-- anonymise), per-user read state of notifications, entities imported into
-- local cases with their provenance, and a covering index so a search can
-- start from the postings of its rarest term.

-- '' follows the node's setting (--exchange-retention-action); otherwise
-- 'delete' or 'anonymise'. anonymised_at is set once the content is gone.
ALTER TABLE ex_threads ADD COLUMN retention_action TEXT NOT NULL DEFAULT '';
ALTER TABLE ex_threads ADD COLUMN anonymised_at TEXT NOT NULL DEFAULT '';

-- Which user has read which notification: notifications addressed to an
-- agency or a role are read by each user separately.
CREATE TABLE ex_notification_reads (
    notification_id TEXT NOT NULL,
    username        TEXT NOT NULL,
    read_at         TEXT NOT NULL,
    PRIMARY KEY (notification_id, username)
);

-- An import is recorded once per message entity and target case.
ALTER TABLE ex_imports ADD COLUMN entity_index INTEGER NOT NULL DEFAULT -1;
ALTER TABLE ex_imports ADD COLUMN case_entity_id TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX ex_imports_once ON ex_imports(message_id, entity_index, case_ref) WHERE entity_index >= 0;

-- Provenance of case entities that came from another agency or country
-- (e.g. a received exchange message): who provided it, in which thread and
-- message, under which markings, and who imported it into which case.
CREATE TABLE cases_provenance (
    id             TEXT PRIMARY KEY,
    case_id        TEXT NOT NULL,
    entity_id      TEXT NOT NULL,
    source_node    TEXT NOT NULL,
    source_agency  TEXT NOT NULL DEFAULT '',
    thread_id      TEXT NOT NULL DEFAULT '',
    message_id     TEXT NOT NULL,
    entity_index   INTEGER NOT NULL,
    sent_at        TEXT NOT NULL DEFAULT '',
    markings       TEXT NOT NULL DEFAULT '{}',
    marking_label  TEXT NOT NULL DEFAULT '',
    original       TEXT NOT NULL DEFAULT '{}',
    imported_by    TEXT NOT NULL,
    imported_agency TEXT NOT NULL DEFAULT '',
    imported_at    TEXT NOT NULL,
    UNIQUE (case_id, source_node, message_id, entity_index)
);
CREATE INDEX cases_provenance_entity ON cases_provenance(entity_id);

-- Covering index: the threads holding a term, read from the index alone.
CREATE INDEX ex_terms_term_thread ON ex_terms(term, thread_id);
