// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * neuf_stress: the short forms of make stress's parts (tools/stress/),
 * and the isolation red team, one subtest per scenario. A fixed seed, so
 * that CI replays the same operations; NEUF_STRESS_SEED changes it, and
 * neuf-stress PART --seed N replays a run at length.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "igt.h"
#include "libneuf.h"
#include "neuf_igt.h"
#include "neuf_stress.h"

#define STRESS_SEED	0x6e6575662d737431ULL	/* "neuf-st1" */

static uint64_t seed(void)
{
	const char *s = getenv("NEUF_STRESS_SEED");

	return s && *s ? strtoull(s, NULL, 0) : STRESS_SEED;
}

static void restore(int sig)
{
	(void)sig;
	neuf_stress_restore();
}

/* Run a part (or some isolation scenarios) and fail on what it found. */
static void run(enum neuf_stress_part part, unsigned int scenarios,
		unsigned int procs, uint64_t ops)
{
	/*
	 * The short forms leave compacting all of memory to make stress:
	 * under TCG it makes every later write to the frames programs' code
	 * left behind slow, for minutes (struct neuf_stress_config).
	 */
	struct neuf_stress_config cfg = {
		.seed = seed(), .procs = procs, .ops = ops, .log = stderr,
		.no_compaction = true,
	};
	struct neuf_stress_report rep;
	char replay[160];
	int ret;

	igt_info("seed %#" PRIx64 " (replay: NEUF_STRESS_SEED=%#" PRIx64
		 ", or %s)\n", cfg.seed, cfg.seed,
		 neuf_stress_replay(part, &cfg, replay, sizeof(replay)));
	ret = scenarios ? neuf_stress_isolation(scenarios, &cfg, &rep) :
			  neuf_stress_run(part, &cfg, &rep);
	igt_require_f(ret != -EOPNOTSUPP, "this system cannot run it (see "
		      "above)\n");
	igt_assert_f(ret == 0, "the part could not run: %s\n",
		     neuf_igt_errno_name(ret));
	igt_info("%.1f s: %" PRIu64 " processes, %" PRIu64 " operations, %"
		 PRIu64 " jobs (%" PRIu64 " failed on purpose), %" PRIu64
		 " events, %" PRIu64 " recovered, %" PRIu64 " attempts, %"
		 PRIu64 " escapes, %" PRIu64 " of %" PRIu64 " bytes wrong, %"
		 PRIu64 " failures\n", (double)rep.usec / 1e6, rep.procs,
		 rep.ops, rep.jobs, rep.jobs_failed, rep.events, rep.recovered,
		 rep.attempts, rep.escapes, rep.wrong_bytes, rep.bytes_checked,
		 rep.failures);
	igt_assert_f(!neuf_stress_problems(&rep), "%" PRIu64 " failures, %"
		     PRIu64 " escapes, %" PRIu64 " wrong bytes; first: %s\n",
		     rep.failures, rep.escapes, rep.wrong_bytes, rep.first);
	igt_assert_lt_u64(0, rep.ops);
}

int igt_main()
{
	igt_fixture() {
		igt_require_f(neuf_device_count() > 0, "no neuf device\n");
	}

	igt_describe("Three processes with jobs in flight and pages mapped "
		     "(in VRAM where there is some) are OOM-killed in a memory "
		     "cgroup; after each the device's VMs, page tables, DMA "
		     "mappings, jobs in flight and VRAM are back where they "
		     "were, and a new VM runs a job right.");
	igt_subtest("oom-kills-short") {
		/* Each kill's report has a call trace and the registers. */
		neuf_igt_expect_kernel_dumps("invoked oom-killer|"
					     "Memory cgroup out of memory: "
					     "Killed process");
		run(NEUF_STRESS_OOM, 0, 1, 3);
		neuf_igt_end_kernel_dumps();
	}

	igt_describe("Three rounds of an endless shader on every engine at "
		     "once, then of one VM hanging while two others run four "
		     "jobs each: only the endless jobs fail (ETIMEDOUT), every "
		     "other job completes with the right data, every VM works "
		     "after.");
	igt_subtest("hangs-short") {
		run(NEUF_STRESS_HANG, 0, 2, 3);
	}

	igt_describe("Two rounds of unloading neuf (refused: files are open) "
		     "and unbinding the GPU while one process runs jobs, one "
		     "faults fresh memory in and one exits with jobs in "
		     "flight: each process sees ENODEV and exits cleanly, the "
		     "GPU works once bound again, and after an unload and a "
		     "load.");
	igt_subtest("unbind-races-short") {
		igt_require_f(getenv("NEUF_MODULE"), "NEUF_MODULE must name the "
			      "neuf.ko to load again\n");
		igt_install_exit_handler(restore);
		run(NEUF_STRESS_UNBIND, 0, 1, 2);
	}

	igt_describe("With failslab and fail_page_alloc limited to neuf's "
		     "stacks: for every ioctl and GPU fault scenario, the "
		     "calling task's 1st, 2nd, ... allocation fails until one "
		     "is never reached; then the first allocation under each "
		     "of twelve fault-path functions fails, in any context. "
		     "Each call fails with ENOMEM (a job with -ENOMEM) or "
		     "succeeds, the device's counters come back, a new VM "
		     "runs a job right.");
	igt_subtest("alloc-fail-sweep-short") {
		run(NEUF_STRESS_ALLOC, 0, 1, 12);
	}

	for (unsigned int s = 0; s < NEUF_ISO_SCENARIOS; s++) {
		static const char *const what[NEUF_ISO_SCENARIOS] = {
			[NEUF_ISO_FD_PASSED] = "a process given the owner's fd "
				"over a unix socket",
			[NEUF_ISO_OTHER_USER] = "a process of another user given "
				"the owner's fd",
			[NEUF_ISO_OTHER_MEMCG] = "a process in another memory "
				"cgroup given the owner's fd",
			[NEUF_ISO_USERNS] = "a process in a new user namespace "
				"given the owner's fd",
			[NEUF_ISO_FORK_CHILD] = "a forked child with the "
				"inherited fd",
		};

		if (what[s])
			igt_describe_f("Red team: %s may not run jobs on, "
				       "destroy, inspect the memory of, or "
				       "prefetch in the owner's VM, and learns "
				       "its jobs' states but never where they "
				       "faulted; the owner's memory and VM are "
				       "untouched.", what[s]);
		else if (s == NEUF_ISO_GUESSED_IDS)
			igt_describe("Red team: a process guessing VM ids (the "
				     "owner's included) and job ids on a file "
				     "of its own reaches nothing but ENOENT "
				     "and EINVAL.");
		else if (s == NEUF_ISO_DESTROY_RACE)
			igt_describe("Red team: VM_DESTROY and VM_CREATE race "
				     "EXEC on the same VM id: every EXEC "
				     "succeeds or fails with ENOENT, and the "
				     "device works after.");
		else if (s == NEUF_ISO_FOREIGN_POINTERS)
			igt_describe("Red team: code and data pointers valid "
				     "only in another process fault (EFAULT) "
				     "instead of running its code or reading "
				     "its data; at an address both map, each "
				     "reads its own.");
		else
			igt_describe("Red team: two processes fault at once, "
				     "each job's report names exactly its own "
				     "address and never the other's.");
		igt_subtest_f("isolation-%s", neuf_stress_scenario_name(s)) {
			run(NEUF_STRESS_ISOLATION, 1u << s, 1, 2);
		}
	}

	igt_describe("Four processes make 400 random mm operations each "
		     "(munmap and map anew, mprotect, madvise, mremap, fork, "
		     "THP collapse and split, KSM, page migration, mlock, "
		     "truncation) while each one's GPU stream writes and reads "
		     "back patterns in the regions those operations leave "
		     "stable: no byte is wrong and every job succeeds.");
	igt_subtest("mm-churn-short") {
		/*
		 * Last of all (neuf_stress is last in the test list): it
		 * moves and splits the most pages. When it compacted all of
		 * memory, the free pages that left, which QEMU still held
		 * translations of, stalled the next subtest to fault memory
		 * in, and then itself (testing.rst). MADV_SOFT_OFFLINE of
		 * pages it cannot migrate says so in the log.
		 */
		neuf_igt_ignore_dmesg("Memory failure: 0x[0-9a-f]+: unhandlable page");
		run(NEUF_STRESS_CHURN, 0, 4, 400);
	}
}
