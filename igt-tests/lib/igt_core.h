/* SPDX-License-Identifier: MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * The core of IGT GPU Tools' test API, as neuf's tests use it.
 *
 * Debian packages IGT's core as a library, libigt.so.0 (intel-gpu-tools),
 * but not its headers. This header declares that library's interface:
 * IGT's names, macros and entry points, with their ABI, for the subset of
 * the API the tests use. The tests link IGT's own core where libigt.so.0
 * is installed, and neuf's stand-in, igt_core.c, where it is not (always
 * for neuf_svm_cuda, which runs on GPU machines without IGT). Either way
 * they speak IGT's binary protocol (command line, output lines, exit
 * codes, kernel log markers), and:
 *
 *  - every test in igt-tests/ builds unmodified in IGT's tree (tests/neuf/),
 *    where it picks up the real lib/igt_core.h instead of this file;
 *  - igt_runner, and anything else that drives IGT binaries, can drive ours.
 *
 * See igt-tests/README.md for the exact subset and protocol. Like IGT, the
 * core keeps per-process test state (the subtest being run, its jump
 * buffers): a test binary is one process running one test program.
 */
#ifndef NEUF_IGT_CORE_H
#define NEUF_IGT_CORE_H

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exit codes, as in IGT. */
#define IGT_EXIT_SUCCESS 0
#define IGT_EXIT_INVALID 79
#define IGT_EXIT_SKIP 77
#define IGT_EXIT_FAILURE 98
#define IGT_EXIT_ABORT 112

#ifndef IGT_LOG_DOMAIN
#define IGT_LOG_DOMAIN NULL
#endif

#define __igt_tokencat2(a, b) a##b
#define igt_tokencat(a, b) __igt_tokencat2(a, b)
/* Unique within one macro expansion, which always sits on one line. */
#define igt_unique(prefix) igt_tokencat(prefix, __LINE__)

enum igt_log_level {
	IGT_LOG_DEBUG,
	IGT_LOG_INFO,
	IGT_LOG_WARN,
	IGT_LOG_CRITICAL,
	IGT_LOG_NONE,
};

extern jmp_buf igt_subtest_jmpbuf;
extern jmp_buf igt_dynamic_jmpbuf;

/* Entry points the macros below expand to; not for direct use. */
int igt_subtest_init_parse_opts(int *argc, char **argv,
				const char *extra_short_opts,
				const void *extra_long_opts,
				const char *help_str,
				int (*extra_opt_handler)(int opt, int opt_index,
							 void *data),
				void *handler_data);
bool __igt_run_subtest(const char *name, const char *file, const int line);
bool __igt_enter_dynamic_container(void);
bool __igt_run_dynamic_subtest(const char *name);
bool __igt_fixture(void);
void __igt_fixture_complete(void);
bool __igt_fork(void);

__attribute__((noreturn)) void
__igt_fail_assert(const char *domain, const char *file, int line,
		  const char *func, const char *assertion, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
__attribute__((noreturn)) void
__igt_skip_check(const char *file, int line, const char *func,
		 const char *check, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The public API. */
__attribute__((noreturn)) void igt_exit(void);
void igt_success(void);
__attribute__((noreturn)) void igt_fail(int exitcode);
__attribute__((noreturn)) void igt_skip(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
void igt_waitchildren(void);
void igt_describe_f(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool igt_only_list_subtests(void);
const char *igt_test_name(void);
const char *igt_subtest_name(void);

typedef void (*igt_exit_handler_t)(int sig);
void igt_install_exit_handler(igt_exit_handler_t fn);

void igt_log(const char *domain, enum igt_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define igt_debug(...) igt_log(IGT_LOG_DOMAIN, IGT_LOG_DEBUG, __VA_ARGS__)
#define igt_info(...) igt_log(IGT_LOG_DOMAIN, IGT_LOG_INFO, __VA_ARGS__)
#define igt_warn(...) igt_log(IGT_LOG_DOMAIN, IGT_LOG_WARN, __VA_ARGS__)
#define igt_critical(...) igt_log(IGT_LOG_DOMAIN, IGT_LOG_CRITICAL, __VA_ARGS__)

#define igt_describe(str) igt_describe_f("%s", (str))

/*
 * The structure macros are function-like, as in IGT since 2025-12: a test
 * begins with "int igt_main()" and writes "igt_fixture() { ... }". IGT's
 * expansion starts with a bare "main(int argc, char **argv);" that the
 * test's "int" completes, and so does this one, so that a test written in
 * the older object-like form fails to build here as it would in IGT's tree.
 */

/**
 * igt_main() - the test's main function, with subtests
 *
 * Written "int igt_main() { ... }". The body runs in a function of its own
 * after the command line has been parsed; igt_exit() ends the process.
 */
#define igt_main() \
	main(int argc, char **argv); \
	static void igt_unique(__real_main)(void); \
	int main(int argc, char **argv) \
	{ \
		igt_subtest_init_parse_opts(&argc, argv, NULL, NULL, NULL, \
					    NULL, NULL); \
		igt_unique(__real_main)(); \
		igt_exit(); \
	} \
	static void igt_unique(__real_main)(void)

/**
 * igt_fixture() - set-up or tear-down code shared by the subtests after it
 *
 * Skipped when only listing subtests; a requirement that fails in it skips
 * every subtest after it, an assertion that fails fails them.
 */
#define igt_fixture() \
	for (int igt_unique(__fixture_once) = 0; \
	     igt_unique(__fixture_once) < 1 && __igt_fixture() && \
	     sigsetjmp(igt_subtest_jmpbuf, 1) == 0; \
	     igt_unique(__fixture_once)++, __igt_fixture_complete())

#define igt_subtest(name) \
	for (; __igt_run_subtest((name), __FILE__, __LINE__) && \
	       sigsetjmp(igt_subtest_jmpbuf, 1) == 0; \
	     igt_success())

#define __igt_subtest_f(tmp, ...) \
	for (char tmp[256]; snprintf(tmp, sizeof(tmp), __VA_ARGS__), \
	     __igt_run_subtest(tmp, __FILE__, __LINE__) && \
	     sigsetjmp(igt_subtest_jmpbuf, 1) == 0; \
	     igt_success())
#define igt_subtest_f(...) __igt_subtest_f(igt_unique(__tmpchar), __VA_ARGS__)

#define igt_subtest_with_dynamic(name) \
	for (; __igt_run_subtest((name), __FILE__, __LINE__) && \
	       __igt_enter_dynamic_container() && \
	       sigsetjmp(igt_subtest_jmpbuf, 1) == 0; \
	     igt_success())

#define __igt_subtest_with_dynamic_f(tmp, ...) \
	for (char tmp[256]; snprintf(tmp, sizeof(tmp), __VA_ARGS__), \
	     __igt_run_subtest(tmp, __FILE__, __LINE__) && \
	     __igt_enter_dynamic_container() && \
	     sigsetjmp(igt_subtest_jmpbuf, 1) == 0; \
	     igt_success())
#define igt_subtest_with_dynamic_f(...) \
	__igt_subtest_with_dynamic_f(igt_unique(__tmpchar), __VA_ARGS__)

#define igt_dynamic(name) \
	for (; __igt_run_dynamic_subtest((name)) && \
	       sigsetjmp(igt_dynamic_jmpbuf, 1) == 0; \
	     igt_success())

#define __igt_dynamic_f(tmp, ...) \
	for (char tmp[256]; snprintf(tmp, sizeof(tmp), __VA_ARGS__), \
	     __igt_run_dynamic_subtest(tmp) && \
	     sigsetjmp(igt_dynamic_jmpbuf, 1) == 0; \
	     igt_success())
#define igt_dynamic_f(...) __igt_dynamic_f(igt_unique(__tmpchar), __VA_ARGS__)

#define igt_fork(child, num_children) \
	for (int child = 0; child < (num_children); child++) \
		for (; __igt_fork(); exit(0))

/* Requirements: a subtest whose requirement does not hold is skipped. */
#define igt_require(expr) \
	do { \
		if (!(expr)) \
			__igt_skip_check(__FILE__, __LINE__, __func__, #expr, \
					 NULL); \
	} while (0)

#define igt_require_f(expr, ...) \
	do { \
		if (!(expr)) \
			__igt_skip_check(__FILE__, __LINE__, __func__, #expr, \
					 __VA_ARGS__); \
	} while (0)

#define igt_skip_on(expr) \
	do { \
		if ((expr)) \
			__igt_skip_check(__FILE__, __LINE__, __func__, \
					 "!(" #expr ")", NULL); \
	} while (0)

#define igt_skip_on_f(expr, ...) \
	do { \
		if ((expr)) \
			__igt_skip_check(__FILE__, __LINE__, __func__, \
					 "!(" #expr ")", __VA_ARGS__); \
	} while (0)

/* Assertions: a subtest whose assertion does not hold fails. */
#define igt_assert(expr) \
	do { \
		if (!(expr)) \
			__igt_fail_assert(IGT_LOG_DOMAIN, __FILE__, __LINE__, \
					  __func__, #expr, NULL); \
	} while (0)

#define igt_assert_f(expr, ...) \
	do { \
		if (!(expr)) \
			__igt_fail_assert(IGT_LOG_DOMAIN, __FILE__, __LINE__, \
					  __func__, #expr, __VA_ARGS__); \
	} while (0)

#define igt_fail_on(expr) igt_assert(!(expr))
#define igt_fail_on_f(expr, ...) igt_assert_f(!(expr), __VA_ARGS__)

#define __igt_assert_cmptype(type, fmt, n1, cmp, ncmp, n2) \
	do { \
		type __n1 = (n1), __n2 = (n2); \
		if (!(__n1 cmp __n2)) \
			__igt_fail_assert(IGT_LOG_DOMAIN, __FILE__, __LINE__, \
					  __func__, #n1 " " #cmp " " #n2, \
					  "error: " fmt " " #ncmp " " fmt "\n", \
					  __n1, __n2); \
	} while (0)

#define igt_assert_cmpint(n1, cmp, ncmp, n2) \
	__igt_assert_cmptype(int, "%d", n1, cmp, ncmp, n2)
#define igt_assert_cmpuint(n1, cmp, ncmp, n2) \
	__igt_assert_cmptype(unsigned int, "%#x", n1, cmp, ncmp, n2)
#define igt_assert_cmps64(n1, cmp, ncmp, n2) \
	__igt_assert_cmptype(int64_t, "%" PRId64, n1, cmp, ncmp, n2)
#define igt_assert_cmpu64(n1, cmp, ncmp, n2) \
	__igt_assert_cmptype(uint64_t, "%#" PRIx64, n1, cmp, ncmp, n2)
#define igt_assert_cmpdouble(n1, cmp, ncmp, n2) \
	__igt_assert_cmptype(double, "%#lf", n1, cmp, ncmp, n2)

#define igt_assert_eq(n1, n2) igt_assert_cmpint(n1, ==, !=, n2)
#define igt_assert_neq(n1, n2) igt_assert_cmpint(n1, !=, ==, n2)
#define igt_assert_lt(n1, n2) igt_assert_cmpint(n1, <, >=, n2)
#define igt_assert_lte(n1, n2) igt_assert_cmpint(n1, <=, >, n2)
#define igt_assert_eq_u32(n1, n2) igt_assert_cmpuint(n1, ==, !=, n2)
#define igt_assert_neq_u32(n1, n2) igt_assert_cmpuint(n1, !=, ==, n2)
#define igt_assert_lt_u32(n1, n2) igt_assert_cmpuint(n1, <, >=, n2)
#define igt_assert_lte_u32(n1, n2) igt_assert_cmpuint(n1, <=, >, n2)
#define igt_assert_eq_s64(n1, n2) igt_assert_cmps64(n1, ==, !=, n2)
#define igt_assert_eq_u64(n1, n2) igt_assert_cmpu64(n1, ==, !=, n2)
#define igt_assert_neq_u64(n1, n2) igt_assert_cmpu64(n1, !=, ==, n2)
#define igt_assert_lt_u64(n1, n2) igt_assert_cmpu64(n1, <, >=, n2)
#define igt_assert_lte_u64(n1, n2) igt_assert_cmpu64(n1, <=, >, n2)
#define igt_assert_eq_double(n1, n2) igt_assert_cmpdouble(n1, ==, !=, n2)

#define igt_assert_fd(fd) \
	igt_assert_f((fd) >= 0, "file descriptor " #fd " failed\n")

#endif /* NEUF_IGT_CORE_H */
