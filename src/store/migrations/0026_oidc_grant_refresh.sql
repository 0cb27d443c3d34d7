-- 0026_oidc_grant_refresh.sql: the token exchange writes one row instead of two (issue 19;
-- src/oidc, docs/internals/oidc.md "Grants, codes and refresh tokens"). A grant carries its
-- current refresh token (the SM3 hash, when it was issued, when it expires: NULL when the
-- grant has none), so a code exchange inserts the grant alone. oidc_refresh_tokens now
-- keeps only spent tokens, for reuse detection (RFC 9700 §4.14.2): a refresh moves the
-- spent token there and puts its successor in the grant, in one transaction.
ALTER TABLE oidc_grants ADD COLUMN refresh_hash TEXT;
ALTER TABLE oidc_grants ADD COLUMN refresh_issued_at BIGINT;
ALTER TABLE oidc_grants ADD COLUMN refresh_expires_at BIGINT;

-- The unspent token of each grant (one at most: every use spends it and issues one) moves
-- into the grant.
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
DELETE FROM oidc_refresh_tokens WHERE used_at IS NULL;
