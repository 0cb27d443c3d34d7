/* hotline_cli.c - `onewindow hotline train | evaluate | tick` and `onewindow open311 key ...`. */
#include "hotline/hotline_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/id.h"

int hotline_cli(struct hotline *h, int argc, char **argv, struct err *err)
{
    if (strcmp(argv[0], "train") == 0 && argc == 1) {
        size_t n = 0;
        if (hotline_train(h, &n, err) < 0)
            return 1;
        printf("hotline classifier trained on %zu closed order(s)\n", n);
        return 0;
    }
    if (strcmp(argv[0], "evaluate") == 0 && argc == 1) {
        size_t ntrain = 0, ntest = 0;
        double c1, c3, d1, d3;
        if (hotline_evaluate(h, &ntrain, &ntest, &c1, &c3, &d1, &d3, err) < 0)
            return 1;
        printf("trained on %zu, held out %zu (every 5th closed order)\n"
               "category   top-1 %.1f%%  top-3 %.1f%%\n"
               "department top-1 %.1f%%  top-3 %.1f%%\n",
               ntrain, ntest, 100 * c1, 100 * c3, 100 * d1, 100 * d3);
        return 0;
    }
    if (strcmp(argv[0], "tick") == 0 && argc == 1) {
        int reminded, escalated;
        if (hotline_tick(h, time_now_ms(), &reminded, &escalated, err) < 0)
            return 1;
        printf("%d reminder(s), %d escalation(s)\n", reminded, escalated);
        return 0;
    }
    err_usage(err, "hotline.usage", "usage: onewindow hotline train|evaluate|tick");
    return 2;
}
