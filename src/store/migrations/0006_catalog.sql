-- 0006_catalog.sql: the service catalog (docs/internals/catalog.md).
-- Every version of every item is kept; doc is the item's JSON document. status is one of
-- draft, published, superseded (an earlier published version), retired. The list columns
-- hold codes between commas (",person,enterprise,") so a LIKE '%,x,%' finds one.
CREATE TABLE catalog_versions (
    code         TEXT NOT NULL,
    version      BIGINT NOT NULL,
    status       TEXT NOT NULL,
    department   TEXT NOT NULL,
    name_zh      TEXT NOT NULL,
    audience     TEXT NOT NULL,
    life_events  TEXT NOT NULL,
    handled_by   TEXT NOT NULL,
    digest       TEXT NOT NULL,
    doc          TEXT NOT NULL,
    created_by   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    published_at BIGINT,
    PRIMARY KEY (code, version)
);
CREATE INDEX catalog_versions_status ON catalog_versions (status, code);

-- Life-event bundles (一件事): doc is {code, name, life_event, items}.
CREATE TABLE catalog_bundles (
    code       TEXT PRIMARY KEY,
    life_event TEXT NOT NULL,
    digest     TEXT NOT NULL,
    doc        TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
