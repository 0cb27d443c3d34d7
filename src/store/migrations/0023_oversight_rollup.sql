-- 0023_oversight_rollup.sql: roll-ups of oversight's daily figures so that a period is
-- answered from whole months, whole 7-day blocks of a month and only the few days at its
-- edges (src/oversight/, docs/internals/oversight.md "Roll-ups"); ratings per day
-- (satisfaction per period); the facts behind each figure (drill-down to the cases);
-- and the daily digest's "sent" record (no second digest after a restart or on a second
-- node).

-- Ratings (好差评) per day, department, division and item: all ratings, satisfied ones
-- (5, 4, 3), bad ones (1, 2), and bad ones whose rectification was answered that day.
ALTER TABLE oversight_daily ADD COLUMN ratings BIGINT NOT NULL DEFAULT 0;
ALTER TABLE oversight_daily ADD COLUMN satisfied BIGINT NOT NULL DEFAULT 0;
ALTER TABLE oversight_daily ADD COLUMN bad BIGINT NOT NULL DEFAULT 0;
ALTER TABLE oversight_daily ADD COLUMN rectified BIGINT NOT NULL DEFAULT 0;

-- The same figures per month (period YYYYMM) and per 7-day block of a month (period
-- YYYYMM * 10 + b: b 0 is days 1-7, 1 8-14, 2 15-21, 3 22-28, 4 29 to the month's end).
-- The two key ranges never meet (6 and 7 digits). Maintained in the transition's own
-- transaction beside oversight_daily.
CREATE TABLE oversight_rollup (
    period        INTEGER NOT NULL,
    department_id BIGINT NOT NULL,
    division_code BIGINT NOT NULL,
    item_code     TEXT NOT NULL,
    received      BIGINT NOT NULL DEFAULT 0,
    online        BIGINT NOT NULL DEFAULT 0,
    accepted      BIGINT NOT NULL DEFAULT 0,
    returned      BIGINT NOT NULL DEFAULT 0,
    rejected      BIGINT NOT NULL DEFAULT 0,
    completed     BIGINT NOT NULL DEFAULT 0,
    on_time       BIGINT NOT NULL DEFAULT 0,
    days_sum      BIGINT NOT NULL DEFAULT 0,
    ratings       BIGINT NOT NULL DEFAULT 0,
    satisfied     BIGINT NOT NULL DEFAULT 0,
    bad           BIGINT NOT NULL DEFAULT 0,
    rectified     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (period, department_id, division_code, item_code)
);

-- The distribution of working days used per month and per block (periods as above); no
-- item (the histogram is asked for a division subtree and at most one department).
CREATE TABLE oversight_rollup_days (
    period        INTEGER NOT NULL,
    department_id BIGINT NOT NULL,
    division_code BIGINT NOT NULL,
    days          INTEGER NOT NULL,
    n             BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (period, department_id, division_code, days)
);

-- Received and completed per week (YYYYMMDD of its Monday) and division: the dashboard's
-- trend, whole weeks from here and the days of a partial week from oversight_daily.
CREATE TABLE oversight_weekly (
    week          INTEGER NOT NULL,
    division_code BIGINT NOT NULL,
    received      BIGINT NOT NULL DEFAULT 0,
    completed     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (week, division_code)
);

-- Months and blocks of the figures recorded before this migration.
INSERT INTO oversight_rollup (period, department_id, division_code, item_code, received, online,
    accepted, returned, rejected, completed, on_time, days_sum)
SELECT day / 100, department_id, division_code, item_code, SUM(received), SUM(online),
       SUM(accepted), SUM(returned), SUM(rejected), SUM(completed), SUM(on_time), SUM(days_sum)
FROM oversight_daily GROUP BY day / 100, department_id, division_code, item_code;
INSERT INTO oversight_rollup (period, department_id, division_code, item_code, received, online,
    accepted, returned, rejected, completed, on_time, days_sum)
SELECT day / 100 * 10 + (CASE WHEN day % 100 >= 29 THEN 4 ELSE (day % 100 - 1) / 7 END),
       department_id, division_code, item_code, SUM(received), SUM(online), SUM(accepted),
       SUM(returned), SUM(rejected), SUM(completed), SUM(on_time), SUM(days_sum)
FROM oversight_daily
GROUP BY day / 100 * 10 + (CASE WHEN day % 100 >= 29 THEN 4 ELSE (day % 100 - 1) / 7 END),
         department_id, division_code, item_code;
INSERT INTO oversight_rollup_days (period, department_id, division_code, days, n)
SELECT day / 100, department_id, division_code, days, SUM(n)
FROM oversight_days GROUP BY day / 100, department_id, division_code, days;
INSERT INTO oversight_rollup_days (period, department_id, division_code, days, n)
SELECT day / 100 * 10 + (CASE WHEN day % 100 >= 29 THEN 4 ELSE (day % 100 - 1) / 7 END),
       department_id, division_code, days, SUM(n)
FROM oversight_days
GROUP BY day / 100 * 10 + (CASE WHEN day % 100 >= 29 THEN 4 ELSE (day % 100 - 1) / 7 END),
         department_id, division_code, days;

-- Weeks of the figures recorded before this migration: a Monday is computed differently
-- by each backend.
-- @backend sqlite
INSERT INTO oversight_weekly (week, division_code, received, completed)
SELECT CAST(strftime('%Y%m%d', date(printf('%04d-%02d-%02d', day / 10000, day / 100 % 100,
           day % 100), 'weekday 0', '-6 days')) AS INTEGER), division_code, SUM(received),
       SUM(completed)
FROM oversight_daily GROUP BY 1, division_code;
-- @backend postgresql
INSERT INTO oversight_weekly (week, division_code, received, completed)
SELECT CAST(to_char(date_trunc('week', to_date(CAST(day AS TEXT), 'YYYYMMDD')), 'YYYYMMDD')
           AS INTEGER), division_code, SUM(received), SUM(completed)
FROM oversight_daily GROUP BY 1, division_code;
-- @backend all

-- The facts behind each figure, one row per case (drill-down from a figure to its cases):
-- the day it was received (online: no counter step), the last day it was returned for
-- completion, the day it was completed, on time or not. Written with the figures.
CREATE TABLE oversight_facts (
    application_id BIGINT PRIMARY KEY,
    number         TEXT NOT NULL,
    item_code      TEXT NOT NULL,
    department_id  BIGINT NOT NULL,
    division_code  BIGINT NOT NULL,
    received_day   INTEGER NOT NULL DEFAULT 0,
    online         INTEGER NOT NULL DEFAULT 0,
    returned_day   INTEGER NOT NULL DEFAULT 0,
    completed_day  INTEGER NOT NULL DEFAULT 0,
    on_time        INTEGER NOT NULL DEFAULT 0,
    used_days      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX oversight_facts_received ON oversight_facts (division_code, received_day);
CREATE INDEX oversight_facts_completed ON oversight_facts (division_code, completed_day);
CREATE INDEX oversight_facts_returned ON oversight_facts (division_code, returned_day);

-- The daily digest sent to a department on a day (YYYYMMDD, Asia/Shanghai): inserted in
-- the transaction of the digest's message, so a restart or a second node sends none again.
CREATE TABLE oversight_digest_sent (
    department_id BIGINT NOT NULL,
    day           INTEGER NOT NULL,
    sent_at       BIGINT NOT NULL,
    PRIMARY KEY (department_id, day)
);
