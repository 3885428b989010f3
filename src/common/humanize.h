/* humanize.h - sizes and durations the way the docker CLI prints them.
 *
 * These follow github.com/docker/go-units as the docker CLI uses it:
 *   human_size(4264964)      -> "4.26MB"   (decimal units, 3 significant digits)
 *   human_bytes(16e9)        -> "14.9GiB"  (binary units, 4 significant digits)
 *   human_duration(7200)     -> "2 hours"
 * Results are written into caller buffers (HUMAN_BUF is always enough) and
 * the functions return that buffer, so they can be used inline. */
#ifndef BERTH_COMMON_HUMANIZE_H
#define BERTH_COMMON_HUMANIZE_H

#include <stddef.h>
#include <stdint.h>

#define HUMAN_BUF 64

/* units.HumanSizeWithPrecision(size, 3): "0B", "999B", "1kB", "4.26MB", "1e+03YB". */
const char *human_size(double size, char buf[static HUMAN_BUF]);
/* units.HumanSizeWithPrecision(size, prec); units.HumanSize is prec 4. */
const char *human_size_prec(double size, int prec, char buf[static HUMAN_BUF]);
/* units.BytesSize: "%.4g" with B, KiB, MiB, GiB ... */
const char *human_bytes(double size, char buf[static HUMAN_BUF]);
/* units.HumanDuration for a duration in nanoseconds: "Less than a second",
 * "1 second", "About a minute", "About an hour", "3 days", "2 years". */
const char *human_duration(int64_t nanos, char buf[static HUMAN_BUF - 4]);
/* "<duration> ago" for a unix time, relative to now (unix seconds). */
const char *human_since(int64_t then, int64_t now, char buf[static HUMAN_BUF]);

#endif
