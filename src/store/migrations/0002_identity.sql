-- 0002_identity.sql: accounts, enterprises, departments, role grants, web sessions,
-- login throttling and the audit records (to be adopted by the hash-chained audit log).
-- Personal data (ID numbers, phones, TOTP secrets) is stored only encrypted (SM4-CTR +
-- HMAC-SM3, src/crypto) with a keyed HMAC-SM3 column for equality look-ups.

CREATE TABLE departments (
    id            BIGINT PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    name_zh       TEXT NOT NULL,
    name_bo       TEXT,
    name_en       TEXT,
    division_code BIGINT NOT NULL REFERENCES divisions (code),
    created_at    BIGINT NOT NULL
);
CREATE INDEX departments_division ON departments (division_code);

-- kind: citizen, staff. (Enterprise agents are citizens linked to an enterprise.)
CREATE TABLE accounts (
    id              BIGINT PRIMARY KEY,
    kind            TEXT NOT NULL,
    username        TEXT UNIQUE,
    name            TEXT NOT NULL,
    id_number_enc   BYTEA,
    id_number_hash  TEXT UNIQUE,
    phone_enc       BYTEA,
    phone_hash      TEXT,
    password_hash   TEXT NOT NULL,
    totp_secret_enc BYTEA,
    totp_last_step  BIGINT NOT NULL DEFAULT 0,
    lang            TEXT NOT NULL DEFAULT 'zh',
    status          TEXT NOT NULL DEFAULT 'active',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX accounts_phone ON accounts (phone_hash);

CREATE TABLE recovery_codes (
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    code_hash  TEXT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (account_id, code_hash)
);

CREATE TABLE enterprises (
    id            BIGINT PRIMARY KEY,
    uscc          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    legal_rep     TEXT NOT NULL,
    division_code BIGINT REFERENCES divisions (code),
    created_at    BIGINT NOT NULL
);

-- role: legal_rep (法定代表人) or agent (经办人)
CREATE TABLE enterprise_agents (
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    account_id    BIGINT NOT NULL REFERENCES accounts (id),
    role          TEXT NOT NULL,
    granted_at    BIGINT NOT NULL,
    PRIMARY KEY (enterprise_id, account_id)
);
CREATE INDEX enterprise_agents_account ON enterprise_agents (account_id);

-- role: clerk, reviewer, head, hotline_agent, auditor, admin; granted on a department.
CREATE TABLE role_grants (
    id            BIGINT PRIMARY KEY,
    account_id    BIGINT NOT NULL REFERENCES accounts (id),
    department_id BIGINT NOT NULL REFERENCES departments (id),
    role          TEXT NOT NULL,
    granted_by    BIGINT,
    granted_at    BIGINT NOT NULL,
    revoked_at    BIGINT
);
CREATE INDEX role_grants_account ON role_grants (account_id);

-- Only the SM3 hash of the cookie's token is stored (ARCHITECTURE §5).
-- aal: 0 = password verified, second factor pending; 1 = password; 2 = two factors.
CREATE TABLE web_sessions (
    token_hash   TEXT PRIMARY KEY,
    account_id   BIGINT NOT NULL,
    aal          INTEGER NOT NULL,
    csrf         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    ip           TEXT NOT NULL
);
CREATE INDEX web_sessions_account ON web_sessions (account_id);

-- Failed-login counters per account and per source address (key "a:<id>" / "ip:<addr>").
CREATE TABLE login_throttle (
    key           TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL,
    window_start  BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL
);

-- Security and business events: who did what to which object, from where, with what
-- outcome. The hash-chained audit log (e-certificates issue) adopts these rows.
CREATE TABLE audit_events (
    id         BIGINT PRIMARY KEY,
    at         BIGINT NOT NULL,
    actor_id   BIGINT,
    action     TEXT NOT NULL,
    object     TEXT,
    outcome    TEXT NOT NULL,
    source_ip  TEXT,
    detail     TEXT
);
CREATE INDEX audit_events_actor ON audit_events (actor_id, at);
