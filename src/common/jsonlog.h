/* jsonlog.h - container logs in Docker's json-file format, bounded.
 *
 * One JSON object per line, as dockerd's json-file driver writes them:
 *   {"log":"hello\n","stream":"stdout","time":"2024-01-01T00:00:00.123456789Z"}
 * A line of output longer than 16 KiB is split into several entries, the
 * last one ending with "\n" (docker does the same). Files rotate when the
 * current one would exceed max_size: <path> -> <path>.1 -> ... ->
 * <path>.<max_files-1>, the oldest dropped. berth bounds logs by default
 * (JSONLOG_DEFAULT_MAX_SIZE x JSONLOG_DEFAULT_MAX_FILES), unlike Docker.
 *
 * The reader answers `logs --tail N`, `--since`, `--until` and `-f` without
 * reading more than it returns: tail reads the files backwards from the end.
 *
 * The writer is used by berth-shim (single-threaded), the reader by berthd
 * (one reader per request); a reader tolerates a writer appending and
 * rotating at the same time (it follows by inode). */
#ifndef BERTH_COMMON_JSONLOG_H
#define BERTH_COMMON_JSONLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define JSONLOG_DEFAULT_MAX_SIZE (10u * 1024 * 1024)
#define JSONLOG_DEFAULT_MAX_FILES 3
#define JSONLOG_MAX_LINE (16u * 1024)

enum jsonlog_stream { JSONLOG_STDOUT = 1, JSONLOG_STDERR = 2 };

struct jsonlog_writer;

/* max_size 0 = unbounded (one file); max_files >= 1. */
int jsonlog_writer_open(const char *path, uint64_t max_size, unsigned max_files, struct jsonlog_writer **ret,
			struct berr *err);
/* Append output bytes of a stream; splits into lines (a partial last line is
 * kept until more data or flush). time_ns = when it was read (unix ns). */
int jsonlog_write(struct jsonlog_writer *w, enum jsonlog_stream s, const char *data, size_t n, int64_t time_ns);
/* Write out any partial lines (at container exit). */
int jsonlog_flush(struct jsonlog_writer *w, int64_t time_ns);
void jsonlog_writer_close(struct jsonlog_writer *w);

struct jsonlog_entry {
	enum jsonlog_stream stream;
	int64_t time_ns;
	char *line; /* the "log" text, unescaped; may lack the final "\n" */
	size_t len;
};

struct jsonlog_read_opts {
	bool stdout_, stderr_;
	int64_t tail;     /* -1 = all */
	int64_t since_ns; /* 0 = from the start */
	int64_t until_ns; /* 0 = no end */
	bool follow;      /* keep waiting for new entries (until stop() says so) */
};

/* Called for every entry in order; returning non-zero stops the read.
 * stop (may be NULL) is polled while following (every ~100 ms) and ends
 * the read when it returns true (client gone, container removed...). */
typedef int (*jsonlog_entry_fn)(const struct jsonlog_entry *e, void *ud);
typedef bool (*jsonlog_stop_fn)(void *ud);
int jsonlog_read(const char *path, const struct jsonlog_read_opts *o, jsonlog_entry_fn fn, jsonlog_stop_fn stop,
		 void *ud, struct berr *err);

/* Docker's stdcopy framing for non-TTY streams: an 8-byte header
 * {stream, 0, 0, 0, size big-endian u32} before each payload. */
void jsonlog_frame_header(enum jsonlog_stream s, uint32_t len, unsigned char out[8]);

/* Test hook: bytes jsonlog_read() has read from log files in this process
 * (all readers together), so tests can check that tail stays O(answer). */
uint64_t jsonlog_stats_bytes_read(void);

#endif
