-- 0024_audit_slots.sql: the audit chain without a global lock (docs/internals/audit.md).
-- Every entry belongs to one sub-chain (`slot`): its own gap-free seq from 1 and its own
-- links. SQLite writes slot 0 only (one writer anyway); a PostgreSQL writer takes the lock
-- of its own slot (1-16), so transactions on different slots do not serialise. Rows
-- chained before this migration stay slot 0 and verify exactly as before.
ALTER TABLE audit_events ADD COLUMN slot BIGINT NOT NULL DEFAULT 0;
DROP INDEX audit_events_seq;
CREATE UNIQUE INDEX audit_events_slot_seq ON audit_events (slot, seq);

-- A merged checkpoint: one SM2 signature over every sub-chain's head at that moment
-- (`heads`: "slot seq hash\n" per non-empty slot, in slot order; `hash` is SM3 of it,
-- `entries` the sum of the seqs). anchor = 1: written by a retention purge; `heads` then
-- names, per purged slot, the last entry deleted, and verification of that slot starts
-- after it. The legacy audit_checkpoints rows (slot 0) are still verified.
CREATE TABLE audit_merged_checkpoints (
    id        BIGINT PRIMARY KEY,
    at        BIGINT NOT NULL,
    anchor    BIGINT NOT NULL,
    entries   BIGINT NOT NULL,
    hash      TEXT NOT NULL,
    heads     TEXT NOT NULL,
    signature BYTEA NOT NULL,
    key_id    TEXT NOT NULL
);
