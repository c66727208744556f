/*
 * error.c - the error convention of libqmig; see qmig/error.h.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct QmigError {
    char *msg;
};

/*
 * Returned when there is no memory for a real error: a failure must
 * still be reported, and the caller's qmig_error_free() must work on it,
 * so it is static and free recognises it.
 */
static struct QmigError oom_error = {(char *)"out of memory"};

/* vasprintf is not C11; measure first, then format. */
static char *vformat(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (s) {
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    }
    return s;
}

void qmig_error_vsetg(QmigError **errp, const char *fmt, va_list ap)
{
    /* Never overwrite an error: the first one is the cause. */
    if (!errp || *errp) {
        return;
    }
    QmigError *err = malloc(sizeof(*err));
    char *msg = err ? vformat(fmt, ap) : NULL;
    if (!msg) {
        free(err);
        *errp = &oom_error;
        return;
    }
    err->msg = msg;
    *errp = err;
}

void qmig_error_setg(QmigError **errp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    qmig_error_vsetg(errp, fmt, ap);
    va_end(ap);
}

void qmig_error_prepend(QmigError **errp, const char *fmt, ...)
{
    if (!errp || !*errp || *errp == &oom_error) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    char *prefix = vformat(fmt, ap);
    va_end(ap);
    if (!prefix) {
        return; /* keep the unprefixed message rather than lose it */
    }
    QmigError *err = *errp;
    size_t plen = strlen(prefix), mlen = strlen(err->msg);
    char *msg = malloc(plen + mlen + 1);
    if (msg) {
        memcpy(msg, prefix, plen);
        memcpy(msg + plen, err->msg, mlen + 1);
        free(err->msg);
        err->msg = msg;
    }
    free(prefix);
}

void qmig_error_propagate(QmigError **dst, QmigError *err)
{
    if (!err) {
        return;
    }
    if (!dst || *dst) {
        qmig_error_free(err);
        return;
    }
    *dst = err;
}

const char *qmig_error_message(const QmigError *err)
{
    return err ? err->msg : "";
}

void qmig_error_free(QmigError *err)
{
    if (!err || err == &oom_error) {
        return;
    }
    free(err->msg);
    free(err);
}

/* The length of the valid UTF-8 sequence at @s (1 to 4), 0 if none. */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n;
    unsigned min;
    if (c < 0x80) {
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    unsigned cp = c & (0x7f >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    return n;
}

char *qmig_escape_text(const char *text)
{
    if (!text) {
        return NULL;
    }
    const unsigned char *s = (const unsigned char *)text;
    size_t len = strlen(text);
    /* At most four bytes out ("\xHH") for each byte in. */
    char *out = len < SIZE_MAX / 4 ? malloc(4 * len + 1) : NULL;
    if (!out) {
        return NULL;
    }
    char *o = out;
    for (size_t i = 0; i < len;) {
        unsigned c = s[i];
        size_t n = utf8_seq(s + i);
        bool c1 = n == 2 && c == 0xc2 && s[i + 1] < 0xa0; /* U+0080-9F */
        if (n > 1 && !c1) {
            memcpy(o, s + i, n);
            o += n;
            i += n;
            continue;
        }
        if (n == 1 && c >= 0x20 && c != 0x7f) {
            *o++ = (char)c;
        } else if (c == '\n' || c == '\t' || c == '\r') {
            *o++ = '\\';
            *o++ = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
        } else {
            /* C0 and C1 controls, DEL, invalid bytes: each byte. */
            size_t k = c1 ? 2 : 1;
            for (size_t j = 0; j < k; j++) {
                snprintf(o, 5, "\\x%02x", s[i + j]);
                o += 4;
            }
            i += k;
            continue;
        }
        i++;
    }
    *o = '\0';
    return out;
}
