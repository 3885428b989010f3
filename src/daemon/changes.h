/* changes.h - the Dockerfile instructions `docker import -c` and `docker
 * commit -c` apply to an image config (the API's repeated `changes`
 * parameter): CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL,
 * USER, VOLUME, WORKDIR, as moby allows them.
 *
 * The result is a JSON object of the image "config" fields they set, in
 * Docker's capitalised names: {"Cmd":["sh"],"Env":["A=1"],
 * "ExposedPorts":{"80/tcp":{}}, ...}. Shell forms of CMD/ENTRYPOINT become
 * ["/bin/sh","-c","<text>"]. Each value may hold several instructions on
 * separate lines. */
#ifndef BERTH_DAEMON_CHANGES_H
#define BERTH_DAEMON_CHANGES_H

#include <jansson.h>

#include "base/err.h"

/* changes: NULL-terminated (or NULL). ret gets {} when there are none. */
int changes_parse(char *const *changes, json_t **ret, struct berr *err);

#endif
