/* log.c - logfmt lines on stderr, one write(2) each; see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level current_level = LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

void log_set_level(enum log_level level)
{
    __atomic_store_n(&current_level, level, __ATOMIC_RELAXED);
}

enum log_level log_get_level(void)
{
    return __atomic_load_n(&current_level, __ATOMIC_RELAXED);
}

int log_level_parse(const char *s)
{
    for (int i = 0; i <= LOG_OFF; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

int log_append_kv(struct buf *b, const char *key, const char *value)
{
    if (value == NULL)
        value = "";
    int quote = value[0] == '\0';
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f)
            quote = 1;
    if (buf_printf(b, " %s=", key) < 0)
        return -1;
    if (!quote)
        return buf_puts(b, value);
    if (buf_putc(b, '"') < 0)
        return -1;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        int rc;
        if (*p == '"' || *p == '\\')
            rc = buf_printf(b, "\\%c", *p);
        else if (*p < ' ' || *p == 0x7f)
            rc = buf_printf(b, "\\x%02x", *p);
        else
            rc = buf_putc(b, (char)*p);
        if (rc < 0)
            return -1;
    }
    return buf_putc(b, '"');
}

void log_timestamp(char out[25])
{
    static __thread time_t cached_sec = -1;
    static __thread char cached[32];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(cached, sizeof(cached), "%04u-%02u-%02uT%02u:%02u:%02u",
                 (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)(tm.tm_mon + 1) % 100u,
                 (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u,
                 (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u);
        cached_sec = ts.tv_sec;
    }
    int ms = (int)(ts.tv_nsec / 1000000);
    memcpy(out, cached, 19);
    out[19] = '.';
    out[20] = (char)('0' + ms / 100);
    out[21] = (char)('0' + ms / 10 % 10);
    out[22] = (char)('0' + ms % 10);
    out[23] = 'Z';
    out[24] = '\0';
}

size_t log_format_value(char *dst, size_t cap, const char *value)
{
    static const char hex[] = "0123456789abcdef";
    if (cap < 3) {
        if (cap > 0)
            dst[0] = '\0';
        return 0;
    }
    if (value == NULL)
        value = "";
    int quote = value[0] == '\0';
    for (const unsigned char *p = (const unsigned char *)value; *p && !quote; p++)
        quote = *p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f;
    size_t o = 0, end = cap - 1 - (size_t)quote; /* room for the closing quote and NUL */
    if (quote)
        dst[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (quote && (*p == '"' || *p == '\\')) {
            if (o + 2 > end)
                break;
            dst[o++] = '\\';
            dst[o++] = (char)*p;
        } else if (quote && (*p < ' ' || *p == 0x7f)) {
            if (o + 4 > end)
                break;
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[*p >> 4];
            dst[o++] = hex[*p & 15];
        } else {
            if (o + 1 > end)
                break;
            dst[o++] = (char)*p;
        }
    }
    if (quote)
        dst[o++] = '"';
    dst[o] = '\0';
    return o;
}

int log_begin(struct buf *b, enum log_level level)
{
    char ts[25];
    log_timestamp(ts);
    return buf_printf(b, "ts=%s level=%s", ts, level_names[level]);
}

void log_write(struct buf *b)
{
    if (b->data == NULL || buf_putc(b, '\n') < 0)
        return;
    size_t off = 0;
    while (off < b->len) {
        ssize_t n = write(STDERR_FILENO, b->data + off, b->len - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
}

void log_kv(enum log_level level, const char *msg, ...)
{
    if (level < log_get_level())
        return;
    struct buf b;
    buf_init(&b, 16384);
    log_begin(&b, level);
    log_append_kv(&b, "msg", msg);
    va_list ap;
    va_start(ap, msg);
    const char *k;
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        log_append_kv(&b, k, v);
    }
    va_end(ap);
    log_write(&b);
    buf_free(&b);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level < log_get_level())
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_kv(level, msg, LOG_END);
}
