/*
 * err.h - an error a person must see: an HTTP-ish status, a stable code and a sentence.
 *
 * `code` is a stable dotted string (`store.unreachable`, `divisions.not_found`) that is
 * also the i18n key of the localised message and the `code` of a problem document, so
 * clients and translators can rely on it. `msg` is the English detail for logs and the
 * CLI; it never contains secrets.
 */
#ifndef ONEWINDOW_BASE_ERR_H
#define ONEWINDOW_BASE_ERR_H

struct err {
    int status;    /* HTTP status that fits (400, 404, 500, 503...), 0 when unset */
    char code[64]; /* stable code, e.g. "config.bad_value" */
    char msg[512]; /* one clear sentence */
};

void err_clear(struct err *e);
/* Fill `e` (NULL allowed: then nothing happens). Always returns -1, so that
 * `return err_set(e, ...)` reads naturally. */
int err_set(struct err *e, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
