-- 0010_hotline.sql: the 12345 hotline (src/hotline/, docs/internals/hotline.md) and its
-- Open311 GeoReport v2 API keys (src/open311/, docs/internals/open311.md).
-- Times are ms since the epoch. Department ids refer to departments (0002); ids of other
-- new modules are never foreign keys.

-- Categories an administrator maintains (also the Open311 services).
CREATE TABLE hotline_categories (
    code       TEXT PRIMARY KEY,
    name_zh    TEXT NOT NULL,
    name_bo    TEXT,
    name_en    TEXT,
    active     INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);

-- Routing rules: category + division prefix -> department; the most specific prefix wins.
CREATE TABLE hotline_routes (
    id              BIGINT PRIMARY KEY,
    category        TEXT NOT NULL REFERENCES hotline_categories (code),
    division_prefix BIGINT NOT NULL,
    department_id   BIGINT NOT NULL REFERENCES departments (id),
    created_at      BIGINT NOT NULL,
    UNIQUE (category, division_prefix)
);

-- Time limits by urgency: `amount` hours or working days.
CREATE TABLE hotline_limits (
    urgency TEXT PRIMARY KEY,
    amount  INTEGER NOT NULL,
    unit    TEXT NOT NULL
);
INSERT INTO hotline_limits (urgency, amount, unit) VALUES ('urgent', 24, 'hours');
INSERT INTO hotline_limits (urgency, amount, unit) VALUES ('normal', 5, 'days');
INSERT INTO hotline_limits (urgency, amount, unit) VALUES ('low', 10, 'days');

-- Work orders. The phone is sealed (AEAD, ad "hotline_orders.phone:<id>") beside its keyed
-- lookup hash; lat/lon are kept as decimal text (one dialect for both databases).
CREATE TABLE hotline_orders (
    id               BIGINT PRIMARY KEY,
    number           TEXT NOT NULL UNIQUE,
    token            TEXT NOT NULL UNIQUE,
    channel          TEXT NOT NULL,
    status           TEXT NOT NULL,
    urgency          TEXT NOT NULL,
    category         TEXT,
    division_code    BIGINT NOT NULL,
    address          TEXT NOT NULL,
    lat              TEXT,
    lon              TEXT,
    description      TEXT NOT NULL,
    caller_name      TEXT,
    caller_account   BIGINT NOT NULL DEFAULT 0,
    phone_enc        BYTEA,
    phone_hash       TEXT,
    lang             TEXT NOT NULL,
    agent_id         BIGINT NOT NULL DEFAULT 0,
    department_id    BIGINT,
    suggested_category TEXT,
    suggested_department BIGINT,
    reply            TEXT,
    rating           INTEGER NOT NULL DEFAULT 0,
    merged_into      BIGINT NOT NULL DEFAULT 0,
    api_key_id       BIGINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL,
    dispatched_at    BIGINT NOT NULL DEFAULT 0,
    accepted_at      BIGINT NOT NULL DEFAULT 0,
    replied_at       BIGINT NOT NULL DEFAULT 0,
    closed_at        BIGINT NOT NULL DEFAULT 0,
    deadline_at      BIGINT NOT NULL DEFAULT 0,
    reminded_at      BIGINT NOT NULL DEFAULT 0,
    escalated_at     BIGINT NOT NULL DEFAULT 0,
    extension_hours  INTEGER NOT NULL DEFAULT 0,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX hotline_orders_status ON hotline_orders (status, created_at);
CREATE INDEX hotline_orders_dept ON hotline_orders (department_id, status);
CREATE INDEX hotline_orders_phone ON hotline_orders (phone_hash);
CREATE INDEX hotline_orders_created ON hotline_orders (created_at);

-- The timeline of an order: every state change, note and notification.
CREATE TABLE hotline_events (
    id            BIGINT PRIMARY KEY,
    order_id      BIGINT NOT NULL REFERENCES hotline_orders (id),
    at            BIGINT NOT NULL,
    actor_id      BIGINT NOT NULL DEFAULT 0,
    kind          TEXT NOT NULL,
    department_id BIGINT,
    note          TEXT
);
CREATE INDEX hotline_events_order ON hotline_events (order_id, at);

-- The agent's confirmation or correction of a suggestion (feeds training and metrics).
CREATE TABLE hotline_corrections (
    id                   BIGINT PRIMARY KEY,
    order_id             BIGINT NOT NULL REFERENCES hotline_orders (id),
    suggested_category   TEXT,
    suggested_department BIGINT,
    category             TEXT NOT NULL,
    department_id        BIGINT NOT NULL,
    actor_id             BIGINT NOT NULL,
    at                   BIGINT NOT NULL
);

-- Daily order-number sequences per county ("YYYYMMDD" || county code).
CREATE TABLE hotline_seq (
    k TEXT PRIMARY KEY,
    n BIGINT NOT NULL
);

-- Open311 API keys: only the SM3 hash of the key is kept.
CREATE TABLE open311_keys (
    id         BIGINT PRIMARY KEY,
    name       TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    created_by BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL DEFAULT 0
);

-- Knowledge base: articles (policies, FAQ, procedures) in zh/bo/en, public, indexed in the
-- platform search as kind "kb"; source_order is the answered order it was made from (0 none).
CREATE TABLE hotline_kb (
    id           BIGINT PRIMARY KEY,
    lang         TEXT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    category     TEXT,
    source_order BIGINT NOT NULL DEFAULT 0,
    created_by   BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX hotline_kb_updated ON hotline_kb (updated_at);
