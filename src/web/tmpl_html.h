/*
 * tmpl_html.h - where a template's tags stand in HTML, for marking text in another language
 * (tmpl_render_marked): the template compiler feeds the literal text of a template, in order,
 * to tmpl_html_scan and reads the state before each tag. Private to src/web/tmpl*.c.
 */
#ifndef ONEWINDOW_WEB_TMPL_HTML_H
#define ONEWINDOW_WEB_TMPL_HTML_H

#include <stdbool.h>

/* Inside a tag (its attributes), or inside an element whose content is text only, where a
 * <span> would show as text or be dropped. Sections are assumed to leave the state as they
 * found it, and a partial starts in element content. A '>' inside a quoted attribute value
 * is skipped; comments count as tags. Start from {false, 0, 0, 0}. */
struct html_scan {
    bool in_tag;
    char quote;    /* the quote of the attribute value being read, or 0 */
    int opening;   /* the tag being read opens a text-only element: its number, else 0 */
    int text_only; /* inside a text-only element: its number, else 0 */
};

/* Advance the state over the literal text [p, end). */
void tmpl_html_scan(struct html_scan *s, const char *p, const char *end);

/* May markup go where the scan stands (element content)? */
static inline bool tmpl_html_in_text(const struct html_scan *s)
{
    return !s->in_tag && s->text_only == 0;
}

#endif
