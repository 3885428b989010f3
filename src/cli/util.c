/* util.c - small formatting helpers shared by the commands. */
#include <string.h>
#include <time.h>

#include "cli/cli.h"

char *cli_trunc_id(const char *id, bool trunc)
{
	if (!trunc)
		return strdup(id);
	const char *colon = strchr(id, ':');
	if (colon)
		id = colon + 1;
	return strndup(id, 12);
}

void cli_time_string(int64_t secs, char *buf, size_t n)
{
	time_t t = (time_t)secs;
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%d %H:%M:%S %z %Z", &tm);
}

/* Go's Z07:00 zone: "Z" for UTC, else "+01:00". */
static void zone(const struct tm *tm, char *buf, size_t n)
{
	long off = tm->tm_gmtoff;

	if (!off) {
		snprintf(buf, n, "Z");
		return;
	}
	snprintf(buf, n, "%c%02d:%02d", off < 0 ? '-' : '+', (int)(labs(off) / 3600 % 100), (int)(labs(off) % 3600 / 60));
}

void cli_time_rfc3339(int64_t secs, long nanos, bool fixed_nanos, char *buf, size_t n)
{
	time_t t = (time_t)secs;
	struct tm tm;
	char date[64], z[16];

	localtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	zone(&tm, z, sizeof(z));
	if (fixed_nanos)
		snprintf(buf, n, "%s.%09ld%s", date, nanos, z);
	else
		snprintf(buf, n, "%s%s", date, z);
}

bool cli_confirm(const char *msg)
{
	char line[64];

	fputs(msg, stdout);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}

char *cli_ellipsis(const char *s, size_t max)
{
	size_t runes = 0, cut = 0, len = strlen(s);

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (runes == max - 1)
				cut = i;
			runes++;
		}
	if (runes <= max || max == 0)
		return strdup(s);
	char *out;
	if (asprintf(&out, "%.*s\xe2\x80\xa6", (int)cut, s) < 0)
		return NULL;
	return out;
}
