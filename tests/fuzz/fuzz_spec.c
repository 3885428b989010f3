/* fuzz_spec.c - libFuzzer target for the config.json parser: any input must
 * either parse or fail with an error message, never crash or leak. */
#include <stdint.h>
#include <stdlib.h>

#include "runtime/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_spec *s = NULL;
	struct berr err = { 0 };
	if (rt_spec_parse((const char *)data, size, &s, &err) < 0) {
		/* A failure always explains itself. */
		if (!err.msg)
			abort();
	} else {
		/* Everything the runtime reads later must be there. */
		if (!s->process.args || !s->process.args[0] || !s->process.cwd || !s->root_path)
			abort();
		for (size_t i = 0; i < s->n_mounts; i++)
			if (!s->mounts[i].destination || s->mounts[i].destination[0] != '/')
				abort();
	}
	berr_clear(&err);
	rt_spec_free(s);
	return 0;
}
