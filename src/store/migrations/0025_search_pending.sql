-- 0025_search_pending.sql - the search index as derived state (issue 19): a write that
-- changes a searchable object adds one small row here in its own transaction; the search
-- module's indexing job (src/search/search_job.c) builds the document from the object as
-- committed, indexes it and deletes the row, after commit and at every start, so nothing
-- is lost to a crash (docs/internals/search.md, "Indexing after commit").
-- seq is a generated id (id_next: time-ordered, unique across nodes); one object may have
-- several rows (each write adds one), and the job indexes the object's current state.
CREATE TABLE search_pending (
    seq    BIGINT PRIMARY KEY,
    kind   TEXT NOT NULL,
    doc_id BIGINT NOT NULL
);
