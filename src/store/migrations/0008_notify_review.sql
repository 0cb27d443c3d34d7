-- 0008_notify_review.sql: notifications (src/notify/, docs/internals/notify.md) and the
-- good/bad evaluation 好差评 (src/review/, docs/internals/review.md).
-- Ids of other new modules' rows (applications) are plain BIGINT without FOREIGN KEY.

-- One row per message: the inbox. `kind` is an i18n key, `params` a JSON object of
-- mustache parameters; the text is rendered when shown, in the reader's language.
-- account_id 0: no platform account (then only channels such as sms deliver it);
-- department_id 0: not addressed to a department's staff.
CREATE TABLE notify_messages (
    id            BIGINT PRIMARY KEY,
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
CREATE INDEX notify_messages_account ON notify_messages (account_id, id);
CREATE INDEX notify_messages_department ON notify_messages (department_id, id);

-- One row per message and channel other than the inbox. status: pending, sent, failed
-- (gave up after the last attempt). The delivery job picks pending rows whose
-- next_attempt_at has come.
CREATE TABLE notify_outbox (
    id              BIGINT PRIMARY KEY,
    message_id      BIGINT NOT NULL REFERENCES notify_messages (id),
    channel         TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT,
    sent_at         BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX notify_outbox_due ON notify_outbox (status, next_attempt_at);

-- What the sandbox SMS carrier "sent": the rendered text and the masked number only.
CREATE TABLE notify_sandbox_sms (
    outbox_id    BIGINT PRIMARY KEY,
    phone_masked TEXT NOT NULL,
    lang         TEXT NOT NULL,
    body         TEXT NOT NULL,
    delivered_at BIGINT NOT NULL
);

-- Leases: one node at a time runs a job (the delivery job holds 'notify.delivery').
CREATE TABLE notify_leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
INSERT INTO notify_leases (name, holder, expires_at) VALUES ('notify.delivery', '', 0);

-- 好差评: one rating per application and round. level 1..5 (national: 5 非常满意 ...
-- 1 非常不满意); channel: online, counter, hotline, sms. rater_account: the applicant;
-- recorded_by: the staff member who recorded it at a counter or hotline (0 online).
CREATE TABLE review_ratings (
    id                BIGINT PRIMARY KEY,
    application_id    BIGINT NOT NULL,
    round             INTEGER NOT NULL,
    level             INTEGER NOT NULL,
    channel           TEXT NOT NULL,
    comment           TEXT,
    rater_account     BIGINT NOT NULL,
    recorded_by       BIGINT NOT NULL DEFAULT 0,
    department_id     BIGINT NOT NULL REFERENCES departments (id),
    item_code         TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    UNIQUE (application_id, round)
);
CREATE INDEX review_ratings_department ON review_ratings (department_id);
CREATE INDEX review_ratings_item ON review_ratings (item_code);

-- 整改: a bad rating (level 1 or 2) opens one task for the department. status: open,
-- responded. deadline_at: the last ms of the N-th working day after the rating.
CREATE TABLE review_rectifications (
    id                BIGINT PRIMARY KEY,
    rating_id         BIGINT NOT NULL UNIQUE REFERENCES review_ratings (id),
    application_id    BIGINT NOT NULL,
    department_id     BIGINT NOT NULL REFERENCES departments (id),
    applicant_account BIGINT NOT NULL,
    item_code         TEXT NOT NULL,
    status            TEXT NOT NULL,
    deadline_at       BIGINT NOT NULL,
    response          TEXT,
    responded_by      BIGINT,
    responded_at      BIGINT,
    created_at        BIGINT NOT NULL
);
CREATE INDEX review_rectifications_department ON review_rectifications (department_id, status);
CREATE INDEX review_rectifications_application ON review_rectifications (application_id);

-- Running totals for the public statistics, kept in the rating's and the response's
-- transaction so the page never scans the ratings: scope 'department' (key: the department
-- id in decimal) or 'item' (key: the item code); level 1..5 counts ratings of that level,
-- level 0 counts bad ratings rectified (tasks answered).
CREATE TABLE review_counts (
    scope TEXT NOT NULL,
    key   TEXT NOT NULL,
    level INTEGER NOT NULL,
    n     BIGINT NOT NULL,
    PRIMARY KEY (scope, key, level)
);
