-- 0021_messaging.sql: unified messaging (issue 16; src/notify/, docs/internals/notify.md):
-- e-mail and carrier SMS channels with a sealed address per outbox row, delivery receipts,
-- verified contacts, preferences, and notices by departments (src/notify/notify_notices.c).

-- An outbox row addressed to a contact of the account (e-mail, or a verified phone) carries
-- its address sealed with the PII key, bound to 'notify_outbox.address:<id>'. status now:
-- pending (queued) -> sending (handed to an external connector; a crash leaves it here and
-- the next pass dead-letters it as notify.interrupted, never sends it again) -> sent ->
-- delivered (a signed receipt) or failed (dead letter: last attempt, refused, bounced).
ALTER TABLE notify_outbox ADD COLUMN address_enc BYTEA;
ALTER TABLE notify_outbox ADD COLUMN delivered_at BIGINT;
ALTER TABLE notify_outbox ADD COLUMN carrier_ref TEXT;
CREATE INDEX notify_outbox_message ON notify_outbox (message_id);

-- A person's e-mail address or phone for messages: sealed (bound to
-- 'notify_contacts.address:<account>:<channel>'), masked copy for views, verified when the
-- code sent to it came back (code_hash: HMAC-SM3 of the code under the PII lookup key).
CREATE TABLE notify_contacts (
    account_id      BIGINT NOT NULL,
    channel         TEXT NOT NULL,
    address_enc     BYTEA NOT NULL,
    address_masked  TEXT NOT NULL,
    verified_at     BIGINT,
    code_hash       TEXT,
    code_expires_at BIGINT NOT NULL DEFAULT 0,
    code_tries      INTEGER NOT NULL DEFAULT 0,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (account_id, channel)
);

-- Preferences: the language of channels (NULL: the language of the page that caused the
-- message), SMS quiet hours (local hours 0..23; equal: none).
CREATE TABLE notify_prefs (
    account_id  BIGINT PRIMARY KEY,
    lang        TEXT,
    quiet_from  INTEGER NOT NULL DEFAULT 0,
    quiet_to    INTEGER NOT NULL DEFAULT 0,
    updated_at  BIGINT NOT NULL
);
-- A channel turned off for a group of kinds (the kind's first segment: notices, remind,
-- benefit). Essential groups (apply, notify) cannot be turned off.
CREATE TABLE notify_optouts (
    account_id BIGINT NOT NULL,
    grp        TEXT NOT NULL,
    channel    TEXT NOT NULL,
    PRIMARY KEY (account_id, grp, channel)
);

-- 信息发布: notices published by a department, for a division and a topic, in zh/bo/en.
CREATE TABLE notices (
    id            BIGINT PRIMARY KEY,
    department_id BIGINT NOT NULL,
    division_code BIGINT NOT NULL,
    topic         TEXT NOT NULL,
    title_zh      TEXT NOT NULL,
    title_bo      TEXT,
    title_en      TEXT,
    body_zh       TEXT NOT NULL,
    body_bo       TEXT,
    body_en       TEXT,
    author        BIGINT NOT NULL,
    published_at  BIGINT NOT NULL
);
CREATE INDEX notices_published ON notices (published_at);
CREATE TABLE notice_subscriptions (
    account_id BIGINT NOT NULL,
    topic      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, topic)
);

-- 免申即享 (src/benefits/): one row per benefit and person the eligibility job found.
-- status: offered (waiting for one click), granted (accepted, or granted outright where the
-- rule allows), declined, appealed. reason: JSON of the facts the rule used ("you qualify
-- because ..."), rendered in the reader's language.
CREATE TABLE benefit_grants (
    id          BIGINT PRIMARY KEY,
    benefit     TEXT NOT NULL,
    account_id  BIGINT NOT NULL,
    status      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    note        TEXT,
    decided_at  BIGINT,
    created_at  BIGINT NOT NULL,
    UNIQUE (benefit, account_id)
);
CREATE INDEX benefit_grants_account ON benefit_grants (account_id);

-- Message templates edited by administrators (/admin/templates): a new version per save and
-- language; the newest version of (kind, lang) replaces the catalog's text when rendering.
-- Placeholders are checked on save against the catalog's Chinese text.
CREATE TABLE notify_templates (
    kind       TEXT NOT NULL,
    lang       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    body       TEXT NOT NULL,
    author     BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (kind, lang, version)
);

-- Reminders already sent (src/remind/): one per kind and object, so a daily run never
-- repeats one.
CREATE TABLE remind_sent (
    kind    TEXT NOT NULL,
    object  TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (kind, object)
);
