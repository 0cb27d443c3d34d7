/*
 * seals.h - the platform trust root and electronic seals (电子印章: 制章、用章、验章).
 *
 * The platform has one SM2 root key with a self-signed X.509 certificate (SM2-with-SM3,
 * the default SM2 ID), created at `init`. A seal belongs to a department: its own SM2 key,
 * an X.509 certificate issued by the root, a picture (a generated red round seal or an
 * uploaded PNG), and an SESeal structure (GB/T 38540-style, DER) signed by the maker (the
 * platform root). Using a seal produces an SES_Signature (DER) over a document hash.
 * Verification checks the whole chain and names the first check that failed.
 * Structures and what is approximated: docs/internals/seals.md.
 */
#ifndef ONEWINDOW_SEALS_SEALS_H
#define ONEWINDOW_SEALS_SEALS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct store;
struct crypto_keyring;
struct crypto_key;

#define SEALS_SM2_ID "1234567812345678"
#define SEALS_HASH_LEN 32
#define SEALS_ESID_SIZE 40

/* Seal types (GB/T 38540 leaves the list to the operator; these are the usual ones). */
#define SEALS_TYPE_OFFICIAL "official" /* 公章 */
#define SEALS_TYPE_CERT "certificate"  /* 证照专用章 */
#define SEALS_TYPE_CONTRACT "contract" /* 合同专用章 */
#define SEALS_TYPE_FINANCE "finance"   /* 财务专用章 */
/* 1 if `t` is one of the types above. */
int seals_type_valid(const char *t);

/* ---- the trust root ---------------------------------------------------------------- */

/* Create the platform root key and certificate unless they exist. Own transaction,
 * audited. Returns 1 when created, 0 when it existed, -1 on error. */
int seals_root_ensure(struct store *st, struct crypto_keyring *kr, struct err *err);
/* The platform root certificate as PEM (*pem from malloc; free it) or DER. */
int seals_root_pem(struct store *st, char **pem, struct err *err);
int seals_root_der(struct store *st, unsigned char **der, size_t *len, struct err *err);

/* Mutual recognition: trust another issuer's root certificate (PEM). It must be a
 * self-signed SM2 certificate that verifies with the default ID. Own transaction,
 * audited. *id (may be NULL) gets the row id. */
int seals_trust_add(struct store *st, int64_t actor, const char *name, const char *pem, int64_t *id,
                    struct err *err);
/* The trust list: [{id, kind, name, fingerprint, created_at}]. */
int seals_trust_list(struct store *st, json_t **list, struct err *err);
/* How many roots the trust list holds (a verification result depends on it). */
int seals_trust_count(struct store *st, int64_t *n, struct err *err);

/* ---- seals (制章) --------------------------------------------------------------------- */

struct seals_make_req {
    int64_t department_id;
    const char *type;     /* SEALS_TYPE_* */
    const char *name;     /* the seal's name, 1..64 characters */
    const char *rim_text; /* text around the rim of the generated picture (dept name) */
    int64_t valid_from_ms, valid_to_ms;
    const unsigned char *png; /* uploaded picture, or NULL to generate one */
    size_t png_len;
};

/* Make a seal: key, certificate from the root, picture, SESeal signed by the root.
 * Own transaction, audited ("seals.make"). *seal_id gets the new id. Errors:
 * "seals.bad_input" (400), "seals.no_root" (500). */
int seals_make(struct store *st, struct crypto_keyring *kr, int64_t actor,
               const struct seals_make_req *r, int64_t *seal_id, struct err *err);
/* Change a seal's status to "suspended", "active" or "revoked" (revoked is final).
 * Own transaction, audited. "seals.not_found" (404), "seals.bad_status" (409). */
int seals_set_status(struct store *st, int64_t actor, int64_t seal_id, const char *status,
                     struct err *err);
/* Seals, all or of one department (0): [{id, es_id, department_id, type, name, status,
 * valid_from, valid_to}]. */
int seals_list(struct store *st, int64_t department_id, json_t **list, struct err *err);
/* The active seal of `type` of a department valid at `now_ms` (newest first); 0 or -1
 * with "seals.no_seal" (409). */
int seals_find_active(struct store *st, int64_t department_id, const char *type, int64_t now_ms,
                      int64_t *seal_id, struct err *err);
/* The seal's picture (PNG, *png from malloc) and its certificate (DER, from malloc). */
int seals_picture(struct store *st, int64_t seal_id, unsigned char **png, size_t *len,
                  struct err *err);
int seals_cert_der(struct store *st, int64_t seal_id, unsigned char **der, size_t *len,
                   struct err *err);

/* Render the generated seal picture: a red round seal, `rim` around the top, a star in
 * the middle, `label` below it. PNG bytes from malloc. */
int seals_render_picture(const char *rim, const char *label, int size_px, unsigned char **png,
                         size_t *len, struct err *err);

/* Draw the seal on a cairo context (PNG or PDF), centred at (cx, cy), radius r. */
struct _cairo;
void seals_draw(struct _cairo *cr, const char *rim, const char *label, double cx, double cy,
                double r);

/* ---- use (用章) ------------------------------------------------------------------------ */

/* Sign `hash` (SM3 of the document) with the seal: an SES_Signature, DER, from malloc.
 * Refused for a seal that is not active ("seals.revoked", "seals.suspended") or outside
 * its validity ("seals.expired"). Joins the caller's transaction when in_tx is 1 (the
 * use row and the audit record are written on the thread's connection); else its own.
 * `property` names what was sealed (an identifier, a file name), at most 200 ASCII. */
int seals_sign(struct store *st, struct crypto_keyring *kr, int64_t actor, int64_t seal_id,
               const unsigned char hash[SEALS_HASH_LEN], const char *property, int in_tx,
               unsigned char **sig, size_t *sig_len, struct err *err);

/* Sign arbitrary bytes with the seal's key (raw DER SM2 signature; for compact tokens
 * such as a certificate's QR payload, made in the same transaction as an audited
 * seals_sign). Same refusals as seals_sign. */
int seals_sign_raw(struct store *st, struct crypto_keyring *kr, int64_t seal_id, const void *msg,
                   size_t n, unsigned char *sig, size_t sig_size, size_t *sig_len, struct err *err);
/* A seal's public facts: {id, es_id, department_id, type, name, status, valid_from,
 * valid_to}; by id, or by es_id when es_id is not NULL. "seals.not_found" (404). */
int seals_info(struct store *st, int64_t seal_id, const char *es_id, json_t **info,
               struct err *err);

/* Bumped whenever this process changes a seal's status or the trust list: caches of
 * verification results (certs) compare it to drop what a revocation made stale. */
uint64_t seals_generation(void);

/* ---- verification (验章) -------------------------------------------------------------- */

enum seals_check {
    SEALS_OK = 0,
    SEALS_MALFORMED,   /* not a DER SES_Signature */
    SEALS_DATA,        /* dataHash is not the hash of the data */
    SEALS_SIGNATURE,   /* the signer's signature over toSign fails */
    SEALS_SIGNER_CERT, /* the signer's certificate is not in the seal's certList */
    SEALS_SEAL,        /* the maker's signature over the seal fails */
    SEALS_CHAIN,       /* a certificate does not chain to a trusted root */
    SEALS_VALIDITY,    /* signed outside the seal's or certificate's validity */
    SEALS_STATUS       /* the seal is revoked (or was suspended when used) */
};
const char *seals_check_name(enum seals_check c);

struct seals_report {
    enum seals_check failed;     /* SEALS_OK when everything holds */
    char message[200];           /* one sentence on the failure (English) */
    char es_id[SEALS_ESID_SIZE]; /* the seal's id, when readable */
    char seal_name[128];
    char seal_type[24];       /* SEALS_TYPE_* of the seal's property, "" if unknown */
    char signer_subject[200]; /* the signer certificate's subject */
    char root_name[128];      /* the trusted root it chains to */
    int root_platform;        /* 1: that root is this platform's own (not a trusted one) */
    int64_t signed_at_ms;
    char property[201];
    char public_hex[131]; /* the signer's public key (04||x||y), for offline checks */
    unsigned char to_sign_hash[SEALS_HASH_LEN]; /* unused by callers; kept for tests */
};

/* Verify an SES_Signature over `hash`. Parsing, signature, seal, chain against the
 * trust list (platform and trusted roots), validity at signing time; with `st` given,
 * also the seal's status in this platform's register (a revoked seal: SEALS_STATUS).
 * Returns 0 when verification ran (see r->failed), -1 with err on an internal error. */
int seals_verify(struct store *st, const unsigned char *sig, size_t sig_len,
                 const unsigned char hash[SEALS_HASH_LEN], struct seals_report *r, struct err *err);
/* Parse only: the DER of toSign and the signature (for independent checkers) and the
 * es_id; pointers into freshly allocated buffers the caller frees. */
int seals_signature_parts(const unsigned char *sig, size_t sig_len, unsigned char **to_sign,
                          size_t *to_sign_len, unsigned char **signature, size_t *signature_len,
                          unsigned char **cert_der, size_t *cert_len, struct err *err);

/* 1 if this register has the seal `es_id` and it is revoked, else 0; -1 on a database error. */
int seals_is_revoked(struct store *st, const char *es_id, struct err *err);

/* Verify an SM2 signature over `msg` made by the key of an X.509 certificate (DER) that
 * chains to a trusted root; *subject (may be NULL, 200 bytes) gets its subject. 0 ok. */
int seals_cert_verify_msg(struct store *st, const unsigned char *cert_der, size_t cert_len,
                          const void *msg, size_t n, const unsigned char *sig, size_t sig_len,
                          enum seals_check *failed, struct err *err);

/* `onewindow seal make DEPT TYPE NAME [DAYS] | list [DEPT] | suspend ID | activate ID |
 * revoke ID | root`. Returns 0, 2 (usage, err set) or -1. */
int seals_cli(struct store *st, struct crypto_keyring *kr, int argc, char **argv, struct err *err);

struct web_server;
struct identity;
/* GET /trust/root.pem, /trust/root.der (public). */
int seals_http_register(struct web_server *srv, struct store *st);

#endif
