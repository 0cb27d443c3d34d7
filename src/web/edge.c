/*
 * edge.c - the strict HTTP edge (RFC 9112) that libmicrohttpd 0.9.x does not enforce
 * itself, the absolute deadline for a request head, and the trusted-proxy rule for
 * X-Forwarded-For.
 *
 * Framing. MHD 0.9.75 (with MHD_OPTION_STRICT_FOR_CLIENT) refuses an HTTP/1.1 request
 * without Host and a malformed Content-Length, but accepts Content-Length beside
 * Transfer-Encoding, repeated Content-Length, control characters in values and waits
 * for a body under any Transfer-Encoding. web_edge_check_head runs when the head is
 * complete (the first access-handler call, before any body is read) and refuses what
 * a proxy in front could read differently: the answer is queued at once, which makes MHD
 * close the connection (tests/api/edge.test.mjs probes each case over a raw socket).
 *
 * Head deadline. MHD's connection timeout is an idle timeout: a client that sends a byte
 * every few seconds keeps a connection (slowloris). Each connection is registered on
 * MHD_CONNECTION_NOTIFY_STARTED with the time its head began (the connection's start,
 * then each later request line); a sweeper thread shuts down the socket of any whose head
 * is not complete after head_timeout_s. MHD then sees the end of the stream and closes it.
 * The registry is under one mutex, and MHD calls CLOSED before closing the descriptor, so
 * the sweeper never touches a descriptor that was reused.
 */
#include "web/web_internal.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "base/id.h"
#include "base/log.h"

struct edge_conn {
    struct edge_conn *prev, *next;
    int fd;
    int armed;        /* the head is being read */
    int64_t start_us; /* when it began */
};

struct web_edge {
    pthread_mutex_t mu;
    pthread_t sweeper;
    int running;
    int stop;
    int64_t head_timeout_us;
    struct edge_conn list; /* sentinel */
    uint64_t closed_slow;
};

/* ---- framing ------------------------------------------------------------------------ */

struct head_scan {
    int bad; /* a field name or value that is not allowed */
    int nhost;
    int ncl;
    int cl_differ;
    const char *cl;
    size_t cl_len;
    int nte;
    char te[256]; /* every Transfer-Encoding value, joined with commas */
    size_t te_len;
};

static int is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static enum MHD_Result scan_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                  size_t key_size, const char *value, size_t value_size)
{
    struct head_scan *h = cls;
    (void)kind;
    if (key_size == 0)
        h->bad = 1;
    for (size_t i = 0; i < key_size; i++)
        if (!is_tchar((unsigned char)key[i]))
            h->bad = 1; /* whitespace before the colon, or any other non-token byte */
    for (size_t i = 0; value != NULL && i < value_size; i++) {
        unsigned char c = (unsigned char)value[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            h->bad = 1; /* NUL, a bare CR or LF, other controls */
    }
    if (value == NULL)
        return MHD_YES;
    /* MHD 0.9.x gives a value cut at a NUL in it, and keeps values in its read buffer with
     * the line's CR and LF both overwritten by NULs: a byte other than NUL right after the
     * terminator is the rest of a line that had a NUL in it (or a line ended by a bare LF,
     * which RFC 9112 section 2.2 lets a server refuse). The edge test probes both. */
    if (value[value_size] == '\0' && value[value_size + 1] != '\0')
        h->bad = 1;
    if (key_size == 4 && strncasecmp(key, "Host", 4) == 0)
        h->nhost++;
    if (key_size == 14 && strncasecmp(key, "Content-Length", 14) == 0) {
        if (h->ncl > 0 && (value_size != h->cl_len || memcmp(value, h->cl, value_size) != 0))
            h->cl_differ = 1;
        h->cl = value;
        h->cl_len = value_size;
        h->ncl++;
    }
    if (key_size == 17 && strncasecmp(key, "Transfer-Encoding", 17) == 0) {
        h->nte++;
        if (h->te_len + value_size + 2 >= sizeof(h->te)) {
            h->bad = 1;
            return MHD_YES;
        }
        if (h->te_len > 0)
            h->te[h->te_len++] = ',';
        memcpy(h->te + h->te_len, value, value_size);
        h->te_len += value_size;
        h->te[h->te_len] = '\0';
    }
    return MHD_YES;
}

/* The codings listed in Transfer-Encoding: 0 when it is exactly "chunked", 501 for a
 * coding other than chunked, 400 for chunked twice, not last, or an empty list. */
static int check_te(char *te)
{
    int nchunked = 0, n = 0, last_chunked = 0;
    char *save = NULL;
    for (char *t = strtok_r(te, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ' || *t == '\t')
            t++;
        size_t len = strlen(t);
        while (len > 0 && (t[len - 1] == ' ' || t[len - 1] == '\t'))
            t[--len] = '\0';
        if (len == 0)
            continue;
        n++;
        last_chunked = strcasecmp(t, "chunked") == 0;
        if (last_chunked)
            nchunked++;
        else
            return 501;
    }
    if (n == 0 || nchunked != 1 || !last_chunked)
        return 400;
    return 0;
}

int web_edge_check_head(struct MHD_Connection *conn, const char *version, const char **code,
                        const char **detail)
{
    struct head_scan h;
    memset(&h, 0, sizeof(h));
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, scan_field, &h);
    int http11 = version != NULL && strcmp(version, MHD_HTTP_VERSION_1_1) == 0;
    *code = "http.bad_framing";
    if (h.bad) {
        *detail = "a header field name or value has a forbidden character";
        return 400;
    }
    if (h.nhost > 1 || (http11 && h.nhost == 0)) {
        *detail = "an HTTP/1.1 request needs exactly one Host header";
        return 400;
    }
    if (h.ncl > 1) {
        *detail = h.cl_differ ? "Content-Length is given with different values"
                              : "Content-Length is repeated";
        return 400;
    }
    if (h.nte > 0) {
        if (h.ncl > 0) {
            *detail = "both Content-Length and Transfer-Encoding are given";
            return 400;
        }
        if (!http11) {
            *detail = "Transfer-Encoding in an HTTP/1.0 request";
            return 400;
        }
        int st = check_te(h.te);
        if (st == 501) {
            *code = "http.unknown_coding";
            *detail = "a transfer coding other than chunked";
            return 501;
        }
        if (st != 0) {
            *detail = "Transfer-Encoding must be exactly chunked";
            return 400;
        }
    }
    return 0;
}

/* ---- the head deadline -------------------------------------------------------------- */

static void *sweep(void *arg)
{
    struct web_edge *e = arg;
    for (;;) {
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&e->mu);
        if (e->stop) {
            pthread_mutex_unlock(&e->mu);
            return NULL;
        }
        int64_t now = time_mono_us();
        for (struct edge_conn *c = e->list.next; c != &e->list; c = c->next)
            if (c->armed && now - c->start_us > e->head_timeout_us) {
                c->armed = 0;
                shutdown(c->fd, SHUT_RDWR);
                e->closed_slow++;
            }
        pthread_mutex_unlock(&e->mu);
    }
}

struct web_edge *web_edge_new(int head_timeout_s)
{
    struct web_edge *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return NULL;
    pthread_mutex_init(&e->mu, NULL);
    e->list.next = e->list.prev = &e->list;
    e->head_timeout_us = (int64_t)(head_timeout_s > 0 ? head_timeout_s : 10) * 1000000;
    if (pthread_create(&e->sweeper, NULL, sweep, e) != 0) {
        pthread_mutex_destroy(&e->mu);
        free(e);
        return NULL;
    }
    e->running = 1;
    return e;
}

void web_edge_free(struct web_edge *e)
{
    if (e == NULL)
        return;
    pthread_mutex_lock(&e->mu);
    e->stop = 1;
    pthread_mutex_unlock(&e->mu);
    if (e->running)
        pthread_join(e->sweeper, NULL);
    struct edge_conn *c = e->list.next;
    while (c != &e->list) {
        struct edge_conn *n = c->next;
        free(c);
        c = n;
    }
    pthread_mutex_destroy(&e->mu);
    free(e);
}

uint64_t web_edge_closed_slow(struct web_edge *e)
{
    pthread_mutex_lock(&e->mu);
    uint64_t n = e->closed_slow;
    pthread_mutex_unlock(&e->mu);
    return n;
}

void web_edge_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                     enum MHD_ConnectionNotificationCode toe)
{
    struct web_edge *e = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct edge_conn *c = calloc(1, sizeof(*c));
        if (c == NULL || ci == NULL) {
            free(c);
            return;
        }
        c->fd = ci->connect_fd;
        c->armed = 1;
        c->start_us = time_mono_us();
        pthread_mutex_lock(&e->mu);
        c->next = e->list.next;
        c->prev = &e->list;
        e->list.next->prev = c;
        e->list.next = c;
        pthread_mutex_unlock(&e->mu);
        *socket_context = c;
        return;
    }
    struct edge_conn *c = *socket_context;
    if (c == NULL)
        return;
    pthread_mutex_lock(&e->mu);
    c->prev->next = c->next;
    c->next->prev = c->prev;
    pthread_mutex_unlock(&e->mu);
    free(c);
    *socket_context = NULL;
}

/* The connection's own state (set when it was accepted), or NULL. */
static struct edge_conn *edge_conn_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* A request line was read (armed already for the first request of a connection). */
void web_edge_head_begin(struct web_edge *e, struct MHD_Connection *conn)
{
    struct edge_conn *c = edge_conn_of(conn);
    if (e == NULL || c == NULL)
        return;
    pthread_mutex_lock(&e->mu);
    if (!c->armed) {
        c->armed = 1;
        c->start_us = time_mono_us();
    }
    pthread_mutex_unlock(&e->mu);
}

void web_edge_head_done(struct web_edge *e, struct MHD_Connection *conn)
{
    struct edge_conn *c = edge_conn_of(conn);
    if (e == NULL || c == NULL)
        return;
    pthread_mutex_lock(&e->mu);
    c->armed = 0;
    pthread_mutex_unlock(&e->mu);
}

/* ---- X-Forwarded-For from trusted proxies --------------------------------------------- */

/* Is `ip` one of the comma-separated addresses in `list`? */
static int listed(const char *list, const char *ip, size_t iplen)
{
    const char *p = list;
    while (p != NULL && *p != '\0') {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = p;
        while (*end != '\0' && *end != ',' && *end != ' ')
            end++;
        if ((size_t)(end - p) == iplen && iplen > 0 && memcmp(p, ip, iplen) == 0)
            return 1;
        p = end;
    }
    return 0;
}

int web_edge_forwarded_ip(const char *trusted, const char *peer, const char *xff, char *out,
                          size_t outsz)
{
    if (trusted == NULL || trusted[0] == '\0' || xff == NULL ||
        !listed(trusted, peer, strlen(peer)))
        return 0;
    /* From the right: the nearest address that is not one of our proxies is the client. */
    size_t n = strlen(xff);
    while (n > 0) {
        size_t end = n;
        while (end > 0 && (xff[end - 1] == ' ' || xff[end - 1] == '\t'))
            end--;
        size_t start = end;
        while (start > 0 && xff[start - 1] != ',')
            start--;
        size_t s = start;
        while (s < end && (xff[s] == ' ' || xff[s] == '\t'))
            s++;
        size_t len = end - s;
        n = start > 0 ? start - 1 : 0;
        if (len == 0 || len >= outsz || len >= INET6_ADDRSTRLEN)
            return 0;
        char ip[INET6_ADDRSTRLEN];
        memcpy(ip, xff + s, len);
        ip[len] = '\0';
        unsigned char buf[sizeof(struct in6_addr)];
        if (inet_pton(AF_INET, ip, buf) != 1 && inet_pton(AF_INET6, ip, buf) != 1)
            return 0; /* not an address: believe nothing */
        if (listed(trusted, ip, len) && start > 0)
            continue;
        memcpy(out, ip, len + 1);
        return 1;
    }
    return 0;
}
