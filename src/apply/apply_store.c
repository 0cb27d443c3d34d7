/* apply_store.c - every SQL statement of the apply module. */
#include "apply/apply_internal.h"

#include <string.h>

#include "base/arena.h"
#include "base/id.h"
#include "store/store.h"

#define COLS                                                                                       \
    "id, number, item_code, item_version, item_name, bundle_id, applicant_account, "               \
    "enterprise_id, filed_by, on_behalf, applicant_name, department_id, division_code, state, "    \
    "resume_state, lang, form_enc, idem_key, limit_days, used_days, clock_started_at, "            \
    "deadline_at, due_at, cert_id, created_at, submitted_at, decided_at, updated_at"

static const char SQL_SEQ[] =
    "INSERT INTO application_seq (day, county, next) VALUES (?, ?, ?) "
    "ON CONFLICT (day, county) DO UPDATE SET next = application_seq.next + excluded.next "
    "RETURNING next";
static const char SQL_INSERT[] =
    "INSERT INTO applications (" COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_DELETE_DRAFT[] =
    "DELETE FROM applications WHERE id = ? AND filed_by = ? AND state = 'draft'";
static const char SQL_UPDATE_DRAFT[] =
    "UPDATE applications SET item_code = ?, item_version = ?, item_name = ?, enterprise_id = ?, "
    "applicant_name = ?, department_id = ?, division_code = ?, form_enc = ?, updated_at = ? "
    "WHERE id = ? AND filed_by = ? AND state = 'draft'";
static const char SQL_UPDATE_STATE[] =
    "UPDATE applications SET state = ?, resume_state = ?, used_days = ?, clock_started_at = ?, "
    "deadline_at = ?, due_at = ?, cert_id = ?, decided_at = ?, updated_at = ? WHERE id = ?";
static const char SQL_UPDATE_FORM[] =
    "UPDATE applications SET form_enc = ?, updated_at = ? WHERE id = ?";
static const char SQL_BY_NUMBER[] = "SELECT " COLS " FROM applications WHERE number = ?";
static const char SQL_BY_ID[] = "SELECT " COLS " FROM applications WHERE id = ?";
static const char SQL_BY_IDEM[] =
    "SELECT number FROM applications WHERE filed_by = ? AND idem_key = ? "
    "AND idem_key IS NOT NULL";
/* Two index range scans (applicant, filer) merged by the caller's limit. */
static const char SQL_MINE[] = "SELECT " COLS " FROM applications WHERE applicant_account = ? "
                               "ORDER BY created_at DESC LIMIT ?";
static const char SQL_FILED[] =
    "SELECT " COLS " FROM applications WHERE filed_by = ? AND on_behalf = 1 "
    "AND applicant_account <> ? ORDER BY created_at DESC LIMIT ?";
static const char SQL_QUEUE[] =
    "SELECT " COLS " FROM applications WHERE department_id = ? AND state = ? "
    "ORDER BY due_at, id LIMIT ?";
static const char SQL_BUNDLE[] =
    "SELECT " COLS " FROM applications WHERE bundle_id = ? AND bundle_id <> 0 ORDER BY id";
static const char SQL_FILE_INSERT[] =
    "INSERT INTO application_files (id, application_id, material_key, filename, content_type, "
    "size, sm3, content_enc, cert_identifier, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_FILES_DELETE_KEY[] =
    "DELETE FROM application_files WHERE application_id = ? AND material_key = ?";
static const char SQL_FILES[] =
    "SELECT id, material_key, filename, content_type, sm3, cert_identifier, size, created_at "
    "FROM application_files WHERE application_id = ? ORDER BY material_key, id";
static const char SQL_FILE_CONTENT[] =
    "SELECT id, material_key, filename, content_type, sm3, cert_identifier, size, created_at, "
    "content_enc FROM application_files WHERE application_id = ? AND id = ?";
static const char SQL_EVENT_INSERT[] =
    "INSERT INTO application_events (id, application_id, at, actor, action, from_state, "
    "to_state, note, problems) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_EVENTS[] =
    "SELECT at, actor, action, from_state, to_state, note, problems FROM application_events "
    "WHERE application_id = ? ORDER BY at, id";

static const char *dup_text(struct arena *a, struct store_stmt *st, int col)
{
    const char *s = store_col_text(st, col);
    return s == NULL ? NULL : arena_strdup(a, s);
}

static void read_row(struct store_stmt *st, struct arena *a, struct app_row *r)
{
    memset(r, 0, sizeof(*r));
    r->id = store_col_int64(st, 0);
    r->number = dup_text(a, st, 1);
    r->item_code = dup_text(a, st, 2);
    r->item_version = (int)store_col_int64(st, 3);
    r->item_name = dup_text(a, st, 4);
    r->bundle_id = store_col_int64(st, 5);
    r->applicant_account = store_col_int64(st, 6);
    r->enterprise_id = store_col_int64(st, 7);
    r->filed_by = store_col_int64(st, 8);
    r->on_behalf = (int)store_col_int64(st, 9);
    r->applicant_name = dup_text(a, st, 10);
    r->department_id = store_col_int64(st, 11);
    r->division_code = store_col_int64(st, 12);
    r->state = dup_text(a, st, 13);
    r->resume_state = dup_text(a, st, 14);
    r->lang = dup_text(a, st, 15);
    size_t n = 0;
    const void *p = store_col_blob(st, 16, &n);
    unsigned char *copy = arena_alloc(a, n ? n : 1);
    if (copy != NULL && p != NULL)
        memcpy(copy, p, n);
    r->form_enc = copy;
    r->form_len = copy ? n : 0;
    r->idem_key = dup_text(a, st, 17);
    r->limit_days = (int)store_col_int64(st, 18);
    r->used_days = (int)store_col_int64(st, 19);
    r->clock_started_at = store_col_int64(st, 20);
    r->deadline_at = store_col_int64(st, 21);
    r->due_at = store_col_int64(st, 22);
    r->cert_id = dup_text(a, st, 23);
    r->created_at = store_col_int64(st, 24);
    r->submitted_at = store_col_int64(st, 25);
    r->decided_at = store_col_int64(st, 26);
    r->updated_at = store_col_int64(st, 27);
}

static void bind_text_or_null(struct store_stmt *st, int i, const char *s)
{
    if (s == NULL)
        store_bind_null(st, i);
    else
        store_bind_text(st, i, s, -1);
}

int apply_db_seq_reserve(struct store_conn *c, int day, int county, int n, int *last,
                         struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_SEQ, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, day);
    store_bind_int64(st, 2, county);
    store_bind_int64(st, 3, n);
    int rc = store_step(st, err);
    if (rc == STORE_ROW)
        *last = (int)store_col_int64(st, 0);
    store_reset(st);
    if (rc == STORE_DONE)
        return err_set(err, 500, "store.error", "the sequence returned no row");
    return rc < 0 ? -1 : 0;
}

int apply_db_insert(struct store_conn *c, const struct app_row *r, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, r->id);
    bind_text_or_null(st, 2, r->number);
    store_bind_text(st, 3, r->item_code, -1);
    store_bind_int64(st, 4, r->item_version);
    store_bind_text(st, 5, r->item_name, -1);
    store_bind_int64(st, 6, r->bundle_id);
    store_bind_int64(st, 7, r->applicant_account);
    store_bind_int64(st, 8, r->enterprise_id);
    store_bind_int64(st, 9, r->filed_by);
    store_bind_int64(st, 10, r->on_behalf);
    store_bind_text(st, 11, r->applicant_name, -1);
    store_bind_int64(st, 12, r->department_id);
    store_bind_int64(st, 13, r->division_code);
    store_bind_text(st, 14, r->state, -1);
    bind_text_or_null(st, 15, r->resume_state);
    store_bind_text(st, 16, r->lang, -1);
    store_bind_blob(st, 17, r->form_enc, r->form_len);
    bind_text_or_null(st, 18, r->idem_key);
    store_bind_int64(st, 19, r->limit_days);
    store_bind_int64(st, 20, r->used_days);
    store_bind_int64(st, 21, r->clock_started_at);
    store_bind_int64(st, 22, r->deadline_at);
    store_bind_int64(st, 23, r->due_at);
    bind_text_or_null(st, 24, r->cert_id);
    store_bind_int64(st, 25, r->created_at);
    store_bind_int64(st, 26, r->submitted_at);
    store_bind_int64(st, 27, r->decided_at);
    store_bind_int64(st, 28, r->updated_at);
    return store_run(st, NULL, err);
}

int apply_db_delete_draft(struct store_conn *c, int64_t id, int64_t filed_by, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_DELETE_DRAFT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    store_bind_int64(st, 2, filed_by);
    return store_run(st, NULL, err);
}

int apply_db_update_draft(struct store_conn *c, const struct app_row *r, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_UPDATE_DRAFT, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, r->item_code, -1);
    store_bind_int64(st, 2, r->item_version);
    store_bind_text(st, 3, r->item_name, -1);
    store_bind_int64(st, 4, r->enterprise_id);
    store_bind_text(st, 5, r->applicant_name, -1);
    store_bind_int64(st, 6, r->department_id);
    store_bind_int64(st, 7, r->division_code);
    store_bind_blob(st, 8, r->form_enc, r->form_len);
    store_bind_int64(st, 9, r->updated_at);
    store_bind_int64(st, 10, r->id);
    store_bind_int64(st, 11, r->filed_by);
    int64_t changed = 0;
    if (store_run(st, &changed, err) < 0)
        return -1;
    if (changed == 0)
        return err_set(err, 404, "apply.not_found", "no such draft");
    return 0;
}

int apply_db_update_state(struct store_conn *c, const struct app_row *r, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_UPDATE_STATE, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, r->state, -1);
    bind_text_or_null(st, 2, r->resume_state);
    store_bind_int64(st, 3, r->used_days);
    store_bind_int64(st, 4, r->clock_started_at);
    store_bind_int64(st, 5, r->deadline_at);
    store_bind_int64(st, 6, r->due_at);
    bind_text_or_null(st, 7, r->cert_id);
    store_bind_int64(st, 8, r->decided_at);
    store_bind_int64(st, 9, r->updated_at);
    store_bind_int64(st, 10, r->id);
    return store_run(st, NULL, err);
}

int apply_db_update_form(struct store_conn *c, int64_t id, const unsigned char *enc, size_t len,
                         int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_UPDATE_FORM, err);
    if (st == NULL)
        return -1;
    store_bind_blob(st, 1, enc, len);
    store_bind_int64(st, 2, now);
    store_bind_int64(st, 3, id);
    return store_run(st, NULL, err);
}

static int get_one(struct store_stmt *st, struct arena *a, struct app_row *r, int *found,
                   struct err *err)
{
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (rc == STORE_ROW)
        read_row(st, a, r);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int apply_db_get_number(struct store_conn *c, struct arena *a, const char *number,
                        struct app_row *r, int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_BY_NUMBER, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, number, -1);
    return get_one(st, a, r, found, err);
}

int apply_db_get_id(struct store_conn *c, struct arena *a, int64_t id, struct app_row *r,
                    int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_BY_ID, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    return get_one(st, a, r, found, err);
}

int apply_db_by_idem(struct store_conn *c, struct arena *a, int64_t filed_by, const char *key,
                     const char **number, int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_BY_IDEM, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, filed_by);
    store_bind_text(st, 2, key, -1);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (rc == STORE_ROW)
        *number = dup_text(a, st, 0);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/* Append the rows of a bound statement to a growing arena array. */
static int collect(struct store_stmt *st, struct arena *a, struct app_row **out, size_t *n,
                   size_t *cap, struct err *err)
{
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        if (*n == *cap) {
            size_t ncap = *cap ? *cap * 2 : 16;
            struct app_row *p = arena_alloc(a, ncap * sizeof(*p));
            if (p == NULL) {
                store_reset(st);
                return err_set(err, 500, "apply.oom", "out of memory");
            }
            if (*n)
                memcpy(p, *out, *n * sizeof(*p));
            *out = p;
            *cap = ncap;
        }
        read_row(st, a, &(*out)[(*n)++]);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int apply_db_list_mine(struct store_conn *c, struct arena *a, int64_t account, int limit,
                       struct app_row **out, size_t *n, struct err *err)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    struct store_stmt *st = store_prepare(c, SQL_MINE, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, account);
    store_bind_int64(st, 2, limit);
    if (collect(st, a, out, n, &cap, err) < 0)
        return -1;
    if ((st = store_prepare(c, SQL_FILED, err)) == NULL)
        return -1;
    store_bind_int64(st, 1, account);
    store_bind_int64(st, 2, account);
    store_bind_int64(st, 3, limit);
    return collect(st, a, out, n, &cap, err);
}

int apply_db_queue(struct store_conn *c, struct arena *a, int64_t dept, const char *state,
                   int limit, struct app_row **out, size_t *n, struct err *err)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    struct store_stmt *st = store_prepare(c, SQL_QUEUE, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, dept);
    store_bind_text(st, 2, state, -1);
    store_bind_int64(st, 3, limit);
    return collect(st, a, out, n, &cap, err);
}

int apply_db_bundle(struct store_conn *c, struct arena *a, int64_t bundle_id, struct app_row **out,
                    size_t *n, struct err *err)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    struct store_stmt *st = store_prepare(c, SQL_BUNDLE, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, bundle_id);
    return collect(st, a, out, n, &cap, err);
}

int apply_db_file_insert(struct store_conn *c, int64_t id, int64_t app_id, const char *key,
                         const char *filename, const char *ctype, int64_t size, const char *sm3,
                         const unsigned char *enc, size_t enc_len, const char *cert, int64_t now,
                         struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_FILE_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    store_bind_int64(st, 2, app_id);
    store_bind_text(st, 3, key, -1);
    store_bind_text(st, 4, filename, -1);
    store_bind_text(st, 5, ctype, -1);
    store_bind_int64(st, 6, size);
    store_bind_text(st, 7, sm3, -1);
    if (enc != NULL)
        store_bind_blob(st, 8, enc, enc_len);
    else
        store_bind_null(st, 8);
    bind_text_or_null(st, 9, cert);
    store_bind_int64(st, 10, now);
    return store_run(st, NULL, err);
}

int apply_db_files_delete_key(struct store_conn *c, int64_t app_id, const char *key,
                              struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_FILES_DELETE_KEY, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, app_id);
    store_bind_text(st, 2, key, -1);
    return store_run(st, NULL, err);
}

static void read_file(struct store_stmt *st, struct arena *a, struct app_file *f)
{
    f->id = store_col_int64(st, 0);
    f->material_key = dup_text(a, st, 1);
    f->filename = dup_text(a, st, 2);
    f->content_type = dup_text(a, st, 3);
    f->sm3 = dup_text(a, st, 4);
    f->cert_identifier = dup_text(a, st, 5);
    f->size = store_col_int64(st, 6);
    f->created_at = store_col_int64(st, 7);
}

int apply_db_files(struct store_conn *c, struct arena *a, int64_t app_id, struct app_file **out,
                   size_t *n, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_FILES, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, app_id);
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        struct app_file *p = arena_grow(a, *out, *n, &cap, sizeof(*p));
        if (p == NULL) {
            store_reset(st);
            return err_set(err, 500, "apply.oom", "out of memory");
        }
        *out = p;
        read_file(st, a, &(*out)[(*n)++]);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int apply_db_file_content(struct store_conn *c, struct arena *a, int64_t app_id, int64_t file_id,
                          struct app_file *f, const unsigned char **enc, size_t *len, int *found,
                          struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_FILE_CONTENT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, app_id);
    store_bind_int64(st, 2, file_id);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    *enc = NULL;
    *len = 0;
    if (rc == STORE_ROW) {
        read_file(st, a, f);
        size_t n = 0;
        const void *p = store_col_blob(st, 8, &n);
        if (p != NULL && n > 0) {
            unsigned char *copy = arena_alloc(a, n);
            if (copy != NULL) {
                memcpy(copy, p, n);
                *enc = copy;
                *len = n;
            }
        }
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int apply_db_event_insert(struct store_conn *c, int64_t app_id, int64_t at, int64_t actor,
                          const char *action, const char *from, const char *to, const char *note,
                          const char *problems, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_EVENT_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id_next());
    store_bind_int64(st, 2, app_id);
    store_bind_int64(st, 3, at);
    store_bind_int64(st, 4, actor);
    store_bind_text(st, 5, action, -1);
    store_bind_text(st, 6, from, -1);
    store_bind_text(st, 7, to, -1);
    bind_text_or_null(st, 8, note);
    bind_text_or_null(st, 9, problems);
    return store_run(st, NULL, err);
}

int apply_db_events(struct store_conn *c, struct arena *a, int64_t app_id, struct app_event **out,
                    size_t *n, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_EVENTS, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, app_id);
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        struct app_event *p = arena_grow(a, *out, *n, &cap, sizeof(*p));
        if (p == NULL) {
            store_reset(st);
            return err_set(err, 500, "apply.oom", "out of memory");
        }
        *out = p;
        struct app_event *e = &(*out)[(*n)++];
        e->at = store_col_int64(st, 0);
        e->actor = store_col_int64(st, 1);
        e->action = dup_text(a, st, 2);
        e->from = dup_text(a, st, 3);
        e->to = dup_text(a, st, 4);
        e->note = dup_text(a, st, 5);
        e->problems = dup_text(a, st, 6);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/* ---- held uploads (0012_apply_held.sql) ------------------------------------------------ */

#define HELD_COLS                                                                                  \
    "id, material_key, filename, content_type, sm3, size, created_at, expires_at, draft_id"

static const char SQL_HELD_INSERT[] =
    "INSERT INTO application_held_files (id, account_id, session_hash, form_key, draft_id, "
    "material_key, filename, content_type, size, sm3, content_enc, created_at, expires_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
/* A held file the request may use: the account's, for this form, alive, and uploaded in
 * this session or saved with the draft being worked on. */
static const char SQL_HELD_GET[] =
    "SELECT " HELD_COLS " FROM application_held_files WHERE id = ? AND account_id = ? "
    "AND form_key = ? AND expires_at > ? AND (session_hash = ? OR (draft_id <> 0 AND "
    "draft_id = ?))";
static const char SQL_HELD_OF_DRAFT[] =
    "SELECT " HELD_COLS " FROM application_held_files WHERE draft_id = ? AND account_id = ? "
    "AND expires_at > ? ORDER BY material_key, id";
static const char SQL_HELD_USAGE[] =
    "SELECT count(*), COALESCE(sum(size), 0) FROM application_held_files "
    "WHERE account_id = ? AND expires_at > ?";
static const char SQL_HELD_DELETE[] =
    "DELETE FROM application_held_files WHERE id = ? AND account_id = ?";
static const char SQL_HELD_DELETE_DRAFT[] =
    "DELETE FROM application_held_files WHERE draft_id = ? AND account_id = ? AND draft_id <> 0";
static const char SQL_HELD_BIND_DRAFT[] =
    "UPDATE application_held_files SET draft_id = ?, session_hash = '', expires_at = ? "
    "WHERE id = ? AND account_id = ?";
static const char SQL_HELD_CONTENT[] =
    "SELECT content_enc FROM application_held_files WHERE id = ? AND account_id = ?";
static const char SQL_HELD_PURGE[] = "DELETE FROM application_held_files WHERE expires_at <= ?";
static const char SQL_HELD_OF_SESSION[] =
    "SELECT id FROM application_held_files WHERE account_id = ? AND form_key = ? "
    "AND session_hash = ? AND session_hash <> ''";
static const char SQL_HELD_DELETE_SESSION[] =
    "DELETE FROM application_held_files WHERE account_id = ? AND form_key = ? "
    "AND session_hash = ? AND session_hash <> ''";

int apply_db_held_insert(struct store_conn *c, const struct app_held *h, int64_t account,
                         const char *session_hash, const char *form_key, const unsigned char *enc,
                         size_t enc_len, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_HELD_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, h->id);
    store_bind_int64(st, 2, account);
    store_bind_text(st, 3, session_hash, -1);
    store_bind_text(st, 4, form_key, -1);
    store_bind_int64(st, 5, h->draft_id);
    store_bind_text(st, 6, h->material_key, -1);
    store_bind_text(st, 7, h->filename, -1);
    store_bind_text(st, 8, h->content_type, -1);
    store_bind_int64(st, 9, h->size);
    store_bind_text(st, 10, h->sm3, -1);
    store_bind_blob(st, 11, enc, enc_len);
    store_bind_int64(st, 12, h->created_at);
    store_bind_int64(st, 13, h->expires_at);
    return store_run(st, NULL, err);
}

static void read_held(struct store_stmt *st, struct arena *a, struct app_held *h)
{
    h->id = store_col_int64(st, 0);
    h->material_key = dup_text(a, st, 1);
    h->filename = dup_text(a, st, 2);
    h->content_type = dup_text(a, st, 3);
    h->sm3 = dup_text(a, st, 4);
    h->size = store_col_int64(st, 5);
    h->created_at = store_col_int64(st, 6);
    h->expires_at = store_col_int64(st, 7);
    h->draft_id = store_col_int64(st, 8);
}

int apply_db_held_get(struct store_conn *c, struct arena *a, int64_t id, int64_t account,
                      const char *form_key, const char *session_hash, int64_t draft_id, int64_t now,
                      struct app_held *h, int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_HELD_GET, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    store_bind_int64(st, 2, account);
    store_bind_text(st, 3, form_key, -1);
    store_bind_int64(st, 4, now);
    store_bind_text(st, 5, session_hash, -1);
    store_bind_int64(st, 6, draft_id);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (rc == STORE_ROW)
        read_held(st, a, h);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int apply_db_held_of_draft(struct store_conn *c, struct arena *a, int64_t draft_id, int64_t account,
                           int64_t now, struct app_held **out, size_t *n, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_HELD_OF_DRAFT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, draft_id);
    store_bind_int64(st, 2, account);
    store_bind_int64(st, 3, now);
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        struct app_held *p = arena_grow(a, *out, *n, &cap, sizeof(*p));
        if (p == NULL) {
            store_reset(st);
            return err_set(err, 500, "apply.oom", "out of memory");
        }
        *out = p;
        read_held(st, a, &(*out)[(*n)++]);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int apply_db_held_usage(struct store_conn *c, int64_t account, int64_t now, int64_t *count,
                        int64_t *bytes, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_HELD_USAGE, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, account);
    store_bind_int64(st, 2, now);
    int rc = store_step(st, err);
    *count = *bytes = 0;
    if (rc == STORE_ROW) {
        *count = store_col_int64(st, 0);
        *bytes = store_col_int64(st, 1);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static int run_id_account(struct store_conn *c, const char *sql, int64_t id, int64_t account,
                          struct err *err)
{
    struct store_stmt *st = store_prepare(c, sql, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    store_bind_int64(st, 2, account);
    return store_run(st, NULL, err);
}

int apply_db_held_delete(struct store_conn *c, int64_t id, int64_t account, struct err *err)
{
    return run_id_account(c, SQL_HELD_DELETE, id, account, err);
}

int apply_db_held_delete_draft(struct store_conn *c, int64_t draft_id, int64_t account,
                               struct err *err)
{
    return run_id_account(c, SQL_HELD_DELETE_DRAFT, draft_id, account, err);
}

int apply_db_held_bind_draft(struct store_conn *c, int64_t id, int64_t account, int64_t draft_id,
                             int64_t expires_at, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_HELD_BIND_DRAFT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, draft_id);
    store_bind_int64(st, 2, expires_at);
    store_bind_int64(st, 3, id);
    store_bind_int64(st, 4, account);
    return store_run(st, NULL, err);
}

int apply_db_held_content(struct store_conn *c, struct arena *a, int64_t id, int64_t account,
                          const unsigned char **enc, size_t *len, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_HELD_CONTENT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    store_bind_int64(st, 2, account);
    int rc = store_step(st, err);
    *enc = NULL;
    *len = 0;
    if (rc == STORE_ROW) {
        size_t n = 0;
        const void *p = store_col_blob(st, 0, &n);
        unsigned char *copy = p != NULL && n > 0 ? arena_alloc(a, n) : NULL;
        if (copy != NULL) {
            memcpy(copy, p, n);
            *enc = copy;
            *len = n;
        }
    }
    store_reset(st);
    if (rc == STORE_DONE || (rc == STORE_ROW && *enc == NULL))
        return err_set(err, 409, "apply.held_gone", "a held file is no longer there");
    return rc < 0 ? -1 : 0;
}

int apply_db_held_purge(struct store_conn *c, int64_t now, int64_t *purged, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_HELD_PURGE, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, now);
    int64_t n = 0;
    int rc = store_run(st, &n, err);
    if (purged != NULL)
        *purged = n;
    return rc;
}

int apply_db_held_of_session(struct store_conn *c, struct arena *a, int64_t account,
                             const char *form_key, const char *session_hash, int64_t **ids,
                             size_t *n, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_HELD_OF_SESSION, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, account);
    store_bind_text(st, 2, form_key, -1);
    store_bind_text(st, 3, session_hash, -1);
    size_t cap = 0;
    *ids = NULL;
    *n = 0;
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        int64_t *p = arena_grow(a, *ids, *n, &cap, sizeof(*p));
        if (p == NULL) {
            store_reset(st);
            return err_set(err, 500, "apply.oom", "out of memory");
        }
        *ids = p;
        p[(*n)++] = store_col_int64(st, 0);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int apply_db_held_delete_session(struct store_conn *c, int64_t account, const char *form_key,
                                 const char *session_hash, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_HELD_DELETE_SESSION, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, account);
    store_bind_text(st, 2, form_key, -1);
    store_bind_text(st, 3, session_hash, -1);
    return store_run(st, NULL, err);
}

static const char SQL_FACTS[] =
    "SELECT department_id, item_code, submitted_at, decided_at, deadline_at, on_behalf, state "
    "FROM applications WHERE submitted_at >= ? AND submitted_at < ? AND submitted_at > 0 "
    "ORDER BY submitted_at";

int apply_db_facts(struct store_conn *c, int64_t from_ms, int64_t to_ms,
                   void (*fn)(void *ctx, const struct apply_fact *f), void *ctx, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_FACTS, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, from_ms);
    store_bind_int64(st, 2, to_ms);
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        struct apply_fact f = {store_col_int64(st, 0),
                               store_col_text(st, 1),
                               store_col_int64(st, 2),
                               store_col_int64(st, 3),
                               store_col_int64(st, 4),
                               (int)store_col_int64(st, 5),
                               strcmp(store_col_text(st, 6), "withdrawn") == 0};
        fn(ctx, &f);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static const char SQL_BRIEF_RETURNED[] =
    "SELECT id, applicant_account, updated_at, number, item_name, lang FROM applications "
    "WHERE state = 'returned' AND applicant_account > 0 AND id > ? ORDER BY id LIMIT ?";
static const char SQL_BRIEF_DECIDED[] =
    "SELECT id, applicant_account, decided_at, number, item_name, lang FROM applications "
    "WHERE decided_at > ? AND applicant_account > 0 AND state IN "
    "('approved', 'denied', 'delivered', 'closed') AND id > ? ORDER BY id LIMIT ?";

int apply_db_briefs(struct store_conn *c, struct arena *a, int decided, int64_t since,
                    int64_t after, size_t max, struct apply_brief *out, size_t *n, struct err *err)
{
    struct store_stmt *st = store_prepare(c, decided ? SQL_BRIEF_DECIDED : SQL_BRIEF_RETURNED, err);
    if (st == NULL)
        return -1;
    int k = 1;
    if (decided)
        store_bind_int64(st, k++, since);
    store_bind_int64(st, k++, after);
    store_bind_int64(st, k, (int64_t)max);
    int rc = STORE_DONE;
    *n = 0;
    while (*n < max && (rc = store_step(st, err)) == STORE_ROW) {
        struct apply_brief *b = &out[(*n)++];
        b->id = store_col_int64(st, 0);
        b->account = store_col_int64(st, 1);
        b->at = store_col_int64(st, 2);
        b->number = dup_text(a, st, 3);
        b->item_name = dup_text(a, st, 4);
        b->lang = dup_text(a, st, 5);
        if (b->number == NULL)
            b->number = "";
        if (b->item_name == NULL)
            b->item_name = "";
        if (b->lang == NULL)
            b->lang = "zh";
    }
    store_reset(st);
    return *n < max && rc < 0 ? -1 : 0;
}
