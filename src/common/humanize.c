/* humanize.c - go-units' HumanSize, BytesSize and HumanDuration in C. */
#include "common/humanize.h"

#include <stdio.h>

#define NS_PER_SEC 1000000000LL

static const char *const decimal_units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB" };
static const char *const binary_units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB" };

/* Divide by base until below it or out of units, then "%.*g<unit>". Go's
 * %g and C's agree for these magnitudes (both write "1e+03"). */
static const char *custom_size(double size, double base, const char *const *units, size_t n, int prec,
			       char buf[static HUMAN_BUF])
{
	size_t i = 0;

	while (size >= base && i < n - 1) {
		size /= base;
		i++;
	}
	snprintf(buf, HUMAN_BUF, "%.*g%s", prec, size, units[i]);
	return buf;
}

const char *human_size(double size, char buf[static HUMAN_BUF])
{
	return custom_size(size, 1000.0, decimal_units, 9, 3, buf);
}

const char *human_size_prec(double size, int prec, char buf[static HUMAN_BUF])
{
	return custom_size(size, 1000.0, decimal_units, 9, prec, buf);
}

const char *human_bytes(double size, char buf[static HUMAN_BUF])
{
	return custom_size(size, 1024.0, binary_units, 9, 4, buf);
}

/* time.Duration.Round(time.Hour).Hours(): halves round away from zero. */
static int64_t round_hours(int64_t nanos)
{
	const int64_t hour = 3600 * NS_PER_SEC;
	int64_t q = nanos / hour, r = nanos % hour;

	if (r < 0)
		r = -r;
	if (r + r >= hour)
		q += nanos < 0 ? -1 : 1;
	return q;
}

const char *human_duration(int64_t nanos, char buf[static HUMAN_BUF - 4])
{
	int64_t seconds = nanos / NS_PER_SEC, minutes = seconds / 60, hours;

	if (seconds < 1)
		snprintf(buf, HUMAN_BUF - 4, "Less than a second");
	else if (seconds == 1)
		snprintf(buf, HUMAN_BUF - 4, "1 second");
	else if (seconds < 60)
		snprintf(buf, HUMAN_BUF - 4, "%lld seconds", (long long)seconds);
	else if (minutes == 1)
		snprintf(buf, HUMAN_BUF - 4, "About a minute");
	else if (minutes < 60)
		snprintf(buf, HUMAN_BUF - 4, "%lld minutes", (long long)minutes);
	else if ((hours = round_hours(nanos)) == 1)
		snprintf(buf, HUMAN_BUF - 4, "About an hour");
	else if (hours < 48)
		snprintf(buf, HUMAN_BUF - 4, "%lld hours", (long long)hours);
	else if (hours < 24 * 7 * 2)
		snprintf(buf, HUMAN_BUF - 4, "%lld days", (long long)(hours / 24));
	else if (hours < 24 * 30 * 2)
		snprintf(buf, HUMAN_BUF - 4, "%lld weeks", (long long)(hours / 24 / 7));
	else if (hours < 24 * 365 * 2)
		snprintf(buf, HUMAN_BUF - 4, "%lld months", (long long)(hours / 24 / 30));
	else /* go-units truncates here: int(d.Hours()) */
		snprintf(buf, HUMAN_BUF - 4, "%lld years", (long long)(seconds / 3600 / 24 / 365));
	return buf;
}

const char *human_since(int64_t then, int64_t now, char buf[static HUMAN_BUF])
{
	char d[HUMAN_BUF - 4]; /* durations are short; leaves room for " ago" */

	human_duration((now - then) * NS_PER_SEC, d);
	snprintf(buf, HUMAN_BUF, "%s ago", d);
	return buf;
}
