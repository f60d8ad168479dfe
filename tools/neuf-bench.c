// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * neuf-bench: the fault path of neuf measured against its peers in one
 * boot: the kernel's own HMM test driver (test_hmm, /dev/hmm_dmirror0) and
 * the CPU, on the same memory. Runs in the guest (tools/bench.sh boots it);
 * writes one JSON document, which tools/neuf-bench-report turns into
 * tables and a plot.
 *
 *   P1   first touch of fresh 4 KiB-page memory: read, write, read then
 *        write, one access per page
 *   P1'  the same on memory the CPU populated first
 *   P2   the same on CPU-populated transparent huge pages
 *   P3   one fault's round trip: a one-invocation dispatch that faults,
 *        against one that does not, and the CPU's own first-touch fault
 *   P4   munmap() of memory the GPU maps, of memory never mirrored, and
 *        of memory test_hmm mirrors, with 4 KiB pages and huge pages
 *   P1x4 P1's read then write by four processes at once, each with its
 *        own VM (test_hmm mirror) over its share of the memory: what
 *        serving VMs' faults concurrently buys (at the ablation's size)
 *   P5   migration of populated memory to VRAM and back: by prefetch in
 *        2 MiB windows and page by page (4 KiB), driven by GPU faults on
 *        a range preferring VRAM and by CPU faults on VRAM pages, a GPU
 *        pass over VRAM-resident pages (it takes no fault), against
 *        memcpy() and test_hmm's own migration in the same boot (needs
 *        device memory: skipped without)
 *   P6   the GPU's own speed, no fault taken: a loop of integer
 *        instructions in one wave and in every resident wave (us per wave
 *        step), and a read pass over memory the GPU maps already, with
 *        4 KiB and with 2 MiB pages (us per page; at the ablation's
 *        size): the floor under P1', P2 and P5's GPU pass
 *
 * Every figure is the median of --runs runs (fresh memory each), with the
 * minimum and maximum, in microseconds per 4 KiB page; neuf's figures come
 * with the VM's counters (faults, batches, windows...) per page. An
 * ablation reruns neuf's cases at one size with each technique of the
 * fault path switched off through neuf's module parameters.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libneuf.h"
#include "neuf_asm.h"
#include "bench_util.h"

#define PAGE_SZ BENCH_PAGE_SZ
#define HUGE_SZ (2ul << 20)
#define MIB (1ul << 20)
#define TIMEOUT_NS (1200ll * 1000000000ll)
#define PARAM_DIR "/sys/module/neuf/parameters/"
#define P1X4_PROCS 4

/* What bench_die()'s messages start with. */
const char bench_prog[] = "neuf-bench";

/*
 * The ioctl interface of the kernel's test_hmm module (lib/test_hmm_uapi.h
 * in the kernel's source), which is an ABI: a command names npages of
 * process memory at addr, mirrored through the test driver's own page
 * tables, and a user buffer at ptr to copy to or from.
 */
struct hmm_cmd {
	uint64_t addr;
	uint64_t ptr;
	uint64_t npages;
	uint64_t cpages;
	uint64_t faults;
};

#define HMM_CMD_READ _IOWR('H', 0x00, struct hmm_cmd)
#define HMM_CMD_WRITE _IOWR('H', 0x01, struct hmm_cmd)
#define HMM_CMD_MIGRATE_TO_DEV _IOWR('H', 0x02, struct hmm_cmd)
#define HMM_CMD_MIGRATE_TO_SYS _IOWR('H', 0x03, struct hmm_cmd)

/* P5 page by page only up to this size: one ioctl per page. */
#define P5_4K_MAX_MIB 16

/* One u32 per page: arg0 the base, arg1 the stride (a page). */
static const char read_src[] =
	"sreg r1, global_id\n"
	"sreg r2, arg0\n"
	"sreg r3, arg1\n"
	"mul r4, r1, r3\n"
	"add r4, r2, r4\n"
	"ld32 r5, [r4]\n"
	"halt\n";

static const char write_src[] =
	"sreg r1, global_id\n"
	"sreg r2, arg0\n"
	"sreg r3, arg1\n"
	"mul r4, r1, r3\n"
	"add r4, r2, r4\n"
	"st32 [r4], r1\n"
	"halt\n";

static const char rw_src[] =
	"sreg r1, global_id\n"
	"sreg r2, arg0\n"
	"sreg r3, arg1\n"
	"mul r4, r1, r3\n"
	"add r4, r2, r4\n"
	"ld32 r5, [r4]\n"
	"add r5, r5, r1\n"
	"st32 [r4], r5\n"
	"halt\n";

enum memory { MEM_FRESH, MEM_POPULATED, MEM_THP };
static const char *const memory_names[] = { "fresh-4k", "populated-4k",
					    "populated-thp" };
static const char *const case_names[] = { "P1", "P1'", "P2" };

struct bench {
	struct neuf_device *dev;
	uint32_t vm;
	struct neuf_asm_program shader[BENCH_NUM_MODES];
	int hmm;		/* /dev/hmm_dmirror0, or -1 */
	uint8_t *hmm_buf;	/* test_hmm's user buffer, largest size */
	struct bench_options opt;	/* only: CASE_* bits */
	unsigned int ablation_mib;
	bool neuf_only;		/* measure neither test_hmm nor the CPU */
	FILE *out;
	bool first;
};

enum {
	CASE_P1 = 1, CASE_P1P = 2, CASE_P2 = 4, CASE_P3 = 8, CASE_P4 = 16,
	CASE_P1X4 = 32, CASE_P5 = 64, CASE_P6 = 128,
};
/* --only's names: only_names[i] is bit i of the CASE_* bits. */
static const char *const only_names[] = {
	"P1", "P1'", "P2", "P3", "P4", "P1x4", "P5", "P6", NULL,
};

/* What one run measured: time and, for neuf, the VM's counters. */
struct sample {
	double us_per_page;
	struct drm_neuf_vm_stats d;
};

/*
 * @len bytes of private anonymous memory: base pages only, or (@thp)
 * 2 MiB aligned and advised for huge pages. Freed with unmap_mem().
 */
static uint8_t *map_mem(size_t len, bool thp, void **mapping, size_t *maplen)
{
	size_t extra = thp ? HUGE_SZ : 0;
	uint8_t *p = mmap(NULL, len + extra, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *a;

	if (p == MAP_FAILED)
		bench_die("mmap", errno);
	a = thp ? (uint8_t *)(((uintptr_t)p + HUGE_SZ - 1) & ~(HUGE_SZ - 1)) : p;
	if (madvise(a, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		bench_die("madvise", errno);
	*mapping = p;
	*maplen = len + extra;
	return a;
}

static struct drm_neuf_vm_stats vm_stats(struct bench *b)
{
	struct drm_neuf_vm_stats s;
	int ret = neuf_vm_stats(b->dev, b->vm, &s);

	if (ret)
		bench_die("VM_STATS", -ret);
	return s;
}

static void stats_sub(struct drm_neuf_vm_stats *d,
		      const struct drm_neuf_vm_stats *a,
		      const struct drm_neuf_vm_stats *b)
{
	d->faults = a->faults - b->faults;
	d->batches = a->batches - b->batches;
	d->pages_mapped = a->pages_mapped - b->pages_mapped;
	d->invalidations = a->invalidations - b->invalidations;
	d->retries = a->retries - b->retries;
	d->windows = a->windows - b->windows;
	d->huge_mapped = a->huge_mapped - b->huge_mapped;
	d->cancels = a->cancels - b->cancels;
}

/* One access per page of @p on the GPU; returns the wall time in ns. */
static uint64_t gpu_pass(struct bench *b, enum bench_mode m, uint8_t *p,
			 size_t npages)
{
	struct neuf_dispatch d = {
		.code = (uint64_t)(uintptr_t)b->shader[m].code,
		.grid_size = (uint32_t)npages,
		.group_size = 32,
		.args = { (uint64_t)(uintptr_t)p, PAGE_SZ },
	};
	struct drm_neuf_job_status st;
	uint64_t t0 = bench_now_ns();
	int ret = neuf_run(b->dev, b->vm, &d, TIMEOUT_NS, &st);

	if (ret)
		bench_die("running a dispatch", -ret);
	if (st.error)
		bench_die("a dispatch failed", -st.error);
	return bench_now_ns() - t0;
}

static void hmm_cmd(struct bench *b, unsigned long req, uint8_t *p,
		    size_t npages)
{
	struct hmm_cmd c = {
		.addr = (uint64_t)(uintptr_t)p,
		.ptr = (uint64_t)(uintptr_t)b->hmm_buf,
		.npages = npages,
	};

	if (ioctl(b->hmm, req, &c))
		bench_die("test_hmm", errno);
}

static uint64_t hmm_pass(struct bench *b, enum bench_mode m, uint8_t *p,
			 size_t npages)
{
	uint64_t t0 = bench_now_ns();

	if (m != BENCH_WRITE)
		hmm_cmd(b, HMM_CMD_READ, p, npages);
	if (m != BENCH_READ)
		hmm_cmd(b, HMM_CMD_WRITE, p, npages);
	return bench_now_ns() - t0;
}

enum system { SYS_NEUF, SYS_HMM, SYS_CPU, NUM_SYSTEMS };
static const char *const system_names[] = { "neuf", "test_hmm", "cpu" };

/* One run of a P1/P1'/P2 case: fresh memory, prepared, measured. */
static struct sample run_touch(struct bench *b, enum system sys,
			       enum memory mem, enum bench_mode m, size_t len)
{
	size_t npages = len / PAGE_SZ, maplen;
	struct drm_neuf_vm_stats s0, s1;
	struct sample r = { 0 };
	void *mapping;
	uint8_t *p = map_mem(len, mem == MEM_THP, &mapping, &maplen);
	uint64_t ns;

	if (mem != MEM_FRESH)
		bench_populate(p, len);
	s0 = vm_stats(b);
	switch (sys) {
	case SYS_NEUF:
		ns = gpu_pass(b, m, p, npages);
		break;
	case SYS_HMM:
		ns = hmm_pass(b, m, p, npages);
		break;
	default:
		ns = bench_cpu_pass(m, p, npages);
		break;
	}
	s1 = vm_stats(b);
	stats_sub(&r.d, &s1, &s0);
	r.us_per_page = (double)ns / 1e3 / (double)npages;
	munmap(mapping, maplen);
	return r;
}

/* Emit one record: the runs' median, min and max, and neuf's counters. */
static void emit(struct bench *b, const char *kase, const char *memory,
		 const char *mode, const char *sys, const char *ablation,
		 unsigned int mib, struct sample *r, unsigned int n)
{
	double v[BENCH_MAX_RUNS], pages = (double)mib * MIB / PAGE_SZ * n;
	struct drm_neuf_vm_stats t = { 0 };
	double med, lo, hi;

	for (unsigned int i = 0; i < n; i++) {
		v[i] = r[i].us_per_page;
		t.faults += r[i].d.faults;
		t.batches += r[i].d.batches;
		t.pages_mapped += r[i].d.pages_mapped;
		t.invalidations += r[i].d.invalidations;
		t.retries += r[i].d.retries;
		t.windows += r[i].d.windows;
		t.huge_mapped += r[i].d.huge_mapped;
	}
	med = bench_quantile(v, n, 0.5);
	lo = v[0];
	hi = v[n - 1];
	bench_json_sep(b->out, &b->first);
	fprintf(b->out, "{\"case\": \"%s\", \"memory\": \"%s\", \"mode\": \"%s\", "
		"\"system\": \"%s\", \"ablation\": \"%s\", \"size_mib\": %u, "
		"\"runs\": %u, \"us_per_page\": {\"median\": %.3f, \"min\": %.3f, "
		"\"max\": %.3f}", kase, memory, mode, sys, ablation, mib, n, med,
		lo, hi);
	if (!strcmp(sys, "neuf"))
		fprintf(b->out, ", \"faults_per_page\": %.4f, "
			"\"pages_per_batch\": %.1f, \"windows_per_page\": %.4f, "
			"\"retries_per_page\": %.4f, "
			"\"invalidations_per_page\": %.4f, \"huge_mapped\": %.1f",
			(double)t.faults / pages,
			t.batches ? (double)t.pages_mapped / (double)t.batches : 0.0,
			(double)t.windows / pages, (double)t.retries / pages,
			(double)t.invalidations / pages,
			(double)t.huge_mapped / n);
	fputc('}', b->out);
	fflush(b->out);
}

static void bench_touch(struct bench *b, enum memory mem, unsigned int mib,
			const char *ablation, bool neuf_only)
{
	struct sample r[BENCH_MAX_RUNS];

	for (int m = 0; m < BENCH_NUM_MODES; m++) {
		for (int sys = 0; sys < NUM_SYSTEMS; sys++) {
			if (sys == SYS_HMM && b->hmm < 0)
				continue;
			if (neuf_only && sys != SYS_NEUF)
				continue;
			for (unsigned int i = 0; i < b->opt.runs; i++)
				r[i] = run_touch(b, sys, mem, m, (size_t)mib * MIB);
			emit(b, case_names[mem], memory_names[mem],
			     bench_mode_names[m], system_names[sys], ablation,
			     mib, r, b->opt.runs);
		}
	}
}

/*
 * P3: one fault's round trip. Each sample is a one-invocation dispatch
 * writing a page nothing touched before, beside one writing a page the
 * GPU maps already, alternated so that drift hits both alike; the CPU's
 * figure is a store to a fresh page beside one to a mapped page.
 */
static void bench_round_trip(struct bench *b)
{
	size_t n = b->opt.samples, len = (n + 1) * PAGE_SZ, maplen;
	double *fault = calloc(n, sizeof(double));
	double *nofault = calloc(n, sizeof(double));
	double *cpu_fault = calloc(n, sizeof(double));
	double *cpu_nofault = calloc(n, sizeof(double));
	double *gpu_beyond = calloc(n, sizeof(double));
	double *cpu_beyond = calloc(n, sizeof(double));
	struct { const char *name; double *v; } series[] = {
		{ "neuf-fault", fault }, { "neuf-no-fault", nofault },
		{ "cpu-fault", cpu_fault }, { "cpu-no-fault", cpu_nofault },
		{ "neuf-beyond", gpu_beyond }, { "cpu-beyond", cpu_beyond },
	};
	void *mapping;
	uint8_t *p;

	if (!fault || !nofault || !cpu_fault || !cpu_nofault || !gpu_beyond ||
	    !cpu_beyond)
		bench_die("calloc", ENOMEM);
	p = map_mem(len, false, &mapping, &maplen);
	gpu_pass(b, BENCH_WRITE, p + n * PAGE_SZ, 1);	/* the mapped page */
	for (size_t i = 0; i < n; i++) {
		nofault[i] = (double)gpu_pass(b, BENCH_WRITE, p + n * PAGE_SZ, 1) / 1e3;
		fault[i] = (double)gpu_pass(b, BENCH_WRITE, p + i * PAGE_SZ, 1) / 1e3;
	}
	munmap(mapping, maplen);

	p = map_mem(len, false, &mapping, &maplen);
	p[n * PAGE_SZ] = 1;
	for (size_t i = 0; i < n; i++) {
		cpu_nofault[i] = (double)bench_cpu_pass(BENCH_WRITE,
						p + n * PAGE_SZ, 1) / 1e3;
		cpu_fault[i] = (double)bench_cpu_pass(BENCH_WRITE,
						p + i * PAGE_SZ, 1) / 1e3;
	}
	munmap(mapping, maplen);

	/* Each fault's cost: the pairs were taken one after the other. */
	for (size_t i = 0; i < n; i++) {
		gpu_beyond[i] = fault[i] - nofault[i];
		cpu_beyond[i] = cpu_fault[i] - cpu_nofault[i];
	}
	for (size_t s = 0; s < sizeof(series) / sizeof(series[0]); s++) {
		double *v = series[s].v, med, p90;

		/* bench_quantile() sorts: v[0] is the minimum only after it. */
		med = bench_quantile(v, (unsigned int)n, 0.5);
		p90 = bench_quantile(v, (unsigned int)n, 0.9);
		bench_json_sep(b->out, &b->first);
		fprintf(b->out, "{\"case\": \"P3\", \"series\": \"%s\", "
			"\"samples\": %zu, \"us\": {\"median\": %.3f, "
			"\"p90\": %.3f, \"min\": %.3f}}", series[s].name, n,
			med, p90, v[0]);
		free(v);
	}
}

/* P4: munmap() of @mib MiB mapped by @sys (NULL: never mirrored). */
static void bench_munmap(struct bench *b, bool thp, unsigned int mib,
			 const char *ablation, bool neuf_only)
{
	static const char *const kinds[] = { "neuf", "never-mirrored", "test_hmm" };
	size_t len = (size_t)mib * MIB, npages = len / PAGE_SZ;
	struct sample r[BENCH_MAX_RUNS];

	for (unsigned int k = 0; k < 3; k++) {
		if ((k == 2 && b->hmm < 0) || (neuf_only && k != 0))
			continue;
		for (unsigned int i = 0; i < b->opt.runs; i++) {
			struct drm_neuf_vm_stats s0, s1;
			size_t maplen;
			void *mapping;
			uint8_t *p = map_mem(len, thp, &mapping, &maplen);
			uint64_t t0;

			bench_populate(p, len);
			if (k == 0)
				gpu_pass(b, BENCH_READ, p, npages);
			else if (k == 2)
				hmm_cmd(b, HMM_CMD_READ, p, npages);
			s0 = vm_stats(b);
			t0 = bench_now_ns();
			if (munmap(mapping, maplen))
				bench_die("munmap", errno);
			r[i].us_per_page = (double)(bench_now_ns() - t0) / 1e3 /
					   (double)npages;
			s1 = vm_stats(b);
			stats_sub(&r[i].d, &s1, &s0);
		}
		emit(b, "P4", thp ? "populated-thp" : "populated-4k", "munmap",
		     kinds[k], ablation, mib, r, b->opt.runs);
	}
}

/*
 * One process of a P1x4 run: its own VM (or test_hmm mirror) and memory,
 * ready when it says so on @ready, started when @go closes; it sends its
 * VM's counters on @ready when done.
 */
static void concurrent_child(struct bench *b, enum system sys, size_t len,
			     int ready, int go)
{
	struct drm_neuf_vm_stats s0 = { 0 }, s1 = { 0 };
	size_t npages = len / PAGE_SZ, maplen;
	struct bench c = *b;
	void *mapping;
	uint8_t *p = map_mem(len, false, &mapping, &maplen);
	char byte;
	int ret;

	if (sys == SYS_NEUF) {
		ret = neuf_device_open(0, &c.dev);
		if (!ret)
			ret = neuf_vm_create(c.dev, NEUF_VM_CREATE_SVM, &c.vm);
		if (ret)
			bench_die("P1x4: a process's VM", -ret);
		s0 = vm_stats(&c);
	} else if (sys == SYS_HMM) {
		c.hmm = open("/dev/hmm_dmirror0", O_RDWR | O_CLOEXEC);
		c.hmm_buf = malloc(len);
		if (c.hmm < 0 || !c.hmm_buf)
			bench_die("P1x4: a process's test_hmm mirror", errno);
	}
	if (write(ready, "r", 1) != 1 || read(go, &byte, 1) != 0)
		bench_die("P1x4: start", errno);
	if (sys == SYS_NEUF)
		gpu_pass(&c, BENCH_RW, p, npages);
	else if (sys == SYS_HMM)
		hmm_pass(&c, BENCH_RW, p, npages);
	else
		bench_cpu_pass(BENCH_RW, p, npages);
	if (sys == SYS_NEUF) {
		s1 = vm_stats(&c);
		stats_sub(&s0, &s1, &s0);
	}
	if (write(ready, &s0, sizeof(s0)) != sizeof(s0))
		bench_die("P1x4: result", errno);
	_exit(0);
}

/* One P1x4 run: @mib MiB of fresh memory shared out among P1X4_PROCS processes. */
static struct sample run_concurrent(struct bench *b, enum system sys,
				    unsigned int mib)
{
	size_t len = (size_t)mib * MIB / P1X4_PROCS;
	struct sample r = { 0 };
	int ready[2], go[2];
	pid_t pid[P1X4_PROCS];
	uint64_t t0;
	char byte;

	if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC))
		bench_die("pipe", errno);
	fflush(NULL);
	for (int i = 0; i < P1X4_PROCS; i++) {
		pid[i] = fork();
		if (pid[i] < 0)
			bench_die("fork", errno);
		if (!pid[i]) {
			close(ready[0]);
			close(go[1]);
			concurrent_child(b, sys, len, ready[1], go[0]);
		}
	}
	close(ready[1]);
	close(go[0]);
	for (int i = 0; i < P1X4_PROCS; i++)
		if (read(ready[0], &byte, 1) != 1)
			bench_die("P1x4: a process did not get ready", EIO);
	t0 = bench_now_ns();
	close(go[1]);
	for (int i = 0; i < P1X4_PROCS; i++) {
		struct drm_neuf_vm_stats d;

		if (read(ready[0], &d, sizeof(d)) != sizeof(d))
			bench_die("P1x4: a process did not finish", EIO);
		r.d.faults += d.faults;
		r.d.batches += d.batches;
		r.d.pages_mapped += d.pages_mapped;
		r.d.invalidations += d.invalidations;
		r.d.retries += d.retries;
		r.d.windows += d.windows;
		r.d.huge_mapped += d.huge_mapped;
	}
	r.us_per_page = (double)(bench_now_ns() - t0) / 1e3 /
			((double)mib * MIB / PAGE_SZ);
	close(ready[0]);
	for (int i = 0; i < P1X4_PROCS; i++) {
		int status;

		if (waitpid(pid[i], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			bench_die("P1x4: a process failed", ECHILD);
	}
	return r;
}

/* P1x4: first touch, read then write, by P1X4_PROCS processes at once. */
static void bench_concurrent(struct bench *b, unsigned int mib,
			     const char *ablation, bool neuf_only)
{
	struct sample r[BENCH_MAX_RUNS];

	for (int sys = 0; sys < NUM_SYSTEMS; sys++) {
		if ((sys == SYS_HMM && b->hmm < 0) || (neuf_only && sys != SYS_NEUF))
			continue;
		for (unsigned int i = 0; i < b->opt.runs; i++)
			r[i] = run_concurrent(b, sys, mib);
		emit(b, "P1x4", "fresh-4k", "rw", system_names[sys], ablation,
		     mib, r, b->opt.runs);
	}
}

/* SVM_ATTR on [@p, @p + @len) of the bench's VM. */
static void svm_attr(struct bench *b, uint32_t op, uint8_t *p, size_t len,
		     uint32_t attrs, uint32_t location)
{
	struct drm_neuf_svm_attr a = {
		.vm_id = b->vm, .op = op, .start = (uint64_t)(uintptr_t)p,
		.size = len, .attrs = attrs, .location = location,
	};
	int ret = neuf_svm_attr(b->dev, &a);

	if (ret)
		bench_die("SVM_ATTR", -ret);
}

/* Prefetch to @location in steps of @step bytes; returns the time. */
static uint64_t prefetch_pass(struct bench *b, uint8_t *p, size_t len,
			      size_t step, uint32_t location)
{
	uint64_t t0 = bench_now_ns();

	for (size_t off = 0; off < len; off += step)
		svm_attr(b, NEUF_SVM_OP_PREFETCH, p + off, step, 0, location);
	return bench_now_ns() - t0;
}

enum p5_mode {
	P5_TO_VRAM_2M, P5_TO_RAM_2M, P5_TO_VRAM_4K, P5_TO_RAM_4K,
	P5_GPU_FAULT, P5_CPU_FAULT, P5_GPU_PASS, NUM_P5
};
static const char *const p5_names[NUM_P5] = {
	"prefetch-to-vram-2m", "prefetch-to-ram-2m", "prefetch-to-vram-4k",
	"prefetch-to-ram-4k", "gpu-fault-to-vram", "cpu-fault-to-ram",
	"gpu-pass-in-vram",
};

/*
 * One P5 run of neuf's: @len bytes populated, then the pair of migrations
 * (or the pass) @m names measured; returns its sample.
 */
static struct sample run_p5(struct bench *b, enum p5_mode m, size_t len)
{
	size_t npages = len / PAGE_SZ, maplen;
	struct drm_neuf_vm_stats s0, s1;
	struct sample r = { 0 };
	void *mapping;
	uint8_t *p = map_mem(len, false, &mapping, &maplen);
	uint64_t ns = 0;

	bench_populate(p, len);
	if (m == P5_TO_RAM_2M || m == P5_TO_RAM_4K || m == P5_CPU_FAULT ||
	    m == P5_GPU_PASS)
		prefetch_pass(b, p, len, HUGE_SZ, NEUF_SVM_LOC_VRAM);
	if (m == P5_GPU_FAULT)
		svm_attr(b, NEUF_SVM_OP_SET, p, len, NEUF_SVM_ATTR_LOCATION,
			 NEUF_SVM_LOC_VRAM);
	s0 = vm_stats(b);
	switch (m) {
	case P5_TO_VRAM_2M:
		ns = prefetch_pass(b, p, len, HUGE_SZ, NEUF_SVM_LOC_VRAM);
		break;
	case P5_TO_RAM_2M:
		ns = prefetch_pass(b, p, len, HUGE_SZ, NEUF_SVM_LOC_SYSTEM);
		break;
	case P5_TO_VRAM_4K:
		ns = prefetch_pass(b, p, len, PAGE_SZ, NEUF_SVM_LOC_VRAM);
		break;
	case P5_TO_RAM_4K:
		ns = prefetch_pass(b, p, len, PAGE_SZ, NEUF_SVM_LOC_SYSTEM);
		break;
	case P5_GPU_FAULT:
	case P5_GPU_PASS:
		ns = gpu_pass(b, BENCH_READ, p, npages);
		break;
	case P5_CPU_FAULT:
		ns = bench_cpu_pass(BENCH_READ, p, npages);
		break;
	default:
		break;
	}
	s1 = vm_stats(b);
	stats_sub(&r.d, &s1, &s0);
	r.us_per_page = (double)ns / 1e3 / (double)npages;
	munmap(mapping, maplen);
	return r;
}

/* One P5 run of a peer: memcpy(), or test_hmm's migration one way. */
static struct sample run_p5_peer(struct bench *b, enum p5_mode m, size_t len)
{
	size_t npages = len / PAGE_SZ, maplen, maplen2;
	struct sample r = { 0 };
	void *mapping, *mapping2;
	uint8_t *p = map_mem(len, false, &mapping, &maplen);
	uint8_t *q = NULL;
	uint64_t t0, ns;

	bench_populate(p, len);
	if (m == NUM_P5) {
		/* memcpy() between two populated buffers */
		q = map_mem(len, false, &mapping2, &maplen2);
		bench_populate(q, len);
		t0 = bench_now_ns();
		memcpy(q, p, len);
		ns = bench_now_ns() - t0;
		munmap(mapping2, maplen2);
	} else {
		if (m == P5_TO_RAM_2M)
			hmm_cmd(b, HMM_CMD_MIGRATE_TO_DEV, p, npages);
		t0 = bench_now_ns();
		hmm_cmd(b, m == P5_TO_RAM_2M ? HMM_CMD_MIGRATE_TO_SYS :
			HMM_CMD_MIGRATE_TO_DEV, p, npages);
		ns = bench_now_ns() - t0;
	}
	r.us_per_page = (double)ns / 1e3 / (double)npages;
	munmap(mapping, maplen);
	return r;
}

/* P5: migration both ways, against memcpy() and test_hmm's migration. */
static void bench_migrate(struct bench *b, unsigned int mib, bool neuf_only)
{
	size_t len = (size_t)mib * MIB;
	struct sample r[BENCH_MAX_RUNS];
	uint64_t vram = 0;

	if (neuf_getparam(b->dev, NEUF_PARAM_VRAM_SIZE, &vram) || !vram ||
	    len > vram) {
		fprintf(stderr, "neuf-bench: P5 at %u MiB skipped: %" PRIu64
			" MiB of device memory\n", mib, vram >> 20);
		return;
	}
	for (unsigned int m = 0; m < NUM_P5; m++) {
		if ((m == P5_TO_VRAM_4K || m == P5_TO_RAM_4K) &&
		    mib > P5_4K_MAX_MIB)
			continue;
		for (unsigned int i = 0; i < b->opt.runs; i++)
			r[i] = run_p5(b, (enum p5_mode)m, len);
		emit(b, "P5", "populated-4k", p5_names[m], "neuf", "all", mib,
		     r, b->opt.runs);
	}
	if (neuf_only)
		return;
	for (unsigned int i = 0; i < b->opt.runs; i++)
		r[i] = run_p5_peer(b, NUM_P5, len);
	emit(b, "P5", "populated-4k", "memcpy", "cpu", "all", mib, r, b->opt.runs);
	if (b->hmm < 0)
		return;
	for (unsigned int m = P5_TO_VRAM_2M; m <= P5_TO_RAM_2M; m++) {
		for (unsigned int i = 0; i < b->opt.runs; i++)
			r[i] = run_p5_peer(b, (enum p5_mode)m, len);
		emit(b, "P5", "populated-4k", p5_names[m], "test_hmm", "all",
		     mib, r, b->opt.runs);
	}
}

/* P6: each lane counts to arg0, two instructions a trip. */
static const char loop_src[] =
	"sreg r1, arg0\n"
	"li r2, 0\n"
	"trip:\n"
	"addi r2, r2, 1\n"
	"b.ltu r2, r1, trip\n"
	"halt\n";

#define P6_TRIPS 20000u

/* One P6 record: the median, minimum and maximum of @n samples in @unit. */
static void emit_speed(struct bench *b, const char *series, const char *unit,
		       double *v, unsigned int n)
{
	double med = bench_quantile(v, n, 0.5);

	bench_json_sep(b->out, &b->first);
	fprintf(b->out, "{\"case\": \"P6\", \"series\": \"%s\", "
		"\"unit\": \"%s\", \"runs\": %u, \"median\": %.4f, "
		"\"min\": %.4f, \"max\": %.4f}", series, unit, n, med, v[0],
		v[n - 1]);
	fflush(b->out);
}

/*
 * P6: what the GPU costs when nothing faults. The loops run a fault-free
 * dispatch of P6_TRIPS trips in one wave, then in as many waves as an
 * engine keeps resident; the passes read one word a page of @mib MiB the
 * GPU mapped in a pass before, base pages then huge pages.
 */
static void bench_speed(struct bench *b, unsigned int mib)
{
	static const struct { const char *series; uint32_t lanes; } loops[] = {
		{ "loop-1-wave", 32 }, { "loop-4-waves", 128 },
	};
	size_t len = (size_t)mib * MIB, npages = len / PAGE_SZ, maplen;
	struct neuf_asm_program loop;
	double v[BENCH_MAX_RUNS];
	void *mapping;
	char err[128];
	uint8_t *p;
	int ret;

	ret = neuf_assemble(loop_src, &loop, err, sizeof(err));
	if (ret)
		bench_die(err, -ret);
	for (size_t k = 0; k < sizeof(loops) / sizeof(loops[0]); k++) {
		struct neuf_dispatch d = {
			.code = (uint64_t)(uintptr_t)loop.code,
			.grid_size = loops[k].lanes,
			.group_size = 32,
			.args = { P6_TRIPS },
		};
		/* Steps of all waves: two a trip, and the sreg, li and halt. */
		double steps = (2.0 * P6_TRIPS + 3) * (loops[k].lanes / 32);

		for (unsigned int i = 0; i < b->opt.runs; i++) {
			struct drm_neuf_job_status st;
			uint64_t t0 = bench_now_ns();

			ret = neuf_run(b->dev, b->vm, &d, TIMEOUT_NS, &st);
			if (ret || st.error)
				bench_die("P6: a loop", ret ? -ret : -st.error);
			v[i] = (double)(bench_now_ns() - t0) / 1e3 / steps;
		}
		emit_speed(b, loops[k].series, "us per wave step", v,
			   b->opt.runs);
	}
	neuf_asm_program_free(&loop);

	for (int thp = 0; thp < 2; thp++) {
		p = map_mem(len, thp, &mapping, &maplen);
		bench_populate(p, len);
		gpu_pass(b, BENCH_READ, p, npages);
		for (unsigned int i = 0; i < b->opt.runs; i++)
			v[i] = (double)gpu_pass(b, BENCH_READ, p, npages) / 1e3 /
			       (double)npages;
		emit_speed(b, thp ? "pass-mapped-thp" : "pass-mapped-4k",
			   "us per page", v, b->opt.runs);
		munmap(mapping, maplen);
	}
}

static int param_write(const char *name, const char *value)
{
	char path[128];
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	if (fputs(value, f) < 0)
		ret = -EIO;
	if (fclose(f))
		ret = -errno;
	return ret;
}

/*
 * A VM of its own for each row of the ablation: the size of a VM's
 * interval notifiers is fixed when it is created.
 */
static void new_vm(struct bench *b)
{
	int ret = neuf_vm_destroy(b->dev, b->vm);

	if (!ret)
		ret = neuf_vm_create(b->dev, NEUF_VM_CREATE_SVM, &b->vm);
	if (ret)
		bench_die("recreating the VM", -ret);
}

/* neuf's cases at one size, with each technique switched off in turn. */
static void bench_ablation(struct bench *b)
{
	static const struct {
		const char *param, *off, *on;
	} params[] = {
		{ NULL, NULL, NULL },
		{ "fault_windows", "N", "Y" },
		{ "huge_pages", "N", "Y" },
		{ "writable_on_read", "N", "Y" },
		{ "fault_concurrency", "N", "Y" },
		{ "notifier_size_mib", "2", "64" },
	};
	char name[48];

	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		const char *param = params[i].param;
		int ret = 0;

		if (param)
			ret = param_write(param, params[i].off);
		if (ret) {
			fprintf(stderr, "neuf-bench: %s: %s\n", param,
				strerror(-ret));
			continue;
		}
		new_vm(b);
		snprintf(name, sizeof(name), "%s%s", param ? "no-" : "all",
			 param ? param : "");
		bench_touch(b, MEM_FRESH, b->ablation_mib, name, true);
		bench_touch(b, MEM_POPULATED, b->ablation_mib, name, true);
		bench_touch(b, MEM_THP, b->ablation_mib, name, true);
		bench_munmap(b, false, b->ablation_mib, name, true);
		bench_munmap(b, true, b->ablation_mib, name, true);
		/* The run with everything on is P1x4's own (main()). */
		if ((b->opt.only & CASE_P1X4) && param)
			bench_concurrent(b, b->ablation_mib, name, true);
		if (param)
			param_write(param, params[i].on);
	}
	new_vm(b);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: neuf-bench [--sizes MIB,...] [--runs N] [--samples N]\n"
		"                  [--ablation-size MIB] [--no-ablation] [--out FILE]\n"
		"                  [--only P1,P1',P2,P3,P4,P1x4,P5,P6] [--neuf-only]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct bench b = {
		.opt = BENCH_OPTIONS_DEFAULT, .ablation_mib = 16, .hmm = -1,
		.first = true,
	};
	const char *srcs[BENCH_NUM_MODES] = { read_src, write_src, rw_src };
	bool ablation = true;
	unsigned int max_mib = 0;
	struct utsname u;
	char err[128];
	int ret;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--no-ablation")) {
			ablation = false;
			continue;
		}
		if (!strcmp(a, "--neuf-only")) {
			b.neuf_only = true;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		ret = bench_take_option(&b.opt, a, argv[++i], only_names,
					UINT_MAX);
		if (ret > 0)
			continue;
		if (ret < 0 || strcmp(a, "--ablation-size"))
			usage();
		b.ablation_mib = bench_parse_count(argv[i], UINT_MAX);
		if (!b.ablation_mib)
			usage();
	}
	b.out = stdout;
	if (b.opt.out) {
		b.out = fopen(b.opt.out, "we");
		if (!b.out)
			bench_die(b.opt.out, errno);
	}

	ret = neuf_device_open(0, &b.dev);
	if (ret)
		bench_die("opening the neuf device", -ret);
	ret = neuf_vm_create(b.dev, NEUF_VM_CREATE_SVM, &b.vm);
	if (ret)
		bench_die("creating an SVM VM", -ret);
	for (int m = 0; m < BENCH_NUM_MODES; m++) {
		ret = neuf_assemble(srcs[m], &b.shader[m], err, sizeof(err));
		if (ret) {
			fprintf(stderr, "neuf-bench: %s\n", err);
			return 1;
		}
	}
	for (unsigned int i = 0; i < b.opt.num_sizes; i++)
		if (b.opt.sizes[i] > max_mib)
			max_mib = b.opt.sizes[i];
	if (b.ablation_mib > max_mib)
		max_mib = b.ablation_mib;

	b.hmm = open("/dev/hmm_dmirror0", O_RDWR | O_CLOEXEC);
	if (b.hmm < 0) {
		fprintf(stderr, "neuf-bench: no test_hmm (/dev/hmm_dmirror0: "
			"%s): measuring neuf and the CPU only\n", strerror(errno));
	} else {
		b.hmm_buf = mmap(NULL, (size_t)max_mib * MIB,
				 PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (b.hmm_buf == MAP_FAILED)
			bench_die("mmap", errno);
	}

	uname(&u);
	fprintf(b.out, "{\n  \"kernel\": \"%s %s\", \"runs\": %u, "
		"\"samples\": %u, \"test_hmm\": %s,\n  \"records\": [",
		u.release, u.machine, b.opt.runs, b.opt.samples,
		b.hmm >= 0 ? "true" : "false");
	for (unsigned int i = 0; i < b.opt.num_sizes; i++) {
		unsigned int mib = b.opt.sizes[i];

		fprintf(stderr, "neuf-bench: %u MiB\n", mib);
		if (b.opt.only & CASE_P1)
			bench_touch(&b, MEM_FRESH, mib, "all", b.neuf_only);
		if (b.opt.only & CASE_P1P)
			bench_touch(&b, MEM_POPULATED, mib, "all", b.neuf_only);
		if (b.opt.only & CASE_P2)
			bench_touch(&b, MEM_THP, mib, "all", b.neuf_only);
		if (b.opt.only & CASE_P4) {
			bench_munmap(&b, false, mib, "all", b.neuf_only);
			bench_munmap(&b, true, mib, "all", b.neuf_only);
		}
		if (b.opt.only & CASE_P5)
			bench_migrate(&b, mib, b.neuf_only);
	}
	if (b.opt.only & CASE_P3) {
		fprintf(stderr, "neuf-bench: round trip\n");
		bench_round_trip(&b);
	}
	if (b.opt.only & CASE_P1X4) {
		fprintf(stderr, "neuf-bench: %d processes at %u MiB\n", P1X4_PROCS,
			b.ablation_mib);
		bench_concurrent(&b, b.ablation_mib, "all", b.neuf_only);
	}
	if (b.opt.only & CASE_P6) {
		fprintf(stderr, "neuf-bench: the GPU's speed at %u MiB\n",
			b.ablation_mib);
		bench_speed(&b, b.ablation_mib);
	}
	if (ablation) {
		fprintf(stderr, "neuf-bench: ablation at %u MiB\n", b.ablation_mib);
		bench_ablation(&b);
	}
	fprintf(b.out, "\n  ]\n}\n");
	if (b.out != stdout)
		fclose(b.out);
	for (int m = 0; m < BENCH_NUM_MODES; m++)
		neuf_asm_program_free(&b.shader[m]);
	neuf_vm_destroy(b.dev, b.vm);
	neuf_device_close(b.dev);
	return 0;
}
