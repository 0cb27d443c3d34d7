/*
 * certs_pdf.c - a certificate as PDF: cairo's PDF surface (A4 landscape), text laid out by
 * pango (Chinese and Tibetan shaped by HarfBuzz; fonts by fontconfig: WenQuanYi Micro Hei,
 * Tibetan Machine Uni), the seal's picture over the issuer's names, and the QR code of the
 * signed payload drawn as vector squares from libqrencode's matrix.
 *
 * Two things shape the layout code:
 *  - Scripts share one baseline. Pango (1.50) aligns a Tibetan run inside a Chinese line
 *    by the scripts' hanging baselines, which lifts Tibetan by about half an em: labels
 *    looked like superscripts. So a line is drawn as runs of one script each, every run
 *    its own layout placed on the line's baseline, where Tibetan Machine Uni's letters sit
 *    as Chinese characters do.
 *  - Nothing covers what must be read. The page is cut into regions (title and QR code on
 *    top; the fields; dates and identifier bottom left; the issuer bottom right, with the
 *    seal over the issuer's names as on paper), text that does not fit its region is set
 *    smaller, and certs_pdf_draw reports where everything went (struct certs_pdf_layout)
 *    so that a test can check that the seal covers no identifier, date or field.
 */
#include "certs/certs_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <qrencode.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/id.h"
#include "seals/seals.h"
#include "store/store.h"

#define FONT_HAN "WenQuanYi Micro Hei, Tibetan Machine Uni, sans"
#define FONT_TIBETAN "Tibetan Machine Uni, WenQuanYi Micro Hei, sans"

#define PAGE_W 842.0 /* A4 landscape, points */
#define PAGE_H 595.0
#define MARGIN 56.0
#define QR_SIZE 128.0
#define SEAL_SIZE 132.0
#define GAP 14.0 /* the least space between the seal and text beside it */
/* Tibetan Machine Uni's letters are smaller than Chinese characters at the same size: a
 * Tibetan run is set this much larger, so that the two scripts read as one size. */
#define TIBETAN_SCALE 1.2

struct pdf {
    cairo_t *cr;
    PangoLayout *lay;
};

/* cairo writes the PDF into a growing buffer (base/buf; at most 32 MiB). */
static cairo_status_t mem_write(void *closure, const unsigned char *data, unsigned int len)
{
    return buf_append(closure, data, len) == 0 ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_NO_MEMORY;
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

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* ---- text on one baseline ------------------------------------------------------------- */

static int is_tibetan(gunichar c)
{
    return c >= 0x0F00 && c <= 0x0FFF;
}

/* Spaces join the run they follow; digits and Latin punctuation are set in the Chinese
 * font (Tibetan has its own digits and shad inside U+0F00..U+0FFF). */
static int neutral(gunichar c)
{
    return g_unichar_isspace(c);
}

static void box_add(struct certs_pdf_box *b, double x, double y, double w, double h)
{
    if (w <= 0 || h <= 0)
        return;
    if (b->w <= 0 || b->h <= 0) {
        *b = (struct certs_pdf_box){x, y, w, h};
        return;
    }
    double x1 = b->x + b->w > x + w ? b->x + b->w : x + w;
    double y1 = b->y + b->h > y + h ? b->y + b->h : y + h;
    b->x = b->x < x ? b->x : x;
    b->y = b->y < y ? b->y : y;
    b->w = x1 - b->x;
    b->h = y1 - b->y;
}

/* What a line drew: its ink, and the lowest ink of its first Chinese (or Latin) run and
 * of its first Tibetan run (0 when it has none), for the baseline test. */
struct line_ink {
    struct certs_pdf_box ink;
    double han_bottom, bo_bottom;
};

/* Draw (or with draw 0, only measure) `s` from x on `baseline`, each script run in its
 * own layout (see the file comment). Returns the advance width. */
static double line(struct pdf *p, double x, double baseline, double size, int bold, const char *s,
                   int draw, struct line_ink *ink)
{
    double x0 = x;
    if (s == NULL)
        return 0;
    while (*s != '\0') {
        /* one run: the script of its first non-neutral character */
        const char *e = s;
        int bo = -1;
        while (*e != '\0') {
            gunichar c = g_utf8_get_char(e);
            if (!neutral(c)) {
                if (bo < 0)
                    bo = is_tibetan(c);
                else if (bo != is_tibetan(c))
                    break;
            }
            e = g_utf8_next_char(e);
        }
        PangoFontDescription *fd =
            pango_font_description_from_string(bo == 1 ? FONT_TIBETAN : FONT_HAN);
        pango_font_description_set_size(fd,
                                        (gint)(size * (bo == 1 ? TIBETAN_SCALE : 1) * PANGO_SCALE));
        pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
        pango_layout_set_font_description(p->lay, fd);
        pango_font_description_free(fd);
        pango_layout_set_text(p->lay, s, (int)(e - s));
        PangoRectangle ir, lr;
        pango_layout_get_extents(p->lay, &ir, &lr);
        double top = baseline - (double)pango_layout_get_baseline(p->lay) / PANGO_SCALE;
        if (draw) {
            cairo_move_to(p->cr, x, top);
            pango_cairo_show_layout(p->cr, p->lay);
        }
        if (ink != NULL && ir.width > 0) {
            double iy = top + (double)ir.y / PANGO_SCALE, ih = (double)ir.height / PANGO_SCALE;
            box_add(&ink->ink, x + (double)ir.x / PANGO_SCALE, iy, (double)ir.width / PANGO_SCALE,
                    ih);
            double *bottom = bo == 1 ? &ink->bo_bottom : &ink->han_bottom;
            if (*bottom == 0)
                *bottom = iy + ih;
        }
        x += (double)lr.width / PANGO_SCALE;
        s = e;
    }
    return x - x0;
}

/* The size at which `s` fits in `width`: `size`, or smaller down to `min`. Widths are
 * nearly proportional to the size; the loop takes care of the rest. */
static double fit(struct pdf *p, const char *s, double size, int bold, double width, double min)
{
    for (int i = 0; i < 8 && size > min; i++) {
        double w = line(p, 0, 0, size, bold, s, 0, NULL);
        if (w <= width || w <= 0)
            return size;
        size = size * width / w * 0.995;
    }
    return size < min ? min : size;
}

/* "zh bo" of a {zh, bo} object, or only the one that is there. */
static const char *both(char *buf, size_t n, const json_t *names)
{
    const char *zh = jstr(names, "zh"), *bo = jstr(names, "bo");
    snprintf(buf, n, "%s%s%s", zh, *zh && *bo ? "  " : "", bo);
    return buf;
}

static void date_text(int64_t ms, char out[16])
{
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

/* ---- the page ------------------------------------------------------------------------ */

/* The rows of the field table: the holder, the ID number, then the type's fields. */
struct row {
    char label[400];
    const char *value;
};

static size_t rows_of(const json_t *v, struct row *rows, size_t max)
{
    const json_t *labels = json_object_get(v, "labels"), *holder = json_object_get(v, "holder");
    size_t n = 0;
    both(rows[n].label, sizeof(rows[n].label), json_object_get(labels, "holder"));
    rows[n++].value = jstr(holder, "name");
    both(rows[n].label, sizeof(rows[n].label), json_object_get(labels, "id_number"));
    rows[n++].value = jstr(holder, "id_number");
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(v, "fields"), i, f)
    {
        if (n == max)
            break;
        both(rows[n].label, sizeof(rows[n].label), json_object_get(f, "label"));
        rows[n++].value = jstr(f, "value");
    }
    return n;
}

static void draw_page(struct pdf *p, const json_t *v, cairo_surface_t *seal_img,
                      struct certs_pdf_layout *L)
{
    cairo_t *cr = p->cr;
    const json_t *name = json_object_get(v, "name"), *labels = json_object_get(v, "labels");
    const json_t *issuer = json_object_get(v, "issuer");
    char buf[600], d1[16], d2[16];
    memset(L, 0, sizeof(*L));
    L->width = PAGE_W;
    L->height = PAGE_H;

    cairo_set_source_rgb(cr, 0.55, 0.1, 0.1);
    cairo_set_line_width(cr, 4);
    cairo_rectangle(cr, 20, 20, PAGE_W - 40, PAGE_H - 40);
    cairo_stroke(cr);

    /* top: the type's names left, the QR code right */
    double qr_x = PAGE_W - MARGIN - QR_SIZE, top_w = qr_x - GAP - MARGIN;
    struct line_ink ink = {0};
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    line(p, MARGIN, 84, fit(p, jstr(name, "zh"), 26, 1, top_w, 14), 1, jstr(name, "zh"), 1, &ink);
    line(p, MARGIN, 124, fit(p, jstr(name, "bo"), 18, 0, top_w, 11), 0, jstr(name, "bo"), 1, &ink);
    line(p, MARGIN, 148, fit(p, jstr(name, "en"), 11, 0, top_w, 8), 0, jstr(name, "en"), 1, &ink);
    L->title = ink.ink;
    draw_qr(cr, jstr(v, "qr"), qr_x, 44, QR_SIZE);
    L->qr = (struct certs_pdf_box){qr_x, 44, QR_SIZE, QR_SIZE};

    /* bottom right: the issuer's names, right-aligned, and the seal over them */
    double right = PAGE_W - MARGIN - 8, size_zh = 14, size_bo = 11;
    const char *izh = jstr(issuer, "zh"), *ibo = jstr(issuer, "bo");
    size_zh = fit(p, izh, size_zh, 1, 300, 9);
    size_bo = fit(p, ibo, size_bo, 0, 300, 9);
    double wzh = line(p, 0, 0, size_zh, 1, izh, 0, NULL);
    double wbo = line(p, 0, 0, size_bo, 0, ibo, 0, NULL);
    double base_zh = PAGE_H - 96, base_bo = PAGE_H - 72;
    ink = (struct line_ink){0};
    line(p, right - wzh, base_zh, size_zh, 1, izh, 1, &ink);
    line(p, right - wbo, base_bo, size_bo, 0, ibo, 1, &ink);
    L->issuer = ink.ink;
    double block_w = wzh > wbo ? wzh : wbo;
    double cx = right - block_w / 2, cy = (base_zh + base_bo) / 2 - 8;
    if (cx + SEAL_SIZE / 2 > PAGE_W - 30)
        cx = PAGE_W - 30 - SEAL_SIZE / 2;
    L->seal = (struct certs_pdf_box){cx - SEAL_SIZE / 2, cy - SEAL_SIZE / 2, SEAL_SIZE, SEAL_SIZE};

    /* bottom left, clear of the seal and the issuer's names: the dates, the identifier */
    double clear_x = L->seal.x < L->issuer.x ? L->seal.x : L->issuer.x;
    double left_w = clear_x - GAP - MARGIN;
    int64_t until = json_integer_value(json_object_get(v, "valid_until"));
    date_text(json_integer_value(json_object_get(v, "issued_at")), d1);
    if (until > 0)
        date_text(until, d2);
    char l1[200], l2[200], l3[200];
    snprintf(buf, sizeof(buf), "%s  %s      %s  %s",
             both(l1, sizeof(l1), json_object_get(labels, "issued")), d1,
             both(l2, sizeof(l2), json_object_get(labels, "until")),
             until > 0 ? d2 : both(l3, sizeof(l3), json_object_get(labels, "no_expiry")));
    ink = (struct line_ink){0};
    line(p, MARGIN, PAGE_H - 118, fit(p, buf, 12, 0, left_w, 7), 0, buf, 1, &ink);
    L->dates = ink.ink;
    const char *id = jstr(v, "identifier");
    both(buf, sizeof(buf), json_object_get(labels, "identifier"));
    line(p, MARGIN, PAGE_H - 94, fit(p, buf, 10, 0, left_w, 7), 0, buf, 1, NULL);
    ink = (struct line_ink){0};
    line(p, MARGIN, PAGE_H - 76, fit(p, id, 10, 0, left_w, 5), 0, id, 1, &ink);
    L->identifier = ink.ink;

    /* the fields, between the top and the dates: labels in a column, values beside them */
    struct row rows[CERTS_PDF_ROWS];
    size_t n = rows_of(v, rows, CERTS_PDF_ROWS);
    double y0 = 192, y1 = L->dates.y - 18, step = 30;
    if (n > 1 && (y1 - y0) / (double)(n - 1) < step)
        step = (y1 - y0) / (double)(n - 1);
    double size = step < 30 ? 13 * step / 30 : 13, label_w = 0;
    for (size_t i = 0; i < n; i++) {
        double w = line(p, 0, 0, size, 0, rows[i].label, 0, NULL);
        label_w = w > label_w ? w : label_w;
    }
    double full_w = PAGE_W - 2 * MARGIN;
    if (label_w > full_w * 0.6)
        label_w = full_w * 0.6;
    double value_x = MARGIN + label_w + 20;
    for (size_t i = 0; i < n; i++) {
        double base = y0 + step * (double)i;
        /* rows beside the QR code stop short of it */
        double end = base - size < L->qr.y + L->qr.h + 6 ? qr_x - GAP : PAGE_W - MARGIN;
        ink = (struct line_ink){0};
        cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
        line(p, MARGIN, base, fit(p, rows[i].label, size, 0, label_w, 6), 0, rows[i].label, 1,
             &ink);
        L->rows[i].size = size;
        L->rows[i].han_bottom = ink.han_bottom;
        L->rows[i].bo_bottom = ink.bo_bottom;
        box_add(&L->fields, ink.ink.x, ink.ink.y, ink.ink.w, ink.ink.h);
        ink = (struct line_ink){0};
        cairo_set_source_rgb(cr, 0.05, 0.05, 0.05);
        line(p, value_x, base, fit(p, rows[i].value, size, 0, end - value_x, 6), 0, rows[i].value,
             1, &ink);
        box_add(&L->fields, ink.ink.x, ink.ink.y, ink.ink.w, ink.ink.h);
    }
    L->nrows = n;

    /* the seal last, over the issuer's names */
    if (seal_img != NULL) {
        int iw = cairo_image_surface_get_width(seal_img);
        double sc = SEAL_SIZE / (iw > 0 ? iw : SEAL_SIZE);
        cairo_save(cr);
        cairo_translate(cr, L->seal.x, L->seal.y);
        cairo_scale(cr, sc, sc);
        cairo_set_source_surface(cr, seal_img, 0, 0);
        cairo_paint_with_alpha(cr, 0.85);
        cairo_restore(cr);
    }
}

int certs_pdf_draw(const json_t *v, const unsigned char *png, size_t png_len, unsigned char **pdf,
                   size_t *len, struct certs_pdf_layout *layout, struct err *err)
{
    struct buf b;
    buf_init(&b, 32u << 20);
    struct certs_pdf_layout scratch;
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(mem_write, &b, PAGE_W, PAGE_H);
    cairo_surface_t *img = NULL;
    struct pdf p = {cairo_create(s), NULL};
    p.lay = pango_cairo_create_layout(p.cr);
    /* positions as the fonts give them: rounding each glyph to whole points makes small
     * text wider than measured (and a PDF is not a pixel grid) */
    pango_context_set_round_glyph_positions(pango_layout_get_context(p.lay), FALSE);
    pango_layout_context_changed(p.lay);
    if (png != NULL && png_len > 0) {
        struct membuf_read rd = {png, png_len, 0};
        img = cairo_image_surface_create_from_png_stream(mem_read, &rd);
        if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
            cairo_surface_destroy(img);
            img = NULL;
        }
    }
    draw_page(&p, v, img, layout != NULL ? layout : &scratch);
    if (img != NULL)
        cairo_surface_destroy(img);
    g_object_unref(p.lay);
    cairo_destroy(p.cr);
    cairo_surface_finish(s);
    cairo_status_t st = cairo_surface_status(s);
    cairo_surface_destroy(s);
    if (st != CAIRO_STATUS_SUCCESS) {
        buf_free(&b);
        return err_set(err, 500, "certs.pdf", "the PDF could not be rendered");
    }
    *pdf = (unsigned char *)buf_take(&b, len);
    return 0;
}

int certs_pdf_render(const json_t *v, const unsigned char *png, size_t png_len, unsigned char **pdf,
                     size_t *len, struct err *err)
{
    return certs_pdf_draw(v, png, png_len, pdf, len, NULL, err);
}

int certs_pdf(struct certs *cs, struct arena *out, int64_t holder, const char *identifier,
              const json_t *names, const unsigned char **pdf, size_t *len, struct err *err)
{
    json_t *v = NULL;
    if (certs_view_ex(cs, holder, NULL, 0, identifier, 1, &v, err) < 0)
        return -1;
    if (!json_is_true(json_object_get(v, "holder_view"))) {
        json_decref(v);
        return err_set(err, 404, "certs.not_found",
                       "no certificate you may see has that identifier");
    }
    const json_t *issuer = json_object_get(names, "issuer"),
                 *labels = json_object_get(names, "labels");
    if (json_is_object(issuer) && *jstr(issuer, "zh"))
        json_object_set(v, "issuer", (json_t *)issuer);
    if (json_is_object(labels))
        json_object_set(v, "labels", (json_t *)labels);
    unsigned char *png = NULL;
    size_t png_len = 0;
    struct err e2;
    seals_picture(cs->st, json_integer_value(json_object_get(v, "seal_id")), &png, &png_len, &e2);
    unsigned char *bytes = NULL;
    int rc = certs_pdf_render(v, png, png_len, &bytes, len, err);
    free(png);
    json_decref(v);
    if (rc < 0)
        return -1;
    unsigned char *copy = arena_alloc(out, *len ? *len : 1);
    if (copy != NULL)
        memcpy(copy, bytes, *len);
    free(bytes);
    if (copy == NULL)
        return err_set(err, 500, "certs.oom", "out of memory");
    *pdf = copy;
    return 0;
}
