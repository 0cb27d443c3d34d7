/*
 * notices.c - publishing (authorisation, validation, audit, telling subscribers), reading,
 * the Atom feed and subscriptions. No HTTP and no SQL here.
 */
#include "notices/notices_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/id.h"
#include "base/utf8.h"
#include "identity/identity.h"
#include "notify/notify.h"
#include "store/store.h"
#include "web/i18n.h"

const char *const notices_topics[NOTICES_NTOPICS] = {"policy", "service", "public", "emergency"};

int notices_topic_valid(const char *topic)
{
    for (int i = 0; topic && i < NOTICES_NTOPICS; i++)
        if (strcmp(topic, notices_topics[i]) == 0)
            return 1;
    return 0;
}

int notices_open(struct store *st, struct notify *nf, struct identity *id, struct notices **out,
                 struct err *err)
{
    struct notices *n = calloc(1, sizeof(*n));
    if (n == NULL)
        return err_set(err, 500, "notices.oom", "out of memory");
    n->store = st;
    n->id = id;
    n->notify = nf;
    *out = n;
    return 0;
}

void notices_close(struct notices *n)
{
    free(n);
}

const char *notices_text(const char *const v[3], const char *lang)
{
    int i = lang && strcmp(lang, "bo") == 0 ? 1 : lang && strcmp(lang, "en") == 0 ? 2 : 0;
    return v[i] && *v[i] ? v[i] : v[0] ? v[0] : "";
}

static int text_ok(const char *s, size_t max, int required)
{
    if (s == NULL || *s == '\0')
        return !required;
    size_t n = strlen(s);
    return n <= max && utf8_valid(s, n);
}

struct tell {
    struct notices *n;
    const struct notice_in *in;
    int64_t id;
};

static int tell_one(void *ctx, int64_t account_id)
{
    struct tell *t = ctx;
    char link[64];
    snprintf(link, sizeof(link), "/notices/%lld", (long long)t->id);
    json_t *title = json_object();
    static const char *const langs[] = {"zh", "bo", "en"};
    for (int i = 0; i < 3; i++)
        if (t->in->title[i] && *t->in->title[i])
            json_object_set_new(title, langs[i], json_string(t->in->title[i]));
    json_t *params = json_pack("{s:o}", "title", title);
    struct notify_msg m = {.account_id = account_id,
                           .lang = "zh",
                           .kind = "notices.published",
                           .params = params,
                           .link = link};
    struct err err;
    err_clear(&err);
    int rc = notify_send(t->n->notify, &m, &err);
    json_decref(params);
    return rc;
}

/* A department's division, from identity; *found 0 when there is no such department. */
static int dept_division(struct notices *n, int64_t dept, int64_t *division, int *found,
                         struct err *err)
{
    struct identity_department d;
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "notices.oom", "out of memory");
    int rc = identity_department_get(n->id, a, dept, &d, err);
    *found = rc == 0;
    if (rc == 0)
        *division = d.division_code;
    else if (err->status == 404)
        rc = 0;
    arena_free(a);
    return rc;
}

int notices_publish(struct notices *n, const struct authz_subject *subj, const char *ip,
                    const struct notice_in *in, int64_t *id, struct err *err)
{
    if (!notices_topic_valid(in->topic) || !text_ok(in->title[0], 200, 1) ||
        !text_ok(in->title[1], 600, 0) || !text_ok(in->title[2], 200, 0) ||
        !text_ok(in->body[0], 20000, 1) || !text_ok(in->body[1], 60000, 0) ||
        !text_ok(in->body[2], 20000, 0))
        return err_set(err, 400, "notices.bad_input",
                       "a notice has a topic, a Chinese title (at most 200 bytes) and a text");
    struct store_conn *c = store_conn(n->store, err);
    int64_t division = 0;
    int found = 0;
    if (c == NULL || dept_division(n, in->department_id, &division, &found, err) < 0)
        return -1;
    struct authz_object obj = {0, in->department_id, division};
    if (!found || !authz_allowed(subj, "notice.publish", &obj))
        return err_set(err, 403, "notices.forbidden", "you may not publish for this department");
    int64_t nid = id_next(), now = time_now_ms();
    char object[48];
    snprintf(object, sizeof(object), "notice:%lld", (long long)nid);
    struct audit_event ev = {subj->account_id, "notice.publish", object, "ok", ip, in->topic};
    struct tell t = {n, in, nid};
    if (store_begin(c, err) < 0)
        return -1;
    if (notices_db_insert(c, nid, division, in, subj->account_id, now, err) < 0 ||
        audit_record(c, &ev, err) < 0 ||
        notices_db_subscribers(c, in->topic, tell_one, &t, err) < 0 || store_commit(c, err) < 0) {
        store_rollback(c);
        return -1;
    }
    if (id)
        *id = nid;
    return 0;
}

/* The publishing departments' names, from identity (departments are identity's). */
static void dept_names(struct notices *n, struct arena *a, struct notice *rows, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        struct identity_department d;
        struct err e;
        if (identity_department_get(n->id, a, rows[i].department_id, &d, &e) < 0)
            continue;
        rows[i].dept_name[0] = d.name_zh;
        rows[i].dept_name[1] = d.name_bo;
        rows[i].dept_name[2] = d.name_en;
    }
}

int notices_list(struct notices *n, struct arena *a, const char *topic, int64_t division,
                 int64_t before, int limit, struct notice **out, size_t *count, struct err *err)
{
    if (limit < 1 || limit > 100)
        limit = 20;
    struct notice *rows = arena_alloc(a, sizeof(*rows) * (size_t)limit);
    struct store_conn *c = store_conn(n->store, err);
    if (rows == NULL || c == NULL)
        return rows == NULL ? err_set(err, 500, "notices.oom", "out of memory") : -1;
    *out = rows;
    if (notices_db_list(c, a, topic, division, before, limit, 0, rows, count, err) < 0)
        return -1;
    dept_names(n, a, rows, *count);
    return 0;
}

int notices_get(struct notices *n, struct arena *a, int64_t id, struct notice *out, struct err *err)
{
    struct store_conn *c = store_conn(n->store, err);
    size_t count = 0;
    if (c == NULL || notices_db_list(c, a, NULL, 0, 0, 1, id, out, &count, err) < 0)
        return -1;
    if (count != 1)
        return err_set(err, 404, "notices.not_found", "no such notice");
    dept_names(n, a, out, 1);
    return 0;
}

static void rfc3339(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void xml(struct buf *b, const char *s)
{
    buf_append_html(b, s, strlen(s));
}

char *notices_atom(struct notices *n, struct arena *a, const char *lang, const char *base_url,
                   struct err *err)
{
    struct notice *rows;
    size_t count = 0;
    if (notices_list(n, a, NULL, 0, 0, 50, &rows, &count, err) < 0)
        return NULL;
    struct buf b;
    buf_init(&b, 16u << 20);
    char when[32];
    rfc3339(count ? rows[0].published_at : 0, when);
    buf_printf(&b,
               "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
               "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"%s\">\n<title>",
               lang);
    const char *title = i18n_get(lang, "notices.title");
    xml(&b, title ? title : "notices");
    buf_printf(&b, "</title>\n<id>urn:onewindow:notices</id>\n<updated>%s</updated>\n", when);
    buf_printf(&b, "<link rel=\"self\" href=\"%s/notices.atom?lang=%s\"/>\n", base_url, lang);
    buf_printf(&b, "<link rel=\"alternate\" type=\"text/html\" href=\"%s/notices\"/>\n", base_url);
    for (size_t i = 0; i < count; i++) {
        rfc3339(rows[i].published_at, when);
        buf_puts(&b, "<entry>\n<title>");
        xml(&b, notices_text(rows[i].title, lang));
        buf_printf(&b, "</title>\n<id>urn:onewindow:notice:%lld</id>\n<updated>%s</updated>\n",
                   (long long)rows[i].id, when);
        buf_printf(&b, "<published>%s</published>\n<link href=\"%s/notices/%lld\"/>\n", when,
                   base_url, (long long)rows[i].id);
        buf_puts(&b, "<author><name>");
        xml(&b, notices_text(rows[i].dept_name, lang));
        buf_printf(&b, "</name></author>\n<category term=\"%s\"/>\n<content type=\"text\">",
                   rows[i].topic);
        xml(&b, notices_text(rows[i].body, lang));
        buf_puts(&b, "</content>\n</entry>\n");
    }
    buf_puts(&b, "</feed>\n");
    char *s = buf_take(&b, NULL);
    char *r = s ? arena_strdup(a, s) : NULL;
    free(s);
    if (r == NULL)
        err_set(err, 500, "notices.oom", "out of memory");
    return r;
}

int notices_subscribe(struct notices *n, int64_t account_id, const char *topic, int on,
                      struct err *err)
{
    if (!notices_topic_valid(topic))
        return err_set(err, 400, "notices.bad_topic", "no such topic");
    struct store_conn *c = store_conn(n->store, err);
    return c == NULL ? -1 : notices_db_subscribe(c, account_id, topic, on, time_now_ms(), err);
}

int notices_subscribed(struct notices *n, int64_t account_id, int out[NOTICES_NTOPICS],
                       struct err *err)
{
    struct store_conn *c = store_conn(n->store, err);
    if (c == NULL)
        return -1;
    for (int i = 0; i < NOTICES_NTOPICS; i++)
        if (notices_db_subscribed(c, account_id, notices_topics[i], &out[i], err) < 0)
            return -1;
    return 0;
}
