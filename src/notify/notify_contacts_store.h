/* notify_contacts_store.h - the SQL of contacts, preferences and opt-outs (issue 16). */
#ifndef ONEWINDOW_NOTIFY_CONTACTS_STORE_H
#define ONEWINDOW_NOTIFY_CONTACTS_STORE_H

#include "notify/notify_internal.h"

struct ntc_code {
    int found;
    char hash[72];
    int64_t expires_at;
    int tries;
};
struct ntc_route {
    char channel[8];
    unsigned char address_enc[400];
    size_t address_len;
};
struct ntc_prefs {
    int found;
    char lang[8];
    int quiet_from, quiet_to;
};

int ntc_contact_put(struct store_conn *c, int64_t account_id, const char *channel,
                    const unsigned char *sealed, size_t len, const char *masked,
                    const char *code_hash, int64_t code_expires, int64_t now, struct err *err);
int ntc_code_get(struct store_conn *c, int64_t account_id, const char *channel,
                 struct ntc_code *out, struct err *err);
/* A try: good marks verified and clears the code; bad counts a try. */
int ntc_code_result(struct store_conn *c, int64_t account_id, const char *channel, int good,
                    int64_t now, struct err *err);
int ntc_contacts(struct store_conn *c, int64_t account_id, struct notify_contact out[2],
                 size_t *count, struct err *err);
/* Verified contacts of the account (at most 2). */
int ntc_routes(struct store_conn *c, int64_t account_id, struct ntc_route out[2], size_t *count,
               struct err *err);
int ntc_prefs_get(struct store_conn *c, int64_t account_id, struct ntc_prefs *out, struct err *err);
int ntc_prefs_put(struct store_conn *c, int64_t account_id, const char *lang, int quiet_from,
                  int quiet_to, int64_t now, struct err *err);
int ntc_optout(struct store_conn *c, int64_t account_id, const char *group, const char *channel,
               int off, struct err *err);
int ntc_optout_get(struct store_conn *c, int64_t account_id, const char *group, const char *channel,
                   int *off, struct err *err);

#endif
