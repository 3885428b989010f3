/* fuzz_tarx.c - libFuzzer target for tarx_apply(): arbitrary bytes applied
 * as a layer into a fresh directory, which is removed afterwards. The
 * directory sits alone inside a private scratch directory; anything
 * appearing next to it means an entry escaped, and aborts. The same bytes
 * must give the same DiffID through tarx_diff_id(). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "base/util.h"
#include "common/tarx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int scratch_fd = -EBADF;
static char scratch[64];

static void remove_scratch(void)
{
	rm_rf_at(scratch_fd, "root");
	rmdir(scratch);
}

static void open_scratch(void)
{
	/* /var/tmp: trusted.* xattrs (overlay mode) usually work there. */
	snprintf(scratch, sizeof(scratch), "/var/tmp/berth-fuzz-tarx-XXXXXX");
	if (!mkdtemp(scratch)) {
		snprintf(scratch, sizeof(scratch), "/tmp/berth-fuzz-tarx-XXXXXX");
		if (!mkdtemp(scratch))
			abort();
	}
	scratch_fd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (scratch_fd < 0)
		abort();
	atexit(remove_scratch);
}

/* Only "root" may exist in the scratch directory. */
static void check_nothing_escaped(void)
{
	int fd = openat(scratch_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fdopendir(fd);
	if (!d)
		abort();
	struct dirent *de;
	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, "..") && !streq(de->d_name, "root")) {
			fprintf(stderr, "fuzz_tarx: %s appeared outside the root\n", de->d_name);
			abort();
		}
	closedir(d);
}

static int input_fd(const uint8_t *data, size_t size)
{
	int fd = memfd_create("layer", MFD_CLOEXEC);
	if (fd < 0 || write_all(fd, data, size) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		abort();
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (scratch_fd < 0)
		open_scratch();
	rm_rf_at(scratch_fd, "root");
	if (mkdirat(scratch_fd, "root", 0755) < 0)
		abort();
	int root = openat(scratch_fd, "root", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int in = input_fd(data, size);
	struct berr err = { 0 };
	struct tarx_result applied, digested;
	unsigned flags = size > 0 && (data[size - 1] & 1) ? TARX_OVERLAY_WHITEOUTS : 0;
	int r = tarx_apply(in, root, flags, &applied, &err);
	if (r < 0 && !err.msg && r != -ENOMEM)
		abort(); /* every failure says why */
	berr_clear(&err);
	close(in);
	close(root);
	check_nothing_escaped();
	rm_rf_at(scratch_fd, "root");

	in = input_fd(data, size);
	int q = tarx_diff_id(in, &digested, &err);
	berr_clear(&err);
	close(in);
	if (r == 0 && (q < 0 || strcmp(applied.diff_id, digested.diff_id) != 0))
		abort(); /* an applied layer has the DiffID tarx_diff_id computes */
	return 0;
}
