/* recvtty - the receiving end of an OCI runtime's --console-socket, for tests.
 *
 * Usage: recvtty [--input STR] [--timeout SEC] [--ready FILE] SOCKET-PATH
 *
 * Listens on the unix socket SOCKET-PATH (which must not exist), accepts one
 * connection, receives one file descriptor sent with SCM_RIGHTS (the pty
 * master), writes STR to it if --input was given, and copies everything read
 * from it to stdout until EOF or EIO (all slave ends closed). It gives up
 * after SEC seconds in total (default 30). With --ready, FILE is created once
 * the socket is listening, so a caller can wait for it instead of polling the
 * socket. The socket file is removed on exit.
 *
 * Exit status: 0 on EOF/EIO, 1 on a usage or system error, 2 on timeout.
 * A line "recvtty: ..." on stderr says what went wrong; on success it also
 * reports "recvtty: fd is a tty" or "recvtty: fd is not a tty" so tests can
 * check what they were sent. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/macros.h"
#include "base/util.h"

enum { EXIT_TIMEOUT = 2 };

static const char *socket_path;

static void usage(void)
{
	fprintf(stderr, "usage: recvtty [--input STR] [--timeout SEC] [--ready FILE] SOCKET-PATH\n");
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before the deadline, at least 0 and at most INT_MAX. */
static int remaining_ms(long long deadline)
{
	long long left = deadline - now_ms();

	if (left < 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* Wait until fd is readable. Returns 1 when ready, 0 on timeout, -errno on error. */
static int wait_readable(int fd, long long deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, remaining_ms(deadline));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return neg_errno();
		return r > 0;
	}
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -EBADF;

	if (str_copy(sa.sun_path, sizeof(sa.sun_path), path) < 0)
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return neg_errno();
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return neg_errno();
	if (listen(fd, 1) < 0)
		return neg_errno();
	return TAKE_FD(fd);
}

/* Receive one fd over conn. Returns the fd or -errno (-EBADMSG when the
 * message carried none). */
static int recv_fd(int conn)
{
	char data[256];
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} ctl;
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	int got = -EBADMSG;

	memset(ctl.buf, 0, sizeof(ctl.buf));
	if (RETRY_EINTR(recvmsg(conn, &msg, MSG_CMSG_CLOEXEC)) < 0)
		return neg_errno();
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int fds[4];

		if (n > ARRAY_SIZE(fds))
			n = ARRAY_SIZE(fds);
		memcpy(fds, CMSG_DATA(c), n * sizeof(int));
		for (size_t i = 0; i < n; i++) {
			if (got < 0)
				got = fds[i];
			else
				close(fds[i]); /* only the first one is the console */
		}
	}
	if (msg.msg_flags & MSG_CTRUNC)
		fprintf(stderr, "recvtty: control message truncated\n");
	return got;
}

/* Copy master to stdout until EOF/EIO. Returns 0, EXIT_TIMEOUT or -errno. */
static int copy_out(int master, long long deadline)
{
	char buf[4096];

	for (;;) {
		int r = wait_readable(master, deadline);

		if (r < 0)
			return r;
		if (r == 0)
			return EXIT_TIMEOUT;
		ssize_t n = read(master, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0 && errno == EIO)
			return 0; /* every slave end is closed */
		if (n < 0)
			return neg_errno();
		if (n == 0)
			return 0;
		r = write_all(STDOUT_FILENO, buf, (size_t)n);
		if (r < 0)
			return r;
	}
}

static void on_exit_unlink(void)
{
	if (socket_path)
		unlink(socket_path);
}

int main(int argc, char **argv)
{
	const char *input = NULL, *ready = NULL;
	int64_t timeout_s = 30;
	int i;

	for (i = 1; i < argc; i++) {
		if (streq(argv[i], "--input") && i + 1 < argc)
			input = argv[++i];
		else if (streq(argv[i], "--ready") && i + 1 < argc)
			ready = argv[++i];
		else if (streq(argv[i], "--timeout") && i + 1 < argc) {
			if (safe_atoi64(argv[++i], &timeout_s) < 0 || timeout_s <= 0 || timeout_s > 86400) {
				fprintf(stderr, "recvtty: bad timeout '%s'\n", argv[i]);
				return 1;
			}
		} else if (streq(argv[i], "--help") || streq(argv[i], "-h")) {
			usage();
			return 0;
		} else if (argv[i][0] == '-') {
			usage();
			return 1;
		} else
			break;
	}
	if (i + 1 != argc) {
		usage();
		return 1;
	}

	long long deadline = now_ms() + timeout_s * 1000;
	signal(SIGPIPE, SIG_IGN);

	_cleanup_close_ int lfd = listen_on(argv[i]);
	if (lfd < 0) {
		fprintf(stderr, "recvtty: listening on %s: %s\n", argv[i], strerror(-lfd));
		return 1;
	}
	socket_path = argv[i];
	atexit(on_exit_unlink);

	if (ready) {
		_cleanup_close_ int rfd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (rfd < 0) {
			fprintf(stderr, "recvtty: creating %s: %s\n", ready, strerror(errno));
			return 1;
		}
	}

	int r = wait_readable(lfd, deadline);
	if (r <= 0) {
		fprintf(stderr, "recvtty: %s\n", r == 0 ? "timed out waiting for a connection" : strerror(-r));
		return r == 0 ? EXIT_TIMEOUT : 1;
	}
	_cleanup_close_ int conn = RETRY_EINTR(accept4(lfd, NULL, NULL, SOCK_CLOEXEC));
	if (conn < 0) {
		fprintf(stderr, "recvtty: accept: %s\n", strerror(errno));
		return 1;
	}
	r = wait_readable(conn, deadline);
	if (r <= 0) {
		fprintf(stderr, "recvtty: %s\n", r == 0 ? "timed out waiting for the fd" : strerror(-r));
		return r == 0 ? EXIT_TIMEOUT : 1;
	}
	_cleanup_close_ int master = recv_fd(conn);
	if (master < 0) {
		fprintf(stderr, "recvtty: receiving the console fd: %s\n",
			master == -EBADMSG ? "no fd in the message" : strerror(-master));
		return 1;
	}
	fprintf(stderr, "recvtty: fd is %sa tty\n", isatty(master) ? "" : "not ");

	if (input) {
		r = write_all(master, input, strlen(input));
		if (r < 0) {
			fprintf(stderr, "recvtty: writing input: %s\n", strerror(-r));
			return 1;
		}
	}

	r = copy_out(master, deadline);
	if (r == EXIT_TIMEOUT) {
		fprintf(stderr, "recvtty: timed out after %lld s\n", (long long)timeout_s);
		return EXIT_TIMEOUT;
	}
	if (r < 0) {
		fprintf(stderr, "recvtty: copying output: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}
