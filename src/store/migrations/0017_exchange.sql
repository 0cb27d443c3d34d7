-- 0017_exchange.sql: the data exchange (src/exchange/, docs/internals/exchange.md).
-- The resource catalog, the sandbox registers behind the connector interface, the
-- consumers' grants and the log of every read.

-- The data resource catalog (政务数据资源目录, GB/T 21063-style): one JSON document per
-- resource (names, provider, fields with type and sensitivity, sharing and open type,
-- frequency, legal basis), checked by exchange_resource_check before it is stored.
CREATE TABLE exchange_resources (
    code       TEXT PRIMARY KEY,
    doc        TEXT NOT NULL,
    updated_by BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The sandbox registers (人口库, 法人库, 婚姻登记, 社会保险) that stand in for the
-- departments' own systems in the demo and in tests: one record per resource and subject,
-- found by the keyed lookup hash of its key (an ID number or a credit code), the record (a
-- JSON object of the resource's fields) sealed like every personal record (SM4 + HMAC-SM3,
-- bound to resource and hash). A real deployment reads the department's REST API instead
-- (the same connector interface).
CREATE TABLE exchange_sandbox_records (
    resource     TEXT NOT NULL,
    subject_hash TEXT NOT NULL,
    record_enc   BYTEA NOT NULL,
    PRIMARY KEY (resource, subject_hash)
);

-- A consumer's request and the provider's grant: which fields of which resource, for
-- which purpose and legal basis, until when. status: requested, approved, rejected,
-- revoked. client_id is an OIDC client that uses client credentials.
CREATE TABLE exchange_grants (
    id            BIGINT PRIMARY KEY,
    client_id     TEXT NOT NULL,
    consumer_name TEXT NOT NULL,
    resource      TEXT NOT NULL,
    fields        TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    legal_basis   TEXT NOT NULL,
    status        TEXT NOT NULL,
    rate_per_min  INTEGER NOT NULL,
    expires_at    BIGINT NOT NULL,
    decided_by    BIGINT NOT NULL DEFAULT 0,
    decided_at    BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);
CREATE INDEX exchange_grants_client ON exchange_grants (client_id, resource, status);

-- Every read through the exchange, successful or refused after the token was checked:
-- the person's own view (/account/data-use) reads it by subject_hash (the keyed lookup
-- hash of the ID number or credit code, never the number itself), newest first.
CREATE TABLE exchange_reads (
    id            BIGINT PRIMARY KEY,
    at            BIGINT NOT NULL,
    subject_hash  TEXT NOT NULL,
    client_id     TEXT NOT NULL,
    consumer_name TEXT NOT NULL,
    resource      TEXT NOT NULL,
    fields        TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    case_number   TEXT NOT NULL,
    legal_basis   TEXT NOT NULL,
    outcome       TEXT NOT NULL
);
CREATE INDEX exchange_reads_subject ON exchange_reads (subject_hash, id);
-- Auditors look reads up by case number (/exchange/reads?case=...).
CREATE INDEX exchange_reads_case ON exchange_reads (case_number, id);

-- A person disputes a value a register gave (a pre-filled field): a correction request to the
-- provider department, shown on its page. note: the person's words (at most 500 characters).
CREATE TABLE exchange_corrections (
    id         BIGINT PRIMARY KEY,
    at         BIGINT NOT NULL,
    account_id BIGINT NOT NULL,
    resource   TEXT NOT NULL,
    field      TEXT NOT NULL,
    note       TEXT NOT NULL,
    status     TEXT NOT NULL
);
CREATE INDEX exchange_corrections_resource ON exchange_corrections (resource, id);
