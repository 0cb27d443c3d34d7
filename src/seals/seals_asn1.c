/*
 * seals_asn1.c - the GB/T 38540-style structures as OpenSSL ASN.1 templates (DER encode
 * and decode come from the library), and the X.509 helpers for SM2-with-SM3 certificates
 * with the default SM2 ID (FACTS.md: OpenSSL 3.0's default ID is empty).
 */
#include "seals/seals_internal.h"

#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "crypto/crypto.h"

/* OpenSSL's ASN.1 template macros, laid out as OpenSSL writes them. */
// clang-format off
ASN1_SEQUENCE(OW_SES_HEADER) = {
    ASN1_SIMPLE(OW_SES_HEADER, id, ASN1_IA5STRING),
    ASN1_SIMPLE(OW_SES_HEADER, version, ASN1_INTEGER),
    ASN1_SIMPLE(OW_SES_HEADER, vid, ASN1_IA5STRING),
} ASN1_SEQUENCE_END(OW_SES_HEADER)
IMPLEMENT_ASN1_FUNCTIONS(OW_SES_HEADER)

ASN1_SEQUENCE(OW_SES_PROPERTY) = {
    ASN1_SIMPLE(OW_SES_PROPERTY, type, ASN1_INTEGER),
    ASN1_SIMPLE(OW_SES_PROPERTY, name, ASN1_UTF8STRING),
    ASN1_SIMPLE(OW_SES_PROPERTY, cert_list_type, ASN1_INTEGER),
    ASN1_SEQUENCE_OF(OW_SES_PROPERTY, cert_list, ASN1_OCTET_STRING),
    ASN1_SIMPLE(OW_SES_PROPERTY, create_date, ASN1_GENERALIZEDTIME),
    ASN1_SIMPLE(OW_SES_PROPERTY, valid_start, ASN1_GENERALIZEDTIME),
    ASN1_SIMPLE(OW_SES_PROPERTY, valid_end, ASN1_GENERALIZEDTIME),
} ASN1_SEQUENCE_END(OW_SES_PROPERTY)
IMPLEMENT_ASN1_FUNCTIONS(OW_SES_PROPERTY)

ASN1_SEQUENCE(OW_SES_PICTURE) = {
    ASN1_SIMPLE(OW_SES_PICTURE, type, ASN1_IA5STRING),
    ASN1_SIMPLE(OW_SES_PICTURE, data, ASN1_OCTET_STRING),
    ASN1_SIMPLE(OW_SES_PICTURE, width, ASN1_INTEGER),
    ASN1_SIMPLE(OW_SES_PICTURE, height, ASN1_INTEGER),
} ASN1_SEQUENCE_END(OW_SES_PICTURE)
IMPLEMENT_ASN1_FUNCTIONS(OW_SES_PICTURE)

ASN1_SEQUENCE(OW_SES_SEALINFO) = {
    ASN1_SIMPLE(OW_SES_SEALINFO, header, OW_SES_HEADER),
    ASN1_SIMPLE(OW_SES_SEALINFO, es_id, ASN1_IA5STRING),
    ASN1_SIMPLE(OW_SES_SEALINFO, property, OW_SES_PROPERTY),
    ASN1_SIMPLE(OW_SES_SEALINFO, picture, OW_SES_PICTURE),
} ASN1_SEQUENCE_END(OW_SES_SEALINFO)
IMPLEMENT_ASN1_FUNCTIONS(OW_SES_SEALINFO)

ASN1_SEQUENCE(OW_SESEAL) = {
    ASN1_SIMPLE(OW_SESEAL, info, OW_SES_SEALINFO),
    ASN1_SIMPLE(OW_SESEAL, cert, ASN1_OCTET_STRING),
    ASN1_SIMPLE(OW_SESEAL, sign_alg, ASN1_OBJECT),
    ASN1_SIMPLE(OW_SESEAL, signed_value, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(OW_SESEAL)
IMPLEMENT_ASN1_FUNCTIONS(OW_SESEAL)

ASN1_SEQUENCE(OW_TBS_SIGN) = {
    ASN1_SIMPLE(OW_TBS_SIGN, version, ASN1_INTEGER),
    ASN1_SIMPLE(OW_TBS_SIGN, eseal, OW_SESEAL),
    ASN1_SIMPLE(OW_TBS_SIGN, time_info, ASN1_GENERALIZEDTIME),
    ASN1_SIMPLE(OW_TBS_SIGN, data_hash, ASN1_BIT_STRING),
    ASN1_SIMPLE(OW_TBS_SIGN, property_info, ASN1_IA5STRING),
} ASN1_SEQUENCE_END(OW_TBS_SIGN)
IMPLEMENT_ASN1_FUNCTIONS(OW_TBS_SIGN)

ASN1_SEQUENCE(OW_SES_SIGNATURE) = {
    ASN1_SIMPLE(OW_SES_SIGNATURE, to_sign, OW_TBS_SIGN),
    ASN1_SIMPLE(OW_SES_SIGNATURE, cert, ASN1_OCTET_STRING),
    ASN1_SIMPLE(OW_SES_SIGNATURE, sig_alg, ASN1_OBJECT),
    ASN1_SIMPLE(OW_SES_SIGNATURE, signature, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(OW_SES_SIGNATURE)
IMPLEMENT_ASN1_FUNCTIONS(OW_SES_SIGNATURE)
// clang-format on

int seals_bits_set(ASN1_BIT_STRING *b, const unsigned char *p, size_t n)
{
    if (ASN1_BIT_STRING_set(b, (unsigned char *)p, (int)n) != 1)
        return -1;
    /* No unused bits: DER must encode the full length, not trim trailing zero bits. */
    b->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
    b->flags |= ASN1_STRING_FLAG_BITS_LEFT;
    return 0;
}

int64_t seals_time_ms(const ASN1_TIME *t)
{
    struct tm tm;
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
        return -1;
    return (int64_t)timegm(&tm) * 1000;
}

X509 *seals_x509_parse(const unsigned char *der, size_t len)
{
    if (der == NULL || len == 0 || len > SEALS_MAX_DER)
        return NULL;
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x != NULL && p != der + len) {
        X509_free(x);
        return NULL;
    }
    return x;
}

int seals_x509_signed_by(X509 *cert, X509 *issuer)
{
    if (X509_check_issued(issuer, cert) != X509_V_OK)
        return -1;
    EVP_PKEY *pk = X509_get0_pubkey(issuer);
    if (pk == NULL)
        return -1;
    ASN1_OCTET_STRING *id = ASN1_OCTET_STRING_new();
    if (id == NULL || ASN1_OCTET_STRING_set(id, (const unsigned char *)SEALS_SM2_ID, 16) != 1) {
        ASN1_OCTET_STRING_free(id);
        return -1;
    }
    X509_set0_distinguishing_id(cert, id); /* owned by the certificate now */
    return X509_verify(cert, pk) == 1 ? 0 : -1;
}

int seals_x509_valid_at(X509 *cert, int64_t at_ms)
{
    int64_t nb = seals_time_ms(X509_get0_notBefore(cert));
    int64_t na = seals_time_ms(X509_get0_notAfter(cert));
    if (nb < 0 || na < 0)
        return -1;
    return at_ms >= nb && at_ms <= na ? 0 : -1;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
    X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ex == NULL)
        return -1;
    int ok = X509_add_ext(x, ex, -1);
    X509_EXTENSION_free(ex);
    return ok == 1 ? 0 : -1;
}

int seals_x509_make(const struct crypto_key *subject_key, const struct crypto_key *issuer_key,
                    X509 *issuer, const char *cn, const char *org, int64_t not_before_ms,
                    int64_t not_after_ms, int ca, unsigned char **der, size_t *len)
{
    int rc = -1;
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    BIGNUM *bn = BN_new();
    void *pctx = NULL, *mctx = NULL;
    unsigned char serial[16];
    if (x == NULL || name == NULL || bn == NULL || crypto_random(serial, sizeof(serial)) < 0)
        goto out;
    serial[0] &= 0x7f; /* positive */
    serial[0] |= 0x01;
    if (BN_bin2bn(serial, sizeof(serial), bn) == NULL ||
        BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
        goto out;
    if (X509_set_version(x, X509_VERSION_3) != 1 ||
        ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(not_before_ms / 1000)) == NULL ||
        ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(not_after_ms / 1000)) == NULL ||
        X509_set_pubkey(x, crypto_key_evp(subject_key)) != 1)
        goto out;
    if (X509_NAME_add_entry_by_txt(name, "C", MBSTRING_UTF8, (const unsigned char *)"CN", -1, -1,
                                   0) != 1 ||
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)org, -1, -1,
                                   0) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                   0) != 1 ||
        X509_set_subject_name(x, name) != 1)
        goto out;
    if (X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name) != 1)
        goto out;
    if (add_ext(x, issuer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE") <
            0 ||
        add_ext(x, issuer, NID_key_usage,
                ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,nonRepudiation") <
            0 ||
        add_ext(x, issuer, NID_subject_key_identifier, "hash") < 0 ||
        (issuer != NULL && add_ext(x, issuer, NID_authority_key_identifier, "keyid:always") < 0))
        goto out;
    if ((mctx = crypto_sm2_md_ctx(issuer_key, 1, &pctx)) == NULL)
        goto out;
    if (X509_sign_ctx(x, mctx) <= 0)
        goto out;
    unsigned char *buf = NULL;
    int n = i2d_X509(x, &buf);
    if (n <= 0)
        goto out;
    *der = buf;
    *len = (size_t)n;
    rc = 0;
out:
    crypto_sm2_md_ctx_free(mctx, pctx);
    BN_free(bn);
    X509_NAME_free(name);
    X509_free(x);
    return rc;
}

int seals_fingerprint(const unsigned char *der, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    if (EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        return -1;
    return crypto_hex_encode(md, 32, out, 65) < 0 ? -1 : 0;
}
