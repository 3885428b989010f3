/* console.c - see console.h. */
#include "console.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>

#include "../base/util.h"

int rt_console_open(unsigned rows, unsigned cols, int *ret_master, int *ret_slave, struct berr *err)
{
	_cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return berr_set(err, BERR_INTERNAL, errno, "opening /dev/ptmx");
	int unlock = 0;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "unlocking the pty");
	/* TIOCGPTPEER opens the slave through the master, immune to a path
	 * swapped under /dev/pts. */
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return berr_set(err, BERR_INTERNAL, errno, "opening the pty slave");
	if (rows && cols) {
		struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
		ioctl(slave, TIOCSWINSZ, &ws);
	}
	*ret_master = TAKE_FD(master);
	*ret_slave = slave;
	return 0;
}

int rt_console_make_stdio(int slave, struct berr *err)
{
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "making the pty the controlling terminal");
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return berr_set(err, BERR_INTERNAL, errno, "dup2 of the pty");
	return 0;
}

int rt_console_connect(const char *path, struct berr *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (str_copy(sa.sun_path, sizeof(sa.sun_path), path) < 0)
		return berr_set(err, BERR_INVALID, ENAMETOOLONG, "console socket path %s", path);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berr_set(err, BERR_INTERNAL, errno, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return berr_set(err, BERR_INVALID, errno, "connecting to console socket %s", path);
	return TAKE_FD(fd);
}

int rt_console_send(int sock, int master, struct berr *err)
{
	char name[] = "/dev/ptmx";
	struct iovec iov = { .iov_base = name, .iov_len = sizeof(name) - 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &master, sizeof(int));
	if (RETRY_EINTR(sendmsg(sock, &mh, MSG_NOSIGNAL)) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "sending the pty to the console socket");
	return 0;
}

static void copy_winsize(int from, int to)
{
	struct winsize ws;
	if (ioctl(from, TIOCGWINSZ, &ws) == 0)
		ioctl(to, TIOCSWINSZ, &ws);
}

/* Move what is readable on in to out; returns bytes moved, 0 at EOF. */
static ssize_t pump(int in, int out)
{
	char buf[16384];
	ssize_t n = RETRY_EINTR(read(in, buf, sizeof(buf)));
	if (n <= 0)
		return n < 0 && errno == EIO ? 0 : n; /* EIO: the slave side closed */
	return write_all(out, buf, (size_t)n) < 0 ? -1 : n;
}

int rt_console_proxy(int master, pid_t pid, int pidfd, int sigfd, int *ret_status)
{
	struct termios saved;
	bool raw = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	if (raw) {
		struct termios t = saved;
		cfmakeraw(&t);
		tcsetattr(STDIN_FILENO, TCSANOW, &t);
		copy_winsize(STDIN_FILENO, master);
	}
	bool exited = false, stdin_open = true;
	while (!exited) {
		struct pollfd p[4] = {
			{ .fd = master, .events = POLLIN },
			{ .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = pidfd, .events = POLLIN },
		};
		if (RETRY_EINTR(poll(p, 4, -1)) < 0)
			break;
		if (p[0].revents & (POLLIN | POLLHUP))
			pump(master, STDOUT_FILENO);
		if (p[1].revents & (POLLIN | POLLHUP) && pump(STDIN_FILENO, master) <= 0)
			stdin_open = false;
		if (p[2].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGWINCH)
					copy_winsize(STDIN_FILENO, master);
				else if (si.ssi_signo != SIGCHLD)
					kill(pid, (int)si.ssi_signo);
			}
		}
		if (p[3].revents & POLLIN)
			exited = true;
	}
	/* Drain what the process wrote before it exited. */
	for (int i = 0; i < 1024; i++) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		if (poll(&p, 1, 0) <= 0 || pump(master, STDOUT_FILENO) <= 0)
			break;
	}
	if (raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	int st;
	if (RETRY_EINTR(waitpid(pid, &st, 0)) < 0)
		return -errno;
	*ret_status = st;
	return 0;
}
