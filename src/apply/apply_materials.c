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

/* A register speaks for the person who files for themself (or an enterprise they act for),
 * identified by their account; not for a walk-in person a clerk files for. */
static int register_applies(const struct apply_request *rq)
{
    return rq->walkin_id_number == NULL && rq->subj != NULL && rq->subj->kind == IDENTITY_CITIZEN;
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
        /* 免提交: what a register holds is fetched at submission, not uploaded. */
        if (json_is_string(json_object_get(m, "register")) && ap->hooks.register_record != NULL &&
            register_applies(rq))
            have = 1;
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

static int chosen_cert(const struct apply_request *rq, const char *key);

int apply_fetch_registers(struct apply *ap, struct prepared *p, const struct apply_request *rq,
                          struct err *err)
{
    size_t i;
    json_t *m;
    if (ap->hooks.register_fetch == NULL || ap->hooks.register_log == NULL)
        return 0;
    json_array_foreach(json_object_get(p->item, "materials"), i, m)
    {
        const char *key = json_string_value(json_object_get(m, "key"));
        const char *reg = json_string_value(json_object_get(m, "register"));
        int held = 0;
        for (size_t k = 0; k < p->nheld; k++)
            held |= strcmp(p->held[k].material_key, key ? key : "") == 0;
        if (key == NULL || reg == NULL || !register_applies(rq) || p->who.account == 0 ||
            uploaded(rq, rq->nfiles, key) || held || chosen_cert(rq, key))
            continue;
        json_t *rec = NULL;
        int r = ap->hooks.register_fetch(ap->hooks.ctx, p->who.account, reg, &rec, err);
        if (r != 0) {
            /* The attempt is logged for the person (no case number yet: the service's code,
             * as for a pre-fill); the submission stops before anything is stored. */
            struct err e;
            const char *code = json_string_value(json_object_get(p->item, "code"));
            ap->hooks.register_log(ap->hooks.ctx, p->who.account, reg, "material", code,
                                   r == 1 ? "no_record" : "failed", &e);
            if (r == 1)
                return err_set(err, 422, "apply.register_no_record",
                               "the register holds no record of the applicant for %s", key);
            return -1;
        }
        if (p->registers == NULL && (p->registers = json_object()) == NULL) {
            json_decref(rec);
            return err_set(err, 500, "apply.oom", "out of memory");
        }
        json_object_set_new(p->registers, key, rec);
    }
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
    int rc =
        apply_db_file_insert(c, fid, app_id, key, filename && *filename ? filename : "file",
                             apply_sniff(data, len), (int64_t)len, sm3, enc, got, NULL, now, err);
    free(enc);
    return rc;
}

int apply_seal_uploads(struct apply *ap, struct arena *a, struct prepared *p,
                       const struct apply_request *rq, struct err *err)
{
    if (rq->nfiles == 0)
        return 0;
    struct sealed_upload *s = arena_alloc(a, rq->nfiles * sizeof(*s));
    if (s == NULL)
        return err_set(err, 500, "apply.oom", "out of memory");
    memset(s, 0, rq->nfiles * sizeof(*s));
    p->sealed = s; /* apply_prepared_free frees what is sealed so far, whatever happens */
    p->nsealed = rq->nfiles;
    for (size_t i = 0; i < rq->nfiles; i++) {
        const struct apply_upload *u = &rq->files[i];
        char ad[64];
        unsigned char h[CRYPTO_SM3_LEN];
        s[i].id = id_next();
        snprintf(ad, sizeof(ad), "application_files.content_enc:%lld", (long long)s[i].id);
        if (apply_seal(ap, ad, u->data, u->len, &s[i].enc, &s[i].len, err) < 0)
            return -1;
        crypto_sm3(u->data, u->len, h);
        for (int k = 0; k < CRYPTO_SM3_LEN; k++)
            snprintf(s[i].sm3 + 2 * k, 3, "%02x", h[k]);
        s[i].content_type = apply_sniff(u->data, u->len);
    }
    return 0;
}

static int chosen_cert(const struct apply_request *rq, const char *key)
{
    for (size_t k = 0; k < rq->ncerts; k++)
        if (rq->certs[k].material_key != NULL && strcmp(rq->certs[k].material_key, key) == 0 &&
            rq->certs[k].cert_identifier != NULL && *rq->certs[k].cert_identifier != '\0')
            return 1;
    return 0;
}

/* 免提交 (issue 13 item 6): the materials a register holds, fetched through the exchange for
 * this application (the read, logged in this transaction, names its number) and kept
 * sealed like an upload, as the JSON record the register gave: staff see exactly what
 * the register said. A material the applicant uploaded (now or held from a pre-check) or
 * covered by a certificate anyway is not fetched. */
static int store_register_materials(struct apply *ap, struct store_conn *c,
                                    const struct prepared *p, const struct apply_request *rq,
                                    int64_t app_id, const char *number, int64_t now, int fresh,
                                    struct err *err)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(p->item, "materials"), i, m)
    {
        const char *key = json_string_value(json_object_get(m, "key"));
        const char *reg = json_string_value(json_object_get(m, "register"));
        int held = 0;
        for (size_t k = 0; k < p->nheld; k++)
            held |= strcmp(p->held[k].material_key, key ? key : "") == 0;
        if (key == NULL || reg == NULL || ap->hooks.register_record == NULL ||
            !register_applies(rq) || p->who.account == 0 || uploaded(rq, rq->nfiles, key) || held ||
            chosen_cert(rq, key))
            continue;
        json_t *rec = json_incref(json_object_get(p->registers, key));
        int r = 0;
        if (rec != NULL) /* fetched before the transaction: only the log is written here */
            r = ap->hooks.register_log(ap->hooks.ctx, p->who.account, reg, "material", number, "ok",
                                       err) < 0
                    ? -1
                    : 0;
        else
            r = ap->hooks.register_record(ap->hooks.ctx, p->who.account, reg, "material", number, 1,
                                          &rec, err);
        if (r < 0) {
            json_decref(rec);
            return -1;
        }
        if (r == 1)
            return err_set(err, 422, "apply.register_no_record",
                           "the register holds no record of the applicant for %s", key);
        char *text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(rec);
        if (text == NULL)
            return err_set(err, 500, "apply.oom", "out of memory");
        int64_t fid = id_next();
        char ad[64], hex[2 * CRYPTO_SM3_LEN + 1], name[64];
        unsigned char h[CRYPTO_SM3_LEN], *enc = NULL;
        size_t len = strlen(text), got = 0;
        snprintf(ad, sizeof(ad), "application_files.content_enc:%lld", (long long)fid);
        snprintf(name, sizeof(name), "%s.json", reg);
        crypto_sm3(text, len, h);
        for (int k = 0; k < CRYPTO_SM3_LEN; k++)
            snprintf(hex + 2 * k, 3, "%02x", h[k]);
        int rc = apply_seal(ap, ad, text, len, &enc, &got, err) < 0 ||
                         (!fresh && apply_db_files_delete_key(c, app_id, key, err) < 0) ||
                         apply_db_file_insert(c, fid, app_id, key, name, APPLY_REGISTER_RECORD_TYPE,
                                              (int64_t)len, hex, enc, got, NULL, now, err) < 0
                     ? -1
                     : 0;
        crypto_wipe(text, len);
        free(text);
        free(enc);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int apply_store_materials(struct apply *ap, struct store_conn *c, struct arena *a,
                          const struct prepared *p, const struct apply_request *rq, int64_t app_id,
                          const char *number, int64_t now, int part, struct err *err)
{
    /* A new application holds no files yet: nothing to replace (3 statements fewer). */
    int fresh = (part & MATERIALS_NEW) != 0;
    for (size_t i = 0; (part & MATERIALS_UPLOADS) && !fresh && i < rq->nfiles; i++)
        if (!uploaded(rq, i, rq->files[i].material_key) &&
            apply_db_files_delete_key(c, app_id, rq->files[i].material_key, err) < 0)
            return -1;
    for (size_t i = 0; (part & MATERIALS_UPLOADS) && i < rq->nfiles; i++) {
        const struct apply_upload *u = &rq->files[i];
        const struct sealed_upload *sd = p->sealed != NULL ? &p->sealed[i] : NULL;
        if (sd != NULL ? apply_db_file_insert(c, sd->id, app_id, u->material_key,
                                              u->filename && *u->filename ? u->filename : "file",
                                              sd->content_type, (int64_t)u->len, sd->sm3, sd->enc,
                                              sd->len, NULL, now, err) < 0
                       : insert_file(ap, c, app_id, u->material_key, u->filename, NULL, u->data,
                                     u->len, now, err) < 0)
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
        if ((first && !fresh && apply_db_files_delete_key(c, app_id, h->material_key, err) < 0) ||
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
        if (apply_db_files_delete_key(c, app_id, cc->material_key, err) < 0 ||
            apply_db_file_insert(c, id_next(), app_id, cc->material_key, cc->cert_identifier,
                                 "application/x-e-certificate", 0, "", NULL, 0, cc->cert_identifier,
                                 now, err) < 0)
            return -1;
    }
    /* At the first submission only: a completion (补正) keeps what the case already holds. */
    if ((part & MATERIALS_REGISTERS) && number != NULL &&
        store_register_materials(ap, c, p, rq, app_id, number, now, fresh, err) < 0)
        return -1;
    return 0;
}
