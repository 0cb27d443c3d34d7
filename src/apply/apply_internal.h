/*
 * apply_internal.h - what the files of src/apply/ share: the module handle and the row
 * functions of apply_store.c (all of the module's SQL).
 */
#ifndef ONEWINDOW_APPLY_INTERNAL_H
#define ONEWINDOW_APPLY_INTERNAL_H

#include <pthread.h>

#include "apply/apply.h"
#include "identity/identity.h"

struct store_conn;

#define APPLY_MAX_RETIRED 64
#define APPLY_ITEM_SLOTS 64
/* Application numbers are handed out from blocks reserved by this process (issue 19): */
#define APPLY_NUMBER_SLOTS 32 /* (day, county) blocks kept at once */
#define APPLY_NUMBER_BLOCK 32 /* numbers reserved by one commit */

struct apply {
    struct store *store;
    struct crypto_keyring *kr;
    struct identity *id;
    struct notify *notify;
    struct apply_hooks hooks;
    struct apply_acting_hooks acting; /* set once at start-up */
    apply_event_fn on_event;          /* apply_on_event */
    void *on_event_ctx;
    pthread_mutex_t lock;
    struct calendar *cal;                        /* the newest calendar */
    struct calendar *retired[APPLY_MAX_RETIRED]; /* older ones, freed at close */
    int nretired;
    /* Published items as submissions read them, by code, for one catalog_version (issue
     * 19: parsing the 6 kB document was a fifth of a submission's CPU). Under `lock`;
     * the JSON is shared read-only (jansson's reference count is atomic). */
    struct apply_item_slot {
        char code[48];
        int64_t catalog_version;
        json_t *item;
    } items[APPLY_ITEM_SLOTS];
    /* Number blocks by (day, county): numbers next..end are this process's to give. Under
     * `numbers_lock` (never taken inside a transaction, so never while holding the store's
     * write lock: see apply_number_take). */
    pthread_mutex_t numbers_lock;
    struct apply_number_block {
        int day, county, next, end;
    } numbers[APPLY_NUMBER_SLOTS];
};

struct app_row {
    int64_t id;
    const char *number; /* NULL for a draft */
    const char *item_code;
    int item_version;
    const char *item_name;
    int64_t bundle_id;
    int64_t applicant_account;
    int64_t enterprise_id;
    int64_t filed_by;
    int on_behalf;
    const char *applicant_name;
    int64_t department_id;
    int64_t division_code;
    const char *state;
    const char *resume_state; /* may be NULL */
    const char *lang;
    const unsigned char *form_enc;
    size_t form_len;
    const char *idem_key; /* may be NULL */
    int limit_days;
    int used_days;
    int64_t clock_started_at;
    int64_t deadline_at;
    int64_t due_at;
    const char *cert_id; /* may be NULL */
    int64_t created_at, submitted_at, decided_at, updated_at;
};

struct app_file {
    int64_t id;
    const char *material_key, *filename, *content_type, *sm3, *cert_identifier;
    int64_t size, created_at;
};

/* A held upload (apply_held.c; table application_held_files). */
struct app_held {
    int64_t id;
    const char *material_key, *filename, *content_type, *sm3;
    int64_t size, created_at, expires_at, draft_id;
};

/* apply.c: the application's sealed form document {values, applicant: {name, id_number,
 * phone?}} (new reference), or NULL when it cannot be opened. */
json_t *apply_open_form(struct apply *ap, const struct app_row *r);
const json_t *apply_find_material(const json_t *item, const char *key);
const json_t *apply_find_field(const json_t *item, const char *key);
/* Tell the applicant (inbox, and SMS for a walk-in person with a mobile) that the
 * application is now `state`; inside the caller's transaction. */
/* The published item `code` through the cache in struct apply (apply_items.c): a new
 * reference to a shared object that nobody may modify. apply_items_free at close. */
int apply_published_item(struct apply *ap, const char *code, json_t **item, struct err *err);
void apply_items_free(struct apply *ap);

int apply_notify_applicant(struct apply *ap, struct arena *a, const struct app_row *r,
                           const char *state, const char *note, struct err *err);
/* Hand the transition just recorded to the apply_on_event hook (inside the transaction). */
int apply_emit(struct apply *ap, struct store_conn *c, const struct app_row *r, const char *action,
               const char *from_state, int64_t at, struct err *err);
/* The audit record of an action on application `number`, in the caller's transaction. */
int apply_audit(struct store_conn *c, int64_t actor, const char *action, const char *number,
                const char *ip, const char *detail, struct err *err);

/* Who applies: a person for themself, an agent for their enterprise, or a clerk for a
 * walk-in person (with their mobile and language). */
struct applicant {
    int64_t account;
    int64_t enterprise_id;
    int on_behalf;
    const char *name;
    const char *id_number; /* plaintext or NULL */
    const char *phone;     /* a walk-in person's mobile, plaintext, or NULL */
    const char *lang;      /* a walk-in person's language, or NULL */
};

/* apply_materials.c: every material problem of the request against the item's materials
 * (`existing`: material key -> count of files already there, held or on record). */
void apply_check_materials(struct apply *ap, const json_t *item, const struct apply_request *rq,
                           const json_t *existing, json_t *problems);
/* Seal every upload of `rq` into p->sealed (before the write transaction). 0, or -1 with
 * err. apply_store_materials then stores them without sealing inside the lock. */
struct prepared;
int apply_seal_uploads(struct apply *ap, struct arena *a, struct prepared *p,
                       const struct apply_request *rq, struct err *err);
/* Inside the caller's transaction: store the uploads (sealed, SM3 of the plaintext), the
 * held files of materials not uploaded again and (part MATERIALS_CERTS) the e-certificate
 * uses of application `app_id`; a material given again replaces its earlier files. Part
 * MATERIALS_REGISTERS (first submission): the materials a register holds that were neither
 * uploaded nor covered by a certificate, fetched through the register_record hook.
 * MATERIALS_NEW: the application row was inserted in this transaction, so no earlier file
 * needs replacing (no DELETE before the uploads and register records). */
enum { MATERIALS_UPLOADS = 1, MATERIALS_CERTS = 2, MATERIALS_REGISTERS = 4, MATERIALS_NEW = 8 };
int apply_store_materials(struct apply *ap, struct store_conn *c, struct arena *a,
                          const struct prepared *p, const struct apply_request *rq, int64_t app_id,
                          const char *number, int64_t now, int part, struct err *err);

/* An application ready to be inserted: its item, department, applicant, clean values and
 * the held uploads it uses. */
struct prepared {
    json_t *item;
    struct identity_department dept;
    struct applicant who;
    json_t *clean;
    const struct app_held *held;
    size_t nheld;
    json_t *registers; /* 免提交: {material key: record} fetched before the transaction */
    /* apply_ready, before the write transaction: the application row with its sealed form,
     * and the "submitted" notice's parameters (NULL when nobody is to be told). */
    struct app_row row;
    json_t *notice;
    const char *notice_phone;
    struct sealed_upload *sealed; /* one per rq->files[i], sealed by apply_ready; or NULL */
    size_t nsealed;
};
/* An upload sealed before the transaction (apply_seal_uploads): its row's id, ciphertext
 * (malloc'd; apply_prepared_free frees it), SM3 of the plaintext (hex) and sniffed type. */
struct sealed_upload {
    int64_t id;
    unsigned char *enc;
    size_t len;
    char sm3[65];
    const char *content_type;
};
void apply_prepared_free(struct prepared *p);
/* apply_materials.c: the register records the submission will store (免提交), asked for
 * before the write transaction (a slow register must not hold it) into p->registers. 0;
 * -1 with err (422 apply.register_no_record, or the register's 504 / 502): nothing stored. */
int apply_fetch_registers(struct apply *ap, struct prepared *p, const struct apply_request *rq,
                          struct err *err);
/* Load the item, find the department and the applicant, validate every field and material
 * (held uploads count as their materials' files). The problem count, or -1. */
int apply_prepare(struct apply *ap, struct arena *a, const struct apply_request *rq,
                  const struct app_held *held, size_t nheld, int64_t now, struct prepared *p,
                  json_t *problems, struct err *err);
/* The next application number (YYYYMMDD, the county-level division's 6 digits, a 6-digit
 * daily sequence) for a submission in `division`. Call it outside any transaction: when the
 * process's block for the day and county is used up it commits the reservation of the next
 * one. Numbers are unique across processes and restarts, not gap-free: a rolled-back
 * submission or a restart leaves the rest of a block unused. */
int apply_number_take(struct apply *ap, struct store_conn *c, int64_t now, int64_t division,
                      char out[32], struct err *err);
/* Before the write transaction: everything of a submission that needs no lock - the row
 * (numbered `number`, taken with apply_number_take; its due date from the calendar), the
 * form sealed, the receipt notice rendered - into p->row and p->notice. SQLite has one
 * writer at a time, so what is done here shortens everyone's wait (issue 19). */
int apply_ready(struct apply *ap, struct arena *a, struct prepared *p,
                const struct apply_request *rq, int64_t now, const char *idem, const char *number,
                struct err *err);
/* Inside the caller's transaction: the application apply_ready built. */
int apply_insert_submitted(struct apply *ap, struct store_conn *c, struct arena *a,
                           const struct prepared *p, const struct apply_request *rq, int64_t now,
                           struct err *err);

/* apply_view.c: whether `s` may see application `r` (as its applicant or filer, sets
 * *as_applicant; or as staff with case.view in its department); the short form of a row for
 * lists, queues and bundles (strings in `a`; the JSON is the caller's). */
int apply_visible(const struct authz_subject *s, const struct app_row *r, int *as_applicant);
json_t *apply_row_json(struct arena *a, const char *lang, const struct calendar *cal,
                       const struct app_row *r, int64_t now);

/* apply_held.c */
/* Seal `len` bytes under the PII key bound to `ad` into a malloc'd buffer (caller frees). */
int apply_seal(struct apply *ap, const char *ad, const void *data, size_t len, unsigned char **out,
               size_t *out_len, struct err *err);
/* The held uploads of rq->held (less rq->unhold) the request may use: the filer's, for
 * rq->form_key, alive, of rq->session_key or rq->draft_id. Unknown ids are left out (a
 * file that expired is simply no longer attached). Rows in `a`. */
int apply_held_resolve(struct apply *ap, struct store_conn *c, struct arena *a,
                       const struct apply_request *rq, int64_t now, struct app_held **out,
                       size_t *n, struct err *err);
/* The plaintext of a held file (malloc'd; the caller wipes and frees it). */
int apply_held_open(struct apply *ap, struct store_conn *c, struct arena *a, int64_t account,
                    int64_t id, unsigned char **data, size_t *len, struct err *err);
/* Inside the caller's transaction: the held rows are used up (submitted), and with them
 * those the request let go of (rq->unhold), whatever this session held for the form and
 * whatever was kept with the draft `draft_id` (0: none). */
int apply_held_consume(struct store_conn *c, const struct apply_request *rq,
                       const struct app_held *held, size_t n, int64_t draft_id, struct err *err);

/* apply_store.c */
/* Briefs for the reminders job (apply_each_returned / _decided_since): returned (since 0)
 * or decided since `since`, with ids above `after` (keyset pages), oldest first, at most
 * `max`, in arena `a`. */
int apply_db_briefs(struct store_conn *c, struct arena *a, int decided, int64_t since,
                    int64_t after, size_t max, struct apply_brief *out, size_t *n, struct err *err);
/* Reserves n numbers of (day, county) in one statement: *last is the last of them. */
int apply_db_seq_reserve(struct store_conn *c, int day, int county, int n, int *last,
                         struct err *err);
int apply_db_insert(struct store_conn *c, const struct app_row *r, struct err *err);
int apply_db_delete_draft(struct store_conn *c, int64_t id, int64_t filed_by, struct err *err);
int apply_db_update_draft(struct store_conn *c, const struct app_row *r, struct err *err);
int apply_db_update_state(struct store_conn *c, const struct app_row *r, struct err *err);
int apply_db_update_form(struct store_conn *c, int64_t id, const unsigned char *enc, size_t len,
                         int64_t now, struct err *err);
int apply_db_get_number(struct store_conn *c, struct arena *a, const char *number,
                        struct app_row *r, int *found, struct err *err);
/* The statistics facts of submitted applications (apply_facts). */
int apply_db_facts(struct store_conn *c, int64_t from_ms, int64_t to_ms,
                   void (*fn)(void *ctx, const struct apply_fact *f), void *ctx, struct err *err);
int apply_db_get_id(struct store_conn *c, struct arena *a, int64_t id, struct app_row *r,
                    int *found, struct err *err);
int apply_db_by_idem(struct store_conn *c, struct arena *a, int64_t filed_by, const char *key,
                     const char **number, int *found, struct err *err);
int apply_db_list_mine(struct store_conn *c, struct arena *a, int64_t account, int limit,
                       struct app_row **out, size_t *n, struct err *err);
int apply_db_queue(struct store_conn *c, struct arena *a, int64_t dept, const char *state,
                   int limit, struct app_row **out, size_t *n, struct err *err);
int apply_db_bundle(struct store_conn *c, struct arena *a, int64_t bundle_id, struct app_row **out,
                    size_t *n, struct err *err);
int apply_db_file_insert(struct store_conn *c, int64_t id, int64_t app_id, const char *key,
                         const char *filename, const char *ctype, int64_t size, const char *sm3,
                         const unsigned char *enc, size_t enc_len, const char *cert, int64_t now,
                         struct err *err);
int apply_db_files_delete_key(struct store_conn *c, int64_t app_id, const char *key,
                              struct err *err);
int apply_db_files(struct store_conn *c, struct arena *a, int64_t app_id, struct app_file **out,
                   size_t *n, struct err *err);
int apply_db_file_content(struct store_conn *c, struct arena *a, int64_t app_id, int64_t file_id,
                          struct app_file *f, const unsigned char **enc, size_t *len, int *found,
                          struct err *err);
/* apply_reveal_store.c: staff reveals of full ID numbers, by applicant. */
int apply_db_reveal_insert(struct store_conn *c, const struct app_row *r, int64_t staff,
                           const char *purpose, int64_t now, struct err *err);
int apply_db_reveals(struct store_conn *c, int64_t applicant, int limit, json_t *rows,
                     struct err *err);
int apply_db_event_insert(struct store_conn *c, int64_t app_id, int64_t at, int64_t actor,
                          const char *action, const char *from, const char *to, const char *note,
                          const char *problems, struct err *err);
int apply_db_held_insert(struct store_conn *c, const struct app_held *h, int64_t account,
                         const char *session_hash, const char *form_key, const unsigned char *enc,
                         size_t enc_len, struct err *err);
int apply_db_held_get(struct store_conn *c, struct arena *a, int64_t id, int64_t account,
                      const char *form_key, const char *session_hash, int64_t draft_id, int64_t now,
                      struct app_held *h, int *found, struct err *err);
int apply_db_held_of_draft(struct store_conn *c, struct arena *a, int64_t draft_id, int64_t account,
                           int64_t now, struct app_held **out, size_t *n, struct err *err);
int apply_db_held_usage(struct store_conn *c, int64_t account, int64_t now, int64_t *count,
                        int64_t *bytes, struct err *err);
int apply_db_held_delete(struct store_conn *c, int64_t id, int64_t account, struct err *err);
int apply_db_held_delete_draft(struct store_conn *c, int64_t draft_id, int64_t account,
                               struct err *err);
int apply_db_held_bind_draft(struct store_conn *c, int64_t id, int64_t account, int64_t draft_id,
                             int64_t expires_at, struct err *err);
int apply_db_held_content(struct store_conn *c, struct arena *a, int64_t id, int64_t account,
                          const unsigned char **enc, size_t *len, struct err *err);
int apply_db_held_purge(struct store_conn *c, int64_t now, int64_t *purged, struct err *err);
int apply_db_held_of_session(struct store_conn *c, struct arena *a, int64_t account,
                             const char *form_key, const char *session_hash, int64_t **ids,
                             size_t *n, struct err *err);
int apply_db_held_delete_session(struct store_conn *c, int64_t account, const char *form_key,
                                 const char *session_hash, struct err *err);
struct app_event {
    int64_t at, actor;
    const char *action, *from, *to, *note, *problems;
};
int apply_db_events(struct store_conn *c, struct arena *a, int64_t app_id, struct app_event **out,
                    size_t *n, struct err *err);

#endif
