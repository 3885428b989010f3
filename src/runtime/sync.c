/* sync.c - see sync.h. */
#include "sync.h"

#include <string.h>
#include <sys/socket.h>

#include "../base/err.h"
#include "../base/util.h"

int rt_sync_send(int sock, enum rt_sync_type type, int value, const char *text, int fd)
{
	struct rt_sync_msg m = { .type = type, .value = value };
	if (text)
		snprintf(m.text, sizeof(m.text), "%s", text);
	size_t len = offsetof(struct rt_sync_msg, text) + (text ? strlen(m.text) + 1 : 0);
	struct iovec iov = { .iov_base = &m, .iov_len = len };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (fd >= 0) {
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (RETRY_EINTR(sendmsg(sock, &mh, MSG_NOSIGNAL)) < 0)
		return -errno;
	return 0;
}

int rt_sync_recv(int sock, struct rt_sync_msg *ret, int *ret_fd)
{
	struct rt_sync_msg m = { 0 };
	struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	ssize_t n = RETRY_EINTR(recvmsg(sock, &mh, MSG_CMSG_CLOEXEC));
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EPIPE;
	int fd = -EBADF;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	m.text[sizeof(m.text) - 1] = '\0';
	if (ret_fd)
		*ret_fd = fd;
	else if (fd >= 0)
		close(fd);
	*ret = m;
	return 0;
}

int rt_sync_expect(int sock, enum rt_sync_type type, struct rt_sync_msg *ret, struct berr *err)
{
	struct rt_sync_msg m;
	int r = rt_sync_recv(sock, &m, NULL);
	if (r == -EPIPE)
		return berr_set(err, BERR_INTERNAL, EPIPE, "container process exited during setup");
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "reading from the container process");
	if (m.type == RT_SYNC_ERROR)
		return berr_set(err, BERR_INVALID, 0, "%s", m.text);
	if (m.type != (uint32_t)type)
		return berr_set(err, BERR_INTERNAL, EPROTO, "unexpected message %u from the container process (wanted %d)",
				m.type, type);
	if (ret)
		*ret = m;
	return 0;
}
