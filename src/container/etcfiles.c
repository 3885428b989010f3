/* etcfiles.c - /etc/hostname, /etc/hosts and /etc/resolv.conf for a container.
 *
 * The files live in the container's directory on the host and are
 * bind-mounted in by the spec. resolv.conf follows moby's libnetwork
 * (sandbox_dns_unix.go setupDNS): with --network host and no DNS options the
 * host's file is copied unchanged; otherwise (bridge, user networks and none
 * alike) nameservers on the host's loopback are dropped, because a new
 * network namespace has its own loopback with nothing listening, and when no
 * nameserver is left the public defaults 8.8.8.8 and 8.8.4.4 are used.
 * --dns, --dns-search and --dns-option replace the matching lines. Nothing
 * here resolves a name or sends a packet. */
#include <fcntl.h>
#include <string.h>

#include "../base/util.h"
#include "ocispec-internal.h"

struct buf {
	char *s;
	size_t len, cap;
	bool oom;
};

_printf_(2, 3) static void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if (b->s && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap + (size_t)n + 1) * 2;
		char *p = realloc(b->s, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
}

static int buf_take(struct buf *b, char **ret)
{
	if (!b->s)
		buf_printf(b, "%s", "");
	if (b->oom) {
		free(b->s);
		return -ENOMEM;
	}
	*ret = b->s;
	return 0;
}

/* --- resolv.conf ---------------------------------------------------------------- */

static bool is_loopback_ns(const char *addr)
{
	return str_startswith(addr, "127.") || streq(addr, "::1") || streq(addr, "0:0:0:0:0:0:0:1");
}

/* The first word after keyword on a line ("nameserver 1.2.3.4" -> "1.2.3.4"), or NULL. */
static const char *directive(const char *line, const char *keyword, char *word, size_t n)
{
	size_t k = strlen(keyword);
	while (*line == ' ' || *line == '\t')
		line++;
	if (strncmp(line, keyword, k) != 0 || (line[k] != ' ' && line[k] != '\t'))
		return NULL;
	line += k;
	while (*line == ' ' || *line == '\t')
		line++;
	size_t w = strcspn(line, " \t#;");
	if (w == 0 || w >= n)
		return NULL;
	memcpy(word, line, w);
	word[w] = '\0';
	return word;
}

static void list_line(struct buf *b, const char *keyword, json_t *list)
{
	size_t i;
	json_t *v;
	buf_printf(b, "%s", keyword);
	json_array_foreach(list, i, v)
		if (json_is_string(v))
			buf_printf(b, " %s", json_string_value(v));
	buf_printf(b, "\n");
}

/* Host lines, minus loopback nameservers and minus what the request replaces. */
static size_t copy_filtered(struct buf *b, const char *host, json_t *hc)
{
	bool own_ns = json_array_size(json_object_get(hc, "Dns")) > 0;
	bool own_search = json_array_size(json_object_get(hc, "DnsSearch")) > 0;
	bool own_opts = json_array_size(json_object_get(hc, "DnsOptions")) > 0;
	size_t kept = 0;
	const char *p = host;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		_cleanup_free_ char *line = strndup(p, len);
		char word[256];
		p = nl ? nl + 1 : NULL;
		if (!line) {
			b->oom = true;
			return kept;
		}
		if (directive(line, "nameserver", word, sizeof(word))) {
			if (own_ns || is_loopback_ns(word))
				continue;
			kept++;
		} else if ((own_search && (directive(line, "search", word, sizeof(word)) ||
					   directive(line, "domain", word, sizeof(word)))) ||
			   (own_opts && directive(line, "options", word, sizeof(word)))) {
			continue;
		}
		buf_printf(b, "%s\n", line);
	}
	return kept;
}

int ctr_resolv_conf(const char *host_content, enum ctr_net_mode mode, json_t *hc, char **ret)
{
	bool dns_opts = json_array_size(json_object_get(hc, "Dns")) > 0 ||
			json_array_size(json_object_get(hc, "DnsSearch")) > 0 ||
			json_array_size(json_object_get(hc, "DnsOptions")) > 0;
	struct buf b = { 0 };
	if (mode == CTR_NET_HOST && !dns_opts) {
		buf_printf(&b, "%s", host_content ? host_content : "");
		return buf_take(&b, ret);
	}
	size_t kept = copy_filtered(&b, host_content, hc);
	json_t *l;
	if (json_array_size(l = json_object_get(hc, "Dns")) > 0) {
		size_t i;
		json_t *v;
		json_array_foreach(l, i, v)
			if (json_is_string(v))
				buf_printf(&b, "nameserver %s\n", json_string_value(v));
	} else if (kept == 0) {
		buf_printf(&b, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
	}
	if (json_array_size(l = json_object_get(hc, "DnsSearch")) > 0)
		list_line(&b, "search", l);
	if (json_array_size(l = json_object_get(hc, "DnsOptions")) > 0)
		list_line(&b, "options", l);
	return buf_take(&b, ret);
}

/* --- hosts and hostname ---------------------------------------------------------- */

static const char *const hosts_defaults =
	"127.0.0.1\tlocalhost\n"
	"::1\tlocalhost ip6-localhost ip6-loopback\n"
	"fe00::0\tip6-localnet\n"
	"ff00::0\tip6-mcastprefix\n"
	"ff02::1\tip6-allnodes\n"
	"ff02::2\tip6-allrouters\n";

/* ExtraHosts entries are "name:ip" (the ip may itself contain colons). */
static void extra_hosts(struct buf *b, json_t *hc)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(hc, "ExtraHosts"), i, v) {
		const char *e = json_string_value(v), *colon = e ? strchr(e, ':') : NULL;
		if (colon && colon > e && colon[1])
			buf_printf(b, "%s\t%.*s\n", colon + 1, (int)(colon - e), e);
	}
}

static int hosts_content(const struct ctr_etc_input *in, const char *host_hosts, char **ret)
{
	struct buf b = { 0 };
	if (in->net_mode == CTR_NET_HOST && json_array_size(json_object_get(in->host_config, "ExtraHosts")) == 0) {
		buf_printf(&b, "%s", host_hosts ? host_hosts : "");
		return buf_take(&b, ret);
	}
	buf_printf(&b, "%s", hosts_defaults);
	extra_hosts(&b, in->host_config);
	if (in->ip && *in->ip) {
		bool dom = in->domainname && *in->domainname;
		buf_printf(&b, "%s\t%s%s%s", in->ip, in->hostname, dom ? "." : "", dom ? in->domainname : "");
		if (dom)
			buf_printf(&b, " %s", in->hostname);
		buf_printf(&b, "\n");
	}
	return buf_take(&b, ret);
}

static int read_host_file(const char *path, char **ret)
{
	int r = read_file_at(AT_FDCWD, path, ret, NULL);
	if (r == -ENOENT) {
		*ret = NULL; /* moby writes an empty file (or the defaults) when the host has none */
		return 0;
	}
	return r;
}

static int write_text(int dir_fd, const char *name, const char *text, struct berr *err)
{
	int r = write_file_atomic_at(dir_fd, name, text, strlen(text), 0644);
	return r < 0 ? berr_set(err, BERR_INTERNAL, -r, "writing %s", name) : 0;
}

int ctr_etc_files(int dir_fd, const struct ctr_etc_input *in, struct berr *err)
{
	if (!in->hostname || !*in->hostname || strchr(in->hostname, '\n'))
		return berr_set_msg(err, BERR_INVALID, EINVAL, "invalid hostname");
	const char *rc_path = in->host_resolv_conf ? in->host_resolv_conf : "/etc/resolv.conf";
	const char *hosts_path = in->host_hosts ? in->host_hosts : "/etc/hosts";
	_cleanup_free_ char *host_rc = NULL, *host_hosts = NULL, *rc = NULL, *hosts = NULL, *hn = NULL;
	int r;
	if ((r = read_host_file(rc_path, &host_rc)) < 0)
		return berr_set(err, BERR_INTERNAL, -r, "reading %s", rc_path);
	if (in->net_mode == CTR_NET_HOST && (r = read_host_file(hosts_path, &host_hosts)) < 0)
		return berr_set(err, BERR_INTERNAL, -r, "reading %s", hosts_path);
	if (ctr_resolv_conf(host_rc, in->net_mode, in->host_config, &rc) < 0 || hosts_content(in, host_hosts, &hosts) < 0 ||
	    asprintf(&hn, "%s\n", in->hostname) < 0)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "writing /etc files");
	if ((r = write_text(dir_fd, "hostname", hn, err)) < 0 || (r = write_text(dir_fd, "hosts", hosts, err)) < 0 ||
	    (r = write_text(dir_fd, "resolv.conf", rc, err)) < 0)
		return r;
	return 0;
}
