-- The tamper-evident audit log (docs/internals/audit.md): every audit_events
-- row gets a gap-free sequence number and the SM3 hash of the row before it, so a changed,
-- removed or re-linked row shows; signed checkpoints vouch for the chain head.
-- Rows written before this migration have seq NULL until audit_chain_backfill chains them
-- (once, at start-up); after that a row without seq is itself reported by `audit verify`.
ALTER TABLE audit_events ADD COLUMN seq BIGINT;
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_events_seq ON audit_events (seq);

-- A signed statement "entry seq has hash `hash`" made at `at` with key `key_id`. anchor = 1:
-- written by a retention purge; entries up to seq were deleted and verification starts here.
CREATE TABLE audit_checkpoints (
    seq       BIGINT PRIMARY KEY,
    hash      TEXT NOT NULL,
    at        BIGINT NOT NULL,
    anchor    BIGINT NOT NULL,
    signature BYTEA NOT NULL,
    key_id    TEXT NOT NULL
);

-- The platform's SM2 audit signing keys; the private key PEM is sealed with the keyring's
-- secrets key (associated data "audit_keys.private_sealed:KEY_ID").
CREATE TABLE audit_keys (
    key_id         TEXT PRIMARY KEY,
    public_hex     TEXT NOT NULL,
    private_sealed BYTEA NOT NULL,
    created_at     BIGINT NOT NULL
);
