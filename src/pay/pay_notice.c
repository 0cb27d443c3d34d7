/*
 * pay_notice.c - a gateway's notification: the urlencoded parameters and the canonical
 * string its signature covers. As the Chinese bank and UnionPay gateways do, the string
 * is the parameters sorted by name, "name=value" joined by '&', without the signature
 * itself and without empty values; the sandbox signs it with SM2 (SM3, default ID) and
 * sends the DER signature in hex as `sign`.
 *
 * Values are restricted to [A-Za-z0-9._:-] (codes, numbers, hex): nothing in a
 * notification needs escaping, and anything else is refused rather than decoded.
 */
#include "pay/pay_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARAMS 16

static int safe(const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              ch == '.' || ch == '_' || ch == ':' || ch == '-'))
            return 0;
    }
    return 1;
}

static int by_key(const void *a, const void *b)
{
    const char *const *x = a, *const *y = b;
    return strcmp(x[0], y[0]);
}

int pay_canonical(const char *const *keys, const char *const *values, size_t n, char *out,
                  size_t out_size)
{
    const char *pairs[MAX_PARAMS][2];
    size_t m = 0, used = 0;
    if (n > MAX_PARAMS || out_size == 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i], "sign") != 0 && values[i] != NULL && values[i][0] != '\0') {
            pairs[m][0] = keys[i];
            pairs[m][1] = values[i];
            m++;
        }
    qsort(pairs, m, sizeof(pairs[0]), by_key);
    out[0] = '\0';
    for (size_t i = 0; i < m; i++) {
        int w = snprintf(out + used, out_size - used, "%s%s=%s", i ? "&" : "", pairs[i][0],
                         pairs[i][1]);
        if (w < 0 || (size_t)w >= out_size - used)
            return -1;
        used += (size_t)w;
    }
    return 0;
}

static int64_t number(const char *s)
{
    if (s == NULL || !*s || strlen(s) > 15)
        return -1;
    int64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}

int pay_notice_parse(const char *body, size_t len, struct pay_notice *n, struct err *err)
{
    const char *keys[MAX_PARAMS], *values[MAX_PARAMS];
    size_t count = 0;
    memset(n, 0, sizeof(*n));
    if (body == NULL || len == 0 || len >= sizeof(n->buf) || memchr(body, '\0', len) != NULL)
        return err_set(err, 400, "pay.bad_notice", "the notification is empty or too long");
    memcpy(n->buf, body, len);
    n->buf[len] = '\0';
    char *save = NULL;
    for (char *tok = strtok_r(n->buf, "&", &save); tok; tok = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(tok, '=');
        if (eq == NULL || eq == tok || count == MAX_PARAMS)
            return err_set(err, 400, "pay.bad_notice", "the notification is malformed");
        *eq = '\0';
        if (!safe(tok) || !safe(eq + 1))
            return err_set(err, 400, "pay.bad_notice", "the notification has bad characters");
        for (size_t i = 0; i < count; i++)
            if (strcmp(keys[i], tok) == 0)
                return err_set(err, 400, "pay.bad_notice", "a parameter is repeated");
        keys[count] = tok;
        values[count] = eq + 1;
        count++;
    }
    for (size_t i = 0; i < count; i++) {
        const char *k = keys[i], *v = values[i];
        if (strcmp(k, "notify_id") == 0)
            n->notify_id = v;
        else if (strcmp(k, "txn") == 0)
            n->txn = v;
        else if (strcmp(k, "order") == 0)
            n->order = v;
        else if (strcmp(k, "currency") == 0)
            n->currency = v;
        else if (strcmp(k, "status") == 0)
            n->status = v;
        else if (strcmp(k, "sign") == 0)
            n->sign = v;
        else if (strcmp(k, "amount") == 0)
            n->amount_fen = number(v);
        else if (strcmp(k, "paid_at") == 0)
            n->paid_at = number(v);
    }
    if (n->notify_id == NULL || n->txn == NULL || n->order == NULL || n->currency == NULL ||
        n->status == NULL || n->sign == NULL || n->amount_fen <= 0 || !*n->notify_id || !*n->txn ||
        !*n->order || strlen(n->txn) >= 64 || strlen(n->order) > 40 || strlen(n->notify_id) > 64)
        return err_set(err, 400, "pay.bad_notice", "a required parameter is missing or bad");
    if (pay_canonical(keys, values, count, n->canonical, sizeof(n->canonical)) < 0)
        return err_set(err, 400, "pay.bad_notice", "the notification is too long");
    return 0;
}
