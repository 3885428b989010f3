/* cmd_container_stream.c - attach streams for run/start/attach: extra
 * daemon connections (the hijacked attach and the blocking wait each need
 * their own), the 8-byte frame demultiplexer (§3.1), the copy loop with a
 * raw local terminal, resize on start and SIGWINCH, detach keys, stdin
 * half-close at EOF (trap 5) and signal proxying without a tty. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"

int cli_open_extra(struct cli *c, const char *method, const char *target, bool upgrade, struct hclient **ret_hc,
		   struct hclient_resp **ret)
{
	_cleanup_berr_ struct berr err = { 0 };
	_cleanup_free_ char *full = NULL;
	struct hclient *hc = NULL;
	int r;

	*ret_hc = NULL;
	*ret = NULL;
	if ((r = cli_connect(c)) < 0)
		return r;
	if (asprintf(&full, "/v%s%s", c->api_version, target) < 0)
		return -ENOMEM;
	r = hclient_connect(c->host, &hc, &err);
	if (r < 0) {
		fprintf(stderr, "Cannot connect to the berth daemon at %s. Is berthd running?\n", c->host);
		return r;
	}
	struct hclient_req q = { .method = method, .target = full, .body_fd = -1, .upgrade = upgrade,
				 .content_type = upgrade ? "text/plain" : NULL };
	r = hclient_do(hc, &q, ret, &err);
	if (r < 0) {
		fprintf(stderr, "error during connect: %s\n", err.msg ? err.msg : "unknown error");
		hclient_free(hc);
		return r;
	}
	*ret_hc = hc;
	return 0;
}

int cli_attach(struct cli *c, const char *id, bool out, bool in, bool tty, struct cli_stream *st)
{
	_cleanup_free_ char *target = NULL;
	struct hclient *hc;
	struct hclient_resp *resp;
	int r;

	if (asprintf(&target, "/containers/%s/attach?stream=1%s%s", id, in ? "&stdin=1" : "",
		     out ? "&stdout=1&stderr=1" : "") < 0)
		return -ENOMEM;
	if ((r = cli_open_extra(c, "POST", target, true, &hc, &resp)) < 0)
		return r;
	int status = hclient_resp_status(resp);
	if (status != 101 && status != 200) {
		if (status >= 400)
			cli_daemon_error(resp);
		else
			fprintf(stderr, "unable to upgrade to tcp, received %d\n", status);
		hclient_resp_free(resp);
		hclient_free(hc);
		return -EIO;
	}
	st->fd = -1;
	r = hclient_resp_hijack(resp, &st->fd, &st->buf, &st->len);
	hclient_resp_free(resp); /* spent: only the response object is left */
	hclient_free(hc);
	if (r < 0)
		return r;
	st->tty = tty;
	st->in = in;
	return 0;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

void demux_feed(struct demux *d, const char *buf, size_t n)
{
	while (n > 0) {
		if (d->hlen < 8) {
			size_t take = 8 - d->hlen < n ? 8 - d->hlen : n;
			memcpy(d->hdr + d->hlen, buf, take);
			d->hlen += take, buf += take, n -= take;
			if (d->hlen == 8) {
				d->left = (uint32_t)d->hdr[4] << 24 | (uint32_t)d->hdr[5] << 16 |
					  (uint32_t)d->hdr[6] << 8 | d->hdr[7];
				if (!d->left)
					d->hlen = 0;
			}
			continue;
		}
		size_t take = d->left < n ? d->left : n;
		if (d->hdr[0] == 3)
			fprintf(stderr, "error from daemon in stream: %.*s\n", (int)take, buf);
		else
			write_all(d->hdr[0] == 2 ? 2 : 1, buf, take);
		d->left -= (uint32_t)take, buf += take, n -= take;
		if (!d->left)
			d->hlen = 0;
	}
}

static volatile sig_atomic_t winch_flag;
static volatile sig_atomic_t pending_sig;

static void on_winch(int sig)
{
	(void)sig;
	winch_flag = 1;
}

static void on_signal(int sig)
{
	pending_sig = sig;
}

void cli_resize(struct cli *c, const char *kind, const char *id)
{
	unsigned rows, cols;
	_cleanup_free_ char *target = NULL;
	struct hclient_resp *resp;

	cli_terminal_size(1, &rows, &cols);
	if (!rows && !cols)
		return;
	if (asprintf(&target, "/%s/%s/resize?h=%u&w=%u", kind, id, rows, cols) < 0)
		return;
	struct cli_request q = { .method = "POST", .target = target, .body_fd = -1 };
	if (cli_call_raw(c, &q, &resp) == 0)
		hclient_resp_free(resp);
}

static const char *sig_name(int sig)
{
	switch (sig) {
	case SIGINT: return "INT";
	case SIGTERM: return "TERM";
	case SIGHUP: return "HUP";
	case SIGQUIT: return "QUIT";
	case SIGUSR1: return "USR1";
	case SIGUSR2: return "USR2";
	default: return NULL;
	}
}

static void proxy_signal(struct cli *c, const char *id, int sig)
{
	_cleanup_free_ char *target = NULL;
	struct hclient_resp *resp;
	const char *n = sig_name(sig);

	if (!n || asprintf(&target, "/containers/%s/kill?signal=%s", id, n) < 0)
		return;
	struct cli_request q = { .method = "POST", .target = target, .body_fd = -1 };
	if (cli_call_raw(c, &q, &resp) == 0)
		hclient_resp_free(resp);
}

int cli_stream_run(struct cli *c, struct cli_stream *st)
{
	static const int proxied[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	struct sigaction sa = { 0 }, old_winch, old[ARRAY_SIZE(proxied)];
	struct termios saved;
	bool raw = false, in_open = st->in, prev_ctrl_p = false;
	struct demux d = { 0 };
	char buf[32768];
	int ret = 0;

	if (st->len) {
		if (st->tty)
			write_all(1, st->buf, st->len);
		else
			demux_feed(&d, st->buf, st->len);
	}
	free(st->buf);
	st->buf = NULL;
	if (st->tty && st->in && isatty(0) && tcgetattr(0, &saved) == 0) {
		struct termios t = saved;
		cfmakeraw(&t);
		t.c_oflag = saved.c_oflag; /* keep output processing as docker's raw mode does not... */
		t.c_oflag &= ~(tcflag_t)0;
		raw = tcsetattr(0, TCSANOW, &t) == 0;
	}
	sa.sa_flags = 0;
	sigemptyset(&sa.sa_mask);
	if (st->tty && isatty(1)) {
		sa.sa_handler = on_winch;
		sigaction(SIGWINCH, &sa, &old_winch);
		cli_resize(c, st->kind ? st->kind : "containers", st->id);
	}
	if (!st->tty) {
		sa.sa_handler = on_signal;
		for (size_t i = 0; i < ARRAY_SIZE(proxied); i++)
			sigaction(proxied[i], &sa, &old[i]);
	}
	if (!in_open)
		shutdown(st->fd, SHUT_WR);
	for (;;) {
		struct pollfd p[2] = { { .fd = st->fd, .events = POLLIN }, { .fd = 0, .events = POLLIN } };
		if (winch_flag) {
			winch_flag = 0;
			cli_resize(c, st->kind ? st->kind : "containers", st->id);
		}
		if (pending_sig) {
			int s = pending_sig;
			pending_sig = 0;
			proxy_signal(c, st->id, s);
		}
		int n = poll(p, in_open ? 2 : 1, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (p[0].revents) {
			ssize_t k = read(st->fd, buf, sizeof(buf));
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				break;
			if (st->tty)
				write_all(1, buf, (size_t)k);
			else
				demux_feed(&d, buf, (size_t)k);
		}
		if (in_open && p[1].revents) {
			ssize_t k = read(0, buf, sizeof(buf));
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				in_open = false;
				shutdown(st->fd, SHUT_WR);
				continue;
			}
			if (st->tty) {
				bool detach = false;
				for (ssize_t i = 0; i < k; i++) {
					if (prev_ctrl_p && buf[i] == 0x11) {
						detach = true;
						k = i;
						break;
					}
					prev_ctrl_p = buf[i] == 0x10;
				}
				if (k > 0)
					write_all(st->fd, buf, (size_t)k);
				if (detach) {
					ret = 1;
					break;
				}
			} else if (write_all(st->fd, buf, (size_t)k) < 0) {
				in_open = false;
			}
		}
	}
	if (raw)
		tcsetattr(0, TCSANOW, &saved);
	if (st->tty && isatty(1))
		sigaction(SIGWINCH, &old_winch, NULL);
	if (!st->tty)
		for (size_t i = 0; i < ARRAY_SIZE(proxied); i++)
			sigaction(proxied[i], &old[i], NULL);
	close(st->fd);
	st->fd = -1;
	return ret;
}

int cli_wait_status(struct hclient_resp *wresp, int *ret_status)
{
	_cleanup_berr_ struct berr err = { 0 };
	json_t *v = NULL;

	if (hclient_resp_json(wresp, &v, &err) < 0) {
		fprintf(stderr, "berth: error waiting for container: %s\n", err.msg ? err.msg : "unexpected EOF");
		return -EIO;
	}
	json_t *e = json_object_get(v, "Error");
	const char *m = json_string_value(json_object_get(e, "Message"));
	if (m && *m) {
		fprintf(stderr, "berth: error waiting for container: %s\n", m);
		json_decref(v);
		return -EIO;
	}
	*ret_status = (int)json_integer_value(json_object_get(v, "StatusCode"));
	json_decref(v);
	return 0;
}
