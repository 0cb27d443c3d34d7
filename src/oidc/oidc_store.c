/*
 * oidc_store.c - every SQL statement of the OpenID Connect provider (tables in
 * src/store/migrations/0003_oidc.sql). Callers own the transactions; each function here
 * runs one statement (or one query's rows) and resets it before returning.
 *
 * The claims ("UPDATE ... SET used_at = ? WHERE ... AND used_at IS NULL") are how two
 * concurrent exchanges of one code or one refresh token are told apart on both engines:
 * SQLite serialises writers (BEGIN IMMEDIATE), and PostgreSQL makes the second UPDATE wait
 * for the first transaction and then re-check used_at, so exactly one sees a change.
 */
#include "oidc/oidc_internal.h"

#include <string.h>

#include "base/arena.h"
#include "base/id.h"
#include "store/store.h"

static const char SQL_KEYS_PUBLISHED[] =
    "SELECT kid, private_enc, active_from, retire_at FROM oidc_keys "
    "WHERE keyring = ? AND (retire_at IS NULL OR retire_at > ?) ORDER BY active_from, kid";
static const char SQL_KEYS_FOREIGN[] = "SELECT COUNT(*) FROM oidc_keys WHERE keyring <> ?";
static const char SQL_KEY_INSERT[] =
    "INSERT INTO oidc_keys (kid, keyring, alg, private_enc, public_jwk, created_at, active_from) "
    "VALUES (?, ?, 'ES256', ?, ?, ?, ?)";
static const char SQL_KEYS_COUNT_CURRENT[] =
    "SELECT COUNT(*) FROM oidc_keys WHERE keyring = ? AND retire_at IS NULL";
static const char SQL_KEYS_RETIRE[] =
    "UPDATE oidc_keys SET retire_at = ? WHERE keyring = ? AND retire_at IS NULL AND kid <> ?";
static const char SQL_KEYS_DELETE_RETIRED[] =
    "DELETE FROM oidc_keys WHERE keyring = ? AND retire_at IS NOT NULL AND retire_at <= ?";

static const char SQL_CLIENT_INSERT[] =
    "INSERT INTO oidc_clients (client_id, name, auth_method, secret_hash, jwks, redirect_uris, "
    "post_logout_uris, scopes, grant_types, created_by, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_CLIENT_GET[] =
    "SELECT client_id, name, auth_method, secret_hash, jwks, redirect_uris, post_logout_uris, "
    "scopes, grant_types, created_by, created_at FROM oidc_clients "
    "WHERE client_id = ? AND removed_at IS NULL";
static const char SQL_CLIENT_LIST[] =
    "SELECT client_id, name, auth_method, secret_hash, jwks, redirect_uris, post_logout_uris, "
    "scopes, grant_types, created_by, created_at FROM oidc_clients "
    "WHERE removed_at IS NULL ORDER BY created_at, client_id LIMIT 1000";
static const char SQL_CLIENT_REMOVE[] =
    "UPDATE oidc_clients SET removed_at = ? WHERE client_id = ? AND removed_at IS NULL";

static const char SQL_CONSENT_GET[] =
    "SELECT scopes FROM oidc_consents WHERE account_id = ? AND client_id = ?";
static const char SQL_CONSENT_PUT[] =
    "INSERT INTO oidc_consents (account_id, client_id, scopes, granted_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (account_id, client_id) DO UPDATE SET scopes = excluded.scopes, "
    "granted_at = excluded.granted_at";

static const char SQL_CODE_INSERT[] =
    "INSERT INTO oidc_codes (code_hash, client_id, account_id, redirect_uri, scope, nonce, "
    "code_challenge, auth_time, aal, created_at, expires_at, act_account) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_CODE_GET[] =
    "SELECT client_id, account_id, redirect_uri, scope, nonce, code_challenge, auth_time, aal, "
    "created_at, expires_at, used_at, grant_id, act_account FROM oidc_codes WHERE code_hash = ?";
/* The exchange's one statement on the code: spend it and read it back (RETURNING). Only
 * while its client is registered: the exchange may have taken the client from the
 * process's cache (oidc_clients.c) instead of reading it in this transaction. */
static const char SQL_CODE_SPEND[] =
    "UPDATE oidc_codes SET used_at = ?, grant_id = ? "
    "WHERE code_hash = ? AND client_id = ? AND used_at IS NULL AND EXISTS "
    "(SELECT 1 FROM oidc_clients WHERE client_id = ? AND removed_at IS NULL) "
    "RETURNING account_id, redirect_uri, scope, nonce, code_challenge, auth_time, aal, "
    "created_at, expires_at, act_account";

/* PostgreSQL: the spend and the grant in one statement (a data-modifying WITH). The
 * grant's checks are the exchange's (oidc_flow.c grant_code), which runs them again on
 * the returned row and deletes the grant if one fails. */
static const char SQL_CODE_SPEND_GRANT[] =
    "WITH spent AS (UPDATE oidc_codes SET used_at = ?, grant_id = ? "
    "WHERE code_hash = ? AND client_id = ? AND used_at IS NULL AND EXISTS "
    "(SELECT 1 FROM oidc_clients WHERE client_id = ? AND removed_at IS NULL) "
    "RETURNING account_id, redirect_uri, scope, nonce, code_challenge, auth_time, aal, "
    "created_at, expires_at, act_account), "
    "g AS (INSERT INTO oidc_grants (id, client_id, account_id, scope, auth_time, aal, "
    "created_at, expires_at, refresh_hash, refresh_issued_at, refresh_expires_at) "
    "SELECT ?, ?, account_id, scope, auth_time, aal, ?, ?, "
    "CASE WHEN COALESCE(act_account, 0) = 0 THEN CAST(? AS TEXT) END, "
    "CASE WHEN COALESCE(act_account, 0) = 0 THEN CAST(? AS BIGINT) END, "
    "CASE WHEN COALESCE(act_account, 0) = 0 THEN CAST(? AS BIGINT) END "
    "FROM spent WHERE expires_at > ? AND redirect_uri = ? AND code_challenge = ? RETURNING id) "
    "SELECT account_id, redirect_uri, scope, nonce, code_challenge, auth_time, aal, "
    "created_at, expires_at, act_account, (SELECT count(*) FROM g) FROM spent";
static const char SQL_GRANT_DELETE[] = "DELETE FROM oidc_grants WHERE id = ?";

static const char SQL_GRANT_INSERT[] =
    "INSERT INTO oidc_grants (id, client_id, account_id, scope, auth_time, aal, created_at, "
    "expires_at, refresh_hash, refresh_issued_at, refresh_expires_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_GRANT_REVOKE[] =
    "UPDATE oidc_grants SET revoked_at = ?, revoke_reason = ? WHERE id = ? AND revoked_at IS NULL";
static const char SQL_GRANTS_REVOKE_ACCOUNT[] =
    "UPDATE oidc_grants SET revoked_at = ?, revoke_reason = ? "
    "WHERE account_id = ? AND revoked_at IS NULL";
static const char SQL_GRANTS_REVOKE_CLIENT[] =
    "UPDATE oidc_grants SET revoked_at = ?, revoke_reason = 'client_removed' "
    "WHERE client_id = ? AND revoked_at IS NULL";
static const char SQL_GRANT_STATUS[] =
    "SELECT g.account_id, g.revoked_at, g.expires_at, c.removed_at FROM oidc_grants g "
    "JOIN oidc_clients c ON c.client_id = g.client_id WHERE g.id = ?";

/* A grant's current refresh token is in its row (migration 0027); oidc_refresh_tokens
 * keeps the spent ones, for reuse detection. */
static const char SQL_REFRESH_GRANT[] =
    "SELECT id, client_id, account_id, scope, auth_time, aal, created_at, expires_at, "
    "revoked_at, refresh_hash, refresh_issued_at, refresh_expires_at FROM oidc_grants WHERE id = ?";
static const char SQL_REFRESH_SPENT_GET[] =
    "SELECT created_at, expires_at, used_at FROM oidc_refresh_tokens "
    "WHERE grant_id = ? AND token_hash = ?";
static const char SQL_REFRESH_ROTATE[] =
    "UPDATE oidc_grants SET refresh_hash = ?, refresh_issued_at = ?, refresh_expires_at = ? "
    "WHERE id = ? AND refresh_hash = ?";
static const char SQL_REFRESH_SPENT_INSERT[] =
    "INSERT INTO oidc_refresh_tokens (grant_id, token_hash, created_at, expires_at, used_at) "
    "VALUES (?, ?, ?, ?, ?)";

static const char SQL_JTI_INSERT[] =
    "INSERT INTO oidc_assertion_jtis (client_id, jti, expires_at) VALUES (?, ?, ?) "
    "ON CONFLICT (client_id, jti) DO NOTHING";

/* Purge: codes a day after expiry (a late replay is still recognised until then),
 * assertion ids once expired, refresh tokens of grants that have ended, and grants
 * thirty days after they ended (kept a while for investigations). Grants and refresh
 * tokens have no index on their times (see the migration), but grant ids are
 * time-ordered (base/id.h): an id bound makes each delete a primary-key range, and the
 * time condition keeps it right even if the configured lifetime was raised since. */
static const char SQL_PURGE_CODES[] = "DELETE FROM oidc_codes WHERE expires_at < ?";
static const char SQL_PURGE_JTIS[] = "DELETE FROM oidc_assertion_jtis WHERE expires_at < ?";
static const char SQL_PURGE_REFRESH[] =
    "DELETE FROM oidc_refresh_tokens WHERE grant_id < ? AND expires_at < ?";
static const char SQL_PURGE_GRANTS[] =
    "DELETE FROM oidc_grants WHERE id < ? AND (revoked_at < ? OR expires_at < ?)";

#define DAY_MS (24LL * 3600 * 1000)

/* ---- helpers ------------------------------------------------------------------------- */

static const char *dup_text(struct store_stmt *st, int col, struct arena *a, int *oom)
{
    if (store_col_is_null(st, col))
        return NULL;
    const char *s = store_col_text(st, col);
    char *d = arena_strdup(a, s ? s : "");
    if (d == NULL)
        *oom = 1;
    return d;
}

static int oom(struct store_stmt *st, struct err *err)
{
    store_reset(st);
    return err_set(err, 500, "oidc.oom", "out of memory");
}

/* ---- keys ---------------------------------------------------------------------------- */

int oidc_store_keys_each(struct store_conn *c, const char *keyring, int64_t now_ms,
                         int (*fn)(void *ctx, const struct oidc_key_row *row), void *ctx,
                         struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_KEYS_PUBLISHED, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, keyring, -1);
    store_bind_int64(st, 2, now_ms);
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        struct oidc_key_row row;
        row.kid = store_col_text(st, 0);
        row.private_enc = store_col_blob(st, 1, &row.private_len);
        row.active_from = store_col_int64(st, 2);
        row.retire_at = store_col_is_null(st, 3) ? 0 : store_col_int64(st, 3);
        if (fn(ctx, &row) < 0) {
            store_reset(st);
            return err_set(err, 500, "oidc.bad_key",
                           "the stored signing key %s cannot be opened (wrong master key?)",
                           row.kid ? row.kid : "?");
        }
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int oidc_store_key_insert(struct store_conn *c, const char *kid, const char *keyring,
                          const unsigned char *enc, size_t enc_len, const char *public_jwk,
                          int64_t created_at, int64_t active_from, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_KEY_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, kid, -1);
    store_bind_text(st, 2, keyring, -1);
    store_bind_blob(st, 3, enc, enc_len);
    store_bind_text(st, 4, public_jwk, -1);
    store_bind_int64(st, 5, created_at);
    store_bind_int64(st, 6, active_from);
    return store_run(st, NULL, err);
}

static int count(struct store_conn *c, const char *sql, const char *keyring, int64_t *n,
                 struct err *err)
{
    struct store_stmt *st = store_prepare(c, sql, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, keyring, -1);
    int rc = store_step(st, err);
    *n = rc == STORE_ROW ? store_col_int64(st, 0) : 0;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int oidc_store_keys_count_current(struct store_conn *c, const char *keyring, int64_t *n,
                                  struct err *err)
{
    return count(c, SQL_KEYS_COUNT_CURRENT, keyring, n, err);
}

int oidc_store_keys_count_foreign(struct store_conn *c, const char *keyring, int64_t *n,
                                  struct err *err)
{
    return count(c, SQL_KEYS_FOREIGN, keyring, n, err);
}

int oidc_store_keys_retire(struct store_conn *c, const char *keyring, const char *except_kid,
                           int64_t retire_at, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_KEYS_RETIRE, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, retire_at);
    store_bind_text(st, 2, keyring, -1);
    store_bind_text(st, 3, except_kid, -1);
    return store_run(st, NULL, err);
}

int oidc_store_keys_delete_retired(struct store_conn *c, const char *keyring, int64_t now_ms,
                                   struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_KEYS_DELETE_RETIRED, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, keyring, -1);
    store_bind_int64(st, 2, now_ms);
    return store_run(st, NULL, err);
}

/* ---- clients ------------------------------------------------------------------------- */

int oidc_store_client_insert(struct store_conn *c, const struct oidc_client_row *r, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CLIENT_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, r->client_id, -1);
    store_bind_text(st, 2, r->name, -1);
    store_bind_text(st, 3, r->auth_method, -1);
    if (r->secret_hash != NULL)
        store_bind_text(st, 4, r->secret_hash, -1);
    if (r->jwks != NULL)
        store_bind_text(st, 5, r->jwks, -1);
    store_bind_text(st, 6, r->redirect_uris, -1);
    store_bind_text(st, 7, r->post_logout_uris, -1);
    store_bind_text(st, 8, r->scopes, -1);
    store_bind_text(st, 9, r->grant_types, -1);
    if (r->created_by != 0)
        store_bind_int64(st, 10, r->created_by);
    store_bind_int64(st, 11, r->created_at);
    return store_run(st, NULL, err);
}

static int client_row(struct store_stmt *st, struct arena *a, struct oidc_client_row *r)
{
    int bad = 0;
    r->client_id = dup_text(st, 0, a, &bad);
    r->name = dup_text(st, 1, a, &bad);
    r->auth_method = dup_text(st, 2, a, &bad);
    r->secret_hash = dup_text(st, 3, a, &bad);
    r->jwks = dup_text(st, 4, a, &bad);
    r->redirect_uris = dup_text(st, 5, a, &bad);
    r->post_logout_uris = dup_text(st, 6, a, &bad);
    r->scopes = dup_text(st, 7, a, &bad);
    r->grant_types = dup_text(st, 8, a, &bad);
    r->created_by = store_col_int64(st, 9);
    r->created_at = store_col_int64(st, 10);
    return bad ? -1 : 0;
}

int oidc_store_client_get(struct store_conn *c, struct arena *a, const char *client_id,
                          struct oidc_client_row *out, int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CLIENT_GET, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, client_id, -1);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (rc == STORE_ROW && client_row(st, a, out) < 0)
        return oom(st, err);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int oidc_store_client_list(struct store_conn *c, struct arena *a, struct oidc_client_row **out,
                           size_t *n, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CLIENT_LIST, err);
    if (st == NULL)
        return -1;
    size_t cap = 16, count = 0;
    struct oidc_client_row *rows = arena_alloc(a, cap * sizeof(*rows));
    int rc = STORE_DONE;
    while (rows != NULL && (rc = store_step(st, err)) == STORE_ROW) {
        if (count == cap) {
            struct oidc_client_row *bigger = arena_alloc(a, 2 * cap * sizeof(*rows));
            if (bigger == NULL)
                return oom(st, err);
            memcpy(bigger, rows, count * sizeof(*rows));
            rows = bigger;
            cap *= 2;
        }
        if (client_row(st, a, &rows[count++]) < 0)
            return oom(st, err);
    }
    if (rows == NULL)
        return oom(st, err);
    store_reset(st);
    if (rc < 0)
        return -1;
    *out = rows;
    *n = count;
    return 0;
}

int oidc_store_client_remove(struct store_conn *c, const char *client_id, int64_t now_ms,
                             int *changed, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CLIENT_REMOVE, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, now_ms);
    store_bind_text(st, 2, client_id, -1);
    int64_t n = 0;
    int rc = store_run(st, &n, err);
    *changed = n > 0;
    return rc;
}

/* ---- consents ------------------------------------------------------------------------ */

int oidc_store_consent_get(struct store_conn *c, struct arena *a, int64_t account_id,
                           const char *client_id, const char **scopes, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CONSENT_GET, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, account_id);
    store_bind_text(st, 2, client_id, -1);
    int rc = store_step(st, err), bad = 0;
    *scopes = rc == STORE_ROW ? dup_text(st, 0, a, &bad) : NULL;
    if (bad)
        return oom(st, err);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int oidc_store_consent_put(struct store_conn *c, int64_t account_id, const char *client_id,
                           const char *scopes, int64_t now_ms, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CONSENT_PUT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, account_id);
    store_bind_text(st, 2, client_id, -1);
    store_bind_text(st, 3, scopes, -1);
    store_bind_int64(st, 4, now_ms);
    return store_run(st, NULL, err);
}

/* ---- codes --------------------------------------------------------------------------- */

int oidc_store_code_insert(struct store_conn *c, const char *hash, const struct oidc_code_row *r,
                           struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CODE_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, hash, -1);
    store_bind_text(st, 2, r->client_id, -1);
    store_bind_int64(st, 3, r->account_id);
    store_bind_text(st, 4, r->redirect_uri, -1);
    store_bind_text(st, 5, r->scope, -1);
    if (r->nonce != NULL)
        store_bind_text(st, 6, r->nonce, -1);
    store_bind_text(st, 7, r->code_challenge, -1);
    store_bind_int64(st, 8, r->auth_time);
    store_bind_int64(st, 9, r->aal);
    store_bind_int64(st, 10, r->created_at);
    store_bind_int64(st, 11, r->expires_at);
    if (r->act_account != 0)
        store_bind_int64(st, 12, r->act_account);
    return store_run(st, NULL, err);
}

int oidc_store_code_get(struct store_conn *c, struct arena *a, const char *hash,
                        struct oidc_code_row *out, int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CODE_GET, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, hash, -1);
    int rc = store_step(st, err), bad = 0;
    *found = rc == STORE_ROW;
    if (rc == STORE_ROW) {
        out->client_id = dup_text(st, 0, a, &bad);
        out->account_id = store_col_int64(st, 1);
        out->redirect_uri = dup_text(st, 2, a, &bad);
        out->scope = dup_text(st, 3, a, &bad);
        out->nonce = dup_text(st, 4, a, &bad);
        out->code_challenge = dup_text(st, 5, a, &bad);
        out->auth_time = store_col_int64(st, 6);
        out->aal = store_col_int64(st, 7);
        out->created_at = store_col_int64(st, 8);
        out->expires_at = store_col_int64(st, 9);
        out->used_at = store_col_int64(st, 10);
        out->grant_id = store_col_int64(st, 11);
        out->act_account = store_col_is_null(st, 12) ? 0 : store_col_int64(st, 12);
        if (bad)
            return oom(st, err);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/* The code row of SQL_CODE_SPEND's and SQL_CODE_SPEND_GRANT's RETURNING (columns 0-9). */
static int code_spent_row(struct store_stmt *st, struct arena *a, const char *client_id,
                          int64_t now_ms, int64_t grant_id, struct oidc_code_row *out)
{
    int bad = 0;
    out->client_id = client_id;
    out->account_id = store_col_int64(st, 0);
    out->redirect_uri = dup_text(st, 1, a, &bad);
    out->scope = dup_text(st, 2, a, &bad);
    out->nonce = dup_text(st, 3, a, &bad);
    out->code_challenge = dup_text(st, 4, a, &bad);
    out->auth_time = store_col_int64(st, 5);
    out->aal = store_col_int64(st, 6);
    out->created_at = store_col_int64(st, 7);
    out->expires_at = store_col_int64(st, 8);
    out->used_at = now_ms;
    out->grant_id = grant_id;
    out->act_account = store_col_is_null(st, 9) ? 0 : store_col_int64(st, 9);
    return bad ? -1 : 0;
}

int oidc_store_code_spend(struct store_conn *c, struct arena *a, const char *hash,
                          const char *client_id, int64_t now_ms, int64_t grant_id,
                          struct oidc_code_row *out, int *spent, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CODE_SPEND, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, now_ms);
    store_bind_int64(st, 2, grant_id);
    store_bind_text(st, 3, hash, -1);
    store_bind_text(st, 4, client_id, -1);
    store_bind_text(st, 5, client_id, -1);
    int rc = store_step(st, err);
    *spent = rc == STORE_ROW;
    if (rc == STORE_ROW && code_spent_row(st, a, client_id, now_ms, grant_id, out) < 0)
        return oom(st, err);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int oidc_store_code_spend_grant(struct store_conn *c, struct arena *a, const char *hash,
                                const struct oidc_grant_row *g, const char *redirect_uri,
                                const char *challenge, struct oidc_code_row *out, int *spent,
                                int *granted, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CODE_SPEND_GRANT, err);
    if (st == NULL)
        return -1;
    int i = 1;
    store_bind_int64(st, i++, g->created_at);
    store_bind_int64(st, i++, g->id);
    store_bind_text(st, i++, hash, -1);
    store_bind_text(st, i++, g->client_id, -1);
    store_bind_text(st, i++, g->client_id, -1);
    store_bind_int64(st, i++, g->id);
    store_bind_text(st, i++, g->client_id, -1);
    store_bind_int64(st, i++, g->created_at);
    store_bind_int64(st, i++, g->expires_at);
    if (g->refresh_hash != NULL) {
        store_bind_text(st, i++, g->refresh_hash, -1);
        store_bind_int64(st, i++, g->refresh_issued_at);
        store_bind_int64(st, i++, g->refresh_expires_at);
    } else {
        store_bind_null(st, i++);
        store_bind_null(st, i++);
        store_bind_null(st, i++);
    }
    store_bind_int64(st, i++, g->created_at);
    store_bind_text(st, i++, redirect_uri, -1);
    store_bind_text(st, i, challenge, -1);
    int rc = store_step(st, err);
    *spent = rc == STORE_ROW;
    *granted = rc == STORE_ROW && store_col_int64(st, 10) > 0;
    if (rc == STORE_ROW && code_spent_row(st, a, g->client_id, g->created_at, g->id, out) < 0)
        return oom(st, err);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int oidc_store_grant_delete(struct store_conn *c, int64_t grant_id, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_GRANT_DELETE, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, grant_id);
    return store_run(st, NULL, err);
}

/* ---- grants -------------------------------------------------------------------------- */

int oidc_store_grant_insert(struct store_conn *c, const struct oidc_grant_row *g, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_GRANT_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, g->id);
    store_bind_text(st, 2, g->client_id, -1);
    store_bind_int64(st, 3, g->account_id);
    store_bind_text(st, 4, g->scope, -1);
    store_bind_int64(st, 5, g->auth_time);
    store_bind_int64(st, 6, g->aal);
    store_bind_int64(st, 7, g->created_at);
    store_bind_int64(st, 8, g->expires_at);
    if (g->refresh_hash != NULL) {
        store_bind_text(st, 9, g->refresh_hash, -1);
        store_bind_int64(st, 10, g->refresh_issued_at);
        store_bind_int64(st, 11, g->refresh_expires_at);
    } else {
        store_bind_null(st, 9);
        store_bind_null(st, 10);
        store_bind_null(st, 11);
    }
    return store_run(st, NULL, err);
}

int oidc_store_grant_revoke(struct store_conn *c, int64_t grant_id, int64_t now_ms,
                            const char *reason, int *changed, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_GRANT_REVOKE, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, now_ms);
    store_bind_text(st, 2, reason, -1);
    store_bind_int64(st, 3, grant_id);
    int64_t n = 0;
    int rc = store_run(st, &n, err);
    if (changed != NULL)
        *changed = n > 0;
    return rc;
}

int oidc_store_grants_revoke_account(struct store_conn *c, int64_t account_id, int64_t now_ms,
                                     const char *reason, int64_t *revoked, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_GRANTS_REVOKE_ACCOUNT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, now_ms);
    store_bind_text(st, 2, reason, -1);
    store_bind_int64(st, 3, account_id);
    int rc = store_step(st, err);
    *revoked = rc == STORE_DONE ? store_changes(st) : 0;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int oidc_store_grants_revoke_client(struct store_conn *c, const char *client_id, int64_t now_ms,
                                    struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_GRANTS_REVOKE_CLIENT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, now_ms);
    store_bind_text(st, 2, client_id, -1);
    return store_run(st, NULL, err);
}

int oidc_store_grant_status(struct store_conn *c, int64_t grant_id, int64_t now_ms,
                            int64_t *account_id, int *live, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_GRANT_STATUS, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, grant_id);
    int rc = store_step(st, err);
    *live = 0;
    *account_id = 0;
    if (rc == STORE_ROW) {
        *account_id = store_col_int64(st, 0);
        *live =
            store_col_is_null(st, 1) && store_col_int64(st, 2) > now_ms && store_col_is_null(st, 3);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/* ---- refresh tokens ------------------------------------------------------------------ */

int oidc_store_refresh_get(struct store_conn *c, struct arena *a, int64_t grant_id,
                           const char *hash, struct oidc_refresh_row *out, int *found,
                           struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_REFRESH_GRANT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, grant_id);
    int rc = store_step(st, err), bad = 0, current = 0;
    *found = 0;
    if (rc == STORE_ROW) {
        out->grant.id = store_col_int64(st, 0);
        out->grant.client_id = dup_text(st, 1, a, &bad);
        out->grant.account_id = store_col_int64(st, 2);
        out->grant.scope = dup_text(st, 3, a, &bad);
        out->grant.auth_time = store_col_int64(st, 4);
        out->grant.aal = store_col_int64(st, 5);
        out->grant.created_at = store_col_int64(st, 6);
        out->grant.expires_at = store_col_int64(st, 7);
        out->grant.revoked_at = store_col_int64(st, 8);
        const char *cur = store_col_is_null(st, 9) ? NULL : store_col_text(st, 9);
        current = cur != NULL && strlen(cur) == OIDC_HASH_SIZE - 1 &&
                  crypto_equal(cur, hash, OIDC_HASH_SIZE - 1);
        out->grant.refresh_hash = current ? dup_text(st, 9, a, &bad) : NULL;
        out->grant.refresh_issued_at = store_col_int64(st, 10);
        out->grant.refresh_expires_at = store_col_int64(st, 11);
        out->issued_at = out->grant.refresh_issued_at;
        out->expires_at = out->grant.refresh_expires_at;
        out->used_at = 0;
        if (bad)
            return oom(st, err);
    }
    store_reset(st);
    if (rc != STORE_ROW)
        return rc < 0 ? -1 : 0;
    if (current) {
        *found = 1;
        return 0;
    }
    /* Not the current token: a spent one of this grant, or nothing. */
    if ((st = store_prepare(c, SQL_REFRESH_SPENT_GET, err)) == NULL)
        return -1;
    store_bind_int64(st, 1, grant_id);
    store_bind_text(st, 2, hash, -1);
    rc = store_step(st, err);
    if (rc == STORE_ROW) {
        *found = 1;
        out->issued_at = store_col_int64(st, 0);
        out->expires_at = store_col_int64(st, 1);
        out->used_at = store_col_int64(st, 2);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int oidc_store_refresh_rotate(struct store_conn *c, const struct oidc_refresh_row *spent,
                              const char *hash, const char *next_hash, int64_t now_ms,
                              int64_t next_expires, int *claimed, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_REFRESH_ROTATE, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, next_hash, -1);
    store_bind_int64(st, 2, now_ms);
    store_bind_int64(st, 3, next_expires);
    store_bind_int64(st, 4, spent->grant.id);
    store_bind_text(st, 5, hash, -1);
    int64_t n = 0;
    if (store_run(st, &n, err) < 0)
        return -1;
    *claimed = n == 1;
    if (!*claimed)
        return 0;
    if ((st = store_prepare(c, SQL_REFRESH_SPENT_INSERT, err)) == NULL)
        return -1;
    store_bind_int64(st, 1, spent->grant.id);
    store_bind_text(st, 2, hash, -1);
    store_bind_int64(st, 3, spent->issued_at);
    store_bind_int64(st, 4, spent->expires_at);
    store_bind_int64(st, 5, now_ms);
    return store_run(st, NULL, err);
}

/* ---- client assertions ----------------------------------------------------------------- */

int oidc_store_jti_insert(struct store_conn *c, const char *client_id, const char *jti,
                          int64_t expires_at, int *fresh, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_JTI_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, client_id, -1);
    store_bind_text(st, 2, jti, -1);
    store_bind_int64(st, 3, expires_at);
    int64_t n = 0;
    int rc = store_run(st, &n, err);
    *fresh = n == 1;
    return rc;
}

/* ---- housekeeping ---------------------------------------------------------------------- */

/* The first id of the millisecond `ms` (41 bits of time above 22 bits, base/id.h). */
static int64_t first_id_at(int64_t ms)
{
    return ms > ID_EPOCH_MS ? (ms - ID_EPOCH_MS) << 22 : 0;
}

int oidc_store_purge(struct store_conn *c, int64_t now_ms, int64_t grant_life_ms, int64_t *removed,
                     struct err *err)
{
    int64_t total = 0, n = 0;
    struct store_stmt *st;
    if ((st = store_prepare(c, SQL_PURGE_CODES, err)) == NULL)
        return -1;
    store_bind_int64(st, 1, now_ms - DAY_MS);
    if (store_run(st, &n, err) < 0)
        return -1;
    total += n;
    if ((st = store_prepare(c, SQL_PURGE_JTIS, err)) == NULL)
        return -1;
    store_bind_int64(st, 1, now_ms);
    if (store_run(st, &n, err) < 0)
        return -1;
    total += n;
    /* Grants born before now - life have ended; their refresh tokens have expired. */
    if ((st = store_prepare(c, SQL_PURGE_REFRESH, err)) == NULL)
        return -1;
    store_bind_int64(st, 1, first_id_at(now_ms - grant_life_ms));
    store_bind_int64(st, 2, now_ms);
    if (store_run(st, &n, err) < 0)
        return -1;
    total += n;
    int64_t ended = now_ms - 30 * DAY_MS;
    if ((st = store_prepare(c, SQL_PURGE_GRANTS, err)) == NULL)
        return -1;
    store_bind_int64(st, 1, first_id_at(ended - grant_life_ms));
    store_bind_int64(st, 2, ended);
    store_bind_int64(st, 3, ended);
    if (store_run(st, &n, err) < 0)
        return -1;
    total += n;
    if (removed != NULL)
        *removed = total;
    return 0;
}
