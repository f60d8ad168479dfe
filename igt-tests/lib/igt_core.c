// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * neuf's stand-in for IGT's lib/igt_core.c: subtests, fixtures, dynamic
 * subtests, requirements, assertions, logging, forked children and IGT's
 * command line, output and exit-code protocol, behind the same entry points
 * (igt_core.h). The tests link it where Debian's libigt.so.0 is missing;
 * the host self-tests hold it and IGT's own core to one protocol.
 */
#include "igt_core.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define IGT_VERSION "1.27.1-neuf"
#define MAX_CHILDREN 256
#define MAX_EXIT_HANDLERS 8

/* jmp_buf, as IGT declares them; sigsetjmp() takes them (glibc). */
jmp_buf igt_subtest_jmpbuf;
jmp_buf igt_dynamic_jmpbuf;

enum result {
	RESULT_NONE, RESULT_SUCCESS, RESULT_SKIP, RESULT_FAIL, RESULT_CRASH,
	RESULT_COUNT
};

static const char *const result_name[] = {
	[RESULT_NONE] = "NONE",
	[RESULT_SUCCESS] = "SUCCESS",
	[RESULT_SKIP] = "SKIP",
	[RESULT_FAIL] = "FAIL",
	[RESULT_CRASH] = "CRASH",
};

/* The state of this test process, as IGT keeps it. */
static struct {
	const char *name;
	/* command line */
	bool list_subtests;
	bool describe;
	const char *describe_filter;
	const char *run_filter;
	const char *dynamic_filter;
	bool debug;
	/* progress */
	bool with_subtests;
	bool in_fixture;
	char *subtest;
	bool subtest_is_container;
	struct timespec subtest_start;
	char *dynamic;
	struct timespec dynamic_start;
	unsigned int dynamic_count[RESULT_COUNT];
	enum result skip_henceforth;
	bool run_filter_matched;
	unsigned int results[RESULT_COUNT];
	/* the first failure's: 98 for a failure, 128 + signal for a crash */
	int exit_code;
	char *description;
	/* processes */
	bool is_child;
	pid_t children[MAX_CHILDREN];
	int num_children;
	igt_exit_handler_t exit_handlers[MAX_EXIT_HANDLERS];
	int num_exit_handlers;
	int kmsg_fd;
} igt = { .kmsg_fd = -1 };

static double elapsed(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) +
	       (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void kmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void kmsg(const char *fmt, ...)
{
	char buf[512];
	int len = 0;
	va_list ap;

	if (igt.kmsg_fd < 0)
		return;
	len = snprintf(buf, sizeof(buf), "<6>[IGT] %s: ", igt.name);
	va_start(ap, fmt);
	len += vsnprintf(buf + len, sizeof(buf) - (size_t)len, fmt, ap);
	va_end(ap);
	if (len > (int)sizeof(buf) - 1)
		len = (int)sizeof(buf) - 1;
	if (write(igt.kmsg_fd, buf, (size_t)len) < 0) {
		/* The kernel log is a courtesy; tests do not depend on it. */
	}
}

/* IGT's list matching: comma-separated fnmatch patterns, '!' negates, the
 * last pattern that matches decides. */
static bool matches(const char *filter, const char *name)
{
	char *copy = strdup(filter), *save = NULL, *pat;
	bool match = false;

	if (!copy)
		return false;
	for (pat = strtok_r(copy, ",", &save); pat;
	     pat = strtok_r(NULL, ",", &save)) {
		bool negate = pat[0] == '!';

		if (fnmatch(negate ? pat + 1 : pat, name, 0) == 0)
			match = !negate;
	}
	free(copy);
	return match;
}

static bool valid_name(const char *name)
{
	if (!*name)
		return false;
	for (const char *c = name; *c; c++) {
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
			return false;
	}
	return true;
}

void igt_log(const char *domain, enum igt_log_level level, const char *fmt, ...)
{
	static const char *const level_name[] = {
		[IGT_LOG_DEBUG] = "DEBUG",
		[IGT_LOG_INFO] = "INFO",
		[IGT_LOG_WARN] = "WARNING",
		[IGT_LOG_CRITICAL] = "CRITICAL",
	};
	FILE *out = level == IGT_LOG_INFO ? stdout : stderr;
	va_list ap;

	if (level >= IGT_LOG_NONE || (level == IGT_LOG_DEBUG && !igt.debug))
		return;
	if (level != IGT_LOG_INFO)
		fprintf(out, "(%s:%d) %s%s%s: ", igt.name, (int)getpid(),
			domain ? domain : "", domain ? "-" : "",
			level_name[level]);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fflush(out);
}

void igt_describe_f(const char *fmt, ...)
{
	va_list ap;
	char *desc;

	va_start(ap, fmt);
	if (vasprintf(&desc, fmt, ap) < 0)
		desc = NULL;
	va_end(ap);
	free(igt.description);
	igt.description = desc;
}

bool igt_only_list_subtests(void)
{
	return igt.list_subtests || igt.describe;
}

const char *igt_test_name(void)
{
	return igt.name;
}

/* As IGT's: NULL outside a subtest. */
const char *igt_subtest_name(void)
{
	return igt.subtest;
}

void igt_install_exit_handler(igt_exit_handler_t fn)
{
	for (int i = 0; i < igt.num_exit_handlers; i++)
		if (igt.exit_handlers[i] == fn)
			return;
	if (igt.num_exit_handlers < MAX_EXIT_HANDLERS)
		igt.exit_handlers[igt.num_exit_handlers++] = fn;
}

static void run_exit_handlers(int sig)
{
	/* Last installed runs first; each runs once. */
	while (igt.num_exit_handlers > 0)
		igt.exit_handlers[--igt.num_exit_handlers](sig);
}

static void kill_children(void)
{
	for (int i = 0; i < igt.num_children; i++) {
		kill(igt.children[i], SIGKILL);
		waitpid(igt.children[i], NULL, 0);
	}
	igt.num_children = 0;
}

static void print_usage(FILE *out)
{
	fprintf(out,
		"Usage: %s [OPTIONS]\n"
		"  --list-subtests\n"
		"  --run-subtest <pattern>\n"
		"  --dynamic-subtest <pattern>\n"
		"  --describe[=<pattern>]\n"
		"  --debug[=log-domain]\n"
		"  --help\n"
		"Patterns are comma-separated shell wildcards; '!' negates.\n",
		igt.name);
}

/* IGT exits with its first failure's code, whatever came after it. */
static void note_failure(int code)
{
	if (!igt.exit_code)
		igt.exit_code = code;
}

__attribute__((noreturn)) static void exit_subtest(enum result result)
{
	double t = elapsed(&igt.subtest_start);

	kill_children();
	printf("Subtest %s: %s (%.3fs)\n", igt.subtest, result_name[result], t);
	if (result == RESULT_FAIL) {
		fprintf(stderr, "Subtest %s failed.\n", igt.subtest);
		note_failure(IGT_EXIT_FAILURE);
	}
	kmsg("finished subtest %s, %s\n", igt.subtest, result_name[result]);
	fflush(NULL);
	igt.results[result]++;
	free(igt.subtest);
	igt.subtest = NULL;
	siglongjmp(igt_subtest_jmpbuf, 1);
}

__attribute__((noreturn)) static void exit_dynamic(enum result result)
{
	double t = elapsed(&igt.dynamic_start);

	kill_children();
	printf("Dynamic subtest %s: %s (%.3fs)\n", igt.dynamic,
	       result_name[result], t);
	if (result == RESULT_FAIL)
		fprintf(stderr, "Dynamic subtest %s failed.\n", igt.dynamic);
	kmsg("finished dynamic subtest %s, %s\n", igt.dynamic,
	     result_name[result]);
	fflush(NULL);
	igt.dynamic_count[result]++;
	free(igt.dynamic);
	igt.dynamic = NULL;
	siglongjmp(igt_dynamic_jmpbuf, 1);
}

static bool crash_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL;
}

/*
 * As IGT: a crash in a subtest ends it CRASH, makes 128 + the signal the
 * exit code (unless a failure came first) and lets the subtests after it
 * run, the subtest being left by a jump out of the handler; any other
 * fatal signal, or one elsewhere, ends the process. SIGINT and SIGTERM
 * end it without a word.
 */
static void fatal_signal(int sig)
{
	char buf[64];
	int len;

	if (sig != SIGINT && sig != SIGTERM) {
		len = snprintf(buf, sizeof(buf), "Received signal %s.\n",
			       sig == SIGSEGV ? "SIGSEGV" :
			       sig == SIGBUS ? "SIGBUS" :
			       sig == SIGFPE ? "SIGFPE" :
			       sig == SIGILL ? "SIGILL" : "SIGABRT");
		if (write(STDERR_FILENO, buf, (size_t)len) < 0)
			len = 0;
	}
	if (crash_signal(sig) && igt.subtest && !igt.is_child) {
		note_failure(128 + sig);
		if (igt.dynamic)
			exit_dynamic(RESULT_CRASH);
		exit_subtest(RESULT_CRASH);
	}
	if (!igt.is_child) {
		kill_children();
		run_exit_handlers(sig);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

int igt_subtest_init_parse_opts(int *argc, char **argv,
				const char *extra_short_opts,
				const void *extra_long_opts,
				const char *help_str,
				int (*extra_opt_handler)(int opt, int opt_index,
							 void *data),
				void *handler_data)
{
	enum { OPT_LIST = 500, OPT_RUN, OPT_DYNAMIC, OPT_DESCRIBE, OPT_DEBUG };
	static const struct option long_opts[] = {
		{ "list-subtests", no_argument, NULL, OPT_LIST },
		{ "run-subtest", required_argument, NULL, OPT_RUN },
		{ "dynamic-subtest", required_argument, NULL, OPT_DYNAMIC },
		{ "describe", optional_argument, NULL, OPT_DESCRIBE },
		{ "debug", optional_argument, NULL, OPT_DEBUG },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const int fatal_signals[] = {
		SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTERM, SIGINT,
	};
	struct utsname uts;
	int opt;

	/* Options of IGT's that neuf's tests do not take. */
	(void)extra_short_opts;
	(void)extra_long_opts;
	(void)extra_opt_handler;
	(void)handler_data;

	igt.name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	setvbuf(stdout, NULL, _IOLBF, 0);

	while ((opt = getopt_long(*argc, argv, "h", long_opts, NULL)) != -1) {
		switch (opt) {
		case OPT_LIST:
			igt.list_subtests = true;
			break;
		case OPT_RUN:
			igt.run_filter = optarg;
			break;
		case OPT_DYNAMIC:
			igt.dynamic_filter = optarg;
			break;
		case OPT_DESCRIBE:
			igt.describe = true;
			igt.describe_filter = optarg;
			break;
		case OPT_DEBUG:
			igt.debug = true;
			break;
		case 'h':
			if (help_str)
				printf("%s\n", help_str);
			print_usage(stdout);
			exit(IGT_EXIT_SUCCESS);
		default:
			print_usage(stderr);
			exit(IGT_EXIT_INVALID);
		}
	}
	if (optind < *argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", igt.name,
			argv[optind]);
		print_usage(stderr);
		exit(IGT_EXIT_INVALID);
	}
	*argc = 1;

	if (igt_only_list_subtests())
		return 0;

	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(*fatal_signals); i++)
		signal(fatal_signals[i], fatal_signal);

	if (uname(&uts) == 0)
		printf("IGT-Version: %s (%s) (%s: %s %s)\n", IGT_VERSION,
		       uts.machine, uts.sysname, uts.release, uts.machine);
	igt.kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	kmsg("executing\n");
	return 0;
}

bool __igt_run_subtest(const char *name, const char *file, const int line)
{
	char *description = igt.description;

	igt.description = NULL;
	igt.with_subtests = true;

	if (igt.subtest) {
		igt_critical("subtest %s started inside subtest %s\n", name,
			     igt.subtest);
		exit(IGT_EXIT_INVALID);
	}
	if (!valid_name(name)) {
		igt_critical("Invalid subtest name \"%s\".\n", name);
		exit(IGT_EXIT_INVALID);
	}

	if (igt.list_subtests) {
		printf("%s\n", name);
		free(description);
		return false;
	}
	if (igt.describe) {
		if (!igt.describe_filter || matches(igt.describe_filter, name))
			printf("SUB %s %s:%d:\n  %s\n\n", name, file, line,
			       description ? description : "NO DOCUMENTATION!");
		free(description);
		return false;
	}
	free(description);

	if (igt.run_filter && !matches(igt.run_filter, name))
		return false;
	igt.run_filter_matched = true;

	if (igt.skip_henceforth != RESULT_NONE) {
		printf("Subtest %s: %s (0.000s)\n", name,
		       result_name[igt.skip_henceforth]);
		igt.results[igt.skip_henceforth]++;
		return false;
	}

	igt.subtest = strdup(name);
	if (!igt.subtest) {
		igt_critical("out of memory\n");
		exit(IGT_EXIT_ABORT);
	}
	igt.subtest_is_container = false;
	memset(igt.dynamic_count, 0, sizeof(igt.dynamic_count));
	kmsg("starting subtest %s\n", name);
	printf("Starting subtest: %s\n", name);
	fflush(NULL);
	clock_gettime(CLOCK_MONOTONIC, &igt.subtest_start);
	return true;
}

bool __igt_enter_dynamic_container(void)
{
	igt.subtest_is_container = true;
	return true;
}

bool __igt_run_dynamic_subtest(const char *name)
{
	if (!igt.subtest || !igt.subtest_is_container || igt.dynamic) {
		igt_critical("igt_dynamic(%s) outside igt_subtest_with_dynamic\n",
			     name);
		igt_fail(IGT_EXIT_FAILURE);
	}
	if (!valid_name(name)) {
		igt_critical("Invalid dynamic subtest name \"%s\".\n", name);
		igt_fail(IGT_EXIT_FAILURE);
	}
	/* As in IGT, a filter no dynamic subtest matches is no error. */
	if (igt.dynamic_filter && !matches(igt.dynamic_filter, name))
		return false;

	igt.dynamic = strdup(name);
	if (!igt.dynamic) {
		igt_critical("out of memory\n");
		exit(IGT_EXIT_ABORT);
	}
	kmsg("starting dynamic subtest %s\n", name);
	printf("Starting dynamic subtest: %s\n", name);
	fflush(NULL);
	clock_gettime(CLOCK_MONOTONIC, &igt.dynamic_start);
	return true;
}

bool __igt_fixture(void)
{
	if (igt_only_list_subtests() || igt.skip_henceforth != RESULT_NONE)
		return false;
	igt.in_fixture = true;
	return true;
}

void __igt_fixture_complete(void)
{
	igt.in_fixture = false;
}

void igt_success(void)
{
	if (igt.dynamic)
		exit_dynamic(RESULT_SUCCESS);
	if (igt.subtest) {
		if (!igt.subtest_is_container)
			exit_subtest(RESULT_SUCCESS);
		if (igt.dynamic_count[RESULT_FAIL] ||
		    igt.dynamic_count[RESULT_CRASH])
			exit_subtest(RESULT_FAIL);
		if (igt.dynamic_count[RESULT_SUCCESS])
			exit_subtest(RESULT_SUCCESS);
		if (!igt.dynamic_count[RESULT_SKIP])
			printf("No dynamic tests executed.\n");
		exit_subtest(RESULT_SKIP);
	}
	igt.results[RESULT_SUCCESS]++;
}

static __attribute__((noreturn)) void leave(enum result result)
{
	if (igt.dynamic)
		exit_dynamic(result);
	if (igt.subtest)
		exit_subtest(result);
	if (igt.in_fixture) {
		igt.in_fixture = false;
		igt.skip_henceforth = result;
		if (result == RESULT_FAIL) {
			igt.results[RESULT_FAIL]++;
			note_failure(IGT_EXIT_FAILURE);
		}
		siglongjmp(igt_subtest_jmpbuf, 1);
	}
	igt.results[result]++;
	if (result == RESULT_FAIL)
		note_failure(IGT_EXIT_FAILURE);
	igt_exit();
}

void igt_fail(int exitcode)
{
	if (igt.is_child)
		exit(exitcode);
	leave(exitcode == IGT_EXIT_SKIP ? RESULT_SKIP : RESULT_FAIL);
}

__attribute__((format(printf, 1, 0), noreturn))
static void vskip(const char *fmt, va_list ap)
{
	if (fmt) {
		vprintf(fmt, ap);
		fflush(stdout);
	}
	if (igt.is_child) {
		igt_critical("skipping is not allowed in forked children\n");
		exit(IGT_EXIT_FAILURE);
	}
	leave(RESULT_SKIP);
}

void igt_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vskip(fmt, ap);
	va_end(ap);
	exit(IGT_EXIT_ABORT);	/* not reached */
}

void __igt_skip_check(const char *file, int line, const char *func,
		      const char *check, const char *fmt, ...)
{
	va_list ap;

	printf("Test requirement not met in function %s, file %s:%d:\n"
	       "Test requirement: %s\n", func, file, line, check);
	va_start(ap, fmt);
	vskip(fmt, ap);
	va_end(ap);
	exit(IGT_EXIT_ABORT);	/* not reached */
}

void __igt_fail_assert(const char *domain, const char *file, int line,
		       const char *func, const char *assertion,
		       const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	igt_log(domain, IGT_LOG_CRITICAL,
		"Test assertion failure function %s, file %s:%d:\n",
		func, file, line);
	igt_log(domain, IGT_LOG_CRITICAL, "Failed assertion: %s\n", assertion);
	if (err)
		igt_log(domain, IGT_LOG_CRITICAL, "Last errno: %d, %s\n", err,
			strerror(err));
	if (fmt) {
		char *msg;

		va_start(ap, fmt);
		if (vasprintf(&msg, fmt, ap) >= 0) {
			igt_log(domain, IGT_LOG_CRITICAL, "%s", msg);
			free(msg);
		}
		va_end(ap);
	}
	igt_fail(IGT_EXIT_FAILURE);
}

bool __igt_fork(void)
{
	pid_t pid;

	if (igt.num_children >= MAX_CHILDREN) {
		igt_critical("too many children\n");
		igt_fail(IGT_EXIT_FAILURE);
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		igt_critical("fork failed: %s\n", strerror(errno));
		igt_fail(IGT_EXIT_FAILURE);
	}
	if (pid == 0) {
		igt.is_child = true;
		igt.num_children = 0;
		igt.num_exit_handlers = 0;
		return true;
	}
	igt.children[igt.num_children++] = pid;
	return false;
}

void igt_waitchildren(void)
{
	bool failed = false;

	for (int i = 0; i < igt.num_children; i++) {
		int status;

		while (waitpid(igt.children[i], &status, 0) < 0) {
			if (errno != EINTR) {
				status = -1;
				break;
			}
		}
		if (status == -1 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			if (WIFSIGNALED(status))
				igt_critical("child %d died with signal %d\n",
					     i, WTERMSIG(status));
			else if (WIFEXITED(status))
				igt_critical("child %d failed, exit code %d\n",
					     i, WEXITSTATUS(status));
			else
				igt_critical("child %d could not be waited for\n",
					     i);
			failed = true;
		}
	}
	igt.num_children = 0;
	if (failed)
		igt_fail(IGT_EXIT_FAILURE);
}

void igt_exit(void)
{
	int code;

	if (igt.is_child)
		exit(IGT_EXIT_SUCCESS);
	if (igt_only_list_subtests())
		exit(IGT_EXIT_SUCCESS);

	kill_children();
	run_exit_handlers(0);

	if (igt.run_filter && !igt.run_filter_matched) {
		fprintf(stderr, "Unknown subtest: %s\n", igt.run_filter);
		code = IGT_EXIT_INVALID;
	} else if (igt.exit_code) {
		code = igt.exit_code;
	} else if (igt.results[RESULT_SUCCESS]) {
		code = IGT_EXIT_SUCCESS;
	} else {
		code = IGT_EXIT_SKIP;
	}

	kmsg("exiting, ret=%d\n", code);
	fflush(NULL);
	exit(code);
}
