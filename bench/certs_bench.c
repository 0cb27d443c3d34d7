/*
 * certs_bench.c - the in-process figures of issue 5's targets (run by bench/certs.sh):
 *   sm2_sign_per_s, sm2_verify_per_s   crypto_sm2_sign/verify (SM3, default ID) over a
 *                                      32-byte hash, one thread, for SECONDS each
 *   pdf_ms_p50, pdf_ms_max             certs_pdf_render of a bilingual marriage certificate
 *                                      with the generated seal picture and the QR code
 * Usage: certs_bench [SECONDS] [PDF_RUNS]. Prints key=value lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/id.h"
#include "certs/certs.h"
#include "crypto/crypto.h"
#include "seals/seals.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 3;
    int runs = argc > 2 ? atoi(argv[2]) : 50;
    struct crypto_key *k = NULL;
    if (crypto_key_generate(CRYPTO_KEY_SM2, &k) < 0)
        return 1;
    unsigned char h[32] = {1, 2, 3}, sig[CRYPTO_SM2_SIG_MAX];
    size_t sl = 0;
    long n = 0;
    double t0 = now_s(), t;
    do {
        for (int i = 0; i < 50; i++, n++)
            if (crypto_sm2_sign(k, h, sizeof(h), sig, sizeof(sig), &sl) < 0)
                return 1;
    } while ((t = now_s() - t0) < secs);
    printf("sm2_sign_per_s=%.0f\n", n / t);
    n = 0;
    t0 = now_s();
    do {
        for (int i = 0; i < 50; i++, n++)
            if (crypto_sm2_verify(k, h, sizeof(h), sig, sl) != 0)
                return 1;
    } while ((t = now_s() - t0) < secs);
    printf("sm2_verify_per_s=%.0f\n", n / t);
    crypto_key_free(k);

    unsigned char *png = NULL;
    size_t png_len = 0;
    struct err err;
    if (seals_render_picture("拉萨市城关区民政局", "证照专用章", 400, &png, &png_len, &err) < 0)
        return 1;
    json_t *view = json_loads(
        "{\"identifier\":\"1.2.156.3005.2.11540000MB0P033005001.11540102MB8544032Q."
        "384358235374616576.001.N\",\"name\":{\"zh\":\"结婚证\",\"bo\":\"གཉེན་སྒྲིག་ལག་ཁྱེར།\","
        "\"en\":\"Marriage certificate\"},\"holder\":{\"name\":\"扎西多吉\",\"id_number\":"
        "\"5401**********1233\"},\"issuer\":{\"zh\":\"拉萨市城关区民政局\",\"bo\":\"ལྷ་ས་གྲོང་ཁྱེར་"
        "ཁྲིན་ཀོན་ཆུས་དམངས་སྲིད་ཅུས།\"},\"issued_at\":1795705344344,\"valid_until\":0,\"fields\":["
        "{\"label\":{\"zh\":\"男方姓名\",\"bo\":\"ཕོ་ཕྱོགས་ཀྱི་མིང་།\"},\"value\":\"扎西多吉\"},"
        "{\"label\":{\"zh\":\"女方姓名\",\"bo\":\"མོ་ཕྱོགས་ཀྱི་མིང་།\"},\"value\":\"卓玛\"},"
        "{\"label\":{\"zh\":\"登记日期\",\"bo\":\"ཐོ་འགོད་ཚེས་གྲངས།\"},\"value\":\"2026-11-26\"}],"
        "\"qr\":\"MIIBJDCB5QIBARZSMS4yLjE1Ni4zMDA1LjIuMTE1NDAwMDBNQjBQMDMzMDA1MDAxLjExNTQwMTAyTUI4"
        "NTQ0MDMyUS4zODQzNTgyMzUzNzQ2MTY1NzYuMDAxLk4WFE9XMzg0MzU4MTg1NTYzMDYyMjcyBCD\"}",
        0, NULL);
    double *ms = calloc((size_t)runs, sizeof(double));
    for (int i = 0; i <= runs; i++) {
        unsigned char *pdf = NULL;
        size_t len = 0;
        double s = now_s();
        if (certs_pdf_render(view, png, png_len, &pdf, &len, &err) < 0)
            return 1;
        double e = (now_s() - s) * 1000;
        if (i > 0) /* the first run loads fonts */
            ms[i - 1] = e;
        else
            printf("pdf_ms_first=%.1f\npdf_bytes=%zu\n", e, len);
        free(pdf);
    }
    qsort(ms, (size_t)runs, sizeof(double), cmp);
    printf("pdf_ms_p50=%.1f\npdf_ms_max=%.1f\n", ms[runs / 2], ms[runs - 1]);
    free(ms);
    free(png);
    json_decref(view);
    return 0;
}
