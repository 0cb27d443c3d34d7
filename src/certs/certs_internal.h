/*
 * certs_internal.h - what the files of src/certs/ share: the row type and the store
 * functions (certs_store.c). Public interface: certs.h.
 */
#ifndef ONEWINDOW_CERTS_INTERNAL_H
#define ONEWINDOW_CERTS_INTERNAL_H

#include <pthread.h>

#include "certs/certs.h"

struct store_conn;
struct seals_report;

/* The verification cache (certs_verify.c): bounded, direct-mapped, one per handle. */
struct certs_vcache_slot;
/* The result cache (certs_verify.c): an identifier's last result, for CERTS_RESULT_TTL_MS. */
struct certs_rcache_slot;
void certs_rcache_free(struct certs *cs);

/* How long a verification result by identifier is served from memory: the bound on how
 * late another node reports a revocation (a revocation on this node clears it at once,
 * certs_generation). */
#define CERTS_RESULT_TTL_MS 500
/* Bumped by every certificate revocation in this process. */
uint64_t certs_generation(void);

struct certs {
    struct store *st;
    struct crypto_keyring *kr;
    struct identity *id; /* NULL in unit tests that need no accounts or names */
    pthread_mutex_t vcache_lock;
    struct certs_vcache_slot *vcache; /* allocated on first use */
    struct certs_rcache_slot *rcache; /* allocated on first use, under vcache_lock */
    int result_ttl_ms;                /* CERTS_RESULT_TTL_MS; 0 turns the result cache off */
};

/* A department as JSON {id, code, zh, bo, en, division} through identity (404
 * certs.no_department), by id or, when code is not NULL, by code. */
int certs_department(struct certs *cs, int64_t id, const char *code, json_t **dept,
                     struct err *err);
int certs_qr_verify_online(struct certs *cs, const char *payload, json_t **out, struct err *err);

struct certs_row {
    int64_t id, holder_account, department_id, seal_id, issued_at, valid_until;
    char identifier[CERTS_ID_SIZE], type_code[48], holder_masked[40], data_hash[65], status[16],
        source[80];
    unsigned char *holder_name;
    size_t holder_name_len; /* sealed */
    unsigned char *holder_id;
    size_t holder_id_len; /* sealed */
    unsigned char *document;
    size_t document_len; /* sealed */
    unsigned char *signature;
    size_t signature_len; /* DER SES_Signature */
    char *qr_payload;
};
void certs_row_free(struct certs_row *r);

/* Shared by certs.c and certs_verify.c: a sealed column opened into a NUL-terminated
 * string from malloc (NULL if it does not open), wiped and freed by certs_free_text; a
 * name masked to its first character; the status a row has now (valid, expired,
 * revoked). */
char *certs_open_value(struct crypto_keyring *kr, const char *col, int64_t id,
                       const unsigned char *in, size_t n);
void certs_free_text(char *s);
void certs_mask_name(const char *name, char *out, size_t size);
const char *certs_effective_status(const struct certs_row *r, int64_t now);

/* certs_view, with `reveal` 1 for the holder's own document: personal data in full
 * (for anyone but the holder it is masked all the same). */
int certs_view_ex(struct certs *cs, int64_t viewer, const int64_t *department_ids, size_t n,
                  const char *identifier, int reveal, json_t **out, struct err *err);

/* ---- the PDF's layout (certs_pdf.c) ---------------------------------------------------
 * Where certs_pdf_draw put things, in points from the page's top left corner: ink boxes
 * of text, the QR code's and the seal picture's squares; per row of the field table, the
 * font size and the lowest ink of the label's Chinese and Tibetan runs (0 if none). */
#define CERTS_PDF_ROWS 16
struct certs_pdf_box {
    double x, y, w, h;
};
struct certs_pdf_layout {
    double width, height;
    struct certs_pdf_box title, qr, fields, dates, identifier, issuer, seal;
    size_t nrows;
    struct {
        double size, han_bottom, bo_bottom;
    } rows[CERTS_PDF_ROWS];
};
/* certs_pdf_render that also reports the layout (layout may be NULL). */
int certs_pdf_draw(const json_t *view, const unsigned char *png, size_t png_len,
                   unsigned char **pdf, size_t *len, struct certs_pdf_layout *layout,
                   struct err *err);

int certs_db_type_put(struct store_conn *c, const char *code, const char *type_code, const char *zh,
                      const char *bo, const char *en, const char *dept, const char *issuer,
                      const char *fields, int64_t valid_years, int64_t now, struct err *err);
/* The type as JSON {code, type_code, name{zh,bo,en}, department, issuer_code, fields,
 * valid_years}; found = 0 if none. */
int certs_db_type_get(struct store_conn *c, const char *code, json_t **type, int *found,
                      struct err *err);
int certs_db_insert(struct store_conn *c, const struct certs_row *r, struct err *err);
int certs_db_get(struct store_conn *c, const char *identifier, struct certs_row *r, int *found,
                 struct err *err);
int certs_db_wallet(struct store_conn *c, int64_t holder, const char *type, int64_t now,
                    json_t **list, struct err *err);
int certs_db_set_status(struct store_conn *c, const char *identifier, const char *status,
                        int64_t *changes, struct err *err);
int certs_db_use_insert(struct store_conn *c, int64_t cert_id, int64_t holder,
                        const char *application, int64_t department_id, const char *purpose,
                        int64_t at, struct err *err);
/* Uses of a certificate: [{application, department, department_name, purpose, at}]. */
int certs_db_uses(struct store_conn *c, int64_t cert_id, json_t **list, struct err *err);
int certs_db_uses_of_holder(struct store_conn *c, int64_t holder, int limit, json_t **list,
                            struct err *err);
/* 1 if the certificate was authorised to any of the departments. */
int certs_db_use_allowed(struct store_conn *c, int64_t cert_id, const int64_t *depts, size_t n,
                         int *allowed, struct err *err);
/* A department's names and code by id or by code. */
/* How many roots are on the trust list (the verification cache's generation). */

int certs_db_expiring(struct store_conn *c, int64_t from, int64_t until, int64_t after,
                      struct certs_brief *out, size_t max, size_t *n, struct err *err);

#endif
