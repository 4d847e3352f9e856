-- One audit outbox for every module: a state change queues its audit entries
-- in the same transaction as its rows and envelopes; the audit log drains the
-- outbox into the Merkle tree (and deletes what it drained) in one
-- transaction. It replaces the per-module queues of cases and joint
-- investigations, whose waiting entries move here.
CREATE TABLE audit_outbox (
    seq   {{SERIAL}},
    entry TEXT NOT NULL
);
INSERT INTO audit_outbox (entry) SELECT entry FROM cases_audit_queue ORDER BY seq;
INSERT INTO audit_outbox (entry) SELECT entry FROM jit_audit_queue ORDER BY seq;
DROP TABLE cases_audit_queue;
DROP TABLE jit_audit_queue;

-- Received hit/no-hit queries that could not be answered wait for a retry
-- with backoff and a visible reason, without holding back the others.
ALTER TABLE cases_inbound ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases_inbound ADD COLUMN next_attempt_at TEXT NOT NULL DEFAULT '';
ALTER TABLE cases_inbound ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
