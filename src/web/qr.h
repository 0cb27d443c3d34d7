/*
 * qr.h - QR codes (libqrencode) as small SVG images for pages: the TOTP enrolment link
 * now, the e-certificate verification payload later. The SVG is one path of dark modules
 * with a quiet zone, scaled by the browser, a few hundred bytes for a short payload.
 */
#ifndef ONEWINDOW_WEB_QR_H
#define ONEWINDOW_WEB_QR_H

struct arena;

/* The QR code of `text` (error correction level M) as an SVG document, or NULL. */
char *web_qr_svg(struct arena *a, const char *text);
/* The same as a data: URI for <img src> (CSP allows data: images). */
char *web_qr_data_uri(struct arena *a, const char *text);

#endif
