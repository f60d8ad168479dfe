// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * A test program for the IGT stand-in itself: each subtest ends in a known
 * way, so tools/selftest/igt_protocol.py can check the output lines and
 * exit codes against IGT's protocol.
 */
#include <signal.h>
#include <unistd.h>

#include "igt.h"

int igt_main()
{
	igt_fixture()
		igt_info("outside: %s\n",
			 igt_subtest_name() ? igt_subtest_name() : "(none)");

	igt_subtest("pass")
		igt_info("passing in %s\n", igt_subtest_name());

	igt_subtest("fail")
		igt_assert_eq(1, 2);

	igt_subtest("skip")
		igt_require_f(false, "not this time\n");

	igt_subtest("after-fail")
		igt_assert(true);

	igt_subtest_with_dynamic("dynamic") {
		igt_dynamic("dyn-pass")
			igt_assert(true);
		igt_dynamic("dyn-fail")
			igt_assert_f(false, "dynamic failure\n");
		igt_dynamic("dyn-skip")
			igt_skip("dynamic skip\n");
	}

	igt_subtest_with_dynamic("dynamic-empty") {
	}

	igt_subtest("fork-pass") {
		igt_fork(child, 3)
			igt_assert_lt(child, 3);
		igt_waitchildren();
	}

	igt_subtest("fork-fail") {
		igt_fork(child, 2)
			igt_assert_neq(child, 1);
		igt_waitchildren();
	}

	igt_subtest("crash")
		raise(SIGSEGV);

	igt_fixture()
		igt_require_f(false, "fixture skips the rest\n");

	igt_subtest("after-fixture-skip")
		igt_assert(false);
}
