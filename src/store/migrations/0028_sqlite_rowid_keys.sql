-- 0028_sqlite_rowid_keys.sql: on SQLite, the tables every submission writes get the rowid as
-- their key (issue 19; bench/README.md "Third pass"). A `BIGINT PRIMARY KEY` is not the rowid
-- in SQLite but a second B-tree (an automatic unique index), one more page in every durable
-- commit that inserts a row: a submission inserts into all five. `INTEGER PRIMARY KEY` is the
-- rowid itself. Same columns, same values, same indexes; 0027 did this for oidc_grants.
-- The timeline (application_events) goes further: one B-tree, see below.
-- PostgreSQL has no such difference: nothing changes there.
--
-- SQLite cannot change a key in place, so each table is rebuilt. A parent and its children
-- are rebuilt together: the new children refer to the new parent, the old tables are dropped
-- children first (so dropping a parent finds no child row), and renaming the new parent to
-- the old name rewrites its children's REFERENCES clauses (SQLite >= 3.26).

-- @backend sqlite
CREATE TABLE applications_0028 (
    id                INTEGER PRIMARY KEY,
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
INSERT INTO applications_0028 (id, number, item_code, item_version, item_name, bundle_id,
    applicant_account, enterprise_id, filed_by, on_behalf, applicant_name, department_id,
    division_code, state, resume_state, lang, form_enc, idem_key, limit_days, used_days,
    clock_started_at, deadline_at, due_at, cert_id, created_at, submitted_at, decided_at,
    updated_at)
SELECT id, number, item_code, item_version, item_name, bundle_id, applicant_account,
    enterprise_id, filed_by, on_behalf, applicant_name, department_id, division_code, state,
    resume_state, lang, form_enc, idem_key, limit_days, used_days, clock_started_at,
    deadline_at, due_at, cert_id, created_at, submitted_at, decided_at, updated_at
FROM applications ORDER BY id;

CREATE TABLE application_files_0028 (
    id              INTEGER PRIMARY KEY,
    application_id  BIGINT NOT NULL REFERENCES applications_0028(id),
    material_key    TEXT NOT NULL,
    filename        TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size            BIGINT NOT NULL,
    sm3             TEXT NOT NULL,
    content_enc     BYTEA,
    cert_identifier TEXT,
    created_at      BIGINT NOT NULL
);
INSERT INTO application_files_0028 (id, application_id, material_key, filename, content_type,
    size, sm3, content_enc, cert_identifier, created_at)
SELECT id, application_id, material_key, filename, content_type, size, sm3, content_enc,
    cert_identifier, created_at
FROM application_files ORDER BY id;

-- The timeline is only ever read whole, per application: its rows are kept in one B-tree
-- ordered by (application, id) - WITHOUT ROWID, no separate index (the rows are small).
CREATE TABLE application_events_0028 (
    id             BIGINT NOT NULL,
    application_id BIGINT NOT NULL REFERENCES applications_0028(id),
    at             BIGINT NOT NULL,
    actor          BIGINT NOT NULL,
    action         TEXT NOT NULL,
    from_state     TEXT NOT NULL,
    to_state       TEXT NOT NULL,
    note           TEXT,
    problems       TEXT,
    PRIMARY KEY (application_id, id)
) WITHOUT ROWID;
INSERT INTO application_events_0028 (id, application_id, at, actor, action, from_state,
    to_state, note, problems)
SELECT id, application_id, at, actor, action, from_state, to_state, note, problems
FROM application_events ORDER BY id;

DROP TABLE application_files;
DROP TABLE application_events;
DROP TABLE applications;
ALTER TABLE applications_0028 RENAME TO applications;
ALTER TABLE application_files_0028 RENAME TO application_files;
ALTER TABLE application_events_0028 RENAME TO application_events;
CREATE INDEX applications_queue ON applications (department_id, state, due_at);
CREATE INDEX applications_mine ON applications (applicant_account, created_at);
CREATE INDEX applications_filed ON applications (filed_by, created_at) WHERE on_behalf = 1;
CREATE INDEX applications_bundle ON applications (bundle_id) WHERE bundle_id <> 0;
CREATE UNIQUE INDEX applications_idem ON applications (filed_by, idem_key)
    WHERE idem_key IS NOT NULL;
CREATE INDEX application_files_app ON application_files (application_id, material_key);

CREATE TABLE notify_messages_0028 (
    id            INTEGER PRIMARY KEY,
    account_id    BIGINT NOT NULL,
    department_id BIGINT NOT NULL DEFAULT 0,
    lang          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    params        TEXT NOT NULL,
    link          TEXT,
    phone_enc     BYTEA,
    created_at    BIGINT NOT NULL,
    read_at       BIGINT
);
INSERT INTO notify_messages_0028 (id, account_id, department_id, lang, kind, params, link,
    phone_enc, created_at, read_at)
SELECT id, account_id, department_id, lang, kind, params, link, phone_enc, created_at, read_at
FROM notify_messages ORDER BY id;

CREATE TABLE notify_outbox_0028 (
    id              INTEGER PRIMARY KEY,
    message_id      BIGINT NOT NULL REFERENCES notify_messages_0028 (id),
    channel         TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT,
    sent_at         BIGINT,
    created_at      BIGINT NOT NULL,
    address_enc     BYTEA,
    delivered_at    BIGINT,
    carrier_ref     TEXT
);
INSERT INTO notify_outbox_0028 (id, message_id, channel, status, attempts, next_attempt_at,
    last_error, sent_at, created_at, address_enc, delivered_at, carrier_ref)
SELECT id, message_id, channel, status, attempts, next_attempt_at, last_error, sent_at,
    created_at, address_enc, delivered_at, carrier_ref
FROM notify_outbox ORDER BY id;

DROP TABLE notify_outbox;
DROP TABLE notify_messages;
ALTER TABLE notify_messages_0028 RENAME TO notify_messages;
ALTER TABLE notify_outbox_0028 RENAME TO notify_outbox;
CREATE INDEX notify_messages_account ON notify_messages (account_id, id);
CREATE INDEX notify_messages_department ON notify_messages (department_id, id);
CREATE INDEX notify_outbox_due ON notify_outbox (status, next_attempt_at);
CREATE INDEX notify_outbox_message ON notify_outbox (message_id);

CREATE TABLE audit_events_0028 (
    id        INTEGER PRIMARY KEY,
    at        BIGINT NOT NULL,
    actor_id  BIGINT,
    action    TEXT NOT NULL,
    object    TEXT,
    outcome   TEXT NOT NULL,
    source_ip TEXT,
    detail    TEXT,
    seq       BIGINT,
    prev_hash TEXT,
    hash      TEXT,
    slot      BIGINT NOT NULL DEFAULT 0
);
INSERT INTO audit_events_0028 (id, at, actor_id, action, object, outcome, source_ip, detail,
    seq, prev_hash, hash, slot)
SELECT id, at, actor_id, action, object, outcome, source_ip, detail, seq, prev_hash, hash, slot
FROM audit_events ORDER BY id;
DROP TABLE audit_events;
ALTER TABLE audit_events_0028 RENAME TO audit_events;
CREATE INDEX audit_events_actor ON audit_events (actor_id, at);
CREATE UNIQUE INDEX audit_events_slot_seq ON audit_events (slot, seq);

-- @backend postgresql
-- Nothing: a BIGINT key is the table's only key index there already.
SELECT 1;
