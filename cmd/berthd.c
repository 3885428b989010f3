/* berthd - the berth daemon: serves the Docker Engine API on a unix socket.
 * Everything but flag handling lives in src/daemon/. */
#include <stdio.h>

#include "base/err.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/router.h"

int main(int argc, char **argv)
{
	struct daemon_config cfg = { 0 };
	_cleanup_berr_ struct berr err = { 0 };
	int status = 0;
	if (daemon_config_load(&cfg, argc, argv, &err) < 0) {
		fprintf(stderr, "berthd: %s\n", err.msg ? err.msg : "invalid configuration");
		if (err.kind == BERR_INVALID && !cfg.show_help)
			fprintf(stderr, "See 'berthd --help'.\n");
		status = 1;
	} else if (cfg.show_help) {
		daemon_config_usage(stdout, "berthd");
	} else if (cfg.show_version) {
		printf("berthd version %s, API %s (minimum %s)\n", BERTH_VERSION, API_VERSION, API_MIN_VERSION);
	} else {
		status = daemon_run(&cfg);
	}
	daemon_config_release(&cfg);
	return status;
}
