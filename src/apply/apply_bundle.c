/*
 * apply_bundle.c - 一件事 bundles: one form for several items. apply_bundle_form gives the
 * union of their fields and materials, apply_bundle_view the bundle's applications.
 * Submitting validates each item against the one set of values, uploads and held files
 * (problems de-duplicated by key), then inserts one application per item, each to its own
 * competent department, in one transaction sharing a bundle_id.
 */
#include "apply/apply_internal.h"

#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/id.h"
#include "catalog/catalog.h"
#include "store/store.h"

/* A submission already made with this idempotency key: 1 and *bundle_id set, 0 if none. */
static int bundle_replay(struct store_conn *c, struct arena *a, const struct apply_request *rq,
                         const char *idem, const char *first_code, int64_t *bundle_id,
                         struct err *err)
{
    const char *num = NULL;
    int found = 0;
    const char *k0 = arena_printf(a, "%s:%s", idem, first_code);
    if (apply_db_by_idem(c, a, rq->subj->account_id, k0, &num, &found, err) < 0)
        return -1;
    if (!found)
        return 0;
    struct app_row r;
    if (apply_db_get_number(c, a, num, &r, &found, err) < 0)
        return -1;
    *bundle_id = r.bundle_id;
    return 1;
}

/* Item `code`'s request within the bundle: the one request with the uploads, certificate
 * choices and held files of the materials the item lists (held ones in *hs, *nh). */
static int item_request(struct apply *ap, struct arena *a, const struct apply_request *rq,
                        const char *code, int64_t bid, const char *idem,
                        const struct app_held *held, size_t nheld, struct apply_request *out,
                        struct app_held **hs_out, size_t *nh_out, struct err *err)
{
    *out = *rq;
    out->item_code = code;
    out->bundle_id = bid;
    out->draft_id = 0;
    out->idem_key = idem ? arena_printf(a, "%s:%s", idem, code) : NULL;
    /* Each item gets the materials it lists. */
    json_t *item = NULL;
    if (catalog_item_published(ap->store, code, &item, err) < 0)
        return -1;
    struct apply_upload *up = arena_alloc(a, (rq->nfiles + 1) * sizeof(*up));
    struct apply_cert_choice *cc = arena_alloc(a, (rq->ncerts + 1) * sizeof(*cc));
    /* And the held files of its materials. */
    struct app_held *hs = arena_alloc(a, (nheld + 1) * sizeof(*hs));
    if (up == NULL || cc == NULL || hs == NULL) {
        json_decref(item);
        return err_set(err, 500, "apply.oom", "out of memory");
    }
    size_t nu = 0, ncc = 0, nh = 0;
    for (size_t k = 0; k < rq->nfiles; k++)
        if (apply_find_material(item, rq->files[k].material_key))
            up[nu++] = rq->files[k];
    for (size_t k = 0; k < rq->ncerts; k++)
        if (apply_find_material(item, rq->certs[k].material_key))
            cc[ncc++] = rq->certs[k];
    for (size_t k = 0; k < nheld; k++)
        if (apply_find_material(item, held[k].material_key))
            hs[nh++] = held[k];
    json_decref(item);
    out->files = up;
    out->nfiles = nu;
    out->certs = cc;
    out->ncerts = ncc;
    *hs_out = hs;
    *nh_out = nh;
    return 0;
}

/* The same field in several items is one problem on the one form: append those of `mine`
 * not yet `seen` to `problems`; returns how many were added. */
static int merge_problems(struct arena *a, json_t *seen, const json_t *mine, json_t *problems)
{
    int added = 0;
    size_t pi;
    json_t *p;
    json_array_foreach(mine, pi, p)
    {
        const char *key = arena_printf(a, "%s/%s", json_string_value(json_object_get(p, "kind")),
                                       json_string_value(json_object_get(p, "key")));
        if (json_object_get(seen, key) != NULL)
            continue;
        json_object_set_new(seen, key, json_true());
        json_array_append(problems, p);
        added++;
    }
    return added;
}

/* Inside one transaction: every prepared item, then the held files used up. */
static int bundle_insert(struct apply *ap, struct store_conn *c, struct arena *a,
                         struct prepared *ps, const struct apply_request *rqs, size_t nitems,
                         const struct apply_request *rq, const struct app_held *held, size_t nheld,
                         int64_t now, struct err *err)
{
    char(*numbers)[32] = arena_alloc(a, nitems * 32);
    if (numbers == NULL)
        return err_set(err, 500, "apply.oom", "out of memory");
    for (size_t i = 0; i < nitems; i++)
        if (apply_number_take(ap, c, now, rqs[i].division_code, numbers[i], err) < 0 ||
            apply_ready(ap, a, &ps[i], &rqs[i], now, rqs[i].idem_key, numbers[i], err) < 0)
            return -1;
    if (store_begin(c, err) < 0)
        return -1;
    for (size_t i = 0; i < nitems; i++) {
        if (apply_insert_submitted(ap, c, a, &ps[i], &rqs[i], now, err) < 0) {
            store_rollback(c);
            return -1;
        }
    }
    if (apply_held_consume(c, rq, held, nheld, 0, err) < 0) {
        store_rollback(c);
        return -1;
    }
    return store_commit(c, err) < 0 ? -1 : 0;
}

/* Validate every item of the bundle; unless `dry_run`, insert them. */
static int bundle_run(struct apply *ap, const char *bundle_code, const struct apply_request *rq,
                      int dry_run, int64_t *bundle_id, json_t *problems, struct err *err)
{
    struct store_conn *c = store_conn(ap->store, err);
    if (c == NULL)
        return -1;
    json_t *bundle = NULL;
    if (catalog_bundle_get(ap->store, bundle_code, &bundle, err) < 0)
        return -1;
    const json_t *codes = json_object_get(bundle, "items");
    size_t nitems = json_array_size(codes);
    struct arena *a = arena_new(0);
    struct prepared *ps = calloc(nitems ? nitems : 1, sizeof(*ps));
    struct apply_request *rqs = calloc(nitems ? nitems : 1, sizeof(*rqs));
    json_t *seen = json_object();
    int rc = -1;
    if (a == NULL || ps == NULL || rqs == NULL) {
        err_set(err, 500, "apply.oom", "out of memory");
        goto out;
    }
    const char *idem = rq->idem_key && *rq->idem_key ? rq->idem_key : NULL;
    if (idem != NULL && nitems > 0 && !dry_run) {
        int replay = bundle_replay(c, a, rq, idem, json_string_value(json_array_get(codes, 0)),
                                   bundle_id, err);
        if (replay != 0) {
            rc = replay < 0 ? -1 : 0;
            goto out;
        }
    }
    int64_t now = time_now_ms();
    int64_t bid = id_next();
    struct app_held *held = NULL;
    size_t nheld = 0;
    if (apply_held_resolve(ap, c, a, rq, now, &held, &nheld, err) < 0)
        goto out;
    int nproblems = 0;
    for (size_t i = 0; i < nitems; i++) {
        struct app_held *hs = NULL;
        size_t nh = 0;
        if (item_request(ap, a, rq, json_string_value(json_array_get(codes, i)), bid, idem, held,
                         nheld, &rqs[i], &hs, &nh, err) < 0)
            goto out;
        json_t *mine = json_array();
        int np = apply_prepare(ap, a, &rqs[i], hs, nh, now, &ps[i], mine, err);
        if (np >= 0)
            nproblems += merge_problems(a, seen, mine, problems);
        json_decref(mine);
        if (np < 0)
            goto out;
    }
    if (nproblems > 0 || dry_run) {
        rc = dry_run ? nproblems : 1;
        goto out;
    }
    /* The registers first: never while holding the write transaction. */
    for (size_t i = 0; i < nitems; i++)
        if (apply_fetch_registers(ap, &ps[i], &rqs[i], err) < 0)
            goto out;
    if (bundle_insert(ap, c, a, ps, rqs, nitems, rq, held, nheld, now, err) < 0)
        goto out;
    *bundle_id = bid;
    rc = 0;
out:
    for (size_t i = 0; ps != NULL && i < nitems; i++)
        apply_prepared_free(&ps[i]);
    free(ps);
    free(rqs);
    json_decref(seen);
    json_decref(bundle);
    arena_free(a);
    return rc;
}

int apply_bundle_submit(struct apply *ap, const char *bundle_code, const struct apply_request *rq,
                        int64_t *bundle_id, json_t *problems, struct err *err)
{
    return bundle_run(ap, bundle_code, rq, 0, bundle_id, problems, err);
}

int apply_bundle_precheck(struct apply *ap, const char *bundle_code, const struct apply_request *rq,
                          json_t *problems, struct err *err)
{
    int64_t unused = 0;
    return bundle_run(ap, bundle_code, rq, 1, &unused, problems, err);
}

/* ---- the union form and the bundle's page ---------------------------------------------- */

int apply_bundle_form(struct apply *ap, const char *bundle_code, json_t **form, struct err *err)
{
    json_t *bundle = NULL;
    if (catalog_bundle_get(ap->store, bundle_code, &bundle, err) < 0)
        return -1;
    json_t *fields = json_array(), *materials = json_array(), *items = json_array();
    json_t *seen = json_object(), *seen_m = json_object();
    size_t i;
    json_t *code;
    int rc = 0;
    json_array_foreach(json_object_get(bundle, "items"), i, code)
    {
        json_t *item = NULL;
        if (catalog_item_published(ap->store, json_string_value(code), &item, err) < 0) {
            rc = -1;
            break;
        }
        json_array_append(items, item);
        size_t k;
        json_t *f;
        json_array_foreach(json_object_get(json_object_get(item, "form"), "fields"), k, f)
        {
            const char *key = json_string_value(json_object_get(f, "key"));
            if (key == NULL || json_object_get(seen, key) != NULL)
                continue;
            json_object_set_new(seen, key, json_true());
            json_array_append(fields, f);
        }
        json_array_foreach(json_object_get(item, "materials"), k, f)
        {
            const char *key = json_string_value(json_object_get(f, "key"));
            if (key == NULL || json_object_get(seen_m, key) != NULL)
                continue;
            json_object_set_new(seen_m, key, json_true());
            json_array_append(materials, f);
        }
        json_decref(item);
    }
    json_decref(seen);
    json_decref(seen_m);
    if (rc < 0) {
        json_decref(fields);
        json_decref(materials);
        json_decref(items);
        json_decref(bundle);
        return -1;
    }
    /* The shape of an item, so the same form code renders it. */
    *form = json_pack("{s:O, s:O, s:{s:o}, s:o, s:o}", "code", json_object_get(bundle, "code"),
                      "name", json_object_get(bundle, "name"), "form", "fields", fields,
                      "materials", materials, "items", items);
    json_decref(bundle);
    return 0;
}

int apply_bundle_view(struct apply *ap, const struct authz_subject *subj, int64_t bundle_id,
                      const char *lang, json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(ap->store, err);
    if (c == NULL)
        return -1;
    const struct calendar *cal = apply_calendar(ap, err);
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "apply.oom", "out of memory");
    struct app_row *rows = NULL;
    size_t n = 0;
    int rc = -1, as_applicant = 0, done = 0;
    if (bundle_id == 0 || apply_db_bundle(c, a, bundle_id, &rows, &n, err) < 0)
        goto out;
    json_t *list = json_array();
    int64_t now = time_now_ms();
    for (size_t i = 0; i < n; i++) {
        if (!apply_visible(subj, &rows[i], &as_applicant))
            continue;
        int s = apply_state_parse(rows[i].state);
        done += s == APPLY_APPROVED || s == APPLY_DELIVERED || s == APPLY_CLOSED;
        json_array_append_new(list, apply_row_json(a, lang, cal, &rows[i], now));
    }
    if (json_array_size(list) == 0) {
        json_decref(list);
        err_set(err, 404, "apply.not_found", "no such bundle");
        goto out;
    }
    *out = json_pack("{s:s, s:o, s:i, s:i}", "id", arena_printf(a, "%lld", (long long)bundle_id),
                     "applications", list, "done", done, "total", (int)json_array_size(list));
    rc = 0;
out:
    arena_free(a);
    return rc;
}
