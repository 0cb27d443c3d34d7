/*
 * certs.c - e-certificates: identifiers (GB/T 36904-style, MOD 37,36), types, issuance
 * sealed with the issuing department's certificate seal, the wallet, authorised uses,
 * the holder's and departments' views. Verification is in certs_verify.c. No HTTP here.
 */
#include "certs/certs_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "base/embed.h"
#include "base/id.h"
#include "base/log.h"
#include "crypto/crypto.h"
#include "identity/idcodes.h"
#include "identity/identity.h"
#include "seals/seals.h"
#include "store/store.h"

#define YEAR_MS (365LL * 24 * 3600 * 1000 + 6 * 3600 * 1000) /* a mean year */
#define NO_EXPIRY 253402300799000LL                          /* 9999-12-31T23:59:59Z */

/* ---- identifiers ------------------------------------------------------------------------ */

static int c36(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = (char)toupper((unsigned char)ch);
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A' + 10;
    return -1;
}

/* ISO 7064 MOD 37,36 (hybrid system, M = 36): p = M; for each character s = (p + v) mod M
 * (0 read as M), p = 2s mod (M + 1); the check character c makes (p + c) mod M == 1. */
char certs_mod37_36(const char *s)
{
    if (s == NULL || *s == '\0')
        return 0;
    int p = 36;
    for (; *s; s++) {
        int v = c36(*s);
        if (v < 0)
            return 0;
        int t = (p + v) % 36;
        if (t == 0)
            t = 36;
        p = (t * 2) % 37;
    }
    int c = (37 - p) % 36;
    return "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[c];
}

static int alnum_field(const char *s, size_t max)
{
    size_t n = 0;
    for (; s && *s; s++, n++)
        if (c36(*s) < 0 || islower((unsigned char)*s))
            return 0;
    return n > 0 && n <= max;
}

int certs_identifier_make(const char *type_code, const char *issuer_code, const char *serial,
                          const char *version, char out[CERTS_ID_SIZE])
{
    if (!alnum_field(type_code, 24) || !alnum_field(issuer_code, 18) || !alnum_field(serial, 24) ||
        !alnum_field(version, 3))
        return -1;
    char body[96];
    snprintf(body, sizeof(body), "%s%s%s%s", type_code, issuer_code, serial, version);
    char check = certs_mod37_36(body);
    if (check == 0)
        return -1;
    int n = snprintf(out, CERTS_ID_SIZE, CERTS_PREFIX "%s.%s.%s.%s.%c", type_code, issuer_code,
                     serial, version, check);
    return n > 0 && n < CERTS_ID_SIZE ? 0 : -1;
}

int certs_identifier_valid(const char *id)
{
    size_t plen = strlen(CERTS_PREFIX);
    if (id == NULL || strlen(id) >= CERTS_ID_SIZE || strncmp(id, CERTS_PREFIX, plen) != 0)
        return 0;
    char buf[CERTS_ID_SIZE], body[CERTS_ID_SIZE] = "";
    snprintf(buf, sizeof(buf), "%s", id + plen);
    char *f[5];
    int n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ".", &save); t; t = strtok_r(NULL, ".", &save)) {
        if (n == 5)
            return 0;
        f[n++] = t;
    }
    /* no empty fields: strtok_r would skip them */
    for (const char *p = id + plen; *p; p++)
        if (*p == '.' && (p[1] == '.' || p[1] == '\0'))
            return 0;
    if (n != 5 || strlen(f[4]) != 1 || strlen(f[3]) != 3)
        return 0;
    for (int i = 0; i < 4; i++) {
        if (!alnum_field(f[i], 24))
            return 0;
        strncat(body, f[i], sizeof(body) - strlen(body) - 1);
    }
    char c = certs_mod37_36(body);
    return c != 0 && c == f[4][0];
}

/* The department's credit code: departments have none in the identity module yet, so one
 * is derived deterministically (GB 32100 shape, organ category 11, the division's six
 * digits, a code from the department code, the GB 32100 check character). */
static void dept_credit_code(const json_t *dept, int64_t division, char out[19])
{
    const char *code = json_string_value(json_object_get(dept, "code"));
    unsigned char h[32];
    crypto_sm3(code, strlen(code), h);
    char first[18];
    snprintf(first, sizeof(first), "11%06lldMB", (long long)(division / 1000000) % 1000000);
    for (int i = 0; i < 7; i++)
        first[10 + i] = "0123456789"[h[i] % 10];
    first[17] = '\0';
    memcpy(out, first, 17);
    out[17] = idcode_uscc_check(first);
    out[18] = '\0';
}

/* ---- types ----------------------------------------------------------------------------- */

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

int certs_type_put(struct store *st, int64_t actor, const json_t *t, struct err *err)
{
    const json_t *name = json_object_get(t, "name"), *fields = json_object_get(t, "fields");
    const char *code = str(t, "code"), *type_code = str(t, "type_code");
    if (!*code || strlen(code) > 40 || !alnum_field(type_code, 24) || !json_is_object(name) ||
        !*str(name, "zh") || !json_is_array(fields) || !*str(t, "department") ||
        json_integer_value(json_object_get(t, "valid_years")) < 0)
        return err_set(err, 400, "certs.bad_type",
                       "a certificate type needs code, type_code (A-Z0-9), name.zh, department, "
                       "fields and valid_years >= 0");
    size_t i;
    json_t *f;
    json_array_foreach(fields, i, f)
    {
        if (!*str(f, "key") || !*str(f, "form_key") || !*str(json_object_get(f, "label"), "zh"))
            return err_set(err, 400, "certs.bad_type", "every field needs key, form_key, label.zh");
    }
    char *fj = json_dumps(fields, JSON_COMPACT);
    struct store_conn *c = store_conn(st, err);
    int rc = -1;
    if (fj == NULL || c == NULL)
        goto out;
    char obj[64];
    snprintf(obj, sizeof(obj), "cert_type:%s", code);
    struct audit_event ev = {actor, "certs.type_put", obj, "ok", NULL, NULL};
    if (store_begin(c, err) < 0)
        goto out;
    if (certs_db_type_put(c, code, type_code, str(name, "zh"), str(name, "bo"), str(name, "en"),
                          str(t, "department"), "-", fj,
                          json_integer_value(json_object_get(t, "valid_years")), time_now_ms(),
                          err) < 0 ||
        audit_record(c, &ev, err) < 0) {
        store_rollback(c);
        goto out;
    }
    rc = store_commit(c, err);
out:
    free(fj);
    return rc;
}

int certs_types_load_demo(struct store *st, int *count, struct err *err)
{
    const struct embed_file *f = embed_find("data/certs/types.json");
    if (f == NULL)
        return err_set(err, 500, "certs.no_types", "data/certs/types.json is not embedded");
    json_error_t je;
    json_t *doc = json_loadb((const char *)f->data, f->len, 0, &je);
    json_t *types = json_object_get(doc, "types");
    size_t i;
    json_t *t;
    *count = 0;
    json_array_foreach(types, i, t)
    {
        if (certs_type_put(st, 0, t, err) < 0) {
            json_decref(doc);
            return -1;
        }
        (*count)++;
    }
    json_decref(doc);
    return 0;
}

int certs_type_get(struct store *st, const char *code, json_t **type, struct err *err)
{
    struct store_conn *c = store_conn(st, err);
    int found = 0;
    if (c == NULL || certs_db_type_get(c, code ? code : "", type, &found, err) < 0)
        return -1;
    if (!found)
        return err_set(err, 404, "certs.no_type", "no certificate type has the code %s",
                       code ? code : "");
    return 0;
}

/* ---- sealed columns -------------------------------------------------------------------- */

static int seal_value(struct crypto_keyring *kr, const char *col, int64_t id, const void *pt,
                      size_t n, unsigned char **out, size_t *out_len)
{
    char ad[80];
    snprintf(ad, sizeof(ad), "certificates.%s:%lld", col, (long long)id);
    *out = malloc(n + CRYPTO_AEAD_OVERHEAD);
    if (*out == NULL)
        return -1;
    if (crypto_aead_seal(crypto_keyring_aead(kr, CRYPTO_AEAD_PII), ad, strlen(ad), pt, n, *out,
                         n + CRYPTO_AEAD_OVERHEAD, out_len) < 0) {
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* Open a sealed column into a NUL-terminated string from malloc; NULL if it does not open. */
char *certs_open_value(struct crypto_keyring *kr, const char *col, int64_t id,
                       const unsigned char *in, size_t n)
{
    if (n <= CRYPTO_AEAD_OVERHEAD)
        return NULL;
    char ad[80];
    snprintf(ad, sizeof(ad), "certificates.%s:%lld", col, (long long)id);
    size_t cap = n - CRYPTO_AEAD_OVERHEAD + 1, len = 0;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    if (crypto_aead_open(crypto_keyring_aead(kr, CRYPTO_AEAD_PII), ad, strlen(ad), in, n,
                         (unsigned char *)out, cap, &len) < 0) {
        free(out);
        return NULL;
    }
    out[len] = '\0';
    return out;
}

void certs_free_text(char *s)
{
    if (s)
        crypto_free_secret(s, strlen(s) + 1);
}

void certs_mask_name(const char *name, char *out, size_t size)
{
    /* the first character, then one '*' per further character */
    size_t i = 0, o = 0;
    if (name[0]) {
        do
            out[o++] = name[i++];
        while (name[i] && ((unsigned char)name[i] & 0xC0) == 0x80 && o + 1 < size);
    }
    for (; name[i] && o + 1 < size; i++)
        if (((unsigned char)name[i] & 0xC0) != 0x80)
            out[o++] = '*';
    out[o] = '\0';
}

/* ---- the QR payload --------------------------------------------------------------------- */

int certs_qr_make(const char *identifier, const char *es_id, const unsigned char hash[32],
                  int64_t valid_until, struct store *st, struct crypto_keyring *kr, int64_t seal_id,
                  char **payload, struct err *err);

/* ---- issuance ---------------------------------------------------------------------------- */

int certs_department(struct certs *cs, int64_t id, const char *code, json_t **dept, struct err *err)
{
    struct identity_department d;
    struct arena *a = arena_new(0);
    *dept = NULL;
    if (a == NULL)
        return err_set(err, 500, "certs.oom", "out of memory");
    int rc = code != NULL ? identity_department_find(cs->id, a, code, &d, err)
                          : identity_department_get(cs->id, a, id, &d, err);
    if (rc == 0) {
        *dept = json_pack("{s:I, s:s, s:s, s:s, s:s, s:I}", "id", (json_int_t)d.id, "code",
                          d.code ? d.code : "", "zh", d.name_zh ? d.name_zh : "", "bo",
                          d.name_bo ? d.name_bo : "", "en", d.name_en ? d.name_en : "", "division",
                          (json_int_t)d.division_code);
        if (*dept == NULL)
            rc = err_set(err, 500, "certs.oom", "out of memory");
    } else if (err->status == 404) {
        err_set(err, 404, "certs.no_department", "no such department");
    }
    arena_free(a);
    return rc;
}

/* Uses (rows with department_id) get the department's code and Chinese name from identity;
 * department_id is dropped. */
static void name_departments(struct certs *cs, json_t *list)
{
    size_t i;
    json_t *u;
    json_array_foreach(list, i, u)
    {
        json_t *dept = NULL;
        struct err e2;
        err_clear(&e2);
        json_int_t did = json_integer_value(json_object_get(u, "department_id"));
        if (certs_department(cs, did, NULL, &dept, &e2) == 0) {
            json_object_set(u, "department", json_object_get(dept, "code"));
            json_object_set(u, "department_name", json_object_get(dept, "zh"));
        }
        json_object_del(u, "department_id");
        json_decref(dept);
    }
}

/* The certificate's uses for its holder, each department named through identity. */
static int certs_uses(struct certs *cs, struct store_conn *c, int64_t cert_id, json_t **list,
                      struct err *err)
{
    if (certs_db_uses(c, cert_id, list, err) < 0)
        return -1;
    name_departments(cs, *list);
    return 0;
}

/* The type's fields taken from the form values (by form key, else by key): a new object, or
 * NULL with err set when a required one is missing. */
static json_t *type_data(const json_t *type, const json_t *values, struct err *err)
{
    json_t *data = json_object();
    if (data == NULL) {
        err_set(err, 500, "certs.oom", "out of memory");
        return NULL;
    }
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(type, "fields"), i, f)
    {
        json_t *v = json_object_get(values, str(f, "form_key"));
        if (v == NULL)
            v = json_object_get(values, str(f, "key"));
        if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) <= 400) {
            json_object_set(data, str(f, "key"), v);
        } else if (json_is_integer(v) || json_is_boolean(v)) {
            json_object_set(data, str(f, "key"), v);
        } else if (json_is_true(json_object_get(f, "required"))) {
            err_set(err, 400, "certs.bad_data",
                    "the certificate's field %s (form key %s) is missing", str(f, "key"),
                    str(f, "form_key"));
            json_decref(data);
            return NULL;
        }
    }
    return data;
}

/* The row's personal columns encrypted at rest: the holder's name and ID number, the document. */
static int seal_row(struct crypto_keyring *kr, struct certs_row *row, const char *name,
                    const char *idn, const char *doc_text, struct err *err)
{
    if (seal_value(kr, "holder_name", row->id, name, strlen(name), &row->holder_name,
                   &row->holder_name_len) < 0 ||
        seal_value(kr, "holder_id", row->id, idn, strlen(idn), &row->holder_id,
                   &row->holder_id_len) < 0 ||
        seal_value(kr, "document", row->id, doc_text, strlen(doc_text), &row->document,
                   &row->document_len) < 0)
        return err_set(err, 500, "certs.crypto", "the certificate could not be encrypted");
    return 0;
}

int certs_issue(struct certs *cs, const struct certs_issue_req *r, int in_tx,
                char identifier[CERTS_ID_SIZE], struct err *err)
{
    struct store *st = cs->st;
    struct crypto_keyring *kr = cs->kr;
    if (r == NULL || r->holder_account <= 0 || r->holder_name == NULL || !*r->holder_name ||
        strlen(r->holder_name) > 120 || r->holder_id_number == NULL || r->department_id <= 0 ||
        !json_is_object(r->data))
        return err_set(err, 400, "certs.bad_data",
                       "a certificate needs a holder (account, name, ID number), a department "
                       "and its data");
    char idn[IDCODE_LEN + 1];
    struct err e2;
    if (idcode_citizen_normalize(r->holder_id_number, idn, 0, &e2) < 0)
        return err_set(err, 400, "certs.bad_data", "the holder's ID number is not valid");
    struct store_conn *c = store_conn(st, err);
    if (c == NULL)
        return -1;
    json_t *type = NULL, *dept = NULL, *data = NULL, *doc = NULL;
    char *doc_text = NULL, *qr = NULL;
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    struct certs_row row;
    memset(&row, 0, sizeof(row));
    int rc = -1, found = 0;
    if (certs_db_type_get(c, r->type_code ? r->type_code : "", &type, &found, err) < 0)
        return -1;
    if (!found)
        return err_set(err, 404, "certs.no_type", "no certificate type has the code %s",
                       r->type_code ? r->type_code : "");
    if (certs_department(cs, r->department_id, NULL, &dept, err) < 0)
        goto out;
    data = type_data(type, r->data, err);
    if (data == NULL)
        goto out;
    int64_t seal_id = 0, now = time_now_ms();
    if (seals_find_active(st, r->department_id, SEALS_TYPE_CERT, now, &seal_id, err) < 0)
        goto out;
    int64_t years = json_integer_value(json_object_get(type, "valid_years"));
    row.id = id_next();
    row.issued_at = now;
    row.valid_until = years > 0 ? now + years * YEAR_MS : 0;
    char issuer[19], serial[24];
    int64_t division = json_integer_value(json_object_get(dept, "division"));
    dept_credit_code(dept, division, issuer);
    snprintf(serial, sizeof(serial), "%lld", (long long)row.id);
    if (certs_identifier_make(str(type, "type_code"), issuer, serial, "001", row.identifier) < 0) {
        err_set(err, 500, "certs.identifier", "the identifier could not be made");
        goto out;
    }
    doc = json_pack("{s:i, s:s, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s}, s:O, s:I, s:I}", "v", 1,
                    "identifier", row.identifier, "type", str(type, "code"), "type_code",
                    str(type, "type_code"), "holder", "name", r->holder_name, "id_number", idn,
                    "issuer", "code", issuer, "department", str(dept, "code"), "name",
                    str(dept, "zh"), "data", data, "issued_at", (json_int_t)row.issued_at,
                    "valid_until", (json_int_t)row.valid_until);
    doc_text = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    unsigned char hash[32];
    if (doc_text == NULL || crypto_sm3(doc_text, strlen(doc_text), hash) < 0) {
        err_set(err, 500, "certs.oom", "out of memory");
        goto out;
    }
    crypto_hex_encode(hash, 32, row.data_hash, sizeof(row.data_hash));
    snprintf(row.type_code, sizeof(row.type_code), "%s", str(type, "code"));
    row.holder_account = r->holder_account;
    row.department_id = r->department_id;
    row.seal_id = seal_id;
    snprintf(row.source, sizeof(row.source), "%s", r->source ? r->source : "");
    char masked[IDCODE_LEN + 1];
    idcode_mask(idn, 4, 4, masked);
    snprintf(row.holder_masked, sizeof(row.holder_masked), "%s", masked);
    if (seal_row(kr, &row, r->holder_name, idn, doc_text, err) < 0)
        goto out;
    json_t *sinfo = NULL;
    if (seals_info(st, seal_id, NULL, &sinfo, err) < 0)
        goto out;
    int qrc = certs_qr_make(row.identifier, str(sinfo, "es_id"), hash, row.valid_until, st, kr,
                            seal_id, &qr, err);
    json_decref(sinfo);
    if (qrc < 0)
        goto out;
    row.qr_payload = qr;
    char obj[CERTS_ID_SIZE + 16], detail[200];
    snprintf(obj, sizeof(obj), "certificate:%s", row.identifier);
    snprintf(detail, sizeof(detail), "type %s, department %lld, source %s", row.type_code,
             (long long)r->department_id, row.source);
    struct audit_event ev = {r->actor, "certs.issue", obj, "ok", NULL, detail};
    if (!in_tx && store_begin(c, err) < 0)
        goto out;
    if (seals_sign(st, kr, r->actor, seal_id, hash, row.identifier, 1, &sig, &sig_len, err) < 0)
        goto fail_tx;
    row.signature = sig;
    row.signature_len = sig_len;
    sig = NULL;
    if (certs_db_insert(c, &row, err) < 0 || audit_record(c, &ev, err) < 0)
        goto fail_tx;
    if (!in_tx && store_commit(c, err) < 0)
        goto out;
    snprintf(identifier, CERTS_ID_SIZE, "%s", row.identifier);
    rc = 0;
    goto out;
fail_tx:
    if (!in_tx)
        store_rollback(c);
out:
    free(sig);
    if (doc_text)
        crypto_free_secret(doc_text, strlen(doc_text));
    json_decref(doc);
    json_decref(data);
    json_decref(dept);
    json_decref(type);
    certs_row_free(&row); /* frees qr too */
    return rc;
}

static uint64_t revocations;

uint64_t certs_generation(void)
{
    return __atomic_load_n(&revocations, __ATOMIC_ACQUIRE);
}

int certs_revoke(struct store *st, int64_t actor, const char *identifier, struct err *err)
{
    struct store_conn *c = store_conn(st, err);
    if (c == NULL || store_begin(c, err) < 0)
        return -1;
    int64_t changes = 0;
    char obj[CERTS_ID_SIZE + 16];
    snprintf(obj, sizeof(obj), "certificate:%s", identifier);
    struct audit_event ev = {actor, "certs.revoke", obj, "ok", NULL, NULL};
    if (certs_db_set_status(c, identifier, "revoked", &changes, err) < 0)
        goto fail;
    if (changes == 0) {
        err_set(err, 404, "certs.not_found", "no certificate has that identifier");
        goto fail;
    }
    if (audit_record(c, &ev, err) < 0)
        goto fail;
    if (store_commit(c, err) < 0)
        return -1;
    __atomic_add_fetch(&revocations, 1, __ATOMIC_ACQ_REL);
    return 0;
fail:
    store_rollback(c);
    return -1;
}

/* ---- the holder ---------------------------------------------------------------------------- */

int certs_wallet(struct store *st, int64_t holder, const char *type, json_t **list, struct err *err)
{
    struct store_conn *c = store_conn(st, err);
    return c == NULL ? -1 : certs_db_wallet(c, holder, type, time_now_ms(), list, err);
}

const char *certs_effective_status(const struct certs_row *r, int64_t now)
{
    if (strcmp(r->status, "revoked") == 0)
        return "revoked";
    if (r->valid_until > 0 && r->valid_until < now)
        return "expired";
    return "valid";
}

int certs_authorise_use(struct certs *cs, int64_t holder, const char *identifier, const char *type,
                        const char *application, int64_t department_id, int in_tx, struct err *err)
{
    struct store *st = cs->st;
    if (identifier == NULL || application == NULL || !*application || strlen(application) > 64 ||
        department_id <= 0)
        return err_set(err, 400, "certs.bad_use",
                       "an authorised use needs a certificate, an application and a department");
    struct store_conn *c = store_conn(st, err);
    struct certs_row row;
    int found = 0, rc = -1;
    if (c == NULL || certs_db_get(c, identifier, &row, &found, err) < 0)
        return -1;
    if (!found || row.holder_account != holder) {
        if (found)
            certs_row_free(&row);
        return err_set(err, 404, "certs.not_found", "you hold no certificate with that identifier");
    }
    const char *status = certs_effective_status(&row, time_now_ms());
    json_t *dept = NULL;
    if (strcmp(status, "valid") != 0) {
        err_set(err, 409, strcmp(status, "revoked") == 0 ? "certs.revoked" : "certs.expired",
                "the certificate is %s", status);
        goto out;
    }
    if (type != NULL && strcmp(type, row.type_code) != 0) {
        err_set(err, 409, "certs.wrong_type", "the certificate is a %s, not a %s", row.type_code,
                type);
        goto out;
    }
    if (certs_department(cs, department_id, NULL, &dept, err) < 0)
        goto out;
    char obj[CERTS_ID_SIZE + 16], detail[160];
    snprintf(obj, sizeof(obj), "certificate:%s", identifier);
    snprintf(detail, sizeof(detail), "application %s, department %lld", application,
             (long long)department_id);
    struct audit_event ev = {holder, "certs.use", obj, "ok", NULL, detail};
    if (!in_tx && store_begin(c, err) < 0)
        goto out;
    if (certs_db_use_insert(c, row.id, holder, application, department_id, "material",
                            time_now_ms(), err) < 0 ||
        audit_record(c, &ev, err) < 0) {
        if (!in_tx)
            store_rollback(c);
        goto out;
    }
    if (!in_tx && store_commit(c, err) < 0)
        goto out;
    rc = 0;
out:
    json_decref(dept);
    certs_row_free(&row);
    return rc;
}

/* ---- views ------------------------------------------------------------------------------- */

int certs_view(struct certs *cs, int64_t viewer, const int64_t *department_ids, size_t n,
               const char *identifier, json_t **out, struct err *err)
{
    return certs_view_ex(cs, viewer, department_ids, n, identifier, 0, out, err);
}

/* The type's fields of a document for a view, ID-like ones masked unless `full`. */
static json_t *view_fields(const json_t *type, const json_t *data, int full)
{
    json_t *fields = json_array();
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(type, "fields"), i, f)
    {
        json_t *v = json_object_get(data, str(f, "key"));
        if (v == NULL)
            continue;
        char buf[64] = "";
        const char *val = json_is_string(v) ? json_string_value(v) : "";
        if (json_is_integer(v)) {
            snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
            val = buf;
        }
        char masked[420];
        if (json_is_true(json_object_get(f, "masked")) && !full) {
            idcode_mask(val, 4, 4, masked);
            val = masked;
        }
        json_array_append_new(fields, json_pack("{s:s, s:O, s:s}", "key", str(f, "key"), "label",
                                                json_object_get(f, "label"), "value", val));
    }
    return fields;
}

/* The parts an independent checker needs, added to a view: the document and the SES
 * signature (base64url), the signed part and the bare signature (hex), the seal's public key
 * and its ES id. A part that cannot be made is an empty string. */
static void add_checker_parts(json_t *out, const struct certs_row *row, const char *doc_text)
{
    unsigned char *tbs = NULL, *sig = NULL, *cert = NULL;
    size_t tbs_len = 0, sig_len = 0, cert_len = 0;
    char *tbs_hex = NULL, *sig_hex = NULL, *doc64 = NULL, *ses64 = NULL;
    struct seals_report rep;
    struct err e2;
    unsigned char hash[32];
    crypto_sm3(doc_text, strlen(doc_text), hash);
    seals_verify(NULL, row->signature, row->signature_len, hash, &rep, &e2);
    if (seals_signature_parts(row->signature, row->signature_len, &tbs, &tbs_len, &sig, &sig_len,
                              &cert, &cert_len, &e2) == 0) {
        tbs_hex = malloc(2 * tbs_len + 1);
        sig_hex = malloc(2 * sig_len + 1);
        if (tbs_hex && sig_hex) {
            crypto_hex_encode(tbs, tbs_len, tbs_hex, 2 * tbs_len + 1);
            crypto_hex_encode(sig, sig_len, sig_hex, 2 * sig_len + 1);
        }
    }
    size_t dl = strlen(doc_text);
    doc64 = malloc(CRYPTO_B64URL_LEN(dl) + 1);
    ses64 = malloc(CRYPTO_B64URL_LEN(row->signature_len) + 1);
    if (doc64)
        crypto_b64url_encode(doc_text, dl, doc64, CRYPTO_B64URL_LEN(dl) + 1);
    if (ses64)
        crypto_b64url_encode(row->signature, row->signature_len, ses64,
                             CRYPTO_B64URL_LEN(row->signature_len) + 1);
    json_object_set_new(out, "document", json_string(doc64 ? doc64 : ""));
    json_object_set_new(out, "ses_signature", json_string(ses64 ? ses64 : ""));
    json_object_set_new(out, "to_sign", json_string(tbs_hex && sig_hex ? tbs_hex : ""));
    json_object_set_new(out, "signature", json_string(tbs_hex && sig_hex ? sig_hex : ""));
    json_object_set_new(out, "public_key", json_string(rep.public_hex));
    json_object_set_new(out, "seal_es_id", json_string(rep.es_id));
    free(tbs);
    free(sig);
    free(cert);
    free(tbs_hex);
    free(sig_hex);
    free(doc64);
    free(ses64);
}

/* Personal data in a view: masked (the page, the JSON twin, a department under an
 * authorised use), or in full when `reveal` and the viewer is the holder: the holder's
 * own document (the PDF), where a marriage certificate must show both ID numbers. */
int certs_view_ex(struct certs *cs, int64_t viewer, const int64_t *department_ids, size_t n,
                  const char *identifier, int reveal, json_t **out, struct err *err)
{
    struct store *st = cs->st;
    struct crypto_keyring *kr = cs->kr;
    struct store_conn *c = store_conn(st, err);
    struct certs_row row;
    int found = 0, allowed = 0, rc = -1;
    if (c == NULL || certs_db_get(c, identifier ? identifier : "", &row, &found, err) < 0)
        return -1;
    if (!found)
        return err_set(err, 404, "certs.not_found",
                       "no certificate you may see has that identifier");
    int is_holder = viewer != 0 && row.holder_account == viewer;
    int full = reveal && is_holder;
    if (!is_holder && certs_db_use_allowed(c, row.id, department_ids, n, &allowed, err) < 0)
        goto out;
    if (!is_holder && !allowed) {
        err_set(err, 404, "certs.not_found", "no certificate you may see has that identifier");
        goto out;
    }
    char *doc_text = certs_open_value(kr, "document", row.id, row.document, row.document_len);
    if (doc_text == NULL) {
        err_set(err, 500, "certs.damaged", "the stored certificate does not open");
        goto out;
    }
    json_t *doc = json_loads(doc_text, 0, NULL), *type = NULL, *uses = NULL;
    struct err e2;
    certs_type_get(st, row.type_code, &type, &e2);
    json_t *fields = view_fields(type, json_object_get(doc, "data"), full);
    if (is_holder && certs_uses(cs, c, row.id, &uses, err) < 0) {
        certs_free_text(doc_text);
        json_decref(doc);
        json_decref(type);
        json_decref(fields);
        goto out;
    }
    json_t *holder = json_object_get(doc, "holder");
    char mname[128], mid[IDCODE_LEN + 1];
    certs_mask_name(str(holder, "name"), mname, sizeof(mname));
    idcode_mask(str(holder, "id_number"), 4, 4, mid);
    /* The issuer as the signed document names it: the department's code and its Chinese
     * name at issuance. Pages add its names in every language from identity
     * (certs_http.c); certs keeps out of identity's tables. */
    const json_t *issuer = json_object_get(doc, "issuer");
    *out = json_pack(
        "{s:s, s:s, s:O, s:s, s:I, s:I, s:s, s:o, s:{s:s, s:s}, s:{s:s, s:s}, s:s, s:s, s:s, "
        "s:I, s:b}",
        "identifier", row.identifier, "type", row.type_code, "name",
        type ? json_object_get(type, "name") : json_null(), "status",
        certs_effective_status(&row, time_now_ms()), "issued_at", (json_int_t)row.issued_at,
        "valid_until", (json_int_t)row.valid_until, "source", row.source, "fields", fields,
        "holder", "name", is_holder ? str(holder, "name") : mname, "id_number",
        full ? str(holder, "id_number") : mid, "issuer", "code", str(issuer, "department"), "zh",
        str(issuer, "name"), "issuer_code", str(issuer, "code"), "qr", row.qr_payload, "data_hash",
        row.data_hash, "seal_id", (json_int_t)row.seal_id, "holder_view", is_holder);
    if (*out != NULL) {
        add_checker_parts(*out, &row, doc_text);
        if (uses)
            json_object_set(*out, "uses", uses);
    }
    json_decref(uses);
    json_decref(type);
    json_decref(doc);
    certs_free_text(doc_text);
    rc = *out ? 0 : err_set(err, 500, "certs.oom", "out of memory");
out:
    certs_row_free(&row);
    return rc;
}

int certs_export(struct store *st, struct crypto_keyring *kr, const char *identifier, json_t **out,
                 struct err *err)
{
    struct store_conn *c = store_conn(st, err);
    struct certs_row row;
    int found = 0;
    if (c == NULL || certs_db_get(c, identifier ? identifier : "", &row, &found, err) < 0)
        return -1;
    if (!found)
        return err_set(err, 404, "certs.not_found", "no certificate has that identifier");
    char *doc = certs_open_value(kr, "document", row.id, row.document, row.document_len);
    int rc = -1;
    if (doc == NULL) {
        err_set(err, 500, "certs.damaged", "the stored certificate does not open");
    } else {
        size_t dl = strlen(doc);
        char *d64 = malloc(CRYPTO_B64URL_LEN(dl) + 1);
        char *s64 = malloc(CRYPTO_B64URL_LEN(row.signature_len) + 1);
        if (d64 && s64) {
            crypto_b64url_encode(doc, dl, d64, CRYPTO_B64URL_LEN(dl) + 1);
            crypto_b64url_encode(row.signature, row.signature_len, s64,
                                 CRYPTO_B64URL_LEN(row.signature_len) + 1);
            *out = json_pack("{s:s, s:s, s:s}", "identifier", row.identifier, "document", d64,
                             "signature", s64);
            rc = *out ? 0 : err_set(err, 500, "certs.oom", "out of memory");
        }
        free(d64);
        free(s64);
    }
    certs_free_text(doc);
    certs_row_free(&row);
    return rc;
}

int certs_issue_on_approval(struct certs *cs, const struct certs_issue_req *r,
                            int enterprise_applicant, char identifier[CERTS_ID_SIZE],
                            struct err *err)
{
    identifier[0] = '\0';
    if (enterprise_applicant || r->holder_id_number == NULL || r->holder_name == NULL ||
        r->type_code == NULL)
        return 0;
    json_t *known = NULL;
    struct err e2;
    err_clear(&e2);
    if (certs_type_get(cs->st, r->type_code, &known, &e2) < 0)
        return 0; /* a type this platform does not issue yet */
    json_decref(known);
    if (certs_issue(cs, r, 1, identifier, err) == 0)
        return 0;
    identifier[0] = '\0';
    if (strcmp(err->code, "seals.no_seal") != 0)
        return -1;
    log_kv(LOG_WARN, "approved without a certificate: the department has no certificate seal",
           "number", r->source, "type", r->type_code, LOG_END);
    err_clear(err);
    return 0;
}

int certs_wallet_usable(struct store *st, int64_t holder, const char *type, json_t **list,
                        struct err *err)
{
    json_t *all = NULL;
    if (certs_wallet(st, holder, type, &all, err) < 0)
        return -1;
    json_t *out = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(all, i, c)
    {
        const char *status = json_string_value(json_object_get(c, "status"));
        if (status == NULL || strcmp(status, "valid") != 0)
            continue;
        json_array_append_new(
            out, json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "id", json_object_get(c, "id"),
                           "identifier", json_object_get(c, "identifier"), "name",
                           json_object_get(c, "name"), "issued_at", json_object_get(c, "issued_at"),
                           "valid_until", json_object_get(c, "valid_until"), "status",
                           json_object_get(c, "status")));
    }
    json_decref(all);
    *list = out;
    return 0;
}

int certs_open(struct store *st, struct crypto_keyring *kr, struct identity *id, struct certs **out,
               struct err *err)
{
    struct certs *cs = calloc(1, sizeof(*cs));
    if (cs == NULL)
        return err_set(err, 500, "certs.oom", "out of memory");
    cs->st = st;
    cs->kr = kr;
    cs->id = id;
    cs->result_ttl_ms = CERTS_RESULT_TTL_MS;
    pthread_mutex_init(&cs->vcache_lock, NULL);
    *out = cs;
    return 0;
}

void certs_close(struct certs *cs)
{
    if (cs == NULL)
        return;
    pthread_mutex_destroy(&cs->vcache_lock);
    free(cs->vcache);
    certs_rcache_free(cs);
    free(cs);
}

int certs_each_expiring(struct store *st, int64_t from, int64_t until, certs_brief_fn fn, void *ctx,
                        struct err *err)
{
    struct store_conn *c = store_conn(st, err);
    struct certs_brief *rows = malloc(sizeof(*rows) * CERTS_BRIEF_MAX);
    int64_t after = 0;
    int rc = c == NULL ? -1 : rows == NULL ? err_set(err, 500, "certs.oom", "out of memory") : 0;
    while (rc == 0) { /* a page at a time, collected before fn writes */
        size_t n = 0;
        rc = certs_db_expiring(c, from, until, after, rows, CERTS_BRIEF_MAX, &n, err);
        for (size_t i = 0; i < n && rc == 0; i++)
            if (fn(ctx, &rows[i]) < 0)
                rc = -1;
        if (rc < 0 || n < CERTS_BRIEF_MAX)
            break;
        after = rows[n - 1].id;
    }
    free(rows);
    return rc;
}

int certs_uses_of_holder(struct certs *cs, int64_t holder, int limit, json_t **list,
                         struct err *err)
{
    struct store_conn *c = store_conn(cs->st, err);
    if (limit < 1 || limit > 1000)
        limit = 1000;
    if (c == NULL || certs_db_uses_of_holder(c, holder, limit, list, err) < 0)
        return -1;
    name_departments(cs, *list);
    return 0;
}
