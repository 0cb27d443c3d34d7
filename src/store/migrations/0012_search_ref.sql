-- 0012_search_ref.sql - search documents of objects keyed by a code rather than a number
-- (catalog items and bundles link to /services/CODE), titled in several languages (every
-- title is matched; the reader's is shown). docs/internals/search.md.
-- ref: the owner's key as text ('' for documents keyed by ref_id alone).
ALTER TABLE search_docs ADD COLUMN ref TEXT NOT NULL DEFAULT '';
-- titles: a JSON object {"zh": ..., "bo": ..., "en": ...}, or '' (the title column only).
ALTER TABLE search_docs ADD COLUMN titles TEXT NOT NULL DEFAULT '';
