/*
 * A file as the core hands it to storage put(): text staged in an anonymous file
 * (staging_open in /tmp) with its size and sha256 set; origin and h1 are left to the
 * test. The caller closes fd. For cmocka tests (asserts on failure).
 */
#ifndef STOA_TEST_STAGED_FILE_H
#define STOA_TEST_STAGED_FILE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "staging.h"
#include "validate.h"

#include <stoa/storage.h>

static stoa_put_file staged_file(stoa_kind kind, const char *text)
{
    stoa_put_file pf = {kind, staging_open("/tmp"), {0}};
    assert_true(pf.fd >= 0);
    assert_int_equal(staging_write(pf.fd, text, strlen(text)), 0);
    pf.meta.size = strlen(text);
    assert_int_equal(validate_sha256_fd(pf.fd, pf.meta.size, pf.meta.sha256), 0);
    return pf;
}

#endif
