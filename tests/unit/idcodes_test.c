/* idcodes_test.c - GB 11643 ID numbers, GB 32100 credit codes, masking. */
#include "test.h"

#include <string.h>

#include "identity/idcodes.h"

static void test_citizen(void **state)
{
    char out[19];
    struct err err;
    /* Examples from the standard (FACTS.md). */
    assert_int_equal(idcode_citizen_normalize("11010519491231002X", out, 20261126, &err), 0);
    assert_string_equal(out, "11010519491231002X");
    assert_int_equal(idcode_citizen_normalize("11010519491231002x", out, 20261126, &err), 0);
    assert_string_equal(out, "11010519491231002X");
    assert_int_equal(idcode_citizen_normalize("440524188001010014", out, 20261126, &err), 0);
    err_clear(&err);
    assert_int_equal(idcode_citizen_normalize("110105194912310021", out, 20261126, &err), -1);
    assert_string_equal(err.code, "identity.id_check");
    assert_int_equal(err.status, 400);

    struct {
        const char *in, *code;
    } bad[] = {
        {"", "identity.id_length"},
        {"1101051949123100", "identity.id_length"},
        {"1101051949123100211", "identity.id_length"},
        {"1101051949X231002X", "identity.id_chars"},
        {"11010519491231002Y", "identity.id_chars"},
        {"110105194913310021", "identity.id_birth_date"}, /* month 13 */
        {"110105194902300021", "identity.id_birth_date"}, /* 30 February */
        {"110105203001010021", "identity.id_birth_date"}, /* in the future */
        {"110105180001010021", "identity.id_birth_date"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err_clear(&err);
        assert_int_equal(idcode_citizen_normalize(bad[i].in, out, 20261126, &err), -1);
        assert_string_equal(err.code, bad[i].code);
    }
    /* 29 February exists in 2000 (divisible by 400) but not 1900. */
    char num[19] = "54010220000229001";
    num[17] = idcode_citizen_check(num);
    num[18] = 0;
    assert_int_equal(idcode_citizen_normalize(num, out, 20261126, &err), 0);
    memcpy(num + 6, "1900", 4);
    num[17] = idcode_citizen_check(num);
    assert_int_equal(idcode_citizen_normalize(num, out, 20261126, &err), -1);
    /* Legacy 15-digit number: 19 inserted, check computed. */
    assert_int_equal(idcode_citizen_normalize("110105491231002", out, 20261126, &err), 0);
    assert_string_equal(out, "11010519491231002X");
}

static void test_uscc(void **state)
{
    char out[19];
    struct err err;
    assert_int_equal(idcode_uscc_normalize("91350100M000100Y43", out, &err), 0);
    assert_string_equal(out, "91350100M000100Y43");
    assert_int_equal(idcode_uscc_normalize("91350100m000100y43", out, &err), 0);
    assert_string_equal(out, "91350100M000100Y43");
    err_clear(&err);
    assert_int_equal(idcode_uscc_normalize("91350100M000100Y44", out, &err), -1);
    assert_string_equal(err.code, "identity.uscc_check");
    assert_int_equal(idcode_uscc_normalize("91350100M00010OY43", out, &err), -1);
    assert_string_equal(err.code, "identity.uscc_chars"); /* O is not in the charset */
    assert_int_equal(idcode_uscc_normalize("91350100M000100Y4", out, &err), -1);
    assert_string_equal(err.code, "identity.uscc_length");
    /* Every registration department class computes its own check character. */
    char code[19] = "Y2540100MA6T00000";
    code[17] = idcode_uscc_check(code);
    code[18] = 0;
    assert_int_equal(idcode_uscc_normalize(code, out, &err), 0);
    /* A weighted sum that is a multiple of 31 gives 31 - 0 = 31, which maps to '0':
     * "00000000000000000" sums to 0. */
    assert_int_equal(idcode_uscc_check("00000000000000000"), '0');
    assert_int_equal(idcode_uscc_check("0000000000000000I"), 0); /* I is not in the charset */
}

static void test_mask(void **state)
{
    char out[64];
    idcode_mask("54010219900101123X", 4, 4, out);
    assert_string_equal(out, "5401**********123X");
    idcode_mask("13800138000", 3, 4, out);
    assert_string_equal(out, "138****8000");
    idcode_mask("扎西多吉", 1, 0, out);
    assert_string_equal(out, "扎***");
    idcode_mask("ab", 3, 4, out);
    assert_string_equal(out, "a*");
    idcode_mask("", 3, 4, out);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_citizen),
        cmocka_unit_test(test_uscc),
        cmocka_unit_test(test_mask),
    };
    return cmocka_run_group_tests_name("idcodes", tests, NULL, NULL);
}
