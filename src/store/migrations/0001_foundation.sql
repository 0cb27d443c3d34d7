-- 0001_foundation.sql: the platform's first tables. One dialect for SQLite and
-- PostgreSQL (docs/ARCHITECTURE.md, "Storage"). A landed migration never changes.

-- Key/value facts about this installation (e.g. when reference data was loaded).
CREATE TABLE platform_meta (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Administrative divisions (GB/T 2260 + statistical 12-digit codes): region,
-- prefecture, county, township, village. Loaded from data/*.csv by `onewindow init`.
CREATE TABLE divisions (
    code        BIGINT PRIMARY KEY,
    parent_code BIGINT,
    level       INTEGER NOT NULL,
    name_zh     TEXT NOT NULL,
    name_bo     TEXT,
    name_en     TEXT
);
CREATE INDEX divisions_parent ON divisions (parent_code, code);
