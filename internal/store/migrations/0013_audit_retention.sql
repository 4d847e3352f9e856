-- Audit retention: access records are kept for a retention period (3 years by
-- default) and then erased. The leaf hash and time stay, so the Merkle tree,
-- its signed checkpoints and inclusion proofs remain verifiable; only who,
-- what and why are gone.
ALTER TABLE audit_log ADD COLUMN pruned INTEGER NOT NULL DEFAULT 0;
