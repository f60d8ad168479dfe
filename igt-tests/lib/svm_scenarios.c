// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * The SVM scenarios any GPU that mirrors the process's address space must
 * pass, written once over svm_backend.h: neuf_svm runs them on neuf,
 * neuf_svm_cuda on an NVIDIA GPU through CUDA and HMM, under the same
 * subtest names. The GPU uses ordinary pointers into memory the process got
 * from malloc, mmap, its stack or a shared file, and sees that memory
 * exactly as the CPU does, whatever the process does to it afterwards
 * (munmap, mprotect, madvise, mremap, fork), whoever else writes it.
 *
 * Where GPUs differ the scenarios check what the backend says it can
 * report (SVM_CAP_*): a fault's address and access where the backend
 * reports them, else only that the job failed with EFAULT; a new GPU
 * context after each fault where faults are sticky. What each difference
 * means is in Documentation/gpu/neuf/nvidia.rst.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "igt.h"
#include "neuf_igt.h"
#include "svm_backend.h"
#include "svm_mem.h"
#include "svm_scenarios.h"

#define PTR(p) ((uint64_t)(uintptr_t)(p))

/* The backend svm_scenarios() runs on: one per test process. */
static struct svm_backend *backend;

static const char *result_text(const struct svm_result *res)
{
	return res->detail[0] ? res->detail : neuf_igt_errno_name(res->error);
}

/*
 * After a sticky fault the backend could not build a new GPU context: the
 * rest of the subtest cannot run in this process, which is no failure of
 * the mirror's.
 */
static void skip_if_unrecoverable(int ret, int line)
{
	igt_skip_on_f(ret == -ENOTRECOVERABLE, "line %d: %s cannot run GPU "
		      "work again in this process after a sticky fault: the "
		      "rest of this subtest needs a new process\n", line,
		      backend->name);
}

/* The launches ran to an end; each must have succeeded. */
static void check_ok_(const struct svm_dispatch *d, unsigned int count,
		      int line)
{
	struct svm_result *res = calloc(count, sizeof(*res));
	int ret;

	igt_assert(res);
	ret = backend->ops->run_batch(backend, d, count, res);
	skip_if_unrecoverable(ret, line);
	igt_assert_f(ret == 0, "line %d: running %u job(s) on %s: %s (%d)\n",
		     line, count, backend->name, neuf_igt_errno_name(ret), ret);
	for (unsigned int i = 0; i < count; i++)
		igt_assert_f(res[i].error == 0, "line %d: job %u (kernel %d, "
			     "grid %u) failed: %s (%d), fault at %#" PRIx64
			     " (%s)\n", line, i, d[i].kernel, d[i].grid,
			     result_text(&res[i]), res[i].error,
			     res[i].fault_addr,
			     svm_access_name(res[i].fault_access));
	free(res);
}

/*
 * The next job may fault on purpose: the lines the GPU's driver writes to
 * the kernel log for a fault (svm_backend.fault_log) are expected for the
 * rest of the subtest, and the runner is told so, once a subtest. Where
 * the log refuses the mark (not root), says so and goes on: make
 * check-nvidia then counts no such line against any subtest.
 */
static void expect_fault_log(void)
{
	static char marked[128];
	const char *subtest = igt_subtest_name();
	int ret;

	if (!backend->fault_log || !subtest || !strcmp(marked, subtest))
		return;
	snprintf(marked, sizeof(marked), "%s", subtest);
	ret = neuf_igt_try_ignore_dmesg(backend->fault_log);
	if (ret)
		igt_info("cannot mark %s's fault reports in the kernel log as "
			 "expected (/dev/kmsg: %s)\n", backend->name,
			 strerror(-ret));
}

/*
 * The launch failed with @err; where the backend says where, at an address
 * in [@lo, @hi) on @access.
 */
static void check_fault_(const struct svm_dispatch *d, int err, uint64_t lo,
			 uint64_t hi, enum svm_access access, int line)
{
	struct svm_result res;
	int ret;

	expect_fault_log();
	ret = backend->ops->run_batch(backend, d, 1, &res);
	skip_if_unrecoverable(ret, line);
	igt_assert_f(ret == 0, "line %d: running a job on %s: %s (%d)\n",
		     line, backend->name, neuf_igt_errno_name(ret), ret);
	igt_assert_f(res.error == err, "line %d: the job ended with %s (%d), "
		     "expected %s (%d)\n", line, result_text(&res), res.error,
		     neuf_igt_errno_name(err), err);
	if (!(backend->caps & SVM_CAP_FAULT_ADDRESS)) {
		igt_debug("line %d: %s (%s does not say where)\n", line,
			  result_text(&res), backend->name);
		return;
	}
	igt_assert_f(res.where_known, "line %d: no fault address\n", line);
	igt_assert_f(res.fault_addr >= lo && res.fault_addr < hi,
		     "line %d: fault address %#" PRIx64 " outside [%#" PRIx64
		     ", %#" PRIx64 ")\n", line, res.fault_addr, lo, hi);
	if (err == -EFAULT)
		igt_assert_f(res.fault_access == access, "line %d: fault "
			     "access %s, expected %s\n", line,
			     svm_access_name(res.fault_access),
			     svm_access_name(access));
}

#define DISPATCH(k, g, ...) \
	((const struct svm_dispatch[1]){ { .kernel = (k), .grid = (g), \
					   .args = { __VA_ARGS__ } } })
#define run_ok(kernel, grid, ...) \
	check_ok_(DISPATCH((kernel), (grid), __VA_ARGS__), 1, __LINE__)
#define run_fault(err, lo, hi, access, kernel, grid, ...) \
	check_fault_(DISPATCH((kernel), (grid), __VA_ARGS__), (err), PTR(lo), \
		     PTR(hi), (access), __LINE__)

/*
 * Nothing is mapped in any page of [@p, @p + @len), the bytes the next job
 * is to fault on, any more. A backend that rebuilt its GPU context after a
 * fault (before the faulting run returned) may have mapped memory of its
 * own there; the fault a scenario expects would then not be one, and the
 * GPU's store would land in the driver's memory.
 */
static void require_unmapped(const void *p, size_t len)
{
	const uintptr_t page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t page = (uintptr_t)p & ~(page_size - 1);

	/* msync() fails with ENOMEM where part of the range is unmapped. */
	for (; page < (uintptr_t)p + len; page += page_size)
		igt_require_f(msync((void *)page, page_size, MS_ASYNC) &&
			      errno == ENOMEM, "%s mapped memory at %p, where "
			      "the unmapped buffer was (rebuilding its context "
			      "after a fault)\n", backend->name, (void *)page);
}

/*
 * read-write-stack: the buffer is a local of this function, so it lives on
 * this thread's stack. The asm tells the compiler the buffer escapes and
 * may change across the call.
 */
static __attribute__((noinline)) void stack_read_write(void)
{
	uint32_t buf[3000];	/* a little under three pages */
	const size_t n = sizeof(buf) / sizeof(*buf);

	neuf_igt_fill_pattern(buf, n, 0x57ac);
	__asm__ __volatile__("" : : "r"(buf) : "memory");
	run_ok(SVM_RMW, n, PTR(buf), 3);
	__asm__ __volatile__("" : : "r"(buf) : "memory");
	neuf_igt_check_pattern(buf, n, 0x57ac, 3);

	run_ok(SVM_FILL, n, PTR(buf), 0x5000);
	__asm__ __volatile__("" : : "r"(buf) : "memory");
	svm_check_sequence(buf, n, 0x5000);
}

void svm_check_gpu_follows_cpu(uint32_t *buf, uint32_t *dst, size_t n,
			       uint32_t seed)
{
	neuf_igt_fill_pattern(buf, n, seed);
	run_ok(SVM_COPY, n, PTR(buf), PTR(dst));
	neuf_igt_check_pattern(dst, n, seed, 0);
	run_ok(SVM_RMW, n, PTR(buf), 1);
	neuf_igt_check_pattern(buf, n, seed, 1);
}

/* The sum of the @n values @first, @first + 1, ... (SVM_READ_STRIDED's) */
static uint64_t sequence_sum(uint64_t first, uint64_t n)
{
	return n * first + n * (n - 1) / 2;
}

/*
 * ksm-merge: every word of page p of @buf holds pattern(@seed, i) + 2 where
 * p <= @last (stored to since the merge), + 1 beyond (still merged).
 */
static void check_ksm_pages(const uint8_t *buf, unsigned int pages,
			    uint32_t seed, int last)
{
	for (unsigned int p = 0; p < pages; p++) {
		const uint32_t *w = (const uint32_t *)(buf + p * SVM_PAGE_SZ);
		uint32_t add = (int)p <= last ? 2 : 1;

		for (size_t i = 0; i < SVM_PAGE_SZ / 4; i++)
			igt_assert_f(w[i] == neuf_igt_pattern(seed, i) + add,
				     "page %u word %zu: %#x, expected %#x (%s "
				     "after the stores to pages 0 to %d)\n", p,
				     i, w[i], neuf_igt_pattern(seed, i) + add,
				     add == 2 ? "stored to" : "still merged",
				     last);
	}
}

void svm_fill_pages_and_check(uint8_t *p, size_t len, uint32_t first)
{
	run_ok(SVM_FILL_STRIDED, (uint32_t)(len / SVM_PAGE_SZ), PTR(p), first,
	       SVM_PAGE_SZ);
	svm_check_pages(p, len, first);
}

/*
 * large-dispatch-256m: svm_fill_pages_and_check(), timed, with the fault
 * path's counters where the backend has them.
 */
static void timed_fill_pages(const char *what, uint8_t *p, size_t len,
			     uint32_t first)
{
	struct svm_stats s0 = { 0 }, s1 = { 0 };
	bool stats = backend->caps & SVM_CAP_STATS;
	struct timespec t0;

	if (stats)
		igt_assert_eq(backend->ops->stats(backend, &s0), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	svm_fill_pages_and_check(p, len, first);
	if (!stats) {
		igt_info("%s: %.0f ms\n", what, svm_elapsed_ms(&t0));
		return;
	}
	igt_assert_eq(backend->ops->stats(backend, &s1), 0);
	igt_info("%s: %.0f ms, faults %" PRIu64 ", windows %" PRIu64
		 ", batches %" PRIu64 ", huge %" PRIu64 "\n", what,
		 svm_elapsed_ms(&t0), s1.faults - s0.faults,
		 s1.windows - s0.windows, s1.batches - s0.batches,
		 s1.huge_mapped - s0.huge_mapped);
}

/* atomics-cpu-gpu */
struct counters {
	uint64_t c64;
	uint64_t cas64;
	uint32_t c32;
};

#define ATOMIC_CPU_THREADS 4
#define ATOMIC_CPU_MIN_ADDS 20000
#define ATOMIC_CPU_MAX_ADDS 500000
#define ATOMIC_GPU_JOBS 6
#define ATOMIC_GPU_GRID 2048

struct atomic_thread {
	pthread_t thread;
	pthread_barrier_t *start;
	struct counters *c;
	const int *gpu_done;	/* __atomic */
	uint64_t adds;		/* how many times it added 1 to c64, c32 */
};

/*
 * Adds 1 to c64 and c32 at least MIN times and on while the GPU runs; to
 * cas64 MIN times exactly, so that the GPU's CAS loops cannot starve for
 * long behind the CPU's increments.
 */
static void *atomic_cpu_thread(void *arg)
{
	struct atomic_thread *t = arg;
	uint64_t i;

	pthread_barrier_wait(t->start);
	for (i = 0; i < ATOMIC_CPU_MAX_ADDS; i++) {
		if (i >= ATOMIC_CPU_MIN_ADDS &&
		    __atomic_load_n(t->gpu_done, __ATOMIC_ACQUIRE))
			break;
		__atomic_fetch_add(&t->c->c64, 1, __ATOMIC_SEQ_CST);
		__atomic_fetch_add(&t->c->c32, 1, __ATOMIC_SEQ_CST);
		if (i < ATOMIC_CPU_MIN_ADDS)
			__atomic_fetch_add(&t->c->cas64, 1, __ATOMIC_SEQ_CST);
	}
	t->adds = i;
	return NULL;
}

/*
 * userfaultfd-wp: the first u32 of page i of @p is @first + i, plus @add
 * where bit i of @prot is clear (the pages not write-protected).
 */
static void check_wp_pages(const uint8_t *p, uint32_t pages, uint32_t first,
			   uint32_t prot, uint32_t add)
{
	for (uint32_t i = 0; i < pages; i++) {
		bool wp = prot & 1u << i;
		uint32_t got = *(const uint32_t *)(p + i * SVM_PAGE_SZ);
		uint32_t want = first + i + (wp ? 0 : add);

		igt_assert_f(got == want, "page %u%s: %#x, expected %#x\n", i,
			     wp ? " (write-protected)" : "", got, want);
	}
}

/*
 * userfaultfd-move, userfaultfd-move-thp: UFFDIO_MOVE @len bytes of pages
 * the GPU maps writable from @src to @dst, a range registered with @uffd
 * for missing pages; @huge: one transparent huge page, the PMD moved
 * whole. The move invalidates @src alone (@dst had nothing to
 * invalidate): the GPU must find the pages at @dst, and at @src what is
 * there now, nothing, rather than the moved pages through its old mapping.
 */
static void uffd_move_under_gpu(int uffd, uint8_t *src, uint8_t *dst,
				size_t len, bool huge, uint32_t seed)
{
	const uint32_t pages = (uint32_t)(len / SVM_PAGE_SZ);
	uint64_t *sum = svm_xmalloc(sizeof(*sum));

	svm_userfaultfd_register(uffd, dst, len, UFFDIO_REGISTER_MODE_MISSING);
	svm_write_pages(src, len, seed);
	run_ok(SVM_RMW_STRIDED, pages, PTR(src), 1, SVM_PAGE_SZ);
	/* Read back by the CPU: in system memory, whatever the driver did. */
	svm_check_pages(src, len, seed + 1);
	/* Nothing at dst yet, and the GPU's fault does not make a page. */
	run_fault(-EFAULT, dst, dst + len, SVM_ACCESS_READ, SVM_READ_STRIDED,
		  pages, PTR(dst), PTR(sum), SVM_PAGE_SZ);

	if (huge)
		igt_info("before the move: %ld kB of the source in huge pages\n",
			 svm_anon_huge_kb(src));
	svm_userfaultfd_move(uffd, dst, src, len);
	if (huge) {
		long kb = svm_anon_huge_kb(dst);

		igt_info("after: %ld kB of the destination in huge pages\n", kb);
		/* Where GPU faults do not move pages, the PMD stayed whole. */
		if (backend->caps & SVM_CAP_NO_MIGRATION)
			igt_assert_f(kb >= (long)(SVM_THP_SZ >> 10), "the move "
				     "did not keep the huge page whole\n");
	}

	*sum = 0;
	run_ok(SVM_READ_STRIDED, pages, PTR(src), PTR(sum), SVM_PAGE_SZ);
	igt_assert_f(*sum == 0, "the GPU read %#" PRIx64 " in all where the "
		     "moved pages were, not zeros: the move left it a mapping "
		     "of them\n", *sum);
	run_ok(SVM_RMW_STRIDED, pages, PTR(dst), 1, SVM_PAGE_SZ);
	svm_check_pages(dst, len, seed + 2);
	run_ok(SVM_FILL_STRIDED, pages, PTR(src), seed + 0x10000, SVM_PAGE_SZ);
	svm_check_pages(src, len, seed + 0x10000);
	svm_check_pages(dst, len, seed + 2);
	free(sum);
}

/*
 * race-stress's mutator: a thread that keeps changing region R (unmapping,
 * remapping, protecting, discarding, writing) while GPU jobs run over it.
 * Without @holes it never leaves R unmapped, not even briefly: a backend
 * that rebuilds its GPU context after a fault maps memory of its own, and
 * could be given the hole (which the mutator would then map over).
 */
#define MUTATOR_CHANGES 6

struct mutator {
	pthread_t thread;
	uint8_t *r;
	size_t len;
	bool holes;
	unsigned int last_op;	/* the change it stops after (0 to 5) */
	bool running;		/* its thread is started and not joined */
	int stop;		/* __atomic */
	int ended;		/* __atomic: its thread is about to return */
	unsigned long ops;	/* changes made, over all its runs */
	int err;		/* first failing call's errno, and which */
	int failed_op;
};

static void *mutator_thread(void *arg)
{
	struct mutator *m = arg;
	const size_t half = m->len / 2;
	const int rw = PROT_READ | PROT_WRITE;
	const int anon = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
	unsigned long i;

	/* Asked to stop, it goes on to the end of change @last_op. */
	for (i = 0; i % MUTATOR_CHANGES != (m->last_op + 1) % MUTATOR_CHANGES ||
		    !__atomic_load_n(&m->stop, __ATOMIC_ACQUIRE); i++) {
		int op = (int)(i % MUTATOR_CHANGES), ret = 0;
		void *p;

		switch (op) {
		case 0:	/* replace the whole mapping */
			p = mmap(m->r, m->len, rw, anon, -1, 0);
			ret = p == MAP_FAILED ? -1 : 0;
			if (!ret)
				memset(m->r, (int)i, m->len / 4);
			break;
		case 1:	/* a hole, or an inaccessible mapping, then a new one */
			if (m->holes)
				ret = munmap(m->r + half, half);
			else
				ret = mmap(m->r + half, half, PROT_NONE, anon,
					   -1, 0) == MAP_FAILED ? -1 : 0;
			if (!ret) {
				p = mmap(m->r + half, half, rw, anon, -1, 0);
				ret = p == MAP_FAILED ? -1 : 0;
			}
			break;
		case 2:
			ret = mprotect(m->r, m->len, PROT_READ);
			if (!ret)
				ret = mprotect(m->r, m->len, rw);
			break;
		case 3:
			ret = madvise(m->r, m->len, MADV_DONTNEED);
			break;
		case 4:
			ret = mprotect(m->r, half, PROT_NONE);
			if (!ret) {
				memset(m->r + half, (int)i, half);
				ret = mprotect(m->r, half, rw);
			}
			break;
		case 5:	/* CPU writes: faults, and COW of the zero page */
			for (size_t off = 0; off < m->len; off += SVM_PAGE_SZ)
				m->r[off + (i % SVM_PAGE_SZ)] = (uint8_t)i;
			break;
		}
		if (ret) {
			m->err = errno;
			m->failed_op = op;
			break;
		}
	}
	m->ops += i;
	__atomic_store_n(&m->ended, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Run the mutator until mutator_stop(); it then ends after @last_op. */
static void mutator_start(struct mutator *m, unsigned int last_op)
{
	m->last_op = last_op;
	__atomic_store_n(&m->stop, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&m->ended, 0, __ATOMIC_RELEASE);
	igt_assert_eq(pthread_create(&m->thread, NULL, mutator_thread, m), 0);
	m->running = true;
}

static void mutator_stop(struct mutator *m)
{
	if (!m->running)
		return;
	__atomic_store_n(&m->stop, 1, __ATOMIC_RELEASE);
	pthread_join(m->thread, NULL);
	m->running = false;
}

/*
 * With the mutator stopped, the GPU reads in every page of R (@len bytes
 * at @r) what the CPU wrote there and the CPU sees what the GPU wrote: a
 * translation the race left stale shows here. Each half is read (and
 * added to) once, and written by a copy once.
 */
static void check_r_follows_cpu(uint8_t *r, size_t len)
{
	svm_check_gpu_follows_cpu((uint32_t *)r, (uint32_t *)(r + len / 2),
				  len / 8, 0x4ace);
	svm_check_gpu_follows_cpu((uint32_t *)(r + len / 2), (uint32_t *)r,
				  len / 8, 0x4acf);
}

/*
 * fork-cow-under-gpu: a thread forks children while the main thread's GPU
 * jobs write the region; each child looks at its copy right after its fork
 * and again once two more jobs have ended since that first look, and must
 * see the same.
 *
 * A GPU mapping fork() left writable is used only until a fault nearby
 * maps the pages again (neuf's fault windows cover the VMA), so it shows
 * only where the GPU's first store after the fork comes after the child's
 * look and lands on that page. Even children are forked while a job runs;
 * for odd ones the GPU waits between two jobs, and the first job after the
 * child's look writes from one end of the VMA, the last page first for
 * children 1 and 5, the first page first for 3 and 7.
 */
#define FORK_CHILDREN 8
#define FORK_PAGES 32

enum fork_order { FORK_ORDER_ANY, FORK_ORDER_FIRST, FORK_ORDER_LAST };

struct forker {
	pthread_t thread;
	const uint32_t *buf;	/* the region the GPU writes */
	uint32_t *snap;		/* each child's first look at it, in its copy */
	size_t n;		/* words of both */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int jobs;	/* GPU jobs done, under @lock */
	bool stop;		/* a job failed: release the children, under @lock */
	bool done;		/* every child forked and released, under @lock */
	bool pause;		/* the GPU is to wait between jobs, under @lock */
	bool paused;		/* it waits, under @lock */
	enum fork_order order;	/* the next job's first page, under @lock */
	unsigned int forked;
	pid_t pid[FORK_CHILDREN];
	int err;		/* pipe2() or fork() errno */
};

/* The GPU jobs done so far. */
static unsigned int forker_jobs(struct forker *f)
{
	unsigned int jobs;

	pthread_mutex_lock(&f->lock);
	jobs = f->jobs;
	pthread_mutex_unlock(&f->lock);
	return jobs;
}

/* Until @jobs GPU jobs are done; false: they never will be. */
static bool forker_wait_jobs(struct forker *f, unsigned int jobs)
{
	bool stop;

	pthread_mutex_lock(&f->lock);
	while (f->jobs < jobs && !f->stop)
		pthread_cond_wait(&f->cond, &f->lock);
	stop = f->stop;
	pthread_mutex_unlock(&f->lock);
	return !stop;
}

/*
 * The child, a copy of the forker thread alone: async-signal-safe calls
 * only. It says on @ready when it has looked, and looks again when @go
 * ends. Exit status 2: a word no job wrote; 3: the copy changed.
 */
static __attribute__((noreturn)) void fork_child(struct forker *f,
						 const int ready[2],
						 const int go[2])
{
	ssize_t got;
	char c = 'r';

	close(ready[0]);
	close(go[1]);
	memcpy(f->snap, f->buf, f->n * 4);
	for (size_t i = 0; i < f->n; i++)
		if ((f->snap[i] - (uint32_t)i) & 0xfffff)
			_exit(2);
	if (write(ready[1], &c, 1) != 1)
		_exit(1);
	while ((got = read(go[0], &c, 1)) > 0 || (got < 0 && errno == EINTR))
		;
	_exit(memcmp(f->snap, f->buf, f->n * 4) ? 3 : 0);
}

static void *forker_thread(void *arg)
{
	struct forker *f = arg;
	unsigned int k;

	for (k = 0; k < FORK_CHILDREN; k++) {
		int ready[2], go[2];
		ssize_t got;
		pid_t pid;
		char c;

		if (!forker_wait_jobs(f, 2 + 3 * k))
			break;
		if (k & 1) {
			pthread_mutex_lock(&f->lock);
			f->pause = true;
			while (!f->paused && !f->stop)
				pthread_cond_wait(&f->cond, &f->lock);
			pthread_mutex_unlock(&f->lock);
		}
		if (pipe2(ready, O_CLOEXEC)) {
			f->err = errno;
			break;
		}
		if (pipe2(go, O_CLOEXEC)) {
			f->err = errno;
			close(ready[0]);
			close(ready[1]);
			break;
		}
		pid = fork();
		if (pid == 0)
			fork_child(f, ready, go);
		close(ready[1]);
		close(go[0]);
		if (pid < 0) {
			f->err = errno;
			close(ready[0]);
			close(go[1]);
			break;
		}
		f->pid[f->forked++] = pid;
		/*
		 * Once the child has looked, the GPU writes on for two more
		 * jobs; then it looks again. A child that ended before it
		 * looked closed @ready: its exit status tells.
		 */
		while ((got = read(ready[0], &c, 1)) < 0 && errno == EINTR)
			;
		close(ready[0]);
		if (k & 1) {
			pthread_mutex_lock(&f->lock);
			f->order = k & 2 ? FORK_ORDER_FIRST : FORK_ORDER_LAST;
			f->pause = false;
			pthread_cond_broadcast(&f->cond);
			pthread_mutex_unlock(&f->lock);
		}
		forker_wait_jobs(f, forker_jobs(f) + 2);
		close(go[1]);
	}
	pthread_mutex_lock(&f->lock);
	f->done = true;
	f->pause = false;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

/*
 * The GPU's side: waits while the forker wants it to, then says where the
 * next job starts (FORK_ORDER_FIRST or FORK_ORDER_LAST).
 */
static enum fork_order forker_next_job(struct forker *f, unsigned int job)
{
	enum fork_order order;

	pthread_mutex_lock(&f->lock);
	while (f->pause && !f->done) {
		f->paused = true;
		pthread_cond_broadcast(&f->cond);
		pthread_cond_wait(&f->cond, &f->lock);
	}
	f->paused = false;
	order = f->order;
	f->order = FORK_ORDER_ANY;
	pthread_mutex_unlock(&f->lock);
	if (order == FORK_ORDER_ANY)
		order = job & 1 ? FORK_ORDER_FIRST : FORK_ORDER_LAST;
	return order;
}

/*
 * truncate-punch-hole{,-hugetlb}: @fd, a file of three units of @unit
 * bytes mapped MAP_SHARED, which the GPU has written all over. A hole
 * punched in the file and the file cut short take its pages away, out of
 * the page cache and out of every mapping; the GPU must find them gone as
 * the CPU does, never the freed pages.
 */
static void truncate_punch_hole(int fd, size_t unit)
{
	const size_t len = 3 * unit;
	const uint32_t per = (uint32_t)(unit / SVM_PAGE_SZ);
	uint64_t *sum = svm_xmalloc(sizeof(*sum));
	uint8_t *a;

	igt_assert_eq(ftruncate(fd, (off_t)len), 0);
	a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	igt_assert(a != MAP_FAILED);
	run_ok(SVM_FILL_STRIDED, 3 * per, PTR(a), 0x1000, SVM_PAGE_SZ);
	svm_check_pages(a, len, 0x1000);

	/* A hole in the second unit: the GPU reads zeros there. */
	igt_assert_f(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       (off_t)unit, (off_t)unit) == 0,
		     "fallocate(PUNCH_HOLE): %s\n", strerror(errno));
	*sum = 0;
	run_ok(SVM_READ_STRIDED, per, PTR(a + unit), PTR(sum), SVM_PAGE_SZ);
	igt_assert_eq_u64(*sum, 0);
	*sum = 0;
	run_ok(SVM_READ_STRIDED, per, PTR(a + 2 * unit), PTR(sum),
	       SVM_PAGE_SZ);
	igt_assert_eq_u64(*sum, sequence_sum(0x1000 + 2 * per, per));
	/* The GPU's stores there fill the hole with pages of the file's. */
	run_ok(SVM_FILL_STRIDED, per, PTR(a + unit), 0x2000, SVM_PAGE_SZ);
	svm_check_pages(a + unit, unit, 0x2000);

	/*
	 * Cut to one unit: past the end the GPU's loads fail, where the CPU's
	 * get SIGBUS; the first unit still reads.
	 */
	igt_assert_eq(ftruncate(fd, (off_t)unit), 0);
	run_fault(-EFAULT, a + unit, a + len, SVM_ACCESS_READ,
		  SVM_READ_STRIDED, 2 * per, PTR(a + unit), PTR(sum),
		  SVM_PAGE_SZ);
	*sum = 0;
	run_ok(SVM_READ_STRIDED, per, PTR(a), PTR(sum), SVM_PAGE_SZ);
	igt_assert_eq_u64(*sum, sequence_sum(0x1000, per));

	/* Grown back: zeros, not what was there. */
	igt_assert_eq(ftruncate(fd, (off_t)len), 0);
	*sum = 0;
	run_ok(SVM_READ_STRIDED, 2 * per, PTR(a + unit), PTR(sum),
	       SVM_PAGE_SZ);
	igt_assert_eq_u64(*sum, 0);
	igt_assert_eq(munmap(a, len), 0);
	free(sum);
}

/*
 * The multi-process scenarios run their workers as new processes of this
 * binary, not as fork()ed children: CUDA, like other GPU drivers'
 * userspace, may not be used in a child forked after it was initialised. A
 * worker is its subtest run with WORKER_ENV set to its index, and
 * WORKER_ADDR_ENV to the address its data must be mapped at where the
 * scenario wants one.
 */
#define WORKER_ENV "NEUF_SVM_WORKER"
#define WORKER_ADDR_ENV "NEUF_SVM_WORKER_ADDR"
/* A worker's exit status when another mapping holds its address. */
#define WORKER_ADDR_TAKEN 3
#define WORKER_WORDS 8192
#define MULTI_PROCESSES 8
#define MULTI_SUBTEST "multi-process-8"
#define SAME_ADDR_SUBTEST "multi-process-same-address"
#define SAME_ADDR_PROCESSES 4
#define SAME_ADDR_WAVES 2
#define SAME_ADDR_TRIES 3

/*
 * One worker: maps its data at @addr (0: anywhere), waits until its stdin
 * ends (every worker of its wave has started and opened its GPU), then runs
 * jobs over that data, which no other worker's seed fills.
 */
static void multi_process_worker(unsigned int k, uint64_t addr)
{
	const size_t n = WORKER_WORDS, len = n * 4;
	const uint32_t seed = 0x1000u * (k + 1);
	uint32_t *buf, *dst = svm_xmalloc(len);
	ssize_t got;
	char c;

	if (addr) {
		buf = mmap((void *)(uintptr_t)addr, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			   -1, 0);
		if (buf != (void *)(uintptr_t)addr) {
			/* An older kernel takes MAP_FIXED_NOREPLACE as a hint. */
			printf("worker %u: %#" PRIx64 " is taken: %s\n", k, addr,
			       buf == MAP_FAILED ? strerror(errno) :
			       "mapped elsewhere");
			fflush(stdout);
			_exit(WORKER_ADDR_TAKEN);
		}
	} else {
		buf = svm_xmalloc(len);
	}
	while ((got = read(STDIN_FILENO, &c, 1)) > 0 ||
	       (got < 0 && errno == EINTR))
		;
	neuf_igt_fill_pattern(buf, n, seed);
	for (uint32_t round = 1; round <= 4; round++) {
		run_ok(SVM_RMW, n, PTR(buf), round);
		neuf_igt_check_pattern(buf, n, seed, round * (round + 1) / 2);
	}
	run_ok(SVM_COPY, n, PTR(buf), PTR(dst));
	neuf_igt_check_pattern(dst, n, seed, 10);
	if (addr)
		munmap(buf, len);
	else
		free(buf);
	free(dst);
}

/*
 * Start worker @k of @subtest, its data at @addr (0: anywhere), with @go as
 * its stdin and @out as its stdout and stderr.
 */
static pid_t spawn_worker(const char *subtest, unsigned int k, uint64_t addr,
			  int go, int out)
{
	char exe[PATH_MAX], var[64], addr_var[64];
	char *argv[] = { exe, "--run-subtest", (char *)subtest, NULL };
	posix_spawn_file_actions_t fa;
	size_t nenv = 0;
	char **envp;
	ssize_t len;
	pid_t pid;
	int ret;

	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	igt_assert_f(len > 0, "/proc/self/exe: %s\n", strerror(errno));
	exe[len] = '\0';
	snprintf(var, sizeof(var), WORKER_ENV "=%u", k);
	snprintf(addr_var, sizeof(addr_var), WORKER_ADDR_ENV "=%#" PRIx64, addr);
	while (environ[nenv])
		nenv++;
	envp = calloc(nenv + 3, sizeof(*envp));
	igt_assert(envp);
	memcpy(envp, environ, nenv * sizeof(*envp));
	envp[nenv] = var;
	envp[nenv + 1] = addr ? addr_var : NULL;

	igt_assert_eq(posix_spawn_file_actions_init(&fa), 0);
	igt_assert_eq(posix_spawn_file_actions_adddup2(&fa, go, STDIN_FILENO), 0);
	igt_assert_eq(posix_spawn_file_actions_adddup2(&fa, out, STDOUT_FILENO), 0);
	igt_assert_eq(posix_spawn_file_actions_adddup2(&fa, out, STDERR_FILENO), 0);
	ret = posix_spawn(&pid, exe, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	free(envp);
	igt_assert_f(ret == 0, "posix_spawn(%s): %s\n", exe, strerror(ret));
	return pid;
}

/* The last @max bytes a worker wrote to @fd, for a message; to be freed. */
static char *worker_output(int fd, size_t max)
{
	off_t end = lseek(fd, 0, SEEK_END);
	off_t from = end > (off_t)max ? end - (off_t)max : 0;
	char *text = calloc(1, max + 1);
	ssize_t got;

	igt_assert(text);
	got = pread(fd, text, max, from);
	if (got < 0)
		snprintf(text, max, "(its output: %s)", strerror(errno));
	return text;
}

/*
 * Runs workers @first to @first + @n - 1 of @subtest at once, their data at
 * @addr (0: anywhere), and waits for them all. Fails or skips as a worker
 * that failed or skipped; false: none did, but one found @addr taken.
 */
static bool run_workers(const char *subtest, unsigned int first,
			unsigned int n, uint64_t addr)
{
	int out[MULTI_PROCESSES], status[MULTI_PROCESSES], go[2];
	pid_t pid[MULTI_PROCESSES];
	bool taken = false;
	unsigned int k;

	igt_assert(n <= MULTI_PROCESSES);
	igt_assert(pipe2(go, O_CLOEXEC) == 0);
	for (k = 0; k < n; k++) {
		out[k] = memfd_create("neuf-svm-worker", MFD_CLOEXEC);
		igt_assert_f(out[k] >= 0, "memfd_create: %s\n",
			     strerror(errno));
		pid[k] = spawn_worker(subtest, first + k, addr, go[0], out[k]);
	}
	/* Their stdin ends: they go. */
	close(go[0]);
	close(go[1]);
	for (k = 0; k < n; k++)
		status[k] = neuf_igt_wait_child(pid[k]);
	for (k = 0; k < n; k++) {
		char *text = worker_output(out[k], 4096);
		bool exited = WIFEXITED(status[k]);

		if (exited && WEXITSTATUS(status[k]) == WORKER_ADDR_TAKEN) {
			igt_info("%s", text);
			taken = true;
		} else {
			igt_skip_on_f(exited && WEXITSTATUS(status[k]) ==
				      IGT_EXIT_SKIP, "worker %u skipped:\n%s\n",
				      first + k, text);
			igt_assert_f(exited && WEXITSTATUS(status[k]) == 0,
				     "worker %u: wait status %#x:\n%s\n",
				     first + k, status[k], text);
		}
		free(text);
		close(out[k]);
	}
	return !taken;
}

void svm_scenarios_open(struct svm_backend *b)
{
	char why[512] = "";
	int ret;

	igt_require_f(b, "out of memory\n");
	backend = b;
	ret = b->ops->open(b, why, sizeof(why));
	igt_require_f(ret == 0, "%s\n", why);
	igt_info("%s backend: %s\n", b->name, b->device);
}

void svm_scenarios(struct svm_backend *on)
{
	backend = on;

	igt_describe("The GPU reads malloc'd memory, from the heap and from "
		     "malloc's own mmaps, as the CPU wrote it.");
	igt_subtest("read-malloc") {
		const size_t sizes[] = { 1000, 256 * 1024 };

		for (size_t s = 0; s < sizeof(sizes) / sizeof(*sizes); s++) {
			size_t n = sizes[s];
			uint32_t *src = svm_xmalloc(n * 4), *dst = svm_xmalloc(n * 4);

			neuf_igt_fill_pattern(src, n, 0x1111 * (uint32_t)(s + 1));
			svm_set_value(dst, n, 0xdeadbeef);
			run_ok(SVM_COPY, n, PTR(src), PTR(dst));
			neuf_igt_check_pattern(dst, n, 0x1111 * (uint32_t)(s + 1), 0);
			neuf_igt_check_pattern(src, n, 0x1111 * (uint32_t)(s + 1), 0);
			free(src);
			free(dst);
		}
	}

	igt_describe("The GPU writes malloc'd memory and the CPU reads what "
		     "it wrote.");
	igt_subtest("write-malloc") {
		const size_t sizes[] = { 1000, 256 * 1024 };

		for (size_t s = 0; s < sizeof(sizes) / sizeof(*sizes); s++) {
			size_t n = sizes[s];
			uint32_t *buf = svm_xmalloc(n * 4);

			svm_set_value(buf, n, 0xdeadbeef);
			run_ok(SVM_FILL, n, PTR(buf), 0x100000 * (uint32_t)(s + 1));
			svm_check_sequence(buf, n, 0x100000 * (uint32_t)(s + 1));
			free(buf);
		}
	}

	igt_describe("The GPU reads and writes private anonymous mmap memory, "
		     "twice over, the second time through existing mappings.");
	igt_subtest("read-write-mmap-anon") {
		const size_t len = 16 * SVM_PAGE_SZ, n = len / 4;
		uint32_t *buf = svm_map_anon(len, MAP_PRIVATE);

		neuf_igt_fill_pattern(buf, n, 0xa11ce);
		run_ok(SVM_RMW, n, PTR(buf), 7);
		neuf_igt_check_pattern(buf, n, 0xa11ce, 7);
		run_ok(SVM_RMW, n, PTR(buf), 7);
		neuf_igt_check_pattern(buf, n, 0xa11ce, 14);
		munmap(buf, len);
	}

	igt_describe("The GPU reads and writes a buffer on the calling "
		     "function's stack.");
	igt_subtest("read-write-stack") {
		stack_read_write();
	}

	igt_describe("A memfd mapped twice MAP_SHARED: what the GPU writes "
		     "through one mapping shows through the other, both ways.");
	igt_subtest("read-write-memfd-shared") {
		const size_t len = 8 * SVM_PAGE_SZ, n = len / 4;
		uint32_t *a, *b, *dst = svm_xmalloc(len);
		int fd;

		fd = memfd_create("neuf-svm", MFD_CLOEXEC);
		igt_assert_f(fd >= 0, "memfd_create: %s\n", strerror(errno));
		igt_assert_eq(ftruncate(fd, (off_t)len), 0);
		a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		igt_assert(a != MAP_FAILED && b != MAP_FAILED);
		igt_assert(a != b);

		/* CPU writes via a, GPU changes via a, CPU reads via b. */
		neuf_igt_fill_pattern(a, n, 0x3e3);
		run_ok(SVM_RMW, n, PTR(a), 5);
		neuf_igt_check_pattern(b, n, 0x3e3, 5);
		neuf_igt_check_pattern(a, n, 0x3e3, 5);

		/* CPU writes via b, GPU reads via a. */
		neuf_igt_fill_pattern(b, n, 0x4e4);
		run_ok(SVM_COPY, n, PTR(a), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0x4e4, 0);

		/* GPU writes via b, CPU reads via a. */
		run_ok(SVM_FILL, n, PTR(b), 0x77000);
		svm_check_sequence(a, n, 0x77000);

		munmap(a, len);
		munmap(b, len);
		close(fd);
		free(dst);
	}

	igt_describe("A tmpfs file mapped MAP_SHARED: the GPU reads what "
		     "pwrite() put in the file and pread() returns what the "
		     "GPU wrote.");
	igt_subtest("read-write-tmpfs-file") {
		const size_t len = 8 * SVM_PAGE_SZ, n = len / 4;
		uint32_t *file_data = svm_xmalloc(len), *dst = svm_xmalloc(len), *map;
		struct statfs sfs;
		char path[64];
		int fd;

		igt_require_f(statfs("/dev/shm", &sfs) == 0 &&
			      sfs.f_type == TMPFS_MAGIC,
			      "/dev/shm is not a tmpfs\n");
		snprintf(path, sizeof(path), "/dev/shm/neuf-svm-%d", getpid());
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		igt_assert_f(fd >= 0, "creating %s: %s\n", path, strerror(errno));
		unlink(path);

		neuf_igt_fill_pattern(file_data, n, 0xf11e);
		igt_assert_eq(pwrite(fd, file_data, len, 0), (ssize_t)len);
		map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		igt_assert(map != MAP_FAILED);

		/* The CPU never touches the mapping: the GPU faults it in. */
		run_ok(SVM_RMW, n, PTR(map), 9);
		svm_set_value(file_data, n, 0);
		igt_assert_eq(pread(fd, file_data, len, 0), (ssize_t)len);
		neuf_igt_check_pattern(file_data, n, 0xf11e, 9);

		neuf_igt_fill_pattern(file_data, n, 0xf22e);
		igt_assert_eq(pwrite(fd, file_data, len, 0), (ssize_t)len);
		run_ok(SVM_COPY, n, PTR(map), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0xf22e, 0);

		munmap(map, len);
		close(fd);
		free(file_data);
		free(dst);
	}

	igt_describe("hugetlbfs memory, private (MAP_HUGETLB) and shared (a "
		     "MFD_HUGETLB memfd mapped twice), 2 MiB pages, one access "
		     "per base page: the GPU reads and writes a huge page the "
		     "CPU wrote, faults in one the CPU never touched, and "
		     "follows MADV_DONTNEED and mprotect() of a huge page; "
		     "where the backend counts them, each is mapped as one "
		     "huge GPU page.");
	igt_subtest("read-write-hugetlb") {
		const size_t len = 2 * SVM_THP_SZ;
		const uint32_t per_huge = SVM_THP_SZ / SVM_PAGE_SZ;
		struct svm_stats s0 = { 0 }, s1 = { 0 };
		bool stats = backend->caps & SVM_CAP_STATS;
		uint64_t *sum = svm_xmalloc(sizeof(*sum));
		uint8_t *buf, *hi, *a, *b;
		int fd;

		neuf_igt_require_kconfig("CONFIG_HUGETLBFS");
		/* Two pages for each mapping, two for MADV_DONTNEED's refault. */
		buf = svm_map_hugetlb(len, 4);
		hi = buf + SVM_THP_SZ;

		/* The first huge page from the CPU, the second from the GPU. */
		if (stats)
			igt_assert_eq(backend->ops->stats(backend, &s0), 0);
		svm_write_pages(buf, SVM_THP_SZ, 0x4e6e);
		run_ok(SVM_RMW_STRIDED, per_huge, PTR(buf), 0x1000, SVM_PAGE_SZ);
		svm_check_pages(buf, SVM_THP_SZ, 0x5e6e);
		run_ok(SVM_FILL_STRIDED, per_huge, PTR(hi), 0x200000, SVM_PAGE_SZ);
		svm_check_pages(hi, SVM_THP_SZ, 0x200000);
		if (stats) {
			igt_assert_eq(backend->ops->stats(backend, &s1), 0);
			igt_assert_f(s1.huge_mapped - s0.huge_mapped >= 2,
				     "%" PRIu64 " huge GPU pages mapped for two "
				     "hugetlb pages\n",
				     s1.huge_mapped - s0.huge_mapped);
		}

		/* The first page dropped: the GPU faults in a zeroed one. */
		igt_assert_eq(madvise(buf, SVM_THP_SZ, MADV_DONTNEED), 0);
		*sum = 1;
		run_ok(SVM_READ_STRIDED, per_huge, PTR(buf), PTR(sum),
		       SVM_PAGE_SZ);
		igt_assert_eq_u64(*sum, 1);

		/* The second read-only: stores fault there, loads still work. */
		igt_assert_eq(mprotect(hi, SVM_THP_SZ, PROT_READ), 0);
		run_fault(-EFAULT, hi, hi + SVM_THP_SZ, SVM_ACCESS_WRITE,
			  SVM_FILL, 1, PTR(hi + 8), 0);
		*sum = 0;
		run_ok(SVM_READ_STRIDED, per_huge, PTR(hi), PTR(sum),
		       SVM_PAGE_SZ);
		igt_assert_eq_u64(*sum, sequence_sum(0x200000, per_huge));
		igt_assert_eq(mprotect(hi, SVM_THP_SZ, PROT_READ | PROT_WRITE), 0);
		svm_write_pages(buf, len, 0x7000);
		run_ok(SVM_RMW_STRIDED, 2 * per_huge, PTR(buf), 1, SVM_PAGE_SZ);
		svm_check_pages(buf, len, 0x7001);
		igt_assert_eq(munmap(buf, len), 0);

		fd = memfd_create("neuf-svm-hugetlb", MFD_CLOEXEC |
				  SVM_MFD_HUGETLB_2M);
		igt_assert_f(fd >= 0, "memfd_create(MFD_HUGETLB): %s\n",
			     strerror(errno));
		igt_assert_eq(ftruncate(fd, (off_t)len), 0);
		a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		igt_assert(a != MAP_FAILED && b != MAP_FAILED);
		run_ok(SVM_FILL_STRIDED, 2 * per_huge, PTR(a), 0x300000,
		       SVM_PAGE_SZ);
		svm_check_pages(b, len, 0x300000);
		svm_write_pages(b, len, 0x5e5);
		run_ok(SVM_RMW_STRIDED, 2 * per_huge, PTR(a), 3, SVM_PAGE_SZ);
		svm_check_pages(b, len, 0x5e8);
		munmap(a, len);
		munmap(b, len);
		close(fd);
		free(sum);
	}

	igt_describe("A shared mapping of a file on a block device: after "
		     "msync() writes a page back and write-protects it (the "
		     "notifier of page_mkclean()), a GPU store must fault so "
		     "that the page is dirtied again; a store through a stale "
		     "writable GPU mapping is lost once the clean page is "
		     "dropped and the file read back from the disk.");
	igt_subtest("writeback-gpu-store-after-clean") {
		const size_t len = 4 * SVM_PAGE_SZ, n = len / 4;
		const char *dir = getenv("NEUF_BLOCK_DIR");
		uint32_t *file_data = svm_xmalloc(len), *map;
		unsigned char resident[4];
		char path[PATH_MAX];
		int fd;

		igt_require_f(dir && *dir, "NEUF_BLOCK_DIR is unset: no "
			      "block-backed scratch filesystem (run-tests.sh "
			      "mounts ext2 on a loop device: CONFIG_BLK_DEV_LOOP "
			      "and CONFIG_EXT2_FS or CONFIG_EXT4_USE_FOR_EXT2)\n");
		snprintf(path, sizeof(path), "%s/neuf-svm-wb-%d", dir, getpid());
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		igt_assert_f(fd >= 0, "creating %s: %s\n", path, strerror(errno));
		unlink(path);
		neuf_igt_fill_pattern(file_data, n, 0xb10c);
		igt_assert_eq(pwrite(fd, file_data, len, 0), (ssize_t)len);
		igt_assert_eq(fsync(fd), 0);
		map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		igt_assert(map != MAP_FAILED);

		run_ok(SVM_RMW, n, PTR(map), 1);	/* dirties the pages */
		igt_assert_eq(msync(map, len, MS_SYNC), 0);	/* cleans them */
		run_ok(SVM_RMW, n, PTR(map), 1);	/* must dirty them again */
		igt_assert_eq(msync(map, len, MS_SYNC), 0);
		neuf_igt_check_pattern(map, n, 0xb10c, 2);
		igt_assert_eq(munmap(map, len), 0);

		/* Drop the clean pages; what is read next comes from the disk. */
		igt_assert_eq(posix_fadvise(fd, 0, len, POSIX_FADV_DONTNEED), 0);
		map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		igt_assert(map != MAP_FAILED);
		igt_assert_eq(mincore(map, len, resident), 0);
		for (size_t i = 0; i < len / SVM_PAGE_SZ; i++)
			igt_assert_f(!(resident[i] & 1), "page %zu of the file "
				     "stayed in the page cache: the test "
				     "cannot read it back from the disk\n", i);
		munmap(map, len);
		svm_set_value(file_data, n, 0);
		igt_assert_eq(pread(fd, file_data, len, 0), (ssize_t)len);
		/* A lost second store leaves 0xb10c + 1 on the disk. */
		neuf_igt_check_pattern(file_data, n, 0xb10c, 2);
		close(fd);
		free(file_data);
	}

	igt_describe("Anonymous memory the CPU never touched: the GPU reads "
		     "zeros, then writes, and the CPU reads what it wrote; and "
		     "memory whose first access ever is a GPU write.");
	igt_subtest("first-touch") {
		const size_t len = 16 * SVM_PAGE_SZ, n = len / 4;
		uint32_t *fresh = svm_map_anon(len, MAP_PRIVATE);
		uint32_t *fresh2 = svm_map_anon(len, MAP_PRIVATE);
		uint32_t *dst = svm_xmalloc(len);

		svm_set_value(dst, n, 0xdeadbeef);
		run_ok(SVM_COPY, n, PTR(fresh), PTR(dst));
		svm_check_value(dst, n, 0);
		run_ok(SVM_FILL, n, PTR(fresh), 0xf00);
		svm_check_sequence(fresh, n, 0xf00);

		run_ok(SVM_FILL, n, PTR(fresh2), 0xf1000);
		svm_check_sequence(fresh2, n, 0xf1000);

		munmap(fresh, len);
		munmap(fresh2, len);
		free(dst);
	}

	igt_describe("c = a + b over three 16 MiB malloc'd float arrays, in "
		     "dispatches of 64K invocations queued back to back; "
		     "every element checked.");
	igt_subtest("vector-add-16m") {
		/* Jobs small enough to stay far from the job timeout. */
		const uint32_t n = 4u << 20, chunk = 64u << 10;
		float *a = svm_xmalloc(n * sizeof(float));
		float *b = svm_xmalloc(n * sizeof(float));
		float *c = svm_xmalloc(n * sizeof(float));
		struct svm_dispatch jobs[64];
		struct timespec t0, t1;

		igt_assert_eq(n / chunk, sizeof(jobs) / sizeof(*jobs));
		/* a + b = 1.5 i + 1: exact in binary32 for i < 2^22. */
		for (uint32_t i = 0; i < n; i++) {
			a[i] = (float)i;
			b[i] = (float)i * 0.5f + 1.0f;
			c[i] = -1.0f;
		}
		for (uint32_t j = 0; j < n / chunk; j++)
			jobs[j] = (struct svm_dispatch){
				.kernel = SVM_VADD,
				.grid = chunk,
				.args = { PTR(a), PTR(b), PTR(c),
					  (uint64_t)j * chunk },
			};
		clock_gettime(CLOCK_MONOTONIC, &t0);
		check_ok_(jobs, n / chunk, __LINE__);	/* queued back to back */
		clock_gettime(CLOCK_MONOTONIC, &t1);
		igt_info("%u dispatches, %u invocations: %.3f s\n", n / chunk, n,
			 (double)(t1.tv_sec - t0.tv_sec) +
			 (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		for (uint32_t i = 0; i < n; i++) {
			double want = 1.5 * i + 1.0;

			igt_assert_f((double)c[i] == want, "c[%u] = %.9g, "
				     "expected %.9g\n", i, (double)c[i], want);
		}
		free(a);
		free(b);
		free(c);
	}

	igt_describe("One invocation walks a linked list of 1000 separately "
		     "malloc'd nodes by their raw pointers and sums the "
		     "values.");
	igt_subtest("linked-list") {
		struct node {
			struct node *next;
			uint64_t value;
		} *head = NULL;
		uint64_t *out = svm_xmalloc(2 * sizeof(uint64_t));
		uint64_t sum = 0, x = 0x9e3779b97f4a7c15ull;
		const int count = 1000;

		for (int i = 0; i < count; i++) {
			/* Odd sizes, so that nodes spread over many pages. */
			struct node *nd = svm_xmalloc(sizeof(*nd) + (size_t)(x % 512));

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			nd->value = x;
			nd->next = head;
			head = nd;
			sum += x;
		}
		out[0] = out[1] = 0xdeadbeef;
		run_ok(SVM_WALK_LIST, 1, PTR(head), PTR(out));
		igt_assert_f(out[1] == (uint64_t)count, "the GPU walked %" PRIu64
			     " nodes, expected %d\n", out[1], count);
		igt_assert_f(out[0] == sum, "sum %#" PRIx64 ", expected %#"
			     PRIx64 "\n", out[0], sum);
		while (head) {
			struct node *next = head->next;

			free(head);
			head = next;
		}
		free(out);
	}

	igt_describe("After munmap the GPU faults where the buffer was: the "
		     "job fails with EFAULT, at the exact address and access "
		     "where the GPU reports them; the GPU goes on working.");
	igt_subtest("munmap-then-fault") {
		const size_t len = 4 * SVM_PAGE_SZ, n = len / 4;
		uint8_t *buf = svm_map_anon(len, MAP_PRIVATE);
		uint32_t *dst = svm_xmalloc(len);

		run_ok(SVM_FILL, n, PTR(buf), 0x10);
		svm_check_sequence((uint32_t *)buf, n, 0x10);
		igt_assert_eq(munmap(buf, len), 0);

		run_fault(-EFAULT, buf, buf + len, SVM_ACCESS_WRITE,
			  SVM_FILL, n, PTR(buf), 0x20);
		/* One invocation: the exact byte. */
		require_unmapped(buf + 0x124, 4);
		run_fault(-EFAULT, buf + 0x124, buf + 0x125,
			  SVM_ACCESS_WRITE, SVM_FILL, 1, PTR(buf + 0x124), 0);
		require_unmapped(buf + 2 * SVM_PAGE_SZ + 8, 4);
		run_fault(-EFAULT, buf + 2 * SVM_PAGE_SZ + 8, buf + 2 * SVM_PAGE_SZ + 9,
			  SVM_ACCESS_READ, SVM_COPY, 1,
			  PTR(buf + 2 * SVM_PAGE_SZ + 8), PTR(dst));

		/* The GPU goes on working (in a new context, where faults are sticky). */
		run_ok(SVM_FILL, n, PTR(dst), 0x30);
		svm_check_sequence(dst, n, 0x30);
		free(dst);
	}

	igt_describe("A new mapping at the address of an unmapped one: the GPU "
		     "reads the new contents, not the old pages; the same for a "
		     "MAP_FIXED mapping replacing a live one.");
	igt_subtest("munmap-remap-new-contents") {
		const size_t len = 4 * SVM_PAGE_SZ, n = len / 4;
		uint32_t *buf = svm_map_anon(len, MAP_PRIVATE), *again;
		uint32_t *dst = svm_xmalloc(len);

		neuf_igt_fill_pattern(buf, n, 0xaaaa);
		run_ok(SVM_COPY, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0xaaaa, 0);

		igt_assert_eq(munmap(buf, len), 0);
		again = mmap(buf, len, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			     -1, 0);
		igt_assert_f(again == buf, "remapping at %p gave %p (%s)\n",
			     (void *)buf, (void *)again,
			     again == MAP_FAILED ? strerror(errno) : "moved");
		neuf_igt_fill_pattern(buf, n, 0xbbbb);
		run_ok(SVM_COPY, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0xbbbb, 0);

		/* MAP_FIXED over the live mapping: no munmap of our own. */
		again = mmap(buf, len, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		igt_assert(again == buf);
		neuf_igt_fill_pattern(buf, n, 0xcccc);
		run_ok(SVM_COPY, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0xcccc, 0);

		munmap(buf, len);
		free(dst);
	}

	igt_describe("After mprotect(PROT_READ) the GPU still reads, but a GPU "
		     "store fails with EFAULT/write and an atomic with "
		     "EFAULT/atomic, and nothing is written; restoring "
		     "PROT_WRITE makes both work again.");
	igt_subtest("mprotect-read-only") {
		const size_t len = 4 * SVM_PAGE_SZ, n = len / 4;
		uint8_t *buf = svm_map_anon(len, MAP_PRIVATE);
		uint32_t *words = (uint32_t *)buf, *dst = svm_xmalloc(len);

		neuf_igt_fill_pattern(words, n, 0x4040);
		/* The GPU maps the pages writable first. */
		run_ok(SVM_RMW, n, PTR(buf), 1);
		neuf_igt_check_pattern(words, n, 0x4040, 1);

		igt_assert_eq(mprotect(buf, len, PROT_READ), 0);
		run_ok(SVM_COPY, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0x4040, 1);
		run_fault(-EFAULT, buf, buf + len, SVM_ACCESS_WRITE,
			  SVM_FILL, n, PTR(buf), 0);
		run_fault(-EFAULT, buf + SVM_PAGE_SZ + 8, buf + SVM_PAGE_SZ + 9,
			  SVM_ACCESS_WRITE, SVM_FILL, 1,
			  PTR(buf + SVM_PAGE_SZ + 8), 0);
		run_fault(-EFAULT, buf, buf + len, SVM_ACCESS_ATOMIC,
			  SVM_ATOMIC_INC, n, PTR(buf));
		run_fault(-EFAULT, buf + 3 * SVM_PAGE_SZ + 16,
			  buf + 3 * SVM_PAGE_SZ + 17, SVM_ACCESS_ATOMIC,
			  SVM_ATOMIC_INC, 1, PTR(buf + 3 * SVM_PAGE_SZ + 16));
		neuf_igt_check_pattern(words, n, 0x4040, 1);

		igt_assert_eq(mprotect(buf, len, PROT_READ | PROT_WRITE), 0);
		run_ok(SVM_RMW, n, PTR(buf), 1);
		neuf_igt_check_pattern(words, n, 0x4040, 2);
		run_ok(SVM_ATOMIC_INC, n, PTR(buf));
		neuf_igt_check_pattern(words, n, 0x4040, 3);
		munmap(buf, len);
		free(dst);
	}

	igt_describe("After mprotect(PROT_NONE) GPU loads fail with "
		     "EFAULT/read and stores with EFAULT/write; restoring the "
		     "protection makes the old contents readable again.");
	igt_subtest("mprotect-none") {
		const size_t len = 4 * SVM_PAGE_SZ, n = len / 4;
		uint8_t *buf = svm_map_anon(len, MAP_PRIVATE);
		uint32_t *words = (uint32_t *)buf, *dst = svm_xmalloc(len);

		neuf_igt_fill_pattern(words, n, 0x5050);
		run_ok(SVM_COPY, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0x5050, 0);

		igt_assert_eq(mprotect(buf, len, PROT_NONE), 0);
		run_fault(-EFAULT, buf, buf + len, SVM_ACCESS_READ,
			  SVM_COPY, n, PTR(buf), PTR(dst));
		run_fault(-EFAULT, buf + 0x40, buf + 0x41, SVM_ACCESS_READ,
			  SVM_COPY, 1, PTR(buf + 0x40), PTR(dst));
		run_fault(-EFAULT, buf + 2 * SVM_PAGE_SZ, buf + 2 * SVM_PAGE_SZ + 1,
			  SVM_ACCESS_WRITE, SVM_FILL, 1,
			  PTR(buf + 2 * SVM_PAGE_SZ), 0);

		igt_assert_eq(mprotect(buf, len, PROT_READ | PROT_WRITE), 0);
		neuf_igt_check_pattern(words, n, 0x5050, 0);
		svm_set_value(dst, n, 0);
		run_ok(SVM_COPY, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0x5050, 0);
		munmap(buf, len);
		free(dst);
	}

	igt_describe("GPU stores count as stores for reclaim: after MADV_FREE "
		     "made a buffer lazily freeable, the GPU writes it, and "
		     "MADV_PAGEOUT must keep the GPU's data (a CPU store would "
		     "have made the pages dirty), while an untouched control "
		     "buffer is discarded.");
	igt_subtest("madvise-free-gpu-write-kept") {
		const size_t len = 16 * SVM_PAGE_SZ, n = len / 4;
		uint32_t *ctl = svm_map_anon(len, MAP_PRIVATE);
		uint32_t *buf = svm_map_anon(len, MAP_PRIVATE);
		uint32_t *dst = svm_xmalloc(len);
		cpu_set_t all;
		int ret;

		svm_pin_to_first_cpu(&all);

		madvise(ctl, len, MADV_NOHUGEPAGE);
		madvise(buf, len, MADV_NOHUGEPAGE);

		/* Control: lazily freed, untouched, paged out: zeros. */
		neuf_igt_fill_pattern(ctl, n, 0x1111);
		igt_assert_eq(madvise(ctl, len, MADV_FREE), 0);
		neuf_igt_require_kconfig("CONFIG_SWAP");
		ret = madvise(ctl, len, MADV_PAGEOUT);
		igt_require_f(ret == 0, "MADV_PAGEOUT: %s\n", strerror(errno));
		igt_require_f(ctl[0] == 0 && ctl[n - 1] == 0,
			      "MADV_PAGEOUT kept lazily freed pages here: this "
			      "test could not fail\n");

		/* The GPU maps the buffer, then it becomes lazily freeable. */
		neuf_igt_fill_pattern(buf, n, 0x2222);
		run_ok(SVM_COPY, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0x2222, 0);
		igt_assert_eq(madvise(buf, len, MADV_FREE), 0);

		/* Only the GPU writes; reclaim must not drop its data. */
		run_ok(SVM_FILL, n, PTR(buf), 0xf000);
		igt_assert_eq(madvise(buf, len, MADV_PAGEOUT), 0);
		igt_assert_eq(sched_setaffinity(0, sizeof(all), &all), 0);
		svm_check_sequence(buf, n, 0xf000);

		munmap(ctl, len);
		munmap(buf, len);
		free(dst);
	}

	igt_describe("GPU loads do not dirty memory: a lazily freed buffer the "
		     "GPU only read is discarded by MADV_PAGEOUT like one the "
		     "CPU only read, and the GPU then reads the zeros the CPU "
		     "sees, not the discarded pages.");
	igt_subtest("madvise-free-gpu-read-discarded") {
		const size_t len = 16 * SVM_PAGE_SZ, n = len / 4;
		uint32_t *buf = svm_map_anon(len, MAP_PRIVATE);
		uint32_t *dst = svm_xmalloc(len), *want = svm_xmalloc(len);
		cpu_set_t all;
		int ret;

		neuf_igt_require_kconfig("CONFIG_SWAP");
		svm_pin_to_first_cpu(&all);
		madvise(buf, len, MADV_NOHUGEPAGE);

		neuf_igt_fill_pattern(buf, n, 0x3333);
		igt_assert_eq(madvise(buf, len, MADV_FREE), 0);
		/* The GPU maps the lazily freed pages, reading only. */
		run_ok(SVM_COPY, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0x3333, 0);

		ret = madvise(buf, len, MADV_PAGEOUT);
		igt_require_f(ret == 0, "MADV_PAGEOUT: %s\n", strerror(errno));
		igt_assert_eq(sched_setaffinity(0, sizeof(all), &all), 0);
		if (backend->caps & SVM_CAP_NO_MIGRATION) {
			igt_assert_f(buf[0] == 0 && buf[n - 1] == 0,
				     "MADV_PAGEOUT kept lazily freed pages the "
				     "GPU only read (%#x, %#x): a GPU load "
				     "dirtied them\n", buf[0], buf[n - 1]);
		} else {
			/*
			 * Pages the driver moved to the GPU's memory came back
			 * as new, dirty pages: each page is discarded or whole.
			 */
			unsigned int kept = 0;

			for (size_t pg = 0; pg < len / SVM_PAGE_SZ; pg++) {
				const size_t first = pg * SVM_PAGE_SZ / 4;
				const uint32_t *w = buf + first;
				bool whole = w[0] == neuf_igt_pattern(0x3333, first);

				kept += whole;
				for (size_t i = 0; i < SVM_PAGE_SZ / 4; i++)
					igt_assert_f(w[i] == (whole ?
						     neuf_igt_pattern(0x3333, first + i) : 0),
						     "page %zu word %zu = %#x: "
						     "neither discarded nor "
						     "kept whole\n", pg, i, w[i]);
			}
			igt_info("%u of %zu pages kept (moved by %s, so "
				 "dirty)\n", kept, len / SVM_PAGE_SZ,
				 backend->name);
		}
		/* The GPU then reads what the CPU sees: zeros, where pages stay. */
		svm_set_value(dst, n, 0xdead);
		run_ok(SVM_COPY, n, PTR(buf), PTR(dst));
		if (backend->caps & SVM_CAP_NO_MIGRATION)
			svm_check_value(dst, n, 0);
		memcpy(want, buf, len);
		for (size_t i = 0; i < n; i++)
			igt_assert_f(dst[i] == want[i], "dst[%zu] = %#x, the CPU "
				     "reads %#x\n", i, dst[i], want[i]);
		munmap(buf, len);
		free(want);
		free(dst);
	}

	igt_describe("memfd_secret() memory is out of the kernel's reach, and so "
		     "out of the GPU's: reads and writes fail with EFAULT, the "
		     "kernel stays healthy, the data is untouched.");
	igt_subtest("secretmem-refused") {
		const size_t len = 2 * SVM_PAGE_SZ, n = len / 4;
		uint32_t *dst = svm_xmalloc(len), *buf;
		int fd;

		neuf_igt_require_kconfig("CONFIG_SECRETMEM");
		fd = syscall(SYS_memfd_secret, 0);
		/* ENOSYS here: booted with secretmem.enable=0 (6.1's default). */
		igt_require_f(fd >= 0, "memfd_secret: %s (secretmem.enable=0?)\n",
			      strerror(errno));
		igt_assert_eq(ftruncate(fd, len), 0);
		buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		igt_assert(buf != MAP_FAILED);
		neuf_igt_fill_pattern(buf, n, 0x7070);

		run_fault(-EFAULT, buf, (uint8_t *)buf + len,
			  SVM_ACCESS_READ, SVM_COPY, n, PTR(buf), PTR(dst));
		run_fault(-EFAULT, buf, (uint8_t *)buf + len,
			  SVM_ACCESS_WRITE, SVM_FILL, n, PTR(buf), 0);
		neuf_igt_check_pattern(buf, n, 0x7070, 0);

		/* Ordinary memory next to it still works. */
		run_ok(SVM_COPY, n, PTR(dst), PTR(dst));
		munmap(buf, len);
		close(fd);
		free(dst);
	}

	igt_describe("After MADV_DONTNEED the GPU reads zeros where it read the "
		     "CPU's data before, then its writes land in fresh pages.");
	igt_subtest("madvise-dontneed") {
		const size_t len = 8 * SVM_PAGE_SZ, n = len / 4;
		uint32_t *buf = svm_map_anon(len, MAP_PRIVATE), *dst = svm_xmalloc(len);

		neuf_igt_fill_pattern(buf, n, 0x6060);
		run_ok(SVM_COPY, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0x6060, 0);

		igt_assert_eq(madvise(buf, len, MADV_DONTNEED), 0);
		run_ok(SVM_COPY, n, PTR(buf), PTR(dst));
		svm_check_value(dst, n, 0);

		run_ok(SVM_FILL, n, PTR(buf), 0x6000);
		svm_check_sequence(buf, n, 0x6000);
		igt_assert_eq(madvise(buf, len, MADV_DONTNEED), 0);
		svm_check_value(buf, n, 0);
		munmap(buf, len);
		free(dst);
	}

	igt_describe("After mremap moves a buffer the GPU finds the data at "
		     "the new address, and faults at the old one.");
	igt_subtest("mremap-move") {
		const size_t len = 8 * SVM_PAGE_SZ, n = len / 4;
		uint8_t *old = svm_map_anon(len, MAP_PRIVATE), *moved, *guard;
		uint8_t *target = mmap(NULL, len, PROT_NONE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uint32_t *dst = svm_xmalloc(len);

		igt_assert(target != MAP_FAILED);
		neuf_igt_fill_pattern((uint32_t *)old, n, 0x7070);
		run_ok(SVM_RMW, n, PTR(old), 2);	/* mapped on the GPU */

		moved = mremap(old, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
			       target);
		igt_assert_f(moved == target, "mremap: %s\n", strerror(errno));
		/* Keep the old range reserved, and inaccessible. */
		guard = mmap(old, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
			     MAP_FIXED_NOREPLACE, -1, 0);
		igt_assert(guard == old);

		run_ok(SVM_COPY, n, PTR(moved), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0x7070, 2);
		run_ok(SVM_RMW, n, PTR(moved), 3);
		neuf_igt_check_pattern((uint32_t *)moved, n, 0x7070, 5);
		run_fault(-EFAULT, old, old + len, SVM_ACCESS_READ,
			  SVM_COPY, n, PTR(old), PTR(dst));
		run_fault(-EFAULT, old + 0x1008, old + 0x1009,
			  SVM_ACCESS_WRITE, SVM_FILL, 1, PTR(old + 0x1008), 0);
		munmap(guard, len);
		munmap(moved, len);
		free(dst);
	}

	igt_describe("mremap(MREMAP_DONTUNMAP) moves the pages and keeps the "
		     "old range mapped, but empty: the GPU finds the data at "
		     "the new address, zeros at the old one, and its writes "
		     "there do not reach the moved pages.");
	igt_subtest("mremap-dontunmap") {
		const size_t len = 8 * SVM_PAGE_SZ, n = len / 4;
		uint32_t *old = svm_map_anon(len, MAP_PRIVATE), *moved;
		uint32_t *dst = svm_xmalloc(len);

		neuf_igt_fill_pattern(old, n, 0x7171);
		run_ok(SVM_RMW, n, PTR(old), 2);	/* mapped on the GPU, writable */

		/*
		 * Unlike a plain move, nothing unmaps the old range afterwards:
		 * only the invalidation of the move itself tells the GPU.
		 */
		/*
		 * The kernel reads new_address with MREMAP_DONTUNMAP too (a
		 * hint; EINVAL if not page-aligned), and glibc passes the
		 * fifth argument through: it must be given, NULL.
		 */
		moved = mremap(old, len, len, MREMAP_MAYMOVE | MREMAP_DONTUNMAP,
			       NULL);
		igt_assert_f(moved != MAP_FAILED, "mremap: %s\n",
			     strerror(errno));

		run_ok(SVM_COPY, n, PTR(old), PTR(dst));
		svm_check_value(dst, n, 0);
		run_ok(SVM_COPY, n, PTR(moved), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0x7171, 2);
		run_ok(SVM_FILL, n, PTR(old), 0x7200);
		svm_check_sequence(old, n, 0x7200);
		neuf_igt_check_pattern(moved, n, 0x7171, 2);
		munmap(moved, len);
		munmap(old, len);
		free(dst);
	}

	igt_describe("Memory registered with userfaultfd for missing pages: a "
		     "GPU load, store or atomic on a page the process has not "
		     "filled fails with EFAULT, as the kernel's own accesses "
		     "do, and leaves the page missing; the process fills the "
		     "pages with UFFDIO_COPY, and the GPU then reads and writes "
		     "what it put there.");
	igt_subtest("userfaultfd-missing") {
		const size_t len = 8 * SVM_PAGE_SZ, n = len / 4;
		const size_t pg = SVM_PAGE_SZ;
		uint8_t *buf = svm_map_anon(len, MAP_PRIVATE);
		uint32_t *src = svm_xmalloc(len), *dst = svm_xmalloc(len);
		int uffd = svm_userfaultfd(0, "UFFD_FEATURE_SIGBUS (Linux 4.14)");

		svm_userfaultfd_register(uffd, buf, len,
					 UFFDIO_REGISTER_MODE_MISSING);
		neuf_igt_fill_pattern(src, n, 0x0ffd);
		/* Page 0 is filled before the GPU comes. */
		svm_userfaultfd_copy(uffd, buf, src, pg);
		run_ok(SVM_COPY, pg / 4, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, pg / 4, 0x0ffd, 0);

		run_fault(-EFAULT, buf + 2 * pg + 8, buf + 2 * pg + 9,
			  SVM_ACCESS_READ, SVM_COPY, 1, PTR(buf + 2 * pg + 8),
			  PTR(dst));
		run_fault(-EFAULT, buf + 5 * pg + 0x10, buf + 5 * pg + 0x11,
			  SVM_ACCESS_WRITE, SVM_FILL, 1, PTR(buf + 5 * pg + 0x10),
			  0);
		run_fault(-EFAULT, buf + 6 * pg + 0x20, buf + 6 * pg + 0x21,
			  SVM_ACCESS_ATOMIC, SVM_ATOMIC_INC, 1,
			  PTR(buf + 6 * pg + 0x20));
		run_fault(-EFAULT, buf + pg, buf + len, SVM_ACCESS_READ,
			  SVM_COPY, n, PTR(buf), PTR(dst));

		/* EEXIST if a GPU fault had made any of these pages. */
		svm_userfaultfd_copy(uffd, buf + pg, (uint8_t *)src + pg,
				     len - pg);
		run_ok(SVM_COPY, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0x0ffd, 0);
		run_ok(SVM_RMW, n, PTR(buf), 1);
		neuf_igt_check_pattern((uint32_t *)buf, n, 0x0ffd, 1);
		close(uffd);
		munmap(buf, len);
		free(src);
		free(dst);
	}

	igt_describe("userfaultfd write protection of pages the GPU maps "
		     "writable: afterwards a GPU store or atomic on a protected "
		     "page fails with EFAULT and changes nothing, while loads "
		     "and the pages beside it work; lifting the protection "
		     "makes the GPU's stores land again.");
	igt_subtest("userfaultfd-wp") {
		const uint32_t pages = 16, first = 0x3e00;
		const size_t pg = SVM_PAGE_SZ, len = pages * pg;
		/* Pages 3 and 10..13 are protected. */
		const uint32_t prot = 1u << 3 | 0xfu << 10;
		uint8_t *buf = svm_map_anon(len, MAP_PRIVATE);
		uint64_t *sum = svm_xmalloc(sizeof(*sum)), want_sum = 0;
		int uffd = svm_userfaultfd(UFFD_FEATURE_PAGEFAULT_FLAG_WP,
					   "write protection (Linux 5.7)");

		svm_write_pages(buf, len, first);
		svm_userfaultfd_register(uffd, buf, len, UFFDIO_REGISTER_MODE_WP);
		/* Each page mapped writable on the GPU. */
		run_ok(SVM_RMW_STRIDED, pages, PTR(buf), 0x10000, pg);
		svm_check_pages(buf, len, first + 0x10000);

		svm_userfaultfd_wp(uffd, buf + 3 * pg, pg, true);
		svm_userfaultfd_wp(uffd, buf + 10 * pg, 4 * pg, true);
		run_fault(-EFAULT, buf + 3 * pg, buf + 3 * pg + 1,
			  SVM_ACCESS_WRITE, SVM_FILL_STRIDED, 1,
			  PTR(buf + 3 * pg), 0, pg);
		run_fault(-EFAULT, buf + 11 * pg, buf + 11 * pg + 1,
			  SVM_ACCESS_ATOMIC, SVM_ATOMIC_INC, 1,
			  PTR(buf + 11 * pg));
		run_fault(-EFAULT, buf + 13 * pg, buf + 13 * pg + 1,
			  SVM_ACCESS_WRITE, SVM_RMW_STRIDED, 1,
			  PTR(buf + 13 * pg), 1, pg);
		svm_check_pages(buf, len, first + 0x10000);

		/* Loads of every page, stores to the pages beside. */
		*sum = 0;
		run_ok(SVM_READ_STRIDED, pages, PTR(buf), PTR(sum), pg);
		for (uint32_t i = 0; i < pages; i++)
			want_sum += first + 0x10000 + i;
		igt_assert_eq_u64(*sum, want_sum);
		run_ok(SVM_RMW_STRIDED, 3, PTR(buf), 0x100000, pg);
		run_ok(SVM_RMW_STRIDED, 6, PTR(buf + 4 * pg), 0x100000, pg);
		run_ok(SVM_RMW_STRIDED, 2, PTR(buf + 14 * pg), 0x100000, pg);
		check_wp_pages(buf, pages, first + 0x10000, prot, 0x100000);

		svm_userfaultfd_wp(uffd, buf, len, false);
		run_ok(SVM_RMW_STRIDED, pages, PTR(buf), 1, pg);
		check_wp_pages(buf, pages, first + 0x10001, prot, 0x100000);
		close(uffd);
		munmap(buf, len);
		free(sum);
	}

	igt_describe("userfaultfd write protection of shared memory the "
		     "process has not mapped yet: the kernel marks the empty "
		     "PTEs (PTE markers), the GPU reads through them what "
		     "another mapping wrote, as the CPU does, and its stores "
		     "and atomics fail with EFAULT until the protection is "
		     "lifted.");
	igt_subtest("userfaultfd-wp-shmem") {
		const size_t len = 8 * SVM_PAGE_SZ, n = len / 4;
		const size_t pg = SVM_PAGE_SZ;
		uint32_t *a, *b, *dst = svm_xmalloc(len);
		int fd, uffd;

		uffd = svm_userfaultfd(UFFD_FEATURE_PAGEFAULT_FLAG_WP |
				       UFFD_FEATURE_WP_HUGETLBFS_SHMEM,
				       "write protection of shmem (Linux 5.19)");
		fd = memfd_create("neuf-svm-uffd-wp", MFD_CLOEXEC);
		igt_assert_f(fd >= 0, "memfd_create: %s\n", strerror(errno));
		igt_assert_eq(ftruncate(fd, (off_t)len), 0);
		a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		igt_assert(a != MAP_FAILED && b != MAP_FAILED);

		/* Written through b: a maps nothing when it is protected. */
		neuf_igt_fill_pattern(b, n, 0x5a5a);
		svm_userfaultfd_register(uffd, a, len, UFFDIO_REGISTER_MODE_WP);
		svm_userfaultfd_wp(uffd, a, len, true);

		run_ok(SVM_COPY, n, PTR(a), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0x5a5a, 0);
		run_fault(-EFAULT, (uint8_t *)a + 2 * pg,
			  (uint8_t *)a + 2 * pg + 1, SVM_ACCESS_WRITE, SVM_FILL,
			  1, PTR((uint8_t *)a + 2 * pg), 0);
		run_fault(-EFAULT, (uint8_t *)a + 5 * pg + 8,
			  (uint8_t *)a + 5 * pg + 9, SVM_ACCESS_ATOMIC,
			  SVM_ATOMIC_INC, 1, PTR((uint8_t *)a + 5 * pg + 8));
		neuf_igt_check_pattern(b, n, 0x5a5a, 0);

		svm_userfaultfd_wp(uffd, a, len, false);
		run_ok(SVM_RMW, n, PTR(a), 1);
		neuf_igt_check_pattern(b, n, 0x5a5a, 1);
		close(uffd);
		munmap(a, len);
		munmap(b, len);
		close(fd);
		free(dst);
	}

	igt_describe("UFFDIO_MOVE of pages the GPU maps writable, into a "
		     "range registered for missing pages: the GPU finds them at "
		     "the new address, and nothing at the old one, where its "
		     "stores make new pages.");
	igt_subtest("userfaultfd-move") {
		const size_t len = 16 * SVM_PAGE_SZ;
		uint8_t *src = svm_map_anon(len, MAP_PRIVATE);
		uint8_t *dst = svm_map_anon(len, MAP_PRIVATE);
		int uffd = svm_userfaultfd(UFFD_FEATURE_MOVE,
					   "UFFDIO_MOVE (Linux 6.8)");

		uffd_move_under_gpu(uffd, src, dst, len, false, 0x4d00);
		close(uffd);
		munmap(src, len);
		munmap(dst, len);
	}

	igt_describe("UFFDIO_MOVE of a transparent huge page the GPU maps: the "
		     "kernel moves the PMD whole, and the GPU finds the page at "
		     "the new address and nothing at the old one.");
	igt_subtest("userfaultfd-move-thp") {
		void *src_mapping, *dst_mapping;
		size_t src_len, dst_len;
		uint8_t *src, *dst;
		int uffd = svm_userfaultfd(UFFD_FEATURE_MOVE,
					   "UFFDIO_MOVE (Linux 6.8)");

		neuf_igt_require_kconfig("CONFIG_TRANSPARENT_HUGEPAGE");
		src = svm_map_thp_range(&src_mapping, &src_len);
		dst = svm_map_thp_range(&dst_mapping, &dst_len);
		src[0] = 1;
		igt_require_f(svm_anon_huge_kb(src) >= (long)(SVM_THP_SZ >> 10),
			      "no transparent huge page for the source (%ld kB "
			      "huge)\n", svm_anon_huge_kb(src));

		uffd_move_under_gpu(uffd, src, dst, SVM_THP_SZ, true, 0x7d00);
		close(uffd);
		munmap(src_mapping, src_len);
		munmap(dst_mapping, dst_len);
	}

	igt_describe("fork() makes private memory copy-on-write: after the "
		     "parent writes, the GPU sees the parent's new data, and "
		     "the child keeps the old data whatever the GPU does.");
	igt_subtest("fork-cow") {
		const size_t len = 8 * SVM_PAGE_SZ, n = len / 4;
		uint32_t *buf = svm_map_anon(len, MAP_PRIVATE), *dst = svm_xmalloc(len);
		int go[2];

		neuf_igt_fill_pattern(buf, n, 0x8080);
		run_ok(SVM_COPY, n, PTR(buf), PTR(dst));	/* mapped on the GPU */
		neuf_igt_check_pattern(dst, n, 0x8080, 0);
		igt_assert_eq(pipe(go), 0);

		igt_fork(child, 1) {
			close(go[1]);
			svm_wait_for_parent(go[0]);
			/*
			 * The parent's writes are not ours, its GPU's writes
			 * (into buf and into the heap page of dst) neither.
			 */
			neuf_igt_check_pattern(buf, n, 0x8080, 0);
			neuf_igt_check_pattern(dst, n, 0x8080, 0);
		}
		close(go[0]);

		neuf_igt_fill_pattern(buf, n, 0x9090);	/* COW break in the parent */
		run_ok(SVM_COPY, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0x9090, 0);
		run_ok(SVM_RMW, n, PTR(buf), 4);
		neuf_igt_check_pattern(buf, n, 0x9090, 4);

		svm_tell(go[1]);
		close(go[1]);
		igt_waitchildren();
		munmap(buf, len);
		free(dst);
	}

	igt_describe("After fork() the GPU maps pages the parent shares with "
		     "its child. A CPU write in the parent breaks copy-on-"
		     "write and the GPU follows the parent to its new page; "
		     "a GPU write breaks it too; the child keeps the old data.");
	igt_subtest("fork-cow-gpu-maps-shared") {
		const size_t len = 8 * SVM_PAGE_SZ, n = len / 4, h = n / 2;
		uint32_t *buf = svm_map_anon(len, MAP_PRIVATE), *dst = svm_xmalloc(len);
		int go[2];

		neuf_igt_fill_pattern(buf, h, 0x8181);
		neuf_igt_fill_pattern(buf + h, h, 0x8282);
		igt_assert_eq(pipe(go), 0);
		igt_fork(child, 1) {
			close(go[1]);
			svm_wait_for_parent(go[0]);
			neuf_igt_check_pattern(buf, h, 0x8181, 0);
			neuf_igt_check_pattern(buf + h, h, 0x8282, 0);
		}
		close(go[0]);

		/*
		 * Mapped on the GPU only now, after fork() write-protected it,
		 * and read-only: shared with the child. In the first half the
		 * CPU's COW break is the one invalidation that moves the GPU to
		 * the parent's new page; in the second the GPU's own write must
		 * break COW, never reach the shared page.
		 */
		run_ok(SVM_COPY, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, h, 0x8181, 0);
		neuf_igt_check_pattern(dst + h, h, 0x8282, 0);
		neuf_igt_fill_pattern(buf, h, 0x9191);
		run_ok(SVM_RMW, h, PTR(buf + h), 1);
		run_ok(SVM_COPY, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, h, 0x9191, 0);
		neuf_igt_check_pattern(dst + h, h, 0x8282, 1);
		neuf_igt_check_pattern(buf + h, h, 0x8282, 1);

		svm_tell(go[1]);
		close(go[1]);
		igt_waitchildren();
		munmap(buf, len);
		free(dst);
	}

	igt_describe("A transparent huge page the GPU first touches in its "
		     "middle: each base page reads as the CPU wrote it, and "
		     "after mprotect() and MADV_DONTNEED split the huge page, "
		     "the GPU sees exactly what the CPU sees.");
	igt_subtest("thp-split-mid-fault") {
		const size_t n = SVM_THP_SZ / 4, per_page = SVM_PAGE_SZ / 4;
		uint32_t *dst = svm_xmalloc(SVM_THP_SZ), *buf;
		uint8_t *ro, *zapped;
		size_t mapping_len;
		void *mapping;
		long kb;

		neuf_igt_require_kconfig("CONFIG_TRANSPARENT_HUGEPAGE");
		buf = (uint32_t *)svm_map_thp_range(&mapping, &mapping_len);
		neuf_igt_fill_pattern(buf, n, 0xa0a0);
		kb = svm_anon_huge_kb(buf);
		igt_require_f(kb >= (long)(SVM_THP_SZ >> 10), "the kernel did not "
			      "back the range with a huge page (AnonHugePages "
			      "%ld kB; transparent_hugepage/enabled=never?)\n",
			      kb);

		/* First GPU touch at base page 300, then the whole huge page. */
		run_ok(SVM_COPY, per_page, PTR(buf + 300 * per_page),
		       PTR(dst + 300 * per_page));
		for (size_t i = 300 * per_page; i < 301 * per_page; i++)
			igt_assert_f(dst[i] == neuf_igt_pattern(0xa0a0, i), "dst[%zu] = "
				     "%#x, expected %#x\n", i, dst[i],
				     neuf_igt_pattern(0xa0a0, i));
		run_ok(SVM_COPY, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0xa0a0, 0);
		run_ok(SVM_RMW, n, PTR(buf), 1);
		neuf_igt_check_pattern(buf, n, 0xa0a0, 1);
		kb = svm_anon_huge_kb(buf);
		if (backend->caps & SVM_CAP_NO_MIGRATION)
			igt_assert_lte(SVM_THP_SZ >> 10, kb);
		else	/* moving the pages to the GPU splits it */
			igt_info("AnonHugePages after the GPU's faults: %ld "
				 "kB\n", kb);

		/* Split: base page 100 read-only, base page 200 zapped. */
		ro = (uint8_t *)buf + 100 * SVM_PAGE_SZ;
		zapped = (uint8_t *)buf + 200 * SVM_PAGE_SZ;
		igt_assert_eq(mprotect(ro, SVM_PAGE_SZ, PROT_READ), 0);
		igt_assert_eq(madvise(zapped, SVM_PAGE_SZ, MADV_DONTNEED), 0);
		run_fault(-EFAULT, ro, ro + SVM_PAGE_SZ, SVM_ACCESS_WRITE,
			  SVM_FILL, 1, PTR(ro + 8), 0);
		run_ok(SVM_COPY, n, PTR(buf), PTR(dst));
		for (size_t i = 0; i < n; i++) {
			uint32_t want = i / per_page == 200 ? 0 :
					neuf_igt_pattern(0xa0a0, i) + 1;

			igt_assert_f(dst[i] == want, "dst[%zu] (base page "
				     "%zu) = %#x, expected %#x\n", i,
				     i / per_page, dst[i], want);
		}

		igt_assert_eq(mprotect(ro, SVM_PAGE_SZ, PROT_READ | PROT_WRITE), 0);
		svm_check_gpu_follows_cpu(buf, dst, n, 0xb0b0);
		munmap(mapping, mapping_len);
		free(dst);
	}

	igt_describe("Page migration under a GPU mapping: MADV_SOFT_OFFLINE "
		     "moves each page of a buffer the GPU maps to a new frame "
		     "(migrate_pages(), as compaction and NUMA balancing do); "
		     "afterwards the GPU reads what the CPU writes to the new "
		     "pages, and its stores reach the CPU.");
	igt_subtest("migrate-soft-offline") {
		const size_t pages = 8, len = pages * SVM_PAGE_SZ, n = len / 4;
		uint32_t *buf, *dst = svm_xmalloc(len);
		uint64_t before[8];
		int ret;

		neuf_igt_require_kconfig("CONFIG_MEMORY_FAILURE");
		/* Harmless in a test guest, not on a machine people use. */
		igt_require_f(!getenv("NEUF_SOFT_OFFLINE") ||
			      strcmp(getenv("NEUF_SOFT_OFFLINE"), "0"),
			      "NEUF_SOFT_OFFLINE=0: MADV_SOFT_OFFLINE would take "
			      "8 pages of this machine's memory out of service "
			      "until it reboots\n");
		buf = svm_map_anon(len, MAP_PRIVATE);
		madvise(buf, len, MADV_NOHUGEPAGE);
		neuf_igt_fill_pattern(buf, n, 0xc0c0);
		run_ok(SVM_RMW, n, PTR(buf), 1);	/* mapped on the GPU, writable */
		neuf_igt_check_pattern(buf, n, 0xc0c0, 1);
		for (size_t i = 0; i < pages; i++) {
			before[i] = svm_pfn_of((uint8_t *)buf + i * SVM_PAGE_SZ);
			igt_require_f(before[i], "no PFN of page %zu in "
				      "/proc/self/pagemap (not CAP_SYS_ADMIN?%s)\n",
				      i, backend->caps & SVM_CAP_NO_MIGRATION ?
				      "" : " or the page is in the GPU's memory");
		}

		ret = madvise(buf, len, MADV_SOFT_OFFLINE);
		igt_require_f(ret == 0 || errno != EINVAL, "MADV_SOFT_OFFLINE: %s\n",
			      strerror(errno));
		igt_assert_f(ret == 0, "MADV_SOFT_OFFLINE: %s (vm.enable_soft_offline "
			     "= 0?)\n", strerror(errno));
		for (size_t i = 0; i < pages; i++) {
			uint64_t now = svm_pfn_of((uint8_t *)buf + i * SVM_PAGE_SZ);

			igt_assert_f(now && now != before[i], "page %zu at PFN "
				     "%#" PRIx64 " after soft offline, %#" PRIx64
				     " before\n", i, now, before[i]);
		}
		neuf_igt_check_pattern(buf, n, 0xc0c0, 1);	/* migrated intact */
		svm_check_gpu_follows_cpu(buf, dst, n, 0xd0d0);
		munmap(buf, len);
		free(dst);
	}

	igt_describe("MADV_COLLAPSE copies 512 base pages the GPU maps into a "
		     "new transparent huge page and frees them: afterwards the "
		     "GPU reads and writes the huge page, as the CPU does.");
	igt_subtest("thp-collapse") {
		const size_t n = SVM_THP_SZ / 4;
		uint32_t *dst = svm_xmalloc(SVM_THP_SZ), *buf;
		size_t mapping_len;
		void *mapping;
		int ret, tries = 0;

		neuf_igt_require_kconfig("CONFIG_TRANSPARENT_HUGEPAGE");
		buf = (uint32_t *)svm_map_thp_range(&mapping, &mapping_len);
		igt_assert_eq(madvise(buf, SVM_THP_SZ, MADV_NOHUGEPAGE), 0);
		neuf_igt_fill_pattern(buf, n, 0xe0e0);	/* 512 base pages */
		igt_assert_eq(svm_anon_huge_kb(buf), 0);
		run_ok(SVM_RMW, n, PTR(buf), 1);	/* all mapped on the GPU */
		neuf_igt_check_pattern(buf, n, 0xe0e0, 1);

		igt_assert_eq(madvise(buf, SVM_THP_SZ, MADV_HUGEPAGE), 0);
		/* EAGAIN: a page was briefly busy (on a per-CPU LRU batch). */
		while ((ret = madvise(buf, SVM_THP_SZ, MADV_COLLAPSE)) &&
		       errno == EAGAIN && ++tries < 10)
			;
		igt_require_f(ret == 0 || errno != EINVAL, "MADV_COLLAPSE: %s "
			      "(before 6.1, or THP disabled)\n", strerror(errno));
		igt_assert_f(ret == 0, "MADV_COLLAPSE: %s\n", strerror(errno));
		igt_assert_lte(SVM_THP_SZ >> 10, svm_anon_huge_kb(buf));
		neuf_igt_check_pattern(buf, n, 0xe0e0, 1);

		svm_check_gpu_follows_cpu(buf, dst, n, 0xf0f0);
		munmap(mapping, mapping_len);
		free(dst);
	}

	igt_describe("KSM merges identical pages the GPU maps writable into "
		     "one write-protected page: the GPU reads the merged page, "
		     "and a store or atomic of the GPU's to one address breaks "
		     "COW for that address alone, as a CPU store does, while "
		     "the others keep sharing the merged page.");
	igt_subtest("ksm-merge") {
		enum { PAGES = 16 };
		const size_t pg = SVM_PAGE_SZ, words = pg / 4, len = PAGES * pg;
		uint32_t *dst = svm_xmalloc(len);
		uint8_t *buf;

		svm_require_ksm();
		buf = svm_map_anon(len, MAP_PRIVATE);
		igt_assert_eq(madvise(buf, len, MADV_NOHUGEPAGE), 0);
		for (unsigned int p = 0; p < PAGES; p++)
			neuf_igt_fill_pattern((uint32_t *)(buf + p * pg), words,
					      0x6b6b);
		run_ok(SVM_RMW, len / 4, PTR(buf), 1);	/* mapped writable */
		/* KSM merges system memory: this brings back pages a GPU moved. */
		check_ksm_pages(buf, PAGES, 0x6b6b, -1);

		igt_assert_eq(madvise(buf, len, MADV_MERGEABLE), 0);
		svm_ksm_wait_merged(PAGES);
		run_ok(SVM_COPY, len / 4, PTR(buf), PTR(dst));
		check_ksm_pages((uint8_t *)dst, PAGES, 0x6b6b, -1);

		/*
		 * The CPU's store to page 0 breaks its COW; then the GPU's,
		 * one page at a time, by RMW and by atomics. (ksmd makes the
		 * second page it scans the KSM page: a device that kept its
		 * writable mapping would store into every page still merged.)
		 */
		for (size_t i = 0; i < words; i++)
			((uint32_t *)buf)[i] += 1;
		check_ksm_pages(buf, PAGES, 0x6b6b, 0);
		for (unsigned int k = 1; k < PAGES; k++) {
			uint8_t *page = buf + k * pg;

			if (k % 2)
				run_ok(SVM_ATOMIC_INC, words, PTR(page));
			else
				run_ok(SVM_RMW, words, PTR(page), 1);
			check_ksm_pages(buf, PAGES, 0x6b6b, k);
		}
		run_ok(SVM_COPY, len / 4, PTR(buf), PTR(dst));
		check_ksm_pages((uint8_t *)dst, PAGES, 0x6b6b, PAGES - 1);
		munmap(buf, len);
		free(dst);
	}

	igt_describe("MAP_SHARED anonymous memory stays shared across fork: "
		     "the GPU sees a child's writes and a child sees the GPU's.");
	igt_subtest("fork-shared-stays-shared") {
		const size_t len = 4 * SVM_PAGE_SZ, n = len / 4;
		uint32_t *shared = svm_map_anon(len, MAP_SHARED), *dst = svm_xmalloc(len);

		neuf_igt_fill_pattern(shared, n, 0xd0d0);
		run_ok(SVM_RMW, n, PTR(shared), 1);	/* GPU-mapped */
		neuf_igt_check_pattern(shared, n, 0xd0d0, 1);

		igt_fork(child, 1) {
			neuf_igt_check_pattern(shared, n, 0xd0d0, 1);
			neuf_igt_fill_pattern(shared, n, 0xd1d1);
		}
		igt_waitchildren();
		run_ok(SVM_COPY, n, PTR(shared), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0xd1d1, 0);

		run_ok(SVM_FILL, n, PTR(shared), 0xd2000);
		igt_fork(child, 1) {
			svm_check_sequence(shared, n, 0xd2000);
		}
		igt_waitchildren();
		munmap(shared, len);
		free(dst);
	}

	igt_describe("fork() of a process whose GPU maps private hugetlbfs "
		     "pages writable, through the hugetlb paths that write-"
		     "protect the parent's pages and break their copy-on-write "
		     "(not the base pages'): a GPU store in the parent breaks "
		     "COW and never reaches the child; after a CPU store breaks "
		     "it, the GPU follows the parent to its new huge page.");
	igt_subtest("fork-cow-hugetlb") {
		const size_t len = 2 * SVM_THP_SZ;
		const uint32_t per_huge = SVM_THP_SZ / SVM_PAGE_SZ;
		uint64_t *sum = svm_xmalloc(sizeof(*sum));
		uint8_t *buf, *a, *b;
		int go[2];

		neuf_igt_require_kconfig("CONFIG_HUGETLBFS");
		/* Two pages, and the parent's two copies when it breaks COW. */
		buf = svm_map_hugetlb(len, 4);
		a = buf;
		b = buf + SVM_THP_SZ;
		svm_write_pages(buf, len, 0x3c00);
		run_ok(SVM_RMW_STRIDED, 2 * per_huge, PTR(buf), 1, SVM_PAGE_SZ);
		svm_check_pages(buf, len, 0x3c01);	/* both mapped writable */

		igt_assert_eq(pipe(go), 0);
		igt_fork(child, 1) {
			close(go[1]);
			svm_wait_for_parent(go[0]);
			svm_check_pages(buf, len, 0x3c01);
		}
		close(go[0]);

		/* a: the GPU's store breaks COW. */
		run_ok(SVM_RMW_STRIDED, per_huge, PTR(a), 0x100, SVM_PAGE_SZ);
		svm_check_pages(a, SVM_THP_SZ, 0x3d01);
		/* b: the GPU maps the shared page, then the CPU breaks COW. */
		*sum = 0;
		run_ok(SVM_READ_STRIDED, per_huge, PTR(b), PTR(sum), SVM_PAGE_SZ);
		igt_assert_eq_u64(*sum, sequence_sum(0x3c01 + per_huge, per_huge));
		svm_write_pages(b, SVM_THP_SZ, 0x5000);
		*sum = 0;
		run_ok(SVM_READ_STRIDED, per_huge, PTR(b), PTR(sum), SVM_PAGE_SZ);
		igt_assert_eq_u64(*sum, sequence_sum(0x5000, per_huge));
		run_ok(SVM_RMW_STRIDED, per_huge, PTR(b), 2, SVM_PAGE_SZ);
		svm_check_pages(b, SVM_THP_SZ, 0x5002);

		svm_tell(go[1]);
		close(go[1]);
		igt_waitchildren();
		munmap(buf, len);
		free(sum);
	}

	igt_describe("A thread forks children while GPU jobs keep writing "
		     "the parent's private memory: each child's copy never "
		     "changes after its fork, whatever the GPU writes next, "
		     "and every write of the GPU's reaches the parent (fork's "
		     "write protection, its invalidation and the copy-on-"
		     "write break a GPU write then makes, under a running "
		     "GPU).");
	igt_subtest("fork-cow-under-gpu") {
		const size_t len = FORK_PAGES * SVM_PAGE_SZ, n = len / 4;
		const uint32_t per = (uint32_t)(SVM_PAGE_SZ / 4);
		uint8_t *area = svm_map_anon(len + 2 * SVM_PAGE_SZ, MAP_PRIVATE);
		uint32_t *buf = (uint32_t *)(area + SVM_PAGE_SZ);
		struct forker f = {
			.buf = buf,
			.snap = svm_xmalloc(len),
			.n = n,
			.lock = PTHREAD_MUTEX_INITIALIZER,
			.cond = PTHREAD_COND_INITIALIZER,
		};
		struct svm_dispatch d[FORK_PAGES];
		struct svm_result res[FORK_PAGES];
		unsigned int job, k, failed = FORK_PAGES;
		int ret = 0;

		/*
		 * An inaccessible page either side: the region is a VMA of its
		 * own, merged with no neighbour, so its first and last pages
		 * are where fork() write-protects the ends of a range.
		 */
		igt_assert_eq(mprotect(area, SVM_PAGE_SZ, PROT_NONE), 0);
		igt_assert_eq(mprotect(area + SVM_PAGE_SZ + len, SVM_PAGE_SZ,
				       PROT_NONE), 0);
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint32_t)i;
		igt_assert_eq(pthread_create(&f.thread, NULL, forker_thread,
					     &f), 0);
		/*
		 * Job j writes (j << 20) + i to word i, a page per launch,
		 * from the first page or from the last (forker_next_job()).
		 * No assertion until the forker has stopped.
		 */
		for (job = 1;; job++) {
			enum fork_order order = forker_next_job(&f, job);
			bool done;

			for (unsigned int i = 0; i < FORK_PAGES; i++) {
				unsigned int page = order == FORK_ORDER_FIRST ?
						    i : FORK_PAGES - 1 - i;

				d[i] = (struct svm_dispatch){
					.kernel = SVM_FILL, .grid = per,
					.args = { PTR(buf + page * per),
						  (uint64_t)(job << 20) +
						  page * per },
				};
			}
			ret = backend->ops->run_batch(backend, d, FORK_PAGES,
						      res);
			for (failed = 0; !ret && failed < FORK_PAGES; failed++)
				if (res[failed].error)
					break;
			pthread_mutex_lock(&f.lock);
			if (ret || failed < FORK_PAGES)
				f.stop = true;
			else
				f.jobs = job;
			done = f.done || f.stop;
			pthread_cond_broadcast(&f.cond);
			pthread_mutex_unlock(&f.lock);
			if (done)
				break;
		}
		igt_assert_eq(pthread_join(f.thread, NULL), 0);
		for (k = 0; k < f.forked; k++) {
			int status = neuf_igt_wait_child(f.pid[k]);
			int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;

			igt_assert_f(code == 0, "child %u %s (wait status "
				     "%#x)\n", k, code == 2 ? "found a word no "
				     "job wrote in its copy" : code == 3 ?
				     "saw its copy change after its fork, as "
				     "the parent's GPU wrote on" : "failed",
				     status);
		}
		skip_if_unrecoverable(ret, __LINE__);
		igt_assert_f(ret == 0, "GPU job %u: %s\n", job,
			     neuf_igt_errno_name(ret));
		igt_assert_f(failed == FORK_PAGES, "GPU job %u, launch %u: "
			     "%s\n", job, failed, failed < FORK_PAGES ?
			     result_text(&res[failed]) : "");
		igt_assert_f(!f.err, "forking: %s\n", strerror(f.err));
		igt_assert_eq(f.forked, FORK_CHILDREN);
		igt_info("%u children forked over %u GPU jobs\n", f.forked, job);
		svm_check_sequence(buf, n, (uint32_t)(job << 20));
		munmap(area, len + 2 * SVM_PAGE_SZ);
		free(f.snap);
	}

	igt_describe("A child fork() made does not get its parent's GPU "
		     "context: a launch on the one it inherited fails (neuf: "
		     "EXEC refused with EACCES; CUDA: no context in a forked "
		     "child), writes nothing, and the parent's GPU goes on.");
	igt_subtest("fork-child-gpu-denied") {
		const size_t n = 1024;
		uint32_t *buf = svm_xmalloc(n * 4);

		neuf_igt_fill_pattern(buf, n, 0xd3d3);
		run_ok(SVM_RMW, n, PTR(buf), 1);	/* GPU-mapped */

		igt_fork(child, 1) {
			struct svm_result res = { 0 };
			uint64_t args[4] = { PTR(buf), 0x666 };
			int ret;

			/* Refused before it reaches the GPU, or a GPU fault. */
			expect_fault_log();
			ret = svm_backend_run(backend, SVM_FILL, n, args, &res);
			igt_assert_f(ret < 0 || res.error < 0, "the child's "
				     "launch on its parent's GPU context "
				     "succeeded\n");
			igt_info("the child's launch: %s\n", ret < 0 ?
				 neuf_igt_errno_name(ret) : result_text(&res));
			/* Its copy of the buffer, and the parent's, untouched. */
			neuf_igt_check_pattern(buf, n, 0xd3d3, 1);
		}
		igt_waitchildren();
		neuf_igt_check_pattern(buf, n, 0xd3d3, 1);
		run_ok(SVM_RMW, n, PTR(buf), 1);
		neuf_igt_check_pattern(buf, n, 0xd3d3, 2);
		free(buf);
	}

	igt_describe("CPU threads and GPU dispatches increment the same u64 "
		     "and u32 counters at once, with atomic adds and with a "
		     "CAS loop; no increment is lost.");
	igt_subtest("atomics-cpu-gpu") {
		struct atomic_thread threads[ATOMIC_CPU_THREADS];
		struct counters *c = svm_xmalloc(sizeof(*c));
		struct svm_dispatch jobs[2 * ATOMIC_GPU_JOBS];
		struct svm_result res[2 * ATOMIC_GPU_JOBS];
		const uint64_t gpu_adds = (uint64_t)ATOMIC_GPU_JOBS *
					  ATOMIC_GPU_GRID;
		const uint64_t want_cas = gpu_adds + (uint64_t)ATOMIC_CPU_THREADS *
					  ATOMIC_CPU_MIN_ADDS;
		uint64_t want = gpu_adds;
		pthread_barrier_t start;
		static int gpu_done;
		int ret;

		gpu_done = 0;
		memset(c, 0, sizeof(*c));
		for (int j = 0; j < ATOMIC_GPU_JOBS; j++) {
			jobs[2 * j] = (struct svm_dispatch){
				.kernel = SVM_ATOMIC_ADD,
				.grid = ATOMIC_GPU_GRID,
				.args = { PTR(&c->c64), PTR(&c->c32) },
			};
			jobs[2 * j + 1] = (struct svm_dispatch){
				.kernel = SVM_CAS_INC,
				.grid = ATOMIC_GPU_GRID,
				.args = { PTR(&c->cas64) },
			};
		}
		igt_assert_eq(pthread_barrier_init(&start, NULL,
						   ATOMIC_CPU_THREADS + 1), 0);
		for (int i = 0; i < ATOMIC_CPU_THREADS; i++) {
			threads[i].start = &start;
			threads[i].c = c;
			threads[i].gpu_done = &gpu_done;
			igt_assert_eq(pthread_create(&threads[i].thread, NULL,
						     atomic_cpu_thread,
						     &threads[i]), 0);
		}
		pthread_barrier_wait(&start);
		/* Runs the jobs back to back while the CPU threads add. */
		ret = backend->ops->run_batch(backend, jobs, 2 * ATOMIC_GPU_JOBS,
					      res);
		__atomic_store_n(&gpu_done, 1, __ATOMIC_RELEASE);
		for (int i = 0; i < ATOMIC_CPU_THREADS; i++) {
			pthread_join(threads[i].thread, NULL);
			want += threads[i].adds;
		}
		igt_assert_f(ret == 0, "waiting for the GPU jobs: %s\n",
			     neuf_igt_errno_name(ret));
		igt_info("CPU adds: %" PRIu64 " (CAS counter %u), GPU adds: %"
			 PRIu64 "\n", want - gpu_adds,
			 ATOMIC_CPU_THREADS * ATOMIC_CPU_MIN_ADDS, gpu_adds);
		for (int j = 0; j < 2 * ATOMIC_GPU_JOBS; j++)
			igt_assert_f(res[j].error == 0, "GPU job %d failed: "
				     "%s\n", j, result_text(&res[j]));
		igt_assert_eq_u64(c->c64, want);
		igt_assert_eq_u32(c->c32, (uint32_t)want);
		igt_assert_eq_u64(c->cas64, want_cas);
		pthread_barrier_destroy(&start);
		free(c);
	}

	igt_describe("A single dispatch over 256 MiB of memory nothing touched "
		     "before, one store per 4 KiB page, completes, with base "
		     "pages and with transparent huge pages where the kernel "
		     "has them.");
	igt_subtest("large-dispatch-256m") {
		const size_t len = 256ul << 20;
		uint8_t *small = svm_map_anon(len, MAP_PRIVATE);
		uint8_t *huge = svm_map_anon(len, MAP_PRIVATE);

		madvise(small, len, MADV_NOHUGEPAGE);
		madvise(huge, len, MADV_HUGEPAGE);
		timed_fill_pages("4 KiB pages", small, len, 0x10000);
		munmap(small, len);
		timed_fill_pages("huge pages", huge, len, 0x20000);
		munmap(huge, len);
	}

	igt_describe("A thread keeps remapping, unmapping, protecting and "
		     "discarding region R while GPU jobs stream over R (which "
		     "may fault, and nowhere else) and over its neighbour S, "
		     "whose results must always be exact; whenever the thread "
		     "pauses (after each kind of change in turn, and at the "
		     "end), the GPU reads and writes every page of R as the "
		     "CPU sees it.");
	igt_subtest("race-stress") {
		const size_t rlen = 8 * SVM_PAGE_SZ, slen = 2 * SVM_PAGE_SZ;
		const uint32_t sn = (uint32_t)(slen / 4);
		const bool keeps = backend->caps & SVM_CAP_FAULT_KEEPS_CONTEXT;
		/* Each fault costs a new GPU context where it is sticky. */
		const unsigned int iterations = 200, max_faults = keeps ? 200 : 50;
		const unsigned int pause_every = iterations / MUTATOR_CHANGES;
		uint8_t *region = svm_map_anon(rlen + slen, MAP_PRIVATE);
		uint32_t *s = (uint32_t *)(region + rlen);
		unsigned int ok = 0, faulted = 0, pauses = 0, i;
		struct mutator m = {
			.r = region, .len = rlen, .holes = keeps,
		};
		char bad[256] = "";
		int run_err = 0;

		memset(region, 0, rlen + slen);
		expect_fault_log();
		mutator_start(&m, 0);
		/*
		 * Any failure is only recorded until the mutator has stopped:
		 * an assertion must not leave it running.
		 */
		for (i = 0; i < iterations && faulted < max_faults && !bad[0];
		     i++) {
			const struct svm_dispatch d[2] = {
				/* R: one u32 per 64 bytes; may fault */
				{ .kernel = SVM_RMW_STRIDED,
				  .grid = (uint32_t)(rlen / 64),
				  .args = { PTR(region), 1, 64 } },
				/* S: exact, every time */
				{ .kernel = SVM_FILL, .grid = sn,
				  .args = { PTR(s), i * 0x10000 } },
			};
			struct svm_result res[2];
			int ret;

			/*
			 * Now and then the mutator is asked to pause after its
			 * next change of one kind, each kind in turn, and the
			 * jobs go on until it has; then R is checked whole.
			 */
			if (i && i % pause_every == 0)
				__atomic_store_n(&m.stop, 1, __ATOMIC_RELEASE);
			if (__atomic_load_n(&m.ended, __ATOMIC_ACQUIRE)) {
				mutator_stop(&m);
				if (m.err)
					break;
				check_r_follows_cpu(region, rlen);
				mutator_start(&m, ++pauses % MUTATOR_CHANGES);
			}
			ret = backend->ops->run_batch(backend, d, 2, res);
			if (!ret && res[0].error && !keeps) {
				/*
				 * A sticky fault over R failed S's job as
				 * well: run it again in the new context.
				 */
				ret = backend->ops->run_batch(backend, &d[1], 1,
							      &res[1]);
			}
			if (ret) {
				run_err = ret;
				snprintf(bad, sizeof(bad), "running the jobs "
					 "on %s: %s", backend->name,
					 neuf_igt_errno_name(ret));
				break;
			}
			if (res[1].error) {
				snprintf(bad, sizeof(bad), "job over S: %s",
					 result_text(&res[1]));
				break;
			}
			for (uint32_t k = 0; k < sn; k++) {
				if (s[k] != i * 0x10000 + k) {
					snprintf(bad, sizeof(bad), "iteration "
						 "%u: s[%u] = %#x, expected "
						 "%#x", i, k, s[k],
						 i * 0x10000 + k);
					break;
				}
			}

			if (res[0].error && res[0].error != -EFAULT) {
				snprintf(bad, sizeof(bad), "job over R: %s "
					 "(%d)", result_text(&res[0]),
					 res[0].error);
			} else if (res[0].error &&
				   (backend->caps & SVM_CAP_FAULT_ADDRESS) &&
				   (!res[0].where_known ||
				    res[0].fault_addr < PTR(region) ||
				    res[0].fault_addr >= PTR(region + rlen))) {
				snprintf(bad, sizeof(bad), "job over R faulted "
					 "at %#" PRIx64 ", outside R [%p, %p)",
					 res[0].fault_addr, (void *)region,
					 (void *)(region + rlen));
			} else if (res[0].error) {
				faulted++;
			} else {
				ok++;
			}
		}
		mutator_stop(&m);
		igt_info("jobs over R: %u succeeded, %u faulted; %lu changes "
			 "of R%s\n", ok, faulted, m.ops,
			 m.holes ? "" : " (no holes)");
		skip_if_unrecoverable(run_err, __LINE__);
		igt_assert_f(!bad[0], "%s\n", bad);
		igt_assert_f(!m.err, "mutator op %d failed: %s\n", m.failed_op,
			     strerror(m.err));
		svm_check_sequence(s, sn, (i - 1) * 0x10000);
		check_r_follows_cpu(region, rlen);
		munmap(region, rlen + slen);
	}

	igt_describe("Eight processes, each with its own GPU context, run jobs "
		     "over their own data at the same time; each gets exactly "
		     "its own results.");
	igt_subtest(MULTI_SUBTEST) {
		const char *worker = getenv(WORKER_ENV);

		if (worker) {
			multi_process_worker((unsigned int)strtoul(worker,
								  NULL, 10), 0);
			igt_success();
		}
		run_workers(MULTI_SUBTEST, 0, MULTI_PROCESSES, 0);
	}

	igt_describe("Four processes map their data at one virtual address "
		     "and run jobs over it at the same time, then four more in "
		     "their place: each GPU context finds its own process's "
		     "pages there, never those of another, nor of one that "
		     "ended.");
	igt_subtest(SAME_ADDR_SUBTEST) {
		const char *worker = getenv(WORKER_ENV);
		const char *addr = getenv(WORKER_ADDR_ENV);
		const size_t len = WORKER_WORDS * 4;
		void *spot[SAME_ADDR_TRIES];
		unsigned int t, w = 0;

		if (worker) {
			igt_assert_f(addr, WORKER_ADDR_ENV " is not set\n");
			multi_process_worker((unsigned int)strtoul(worker,
								  NULL, 10),
					     strtoull(addr, NULL, 0));
			igt_success();
		}
		/*
		 * An address free here is most likely free in each worker
		 * too; where one finds it taken, all try another: then one
		 * of 32 and 64 TiB, far from where the kernel puts the heap
		 * and mappings and from what a GPU driver may have reserved
		 * near either. Each address stays reserved here meanwhile.
		 */
		for (t = 0; t < SAME_ADDR_TRIES; t++) {
			void *hint = (void *)((uintptr_t)t << 45);

			spot[t] = mmap(hint, len, PROT_NONE, MAP_PRIVATE |
				       MAP_ANONYMOUS | MAP_NORESERVE |
				       (t ? MAP_FIXED_NOREPLACE : 0), -1, 0);
			igt_assert_f(spot[t] != MAP_FAILED &&
				     (!t || spot[t] == hint), "mmap(%p): %s\n",
				     hint, spot[t] == MAP_FAILED ?
				     strerror(errno) : "mapped elsewhere");
			for (w = 0; w < SAME_ADDR_WAVES; w++)
				if (!run_workers(SAME_ADDR_SUBTEST,
						 w * SAME_ADDR_PROCESSES,
						 SAME_ADDR_PROCESSES,
						 PTR(spot[t])))
					break;
			if (w == SAME_ADDR_WAVES)
				break;
		}
		igt_assert_f(t < SAME_ADDR_TRIES, "each of %d addresses was "
			     "taken in a worker\n", SAME_ADDR_TRIES);
		igt_info("%d waves of %d processes at %p\n", SAME_ADDR_WAVES,
			 SAME_ADDR_PROCESSES, spot[t]);
		do
			munmap(spot[t], len);
		while (t--);
	}

	igt_describe("A shared memfd the GPU wrote all over: a hole punched "
		     "in it reads as zeros on the GPU, and the GPU's stores "
		     "there land in the file; cut short, loads past its end "
		     "fail; grown back, it reads zeros (truncation's and "
		     "fallocate()'s unmap_mapping_range()).");
	igt_subtest("truncate-punch-hole") {
		int fd = memfd_create("neuf-svm-punch", MFD_CLOEXEC);

		igt_assert_f(fd >= 0, "memfd_create: %s\n", strerror(errno));
		truncate_punch_hole(fd, 4 * SVM_PAGE_SZ);
		close(fd);
	}

	igt_describe("The same through hugetlbfs, whose truncation and hole "
		     "punching unmap 2 MiB pages with a notifier call of "
		     "their own (unmap_hugepage_range()).");
	igt_subtest("truncate-punch-hole-hugetlb") {
		int fd;

		neuf_igt_require_kconfig("CONFIG_HUGETLBFS");
		/* Three pages, one at a time refaulted. */
		svm_require_hugetlb_pages(3);
		fd = memfd_create("neuf-svm-punch-hugetlb", MFD_CLOEXEC |
				  SVM_MFD_HUGETLB_2M);
		igt_assert_f(fd >= 0, "memfd_create(MFD_HUGETLB): %s\n",
			     strerror(errno));
		truncate_punch_hole(fd, SVM_THP_SZ);
		close(fd);
	}
}
