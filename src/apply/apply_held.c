/*
 * apply_held.c - uploads held for a form that is not (yet) submitted.
 *
 * A person who pre-checks a form, submits it with a mistake or saves a draft has already
 * sent their files; the page that comes back cannot give a file input its file again, so
 * the files stay on the server (table application_held_files, 0012_apply_held.sql): sealed
 * under the PII key like materials, bound to the account, the form and the session (or, once
 * saved with it, the draft), for a day (a draft's for thirty days), at most APPLY_HELD_MAX
 * files and APPLY_HELD_MAX_BYTES per account, one set per session and form (a page left
 * behind loses its files to the next). The page lists them with their ids; the ids
 * come back with the next post and count as that material's file (apply_held_resolve);
 * submitting copies them into the application's materials and deletes them in the same
 * transaction (apply_held_consume). Which rows a request may use is decided here only.
 */
#include "apply/apply_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/id.h"
#include "catalog/catalog.h"
#include "crypto/crypto.h"
#include "identity/identity.h"
#include "l10n/l10n.h"
#include "store/store.h"

#define HELD_AD "application_held_files.content_enc:%lld"

int apply_seal(struct apply *ap, const char *ad, const void *data, size_t len, unsigned char **out,
               size_t *out_len, struct err *err)
{
    size_t n = len + CRYPTO_AEAD_OVERHEAD;
    unsigned char *enc = malloc(n);
    if (enc == NULL)
        return err_set(err, 500, "apply.oom", "out of memory");
    if (crypto_aead_seal(crypto_keyring_aead(ap->kr, CRYPTO_AEAD_PII), ad, strlen(ad), data, len,
                         enc, n, out_len) < 0) {
        free(enc);
        return err_set(err, 500, "apply.crypto", "a file could not be sealed");
    }
    *out = enc;
    return 0;
}

static const char *session_of(const struct apply_request *rq)
{
    return rq->session_key != NULL ? rq->session_key : "";
}

static int listed(const int64_t *ids, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

int apply_held_resolve(struct apply *ap, struct store_conn *c, struct arena *a,
                       const struct apply_request *rq, int64_t now, struct app_held **out,
                       size_t *n, struct err *err)
{
    (void)ap;
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    if (rq->subj == NULL || rq->form_key == NULL || rq->nheld == 0)
        return 0;
    for (size_t i = 0; i < rq->nheld && *n < APPLY_HELD_MAX; i++) {
        if (listed(rq->unhold, rq->nunhold, rq->held[i]) || listed(rq->held, i, rq->held[i]))
            continue;
        struct app_held h;
        int found = 0;
        if (apply_db_held_get(c, a, rq->held[i], rq->subj->account_id, rq->form_key, session_of(rq),
                              rq->draft_id, now, &h, &found, err) < 0)
            return -1;
        if (!found)
            continue;
        struct app_held *p = arena_grow(a, *out, *n, &cap, sizeof(*p));
        if (p == NULL)
            return err_set(err, 500, "apply.oom", "out of memory");
        *out = p;
        p[(*n)++] = h;
    }
    return 0;
}

int apply_held_open(struct apply *ap, struct store_conn *c, struct arena *a, int64_t account,
                    int64_t id, unsigned char **data, size_t *len, struct err *err)
{
    const unsigned char *enc = NULL;
    size_t enc_len = 0;
    if (apply_db_held_content(c, a, id, account, &enc, &enc_len, err) < 0)
        return -1;
    if (enc_len < CRYPTO_AEAD_OVERHEAD)
        return err_set(err, 500, "apply.crypto", "a held file cannot be opened");
    size_t n = enc_len - CRYPTO_AEAD_OVERHEAD;
    unsigned char *buf = malloc(n ? n : 1);
    char ad[80];
    snprintf(ad, sizeof(ad), HELD_AD, (long long)id);
    if (buf == NULL || crypto_aead_open(crypto_keyring_aead(ap->kr, CRYPTO_AEAD_PII), ad,
                                        strlen(ad), enc, enc_len, buf, n, len) < 0) {
        free(buf);
        return err_set(err, 500, "apply.crypto", "a held file cannot be opened");
    }
    *data = buf;
    return 0;
}

int apply_held_consume(struct store_conn *c, const struct apply_request *rq,
                       const struct app_held *held, size_t n, int64_t draft_id, struct err *err)
{
    int64_t account = rq->subj->account_id;
    for (size_t i = 0; i < n; i++)
        if (apply_db_held_delete(c, held[i].id, account, err) < 0)
            return -1;
    for (size_t i = 0; i < rq->nunhold; i++)
        if (apply_db_held_delete(c, rq->unhold[i], account, err) < 0)
            return -1;
    if (rq->form_key != NULL && *session_of(rq) != '\0' &&
        apply_db_held_delete_session(c, account, rq->form_key, session_of(rq), err) < 0)
        return -1;
    return draft_id != 0 ? apply_db_held_delete_draft(c, draft_id, account, err) : 0;
}

static json_t *held_json(struct arena *a, const char *lang, const struct app_held *h, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:I}", "id",
                                              arena_printf(a, "%lld", (long long)h[i].id),
                                              "material_key", h[i].material_key, "filename",
                                              h[i].filename, "content_type", h[i].content_type,
                                              "size", (json_int_t)h[i].size, "at",
                                              l10n_datetime(a, lang, h[i].created_at), "created_at",
                                              (json_int_t)h[i].created_at));
    return list;
}

/* Would check_materials accept this upload for material m? (Size, content, accept list.) */
static const char *acceptable(const json_t *m, const struct apply_upload *u)
{
    json_int_t max = json_integer_value(json_object_get(m, "max_bytes"));
    if (max <= 0)
        max = 5 * 1024 * 1024;
    const char *type = apply_sniff(u->data, u->len);
    if (u->len == 0 || (json_int_t)u->len > max || type == NULL)
        return NULL;
    const json_t *acc = json_object_get(m, "accept");
    if (!json_is_array(acc) || json_array_size(acc) == 0)
        return type;
    size_t i;
    json_t *v;
    json_array_foreach(acc, i, v) if (json_is_string(v) &&
                                      strcmp(json_string_value(v), type) == 0) return type;
    return NULL;
}

/* Seal and insert one upload as a held row; fills h. */
static int hold_one(struct apply *ap, struct store_conn *c, const struct apply_request *rq,
                    const struct apply_upload *u, const char *type, int64_t now, struct app_held *h,
                    char sm3[2 * CRYPTO_SM3_LEN + 1], struct err *err)
{
    unsigned char d[CRYPTO_SM3_LEN];
    crypto_sm3(u->data, u->len, d);
    for (int k = 0; k < CRYPTO_SM3_LEN; k++)
        snprintf(sm3 + 2 * k, 3, "%02x", d[k]);
    memset(h, 0, sizeof(*h));
    h->id = id_next();
    h->material_key = u->material_key;
    h->filename = u->filename && *u->filename ? u->filename : "file";
    h->content_type = type;
    h->sm3 = sm3;
    h->size = (int64_t)u->len;
    h->created_at = now;
    h->expires_at = now + APPLY_HELD_MS;
    char ad[80];
    snprintf(ad, sizeof(ad), HELD_AD, (long long)h->id);
    unsigned char *enc = NULL;
    size_t enc_len = 0;
    if (apply_seal(ap, ad, u->data, u->len, &enc, &enc_len, err) < 0)
        return -1;
    int rc = apply_db_held_insert(c, h, rq->subj->account_id, session_of(rq), rq->form_key, enc,
                                  enc_len, err);
    free(enc);
    return rc;
}

int apply_hold(struct apply *ap, const struct apply_request *rq, const json_t *item,
               int64_t draft_id, json_t *problems, json_t **held, struct err *err)
{
    *held = NULL;
    if (rq->subj == NULL || rq->subj->account_id == 0)
        return err_set(err, 401, "identity.login_required", "log in first");
    if (rq->form_key == NULL || rq->session_key == NULL || *rq->session_key == '\0')
        return err_set(err, 400, "apply.no_form", "uploads are held for a form of a session");
    struct store_conn *c = store_conn(ap->store, err);
    if (c == NULL)
        return -1;
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "apply.oom", "out of memory");
    int rc = -1;
    int64_t now = time_now_ms(), account = rq->subj->account_id;
    struct app_held *cur = NULL;
    size_t n = 0, cap = 0;
    if (store_begin(c, err) < 0)
        goto out;
    if (apply_db_held_purge(c, now, NULL, err) < 0 ||
        apply_held_resolve(ap, c, a, rq, now, &cur, &n, err) < 0)
        goto rollback;
    cap = n;
    /* Let go of what the person removed (only their own, alive, of this form). */
    for (size_t i = 0; i < rq->nunhold; i++) {
        struct app_held h;
        int found = 0;
        if (apply_db_held_get(c, a, rq->unhold[i], account, rq->form_key, session_of(rq),
                              rq->draft_id, now, &h, &found, err) < 0 ||
            (found && apply_db_held_delete(c, h.id, account, err) < 0))
            goto rollback;
    }
    /* This session's files for this form that the page did not carry back belong to a
     * page left behind (the last visitor at a counter): they go, so that a session holds
     * one set per form and nobody's papers linger for the next person. */
    int64_t *mine = NULL;
    size_t nmine = 0;
    if (apply_db_held_of_session(c, a, account, rq->form_key, session_of(rq), &mine, &nmine, err) <
        0)
        goto rollback;
    for (size_t i = 0; i < nmine; i++) {
        int carried = 0;
        for (size_t k = 0; k < n && !carried; k++)
            carried = cur[k].id == mine[i];
        if (!carried && apply_db_held_delete(c, mine[i], account, err) < 0)
            goto rollback;
    }
    int64_t count = 0, bytes = 0;
    if (apply_db_held_usage(c, account, now, &count, &bytes, err) < 0)
        goto rollback;
    for (size_t i = 0; i < rq->nfiles && i < APPLY_MAX_FILES; i++) {
        const struct apply_upload *u = &rq->files[i];
        const json_t *m = apply_find_material(item, u->material_key);
        const char *type = m != NULL ? acceptable(m, u) : NULL;
        if (type == NULL)
            continue; /* not held: the pre-check says what is wrong with it */
        int first = 1;
        for (size_t k = 0; k < i; k++)
            if (strcmp(rq->files[k].material_key, u->material_key) == 0 &&
                apply_find_material(item, rq->files[k].material_key) != NULL &&
                acceptable(m, &rq->files[k]) != NULL)
                first = 0;
        /* The first new file of a material replaces what was held for it. */
        for (size_t k = 0; first && k < n;) {
            if (strcmp(cur[k].material_key, u->material_key) != 0) {
                k++;
                continue;
            }
            if (apply_db_held_delete(c, cur[k].id, account, err) < 0)
                goto rollback;
            count--;
            bytes -= cur[k].size;
            cur[k] = cur[--n];
        }
        if (count + 1 > APPLY_HELD_MAX || bytes + (int64_t)u->len > APPLY_HELD_MAX_BYTES) {
            if (problems != NULL)
                json_array_append_new(problems,
                                      json_pack("{s:s, s:s, s:s}", "kind", "material", "key",
                                                u->material_key, "code", "apply.err.held_full"));
            continue;
        }
        struct app_held *p = arena_grow(a, cur, n, &cap, sizeof(*p));
        char *sm3 = arena_alloc(a, 2 * CRYPTO_SM3_LEN + 1);
        if (p == NULL || sm3 == NULL) {
            err_set(err, 500, "apply.oom", "out of memory");
            goto rollback;
        }
        cur = p;
        if (hold_one(ap, c, rq, u, type, now, &cur[n], sm3, err) < 0)
            goto rollback;
        n++;
        count++;
        bytes += (int64_t)u->len;
    }
    /* Saved with a draft: kept with it, whichever session opens it next. */
    for (size_t k = 0; draft_id != 0 && k < n; k++) {
        if (apply_db_held_bind_draft(c, cur[k].id, account, draft_id, now + APPLY_DRAFT_HELD_MS,
                                     err) < 0)
            goto rollback;
        cur[k].draft_id = draft_id;
    }
    if (store_commit(c, err) < 0)
        goto out;
    *held = held_json(a, rq->lang, cur, n);
    rc = 0;
    goto out;
rollback:
    store_rollback(c);
out:
    arena_free(a);
    return rc;
}

int apply_held_of_draft(struct apply *ap, const struct authz_subject *subj, int64_t draft_id,
                        const char *lang, json_t **held, struct err *err)
{
    *held = NULL;
    if (subj == NULL || subj->account_id == 0)
        return err_set(err, 401, "identity.login_required", "log in first");
    struct store_conn *c = store_conn(ap->store, err);
    if (c == NULL)
        return -1;
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "apply.oom", "out of memory");
    struct app_held *rows = NULL;
    size_t n = 0;
    int rc =
        apply_db_held_of_draft(c, a, draft_id, subj->account_id, time_now_ms(), &rows, &n, err);
    if (rc == 0)
        *held = held_json(a, lang, rows, n);
    arena_free(a);
    return rc;
}

int apply_held_purge(struct apply *ap, int64_t now_ms, int64_t *purged, struct err *err)
{
    struct store_conn *c = store_conn(ap->store, err);
    if (c == NULL)
        return -1;
    return apply_db_held_purge(c, now_ms, purged, err);
}
