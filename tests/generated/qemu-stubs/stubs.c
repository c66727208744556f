/*
 * TEST STUBS of the QEMU functions the generated checks call: see
 * README.  Errors are counted, so that the harness can tell a leaked
 * Error (stub_live_errors) from a freed one.
 */
#include "qemu/osdep.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/target_page.h"
#include "migration/migration.h"
#include "qapi/error.h"

struct Error {
    char *msg;
};

int stub_live_errors;
int stub_bitmap_checks;

static char *vformat(const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    assert(n >= 0);
    char *s = malloc((size_t)n + 1);
    assert(s);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

void error_setg(Error **errp, const char *fmt, ...)
{
    if (!errp) {
        return;
    }
    assert(*errp == NULL); /* as QEMU's error_setv() */
    Error *err = malloc(sizeof(*err));
    assert(err);
    va_list ap;
    va_start(ap, fmt);
    err->msg = vformat(fmt, ap);
    va_end(ap);
    stub_live_errors++;
    *errp = err;
}

void error_prepend(Error *const *errp, const char *fmt, ...)
{
    if (!errp || !*errp) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    char *prefix = vformat(fmt, ap);
    va_end(ap);
    Error *err = *errp;
    size_t n = strlen(prefix) + strlen(err->msg) + 1;
    char *msg = malloc(n);
    assert(msg);
    snprintf(msg, n, "%s%s", prefix, err->msg);
    free(prefix);
    free(err->msg);
    err->msg = msg;
}

const char *error_get_pretty(const Error *err)
{
    return err->msg;
}

void error_free(Error *err)
{
    if (err) {
        free(err->msg);
        free(err);
        stub_live_errors--;
    }
}

size_t qemu_target_page_size(void)
{
    return 4096;
}

bool check_dirty_bitmap_mig_alias_map(const BitmapMigrationNodeAliasList *bbm,
                                      Error **errp)
{
    stub_bitmap_checks++;
    if (bbm && !bbm->value) {
        error_setg(errp, "stub: bad alias map");
        return false;
    }
    return true;
}
