/*
 * channel.c - channel names ("main", "multifd/3"); see qmig/config.h.
 */
#include "internal.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#define INDEX_MARK "{index}"
#define INDEX_MARK_LEN (sizeof(INDEX_MARK) - 1)

static const char *pattern_of(const QmigChannelDesc *channel)
{
    return channel->pattern ? channel->pattern : channel->name;
}

/* Where "{index}" is in the pattern of an indexed channel, or NULL. */
static const char *index_mark(const QmigChannelDesc *channel)
{
    const char *pattern = pattern_of(channel);
    return channel->indexed && pattern ? strstr(pattern, INDEX_MARK) : NULL;
}

int qmig_channel_format(const QmigChannelDesc *channel, unsigned index,
                        char *buf, size_t size)
{
    if (!channel || !pattern_of(channel) || (!buf && size)) {
        return -1;
    }
    const char *pattern = pattern_of(channel);
    const char *mark = index_mark(channel);
    size_t prefix = mark ? (size_t)(mark - pattern) : strlen(pattern);
    const char *suffix = mark ? mark + INDEX_MARK_LEN : "";
    char digits[sizeof(unsigned) * 3 + 1];
    int nd = mark ? snprintf(digits, sizeof(digits), "%u", index) : 0;
    if (nd < 0) {
        return -1;
    }
    size_t len = prefix + (size_t)nd + strlen(suffix);
    if (len >= size || len > INT_MAX) {
        return -1;
    }
    memcpy(buf, pattern, prefix);
    memcpy(buf + prefix, digits, (size_t)nd);
    memcpy(buf + prefix + (size_t)nd, suffix, strlen(suffix) + 1);
    return (int)len;
}

/*
 * Decimal digits for an index: at least one, no sign, no leading zero
 * (so that every index has exactly one name), and within unsigned.
 */
static bool parse_index(const char *s, size_t len, unsigned *out)
{
    if (len == 0 || (s[0] == '0' && len > 1)) {
        return false;
    }
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT_MAX - d) / 10) {
            return false;
        }
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static bool match(const QmigChannelDesc *channel, const char *name,
                  unsigned *index)
{
    const char *pattern = pattern_of(channel);
    if (!pattern) {
        return false;
    }
    const char *mark = index_mark(channel);
    if (!mark) {
        *index = 0;
        return strcmp(pattern, name) == 0;
    }
    size_t prefix = (size_t)(mark - pattern);
    const char *suffix = mark + INDEX_MARK_LEN;
    size_t slen = strlen(suffix), nlen = strlen(name);
    if (nlen < prefix + slen || strncmp(name, pattern, prefix) != 0 ||
        strcmp(name + nlen - slen, suffix) != 0) {
        return false;
    }
    return parse_index(name + prefix, nlen - prefix - slen, index);
}

bool qmig_channel_parse(const QmigSchemaDesc *schema, const char *name,
                        unsigned *channel, unsigned *index)
{
    if (!schema || !schema->channels || !name) {
        return false;
    }
    for (unsigned i = 0; i < schema->n_channels; i++) {
        unsigned idx;
        if (match(&schema->channels[i], name, &idx)) {
            if (channel) {
                *channel = i;
            }
            if (index) {
                *index = idx;
            }
            return true;
        }
    }
    return false;
}
