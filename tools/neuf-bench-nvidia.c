// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * neuf-bench-nvidia: neuf-bench's P1, P3 and P4 on an NVIDIA GPU that
 * mirrors the process's address space (HMM), through the CUDA backend of
 * igt-tests/lib/svm_backend.h, against the host's CPU measured the same
 * way. Runs on the host (tools/bench-nvidia.sh), where the NVIDIA driver
 * is; writes one JSON document in neuf-bench's record shapes, which
 * tools/neuf-bench-nvidia-report prints beside neuf's latest figures.
 *
 *   P1   first touch of fresh 4 KiB-page memory by a kernel: read, write,
 *        read then write, one access per page (SVM_READ_STRIDED,
 *        SVM_FILL_STRIDED, SVM_RMW_STRIDED over a grid of one invocation
 *        per page)
 *   P3   one fault's round trip: a one-invocation SVM_TIMED_STORE to a
 *        page nothing touched before, against one to a page the GPU maps
 *        already, timed by the GPU's own clock (%globaltimer) and by the
 *        CPU's around the launch and the wait; the CPU's own first-touch
 *        fault as neuf-bench measures it. %globaltimer advances in steps
 *        (a microsecond on many GPUs): the smallest step a kernel sees,
 *        measured before the cases, is in the JSON (gpu_timer_step_ns),
 *        and the GPU timer's figures are multiples of it
 *   P4   munmap() of memory the GPU maps, against memory never mirrored
 *        (the GPU's pass is checked by its sum, so that no CPU access
 *        takes the pages back before the munmap())
 *
 * On NVIDIA a first touch of private anonymous memory may also allocate
 * GPU memory and move the page there (nvidia_uvm's HMM migrates what the
 * GPU touches): P1 and P3 time that whole path, as an application sees it.
 *
 * The memory is mmap()ed anonymous memory advised MADV_NOHUGEPAGE, as
 * neuf-bench's: what malloc() returns for these sizes, except that malloc()
 * would hand back memory it freed earlier (glibc raises its mmap threshold
 * to the size of a freed chunk), which would not be fresh.
 *
 * Every P1 and P4 figure is the median of --runs runs (fresh memory each),
 * with the minimum and maximum, in microseconds per 4 KiB page; P3's are
 * the median, 90th percentile and minimum of --samples samples. What the
 * GPU wrote or read is checked after each GPU pass: a wrong value ends the
 * run with exit status 1. Exit status 77: the backend cannot run here (no
 * driver, no GPU, no HMM), with the reason on stderr.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>

#include "bench_util.h"
#include "svm_backend.h"

#define PAGE_SZ BENCH_PAGE_SZ
#define MIB (1ul << 20)
/*
 * P3's GPU pages, one per 2 MiB: nvidia_uvm serves faults per VA block
 * (2 MiB) and may prefetch or migrate around the faulting page, which
 * would leave the next sample's page mapped already if it were adjacent.
 */
#define P3_STRIDE (2ul << 20)
#define MAX_SAMPLES 100000

/* What bench_die()'s messages start with. */
const char bench_prog[] = "neuf-bench-nvidia";

static const enum svm_kernel mode_kernel[BENCH_NUM_MODES] = {
	SVM_READ_STRIDED, SVM_FILL_STRIDED, SVM_RMW_STRIDED,
};

enum system { SYS_NVIDIA, SYS_CPU, NUM_SYSTEMS };
static const char *const system_names[NUM_SYSTEMS] = { "nvidia", "cpu" };

enum { CASE_P1 = 1, CASE_P3 = 2, CASE_P4 = 4 };
/* --only's names: only_names[i] is bit i of the CASE_* bits. */
static const char *const only_names[] = { "P1", "P3", "P4", NULL };

/*
 * The scratch page: the u64 SVM_READ_STRIDED sums into, and what the
 * warm-up kernels write.
 */
#define SCRATCH_SUM 0
#define SCRATCH_WARM 64
#define SCRATCH_TIMED 128
#define SCRATCH_STEP 192
/* How many changes of the GPU timer SVM_TIMER_STEP watches. */
#define TIMER_CHANGES 64

struct bench {
	struct svm_backend *gpu;
	uint8_t *scratch;	/* one page */
	struct bench_options opt;	/* only: CASE_* bits */
	FILE *out;
	bool first;
	uint64_t timer_step_ns;	/* the GPU timer's step; 0: no GPU timer */
};

/* The GPU got something wrong: the figures would mean nothing. */
static void wrong(const char *what, size_t at, uint64_t got, uint64_t want)
{
	fprintf(stderr, "neuf-bench-nvidia: %s: wrong value at %zu: 0x%" PRIx64
		", expected 0x%" PRIx64 "\n", what, at, got, want);
	exit(1);
}

/* @len bytes of private anonymous memory, base pages only. */
static uint8_t *map_mem(size_t len)
{
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		bench_die("mmap", errno);
	if (madvise(p, len, MADV_NOHUGEPAGE))
		bench_die("madvise", errno);
	return p;
}

static void unmap_mem(uint8_t *p, size_t len)
{
	if (munmap(p, len))
		bench_die("munmap", errno);
}

static uint64_t ptr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static volatile uint32_t *u32_at(uint8_t *p)
{
	return (volatile uint32_t *)(void *)p;
}

static volatile uint64_t *u64_at(uint8_t *p)
{
	return (volatile uint64_t *)(void *)p;
}

/* One kernel run, which must end well; returns the wall time in ns. */
static uint64_t gpu_run(struct bench *b, enum svm_kernel k, uint32_t grid,
			uint64_t a0, uint64_t a1, uint64_t a2)
{
	const uint64_t args[4] = { a0, a1, a2, 0 };
	struct svm_result res;
	uint64_t t0 = bench_now_ns();
	int ret = svm_backend_run(b->gpu, k, grid, args, &res);
	uint64_t ns = bench_now_ns() - t0;

	if (ret)
		bench_die("launching a kernel", -ret);
	if (res.error) {
		fprintf(stderr, "neuf-bench-nvidia: a kernel failed: %s (%s)\n",
			strerror(-res.error), res.detail);
		exit(1);
	}
	return ns;
}

/*
 * One access per page of @p on the GPU, storing @seed + i at page i
 * (write) or adding @seed to it (rw); returns the wall time in ns.
 */
static uint64_t gpu_pass(struct bench *b, enum bench_mode m, uint8_t *p,
			 size_t npages, uint32_t seed)
{
	uint64_t a1 = seed;

	if (m == BENCH_READ) {
		*u64_at(b->scratch + SCRATCH_SUM) = 0;
		a1 = ptr(b->scratch + SCRATCH_SUM);
	}
	return gpu_run(b, mode_kernel[m], (uint32_t)npages, ptr(p), a1,
		       PAGE_SZ);
}

/* What page i held before a pass: 0 (@fresh) or what bench_populate() stored. */
static uint32_t before_pass(size_t i, bool fresh)
{
	return fresh ? 0 : (uint32_t)((i & 0xff) | 1);
}

/*
 * A read pass's sum, checked against what the pages held, without the CPU
 * reading them: that would take them back from the GPU, whose driver may
 * have moved them to its memory.
 */
static void check_read_sum(struct bench *b, size_t npages, bool fresh)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < npages; i++)
		sum += before_pass(i, fresh);
	if (*u64_at(b->scratch + SCRATCH_SUM) != sum)
		wrong("read's sum", 0, *u64_at(b->scratch + SCRATCH_SUM), sum);
}

/* What a gpu_pass() over @p did, checked on the CPU. */
static void check_pass(struct bench *b, enum bench_mode m, uint8_t *p,
		       size_t npages, uint32_t seed, bool fresh)
{
	for (size_t i = 0; i < npages; i++) {
		uint32_t v = *u32_at(p + i * PAGE_SZ);
		uint32_t before = before_pass(i, fresh);
		uint32_t want = m == BENCH_WRITE ? seed + (uint32_t)i :
				m == BENCH_RW ? before + seed : before;

		if (v != want)
			wrong(bench_mode_names[m], i, v, want);
	}
	if (m == BENCH_READ)
		check_read_sum(b, npages, fresh);
}

/* One run of P1: fresh memory, touched once per page, checked. */
static double run_touch(struct bench *b, enum system sys, enum bench_mode m,
			size_t len, unsigned int run)
{
	size_t npages = len / PAGE_SZ;
	uint32_t seed = 0x5eed0000u + (run << 8);
	uint8_t *p = map_mem(len);
	uint64_t ns;

	if (sys == SYS_NVIDIA) {
		ns = gpu_pass(b, m, p, npages, seed);
		check_pass(b, m, p, npages, seed, true);
	} else {
		ns = bench_cpu_pass(m, p, npages);
	}
	unmap_mem(p, len);
	return (double)ns / 1e3 / (double)npages;
}

/* @s as a JSON string. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Emit one record: the runs' median, min and max (neuf-bench's shape). */
static void emit(struct bench *b, const char *kase, const char *memory,
		 const char *mode, const char *sys, unsigned int mib,
		 double *v, unsigned int n)
{
	double med = bench_quantile(v, n, 0.5);

	bench_json_sep(b->out, &b->first);
	fprintf(b->out, "{\"case\": \"%s\", \"memory\": \"%s\", \"mode\": \"%s\", "
		"\"system\": \"%s\", \"ablation\": \"all\", \"size_mib\": %u, "
		"\"runs\": %u, \"us_per_page\": {\"median\": %.3f, \"min\": %.3f, "
		"\"max\": %.3f}}", kase, memory, mode, sys, mib, n, med, v[0],
		v[n - 1]);
	fflush(b->out);
}

/* P1: first touch of fresh memory, each mode, the GPU and the CPU. */
static void bench_touch(struct bench *b, unsigned int mib)
{
	double r[BENCH_MAX_RUNS];

	for (int m = 0; m < BENCH_NUM_MODES; m++) {
		for (int sys = 0; sys < NUM_SYSTEMS; sys++) {
			for (unsigned int i = 0; i < b->opt.runs; i++)
				r[i] = run_touch(b, sys, m, (size_t)mib * MIB, i);
			emit(b, "P1", "fresh-4k", bench_mode_names[m],
			     system_names[sys], mib, r, b->opt.runs);
		}
	}
}

/*
 * One P3 store of @value at @p by one invocation; with a GPU timer, its
 * time and the value read back land in the 16 bytes at @res. Returns the
 * wall time of the launch and the wait, in ns.
 */
static uint64_t timed_store(struct bench *b, uint8_t *p, uint32_t value,
			    uint8_t *res)
{
	if (b->gpu->caps & SVM_CAP_GPU_TIMER)
		return gpu_run(b, SVM_TIMED_STORE, 1, ptr(p), value, ptr(res));
	return gpu_run(b, SVM_FILL_STRIDED, 1, ptr(p), value, 0);
}

enum p3_series {
	P3_FAULT, P3_NO_FAULT, P3_LAUNCH_FAULT, P3_LAUNCH_NO_FAULT,
	P3_CPU_FAULT, P3_CPU_NO_FAULT, P3_BEYOND, P3_LAUNCH_BEYOND,
	P3_CPU_BEYOND, NUM_P3
};
static const char *const p3_names[NUM_P3] = {
	"nvidia-fault", "nvidia-no-fault", "nvidia-launch-fault",
	"nvidia-launch-no-fault", "cpu-fault", "cpu-no-fault", "nvidia-beyond",
	"nvidia-launch-beyond", "cpu-beyond",
};

/*
 * P3: one fault's round trip, as neuf-bench's: each sample a
 * one-invocation store to a page nothing touched before, beside one to a
 * page the GPU maps already, alternated so that drift hits both alike.
 * The GPU's pages are P3_STRIDE apart (the CPU's, as neuf-bench's, are
 * adjacent). The GPU's results go to pages of their own, which the GPU
 * maps before the samples and the CPU reads only after them: a CPU access
 * between two samples could take a page from the GPU (or migrate it back).
 */
static void bench_round_trip(struct bench *b)
{
	size_t n = b->opt.samples, len = (n + 1) * P3_STRIDE;
	size_t cpu_len = (n + 1) * PAGE_SZ;
	size_t res_len = (2 * n * 16 + PAGE_SZ - 1) & ~(PAGE_SZ - 1);
	bool timer = b->gpu->caps & SVM_CAP_GPU_TIMER;
	double *v[NUM_P3];
	uint8_t *p, *res, *mapped;

	for (int s = 0; s < NUM_P3; s++) {
		v[s] = calloc(n, sizeof(double));
		if (!v[s])
			bench_die("calloc", ENOMEM);
	}
	p = map_mem(len);
	res = map_mem(res_len);
	mapped = p + n * P3_STRIDE;
	gpu_run(b, SVM_FILL, (uint32_t)(res_len / 4), ptr(res), 0, 0);
	timed_store(b, mapped, 1, res);		/* the mapped page */
	for (size_t i = 0; i < n; i++) {
		v[P3_LAUNCH_NO_FAULT][i] = (double)timed_store(b, mapped,
				0x0f000000u | (uint32_t)i, res + 32 * i) / 1e3;
		v[P3_LAUNCH_FAULT][i] = (double)timed_store(b, p + i * P3_STRIDE,
				0xfa000000u | (uint32_t)i, res + 32 * i + 16) / 1e3;
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t want = 0xfa000000u | (uint32_t)i;

		if (*u32_at(p + i * P3_STRIDE) != want)
			wrong("P3's store", i, *u32_at(p + i * P3_STRIDE), want);
		for (int f = 0; timer && f < 2; f++) {
			uint8_t *r = res + 32 * i + 16 * f;
			uint32_t back = *u32_at(r + 8);

			want = (f ? 0xfa000000u : 0x0f000000u) | (uint32_t)i;
			if (back != want)
				wrong("P3's read-back", i, back, want);
			v[f ? P3_FAULT : P3_NO_FAULT][i] = (double)*u64_at(r) / 1e3;
		}
	}
	if (*u32_at(mapped) != (0x0f000000u | (uint32_t)(n - 1)))
		wrong("P3's mapped page", n, *u32_at(mapped),
		      0x0f000000u | (uint32_t)(n - 1));
	unmap_mem(res, res_len);
	unmap_mem(p, len);

	p = map_mem(cpu_len);
	mapped = p + n * PAGE_SZ;
	mapped[0] = 1;
	for (size_t i = 0; i < n; i++) {
		v[P3_CPU_NO_FAULT][i] = (double)bench_cpu_pass(BENCH_WRITE,
							mapped, 1) / 1e3;
		v[P3_CPU_FAULT][i] = (double)bench_cpu_pass(BENCH_WRITE,
						p + i * PAGE_SZ, 1) / 1e3;
	}
	unmap_mem(p, cpu_len);

	/* Each fault's cost: the pairs were taken one after the other. */
	for (size_t i = 0; i < n; i++) {
		v[P3_BEYOND][i] = v[P3_FAULT][i] - v[P3_NO_FAULT][i];
		v[P3_LAUNCH_BEYOND][i] = v[P3_LAUNCH_FAULT][i] -
					 v[P3_LAUNCH_NO_FAULT][i];
		v[P3_CPU_BEYOND][i] = v[P3_CPU_FAULT][i] - v[P3_CPU_NO_FAULT][i];
	}
	for (int s = 0; s < NUM_P3; s++) {
		double med, p90;

		if (!timer && (s == P3_FAULT || s == P3_NO_FAULT ||
			       s == P3_BEYOND)) {
			free(v[s]);
			continue;
		}
		/* bench_quantile() sorts: v[0] is the minimum only after it. */
		med = bench_quantile(v[s], (unsigned int)n, 0.5);
		p90 = bench_quantile(v[s], (unsigned int)n, 0.9);
		bench_json_sep(b->out, &b->first);
		fprintf(b->out, "{\"case\": \"P3\", \"series\": \"%s\", "
			"\"samples\": %zu, \"us\": {\"median\": %.3f, "
			"\"p90\": %.3f, \"min\": %.3f}}", p3_names[s], n,
			med, p90, v[s][0]);
		fflush(b->out);
		free(v[s]);
	}
}

/*
 * P4: munmap() of @mib MiB of CPU-populated memory, after a GPU read of
 * every page (the GPU maps it) or never mirrored, as neuf-bench's.
 */
static void bench_munmap(struct bench *b, unsigned int mib)
{
	static const char *const kinds[] = { "nvidia", "never-mirrored" };
	size_t len = (size_t)mib * MIB, npages = len / PAGE_SZ;
	double r[BENCH_MAX_RUNS];

	for (unsigned int k = 0; k < 2; k++) {
		for (unsigned int i = 0; i < b->opt.runs; i++) {
			uint8_t *p = map_mem(len);
			uint64_t t0;

			bench_populate(p, len);
			if (k == 0) {
				/* Checked by its sum: the pages stay the GPU's. */
				gpu_pass(b, BENCH_READ, p, npages, 0);
				check_read_sum(b, npages, false);
			}
			t0 = bench_now_ns();
			unmap_mem(p, len);
			r[i] = (double)(bench_now_ns() - t0) / 1e3 / (double)npages;
		}
		emit(b, "P4", "populated-4k", "munmap", kinds[k], mib, r,
		     b->opt.runs);
	}
}

/*
 * One run of each kernel the cases use, on the scratch page, before
 * anything is measured: CUDA loads a module's kernels lazily, at their
 * first launch, which no figure should include. Then the GPU timer's step,
 * which P3's GPU-timed figures are quantised to.
 */
static void warm_up(struct bench *b)
{
	uint8_t *w = b->scratch + SCRATCH_WARM;

	gpu_run(b, SVM_FILL, 1, ptr(w), 5, 0);
	gpu_run(b, SVM_FILL_STRIDED, 1, ptr(w), 6, PAGE_SZ);
	gpu_run(b, SVM_RMW_STRIDED, 1, ptr(w), 1, PAGE_SZ);
	*u64_at(b->scratch + SCRATCH_SUM) = 0;
	gpu_run(b, SVM_READ_STRIDED, 1, ptr(w), ptr(b->scratch + SCRATCH_SUM),
		PAGE_SZ);
	if (*u64_at(b->scratch + SCRATCH_SUM) != 7)
		wrong("warm-up", 0, *u64_at(b->scratch + SCRATCH_SUM), 7);
	if (b->gpu->caps & SVM_CAP_GPU_TIMER) {
		gpu_run(b, SVM_TIMED_STORE, 1, ptr(w), 8,
			ptr(b->scratch + SCRATCH_TIMED));
		if (*u32_at(b->scratch + SCRATCH_TIMED + 8) != 8)
			wrong("warm-up's read-back", 0,
			      *u32_at(b->scratch + SCRATCH_TIMED + 8), 8);
		gpu_run(b, SVM_TIMER_STEP, 1, ptr(b->scratch + SCRATCH_STEP),
			TIMER_CHANGES, 0);
		b->timer_step_ns = *u64_at(b->scratch + SCRATCH_STEP);
		if (!b->timer_step_ns) {
			fprintf(stderr, "neuf-bench-nvidia: the GPU timer did "
				"not advance in 2^24 reads\n");
			exit(1);
		}
		fprintf(stderr, "neuf-bench-nvidia: the GPU timer's step: %"
			PRIu64 " ns\n", b->timer_step_ns);
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: neuf-bench-nvidia [--sizes MIB,...] [--runs N] [--samples N]\n"
		"                         [--only P1,P3,P4] [--out FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct bench b = { .opt = BENCH_OPTIONS_DEFAULT, .first = true };
	char why[512] = "";
	struct utsname u;
	int ret;

	for (int i = 1; i < argc; i += 2)
		if (i + 1 >= argc ||
		    bench_take_option(&b.opt, argv[i], argv[i + 1], only_names,
				      MAX_SAMPLES) <= 0)
			usage();

	b.gpu = svm_backend_cuda();
	if (!b.gpu)
		bench_die("svm_backend_cuda", ENOMEM);
	ret = b.gpu->ops->open(b.gpu, why, sizeof(why));
	if (ret) {
		fprintf(stderr, "neuf-bench-nvidia: cannot run: %s\n",
			why[0] ? why : strerror(-ret));
		svm_backend_free(b.gpu);
		return 77;
	}
	fprintf(stderr, "neuf-bench-nvidia: %s backend: %s\n", b.gpu->name,
		b.gpu->device);
	b.out = stdout;
	if (b.opt.out) {
		b.out = fopen(b.opt.out, "we");
		if (!b.out)
			bench_die(b.opt.out, errno);
	}
	b.scratch = map_mem(PAGE_SZ);
	warm_up(&b);

	if (uname(&u))
		bench_die("uname", errno);
	fprintf(b.out, "{\n  \"gpu\": ");
	json_str(b.out, b.gpu->device);
	fprintf(b.out, ", \"backend\": ");
	json_str(b.out, b.gpu->name);
	fprintf(b.out, ", \"kernel\": \"%s %s\", \"runs\": %u, "
		"\"samples\": %u, \"gpu_timer\": %s, \"gpu_timer_step_ns\": ",
		u.release, u.machine, b.opt.runs, b.opt.samples,
		b.gpu->caps & SVM_CAP_GPU_TIMER ? "true" : "false");
	if (b.timer_step_ns)
		fprintf(b.out, "%" PRIu64, b.timer_step_ns);
	else
		fprintf(b.out, "null");
	fprintf(b.out, ",\n  \"records\": [");
	for (unsigned int i = 0; i < b.opt.num_sizes; i++) {
		fprintf(stderr, "neuf-bench-nvidia: %u MiB\n", b.opt.sizes[i]);
		if (b.opt.only & CASE_P1)
			bench_touch(&b, b.opt.sizes[i]);
		if (b.opt.only & CASE_P4)
			bench_munmap(&b, b.opt.sizes[i]);
	}
	if (b.opt.only & CASE_P3) {
		fprintf(stderr, "neuf-bench-nvidia: round trip\n");
		bench_round_trip(&b);
	}
	fprintf(b.out, "\n  ]\n}\n");
	if (fflush(b.out) || ferror(b.out))
		bench_die("writing the JSON", EIO);
	if (b.out != stdout && fclose(b.out))
		bench_die("closing the JSON", errno);
	if (b.gpu->recoveries)
		fprintf(stderr, "neuf-bench-nvidia: %u CUDA context(s) rebuilt\n",
			b.gpu->recoveries);
	unmap_mem(b.scratch, PAGE_SZ);
	svm_backend_free(b.gpu);
	return 0;
}
