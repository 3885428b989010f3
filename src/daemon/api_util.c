/* api_util.c - small helpers shared by the API handlers (see api.h). */
#include "daemon/api.h"

#include <string.h>
#include <time.h>

#include "common/ref.h"
#include "daemon/httpd.h"

void api_time_rfc3339(int64_t unix_ns, char buf[static 40])
{
	if (unix_ns == 0) {
		memcpy(buf, "0001-01-01T00:00:00Z", sizeof("0001-01-01T00:00:00Z"));
		return;
	}
	time_t secs = (time_t)(unix_ns / 1000000000LL);
	long nanos = (long)(unix_ns % 1000000000LL);
	if (nanos < 0) {
		secs--;
		nanos += 1000000000L;
	}
	struct tm tm;
	gmtime_r(&secs, &tm);
	size_t n = strftime(buf, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	if (nanos) {
		char frac[16];
		int len = snprintf(frac, sizeof(frac), "%09ld", nanos);
		while (len > 0 && frac[len - 1] == '0')
			frac[--len] = 0;
		n += (size_t)snprintf(buf + n, 40 - n, ".%s", frac);
	}
	snprintf(buf + n, 40 - n, "Z");
}

char *api_familiar(const char *full_ref)
{
	struct image_ref ref;
	if (ref_parse(full_ref, true, &ref, NULL) < 0)
		return strdup(full_ref);
	char *s = ref_familiar(&ref);
	ref_release(&ref);
	return s;
}

int api_reply_json(struct api_call *c, int status, json_t *body)
{
	if (!body)
		return -ENOMEM;
	/* A failed write means the client is gone: nothing is left to report. */
	(void)http_resp_json(c->req, status, body);
	json_decref(body);
	return 0;
}
