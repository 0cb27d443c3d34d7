/* notify_contacts_store.h - the SQL of contacts, preferences and opt-outs (issue 16). */
#ifndef ONEWINDOW_NOTIFY_CONTACTS_STORE_H
#define ONEWINDOW_NOTIFY_CONTACTS_STORE_H

#include "notify/notify_internal.h"

struct notify_db_code {
    int found;
    char hash[72];
    int64_t expires_at;
    int tries;
};
struct notify_db_route {
    char channel[8];
    unsigned char address_enc[400];
    size_t address_len;
};
struct notify_db_prefs {
    int found;
    char lang[8];
    int quiet_from, quiet_to;
};

int notify_db_contact_put(struct store_conn *c, int64_t account_id, const char *channel,
                          const unsigned char *sealed, size_t len, const char *masked,
                          const char *code_hash, int64_t code_expires, int64_t now,
                          struct err *err);
int notify_db_code_get(struct store_conn *c, int64_t account_id, const char *channel,
                       struct notify_db_code *out, struct err *err);
/* A try: good marks verified and clears the code; bad counts a try. */
int notify_db_code_result(struct store_conn *c, int64_t account_id, const char *channel, int good,
                          int64_t now, struct err *err);
int notify_db_contacts(struct store_conn *c, int64_t account_id, struct notify_contact out[2],
                       size_t *count, struct err *err);
/* Verified contacts of the account (at most 2). */
int notify_db_routes(struct store_conn *c, int64_t account_id, struct notify_db_route out[2],
                     size_t *count, struct err *err);
int notify_db_prefs_get(struct store_conn *c, int64_t account_id, struct notify_db_prefs *out,
                        struct err *err);
int notify_db_prefs_put(struct store_conn *c, int64_t account_id, const char *lang, int quiet_from,
                        int quiet_to, int64_t now, struct err *err);
int notify_db_optout(struct store_conn *c, int64_t account_id, const char *group,
                     const char *channel, int off, struct err *err);
int notify_db_optout_get(struct store_conn *c, int64_t account_id, const char *group,
                         const char *channel, int *off, struct err *err);

#endif
