/*
 * seals_internal.h - what the files of src/seals/ share: the GB/T 38540-style ASN.1
 * structures (OpenSSL ASN1_SEQUENCE templates, seals_asn1.c), X.509 helpers and the
 * store functions (seals_store.c). Public interface: seals.h.
 */
#ifndef ONEWINDOW_SEALS_INTERNAL_H
#define ONEWINDOW_SEALS_INTERNAL_H

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/safestack.h>
#include <openssl/x509.h>

#ifndef sk_ASN1_OCTET_STRING_num
DEFINE_STACK_OF(ASN1_OCTET_STRING)
#endif

#include "seals/seals.h"

struct store_conn;

/* SES_Header ::= SEQUENCE { id IA5String ("ES"), version INTEGER (4), vid IA5String } */
typedef struct {
    ASN1_IA5STRING *id;
    ASN1_INTEGER *version;
    ASN1_IA5STRING *vid;
} OW_SES_HEADER;

/* SES_ESPropertyInfo ::= SEQUENCE { type INTEGER, name UTF8String, certListType INTEGER
 *   (1: certificates), certList SEQUENCE OF OCTET STRING (signer certificates, DER),
 *   createDate, validStart, validEnd GeneralizedTime } */
typedef struct {
    ASN1_INTEGER *type;
    ASN1_UTF8STRING *name;
    ASN1_INTEGER *cert_list_type;
    STACK_OF(ASN1_OCTET_STRING) * cert_list;
    ASN1_GENERALIZEDTIME *create_date;
    ASN1_GENERALIZEDTIME *valid_start;
    ASN1_GENERALIZEDTIME *valid_end;
} OW_SES_PROPERTY;

/* SES_ESPictrueInfo ::= SEQUENCE { type IA5String, data OCTET STRING, width INTEGER,
 *   height INTEGER } (width and height in millimetres) */
typedef struct {
    ASN1_IA5STRING *type;
    ASN1_OCTET_STRING *data;
    ASN1_INTEGER *width;
    ASN1_INTEGER *height;
} OW_SES_PICTURE;

/* SES_SealInfo ::= SEQUENCE { header, esID IA5String, property, picture } */
typedef struct {
    OW_SES_HEADER *header;
    ASN1_IA5STRING *es_id;
    OW_SES_PROPERTY *property;
    OW_SES_PICTURE *picture;
} OW_SES_SEALINFO;

/* SESeal ::= SEQUENCE { esealInfo, cert OCTET STRING (maker), signAlgID OID,
 *   signedValue BIT STRING (maker's SM2 signature over DER(esealInfo)) } */
typedef struct {
    OW_SES_SEALINFO *info;
    ASN1_OCTET_STRING *cert;
    ASN1_OBJECT *sign_alg;
    ASN1_BIT_STRING *signed_value;
} OW_SESEAL;

/* TBS_Sign ::= SEQUENCE { version INTEGER (4), eseal SESeal, timeInfo GeneralizedTime,
 *   dataHash BIT STRING, propertyInfo IA5String } */
typedef struct {
    ASN1_INTEGER *version;
    OW_SESEAL *eseal;
    ASN1_GENERALIZEDTIME *time_info;
    ASN1_BIT_STRING *data_hash;
    ASN1_IA5STRING *property_info;
} OW_TBS_SIGN;

/* SES_Signature ::= SEQUENCE { toSign TBS_Sign, cert OCTET STRING (signer), signatureAlgID
 *   OID, signature BIT STRING (signer's SM2 signature over DER(toSign)) } */
typedef struct {
    OW_TBS_SIGN *to_sign;
    ASN1_OCTET_STRING *cert;
    ASN1_OBJECT *sig_alg;
    ASN1_BIT_STRING *signature;
} OW_SES_SIGNATURE;

DECLARE_ASN1_FUNCTIONS(OW_SES_HEADER)
DECLARE_ASN1_FUNCTIONS(OW_SES_PROPERTY)
DECLARE_ASN1_FUNCTIONS(OW_SES_PICTURE)
DECLARE_ASN1_FUNCTIONS(OW_SES_SEALINFO)
DECLARE_ASN1_FUNCTIONS(OW_SESEAL)
DECLARE_ASN1_FUNCTIONS(OW_TBS_SIGN)
DECLARE_ASN1_FUNCTIONS(OW_SES_SIGNATURE)

#define SEALS_OID_SM2_SM3 "1.2.156.10197.1.501"
#define SEALS_MAX_DER (1024 * 1024)

/* Set a BIT STRING to bytes with no unused bits. */
int seals_bits_set(ASN1_BIT_STRING *b, const unsigned char *p, size_t n);
/* Milliseconds of a GeneralizedTime / UTCTime; -1 if unreadable. */
int64_t seals_time_ms(const ASN1_TIME *t);

/* X.509: parse DER; verify `cert` was signed by `issuer` (default SM2 ID); check it is
 * valid at `at_ms`. */
X509 *seals_x509_parse(const unsigned char *der, size_t len);
int seals_x509_signed_by(X509 *cert, X509 *issuer);
int seals_x509_valid_at(X509 *cert, int64_t at_ms);
/* Make a certificate for `subject_key` signed by `issuer_key` (self-signed when issuer
 * is NULL): DER from OPENSSL_malloc (free with OPENSSL_free). */
int seals_x509_make(const struct crypto_key *subject_key, const struct crypto_key *issuer_key,
                    X509 *issuer, const char *cn, const char *org, int64_t not_before_ms,
                    int64_t not_after_ms, int ca, unsigned char **der, size_t *len);
/* SHA-256 fingerprint of DER in hex (65 bytes). */
int seals_fingerprint(const unsigned char *der, size_t len, char out[65]);

/* ---- store (seals_store.c) ----------------------------------------------------------- */
struct seals_root_row {
    int64_t id;
    char kind[16];
    char name[128];
    unsigned char *cert_der;
    size_t cert_len; /* malloc */
    unsigned char *private_sealed;
    size_t private_len; /* malloc, NULL for trusted */
};
void seals_root_row_free(struct seals_root_row *r);
/* The platform root (found = 0 if none). */
int seals_db_root_platform(struct store_conn *c, struct seals_root_row *r, int *found,
                           struct err *err);
/* Every root (platform and trusted): *rows from malloc, each freed with seals_root_row_free. */
int seals_db_roots_all(struct store_conn *c, struct seals_root_row **rows, size_t *n,
                       struct err *err);
int seals_db_root_insert(struct store_conn *c, int64_t id, const char *kind, const char *name,
                         const unsigned char *der, size_t der_len, const char *fp,
                         const unsigned char *priv, size_t priv_len, int64_t actor,
                         struct err *err);
int seals_db_roots_json(struct store_conn *c, json_t **list, struct err *err);
int seals_db_roots_count(struct store_conn *c, int64_t *n, struct err *err);

struct seals_row {
    int64_t id, department_id, valid_from, valid_to;
    char es_id[SEALS_ESID_SIZE], type[24], name[200], status[16];
    unsigned char *picture;
    size_t picture_len;
    unsigned char *cert_der;
    size_t cert_len;
    unsigned char *eseal;
    size_t eseal_len;
    unsigned char *private_sealed;
    size_t private_len;
};
void seals_row_free(struct seals_row *r);
int seals_db_seal_insert(struct store_conn *c, const struct seals_row *r, int64_t actor,
                         int64_t now, struct err *err);
/* By id (es_id NULL) or by es_id. found = 0 if none. */
int seals_db_seal_get(struct store_conn *c, int64_t id, const char *es_id, struct seals_row *r,
                      int *found, struct err *err);
int seals_db_seal_status(struct store_conn *c, int64_t id, const char *status, int64_t now,
                         int64_t *changes, struct err *err);
int seals_db_seals_json(struct store_conn *c, int64_t department_id, json_t **list,
                        struct err *err);
int seals_db_seal_find_active(struct store_conn *c, int64_t department_id, const char *type,
                              int64_t now, int64_t *id, int *found, struct err *err);
int seals_db_seal_use_insert(struct store_conn *c, int64_t seal_id, int64_t actor,
                             const char *hash_hex, const char *purpose, int64_t at,
                             struct err *err);

/* ---- the key cache (seals_keycache.c) ----
 * Decoded seal keys by (keyring, seal id, the sealed key's bytes): the bytes are the key's
 * version, so a seal whose stored key changed is a miss, never the old key. get returns a
 * new handle sharing the cached key (crypto_key_share; the caller frees it) or NULL; put
 * keeps a share of `k`; drop forgets a seal (its status changed). Thread-safe, bounded. */
struct crypto_key *seals_key_cache_get(const struct crypto_keyring *kr, int64_t seal_id,
                                       const unsigned char *sealed, size_t n);
void seals_key_cache_put(const struct crypto_keyring *kr, int64_t seal_id,
                         const unsigned char *sealed, size_t n, const struct crypto_key *k);
void seals_key_cache_drop(int64_t seal_id);
void seals_bump_generation(void);

int seals_db_department(struct store_conn *c, const char *code, int64_t *id, char name[200],
                        int *found, struct err *err);

#endif
