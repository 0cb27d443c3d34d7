-- 0009_search.sql - the platform's full-text search (src/search, docs/internals/search.md).
-- One row per indexed document of any module: (kind, ref_id) is the owner's key. The
-- index structures differ by backend (the `-- @backend` sections, docs/internals/store.md).

-- @backend sqlite
CREATE TABLE search_docs (
    docid         INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    ref_id        BIGINT NOT NULL,
    lang          TEXT NOT NULL,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    dept_id       BIGINT NOT NULL,
    division_code BIGINT NOT NULL,
    tag           TEXT NOT NULL,
    visibility    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (kind, ref_id)
);
-- Trigram index of title and body (external content: the text lives in search_docs).
CREATE VIRTUAL TABLE search_fts USING fts5(
    title, body, content='search_docs', content_rowid='docid', tokenize='trigram');
CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN
    INSERT INTO search_fts (rowid, title, body) VALUES (new.docid, new.title, new.body);
END;
CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, title, body)
        VALUES ('delete', old.docid, old.title, old.body);
END;
CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, title, body)
        VALUES ('delete', old.docid, old.title, old.body);
    INSERT INTO search_fts (rowid, title, body) VALUES (new.docid, new.title, new.body);
END;
-- Character bigrams for queries of one or two characters, which a trigram index cannot
-- answer: each bigram is written by search.c as an ASCII token (b<hex>x<hex>). Contentless
-- (only the index is kept): search_store.c deletes a row by giving back its tokens.
CREATE VIRTUAL TABLE search_bi USING fts5(
    title, body, content='', tokenize='ascii', detail='column');
-- @backend postgresql
-- In public, whatever the search_path: every schema of the database shares the one
-- extension (test suites run a schema each).
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
CREATE TABLE search_docs (
    docid         BIGSERIAL PRIMARY KEY,
    kind          TEXT NOT NULL,
    ref_id        BIGINT NOT NULL,
    lang          TEXT NOT NULL,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    dept_id       BIGINT NOT NULL,
    division_code BIGINT NOT NULL,
    tag           TEXT NOT NULL,
    visibility    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    -- The character bigrams of title and body as search.c writes them for SQLite's
    -- search_bi, as lexemes: they find Chinese and Tibetan whatever the database's locale
    -- (pg_trgm only indexes what LC_CTYPE calls alphanumeric; under C, no Chinese at all).
    grams         TSVECTOR NOT NULL,
    UNIQUE (kind, ref_id)
);
CREATE INDEX search_docs_grams ON search_docs USING gin (grams);
-- Trigrams of titles (pg_trgm): ILIKE and similarity on titles. None on the body: under a
-- C LC_CTYPE it yields no trigram for Chinese or Tibetan, and the planner then ANDs a scan
-- of the whole index into every query (760 ms instead of 77 ms measured); grams narrows.
CREATE INDEX search_docs_title_trgm ON search_docs USING gin (title public.gin_trgm_ops);
-- @backend all
CREATE INDEX search_docs_kind ON search_docs (kind, updated_at);
