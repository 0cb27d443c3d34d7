/*
 * err.h - an error a person must see: an HTTP-ish status, a stable code and a sentence.
 *
 * `code` is a stable dotted string (`store.unreachable`, `divisions.not_found`) that is
 * also the i18n key of the localised message and the `code` of a problem document, so
 * clients and translators can rely on it. `msg` is the English detail for logs and the
 * CLI; it never contains secrets.
 *
 * `status` is always an HTTP status, also on command-line paths. A command's exit status
 * is not stored here: the CLI edge maps the error to one with err_exit_code (2 for a usage
 * error, set with err_usage: the command's words or options were wrong; 1 for any other
 * failure), as main.c's header documents.
 */
#ifndef ONEWINDOW_BASE_ERR_H
#define ONEWINDOW_BASE_ERR_H

struct err {
    int status;    /* HTTP status that fits (400, 404, 500, 503...), 0 when unset */
    int usage;     /* 1: the caller's words were wrong (err_usage); a CLI exits with 2 */
    char code[64]; /* stable code, e.g. "config.bad_value" */
    char msg[512]; /* one clear sentence */
};

void err_clear(struct err *e);
/* Fill `e` (NULL allowed: then nothing happens). Always returns -1, so that
 * `return err_set(e, ...)` reads naturally. */
int err_set(struct err *e, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A usage error: a command's words, options or configuration values are wrong. Status 400
 * and `usage` set; returns -1 as err_set does. */
int err_usage(struct err *e, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The exit status of a command that failed with `e`: 2 for a usage error, else 1. */
int err_exit_code(const struct err *e);

#endif
