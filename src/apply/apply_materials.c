/*
 * apply_materials.c - the materials of an application: checking what was given against the
 * item (every problem at once: unknown material, too large, not a PDF/JPEG/PNG by its
 * content or not one the item accepts, an e-certificate where none can stand in, a required
 * one missing), and storing them in the application's transaction (each file sealed under
 * the PII key bound to its row, with the SM3 of the plaintext; held files sealed anew; an
 * e-certificate's use authorised through the certs hook).
 */
#include "apply/apply_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/id.h"
#include "crypto/crypto.h"
#include "store/store.h"

static void material_problem(json_t *problems, const char *key, const char *code, json_t *params)
{
    json_t *p = json_pack("{s:s, s:s, s:s}", "kind", "material", "key", key, "code", code);
    if (params != NULL)
        json_object_set_new(p, "params", params);
    json_array_append_new(problems, p);
}

static int accepts(const json_t *m, const char *ctype)
{
    const json_t *acc = json_object_get(m, "accept");
    if (!json_is_array(acc) || json_array_size(acc) == 0)
        return 1;
    size_t i;
    json_t *v;
    json_array_foreach(acc, i, v) if (json_is_string(v) &&
                                      strcmp(json_string_value(v), ctype) == 0) return 1;
    return 0;
}

/* Every material problem: unknown keys, oversize, wrong type, required ones missing
 * (counting `existing`, an object key -> files already on a returned application). */
void apply_check_materials(struct apply *ap, const json_t *item, const struct apply_request *rq,
                           const json_t *existing, json_t *problems)
{
    /* In the item's order, so the summary follows the form. */
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(item, "materials"), i, m)
    {
        const char *key = json_string_value(json_object_get(m, "key"));
        if (key == NULL)
            continue;
        int have = json_integer_value(json_object_get(existing, key)) > 0, bad = 0;
        json_int_t max = json_integer_value(json_object_get(m, "max_bytes"));
        if (max <= 0)
            max = 5 * 1024 * 1024;
        for (size_t k = 0; k < rq->nfiles; k++) {
            const struct apply_upload *u = &rq->files[k];
            if (u->material_key == NULL || strcmp(u->material_key, key) != 0)
                continue;
            have = 1;
            const char *sniffed = apply_sniff(u->data, u->len);
            if ((json_int_t)u->len > max)
                material_problem(problems, key, "apply.err.too_large",
                                 json_pack("{s:I}", "max", (json_int_t)(max / 1024)));
            else if (u->len == 0 || sniffed == NULL || !accepts(m, sniffed))
                material_problem(problems, key, "apply.err.file_type", NULL);
            else
                continue;
            bad = 1;
            break; /* one problem per material */
        }
        for (size_t k = 0; k < rq->ncerts && !bad; k++) {
            const struct apply_cert_choice *cc = &rq->certs[k];
            if (cc->material_key == NULL || strcmp(cc->material_key, key) != 0 ||
                cc->cert_identifier == NULL || *cc->cert_identifier == '\0')
                continue;
            have = 1;
            if (!json_is_string(json_object_get(m, "cert_type")))
                material_problem(problems, key, "apply.err.material_unknown", NULL);
            else if (ap->hooks.authorise_use == NULL)
                material_problem(problems, key, "apply.err.cert_unavailable", NULL);
            else
                continue;
            bad = 1;
        }
        if (!have && json_is_true(json_object_get(m, "required")))
            material_problem(problems, key, "apply.err.material_missing", NULL);
    }
    /* Files for materials the item does not list. */
    for (size_t k = 0; k < rq->nfiles; k++)
        if (apply_find_material(item, rq->files[k].material_key) == NULL)
            material_problem(problems, rq->files[k].material_key ? rq->files[k].material_key : "",
                             "apply.err.material_unknown", NULL);
    for (size_t k = 0; k < rq->ncerts; k++)
        if (apply_find_material(item, rq->certs[k].material_key) == NULL)
            material_problem(problems, rq->certs[k].material_key ? rq->certs[k].material_key : "",
                             "apply.err.material_unknown", NULL);
}

static int uploaded(const struct apply_request *rq, size_t before, const char *key)
{
    for (size_t k = 0; k < before && k < rq->nfiles; k++)
        if (strcmp(rq->files[k].material_key, key) == 0)
            return 1;
    return 0;
}

/* One material file, sealed and bound to its new row. */
static int insert_file(struct apply *ap, struct store_conn *c, int64_t app_id, const char *key,
                       const char *filename, const char *sm3, const unsigned char *data, size_t len,
                       int64_t now, struct err *err)
{
    int64_t fid = id_next();
    char ad[64];
    snprintf(ad, sizeof(ad), "application_files.content_enc:%lld", (long long)fid);
    unsigned char *enc = NULL;
    size_t got = 0;
    if (apply_seal(ap, ad, data, len, &enc, &got, err) < 0)
        return -1;
    char hex[2 * CRYPTO_SM3_LEN + 1];
    if (sm3 == NULL) {
        unsigned char h[CRYPTO_SM3_LEN];
        crypto_sm3(data, len, h);
        for (int k = 0; k < CRYPTO_SM3_LEN; k++)
            snprintf(hex + 2 * k, 3, "%02x", h[k]);
        sm3 = hex;
    }
    int rc = aps_file_insert(c, fid, app_id, key, filename && *filename ? filename : "file",
                             apply_sniff(data, len), (int64_t)len, sm3, enc, got, NULL, now, err);
    free(enc);
    return rc;
}

int apply_store_materials(struct apply *ap, struct store_conn *c, struct arena *a,
                          const struct prepared *p, const struct apply_request *rq, int64_t app_id,
                          const char *number, int64_t now, int part, struct err *err)
{
    for (size_t i = 0; (part & MATERIALS_UPLOADS) && i < rq->nfiles; i++)
        if (!uploaded(rq, i, rq->files[i].material_key) &&
            aps_files_delete_key(c, app_id, rq->files[i].material_key, err) < 0)
            return -1;
    for (size_t i = 0; (part & MATERIALS_UPLOADS) && i < rq->nfiles; i++) {
        const struct apply_upload *u = &rq->files[i];
        if (insert_file(ap, c, app_id, u->material_key, u->filename, NULL, u->data, u->len, now,
                        err) < 0)
            return -1;
    }
    /* Held files of materials not uploaded again: sealed anew for the application. */
    for (size_t i = 0; (part & MATERIALS_UPLOADS) && i < p->nheld; i++) {
        const struct app_held *h = &p->held[i];
        if (uploaded(rq, rq->nfiles, h->material_key))
            continue;
        int first = 1;
        for (size_t k = 0; k < i; k++)
            first &= strcmp(p->held[k].material_key, h->material_key) != 0;
        unsigned char *data = NULL;
        size_t len = 0;
        if ((first && aps_files_delete_key(c, app_id, h->material_key, err) < 0) ||
            apply_held_open(ap, c, a, rq->subj->account_id, h->id, &data, &len, err) < 0)
            return -1;
        int rc =
            insert_file(ap, c, app_id, h->material_key, h->filename, h->sm3, data, len, now, err);
        crypto_wipe(data, len);
        free(data);
        if (rc < 0)
            return -1;
    }
    for (size_t i = 0; (part & MATERIALS_CERTS) && i < rq->ncerts; i++) {
        const struct apply_cert_choice *cc = &rq->certs[i];
        const json_t *m = apply_find_material(p->item, cc->material_key);
        const char *type = json_string_value(json_object_get(m, "cert_type"));
        if (ap->hooks.authorise_use(ap->hooks.ctx, p->who.account, cc->cert_identifier, type,
                                    number, p->dept.id, err) < 0)
            return -1;
        if (aps_files_delete_key(c, app_id, cc->material_key, err) < 0 ||
            aps_file_insert(c, id_next(), app_id, cc->material_key, cc->cert_identifier,
                            "application/x-e-certificate", 0, "", NULL, 0, cc->cert_identifier, now,
                            err) < 0)
            return -1;
    }
    return 0;
}
