-- 0012_apply_held.sql: uploads held for a form that was not (yet) submitted (src/apply/
-- apply_held.c, docs/internals/apply.md "Held uploads"). A pre-check, a submission with
-- problems or a saved draft keeps the files that came with it, so that nobody uploads them
-- twice. Sealed like materials (content_enc bound to 'application_held_files.content_enc:<id>')
-- with the SM3 of the plaintext.
--
-- A row belongs to the account that uploaded it, the form it came with (form_key:
-- 'item:CODE', 'bundle:CODE' or 'complete:NUMBER') and either the session that uploaded it
-- (session_hash, the SM3 of the session token as in web_sessions) or, once saved with a
-- draft, that draft (draft_id, session_hash ''). It expires (expires_at, ms): 24 hours for a
-- session's, 30 days for a draft's; expired rows are purged when anyone holds a file.
CREATE TABLE application_held_files (
    id           BIGINT PRIMARY KEY,
    account_id   BIGINT NOT NULL,
    session_hash TEXT NOT NULL,
    form_key     TEXT NOT NULL,
    draft_id     BIGINT NOT NULL DEFAULT 0,
    material_key TEXT NOT NULL,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sm3          TEXT NOT NULL,
    content_enc  BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
-- What an account holds (the count and size bounds), a draft's files, the purge.
CREATE INDEX application_held_files_account ON application_held_files (account_id, expires_at);
CREATE INDEX application_held_files_draft ON application_held_files (draft_id) WHERE draft_id <> 0;
CREATE INDEX application_held_files_expiry ON application_held_files (expires_at);
