-- 0027_oidc_grant_refresh.sql: the token exchange writes one row instead of two (issue 19;
-- src/oidc, docs/internals/oidc.md "Grants, codes and refresh tokens"). A grant carries its
-- current refresh token (the SM3 hash, when it was issued, when it expires: NULL when the
-- grant has none), so a code exchange inserts the grant alone. oidc_refresh_tokens now
-- keeps only spent tokens, for reuse detection (RFC 9700 §4.14.2): a refresh moves the
-- spent token there and puts its successor in the grant, in one transaction.
-- The unspent token of each grant (one at most: every use spends it and issues one) moves
-- into the grant.

-- SQLite: the table is rebuilt with `id INTEGER PRIMARY KEY`, the rowid itself. A BIGINT
-- key is not the rowid in SQLite but a second B-tree (an automatic unique index), one more
-- page in every exchange's durable commit. PostgreSQL has no such difference.
-- @backend sqlite
CREATE TABLE oidc_grants_0027 (
    id                 INTEGER PRIMARY KEY,
    client_id          TEXT NOT NULL,
    account_id         BIGINT NOT NULL,
    scope              TEXT NOT NULL,
    auth_time          BIGINT NOT NULL,
    aal                BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL,
    revoked_at         BIGINT,
    revoke_reason      TEXT,
    refresh_hash       TEXT,
    refresh_issued_at  BIGINT,
    refresh_expires_at BIGINT
);
INSERT INTO oidc_grants_0027 (id, client_id, account_id, scope, auth_time, aal, created_at,
                              expires_at, revoked_at, revoke_reason, refresh_hash,
                              refresh_issued_at, refresh_expires_at)
SELECT g.id, g.client_id, g.account_id, g.scope, g.auth_time, g.aal, g.created_at,
       g.expires_at, g.revoked_at, g.revoke_reason, r.token_hash, r.created_at, r.expires_at
FROM oidc_grants g
LEFT JOIN oidc_refresh_tokens r ON r.grant_id = g.id AND r.used_at IS NULL
    AND r.created_at = (SELECT MAX(r2.created_at) FROM oidc_refresh_tokens r2
                        WHERE r2.grant_id = g.id AND r2.used_at IS NULL);
DROP TABLE oidc_grants;
ALTER TABLE oidc_grants_0027 RENAME TO oidc_grants;

-- @backend postgresql
ALTER TABLE oidc_grants ADD COLUMN refresh_hash TEXT;
ALTER TABLE oidc_grants ADD COLUMN refresh_issued_at BIGINT;
ALTER TABLE oidc_grants ADD COLUMN refresh_expires_at BIGINT;
UPDATE oidc_grants SET
    refresh_hash = (SELECT r.token_hash FROM oidc_refresh_tokens r
                    WHERE r.grant_id = oidc_grants.id AND r.used_at IS NULL
                    ORDER BY r.created_at DESC LIMIT 1),
    refresh_issued_at = (SELECT r.created_at FROM oidc_refresh_tokens r
                         WHERE r.grant_id = oidc_grants.id AND r.used_at IS NULL
                         ORDER BY r.created_at DESC LIMIT 1),
    refresh_expires_at = (SELECT r.expires_at FROM oidc_refresh_tokens r
                          WHERE r.grant_id = oidc_grants.id AND r.used_at IS NULL
                          ORDER BY r.created_at DESC LIMIT 1);

-- @backend all
DELETE FROM oidc_refresh_tokens WHERE used_at IS NULL;
