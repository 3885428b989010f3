/* signal.c - signal names and numbers as the API and images spell them
 * (engine-api.md §7 trap 15): with or without "SIG", any case, decimal
 * numbers, and the real-time forms "RTMIN+n" / "RTMAX-n". */
#include <signal.h>
#include <string.h>
#include <strings.h>

#include "../base/util.h"
#include "ocispec.h"

static const struct {
	const char *name;
	int signo;
} signals[] = {
	{ "HUP", SIGHUP },     { "INT", SIGINT },       { "QUIT", SIGQUIT },   { "ILL", SIGILL },
	{ "TRAP", SIGTRAP },   { "ABRT", SIGABRT },     { "IOT", SIGIOT },     { "BUS", SIGBUS },
	{ "FPE", SIGFPE },     { "KILL", SIGKILL },     { "USR1", SIGUSR1 },   { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 },   { "PIPE", SIGPIPE },     { "ALRM", SIGALRM },   { "TERM", SIGTERM },
	{ "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },   { "CLD", SIGCHLD },    { "CONT", SIGCONT },
	{ "STOP", SIGSTOP },   { "TSTP", SIGTSTP },     { "TTIN", SIGTTIN },   { "TTOU", SIGTTOU },
	{ "URG", SIGURG },     { "XCPU", SIGXCPU },     { "XFSZ", SIGXFSZ },   { "VTALRM", SIGVTALRM },
	{ "PROF", SIGPROF },   { "WINCH", SIGWINCH },   { "IO", SIGIO },       { "POLL", SIGPOLL },
	{ "PWR", SIGPWR },     { "SYS", SIGSYS },
};

/* The kernel's range, not glibc's SIGRTMIN (which reserves two for NPTL):
 * the signal goes to a process in another program, as moby sends it. */
#define RTMIN 32
#define RTMAX 64

static int parse_offset(const char *s, int64_t *ret)
{
	return *s >= '0' && *s <= '9' ? safe_atoi64(s, ret) : -EINVAL;
}

static int parse_rt(const char *s)
{
	int64_t n;
	if (strncasecmp(s, "RTMIN", 5) == 0) {
		if (s[5] == '\0')
			return RTMIN;
		if (s[5] != '+' || parse_offset(s + 6, &n) < 0 || n < 0 || n > RTMAX - RTMIN)
			return -EINVAL;
		return RTMIN + (int)n;
	}
	if (strncasecmp(s, "RTMAX", 5) == 0) {
		if (s[5] == '\0')
			return RTMAX;
		if (s[5] != '-' || parse_offset(s + 6, &n) < 0 || n < 0 || n > RTMAX - RTMIN)
			return -EINVAL;
		return RTMAX - (int)n;
	}
	return -EINVAL;
}

int ctr_signal_parse(const char *s)
{
	if (!s || !*s)
		return -EINVAL;
	int64_t n;
	if (s[0] >= '0' && s[0] <= '9')
		return safe_atoi64(s, &n) == 0 && n >= 1 && n <= RTMAX ? (int)n : -EINVAL;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
		if (strcasecmp(s, signals[i].name) == 0)
			return signals[i].signo;
	return parse_rt(s);
}
