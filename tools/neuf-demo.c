// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * neuf-demo: shared virtual memory in one page of code. Two float arrays
 * from plain malloc() (never pinned, never registered with the driver) go
 * straight to a SAXPY shader as pointers; the GPU faults their pages in
 * on demand, and the CPU checks every element afterwards. Then, where the
 * GPU has device memory, the same SAXPY on arrays prefetched to its VRAM:
 * migrated by the copy engine and mapped ahead, they take no fault.
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

/* Exact in binary32 throughout, so the CPU check can be exact. */
static void init_arrays(float *x, float *y)
{
	for (uint32_t i = 0; i < ELEMENTS; i++) {
		x[i] = (float)i;
		y[i] = (float)(i % 1000);
	}
}

/* Elements of y that hold a * x + y of init_arrays(). */
static uint32_t check_arrays(const float *y, float a)
{
	uint32_t correct = 0;

	for (uint32_t i = 0; i < ELEMENTS; i++) {
		/* a * x + y is exact here: what the GPU's ffma must give. */
		float want = (float)((double)a * i + (double)(i % 1000));

		if (y[i] == want)
			correct++;
		else if (i - correct < 5)	/* the first few mismatches */
			fprintf(stderr, "  y[%u] = %.9g, expected %.9g\n", i,
				(double)y[i], (double)want);
	}
	return correct;
}

/*
 * Run SAXPY over the arrays in ELEMENTS / CHUNK dispatches and wait for
 * them; @secs gets the time from submission to completion. Returns 0 or
 * the exit status.
 */
static int run_saxpy(struct neuf_device *dev, uint32_t vm,
		     const struct neuf_asm_program *prog, float *x, float *y,
		     float a, double *secs)
{
	uint64_t jobs[ELEMENTS / CHUNK];
	struct drm_neuf_job_status st;
	struct timespec t0;
	uint32_t done, a_bits;
	int ret;

	memcpy(&a_bits, &a, sizeof(a_bits));
	if (drmSyncobjCreate(neuf_device_fd(dev), 0, &done))
		return fail("drmSyncobjCreate", -errno);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint32_t j = 0; j < ELEMENTS / CHUNK; j++) {
		struct neuf_dispatch d = {
			.code = (uint64_t)(uintptr_t)prog->code,
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
	*secs = seconds_since(&t0);
	drmSyncobjDestroy(neuf_device_fd(dev), done);

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
	return 0;
}

static int prefetch(struct neuf_device *dev, uint32_t vm, void *p, size_t len,
		    uint64_t *migrated)
{
	struct drm_neuf_svm_attr a = {
		.vm_id = vm, .op = NEUF_SVM_OP_PREFETCH,
		.start = (uint64_t)(uintptr_t)p, .size = len,
		.location = NEUF_SVM_LOC_VRAM,
	};
	int ret = neuf_svm_attr(dev, &a);

	*migrated += a.migrated;
	return ret;
}

/*
 * Part 2: the same SAXPY on arrays prefetched to VRAM. The prefetch moves
 * their pages and maps them on the GPU, so the pass takes no fault.
 */
static int part_vram(struct neuf_device *dev, uint32_t vm,
		     const struct neuf_asm_program *prog, float a,
		     double faulting_secs)
{
	const size_t len = ELEMENTS * sizeof(float);
	struct drm_neuf_device_stats d0, d1;
	struct drm_neuf_vm_stats s0, s1;
	uint64_t vram = 0, migrated = 0;
	uint32_t correct;
	struct timespec t0;
	double psecs, secs;
	float *x, *y;
	int ret;

	printf("\n== part 2: the same SAXPY after a prefetch to VRAM ==\n");
	if (neuf_getparam(dev, NEUF_PARAM_VRAM_SIZE, &vram) || !vram) {
		printf("no device memory on this kernel or GPU (it needs "
		       "CONFIG_DEVICE_PRIVATE: make demo KERNEL=debug)\n");
		return 0;
	}
	/* 2 MiB aligned: whole VRAM blocks, one migration each. */
	if (posix_memalign((void **)&x, 2u << 20, len) ||
	    posix_memalign((void **)&y, 2u << 20, len))
		return fail("posix_memalign", -ENOMEM);
	init_arrays(x, y);
	printf("x at %p, y at %p: fresh arrays, filled by the CPU; %" PRIu64
	       " MiB of VRAM\n", (void *)x, (void *)y, vram >> 20);

	neuf_device_stats(dev, &d0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = prefetch(dev, vm, x, len, &migrated);
	if (!ret)
		ret = prefetch(dev, vm, y, len, &migrated);
	if (ret)
		return fail("prefetching to VRAM", ret);
	psecs = seconds_since(&t0);
	printf("prefetch: %" PRIu64 " pages (%.1f MiB) migrated to VRAM by the "
	       "copy engine in %.3f s\n", migrated,
	       (double)migrated * 4096 / (1 << 20), psecs);

	neuf_vm_stats(dev, vm, &s0);
	ret = run_saxpy(dev, vm, prog, x, y, a, &secs);
	if (ret)
		return ret;
	neuf_vm_stats(dev, vm, &s1);
	printf("time:     %.3f s on the GPU, %" PRIu64 " GPU page faults "
	       "(part 1: %.3f s): %.1fx faster\n", secs,
	       (uint64_t)(s1.faults - s0.faults), faulting_secs,
	       faulting_secs / secs);

	correct = check_arrays(y, a);
	neuf_device_stats(dev, &d1);
	printf("result check: %u/%u correct; the CPU's reads brought y back "
	       "(%" PRIu64 " CPU faults on VRAM pages, %" PRIu64
	       " pages back to system memory)\n", correct, ELEMENTS,
	       (uint64_t)(d1.cpu_faults - d0.cpu_faults),
	       (uint64_t)(d1.to_ram_pages - d0.to_ram_pages));
	free(x);
	free(y);
	return correct == ELEMENTS ? 0 : 1;
}

int main(void)
{
	struct neuf_asm_program prog = { 0 };
	struct drm_neuf_vm_stats stats;
	struct neuf_device *dev;
	uint32_t vm, correct;
	const float a = 2.5f;
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

	printf("== part 1: SAXPY on malloc'd memory, faulted in on demand ==\n");
	/* Plain malloc: nothing is pinned or registered with the driver. */
	x = malloc(ELEMENTS * sizeof(*x));
	y = malloc(ELEMENTS * sizeof(*y));
	if (!x || !y)
		return fail("malloc", -ENOMEM);
	init_arrays(x, y);
	printf("x = malloc(%zu) at %p, y = malloc(%zu) at %p, a = %g\n",
	       ELEMENTS * sizeof(*x), (void *)x, ELEMENTS * sizeof(*y),
	       (void *)y, (double)a);

	ret = run_saxpy(dev, vm, &prog, x, y, a, &secs);
	if (ret)
		return ret;
	printf("grid:    %u invocations in %u dispatches of %u (groups of %u)\n",
	       ELEMENTS, ELEMENTS / CHUNK, CHUNK, GROUP);
	printf("time:    %.3f s on the GPU, submission to completion\n", secs);
	correct = check_arrays(y, a);
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
	if (correct != ELEMENTS)
		return 1;

	ret = part_vram(dev, vm, &prog, a, secs);

	neuf_vm_destroy(dev, vm);
	neuf_device_close(dev);
	neuf_asm_program_free(&prog);
	free(x);
	free(y);
	return ret;
}
