/*
 * certs_verify.c - verification by anyone (certs_verify): an identifier, a QR payload or
 * an exported certificate answers valid, expired, revoked, forged or not_found, naming the
 * check that failed; the cryptographic part is cached (below). No HTTP here.
 */
#include "certs/certs_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/id.h"
#include "crypto/crypto.h"
#include "identity/idcodes.h"
#include "seals/seals.h"
#include "store/store.h"

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* ---- verification ----------------------------------------------------------------------- */

static const char *check_of(enum seals_check c)
{
    switch (c) {
    case SEALS_OK:
        return NULL;
    case SEALS_DATA:
        return "data";
    case SEALS_SIGNATURE:
    case SEALS_MALFORMED:
        return "signature";
    case SEALS_SIGNER_CERT:
    case SEALS_SEAL:
        return "seal";
    case SEALS_CHAIN:
        return "chain";
    case SEALS_VALIDITY:
        return "validity";
    case SEALS_STATUS:
        return "seal_status";
    }
    return "signature";
}

static json_t *result_new(const char *status, const char *failed, const char *message,
                          const char *identifier)
{
    return json_pack("{s:s, s:s?, s:s, s:s}", "status", status, "failed", failed, "diagnostic",
                     message, "identifier", identifier ? identifier : "");
}

/* ---- the verification cache ------------------------------------------------------------
 * The cryptographic part of a verification (parsing, the maker's and the signer's SM2
 * signatures, the chain to a trusted root, validity at signing time) depends only on the
 * signed bytes and the trust list, so its outcome is kept in memory under SM3(data hash ||
 * signature || trust-list size): any changed byte is a different key and is checked again.
 * The seal's revocation is looked up on every request. Bounded, direct-mapped. */

#define VCACHE_SLOTS 4096

struct certs_vcache_slot {
    unsigned char key[32];
    int used;
    struct seals_report rep;
};

static int verify_cached(struct certs *cs, const unsigned char hash[32], const unsigned char *sig,
                         size_t sig_len, struct seals_report *rep, struct err *err)
{
    struct store *st = cs->st;
    int64_t roots = 0;
    if (seals_trust_count(st, &roots, err) < 0)
        return -1;
    unsigned char key[32];
    struct crypto_sm3 *h = crypto_sm3_new();
    if (h == NULL || crypto_sm3_update(h, hash, 32) < 0 || crypto_sm3_update(h, sig, sig_len) < 0 ||
        crypto_sm3_update(h, &roots, sizeof(roots)) < 0 || crypto_sm3_final(h, key) < 0) {
        crypto_sm3_free(h);
        return err_set(err, 500, "certs.crypto", "SM3 failed");
    }
    crypto_sm3_free(h);
    size_t slot = ((size_t)key[0] << 8 | key[1]) % VCACHE_SLOTS;
    pthread_mutex_lock(&cs->vcache_lock);
    if (cs->vcache == NULL)
        cs->vcache = calloc(VCACHE_SLOTS, sizeof(*cs->vcache));
    int hit =
        cs->vcache != NULL && cs->vcache[slot].used && memcmp(cs->vcache[slot].key, key, 32) == 0;
    if (hit)
        *rep = cs->vcache[slot].rep;
    pthread_mutex_unlock(&cs->vcache_lock);
    if (hit) {
        if (rep->failed == SEALS_OK) {
            int revoked = seals_is_revoked(st, rep->es_id, err);
            if (revoked < 0)
                return -1;
            if (revoked) {
                rep->failed = SEALS_STATUS;
                snprintf(rep->message, sizeof(rep->message), "the seal has been revoked");
            }
        }
        return 0;
    }
    if (seals_verify(st, sig, sig_len, hash, rep, err) < 0)
        return -1;
    if (rep->failed != SEALS_STATUS) {
        pthread_mutex_lock(&cs->vcache_lock);
        if (cs->vcache != NULL) {
            memcpy(cs->vcache[slot].key, key, 32);
            cs->vcache[slot].rep = *rep;
            cs->vcache[slot].used = 1;
        }
        pthread_mutex_unlock(&cs->vcache_lock);
    }
    return 0;
}

/* Verify a document and its SES_Signature for `identifier`; `row` (may be NULL) is the
 * local register's entry for status. */
static int verify_bundle(struct certs *cs, const char *identifier, const char *doc_text,
                         const unsigned char *sig, size_t sig_len, const struct certs_row *row,
                         json_t **out, struct err *err)
{
    if (!certs_identifier_valid(identifier)) {
        *out =
            result_new("forged", "identifier",
                       "the identifier's check character is wrong or it is malformed", identifier);
        return 0;
    }
    json_t *doc = doc_text ? json_loads(doc_text, 0, NULL) : NULL;
    if (doc == NULL || strcmp(str(doc, "identifier"), identifier) != 0) {
        json_decref(doc);
        *out = result_new("forged", "data", "the certificate's data is damaged or not its own",
                          identifier);
        return 0;
    }
    unsigned char hash[32];
    crypto_sm3(doc_text, strlen(doc_text), hash);
    struct seals_report rep;
    if (verify_cached(cs, hash, sig, sig_len, &rep, err) < 0) {
        json_decref(doc);
        return -1;
    }
    const char *failed = check_of(rep.failed);
    int64_t until = json_integer_value(json_object_get(doc, "valid_until"));
    const char *status = "valid";
    if (failed != NULL)
        status = strcmp(failed, "seal_status") == 0 ? "revoked" : "forged";
    else if (row != NULL && strcmp(row->status, "revoked") == 0)
        status = "revoked";
    else if (until > 0 && until < time_now_ms())
        status = "expired";
    json_t *holder = json_object_get(doc, "holder");
    char mname[128], mid[IDCODE_LEN + 1] = "";
    certs_mask_name(str(holder, "name"), mname, sizeof(mname));
    if (strlen(str(holder, "id_number")) == IDCODE_LEN)
        idcode_mask(str(holder, "id_number"), 4, 4, mid);
    json_t *type = NULL;
    struct err e2;
    if (certs_type_get(cs->st, str(doc, "type"), &type, &e2) < 0)
        type =
            json_pack("{s:s, s:{s:s}}", "code", str(doc, "type"), "name", "zh", str(doc, "type"));
    *out = json_pack(
        "{s:s, s:s?, s:s, s:s, s:{s:s, s:O}, s:{s:s, s:s, s:s, s:s, s:b}, s:I, "
        "s:I, s:{s:s, s:s}, s:{s:s, s:s, s:s, s:I}}",
        "status", status, "failed", failed, "diagnostic",
        failed ? rep.message : (strcmp(status, "valid") == 0 ? "every check holds" : status),
        "identifier", identifier, "type", "code", str(doc, "type"), "name",
        json_object_get(type, "name"), "issuer", "code",
        str(json_object_get(doc, "issuer"), "code"), "department",
        str(json_object_get(doc, "issuer"), "department"), "name",
        str(json_object_get(doc, "issuer"), "name"), "root", rep.root_name, "root_platform",
        rep.root_platform, "issued_at",
        (json_int_t)json_integer_value(json_object_get(doc, "issued_at")), "valid_until",
        (json_int_t)until, "holder", "name", mname, "id_number", mid, "seal", "es_id", rep.es_id,
        "name", rep.seal_name, "type", rep.seal_type, "signed_at", (json_int_t)rep.signed_at_ms);
    json_decref(type);
    json_decref(doc);
    return *out ? 0 : err_set(err, 500, "certs.oom", "out of memory");
}

static int verify_identifier(struct certs *cs, const char *id, json_t **out, struct err *err)
{
    struct store *st = cs->st;
    struct crypto_keyring *kr = cs->kr;
    if (!certs_identifier_valid(id)) {
        *out = result_new("forged", "identifier",
                          "the identifier's check character is wrong or it is malformed", id);
        return 0;
    }
    struct store_conn *c = store_conn(st, err);
    struct certs_row row;
    int found = 0;
    if (c == NULL || certs_db_get(c, id, &row, &found, err) < 0)
        return -1;
    if (!found) {
        *out = result_new("not_found", NULL, "no certificate with this identifier was issued here",
                          id);
        return 0;
    }
    char *doc = certs_open_value(kr, "document", row.id, row.document, row.document_len);
    int rc;
    if (doc == NULL) {
        *out = result_new("forged", "data", "the stored certificate data has been altered", id);
        rc = 0;
    } else {
        rc = verify_bundle(cs, id, doc, row.signature, row.signature_len, &row, out, err);
    }
    certs_free_text(doc);
    certs_row_free(&row);
    return rc;
}

/* ---- the result cache -------------------------------------------------------------------
 * A verification by identifier (the API's, the QR code's and the page's common case) reads
 * the register row, opens the sealed document, hashes the 30 kB SES_Signature for the
 * verification cache key, parses the document and looks up the seal's status and the type:
 * about 190 us of CPU. Its result is kept here, by identifier, for CERTS_RESULT_TTL_MS, and
 * dropped at once when this process revokes a certificate or changes a seal's status or the
 * trust list (the generations), so a revocation on this node shows on the next request and
 * one on another node (sharing the database) within CERTS_RESULT_TTL_MS. A result that was
 * valid is not served past the certificate's valid_until. Bounded, direct-mapped. */

#define RCACHE_SLOTS 1024

struct certs_rcache_slot {
    char identifier[CERTS_ID_SIZE];
    int64_t loaded_us; /* monotonic */
    uint64_t gen_certs, gen_seals;
    int64_t stale_at_ms; /* wall clock: valid_until for a valid result, else 0 */
    json_t *result;      /* never modified after it is stored; copies go out */
};

void certs_rcache_free(struct certs *cs)
{
    if (cs->rcache == NULL)
        return;
    for (size_t i = 0; i < RCACHE_SLOTS; i++)
        json_decref(cs->rcache[i].result);
    free(cs->rcache);
    cs->rcache = NULL;
}

static size_t rcache_slot(const char *id)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return (size_t)(h % RCACHE_SLOTS);
}

static json_t *rcache_get(struct certs *cs, const char *id)
{
    json_t *out = NULL;
    size_t i = rcache_slot(id);
    int64_t now_us = time_mono_us(), now_ms = time_now_ms();
    pthread_mutex_lock(&cs->vcache_lock);
    struct certs_rcache_slot *e = cs->rcache ? &cs->rcache[i] : NULL;
    if (e != NULL && e->result != NULL && strcmp(e->identifier, id) == 0 &&
        now_us - e->loaded_us < (int64_t)cs->result_ttl_ms * 1000 &&
        e->gen_certs == certs_generation() && e->gen_seals == seals_generation() &&
        (e->stale_at_ms <= 0 || now_ms < e->stale_at_ms))
        out = json_deep_copy(e->result);
    pthread_mutex_unlock(&cs->vcache_lock);
    return out;
}

static void rcache_put(struct certs *cs, const char *id, uint64_t gen_certs, uint64_t gen_seals,
                       int64_t loaded_us, const json_t *result)
{
    if (strlen(id) >= CERTS_ID_SIZE)
        return;
    const char *status = json_string_value(json_object_get(result, "status"));
    int64_t until = json_integer_value(json_object_get(result, "valid_until"));
    json_t *copy = json_deep_copy(result);
    if (copy == NULL)
        return;
    size_t i = rcache_slot(id);
    pthread_mutex_lock(&cs->vcache_lock);
    if (cs->rcache == NULL)
        cs->rcache = calloc(RCACHE_SLOTS, sizeof(*cs->rcache));
    if (cs->rcache != NULL) {
        struct certs_rcache_slot *e = &cs->rcache[i];
        json_decref(e->result);
        snprintf(e->identifier, sizeof(e->identifier), "%s", id);
        e->loaded_us = loaded_us;
        e->gen_certs = gen_certs;
        e->gen_seals = gen_seals;
        e->stale_at_ms = status && strcmp(status, "valid") == 0 && until > 0 ? until : 0;
        e->result = copy;
        copy = NULL;
    }
    pthread_mutex_unlock(&cs->vcache_lock);
    json_decref(copy);
}

/* verify_identifier through the result cache. */
static int verify_identifier_cached(struct certs *cs, const char *id, json_t **out, struct err *err)
{
    if (cs->result_ttl_ms <= 0)
        return verify_identifier(cs, id, out, err);
    if ((*out = rcache_get(cs, id)) != NULL)
        return 0;
    /* the generations and the time before the read: a revocation committed meanwhile makes
     * the entry stale rather than hiding behind it */
    uint64_t gc = certs_generation(), gs = seals_generation();
    int64_t t0 = time_mono_us();
    if (verify_identifier(cs, id, out, err) < 0)
        return -1;
    rcache_put(cs, id, gc, gs, t0, *out);
    return 0;
}

int certs_verify(struct certs *cs, const char *q, json_t **result, struct err *err)
{
    struct store *st = cs->st;
    if (q == NULL)
        q = "";
    while (*q == ' ' || *q == '\n' || *q == '\r' || *q == '\t')
        q++;
    size_t n = strlen(q);
    while (n > 0 && (q[n - 1] == ' ' || q[n - 1] == '\n' || q[n - 1] == '\r' || q[n - 1] == '\t'))
        n--;
    if (n == 0)
        return err_set(err, 400, "certs.verify_empty", "give an identifier or a QR payload");
    char *t = strndup(q, n);
    if (t == NULL)
        return err_set(err, 500, "certs.oom", "out of memory");
    int rc;
    if (t[0] == '{') {
        /* an exported certificate: {identifier, document, signature (base64url)} */
        json_t *j = json_loads(t, 0, NULL);
        const char *id = str(j, "identifier"), *doc64 = str(j, "document"),
                   *sig64 = str(j, "signature");
        size_t cap = strlen(sig64) + 4, sig_len = 0, dcap = strlen(doc64) + 4, dlen = 0;
        unsigned char *sig = malloc(cap);
        char *doc = malloc(dcap);
        if (j == NULL || sig == NULL || doc == NULL || !*id ||
            crypto_b64url_decode(sig64, strlen(sig64), sig, cap, &sig_len) < 0 ||
            crypto_b64url_decode(doc64, strlen(doc64), doc, dcap - 1, &dlen) < 0 ||
            memchr(doc, 0, dlen) != NULL || (doc[dlen] = '\0', 0)) {
            rc = err_set(err, 400, "certs.bad_export",
                         "an exported certificate is JSON with identifier, document and "
                         "signature (base64url)");
        } else {
            struct store_conn *c = store_conn(st, err);
            struct certs_row row;
            int found = 0;
            if (c == NULL || certs_db_get(c, id, &row, &found, err) < 0)
                rc = -1;
            else {
                rc = verify_bundle(cs, id, doc, sig, sig_len, found ? &row : NULL, result, err);
                if (found)
                    certs_row_free(&row);
            }
        }
        free(sig);
        free(doc);
        json_decref(j);
    } else if (strncmp(t, CERTS_PREFIX, strlen(CERTS_PREFIX)) == 0) {
        rc = verify_identifier_cached(cs, t, result, err);
    } else {
        rc = certs_qr_verify_online(cs, t, result, err);
    }
    free(t);
    return rc;
}
