/*
 * seals.c - the platform root, making seals (制章), using them (用章) and verifying
 * signatures (验章). No HTTP here. Structures: seals_internal.h; design:
 * docs/internals/seals.md.
 */
#include "seals/seals_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "audit/audit.h"
#include "base/id.h"
#include "crypto/crypto.h"
#include "store/store.h"

#define ROOT_NAME "onewindow platform root"
#define ROOT_ORG "onewindow"
#define ROOT_YEARS 20
#define YEAR_MS (365LL * 24 * 3600 * 1000)

static const char *const type_names[] = {SEALS_TYPE_OFFICIAL, SEALS_TYPE_CERT, SEALS_TYPE_CONTRACT,
                                         SEALS_TYPE_FINANCE};

int seals_type_valid(const char *t)
{
    for (size_t i = 0; t != NULL && i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (strcmp(t, type_names[i]) == 0)
            return 1;
    return 0;
}

static int type_number(const char *t)
{
    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (strcmp(t, type_names[i]) == 0)
            return (int)i + 1;
    return 0;
}

const char *seals_check_name(enum seals_check c)
{
    switch (c) {
    case SEALS_OK:
        return "ok";
    case SEALS_MALFORMED:
        return "malformed";
    case SEALS_DATA:
        return "data";
    case SEALS_SIGNATURE:
        return "signature";
    case SEALS_SIGNER_CERT:
        return "signer_cert";
    case SEALS_SEAL:
        return "seal";
    case SEALS_CHAIN:
        return "chain";
    case SEALS_VALIDITY:
        return "validity";
    case SEALS_STATUS:
        return "status";
    }
    return "unknown";
}

/* ---- keys sealed under the keyring --------------------------------------------------- */

static int seal_private(struct crypto_keyring *kr, const struct crypto_key *k, const char *ad,
                        unsigned char **out, size_t *out_len)
{
    char *pem = NULL;
    size_t len = 0;
    if (crypto_key_private_pem(k, &pem, &len) < 0)
        return -1;
    unsigned char *buf = malloc(len + CRYPTO_AEAD_OVERHEAD);
    int rc = -1;
    if (buf != NULL &&
        crypto_aead_seal(crypto_keyring_aead(kr, CRYPTO_AEAD_SECRETS), ad, strlen(ad), pem, len,
                         buf, len + CRYPTO_AEAD_OVERHEAD, out_len) == 0) {
        *out = buf;
        buf = NULL;
        rc = 0;
    }
    free(buf);
    crypto_free_secret(pem, len);
    return rc;
}

static int open_private(struct crypto_keyring *kr, const unsigned char *sealed, size_t n,
                        const char *ad, struct crypto_key **out, struct err *err)
{
    if (n <= CRYPTO_AEAD_OVERHEAD)
        return err_set(err, 500, "seals.key", "a stored seal key is unreadable");
    size_t cap = n - CRYPTO_AEAD_OVERHEAD + 1, len = 0;
    char *pem = malloc(cap);
    if (pem == NULL)
        return err_set(err, 500, "seals.oom", "out of memory");
    int rc = -1;
    if (crypto_aead_open(crypto_keyring_aead(kr, CRYPTO_AEAD_SECRETS), ad, strlen(ad), sealed, n,
                         (unsigned char *)pem, cap, &len) == 0) {
        pem[len] = '\0';
        rc = crypto_key_from_pem(CRYPTO_KEY_SM2, pem, len, out, err);
    } else {
        err_set(err, 500, "seals.key", "a stored seal key does not open with this keyring");
    }
    crypto_free_secret(pem, cap);
    return rc;
}

/* The seal's key, decoded through the key cache (seals_keycache.c): a seal signs the
 * receipts of every payment notification twice, and opening and parsing its sealed PEM
 * took a fifth of a signature's time. */
static int seal_key(struct crypto_keyring *kr, const struct seals_row *row, struct crypto_key **k,
                    struct err *err)
{
    if ((*k = seals_key_cache_get(kr, row->id, row->private_sealed, row->private_len)) != NULL)
        return 0;
    char ad[64];
    snprintf(ad, sizeof(ad), "seals.private_sealed:%lld", (long long)row->id);
    if (open_private(kr, row->private_sealed, row->private_len, ad, k, err) < 0)
        return -1;
    seals_key_cache_put(kr, row->id, row->private_sealed, row->private_len, *k);
    return 0;
}

/* ---- the root -------------------------------------------------------------------------- */

static int load_root_key(struct store_conn *c, struct crypto_keyring *kr, struct crypto_key **key,
                         struct seals_root_row *row, struct err *err)
{
    int found = 0;
    if (seals_db_root_platform(c, row, &found, err) < 0)
        return -1;
    if (!found || row->private_sealed == NULL)
        return err_set(err, 500, "seals.no_root",
                       "the platform has no trust root: run `onewindow init`");
    char ad[64];
    snprintf(ad, sizeof(ad), "trust_roots.private_sealed:%lld", (long long)row->id);
    if (open_private(kr, row->private_sealed, row->private_len, ad, key, err) < 0) {
        seals_root_row_free(row);
        return -1;
    }
    return 0;
}

int seals_root_ensure(struct store *st, struct crypto_keyring *kr, struct err *err)
{
    struct store_conn *c = store_conn(st, err);
    if (c == NULL)
        return -1;
    struct seals_root_row row;
    int found = 0;
    if (seals_db_root_platform(c, &row, &found, err) < 0)
        return -1;
    if (found) {
        seals_root_row_free(&row);
        return 0;
    }
    struct crypto_key *k = NULL;
    unsigned char *der = NULL, *sealed = NULL;
    size_t der_len = 0, sealed_len = 0;
    int rc = -1;
    int64_t id = id_next(), now = time_now_ms();
    char ad[64], fp[65];
    snprintf(ad, sizeof(ad), "trust_roots.private_sealed:%lld", (long long)id);
    if (crypto_key_generate(CRYPTO_KEY_SM2, &k) < 0 ||
        seals_x509_make(k, k, NULL, ROOT_NAME, ROOT_ORG, now - 60000, now + ROOT_YEARS * YEAR_MS, 1,
                        &der, &der_len) < 0 ||
        seal_private(kr, k, ad, &sealed, &sealed_len) < 0 ||
        seals_fingerprint(der, der_len, fp) < 0) {
        err_set(err, 500, "seals.crypto", "the trust root could not be made");
        goto out;
    }
    struct audit_event ev = {0, "seals.root_create", "trust_root:platform", "ok", NULL, fp};
    if (store_begin(c, err) < 0)
        goto out;
    if (seals_db_root_insert(c, id, "platform", ROOT_NAME, der, der_len, fp, sealed, sealed_len, 0,
                             err) < 0 ||
        audit_record(c, &ev, err) < 0) {
        store_rollback(c);
        goto out;
    }
    if (store_commit(c, err) < 0)
        goto out;
    rc = 1;
out:
    OPENSSL_free(der);
    free(sealed);
    crypto_key_free(k);
    return rc;
}

int seals_root_der(struct store *st, unsigned char **der, size_t *len, struct err *err)
{
    struct store_conn *c = store_conn(st, err);
    if (c == NULL)
        return -1;
    struct seals_root_row row;
    int found = 0;
    if (seals_db_root_platform(c, &row, &found, err) < 0)
        return -1;
    if (!found)
        return err_set(err, 404, "seals.no_root", "the platform has no trust root yet");
    *der = row.cert_der;
    *len = row.cert_len;
    row.cert_der = NULL;
    seals_root_row_free(&row);
    return 0;
}

int seals_root_pem(struct store *st, char **pem, struct err *err)
{
    unsigned char *der = NULL;
    size_t len = 0;
    if (seals_root_der(st, &der, &len, err) < 0)
        return -1;
    X509 *x = seals_x509_parse(der, len);
    free(der);
    BIO *b = BIO_new(BIO_s_mem());
    int rc = -1;
    if (x != NULL && b != NULL && PEM_write_bio_X509(b, x) == 1) {
        char *p = NULL;
        long n = BIO_get_mem_data(b, &p);
        *pem = malloc((size_t)n + 1);
        if (*pem != NULL) {
            memcpy(*pem, p, (size_t)n);
            (*pem)[n] = '\0';
            rc = 0;
        }
    }
    BIO_free(b);
    X509_free(x);
    return rc < 0 ? err_set(err, 500, "seals.crypto", "the root certificate is unreadable") : 0;
}

int seals_trust_add(struct store *st, int64_t actor, const char *name, const char *pem,
                    int64_t *id_out, struct err *err)
{
    if (name == NULL || *name == '\0' || strlen(name) > 120 || pem == NULL || strlen(pem) > 65536)
        return err_set(err, 400, "seals.bad_input", "a name and a PEM certificate are needed");
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (x == NULL)
        return err_set(err, 400, "seals.bad_cert", "that is not a PEM X.509 certificate");
    EVP_PKEY *pk = X509_get0_pubkey(x);
    int sm2 = pk != NULL && EVP_PKEY_is_a(pk, "SM2");
    if (!sm2 || seals_x509_signed_by(x, x) < 0) {
        X509_free(x);
        return err_set(err, 400, "seals.bad_cert",
                       "the certificate is not a self-signed SM2 root (default SM2 ID)");
    }
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    X509_free(x);
    if (n <= 0)
        return err_set(err, 400, "seals.bad_cert", "the certificate cannot be encoded");
    char fp[65];
    int64_t id = id_next();
    int rc = -1;
    struct store_conn *c = store_conn(st, err);
    if (c == NULL || seals_fingerprint(der, (size_t)n, fp) < 0)
        goto out;
    char obj[64];
    snprintf(obj, sizeof(obj), "trust_root:%lld", (long long)id);
    struct audit_event ev = {actor, "seals.trust_add", obj, "ok", NULL, fp};
    if (store_begin(c, err) < 0)
        goto out;
    if (seals_db_root_insert(c, id, "trusted", name, der, (size_t)n, fp, NULL, 0, actor, err) < 0 ||
        audit_record(c, &ev, err) < 0) {
        store_rollback(c);
        if (strcmp(err->code, "store.conflict") == 0)
            err_set(err, 409, "seals.trust_exists", "that root is already on the trust list");
        goto out;
    }
    if (store_commit(c, err) < 0)
        goto out;
    seals_bump_generation();
    if (id_out)
        *id_out = id;
    rc = 0;
out:
    OPENSSL_free(der);
    return rc;
}

int seals_trust_list(struct store *st, json_t **list, struct err *err)
{
    struct store_conn *c = store_conn(st, err);
    return c == NULL ? -1 : seals_db_roots_json(c, list, err);
}

int seals_trust_count(struct store *st, int64_t *n, struct err *err)
{
    struct store_conn *c = store_conn(st, err);
    return c == NULL ? -1 : seals_db_roots_count(c, n, err);
}

/* ---- making a seal --------------------------------------------------------------------- */

static ASN1_GENERALIZEDTIME *gtime(int64_t ms)
{
    return ASN1_GENERALIZEDTIME_set(NULL, (time_t)(ms / 1000));
}

static int ia5(ASN1_IA5STRING **dst, const char *s)
{
    if (*dst == NULL && (*dst = ASN1_IA5STRING_new()) == NULL)
        return -1;
    return ASN1_STRING_set(*dst, s, -1) == 1 ? 0 : -1;
}

/* Sign DER bytes with a key into a BIT STRING. */
static int sign_bits(const struct crypto_key *k, const unsigned char *msg, size_t n,
                     ASN1_BIT_STRING *out)
{
    unsigned char sig[CRYPTO_SM2_SIG_MAX];
    size_t sig_len = 0;
    if (crypto_sm2_sign(k, msg, n, sig, sizeof(sig), &sig_len) < 0)
        return -1;
    return seals_bits_set(out, sig, sig_len);
}

/* The SESeal (GM/T 0031): the seal's information, its certificate and picture, signed by the
 * maker (the platform root). Its DER in *out (OPENSSL_free) and its length; <= 0 on failure. */
static int eseal_encode(const struct seals_row *row, const struct seals_make_req *r,
                        const unsigned char *cert_der, size_t cert_len, struct crypto_key *rootk,
                        const struct seals_root_row *root, int64_t now, unsigned char **out)
{
    OW_SESEAL *seal = NULL;
    unsigned char *info_der = NULL;
    int len = -1;
    if ((seal = OW_SESEAL_new()) == NULL)
        goto out;
    OW_SES_SEALINFO *info = seal->info;
    ASN1_OCTET_STRING *cl = ASN1_OCTET_STRING_new();
    if (ia5(&info->header->id, "ES") < 0 || ASN1_INTEGER_set(info->header->version, 4) != 1 ||
        ia5(&info->header->vid, "onewindow") < 0 || ia5(&info->es_id, row->es_id) < 0 ||
        ASN1_INTEGER_set(info->property->type, type_number(r->type)) != 1 ||
        ASN1_STRING_set(info->property->name, r->name, -1) != 1 ||
        ASN1_INTEGER_set(info->property->cert_list_type, 1) != 1 || cl == NULL ||
        ASN1_OCTET_STRING_set(cl, cert_der, (int)cert_len) != 1 ||
        !sk_ASN1_OCTET_STRING_push(info->property->cert_list, cl)) {
        ASN1_OCTET_STRING_free(cl);
        goto out;
    }
    ASN1_GENERALIZEDTIME_free(info->property->create_date);
    ASN1_GENERALIZEDTIME_free(info->property->valid_start);
    ASN1_GENERALIZEDTIME_free(info->property->valid_end);
    info->property->create_date = gtime(now);
    info->property->valid_start = gtime(r->valid_from_ms);
    info->property->valid_end = gtime(r->valid_to_ms);
    if (!info->property->create_date || !info->property->valid_start ||
        !info->property->valid_end || ia5(&info->picture->type, "PNG") < 0 ||
        ASN1_OCTET_STRING_set(info->picture->data, row->picture, (int)row->picture_len) != 1 ||
        ASN1_INTEGER_set(info->picture->width, 40) != 1 ||
        ASN1_INTEGER_set(info->picture->height, 40) != 1)
        goto out;
    int info_len = i2d_OW_SES_SEALINFO(info, &info_der);
    ASN1_OBJECT_free(seal->sign_alg);
    seal->sign_alg = OBJ_txt2obj(SEALS_OID_SM2_SM3, 1);
    if (info_len <= 0 || seal->sign_alg == NULL ||
        ASN1_OCTET_STRING_set(seal->cert, root->cert_der, (int)root->cert_len) != 1 ||
        sign_bits(rootk, info_der, (size_t)info_len, seal->signed_value) < 0)
        goto out;
    len = i2d_OW_SESEAL(seal, out);
out:
    OPENSSL_free(info_der);
    OW_SESEAL_free(seal);
    return len;
}

int seals_make(struct store *st, struct crypto_keyring *kr, int64_t actor,
               const struct seals_make_req *r, int64_t *seal_id, struct err *err)
{
    if (r == NULL || r->department_id <= 0 || !seals_type_valid(r->type) || r->name == NULL ||
        *r->name == '\0' || strlen(r->name) > 190 || r->valid_to_ms <= r->valid_from_ms ||
        (r->png != NULL && (r->png_len < 8 || r->png_len > 512 * 1024 ||
                            memcmp(r->png, "\x89PNG\r\n\x1a\n", 8) != 0)))
        return err_set(err, 400, "seals.bad_input",
                       "a seal needs a department, a known type, a name, a validity window and "
                       "a PNG picture (at most 512 KiB) or none");
    struct store_conn *c = store_conn(st, err);
    if (c == NULL)
        return -1;
    struct seals_root_row root;
    struct crypto_key *rootk = NULL, *k = NULL;
    X509 *rootx = NULL;
    struct seals_row row;
    memset(&row, 0, sizeof(row));
    unsigned char *cert_der = NULL, *eseal_der = NULL;
    int rc = -1;
    if (load_root_key(c, kr, &rootk, &root, err) < 0)
        return -1;
    rootx = seals_x509_parse(root.cert_der, root.cert_len);
    int64_t now = time_now_ms();
    row.id = id_next();
    snprintf(row.es_id, sizeof(row.es_id), "OW%lld", (long long)row.id);
    row.department_id = r->department_id;
    snprintf(row.type, sizeof(row.type), "%s", r->type);
    snprintf(row.name, sizeof(row.name), "%s", r->name);
    row.valid_from = r->valid_from_ms;
    row.valid_to = r->valid_to_ms;
    if (r->png != NULL) {
        row.picture = malloc(r->png_len);
        if (row.picture == NULL)
            goto crypto_fail;
        memcpy(row.picture, r->png, r->png_len);
        row.picture_len = r->png_len;
    } else if (seals_render_picture(r->rim_text ? r->rim_text : r->name, r->name, 300, &row.picture,
                                    &row.picture_len, err) < 0) {
        goto out;
    }
    size_t cert_len = 0;
    char cn[200];
    snprintf(cn, sizeof(cn), "%s", r->name);
    if (rootx == NULL || crypto_key_generate(CRYPTO_KEY_SM2, &k) < 0 ||
        seals_x509_make(k, rootk, rootx, cn, r->rim_text ? r->rim_text : ROOT_ORG, r->valid_from_ms,
                        r->valid_to_ms, 0, &cert_der, &cert_len) < 0)
        goto crypto_fail;
    char ad[64];
    snprintf(ad, sizeof(ad), "seals.private_sealed:%lld", (long long)row.id);
    if (seal_private(kr, k, ad, &row.private_sealed, &row.private_len) < 0)
        goto crypto_fail;

    int eseal_len = eseal_encode(&row, r, cert_der, cert_len, rootk, &root, now, &eseal_der);
    if (eseal_len <= 0)
        goto crypto_fail;
    row.cert_der = malloc(cert_len);
    row.eseal = malloc((size_t)eseal_len);
    if (row.cert_der == NULL || row.eseal == NULL)
        goto crypto_fail;
    memcpy(row.cert_der, cert_der, cert_len);
    row.cert_len = cert_len;
    memcpy(row.eseal, eseal_der, (size_t)eseal_len);
    row.eseal_len = (size_t)eseal_len;

    char obj[64], detail[240];
    snprintf(obj, sizeof(obj), "seal:%lld", (long long)row.id);
    snprintf(detail, sizeof(detail), "department %lld, type %s, es_id %s",
             (long long)r->department_id, r->type, row.es_id);
    struct audit_event ev = {actor, "seals.make", obj, "ok", NULL, detail};
    if (store_begin(c, err) < 0)
        goto out;
    if (seals_db_seal_insert(c, &row, actor, now, err) < 0 || audit_record(c, &ev, err) < 0) {
        store_rollback(c);
        goto out;
    }
    if (store_commit(c, err) < 0)
        goto out;
    *seal_id = row.id;
    rc = 0;
    goto out;
crypto_fail:
    err_set(err, 500, "seals.crypto", "the seal could not be made");
out:
    OPENSSL_free(cert_der);
    OPENSSL_free(eseal_der);
    X509_free(rootx);
    crypto_key_free(k);
    crypto_key_free(rootk);
    seals_root_row_free(&root);
    seals_row_free(&row);
    return rc;
}

int seals_set_status(struct store *st, int64_t actor, int64_t seal_id, const char *status,
                     struct err *err)
{
    if (status == NULL || (strcmp(status, "active") != 0 && strcmp(status, "suspended") != 0 &&
                           strcmp(status, "revoked") != 0))
        return err_set(err, 400, "seals.bad_status",
                       "a seal's status is active, suspended or revoked");
    struct store_conn *c = store_conn(st, err);
    if (c == NULL)
        return -1;
    struct seals_row row;
    int found = 0;
    if (store_begin(c, err) < 0)
        return -1;
    if (seals_db_seal_get(c, seal_id, NULL, &row, &found, err) < 0)
        goto fail;
    if (!found) {
        err_set(err, 404, "seals.not_found", "no seal has the id %lld", (long long)seal_id);
        goto fail;
    }
    int revoked = strcmp(row.status, "revoked") == 0;
    seals_row_free(&row);
    if (revoked) {
        err_set(err, 409, "seals.bad_status", "the seal is revoked: revocation is final");
        goto fail;
    }
    char obj[64];
    snprintf(obj, sizeof(obj), "seal:%lld", (long long)seal_id);
    struct audit_event ev = {actor, "seals.status", obj, "ok", NULL, status};
    if (seals_db_seal_status(c, seal_id, status, time_now_ms(), NULL, err) < 0 ||
        audit_record(c, &ev, err) < 0)
        goto fail;
    if (store_commit(c, err) < 0)
        return -1;
    seals_bump_generation();
    seals_key_cache_drop(seal_id);
    return 0;
fail:
    store_rollback(c);
    return -1;
}

int seals_list(struct store *st, int64_t department_id, json_t **list, struct err *err)
{
    struct store_conn *c = store_conn(st, err);
    return c == NULL ? -1 : seals_db_seals_json(c, department_id, list, err);
}

int seals_find_active(struct store *st, int64_t department_id, const char *type, int64_t now_ms,
                      int64_t *seal_id, struct err *err)
{
    struct store_conn *c = store_conn(st, err);
    int found = 0;
    if (c == NULL ||
        seals_db_seal_find_active(c, department_id, type, now_ms, seal_id, &found, err) < 0)
        return -1;
    if (!found)
        return err_set(err, 409, "seals.no_seal", "the department has no active %s seal valid now",
                       type);
    return 0;
}

static int seal_blob(struct store *st, int64_t seal_id, int which, unsigned char **out, size_t *len,
                     struct err *err)
{
    struct store_conn *c = store_conn(st, err);
    struct seals_row row;
    int found = 0;
    if (c == NULL || seals_db_seal_get(c, seal_id, NULL, &row, &found, err) < 0)
        return -1;
    if (!found)
        return err_set(err, 404, "seals.not_found", "no seal has the id %lld", (long long)seal_id);
    if (which == 0) {
        *out = row.picture;
        *len = row.picture_len;
        row.picture = NULL;
    } else {
        *out = row.cert_der;
        *len = row.cert_len;
        row.cert_der = NULL;
    }
    seals_row_free(&row);
    return 0;
}

int seals_picture(struct store *st, int64_t seal_id, unsigned char **png, size_t *len,
                  struct err *err)
{
    return seal_blob(st, seal_id, 0, png, len, err);
}

int seals_cert_der(struct store *st, int64_t seal_id, unsigned char **der, size_t *len,
                   struct err *err)
{
    return seal_blob(st, seal_id, 1, der, len, err);
}

/* ---- using a seal ---------------------------------------------------------------------- */

int seals_sign(struct store *st, struct crypto_keyring *kr, int64_t actor, int64_t seal_id,
               const unsigned char hash[SEALS_HASH_LEN], const char *property, int in_tx,
               unsigned char **sig, size_t *sig_len, struct err *err)
{
    if (property == NULL || strlen(property) > 200)
        return err_set(err, 400, "seals.bad_input", "the property of a signature is too long");
    for (const char *p = property; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            return err_set(err, 400, "seals.bad_input", "the property must be printable ASCII");
    struct store_conn *c = store_conn(st, err);
    if (c == NULL)
        return -1;
    struct seals_row row;
    int found = 0, rc = -1;
    struct crypto_key *k = NULL;
    OW_SES_SIGNATURE *s = NULL;
    OW_SESEAL *seal = NULL;
    unsigned char *tbs = NULL, *out = NULL;
    if (seals_db_seal_get(c, seal_id, NULL, &row, &found, err) < 0)
        return -1;
    if (!found)
        return err_set(err, 404, "seals.not_found", "no seal has the id %lld", (long long)seal_id);
    int64_t now = time_now_ms();
    char obj[64], hex[65];
    snprintf(obj, sizeof(obj), "seal:%lld", (long long)seal_id);
    crypto_hex_encode(hash, SEALS_HASH_LEN, hex, sizeof(hex));
    if (strcmp(row.status, "active") != 0) {
        int rev = strcmp(row.status, "revoked") == 0;
        err_set(err, 409, rev ? "seals.revoked" : "seals.suspended",
                "the seal is %s: it signs nothing", row.status);
        struct audit_event ev = {actor, "seals.use", obj, "denied", NULL, row.status};
        struct err e2;
        if (!in_tx)
            audit_record(c, &ev, &e2);
        goto out;
    }
    if (now < row.valid_from || now > row.valid_to) {
        err_set(err, 409, "seals.expired", "the seal is outside its validity");
        goto out;
    }
    if (seal_key(kr, &row, &k, err) < 0)
        goto out;
    const unsigned char *p = row.eseal;
    seal = d2i_OW_SESEAL(NULL, &p, (long)row.eseal_len);
    s = OW_SES_SIGNATURE_new();
    if (seal == NULL || s == NULL)
        goto crypto_fail;
    OW_SESEAL_free(s->to_sign->eseal);
    s->to_sign->eseal = seal;
    seal = NULL;
    ASN1_GENERALIZEDTIME_free(s->to_sign->time_info);
    s->to_sign->time_info = gtime(now);
    ASN1_OBJECT_free(s->sig_alg);
    s->sig_alg = OBJ_txt2obj(SEALS_OID_SM2_SM3, 1);
    if (ASN1_INTEGER_set(s->to_sign->version, 4) != 1 || s->to_sign->time_info == NULL ||
        seals_bits_set(s->to_sign->data_hash, hash, SEALS_HASH_LEN) < 0 ||
        ia5(&s->to_sign->property_info, property) < 0 || s->sig_alg == NULL ||
        ASN1_OCTET_STRING_set(s->cert, row.cert_der, (int)row.cert_len) != 1)
        goto crypto_fail;
    int tbs_len = i2d_OW_TBS_SIGN(s->to_sign, &tbs);
    if (tbs_len <= 0 || sign_bits(k, tbs, (size_t)tbs_len, s->signature) < 0)
        goto crypto_fail;
    int n = i2d_OW_SES_SIGNATURE(s, &out);
    if (n <= 0)
        goto crypto_fail;
    *sig = malloc((size_t)n);
    if (*sig == NULL)
        goto crypto_fail;
    memcpy(*sig, out, (size_t)n);
    *sig_len = (size_t)n;
    char detail[280];
    snprintf(detail, sizeof(detail), "hash %s for %s", hex, property);
    struct audit_event ev = {actor, "seals.use", obj, "ok", NULL, detail};
    if (!in_tx && store_begin(c, err) < 0)
        goto fail_sig;
    if (seals_db_seal_use_insert(c, seal_id, actor, hex, property, now, err) < 0 ||
        audit_record(c, &ev, err) < 0) {
        if (!in_tx)
            store_rollback(c);
        goto fail_sig;
    }
    if (!in_tx && store_commit(c, err) < 0)
        goto fail_sig;
    rc = 0;
    goto out;
fail_sig:
    free(*sig);
    *sig = NULL;
    goto out;
crypto_fail:
    err_set(err, 500, "seals.crypto", "the signature could not be made");
out:
    OPENSSL_free(tbs);
    OPENSSL_free(out);
    OW_SESEAL_free(seal);
    OW_SES_SIGNATURE_free(s);
    crypto_key_free(k);
    seals_row_free(&row);
    return rc;
}

/* ---- verification ---------------------------------------------------------------------- */

static int fail_check(struct seals_report *r, enum seals_check c, const char *msg)
{
    if (r->failed == SEALS_OK) {
        r->failed = c;
        snprintf(r->message, sizeof(r->message), "%s", msg);
    }
    return 0;
}

/* Verify an SM2 signature (DER in a BIT STRING) by the key of `x` over `msg`. */
static int verify_by_cert(X509 *x, const unsigned char *msg, size_t n, const unsigned char *sig,
                          size_t sig_len)
{
    struct crypto_key *k = NULL;
    EVP_PKEY *pk = X509_get0_pubkey(x);
    if (pk == NULL || crypto_key_from_evp(CRYPTO_KEY_SM2, pk, &k) < 0)
        return -1;
    int rc = crypto_sm2_verify(k, msg, n, sig, sig_len);
    crypto_key_free(k);
    return rc;
}

/* Find the trusted root that issued `x` (or is `x`), checking the signature; its name in
 * `name`. 0 when found. */
/* Find the root on the trust list that signed `x`: its name, and whether it is the
 * platform's own (*platform 1) or another issuer's that an administrator trusts. */
static int chain_to_root(struct store *st, X509 *x, char *name, size_t name_size, int *platform,
                         struct err *err, int *internal)
{
    *internal = 0;
    struct store_conn *c = store_conn(st, err);
    struct seals_root_row *rows = NULL;
    size_t n = 0;
    if (c == NULL || seals_db_roots_all(c, &rows, &n, err) < 0) {
        *internal = 1;
        return -1;
    }
    int rc = -1;
    for (size_t i = 0; i < n && rc != 0; i++) {
        X509 *root = seals_x509_parse(rows[i].cert_der, rows[i].cert_len);
        if (root != NULL && seals_x509_signed_by(x, root) == 0) {
            snprintf(name, name_size, "%s", rows[i].name);
            if (platform != NULL)
                *platform = strcmp(rows[i].kind, "platform") == 0;
            rc = 0;
        }
        X509_free(root);
    }
    for (size_t i = 0; i < n; i++)
        seals_root_row_free(&rows[i]);
    free(rows);
    return rc;
}

int seals_signature_parts(const unsigned char *sig, size_t sig_len, unsigned char **to_sign,
                          size_t *to_sign_len, unsigned char **signature, size_t *signature_len,
                          unsigned char **cert_der, size_t *cert_len, struct err *err)
{
    if (sig == NULL || sig_len == 0 || sig_len > SEALS_MAX_DER)
        return err_set(err, 400, "seals.malformed", "not an SES_Signature");
    const unsigned char *p = sig;
    OW_SES_SIGNATURE *s = d2i_OW_SES_SIGNATURE(NULL, &p, (long)sig_len);
    if (s == NULL || p != sig + sig_len) {
        OW_SES_SIGNATURE_free(s);
        return err_set(err, 400, "seals.malformed", "not a DER SES_Signature");
    }
    unsigned char *tbs = NULL;
    int n = i2d_OW_TBS_SIGN(s->to_sign, &tbs);
    int rc = -1;
    if (n > 0) {
        *to_sign = malloc((size_t)n);
        *signature = malloc((size_t)s->signature->length + 1);
        *cert_der = malloc((size_t)s->cert->length + 1);
        if (*to_sign && *signature && *cert_der) {
            memcpy(*to_sign, tbs, (size_t)n);
            *to_sign_len = (size_t)n;
            memcpy(*signature, s->signature->data, (size_t)s->signature->length);
            *signature_len = (size_t)s->signature->length;
            memcpy(*cert_der, s->cert->data, (size_t)s->cert->length);
            *cert_len = (size_t)s->cert->length;
            rc = 0;
        } else {
            free(*to_sign);
            free(*signature);
            free(*cert_der);
        }
    }
    OPENSSL_free(tbs);
    OW_SES_SIGNATURE_free(s);
    return rc < 0 ? err_set(err, 500, "seals.oom", "out of memory") : 0;
}

int seals_verify(struct store *st, const unsigned char *sig, size_t sig_len,
                 const unsigned char hash[SEALS_HASH_LEN], struct seals_report *r, struct err *err)
{
    memset(r, 0, sizeof(*r));
    if (sig == NULL || sig_len == 0 || sig_len > SEALS_MAX_DER)
        return fail_check(r, SEALS_MALFORMED, "the signature is empty or too large");
    const unsigned char *p = sig;
    OW_SES_SIGNATURE *s = d2i_OW_SES_SIGNATURE(NULL, &p, (long)sig_len);
    X509 *signer = NULL, *maker = NULL;
    unsigned char *tbs = NULL, *info = NULL;
    int rc = 0, internal = 0;
    if (s == NULL || p != sig + sig_len) {
        fail_check(r, SEALS_MALFORMED, "the signature is not a DER SES_Signature");
        goto out;
    }
    OW_SESEAL *seal = s->to_sign->eseal;
    OW_SES_PROPERTY *prop = seal->info->property;
    snprintf(r->es_id, sizeof(r->es_id), "%.*s", seal->info->es_id->length,
             (const char *)seal->info->es_id->data);
    snprintf(r->seal_name, sizeof(r->seal_name), "%.*s", prop->name->length,
             (const char *)prop->name->data);
    long tn = ASN1_INTEGER_get(prop->type);
    if (tn >= 1 && (size_t)tn <= sizeof(type_names) / sizeof(type_names[0]))
        snprintf(r->seal_type, sizeof(r->seal_type), "%s", type_names[tn - 1]);
    snprintf(r->property, sizeof(r->property), "%.*s", s->to_sign->property_info->length,
             (const char *)s->to_sign->property_info->data);
    r->signed_at_ms = seals_time_ms(s->to_sign->time_info);
    long version = ASN1_INTEGER_get(s->to_sign->version);
    ASN1_OBJECT *want = OBJ_txt2obj(SEALS_OID_SM2_SM3, 1);
    int alg_ok =
        want != NULL && OBJ_cmp(want, s->sig_alg) == 0 && OBJ_cmp(want, seal->sign_alg) == 0;
    ASN1_OBJECT_free(want);
    if (version != 4 || !alg_ok || r->signed_at_ms < 0 ||
        s->to_sign->data_hash->length != SEALS_HASH_LEN) {
        fail_check(r, SEALS_MALFORMED,
                   "the signature's version, algorithm, time or hash is not "
                   "what GB/T 38540 v4 with SM2 and SM3 uses");
        goto out;
    }
    /* 1. the data */
    if (!crypto_equal(s->to_sign->data_hash->data, hash, SEALS_HASH_LEN))
        fail_check(r, SEALS_DATA, "the signed hash is not the hash of this data");
    /* 2. the maker's signature over the seal */
    maker = seals_x509_parse(seal->cert->data, (size_t)seal->cert->length);
    int info_len = i2d_OW_SES_SEALINFO(seal->info, &info);
    if (maker == NULL || info_len <= 0 ||
        verify_by_cert(maker, info, (size_t)info_len, seal->signed_value->data,
                       (size_t)seal->signed_value->length) < 0)
        fail_check(r, SEALS_SEAL, "the seal's maker signature is wrong");
    /* 3-4. the signer's signature over toSign */
    signer = seals_x509_parse(s->cert->data, (size_t)s->cert->length);
    int tbs_len = i2d_OW_TBS_SIGN(s->to_sign, &tbs);
    if (signer == NULL) {
        fail_check(r, SEALS_SIGNER_CERT, "the signer's certificate is unreadable");
        goto out;
    }
    X509_NAME_oneline(X509_get_subject_name(signer), r->signer_subject,
                      (int)sizeof(r->signer_subject));
    {
        EVP_PKEY *pk = X509_get0_pubkey(signer);
        struct crypto_key *k = NULL;
        if (pk != NULL && crypto_key_from_evp(CRYPTO_KEY_SM2, pk, &k) == 0) {
            crypto_key_public_hex(k, r->public_hex);
            crypto_key_free(k);
        }
    }
    if (tbs_len <= 0 || verify_by_cert(signer, tbs, (size_t)tbs_len, s->signature->data,
                                       (size_t)s->signature->length) < 0)
        fail_check(r, SEALS_SIGNATURE, "the signer's signature over the signed data is wrong");
    /* 3. the signer's certificate is one the seal lists */
    int listed = 0;
    for (int i = 0; i < sk_ASN1_OCTET_STRING_num(prop->cert_list); i++) {
        ASN1_OCTET_STRING *o = sk_ASN1_OCTET_STRING_value(prop->cert_list, i);
        if (o->length == s->cert->length && memcmp(o->data, s->cert->data, (size_t)o->length) == 0)
            listed = 1;
    }
    if (!listed)
        fail_check(r, SEALS_SIGNER_CERT, "the signer's certificate is not one of the seal's");
    /* 5. both certificates chain to a trusted root */
    if (st != NULL) {
        if (maker == NULL ||
            chain_to_root(st, maker, r->root_name, sizeof(r->root_name), &r->root_platform, err,
                          &internal) < 0 ||
            chain_to_root(st, signer, r->root_name, sizeof(r->root_name), &r->root_platform, err,
                          &internal) < 0) {
            if (internal) {
                rc = -1;
                goto out;
            }
            fail_check(r, SEALS_CHAIN, "a certificate does not chain to a trusted root");
        }
    }
    /* 6. validity at signing time */
    int64_t vs = seals_time_ms(prop->valid_start), ve = seals_time_ms(prop->valid_end);
    if (vs < 0 || ve < 0 || r->signed_at_ms < vs || r->signed_at_ms > ve ||
        seals_x509_valid_at(signer, r->signed_at_ms) < 0)
        fail_check(r, SEALS_VALIDITY, "it was signed outside the seal's or certificate's validity");
    /* 7. the seal's status in this register */
    if (st != NULL && r->failed == SEALS_OK) {
        struct store_conn *c = store_conn(st, err);
        struct seals_row row;
        int found = 0;
        if (c == NULL || seals_db_seal_get(c, 0, r->es_id, &row, &found, err) < 0) {
            rc = -1;
            goto out;
        }
        if (found && strcmp(row.status, "revoked") == 0)
            fail_check(r, SEALS_STATUS, "the seal has been revoked");
        seals_row_free(&row);
    }
out:
    OPENSSL_free(tbs);
    OPENSSL_free(info);
    X509_free(signer);
    X509_free(maker);
    OW_SES_SIGNATURE_free(s);
    return rc;
}

int seals_cert_verify_msg(struct store *st, const unsigned char *cert_der, size_t cert_len,
                          const void *msg, size_t n, const unsigned char *sig, size_t sig_len,
                          enum seals_check *failed, struct err *err)
{
    X509 *x = seals_x509_parse(cert_der, cert_len);
    *failed = SEALS_OK;
    if (x == NULL) {
        *failed = SEALS_SIGNER_CERT;
        return 0;
    }
    char name[128];
    int internal = 0;
    if (verify_by_cert(x, msg, n, sig, sig_len) < 0)
        *failed = SEALS_SIGNATURE;
    else if (st != NULL && chain_to_root(st, x, name, sizeof(name), NULL, err, &internal) < 0)
        *failed = SEALS_CHAIN;
    X509_free(x);
    return internal ? -1 : 0;
}

int seals_sign_raw(struct store *st, struct crypto_keyring *kr, int64_t seal_id, const void *msg,
                   size_t n, unsigned char *sig, size_t sig_size, size_t *sig_len, struct err *err)
{
    struct store_conn *c = store_conn(st, err);
    struct seals_row row;
    int found = 0, rc = -1;
    struct crypto_key *k = NULL;
    if (c == NULL || seals_db_seal_get(c, seal_id, NULL, &row, &found, err) < 0)
        return -1;
    if (!found)
        return err_set(err, 404, "seals.not_found", "no seal has the id %lld", (long long)seal_id);
    int64_t now = time_now_ms();
    if (strcmp(row.status, "active") != 0)
        err_set(err, 409, strcmp(row.status, "revoked") == 0 ? "seals.revoked" : "seals.suspended",
                "the seal is %s: it signs nothing", row.status);
    else if (now < row.valid_from || now > row.valid_to)
        err_set(err, 409, "seals.expired", "the seal is outside its validity");
    else if (seal_key(kr, &row, &k, err) == 0) {
        if (crypto_sm2_sign(k, msg, n, sig, sig_size, sig_len) == 0)
            rc = 0;
        else
            err_set(err, 500, "seals.crypto", "the signature could not be made");
    }
    crypto_key_free(k);
    seals_row_free(&row);
    return rc;
}

int seals_info(struct store *st, int64_t seal_id, const char *es_id, json_t **info, struct err *err)
{
    struct store_conn *c = store_conn(st, err);
    struct seals_row row;
    int found = 0;
    if (c == NULL || seals_db_seal_get(c, seal_id, es_id, &row, &found, err) < 0)
        return -1;
    if (!found)
        return err_set(err, 404, "seals.not_found", "no such seal");
    *info = json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:I, s:I}", "id", (json_int_t)row.id, "es_id",
                      row.es_id, "department_id", (json_int_t)row.department_id, "type", row.type,
                      "name", row.name, "status", row.status, "valid_from",
                      (json_int_t)row.valid_from, "valid_to", (json_int_t)row.valid_to);
    seals_row_free(&row);
    return *info ? 0 : err_set(err, 500, "seals.oom", "out of memory");
}

int seals_is_revoked(struct store *st, const char *es_id, struct err *err)
{
    struct store_conn *c = store_conn(st, err);
    struct seals_row row;
    int found = 0;
    if (c == NULL || seals_db_seal_get(c, 0, es_id, &row, &found, err) < 0)
        return -1;
    int revoked = found && strcmp(row.status, "revoked") == 0;
    seals_row_free(&row);
    return revoked;
}
