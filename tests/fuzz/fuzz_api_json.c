/* fuzz_api_json - the parsers behind the Engine API's untrusted inputs other
 * than HTTP itself: the `filters` JSON (both encodings) with the checks the
 * images endpoint runs on it, time values (since/until), and import's
 * `changes` (Dockerfile instructions). The input is split at NUL bytes into
 * a filters text, a time text and change lines. Nothing may crash or leak;
 * successful parses must be self-consistent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "daemon/changes.h"
#include "daemon/filters.h"

static const char *const image_keys[] = { "dangling", "label", "before", "since", "reference", "until", NULL };

static void fuzz_filters(const char *text)
{
	struct api_filters f = { 0 };
	struct berr err = { 0 };
	if (api_filters_parse(text, &f, &err) < 0) {
		if (!err.msg)
			abort(); /* a refusal must say why */
		berr_clear(&err);
		return;
	}
	for (size_t i = 0; i < f.n; i++)
		if (!f.v[i].key || !f.v[i].values || api_filters_get(&f, f.v[i].key) == NULL)
			abort();
	(void)api_filters_validate(&f, image_keys, &err);
	berr_clear(&err);
	int b;
	(void)api_filters_bool(&f, "dangling", &b, &err);
	berr_clear(&err);
	json_t *labels = json_pack("{s:s,s:s}", "a", "b", "com.example", "");
	(void)api_filters_match_labels(&f, "label", labels);
	json_decref(labels);
	api_filters_release(&f);
}

static void fuzz_time(const char *text)
{
	int64_t ns;
	struct berr err = { 0 };
	(void)api_parse_time(text, 1700000000000000000LL, &ns, &err);
	berr_clear(&err);
}

static void fuzz_changes(char **lines)
{
	json_t *cfg = NULL;
	struct berr err = { 0 };
	if (changes_parse(lines, &cfg, &err) == 0) {
		if (!json_is_object(cfg))
			abort();
		json_decref(cfg);
	} else if (!err.msg) {
		abort();
	}
	berr_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	/* Parts separated by NUL: filters, time, then change lines. Offsets
	 * keep every pointer inside buf (whose last byte is a NUL). */
	const char *filters = buf;
	size_t off = strlen(filters) + 1;
	const char *time = off <= size ? buf + off : buf + size;
	off += strlen(time) + 1;
	char **lines = calloc(1, sizeof(char *));
	while (lines && off <= size) {
		const char *l = buf + off;
		if (strv_push(&lines, l) < 0)
			break;
		off += strlen(l) + 1;
	}
	fuzz_filters(filters);
	fuzz_time(time);
	if (lines)
		fuzz_changes(lines);
	strv_free(lines);
	free(buf);
	return 0;
}
