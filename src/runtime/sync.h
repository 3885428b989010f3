/* sync.h - messages between the runtime and the processes it forks.
 *
 * One SOCK_SEQPACKET socketpair per operation; every write is one whole
 * message. The child side is close-on-exec, so a successful execve shows up
 * on the runtime side as end-of-file. Only the runtime library uses this. */
#ifndef BERTH_RUNTIME_SYNC_H
#define BERTH_RUNTIME_SYNC_H

#include <stdint.h>

enum rt_sync_type {
	RT_SYNC_ACK = 1,
	RT_SYNC_USERMAP,   /* child made its user namespace: write the id maps */
	RT_SYNC_PID,       /* value = pid of the container process (host view) */
	RT_SYNC_HOOKS,     /* mounts done: run prestart/createRuntime hooks */
	RT_SYNC_PTY,       /* a pty master fd travels with this message */
	RT_SYNC_CREATED,   /* init is ready and waits on the exec fifo */
	RT_SYNC_ERROR,     /* text = message, value = exit status to use */
};

struct rt_sync_msg {
	uint32_t type;
	int32_t value;
	char text[3000];
};

/* Send a message, optionally passing fd (-EBADF for none). */
int rt_sync_send(int sock, enum rt_sync_type type, int value, const char *text, int fd);
/* Receive one message; ret_fd (may be NULL) gets a passed fd or -EBADF.
 * Returns -EPIPE at end-of-file. */
int rt_sync_recv(int sock, struct rt_sync_msg *ret, int *ret_fd);
/* Receive and require the given type; an RT_SYNC_ERROR is turned into err. */
struct berr;
int rt_sync_expect(int sock, enum rt_sync_type type, struct rt_sync_msg *ret, struct berr *err);

#endif
