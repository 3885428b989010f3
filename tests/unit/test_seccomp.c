/* test_seccomp.c - compiling OCI seccomp profiles, their error messages, and
 * real enforcement in forked children.
 *
 * Profiles are written with single quotes for readability; sq() turns them
 * into JSON. Enforcement children report through their exit status: 0 is
 * success, any other value names the check that failed. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "runtime/seccomp.h"

/* Distinctive errnos, so a pass cannot come from the call failing on its own. */
#define E_MKDIR ENOMSG
#define E_PERSONA EIDRM
#define E_PRIO ECHRNG
#define E_DUP EL2NSYNC
#define E_UMASK EL3HLT
#define STR_(x) #x
#define STR(x) STR_(x)

static json_t *sq(const char *s)
{
	char *buf = strdup(s);
	assert_non_null(buf);
	for (char *p = buf; *p; p++)
		if (*p == '\'')
			*p = '"';
	json_error_t je;
	json_t *j = json_loads(buf, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		fail_msg("bad test JSON at column %d: %s: %s", je.column, je.text, buf);
	free(buf);
	return j;
}

static int compile_sq(const char *profile, struct rt_seccomp **ret, struct berr *err)
{
	json_t *j = sq(profile);
	int r = rt_seccomp_compile(j, ret, err);
	json_decref(j);
	return r;
}

static void assert_compiles(const char *profile)
{
	struct rt_seccomp *s = NULL;
	struct berr err = { 0 };
	int r = compile_sq(profile, &s, &err);
	if (r < 0)
		fail_msg("compile failed (%d): %s\nprofile: %s", r, err.msg ? err.msg : "(no message)", profile);
	assert_non_null(s);
	assert_false(berr_isset(&err));
	rt_seccomp_free(s);
}

/* ---- valid profiles ---- */

static void test_minimal(void **state)
{
	assert_compiles("{'defaultAction':'SCMP_ACT_ALLOW'}");
	assert_compiles("{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':38}");
	assert_compiles("{'defaultAction':'SCMP_ACT_KILL_PROCESS','syscalls':[]}");
	assert_compiles("{'defaultAction':'SCMP_ACT_LOG','syscalls':null,'architectures':null}");
}

static void test_every_action_op_arch_flag(void **state)
{
	assert_compiles("{'defaultAction':'SCMP_ACT_ERRNO',"
			"'architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86','SCMP_ARCH_X32'],"
			"'syscalls':["
			" {'names':['read'],'action':'SCMP_ACT_ALLOW'},"
			" {'names':['write'],'action':'SCMP_ACT_LOG'},"
			" {'names':['getpid'],'action':'SCMP_ACT_KILL'},"
			" {'names':['getppid'],'action':'SCMP_ACT_KILL_THREAD'},"
			" {'names':['getuid'],'action':'SCMP_ACT_KILL_PROCESS'},"
			" {'names':['getgid'],'action':'SCMP_ACT_TRAP'},"
			" {'names':['geteuid'],'action':'SCMP_ACT_TRACE','errnoRet':5},"
			" {'names':['getegid'],'action':'SCMP_ACT_TRACE'},"
			" {'names':['mkdir'],'action':'SCMP_ACT_ERRNO','errnoRet':1},"
			" {'names':['ioctl'],'action':'SCMP_ACT_ALLOW','args':["
			"   {'index':1,'value':21505,'op':'SCMP_CMP_NE'},"
			"   {'index':2,'value':4,'op':'SCMP_CMP_LT'},"
			"   {'index':3,'value':4,'op':'SCMP_CMP_LE'},"
			"   {'index':4,'value':4,'op':'SCMP_CMP_GE'},"
			"   {'index':5,'value':4,'op':'SCMP_CMP_GT'},"
			"   {'index':0,'value':255,'valueTwo':3,'op':'SCMP_CMP_MASKED_EQ'}]},"
			" {'names':['fcntl'],'action':'SCMP_ACT_ALLOW','args':[{'index':1,'value':1,'op':'SCMP_CMP_EQ'}]}"
			"]}");
	assert_compiles("{'defaultAction':'SCMP_ACT_ALLOW','flags':['SECCOMP_FILTER_FLAG_TSYNC',"
			"'SECCOMP_FILTER_FLAG_LOG','SECCOMP_FILTER_FLAG_SPEC_ALLOW',"
			"'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']}");
	assert_compiles("{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_AARCH64','SCMP_ARCH_ARM']}");
}

static void test_skips(void **state)
{
	/* Unknown names are skipped; a rule equal to the default is skipped
	 * (libseccomp would refuse it), also SCMP_ACT_KILL vs KILL_THREAD and
	 * ERRNO with the default errnoRet (EPERM) vs an explicit 1. */
	assert_compiles("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
			"{'names':['no_such_syscall_xyz','getcwd'],'action':'SCMP_ACT_ERRNO'},"
			"{'names':['read'],'action':'SCMP_ACT_ALLOW'}]}");
	assert_compiles("{'defaultAction':'SCMP_ACT_KILL','syscalls':["
			"{'names':['read'],'action':'SCMP_ACT_KILL_THREAD'},"
			"{'names':['write'],'action':'SCMP_ACT_ALLOW'}]}");
	assert_compiles("{'defaultAction':'SCMP_ACT_ERRNO','syscalls':["
			"{'names':['read'],'action':'SCMP_ACT_ERRNO','errnoRet':1},"
			"{'names':['write'],'action':'SCMP_ACT_ALLOW'}]}");
	/* socketcall does not exist on x86_64 but does on x86: fine either way. */
	assert_compiles("{'defaultAction':'SCMP_ACT_ERRNO','architectures':['SCMP_ARCH_X86'],"
			"'syscalls':[{'names':['socketcall','read'],'action':'SCMP_ACT_ALLOW'}]}");
}

static void test_same_index_args(void **state)
{
	assert_compiles("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['dup'],"
			"'action':'SCMP_ACT_ERRNO','args':["
			"{'index':0,'value':1,'op':'SCMP_CMP_EQ'},{'index':0,'value':2,'op':'SCMP_CMP_EQ'},"
			"{'index':0,'value':3,'op':'SCMP_CMP_EQ'},{'index':0,'value':4,'op':'SCMP_CMP_EQ'},"
			"{'index':0,'value':5,'op':'SCMP_CMP_EQ'},{'index':0,'value':6,'op':'SCMP_CMP_EQ'},"
			"{'index':0,'value':7,'op':'SCMP_CMP_EQ'}]}]}");
}

static void test_long_profile(void **state)
{
	/* More than 32 entries switches on libseccomp's binary-tree layout. */
	json_t *p = sq("{'defaultAction':'SCMP_ACT_ERRNO','syscalls':[]}");
	json_t *list = json_object_get(p, "syscalls");
	static const char *const names[] = { "read", "write", "close", "fstat", "lseek", "mmap", "munmap",
					     "brk", "openat", "getpid", "getppid", "getuid", "getgid",
					     "geteuid", "getegid", "uname", "dup", "dup3", "pipe2",
					     "fcntl", "futex", "exit", "exit_group", "clock_gettime",
					     "nanosleep", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
					     "sched_yield", "getcwd", "chdir", "fchdir", "umask", "getrlimit",
					     "prlimit64", "getrandom", "mprotect", "madvise" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		json_array_append_new(list, json_pack("{s:[s],s:s}", "names", names[i], "action", "SCMP_ACT_ALLOW"));
	struct rt_seccomp *s = NULL;
	struct berr err = { 0 };
	assert_int_equal(rt_seccomp_compile(p, &s, &err), 0);
	rt_seccomp_free(s);
	json_decref(p);
}

static void test_free_null(void **state)
{
	rt_seccomp_free(NULL);
	assert_int_equal(rt_seccomp_load(NULL), -EINVAL);
}

/* ---- invalid profiles ---- */

static const struct bad_profile {
	const char *profile;
	const char *msg;
} bad_profiles[] = {
	{ "[]", "linux.seccomp: expected an object" },
	{ "{}", "linux.seccomp.defaultAction: missing" },
	{ "{'defaultAction':7}", "linux.seccomp.defaultAction: expected a string" },
	{ "{'defaultAction':'SCMP_ACT_FOO'}", "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\"" },
	{ "{'defaultAction':'SCMP_ACT_NOTIFY'}",
	  "linux.seccomp.defaultAction: seccomp notify (SCMP_ACT_NOTIFY) is not supported" },
	{ "{'defaultAction':'SCMP_ACT_ALLOW','defaultErrnoRet':1}",
	  "linux.seccomp.defaultErrnoRet: SCMP_ACT_ALLOW does not take an errno" },
	{ "{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':-1}",
	  "linux.seccomp.defaultErrnoRet: expected a non-negative integer" },
	{ "{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_VAX']}",
	  "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"" },
	{ "{'defaultAction':'SCMP_ACT_ALLOW','architectures':'SCMP_ARCH_X86_64'}",
	  "linux.seccomp.architectures: expected an array of strings" },
	{ "{'defaultAction':'SCMP_ACT_ALLOW','flags':['SECCOMP_FILTER_FLAG_FOO']}",
	  "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FOO\"" },
	{ "{'defaultAction':'SCMP_ACT_ALLOW','listenerMetadata':'x'}",
	  "linux.seccomp.listenerMetadata: set without listenerPath" },
	{ "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':{}}",
	  "linux.seccomp.syscalls: expected an array" },
	{ "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':'SCMP_ACT_ERRNO'},"
	  "{'names':['write'],'action':'SCMP_ACT_ERRNO'},{'names':['close'],'action':'SCMP_ACT_ERRNO'},"
	  "{'names':['mkdir'],'action':'SCMP_ACT_FOO'}]}",
	  "linux.seccomp.syscalls[3].action: unknown action \"SCMP_ACT_FOO\"" },
	{ "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[7]}", "linux.seccomp.syscalls[0]: expected an object" },
	{ "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'action':'SCMP_ACT_ERRNO'}]}",
	  "linux.seccomp.syscalls[0].names: must name at least one syscall" },
	{ "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':[],'action':'SCMP_ACT_ERRNO'}]}",
	  "linux.seccomp.syscalls[0].names: must name at least one syscall" },
	{ "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read',1],'action':'SCMP_ACT_ERRNO'}]}",
	  "linux.seccomp.syscalls[0].names[1]: expected a string" },
	{ "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read']}]}",
	  "linux.seccomp.syscalls[0].action: missing" },
	{ "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':'SCMP_ACT_NOTIFY'}]}",
	  "linux.seccomp.syscalls[0].action: seccomp notify (SCMP_ACT_NOTIFY) is not supported" },
	{ "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':'SCMP_ACT_KILL','errnoRet':1}]}",
	  "linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_KILL does not take an errno" },
	{ "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':'SCMP_ACT_ERRNO',"
	  "'errnoRet':70000}]}",
	  "linux.seccomp.syscalls[0].errnoRet: 70000 is out of range (0-65535)" },
	{ "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':'SCMP_ACT_ERRNO','args':{}}]}",
	  "linux.seccomp.syscalls[0].args: expected an array" },
	{ "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':'SCMP_ACT_ERRNO','args':[1]}]}",
	  "linux.seccomp.syscalls[0].args[0]: expected an object" },
	{ "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':'SCMP_ACT_ERRNO','args':["
	  "{'index':0,'value':1,'op':'SCMP_CMP_EQ'},{'index':1,'value':1,'op':'SCMP_CMP_FOO'}]}]}",
	  "linux.seccomp.syscalls[0].args[1].op: unknown operator \"SCMP_CMP_FOO\"" },
	{ "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':'SCMP_ACT_ERRNO','args':["
	  "{'index':6,'value':1,'op':'SCMP_CMP_EQ'}]}]}",
	  "linux.seccomp.syscalls[0].args[0].index: 6 is out of range (0-5)" },
	{ "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':'SCMP_ACT_ERRNO','args':["
	  "{'index':-1,'value':1,'op':'SCMP_CMP_EQ'}]}]}",
	  "linux.seccomp.syscalls[0].args[0].index: expected a non-negative integer" },
	{ "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':'SCMP_ACT_ERRNO','args':["
	  "{'index':0,'op':'SCMP_CMP_EQ'}]}]}",
	  "linux.seccomp.syscalls[0].args[0].value: missing" },
	{ "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':'SCMP_ACT_ERRNO','args':["
	  "{'value':0,'op':'SCMP_CMP_EQ'}]}]}",
	  "linux.seccomp.syscalls[0].args[0].index: missing" },
	{ "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':'SCMP_ACT_ERRNO','args':["
	  "{'index':0,'value':0}]}]}",
	  "linux.seccomp.syscalls[0].args[0].op: missing" },
};

static void test_bad_profiles(void **state)
{
	for (size_t i = 0; i < sizeof(bad_profiles) / sizeof(bad_profiles[0]); i++) {
		struct rt_seccomp *s = (struct rt_seccomp *)&bad_profiles[i]; /* must stay untouched */
		struct berr err = { 0 };
		int r = compile_sq(bad_profiles[i].profile, &s, &err);
		if (r != -EINVAL || !err.msg || strcmp(err.msg, bad_profiles[i].msg) != 0)
			fail_msg("case %zu: r=%d\n  got:  %s\n  want: %s", i, r, err.msg ? err.msg : "(none)",
				 bad_profiles[i].msg);
		assert_int_equal(err.kind, BERR_INVALID);
		assert_int_equal(berr_code(&err), -EINVAL);
		assert_ptr_equal(s, &bad_profiles[i]);
		berr_clear(&err);
	}
}

/* ---- enforcement ---- */

/* Fork, load the profile in the child, run check() there; return the wait status. */
static int run_confined(const char *profile, int (*check)(const char *arg), const char *arg)
{
	struct rt_seccomp *s = NULL;
	struct berr err = { 0 };
	if (compile_sq(profile, &s, &err) < 0)
		fail_msg("compile: %s", err.msg);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* cmocka catches SIGSYS and would carry on with the next test
		 * in this child; SCMP_ACT_TRAP must kill it instead. No core
		 * files from the kill tests; NNP so loading needs no privilege. */
		signal(SIGSYS, SIG_DFL);
		prctl(PR_SET_DUMPABLE, 0);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(120);
		if (rt_seccomp_load(s) < 0)
			_exit(121);
		_exit(check(arg));
	}
	rt_seccomp_free(s);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void assert_exit_ok(int status)
{
	if (!WIFEXITED(status))
		fail_msg("child killed by signal %d", WTERMSIG(status));
	if (WEXITSTATUS(status) != 0)
		fail_msg("child check %d failed", WEXITSTATUS(status));
}

static void assert_killed_by_sigsys(int status)
{
	if (WIFEXITED(status))
		fail_msg("child exited with %d, expected SIGSYS", WEXITSTATUS(status));
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

static int fails_with(long r, int e) { return r == -1 && errno == e; }

static int check_mkdir(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/sub", dir);
	if (!fails_with(mkdir(path, 0755), E_MKDIR))
		return 1;
	if (!fails_with(syscall(SYS_mkdirat, AT_FDCWD, path, 0755), E_MKDIR))
		return 2;
#ifdef SYS_mkdir
	if (!fails_with(syscall(SYS_mkdir, path, 0755), E_MKDIR))
		return 3;
#endif
	/* Unfiltered calls still work. */
	if (getpid() <= 0 || syscall(SYS_getppid) <= 0)
		return 4;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 5;
	close(fd);
	/* The args-filtered rules: personality(0xffffffff) is refused, any
	 * other argument passes. */
	if (!fails_with(syscall(SYS_personality, 0xffffffffUL), E_PERSONA))
		return 6;
	if (syscall(SYS_personality, 0UL) < 0)
		return 7;
	return 0;
}

static void test_enforce_errno(void **state)
{
	char dir[] = "/tmp/berth-seccomp-XXXXXX";
	assert_non_null(mkdtemp(dir));
	int status = run_confined("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
				  "{'names':['no_such_call','mkdir','mkdirat'],'action':'SCMP_ACT_ERRNO','errnoRet':" STR(E_MKDIR) "},"
				  "{'names':['personality'],'action':'SCMP_ACT_ERRNO','errnoRet':" STR(E_PERSONA) ",'args':["
				  " {'index':0,'value':4294967295,'op':'SCMP_CMP_EQ'}]}]}",
				  check_mkdir, dir);
	char sub[4096];
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	struct stat st;
	assert_int_equal(stat(sub, &st), -1); /* nothing slipped through */
	rmdir(dir);
	assert_exit_ok(status);
}

static int check_and_or(const char *unused)
{
	/* getpriority(PRIO_PROCESS, 424242) matches both conditions (AND). */
	if (!fails_with(syscall(SYS_getpriority, 0, 424242), E_PRIO))
		return 1;
	if (syscall(SYS_getpriority, 0, 0) < 0)
		return 2;
	/* PRIO_PGRP misses the index-0 condition: the kernel answers itself. */
	if (fails_with(syscall(SYS_getpriority, 1, 424242), E_PRIO))
		return 3;
	/* dup: two conditions on index 0, added as two rules (OR). */
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0 || dup2(null, 100) < 0 || dup2(null, 101) < 0 || dup2(null, 102) < 0)
		return 4;
	if (!fails_with(syscall(SYS_dup, 100), E_DUP))
		return 5;
	if (!fails_with(syscall(SYS_dup, 101), E_DUP))
		return 6;
	if (syscall(SYS_dup, 102) < 0)
		return 7;
	/* MASKED_EQ, value the mask and valueTwo the datum: (mode & 0700) ==
	 * 0500 is refused. */
	if (!fails_with(syscall(SYS_umask, 0577), E_UMASK))
		return 8;
	if (syscall(SYS_umask, 0777) < 0 || syscall(SYS_umask, 022) < 0)
		return 9;
	return 0;
}

static void test_enforce_args(void **state)
{
	int status = run_confined("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
				  "{'names':['getpriority'],'action':'SCMP_ACT_ERRNO','errnoRet':" STR(E_PRIO) ",'args':["
				  " {'index':0,'value':0,'op':'SCMP_CMP_EQ'},"
				  " {'index':1,'value':424242,'op':'SCMP_CMP_EQ'}]},"
				  "{'names':['dup'],'action':'SCMP_ACT_ERRNO','errnoRet':" STR(E_DUP) ",'args':["
				  " {'index':0,'value':100,'op':'SCMP_CMP_EQ'},"
				  " {'index':0,'value':101,'op':'SCMP_CMP_EQ'}]},"
				  "{'names':['umask'],'action':'SCMP_ACT_ERRNO','errnoRet':" STR(E_UMASK) ",'args':["
				  " {'index':0,'value':448,'valueTwo':320,'op':'SCMP_CMP_MASKED_EQ'}]}]}",
				  check_and_or, NULL);
	assert_exit_ok(status);
}

static int call_getppid(const char *unused)
{
	syscall(SYS_getppid);
	return 0;
}

static void test_enforce_kill(void **state)
{
	static const char *const actions[] = { "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP" };
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		char profile[256];
		snprintf(profile, sizeof(profile),
			 "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getppid'],'action':'%s'}]}",
			 actions[i]);
		assert_killed_by_sigsys(run_confined(profile, call_getppid, NULL));
	}
}

static int check_trace_enosys(const char *unused)
{
	/* SCMP_ACT_TRACE with no tracer attached: the call fails with ENOSYS. */
	return fails_with(syscall(SYS_getppid), ENOSYS) ? 0 : 1;
}

static void test_enforce_trace_without_tracer(void **state)
{
	assert_exit_ok(run_confined("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
				    "{'names':['getppid'],'action':'SCMP_ACT_TRACE'}]}",
				    check_trace_enosys, NULL));
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_every_action_op_arch_flag),
		cmocka_unit_test(test_skips),
		cmocka_unit_test(test_same_index_args),
		cmocka_unit_test(test_long_profile),
		cmocka_unit_test(test_free_null),
		cmocka_unit_test(test_bad_profiles),
		cmocka_unit_test(test_enforce_errno),
		cmocka_unit_test(test_enforce_args),
		cmocka_unit_test(test_enforce_kill),
		cmocka_unit_test(test_enforce_trace_without_tracer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
