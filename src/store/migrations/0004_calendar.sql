-- 0004_calendar.sql: the working-day calendar (src/calendar/, docs/internals/calendar.md).
-- Only the special days are stored: a day not listed is a working day from Monday to
-- Friday and a rest day on Saturday and Sunday. `day` is the ISO date 'YYYY-MM-DD' (text
-- sorts in date order in both databases). `kind` is 'holiday' (no work that day) or
-- 'workday' (a weekend day that is worked, 调休上班). `scope` is 'national' or a region
-- code such as 'xizang'; a regional row overrides a national one for the same day.
CREATE TABLE calendar_days (
    day        TEXT NOT NULL,
    kind       TEXT NOT NULL,
    name_zh    TEXT NOT NULL,
    scope      TEXT NOT NULL,
    source     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (day, scope)
);
