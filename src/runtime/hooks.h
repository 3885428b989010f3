/* hooks.h - OCI lifecycle hooks: run each hook of a kind in order, with the
 * container's state JSON on its stdin, bounded by its timeout. */
#ifndef BERTH_RUNTIME_HOOKS_H
#define BERTH_RUNTIME_HOOKS_H

#include "../base/err.h"
#include "spec.h"

const char *rt_hook_kind_to_string(enum rt_hook_kind k); /* OCI name: "prestart", ... */

/* Run the hooks of kind; the first failing one stops the rest and sets err. */
int rt_hooks_run(const struct rt_spec *s, enum rt_hook_kind kind, const char *state_json, struct berr *err);

#endif
