/* fuzz_jsonlog.c - the json-file reader on arbitrary file contents (all,
 * tail, since/until, one stream), and the writer on arbitrary output bytes
 * whose file must then read back as exactly what was written. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "common/jsonlog.h"

#define T0 (1704067200LL * 1000000000LL)

struct acc {
	size_t n, bytes;
	char *text; /* concatenated stdout entries, when checking a round trip */
	size_t cap;
};

static volatile unsigned sink;

static int count(const struct jsonlog_entry *e, void *ud)
{
	struct acc *a = ud;
	a->n++;
	a->bytes += e->len;
	if (e->len > 0) /* touch both ends so ASan checks the bounds */
		sink += (unsigned char)e->line[0] + (unsigned char)e->line[e->len - 1];
	if (a->text && a->bytes <= a->cap)
		memcpy(a->text + a->bytes - e->len, e->line, e->len);
	return 0;
}

static void read_variants(const char *path, size_t size)
{
	struct jsonlog_read_opts o = { .stdout_ = true, .stderr_ = true, .tail = -1 };
	struct acc a = { 0 }, b = { 0 };

	jsonlog_read(path, &o, count, NULL, &a, NULL);
	o.tail = 3;
	jsonlog_read(path, &o, count, NULL, &b, NULL);
	if (b.n > 3 || b.n > a.n)
		abort();
	o.tail = (int64_t)size;
	b = (struct acc){ 0 };
	jsonlog_read(path, &o, count, NULL, &b, NULL);
	if (b.n != a.n) /* tail of everything is everything */
		abort();
	o.tail = -1;
	o.since_ns = T0 + 1;
	o.until_ns = T0 + 1000000000LL;
	o.stderr_ = false;
	jsonlog_read(path, &o, count, NULL, &b, NULL);
}

/* The input as a container's output, through a small rotating log. ASCII
 * reads back byte for byte, except that rotation may have dropped whole
 * entries at the start: what is read is a non-empty suffix of the input. */
static void write_and_check(const char *path, const uint8_t *data, size_t size)
{
	struct jsonlog_writer *w = NULL;
	struct jsonlog_read_opts o = { .stdout_ = true, .stderr_ = false, .tail = -1 };
	struct acc a = { 0 };
	bool ascii = true;

	if (jsonlog_writer_open(path, 4096, 3, &w, NULL) < 0)
		return;
	for (size_t i = 0; i < size; i++)
		ascii &= data[i] < 0x80;
	/* split the input in two writes at a point the input chooses */
	size_t cut = size ? data[0] % (size + 1) : 0;
	jsonlog_write(w, JSONLOG_STDOUT, (const char *)data, cut, T0);
	jsonlog_write(w, JSONLOG_STDOUT, (const char *)data + cut, size - cut, T0 + 1);
	jsonlog_flush(w, T0 + 2);
	jsonlog_writer_close(w);
	a.cap = size;
	a.text = malloc(size + 1);
	jsonlog_read(path, &o, count, NULL, &a, NULL);
	if (ascii && (a.bytes > size || (size > 0 && a.bytes == 0) ||
		      memcmp(a.text, data + size - a.bytes, a.bytes) != 0))
		abort();
	free(a.text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[] = "/tmp/fuzz-jsonlog-XXXXXX", path[64];

	if (!mkdtemp(dir))
		return 0;
	snprintf(path, sizeof(path), "%s/log", dir);
	if (write_file_at(AT_FDCWD, path, (const char *)data, size, false) == -ENOENT) {
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0) {
			write_all(fd, data, size);
			close(fd);
		}
	}
	read_variants(path, size);
	rm_rf_at(AT_FDCWD, dir);
	if (mkdir(dir, 0700) == 0) {
		write_and_check(path, data, size);
		rm_rf_at(AT_FDCWD, dir);
	}
	return 0;
}
