/*
 * tmpl_html.c - where a template's tags stand in HTML (see tmpl_html.h): a scan of the
 * template's literal text that knows tags, quoted attribute values and the elements whose
 * content is text only. Enough for our templates, not an HTML parser: docs/internals/tmpl.md,
 * "Marking text in another language".
 */
#include "web/tmpl_html.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Elements whose content is text only (1..5), and those that also end an <option> (6, 7). */
static const char *const html_elements[] = {"title", "textarea", "option",  "script",
                                            "style", "select",   "optgroup"};
#define HTML_TEXT_ONLY 5
#define HTML_OPTION 3

/* The element whose name starts at p (1-based in html_elements), or 0. */
static int html_element_at(const char *p, const char *end)
{
    for (int i = 0; i < (int)(sizeof(html_elements) / sizeof(html_elements[0])); i++) {
        size_t n = strlen(html_elements[i]);
        if ((size_t)(end - p) >= n && strncasecmp(p, html_elements[i], n) == 0 &&
            ((size_t)(end - p) == n || !isalnum((unsigned char)p[n])))
            return i + 1;
    }
    return 0;
}

void tmpl_html_scan(struct html_scan *s, const char *p, const char *end)
{
    for (; p < end; p++) {
        char c = *p;
        if (s->in_tag) {
            if (s->quote != 0) {
                if (c == s->quote)
                    s->quote = 0;
            } else if (c == '"' || c == '\'') {
                s->quote = c;
            } else if (c == '>') {
                s->in_tag = false;
                s->text_only = s->opening ? s->opening : s->text_only;
                s->opening = 0;
            }
            continue;
        }
        if (c != '<' || end - p < 2)
            continue;
        if (s->text_only != 0) {
            /* Only its end tag ends it (an option also ends with its select or group). */
            int e = p[1] == '/' ? html_element_at(p + 2, end) : 0;
            if (e != 0 &&
                (e == s->text_only || (s->text_only == HTML_OPTION && e > HTML_TEXT_ONLY))) {
                s->text_only = 0;
                s->in_tag = true;
            }
        } else if (isalpha((unsigned char)p[1]) || p[1] == '/' || p[1] == '!') {
            int e = isalpha((unsigned char)p[1]) ? html_element_at(p + 1, end) : 0;
            s->in_tag = true;
            s->opening = e <= HTML_TEXT_ONLY ? e : 0;
        }
    }
}
