/*
 * identity_internal.h - shared by the files of src/identity/: the module state and the
 * SQL layer (identity_store.c) used by the logic (identity.c, authz.c) and the pages
 * (identity_http.c).
 */
#ifndef ONEWINDOW_IDENTITY_INTERNAL_H
#define ONEWINDOW_IDENTITY_INTERNAL_H

#include "crypto/crypto.h"
#include "identity/identity.h"

struct identity {
    struct store *store;
    struct crypto_keyring *kr;
    struct crypto_pwhash *ph;
    struct identity_options opt;
    /* A real hash of a random password: verified against when the login name is
     * unknown, so that the answer takes as long as for a known one. */
    char dummy_hash[CRYPTO_PASSWORD_HASH_SIZE];
    identity_sessions_ended_fn on_ended; /* set once at start-up, then read-only */
    struct identity_registers registers; /* set once at start-up, then read-only */
    void *on_ended_ctx;
    /* The account menu (identity_menu_add), filled at start-up, then read-only. */
    struct {
        const char *href, *label_key, *action;
    } menu[IDENTITY_MENU_MAX];
    size_t nmenu;
};

/* An accounts row as stored (encrypted columns still sealed). */
struct account_row {
    int64_t id;
    int kind;
    const char *username;
    const char *name;
    const unsigned char *id_enc;
    size_t id_enc_len;
    const unsigned char *phone_enc;
    size_t phone_enc_len;
    const char *password_hash;
    const unsigned char *totp_enc;
    size_t totp_enc_len;
    int64_t totp_last_step;
    const char *lang;
    const char *status;
    int64_t created_at;
};

struct throttle_row {
    int failures;
    int64_t window_start;
    int64_t blocked_until;
};

/* identity_store.c: every SQL statement of the module. Strings and blobs are copied
 * into `a`. "found" results: 1 found, 0 not. */
int identity_db_account_insert(struct store_conn *c, const struct account_row *r,
                               const char *id_hash, const char *phone_hash, struct err *err);
int identity_db_account_get(struct store_conn *c, struct arena *a, int64_t id,
                            struct account_row *out, int *found, struct err *err);
/* *active = 1 when the account exists and its status is "active". */
int identity_db_account_active(struct store_conn *c, int64_t id, int *active, struct err *err);
int identity_db_account_by_id_hash(struct store_conn *c, const char *hash, int64_t *id, int *found,
                                   struct err *err);
int identity_db_account_by_phone_hash(struct store_conn *c, const char *hash, int64_t *id,
                                      int *found, struct err *err);
int identity_db_account_by_username(struct store_conn *c, const char *username, int64_t *id,
                                    int *found, struct err *err);
int identity_db_account_set_password(struct store_conn *c, int64_t id, const char *hash,
                                     struct err *err);
int identity_db_account_set_totp(struct store_conn *c, int64_t id, const unsigned char *enc,
                                 size_t n, int64_t last_step, struct err *err);
/* Move totp_last_step forward to `step` only if it is larger: *accepted says whether it
 * was (so the same code can never be used twice, even by two concurrent requests). */
int identity_db_account_advance_totp_step(struct store_conn *c, int64_t id, int64_t step,
                                          int *accepted, struct err *err);
int identity_db_recovery_replace(struct store_conn *c, int64_t account_id, const char (*hashes)[65],
                                 size_t n, struct err *err);
int identity_db_recovery_use(struct store_conn *c, int64_t account_id, const char *hash, int *used,
                             struct err *err);
int identity_db_throttle_clear(struct store_conn *c, const char *key, struct err *err);
/* Count one attempt atomically: *count is the attempts in the window including this one;
 * *blocked_until the current pause. */
int identity_db_throttle_hit(struct store_conn *c, const char *key, int64_t now, int64_t window_ms,
                             int *count, int64_t *blocked_until, struct err *err);
/* Take back one counted attempt (it succeeded, or was refused without being tried). */
int identity_db_throttle_undo(struct store_conn *c, const char *key, struct err *err);
/* Pause the key until `until` (never shortens a longer pause). */
int identity_db_throttle_block(struct store_conn *c, const char *key, int64_t until,
                               struct err *err);
int identity_db_department_insert(struct store_conn *c, const struct identity_department *d,
                                  struct err *err);
int identity_db_department_list(struct store_conn *c, struct arena *a,
                                struct identity_department **out, size_t *n, struct err *err);
int identity_db_department_by_id(struct store_conn *c, struct arena *a, int64_t dept_id,
                                 struct identity_department *out, int *found, struct err *err);
int identity_db_department_by_code(struct store_conn *c, struct arena *a, const char *code,
                                   struct identity_department *out, int *found, struct err *err);
int identity_db_grant_insert(struct store_conn *c, int64_t grant_id, int64_t account_id,
                             int64_t dept_id, const char *role, int64_t actor, struct err *err);
int identity_db_grant_revoke(struct store_conn *c, int64_t account_id, int64_t dept_id,
                             const char *role, int64_t *changed, struct err *err);
int identity_db_citizens_page(struct store_conn *c, int64_t after, int limit,
                              identity_citizen_fn fn, void *ctx, int64_t *last, size_t *n,
                              struct err *err);
int identity_db_department_exists(struct store_conn *c, int64_t dept_id, int *found,
                                  struct err *err);
int identity_db_department_holders(struct store_conn *c, int64_t dept_id, const char *role,
                                   int64_t *ids, size_t max, size_t *n, struct err *err);
int identity_db_grant_exists(struct store_conn *c, int64_t account_id, int64_t dept_id,
                             const char *role, int *found, struct err *err);
/* The live grants of an account with each department's division. */
int identity_db_grants_of(struct store_conn *c, int64_t account_id, struct authz_subject *subj,
                          struct err *err);

/* enterprise_store.c: the SQL of enterprises and their members (enterprise.c). */
struct enterprise_member_row {
    int64_t account_id;
    int role;
    int64_t granted_at;
};
/* Insert; division_code is stored only if the divisions table knows it (else NULL). A
 * credit code already present fails with store.conflict. */
int identity_db_enterprise_insert(struct store_conn *c, const struct identity_enterprise *e,
                                  int64_t division_code, struct err *err);
int identity_db_enterprise_by_uscc(struct store_conn *c, const char *uscc, int64_t *id, int *found,
                                   struct err *err);
/* The enterprise with the role of `account_id` in it (0 if no member). */
int identity_db_enterprise_get(struct store_conn *c, struct arena *a, int64_t enterprise_id,
                               int64_t account_id, struct identity_enterprise *out, int *found,
                               struct err *err);
int identity_db_enterprises_of(struct store_conn *c, struct arena *a, int64_t account_id,
                               struct identity_enterprise **out, size_t *n, struct err *err);
int identity_db_enterprise_member_insert(struct store_conn *c, int64_t enterprise_id,
                                         int64_t account_id, int role, struct err *err);
/* Delete a member with the role `role` only; *changed 1 if a row went. */
int identity_db_enterprise_member_delete(struct store_conn *c, int64_t enterprise_id,
                                         int64_t account_id, int role, int *changed,
                                         struct err *err);
/* The members, legal representative first, at most `max`. */
int identity_db_enterprise_members(struct store_conn *c, struct arena *a, int64_t enterprise_id,
                                   size_t max, struct enterprise_member_row **out, size_t *n,
                                   struct err *err);

/* enterprise_http.c: the account page's list of enterprises, added to its model `m`
 * (identity_http.c's account_page). */
struct web_req;
struct json_t;
void identity_enterprise_account_model(struct web_req *req, struct identity *id, int64_t account_id,
                                       struct json_t *m);

#endif
