/*
 * seals_picture.c - the generated seal picture: a red round seal with the department's
 * name around the upper rim, a five-pointed star in the middle and the seal's name below
 * it, drawn with cairo, text laid out and shaped by pango (any script: Chinese, Tibetan).
 */
#include "seals/seals_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <pango/pangocairo.h>

#include "base/buf.h"

#define SEAL_RED 0.85, 0.1, 0.1

/* cairo writes the PNG into a growing buffer (base/buf; at most 8 MiB). */
static cairo_status_t png_write(void *closure, const unsigned char *data, unsigned int len)
{
    return buf_append(closure, data, len) == 0 ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_NO_MEMORY;
}

/* The UTF-8 characters of s (at most max), as offsets. */
static size_t utf8_chars(const char *s, size_t *starts, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; s[i] && n < max; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            starts[n++] = i;
    return n;
}

static void star(cairo_t *cr, double cx, double cy, double r)
{
    for (int i = 0; i < 10; i++) {
        double a = -M_PI / 2 + i * M_PI / 5, rr = (i % 2) ? r * 0.382 : r;
        double x = cx + rr * cos(a), y = cy + rr * sin(a);
        if (i == 0)
            cairo_move_to(cr, x, y);
        else
            cairo_line_to(cr, x, y);
    }
    cairo_close_path(cr);
    cairo_fill(cr);
}

/* Draw a seal of radius r centred at (cx, cy) on any cairo context (PNG or PDF). */
void seals_draw(cairo_t *cr, const char *rim, const char *label, double cx, double cy, double r)
{
    cairo_save(cr);
    cairo_set_source_rgb(cr, SEAL_RED);
    cairo_set_line_width(cr, r * 0.06);
    cairo_arc(cr, cx, cy, r * 0.95, 0, 2 * M_PI);
    cairo_stroke(cr);
    star(cr, cx, cy, r * 0.28);

    PangoLayout *lay = pango_cairo_create_layout(cr);
    char font[64];
    snprintf(font, sizeof(font), "WenQuanYi Micro Hei, Tibetan Machine Uni, sans bold %.0fpx",
             r * 0.2);
    PangoFontDescription *fd = pango_font_description_from_string(font);
    pango_layout_set_font_description(lay, fd);

    /* The rim: characters spread over an arc of up to 240 degrees around the top. */
    size_t starts[64];
    size_t n = utf8_chars(rim, starts, 64);
    double span = n > 1 ? fmin(240.0, 24.0 * (double)n) * M_PI / 180 : 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = (i + 1 < n ? starts[i + 1] : strlen(rim)) - starts[i];
        double a = -M_PI / 2 - span / 2 + (n > 1 ? span * (double)i / (double)(n - 1) : 0);
        pango_layout_set_text(lay, rim + starts[i], (int)len);
        int w, h;
        pango_layout_get_pixel_size(lay, &w, &h);
        cairo_save(cr);
        cairo_translate(cr, cx + r * 0.72 * cos(a), cy + r * 0.72 * sin(a));
        cairo_rotate(cr, a + M_PI / 2);
        cairo_move_to(cr, -w / 2.0, -h / 2.0);
        pango_cairo_show_layout(cr, lay);
        cairo_restore(cr);
    }
    /* The label, horizontal below the star. */
    if (label != NULL && *label) {
        pango_font_description_set_absolute_size(fd, r * 0.14 * PANGO_SCALE);
        pango_layout_set_font_description(lay, fd);
        pango_layout_set_text(lay, label, -1);
        pango_layout_set_width(lay, (int)(r * 1.3 * PANGO_SCALE));
        pango_layout_set_ellipsize(lay, PANGO_ELLIPSIZE_END);
        pango_layout_set_alignment(lay, PANGO_ALIGN_CENTER);
        int w, h;
        pango_layout_get_pixel_size(lay, &w, &h);
        cairo_move_to(cr, cx - r * 0.65, cy + r * 0.38);
        pango_cairo_show_layout(cr, lay);
    }
    pango_font_description_free(fd);
    g_object_unref(lay);
    cairo_restore(cr);
}

int seals_render_picture(const char *rim, const char *label, int size_px, unsigned char **png,
                         size_t *len, struct err *err)
{
    if (rim == NULL || size_px < 64 || size_px > 2048)
        return err_set(err, 400, "seals.bad_input", "no text for the seal picture");
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, size_px, size_px);
    cairo_t *cr = cairo_create(s);
    seals_draw(cr, rim, label, size_px / 2.0, size_px / 2.0, size_px / 2.0);
    cairo_destroy(cr);
    struct buf b;
    buf_init(&b, 8u << 20);
    cairo_status_t st = cairo_surface_write_to_png_stream(s, png_write, &b);
    cairo_surface_destroy(s);
    if (st != CAIRO_STATUS_SUCCESS) {
        buf_free(&b);
        return err_set(err, 500, "seals.picture", "the seal picture could not be drawn");
    }
    *png = (unsigned char *)buf_take(&b, len);
    return 0;
}
