-- 0007_apply.sql: applications (办件) filed against catalog items (src/apply/,
-- docs/internals/apply.md). Times are ms since the epoch. Catalog items and other new
-- modules' rows are referred to by plain values (code, id), never by FOREIGN KEY.
--
-- state: draft, submitted, returned (补正), rejected (不予受理), accepted, under_review,
-- approved, denied, delivered, closed, withdrawn.
-- The clock (working days, src/calendar): limit_days from the item's promised time limit;
-- used_days are whole working days spent before the last pause (补正); clock_started_at is
-- the start of the running period (0 when stopped); deadline_at the running deadline (0
-- when stopped). due_at is what queues sort on: the deadline, or for a submitted case the
-- acceptance due date; 0 when nothing is due from staff (draft, returned, finished).
CREATE TABLE applications (
    id                BIGINT PRIMARY KEY,
    number            TEXT UNIQUE,
    item_code         TEXT NOT NULL,
    item_version      INTEGER NOT NULL,
    item_name         TEXT NOT NULL,
    bundle_id         BIGINT NOT NULL DEFAULT 0,
    applicant_account BIGINT NOT NULL,
    enterprise_id     BIGINT NOT NULL DEFAULT 0,
    filed_by          BIGINT NOT NULL,
    on_behalf         INTEGER NOT NULL DEFAULT 0,
    applicant_name    TEXT NOT NULL,
    department_id     BIGINT NOT NULL REFERENCES departments(id),
    division_code     BIGINT NOT NULL,
    state             TEXT NOT NULL,
    resume_state      TEXT,
    lang              TEXT NOT NULL,
    form_enc          BYTEA NOT NULL,
    idem_key          TEXT,
    limit_days        INTEGER NOT NULL,
    used_days         INTEGER NOT NULL DEFAULT 0,
    clock_started_at  BIGINT NOT NULL DEFAULT 0,
    deadline_at       BIGINT NOT NULL DEFAULT 0,
    due_at            BIGINT NOT NULL DEFAULT 0,
    cert_id           TEXT,
    created_at        BIGINT NOT NULL,
    submitted_at      BIGINT NOT NULL DEFAULT 0,
    decided_at        BIGINT NOT NULL DEFAULT 0,
    updated_at        BIGINT NOT NULL
);
-- The staff queue: one department, one state, by due date.
CREATE INDEX applications_queue ON applications (department_id, state, due_at);
-- A person's list, newest first (also where they are the filer, e.g. enterprise agents).
CREATE INDEX applications_mine ON applications (applicant_account, created_at);
CREATE INDEX applications_filed ON applications (filed_by, created_at);
CREATE INDEX applications_bundle ON applications (bundle_id);
-- Double submit: one application per filer and idempotency key.
CREATE UNIQUE INDEX applications_idem ON applications (filed_by, idem_key);

-- Numbers: YYYYMMDD + the county-level division (6 digits) + a daily sequence.
CREATE TABLE application_seq (
    day    INTEGER NOT NULL,
    county INTEGER NOT NULL,
    next   INTEGER NOT NULL,
    PRIMARY KEY (day, county)
);

-- Materials: uploaded files (content encrypted, SM3 of the plaintext) or an e-certificate
-- used in their place (cert_identifier, content empty).
CREATE TABLE application_files (
    id              BIGINT PRIMARY KEY,
    application_id  BIGINT NOT NULL REFERENCES applications(id),
    material_key    TEXT NOT NULL,
    filename        TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size            BIGINT NOT NULL,
    sm3             TEXT NOT NULL,
    content_enc     BYTEA,
    cert_identifier TEXT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX application_files_app ON application_files (application_id, material_key);

-- The timeline: every transition, who did it, and what was said (a 补正 notice lists
-- its problems as JSON [{kind, key}]).
CREATE TABLE application_events (
    id             BIGINT PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES applications(id),
    at             BIGINT NOT NULL,
    actor          BIGINT NOT NULL,
    action         TEXT NOT NULL,
    from_state     TEXT NOT NULL,
    to_state       TEXT NOT NULL,
    note           TEXT,
    problems       TEXT
);
CREATE INDEX application_events_app ON application_events (application_id, at);
