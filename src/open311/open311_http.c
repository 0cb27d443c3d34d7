/*
 * open311_http.c - GeoReport v2 at /open311/v2/ in JSON and XML:
 *   GET  services.{json,xml}                  the hotline categories
 *   GET  services/{code}.{json,xml}           a service definition (attributes)
 *   POST requests.{json,xml}                  a new service request (api_key)
 *   GET  requests.{json,xml}                  search: service_request_id, service_code,
 *                                             start_date, end_date, status
 *   GET  requests/{id}.{json,xml}             one request
 *   GET  tokens/{token}.{json,xml}            the request id for a token
 * Errors are the standard array of {code, description} (400 bad fields, 403 a wrong or
 * missing api_key, 404 unknown ids). The XML is written here with every text escaped
 * (docs/internals/open311.md says why no XML library). Keys: GET /open311/admin.
 */
#include "open311/open311_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/lang.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/id.h"
#include "hotline/hotline.h"
#include "identity/identity.h"
#include "store/store.h"
#include "web/web.h"

struct open311 {
    struct hotline *h;
    struct identity *id;
};

int open311_open(struct hotline *h, struct identity *id, struct open311 **out, struct err *err)
{
    struct open311 *o = calloc(1, sizeof(*o));
    if (o == NULL)
        return err_set(err, 500, "open311.oom", "out of memory");
    o->h = h;
    o->id = id;
    *out = o;
    return 0;
}

void open311_close(struct open311 *o)
{
    free(o);
}

/* ---- output --------------------------------------------------------------------------- */

static void xml_text(struct buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            buf_puts(b, "&lt;");
            break;
        case '>':
            buf_puts(b, "&gt;");
            break;
        case '&':
            buf_puts(b, "&amp;");
            break;
        case '"':
            buf_puts(b, "&quot;");
            break;
        case '\'':
            buf_puts(b, "&apos;");
            break;
        default:
            /* Control characters other than tab, newline and CR are not allowed in XML 1.0. */
            if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r')
                buf_puts(b, " ");
            else
                buf_append(b, s, 1);
        }
    }
}

/* The element name of an array's members. */
static const char *member_name(const char *array_name)
{
    if (strcmp(array_name, "services") == 0)
        return "service";
    if (strcmp(array_name, "service_requests") == 0)
        return "request";
    if (strcmp(array_name, "attributes") == 0)
        return "attribute";
    if (strcmp(array_name, "values") == 0)
        return "value";
    if (strcmp(array_name, "errors") == 0)
        return "error";
    return "item";
}

static void xml_value(struct buf *b, const char *name, json_t *v)
{
    buf_printf(b, "<%s>", name);
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) xml_value(b, k, x);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) xml_value(b, member_name(name), x);
    } else if (json_is_string(v)) {
        xml_text(b, json_string_value(v));
    } else if (json_is_integer(v)) {
        buf_printf(b, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        buf_printf(b, "%.7f", json_real_value(v));
    } else if (json_is_boolean(v)) {
        buf_puts(b, json_is_true(v) ? "true" : "false");
    }
    buf_printf(b, "</%s>", name);
}

/* Send `doc` (stolen) as JSON, or as XML with `root` as the root element. */
static int send_doc(struct web_req *req, struct web_resp *resp, int xml, const char *root,
                    json_t *doc, int status)
{
    struct buf b;
    buf_init(&b, 64u << 20);
    if (xml) {
        buf_puts(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        xml_value(&b, root, doc);
        buf_puts(&b, "\n");
    } else {
        char *s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
        if (s != NULL) {
            buf_puts(&b, s);
            free(s);
        }
    }
    json_decref(doc);
    char *body = arena_alloc(req->arena, b.len + 1);
    if (body == NULL || b.data == NULL) {
        buf_free(&b);
        return web_fail(resp, 500, "http.internal", "out of memory");
    }
    memcpy(body, b.data, b.len);
    body[b.len] = '\0';
    resp->body = body;
    resp->body_len = b.len;
    buf_free(&b);
    resp->status = status;
    resp->content_type = xml ? "text/xml; charset=utf-8" : "application/json; charset=utf-8";
    return 0;
}

static int send_errors(struct web_req *req, struct web_resp *resp, int xml, int status,
                       json_t *errors)
{
    return send_doc(req, resp, xml, "errors", errors, status);
}

static int send_error(struct web_req *req, struct web_resp *resp, int xml, int status,
                      const char *description)
{
    return send_errors(req, resp, xml, status,
                       json_pack("[{s:i, s:s}]", "code", status, "description", description));
}

/* "name.json" / "name.xml": 1 for xml, 0 for json, -1 otherwise; *base gets the name. */
static int split_format(struct web_req *req, const char *s, const char **base)
{
    size_t n = s ? strlen(s) : 0;
    if (n > 5 && strcmp(s + n - 5, ".json") == 0) {
        *base = arena_printf(req->arena, "%.*s", (int)(n - 5), s);
        return 0;
    }
    if (n > 4 && strcmp(s + n - 4, ".xml") == 0) {
        *base = arena_printf(req->arena, "%.*s", (int)(n - 4), s);
        return 1;
    }
    return -1;
}

static const char *iso(struct web_req *req, int64_t ms)
{
    if (ms <= 0)
        return NULL;
    time_t t = (time_t)((ms + 8LL * 3600 * 1000) / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    return arena_printf(req->arena, "%04d-%02d-%02dT%02d:%02d:%02d+08:00", tm.tm_year + 1900,
                        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* ISO 8601 "YYYY-MM-DDTHH:MM:SS" with "Z" or "+hh:mm"/"-hh:mm" (or a date alone, local
 * midnight +08:00). -1 when malformed. */
static int parse_iso(const char *s, int64_t *ms)
{
    int y, mo, d, h = 0, mi = 0, se = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return -1;
    const char *p = s + 10;
    int64_t off = 8 * 3600;
    if (*p == 'T' || *p == ' ') {
        int m = 0;
        if (sscanf(p + 1, "%2d:%2d:%2d%n", &h, &mi, &se, &m) != 3 || m != 8)
            return -1;
        p += 9;
        if (*p == '.')
            for (p++; *p >= '0' && *p <= '9'; p++)
                ;
        if (*p == 'Z') {
            off = 0;
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om, k = 0;
            if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &k) != 2 || k != 5)
                return -1;
            off = (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60);
            p += 6;
        }
    }
    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    time_t t = timegm(&tm);
    *ms = ((int64_t)t - off) * 1000;
    return 0;
}

static const char *open_or_closed(const char *status)
{
    return strcmp(status, "replied") == 0 || strcmp(status, "answered") == 0 ||
                   strcmp(status, "closed") == 0 || strcmp(status, "merged") == 0
               ? "closed"
               : "open";
}

static int h_requests_get(struct web_req *req, struct web_resp *resp, int xml);

/* ---- services ------------------------------------------------------------------------- */

static json_t *services(struct web_req *req)
{
    struct open311 *o = req->ctx;
    json_t *cats = NULL;
    struct err err;
    if (hotline_categories(o->h, req->lang, &cats, &err) < 0)
        return NULL;
    return cats;
}

static int h_services(struct web_req *req, struct web_resp *resp)
{
    const char *base;
    int xml = split_format(req, web_param(req, "file"), &base);
    if (xml >= 0 && strcmp(base, "requests") == 0)
        return h_requests_get(req, resp, xml);
    if (xml < 0 || strcmp(base, "services") != 0)
        return send_error(req, resp, 0, 404, "not found: use services.json or services.xml");
    json_t *cats = services(req);
    if (cats == NULL)
        return send_error(req, resp, xml, 503, "the service list is unavailable");
    json_t *arr = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(cats, i, c)
    {
        json_t *s = json_object();
        json_object_set(s, "service_code", json_object_get(c, "code"));
        json_object_set(s, "service_name", json_object_get(c, "name"));
        json_object_set(s, "description", json_object_get(c, "name"));
        json_object_set_new(s, "metadata", json_true());
        json_object_set_new(s, "type", json_string("realtime"));
        json_object_set_new(s, "keywords", json_string(""));
        json_object_set_new(s, "group", json_string(web_t(req, "open311.group")));
        json_array_append_new(arr, s);
    }
    json_decref(cats);
    return send_doc(req, resp, xml, "services", arr, 200);
}

static int service_exists(struct web_req *req, const char *code)
{
    json_t *cats = services(req);
    size_t i;
    json_t *c;
    int found = 0;
    json_array_foreach(cats, i, c)
    {
        found |= strcmp(json_string_value(json_object_get(c, "code")), code) == 0;
    }
    json_decref(cats);
    return found;
}

static int h_service(struct web_req *req, struct web_resp *resp)
{
    const char *code;
    int xml = split_format(req, web_param(req, "code"), &code);
    if (xml < 0)
        return send_error(req, resp, 0, 404, "not found: add .json or .xml");
    if (!service_exists(req, code))
        return send_error(req, resp, xml, 404, "service_code not found");
    json_t *urg = json_array();
    static const char *const u[] = {"normal", "urgent", "low"};
    for (int i = 0; i < 3; i++)
        json_array_append_new(
            urg, json_pack("{s:s, s:s}", "key", u[i], "name",
                           web_t(req, arena_printf(req->arena, "hotline.urgencies.%s", u[i]))));
    json_t *attrs = json_pack(
        "[{s:b, s:s, s:s, s:b, s:s, s:i, s:s, s:[]}, {s:b, s:s, s:s, s:b, s:s, s:i, s:s, s:o}]",
        "variable", 1, "code", "division", "datatype", "string", "required", 1,
        "datatype_description", web_t(req, "open311.division_format"), "order", 1, "description",
        web_t(req, "open311.division"), "values", "variable", 1, "code", "urgency", "datatype",
        "singlevaluelist", "required", 0, "datatype_description", "", "order", 2, "description",
        web_t(req, "open311.urgency"), "values", urg);
    return send_doc(req, resp, xml, "service_definition",
                    json_pack("{s:s, s:o}", "service_code", code, "attributes", attrs), 200);
}

/* ---- requests ------------------------------------------------------------------------- */

static json_t *request_json(struct web_req *req, const struct hotline_order *o, json_t *cats,
                            json_t *depts)
{
    const char *name = o->category ? o->category : "";
    size_t i;
    json_t *c;
    json_array_foreach(cats, i, c)
    {
        if (o->category && strcmp(json_string_value(json_object_get(c, "code")), o->category) == 0)
            name = json_string_value(json_object_get(c, "name"));
    }
    const char *agency = "";
    json_array_foreach(depts, i, c)
    {
        if (json_integer_value(json_object_get(c, "id")) == o->department_id)
            agency = json_string_value(json_object_get(c, "name"));
    }
    json_t *j = json_object();
    json_object_set_new(j, "service_request_id", json_string(o->number));
    json_object_set_new(j, "status", json_string(open_or_closed(o->status)));
    json_object_set_new(
        j, "status_notes",
        json_string(web_t(req, arena_printf(req->arena, "hotline.states.%s", o->status))));
    json_object_set_new(j, "service_name", json_string(name));
    json_object_set_new(j, "service_code", o->category ? json_string(o->category) : json_null());
    json_object_set_new(j, "description", json_string(o->description));
    json_object_set_new(j, "agency_responsible", json_string(agency));
    json_object_set_new(j, "service_notice", json_string(o->reply ? o->reply : ""));
    const char *t = iso(req, o->created_at);
    json_object_set_new(j, "requested_datetime", json_string(t));
    json_object_set_new(j, "updated_datetime", json_string(iso(req, o->updated_at)));
    t = iso(req, o->deadline_at);
    json_object_set_new(j, "expected_datetime", t ? json_string(t) : json_null());
    json_object_set_new(j, "address", json_string(o->address));
    json_object_set_new(j, "address_id", json_null());
    json_object_set_new(j, "zipcode", json_null());
    json_object_set_new(j, "lat", o->lat ? json_real(strtod(o->lat, NULL)) : json_null());
    json_object_set_new(j, "long", o->lon ? json_real(strtod(o->lon, NULL)) : json_null());
    json_object_set_new(j, "media_url", json_null());
    return j;
}

static json_t *departments(struct web_req *req)
{
    struct open311 *o = req->ctx;
    struct identity_department *list = NULL;
    size_t n = 0;
    struct err err;
    json_t *arr = json_array();
    if (identity_department_list(o->id, req->arena, &list, &n, &err) < 0)
        return arr;
    for (size_t i = 0; i < n; i++) {
        const char *name =
            lang_pick(req->lang, list[i].name_zh, list[i].name_bo, list[i].name_en, NULL);
        json_array_append_new(arr,
                              json_pack("{s:I, s:s}", "id", (json_int_t)list[i].id, "name", name));
    }
    return arr;
}

static int h_requests_get(struct web_req *req, struct web_resp *resp, int xml)
{
    struct open311 *o = req->ctx;
    json_t *errors = json_array();
    struct hotline_filter f = {0};
    f.limit = 1000;
    const char *ids = web_query(req, "service_request_id"), *code = web_query(req, "service_code"),
               *start = web_query(req, "start_date"), *end = web_query(req, "end_date"),
               *status = web_query(req, "status");
    if (start && *start && parse_iso(start, &f.from_ms) < 0)
        json_array_append_new(errors, json_pack("{s:i, s:s}", "code", 400, "description",
                                                "start_date is not an ISO 8601 date"));
    if (end && *end && parse_iso(end, &f.to_ms) < 0)
        json_array_append_new(errors, json_pack("{s:i, s:s}", "code", 400, "description",
                                                "end_date is not an ISO 8601 date"));
    if (status && *status && strcmp(status, "open") != 0 && strcmp(status, "closed") != 0)
        json_array_append_new(errors, json_pack("{s:i, s:s}", "code", 400, "description",
                                                "status is open or closed"));
    if (code && *code && !service_exists(req, code))
        json_array_append_new(
            errors, json_pack("{s:i, s:s}", "code", 400, "description", "service_code is unknown"));
    if (json_array_size(errors) > 0)
        return send_errors(req, resp, xml, 400, errors);
    json_decref(errors);
    /* Without dates: the last 90 days (GeoReport v2 default). */
    if (f.from_ms == 0 && f.to_ms == 0 && !(ids && *ids))
        f.from_ms = time_now_ms() - 90LL * 24 * 3600 * 1000;
    f.category = code && *code ? code : NULL;
    json_t *cats = services(req), *depts = departments(req), *arr = json_array();
    struct err err;
    char *list = ids && *ids ? arena_strdup(req->arena, ids) : NULL, *save = NULL;
    const char *one = list ? strtok_r(list, ",", &save) : NULL;
    int count = 0;
    do {
        struct hotline_filter g = f;
        g.number = one;
        struct hotline_order *orders = NULL;
        size_t n = 0;
        if (hotline_order_list(o->h, req->arena, &g, &orders, &n, &err) < 0) {
            json_decref(arr);
            json_decref(cats);
            json_decref(depts);
            return send_error(req, resp, xml, 503, "the requests are unavailable");
        }
        for (size_t i = 0; i < n; i++) {
            if (strcmp(orders[i].status, "merged") == 0)
                continue;
            if (status && *status && strcmp(open_or_closed(orders[i].status), status) != 0)
                continue;
            json_array_append_new(arr, request_json(req, &orders[i], cats, depts));
        }
    } while (list && (one = strtok_r(NULL, ",", &save)) != NULL && ++count < 100);
    json_decref(cats);
    json_decref(depts);
    return send_doc(req, resp, xml, "service_requests", arr, 200);
}

static void add_error(json_t *errors, const char *description)
{
    json_array_append_new(errors, json_pack("{s:i, s:s}", "code", 400, "description", description));
}

static int h_requests_post(struct web_req *req, struct web_resp *resp, int xml)
{
    struct open311 *o = req->ctx;
    struct err err;
    int64_t key_id = 0;
    err_clear(&err);
    if (open311_key_check(hotline_store(o->h), web_form_value(req, "api_key"), &key_id, &err) < 0)
        return send_error(req, resp, xml, 503, "the service is unavailable");
    if (key_id == 0)
        return send_error(req, resp, xml, 403, "api_key was not provided or is invalid");
    json_t *errors = json_array();
    const char *code = web_form_value(req, "service_code");
    const char *lat = web_form_value(req, "lat"), *lon = web_form_value(req, "long");
    const char *addr = web_form_value(req, "address_string");
    const char *addr_id = web_form_value(req, "address_id");
    const char *division = web_form_value(req, "attribute[division]");
    const char *urgency = web_form_value(req, "attribute[urgency]");
    int known = 0;
    if (code == NULL || *code == '\0')
        add_error(errors, "service_code is required");
    else if (hotline_category_known(o->h, code, &known, &err) < 0) {
        json_decref(errors);
        return send_error(req, resp, xml, 503, "the service is unavailable");
    } else if (!known)
        add_error(errors, "service_code is unknown");
    int has_latlon = lat && *lat && lon && *lon;
    if (!has_latlon && !(addr && *addr) && !(addr_id && *addr_id))
        add_error(errors, "a location is required: lat and long, address_string or address_id");
    else if (!has_latlon && !(addr && *addr))
        add_error(errors, "address_id is not supported here: give lat and long or address_string");
    if (json_array_size(errors) > 0)
        return send_errors(req, resp, xml, 400, errors);
    const char *first = web_form_value(req, "first_name"), *last = web_form_value(req, "last_name");
    const char *name = first && last ? arena_printf(req->arena, "%s %s", last, first)
                       : first       ? first
                                     : last;
    struct hotline_intake in;
    memset(&in, 0, sizeof(in));
    in.channel = "open311";
    in.category = code;
    in.division = division;
    in.address = addr && *addr ? addr : arena_printf(req->arena, "%s, %s", lat, lon);
    in.lat = has_latlon ? lat : NULL;
    in.lon = has_latlon ? lon : NULL;
    in.description = web_form_value(req, "description");
    in.caller_name = name;
    in.phone = web_form_value(req, "phone");
    in.urgency = urgency && *urgency ? urgency : NULL;
    in.lang = req->lang;
    in.api_key_id = key_id;
    struct hotline_field_errors fe;
    int64_t id;
    const char *number, *token = "";
    int rc = hotline_order_create_ex(o->h, req->arena, &in, web_client_ip(req), &id, &number,
                                     &token, &fe, &err);
    if (rc < 0)
        return send_error(req, resp, xml, err.status >= 500 ? 503 : 400,
                          "the request was not stored");
    if (rc == 1) {
        static const struct {
            const char *field, *param;
        } names[] = {{"division", "attribute[division]"},
                     {"urgency", "attribute[urgency]"},
                     {"lat", "lat/long"},
                     {"address", "address_string"},
                     {"description", "description"},
                     {"caller_name", "first_name/last_name"},
                     {"phone", "phone"},
                     {"category", "service_code"}};
        for (size_t i = 0; i < fe.n; i++) {
            const char *param = fe.e[i].field;
            for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
                if (strcmp(names[k].field, fe.e[i].field) == 0)
                    param = names[k].param;
            add_error(errors, arena_printf(req->arena, "%s: %s", param, fe.e[i].msg));
        }
        return send_errors(req, resp, xml, 400, errors);
    }
    json_decref(errors);
    return send_doc(req, resp, xml, "service_requests",
                    json_pack("[{s:s, s:s, s:s, s:n}]", "service_request_id", number, "token",
                              token, "service_notice", web_t(req, "open311.notice"), "account_id"),
                    201);
}

static int h_requests(struct web_req *req, struct web_resp *resp)
{
    const char *base;
    int xml = split_format(req, web_param(req, "file"), &base);
    if (xml < 0 || strcmp(base, "requests") != 0)
        return send_error(req, resp, 0, 404, "not found: use requests.json or requests.xml");
    if (strcmp(req->method, "POST") == 0)
        return h_requests_post(req, resp, xml);
    return h_requests_get(req, resp, xml);
}

static int h_request(struct web_req *req, struct web_resp *resp)
{
    struct open311 *o = req->ctx;
    const char *number;
    int xml = split_format(req, web_param(req, "id"), &number);
    if (xml < 0)
        return send_error(req, resp, 0, 404, "not found: add .json or .xml");
    struct hotline_order ord;
    struct err err;
    if (hotline_order_get(o->h, req->arena, number, &ord, 0, &err) < 0)
        return send_error(req, resp, xml, err.status == 404 ? 404 : 503,
                          err.status == 404 ? "service_request_id not found" : "unavailable");
    json_t *cats = services(req), *depts = departments(req);
    json_t *arr = json_pack("[o]", request_json(req, &ord, cats, depts));
    json_decref(cats);
    json_decref(depts);
    return send_doc(req, resp, xml, "service_requests", arr, 200);
}

static int h_token(struct web_req *req, struct web_resp *resp)
{
    struct open311 *o = req->ctx;
    const char *token;
    int xml = split_format(req, web_param(req, "token"), &token);
    if (xml < 0)
        return send_error(req, resp, 0, 404, "not found: add .json or .xml");
    struct hotline_order ord;
    struct err err;
    if (hotline_order_by_token(o->h, req->arena, token, &ord, &err) < 0)
        return send_error(req, resp, xml, err.status == 404 ? 404 : 503,
                          err.status == 404 ? "token not found" : "unavailable");
    return send_doc(req, resp, xml, "service_requests",
                    json_pack("[{s:s, s:s}]", "service_request_id", ord.number, "token", token),
                    200);
}

/* ---- key administration ------------------------------------------------------------------ */

/* The subject of a key administration page: 401 (to the login and back) when nobody is
 * logged in, 403 without hotline.admin. 0, or -1 with the response failed. */
static int require_admin(struct web_req *req, struct web_resp *resp, struct authz_subject *s)
{
    struct open311 *o = req->ctx;
    if (identity_web_subject(o->id, req, resp, s) < 0)
        return -1;
    if (!authz_allowed(s, "hotline.admin", NULL))
        return web_fail(resp, 403, "hotline.forbidden", "you may not do this");
    return 0;
}

static int keys_page(struct web_req *req, struct web_resp *resp, const char *new_key,
                     const struct err *problem, int status)
{
    struct open311 *o = req->ctx;
    json_t *m = json_object(), *keys = json_array();
    struct err err;
    if (open311_keys_list(hotline_store(o->h), keys, &err) < 0) {
        json_decref(m);
        json_decref(keys);
        return web_fail_err(resp, &err);
    }
    json_object_set_new(m, "title", json_string(web_t(req, "open311.admin.title")));
    json_object_set_new(m, "csrf", json_string(web_csrf_token(req, resp)));
    json_object_set_new(m, "keys", keys);
    if (new_key != NULL)
        json_object_set_new(m, "new_key", json_string(new_key));
    if (problem != NULL) {
        /* The reader's language, or a generic sentence: never the module's English. */
        const char *k = arena_printf(req->arena, "errors.%s", problem->code);
        const char *msg = web_t(req, k);
        json_object_set_new(m, "error",
                            json_pack("{s:s, s:s}", "code", problem->code, "message",
                                      strcmp(msg, k) == 0 ? web_t(req, "hotline.problem") : msg));
    }
    return web_page(resp, m, "hotline/open311_keys", status);
}

static int h_keys(struct web_req *req, struct web_resp *resp)
{
    struct authz_subject s;
    if (require_admin(req, resp, &s) < 0)
        return -1;
    return keys_page(req, resp, NULL, NULL, 200);
}

static int h_key_create(struct web_req *req, struct web_resp *resp)
{
    struct open311 *o = req->ctx;
    struct authz_subject s;
    if (require_admin(req, resp, &s) < 0)
        return -1;
    char key[64];
    struct err err;
    err_clear(&err);
    if (open311_key_create(hotline_store(o->h), s.account_id, web_form_value(req, "name"), key,
                           NULL, &err) < 0) {
        if (err.status >= 500)
            return web_fail_err(resp, &err);
        return keys_page(req, resp, NULL, &err, err.status);
    }
    return keys_page(req, resp, arena_strdup(req->arena, key), NULL, 201);
}

static int h_key_revoke(struct web_req *req, struct web_resp *resp)
{
    struct open311 *o = req->ctx;
    struct authz_subject s;
    if (require_admin(req, resp, &s) < 0)
        return -1;
    struct err err;
    err_clear(&err);
    if (open311_key_revoke(hotline_store(o->h), s.account_id, web_param_int(req, "id"), &err) < 0)
        return web_fail_err(resp, &err);
    return web_redirect(req, resp, "/open311/admin?done=hotline_api_key_revoked");
}

int open311_http_register(struct web_server *srv, struct open311 *o)
{
    if (web_route(srv, "GET", "/open311/v2/{file}", h_services, o) < 0 ||
        web_route(srv, "GET", "/open311/v2/services/{code}", h_service, o) < 0 ||
        web_route_ex(srv, "POST", "/open311/v2/{file}", h_requests, o, WEB_ROUTE_NO_CSRF) < 0 ||
        web_route(srv, "GET", "/open311/v2/requests/{id}", h_request, o) < 0 ||
        web_route(srv, "GET", "/open311/v2/tokens/{token}", h_token, o) < 0 ||
        web_route(srv, "GET", "/open311/admin", h_keys, o) < 0 ||
        web_route(srv, "POST", "/open311/admin/keys", h_key_create, o) < 0 ||
        web_route(srv, "POST", "/open311/admin/keys/{id:int}/revoke", h_key_revoke, o) < 0)
        return -1;
    return 0;
}
