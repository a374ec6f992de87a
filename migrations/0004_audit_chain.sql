-- The audit chain's per-row digests: each checkpoint also keeps, for every row it covers, the
-- row's id (8 bytes, big-endian) and the BLAKE2b-256 of its canonical form (32 bytes). The signed
-- hash covers this list, so `phoneauth audit verify` can name the first row that was changed,
-- removed or slipped in, not just the range. No checkpoint was written before this migration.

ALTER TABLE audit_checkpoints ADD COLUMN row_digests bytea NOT NULL;
ALTER TABLE audit_checkpoints ADD CONSTRAINT audit_checkpoints_digests_len
    CHECK (octet_length(row_digests) % 40 = 0);
