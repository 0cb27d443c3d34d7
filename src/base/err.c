/* err.c - see err.h. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void err_clear(struct err *e)
{
    if (e == NULL)
        return;
    e->status = 0;
    e->usage = 0;
    e->code[0] = '\0';
    e->msg[0] = '\0';
}

static void verr_set(struct err *e, int status, int usage, const char *code, const char *fmt,
                     va_list ap)
{
    e->status = status;
    e->usage = usage;
    snprintf(e->code, sizeof(e->code), "%s", code);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

int err_set(struct err *e, int status, const char *code, const char *fmt, ...)
{
    if (e == NULL)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    verr_set(e, status, 0, code, fmt, ap);
    va_end(ap);
    return -1;
}

int err_usage(struct err *e, const char *code, const char *fmt, ...)
{
    if (e == NULL)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    verr_set(e, 400, 1, code, fmt, ap);
    va_end(ap);
    return -1;
}

int err_exit_code(const struct err *e)
{
    return e != NULL && e->usage ? 2 : 1;
}
