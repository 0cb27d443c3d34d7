/*
 * notices.h - 信息发布 / 通知公告 (issue 16 part 5): departments publish notices to the
 * portal, for their division and a topic, in zh/bo/en; everyone reads them at /notices and
 * in the Atom feed /notices.atom; people subscribe to a topic and hear of each new notice
 * through notify (inbox, and their verified e-mail and SMS unless they turned the
 * "notices" group off). Design: docs/internals/notices.md.
 */
#ifndef ONEWINDOW_NOTICES_NOTICES_H
#define ONEWINDOW_NOTICES_NOTICES_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct arena;
struct store;
struct notify;
struct identity;
struct web_server;
struct authz_subject;

struct notices;

/* Topics, in this order on the pages: policy 政策文件, service 办事指南, public 公示公告,
 * emergency 应急提示. */
#define NOTICES_NTOPICS 4
extern const char *const notices_topics[NOTICES_NTOPICS];
int notices_topic_valid(const char *topic);

struct notice_in {
    int64_t department_id;
    const char *topic;
    const char *title[3]; /* zh (required), bo, en */
    const char *body[3];
};
struct notice {
    int64_t id, department_id, division_code, published_at;
    const char *topic;
    const char *title[3], *body[3];
    const char *dept_name[3];
};

int notices_open(struct store *st, struct notify *nf, struct identity *id, struct notices **out,
                 struct err *err);
void notices_close(struct notices *n);

/* Publish as `subj` (needs notice.publish on the department: 403 notices.forbidden): 400
 * notices.bad_input (title/body missing or too long: zh title 1..200, body 1..20000;
 * unknown topic), audited, and each subscriber of the topic is told (notify). */
int notices_publish(struct notices *n, const struct authz_subject *subj, const char *ip,
                    const struct notice_in *in, int64_t *id, struct err *err);
/* Newest first, id < before (0: from the newest), at most limit (1..100); topic may be
 * NULL, division 0 (all); a division is the 12-digit code the notice was published for.
 * Strings in `a`. */
int notices_list(struct notices *n, struct arena *a, const char *topic, int64_t division,
                 int64_t before, int limit, struct notice **out, size_t *count, struct err *err);
int notices_get(struct notices *n, struct arena *a, int64_t id, struct notice *out,
                struct err *err);
/* The text of a notice field in `lang`, zh when it has none. */
const char *notices_text(const char *const v[3], const char *lang);
/* The Atom feed (RFC 4287) of the newest 50 notices in `lang`, in `a`. */
char *notices_atom(struct notices *n, struct arena *a, const char *lang, const char *base_url,
                   struct err *err);
/* Subscribe or unsubscribe an account to a topic. */
int notices_subscribe(struct notices *n, int64_t account_id, const char *topic, int on,
                      struct err *err);
int notices_subscribed(struct notices *n, int64_t account_id, int out[NOTICES_NTOPICS],
                       struct err *err);

int notices_http_register(struct web_server *srv, struct notices *n);

#endif
