/*
 * test.h - what every C unit test includes: cmocka, in the order it needs.
 */
#ifndef ONEWINDOW_TESTS_TEST_H
#define ONEWINDOW_TESTS_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#endif
