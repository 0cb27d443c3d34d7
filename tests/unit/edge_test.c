/* edge_test.c - whose X-Forwarded-For is believed (web_edge_forwarded_ip). */
#include "test.h"

#include <string.h>

#include "web/web_internal.h"

static void test_forwarded(void **state)
{
    char ip[64];
    (void)state;
    const char *proxies = "127.0.0.1, 10.0.0.5";
    /* A trusted peer: the rightmost address that is not one of our proxies. */
    assert_int_equal(web_edge_forwarded_ip(proxies, "127.0.0.1", "203.0.113.7", ip, sizeof(ip)), 1);
    assert_string_equal(ip, "203.0.113.7");
    assert_int_equal(web_edge_forwarded_ip(proxies, "127.0.0.1", "1.2.3.4, 203.0.113.7, 10.0.0.5",
                                           ip, sizeof(ip)),
                     1);
    assert_string_equal(ip, "203.0.113.7"); /* 1.2.3.4 was written by the client: not believed */
    assert_int_equal(web_edge_forwarded_ip(proxies, "127.0.0.1", " 2001:db8::1 ", ip, sizeof(ip)),
                     1);
    assert_string_equal(ip, "2001:db8::1");
    /* An untrusted peer, no list, no header, or garbage: the peer is the client. */
    assert_int_equal(web_edge_forwarded_ip(proxies, "192.0.2.1", "203.0.113.7", ip, sizeof(ip)), 0);
    assert_int_equal(web_edge_forwarded_ip("", "127.0.0.1", "203.0.113.7", ip, sizeof(ip)), 0);
    assert_int_equal(web_edge_forwarded_ip(NULL, "127.0.0.1", "203.0.113.7", ip, sizeof(ip)), 0);
    assert_int_equal(web_edge_forwarded_ip(proxies, "127.0.0.1", NULL, ip, sizeof(ip)), 0);
    assert_int_equal(
        web_edge_forwarded_ip(proxies, "127.0.0.1", "evil, 203.0.113.7x", ip, sizeof(ip)), 0);
    assert_int_equal(web_edge_forwarded_ip(proxies, "127.0.0.1", "", ip, sizeof(ip)), 0);
    /* A prefix of a listed address is not listed. */
    assert_int_equal(
        web_edge_forwarded_ip("127.0.0.10", "127.0.0.1", "203.0.113.7", ip, sizeof(ip)), 0);
    /* Only proxies in the chain: the leftmost one. */
    assert_int_equal(web_edge_forwarded_ip(proxies, "127.0.0.1", "10.0.0.5", ip, sizeof(ip)), 1);
    assert_string_equal(ip, "10.0.0.5");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forwarded),
    };
    return cmocka_run_group_tests_name("edge", tests, NULL, NULL);
}
