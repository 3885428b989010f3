/* shimctl - a test client for berth-shim's control socket.
 *
 * Usage: shimctl [--timeout SEC] [--demux] SOCKET REQUEST-JSON
 *
 * Connects to SOCKET, sends REQUEST-JSON and a newline, prints the reply
 * line on stdout. If the reply is {"ok":true} to an "attach" request, it
 * then relays: its stdin to the socket (shutting down the socket's write
 * side at stdin EOF, as the docker CLI does) and the socket to its stdout
 * until the shim closes the stream. With --demux the stream is decoded as
 * Docker's multiplexed frames: stdout frames to stdout, stderr frames to
 * stderr; a malformed header is an error. Gives up after SEC seconds
 * (default 20).
 *
 * Exit status: 0 on success, 1 on errors (including a malformed frame),
 * 2 on timeout. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long deadline_ms;

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(void)
{
	long long l = deadline_ms - now_ms();
	return l < 0 ? 0 : (int)l;
}

static int write_full(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Docker frames: 8-byte header {stream,0,0,0,len be32} then payload. */
struct demux {
	unsigned char hdr[8];
	size_t hdr_len;
	uint32_t left;
	int stream;
};

static int demux_feed(struct demux *d, const char *p, size_t n)
{
	while (n > 0) {
		if (d->left == 0) {
			d->hdr[d->hdr_len++] = (unsigned char)*p++;
			n--;
			if (d->hdr_len < 8)
				continue;
			d->hdr_len = 0;
			if ((d->hdr[0] != 1 && d->hdr[0] != 2) || d->hdr[1] || d->hdr[2] || d->hdr[3]) {
				fprintf(stderr, "shimctl: bad frame header %02x %02x %02x %02x\n", d->hdr[0], d->hdr[1],
					d->hdr[2], d->hdr[3]);
				return -1;
			}
			d->stream = d->hdr[0];
			d->left = (uint32_t)d->hdr[4] << 24 | (uint32_t)d->hdr[5] << 16 | (uint32_t)d->hdr[6] << 8 | d->hdr[7];
			if (d->left == 0) {
				fprintf(stderr, "shimctl: empty frame\n");
				return -1;
			}
			continue;
		}
		size_t k = n < d->left ? n : d->left;
		if (write_full(d->stream == 1 ? 1 : 2, p, k) < 0)
			return -1;
		p += k;
		n -= k;
		d->left -= (uint32_t)k;
	}
	return 0;
}

static int relay(int sock, bool demux, const char *extra, size_t extra_len)
{
	struct demux d = { 0 };
	if (extra_len && (demux ? demux_feed(&d, extra, extra_len) : write_full(1, extra, extra_len)) < 0)
		return 1;
	bool in_open = true;
	char buf[16384];
	for (;;) {
		struct pollfd p[2] = { { .fd = sock, .events = POLLIN }, { .fd = in_open ? 0 : -1, .events = POLLIN } };
		int r = poll(p, 2, left_ms());
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			fprintf(stderr, "shimctl: timeout\n");
			return 2;
		}
		if (p[1].revents) {
			ssize_t n = read(0, buf, sizeof(buf));
			if (n <= 0) {
				in_open = false;
				shutdown(sock, SHUT_WR);
			} else if (write_full(sock, buf, (size_t)n) < 0) {
				in_open = false;
			}
		}
		if (p[0].revents) {
			ssize_t n = read(sock, buf, sizeof(buf));
			if (n <= 0)
				return d.left || d.hdr_len ? (fprintf(stderr, "shimctl: stream ended inside a frame\n"), 1) : 0;
			if ((demux ? demux_feed(&d, buf, (size_t)n) : write_full(1, buf, (size_t)n)) < 0)
				return 1;
		}
	}
}

int main(int argc, char **argv)
{
	int timeout = 20;
	bool demux = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--demux"))
			demux = true;
		else
			break;
	}
	if (argc - i != 2) {
		fprintf(stderr, "usage: shimctl [--timeout SEC] [--demux] SOCKET REQUEST-JSON\n");
		return 1;
	}
	deadline_ms = now_ms() + (long long)timeout * 1000;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(argv[i]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "shimctl: socket path too long\n");
		return 1;
	}
	memcpy(sa.sun_path, argv[i], strlen(argv[i]) + 1);
	int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "shimctl: connecting to %s: %s\n", argv[i], strerror(errno));
		return 1;
	}
	char line[8192];
	int n = snprintf(line, sizeof(line), "%s\n", argv[i + 1]);
	if (n < 0 || (size_t)n >= sizeof(line) || write_full(sock, line, (size_t)n) < 0) {
		fprintf(stderr, "shimctl: sending the request failed\n");
		return 1;
	}
	/* Read the reply line; bytes after it already belong to the stream. */
	static char buf[65536];
	size_t len = 0;
	char *nl = NULL;
	while (!nl) {
		struct pollfd p = { .fd = sock, .events = POLLIN };
		int r = poll(&p, 1, left_ms());
		if (r == 0) {
			fprintf(stderr, "shimctl: timeout waiting for the reply\n");
			return 2;
		}
		if (r < 0)
			continue;
		ssize_t k = read(sock, buf + len, sizeof(buf) - 1 - len);
		if (k <= 0) {
			fprintf(stderr, "shimctl: connection closed before a reply\n");
			return 1;
		}
		len += (size_t)k;
		buf[len] = '\0';
		nl = strchr(buf, '\n');
		if (!nl && len == sizeof(buf) - 1) {
			fprintf(stderr, "shimctl: reply too long\n");
			return 1;
		}
	}
	*nl = '\0';
	printf("%s\n", buf);
	fflush(stdout);
	if (!strstr(argv[i + 1], "\"attach\"") || strcmp(buf, "{\"ok\":true}") != 0)
		return 0;
	return relay(sock, demux, nl + 1, len - (size_t)(nl + 1 - buf));
}
