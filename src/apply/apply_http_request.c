/*
 * apply_http_request.c - what a form post carries and what is wrong with it: the uploads
 * (m_<key>), e-certificate choices (cert_<key>), held file ids (held, unhold) and session of
 * a post as an apply_request; problems turned into sentences in the reader's language
 * beside their field; file sizes in words. Shared by the forms (apply_http.c) and the
 * completion form (apply_case_http.c).
 */
#include "apply/apply_http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "catalog/catalog.h"

/* The localised sentence of a problem code, with {{min}}/{{max}} filled in. */
static const char *problem_message(struct web_req *req, const json_t *p)
{
    const char *code = json_string_value(json_object_get(p, "code"));
    const char *key = arena_printf(req->arena, "errors.%s", code ? code : "");
    const char *msg = web_t(req, key);
    if (strcmp(msg, key) == 0)
        msg = web_t(req, "errors.apply.err.invalid");
    const json_t *params = json_object_get(p, "params");
    const char *names[] = {"min", "max"};
    for (int i = 0; i < 2; i++) {
        const json_t *v = json_object_get(params, names[i]);
        if (v == NULL)
            continue;
        const char *val = json_is_integer(v)
                              ? arena_printf(req->arena, "%lld", (long long)json_integer_value(v))
                              : json_string_value(v);
        const char *tag = arena_printf(req->arena, "{{%s}}", names[i]);
        const char *at = strstr(msg, tag);
        if (at != NULL && val != NULL)
            msg = arena_printf(req->arena, "%.*s%s%s", (int)(at - msg), msg, val, at + strlen(tag));
    }
    return msg;
}

static const char *label_for(const json_t *item, const char *kind, const char *key,
                             const char *lang)
{
    const json_t *list = strcmp(kind, "material") == 0
                             ? json_object_get(item, "materials")
                             : json_object_get(json_object_get(item, "form"), "fields");
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x)
    {
        const char *k = json_string_value(json_object_get(x, "key"));
        if (k && strcmp(k, key) == 0)
            return catalog_text(
                json_object_get(x, strcmp(kind, "material") == 0 ? "name" : "label"), lang);
    }
    return NULL;
}

void apply_http_localise(struct web_req *req, const json_t *item, json_t *problems, json_t *by_key)
{
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
    {
        const char *kind = json_string_value(json_object_get(p, "kind"));
        const char *key = json_string_value(json_object_get(p, "key"));
        const char *label = kind && key ? label_for(item, kind, key, req->lang) : NULL;
        if (label == NULL && key != NULL)
            label = web_t(
                req, arena_printf(req->arena, "apply.fields.%s", key[0] == '_' ? key + 1 : key));
        const char *msg = problem_message(req, p);
        json_object_set_new(p, "label", json_string(label ? label : ""));
        json_object_set_new(p, "message", json_string(msg));
        json_object_set_new(
            p, "anchor",
            json_string(arena_printf(req->arena, "%s%s",
                                     kind && strcmp(kind, "material") == 0 ? "m_" : "f_",
                                     key ? key : "")));
        if (key != NULL && json_object_get(by_key, key) == NULL)
            json_object_set_new(by_key, key, json_string(msg));
    }
}

const char *apply_http_size(struct web_req *req, int64_t bytes)
{
    if (bytes < 1024)
        return arena_printf(req->arena, "%lld B", (long long)bytes);
    if (bytes < 1024 * 1024)
        return arena_printf(req->arena, "%.1f KB", (double)bytes / 1024.0);
    return arena_printf(req->arena, "%.1f MB", (double)bytes / (1024.0 * 1024.0));
}

/* An id the form sent back (held, unhold): digits only, as we wrote it. */
static int parse_id(const char *s, int64_t *out)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n == 0 || n > 18 || strspn(s, "0123456789") != n)
        return -1;
    *out = strtoll(s, NULL, 10);
    return 0;
}

int apply_http_collect(struct web_req *req, struct web_resp *resp, struct apply_request *rq)
{
    struct apply_upload *up = arena_alloc(req->arena, (req->nfiles + 1) * sizeof(*up));
    struct apply_cert_choice *cc = arena_alloc(req->arena, (req->nform + 1) * sizeof(*cc));
    int64_t *held = arena_alloc(req->arena, (req->nform + 1) * sizeof(*held));
    int64_t *unhold = arena_alloc(req->arena, (req->nform + 1) * sizeof(*unhold));
    if (up == NULL || cc == NULL || held == NULL || unhold == NULL)
        return web_fail(resp, 500, "http.internal", "out of memory");
    size_t nu = 0, nc = 0, nh = 0, nx = 0;
    for (size_t i = 0; i < req->nfiles && nu < APPLY_MAX_FILES; i++) {
        const struct web_file *f = &req->files[i];
        if (strncmp(f->name, "m_", 2) != 0 || (f->len == 0 && f->filename[0] == '\0'))
            continue; /* an empty file input */
        up[nu++] = (struct apply_upload){f->name + 2, f->filename, f->data, f->len};
    }
    for (size_t i = 0; i < req->nform; i++) {
        const char *name = req->form[i].name, *v = req->form[i].value;
        int is_held = strcmp(name, "held") == 0, is_unhold = strcmp(name, "unhold") == 0;
        if (strncmp(name, "cert_", 5) == 0 && v[0] != '\0') {
            cc[nc++] = (struct apply_cert_choice){name + 5, v};
        } else if ((is_held || is_unhold) && v[0] != '\0') {
            int64_t id;
            if (parse_id(v, &id) < 0)
                return web_fail(resp, 400, "apply.bad_held", "a held file id is not a number");
            if (is_held)
                held[nh++] = id;
            else
                unhold[nx++] = id;
        }
    }
    rq->files = up;
    rq->nfiles = nu;
    rq->certs = cc;
    rq->ncerts = nc;
    rq->held = held;
    rq->nheld = nh;
    rq->unhold = unhold;
    rq->nunhold = nx;
    const struct web_session *ss = web_session(req);
    rq->session_key = ss != NULL ? ss->token_hash : "";
    return 0;
}

void apply_http_use_held(struct web_req *req, struct apply_request *rq, const json_t *held)
{
    int64_t *ids = arena_alloc(req->arena, (json_array_size(held) + 1) * sizeof(*ids));
    size_t n = 0;
    size_t i;
    json_t *h;
    json_array_foreach(held, i, h)
    {
        if (ids != NULL && parse_id(json_string_value(json_object_get(h, "id")), &ids[n]) == 0)
            n++;
    }
    rq->held = ids;
    rq->nheld = ids != NULL ? n : 0;
    rq->nunhold = 0; /* let go of already */
}
