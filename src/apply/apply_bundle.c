/*
 * apply_bundle.c - 一件事 bundles: one form for several items (apply_bundle_form in
 * apply_view.c gives the union of their fields and materials); submitting validates each
 * item against the one set of values, uploads and held files (problems de-duplicated by
 * key), then inserts one application per item, each to its own competent department, in
 * one transaction sharing a bundle_id.
 */
#include "apply/apply_internal.h"

#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/id.h"
#include "catalog/catalog.h"
#include "store/store.h"

static int has_key(const json_t *list, const char *key)
{
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x)
    {
        const char *k = json_string_value(json_object_get(x, "key"));
        if (k != NULL && key != NULL && strcmp(k, key) == 0)
            return 1;
    }
    return 0;
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
        const char *num = NULL;
        int found = 0;
        const char *k0 =
            arena_printf(a, "%s:%s", idem, json_string_value(json_array_get(codes, 0)));
        if (apply_db_by_idem(c, a, rq->subj->account_id, k0, &num, &found, err) < 0)
            goto out;
        if (found) {
            struct app_row r;
            if (apply_db_get_number(c, a, num, &r, &found, err) < 0)
                goto out;
            *bundle_id = r.bundle_id;
            rc = 0;
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
        rqs[i] = *rq;
        rqs[i].item_code = json_string_value(json_array_get(codes, i));
        rqs[i].bundle_id = bid;
        rqs[i].draft_id = 0;
        rqs[i].idem_key = idem ? arena_printf(a, "%s:%s", idem, rqs[i].item_code) : NULL;
        /* Each item gets the materials it lists. */
        json_t *item = NULL;
        if (catalog_item_published(ap->store, rqs[i].item_code, &item, err) < 0)
            goto out;
        const json_t *mats = json_object_get(item, "materials");
        struct apply_upload *up = arena_alloc(a, (rq->nfiles + 1) * sizeof(*up));
        struct apply_cert_choice *cc = arena_alloc(a, (rq->ncerts + 1) * sizeof(*cc));
        /* And the held files of its materials. */
        struct app_held *hs = arena_alloc(a, (nheld + 1) * sizeof(*hs));
        if (up == NULL || cc == NULL || hs == NULL) {
            json_decref(item);
            err_set(err, 500, "apply.oom", "out of memory");
            goto out;
        }
        size_t nu = 0, ncc = 0, nh = 0;
        for (size_t k = 0; k < rq->nfiles; k++)
            if (has_key(mats, rq->files[k].material_key))
                up[nu++] = rq->files[k];
        for (size_t k = 0; k < rq->ncerts; k++)
            if (has_key(mats, rq->certs[k].material_key))
                cc[ncc++] = rq->certs[k];
        for (size_t k = 0; k < nheld; k++)
            if (has_key(mats, held[k].material_key))
                hs[nh++] = held[k];
        json_decref(item);
        rqs[i].files = up;
        rqs[i].nfiles = nu;
        rqs[i].certs = cc;
        rqs[i].ncerts = ncc;
        json_t *mine = json_array();
        int np = apply_prepare(ap, a, &rqs[i], hs, nh, now, &ps[i], mine, err);
        if (np < 0) {
            json_decref(mine);
            goto out;
        }
        /* The same field in several items is one problem on the one form. */
        size_t pi;
        json_t *p;
        json_array_foreach(mine, pi, p)
        {
            const char *key =
                arena_printf(a, "%s/%s", json_string_value(json_object_get(p, "kind")),
                             json_string_value(json_object_get(p, "key")));
            if (json_object_get(seen, key) != NULL)
                continue;
            json_object_set_new(seen, key, json_true());
            json_array_append(problems, p);
            nproblems++;
        }
        json_decref(mine);
    }
    if (nproblems > 0 || dry_run) {
        rc = dry_run ? nproblems : 1;
        goto out;
    }
    /* The registers first: never while holding the write transaction. */
    for (size_t i = 0; i < nitems; i++)
        if (apply_fetch_registers(ap, &ps[i], &rqs[i], err) < 0)
            goto out;
    if (store_begin(c, err) < 0)
        goto out;
    for (size_t i = 0; i < nitems; i++) {
        char number[32];
        if (apply_insert_submitted(ap, c, a, &ps[i], &rqs[i], now, rqs[i].idem_key, number, err) <
            0) {
            store_rollback(c);
            goto out;
        }
    }
    if (apply_held_consume(c, rq, held, nheld, 0, err) < 0) {
        store_rollback(c);
        goto out;
    }
    if (store_commit(c, err) < 0)
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
