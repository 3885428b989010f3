/* sha256 - throughput of berth's digester (OpenSSL EVP) over an in-memory
 * buffer, in GB/s. Usage: sha256 [MEGABYTES] (default 1024). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/digest.h"

int main(int argc, char **argv)
{
	size_t mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024;
	size_t chunk = 1 << 20;
	char *buf = malloc(chunk);
	if (!buf || mb == 0)
		return 1;
	memset(buf, 0x5a, chunk);
	struct digester *d = digester_new();
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (size_t i = 0; i < mb; i++)
		if (digester_update(d, buf, chunk) < 0)
			return 1;
	digest_t out;
	digester_final(d, out);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("%.2f GB/s (%zu MiB in %.3f s) %s\n", (double)mb * chunk / s / 1e9, mb, s, out);
	digester_free(d);
	free(buf);
	return 0;
}
