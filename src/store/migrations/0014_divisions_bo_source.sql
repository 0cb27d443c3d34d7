-- 0014_divisions_bo_source.sql: where a division's Tibetan name comes from (docs/internals/
-- divisions.md, "Tibetan names"). The reference data (data/xizang-divisions.csv) gives each
-- Tibetan name with its source; `onewindow init` keeps the database in step with it.
--
-- name_bo_source  the source of name_bo as the reference data gives it (a page address), or
--                 NULL when name_bo did not come from the reference data.
-- name_bo_ref     the Tibetan name the reference data gave when it was last loaded. While
--                 name_bo equals it, the name is the reference data's and a later release
--                 may correct it; once they differ, someone (an administrator) changed the
--                 name, and loading the reference data leaves it alone.
ALTER TABLE divisions ADD COLUMN name_bo_source TEXT;
ALTER TABLE divisions ADD COLUMN name_bo_ref TEXT;
