/* selfexe.c - see selfexe.h. */
#include "selfexe.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "../base/util.h"

#define REQUIRED_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

int rt_selfexe_is_sealed(void)
{
	_cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	int seals = fcntl(fd, F_GET_SEALS);
	return seals >= 0 && (seals & REQUIRED_SEALS) == REQUIRED_SEALS;
}

static int copy_all(int out, int in, off_t size)
{
	off_t done = 0;
	while (done < size) {
		ssize_t n = sendfile(out, in, NULL, (size_t)(size - done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		done += n;
	}
	return 0;
}

int rt_selfexe_ensure_sealed(char **argv, struct berr *err)
{
	if (rt_selfexe_is_sealed())
		return 0;
	_cleanup_close_ int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return berr_set(err, BERR_INTERNAL, errno, "opening /proc/self/exe");
	struct stat st;
	if (fstat(self, &st) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "stat of /proc/self/exe");
	_cleanup_close_ int mfd = memfd_create("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return berr_set(err, BERR_INTERNAL, errno, "memfd_create");
	int r = copy_all(mfd, self, st.st_size);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "copying the runtime binary");
	if (fcntl(mfd, F_ADD_SEALS, REQUIRED_SEALS) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "sealing the runtime copy");
	/* execveat with AT_EMPTY_PATH runs the memfd itself; close-on-exec on
	 * it is fine for an ELF binary (only scripts need the fd afterwards). */
	syscall(SYS_execveat, mfd, "", argv, environ, AT_EMPTY_PATH);
	return berr_set(err, BERR_INTERNAL, errno, "re-executing the runtime from a sealed copy");
}
