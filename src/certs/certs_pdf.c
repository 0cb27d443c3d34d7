/*
 * certs_pdf.c - a certificate as PDF: cairo's PDF surface, text laid out by pango (Chinese
 * and Tibetan shaped by HarfBuzz through pango; fonts by fontconfig: WenQuanYi Micro Hei,
 * Tibetan Machine Uni), the seal's picture over the issuer's name, and the QR code of the
 * signed payload drawn as vector squares from libqrencode's matrix.
 */
#include "certs/certs_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <qrencode.h>

#include "base/id.h"
#include "seals/seals.h"
#include "store/store.h"

#define FONT "WenQuanYi Micro Hei, Tibetan Machine Uni, sans"

struct membuf {
    unsigned char *p;
    size_t n, cap;
};

static cairo_status_t mem_write(void *closure, const unsigned char *data, unsigned int len)
{
    struct membuf *b = closure;
    if (b->n + len > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->n + len)
            cap *= 2;
        unsigned char *np = realloc(b->p, cap);
        if (np == NULL)
            return CAIRO_STATUS_NO_MEMORY;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, len);
    b->n += len;
    return CAIRO_STATUS_SUCCESS;
}

struct membuf_read {
    const unsigned char *p;
    size_t n, off;
};

static cairo_status_t mem_read(void *closure, unsigned char *data, unsigned int len)
{
    struct membuf_read *r = closure;
    if (r->off + len > r->n)
        return CAIRO_STATUS_READ_ERROR;
    memcpy(data, r->p + r->off, len);
    r->off += len;
    return CAIRO_STATUS_SUCCESS;
}

static void text(cairo_t *cr, PangoLayout *lay, double x, double y, double size, int bold,
                 const char *s)
{
    char font[96];
    snprintf(font, sizeof(font), "%s %s %.1f", FONT, bold ? "bold" : "", size);
    PangoFontDescription *fd = pango_font_description_from_string(font);
    pango_layout_set_font_description(lay, fd);
    pango_font_description_free(fd);
    pango_layout_set_text(lay, s ? s : "", -1);
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, lay);
}

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static void date_text(int64_t ms, char out[16])
{
    if (ms <= 0) {
        snprintf(out, 16, "—");
        return;
    }
    time_t t = (time_t)(ms / 1000) + 8 * 3600; /* Asia/Shanghai */
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 16, "%Y-%m-%d", &tm);
}

static void draw_qr(cairo_t *cr, const char *payload, double x, double y, double size)
{
    QRcode *q = QRcode_encodeString(payload, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (q == NULL)
        return;
    double m = size / (q->width + 8);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, x, y, size, size);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    for (int r = 0; r < q->width; r++)
        for (int c = 0; c < q->width; c++)
            if (q->data[r * q->width + c] & 1)
                cairo_rectangle(cr, x + (c + 4) * m, y + (r + 4) * m, m, m);
    cairo_fill(cr);
    QRcode_free(q);
}

int certs_pdf_render(const json_t *v, const unsigned char *png, size_t png_len,
                     unsigned char **pdf, size_t *len, struct err *err)
{
    const double W = 842, H = 595; /* A4 landscape, points */
    struct membuf b = {0};
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(mem_write, &b, W, H);
    cairo_t *cr = cairo_create(s);
    PangoLayout *lay = pango_cairo_create_layout(cr);
    const json_t *name = json_object_get(v, "name"), *issuer = json_object_get(v, "issuer");

    cairo_set_source_rgb(cr, 0.55, 0.1, 0.1);
    cairo_set_line_width(cr, 4);
    cairo_rectangle(cr, 20, 20, W - 40, H - 40);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    text(cr, lay, 60, 40, 26, 1, jstr(name, "zh"));
    text(cr, lay, 60, 80, 18, 0, jstr(name, "bo"));
    text(cr, lay, 60, 112, 11, 0, jstr(name, "en"));

    double y = 150;
    char line[600];
    const json_t *holder = json_object_get(v, "holder");
    snprintf(line, sizeof(line), "持证人 ལག་ཁྱེར་འཛིན་མཁན།  %s   %s", jstr(holder, "name"),
             jstr(holder, "id_number"));
    text(cr, lay, 60, y, 13, 0, line);
    y += 30;
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(v, "fields"), i, f)
    {
        const json_t *label = json_object_get(f, "label");
        snprintf(line, sizeof(line), "%s %s  %s", jstr(label, "zh"), jstr(label, "bo"),
                 jstr(f, "value"));
        text(cr, lay, 60, y, 13, 0, line);
        y += 28;
        if (y > H - 160)
            break;
    }
    char d1[16], d2[16];
    date_text(json_integer_value(json_object_get(v, "issued_at")), d1);
    date_text(json_integer_value(json_object_get(v, "valid_until")), d2);
    snprintf(line, sizeof(line), "发证日期 བཀྲམ་ཚེས། %s    有效期至 ནུས་ཚད་མཇུག %s", d1,
             json_integer_value(json_object_get(v, "valid_until")) > 0 ? d2 : "长期 ཡུན་རིང་།");
    text(cr, lay, 60, H - 150, 12, 0, line);
    snprintf(line, sizeof(line), "证照标识 %s", jstr(v, "identifier"));
    text(cr, lay, 60, H - 120, 9, 0, line);
    snprintf(line, sizeof(line), "%s  %s", jstr(issuer, "zh"), jstr(issuer, "bo"));
    text(cr, lay, W - 400, H - 95, 13, 1, line);

    /* the seal over the issuer's name */
    if (png != NULL && png_len > 0) {
        struct membuf_read rd = {png, png_len, 0};
        cairo_surface_t *img = cairo_image_surface_create_from_png_stream(mem_read, &rd);
        if (cairo_surface_status(img) == CAIRO_STATUS_SUCCESS) {
            int iw = cairo_image_surface_get_width(img);
            double sc = 150.0 / (iw > 0 ? iw : 150);
            cairo_save(cr);
            cairo_translate(cr, W - 330, H - 205);
            cairo_scale(cr, sc, sc);
            cairo_set_source_surface(cr, img, 0, 0);
            cairo_paint_with_alpha(cr, 0.85);
            cairo_restore(cr);
        }
        cairo_surface_destroy(img);
    }
    draw_qr(cr, jstr(v, "qr"), W - 200, 40, 160);
    g_object_unref(lay);
    cairo_destroy(cr);
    cairo_surface_finish(s);
    cairo_status_t st = cairo_surface_status(s);
    cairo_surface_destroy(s);
    if (st != CAIRO_STATUS_SUCCESS) {
        free(b.p);
        return err_set(err, 500, "certs.pdf", "the PDF could not be rendered");
    }
    *pdf = b.p;
    *len = b.n;
    return 0;
}

int certs_pdf(struct store *st, struct crypto_keyring *kr, int64_t holder, const char *identifier,
              unsigned char **pdf, size_t *len, struct err *err)
{
    json_t *v = NULL;
    if (certs_view(st, kr, holder, NULL, 0, identifier, &v, err) < 0)
        return -1;
    if (!json_is_true(json_object_get(v, "holder_view"))) {
        json_decref(v);
        return err_set(err, 404, "certs.not_found", "no certificate you may see has that identifier");
    }
    unsigned char *png = NULL;
    size_t png_len = 0;
    struct err e2;
    seals_picture(st, json_integer_value(json_object_get(v, "seal_id")), &png, &png_len, &e2);
    int rc = certs_pdf_render(v, png, png_len, pdf, len, err);
    free(png);
    json_decref(v);
    return rc;
}
