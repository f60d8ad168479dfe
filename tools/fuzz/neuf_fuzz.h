/* SPDX-License-Identifier: MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * neuf's ioctl fuzzer: structure-aware, seeded, reproducible. Used by the
 * neuf-fuzz tool (make stress) and by the neuf_fuzz IGT test (its short
 * form in make check).
 */
#ifndef NEUF_FUZZ_H
#define NEUF_FUZZ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/**
 * struct neuf_fuzz_config - one fuzzing run
 * @seed: the run's seed: the same seed and configuration issue the same
 *	calls, in the same order, in each worker
 * @calls: ioctl calls to make, over all workers
 * @workers: processes, each with a thread that churns its memory
 * @device: index of the neuf device to open (neuf_device_open())
 * @job_timeout_ms: if not 0, the job watchdog's timeout for the run
 *	(module parameter job_timeout_ms, put back after): infinite loops
 *	are among the shaders, and each costs one timeout
 * @log: progress and findings, or NULL
 */
struct neuf_fuzz_config {
	uint64_t seed;
	uint64_t calls;
	unsigned int workers;
	unsigned int device;
	unsigned int job_timeout_ms;
	FILE *log;
};

/**
 * struct neuf_fuzz_report - what a run did and found
 * @calls: ioctl calls made
 * @ok: calls that succeeded
 * @refused: calls refused with an errno the call may return
 * @unexpected: calls refused with an errno the call never returns, or
 *	that returned something other than 0 or -1
 * @wrong: well-formed calls that failed, or ill-formed ones that succeeded
 * @jobs: jobs queued
 * @jobs_failed: jobs that ended with an error (a fault, an illegal
 *	instruction, the watchdog)
 * @jobs_lost: jobs whose fence did not signal within a minute
 * @mm_ops: memory operations of the churn threads
 * @forks: children that tried the parent's VMs through the inherited file
 * @escapes: children's calls on the parent's VMs that succeeded
 * @tainted: the kernel's taint changed during the run (a WARN, an oops,
 *	KASAN...): the run stopped
 * @taint: the taint flags that appeared
 * @first_worker: worker of the first finding (unexpected, wrong, lost,
 *	escape or taint)
 * @first_call: its call number in that worker, from 1; 0 if none
 * @first: what it was
 */
struct neuf_fuzz_report {
	uint64_t calls;
	uint64_t ok;
	uint64_t refused;
	uint64_t unexpected;
	uint64_t wrong;
	uint64_t jobs;
	uint64_t jobs_failed;
	uint64_t jobs_lost;
	uint64_t mm_ops;
	uint64_t forks;
	uint64_t escapes;
	bool tainted;
	unsigned long taint;
	unsigned int first_worker;
	uint64_t first_call;
	char first[160];
};

/**
 * neuf_fuzz_run() - fuzz the device
 * @cfg: the run
 * @rep: filled with what it did and found
 *
 * Return: 0 if the run completed (findings are in @rep), or a negative
 * errno if it could not run (no device, no memory).
 */
int neuf_fuzz_run(const struct neuf_fuzz_config *cfg,
		  struct neuf_fuzz_report *rep);

/**
 * neuf_fuzz_findings() - how many findings a run has
 * @rep: the run's report
 *
 * Return: unexpected + wrong + lost jobs + escapes, plus one if the kernel
 * got tainted.
 */
uint64_t neuf_fuzz_findings(const struct neuf_fuzz_report *rep);

#endif /* NEUF_FUZZ_H */
