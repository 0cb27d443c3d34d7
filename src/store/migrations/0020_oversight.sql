-- 0020_oversight.sql: supervision across levels (效能督查), the KPIs of the leaders'
-- dashboard, and supervision notes (督办) (src/oversight/, docs/internals/oversight.md).
-- Every row here is written from apply's transition hook (apply_on_event) inside the
-- transition's own transaction, so the figures never disagree with the cases and the
-- dashboard and supervisors' queues never read the case tables.

-- The cases waiting for staff (submitted, accepted, under_review) with their due time:
-- the supervisors' subtree queues. A row leaves when the case leaves those states.
CREATE TABLE oversight_open (
    application_id BIGINT PRIMARY KEY,
    number         TEXT NOT NULL,
    item_code      TEXT NOT NULL,
    department_id  BIGINT NOT NULL,
    division_code  BIGINT NOT NULL,
    state          TEXT NOT NULL,
    due_at         BIGINT NOT NULL,
    limit_days     INTEGER NOT NULL,
    submitted_at   BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX oversight_open_division ON oversight_open (division_code, department_id, due_at);

-- Daily figures per (day in Asia/Shanghai as YYYYMMDD, department, division, item):
-- received (submitted or filed), online (submitted by the applicant, no counter step),
-- accepted, returned (补正 notices), rejected (不予受理), completed (approved or denied),
-- on_time (completed within the promised working days), days_sum (working days used by
-- the completed ones).
CREATE TABLE oversight_daily (
    day           INTEGER NOT NULL,
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
    PRIMARY KEY (day, department_id, division_code, item_code)
);
CREATE INDEX oversight_daily_division ON oversight_daily (division_code, day);

-- The distribution of working days used by completed cases (percentiles, histogram).
CREATE TABLE oversight_days (
    day           INTEGER NOT NULL,
    department_id BIGINT NOT NULL,
    division_code BIGINT NOT NULL,
    item_code     TEXT NOT NULL,
    days          INTEGER NOT NULL,
    n             BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, department_id, division_code, item_code, days)
);

-- Supervision notes (督办): a supervisor's note on a case with a deadline; the handling
-- department answers. level 0 is the author's division; an unanswered note past its
-- deadline is escalated one level up (escalated_to: that division; level + 1).
CREATE TABLE oversight_notes (
    id             BIGINT PRIMARY KEY,
    application_id BIGINT NOT NULL,
    number         TEXT NOT NULL,
    department_id  BIGINT NOT NULL,
    division_code  BIGINT NOT NULL,
    author_id      BIGINT NOT NULL,
    body           TEXT NOT NULL,
    deadline_at    BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    answer         TEXT,
    answered_by    BIGINT,
    answered_at    BIGINT,
    level          INTEGER NOT NULL DEFAULT 0,
    escalated_to   BIGINT NOT NULL DEFAULT 0,
    escalated_at   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX oversight_notes_app ON oversight_notes (application_id, created_at);
CREATE INDEX oversight_notes_dept ON oversight_notes (department_id, created_at);
