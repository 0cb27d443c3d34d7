/* qr.c - QR codes as SVG; see qr.h. */
#include "web/qr.h"

#include <qrencode.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "crypto/crypto.h"

#define QUIET 4 /* modules of white border the standard requires */

char *web_qr_svg(struct arena *a, const char *text)
{
    QRcode *qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (qr == NULL)
        return NULL;
    int size = qr->width + 2 * QUIET;
    struct buf b;
    buf_init(&b, 1u << 20);
    buf_printf(&b,
               "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
               "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
               "<path fill=\"#000\" d=\"",
               size, size, size, size);
    /* One horizontal run of dark modules per "M x y h n v1 h -n z" segment. */
    for (int y = 0; y < qr->width; y++) {
        int x = 0;
        while (x < qr->width) {
            if (!(qr->data[y * qr->width + x] & 1)) {
                x++;
                continue;
            }
            int start = x;
            while (x < qr->width && (qr->data[y * qr->width + x] & 1))
                x++;
            buf_printf(&b, "M%d %dh%dv1h-%dz", start + QUIET, y + QUIET, x - start, x - start);
        }
    }
    buf_puts(&b, "\"/></svg>");
    QRcode_free(qr);
    char *svg = b.data ? arena_strndup(a, b.data, b.len) : NULL;
    buf_free(&b);
    return svg;
}

char *web_qr_data_uri(struct arena *a, const char *text)
{
    char *svg = web_qr_svg(a, text);
    if (svg == NULL)
        return NULL;
    static const char prefix[] = "data:image/svg+xml;base64,";
    size_t n = strlen(svg), enc = 4 * ((n + 2) / 3);
    char *uri = arena_alloc(a, sizeof(prefix) + enc + 1);
    if (uri == NULL)
        return NULL;
    memcpy(uri, prefix, sizeof(prefix) - 1);
    /* Standard base64 (with padding) as data: URIs use it; OpenSSL's EVP_EncodeBlock. */
    if (crypto_base64_encode(svg, n, uri + sizeof(prefix) - 1, enc + 1) < 0)
        return NULL;
    return uri;
}
