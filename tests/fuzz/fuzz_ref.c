/* fuzz_ref.c - libFuzzer target for ref_parse(): any input either fails
 * with a message or parses into a reference whose full form parses back to
 * itself (normalisation is idempotent). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "common/ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const struct image_ref *r)
{
	_cleanup_free_ char *full = ref_string(r);
	_cleanup_free_ char *fam = ref_familiar(r);
	_cleanup_free_ char *name = ref_name(r);
	_cleanup_free_ char *fname = ref_familiar_name(r);
	if (!full || !fam || !name || !fname)
		return; /* out of memory */
	struct berr err = { 0 };
	struct image_ref again;
	if (ref_parse(full, true, &again, &err) < 0)
		abort();
	_cleanup_free_ char *full2 = ref_string(&again);
	if (full2 && strcmp(full, full2) != 0)
		abort();
	ref_release(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *s = strndup((const char *)data, size);
	if (!s)
		return 0;
	struct berr err = { 0 };
	struct image_ref r;
	int q = ref_parse(s, (size & 1) != 0, &r, &err);
	if (q < 0) {
		if (q != -ENOMEM && !err.msg)
			abort(); /* every refusal says why */
		berr_clear(&err);
		return 0;
	}
	check_round_trip(&r);
	(void)ref_is_id_like(s);
	ref_release(&r);
	return 0;
}
