/* fuzz_seccomp.c - libFuzzer target for the OCI linux.seccomp compiler.
 *
 * The input is a linux.seccomp object as it would arrive in a config.json
 * (from an API request, so untrusted). It is compiled into a libseccomp
 * context and freed; never loaded, so the fuzzer itself stays unconfined. */
#include <stddef.h>
#include <stdint.h>

#include "common/json.h"
#include "runtime/seccomp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_berr_ struct berr err = { 0 };
	_cleanup_json_ json_t *profile = NULL;
	if (json_parse((const char *)data, size, "fuzz", &profile, &err) < 0)
		return 0;
	_cleanup_(rt_seccomp_freep) struct rt_seccomp *s = NULL;
	(void)rt_seccomp_compile(profile, &s, &err);
	return 0;
}
