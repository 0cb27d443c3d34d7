/*
 * certs.h - electronic certificates (电子证照): types, issuance sealed by the issuing
 * department's certificate seal (src/seals), the holder's wallet, authorised uses
 * (免提交), verification by anyone (identifier or QR payload), the PDF.
 *
 * Identifiers follow GB/T 36904-2018 as inferred from real ones (FACTS.md):
 *   1.2.156.3005.2.<type code>.<issuer credit code>.<serial>.<version>.<check>
 * with the ISO 7064 MOD 37,36 check character over the four fields' characters.
 * Design, what is approximated and the sources: docs/internals/certs.md.
 *
 * Transactions: functions taking `in_tx` join the caller's open transaction on this
 * thread's store connection when in_tx is 1 (they never begin or commit then), and run
 * their own when it is 0. The rest read only.
 */
#ifndef ONEWINDOW_CERTS_CERTS_H
#define ONEWINDOW_CERTS_CERTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct arena;
struct store;
struct crypto_keyring;
struct identity;
struct web_server;

/* The module's handle (made in wiring): the store, the keyring, identity (holders' accounts,
 * departments' names) and the verification cache. Functions that need one of these beyond
 * the store and keyring take the handle; the others take the store and keyring. */
struct certs;
int certs_open(struct store *st, struct crypto_keyring *kr, struct identity *id, struct certs **out,
               struct err *err);
void certs_close(struct certs *cs);

#define CERTS_ID_SIZE 128 /* an identifier and its NUL */
#define CERTS_QR_MAX 1024 /* longest QR payload accepted, in characters */
#define CERTS_PREFIX "1.2.156.3005.2."

/* ---- identifiers --------------------------------------------------------------------- */

/* The ISO 7064 MOD 37,36 check character of `s` (characters 0-9, A-Z; case-insensitive);
 * 0 if `s` has any other character or is empty. */
char certs_mod37_36(const char *s);
/* Build an identifier from its fields into out (CERTS_ID_SIZE). */
int certs_identifier_make(const char *type_code, const char *issuer_code, const char *serial,
                          const char *version, char out[CERTS_ID_SIZE]);
/* 1 if `id` has the shape above and its check character is right; 0 otherwise. */
int certs_identifier_valid(const char *id);

/* ---- types ----------------------------------------------------------------------------- */

/* Create or update a type from JSON {code, type_code, name{zh,bo,en}, department, issuer_code,
 * fields: [{key, form_key, label{zh,bo,en}}], valid_years}. Own transaction, audited. */
int certs_type_put(struct store *st, int64_t actor, const json_t *type, struct err *err);
/* The demo types (MARRIAGE_CERT, ID_CARD), from data/certs/types.json. */
int certs_types_load_demo(struct store *st, int *count, struct err *err);
/* A type as JSON (new reference), or -1 with "certs.no_type" (404). */
int certs_type_get(struct store *st, const char *code, json_t **type, struct err *err);

/* ---- issuance ---------------------------------------------------------------------------- */

struct certs_issue_req {
    const char *type_code;        /* MARRIAGE_CERT ... */
    int64_t holder_account;       /* the holder's platform account */
    const char *holder_name;      /* plaintext in; encrypted at rest */
    const char *holder_id_number; /* plaintext in; encrypted at rest, masked in views */
    int64_t department_id;        /* the issuing department: its active certificate seal signs */
    const json_t *data;           /* values keyed by form keys; the type maps them */
    const char *source;           /* an application number, or "cli" */
    int64_t actor;                /* who issues (0: the system) */
};
/* Issue and seal a certificate. Joins the caller's transaction when in_tx = 1 (the
 * approval of an application), else its own. Audited ("certs.issue"). identifier gets
 * the new identifier. Errors: "certs.no_type" (404), "certs.bad_data" (400: a field the
 * type needs is missing), "seals.no_seal" (409: the department has no certificate seal). */
int certs_issue(struct certs *cs, const struct certs_issue_req *r, int in_tx,
                char identifier[CERTS_ID_SIZE], struct err *err);
/* The certificate an approved application earns, inside the approval's transaction. The
 * policy: certificates are issued to persons (an enterprise applicant, or one without name
 * and ID number, gets none); a type this platform does not issue (r->type_code NULL or
 * unknown) gets none; when the department has no certificate seal the decision stands
 * without a certificate (logged as a warning) rather than blocking the case. identifier
 * is "" when none was issued. Other errors as certs_issue. */
int certs_issue_on_approval(struct certs *cs, const struct certs_issue_req *r,
                            int enterprise_applicant, char identifier[CERTS_ID_SIZE],
                            struct err *err);
/* Revoke a certificate (own transaction, audited). */
int certs_revoke(struct store *st, int64_t actor, const char *identifier, struct err *err);

/* ---- the holder -------------------------------------------------------------------------- */

/* The holder's certificates, all (type NULL) or of one type: a new JSON array of
 * {id, identifier, type, name, issued_at, valid_until, status} (status valid, expired or
 * revoked). Reads only. */
int certs_wallet(struct store *st, int64_t holder, const char *type, json_t **list,
                 struct err *err);
/* The certificates a holder can offer on an application form: the valid ones (all types
 * when type is NULL), as a new array of {id, identifier, name, issued_at, valid_until,
 * status}; name is {zh, bo, en}. */
int certs_wallet_usable(struct store *st, int64_t holder, const char *type, json_t **list,
                        struct err *err);
/* The holder authorises one department to see one certificate for one application.
 * Refused (-1 with err): "certs.not_found" (404: not the holder's, or unknown),
 * "certs.revoked", "certs.expired" (409), "certs.wrong_type" (409). Joins the caller's
 * transaction when in_tx = 1 (apply's submitting transaction). Audited ("certs.use"). */
int certs_authorise_use(struct certs *cs, int64_t holder, const char *identifier, const char *type,
                        const char *application, int64_t department_id, int in_tx, struct err *err);

/* Every use the holder authorised, newest first, at most `limit` (1..1000): [{identifier,
 * type, application, department, department_name, purpose, at}] ("who used my data",
 * src/exchange through wiring). */
int certs_uses_of_holder(struct certs *cs, int64_t holder, int limit, json_t **list,
                         struct err *err);

/* A certificate in full for its holder, or for staff of a department it was authorised
 * to (department_ids: the departments the viewer holds grants on; n 0 for a citizen):
 * JSON with data, holder (full for the holder, masked for a department), uses (holder
 * only), qr, and the parts an independent checker needs (document base64, data_hash,
 * to_sign hex, signature hex, public_key hex). "certs.not_found" (404) otherwise. */
int certs_view(struct certs *cs, int64_t viewer, const int64_t *department_ids, size_t n,
               const char *identifier, json_t **out, struct err *err);

/* The certificate as a self-contained file (operators; the holder's JSON view has the
 * same parts): {identifier, document (base64url of the signed JSON), signature
 * (base64url of the DER SES_Signature)}. It carries personal data. */
int certs_export(struct store *st, struct crypto_keyring *kr, const char *identifier, json_t **out,
                 struct err *err);

/* ---- verification by anyone ----------------------------------------------------------- */

/* Verify an identifier or a QR payload (q). Result JSON: {status: valid|expired|revoked|
 * forged|not_found, failed: null or the check that failed (identifier, data, signature,
 * seal, chain, validity, status, payload), message, identifier, type{code,name},
 * issuer{name, code}, issued_at, valid_until, holder (masked)}. A malformed QR payload
 * is -1 with "certs.qr_truncated", "certs.qr_oversized" or "certs.qr_not_base64" (400). */
int certs_verify(struct certs *cs, const char *q, json_t **result, struct err *err);

/* The QR payload: base64url(DER QR{tbs{version 1, identifier, esID, dataHash, validUntil},
 * signature}) signed by the issuing seal's key. Parsed fields: */
struct certs_qr {
    char identifier[CERTS_ID_SIZE];
    char es_id[40];
    unsigned char data_hash[32];
    int64_t valid_until_ms;
    unsigned char *tbs; /* DER of tbs (malloc) */
    size_t tbs_len;
    unsigned char sig[80];
    size_t sig_len;
};
int certs_qr_parse(const char *payload, size_t len, struct certs_qr *out, struct err *err);
void certs_qr_free(struct certs_qr *q);
/* Offline: verify a parsed payload with the issuing seal's certificate (DER). 0 if the
 * signature holds. */
int certs_qr_verify_offline(const struct certs_qr *q, const unsigned char *cert_der,
                            size_t cert_len);

/* The PDF of a certificate for its holder: the holder's own document, so personal data
 * is in full (a marriage certificate shows both ID numbers); bilingual zh + bo, seal
 * picture, QR. `names` (may be NULL) brings what certs does not own: {issuer: {zh, bo,
 * en} (the issuing department's names, from identity), labels: {holder, id_number,
 * issued, until, no_expiry, identifier: {zh, bo}} (the i18n catalogs)}. Borrowed. The
 * bytes are in the caller's arena `out`. */
int certs_pdf(struct certs *cs, struct arena *out, int64_t holder, const char *identifier,
              const json_t *names, const unsigned char **pdf, size_t *len, struct err *err);
/* Render a PDF from a view (certs_view's JSON, with issuer {zh, bo} and labels as above)
 * and the seal picture; for the bench. */
int certs_pdf_render(const json_t *view, const unsigned char *png, size_t png_len,
                     unsigned char **pdf, size_t *len, struct err *err);

/* `onewindow cert issue TYPE HOLDER_ID_NUMBER DEPT DATA_JSON | verify FILE | types |
 * revoke IDENTIFIER`. FILE holds an identifier or a QR payload. 0, 1 (verify: not
 * valid), 2 (usage), -1. */
int certs_cli(struct certs *cs, int argc, char **argv, struct err *err);

/* Pages and API: /certificates, /certificates/{identifier}[/pdf], /verify,
 * /api/v1/verify, /api/v1/certificates/{identifier}[/uses]. */
int certs_http_register(struct web_server *srv, struct certs *cs);

/* Valid certificates whose validity ends in (from, until], oldest first, a page of
 * CERTS_BRIEF_MAX at a time collected before fn runs: id, holder, end of validity, type code. */
struct certs_brief {
    int64_t id, holder, valid_until;
    char type_code[48];
};
typedef int (*certs_brief_fn)(void *ctx, const struct certs_brief *b);
#define CERTS_BRIEF_MAX 256
int certs_each_expiring(struct store *st, int64_t from, int64_t until, certs_brief_fn fn, void *ctx,
                        struct err *err);

#endif
