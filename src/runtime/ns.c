/* ns.c - namespace name tables (OCI name, /proc/PID/ns name, clone flag). */
#include <sched.h>
#include <string.h>

#include "spec.h"

static const struct {
	const char *oci, *proc;
	int flag;
} ns_table[_RT_NS_MAX] = {
	[RT_NS_PID] = { "pid", "pid", CLONE_NEWPID },
	[RT_NS_NETWORK] = { "network", "net", CLONE_NEWNET },
	[RT_NS_MOUNT] = { "mount", "mnt", CLONE_NEWNS },
	[RT_NS_IPC] = { "ipc", "ipc", CLONE_NEWIPC },
	[RT_NS_UTS] = { "uts", "uts", CLONE_NEWUTS },
	[RT_NS_USER] = { "user", "user", CLONE_NEWUSER },
	[RT_NS_CGROUP] = { "cgroup", "cgroup", CLONE_NEWCGROUP },
	[RT_NS_TIME] = { "time", "time", 0x00000080 /* CLONE_NEWTIME */ },
};

const char *rt_ns_type_to_string(enum rt_ns_type t)
{
	return (unsigned)t < _RT_NS_MAX ? ns_table[t].oci : NULL;
}

const char *rt_ns_proc_name(enum rt_ns_type t)
{
	return (unsigned)t < _RT_NS_MAX ? ns_table[t].proc : NULL;
}

int rt_ns_clone_flag(enum rt_ns_type t) { return (unsigned)t < _RT_NS_MAX ? ns_table[t].flag : 0; }

int rt_ns_type_from_string(const char *s)
{
	for (int i = 0; i < _RT_NS_MAX; i++)
		if (strcmp(ns_table[i].oci, s) == 0)
			return i;
	return -EINVAL;
}
