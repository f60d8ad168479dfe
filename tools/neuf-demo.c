// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * neuf-demo: shared virtual memory in one page of code. Two float arrays
 * from plain malloc() (never pinned, never registered with the driver) go
 * straight to a SAXPY shader as pointers; the GPU faults their pages in
 * on demand, and the CPU checks every element afterwards.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xf86drm.h>

#include "libneuf.h"
#include "neuf_asm.h"

#define ELEMENTS (1u << 20)
/* Invocations per dispatch: each job ends well within the scheduler's
 * timeout even on an emulated machine. */
#define CHUNK (1u << 18)
#define GROUP 64
#define TIMEOUT_NS (300ll * 1000000000ll)

static const char saxpy_src[] =
	"# y[i] = a * x[i] + y[i], i = arg3 + global_id\n"
	"# arg0 = x, arg1 = y: plain malloc'd pointers; arg2 = a (f32 bits)\n"
	"    sreg  r1, global_id\n"
	"    sreg  r2, arg3\n"
	"    add   r1, r1, r2        # i\n"
	"    shli  r1, r1, 2         # byte offset of element i\n"
	"    sreg  r2, arg0\n"
	"    add   r2, r2, r1        # &x[i]\n"
	"    sreg  r3, arg1\n"
	"    add   r3, r3, r1        # &y[i]\n"
	"    sreg  r4, arg2          # a\n"
	"    ld32  r5, [r2]          # x[i]\n"
	"    ld32  r6, [r3]          # y[i]\n"
	"    ffma  r7, r4, r5, r6    # a * x[i] + y[i], rounded once\n"
	"    st32  [r3], r7\n"
	"    halt\n";

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "neuf-demo: %s: %s\n", what, strerror(-err));
	return 1;
}

int main(void)
{
	struct neuf_asm_program prog = { 0 };
	struct drm_neuf_vm_stats stats;
	struct drm_neuf_job_status st;
	uint64_t jobs[ELEMENTS / CHUNK];
	struct neuf_device *dev;
	uint32_t vm, done, a_bits, correct = 0;
	const float a = 2.5f;
	struct timespec t0;
	drmVersionPtr ver;
	float *x, *y;
	char err[256];
	double secs;
	int ret;

	ret = neuf_device_open(0, &dev);
	if (ret)
		return fail("opening the first neuf GPU (is neuf.ko loaded?)", ret);
	ver = drmGetVersion(neuf_device_fd(dev));
	printf("device:  %s, %s %d.%d.%d\n", neuf_device_node(dev),
	       ver ? ver->name : "?", ver ? ver->version_major : 0,
	       ver ? ver->version_minor : 0, ver ? ver->version_patchlevel : 0);
	drmFreeVersion(ver);

	ret = neuf_vm_create(dev, NEUF_VM_CREATE_SVM, &vm);
	if (ret)
		return fail("creating an SVM VM", ret);
	printf("VM %u mirrors this process's address space\n\n", vm);

	printf("shader (assembled at run time by neuf_assemble()):\n%s\n",
	       saxpy_src);
	ret = neuf_assemble(saxpy_src, &prog, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "neuf-demo: assembling: %s\n", err);
		return 1;
	}

	/* Plain malloc: nothing is pinned or registered with the driver. */
	x = malloc(ELEMENTS * sizeof(*x));
	y = malloc(ELEMENTS * sizeof(*y));
	if (!x || !y)
		return fail("malloc", -ENOMEM);
	/* Exact in binary32 throughout, so the CPU check can be exact. */
	for (uint32_t i = 0; i < ELEMENTS; i++) {
		x[i] = (float)i;
		y[i] = (float)(i % 1000);
	}
	memcpy(&a_bits, &a, sizeof(a_bits));
	printf("x = malloc(%zu) at %p, y = malloc(%zu) at %p, a = %g\n",
	       ELEMENTS * sizeof(*x), (void *)x, ELEMENTS * sizeof(*y),
	       (void *)y, (double)a);

	if (drmSyncobjCreate(neuf_device_fd(dev), 0, &done))
		return fail("drmSyncobjCreate", -errno);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint32_t j = 0; j < ELEMENTS / CHUNK; j++) {
		struct neuf_dispatch d = {
			.code = (uint64_t)(uintptr_t)prog.code,
			.grid_size = CHUNK,
			.group_size = GROUP,
			.args = { (uint64_t)(uintptr_t)x, (uint64_t)(uintptr_t)y,
				  a_bits, (uint64_t)j * CHUNK },
			.out_syncobj = j == ELEMENTS / CHUNK - 1 ? done : 0,
		};

		ret = neuf_exec(dev, vm, &d, &jobs[j]);
		if (ret)
			return fail("submitting", ret);
	}
	/* A VM's jobs run in order: the last one's fence covers them all. */
	if (drmSyncobjWait(neuf_device_fd(dev), &done, 1,
			   (int64_t)t0.tv_sec * 1000000000ll + t0.tv_nsec +
			   TIMEOUT_NS, 0, NULL))
		return fail("waiting for the GPU", -errno);
	secs = seconds_since(&t0);
	printf("grid:    %u invocations in %u dispatches of %u (groups of %u)\n",
	       ELEMENTS, ELEMENTS / CHUNK, CHUNK, GROUP);
	printf("time:    %.3f s on the GPU, submission to completion\n", secs);

	for (uint32_t j = 0; j < ELEMENTS / CHUNK; j++) {
		ret = neuf_job_status(dev, vm, jobs[j], &st);
		if (ret)
			return fail("reading a job's status", ret);
		if (st.state != NEUF_JOB_STATE_DONE || st.error) {
			fprintf(stderr, "neuf-demo: job %" PRIu64 " failed: %s, "
				"fault at %#" PRIx64 " (%s)\n", (uint64_t)st.job_id,
				strerror(-st.error), (uint64_t)st.fault_addr,
				neuf_access_name(st.fault_access));
			return 1;
		}
	}

	for (uint32_t i = 0; i < ELEMENTS; i++) {
		/* a * x + y is exact here: what the GPU's ffma must give. */
		float want = (float)((double)a * i + (double)(i % 1000));

		if (y[i] == want)
			correct++;
		else if (i - correct < 5)	/* the first few mismatches */
			fprintf(stderr, "  y[%u] = %.9g, expected %.9g\n", i,
				(double)y[i], (double)want);
	}
	printf("result check: %u/%u correct\n", correct, ELEMENTS);

	ret = neuf_vm_stats(dev, vm, &stats);
	if (ret)
		return fail("reading the VM's statistics", ret);
	printf("\nVM fault statistics (pages were faulted in on demand):\n");
	printf("  GPU page faults      %10" PRIu64 "\n", (uint64_t)stats.faults);
	printf("  fault batches        %10" PRIu64 "\n", (uint64_t)stats.batches);
	printf("  replays              %10" PRIu64 "\n", (uint64_t)stats.replays);
	printf("  cancelled faults     %10" PRIu64 "\n", (uint64_t)stats.cancels);
	printf("  pages mapped (4 KiB) %10" PRIu64 "  (%.1f MiB)\n",
	       (uint64_t)stats.pages_mapped,
	       (double)stats.pages_mapped * 4096 / (1 << 20));
	printf("  pages invalidated    %10" PRIu64 "\n",
	       (uint64_t)stats.pages_invalidated);
	printf("  invalidations        %10" PRIu64 "\n",
	       (uint64_t)stats.invalidations);
	printf("  fault retries        %10" PRIu64 "\n", (uint64_t)stats.retries);
	printf("  jobs submitted       %10" PRIu64 "\n",
	       (uint64_t)stats.jobs_submitted);
	printf("  jobs failed          %10" PRIu64 "\n",
	       (uint64_t)stats.jobs_failed);

	drmSyncobjDestroy(neuf_device_fd(dev), done);
	neuf_vm_destroy(dev, vm);
	neuf_device_close(dev);
	neuf_asm_program_free(&prog);
	free(x);
	free(y);
	return correct == ELEMENTS ? 0 : 1;
}
