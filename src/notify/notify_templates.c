/*
 * notify_templates.c - message templates administrators edit (issue 16 part 2): per kind and
 * language, versioned (a new row per save), placeholders checked against the catalog's
 * Chinese text on save. The newest versions live in a process-wide table that notify_render
 * consults before the catalog; every delivery pass reloads it when the table changed, so
 * other nodes follow within a pass.
 */
#include "notify/notify_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "base/id.h"
#include "base/utf8.h"
#include "store/store.h"
#include "web/i18n.h"

#define MAX_TEMPLATES 256
#define MAX_BODY 4000

const char *const notify_template_kinds[] = {"apply.notice.submitted",
                                             "apply.notice.accepted",
                                             "apply.notice.returned",
                                             "apply.notice.rejected",
                                             "apply.notice.under_review",
                                             "apply.notice.approved",
                                             "apply.notice.denied",
                                             "apply.notice.delivered",
                                             "apply.notice.closed",
                                             "apply.notice.withdrawn",
                                             "apply.notice.resubmitted",
                                             "notify.mail.subject",
                                             "notify.verify.code",
                                             "notices.published",
                                             "benefit.offered",
                                             "benefit.granted",
                                             NULL};

static struct {
    pthread_rwlock_t lock;
    size_t n;
    struct {
        char kind[64], lang[4];
        int version;
        char *body;
    } t[MAX_TEMPLATES];
    int64_t stamp; /* MAX(created_at) + COUNT(*) of the table when loaded */
} tpl = {PTHREAD_RWLOCK_INITIALIZER, 0, {{"", "", 0, NULL}}, -1};

int notify_template_kind_ok(const char *kind)
{
    for (size_t i = 0; kind && notify_template_kinds[i]; i++)
        if (strcmp(kind, notify_template_kinds[i]) == 0)
            return 1;
    return 0;
}

/* The placeholder names of `s`, sorted, in `out` ("a,b,"); -1 for a broken one ("{{" without
 * "}}", an empty or odd name). */
static int names(const char *s, char *out, size_t size)
{
    char list[32][48];
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, "{{")) != NULL;) {
        const char *close = strstr(p + 2, "}}");
        if (close == NULL)
            return -1;
        const char *a = p + 2, *b = close;
        while (a < b && *a == ' ')
            a++;
        while (b > a && b[-1] == ' ')
            b--;
        if (a == b || b - a >= 48 || n == 32)
            return -1;
        for (const char *q = a; q < b; q++)
            if (!((*q >= 'a' && *q <= 'z') || *q == '_' || (*q >= '0' && *q <= '9')))
                return -1;
        snprintf(list[n], sizeof(list[n]), "%.*s", (int)(b - a), a);
        int dup = 0;
        for (size_t i = 0; i < n; i++)
            dup |= strcmp(list[i], list[n]) == 0;
        n += !dup;
        p = close + 2;
    }
    if (strstr(s, "}}") != NULL && n == 0 && strstr(s, "{{") == NULL)
        return -1;
    qsort(list, n, sizeof(list[0]), (int (*)(const void *, const void *))strcmp);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(out);
        snprintf(out + l, size - l, "%s,", list[i]);
    }
    return 0;
}

int notify_template_check(const char *reference, const char *text, struct err *err)
{
    char want[2048], got[2048];
    if (text == NULL || *text == '\0' || strlen(text) > MAX_BODY || !utf8_valid(text, strlen(text)))
        return err_set(err, 400, "notify.template_empty",
                       "a template has a text of at most %d bytes", MAX_BODY);
    if (names(text, got, sizeof(got)) < 0)
        return err_set(err, 400, "notify.template_broken", "a placeholder is broken");
    if (names(reference ? reference : "", want, sizeof(want)) < 0 || strcmp(want, got) != 0)
        return err_set(err, 400, "notify.template_placeholders",
                       "the template must use exactly the placeholders %s", want);
    return 0;
}

const char *notify_template_override(struct arena *a, const char *lang, const char *kind)
{
    const char *r = NULL;
    pthread_rwlock_rdlock(&tpl.lock);
    for (size_t i = 0; i < tpl.n && r == NULL; i++)
        if (strcmp(tpl.t[i].kind, kind) == 0 && strcmp(tpl.t[i].lang, lang) == 0)
            r = arena_strdup(a, tpl.t[i].body);
    pthread_rwlock_unlock(&tpl.lock);
    return r;
}

int notify_template_version(const char *lang, const char *kind)
{
    int v = 0;
    pthread_rwlock_rdlock(&tpl.lock);
    for (size_t i = 0; i < tpl.n; i++)
        if (strcmp(tpl.t[i].kind, kind) == 0 && strcmp(tpl.t[i].lang, lang) == 0)
            v = tpl.t[i].version;
    pthread_rwlock_unlock(&tpl.lock);
    return v;
}

static void put(void *ctx, const char *kind, const char *lang, int version, const char *body)
{
    (void)ctx;
    /* rows come newest version first per (kind, lang): keep the first */
    for (size_t i = 0; i < tpl.n; i++)
        if (strcmp(tpl.t[i].kind, kind) == 0 && strcmp(tpl.t[i].lang, lang) == 0)
            return;
    if (tpl.n == MAX_TEMPLATES || strlen(kind) >= sizeof(tpl.t[0].kind))
        return;
    snprintf(tpl.t[tpl.n].kind, sizeof(tpl.t[0].kind), "%s", kind);
    snprintf(tpl.t[tpl.n].lang, sizeof(tpl.t[0].lang), "%s", lang);
    tpl.t[tpl.n].version = version;
    tpl.t[tpl.n].body = strdup(body);
    if (tpl.t[tpl.n].body != NULL)
        tpl.n++;
}

int notify_templates_reload(struct notify *n, int force, struct err *err)
{
    struct store_conn *c = store_conn(n->store, err);
    int64_t stamp = 0;
    if (c == NULL || notify_db_templates_stamp(c, &stamp, err) < 0)
        return -1;
    if (!force && stamp == tpl.stamp)
        return 0;
    pthread_rwlock_wrlock(&tpl.lock);
    for (size_t i = 0; i < tpl.n; i++)
        free(tpl.t[i].body);
    tpl.n = 0;
    int rc = notify_db_templates_newest(c, put, NULL, err);
    tpl.stamp = rc == 0 ? stamp : -1;
    pthread_rwlock_unlock(&tpl.lock);
    return rc;
}

int notify_template_save(struct notify *n, int64_t actor, const char *ip, const char *kind,
                         const char *lang, const char *body, int *version, struct err *err)
{
    if (!notify_template_kind_ok(kind))
        return err_set(err, 404, "notify.template_unknown", "no such template");
    if (lang == NULL || (strcmp(lang, "zh") && strcmp(lang, "bo") && strcmp(lang, "en")))
        return err_set(err, 400, "notify.bad_lang", "the language is zh, bo or en");
    if (notify_template_check(i18n_get("zh", kind), body, err) < 0)
        return -1;
    struct store_conn *c = store_conn(n->store, err);
    int v = 0;
    char object[96];
    snprintf(object, sizeof(object), "notify_template:%s:%s", kind, lang);
    if (c == NULL || store_begin(c, err) < 0)
        return -1;
    if (notify_db_template_max(c, kind, lang, &v, err) < 0)
        goto fail;
    v++;
    char detail[24];
    snprintf(detail, sizeof(detail), "version %d", v);
    struct audit_event ev = {actor, "notify.template", object, "ok", ip, detail};
    if (notify_db_template_insert(c, kind, lang, v, body, actor, time_now_ms(), err) < 0 ||
        audit_record(c, &ev, err) < 0 || store_commit(c, err) < 0)
        goto fail;
    if (version)
        *version = v;
    return notify_templates_reload(n, 1, err);
fail:
    store_rollback(c);
    return -1;
}

void notify_templates_free(void)
{
    pthread_rwlock_wrlock(&tpl.lock);
    for (size_t i = 0; i < tpl.n; i++)
        free(tpl.t[i].body);
    tpl.n = 0;
    tpl.stamp = -1;
    pthread_rwlock_unlock(&tpl.lock);
}
