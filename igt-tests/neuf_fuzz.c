// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * neuf_fuzz: the short form of the ioctl fuzzer (tools/fuzz/neuf_fuzz.c)
 * that make stress runs at length. A fixed seed, so that CI replays the
 * same calls; NEUF_FUZZ_SEED and NEUF_FUZZ_CALLS change them.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igt.h"
#include "libneuf.h"
#include "neuf_fuzz.h"
#include "neuf_igt.h"

#define FUZZ_SEED	0x6e6575662d667a31ULL	/* "neuf-fz1" */
#define FUZZ_CALLS	10000

static uint64_t env_number(const char *name, uint64_t def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : def;
}

int igt_main()
{
	igt_fixture() {
		igt_require_f(neuf_device_count() > 0, "no neuf device\n");
	}

	igt_describe("Two processes, each with a thread churning its memory, "
		     "make thousands of ioctl calls, well-formed and hostile, "
		     "with shaders of every kind (random words, endless loops, "
		     "wild and kernel pointers), and children try the parents' "
		     "VMs: every call succeeds or fails with an errno it may "
		     "return, every job ends, no child gets in, and the kernel "
		     "is not tainted.");
	igt_subtest("ioctl-fuzz-short") {
		struct neuf_fuzz_config cfg = {
			.seed = env_number("NEUF_FUZZ_SEED", FUZZ_SEED),
			.calls = env_number("NEUF_FUZZ_CALLS", FUZZ_CALLS),
			.workers = 2,
			/* Endless loops each cost one timeout. */
			.job_timeout_ms = 1000,
			.log = stderr,
		};
		struct neuf_fuzz_report rep;
		int ret;

		igt_info("seed %#" PRIx64 ", %" PRIu64 " calls (replay: "
			 "NEUF_FUZZ_SEED=%#" PRIx64 " NEUF_FUZZ_CALLS=%" PRIu64
			 ", or neuf-fuzz --seed %" PRIu64 " --calls %" PRIu64
			 " --workers 2)\n", cfg.seed, cfg.calls, cfg.seed,
			 cfg.calls, cfg.seed, cfg.calls);
		ret = neuf_fuzz_run(&cfg, &rep);
		igt_assert_f(ret == 0, "the fuzzer could not run: %s\n",
			     neuf_igt_errno_name(ret));
		igt_info("%" PRIu64 " calls: %" PRIu64 " ok, %" PRIu64
			 " refused; %" PRIu64 " jobs, %" PRIu64 " failed; %"
			 PRIu64 " memory operations; %" PRIu64 " children\n",
			 rep.calls, rep.ok, rep.refused, rep.jobs,
			 rep.jobs_failed, rep.mm_ops, rep.forks);
		igt_assert_f(!neuf_fuzz_findings(&rep),
			     "%" PRIu64 " unexpected errnos, %" PRIu64
			     " well-formed calls failed, %" PRIu64
			     " jobs never ended, %" PRIu64 " escapes, taint %#lx; "
			     "first: worker %u call %" PRIu64 ": %s\n",
			     rep.unexpected, rep.wrong, rep.jobs_lost,
			     rep.escapes, rep.taint, rep.first_worker,
			     rep.first_call, rep.first);
		igt_assert_eq_u64(rep.calls, cfg.calls);
	}
}
