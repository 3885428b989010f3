/* ocispec-internal.h - helpers shared by the files of src/container/. */
#ifndef BERTH_CONTAINER_OCISPEC_INTERNAL_H
#define BERTH_CONTAINER_OCISPEC_INTERNAL_H

#include <fcntl.h>
#include <strings.h>

#include "../common/json.h"
#include "ocispec.h"

/* Capability names for a mask: Docker's default order first, then by number. */
json_t *ctr_caps_to_json(uint64_t mask);

/* HostConfig readers: absent, null or the wrong type read as zero/empty
 * (sparse bodies, engine-api.md §7 trap 12). */
int64_t hc_int(json_t *hc, const char *key);
bool hc_bool(json_t *hc, const char *key);
const char *hc_str(json_t *hc, const char *key); /* "" when absent */

/* linux.resources and the device list from a HostConfig. */
int ctr_resources_build(json_t *hc, json_t *lnx, bool privileged, const char *host_dev_dir, struct berr *err);
/* process.rlimits: Ulimits, with nofile defaulting to min(1048576, host hard). */
int ctr_rlimits_build(json_t *hc, uint64_t nofile_hard_max, json_t **ret, struct berr *err);

#endif
