/*
 * apply_internal.h - what the files of src/apply/ share: the module handle and the row
 * functions of apply_store.c (all of the module's SQL).
 */
#ifndef ONEWINDOW_APPLY_INTERNAL_H
#define ONEWINDOW_APPLY_INTERNAL_H

#include <pthread.h>

#include "apply/apply.h"

struct store_conn;

#define APPLY_MAX_RETIRED 64

struct apply {
    struct store *store;
    struct crypto_keyring *kr;
    struct identity *id;
    struct notify *notify;
    struct apply_hooks hooks;
    pthread_mutex_t lock;
    struct calendar *cal;   /* the newest calendar */
    struct calendar *retired[APPLY_MAX_RETIRED]; /* older ones, freed at close */
    int nretired;
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

/* apply.c: the application's sealed form document (new reference), or NULL when it cannot
 * be opened. */
struct apply;
json_t *apply_open_form(struct apply *ap, const struct app_row *r);

/* apply_store.c */
int aps_seq_next(struct store_conn *c, int day, int county, int *seq, struct err *err);
int aps_insert(struct store_conn *c, const struct app_row *r, struct err *err);
int aps_set_number(struct store_conn *c, int64_t id, const char *number, struct err *err);
int aps_delete_draft(struct store_conn *c, int64_t id, int64_t filed_by, struct err *err);
int aps_update_draft(struct store_conn *c, const struct app_row *r, struct err *err);
int aps_update_state(struct store_conn *c, const struct app_row *r, struct err *err);
int aps_update_form(struct store_conn *c, int64_t id, const unsigned char *enc, size_t len,
                    int64_t now, struct err *err);
int aps_get_number(struct store_conn *c, struct arena *a, const char *number, struct app_row *r,
                   int *found, struct err *err);
int aps_get_id(struct store_conn *c, struct arena *a, int64_t id, struct app_row *r, int *found,
               struct err *err);
int aps_by_idem(struct store_conn *c, struct arena *a, int64_t filed_by, const char *key,
                const char **number, int *found, struct err *err);
int aps_list_mine(struct store_conn *c, struct arena *a, int64_t account, int limit,
                  struct app_row **out, size_t *n, struct err *err);
int aps_queue(struct store_conn *c, struct arena *a, int64_t dept, const char *state, int limit,
              struct app_row **out, size_t *n, struct err *err);
int aps_bundle(struct store_conn *c, struct arena *a, int64_t bundle_id, struct app_row **out,
               size_t *n, struct err *err);
int aps_file_insert(struct store_conn *c, int64_t id, int64_t app_id, const char *key,
                    const char *filename, const char *ctype, int64_t size, const char *sm3,
                    const unsigned char *enc, size_t enc_len, const char *cert, int64_t now,
                    struct err *err);
int aps_files_delete_key(struct store_conn *c, int64_t app_id, const char *key, struct err *err);
int aps_files(struct store_conn *c, struct arena *a, int64_t app_id, struct app_file **out,
              size_t *n, struct err *err);
int aps_file_content(struct store_conn *c, struct arena *a, int64_t app_id, int64_t file_id,
                     struct app_file *f, const unsigned char **enc, size_t *len, int *found,
                     struct err *err);
int aps_event_insert(struct store_conn *c, int64_t app_id, int64_t at, int64_t actor,
                     const char *action, const char *from, const char *to, const char *note,
                     const char *problems, struct err *err);
struct app_event {
    int64_t at, actor;
    const char *action, *from, *to, *note, *problems;
};
int aps_events(struct store_conn *c, struct arena *a, int64_t app_id, struct app_event **out,
               size_t *n, struct err *err);

#endif
