// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * mm churn: each process has a few memory regions (anonymous, 2 MiB THP,
 * shared memfd) and two threads. The GPU stream takes one region at a
 * time, writes a known pattern into it from the CPU, has the GPU add a
 * value to every sixteenth word (the GPU reads what the CPU wrote and
 * writes back), and checks every word of the region from the CPU. The mm
 * thread meanwhile makes random mm operations: destructive ones (munmap
 * and map anew, mprotect, MADV_DONTNEED/FREE, mremap to a new place,
 * truncation, plain writes) on the regions the stream is not using, and
 * ones that must keep every byte (MADV_COLD/PAGEOUT, fork with the child
 * writing its copies, THP collapse and split, compaction of all memory
 * unless the configuration says no_compaction, KSM merging,
 * page migration through soft offlining, mlock/munlock) on any region,
 * the one the GPU is using included. So the stream's regions are stable
 * from the program's point of view while the kernel moves, splits,
 * merges, write-protects and migrates their pages under the GPU: every
 * byte must come back right.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stress_internal.h"

/* Older libc headers lack these (the kernel's values, stable uAPI). */
#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE 101
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define THP_SIZE	(2ul << 20)
#define REGIONS		6
#define STRIDE		64		/* the GPU's word: one per 64 bytes */
#define KSM_RUN		"/sys/kernel/mm/ksm/run"
#define SPLIT_THP	"/sys/kernel/debug/split_huge_pages"

enum region_kind { ANON, HUGE, SHARED };

static const enum region_kind kinds[REGIONS] = {
	ANON, ANON, HUGE, SHARED, ANON, HUGE,
};

/*
 * The mm operations. Those before KEEP_FIRST change what a region holds
 * (or whether it is there) and are made only on regions the GPU stream is
 * not using; the rest keep every byte, and hit any region.
 */
enum op {
	OP_REMAP, OP_MPROTECT, OP_DONTNEED, OP_FREE, OP_MREMAP, OP_TRUNCATE,
	OP_WRITE,
	KEEP_FIRST,
	OP_COLD = KEEP_FIRST, OP_PAGEOUT, OP_FORK, OP_COLLAPSE, OP_SPLIT,
	OP_COMPACT, OP_KSM, OP_MIGRATE, OP_MLOCK,
	OPS
};

static const char *const op_names[OPS] = {
	"remap", "mprotect", "dontneed", "free", "mremap", "truncate", "write",
	"cold", "pageout", "fork", "collapse", "split", "compact", "ksm",
	"migrate", "mlock",
};

struct region {
	pthread_mutex_t lock;	/* held by whichever thread uses the region */
	enum region_kind kind;
	uint8_t *addr;
	size_t len;
	int memfd;
	const char *last_op;	/* the mm thread's last op on it (messages) */
};

struct churner {
	const struct neuf_stress_config *cfg;
	struct neuf_stress_report *rep;
	unsigned int index;
	uint64_t mm_rng, gpu_rng;
	struct neuf_device *dev;
	uint32_t vm;
	struct ns_shaders sh;
	struct region regions[REGIONS];
	atomic_bool mm_done;
	uint64_t op_counts[OPS];
	uint64_t op_usec[OPS];	/* the time each kind of op took, in all */
};

/* An op that takes longer is logged when it ends (where a run's time went). */
#define SLOW_OP_USEC	(5 * 1000000ull)

/* Map region @r anew (its old mapping, if any, is gone). */
static int region_map(struct churner *c, struct region *r)
{
	uint8_t *p;

	switch (r->kind) {
	case ANON:
		r->len = NS_PAGE * (16 + ns_rand(&c->mm_rng) % 112);
		p = mmap(NULL, r->len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		break;
	case HUGE: {
		uint8_t *raw = mmap(NULL, 2 * THP_SIZE, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uintptr_t aligned;

		if (raw == MAP_FAILED)
			return -errno;
		aligned = ((uintptr_t)raw + THP_SIZE - 1) & ~(THP_SIZE - 1);
		p = (uint8_t *)aligned;
		if (p > raw)
			munmap(raw, (size_t)(p - raw));
		munmap(p + THP_SIZE, (size_t)(raw + 2 * THP_SIZE - (p + THP_SIZE)));
		r->len = THP_SIZE;
		madvise(p, r->len, MADV_HUGEPAGE);
		break;
	}
	default:
		r->len = 64 * NS_PAGE;
		if (r->memfd < 0) {
			r->memfd = memfd_create("neuf-churn", MFD_CLOEXEC);
			if (r->memfd < 0)
				return -errno;
		}
		if (ftruncate(r->memfd, (off_t)r->len))
			return -errno;
		p = mmap(NULL, r->len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 r->memfd, 0);
		break;
	}
	if (p == MAP_FAILED)
		return -errno;
	r->addr = p;
	return 0;
}

/* mremap @r to a place reserved for it: the pages move, the bytes stay. */
static void region_move(struct region *r)
{
	size_t slack = r->kind == HUGE ? THP_SIZE : 0;
	uint8_t *to = mmap(NULL, r->len + slack, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *dst, *moved;

	if (to == MAP_FAILED)
		return;
	dst = slack ? (uint8_t *)(((uintptr_t)to + THP_SIZE - 1) &
				  ~(THP_SIZE - 1)) : to;
	moved = mremap(r->addr, r->len, r->len, MREMAP_MAYMOVE | MREMAP_FIXED,
		       dst);
	if (moved == MAP_FAILED) {
		munmap(to, r->len + slack);
		return;
	}
	if (dst > to)
		munmap(to, (size_t)(dst - to));
	if (to + r->len + slack > dst + r->len)
		munmap(dst + r->len, (size_t)(to + r->len + slack - (dst + r->len)));
	r->addr = moved;
}

/* The child of OP_FORK: write to its copy of every private region. */
static __attribute__((noreturn)) void fork_child(struct churner *c)
{
	for (unsigned int i = 0; i < REGIONS; i++) {
		struct region *r = &c->regions[i];

		if (r->kind != SHARED && r->addr)
			((volatile uint8_t *)r->addr)[r->len / 2] ^= 0xff;
	}
	_exit(0);
}

static void split_huge(struct region *r)
{
	char text[96];

	snprintf(text, sizeof(text), "%d,%#lx,%#lx", getpid(),
		 (unsigned long)(uintptr_t)r->addr,
		 (unsigned long)(uintptr_t)(r->addr + r->len));
	kfile_write(SPLIT_THP, text);
}

/* Make one mm operation on @r; @mine: the GPU stream is not using it. */
static void mm_op(struct churner *c, struct region *r, bool mine)
{
	uint64_t x = ns_rand(&c->mm_rng);
	enum op op = (enum op)(x % OPS);
	size_t page = (x >> 8) % (r->len / NS_PAGE);
	uint64_t start = ns_now_us(), took;
	pid_t pid;

	if (!mine && op < KEEP_FIRST)
		op = KEEP_FIRST + (enum op)((x >> 16) % (OPS - KEEP_FIRST));
	/* One process compacts, now and then: it is the machine's. */
	if (op == OP_COMPACT &&
	    (c->cfg->no_compaction || c->index || (x >> 24) % 16))
		op = OP_COLD;

	switch (op) {
	case OP_REMAP:
		munmap(r->addr, r->len);
		r->addr = NULL;
		if (region_map(c, r))
			ns_fail(c->rep, c->cfg->log, "churn %u: mapping a "
				"region: %s", c->index, strerror(errno));
		break;
	case OP_MPROTECT:
		mprotect(r->addr, r->len, PROT_READ);
		mprotect(r->addr + page * NS_PAGE, NS_PAGE, PROT_NONE);
		mprotect(r->addr, r->len, PROT_READ | PROT_WRITE);
		break;
	case OP_DONTNEED:
		madvise(r->addr, r->len, MADV_DONTNEED);
		break;
	case OP_FREE:
		madvise(r->addr, r->len, MADV_FREE);
		break;
	case OP_MREMAP:
		region_move(r);
		break;
	case OP_TRUNCATE:
		if (r->kind == SHARED) {
			/* Truncated and grown back: the tail reads zero. */
			if (ftruncate(r->memfd, (off_t)(r->len / 2)) ||
			    ftruncate(r->memfd, (off_t)r->len))
				ns_fail(c->rep, c->cfg->log, "churn %u: "
					"truncate: %s", c->index,
					strerror(errno));
		} else {
			madvise(r->addr + page * NS_PAGE, NS_PAGE, MADV_DONTNEED);
		}
		break;
	case OP_WRITE:
		memset(r->addr + page * NS_PAGE, (int)(x >> 32) & 0xff, NS_PAGE);
		break;
	case OP_COLD:
		madvise(r->addr, r->len, MADV_COLD);
		break;
	case OP_PAGEOUT:
		madvise(r->addr, r->len, MADV_PAGEOUT);
		break;
	case OP_FORK:
		fflush(NULL);
		pid = fork();
		if (pid == 0)
			fork_child(c);
		if (pid < 0 || ns_wait(pid) != 0)
			ns_fail(c->rep, c->cfg->log, "churn %u: fork: %s",
				c->index, pid < 0 ? strerror(errno) :
				"the child did not exit cleanly");
		break;
	case OP_COLLAPSE:
		madvise(r->addr, r->len, MADV_COLLAPSE);
		break;
	case OP_SPLIT:
		split_huge(r);
		break;
	case OP_COMPACT:
		kfile_write("/proc/sys/vm/compact_memory", "1");
		break;
	case OP_KSM:
		madvise(r->addr, r->len, (x >> 40) & 1 ? MADV_MERGEABLE :
			MADV_UNMERGEABLE);
		break;
	case OP_MIGRATE:
		/* The page moves to a new frame; the old one is retired. */
		madvise(r->addr + page * NS_PAGE, NS_PAGE, MADV_SOFT_OFFLINE);
		break;
	case OP_MLOCK:
		if (!mlock(r->addr, r->len))
			munlock(r->addr, r->len);
		break;
	default:
		break;
	}
	r->last_op = op_names[op];
	took = ns_now_us() - start;
	c->op_counts[op]++;
	c->op_usec[op] += took;
	if (took >= SLOW_OP_USEC && c->cfg->log)
		fprintf(c->cfg->log, "neuf-stress: churn %u: %s of a %zu-byte "
			"region took %.1f s\n", c->index, op_names[op], r->len,
			(double)took / 1e6);
}

static void *mm_thread(void *arg)
{
	struct churner *c = arg;

	for (uint64_t i = 0; i < c->cfg->ops; i++) {
		struct region *r = &c->regions[ns_rand(&c->mm_rng) % REGIONS];
		bool mine = pthread_mutex_trylock(&r->lock) == 0;

		mm_op(c, r, mine);
		if (mine)
			pthread_mutex_unlock(&r->lock);
		ns_count(&c->rep->ops, 1);
	}
	atomic_store(&c->mm_done, true);
	return NULL;
}

/* Count the wrong bytes of word @i; the first one is reported. */
static uint64_t check_word(struct churner *c, struct region *r, size_t i,
			   uint32_t got, uint32_t want)
{
	uint64_t wrong = 0;

	for (unsigned int b = 0; b < 4; b++)
		wrong += ((got >> (8 * b)) & 0xff) != ((want >> (8 * b)) & 0xff);
	if (wrong && !c->rep->wrong_bytes)
		ns_fail(c->rep, c->cfg->log, "churn %u: word %zu of a %s region "
			"(%zu bytes at %p, last op %s): %#x, expected %#x",
			c->index, i, r->kind == ANON ? "anonymous" :
			r->kind == HUGE ? "THP" : "shared", r->len,
			(void *)r->addr, r->last_op ? r->last_op : "none", got,
			want);
	return wrong;
}

/* One pass of the GPU stream over @r, which the caller holds. */
static void gpu_pass(struct churner *c, struct region *r)
{
	/* A cheap pattern (TCG runs the CPU's loops too): base + i * step. */
	uint32_t base = (uint32_t)ns_rand(&c->gpu_rng);
	uint32_t step = (uint32_t)ns_rand(&c->gpu_rng) | 1;
	uint32_t add = (uint32_t)ns_rand(&c->gpu_rng) | 1;
	volatile uint32_t *w = (volatile uint32_t *)r->addr;
	size_t words = r->len / 4, per = STRIDE / 4;
	struct drm_neuf_job_status st = { 0 };
	struct neuf_dispatch d;
	uint64_t wrong = 0;
	int ret;

	for (size_t i = 0; i < words; i++)
		w[i] = base + (uint32_t)i * step;
	d = ns_dispatch(c->sh.rmw_strided, (uint32_t)(r->len / STRIDE),
			NS_ARGS(NS_PTR(r->addr), add, STRIDE));
	ret = neuf_run(c->dev, c->vm, &d, NS_JOB_WAIT_NS, &st);
	ns_count(&c->rep->jobs, 1);
	if (ret || st.error) {
		ns_fail(c->rep, c->cfg->log, "churn %u: a job over a stable "
			"region (%zu bytes at %p, last op %s): %s, job error %d "
			"at %#" PRIx64, c->index, r->len, (void *)r->addr,
			r->last_op ? r->last_op : "none",
			strerror(ret ? -ret : 0), st.error,
			(uint64_t)st.fault_addr);
		return;
	}
	for (size_t i = 0; i < words; i++) {
		uint32_t want = base + (uint32_t)i * step + (i % per ? 0 : add);
		uint32_t got = w[i];

		if (got != want)
			wrong += check_word(c, r, i, got, want);
	}
	ns_count(&c->rep->bytes_checked, r->len);
	ns_count(&c->rep->wrong_bytes, wrong);
}

static void *gpu_thread(void *arg)
{
	struct churner *c = arg;
	unsigned int passes = 0;

	/* At least one pass over each region, then until the mm is done. */
	while (passes < REGIONS || !atomic_load(&c->mm_done)) {
		struct region *r = &c->regions[passes < REGIONS ? passes :
					       ns_rand(&c->gpu_rng) % REGIONS];

		pthread_mutex_lock(&r->lock);
		if (r->addr)
			gpu_pass(c, r);
		pthread_mutex_unlock(&r->lock);
		passes++;
	}
	return NULL;
}

static void churn_process(struct churner *c)
{
	struct drm_neuf_vm_stats vs = { 0 };
	pthread_t mm, gpu;
	int ret;

	ret = neuf_device_open(c->cfg->device, &c->dev);
	if (!ret)
		ret = neuf_vm_create(c->dev, NEUF_VM_CREATE_SVM, &c->vm);
	if (!ret)
		ret = ns_shaders_init(&c->sh);
	for (unsigned int i = 0; !ret && i < REGIONS; i++) {
		struct region *r = &c->regions[i];

		pthread_mutex_init(&r->lock, NULL);
		r->kind = kinds[i];
		r->memfd = -1;
		ret = region_map(c, r);
	}
	if (ret) {
		ns_fail(c->rep, c->cfg->log, "churn %u: setting up: %s",
			c->index, strerror(-ret));
		return;
	}
	ns_count(&c->rep->procs, 1);
	if (pthread_create(&gpu, NULL, gpu_thread, c)) {
		ns_fail(c->rep, c->cfg->log, "churn %u: no thread", c->index);
		return;
	}
	if (pthread_create(&mm, NULL, mm_thread, c)) {
		atomic_store(&c->mm_done, true);
		ns_fail(c->rep, c->cfg->log, "churn %u: no thread", c->index);
	} else {
		pthread_join(mm, NULL);
	}
	pthread_join(gpu, NULL);

	if (neuf_vm_stats(c->dev, c->vm, &vs) == 0)
		ns_count(&c->rep->events, vs.invalidations + vs.faults);
	if (c->cfg->log) {
		/* One write: the other processes log at the same time. */
		char line[OPS * 40];
		size_t n = 0;

		for (unsigned int op = 0; op < OPS && n < sizeof(line); op++)
			n += (size_t)snprintf(line + n, sizeof(line) - n,
					      "%s %" PRIu64 " %.1f%s",
					      op_names[op], c->op_counts[op],
					      (double)c->op_usec[op] / 1e6,
					      op + 1 < OPS ? ", " : "");
		fprintf(c->cfg->log, "neuf-stress: churn %u: ops (count, s): "
			"%s\n", c->index, line);
	}
	neuf_vm_destroy(c->dev, c->vm);
	neuf_device_close(c->dev);
}

/* The kernel's counters of what it did to memory while the part ran. */
static const char *const vmstat_keys[] = {
	"compact_stall", "compact_migrate_scanned", "pgmigrate_success",
	"thp_fault_alloc", "thp_collapse_alloc", "thp_split_pmd",
};

static void vmstat_read(long long *v)
{
	for (size_t i = 0; i < NS_ARRAY_SIZE(vmstat_keys); i++)
		v[i] = kfile_read_key("/proc/vmstat", vmstat_keys[i]);
}

static void vmstat_log(FILE *log, const long long *before)
{
	long long after[NS_ARRAY_SIZE(vmstat_keys)];

	if (!log)
		return;
	vmstat_read(after);
	fprintf(log, "neuf-stress: churn: the kernel's counters went up by ");
	for (size_t i = 0; i < NS_ARRAY_SIZE(vmstat_keys); i++)
		fprintf(log, "%s %lld%s", vmstat_keys[i],
			before[i] < 0 || after[i] < 0 ? -1 : after[i] - before[i],
			i + 1 < NS_ARRAY_SIZE(vmstat_keys) ? ", " : "\n");
	fflush(log);
}

int ns_churn(const struct neuf_stress_config *cfg,
	     struct neuf_stress_report *rep)
{
	long long vmstat[NS_ARRAY_SIZE(vmstat_keys)];
	unsigned int procs = cfg->procs ? cfg->procs : 1, started = 0;
	struct neuf_stress_report *shared = ns_report_shared();
	uint64_t start = ns_now_us();
	long long ksm = kfile_read_number(KSM_RUN);
	pid_t *pids = calloc(procs, sizeof(*pids));

	if (!shared || !pids) {
		free(pids);
		return -ENOMEM;
	}
	vmstat_read(vmstat);
	/* ksmd merges the regions that ask for it while the part runs. */
	if (ksm == 0)
		kfile_write(KSM_RUN, "1");
	for (unsigned int i = 0; i < procs; i++) {
		fflush(NULL);
		pids[i] = fork();
		if (pids[i] == 0) {
			struct churner c = {
				.cfg = cfg, .rep = shared, .index = i,
				.mm_rng = cfg->seed ^ (0x63687572ULL * (i + 1)),
			};

			c.gpu_rng = ns_rand(&c.mm_rng);
			churn_process(&c);
			_exit(0);
		}
		if (pids[i] < 0) {
			ns_fail(shared, cfg->log, "fork: %s", strerror(errno));
			break;
		}
		started++;
	}
	for (unsigned int i = 0; i < started; i++) {
		int status = ns_wait(pids[i]);

		if (status)
			ns_fail(shared, cfg->log, "churn process %u died: %s %d",
				i, WIFSIGNALED(status) ? "signal" : "status",
				WIFSIGNALED(status) ? WTERMSIG(status) :
				WEXITSTATUS(status));
	}
	if (ksm == 0)
		kfile_write(KSM_RUN, "0");
	vmstat_log(cfg->log, vmstat);
	free(pids);
	ns_report_collect(shared, rep, start);
	return 0;
}
