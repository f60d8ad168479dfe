/* SPDX-License-Identifier: MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * What the stress parts share: shaders, job helpers, the shared report,
 * sysfs/procfs/cgroup access and the module's parameters. Every function
 * returns an errno-style result; none exits or asserts.
 */
#ifndef NEUF_STRESS_INTERNAL_H
#define NEUF_STRESS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kernel_files.h"
#include "libneuf.h"
#include "neuf_stress.h"

#define NS_PAGE		4096ul
#define NS_ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))
#define NS_PTR(p)	((uint64_t)(uintptr_t)(p))
/* Generous: under QEMU's TCG the whole machine, GPU model included, is slow. */
#define NS_JOB_WAIT_NS	(120LL * 1000000000LL)
/* An out-of-tree (O) and unsigned (E) module taint the kernel anyway. */
#define NS_TAINT_OK	(4096UL | 8192UL)
#define NS_PARAMS	"/sys/module/neuf/parameters/"

/**
 * struct ns_shaders - the shaders the parts run, assembled once per process
 * @fill: u32 at arg0 + 4 * i = arg1 + i
 * @fill_bytes: the size of @fill's code
 * @rmw_strided: u32 at arg0 + i * arg2 += arg1
 * @spin: stores 1 at arg0, then loops until the watchdog stops it
 * @touch: stores 1 at arg0 + 4096 * i (one fault per page)
 * @copy_word: one invocation: u32 at arg1 = u32 at arg0
 * @spin_fill: loops arg0 times, then u32 at arg1 + 4 * i = arg2 + i
 */
struct ns_shaders {
	uint64_t *fill;
	size_t fill_bytes;
	uint64_t *rmw_strided;
	uint64_t *spin;
	uint64_t *touch;
	uint64_t *copy_word;
	uint64_t *spin_fill;
};

int ns_shaders_init(struct ns_shaders *sh);
void ns_shaders_fini(struct ns_shaders *sh);

/* A dispatch of @grid invocations of @code with push constants @args. */
struct neuf_dispatch ns_dispatch(const uint64_t *code, uint32_t grid,
				 const uint64_t args[NEUF_EXEC_NUM_ARGS]);
#define NS_ARGS(...) ((const uint64_t[NEUF_EXEC_NUM_ARGS]){ __VA_ARGS__ })

/* splitmix64: the parts' random stream. */
uint64_t ns_rand(uint64_t *state);
uint64_t ns_now_us(void);

/* A report in memory shared with the part's child processes. */
struct neuf_stress_report *ns_report_shared(void);
void ns_report_collect(struct neuf_stress_report *shared,
		       struct neuf_stress_report *rep, uint64_t start_us);
/* Add @n to a counter of a shared report. */
void ns_count(uint64_t *counter, uint64_t n);
/* Count a failure; the first one's text is kept. */
void ns_fail(struct neuf_stress_report *rep, FILE *log, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Count an escape; the first one's text is kept (if no failure came first). */
void ns_escape(struct neuf_stress_report *rep, FILE *log, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Fill @n words of @buf on the GPU (VM @vm of @d) and check them: the
 * device still works. Counts the job and the bytes; 0 or -EIO (a failure
 * was counted, with @what in its text).
 */
int ns_check_device(struct neuf_device *d, uint32_t vm,
		    const struct ns_shaders *sh, struct neuf_stress_report *rep,
		    FILE *log, const char *what);

/* Kernel taint flags, less those an out-of-tree module sets. */
unsigned long ns_taint(void);

/* A module parameter of neuf: read it, or set it (returns the old value). */
long long ns_param(const char *name);
long long ns_param_set(const char *name, long long value);

/*
 * A child memory cgroup of the root one, named @name plus our pid, with
 * memory.max @max ("64M") and no swap: its directory in @cg. -EOPNOTSUPP
 * without cgroup v2's memory controller.
 */
int ns_cgroup_create(char *cg, size_t len, const char *name, const char *max);
int ns_cgroup_remove(const char *cg);
int ns_cgroup_join(const char *cg);

/**
 * struct ns_counters - what the device holds, from its debugfs
 * @vms: live VMs
 * @pt_pages: their page-table pages
 * @dma_pages: the system pages they hold DMA mappings of
 * @jobs_in_flight: jobs queued or running
 * @vram_used: bytes of VRAM holding pages
 */
struct ns_counters {
	long long vms;
	long long pt_pages;
	long long dma_pages;
	long long jobs_in_flight;
	long long vram_used;
};

/* Read them: 0, or -ENOENT without neuf's debugfs. */
int ns_counters_read(struct ns_counters *c);
/*
 * Wait (up to @wait_ms) for the counters to come back to @base: a dead
 * process's VMs and pages are freed when its last file reference and
 * its mm go. 0, or -ETIMEDOUT with the last reading in @now.
 */
int ns_counters_settle(const struct ns_counters *base, struct ns_counters *now,
		       unsigned int wait_ms);

/* Wait for a child; EINTR retried. Its status, or -1. */
int ns_wait(pid_t pid);

int ns_churn(const struct neuf_stress_config *cfg,
	     struct neuf_stress_report *rep);
int ns_oom(const struct neuf_stress_config *cfg,
	   struct neuf_stress_report *rep);
int ns_hang(const struct neuf_stress_config *cfg,
	    struct neuf_stress_report *rep);
int ns_unbind(const struct neuf_stress_config *cfg,
	      struct neuf_stress_report *rep);
int ns_alloc(const struct neuf_stress_config *cfg,
	     struct neuf_stress_report *rep);

#endif /* NEUF_STRESS_INTERNAL_H */
