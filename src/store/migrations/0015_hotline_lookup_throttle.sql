-- 0015_hotline_lookup_throttle.sql: failed look-ups of a work order by number and phone
-- (src/hotline, the public status page), counted per order number ("n:<number>") and per
-- source address ("ip:<addr>") in a fixed window, so that nobody can guess a caller's phone
-- for a known number, or walk numbers with a phone. Rows older than the window are purged
-- as failures are recorded.
CREATE TABLE hotline_lookup_failures (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start BIGINT NOT NULL
);
