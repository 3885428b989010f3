/* test_base.c - src/base: errors, string vectors and file helpers, logging,
 * and above all in-root path resolution against a hostile root.
 *
 * The hostile root is a temporary directory holding absolute and relative
 * symlinks that point out of it, loops, and links into /proc. Every lookup
 * through them must land inside the root; files the tests try to create
 * through them must appear inside the root and never on the host. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/err.h"
#include "base/log.h"
#include "base/path.h"
#include "base/util.h"

/* ---------------------------------------------------------------- err.c */

static void test_err_set(void **state)
{
	struct berr err = { 0 };
	assert_false(berr_isset(&err));
	assert_int_equal(berr_set(&err, BERR_NOT_FOUND, ENOENT, "opening %s", "x"), -ENOENT);
	assert_true(berr_isset(&err));
	assert_int_equal(err.kind, BERR_NOT_FOUND);
	assert_int_equal(err.errnum, ENOENT);
	assert_string_equal(err.msg, "opening x: No such file or directory");
	berr_clear(&err);
	assert_false(berr_isset(&err));
	assert_null(err.msg);

	/* A negative errno is accepted; no errno means no suffix and -EIO. */
	assert_int_equal(berr_set(&err, BERR_CONFLICT, -EEXIST, "a"), -EEXIST);
	assert_int_equal(err.errnum, EEXIST);
	berr_clear(&err);
	assert_int_equal(berr_set(&err, BERR_INVALID, 0, "plain %d", 7), -EIO);
	assert_string_equal(err.msg, "plain 7");
	assert_int_equal(berr_code(&err), -EIO);
	berr_clear(&err);
	berr_clear(&err); /* twice is fine */
	berr_clear(NULL);
}

static void test_err_first_wins_and_prefix(void **state)
{
	_cleanup_berr_ struct berr err = { 0 };
	berr_set(&err, BERR_UNAVAILABLE, ECONNREFUSED, "connecting");
	assert_int_equal(berr_set(&err, BERR_INVALID, EINVAL, "later"), -ECONNREFUSED);
	assert_int_equal(err.kind, BERR_UNAVAILABLE);
	assert_int_equal(berr_prefix(&err, "fetching blob %s", "sha256:ab"), -ECONNREFUSED);
	assert_int_equal(berr_prefix(&err, "pulling %s", "busybox"), -ECONNREFUSED);
	assert_string_equal(err.msg, "pulling busybox: fetching blob sha256:ab: connecting: Connection refused");

	/* Prefixing nothing leaves nothing. */
	struct berr empty = { 0 };
	assert_int_equal(berr_prefix(&empty, "ctx"), -EIO);
	assert_false(berr_isset(&empty));
	assert_null(empty.msg);
	assert_int_equal(berr_prefix(NULL, "ctx"), -EIO);

	/* NULL err: the code is still returned. */
	assert_int_equal(berr_set(NULL, BERR_INTERNAL, EBADF, "x"), -EBADF);
	assert_int_equal(berr_set(NULL, BERR_INTERNAL, 0, "x"), -EIO);
	assert_int_equal(berr_code(NULL), -EIO);
}

static void test_err_kinds(void **state)
{
	static const struct {
		int errnum;
		enum berr_kind kind;
	} tab[] = {
		{ EINVAL, BERR_INVALID },       { E2BIG, BERR_INVALID },        { ENAMETOOLONG, BERR_INVALID },
		{ ENOENT, BERR_NOT_FOUND },     { ESRCH, BERR_NOT_FOUND },      { EEXIST, BERR_CONFLICT },
		{ EBUSY, BERR_CONFLICT },       { EPERM, BERR_FORBIDDEN },      { EACCES, BERR_FORBIDDEN },
		{ EAGAIN, BERR_UNAVAILABLE },   { ECONNREFUSED, BERR_UNAVAILABLE }, { EIO, BERR_INTERNAL },
		{ ENOMEM, BERR_INTERNAL },      { 0, BERR_INTERNAL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(tab); i++) {
		assert_int_equal(berr_kind_from_errno(tab[i].errnum), tab[i].kind);
		assert_int_equal(berr_kind_from_errno(-tab[i].errnum), tab[i].kind);
	}
	assert_string_equal(berr_kind_to_string(BERR_NOT_FOUND), "not-found");
	assert_string_equal(berr_kind_to_string(BERR_INTERNAL), "internal");
	assert_string_equal(berr_kind_to_string(BERR_NONE), "none");
	assert_string_equal(berr_kind_to_string(_BERR_KIND_MAX), "unknown");
	assert_string_equal(berr_kind_to_string((enum berr_kind)-1), "unknown");
}

/* --------------------------------------------------------------- util.c */

static void test_strv(void **state)
{
	_cleanup_strv_free_ char **v = NULL;
	assert_int_equal(strv_length(v), 0);
	assert_false(strv_contains(v, "a"));
	assert_int_equal(strv_push(&v, "a"), 0);
	assert_int_equal(strv_push(&v, "b"), 0);
	assert_int_equal(strv_consume(&v, strdup("c")), 0);
	assert_int_equal(strv_length(v), 3);
	assert_null(v[3]);
	assert_true(strv_contains(v, "b"));
	assert_false(strv_contains(v, "d"));
	/* A failed strdup passed to consume reports -ENOMEM and changes nothing. */
	assert_int_equal(strv_consume(&v, NULL), -ENOMEM);
	assert_int_equal(strv_length(v), 3);

	_cleanup_strv_free_ char **c = strv_copy(v);
	assert_non_null(c);
	assert_int_equal(strv_length(c), 3);
	assert_string_equal(c[2], "c");
	assert_ptr_not_equal(c[0], v[0]);
	_cleanup_strv_free_ char **e = strv_copy(NULL);
	assert_non_null(e);
	assert_null(e[0]);
	strv_free(NULL);
}

static void test_strings(void **state)
{
	char buf[4];
	assert_int_equal(str_copy(buf, sizeof(buf), "abc"), 0);
	assert_string_equal(buf, "abc");
	assert_int_equal(str_copy(buf, sizeof(buf), "abcd"), -ENAMETOOLONG);
	assert_true(str_startswith("sha256:x", "sha256:"));
	assert_false(str_startswith("sha25", "sha256:"));
	assert_true(streq("a", "a"));
	assert_false(streq("a", NULL));
	assert_false(streq(NULL, NULL));
}

static void test_safe_ato(void **state)
{
	int64_t i = 99;
	assert_int_equal(safe_atoi64("-42", &i), 0);
	assert_int_equal(i, -42);
	assert_int_equal(safe_atoi64("9223372036854775807", &i), 0);
	assert_int_equal(i, INT64_MAX);
	i = 99;
	assert_int_equal(safe_atoi64("9223372036854775808", &i), -ERANGE);
	assert_int_equal(safe_atoi64("12x", &i), -EINVAL);
	assert_int_equal(safe_atoi64("", &i), -EINVAL);
	assert_int_equal(safe_atoi64(NULL, &i), -EINVAL);
	assert_int_equal(i, 99); /* untouched on failure */

	uint64_t u = 99;
	assert_int_equal(safe_atou64("18446744073709551615", &u), 0);
	assert_true(u == UINT64_MAX);
	u = 99;
	assert_int_equal(safe_atou64("18446744073709551616", &u), -ERANGE);
	assert_int_equal(safe_atou64("-1", &u), -EINVAL);
	/* strtoull would read these as UINT64_MAX. */
	assert_int_equal(safe_atou64(" -1", &u), -EINVAL);
	assert_int_equal(safe_atou64("\t-1", &u), -EINVAL);
	assert_int_equal(safe_atou64("1 ", &u), -EINVAL);
	assert_int_equal(safe_atou64("", &u), -EINVAL);
	assert_true(u == 99);
	assert_int_equal(safe_atou64("0", &u), 0);
	assert_true(u == 0);
}

/* A scratch directory, removed by the group teardown. */
static char scratch[] = "/tmp/berth-test-base-XXXXXX";
static int scratch_fd = -EBADF;

static int setup_scratch(void **state)
{
	if (!mkdtemp(scratch))
		return -1;
	scratch_fd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return scratch_fd < 0 ? -1 : 0;
}

static int teardown_scratch(void **state)
{
	close(scratch_fd);
	return rm_rf_at(AT_FDCWD, scratch) < 0 ? -1 : 0;
}

static void test_files(void **state)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	assert_int_equal(write_file_at(scratch_fd, "f", "x", 1, false), -ENOENT); /* does not create */
	assert_int_equal(write_file_atomic_at(scratch_fd, "f", "hello", 5, 0600), 0);
	assert_int_equal(write_file_at(scratch_fd, "f", " world", 6, true), 0);
	assert_int_equal(read_file_at(scratch_fd, "f", &data, &len), 0);
	assert_int_equal(len, 11);
	assert_string_equal(data, "hello world");
	free(TAKE_PTR(data));
	assert_int_equal(write_file_at(scratch_fd, "f", "bye", 3, false), 0);
	assert_int_equal(read_file_at(scratch_fd, "f", &data, NULL), 0);
	assert_string_equal(data, "bye");
	free(TAKE_PTR(data));
	assert_int_equal(read_file_at(scratch_fd, "missing", &data, &len), -ENOENT);
	assert_null(data);

	/* Larger than read_fd_all's first buffer, with a NUL inside. */
	char big[10000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	big[5000] = '\0';
	assert_int_equal(write_file_atomic_at(scratch_fd, "big", big, sizeof(big), 0644), 0);
	assert_int_equal(read_file_at(scratch_fd, "big", &data, &len), 0);
	assert_int_equal(len, sizeof(big));
	assert_memory_equal(data, big, sizeof(big));
	assert_int_equal(data[len], '\0');
}

static void test_write_atomic(void **state)
{
	_cleanup_close_ int dfd = -EBADF;
	assert_int_equal(mkdirat(scratch_fd, "atomic", 0755), 0);
	dfd = openat(scratch_fd, "atomic", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	mode_t old = umask(0);
	assert_int_equal(write_file_atomic_at(dfd, "state.json", "{}", 2, 0640), 0);
	assert_int_equal(write_file_atomic_at(dfd, "state.json", "{\"a\":1}", 7, 0640), 0);
	umask(old);
	struct stat st;
	assert_int_equal(fstatat(dfd, "state.json", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	_cleanup_free_ char *data = NULL;
	assert_int_equal(read_file_at(dfd, "state.json", &data, NULL), 0);
	assert_string_equal(data, "{\"a\":1}");
	/* No temporary file is left behind. */
	_cleanup_closedir_ DIR *d = fdopendir(dup(dfd));
	assert_non_null(d);
	int n = 0;
	for (struct dirent *de; (de = readdir(d));)
		if (de->d_name[0] != '.')
			n++;
	assert_int_equal(n, 1);
	/* Into a missing directory: an error, nothing created. */
	assert_int_equal(write_file_atomic_at(dfd, "nodir/x", "1", 1, 0600), -ENOENT);
}

static void test_read_write_all(void **state)
{
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(write_all(p[1], "abc", 3), 0);
	close(p[1]);
	char buf[8];
	assert_int_equal(read_all(p[0], buf, 2), 0);
	assert_memory_equal(buf, "ab", 2);
	assert_int_equal(read_all(p[0], buf, 2), -EPIPE); /* only one byte left */
	close(p[0]);
	assert_int_equal(write_all(-1, "x", 1), -EBADF);
}

static void test_mkdir_p(void **state)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/m/n//o/", scratch);
	assert_int_equal(mkdir_p(path, 0755), 0);
	assert_int_equal(mkdir_p(path, 0755), 0); /* existing is fine */
	struct stat st;
	assert_int_equal(fstatat(scratch_fd, "m/n/o", &st, 0), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(mkdir_p("", 0755), -ENOENT);
	assert_int_equal(mkdir_p("/", 0755), 0);

	/* A file in the way is an error, at the end or in the middle. */
	assert_int_equal(write_file_atomic_at(scratch_fd, "m/file", "", 0, 0644), 0);
	snprintf(path, sizeof(path), "%s/m/file", scratch);
	assert_int_equal(mkdir_p(path, 0755), -ENOTDIR);
	snprintf(path, sizeof(path), "%s/m/file/x", scratch);
	assert_int_equal(mkdir_p(path, 0755), -ENOTDIR);
}

static void test_rm_rf(void **state)
{
	/* outside/keep must survive: rm_rf_at never follows a symlink. */
	assert_int_equal(mkdirat(scratch_fd, "outside", 0755), 0);
	assert_int_equal(write_file_atomic_at(scratch_fd, "outside/keep", "k", 1, 0644), 0);
	char path[4096];
	snprintf(path, sizeof(path), "%s/tree/a/b", scratch);
	assert_int_equal(mkdir_p(path, 0755), 0);
	assert_int_equal(write_file_atomic_at(scratch_fd, "tree/a/b/f", "1", 1, 0644), 0);
	assert_int_equal(write_file_atomic_at(scratch_fd, "tree/top", "1", 1, 0644), 0);
	snprintf(path, sizeof(path), "%s/outside", scratch);
	assert_int_equal(symlinkat(path, scratch_fd, "tree/a/link"), 0);
	assert_int_equal(symlinkat("../../outside", scratch_fd, "tree/a/rel"), 0);
	assert_int_equal(mkdirat(scratch_fd, "tree/a/b/empty", 0700), 0);

	assert_int_equal(rm_rf_at(scratch_fd, "tree"), 0);
	struct stat st;
	assert_int_equal(fstatat(scratch_fd, "tree", &st, AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(fstatat(scratch_fd, "outside/keep", &st, 0), 0);
	assert_int_equal(rm_rf_at(scratch_fd, "tree"), 0); /* missing is fine */

	/* A symlink to a directory is removed as a link. */
	assert_int_equal(symlinkat(path, scratch_fd, "dirlink"), 0);
	assert_int_equal(rm_rf_at(scratch_fd, "dirlink"), 0);
	assert_int_equal(fstatat(scratch_fd, "outside/keep", &st, 0), 0);
	assert_int_equal(rm_rf_at(scratch_fd, "outside"), 0);
}

/* ---------------------------------------------------------------- log.c */

/* Read what the logger wrote to the pipe (non-blocking: "" when nothing). */
static char *drain(int fd)
{
	static char buf[16384];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void test_log_json(void **state)
{
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	log_set_fd(p[1]);
	log_set_format(LOG_FMT_JSON);
	log_set_level(LOG_LVL_INFO);

	log_error("quote \" backslash \\ newline \n tab \t bell \a %d", 42);
	char *line = drain(p[0]);
	size_t len = strlen(line);
	assert_true(len > 0);
	assert_int_equal(line[len - 1], '\n');
	assert_ptr_equal(strchr(line, '\n'), line + len - 1); /* exactly one line */
	json_error_t je;
	json_t *j = json_loads(line, 0, &je);
	if (!j)
		fail_msg("log line is not JSON (%s): %s", je.text, line);
	assert_string_equal(json_string_value(json_object_get(j, "level")), "error");
	assert_string_equal(json_string_value(json_object_get(j, "msg")),
			    "quote \" backslash \\ newline \n tab \t bell \a 42");
	const char *t = json_string_value(json_object_get(j, "time"));
	assert_non_null(t);
	/* 2026-01-01T00:00:00.000000000Z */
	assert_int_equal(strlen(t), 30);
	assert_int_equal(t[4], '-');
	assert_int_equal(t[10], 'T');
	assert_int_equal(t[19], '.');
	assert_int_equal(t[29], 'Z');
	json_decref(j);

	log_warn("w");
	j = json_loads(drain(p[0]), 0, &je);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "level")), "warning");
	json_decref(j);

	/* Below the level: nothing at all is written. */
	log_debug("hidden");
	assert_string_equal(drain(p[0]), "");

	log_set_format(LOG_FMT_TEXT);
	log_set_level(LOG_LVL_WARN);
	log_set_fd(-EBADF);
	close(p[0]);
	close(p[1]);
}

static void test_log_text(void **state)
{
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	log_set_fd(p[1]);
	log_set_format(LOG_FMT_TEXT);
	log_set_level(LOG_LVL_DEBUG);

	log_set_prefix("berth");
	log_error("boom %s", "now");
	assert_string_equal(drain(p[0]), "berth: boom now\n");
	log_warn("careful");
	assert_string_equal(drain(p[0]), "berth: warning: careful\n");
	log_debug("d");
	assert_string_equal(drain(p[0]), "berth: debug: d\n");
	log_set_prefix(NULL);
	log_info("plain");
	assert_string_equal(drain(p[0]), "plain\n");

	log_set_level(LOG_LVL_ERROR);
	log_warn("hidden");
	assert_string_equal(drain(p[0]), "");

	log_set_level(LOG_LVL_WARN);
	log_set_fd(-EBADF);
	close(p[0]);
	close(p[1]);
}

static void test_log_levels(void **state)
{
	enum log_level l = LOG_LVL_INFO;
	assert_int_equal(log_level_from_string("debug", &l), 0);
	assert_int_equal(l, LOG_LVL_DEBUG);
	assert_int_equal(log_level_from_string("warning", &l), 0);
	assert_int_equal(l, LOG_LVL_WARN);
	assert_int_equal(log_level_from_string("fatal", &l), 0);
	assert_int_equal(l, LOG_LVL_ERROR);
	assert_int_equal(log_level_from_string("loud", &l), -EINVAL);
	assert_int_equal(l, LOG_LVL_ERROR);
}

/* --------------------------------------------------------------- path.c */

/* The hostile root:
 *   etc/passwd            "root-passwd"
 *   hostetc  -> /etc      absolute: must mean <root>/etc
 *   abspw    -> /etc/passwd
 *   up       -> ../../..  relative escape: must clamp at the root
 *   deep/x/up -> ../../../../..
 *   loop1 -> loop2, loop2 -> loop1
 *   self     -> self
 *   fdlink   -> /proc/self/fd/<an fd of the host's /etc>
 *   cwdlink  -> /proc/self/cwd
 *   dangle   -> /berth-host-<pid>        target missing in the root
 *   ddir     -> /berth-hostdir-<pid>/sub
 *   file     regular file, for ENOTDIR cases */
static char root[] = "/tmp/berth-test-root-XXXXXX";
static int root_fd = -EBADF;
static int host_etc_fd = -EBADF;
static char host_name[64], host_dir[64];

static void put_link(const char *target, const char *name)
{
	if (symlinkat(target, root_fd, name) < 0)
		fail_msg("symlink %s -> %s: %s", name, target, strerror(errno));
}

static int setup_root(void **state)
{
	if (!mkdtemp(root))
		return -1;
	root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	host_etc_fd = open("/etc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0 || host_etc_fd < 0)
		return -1;
	snprintf(host_name, sizeof(host_name), "berth-host-%d", (int)getpid());
	snprintf(host_dir, sizeof(host_dir), "berth-hostdir-%d", (int)getpid());
	char buf[128];
	if (mkdirat(root_fd, "etc", 0755) < 0 || mkdirat(root_fd, "deep", 0755) < 0 ||
	    mkdirat(root_fd, "deep/x", 0755) < 0)
		return -1;
	if (write_file_atomic_at(root_fd, "etc/passwd", "root-passwd", 11, 0644) < 0 ||
	    write_file_atomic_at(root_fd, "file", "f", 1, 0644) < 0)
		return -1;
	put_link("/etc", "hostetc");
	put_link("/etc/passwd", "abspw");
	put_link("../../..", "up");
	put_link("../../../../..", "deep/x/up");
	put_link("loop2", "loop1");
	put_link("loop1", "loop2");
	put_link("self", "self");
	snprintf(buf, sizeof(buf), "/proc/self/fd/%d", host_etc_fd);
	put_link(buf, "fdlink");
	put_link("/proc/self/cwd", "cwdlink");
	snprintf(buf, sizeof(buf), "/%s", host_name);
	put_link(buf, "dangle");
	snprintf(buf, sizeof(buf), "/%s/sub", host_dir);
	put_link(buf, "ddir");
	return 0;
}

static int teardown_root(void **state)
{
	close(root_fd);
	close(host_etc_fd);
	return rm_rf_at(AT_FDCWD, root) < 0 ? -1 : 0;
}

/* Nothing the tests made may exist on the host, at / or next to the root. */
static void assert_host_clean(const char *name)
{
	struct stat st;
	char p[256];
	const char *bases[] = { "/", "/etc/", "/tmp/" };
	for (size_t i = 0; i < ARRAY_SIZE(bases); i++) {
		snprintf(p, sizeof(p), "%s%s", bases[i], name);
		if (lstat(p, &st) == 0) {
			/* Remove it first: a regression must not leave junk on the host. */
			rm_rf_at(AT_FDCWD, p);
			fail_msg("escaped the root: %s existed on the host", p);
		}
	}
}

static void assert_same_file(int fd, int dirfd, const char *path)
{
	struct stat a, b;
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(fstatat(dirfd, path, &b, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
}

/* Open path in the root for reading and check it is the root's etc/passwd. */
static void assert_root_passwd(const char *path)
{
	int fd = path_open_in_root(root_fd, path, O_RDONLY, 0);
	if (fd < 0)
		fail_msg("%s: %s", path, strerror(-fd));
	_cleanup_free_ char *data = NULL;
	assert_int_equal(read_fd_all(fd, &data, NULL), 0);
	close(fd);
	if (strcmp(data, "root-passwd") != 0)
		fail_msg("%s resolved outside the root", path);
}

static void test_path_open_clamps(void **state)
{
	static const char *const paths[] = {
		"etc/passwd",         "/etc/passwd",        "../../../etc/passwd", "/../../etc/passwd",
		"etc/../../etc/passwd", "hostetc/passwd", "/hostetc/passwd", "abspw",
		"up/etc/passwd",      "up/up/up/hostetc/passwd", "deep/x/up/etc/passwd", "deep/x/up/abspw",
		"./etc/./passwd",     "etc//passwd",
	};
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		assert_root_passwd(paths[i]);

	/* The escapes that name directories all land on the root itself. */
	static const char *const dirs[] = { "", "/", "..", "../..", "up", "up/..", "deep/x/up", "hostetc/.." };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		int fd = path_open_in_root(root_fd, dirs[i], O_PATH | O_DIRECTORY, 0);
		if (fd < 0)
			fail_msg("%s: %s", dirs[i], strerror(-fd));
		assert_same_file(fd, AT_FDCWD, root);
		close(fd);
	}
}

static void test_path_open_refuses(void **state)
{
	assert_int_equal(path_open_in_root(root_fd, "loop1", O_RDONLY, 0), -ELOOP);
	assert_int_equal(path_open_in_root(root_fd, "self/x", O_RDONLY, 0), -ELOOP);
	assert_int_equal(path_open_in_root(root_fd, "etc/missing", O_RDONLY, 0), -ENOENT);
	assert_int_equal(path_open_in_root(root_fd, "file/x", O_RDONLY, 0), -ENOTDIR);
	/* /proc is not in this root: the links resolve to nothing. */
	assert_int_equal(path_open_in_root(root_fd, "fdlink", O_RDONLY, 0), -ENOENT);
	assert_int_equal(path_open_in_root(root_fd, "cwdlink/etc", O_RDONLY, 0), -ENOENT);
	assert_int_equal(path_open_in_root(root_fd, "dangle", O_RDONLY, 0), -ENOENT);

	/* Even with the host's / as root, a magic link is never followed. */
	_cleanup_close_ int slash = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char p[64];
	path_fd_proc(host_etc_fd, p);
	assert_int_equal(path_open_in_root(slash, p, O_PATH, 0), -ELOOP);
	assert_int_equal(path_open_in_root(slash, "/proc/self/cwd", O_PATH, 0), -ELOOP);
	assert_int_equal(path_open_in_root(slash, "/proc/self/root/etc", O_PATH, 0), -ELOOP);

	/* O_CREAT through a dangling absolute link creates inside the root. */
	int fd = path_open_in_root(root_fd, "dangle", O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	struct stat st;
	assert_int_equal(fstatat(root_fd, host_name, &st, 0), 0);
	assert_int_equal(unlinkat(root_fd, host_name, 0), 0);
	assert_host_clean(host_name);
}

/* A procfs mounted inside the root (as in a real container root): magic links
 * under it are refused. Runs in a child with its own mount namespace so the
 * mount never outlives the test; skipped without CAP_SYS_ADMIN. */
static int probe_proc_in_root(int rfd)
{
	if (path_open_in_root(rfd, "fdlink", O_RDONLY, 0) != -ELOOP)
		return 2;
	if (path_open_in_root(rfd, "cwdlink/etc", O_PATH, 0) != -ELOOP)
		return 3;
	if (path_open_in_root(rfd, "proc/self/root/etc/passwd", O_RDONLY, 0) != -ELOOP)
		return 4;
	if (path_touch_in_root(rfd, "proc/self/cwd/x", 0644) != -ELOOP)
		return 5;
	if (path_mkdir_in_root(rfd, "proc/self/root/x", 0755) != -ELOOP)
		return 6;
	/* Plain symlinks in that procfs still work: /proc/self is one. */
	int fd = path_open_in_root(rfd, "proc/self/status", O_RDONLY, 0);
	if (fd < 0)
		return 7;
	close(fd);
	return 0;
}

static void test_path_proc_in_root(void **state)
{
	if (mkdirat(root_fd, "proc", 0555) < 0 && errno != EEXIST)
		fail_msg("mkdir proc: %s", strerror(errno));
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char target[128];
		snprintf(target, sizeof(target), "%s/proc", root);
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("proc", target, "proc", 0, NULL) < 0)
			_exit(77);
		/* Fds opened before unshare() still walk the old namespace's
		 * mounts; reopen the root to see the procfs in it. */
		int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		_exit(rfd < 0 ? 1 : probe_proc_in_root(rfd));
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(unlinkat(root_fd, "proc", AT_REMOVEDIR), 0);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	if (WEXITSTATUS(status) != 0)
		fail_msg("magic link followed or procfs unusable (check %d)", WEXITSTATUS(status));
}

static void test_path_touch(void **state)
{
	char name[96];
	snprintf(name, sizeof(name), "hostetc/%s", host_name);
	int fd = path_touch_in_root(root_fd, name, 0644);
	assert_true(fd >= 0);
	snprintf(name, sizeof(name), "etc/%s", host_name);
	assert_same_file(fd, root_fd, name);
	close(fd);
	assert_host_clean(host_name);

	/* Through relative escapes and "..", with parents created on the way. */
	static const char *const paths[] = { "up/../../new1", "deep/x/up/etc/new2", "../../a/b/new3",
					     "up/up/hostetc/sub/new4" };
	static const char *const where[] = { "new1", "etc/new2", "a/b/new3", "etc/sub/new4" };
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		fd = path_touch_in_root(root_fd, paths[i], 0644);
		if (fd < 0)
			fail_msg("%s: %s", paths[i], strerror(-fd));
		struct stat st;
		assert_int_equal(fstat(fd, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		assert_same_file(fd, root_fd, where[i]);
		close(fd);
	}
	assert_host_clean("new1");
	assert_host_clean("a");

	/* Touching an existing file or directory returns it unchanged. */
	fd = path_touch_in_root(root_fd, "abspw", 0600);
	assert_true(fd >= 0);
	assert_same_file(fd, root_fd, "etc/passwd");
	close(fd);
	assert_root_passwd("etc/passwd");
	fd = path_touch_in_root(root_fd, "up", 0644);
	assert_true(fd >= 0);
	assert_same_file(fd, AT_FDCWD, root);
	close(fd);

	/* Refusals: loops, a file as parent, names that are not files. */
	assert_int_equal(path_touch_in_root(root_fd, "loop1/x", 0644), -ELOOP);
	assert_int_equal(path_touch_in_root(root_fd, "file/x", 0644), -ENOTDIR);
	assert_true(path_touch_in_root(root_fd, "fdlink/x", 0644) < 0);
	/* A dangling link to a host path: never created on the host. */
	assert_true(path_touch_in_root(root_fd, "dangle", 0644) < 0 ||
		    faccessat(root_fd, host_name, F_OK, 0) == 0);
	unlinkat(root_fd, host_name, 0);
	assert_host_clean(host_name);
}

static void test_path_mkdir(void **state)
{
	char name[96];
	snprintf(name, sizeof(name), "up/%s/b/c", host_dir);
	int fd = path_mkdir_in_root(root_fd, name, 0755);
	if (fd < 0)
		fail_msg("%s: %s", name, strerror(-fd));
	snprintf(name, sizeof(name), "%s/b/c", host_dir);
	assert_same_file(fd, root_fd, name);
	close(fd);
	assert_host_clean(host_dir);
	assert_int_equal(rm_rf_at(root_fd, host_dir), 0);

	/* Through the absolute link, and with ".." everywhere. */
	fd = path_mkdir_in_root(root_fd, "hostetc/m1/../m2/./m3", 0755);
	assert_true(fd >= 0);
	assert_same_file(fd, root_fd, "etc/m2/m3");
	close(fd);
	assert_int_equal(faccessat(root_fd, "etc/m1", F_OK, 0), 0);
	fd = path_mkdir_in_root(root_fd, "/../../../../m4", 0755);
	assert_true(fd >= 0);
	assert_same_file(fd, root_fd, "m4");
	close(fd);
	assert_host_clean("m4");

	/* Existing and empty paths; the fd is O_PATH of a directory. */
	fd = path_mkdir_in_root(root_fd, "", 0755);
	assert_true(fd >= 0);
	assert_same_file(fd, AT_FDCWD, root);
	assert_true(fcntl(fd, F_GETFL) & O_PATH);
	close(fd);

	/* A dangling directory link: the target is not made on the host. */
	assert_true(path_mkdir_in_root(root_fd, "ddir/x", 0755) < 0);
	assert_host_clean(host_dir);
	assert_int_equal(path_mkdir_in_root(root_fd, "loop1/x", 0755), -ELOOP);
	assert_int_equal(path_mkdir_in_root(root_fd, "file/x", 0755), -ENOTDIR);
	assert_int_equal(path_mkdir_in_root(root_fd, "file", 0755), -ENOTDIR);
}

static void test_path_split(void **state)
{
	static const struct {
		const char *path, *parent, *base;
	} tab[] = {
		{ "c", ".", "c" },        { "/c", "/", "c" },        { "a/b/c", "a/b", "c" },
		{ "/a//b", "/a", "b" },   { "a/b/", "a", "b/" },    { "/", "/", "" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(tab); i++) {
		char parent[64];
		const char *base = path_split(tab[i].path, parent, sizeof(parent));
		if (strcmp(parent, tab[i].parent) != 0 || strcmp(base, tab[i].base) != 0)
			fail_msg("path_split(%s) = (%s, %s), want (%s, %s)", tab[i].path, parent, base,
				 tab[i].parent, tab[i].base);
	}
	char buf[32];
	path_fd_proc(17, buf);
	assert_string_equal(buf, "/proc/self/fd/17");
}

int main(void)
{
	static const struct CMUnitTest err_tests[] = {
		cmocka_unit_test(test_err_set),
		cmocka_unit_test(test_err_first_wins_and_prefix),
		cmocka_unit_test(test_err_kinds),
	};
	static const struct CMUnitTest util_tests[] = {
		cmocka_unit_test(test_strv),       cmocka_unit_test(test_strings),
		cmocka_unit_test(test_safe_ato),   cmocka_unit_test(test_files),
		cmocka_unit_test(test_write_atomic), cmocka_unit_test(test_read_write_all),
		cmocka_unit_test(test_mkdir_p),    cmocka_unit_test(test_rm_rf),
	};
	static const struct CMUnitTest log_tests[] = {
		cmocka_unit_test(test_log_json),
		cmocka_unit_test(test_log_text),
		cmocka_unit_test(test_log_levels),
	};
	static const struct CMUnitTest path_tests[] = {
		cmocka_unit_test(test_path_open_clamps), cmocka_unit_test(test_path_open_refuses),
		cmocka_unit_test(test_path_proc_in_root), cmocka_unit_test(test_path_touch),
		cmocka_unit_test(test_path_mkdir),       cmocka_unit_test(test_path_split),
	};
	int failed = 0;
	failed += cmocka_run_group_tests_name("err", err_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("util", util_tests, setup_scratch, teardown_scratch);
	failed += cmocka_run_group_tests_name("log", log_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("path", path_tests, setup_root, teardown_root);
	return failed ? 1 : 0;
}
