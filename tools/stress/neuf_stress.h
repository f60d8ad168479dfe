/* SPDX-License-Identifier: MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * The parts of make stress besides the ioctl fuzzer: mm churn racing GPU
 * streams, OOM kills, hangs, unbind/unload races and the isolation
 * red team. Each part is a function over a configuration that fills one
 * report; the neuf-stress tool runs them at length (make stress) and the
 * neuf_stress IGT test runs their short forms (make check).
 */
#ifndef NEUF_STRESS_H
#define NEUF_STRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/**
 * struct neuf_stress_config - one run of a part
 * @seed: the run's seed: every random choice derives from it (and the
 *	process's index), so that a run can be replayed
 * @procs: processes that take part (mm churn: each with a GPU stream)
 * @ops: how much each does: mm operations per process (mm churn), OOM
 *	kills (oom), rounds (hang, unbind), attempts per scenario (isolation),
 *	functions swept one by one (alloc; 0: all of them)
 * @device: index of the neuf device to use (neuf_device_open())
 * @job_timeout_ms: the job watchdog while a part runs that hangs the GPU
 *	on purpose (module parameter job_timeout_ms, put back after)
 * @log: progress and failures, or NULL
 * @no_compaction: mm churn: leave out compacting all of memory (one
 *	process does it now and then otherwise). It moves every program's
 *	pages, not only the part's; under QEMU's TCG the frames their code
 *	left behind make each later write to them slow, for minutes
 *	(Documentation/gpu/neuf/testing.rst), so the short form in make check
 *	leaves it to make stress.
 */
struct neuf_stress_config {
	uint64_t seed;
	unsigned int procs;
	uint64_t ops;
	unsigned int device;
	unsigned int job_timeout_ms;
	FILE *log;
	bool no_compaction;
};

/**
 * struct neuf_stress_report - what a part did and found
 * @procs: processes that took part (hang: the VMs beside the hung one)
 * @ops: operations made: mm operations, OOM kills, rounds, attempts
 * @jobs: GPU jobs that ran
 * @jobs_failed: those that ended with an error the part caused on purpose
 *	(a watchdog stop, a kill, an unbind, a denied access)
 * @events: what the GPU had to survive: invalidations and GPU faults
 *	(mm churn), OOM kills, hung jobs stopped, unbinds and unloads
 * @recovered: events after which the device ran a job right
 * @attempts: hostile attempts (isolation: foreign ids, fds, addresses)
 * @escapes: hostile attempts that got through
 * @bytes_checked: bytes whose value was compared with the expected one
 * @wrong_bytes: those that differed
 * @failures: everything else that went wrong (a job that had to succeed
 *	failed, a counter not back to zero, a kernel taint); @first says
 *	what the first one was
 * @usec: how long the part ran
 * @first: the first failure or escape, empty if none
 */
struct neuf_stress_report {
	uint64_t procs;
	uint64_t ops;
	uint64_t jobs;
	uint64_t jobs_failed;
	uint64_t events;
	uint64_t recovered;
	uint64_t attempts;
	uint64_t escapes;
	uint64_t bytes_checked;
	uint64_t wrong_bytes;
	uint64_t failures;
	uint64_t usec;
	char first[240];
};

/**
 * enum neuf_stress_part - the parts
 * @NEUF_STRESS_CHURN: @procs processes, each making @ops random mm
 *	operations (mmap/munmap, mprotect, madvise, mremap, fork, THP collapse
 *	and split, compaction, KSM, page migration, munlock, truncation) while
 *	a GPU stream writes and reads back known patterns in the regions the
 *	operations leave stable; every word of those is checked
 * @NEUF_STRESS_OOM: @ops OOM kills, inside a memory cgroup, of processes
 *	with jobs in flight and pages mapped (and in VRAM where there is
 *	some); after each the device runs a job; at the end its counters are
 *	back where they were
 * @NEUF_STRESS_HANG: @ops rounds of an endless shader on every engine at
 *	once, then of one VM's hang while @procs others run: only the hung
 *	jobs fail, every other job completes, the engines recover
 * @NEUF_STRESS_UNBIND: @ops rounds of unloading the module and unbinding
 *	the GPU while jobs run, faults are serviced and a process exits:
 *	refused or clean, the GPU bound again and working after
 * @NEUF_STRESS_ISOLATION: the red team, every scenario @ops times: see
 *	enum neuf_stress_scenario
 * @NEUF_STRESS_ALLOC: the allocation-failure sweep: failslab and
 *	fail_page_alloc limited to neuf's stacks; for every ioctl and GPU
 *	fault scenario, the calling task's Nth allocation fails, N = 1, 2...
 *	until one is not reached; then, for each of neuf's functions (@ops of
 *	them, the fault path's first; 0: all), the first allocation under it
 *	fails, in any context. Each injected failure must end cleanly (ENOMEM
 *	or success), the counters come back, a new VM run a job right
 * @NEUF_STRESS_PARTS: how many parts there are
 */
enum neuf_stress_part {
	NEUF_STRESS_CHURN,
	NEUF_STRESS_OOM,
	NEUF_STRESS_HANG,
	NEUF_STRESS_UNBIND,
	NEUF_STRESS_ISOLATION,
	NEUF_STRESS_ALLOC,
	NEUF_STRESS_PARTS
};

/**
 * enum neuf_stress_scenario - the isolation red team's scenarios
 * @NEUF_ISO_FD_PASSED: another process of the same user, given the fd
 *	over a unix socket, runs jobs on, destroys and reads the owner's VM
 * @NEUF_ISO_OTHER_USER: the same, from a process of another user
 * @NEUF_ISO_OTHER_MEMCG: the same, from a process in another memory cgroup
 * @NEUF_ISO_USERNS: the same, from a process in a new user namespace
 * @NEUF_ISO_FORK_CHILD: a forked child uses the inherited fd on the
 *	parent's VM
 * @NEUF_ISO_GUESSED_IDS: a process with a file of its own guesses VM ids
 *	and job ids of another file's VMs
 * @NEUF_ISO_DESTROY_RACE: one thread destroys and recreates the VM another
 *	thread submits to; a second process does the same on its own VM
 * @NEUF_ISO_FOREIGN_POINTERS: a process submits code and data pointers
 *	that are valid only in another process's address space
 * @NEUF_ISO_FAULT_REPORT: two processes fault at once; each job's report
 *	names only its own address, and no other process learns it
 * @NEUF_ISO_SCENARIOS: how many there are
 */
enum neuf_stress_scenario {
	NEUF_ISO_FD_PASSED,
	NEUF_ISO_OTHER_USER,
	NEUF_ISO_OTHER_MEMCG,
	NEUF_ISO_USERNS,
	NEUF_ISO_FORK_CHILD,
	NEUF_ISO_GUESSED_IDS,
	NEUF_ISO_DESTROY_RACE,
	NEUF_ISO_FOREIGN_POINTERS,
	NEUF_ISO_FAULT_REPORT,
	NEUF_ISO_SCENARIOS
};

/**
 * neuf_stress_part_name() - the name of a part ("churn", "oom", ...)
 * @part: the part
 *
 * Return: its name, or NULL for an unknown part.
 */
const char *neuf_stress_part_name(enum neuf_stress_part part);

/**
 * neuf_stress_replay() - the neuf-stress command line that replays a run
 * @part: the part
 * @cfg: the run's configuration (seed, processes, operations, and for mm
 *	churn whether it compacts)
 * @buf: where the line goes, NUL-terminated
 * @len: its size
 *
 * Return: @buf.
 */
char *neuf_stress_replay(enum neuf_stress_part part,
			 const struct neuf_stress_config *cfg, char *buf,
			 size_t len);

/**
 * neuf_stress_scenario_name() - the name of an isolation scenario
 * @s: the scenario
 *
 * Return: its name ("fd-passed", ...), or NULL for an unknown one.
 */
const char *neuf_stress_scenario_name(enum neuf_stress_scenario s);

/**
 * neuf_stress_run() - run a part
 * @part: which
 * @cfg: the run
 * @rep: filled with what it did and found
 *
 * Return: 0 if the part ran (what it found is in @rep), -EOPNOTSUPP if
 * this system cannot run it (no memory cgroup, no module to reload: the
 * reason went to @cfg->log), or another negative errno if it could not
 * start.
 */
int neuf_stress_run(enum neuf_stress_part part,
		    const struct neuf_stress_config *cfg,
		    struct neuf_stress_report *rep);

/**
 * neuf_stress_isolation() - run some of the isolation scenarios
 * @mask: the scenarios, bit (1 << enum neuf_stress_scenario) each
 * @cfg: the run: each scenario is tried @cfg->ops times
 * @rep: filled with what they did and found
 *
 * Return: as neuf_stress_run(); -EOPNOTSUPP when one of the scenarios
 * cannot run here (no other user to become, no user namespaces...).
 */
int neuf_stress_isolation(unsigned int mask,
			  const struct neuf_stress_config *cfg,
			  struct neuf_stress_report *rep);

/**
 * neuf_stress_restore() - leave neuf loaded and bound to every GPU
 *
 * For a harness's exit handler after the unbind part stopped half-way:
 * loads neuf (NEUF_MODULE, NEUF_MODULE_PARAMS) if it is not loaded, and
 * binds it to every neuf GPU function it is not bound to.
 */
void neuf_stress_restore(void);

/**
 * neuf_stress_problems() - how many things a part found wrong
 * @rep: its report
 *
 * Return: failures + escapes + wrong bytes.
 */
uint64_t neuf_stress_problems(const struct neuf_stress_report *rep);

/**
 * neuf_stress_write_json() - a part's report as one JSON object
 * @fp: where to write it
 * @part: the part
 * @cfg: its configuration
 * @rep: its report
 */
void neuf_stress_write_json(FILE *fp, enum neuf_stress_part part,
			    const struct neuf_stress_config *cfg,
			    const struct neuf_stress_report *rep);

#endif /* NEUF_STRESS_H */
