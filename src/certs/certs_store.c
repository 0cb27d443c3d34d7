/* certs_store.c - every SQL statement of the certs module. */
#include "certs/certs_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/id.h"
#include "store/store.h"

static const char SQL_TYPE_PUT[] =
    "INSERT INTO cert_types (code, type_code, name_zh, name_bo, name_en, dept_code, issuer_code, "
    "fields, valid_years, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (code) DO UPDATE SET type_code = excluded.type_code, name_zh = excluded.name_zh, "
    "name_bo = excluded.name_bo, name_en = excluded.name_en, dept_code = excluded.dept_code, "
    "issuer_code = excluded.issuer_code, fields = excluded.fields, "
    "valid_years = excluded.valid_years, updated_at = excluded.updated_at";
static const char SQL_TYPE_GET[] =
    "SELECT code, type_code, name_zh, name_bo, name_en, dept_code, issuer_code, fields, "
    "valid_years FROM cert_types WHERE code = ?";
static const char SQL_INSERT[] =
    "INSERT INTO certificates (id, identifier, type_code, holder_account, holder_name, holder_id, "
    "holder_masked, department_id, seal_id, document, data_hash, signature, issued_at, "
    "valid_until, status, source, qr_payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "'valid', ?, ?)";
static const char SQL_GET[] =
    "SELECT id, identifier, type_code, holder_account, holder_name, holder_id, holder_masked, "
    "department_id, seal_id, document, data_hash, signature, issued_at, valid_until, status, "
    "source, qr_payload FROM certificates WHERE identifier = ?";
static const char SQL_WALLET_ALL[] =
    "SELECT c.id, c.identifier, c.type_code, t.name_zh, t.name_bo, t.name_en, c.issued_at, "
    "c.valid_until, c.status FROM certificates c JOIN cert_types t ON t.code = c.type_code "
    "WHERE c.holder_account = ? ORDER BY c.issued_at DESC, c.id DESC";
static const char SQL_WALLET_TYPE[] =
    "SELECT c.id, c.identifier, c.type_code, t.name_zh, t.name_bo, t.name_en, c.issued_at, "
    "c.valid_until, c.status FROM certificates c JOIN cert_types t ON t.code = c.type_code "
    "WHERE c.holder_account = ? AND c.type_code = ? ORDER BY c.issued_at DESC, c.id DESC";
static const char SQL_STATUS[] = "UPDATE certificates SET status = ? WHERE identifier = ?";
static const char SQL_USE_INSERT[] =
    "INSERT INTO cert_uses (id, cert_id, holder_account, application, department_id, purpose, "
    "at) VALUES (?, ?, ?, ?, ?, ?, ?)";
static const char SQL_USES[] = "SELECT application, department_id, purpose, at FROM cert_uses "
                               "WHERE cert_id = ? ORDER BY at DESC, id DESC";
/* Through the holder's certificates (certificates_holder) and their uses (cert_uses_cert). */
static const char SQL_USES_HOLDER[] =
    "SELECT c.identifier, c.type_code, u.application, u.department_id, u.purpose, u.at "
    "FROM certificates c JOIN cert_uses u ON u.cert_id = c.id WHERE c.holder_account = ? "
    "ORDER BY u.at DESC, u.id DESC LIMIT ?";
static const char SQL_USE_DEPT[] =
    "SELECT 1 FROM cert_uses WHERE cert_id = ? AND department_id = ?";
static const char *nz(const char *s)
{
    return s ? s : "";
}

static unsigned char *dup_blob(struct store_stmt *st, int col, size_t *n)
{
    size_t len = 0;
    const void *p = store_col_blob(st, col, &len);
    unsigned char *b = malloc(len ? len : 1);
    *n = 0;
    if (b != NULL && p != NULL) {
        memcpy(b, p, len);
        *n = len;
    }
    return b;
}

void certs_row_free(struct certs_row *r)
{
    if (r == NULL)
        return;
    free(r->holder_name);
    free(r->holder_id);
    free(r->document);
    free(r->signature);
    free(r->qr_payload);
    memset(r, 0, sizeof(*r));
}

int certs_db_type_put(struct store_conn *c, const char *code, const char *type_code, const char *zh,
                      const char *bo, const char *en, const char *dept, const char *issuer,
                      const char *fields, int64_t valid_years, int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_TYPE_PUT, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, code, -1);
    store_bind_text(st, 2, type_code, -1);
    store_bind_text(st, 3, zh, -1);
    store_bind_text(st, 4, nz(bo), -1);
    store_bind_text(st, 5, nz(en), -1);
    store_bind_text(st, 6, dept, -1);
    store_bind_text(st, 7, issuer, -1);
    store_bind_text(st, 8, fields, -1);
    store_bind_int64(st, 9, valid_years);
    store_bind_int64(st, 10, now);
    return store_run(st, NULL, err);
}

int certs_db_type_get(struct store_conn *c, const char *code, json_t **type, int *found,
                      struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_TYPE_GET, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, code, -1);
    *found = 0;
    int rc = store_step(st, err);
    if (rc == STORE_ROW) {
        json_t *fields = json_loads(nz(store_col_text(st, 7)), 0, NULL);
        *type = json_pack(
            "{s:s, s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:o, s:I}", "code", store_col_text(st, 0),
            "type_code", store_col_text(st, 1), "name", "zh", store_col_text(st, 2), "bo",
            nz(store_col_text(st, 3)), "en", nz(store_col_text(st, 4)), "department",
            store_col_text(st, 5), "issuer_code", store_col_text(st, 6), "fields",
            fields ? fields : json_array(), "valid_years", (json_int_t)store_col_int64(st, 8));
        *found = *type != NULL;
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int certs_db_insert(struct store_conn *c, const struct certs_row *r, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, r->id);
    store_bind_text(st, 2, r->identifier, -1);
    store_bind_text(st, 3, r->type_code, -1);
    store_bind_int64(st, 4, r->holder_account);
    store_bind_blob(st, 5, r->holder_name, r->holder_name_len);
    store_bind_blob(st, 6, r->holder_id, r->holder_id_len);
    store_bind_text(st, 7, r->holder_masked, -1);
    store_bind_int64(st, 8, r->department_id);
    store_bind_int64(st, 9, r->seal_id);
    store_bind_blob(st, 10, r->document, r->document_len);
    store_bind_text(st, 11, r->data_hash, -1);
    store_bind_blob(st, 12, r->signature, r->signature_len);
    store_bind_int64(st, 13, r->issued_at);
    store_bind_int64(st, 14, r->valid_until);
    store_bind_text(st, 15, r->source, -1);
    store_bind_text(st, 16, r->qr_payload, -1);
    return store_run(st, NULL, err);
}

int certs_db_get(struct store_conn *c, const char *identifier, struct certs_row *r, int *found,
                 struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_GET, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, identifier, -1);
    *found = 0;
    memset(r, 0, sizeof(*r));
    int rc = store_step(st, err);
    if (rc == STORE_ROW) {
        *found = 1;
        r->id = store_col_int64(st, 0);
        snprintf(r->identifier, sizeof(r->identifier), "%s", nz(store_col_text(st, 1)));
        snprintf(r->type_code, sizeof(r->type_code), "%s", nz(store_col_text(st, 2)));
        r->holder_account = store_col_int64(st, 3);
        r->holder_name = dup_blob(st, 4, &r->holder_name_len);
        r->holder_id = dup_blob(st, 5, &r->holder_id_len);
        snprintf(r->holder_masked, sizeof(r->holder_masked), "%s", nz(store_col_text(st, 6)));
        r->department_id = store_col_int64(st, 7);
        r->seal_id = store_col_int64(st, 8);
        r->document = dup_blob(st, 9, &r->document_len);
        snprintf(r->data_hash, sizeof(r->data_hash), "%s", nz(store_col_text(st, 10)));
        r->signature = dup_blob(st, 11, &r->signature_len);
        r->issued_at = store_col_int64(st, 12);
        r->valid_until = store_col_int64(st, 13);
        snprintf(r->status, sizeof(r->status), "%s", nz(store_col_text(st, 14)));
        snprintf(r->source, sizeof(r->source), "%s", nz(store_col_text(st, 15)));
        r->qr_payload = strdup(nz(store_col_text(st, 16)));
        if (!r->holder_name || !r->holder_id || !r->document || !r->signature || !r->qr_payload) {
            certs_row_free(r);
            store_reset(st);
            return err_set(err, 500, "certs.oom", "out of memory");
        }
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int certs_db_wallet(struct store_conn *c, int64_t holder, const char *type, int64_t now,
                    json_t **list, struct err *err)
{
    struct store_stmt *st = store_prepare(c, type ? SQL_WALLET_TYPE : SQL_WALLET_ALL, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, holder);
    if (type)
        store_bind_text(st, 2, type, -1);
    json_t *a = json_array();
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        const char *status = nz(store_col_text(st, 8));
        int64_t until = store_col_int64(st, 7);
        if (strcmp(status, "valid") == 0 && until > 0 && until < now)
            status = "expired";
        json_array_append_new(
            a, json_pack("{s:I, s:s, s:s, s:{s:s, s:s, s:s}, s:I, s:I, s:s}", "id",
                         (json_int_t)store_col_int64(st, 0), "identifier", store_col_text(st, 1),
                         "type", store_col_text(st, 2), "name", "zh", nz(store_col_text(st, 3)),
                         "bo", nz(store_col_text(st, 4)), "en", nz(store_col_text(st, 5)),
                         "issued_at", (json_int_t)store_col_int64(st, 6), "valid_until",
                         (json_int_t)until, "status", status));
    }
    store_reset(st);
    if (rc < 0) {
        json_decref(a);
        return -1;
    }
    *list = a;
    return 0;
}

int certs_db_set_status(struct store_conn *c, const char *identifier, const char *status,
                        int64_t *changes, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_STATUS, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, status, -1);
    store_bind_text(st, 2, identifier, -1);
    return store_run(st, changes, err);
}

int certs_db_use_insert(struct store_conn *c, int64_t cert_id, int64_t holder,
                        const char *application, int64_t department_id, const char *purpose,
                        int64_t at, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_USE_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id_next());
    store_bind_int64(st, 2, cert_id);
    store_bind_int64(st, 3, holder);
    store_bind_text(st, 4, application, -1);
    store_bind_int64(st, 5, department_id);
    store_bind_text(st, 6, purpose, -1);
    store_bind_int64(st, 7, at);
    return store_run(st, NULL, err);
}

int certs_db_uses(struct store_conn *c, int64_t cert_id, json_t **list, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_USES, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, cert_id);
    json_t *a = json_array();
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        json_array_append_new(
            a, json_pack("{s:s, s:I, s:s, s:s, s:s, s:I}", "application", nz(store_col_text(st, 0)),
                         "department_id", (json_int_t)store_col_int64(st, 1), "department", "",
                         "department_name", "", "purpose", nz(store_col_text(st, 2)), "at",
                         (json_int_t)store_col_int64(st, 3)));
    store_reset(st);
    if (rc < 0) {
        json_decref(a);
        return -1;
    }
    *list = a;
    return 0;
}

int certs_db_use_allowed(struct store_conn *c, int64_t cert_id, const int64_t *depts, size_t n,
                         int *allowed, struct err *err)
{
    *allowed = 0;
    for (size_t i = 0; i < n && !*allowed; i++) {
        struct store_stmt *st = store_prepare(c, SQL_USE_DEPT, err);
        if (st == NULL)
            return -1;
        store_bind_int64(st, 1, cert_id);
        store_bind_int64(st, 2, depts[i]);
        int rc = store_step(st, err);
        store_reset(st);
        if (rc < 0)
            return -1;
        *allowed = rc == STORE_ROW;
    }
    return 0;
}

static const char SQL_EXPIRING[] =
    "SELECT id, holder_account, valid_until, type_code FROM certificates WHERE status = "
    "'valid' AND valid_until > ? AND valid_until <= ? AND id > ? ORDER BY id LIMIT ?";

int certs_db_expiring(struct store_conn *c, int64_t from, int64_t until, int64_t after,
                      struct certs_brief *out, size_t max, size_t *n, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_EXPIRING, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, from);
    store_bind_int64(st, 2, until);
    store_bind_int64(st, 3, after);
    store_bind_int64(st, 4, (int64_t)max);
    int rc = STORE_DONE;
    *n = 0;
    while (*n < max && (rc = store_step(st, err)) == STORE_ROW) {
        struct certs_brief *b = &out[(*n)++];
        b->id = store_col_int64(st, 0);
        b->holder = store_col_int64(st, 1);
        b->valid_until = store_col_int64(st, 2);
        snprintf(b->type_code, sizeof(b->type_code), "%s", nz(store_col_text(st, 3)));
    }
    store_reset(st);
    return *n < max && rc < 0 ? -1 : 0;
}

int certs_db_uses_of_holder(struct store_conn *c, int64_t holder, int limit, json_t **list,
                            struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_USES_HOLDER, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, holder);
    store_bind_int64(st, 2, limit);
    json_t *a = json_array();
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:I}", "identifier",
                         nz(store_col_text(st, 0)), "type", nz(store_col_text(st, 1)),
                         "application", nz(store_col_text(st, 2)), "department_id",
                         (json_int_t)store_col_int64(st, 3), "department", "", "department_name",
                         "", "purpose", nz(store_col_text(st, 4)), "at",
                         (json_int_t)store_col_int64(st, 5)));
    store_reset(st);
    if (rc < 0) {
        json_decref(a);
        return -1;
    }
    *list = a;
    return 0;
}
