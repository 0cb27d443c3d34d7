/* agent_test.c - the pure rules of 帮办代办 with consent (src/agent/agent.c): a scope as
 * typed is normalised (sorted, duplicates dropped, bounded, only item-code characters),
 * a scope covers exactly its codes (no prefix matches), and a consent's verdict at a time
 * for an item: revoked wins over expired wins over out of scope; the window is
 * [valid_from, valid_until). */
#include "test.h"

#include <string.h>

#include "agent/agent.h"
#include "base/err.h"

static void test_scope_normalise(void **state)
{
    (void)state;
    char out[512];
    assert_int_equal(agent_scope_normalise("XZ-MZ-001", out, sizeof(out)), 0);
    assert_string_equal(out, "XZ-MZ-001");
    assert_int_equal(agent_scope_normalise(" XZ-RS-003, XZ-GA-005  XZ-RS-003 ", out, sizeof(out)),
                     0);
    assert_string_equal(out, "XZ-GA-005 XZ-RS-003");
    assert_int_equal(agent_scope_normalise("*", out, sizeof(out)), 0);
    assert_string_equal(out, "*");
    /* Malformed: empty, only separators, a character outside codes, a code too long, more
     * than AGENT_SCOPE_MAX codes, "*" among codes, an output buffer too small. */
    assert_int_equal(agent_scope_normalise("", out, sizeof(out)), -1);
    assert_int_equal(agent_scope_normalise(" , ", out, sizeof(out)), -1);
    assert_int_equal(agent_scope_normalise("XZ-MZ-001;DROP", out, sizeof(out)), -1);
    assert_int_equal(agent_scope_normalise("婚姻登记", out, sizeof(out)), -1);
    char longcode[60];
    memset(longcode, 'A', sizeof(longcode) - 1);
    longcode[sizeof(longcode) - 1] = '\0';
    assert_int_equal(agent_scope_normalise(longcode, out, sizeof(out)), -1);
    assert_int_equal(agent_scope_normalise("A B C D E F G H", out, sizeof(out)), 0);
    assert_int_equal(agent_scope_normalise("A B C D E F G H I", out, sizeof(out)), -1);
    assert_int_equal(agent_scope_normalise("XZ-MZ-001 *", out, sizeof(out)), -1);
    assert_int_equal(agent_scope_normalise("XZ-MZ-001 XZ-GA-005", out, 12), -1);
    assert_int_equal(agent_scope_normalise(NULL, out, sizeof(out)), -1);
}

static void test_scope_covers(void **state)
{
    (void)state;
    assert_true(agent_scope_covers("*", "XZ-MZ-001"));
    assert_true(agent_scope_covers("XZ-GA-005 XZ-RS-003", "XZ-RS-003"));
    assert_true(agent_scope_covers("XZ-GA-005 XZ-RS-003", "XZ-GA-005"));
    assert_false(agent_scope_covers("XZ-GA-005 XZ-RS-003", "XZ-MZ-001"));
    /* No prefix or suffix matches: XZ-GA-00 is not XZ-GA-005. */
    assert_false(agent_scope_covers("XZ-GA-005", "XZ-GA-00"));
    assert_false(agent_scope_covers("XZ-GA-00", "XZ-GA-005"));
    assert_false(agent_scope_covers("XZ-GA-005", ""));
    assert_false(agent_scope_covers("*", NULL));
    assert_false(agent_scope_covers(NULL, "XZ-GA-005"));
}

static void test_verdicts(void **state)
{
    (void)state;
    struct agent_consent c;
    memset(&c, 0, sizeof(c));
    c.scope = "XZ-GA-005";
    c.valid_from = 1000;
    c.valid_until = 2000;
    assert_int_equal(agent_consent_check(&c, "XZ-GA-005", 1000), AGENT_OK);
    assert_int_equal(agent_consent_check(&c, "XZ-GA-005", 1999), AGENT_OK);
    assert_int_equal(agent_consent_check(&c, NULL, 1500), AGENT_OK);
    assert_int_equal(agent_consent_check(&c, "XZ-GA-005", 2000), AGENT_EXPIRED);
    assert_int_equal(agent_consent_check(&c, "XZ-GA-005", 999), AGENT_EXPIRED);
    assert_int_equal(agent_consent_check(&c, "XZ-MZ-001", 1500), AGENT_OUT_OF_SCOPE);
    assert_int_equal(agent_consent_check(&c, "XZ-MZ-001", 2500), AGENT_EXPIRED);
    c.revoked_at = 1200;
    assert_int_equal(agent_consent_check(&c, "XZ-GA-005", 1100), AGENT_OK);
    assert_int_equal(agent_consent_check(&c, "XZ-GA-005", 1200), AGENT_REVOKED);
    assert_int_equal(agent_consent_check(&c, "XZ-MZ-001", 2500), AGENT_REVOKED);
    struct err e;
    const struct {
        enum agent_verdict v;
        const char *code;
    } codes[] = {{AGENT_REVOKED, "agent.consent_revoked"},
                 {AGENT_EXPIRED, "agent.consent_expired"},
                 {AGENT_OUT_OF_SCOPE, "agent.out_of_scope"},
                 {AGENT_OK, "agent.no_consent"}};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        err_clear(&e);
        assert_int_equal(agent_verdict_err(codes[i].v, &e), -1);
        assert_int_equal(e.status, 403);
        assert_string_equal(e.code, codes[i].code);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scope_normalise),
        cmocka_unit_test(test_scope_covers),
        cmocka_unit_test(test_verdicts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
