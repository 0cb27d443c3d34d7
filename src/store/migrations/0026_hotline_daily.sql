-- 0026_hotline_daily.sql - the 12345 hotline's figures per day and county (issue 15: the
-- leaders' dashboard shows 12345 orders, response and resolution times without scanning the
-- orders). One row per (day the orders were created, county); the hotline adds each order's
-- contribution in the transaction that creates or changes it (src/hotline/hotline_daily.c):
-- received; dispatched and the sum of created -> dispatched; replied and the sum of
-- created -> replied, and those replied after their deadline; rated and satisfied (4 or 5
-- stars). A merged order counts nowhere (as in hotline_stats).
-- day: days since 1970-01-01 in Asia/Shanghai (calendar_day_of_ms); county: the 12-digit
-- code of the order's county (division_code with its last 6 digits zero).
CREATE TABLE hotline_daily (
    day           INTEGER NOT NULL,
    county        BIGINT NOT NULL,
    received      BIGINT NOT NULL DEFAULT 0,
    dispatched    BIGINT NOT NULL DEFAULT 0,
    response_ms   BIGINT NOT NULL DEFAULT 0,
    replied       BIGINT NOT NULL DEFAULT 0,
    resolution_ms BIGINT NOT NULL DEFAULT 0,
    replied_late  BIGINT NOT NULL DEFAULT 0,
    rated         BIGINT NOT NULL DEFAULT 0,
    satisfied     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, county)
);

-- The orders written before this migration.
INSERT INTO hotline_daily (day, county, received, dispatched, response_ms, replied,
                           resolution_ms, replied_late, rated, satisfied)
SELECT (created_at + 28800000) / 86400000, (division_code / 1000000) * 1000000, COUNT(*),
       SUM(CASE WHEN dispatched_at > 0 THEN 1 ELSE 0 END),
       SUM(CASE WHEN dispatched_at > 0 THEN dispatched_at - created_at ELSE 0 END),
       SUM(CASE WHEN replied_at > 0 THEN 1 ELSE 0 END),
       SUM(CASE WHEN replied_at > 0 THEN replied_at - created_at ELSE 0 END),
       SUM(CASE WHEN replied_at > 0 AND deadline_at > 0 AND replied_at > deadline_at THEN 1 ELSE 0 END),
       SUM(CASE WHEN rating BETWEEN 1 AND 5 THEN 1 ELSE 0 END),
       SUM(CASE WHEN rating >= 4 AND rating <= 5 THEN 1 ELSE 0 END)
FROM hotline_orders WHERE status <> 'merged'
GROUP BY (created_at + 28800000) / 86400000, (division_code / 1000000) * 1000000;
