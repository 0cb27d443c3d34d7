-- 0018_opendata.sql: open data (公共数据开放, src/opendata/, docs/internals/opendata.md).
-- A dataset's multilingual metadata (title, description, keywords in zh/bo/en, themes) is a
-- JSON document in `meta`; the columns beside it are what lists filter and sort on.
-- status: draft or published (publishing needs a licence). platform = 1 for the datasets the
-- refresh job writes from other modules; a department's upload has platform = 0.
CREATE TABLE od_datasets (
    id             BIGINT PRIMARY KEY,
    slug           TEXT NOT NULL UNIQUE,
    department_id  BIGINT NOT NULL,
    meta           TEXT NOT NULL,
    licence        TEXT,
    spatial        BIGINT NOT NULL DEFAULT 0,
    temporal_start TEXT,
    temporal_end   TEXT,
    frequency      TEXT NOT NULL,
    status         TEXT NOT NULL,
    platform       INTEGER NOT NULL DEFAULT 0,
    downloads      BIGINT NOT NULL DEFAULT 0,
    api_calls      BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX od_datasets_department ON od_datasets (department_id);

-- The data of a dataset: one UTF-8 CSV text (header line first), checked when stored. Its
-- JSON form and the row API are derived from it when asked for.
CREATE TABLE od_resources (
    dataset_id BIGINT PRIMARY KEY REFERENCES od_datasets (id),
    csv        TEXT NOT NULL,
    nrows      BIGINT NOT NULL,
    ncols      BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- API keys for heavy users of the CKAN API: only the SM3 hash of the key is kept. `used`
-- counts the calls made on day `day` (days since 1970-01-01, UTC); past `quota` a call is
-- refused with 429 until the next day.
CREATE TABLE od_api_keys (
    key_hash   TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    quota      BIGINT NOT NULL,
    day        BIGINT NOT NULL DEFAULT 0,
    used       BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
