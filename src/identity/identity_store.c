/* identity_store.c - every SQL statement of the identity module (see identity_internal.h). */
#include "identity/identity_internal.h"

#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/id.h"
#include "store/store.h"

static const char SQL_ACCOUNT_INSERT[] =
    "INSERT INTO accounts (id, kind, username, name, id_number_enc, id_number_hash, phone_enc, "
    "phone_hash, password_hash, lang, status, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)";
static const char SQL_ACCOUNT_GET[] =
    "SELECT id, kind, username, name, id_number_enc, phone_enc, password_hash, totp_secret_enc, "
    "totp_last_step, lang, status, created_at FROM accounts WHERE id = ?";
/* Only the status: the token exchange's check, no personal data read (issue 19). */
static const char SQL_ACCOUNT_STATUS[] = "SELECT status FROM accounts WHERE id = ?";
static const char SQL_ACCOUNT_BY_ID_HASH[] = "SELECT id FROM accounts WHERE id_number_hash = ?";
/* Two rows at most: a phone shared by several accounts (a family's) logs none of them in
 * (they use their ID numbers), rather than the oldest by surprise. */
static const char SQL_ACCOUNT_BY_PHONE_HASH[] =
    "SELECT id FROM accounts WHERE phone_hash = ? ORDER BY id LIMIT 2";
static const char SQL_ACCOUNT_BY_USERNAME[] = "SELECT id FROM accounts WHERE username = ?";
static const char SQL_ACCOUNT_SET_PASSWORD[] =
    "UPDATE accounts SET password_hash = ?, updated_at = ? WHERE id = ?";
static const char SQL_ACCOUNT_SET_TOTP[] =
    "UPDATE accounts SET totp_secret_enc = ?, totp_last_step = ?, updated_at = ? WHERE id = ?";
static const char SQL_ACCOUNT_ADVANCE_STEP[] =
    "UPDATE accounts SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?";
static const char SQL_RECOVERY_DELETE[] = "DELETE FROM recovery_codes WHERE account_id = ?";
static const char SQL_RECOVERY_INSERT[] =
    "INSERT INTO recovery_codes (account_id, code_hash) VALUES (?, ?)";
static const char SQL_RECOVERY_USE[] =
    "UPDATE recovery_codes SET used_at = ? WHERE account_id = ? AND code_hash = ? "
    "AND used_at IS NULL";
static const char SQL_THROTTLE_CLEAR[] = "DELETE FROM login_throttle WHERE key = ?";
/* One atomic statement per attempt, so concurrent attempts are all counted (a read and a
 * write would let parallel guesses through uncounted). A window older than `since`
 * starts again at 1. */
static const char SQL_THROTTLE_HIT[] =
    "INSERT INTO login_throttle (key, failures, window_start, blocked_until) VALUES (?, 1, ?, 0) "
    "ON CONFLICT (key) DO UPDATE SET "
    "failures = CASE WHEN login_throttle.window_start < ? THEN 1 "
    "ELSE login_throttle.failures + 1 END, "
    "window_start = CASE WHEN login_throttle.window_start < ? THEN excluded.window_start "
    "ELSE login_throttle.window_start END "
    "RETURNING failures, blocked_until";
static const char SQL_THROTTLE_UNDO[] =
    "UPDATE login_throttle SET failures = failures - 1 WHERE key = ? AND failures > 0";
static const char SQL_THROTTLE_BLOCK[] =
    "UPDATE login_throttle SET blocked_until = ? WHERE key = ? AND blocked_until < ?";
static const char SQL_DEPT_INSERT[] =
    "INSERT INTO departments (id, code, name_zh, name_bo, name_en, division_code, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)";
static const char SQL_DEPT_LIST[] =
    "SELECT id, code, name_zh, name_bo, name_en, division_code FROM departments "
    "ORDER BY division_code, code";
static const char SQL_DEPT_BY_ID[] =
    "SELECT id, code, name_zh, name_bo, name_en, division_code FROM departments WHERE id = ?";
static const char SQL_DEPT_BY_CODE[] =
    "SELECT id, code, name_zh, name_bo, name_en, division_code FROM departments WHERE code = ?";
static const char SQL_GRANT_INSERT[] =
    "INSERT INTO role_grants (id, account_id, department_id, role, granted_by, granted_at) "
    "VALUES (?, ?, ?, ?, ?, ?)";
static const char SQL_GRANT_REVOKE[] =
    "UPDATE role_grants SET revoked_at = ? WHERE account_id = ? AND department_id = ? "
    "AND role = ? AND revoked_at IS NULL";
static const char SQL_GRANT_EXISTS[] =
    "SELECT 1 FROM role_grants WHERE account_id = ? AND department_id = ? AND role = ? "
    "AND revoked_at IS NULL";
static const char SQL_GRANTS_OF[] =
    "SELECT g.role, g.department_id, d.division_code FROM role_grants g "
    "JOIN departments d ON d.id = g.department_id "
    "WHERE g.account_id = ? AND g.revoked_at IS NULL ORDER BY g.id";

static const char *dup_text(struct store_stmt *st, int col, struct arena *a)
{
    const char *s = store_col_text(st, col);
    return s ? arena_strdup(a, s) : NULL;
}

static const unsigned char *dup_blob(struct store_stmt *st, int col, struct arena *a, size_t *n)
{
    *n = 0;
    if (store_col_is_null(st, col))
        return NULL;
    size_t len;
    const void *p = store_col_blob(st, col, &len);
    unsigned char *copy = arena_alloc(a, len ? len : 1);
    if (copy == NULL)
        return NULL;
    if (len)
        memcpy(copy, p, len);
    *n = len;
    return copy;
}

int identity_db_account_insert(struct store_conn *c, const struct account_row *r,
                               const char *id_hash, const char *phone_hash, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ACCOUNT_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, r->id);
    store_bind_text(st, 2, r->kind == IDENTITY_STAFF ? "staff" : "citizen", -1);
    store_bind_text(st, 3, r->username, -1);
    store_bind_text(st, 4, r->name, -1);
    if (r->id_enc != NULL)
        store_bind_blob(st, 5, r->id_enc, r->id_enc_len);
    store_bind_text(st, 6, id_hash, -1);
    if (r->phone_enc != NULL)
        store_bind_blob(st, 7, r->phone_enc, r->phone_enc_len);
    store_bind_text(st, 8, phone_hash, -1);
    store_bind_text(st, 9, r->password_hash, -1);
    store_bind_text(st, 10, r->lang ? r->lang : "zh", -1);
    store_bind_int64(st, 11, r->created_at);
    store_bind_int64(st, 12, r->created_at);
    return store_run(st, NULL, err);
}

int identity_db_account_get(struct store_conn *c, struct arena *a, int64_t id,
                            struct account_row *out, int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ACCOUNT_GET, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (rc == STORE_ROW) {
        memset(out, 0, sizeof(*out));
        out->id = store_col_int64(st, 0);
        const char *kind = store_col_text(st, 1);
        out->kind = kind && strcmp(kind, "staff") == 0 ? IDENTITY_STAFF : IDENTITY_CITIZEN;
        out->username = dup_text(st, 2, a);
        out->name = dup_text(st, 3, a);
        out->id_enc = dup_blob(st, 4, a, &out->id_enc_len);
        out->phone_enc = dup_blob(st, 5, a, &out->phone_enc_len);
        out->password_hash = dup_text(st, 6, a);
        out->totp_enc = dup_blob(st, 7, a, &out->totp_enc_len);
        out->totp_last_step = store_col_int64(st, 8);
        out->lang = dup_text(st, 9, a);
        out->status = dup_text(st, 10, a);
        out->created_at = store_col_int64(st, 11);
        if (out->name == NULL || out->password_hash == NULL)
            rc = err_set(err, 500, "identity.oom", "out of memory");
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int identity_db_account_active(struct store_conn *c, int64_t id, int *active, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ACCOUNT_STATUS, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    int rc = store_step(st, err);
    const char *status = rc == STORE_ROW ? store_col_text(st, 0) : NULL;
    *active = status != NULL && strcmp(status, "active") == 0;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static int find_id(struct store_conn *c, const char *sql, const char *key, int64_t *id, int *found,
                   struct err *err)
{
    struct store_stmt *st = store_prepare(c, sql, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, key, -1);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (rc == STORE_ROW)
        *id = store_col_int64(st, 0);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int identity_db_account_by_id_hash(struct store_conn *c, const char *hash, int64_t *id, int *found,
                                   struct err *err)
{
    return find_id(c, SQL_ACCOUNT_BY_ID_HASH, hash, id, found, err);
}

int identity_db_account_by_phone_hash(struct store_conn *c, const char *hash, int64_t *id,
                                      int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ACCOUNT_BY_PHONE_HASH, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, hash, -1);
    int rows = 0, rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        if (rows++ == 0)
            *id = store_col_int64(st, 0);
    store_reset(st);
    *found = rows == 1;
    return rc < 0 ? -1 : 0;
}

int identity_db_account_by_username(struct store_conn *c, const char *username, int64_t *id,
                                    int *found, struct err *err)
{
    return find_id(c, SQL_ACCOUNT_BY_USERNAME, username, id, found, err);
}

int identity_db_account_set_password(struct store_conn *c, int64_t id, const char *hash,
                                     struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ACCOUNT_SET_PASSWORD, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, hash, -1);
    store_bind_int64(st, 2, time_now_ms());
    store_bind_int64(st, 3, id);
    return store_run(st, NULL, err);
}

int identity_db_account_set_totp(struct store_conn *c, int64_t id, const unsigned char *enc,
                                 size_t n, int64_t last_step, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ACCOUNT_SET_TOTP, err);
    if (st == NULL)
        return -1;
    if (enc != NULL)
        store_bind_blob(st, 1, enc, n);
    else
        store_bind_null(st, 1);
    store_bind_int64(st, 2, last_step);
    store_bind_int64(st, 3, time_now_ms());
    store_bind_int64(st, 4, id);
    return store_run(st, NULL, err);
}

int identity_db_account_advance_totp_step(struct store_conn *c, int64_t id, int64_t step,
                                          int *accepted, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ACCOUNT_ADVANCE_STEP, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, step);
    store_bind_int64(st, 2, id);
    store_bind_int64(st, 3, step);
    int rc = store_step(st, err);
    *accepted = rc == STORE_DONE && store_changes(st) == 1;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int identity_db_recovery_replace(struct store_conn *c, int64_t account_id, const char (*hashes)[65],
                                 size_t n, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_RECOVERY_DELETE, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, account_id);
    if (store_run(st, NULL, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if ((st = store_prepare(c, SQL_RECOVERY_INSERT, err)) == NULL)
            return -1;
        store_bind_int64(st, 1, account_id);
        store_bind_text(st, 2, hashes[i], -1);
        if (store_run(st, NULL, err) < 0)
            return -1;
    }
    return 0;
}

int identity_db_recovery_use(struct store_conn *c, int64_t account_id, const char *hash, int *used,
                             struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_RECOVERY_USE, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, time_now_ms());
    store_bind_int64(st, 2, account_id);
    store_bind_text(st, 3, hash, -1);
    int rc = store_step(st, err);
    *used = rc == STORE_DONE && store_changes(st) == 1;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int identity_db_throttle_clear(struct store_conn *c, const char *key, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_THROTTLE_CLEAR, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, key, -1);
    return store_run(st, NULL, err);
}

int identity_db_throttle_hit(struct store_conn *c, const char *key, int64_t now, int64_t window_ms,
                             int *count, int64_t *blocked_until, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_THROTTLE_HIT, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, key, -1);
    store_bind_int64(st, 2, now);
    store_bind_int64(st, 3, now - window_ms);
    store_bind_int64(st, 4, now - window_ms);
    int rc = store_step(st, err);
    if (rc == STORE_ROW) {
        *count = (int)store_col_int64(st, 0);
        *blocked_until = store_col_int64(st, 1);
    }
    store_reset(st);
    return rc == STORE_ROW ? 0 : (rc < 0 ? -1 : err_set(err, 500, "identity.store", "no row"));
}

int identity_db_throttle_undo(struct store_conn *c, const char *key, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_THROTTLE_UNDO, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, key, -1);
    return store_run(st, NULL, err);
}

int identity_db_throttle_block(struct store_conn *c, const char *key, int64_t until,
                               struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_THROTTLE_BLOCK, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, until);
    store_bind_text(st, 2, key, -1);
    store_bind_int64(st, 3, until);
    return store_run(st, NULL, err);
}

int identity_db_department_insert(struct store_conn *c, const struct identity_department *d,
                                  struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_DEPT_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, d->id);
    store_bind_text(st, 2, d->code, -1);
    store_bind_text(st, 3, d->name_zh, -1);
    store_bind_text(st, 4, d->name_bo, -1);
    store_bind_text(st, 5, d->name_en, -1);
    store_bind_int64(st, 6, d->division_code);
    store_bind_int64(st, 7, time_now_ms());
    return store_run(st, NULL, err);
}

static void read_dept(struct store_stmt *st, struct arena *a, struct identity_department *d)
{
    d->id = store_col_int64(st, 0);
    d->code = dup_text(st, 1, a);
    d->name_zh = dup_text(st, 2, a);
    d->name_bo = dup_text(st, 3, a);
    d->name_en = dup_text(st, 4, a);
    d->division_code = store_col_int64(st, 5);
}

int identity_db_department_list(struct store_conn *c, struct arena *a,
                                struct identity_department **out, size_t *n, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_DEPT_LIST, err);
    if (st == NULL)
        return -1;
    size_t cap = 16, k = 0;
    struct identity_department *list = arena_alloc(a, cap * sizeof(*list));
    int rc = STORE_DONE;
    while (list != NULL && (rc = store_step(st, err)) == STORE_ROW) {
        if (k == cap) {
            struct identity_department *bigger = arena_alloc(a, 2 * cap * sizeof(*list));
            if (bigger != NULL)
                memcpy(bigger, list, k * sizeof(*list));
            list = bigger;
            cap *= 2;
            if (list == NULL)
                break;
        }
        read_dept(st, a, &list[k++]);
    }
    store_reset(st);
    if (list == NULL)
        return err_set(err, 500, "identity.oom", "out of memory");
    if (rc < 0)
        return -1;
    *out = list;
    *n = k;
    return 0;
}

int identity_db_department_by_code(struct store_conn *c, struct arena *a, const char *code,
                                   struct identity_department *out, int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_DEPT_BY_CODE, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, code, -1);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (rc == STORE_ROW)
        read_dept(st, a, out);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int identity_db_grant_insert(struct store_conn *c, int64_t grant_id, int64_t account_id,
                             int64_t dept_id, const char *role, int64_t actor, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_GRANT_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, grant_id);
    store_bind_int64(st, 2, account_id);
    store_bind_int64(st, 3, dept_id);
    store_bind_text(st, 4, role, -1);
    if (actor != 0)
        store_bind_int64(st, 5, actor);
    store_bind_int64(st, 6, time_now_ms());
    return store_run(st, NULL, err);
}

int identity_db_grant_revoke(struct store_conn *c, int64_t account_id, int64_t dept_id,
                             const char *role, int64_t *changed, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_GRANT_REVOKE, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, time_now_ms());
    store_bind_int64(st, 2, account_id);
    store_bind_int64(st, 3, dept_id);
    store_bind_text(st, 4, role, -1);
    int rc = store_step(st, err);
    *changed = rc == STORE_DONE ? store_changes(st) : 0;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int identity_db_grant_exists(struct store_conn *c, int64_t account_id, int64_t dept_id,
                             const char *role, int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_GRANT_EXISTS, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, account_id);
    store_bind_int64(st, 2, dept_id);
    store_bind_text(st, 3, role, -1);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int identity_db_grants_of(struct store_conn *c, int64_t account_id, struct authz_subject *subj,
                          struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_GRANTS_OF, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, account_id);
    int rc;
    subj->ngrants = 0;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        int role = identity_role_parse(store_col_text(st, 0));
        if (role < 0 || subj->ngrants == AUTHZ_MAX_GRANTS)
            continue;
        subj->grants[subj->ngrants].role = role;
        subj->grants[subj->ngrants].department_id = store_col_int64(st, 1);
        subj->grants[subj->ngrants].division_code = store_col_int64(st, 2);
        subj->ngrants++;
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static const char SQL_DEPT_EXISTS[] = "SELECT 1 FROM departments WHERE id = ?";

int identity_db_department_exists(struct store_conn *c, int64_t dept_id, int *found,
                                  struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_DEPT_EXISTS, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, dept_id);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static const char SQL_DEPT_HOLDERS[] = "SELECT account_id FROM role_grants WHERE department_id = ? "
                                       "AND role = ? AND revoked_at IS NULL ORDER BY account_id";

int identity_db_department_holders(struct store_conn *c, int64_t dept_id, const char *role,
                                   int64_t *ids, size_t max, size_t *n, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_DEPT_HOLDERS, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, dept_id);
    store_bind_text(st, 2, role, -1);
    *n = 0;
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        if (*n < max)
            ids[(*n)++] = store_col_int64(st, 0);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int identity_db_department_by_id(struct store_conn *c, struct arena *a, int64_t dept_id,
                                 struct identity_department *out, int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_DEPT_BY_ID, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, dept_id);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (rc == STORE_ROW)
        read_dept(st, a, out);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/* Active citizens with an ID number, in id order (keyset pages). */
static const char SQL_CITIZENS[] =
    "SELECT id, lang FROM accounts WHERE kind = 'citizen' AND id_number_enc IS NOT NULL AND "
    "status = 'active' AND id > ? ORDER BY id LIMIT ?";

int identity_db_citizens_page(struct store_conn *c, int64_t after, int limit,
                              identity_citizen_fn fn, void *ctx, int64_t *last, size_t *n,
                              struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CITIZENS, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, after);
    store_bind_int64(st, 2, limit);
    int rc;
    *n = 0;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        *last = store_col_int64(st, 0);
        (*n)++;
        if (fn(ctx, *last, store_col_text(st, 1)) < 0) {
            store_reset(st);
            return -1;
        }
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}
