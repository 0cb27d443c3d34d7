/*
 * notify_channels.c - the external connectors: e-mail over SMTP (libcurl: STARTTLS when the
 * relay offers it, authentication from the URL, RFC 2047 UTF-8 headers, a text and an HTML
 * part) and SMS through a carrier's HTTP gateway (the request and receipt format is in
 * docs/internals/notify.md). Also address checks and masks for e-mail.
 */
#include "notify/notify_internal.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "crypto/crypto.h"
#include "web/i18n.h"

/* ---- e-mail addresses ------------------------------------------------------------------- */

int notify_email_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 3 || n > 254)
        return 0;
    const char *at = strchr(s, '@');
    if (at == NULL || at == s || strchr(at + 1, '@') != NULL || at[1] == '\0')
        return 0;
    for (const char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch <= ' ' || ch == '<' || ch == '>' || ch == '"' || ch == ',' || ch == ';' ||
            ch == '\\' || ch == '(' || ch == ')' || ch >= 0x7f)
            return 0;
    }
    const char *dom = at + 1;
    return dom[0] != '.' && dom[strlen(dom) - 1] != '.' && strstr(dom, "..") == NULL;
}

void notify_email_mask(const char *s, char *out, size_t size)
{
    const char *at = s ? strchr(s, '@') : NULL;
    if (at == NULL || size < 8) {
        snprintf(out, size, "***");
        return;
    }
    snprintf(out, size, "%c***%s", s[0], at);
}

/* ---- RFC 2047 headers ------------------------------------------------------------------- */

/* Appends `text` as one or more encoded words "=?UTF-8?B?...?=" of at most 75 characters,
 * never splitting a UTF-8 sequence; pure printable ASCII goes as it is. */
int notify_mail_header_encode(struct buf *b, const char *text)
{
    int ascii = 1;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if (*p < 0x20 || *p >= 0x7f)
            ascii = 0;
    if (ascii)
        return buf_puts(b, text);
    /* 45 bytes of UTF-8 give 60 base64 characters: with "=?UTF-8?B?" and "?=", 72. */
    size_t n = strlen(text), i = 0;
    int first = 1;
    while (i < n) {
        size_t take = n - i < 45 ? n - i : 45;
        while (i + take < n && ((unsigned char)text[i + take] & 0xC0) == 0x80)
            take--; /* do not cut a character */
        char enc[80];
        if (crypto_base64_encode(text + i, take, enc, sizeof(enc)) < 0)
            return -1;
        if (buf_printf(b, "%s=?UTF-8?B?%s?=", first ? "" : "\r\n ", enc) < 0)
            return -1;
        first = 0;
        i += take;
    }
    return 0;
}

/* ---- SMTP ------------------------------------------------------------------------------- */

struct mail_ctx {
    char url[1024];
    char from[256];
    char ca[1024]; /* "" : the system's authorities */
    CURL *curl;    /* kept between messages: the relay connection is reused (delivery thread) */
};

static int mail_error(CURLcode rc, struct err *err)
{
    switch (rc) {
    case CURLE_LOGIN_DENIED:
        return err_set(err, 400, "notify.smtp_auth", "the mail relay refused the login");
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
        return err_set(err, 503, "notify.smtp_dropped", "the mail relay dropped the connection");
    case CURLE_OPERATION_TIMEDOUT:
        return err_set(err, 503, "notify.smtp_timeout", "the mail relay did not answer in time");
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
        return err_set(err, 503, "notify.smtp_unavailable", "the mail relay cannot be reached");
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
        return err_set(err, 503, "notify.smtp_tls", "TLS with the mail relay failed");
    default:
        return err_set(err, 503, "notify.smtp_error", "the mail relay did not take the message");
    }
}

/* The HTML part: the text, escaped, paragraph by line, in its language. */
static char *mail_html(const char *lang, const char *subject, const char *text)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    buf_printf(&b, "<!doctype html><html lang=\"%s\"><head><meta charset=\"utf-8\"><title>", lang);
    buf_append_html(&b, subject, strlen(subject));
    buf_puts(&b, "</title></head><body>");
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        buf_puts(&b, "<p>");
        buf_append_html(&b, p, len);
        buf_puts(&b, "</p>");
        p += len + (nl ? 1 : 0);
    }
    buf_puts(&b, "</body></html>");
    return buf_take(&b, NULL);
}

static int mail_perform(CURL *curl, const char *url, const char *ca, const char *from,
                        int64_t outbox_id, const char *address, const char *lang,
                        const char *subject, const char *text, struct err *err)
{
    if (url == NULL || *url == '\0')
        return err_set(err, 503, "notify.smtp_off", "no mail relay is configured (--smtp-url)");
    if (!notify_email_valid(address))
        return err_set(err, 400, "notify.bad_email", "not an e-mail address");
    if (curl != NULL)
        curl_easy_reset(curl); /* options cleared; the open connection is kept */
    curl_mime *mime = NULL, *alt = NULL;
    struct curl_slist *rcpt = NULL, *headers = NULL;
    char *html = mail_html(lang, subject, text);
    struct buf h;
    buf_init(&h, 8192);
    int rc = -1;
    if (curl == NULL || html == NULL) {
        err_set(err, 500, "notify.oom", "out of memory");
        goto out;
    }
    char from_addr[300], line[512], date[64];
    snprintf(from_addr, sizeof(from_addr), "<%s>", from);
    rcpt = curl_slist_append(rcpt, address);
    buf_puts(&h, "Subject: ");
    notify_mail_header_encode(&h, subject);
    char *subj = buf_take(&h, NULL);
    headers = curl_slist_append(headers, subj ? subj : "Subject: onewindow");
    free(subj);
    snprintf(line, sizeof(line), "From: %s", from_addr);
    headers = curl_slist_append(headers, line);
    snprintf(line, sizeof(line), "To: <%s>", address);
    headers = curl_slist_append(headers, line);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "Date: %a, %d %b %Y %H:%M:%S +0000", &tm);
    headers = curl_slist_append(headers, date);
    const char *at = strchr(from, '@');
    snprintf(line, sizeof(line), "Message-ID: <%lld.notify@%s>", (long long)outbox_id,
             at ? at + 1 : "onewindow");
    headers = curl_slist_append(headers, line);
    snprintf(line, sizeof(line), "Content-Language: %s", lang);
    headers = curl_slist_append(headers, line);

    mime = curl_mime_init(curl);
    alt = curl_mime_init(curl);
    curl_mimepart *part = curl_mime_addpart(alt);
    curl_mime_data(part, text, CURL_ZERO_TERMINATED);
    curl_mime_type(part, "text/plain; charset=UTF-8");
    curl_mime_encoder(part, "base64");
    part = curl_mime_addpart(alt);
    curl_mime_data(part, html, CURL_ZERO_TERMINATED);
    curl_mime_type(part, "text/html; charset=UTF-8");
    curl_mime_encoder(part, "base64");
    part = curl_mime_addpart(mime);
    curl_mime_subparts(part, alt);
    alt = NULL; /* owned by mime now */
    curl_mime_type(part, "multipart/alternative");

    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from_addr);
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
    /* STARTTLS when the relay offers it; required when the URL carries a login, so that a
     * password never crosses in clear */
    const char *auth = strstr(url, "://");
    const char *userinfo = auth ? strchr(auth + 3, '@') : NULL;
    const char *slash = auth ? strchr(auth + 3, '/') : NULL;
    int login = userinfo != NULL && (slash == NULL || userinfo < slash);
    curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)(login ? CURLUSESSL_ALL : CURLUSESSL_TRY));
    if (ca != NULL && *ca)
        curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    CURLcode cr = curl_easy_perform(curl);
    if (cr != CURLE_OK) {
        long code = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
        if (code >= 500 && code < 600 && cr != CURLE_LOGIN_DENIED)
            err_set(err, 400, "notify.smtp_refused", "the mail relay refused the message");
        else if (code >= 400 && code < 500)
            err_set(err, 503, "notify.smtp_busy", "the mail relay asked to try later");
        else
            mail_error(cr, err);
        goto out;
    }
    rc = 0;
out:
    buf_free(&h);
    curl_mime_free(alt);
    curl_mime_free(mime);
    curl_slist_free_all(rcpt);
    curl_slist_free_all(headers);
    free(html);
    return rc;
}

int notify_mail_send(const char *url, const char *from, int64_t outbox_id, const char *address,
                     const char *lang, const char *subject, const char *text, struct err *err)
{
    CURL *curl = curl_easy_init();
    int rc = mail_perform(curl, url, NULL, from, outbox_id, address, lang, subject, text, err);
    if (curl)
        curl_easy_cleanup(curl);
    return rc;
}

static int mail_channel_send(void *ctx, struct store_conn *c, const struct notify_envelope *e,
                             struct err *err)
{
    (void)c;
    struct mail_ctx *m = ctx;
    if (m->curl == NULL)
        m->curl = curl_easy_init();
    int rc = mail_perform(m->curl, m->url, m->ca, m->from, e->outbox_id, e->address, e->lang,
                          e->subject, e->text, err);
    if (rc < 0 && err->status >= 500 && m->curl) { /* a broken connection: start afresh */
        curl_easy_cleanup(m->curl);
        m->curl = NULL;
    }
    return rc;
}

int notify_mail_send_configured(struct notify *n, int64_t outbox_id, const char *address,
                                const char *lang, const char *subject, const char *text,
                                struct err *err)
{
    struct mail_ctx *m = n->email_ctx;
    if (m == NULL)
        return err_set(err, 503, "notify.smtp_off", "no mail relay is configured (--smtp-url)");
    CURL *curl = curl_easy_init();
    int rc =
        mail_perform(curl, m->url, m->ca, m->from, outbox_id, address, lang, subject, text, err);
    if (curl)
        curl_easy_cleanup(curl);
    return rc;
}

void notify_channels_free(struct notify *n)
{
    struct mail_ctx *m = n->email_ctx;
    if (m != NULL && m->curl != NULL)
        curl_easy_cleanup(m->curl);
    free(n->email_ctx);
    free(n->sms_ctx);
    n->email_ctx = n->sms_ctx = NULL;
}

/* ---- the SMS carrier over HTTP ---------------------------------------------------------- */

struct carrier_ctx {
    char url[1024];
    char secret[256];
};

int notify_sign(const char *secret, const char *body, size_t len, char out[80])
{
    unsigned char mac[CRYPTO_SM3_LEN];
    char hex[2 * CRYPTO_SM3_LEN + 1];
    if (crypto_hmac_sm3(secret, strlen(secret), body, len, mac) < 0 ||
        crypto_hex_encode(mac, sizeof(mac), hex, sizeof(hex)) < 0)
        return -1;
    snprintf(out, 80, "sm3=%s", hex);
    return 0;
}

static size_t sink(char *p, size_t size, size_t n, void *ud)
{
    struct buf *b = ud;
    buf_append(b, p, size * n);
    return size * n;
}

static int carrier_send(void *ctx, struct store_conn *c, const struct notify_envelope *e,
                        struct err *err)
{
    (void)c;
    struct carrier_ctx *k = ctx;
    char id[32], sig[80], hsig[128], hid[64];
    snprintf(id, sizeof(id), "%lld", (long long)e->outbox_id);
    json_t *req = json_pack("{s:s, s:s, s:s, s:s}", "id", id, "to", e->address, "lang", e->lang,
                            "text", e->text);
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = NULL;
    struct buf resp;
    buf_init(&resp, 65536);
    int rc = -1;
    if (body == NULL || curl == NULL || notify_sign(k->secret, body, strlen(body), sig) < 0) {
        err_set(err, 500, "notify.oom", "out of memory");
        goto out;
    }
    snprintf(hsig, sizeof(hsig), "X-Onewindow-Signature: %s", sig);
    snprintf(hid, sizeof(hid), "Idempotency-Key: %s", id);
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, hsig);
    headers = curl_slist_append(headers, hid);
    curl_easy_setopt(curl, CURLOPT_URL, k->url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 15L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    CURLcode cr = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (cr != CURLE_OK)
        err_set(err, 503,
                cr == CURLE_OPERATION_TIMEDOUT ? "notify.carrier_timeout"
                                               : "notify.carrier_unavailable",
                "the SMS carrier cannot be reached");
    else if (status >= 400 && status < 500 && status != 429)
        err_set(err, 400, "notify.carrier_refused", "the SMS carrier refused the message");
    else if (status < 200 || status >= 300)
        err_set(err, 503, "notify.carrier_error", "the SMS carrier failed");
    else
        rc = 0;
out:
    buf_free(&resp);
    curl_slist_free_all(headers);
    if (curl)
        curl_easy_cleanup(curl);
    free(body);
    return rc;
}

/* ---- configuration ---------------------------------------------------------------------- */

int notify_configure(struct notify *n, const struct notify_config *cfg, struct err *err)
{
    static int curl_ready;
    if (!curl_ready && curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return err_set(err, 500, "notify.curl", "libcurl cannot start");
    curl_ready = 1;
    if (cfg->smtp_url && *cfg->smtp_url) {
        if (strncmp(cfg->smtp_url, "smtp://", 7) != 0 && strncmp(cfg->smtp_url, "smtps://", 8))
            return err_usage(err, "notify.bad_smtp_url",
                             "--smtp-url must start with smtp:// or smtps://");
        struct mail_ctx *m = calloc(1, sizeof(*m));
        if (m == NULL)
            return err_set(err, 500, "notify.oom", "out of memory");
        snprintf(m->url, sizeof(m->url), "%s", cfg->smtp_url);
        snprintf(m->ca, sizeof(m->ca), "%s", cfg->smtp_ca ? cfg->smtp_ca : "");
        snprintf(m->from, sizeof(m->from), "%s",
                 cfg->mail_from && *cfg->mail_from ? cfg->mail_from
                                                   : "noreply@onewindow.localhost");
        if (!notify_email_valid(m->from)) {
            free(m);
            return err_usage(err, "notify.bad_mail_from", "--mail-from is not an e-mail address");
        }
        if (n->email_ctx != NULL && ((struct mail_ctx *)n->email_ctx)->curl != NULL)
            curl_easy_cleanup(((struct mail_ctx *)n->email_ctx)->curl);
        free(n->email_ctx);
        n->email_ctx = m;
        n->email = (struct notify_channel){
            .name = "email", .ctx = m, .send = mail_channel_send, .external = 1};
    }
    struct err terr;
    err_clear(&terr);
    notify_templates_reload(n, 1, &terr); /* administrators' versions, if any */
    if (cfg->receipt_secret)
        snprintf(n->receipt_secret, sizeof(n->receipt_secret), "%s", cfg->receipt_secret);
    if (cfg->sms_url && *cfg->sms_url) {
        if (strncmp(cfg->sms_url, "http://", 7) != 0 && strncmp(cfg->sms_url, "https://", 8))
            return err_usage(err, "notify.bad_sms_url",
                             "--sms-url must start with http:// or https://");
        if (n->receipt_secret[0] == '\0')
            return err_usage(err, "notify.no_secret",
                             "--sms-url needs --receipt-secret (requests and receipts are signed)");
        struct carrier_ctx *k = calloc(1, sizeof(*k));
        if (k == NULL)
            return err_set(err, 500, "notify.oom", "out of memory");
        snprintf(k->url, sizeof(k->url), "%s", cfg->sms_url);
        snprintf(k->secret, sizeof(k->secret), "%s", n->receipt_secret);
        free(n->sms_ctx);
        n->sms_ctx = k;
        n->sms =
            (struct notify_channel){.name = "sms", .ctx = k, .send = carrier_send, .external = 1};
    }
    return 0;
}

/* A URL for showing: the password (user:PASSWORD@) replaced by ***. */
static void url_shown(const char *url, char *out, size_t size)
{
    const char *scheme = strstr(url, "://");
    const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    const char *colon = scheme ? strchr(scheme + 3, ':') : NULL;
    if (at && colon && colon < at)
        snprintf(out, size, "%.*s:***%s", (int)(colon - url), url, at);
    else
        snprintf(out, size, "%s", url);
}

int notify_channels_list(struct notify *n, notify_channel_fn fn, void *ctx)
{
    char shown[1100];
    fn(ctx, "inbox", "on", "");
    if (n->sms_ctx) {
        url_shown(((struct carrier_ctx *)n->sms_ctx)->url, shown, sizeof(shown));
        fn(ctx, "sms", "carrier", shown);
    } else {
        fn(ctx, "sms", n->sms.send || n->sms.deliver ? "sandbox" : "off", "");
    }
    if (n->email_ctx) {
        struct mail_ctx *m = n->email_ctx;
        url_shown(m->url, shown, sizeof(shown));
        size_t l = strlen(shown);
        snprintf(shown + l, sizeof(shown) - l, " from %s", m->from);
        fn(ctx, "email", "smtp", shown);
    } else {
        fn(ctx, "email", "off", "");
    }
    return 0;
}
