/*
 * certs_qr.c - the QR payload: compact, signed, base64url. A DER structure
 *   CertQR ::= SEQUENCE { tbs SEQUENCE { version INTEGER (1), identifier IA5String,
 *                                        esID IA5String, dataHash OCTET STRING (SM3),
 *                                        validUntil GeneralizedTime },
 *                         signature OCTET STRING (SM2, DER r,s, by the issuing seal's key) }
 * It verifies offline with the issuing seal's certificate; online the platform also
 * checks the register (revoked, expired, the data hash still the certificate's).
 */
#include "certs/certs_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1t.h>
#include <openssl/x509.h>

#include "crypto/crypto.h"
#include "seals/seals.h"
#include "store/store.h"

typedef struct {
    ASN1_INTEGER *version;
    ASN1_IA5STRING *identifier;
    ASN1_IA5STRING *es_id;
    ASN1_OCTET_STRING *data_hash;
    ASN1_GENERALIZEDTIME *valid_until;
} OW_CERT_QR_TBS;

typedef struct {
    OW_CERT_QR_TBS *tbs;
    ASN1_OCTET_STRING *signature;
} OW_CERT_QR;

DECLARE_ASN1_FUNCTIONS(OW_CERT_QR_TBS)
DECLARE_ASN1_FUNCTIONS(OW_CERT_QR)

/* OpenSSL's ASN.1 template macros, laid out as OpenSSL writes them. */
// clang-format off
ASN1_SEQUENCE(OW_CERT_QR_TBS) = {
    ASN1_SIMPLE(OW_CERT_QR_TBS, version, ASN1_INTEGER),
    ASN1_SIMPLE(OW_CERT_QR_TBS, identifier, ASN1_IA5STRING),
    ASN1_SIMPLE(OW_CERT_QR_TBS, es_id, ASN1_IA5STRING),
    ASN1_SIMPLE(OW_CERT_QR_TBS, data_hash, ASN1_OCTET_STRING),
    ASN1_SIMPLE(OW_CERT_QR_TBS, valid_until, ASN1_GENERALIZEDTIME),
} ASN1_SEQUENCE_END(OW_CERT_QR_TBS)
IMPLEMENT_ASN1_FUNCTIONS(OW_CERT_QR_TBS)

ASN1_SEQUENCE(OW_CERT_QR) = {
    ASN1_SIMPLE(OW_CERT_QR, tbs, OW_CERT_QR_TBS),
    ASN1_SIMPLE(OW_CERT_QR, signature, ASN1_OCTET_STRING),
} ASN1_SEQUENCE_END(OW_CERT_QR)
IMPLEMENT_ASN1_FUNCTIONS(OW_CERT_QR)
// clang-format on

#define NO_EXPIRY_S 253402300799LL

int certs_qr_make(const char *identifier, const char *es_id, const unsigned char hash[32],
                  int64_t valid_until, struct store *st, struct crypto_keyring *kr, int64_t seal_id,
                  char **payload, struct err *err);

int certs_qr_make(const char *identifier, const char *es_id, const unsigned char hash[32],
                  int64_t valid_until, struct store *st, struct crypto_keyring *kr, int64_t seal_id,
                  char **payload, struct err *err)
{
    OW_CERT_QR *q = OW_CERT_QR_new();
    unsigned char *tbs = NULL, *der = NULL;
    int rc = -1;
    if (q == NULL)
        return err_set(err, 500, "certs.oom", "out of memory");
    ASN1_GENERALIZEDTIME_free(q->tbs->valid_until);
    q->tbs->valid_until = ASN1_GENERALIZEDTIME_set(
        NULL, (time_t)(valid_until > 0 ? valid_until / 1000 : NO_EXPIRY_S));
    if (ASN1_INTEGER_set(q->tbs->version, 1) != 1 ||
        ASN1_STRING_set(q->tbs->identifier, identifier, -1) != 1 ||
        ASN1_STRING_set(q->tbs->es_id, es_id, -1) != 1 ||
        ASN1_OCTET_STRING_set(q->tbs->data_hash, hash, 32) != 1 || q->tbs->valid_until == NULL) {
        err_set(err, 500, "certs.oom", "out of memory");
        goto out;
    }
    int tbs_len = i2d_OW_CERT_QR_TBS(q->tbs, &tbs);
    unsigned char sig[CRYPTO_SM2_SIG_MAX];
    size_t sig_len = 0;
    if (tbs_len <= 0 ||
        seals_sign_raw(st, kr, seal_id, tbs, (size_t)tbs_len, sig, sizeof(sig), &sig_len, err) < 0)
        goto out;
    if (ASN1_OCTET_STRING_set(q->signature, sig, (int)sig_len) != 1)
        goto out;
    int n = i2d_OW_CERT_QR(q, &der);
    if (n <= 0)
        goto out;
    size_t cap = CRYPTO_B64URL_LEN((size_t)n) + 1;
    *payload = malloc(cap);
    if (*payload == NULL || crypto_b64url_encode(der, (size_t)n, *payload, cap) < 0) {
        free(*payload);
        *payload = NULL;
        err_set(err, 500, "certs.oom", "out of memory");
        goto out;
    }
    rc = 0;
out:
    OPENSSL_free(tbs);
    OPENSSL_free(der);
    OW_CERT_QR_free(q);
    return rc;
}

void certs_qr_free(struct certs_qr *q)
{
    if (q == NULL)
        return;
    free(q->tbs);
    q->tbs = NULL;
}

int certs_qr_parse(const char *payload, size_t len, struct certs_qr *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    if (payload == NULL || len == 0)
        return err_set(err, 400, "certs.qr_truncated", "the QR payload is empty");
    if (len > CERTS_QR_MAX)
        return err_set(err, 400, "certs.qr_oversized",
                       "the QR payload is longer than %d characters: it is not one of ours",
                       CERTS_QR_MAX);
    for (size_t i = 0; i < len; i++) {
        char c = payload[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return err_set(err, 400, "certs.qr_not_base64",
                           "the QR payload is not base64url text (character %zu)", i + 1);
    }
    unsigned char der[CERTS_QR_MAX];
    size_t n = 0;
    if (crypto_b64url_decode(payload, len, der, sizeof(der), &n) < 0)
        return err_set(err, 400, "certs.qr_truncated",
                       "the QR payload is cut short (its length is not a whole encoding)");
    const unsigned char *p = der;
    OW_CERT_QR *q = d2i_OW_CERT_QR(NULL, &p, (long)n);
    int rc = -1;
    if (q == NULL || p != der + n) {
        err_set(err, 400, "certs.qr_truncated", "the QR payload is incomplete or damaged");
        goto out;
    }
    OW_CERT_QR_TBS *t = q->tbs;
    struct tm tm;
    if (ASN1_INTEGER_get(t->version) != 1 || t->identifier->length <= 0 ||
        t->identifier->length >= CERTS_ID_SIZE || t->es_id->length <= 0 ||
        t->es_id->length >= (int)sizeof(out->es_id) || t->data_hash->length != 32 ||
        q->signature->length <= 0 || q->signature->length > (int)sizeof(out->sig) ||
        ASN1_TIME_to_tm(t->valid_until, &tm) != 1) {
        err_set(err, 400, "certs.qr_truncated", "the QR payload is incomplete or damaged");
        goto out;
    }
    memcpy(out->identifier, t->identifier->data, (size_t)t->identifier->length);
    memcpy(out->es_id, t->es_id->data, (size_t)t->es_id->length);
    if (memchr(out->identifier, 0, (size_t)t->identifier->length) ||
        memchr(out->es_id, 0, (size_t)t->es_id->length)) {
        err_set(err, 400, "certs.qr_truncated", "the QR payload is incomplete or damaged");
        goto out;
    }
    memcpy(out->data_hash, t->data_hash->data, 32);
    int64_t s = (int64_t)timegm(&tm);
    out->valid_until_ms = s >= NO_EXPIRY_S ? 0 : s * 1000;
    memcpy(out->sig, q->signature->data, (size_t)q->signature->length);
    out->sig_len = (size_t)q->signature->length;
    unsigned char *tbs = NULL;
    int tl = i2d_OW_CERT_QR_TBS(t, &tbs);
    if (tl <= 0 || (out->tbs = malloc((size_t)tl)) == NULL) {
        OPENSSL_free(tbs);
        err_set(err, 500, "certs.oom", "out of memory");
        goto out;
    }
    memcpy(out->tbs, tbs, (size_t)tl);
    out->tbs_len = (size_t)tl;
    OPENSSL_free(tbs);
    rc = 0;
out:
    OW_CERT_QR_free(q);
    return rc;
}

int certs_qr_verify_offline(const struct certs_qr *q, const unsigned char *cert_der,
                            size_t cert_len)
{
    enum seals_check failed;
    struct err e;
    if (seals_cert_verify_msg(NULL, cert_der, cert_len, q->tbs, q->tbs_len, q->sig, q->sig_len,
                              &failed, &e) < 0)
        return -1;
    return failed == SEALS_OK ? 0 : -1;
}

int certs_qr_verify_online(struct certs *cs, const char *payload, json_t **out, struct err *err)
{
    struct store *st = cs->st;
    struct certs_qr q;
    if (certs_qr_parse(payload, strlen(payload), &q, err) < 0)
        return -1;
    int rc = -1;
    json_t *seal = NULL;
    unsigned char *cert = NULL;
    size_t cert_len = 0;
    struct err e2;
    enum seals_check failed = SEALS_OK;
    if (!certs_identifier_valid(q.identifier)) {
        *out =
            json_pack("{s:s, s:s, s:s, s:s}", "status", "forged", "failed", "identifier", "message",
                      "the identifier's check character is wrong", "identifier", q.identifier);
        rc = 0;
        goto out;
    }
    if (seals_info(st, 0, q.es_id, &seal, &e2) < 0 ||
        seals_cert_der(st, json_integer_value(json_object_get(seal, "id")), &cert, &cert_len, &e2) <
            0) {
        *out =
            json_pack("{s:s, s:s, s:s, s:s}", "status", "forged", "failed", "seal", "message",
                      "the seal named in the payload is unknown here", "identifier", q.identifier);
        rc = 0;
        goto out;
    }
    if (seals_cert_verify_msg(st, cert, cert_len, q.tbs, q.tbs_len, q.sig, q.sig_len, &failed,
                              err) < 0)
        goto out;
    if (failed != SEALS_OK) {
        *out = json_pack("{s:s, s:s, s:s, s:s}", "status", "forged", "failed",
                         failed == SEALS_CHAIN ? "chain" : "signature", "message",
                         "the payload's signature does not verify with the issuing seal",
                         "identifier", q.identifier);
        rc = 0;
        goto out;
    }
    /* The payload is authentic: now the register's word on the certificate. */
    rc = certs_verify(cs, q.identifier, out, err);
    if (rc == 0) {
        struct store_conn *c = store_conn(st, err);
        struct certs_row row;
        int found = 0;
        char hex[65];
        crypto_hex_encode(q.data_hash, 32, hex, sizeof(hex));
        if (c != NULL && certs_db_get(c, q.identifier, &row, &found, err) == 0 && found) {
            if (strcmp(row.data_hash, hex) != 0) {
                json_object_set_new(*out, "status", json_string("forged"));
                json_object_set_new(*out, "failed", json_string("data"));
                json_object_set_new(
                    *out, "message",
                    json_string("the payload's data hash is not the certificate's"));
            }
            certs_row_free(&row);
        }
        json_object_set_new(*out, "source", json_string("qr"));
    }
out:
    free(cert);
    json_decref(seal);
    certs_qr_free(&q);
    return rc;
}
