-- 0003_oidc.sql: the OpenID Connect provider (src/oidc/, docs/internals/oidc.md):
-- signing keys, registered clients, remembered consents, authorization codes, grants
-- (a login given to one client: the family of its refresh tokens), refresh tokens and
-- the client-assertion ids already seen. Codes and tokens are stored only as the SM3
-- hash of their random value; private keys only sealed (SM4-CTR + HMAC-SM3).

-- ES256 signing keys. A key signs from active_from on; it stays published in the JWKS
-- until retire_at (NULL while it is the newest), which rotation sets to the time its
-- last token expires. Rows past retire_at are deleted with their private key. keyring
-- names the master key that sealed the row (a value derived from it): nodes share one
-- master key, and a node never tries to use keys sealed under another.
CREATE TABLE oidc_keys (
    kid          TEXT PRIMARY KEY,
    keyring      TEXT NOT NULL,
    alg          TEXT NOT NULL,
    private_enc  BYTEA NOT NULL,
    public_jwk   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    active_from  BIGINT NOT NULL,
    retire_at    BIGINT
);

-- Relying parties registered by an administrator. auth_method: client_secret_basic
-- (secret_hash = hex HMAC-SM3 of the secret under a key derived from the master key) or
-- private_key_jwt (jwks = the client's public JWK Set). redirect_uris and
-- post_logout_uris are JSON arrays matched by exact string comparison; scopes and
-- grant_types are space-separated. A removed client keeps its row (audit records name
-- it) and its id is never reused.
CREATE TABLE oidc_clients (
    client_id        TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    auth_method      TEXT NOT NULL,
    secret_hash      TEXT,
    jwks             TEXT,
    redirect_uris    TEXT NOT NULL,
    post_logout_uris TEXT NOT NULL,
    scopes           TEXT NOT NULL,
    grant_types      TEXT NOT NULL,
    created_by       BIGINT,
    created_at       BIGINT NOT NULL,
    removed_at       BIGINT
);

-- What a person agreed a client may receive (space-separated scopes, sorted).
CREATE TABLE oidc_consents (
    account_id BIGINT NOT NULL,
    client_id  TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, client_id)
);

-- Authorization codes: single use, 60 seconds. used_at is set by the first exchange,
-- together with the grant it created, so a replay can revoke that grant.
CREATE TABLE oidc_codes (
    code_hash      TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL,
    account_id     BIGINT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    scope          TEXT NOT NULL,
    nonce          TEXT,
    code_challenge TEXT NOT NULL,
    auth_time      BIGINT NOT NULL,
    aal            BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT,
    grant_id       BIGINT
);
CREATE INDEX oidc_codes_expires ON oidc_codes (expires_at);

-- A grant: one login of one account at one client. Its refresh tokens form a family;
-- its access tokens carry its id ("gid"). Revoking it ends all of them at once.
-- No secondary indexes: every index is one more page written by each code exchange
-- (the token endpoint's durable commit); removing a client scans, which is rare.
CREATE TABLE oidc_grants (
    id            BIGINT PRIMARY KEY,
    client_id     TEXT NOT NULL,
    account_id    BIGINT NOT NULL,
    scope         TEXT NOT NULL,
    auth_time     BIGINT NOT NULL,
    aal           BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    revoked_at    BIGINT,
    revoke_reason TEXT
);

-- Refresh tokens: each use spends the token and issues its successor in the same grant;
-- presenting a spent token again revokes the grant (RFC 9700 §4.14.2). A token reads
-- "<grant id>.<secret>", so rows are keyed by the grant first: inserts append in time
-- order (ids are time-ordered) instead of landing on a random page of a hash index, and
-- the purge deletes a key range. Spent tokens stay (for reuse detection) until expired.
CREATE TABLE oidc_refresh_tokens (
    grant_id   BIGINT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (grant_id, token_hash)
);

-- The "jti" of every private_key_jwt client assertion until it expires: a replayed
-- assertion is refused (RFC 7523 §3, item 7).
CREATE TABLE oidc_assertion_jtis (
    client_id  TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX oidc_assertion_jtis_expires ON oidc_assertion_jtis (expires_at);
