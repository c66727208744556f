/*
 * validate.c - recording broken rules and running a schema's checks.
 */
#include "internal.h"

/*
 * Keep the list in rule order and each rule once, whatever order the
 * checks run in and however often a rule is reported (the generic range
 * checks below and a generated check may both report a range rule).
 */
void qmig_violations_add(QmigViolations *out, const QmigSchemaDesc *schema,
                         unsigned rule)
{
    if (!out || !schema || !schema->rules || rule >= schema->n_rules) {
        return;
    }
    const QmigRuleDesc *item = &schema->rules[rule];
    unsigned count = out->count < QMIG_VIOLATIONS_MAX ? out->count
                                                      : QMIG_VIOLATIONS_MAX;
    unsigned pos = count;
    /* Rules are few and violations fewer: a linear scan will do. */
    for (unsigned i = 0; i < count; i++) {
        if (out->items[i] == item) {
            return;
        }
        /* Items of another schema cannot be ordered against this one. */
        if (out->items[i] >= schema->rules &&
            out->items[i] < schema->rules + schema->n_rules &&
            out->items[i] > item) {
            pos = i;
            break;
        }
    }
    /*
     * Full: keep the QMIG_VIOLATIONS_MAX first rules in rule order, so
     * the report does not depend on the order of the checks.
     */
    if (count == QMIG_VIOLATIONS_MAX) {
        if (pos == count) {
            return;
        }
        count--; /* the last one makes room */
    }
    for (unsigned i = count; i > pos; i--) {
        out->items[i] = out->items[i - 1];
    }
    out->items[pos] = item;
    out->count = count + 1;
}

bool qmig_config_validate(const void *config, QmigViolations *out)
{
    if (!out) {
        return false;
    }
    out->count = 0;
    const QmigSchemaDesc *schema =
        config ? ((const QmigConfigHeader *)config)->schema : NULL;
    if (!schema) {
        return false;
    }
    if (schema->validate) {
        schema->validate(config, out);
    }
    return out->count == 0;
}
