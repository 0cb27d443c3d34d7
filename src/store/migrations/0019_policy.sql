-- 0019_policy.sql: the policy library (政策文件) and its Q&A (src/policy/,
-- docs/internals/policy.md). Texts in several languages are JSON objects {zh, bo, en}.
-- Dates are ISO days (YYYY-MM-DD) as TEXT; expires_on NULL = no end date stated.
-- status: in_force | amended | repealed.
CREATE TABLE policy_docs (
    id           BIGINT PRIMARY KEY,
    doc_key      TEXT NOT NULL UNIQUE,
    number       TEXT NOT NULL DEFAULT '',
    title        TEXT NOT NULL,
    issuer       TEXT NOT NULL,
    summary      TEXT NOT NULL,
    issued_on    TEXT NOT NULL,
    effective_on TEXT NOT NULL,
    expires_on   TEXT,
    status       TEXT NOT NULL,
    source       TEXT NOT NULL DEFAULT '',
    created_by   BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

-- The full text, split into numbered clauses (number = 1, 2, ... in document order; label =
-- the document's own marker such as 一、 (一) 12.). The text is the language it was issued in.
CREATE TABLE policy_clauses (
    id        BIGINT PRIMARY KEY,
    policy_id BIGINT NOT NULL REFERENCES policy_docs (id),
    number    INTEGER NOT NULL,
    label     TEXT NOT NULL DEFAULT '',
    lang      TEXT NOT NULL DEFAULT 'zh',
    body      TEXT NOT NULL,
    UNIQUE (policy_id, number)
);

-- The services (catalog item codes) a clause governs: the catalog's legal basis links here.
CREATE TABLE policy_clause_services (
    clause_id BIGINT NOT NULL REFERENCES policy_clauses (id),
    item_code TEXT NOT NULL,
    PRIMARY KEY (clause_id, item_code)
);
CREATE INDEX policy_clause_services_item ON policy_clause_services (item_code);

-- Interpretations (政策解读) of a policy, each in one language.
CREATE TABLE policy_interpretations (
    id         BIGINT PRIMARY KEY,
    policy_id  BIGINT NOT NULL REFERENCES policy_docs (id),
    lang       TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_by BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX policy_interpretations_policy ON policy_interpretations (policy_id, id);
