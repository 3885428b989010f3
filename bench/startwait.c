/* startwait - time a daemon's start: run COMMAND..., poll SOCKET until an
 * HTTP "HEAD /_ping" answers 200, print the milliseconds that took, then stop
 * the daemon with SIGTERM (bounded wait, then SIGKILL).
 *
 * Usage: startwait SOCKET COMMAND [ARG...] */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* 1 when the daemon answered the ping with 200, 0 otherwise. */
static int ping(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(sock) >= sizeof(sa.sun_path))
		return 0;
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	int ok = 0;
	const char req[] = "HEAD /_ping HTTP/1.1\r\nHost: berth\r\n\r\n";
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && write(fd, req, sizeof(req) - 1) > 0) {
		char buf[256];
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 2000) == 1) {
			ssize_t n = read(fd, buf, sizeof(buf) - 1);
			ok = n > 12 && strncmp(buf + 9, "200", 3) == 0;
		}
	}
	close(fd);
	return ok;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s SOCKET COMMAND [ARG...]\n", argv[0]);
		return 2;
	}
	unlink(argv[1]);
	double t0 = now_ms();
	pid_t pid = fork();
	if (pid == 0) {
		/* The daemon's own log would drown the figures. */
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	int up = 0;
	while (!up && now_ms() - t0 < 10000) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fprintf(stderr, "startwait: the daemon exited before answering\n");
			return 1;
		}
		up = ping(argv[1]);
		if (!up)
			usleep(200);
	}
	double t = now_ms() - t0;
	kill(pid, SIGTERM);
	for (int i = 0; i < 500; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			break;
		usleep(10000);
		if (i == 499) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
	}
	if (!up) {
		fprintf(stderr, "startwait: no answer within 10 s\n");
		return 1;
	}
	printf("%.2f\n", t);
	return 0;
}
