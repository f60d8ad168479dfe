// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * Shared virtual memory: a VM created with NEUF_VM_CREATE_SVM mirrors the
 * process's address space, so shaders use ordinary pointers into memory
 * the process got from malloc, mmap, its stack or a shared file, and the
 * GPU sees that memory exactly as the CPU does, whatever the process does
 * to it afterwards (munmap, mprotect, madvise, mremap, fork), whoever else
 * writes it (other threads, other processes), and however the process
 * ends (killed with jobs in flight, reaped).
 *
 * Every shader here lives in malloc'd memory too: it is what
 * neuf_assemble() returns.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include "igt.h"
#include "libneuf.h"
#include "neuf_asm.h"
#include "neuf_igt.h"
#include "neuf_isa.h"

#define PAGE_SZ 4096ul
#define NSEC_PER_SEC NEUF_IGT_NSEC_PER_SEC
/* Generous: under QEMU's TCG the whole machine, GPU model included, is slow. */
#define JOB_TIMEOUT_NS (120 * NSEC_PER_SEC)

#define PTR(p) ((uint64_t)(uintptr_t)(p))
/* Push constants of a dispatch; those not given are zero. */
#define ARGS(...) ((const uint64_t[NEUF_EXEC_NUM_ARGS]){ __VA_ARGS__ })

/*
 * Shaders. Most work on arrays of u32 with one invocation per element,
 * arg0 the array's address.
 */

/* buf[i] = arg1 + i */
static const char fill_src[] =
	"sreg r1, global_id\n"
	"sreg r2, arg0        # buf\n"
	"sreg r3, arg1        # first value\n"
	"shli r4, r1, 2\n"
	"add r4, r2, r4\n"
	"add r5, r3, r1\n"
	"st32 [r4], r5\n"
	"halt\n";

/* dst[i] = src[i] */
static const char copy_src[] =
	"sreg r1, global_id\n"
	"sreg r2, arg0        # src\n"
	"sreg r3, arg1        # dst\n"
	"shli r4, r1, 2\n"
	"add r5, r2, r4\n"
	"ld32 r6, [r5]\n"
	"add r7, r3, r4\n"
	"st32 [r7], r6\n"
	"halt\n";

/* buf[i] += arg1 */
static const char rmw_src[] =
	"sreg r1, global_id\n"
	"sreg r2, arg0        # buf\n"
	"sreg r3, arg1        # addend\n"
	"shli r4, r1, 2\n"
	"add r4, r2, r4\n"
	"ld32 r5, [r4]\n"
	"add r5, r5, r3\n"
	"st32 [r4], r5\n"
	"halt\n";

/* atomically buf[i] += 1 */
static const char atomic_inc_src[] =
	"sreg r1, global_id\n"
	"sreg r2, arg0        # buf\n"
	"shli r4, r1, 2\n"
	"add r4, r2, r4\n"
	"li r5, 1\n"
	"atom.add32 r0, [r4], r5\n"
	"halt\n";

/* u32 at arg0 + i * arg2 = arg1 + i: one element per stride */
static const char fill_strided_src[] =
	"sreg r1, global_id\n"
	"sreg r2, arg0        # base\n"
	"sreg r3, arg1        # first value\n"
	"sreg r6, arg2        # stride in bytes\n"
	"mul r4, r1, r6\n"
	"add r4, r2, r4\n"
	"add r5, r3, r1\n"
	"st32 [r4], r5\n"
	"halt\n";

/* u32 at arg0 + i * arg2 += arg1 */
static const char rmw_strided_src[] =
	"sreg r1, global_id\n"
	"sreg r2, arg0        # base\n"
	"sreg r3, arg1        # addend\n"
	"sreg r6, arg2        # stride in bytes\n"
	"mul r4, r1, r6\n"
	"add r4, r2, r4\n"
	"ld32 r5, [r4]\n"
	"add r5, r5, r3\n"
	"st32 [r4], r5\n"
	"halt\n";

/* Every invocation spins arg0 iterations, then buf[i] = arg2 + i (arg1). */
static const char spin_fill_src[] =
	"sreg r1, arg0        # iterations\n"
	"li r2, 0\n"
	"spin:\n"
	"  addi r2, r2, 1\n"
	"  b.lt r2, r1, spin\n"
	"sreg r1, global_id\n"
	"sreg r3, arg1        # buf\n"
	"sreg r4, arg2        # first value\n"
	"shli r5, r1, 2\n"
	"add r5, r3, r5\n"
	"add r6, r4, r1\n"
	"st32 [r5], r6\n"
	"halt\n";

/*
 * Reads the u32 at arg0 once, stores 1 to arg2, then polls arg0 until it
 * differs from arg1 and stores the value it found to arg3.
 */
static const char poll_change_src[] =
	"sreg r1, arg0        # watched word\n"
	"sreg r2, arg1        # its old value\n"
	"sreg r3, arg2        # started flag\n"
	"sreg r4, arg3        # result\n"
	"ld32 r5, [r1]\n"
	"li r6, 1\n"
	"st32 [r3], r6\n"
	"poll:\n"
	"  ld32 r5, [r1]\n"
	"  b.eq r5, r2, poll\n"
	"st32 [r4], r5\n"
	"halt\n";

/* Device state: static, so that it survives a failing subtest's longjmp. */
static struct neuf_device *dev;
static uint32_t vm;
static uint64_t *sh_fill, *sh_copy, *sh_rmw, *sh_atomic_inc;
static uint64_t *sh_fill_strided, *sh_rmw_strided, *sh_spin_fill;
static uint64_t *sh_poll_change;

/* The largest power of two up to 64 that divides @grid: full groups. */
static uint32_t group_for(uint32_t grid)
{
	uint32_t group = 64;

	while (grid % group)
		group >>= 1;
	return group;
}

static struct neuf_dispatch dispatch(const uint64_t *code, uint32_t grid,
				     const uint64_t *args)
{
	struct neuf_dispatch d = {
		.code = PTR(code),
		.grid_size = grid,
		.group_size = group_for(grid),
	};

	memcpy(d.args, args, sizeof(d.args));
	return d;
}

/* Runs a dispatch on (@d, @v) and waits for it; the job must have ended. */
static struct drm_neuf_job_status run_on(struct neuf_device *d, uint32_t v,
					 const uint64_t *code, uint32_t grid,
					 const uint64_t *args, int line)
{
	struct neuf_dispatch disp = dispatch(code, grid, args);
	struct drm_neuf_job_status st;
	int ret;

	ret = neuf_run(d, v, &disp, JOB_TIMEOUT_NS, &st);
	igt_assert_f(ret == 0, "line %d: running a job (grid %u) on VM %u: "
		     "%s (%d)\n", line, grid, v, neuf_igt_errno_name(ret), ret);
	igt_assert_f(st.state == NEUF_JOB_STATE_DONE,
		     "line %d: job %" PRIu64 " state %u after its syncobj "
		     "signalled, expected DONE (%u)\n", line,
		     (uint64_t)st.job_id, st.state, NEUF_JOB_STATE_DONE);
	return st;
}

static void check_ok(const struct drm_neuf_job_status *st, int line)
{
	igt_assert_f(st->state == NEUF_JOB_STATE_DONE,
		     "line %d: job %" PRIu64 " state %u, expected DONE\n",
		     line, (uint64_t)st->job_id, st->state);
	igt_assert_f(st->error == 0,
		     "line %d: job %" PRIu64 " failed: %s (%d), fault at "
		     "%#" PRIx64 " (%s)\n", line, (uint64_t)st->job_id,
		     neuf_igt_errno_name(st->error), st->error,
		     (uint64_t)st->fault_addr,
		     neuf_access_name(st->fault_access));
}

/* The job failed with @err at an address in [@lo, @hi), on @access. */
static void check_fault(const struct drm_neuf_job_status *st, int err,
			uint64_t lo, uint64_t hi, uint32_t access, int line)
{
	igt_assert_f(st->error == err,
		     "line %d: job %" PRIu64 " ended with %s (%d), expected "
		     "%s (%d)\n", line, (uint64_t)st->job_id,
		     neuf_igt_errno_name(st->error), st->error,
		     neuf_igt_errno_name(err), err);
	igt_assert_f(st->fault_addr >= lo && st->fault_addr < hi,
		     "line %d: fault address %#" PRIx64 " outside [%#" PRIx64
		     ", %#" PRIx64 ")\n", line, (uint64_t)st->fault_addr, lo, hi);
	if (err == -EFAULT)
		igt_assert_f(st->fault_access == access,
			     "line %d: fault access %s (%u), expected %s (%u)\n",
			     line, neuf_access_name(st->fault_access),
			     st->fault_access, neuf_access_name(access), access);
}

#define run_ok(code, grid, ...) \
	check_ok_st(run_on(dev, vm, (code), (grid), ARGS(__VA_ARGS__), __LINE__), \
		    __LINE__)
#define run_ok_on(d, v, code, grid, ...) \
	check_ok_st(run_on((d), (v), (code), (grid), ARGS(__VA_ARGS__), \
			   __LINE__), __LINE__)
#define run_fault(err, lo, hi, access, code, grid, ...) \
	check_fault_st(run_on(dev, vm, (code), (grid), ARGS(__VA_ARGS__), \
			      __LINE__), (err), PTR(lo), PTR(hi), (access), \
		       __LINE__)

static struct drm_neuf_job_status check_ok_st(struct drm_neuf_job_status st,
					      int line)
{
	check_ok(&st, line);
	return st;
}

static struct drm_neuf_job_status
check_fault_st(struct drm_neuf_job_status st, int err, uint64_t lo,
	       uint64_t hi, uint32_t access, int line)
{
	check_fault(&st, err, lo, hi, access, line);
	return st;
}

/* Queues a dispatch without waiting; returns the job id. */
static uint64_t submit_on(struct neuf_device *d, uint32_t v,
			  const uint64_t *code, uint32_t grid,
			  const uint64_t *args, uint32_t out_syncobj)
{
	struct neuf_dispatch disp = dispatch(code, grid, args);
	uint64_t job = 0;
	int ret;

	disp.out_syncobj = out_syncobj;
	ret = neuf_exec(d, v, &disp, &job);
	igt_assert_f(ret == 0, "queueing a job (grid %u) on VM %u: %s (%d)\n",
		     grid, v, neuf_igt_errno_name(ret), ret);
	return job;
}

static uint32_t syncobj_create(struct neuf_device *d)
{
	uint32_t h = 0;

	igt_assert_f(drmSyncobjCreate(neuf_device_fd(d), 0, &h) == 0,
		     "drmSyncobjCreate: %s\n", strerror(errno));
	return h;
}

static struct drm_neuf_job_status job_status(struct neuf_device *d,
					     uint32_t v, uint64_t job)
{
	struct drm_neuf_job_status st;
	int ret;

	ret = neuf_job_status(d, v, job, &st);
	igt_assert_f(ret == 0, "JOB_STATUS of job %" PRIu64 " on VM %u: %s\n",
		     job, v, neuf_igt_errno_name(ret));
	return st;
}

static struct drm_neuf_vm_stats vm_stats(struct neuf_device *d, uint32_t v)
{
	struct drm_neuf_vm_stats s;
	int ret;

	ret = neuf_vm_stats(d, v, &s);
	igt_assert_f(ret == 0, "VM_STATS of VM %u: %s\n", v, neuf_igt_errno_name(ret));
	return s;
}

static void *map_anon(size_t len, int flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_ANONYMOUS | flags, -1, 0);

	igt_assert_f(p != MAP_FAILED, "mmap of %zu bytes: %s\n", len,
		     strerror(errno));
	return p;
}

static void *xmalloc(size_t len)
{
	void *p = malloc(len);

	igt_assert_f(p, "malloc(%zu) failed\n", len);
	return p;
}

/* p[i] == first + i for every i, as fill_src writes */
#define check_sequence(p, n, first) \
	check_sequence_((p), (n), (first), #p, __LINE__)
static void check_sequence_(const uint32_t *p, size_t n, uint32_t first,
			    const char *name, int line)
{
	for (size_t i = 0; i < n; i++)
		igt_assert_f(p[i] == first + (uint32_t)i, "line %d: %s[%zu] = "
			     "%#x, expected %#x\n", line, name, i, p[i],
			     first + (uint32_t)i);
}

#define check_value(p, n, v) check_value_((p), (n), (v), #p, __LINE__)
static void check_value_(const uint32_t *p, size_t n, uint32_t v,
			 const char *name, int line)
{
	for (size_t i = 0; i < n; i++)
		igt_assert_f(p[i] == v, "line %d: %s[%zu] = %#x, expected %#x\n",
			     line, name, i, p[i], v);
}

static void set_value(uint32_t *p, size_t n, uint32_t v)
{
	for (size_t i = 0; i < n; i++)
		p[i] = v;
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
	run_ok(sh_rmw, n, PTR(buf), 3);
	__asm__ __volatile__("" : : "r"(buf) : "memory");
	neuf_igt_check_pattern(buf, n, 0x57ac, 3);

	run_ok(sh_fill, n, PTR(buf), 0x5000);
	__asm__ __volatile__("" : : "r"(buf) : "memory");
	check_sequence(buf, n, 0x5000);
}

/* fork-cow, fork-shared: a child blocks on @fd until the parent writes. */
static void wait_for_parent(int fd)
{
	char c;

	igt_assert_f(read(fd, &c, 1) == 1, "waiting for the parent: %s\n",
		     strerror(errno));
}

static void tell(int fd)
{
	igt_assert_f(write(fd, "x", 1) == 1, "pipe write: %s\n",
		     strerror(errno));
}

/* unix-socket-fd-denied: send or receive an fd with a payload. */
struct fd_msg {
	uint32_t vm_id;
	uint64_t job_id;
	uint64_t buf;
	uint32_t count;
	uint32_t first;
};

static void send_fd(int sock, int fd, const struct fd_msg *msg)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = sizeof(*msg) };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control,
		.msg_controllen = sizeof(control),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&mh);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	igt_assert_f(sendmsg(sock, &mh, 0) == (ssize_t)sizeof(*msg),
		     "sendmsg: %s\n", strerror(errno));
}

static int recv_fd(int sock, struct fd_msg *msg)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = msg, .iov_len = sizeof(*msg) };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control,
		.msg_controllen = sizeof(control),
	};
	struct cmsghdr *cmsg;
	ssize_t n;
	int fd;

	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	igt_assert_f(n == (ssize_t)sizeof(*msg), "recvmsg returned %zd (%s): "
		     "did the child fail?\n", n, n < 0 ? strerror(errno) : "EOF");
	cmsg = CMSG_FIRSTHDR(&mh);
	igt_assert_f(cmsg && cmsg->cmsg_level == SOL_SOCKET &&
		     cmsg->cmsg_type == SCM_RIGHTS, "no fd in the message\n");
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
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

/* race-stress: a thread that keeps changing region R under the GPU. */
struct mutator {
	pthread_t thread;
	uint8_t *r;
	size_t len;
	int stop;		/* __atomic */
	unsigned long ops;
	int err;		/* first failing call's errno, and which */
	int failed_op;
};

static void *mutator_thread(void *arg)
{
	struct mutator *m = arg;
	const size_t half = m->len / 2;
	unsigned long i;

	for (i = 0; !__atomic_load_n(&m->stop, __ATOMIC_ACQUIRE); i++) {
		int op = (int)(i % 6), ret = 0;
		void *p;

		switch (op) {
		case 0:	/* replace the whole mapping */
			p = mmap(m->r, m->len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			ret = p == MAP_FAILED ? -1 : 0;
			if (!ret)
				memset(m->r, (int)i, m->len / 4);
			break;
		case 1:	/* a hole, briefly: nothing else maps in the meantime */
			ret = munmap(m->r + half, half);
			if (!ret) {
				p = mmap(m->r + half, half, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
					 -1, 0);
				ret = p == MAP_FAILED ? -1 : 0;
			}
			break;
		case 2:
			ret = mprotect(m->r, m->len, PROT_READ);
			if (!ret)
				ret = mprotect(m->r, m->len,
					       PROT_READ | PROT_WRITE);
			break;
		case 3:
			ret = madvise(m->r, m->len, MADV_DONTNEED);
			break;
		case 4:
			ret = mprotect(m->r, half, PROT_NONE);
			if (!ret) {
				memset(m->r + half, (int)i, half);
				ret = mprotect(m->r, half,
					       PROT_READ | PROT_WRITE);
			}
			break;
		case 5:	/* CPU writes: faults, and COW of the zero page */
			for (size_t off = 0; off < m->len; off += PAGE_SZ)
				m->r[off + (i % PAGE_SZ)] = (uint8_t)i;
			break;
		}
		if (ret) {
			m->err = errno;
			m->failed_op = op;
			break;
		}
	}
	m->ops = i;
	return NULL;
}

static int write_file(const char *path, const char *text)
{
	ssize_t len = (ssize_t)strlen(text), n;
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = write(fd, text, (size_t)len);
	n = n == len ? 0 : n < 0 ? -errno : -EIO;
	close(fd);
	return (int)n;
}

/*
 * A count debugfs gives for the one VM of this process (@key: "dma_pages",
 * "pt_pages"), found by its pages_mapped counter in neuf_vms.
 */
static int64_t vm_debugfs_count(struct neuf_device *d, uint32_t v,
				const char *key)
{
	struct drm_neuf_vm_stats st = vm_stats(d, v);
	char match[64], *text, *line, *count;
	long long n;

	text = neuf_igt_read_debugfs("neuf_vms");
	igt_require_f(text, "no neuf_vms in debugfs\n");
	snprintf(match, sizeof(match), " pages_mapped=%" PRIu64 " ",
		 (uint64_t)st.pages_mapped);
	line = strstr(text, match);
	igt_assert_f(line, "%s not in neuf_vms:\n%s", match, text);
	while (line > text && line[-1] != '\n')
		line--;
	snprintf(match, sizeof(match), "%s=", key);
	count = strstr(line, match);
	igt_assert(count && sscanf(count + strlen(match), "%lld", &n) == 1);
	free(text);
	return n;
}

/* The system pages the VM's PTEs hold a DMA mapping of (debugfs). */
static int64_t vm_dma_pages(struct neuf_device *d, uint32_t v)
{
	return vm_debugfs_count(d, v, "dma_pages");
}

/* Exit codes of the reaper subtests' child, for the parent's messages. */
enum {
	REAP_CHILD_OPEN = 10, REAP_CHILD_VM, REAP_CHILD_MMAP, REAP_CHILD_GPU,
	REAP_CHILD_QUEUE, REAP_CHILD_PIPE,
};

#define REAP_BUF_SIZE (256 * 1024ul)
#define REAP_JOBS 8
#define REAP_SPIN_GRID 4096

/*
 * A process with a busy VM: it maps memory through the GPU, leaves jobs in
 * flight, says 'Q' and waits to be killed. Reports failures through its
 * exit code only.
 */
static __attribute__((noreturn)) void reap_child(int pipe_wr)
{
	const uint32_t n = REAP_BUF_SIZE / 4;
	struct drm_neuf_job_status st;
	struct neuf_dispatch disp;
	struct neuf_device *d;
	uint32_t *buf;
	uint32_t v;

	if (neuf_device_open(0, &d))
		_exit(REAP_CHILD_OPEN);
	if (neuf_vm_create(d, NEUF_VM_CREATE_SVM, &v))
		_exit(REAP_CHILD_VM);
	buf = mmap(NULL, REAP_BUF_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		_exit(REAP_CHILD_MMAP);
	disp = dispatch(sh_fill, n, ARGS(PTR(buf), 1));
	if (neuf_run(d, v, &disp, JOB_TIMEOUT_NS, &st) || st.error)
		_exit(REAP_CHILD_GPU);
	disp = dispatch(sh_spin_fill, REAP_SPIN_GRID, ARGS(100, PTR(buf), 7));
	for (int i = 0; i < REAP_JOBS; i++)
		if (neuf_exec(d, v, &disp, NULL))
			_exit(REAP_CHILD_QUEUE);
	if (write(pipe_wr, "Q", 1) != 1)
		_exit(REAP_CHILD_PIPE);
	for (;;)
		pause();
}

/*
 * Start a reap_child(), kill it and hold it at PTRACE_EVENT_EXIT: it is
 * dying (the group exit is set) but still owns its mm, which is the state
 * the OOM reaper exists for. Without the stop, the child may drop its mm
 * before process_mrelease() looks. Returns its pidfd; *@pid is its pid.
 */
static int reap_victim_stop(pid_t *pid)
{
	int go[2], pidfd, status, ret;
	char c = 0;

	igt_assert_eq(pipe2(go, O_CLOEXEC), 0);
	fflush(NULL);
	*pid = fork();
	igt_assert(*pid >= 0);
	if (*pid == 0) {
		close(go[0]);
		reap_child(go[1]);
	}
	close(go[1]);
	ret = read(go[0], &c, 1);
	close(go[0]);
	if (ret != 1 || c != 'Q') {
		status = neuf_igt_wait_child(*pid);
		igt_assert_f(false, "the child did not get busy: %s %d\n",
			     WIFEXITED(status) ? "exit code" : "signal",
			     WIFEXITED(status) ? WEXITSTATUS(status) :
			     WTERMSIG(status));
	}

	ret = ptrace(PTRACE_SEIZE, *pid, NULL,
		     (void *)(uintptr_t)PTRACE_O_TRACEEXIT);
	if (ret) {
		int err = errno;

		kill(*pid, SIGKILL);
		neuf_igt_wait_child(*pid);
		igt_require_f(err != EPERM, "ptrace not permitted\n");
		igt_assert_f(false, "PTRACE_SEIZE: %s\n", strerror(err));
	}
	pidfd = syscall(SYS_pidfd_open, *pid, 0);
	igt_assert_f(pidfd >= 0, "pidfd_open: %s\n", strerror(errno));
	igt_assert_eq(syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0), 0);
	status = neuf_igt_wait_child(*pid);
	igt_assert_f(WIFSTOPPED(status) &&
		     status >> 8 == (SIGTRAP | PTRACE_EVENT_EXIT << 8),
		     "the victim did not stop at exit: status %#x\n", status);
	return pidfd;
}

/*
 * process_mrelease() on a reap_victim_stop() victim until it does not meet
 * contention (EAGAIN: a notifier could not take its lock without blocking);
 * returns the number of EAGAIN answers.
 */
static int reap_victim_mrelease(int pidfd)
{
	int ret, again = 0;

	while ((ret = syscall(SYS_process_mrelease, pidfd, 0)) &&
	       errno == EAGAIN)
		again++;
	igt_assert_f(ret == 0, "process_mrelease: %s\n", strerror(errno));
	return again;
}

/* Let a reap_victim_stop() victim finish dying, and collect it. */
static void reap_victim_release(pid_t pid, int pidfd)
{
	int status;

	close(pidfd);
	igt_assert_eq(ptrace(PTRACE_DETACH, pid, NULL, NULL), 0);
	status = neuf_igt_wait_child(pid);
	igt_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

/* Set one knob of a fault-injection directory (Documentation/fault-injection/). */
static void fault_attr_set(const char *dir, const char *knob, const char *value)
{
	char path[256];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, knob);
	ret = write_file(path, value);
	igt_assert_f(ret == 0, "writing %s to %s: %s\n", value, path,
		     neuf_igt_errno_name(ret));
}

/* thp-split-mid-fault: 2 MiB, the PMD size on x86-64. */
#define THP_SZ (2ul << 20)
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25	/* Linux 6.1 */
#endif
#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE 101
#endif

/*
 * A 2 MiB-aligned private anonymous range the kernel may back with one
 * transparent huge page; the caller touches it, then asks thp_backed().
 */
static uint8_t *map_thp_range(void **mapping, size_t *mapping_len)
{
	uint8_t *p = map_anon(2 * THP_SZ, MAP_PRIVATE);
	uint8_t *aligned = (uint8_t *)(((uintptr_t)p + THP_SZ - 1) &
				       ~(THP_SZ - 1));

	*mapping = p;
	*mapping_len = 2 * THP_SZ;
	igt_assert_eq(madvise(aligned, THP_SZ, MADV_HUGEPAGE), 0);
	return aligned;
}

/* The kB of AnonHugePages in the smaps entry of the VMA holding @addr. */
static long anon_huge_kb(const void *addr)
{
	uintptr_t a = (uintptr_t)addr, lo, hi;
	char line[512];
	bool in = false;
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps", "re");

	igt_assert(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &lo, &hi) == 2) {
			in = a >= lo && a < hi;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* The page frame number backing @addr (needs CAP_SYS_ADMIN), 0 if none. */
static uint64_t pfn_of(const void *addr)
{
	uint64_t entry = 0;
	off_t off = (off_t)((uintptr_t)addr / PAGE_SZ * sizeof(entry));
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	igt_assert_f(fd >= 0, "/proc/self/pagemap: %s\n", strerror(errno));
	igt_assert_eq(pread(fd, &entry, sizeof(entry), off), (ssize_t)sizeof(entry));
	close(fd);
	if (!(entry & (1ull << 63)))	/* not present */
		return 0;
	return entry & ((1ull << 55) - 1);
}

/*
 * After whatever the caller did to @buf (split, collapse, migrate it), the
 * GPU follows the CPU: it reads what the CPU writes now (into @dst), and
 * its read-modify-write reaches the CPU.
 */
static void check_gpu_follows_cpu(uint32_t *buf, uint32_t *dst, size_t n,
				  uint32_t seed)
{
	neuf_igt_fill_pattern(buf, n, seed);
	run_ok(sh_copy, n, PTR(buf), PTR(dst));
	neuf_igt_check_pattern(dst, n, seed, 0);
	run_ok(sh_rmw, n, PTR(buf), 1);
	neuf_igt_check_pattern(buf, n, seed, 1);
}

/*
 * madvise-free-*: MADV_FREE parks the folios in a per-CPU batch that only
 * the same CPU's MADV_PAGEOUT drains, so these run on one CPU, the first
 * of their affinity, which is saved in @all for restoring.
 */
static void pin_to_first_cpu(cpu_set_t *all)
{
	cpu_set_t one;

	igt_assert_eq(sched_getaffinity(0, sizeof(*all), all), 0);
	CPU_ZERO(&one);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, all)) {
			CPU_SET(cpu, &one);
			break;
		}
	igt_assert_eq(sched_setaffinity(0, sizeof(one), &one), 0);
}

/*
 * Module parameters of neuf a subtest changes: each is restored when the
 * subtest's process exits, however it ends.
 */
#define NEUF_PARAM_DIR "/sys/module/neuf/parameters/"
struct saved_param {
	char name[32];
	char value[32];
};
static struct saved_param saved_params[4];
static int num_saved_params;

static void restore_params(int sig)
{
	char path[128];

	(void)sig;
	while (num_saved_params > 0) {
		struct saved_param *p = &saved_params[--num_saved_params];

		snprintf(path, sizeof(path), NEUF_PARAM_DIR "%s", p->name);
		write_file(path, p->value);
	}
}

static void set_param(const char *name, const char *value)
{
	struct saved_param *p = &saved_params[num_saved_params];
	char path[128], *old;
	int ret;

	snprintf(path, sizeof(path), NEUF_PARAM_DIR "%s", name);
	igt_assert_lt(num_saved_params, (int)(sizeof(saved_params) / sizeof(saved_params[0])));
	old = neuf_igt_read_text(path);
	igt_require_f(old, "%s: %s\n", path, strerror(errno));
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->value, sizeof(p->value), "%.*s",
		 (int)strcspn(old, "\n"), old);
	free(old);
	num_saved_params++;
	igt_install_exit_handler(restore_params);
	ret = write_file(path, value);
	igt_assert_f(ret == 0, "writing %s to %s: %s\n", value, path,
		     neuf_igt_errno_name(ret));
}

static double elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 +
	       (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* The first u32 of each page of @len bytes at @p is first + i. */
static void check_pages(const uint8_t *p, size_t len, uint32_t first)
{
	for (uint32_t i = 0; i < len / PAGE_SZ; i++)
		igt_assert_f(*(const uint32_t *)(p + i * PAGE_SZ) == first + i,
			     "page %u: %#x, expected %#x\n", i,
			     *(const uint32_t *)(p + i * PAGE_SZ), first + i);
}

/* One u32 per page of @len bytes at @p: the GPU writes first + i, checked. */
static void fill_pages_and_check(uint8_t *p, size_t len, uint32_t first)
{
	run_ok(sh_fill_strided, (uint32_t)(len / PAGE_SZ), PTR(p), first,
	       PAGE_SZ);
	check_pages(p, len, first);
}

/*
 * One invocation walks arg1 pages from arg0, writing arg2 + i to page i:
 * its only wave stalls at every fault, so a first touch spends almost all
 * its time waiting for faults.
 */
static const char walk_pages_src[] =
	"sreg r1, arg0        # page\n"
	"sreg r2, arg1        # pages left\n"
	"sreg r3, arg2        # value\n"
	"li r4, 4096\n"
	"loop:\n"
	"st32 [r1], r3\n"
	"add r1, r1, r4\n"
	"addi r3, r3, 1\n"
	"addi r2, r2, -1\n"
	"bnz r2, loop\n"
	"halt\n";

/* The same as fill_pages_and_check() with walk_pages_src; returns ms. */
static double walk_pages_and_check(const uint64_t *walk, uint8_t *p,
				   size_t len, uint32_t first)
{
	struct timespec t0;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	run_ok(walk, 1, PTR(p), len / PAGE_SZ, first);
	ms = elapsed_ms(&t0);
	check_pages(p, len, first);
	return ms;
}

/*
 * @nproc processes, each with its own fd and VM, write every page of
 * @len bytes of fresh memory of their own from the GPU at once (one
 * fault per page, resolved in fault windows), and check them.
 */
static void first_touch_processes(int nproc, size_t len)
{
	igt_fork(child, nproc) {
		uint32_t first = 0x100000u * (uint32_t)(child + 1), v;
		uint8_t *p = map_anon(len, MAP_PRIVATE);
		struct neuf_device *d;

		madvise(p, len, MADV_NOHUGEPAGE);
		igt_assert_eq(neuf_device_open(0, &d), 0);
		igt_assert_eq(neuf_vm_create(d, NEUF_VM_CREATE_SVM, &v), 0);
		run_ok_on(d, v, sh_fill_strided, (uint32_t)(len / PAGE_SZ),
			  PTR(p), first, PAGE_SZ);
		check_pages(p, len, first);
		igt_assert_eq(neuf_vm_destroy(d, v), 0);
		neuf_device_close(d);
		munmap(p, len);
	}
	igt_waitchildren();
}

/*
 * How many times a VM's faults began to be resolved while another VM's
 * were (debugfs neuf_fault_buffer's vm_overlaps).
 */
static long long fault_vm_overlaps(void)
{
	char *text = neuf_igt_read_debugfs("neuf_fault_buffer"), *at;
	long long n;

	igt_require_f(text, "no neuf_fault_buffer in neuf's debugfs\n");
	at = strstr(text, "vm_overlaps ");
	igt_assert_f(at, "no vm_overlaps in neuf_fault_buffer:\n%s", text);
	n = atoll(at + strlen("vm_overlaps "));
	free(text);
	return n;
}

igt_main
{
	igt_fixture {
		neuf_igt_open_svm_vm(&dev, &vm);
		sh_fill = neuf_igt_assemble(fill_src);
		sh_copy = neuf_igt_assemble(copy_src);
		sh_rmw = neuf_igt_assemble(rmw_src);
		sh_atomic_inc = neuf_igt_assemble(atomic_inc_src);
		sh_fill_strided = neuf_igt_assemble(fill_strided_src);
		sh_rmw_strided = neuf_igt_assemble(rmw_strided_src);
		sh_spin_fill = neuf_igt_assemble(spin_fill_src);
		sh_poll_change = neuf_igt_assemble(poll_change_src);
	}

	igt_describe("The GPU reads malloc'd memory, from the heap and from "
		     "malloc's own mmaps, as the CPU wrote it.");
	igt_subtest("read-malloc") {
		const size_t sizes[] = { 1000, 256 * 1024 };

		for (size_t s = 0; s < sizeof(sizes) / sizeof(*sizes); s++) {
			size_t n = sizes[s];
			uint32_t *src = xmalloc(n * 4), *dst = xmalloc(n * 4);

			neuf_igt_fill_pattern(src, n, 0x1111 * (uint32_t)(s + 1));
			set_value(dst, n, 0xdeadbeef);
			run_ok(sh_copy, n, PTR(src), PTR(dst));
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
			uint32_t *buf = xmalloc(n * 4);

			set_value(buf, n, 0xdeadbeef);
			run_ok(sh_fill, n, PTR(buf), 0x100000 * (uint32_t)(s + 1));
			check_sequence(buf, n, 0x100000 * (uint32_t)(s + 1));
			free(buf);
		}
	}

	igt_describe("The GPU reads and writes private anonymous mmap memory, "
		     "twice over, the second time through existing mappings.");
	igt_subtest("read-write-mmap-anon") {
		const size_t len = 16 * PAGE_SZ, n = len / 4;
		uint32_t *buf = map_anon(len, MAP_PRIVATE);

		neuf_igt_fill_pattern(buf, n, 0xa11ce);
		run_ok(sh_rmw, n, PTR(buf), 7);
		neuf_igt_check_pattern(buf, n, 0xa11ce, 7);
		run_ok(sh_rmw, n, PTR(buf), 7);
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
		const size_t len = 8 * PAGE_SZ, n = len / 4;
		uint32_t *a, *b, *dst = xmalloc(len);
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
		run_ok(sh_rmw, n, PTR(a), 5);
		neuf_igt_check_pattern(b, n, 0x3e3, 5);
		neuf_igt_check_pattern(a, n, 0x3e3, 5);

		/* CPU writes via b, GPU reads via a. */
		neuf_igt_fill_pattern(b, n, 0x4e4);
		run_ok(sh_copy, n, PTR(a), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0x4e4, 0);

		/* GPU writes via b, CPU reads via a. */
		run_ok(sh_fill, n, PTR(b), 0x77000);
		check_sequence(a, n, 0x77000);

		munmap(a, len);
		munmap(b, len);
		close(fd);
		free(dst);
	}

	igt_describe("A tmpfs file mapped MAP_SHARED: the GPU reads what "
		     "pwrite() put in the file and pread() returns what the "
		     "GPU wrote.");
	igt_subtest("read-write-tmpfs-file") {
		const size_t len = 8 * PAGE_SZ, n = len / 4;
		uint32_t *file_data = xmalloc(len), *dst = xmalloc(len), *map;
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
		run_ok(sh_rmw, n, PTR(map), 9);
		set_value(file_data, n, 0);
		igt_assert_eq(pread(fd, file_data, len, 0), (ssize_t)len);
		neuf_igt_check_pattern(file_data, n, 0xf11e, 9);

		neuf_igt_fill_pattern(file_data, n, 0xf22e);
		igt_assert_eq(pwrite(fd, file_data, len, 0), (ssize_t)len);
		run_ok(sh_copy, n, PTR(map), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0xf22e, 0);

		munmap(map, len);
		close(fd);
		free(file_data);
		free(dst);
	}

	igt_describe("A shared mapping of a file on a block device: after "
		     "msync() writes a page back and write-protects it (the "
		     "notifier of page_mkclean()), a GPU store must fault so "
		     "that the page is dirtied again; a store through a stale "
		     "writable GPU mapping is lost once the clean page is "
		     "dropped and the file read back from the disk.");
	igt_subtest("writeback-gpu-store-after-clean") {
		const size_t len = 4 * PAGE_SZ, n = len / 4;
		const char *dir = getenv("NEUF_BLOCK_DIR");
		uint32_t *file_data = xmalloc(len), *map;
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

		run_ok(sh_rmw, n, PTR(map), 1);	/* dirties the pages */
		igt_assert_eq(msync(map, len, MS_SYNC), 0);	/* cleans them */
		run_ok(sh_rmw, n, PTR(map), 1);	/* must dirty them again */
		igt_assert_eq(msync(map, len, MS_SYNC), 0);
		neuf_igt_check_pattern(map, n, 0xb10c, 2);
		igt_assert_eq(munmap(map, len), 0);

		/* Drop the clean pages; what is read next comes from the disk. */
		igt_assert_eq(posix_fadvise(fd, 0, len, POSIX_FADV_DONTNEED), 0);
		map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		igt_assert(map != MAP_FAILED);
		igt_assert_eq(mincore(map, len, resident), 0);
		for (size_t i = 0; i < len / PAGE_SZ; i++)
			igt_assert_f(!(resident[i] & 1), "page %zu of the file "
				     "stayed in the page cache: the test "
				     "cannot read it back from the disk\n", i);
		munmap(map, len);
		set_value(file_data, n, 0);
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
		const size_t len = 16 * PAGE_SZ, n = len / 4;
		uint32_t *fresh = map_anon(len, MAP_PRIVATE);
		uint32_t *fresh2 = map_anon(len, MAP_PRIVATE);
		uint32_t *dst = xmalloc(len);

		set_value(dst, n, 0xdeadbeef);
		run_ok(sh_copy, n, PTR(fresh), PTR(dst));
		check_value(dst, n, 0);
		run_ok(sh_fill, n, PTR(fresh), 0xf00);
		check_sequence(fresh, n, 0xf00);

		run_ok(sh_fill, n, PTR(fresh2), 0xf1000);
		check_sequence(fresh2, n, 0xf1000);

		munmap(fresh, len);
		munmap(fresh2, len);
		free(dst);
	}

	igt_describe("c = a + b over three 16 MiB malloc'd float arrays, in "
		     "dispatches of 64K invocations queued back to back; "
		     "every element checked.");
	igt_subtest("vector-add-16m") {
		static const char vadd_src[] =
			"# c[i] = a[i] + b[i], i = arg3 + global_id\n"
			"sreg r1, global_id\n"
			"sreg r2, arg3\n"
			"add r1, r1, r2\n"
			"shli r1, r1, 2\n"
			"sreg r3, arg0\n"
			"add r3, r3, r1\n"
			"ld32 r4, [r3]\n"
			"sreg r5, arg1\n"
			"add r5, r5, r1\n"
			"ld32 r6, [r5]\n"
			"fadd r7, r4, r6\n"
			"sreg r8, arg2\n"
			"add r8, r8, r1\n"
			"st32 [r8], r7\n"
			"halt\n";
		/* Jobs small enough to stay far from the job timeout. */
		const uint32_t n = 4u << 20, chunk = 64u << 10;
		float *a = xmalloc(n * sizeof(float));
		float *b = xmalloc(n * sizeof(float));
		float *c = xmalloc(n * sizeof(float));
		uint64_t *code = neuf_igt_assemble(vadd_src);
		uint64_t jobs[64];
		uint32_t done = syncobj_create(dev);
		struct timespec t0, t1;

		igt_assert_eq(n / chunk, sizeof(jobs) / sizeof(*jobs));
		/* a + b = 1.5 i + 1: exact in binary32 for i < 2^22. */
		for (uint32_t i = 0; i < n; i++) {
			a[i] = (float)i;
			b[i] = (float)i * 0.5f + 1.0f;
			c[i] = -1.0f;
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (uint32_t j = 0; j < n / chunk; j++)
			jobs[j] = submit_on(dev, vm, code, chunk,
					    ARGS(PTR(a), PTR(b), PTR(c),
						 (uint64_t)j * chunk),
					    j == n / chunk - 1 ? done : 0);
		/* Jobs of a VM run in order: the last one ends last. */
		neuf_igt_syncobj_wait(dev, done, 2 * JOB_TIMEOUT_NS);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		for (uint32_t j = 0; j < n / chunk; j++) {
			struct drm_neuf_job_status st =
				job_status(dev, vm, jobs[j]);

			check_ok(&st, __LINE__);
		}
		igt_info("%u dispatches, %u invocations: %.3f s\n", n / chunk, n,
			 (double)(t1.tv_sec - t0.tv_sec) +
			 (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		for (uint32_t i = 0; i < n; i++) {
			double want = 1.5 * i + 1.0;

			igt_assert_f((double)c[i] == want, "c[%u] = %.9g, "
				     "expected %.9g\n", i, (double)c[i], want);
		}
		drmSyncobjDestroy(neuf_device_fd(dev), done);
		free(code);
		free(a);
		free(b);
		free(c);
	}

	igt_describe("One invocation walks a linked list of 1000 separately "
		     "malloc'd nodes by their raw pointers and sums the "
		     "values.");
	igt_subtest("linked-list") {
		static const char walk_src[] =
			"sreg r1, arg0        # node\n"
			"li r2, 0             # sum\n"
			"li r5, 0             # count\n"
			"loop:\n"
			"  bz r1, done\n"
			"  ld64 r3, [r1 + 8]\n"
			"  add r2, r2, r3\n"
			"  addi r5, r5, 1\n"
			"  ld64 r1, [r1]\n"
			"  jmp loop\n"
			"done:\n"
			"sreg r4, arg1\n"
			"st64 [r4], r2\n"
			"st64 [r4 + 8], r5\n"
			"halt\n";
		struct node {
			struct node *next;
			uint64_t value;
		} *head = NULL;
		uint64_t *code = neuf_igt_assemble(walk_src);
		uint64_t *out = xmalloc(2 * sizeof(uint64_t));
		uint64_t sum = 0, x = 0x9e3779b97f4a7c15ull;
		const int count = 1000;

		for (int i = 0; i < count; i++) {
			/* Odd sizes, so that nodes spread over many pages. */
			struct node *nd = xmalloc(sizeof(*nd) + (size_t)(x % 512));

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			nd->value = x;
			nd->next = head;
			head = nd;
			sum += x;
		}
		out[0] = out[1] = 0xdeadbeef;
		run_ok(code, 1, PTR(head), PTR(out));
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
		free(code);
	}

	igt_describe("After munmap the GPU faults where the buffer was: the "
		     "job fails with EFAULT at the exact address and access.");
	igt_subtest("munmap-then-fault") {
		const size_t len = 4 * PAGE_SZ, n = len / 4;
		uint8_t *buf = map_anon(len, MAP_PRIVATE);
		uint32_t *dst = xmalloc(len);

		run_ok(sh_fill, n, PTR(buf), 0x10);
		check_sequence((uint32_t *)buf, n, 0x10);
		igt_assert_eq(munmap(buf, len), 0);

		run_fault(-EFAULT, buf, buf + len, NEUF_ACCESS_KIND_WRITE,
			  sh_fill, n, PTR(buf), 0x20);
		/* One invocation: the exact byte. */
		run_fault(-EFAULT, buf + 0x124, buf + 0x125,
			  NEUF_ACCESS_KIND_WRITE, sh_fill, 1, PTR(buf + 0x124), 0);
		run_fault(-EFAULT, buf + 2 * PAGE_SZ + 8, buf + 2 * PAGE_SZ + 9,
			  NEUF_ACCESS_KIND_READ, sh_copy, 1,
			  PTR(buf + 2 * PAGE_SZ + 8), PTR(dst));

		/* The VM goes on working. */
		run_ok(sh_fill, n, PTR(dst), 0x30);
		check_sequence(dst, n, 0x30);
		free(dst);
	}

	igt_describe("A new mapping at the address of an unmapped one: the GPU "
		     "reads the new contents, not the old pages; the same for a "
		     "MAP_FIXED mapping replacing a live one.");
	igt_subtest("munmap-remap-new-contents") {
		const size_t len = 4 * PAGE_SZ, n = len / 4;
		uint32_t *buf = map_anon(len, MAP_PRIVATE), *again;
		uint32_t *dst = xmalloc(len);

		neuf_igt_fill_pattern(buf, n, 0xaaaa);
		run_ok(sh_copy, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0xaaaa, 0);

		igt_assert_eq(munmap(buf, len), 0);
		again = mmap(buf, len, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			     -1, 0);
		igt_assert_f(again == buf, "remapping at %p gave %p (%s)\n",
			     (void *)buf, (void *)again,
			     again == MAP_FAILED ? strerror(errno) : "moved");
		neuf_igt_fill_pattern(buf, n, 0xbbbb);
		run_ok(sh_copy, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0xbbbb, 0);

		/* MAP_FIXED over the live mapping: no munmap of our own. */
		again = mmap(buf, len, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		igt_assert(again == buf);
		neuf_igt_fill_pattern(buf, n, 0xcccc);
		run_ok(sh_copy, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0xcccc, 0);

		munmap(buf, len);
		free(dst);
	}

	igt_describe("After mprotect(PROT_READ) the GPU still reads, but a GPU "
		     "store fails with EFAULT/write and an atomic with "
		     "EFAULT/atomic, and nothing is written; restoring "
		     "PROT_WRITE makes both work again.");
	igt_subtest("mprotect-read-only") {
		const size_t len = 4 * PAGE_SZ, n = len / 4;
		uint8_t *buf = map_anon(len, MAP_PRIVATE);
		uint32_t *words = (uint32_t *)buf, *dst = xmalloc(len);

		neuf_igt_fill_pattern(words, n, 0x4040);
		/* The GPU maps the pages writable first. */
		run_ok(sh_rmw, n, PTR(buf), 1);
		neuf_igt_check_pattern(words, n, 0x4040, 1);

		igt_assert_eq(mprotect(buf, len, PROT_READ), 0);
		run_ok(sh_copy, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0x4040, 1);
		run_fault(-EFAULT, buf, buf + len, NEUF_ACCESS_KIND_WRITE,
			  sh_fill, n, PTR(buf), 0);
		run_fault(-EFAULT, buf + PAGE_SZ + 8, buf + PAGE_SZ + 9,
			  NEUF_ACCESS_KIND_WRITE, sh_fill, 1,
			  PTR(buf + PAGE_SZ + 8), 0);
		run_fault(-EFAULT, buf, buf + len, NEUF_ACCESS_KIND_ATOMIC,
			  sh_atomic_inc, n, PTR(buf));
		run_fault(-EFAULT, buf + 3 * PAGE_SZ + 16,
			  buf + 3 * PAGE_SZ + 17, NEUF_ACCESS_KIND_ATOMIC,
			  sh_atomic_inc, 1, PTR(buf + 3 * PAGE_SZ + 16));
		neuf_igt_check_pattern(words, n, 0x4040, 1);

		igt_assert_eq(mprotect(buf, len, PROT_READ | PROT_WRITE), 0);
		run_ok(sh_rmw, n, PTR(buf), 1);
		neuf_igt_check_pattern(words, n, 0x4040, 2);
		run_ok(sh_atomic_inc, n, PTR(buf));
		neuf_igt_check_pattern(words, n, 0x4040, 3);
		munmap(buf, len);
		free(dst);
	}

	igt_describe("After mprotect(PROT_NONE) GPU loads fail with "
		     "EFAULT/read and stores with EFAULT/write; restoring the "
		     "protection makes the old contents readable again.");
	igt_subtest("mprotect-none") {
		const size_t len = 4 * PAGE_SZ, n = len / 4;
		uint8_t *buf = map_anon(len, MAP_PRIVATE);
		uint32_t *words = (uint32_t *)buf, *dst = xmalloc(len);

		neuf_igt_fill_pattern(words, n, 0x5050);
		run_ok(sh_copy, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0x5050, 0);

		igt_assert_eq(mprotect(buf, len, PROT_NONE), 0);
		run_fault(-EFAULT, buf, buf + len, NEUF_ACCESS_KIND_READ,
			  sh_copy, n, PTR(buf), PTR(dst));
		run_fault(-EFAULT, buf + 0x40, buf + 0x41, NEUF_ACCESS_KIND_READ,
			  sh_copy, 1, PTR(buf + 0x40), PTR(dst));
		run_fault(-EFAULT, buf + 2 * PAGE_SZ, buf + 2 * PAGE_SZ + 1,
			  NEUF_ACCESS_KIND_WRITE, sh_fill, 1,
			  PTR(buf + 2 * PAGE_SZ), 0);

		igt_assert_eq(mprotect(buf, len, PROT_READ | PROT_WRITE), 0);
		neuf_igt_check_pattern(words, n, 0x5050, 0);
		set_value(dst, n, 0);
		run_ok(sh_copy, n, PTR(buf), PTR(dst));
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
		const size_t len = 16 * PAGE_SZ, n = len / 4;
		uint32_t *ctl = map_anon(len, MAP_PRIVATE);
		uint32_t *buf = map_anon(len, MAP_PRIVATE);
		uint32_t *dst = xmalloc(len);
		cpu_set_t all;
		int ret;

		pin_to_first_cpu(&all);

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
		run_ok(sh_copy, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0x2222, 0);
		igt_assert_eq(madvise(buf, len, MADV_FREE), 0);

		/* Only the GPU writes; reclaim must not drop its data. */
		run_ok(sh_fill, n, PTR(buf), 0xf000);
		igt_assert_eq(madvise(buf, len, MADV_PAGEOUT), 0);
		igt_assert_eq(sched_setaffinity(0, sizeof(all), &all), 0);
		check_sequence(buf, n, 0xf000);

		munmap(ctl, len);
		munmap(buf, len);
		free(dst);
	}

	igt_describe("GPU loads do not dirty memory: a lazily freed buffer the "
		     "GPU only read is discarded by MADV_PAGEOUT like one the "
		     "CPU only read, and the GPU then reads the zeros the CPU "
		     "sees, not the discarded pages.");
	igt_subtest("madvise-free-gpu-read-discarded") {
		const size_t len = 16 * PAGE_SZ, n = len / 4;
		uint32_t *buf = map_anon(len, MAP_PRIVATE);
		uint32_t *dst = xmalloc(len);
		cpu_set_t all;
		int ret;

		neuf_igt_require_kconfig("CONFIG_SWAP");
		pin_to_first_cpu(&all);
		madvise(buf, len, MADV_NOHUGEPAGE);

		neuf_igt_fill_pattern(buf, n, 0x3333);
		igt_assert_eq(madvise(buf, len, MADV_FREE), 0);
		/* The GPU maps the lazily freed pages, reading only. */
		run_ok(sh_copy, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0x3333, 0);

		ret = madvise(buf, len, MADV_PAGEOUT);
		igt_require_f(ret == 0, "MADV_PAGEOUT: %s\n", strerror(errno));
		igt_assert_eq(sched_setaffinity(0, sizeof(all), &all), 0);
		igt_assert_f(buf[0] == 0 && buf[n - 1] == 0, "MADV_PAGEOUT kept "
			     "lazily freed pages the GPU only read (%#x, %#x): "
			     "a GPU load dirtied them\n", buf[0], buf[n - 1]);
		set_value(dst, n, 0xdead);
		run_ok(sh_copy, n, PTR(buf), PTR(dst));
		check_value(dst, n, 0);
		munmap(buf, len);
		free(dst);
	}

	igt_describe("memfd_secret() memory is out of the kernel's reach, and so "
		     "out of the GPU's: reads and writes fail with EFAULT, the "
		     "kernel stays healthy, the data is untouched.");
	igt_subtest("secretmem-refused") {
		const size_t len = 2 * PAGE_SZ, n = len / 4;
		uint32_t *dst = xmalloc(len), *buf;
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
			  NEUF_ACCESS_KIND_READ, sh_copy, n, PTR(buf), PTR(dst));
		run_fault(-EFAULT, buf, (uint8_t *)buf + len,
			  NEUF_ACCESS_KIND_WRITE, sh_fill, n, PTR(buf), 0);
		neuf_igt_check_pattern(buf, n, 0x7070, 0);

		/* Ordinary memory next to it still works. */
		run_ok(sh_copy, n, PTR(dst), PTR(dst));
		munmap(buf, len);
		close(fd);
		free(dst);
	}

	igt_describe("After MADV_DONTNEED the GPU reads zeros where it read the "
		     "CPU's data before, then its writes land in fresh pages.");
	igt_subtest("madvise-dontneed") {
		const size_t len = 8 * PAGE_SZ, n = len / 4;
		uint32_t *buf = map_anon(len, MAP_PRIVATE), *dst = xmalloc(len);

		neuf_igt_fill_pattern(buf, n, 0x6060);
		run_ok(sh_copy, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0x6060, 0);

		igt_assert_eq(madvise(buf, len, MADV_DONTNEED), 0);
		run_ok(sh_copy, n, PTR(buf), PTR(dst));
		check_value(dst, n, 0);

		run_ok(sh_fill, n, PTR(buf), 0x6000);
		check_sequence(buf, n, 0x6000);
		igt_assert_eq(madvise(buf, len, MADV_DONTNEED), 0);
		check_value(buf, n, 0);
		munmap(buf, len);
		free(dst);
	}

	igt_describe("After mremap moves a buffer the GPU finds the data at "
		     "the new address, and faults at the old one.");
	igt_subtest("mremap-move") {
		const size_t len = 8 * PAGE_SZ, n = len / 4;
		uint8_t *old = map_anon(len, MAP_PRIVATE), *moved, *guard;
		uint8_t *target = mmap(NULL, len, PROT_NONE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uint32_t *dst = xmalloc(len);

		igt_assert(target != MAP_FAILED);
		neuf_igt_fill_pattern((uint32_t *)old, n, 0x7070);
		run_ok(sh_rmw, n, PTR(old), 2);	/* mapped on the GPU */

		moved = mremap(old, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
			       target);
		igt_assert_f(moved == target, "mremap: %s\n", strerror(errno));
		/* Keep the old range reserved, and inaccessible. */
		guard = mmap(old, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
			     MAP_FIXED_NOREPLACE, -1, 0);
		igt_assert(guard == old);

		run_ok(sh_copy, n, PTR(moved), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0x7070, 2);
		run_ok(sh_rmw, n, PTR(moved), 3);
		neuf_igt_check_pattern((uint32_t *)moved, n, 0x7070, 5);
		run_fault(-EFAULT, old, old + len, NEUF_ACCESS_KIND_READ,
			  sh_copy, n, PTR(old), PTR(dst));
		run_fault(-EFAULT, old + 0x1008, old + 0x1009,
			  NEUF_ACCESS_KIND_WRITE, sh_fill, 1, PTR(old + 0x1008), 0);
		munmap(guard, len);
		munmap(moved, len);
		free(dst);
	}

	igt_describe("mremap(MREMAP_DONTUNMAP) moves the pages and keeps the "
		     "old range mapped, but empty: the GPU finds the data at "
		     "the new address, zeros at the old one, and its writes "
		     "there do not reach the moved pages.");
	igt_subtest("mremap-dontunmap") {
		const size_t len = 8 * PAGE_SZ, n = len / 4;
		uint32_t *old = map_anon(len, MAP_PRIVATE), *moved;
		uint32_t *dst = xmalloc(len);

		neuf_igt_fill_pattern(old, n, 0x7171);
		run_ok(sh_rmw, n, PTR(old), 2);	/* mapped on the GPU, writable */

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

		run_ok(sh_copy, n, PTR(old), PTR(dst));
		check_value(dst, n, 0);
		run_ok(sh_copy, n, PTR(moved), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0x7171, 2);
		run_ok(sh_fill, n, PTR(old), 0x7200);
		check_sequence(old, n, 0x7200);
		neuf_igt_check_pattern(moved, n, 0x7171, 2);
		munmap(moved, len);
		munmap(old, len);
		free(dst);
	}

	igt_describe("fork() makes private memory copy-on-write: after the "
		     "parent writes, the GPU sees the parent's new data, and "
		     "the child keeps the old data whatever the GPU does.");
	igt_subtest("fork-cow") {
		const size_t len = 8 * PAGE_SZ, n = len / 4;
		uint32_t *buf = map_anon(len, MAP_PRIVATE), *dst = xmalloc(len);
		int go[2];

		neuf_igt_fill_pattern(buf, n, 0x8080);
		run_ok(sh_copy, n, PTR(buf), PTR(dst));	/* mapped on the GPU */
		neuf_igt_check_pattern(dst, n, 0x8080, 0);
		igt_assert_eq(pipe(go), 0);

		igt_fork(child, 1) {
			close(go[1]);
			wait_for_parent(go[0]);
			/*
			 * The parent's writes are not ours, its GPU's writes
			 * (into buf and into the heap page of dst) neither.
			 */
			neuf_igt_check_pattern(buf, n, 0x8080, 0);
			neuf_igt_check_pattern(dst, n, 0x8080, 0);
		}
		close(go[0]);

		neuf_igt_fill_pattern(buf, n, 0x9090);	/* COW break in the parent */
		run_ok(sh_copy, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0x9090, 0);
		run_ok(sh_rmw, n, PTR(buf), 4);
		neuf_igt_check_pattern(buf, n, 0x9090, 4);

		tell(go[1]);
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
		const size_t len = 8 * PAGE_SZ, n = len / 4, h = n / 2;
		uint32_t *buf = map_anon(len, MAP_PRIVATE), *dst = xmalloc(len);
		int go[2];

		neuf_igt_fill_pattern(buf, h, 0x8181);
		neuf_igt_fill_pattern(buf + h, h, 0x8282);
		igt_assert_eq(pipe(go), 0);
		igt_fork(child, 1) {
			close(go[1]);
			wait_for_parent(go[0]);
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
		run_ok(sh_copy, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, h, 0x8181, 0);
		neuf_igt_check_pattern(dst + h, h, 0x8282, 0);
		neuf_igt_fill_pattern(buf, h, 0x9191);
		run_ok(sh_rmw, h, PTR(buf + h), 1);
		run_ok(sh_copy, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, h, 0x9191, 0);
		neuf_igt_check_pattern(dst + h, h, 0x8282, 1);
		neuf_igt_check_pattern(buf + h, h, 0x8282, 1);

		tell(go[1]);
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
		const size_t n = THP_SZ / 4, per_page = PAGE_SZ / 4;
		uint32_t *dst = xmalloc(THP_SZ), *buf;
		uint8_t *ro, *zapped;
		size_t mapping_len;
		void *mapping;
		long kb;

		neuf_igt_require_kconfig("CONFIG_TRANSPARENT_HUGEPAGE");
		buf = (uint32_t *)map_thp_range(&mapping, &mapping_len);
		neuf_igt_fill_pattern(buf, n, 0xa0a0);
		kb = anon_huge_kb(buf);
		igt_require_f(kb >= (long)(THP_SZ >> 10), "the kernel did not "
			      "back the range with a huge page (AnonHugePages "
			      "%ld kB; transparent_hugepage/enabled=never?)\n",
			      kb);

		/* First GPU touch at base page 300, then the whole huge page. */
		run_ok(sh_copy, per_page, PTR(buf + 300 * per_page),
		       PTR(dst + 300 * per_page));
		for (size_t i = 300 * per_page; i < 301 * per_page; i++)
			igt_assert_f(dst[i] == neuf_igt_pattern(0xa0a0, i), "dst[%zu] = "
				     "%#x, expected %#x\n", i, dst[i],
				     neuf_igt_pattern(0xa0a0, i));
		run_ok(sh_copy, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0xa0a0, 0);
		run_ok(sh_rmw, n, PTR(buf), 1);
		neuf_igt_check_pattern(buf, n, 0xa0a0, 1);
		igt_assert_lte(THP_SZ >> 10, anon_huge_kb(buf));

		/* Split: base page 100 read-only, base page 200 zapped. */
		ro = (uint8_t *)buf + 100 * PAGE_SZ;
		zapped = (uint8_t *)buf + 200 * PAGE_SZ;
		igt_assert_eq(mprotect(ro, PAGE_SZ, PROT_READ), 0);
		igt_assert_eq(madvise(zapped, PAGE_SZ, MADV_DONTNEED), 0);
		run_fault(-EFAULT, ro, ro + PAGE_SZ, NEUF_ACCESS_KIND_WRITE,
			  sh_fill, 1, PTR(ro + 8), 0);
		run_ok(sh_copy, n, PTR(buf), PTR(dst));
		for (size_t i = 0; i < n; i++) {
			uint32_t want = i / per_page == 200 ? 0 :
					neuf_igt_pattern(0xa0a0, i) + 1;

			igt_assert_f(dst[i] == want, "dst[%zu] (base page "
				     "%zu) = %#x, expected %#x\n", i,
				     i / per_page, dst[i], want);
		}

		igt_assert_eq(mprotect(ro, PAGE_SZ, PROT_READ | PROT_WRITE), 0);
		check_gpu_follows_cpu(buf, dst, n, 0xb0b0);
		munmap(mapping, mapping_len);
		free(dst);
	}

	igt_describe("Page migration under a GPU mapping: MADV_SOFT_OFFLINE "
		     "moves each page of a buffer the GPU maps to a new frame "
		     "(migrate_pages(), as compaction and NUMA balancing do); "
		     "afterwards the GPU reads what the CPU writes to the new "
		     "pages, and its stores reach the CPU.");
	igt_subtest("migrate-soft-offline") {
		const size_t pages = 8, len = pages * PAGE_SZ, n = len / 4;
		uint32_t *buf, *dst = xmalloc(len);
		uint64_t before[8];
		int ret;

		neuf_igt_require_kconfig("CONFIG_MEMORY_FAILURE");
		buf = map_anon(len, MAP_PRIVATE);
		madvise(buf, len, MADV_NOHUGEPAGE);
		neuf_igt_fill_pattern(buf, n, 0xc0c0);
		run_ok(sh_rmw, n, PTR(buf), 1);	/* mapped on the GPU, writable */
		neuf_igt_check_pattern(buf, n, 0xc0c0, 1);
		for (size_t i = 0; i < pages; i++) {
			before[i] = pfn_of((uint8_t *)buf + i * PAGE_SZ);
			igt_require_f(before[i], "no PFNs in /proc/self/pagemap "
				      "(not CAP_SYS_ADMIN?)\n");
		}

		ret = madvise(buf, len, MADV_SOFT_OFFLINE);
		igt_require_f(ret == 0 || errno != EINVAL, "MADV_SOFT_OFFLINE: %s\n",
			      strerror(errno));
		igt_assert_f(ret == 0, "MADV_SOFT_OFFLINE: %s (vm.enable_soft_offline "
			     "= 0?)\n", strerror(errno));
		for (size_t i = 0; i < pages; i++) {
			uint64_t now = pfn_of((uint8_t *)buf + i * PAGE_SZ);

			igt_assert_f(now && now != before[i], "page %zu at PFN "
				     "%#" PRIx64 " after soft offline, %#" PRIx64
				     " before\n", i, now, before[i]);
		}
		neuf_igt_check_pattern(buf, n, 0xc0c0, 1);	/* migrated intact */
		check_gpu_follows_cpu(buf, dst, n, 0xd0d0);
		munmap(buf, len);
		free(dst);
	}

	igt_describe("MADV_COLLAPSE copies 512 base pages the GPU maps into a "
		     "new transparent huge page and frees them: afterwards the "
		     "GPU reads and writes the huge page, as the CPU does.");
	igt_subtest("thp-collapse") {
		const size_t n = THP_SZ / 4;
		uint32_t *dst = xmalloc(THP_SZ), *buf;
		size_t mapping_len;
		void *mapping;
		int ret, tries = 0;

		neuf_igt_require_kconfig("CONFIG_TRANSPARENT_HUGEPAGE");
		buf = (uint32_t *)map_thp_range(&mapping, &mapping_len);
		igt_assert_eq(madvise(buf, THP_SZ, MADV_NOHUGEPAGE), 0);
		neuf_igt_fill_pattern(buf, n, 0xe0e0);	/* 512 base pages */
		igt_assert_eq(anon_huge_kb(buf), 0);
		run_ok(sh_rmw, n, PTR(buf), 1);	/* all mapped on the GPU */
		neuf_igt_check_pattern(buf, n, 0xe0e0, 1);

		igt_assert_eq(madvise(buf, THP_SZ, MADV_HUGEPAGE), 0);
		/* EAGAIN: a page was briefly busy (on a per-CPU LRU batch). */
		while ((ret = madvise(buf, THP_SZ, MADV_COLLAPSE)) &&
		       errno == EAGAIN && ++tries < 10)
			;
		igt_require_f(ret == 0 || errno != EINVAL, "MADV_COLLAPSE: %s "
			      "(before 6.1, or THP disabled)\n", strerror(errno));
		igt_assert_f(ret == 0, "MADV_COLLAPSE: %s\n", strerror(errno));
		igt_assert_lte(THP_SZ >> 10, anon_huge_kb(buf));
		neuf_igt_check_pattern(buf, n, 0xe0e0, 1);

		check_gpu_follows_cpu(buf, dst, n, 0xf0f0);
		munmap(mapping, mapping_len);
		free(dst);
	}

	igt_describe("A GPU fault that arrives while an invalidation is still "
		     "in progress waits for its end: the GPU polls the last "
		     "page of 64 MiB that MADV_DONTNEED is zapping (neuf's "
		     "notifier has run, the page is not yet zapped) and must "
		     "see the page the CPU sees afterwards, zeros.");
	igt_subtest("fault-during-invalidation") {
		const size_t len = 64ul << 20;
		uint8_t *region = map_anon(len, MAP_PRIVATE);
		uint32_t *watched = (uint32_t *)(region + len - PAGE_SZ);
		uint32_t *flags = map_anon(PAGE_SZ, MAP_PRIVATE);
		uint32_t done = syncobj_create(dev);
		struct drm_neuf_job_status st;
		int64_t deadline;
		uint64_t job;

		madvise(region, len, MADV_NOHUGEPAGE);	/* 16384 PTEs to zap */
		for (size_t off = 0; off < len; off += PAGE_SZ)
			region[off] = 1;
		*watched = 0x5a5a5a5a;
		flags[0] = 0;			/* started */
		flags[1] = 0x5a5a5a5a;		/* what the GPU saw last */

		job = submit_on(dev, vm, sh_poll_change, 1,
				ARGS(PTR(watched), 0x5a5a5a5a, PTR(&flags[0]),
				     PTR(&flags[1])), done);
		deadline = neuf_igt_deadline(JOB_TIMEOUT_NS);
		while (!__atomic_load_n(&flags[0], __ATOMIC_ACQUIRE))
			igt_assert_f(neuf_igt_deadline(0) < deadline,
				     "the polling job never started\n");

		igt_assert_eq(madvise(region, len, MADV_DONTNEED), 0);
		igt_assert_eq_u32(*watched, 0);
		neuf_igt_syncobj_wait(dev, done, 2 * JOB_TIMEOUT_NS);
		st = job_status(dev, vm, job);
		igt_assert_f(st.error == 0, "the polling job ended with %s (%d): "
			     "the GPU kept reading the page MADV_DONTNEED "
			     "freed\n", neuf_igt_errno_name(st.error), st.error);
		igt_assert_eq_u32(flags[1], 0);

		/* And no stale mapping is left behind. */
		run_ok(sh_copy, 1, PTR(watched), PTR(&flags[2]));
		igt_assert_eq_u32(flags[2], 0);
		drmSyncobjDestroy(neuf_device_fd(dev), done);
		munmap(region, len);
		munmap(flags, PAGE_SZ);
	}

	igt_describe("A child holding the parent's fd may not run jobs on or "
		     "destroy the parent's VM (EACCES), may read its status and "
		     "stats, and may make a VM of its own on the same fd.");
	igt_subtest("fork-child-exec-denied") {
		const size_t n = 1024;
		uint32_t *victim = xmalloc(n * 4);
		struct drm_neuf_vm_stats before, after;
		struct drm_neuf_job_status st;
		uint64_t last_job;

		neuf_igt_fill_pattern(victim, n, 0xc0c0);
		st = run_ok(sh_copy, n, PTR(victim), PTR(victim));
		last_job = st.job_id;
		before = vm_stats(dev, vm);

		igt_fork(child, 1) {
			struct neuf_dispatch d = dispatch(sh_fill, n,
							  ARGS(PTR(victim), 0));
			struct drm_neuf_vm_stats s;
			uint32_t own;
			int ret;

			ret = neuf_exec(dev, vm, &d, NULL);
			igt_assert_f(ret == -EACCES, "EXEC on the parent's VM: "
				     "%s (%d), expected EACCES\n",
				     neuf_igt_errno_name(ret), ret);
			ret = neuf_vm_destroy(dev, vm);
			igt_assert_f(ret == -EACCES, "VM_DESTROY of the parent's "
				     "VM: %s (%d), expected EACCES\n",
				     neuf_igt_errno_name(ret), ret);
			s = vm_stats(dev, vm);
			igt_assert_eq_u64(s.jobs_submitted, before.jobs_submitted);
			st = job_status(dev, vm, last_job);
			check_ok(&st, __LINE__);

			/* The child's own VM on the inherited fd works. */
			ret = neuf_vm_create(dev, NEUF_VM_CREATE_SVM, &own);
			igt_assert_f(ret == 0, "VM_CREATE in the child: %s\n",
				     neuf_igt_errno_name(ret));
			run_ok_on(dev, own, sh_fill, n, PTR(victim), 0xc1c1);
			check_sequence(victim, n, 0xc1c1);
			igt_assert_eq(neuf_vm_destroy(dev, own), 0);
		}
		igt_waitchildren();

		after = vm_stats(dev, vm);
		igt_assert_eq_u64(after.jobs_submitted, before.jobs_submitted);
		neuf_igt_check_pattern(victim, n, 0xc0c0, 0);
		run_ok(sh_rmw, n, PTR(victim), 1);
		neuf_igt_check_pattern(victim, n, 0xc0c0, 1);
		free(victim);
	}

	igt_describe("MAP_SHARED anonymous memory stays shared across fork: "
		     "the GPU sees a child's writes and a child sees the GPU's.");
	igt_subtest("fork-shared-stays-shared") {
		const size_t len = 4 * PAGE_SZ, n = len / 4;
		uint32_t *shared = map_anon(len, MAP_SHARED), *dst = xmalloc(len);

		neuf_igt_fill_pattern(shared, n, 0xd0d0);
		run_ok(sh_rmw, n, PTR(shared), 1);	/* GPU-mapped */
		neuf_igt_check_pattern(shared, n, 0xd0d0, 1);

		igt_fork(child, 1) {
			neuf_igt_check_pattern(shared, n, 0xd0d0, 1);
			neuf_igt_fill_pattern(shared, n, 0xd1d1);
		}
		igt_waitchildren();
		run_ok(sh_copy, n, PTR(shared), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0xd1d1, 0);

		run_ok(sh_fill, n, PTR(shared), 0xd2000);
		igt_fork(child, 1) {
			check_sequence(shared, n, 0xd2000);
		}
		igt_waitchildren();
		munmap(shared, len);
		free(dst);
	}

	igt_describe("An fd received over a unix socket does not carry the "
		     "right to use its sender's VM: EXEC and VM_DESTROY fail "
		     "with EACCES, JOB_STATUS and VM_STATS work, and the "
		     "sender's VM and memory are untouched.");
	igt_subtest("unix-socket-fd-denied") {
		struct drm_neuf_job_status st;
		struct drm_neuf_vm_stats s;
		struct neuf_device *received;
		struct neuf_dispatch d;
		struct fd_msg msg;
		int sv[2], fd, ret;

		igt_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
					 sv), 0);
		igt_fork(child, 1) {
			const uint32_t n = 1024;
			struct neuf_device *own;
			uint32_t *buf = xmalloc(n * 4);
			struct fd_msg m = { .count = n, .first = 0xe000 };

			close(sv[0]);
			igt_assert_eq(neuf_device_open(0, &own), 0);
			igt_assert_eq(neuf_vm_create(own, NEUF_VM_CREATE_SVM,
						     &m.vm_id), 0);
			st = run_ok_on(own, m.vm_id, sh_fill, n, PTR(buf), m.first);
			check_sequence(buf, n, m.first);
			m.job_id = st.job_id;
			m.buf = PTR(buf);
			send_fd(sv[1], neuf_device_fd(own), &m);
			wait_for_parent(sv[1]);

			/* Nothing the parent tried reached our memory. */
			check_sequence(buf, n, m.first);
			run_ok_on(own, m.vm_id, sh_rmw, n, PTR(buf), 1);
			check_sequence(buf, n, m.first + 1);
			igt_assert_eq(neuf_vm_destroy(own, m.vm_id), 0);
			neuf_device_close(own);
		}
		close(sv[1]);

		fd = recv_fd(sv[0], &msg);
		ret = neuf_device_open_fd(fd, &received);
		igt_assert_f(ret == 0, "the received fd: %s\n", neuf_igt_errno_name(ret));

		d = dispatch(sh_fill, msg.count, ARGS(msg.buf, 0x666));
		ret = neuf_exec(received, msg.vm_id, &d, NULL);
		igt_assert_f(ret == -EACCES, "EXEC on the sender's VM: %s (%d), "
			     "expected EACCES\n", neuf_igt_errno_name(ret), ret);
		ret = neuf_vm_destroy(received, msg.vm_id);
		igt_assert_f(ret == -EACCES, "VM_DESTROY of the sender's VM: %s "
			     "(%d), expected EACCES\n", neuf_igt_errno_name(ret), ret);
		s = vm_stats(received, msg.vm_id);
		igt_assert_eq_u64(s.jobs_submitted, 1);
		st = job_status(received, msg.vm_id, msg.job_id);
		check_ok(&st, __LINE__);

		tell(sv[0]);
		igt_waitchildren();
		neuf_device_close(received);
		close(sv[0]);
	}

	igt_describe("CPU threads and GPU dispatches increment the same u64 "
		     "and u32 counters at once, with atom.add and with a CAS "
		     "loop; no increment is lost.");
	igt_subtest("atomics-cpu-gpu") {
		static const char add_src[] =
			"li r3, 1\n"
			"sreg r1, arg0\n"
			"atom.add64 r0, [r1], r3\n"
			"sreg r2, arg1\n"
			"atom.add32 r0, [r2], r3\n"
			"halt\n";
		static const char cas_src[] =
			"sreg r1, arg0\n"
			"again:\n"
			"  ld64 r2, [r1]\n"
			"  addi r3, r2, 1\n"
			"  atom.cas64 r4, [r1], r2, r3\n"
			"  b.ne r4, r2, again\n"
			"halt\n";
		struct atomic_thread threads[ATOMIC_CPU_THREADS];
		struct counters *c = xmalloc(sizeof(*c));
		uint64_t *add = neuf_igt_assemble(add_src), *cas = neuf_igt_assemble(cas_src);
		uint64_t jobs[2 * ATOMIC_GPU_JOBS];
		const uint64_t gpu_adds = (uint64_t)ATOMIC_GPU_JOBS *
					  ATOMIC_GPU_GRID;
		const uint64_t want_cas = gpu_adds + (uint64_t)ATOMIC_CPU_THREADS *
					  ATOMIC_CPU_MIN_ADDS;
		uint64_t want = gpu_adds;
		pthread_barrier_t start;
		uint32_t done = syncobj_create(dev);
		static int gpu_done;
		int ret;

		gpu_done = 0;
		memset(c, 0, sizeof(*c));
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
		for (int j = 0; j < ATOMIC_GPU_JOBS; j++) {
			bool last = j == ATOMIC_GPU_JOBS - 1;

			jobs[2 * j] = submit_on(dev, vm, add, ATOMIC_GPU_GRID,
						ARGS(PTR(&c->c64), PTR(&c->c32)),
						0);
			jobs[2 * j + 1] = submit_on(dev, vm, cas, ATOMIC_GPU_GRID,
						    ARGS(PTR(&c->cas64)),
						    last ? done : 0);
		}
		ret = drmSyncobjWait(neuf_device_fd(dev), &done, 1,
				     neuf_igt_deadline(2 * JOB_TIMEOUT_NS), 0, NULL) ?
		      -errno : 0;
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
		for (int j = 0; j < 2 * ATOMIC_GPU_JOBS; j++) {
			struct drm_neuf_job_status st =
				job_status(dev, vm, jobs[j]);

			check_ok(&st, __LINE__);
		}
		igt_assert_eq_u64(c->c64, want);
		igt_assert_eq_u32(c->c32, (uint32_t)want);
		igt_assert_eq_u64(c->cas64, want_cas);
		pthread_barrier_destroy(&start);
		drmSyncobjDestroy(neuf_device_fd(dev), done);
		free(add);
		free(cas);
		free(c);
	}

	igt_describe("Eight processes, each with its own fd and VM, run jobs "
		     "over their own data at the same time; each gets exactly "
		     "its own results.");
	igt_subtest("multi-process-8") {
		igt_fork(child, 8) {
			const size_t n = 8192;
			uint32_t seed = 0x1000u * (uint32_t)(child + 1);
			struct neuf_device *d;
			uint32_t *buf = xmalloc(n * 4), *dst = xmalloc(n * 4);
			uint32_t v;

			igt_assert_eq(neuf_device_open(0, &d), 0);
			igt_assert_eq(neuf_vm_create(d, NEUF_VM_CREATE_SVM, &v), 0);
			neuf_igt_fill_pattern(buf, n, seed);
			for (uint32_t round = 1; round <= 4; round++) {
				run_ok_on(d, v, sh_rmw, n, PTR(buf), round);
				neuf_igt_check_pattern(buf, n, seed,
					      round * (round + 1) / 2);
			}
			run_ok_on(d, v, sh_copy, n, PTR(buf), PTR(dst));
			neuf_igt_check_pattern(dst, n, seed, 10);
			igt_assert_eq(neuf_vm_destroy(d, v), 0);
			neuf_device_close(d);
		}
		igt_waitchildren();
	}

	igt_describe("Page tables are freed lazily, per 2 MiB block: "
		     "unmapping two blocks in the middle of a GPU-mapped "
		     "range frees their two leaf tables and keeps the "
		     "interval notifier of the chunk; unmapping the rest "
		     "removes the notifier and the other leaf tables. The "
		     "collection runs in the VM's worker before its next "
		     "fault, which the test uses to wait for it.");
	igt_subtest("unmapped-blocks-free-tables") {
		const size_t mib = 1ul << 20, len = 8 * mib;
		struct drm_neuf_vm_stats s0, s1;
		size_t chunk, resv_len;
		uint8_t *resv, *a, *t;
		char *param;
		int64_t pt0;

		igt_require_f(!access(NEUF_PARAM_DIR "notifier_size_mib", R_OK),
			      "no notifier_size_mib parameter\n");
		param = neuf_igt_read_text(NEUF_PARAM_DIR "notifier_size_mib");
		chunk = strtoul(param, NULL, 10) * mib;
		free(param);
		igt_require_f(chunk >= len, "chunks smaller than 8 MiB\n");

		/*
		 * A range at the start of a chunk, a page T in the next one,
		 * the rest of both chunks reserved, so that nothing else is
		 * mapped there.
		 */
		resv_len = 3 * chunk;
		resv = mmap(NULL, resv_len, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		igt_assert(resv != MAP_FAILED);
		a = (uint8_t *)(((uintptr_t)resv + chunk - 1) & ~(uintptr_t)(chunk - 1));
		igt_assert(mmap(a, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				-1, 0) == a);
		t = mmap(a + chunk, PAGE_SZ, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		igt_assert(t == a + chunk);
		madvise(a, len, MADV_NOHUGEPAGE);

		fill_pages_and_check(a, len, 0x1000);
		fill_pages_and_check(t, PAGE_SZ, 0x77);
		s0 = vm_stats(dev, vm);
		pt0 = vm_debugfs_count(dev, vm, "pt_pages");

		/* Blocks 1 and 2 go; 0 and 3 stay. */
		igt_assert_eq(munmap(a + 2 * mib, 4 * mib), 0);
		/* T's next fault is resolved after the collection. */
		madvise(t, PAGE_SZ, MADV_DONTNEED);
		fill_pages_and_check(t, PAGE_SZ, 0x78);
		s1 = vm_stats(dev, vm);
		igt_assert_eq_u64(s1.notifiers, s0.notifiers);
		igt_assert_eq(vm_debugfs_count(dev, vm, "pt_pages"), pt0 - 2);
		check_pages(a, 2 * mib, 0x1000);
		check_pages(a + 6 * mib, 2 * mib, 0x1000 + 1536);
		fill_pages_and_check(a, 2 * mib, 0x2000);

		/* The whole chunk goes: its notifier and two more tables. */
		igt_assert_eq(munmap(a, chunk), 0);
		madvise(t, PAGE_SZ, MADV_DONTNEED);
		fill_pages_and_check(t, PAGE_SZ, 0x79);
		s1 = vm_stats(dev, vm);
		igt_assert_eq_u64(s1.notifiers, s0.notifiers - 1);
		igt_assert_eq(vm_debugfs_count(dev, vm, "pt_pages"), pt0 - 4);
		munmap(resv, resv_len);
	}

	igt_describe("Four processes fault fresh memory at once: the faults "
		     "of their VMs are resolved concurrently, one worker per "
		     "VM (debugfs vm_overlaps grows within ten rounds), and "
		     "one VM after the other with fault_concurrency off (it "
		     "does not); every process's data is exact either way.");
	igt_subtest("fault-vms-concurrent") {
		long long before = fault_vm_overlaps(), after = before;
		int round;

		for (round = 1; round <= 10 && after == before; round++) {
			first_touch_processes(4, 4 << 20);
			after = fault_vm_overlaps();
		}
		igt_info("%lld overlaps in %d rounds\n", after - before,
			 round - 1);
		igt_assert_f(after > before, "no two VMs' faults were ever "
			     "resolved at once in 10 rounds\n");

		set_param("fault_concurrency", "N");
		before = fault_vm_overlaps();
		first_touch_processes(4, 4 << 20);
		igt_assert_eq(fault_vm_overlaps() - before, 0);
	}

	igt_describe("A thread keeps remapping, unmapping, protecting and "
		     "discarding region R while GPU jobs stream over R (which "
		     "may fault) and over its neighbour S, whose results must "
		     "always be exact.");
	igt_subtest("race-stress") {
		const size_t rlen = 8 * PAGE_SZ, slen = 2 * PAGE_SZ;
		const uint32_t sn = (uint32_t)(slen / 4);
		uint8_t *region = map_anon(rlen + slen, MAP_PRIVATE);
		uint32_t *s = (uint32_t *)(region + rlen);
		const uint32_t iterations = 200;
		static struct mutator m;
		int ok = 0, faulted = 0;
		char bad[256] = "";
		uint32_t i;

		memset(region, 0, rlen + slen);
		memset(&m, 0, sizeof(m));
		m.r = region;
		m.len = rlen;
		igt_assert_eq(pthread_create(&m.thread, NULL, mutator_thread,
					     &m), 0);
		/*
		 * Any failure is only recorded until the mutator has stopped:
		 * an assertion must not leave it running.
		 */
		for (i = 0; i < iterations && !bad[0]; i++) {
			struct drm_neuf_job_status st;
			struct neuf_dispatch d;
			uint64_t rjob = 0;
			int ret;

			/* R: one u32 per 64 bytes; may fault, nothing else */
			d = dispatch(sh_rmw_strided, (uint32_t)(rlen / 64),
				     ARGS(PTR(region), 1, 64));
			ret = neuf_exec(dev, vm, &d, &rjob);
			if (ret) {
				snprintf(bad, sizeof(bad), "EXEC over R: %s",
					 neuf_igt_errno_name(ret));
				break;
			}
			/* S: exact, every time */
			d = dispatch(sh_fill, sn, ARGS(PTR(s), i * 0x10000));
			ret = neuf_run(dev, vm, &d, JOB_TIMEOUT_NS, &st);
			if (ret || st.state != NEUF_JOB_STATE_DONE || st.error) {
				snprintf(bad, sizeof(bad), "job over S: %s, "
					 "state %u, %s at %#" PRIx64,
					 neuf_igt_errno_name(ret), st.state,
					 neuf_igt_errno_name(st.error),
					 (uint64_t)st.fault_addr);
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

			ret = neuf_job_status(dev, vm, rjob, &st);
			if (ret || st.state != NEUF_JOB_STATE_DONE ||
			    (st.error && st.error != -EFAULT)) {
				snprintf(bad, sizeof(bad), "job over R: %s, "
					 "state %u, %s (%d) at %#" PRIx64,
					 neuf_igt_errno_name(ret), st.state,
					 neuf_igt_errno_name(st.error), st.error,
					 (uint64_t)st.fault_addr);
			} else if (st.error &&
				   (st.fault_addr < PTR(region) ||
				    st.fault_addr >= PTR(region + rlen))) {
				snprintf(bad, sizeof(bad), "job over R faulted "
					 "at %#" PRIx64 ", outside R [%p, %p)",
					 (uint64_t)st.fault_addr,
					 (void *)region, (void *)(region + rlen));
			} else if (st.error) {
				faulted++;
			} else {
				ok++;
			}
		}
		__atomic_store_n(&m.stop, 1, __ATOMIC_RELEASE);
		pthread_join(m.thread, NULL);
		igt_info("jobs over R: %d succeeded, %d faulted; %lu changes "
			 "of R\n", ok, faulted, m.ops);
		igt_assert_f(!bad[0], "%s\n", bad);
		igt_assert_f(!m.err, "mutator op %d failed: %s\n", m.failed_op,
			     strerror(m.err));
		check_sequence(s, sn, (iterations - 1) * 0x10000);
		munmap(region, rlen + slen);
	}

	igt_describe("VM_STATS counts what a dispatch did: writing one u32 in "
		     "each of 64 never-touched pages maps exactly 64 pages, "
		     "through at least 64 faults, and munmap invalidates them.");
	igt_subtest("fault-counters") {
		const uint32_t pages = 64;
		const size_t len = pages * PAGE_SZ;
		struct drm_neuf_vm_stats s0, s1, s2;
		uint32_t *warm = xmalloc(sizeof(*warm));
		uint8_t *fresh;

		/* The code (and one data page) mapped beforehand. */
		run_ok(sh_fill_strided, 1, PTR(warm), 5, 4);
		igt_assert_eq_u32(*warm, 5);
		fresh = map_anon(len, MAP_PRIVATE);
		madvise(fresh, len, MADV_NOHUGEPAGE);	/* 4 KiB pages only */
		s0 = vm_stats(dev, vm);

		run_ok(sh_fill_strided, pages, PTR(fresh), 0xfa00, PAGE_SZ);
		s1 = vm_stats(dev, vm);
		for (uint32_t i = 0; i < pages; i++)
			igt_assert_f(*(uint32_t *)(fresh + i * PAGE_SZ) ==
				     0xfa00 + i, "page %u: %#x\n", i,
				     *(uint32_t *)(fresh + i * PAGE_SZ));
		igt_info("delta: faults %" PRIu64 ", batches %" PRIu64
			 ", replays %" PRIu64 ", cancels %" PRIu64
			 ", pages_mapped %" PRIu64 ", retries %" PRIu64 "\n",
			 (uint64_t)(s1.faults - s0.faults),
			 (uint64_t)(s1.batches - s0.batches),
			 (uint64_t)(s1.replays - s0.replays),
			 (uint64_t)(s1.cancels - s0.cancels),
			 (uint64_t)(s1.pages_mapped - s0.pages_mapped),
			 (uint64_t)(s1.retries - s0.retries));
		igt_assert_eq_u64(s1.pages_mapped - s0.pages_mapped, pages);
		igt_assert_lte_u64(pages, s1.faults - s0.faults);
		igt_assert_lte_u64(1, s1.batches - s0.batches);
		igt_assert_lte_u64(s1.batches - s0.batches, s1.faults - s0.faults);
		igt_assert_lte_u64(1, s1.replays - s0.replays);
		igt_assert_eq_u64(s1.cancels - s0.cancels, 0);
		igt_assert_eq_u64(s1.jobs_submitted - s0.jobs_submitted, 1);
		igt_assert_eq_u64(s1.jobs_failed - s0.jobs_failed, 0);

		igt_assert_eq(munmap(fresh, len), 0);
		s2 = vm_stats(dev, vm);
		igt_info("after munmap: invalidations +%" PRIu64
			 ", pages_invalidated +%" PRIu64 "\n",
			 (uint64_t)(s2.invalidations - s1.invalidations),
			 (uint64_t)(s2.pages_invalidated - s1.pages_invalidated));
		igt_assert_lte_u64(1, s2.invalidations - s1.invalidations);
		igt_assert_lte_u64(pages, s2.pages_invalidated -
				   s1.pages_invalidated);
		/* Counters only grow. */
		igt_assert_lte_u64(s1.faults, s2.faults);
		igt_assert_lte_u64(s1.pages_mapped, s2.pages_mapped);
		free(warm);
	}

	igt_describe("Map what the CPU allows: a GPU read of memory the CPU "
		     "wrote maps it writable, so the GPU's writes that follow "
		     "take no fault; with writable_on_read off they take one "
		     "per page.");
	igt_subtest("writable-on-read") {
		const size_t pages = 32, len = pages * PAGE_SZ, n = len / 4;
		uint32_t *buf = map_anon(len, MAP_PRIVATE);
		uint32_t *dst = xmalloc(len);
		struct drm_neuf_vm_stats s0, s1;

		madvise(buf, len, MADV_NOHUGEPAGE);
		neuf_igt_fill_pattern(buf, n, 0x4a4a);	/* writable, dirty */
		set_value(dst, n, 0);
		run_ok(sh_rmw, 1, PTR(dst), 0);	/* maps the shader's code */
		run_ok(sh_copy, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0x4a4a, 0);
		s0 = vm_stats(dev, vm);
		run_ok(sh_rmw, n, PTR(buf), 1);
		s1 = vm_stats(dev, vm);
		neuf_igt_check_pattern(buf, n, 0x4a4a, 1);
		igt_assert_f(s1.faults == s0.faults, "%" PRIu64 " faults "
			     "writing pages the GPU had read\n",
			     (uint64_t)(s1.faults - s0.faults));

		/* The control: reads map read-only, each write faults. */
		munmap(buf, len);
		buf = map_anon(len, MAP_PRIVATE);
		madvise(buf, len, MADV_NOHUGEPAGE);
		set_param("writable_on_read", "N");
		neuf_igt_fill_pattern(buf, n, 0x4b4b);
		run_ok(sh_copy, n, PTR(buf), PTR(dst));
		s0 = vm_stats(dev, vm);
		run_ok(sh_rmw, n, PTR(buf), 1);
		s1 = vm_stats(dev, vm);
		neuf_igt_check_pattern(buf, n, 0x4b4b, 1);
		igt_assert_lte_u64(pages, s1.faults - s0.faults);
		munmap(buf, len);
		free(dst);
	}

	igt_describe("GPU writes through a mapping a read made writable dirty "
		     "the page: after MADV_FREE the GPU reads a buffer (mapped "
		     "writable, clean), then writes it without a fault; "
		     "MADV_PAGEOUT must keep the GPU's data.");
	igt_subtest("gpu-write-after-read-dirties") {
		const size_t len = 16 * PAGE_SZ, n = len / 4;
		uint32_t *buf = map_anon(len, MAP_PRIVATE);
		uint32_t *dst = xmalloc(len);
		struct drm_neuf_vm_stats s0, s1;
		cpu_set_t all;
		int ret;

		neuf_igt_require_kconfig("CONFIG_SWAP");
		pin_to_first_cpu(&all);
		madvise(buf, len, MADV_NOHUGEPAGE);
		neuf_igt_fill_pattern(buf, n, 0x5c5c);
		igt_assert_eq(madvise(buf, len, MADV_FREE), 0);
		run_ok(sh_copy, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0x5c5c, 0);

		s0 = vm_stats(dev, vm);
		run_ok(sh_fill, n, PTR(buf), 0xd000);
		s1 = vm_stats(dev, vm);
		igt_require_f(s1.faults == s0.faults, "the GPU's writes "
			      "faulted (writable_on_read off?): the test "
			      "would not reach the dirty bit\n");
		ret = madvise(buf, len, MADV_PAGEOUT);
		igt_require_f(ret == 0, "MADV_PAGEOUT: %s\n", strerror(errno));
		igt_assert_eq(sched_setaffinity(0, sizeof(all), &all), 0);
		check_sequence(buf, n, 0xd000);
		munmap(buf, len);
		free(dst);
	}

	igt_describe("A transparent huge page the CPU populated is mapped with "
		     "one 2 MiB GPU page on the first fault and written without "
		     "another; mprotect() of one base page splits it, which "
		     "unmaps the whole 2 MiB from the GPU, and the GPU then "
		     "follows the CPU page by page.");
	igt_subtest("thp-huge-gpu-page") {
		const size_t n = THP_SZ / 4;
		struct drm_neuf_vm_stats s0, s1, s2, s3;
		size_t mapping_len, dst_mapping_len;
		void *mapping, *dst_mapping;
		uint32_t *dst, *buf;
		uint8_t *ro;

		neuf_igt_require_kconfig("CONFIG_TRANSPARENT_HUGEPAGE");
		buf = (uint32_t *)map_thp_range(&mapping, &mapping_len);
		dst = (uint32_t *)map_thp_range(&dst_mapping, &dst_mapping_len);
		neuf_igt_fill_pattern(buf, n, 0x7e7e);
		set_value(dst, n, 0);	/* the CPU maps dst before the GPU */
		igt_require_f(anon_huge_kb(buf) >= (long)(THP_SZ >> 10) &&
			      anon_huge_kb(dst) >= (long)(THP_SZ >> 10),
			      "no huge page backs the ranges\n");
		run_ok(sh_rmw, 1, PTR(dst), 0);	/* maps the shaders' code */
		run_ok(sh_copy, 1, PTR(dst), PTR(dst));

		s0 = vm_stats(dev, vm);
		run_ok(sh_copy, n, PTR(buf), PTR(dst));
		s1 = vm_stats(dev, vm);
		neuf_igt_check_pattern(dst, n, 0x7e7e, 0);
		igt_info("copy: faults %" PRIu64 ", windows %" PRIu64
			 ", huge %" PRIu64 ", pages mapped %" PRIu64 "\n",
			 (uint64_t)(s1.faults - s0.faults),
			 (uint64_t)(s1.windows - s0.windows),
			 (uint64_t)(s1.huge_mapped - s0.huge_mapped),
			 (uint64_t)(s1.pages_mapped - s0.pages_mapped));
		igt_assert_lte_u64(1, s1.huge_mapped - s0.huge_mapped);
		/* The source's one huge page, in one window (or two, racing). */
		igt_assert_lte_u64(s1.windows - s0.windows, 2);

		run_ok(sh_rmw, n, PTR(buf), 1);
		s2 = vm_stats(dev, vm);
		igt_assert_eq_u64(s2.faults, s1.faults);
		neuf_igt_check_pattern(buf, n, 0x7e7e, 1);

		ro = (uint8_t *)buf + 7 * PAGE_SZ;
		igt_assert_eq(mprotect(ro, PAGE_SZ, PROT_READ), 0);
		s3 = vm_stats(dev, vm);
		igt_assert_lte_u64(THP_SZ / PAGE_SZ,
				   s3.pages_invalidated - s2.pages_invalidated);
		run_fault(-EFAULT, ro, ro + PAGE_SZ, NEUF_ACCESS_KIND_WRITE,
			  sh_fill, 1, PTR(ro + 4), 0);
		run_ok(sh_copy, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0x7e7e, 1);
		igt_assert_eq(mprotect(ro, PAGE_SZ, PROT_READ | PROT_WRITE), 0);
		check_gpu_follows_cpu(buf, dst, n, 0x7f7f);
		munmap(mapping, mapping_len);
		munmap(dst_mapping, dst_mapping_len);
	}

	igt_describe("One dispatch over a buffer that is a transparent huge "
		     "page, then 4 KiB pages, then a 64 KiB tail, populated "
		     "by the CPU or not at all: every byte right, the huge "
		     "page mapped whole, far fewer windows than pages.");
	igt_subtest("mixed-4k-thp-windows") {
		const size_t len = 2 * THP_SZ + 16 * PAGE_SZ, n = len / 4;
		uint8_t *p = map_anon(len + THP_SZ, MAP_PRIVATE), *buf;
		uint32_t *dst = xmalloc(len);
		struct drm_neuf_vm_stats s0, s1;

		neuf_igt_require_kconfig("CONFIG_TRANSPARENT_HUGEPAGE");
		buf = (uint8_t *)(((uintptr_t)p + THP_SZ - 1) & ~(THP_SZ - 1));
		igt_assert_eq(madvise(buf, THP_SZ, MADV_HUGEPAGE), 0);
		igt_assert_eq(madvise(buf + THP_SZ, len - THP_SZ,
				      MADV_NOHUGEPAGE), 0);
		/* The huge page and every other base page from the CPU. */
		neuf_igt_fill_pattern((uint32_t *)buf, THP_SZ / 4, 0x6d6d);
		for (size_t off = THP_SZ; off < len; off += 2 * PAGE_SZ)
			neuf_igt_fill_pattern((uint32_t *)(buf + off), PAGE_SZ / 4,
				     0x6d6d + (uint32_t)(off / 4));
		set_value(dst, n, 0xdead);

		s0 = vm_stats(dev, vm);
		run_ok(sh_copy, n, PTR(buf), PTR(dst));
		s1 = vm_stats(dev, vm);
		igt_info("faults %" PRIu64 ", windows %" PRIu64 ", huge %"
			 PRIu64 "\n", (uint64_t)(s1.faults - s0.faults),
			 (uint64_t)(s1.windows - s0.windows),
			 (uint64_t)(s1.huge_mapped - s0.huge_mapped));
		for (size_t i = 0; i < n; i++) {
			size_t off = i * 4, pg = off / PAGE_SZ;
			uint32_t want;

			if (off < THP_SZ)
				want = neuf_igt_pattern(0x6d6d, i);
			else if ((pg - THP_SZ / PAGE_SZ) % 2 == 0)
				want = neuf_igt_pattern(0x6d6d + (uint32_t)(pg * PAGE_SZ / 4),
					       i - pg * PAGE_SZ / 4);
			else
				want = 0;
			igt_assert_f(dst[i] == want, "dst[%zu] (page %zu) = "
				     "%#x, expected %#x\n", i, pg, dst[i], want);
		}
		if (anon_huge_kb(buf) >= (long)(THP_SZ >> 10))
			igt_assert_lte_u64(1, s1.huge_mapped - s0.huge_mapped);
		/*
		 * Pages the CPU populated come with the windows of their
		 * neighbours' faults; the untouched ones are each faulted in.
		 */
		igt_assert_lte_u64(s1.windows - s0.windows,
				   (len - THP_SZ) / PAGE_SZ / 2 + 16);
		check_gpu_follows_cpu((uint32_t *)buf, dst, n, 0x6e6e);
		munmap(p, len + THP_SZ);
		free(dst);
	}

	igt_describe("Hang detection counts GPU time only: with a watchdog far "
		     "below the time a first-touch dispatch spends waiting for "
		     "its faults, but above its running time, the dispatch "
		     "completes, while a shader that loops forever still ends "
		     "with ETIMEDOUT.");
	igt_subtest("watchdog-counts-gpu-time") {
		/* 4096 faults: tens of seconds of fault service on debug. */
		const size_t len = 16 << 20;
		uint64_t *hang = neuf_igt_assemble("forever: jmp forever\n");
		uint64_t *walk = neuf_igt_assemble(walk_pages_src);
		uint8_t *warm = map_anon(len, MAP_PRIVATE);
		uint8_t *fresh = map_anon(len, MAP_PRIVATE);
		struct drm_neuf_job_status st;
		double run_ms, wall_ms;
		unsigned int watchdog;
		char value[16];

		madvise(warm, len, MADV_NOHUGEPAGE);
		madvise(fresh, len, MADV_NOHUGEPAGE);
		/* Running time: the same walk with nothing to fault. */
		walk_pages_and_check(walk, warm, len, 1);
		run_ms = walk_pages_and_check(walk, warm, len, 2);

		watchdog = (unsigned int)(5 * run_ms) + 50;
		igt_info("fault-free run %.0f ms, watchdog %u ms\n", run_ms,
			 watchdog);
		snprintf(value, sizeof(value), "%u", watchdog);
		set_param("job_timeout_ms", value);
		/* One fault per page: far longer waits than running. */
		set_param("fault_windows", "N");
		wall_ms = walk_pages_and_check(walk, fresh, len, 3);
		igt_info("first touch %.0f ms\n", wall_ms);
		igt_require_f(wall_ms > 2 * watchdog, "faults were serviced "
			      "too fast for the watchdog to tell\n");

		st = run_on(dev, vm, hang, 1, ARGS(0), __LINE__);
		igt_assert_f(st.error == -ETIMEDOUT, "the endless job ended "
			     "with %s (%d), expected ETIMEDOUT\n",
			     neuf_igt_errno_name(st.error), st.error);
		walk_pages_and_check(walk, warm, len, 4);
		munmap(warm, len);
		munmap(fresh, len);
		free(walk);
		free(hang);
	}

	igt_describe("A single dispatch over 256 MiB of memory nothing touched "
		     "before, one store per 4 KiB page, completes, with base "
		     "pages and with transparent huge pages where the kernel "
		     "has them.");
	igt_subtest("large-dispatch-256m") {
		const size_t len = 256ul << 20;
		uint8_t *small = map_anon(len, MAP_PRIVATE);
		uint8_t *huge = map_anon(len, MAP_PRIVATE);
		struct drm_neuf_vm_stats s0, s1;
		struct timespec t0;

		madvise(small, len, MADV_NOHUGEPAGE);
		madvise(huge, len, MADV_HUGEPAGE);
		s0 = vm_stats(dev, vm);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		fill_pages_and_check(small, len, 0x10000);
		s1 = vm_stats(dev, vm);
		igt_info("4 KiB pages: %.0f ms, faults %" PRIu64 ", windows %"
			 PRIu64 ", batches %" PRIu64 "\n", elapsed_ms(&t0),
			 (uint64_t)(s1.faults - s0.faults),
			 (uint64_t)(s1.windows - s0.windows),
			 (uint64_t)(s1.batches - s0.batches));
		munmap(small, len);

		s0 = vm_stats(dev, vm);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		fill_pages_and_check(huge, len, 0x20000);
		s1 = vm_stats(dev, vm);
		igt_info("huge pages: %.0f ms, faults %" PRIu64 ", windows %"
			 PRIu64 ", huge %" PRIu64 "\n", elapsed_ms(&t0),
			 (uint64_t)(s1.faults - s0.faults),
			 (uint64_t)(s1.windows - s0.windows),
			 (uint64_t)(s1.huge_mapped - s0.huge_mapped));
		munmap(huge, len);
	}

	igt_describe("The non-blockable invalidation path, deterministically: "
		     "kill a process whose VM is busy, hold it at its ptrace "
		     "exit stop (before it drops its mm) and reap its memory "
		     "with process_mrelease(), the OOM reaper's code; neuf's "
		     "notifier sees non-blockable invalidations and the device "
		     "stays healthy.");
	igt_subtest("reaper-nonblocking-invalidate") {
		const size_t n = 4096;
		uint32_t *buf = xmalloc(n * 4);
		char inst[96], path[160], *text;
		int pidfd, again;
		bool seen;
		pid_t pid;

		if (access("/sys/kernel/tracing/instances", F_OK))
			mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL);
		igt_require_f(!access("/sys/kernel/tracing/events/neuf", F_OK),
			      "no tracefs or no neuf events\n");
		snprintf(inst, sizeof(inst),
			 "/sys/kernel/tracing/instances/neuf-reap-%d", getpid());
		igt_assert_f(!mkdir(inst, 0755), "mkdir %s: %s\n", inst,
			     strerror(errno));
		snprintf(path, sizeof(path),
			 "%s/events/neuf/neuf_svm_invalidate/enable", inst);
		igt_assert_eq(write_file(path, "1"), 0);

		pidfd = reap_victim_stop(&pid);
		again = reap_victim_mrelease(pidfd);
		reap_victim_release(pid, pidfd);

		snprintf(path, sizeof(path), "%s/trace", inst);
		text = neuf_igt_read_text(path);
		seen = strstr(text, "blockable=0");
		free(text);
		snprintf(path, sizeof(path),
			 "%s/events/neuf/neuf_svm_invalidate/enable", inst);
		write_file(path, "0");
		igt_assert_eq(rmdir(inst), 0);
		igt_info("reaped after %d EAGAIN retries; non-blockable "
			 "invalidation %s\n", again, seen ? "seen" : "not seen");
		igt_assert_f(seen, "process_mrelease() never reached neuf's "
			     "notifier non-blockably\n");

		/* The device is healthy. */
		run_ok(sh_fill, n, PTR(buf), 0x0d0000);
		check_sequence(buf, n, 0x0d0000);
		free(buf);
	}

	igt_describe("The OOM reaper's back-off: while neuf's non-blockable "
		     "invalidation meets contention (fault injection), "
		     "process_mrelease() must answer EAGAIN and leave the "
		     "mirrored memory alone; once the contention is gone it "
		     "reaps, the victim exits cleanly and the device is "
		     "healthy.");
	igt_subtest("reaper-contention-backs-off") {
		const size_t n = 4096;
		uint32_t *buf = xmalloc(n * 4);
		int pidfd, ret = 0, err = 0, tries;
		char dir[160];
		pid_t pid;

		igt_require_f(neuf_igt_debugfs_path("fail_nonblock_invalidate", dir,
						sizeof(dir)),
			      "no fail_nonblock_invalidate in neuf's debugfs "
			      "(needs CONFIG_FAULT_INJECTION_DEBUG_FS)\n");

		pidfd = reap_victim_stop(&pid);
		fault_attr_set(dir, "verbose", "0");
		fault_attr_set(dir, "interval", "1");
		fault_attr_set(dir, "times", "-1");
		fault_attr_set(dir, "probability", "100");
		for (tries = 0; tries < 3; tries++) {
			ret = syscall(SYS_process_mrelease, pidfd, 0);
			err = errno;
			if (ret != -1 || err != EAGAIN)
				break;
		}
		fault_attr_set(dir, "probability", "0");
		fault_attr_set(dir, "times", "1");
		reap_victim_mrelease(pidfd);
		reap_victim_release(pid, pidfd);
		igt_assert_f(tries == 3, "process_mrelease() while neuf's "
			     "notifier reported contention: %s, expected "
			     "EAGAIN\n", ret ? strerror(err) : "reaped");

		run_ok(sh_fill, n, PTR(buf), 0x0e0000);
		check_sequence(buf, n, 0x0e0000);
		free(buf);
	}

	igt_describe("Telemetry outside the ioctl: the fault, map, replay, "
		     "invalidate and job tracepoints fire, and debugfs lists "
		     "the VMs' counters and the fault buffer.");
	igt_subtest("telemetry-trace-debugfs") {
		const uint32_t pages = 8;
		const size_t len = pages * PAGE_SZ;
		static const char *const events[] = {
			"neuf_svm_fault:", "neuf_svm_map:", "neuf_svm_replay:",
			"neuf_svm_invalidate:", "neuf_job_run:", "neuf_job_end:",
		};
		char inst[96], path[160], *text;
		struct drm_neuf_vm_stats st;
		uint8_t *fresh;

		if (access("/sys/kernel/tracing/instances", F_OK))
			mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL);
		igt_require_f(!access("/sys/kernel/tracing/events/neuf", F_OK),
			      "no tracefs or no neuf events\n");
		snprintf(inst, sizeof(inst),
			 "/sys/kernel/tracing/instances/neuf-%d", getpid());
		igt_assert_f(!mkdir(inst, 0755), "mkdir %s: %s\n", inst,
			     strerror(errno));
		snprintf(path, sizeof(path), "%s/events/neuf/enable", inst);
		igt_assert_eq(write_file(path, "1"), 0);

		fresh = map_anon(len, MAP_PRIVATE);
		run_ok(sh_fill_strided, pages, PTR(fresh), 1, PAGE_SZ);
		igt_assert_eq(munmap(fresh, len), 0);

		igt_assert_eq(write_file(path, "0"), 0);
		snprintf(path, sizeof(path), "%s/trace", inst);
		text = neuf_igt_read_text(path);
		for (size_t i = 0; i < sizeof(events) / sizeof(*events); i++)
			igt_assert_f(strstr(text, events[i]),
				     "no %s event in the trace\n", events[i]);
		free(text);
		igt_assert_eq(rmdir(inst), 0);

		st = vm_stats(dev, vm);
		text = neuf_igt_read_debugfs("neuf_vms");
		igt_assert_f(text, "no neuf_vms in debugfs\n");
		snprintf(path, sizeof(path), "pages_mapped=%" PRIu64,
			 (uint64_t)st.pages_mapped);
		igt_assert_f(strstr(text, path), "%s not in neuf_vms:\n%s",
			     path, text);
		free(text);
		text = neuf_igt_read_debugfs("neuf_fault_buffer");
		igt_assert_f(text && strstr(text, "entries "),
			     "neuf_fault_buffer: %s\n", text ? text : "(none)");
		free(text);
	}

	igt_describe("Every page the GPU maps is DMA-mapped for it and "
		     "unmapped when the CPU unmaps it: the VM's count of DMA "
		     "mappings in debugfs follows its PTEs exactly.");
	igt_subtest("dma-mappings-follow-ptes") {
		const size_t pages = 64, len = pages * PAGE_SZ;
		uint32_t *warm = xmalloc(PAGE_SZ);
		/*
		 * Guard pages of their own VMAs around the buffer: a window
		 * never spans VMAs, so no neighbour's pages join the count.
		 */
		uint8_t *area = mmap(NULL, len + 2 * PAGE_SZ, PROT_NONE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uint32_t *buf = (uint32_t *)(area + PAGE_SZ);
		int64_t before, mapped;

		igt_assert(area != MAP_FAILED);
		igt_assert_eq(mprotect(buf, len, PROT_READ | PROT_WRITE), 0);

		/* The shader's own pages are mapped by the first run. */
		run_ok(sh_fill_strided, 1, PTR(warm), 1, PAGE_SZ);
		before = vm_dma_pages(dev, vm);
		igt_assert_lt(0, before);
		run_ok(sh_fill_strided, pages, PTR(buf), 1, PAGE_SZ);
		mapped = vm_dma_pages(dev, vm);
		igt_assert_eq(mapped - before, pages);
		igt_assert_eq(munmap(buf, len), 0);
		igt_assert_eq(vm_dma_pages(dev, vm), before);
		munmap(area, len + 2 * PAGE_SZ);
		free(warm);
	}

	igt_describe("A shader that never ends is stopped at the scheduler's "
		     "timeout (ETIMEDOUT) while another VM's job runs to "
		     "completion; afterwards both the same VM and a new one "
		     "run jobs correctly.");
	igt_subtest("timeout-recovers") {
		uint64_t *hang = neuf_igt_assemble("forever: jmp forever\n");
		const size_t n = 2048;
		uint32_t *buf = xmalloc(n * 4);
		struct drm_neuf_vm_stats before, after;
		struct drm_neuf_job_status st;
		uint32_t other, hung = syncobj_create(dev);
		uint64_t job;

		before = vm_stats(dev, vm);
		job = submit_on(dev, vm, hang, 1, ARGS(0), hung);

		/* Another VM is not held up (the GPU has two engines). */
		igt_assert_eq(neuf_vm_create(dev, NEUF_VM_CREATE_SVM, &other), 0);
		run_ok_on(dev, other, sh_fill, n, PTR(buf), 0x7100);
		check_sequence(buf, n, 0x7100);

		neuf_igt_syncobj_wait(dev, hung, JOB_TIMEOUT_NS);
		st = job_status(dev, vm, job);
		igt_assert_eq_u32(st.state, NEUF_JOB_STATE_DONE);
		igt_assert_f(st.error == -ETIMEDOUT, "the endless job ended "
			     "with %s (%d), expected ETIMEDOUT\n",
			     neuf_igt_errno_name(st.error), st.error);
		after = vm_stats(dev, vm);
		igt_assert_eq_u64(after.jobs_failed - before.jobs_failed, 1);

		run_ok(sh_fill, n, PTR(buf), 0x7200);
		check_sequence(buf, n, 0x7200);
		run_ok_on(dev, other, sh_rmw, n, PTR(buf), 1);
		check_sequence(buf, n, 0x7201);
		igt_assert_eq(neuf_vm_destroy(dev, other), 0);
		igt_assert_eq(neuf_vm_create(dev, NEUF_VM_CREATE_SVM, &other), 0);
		run_ok_on(dev, other, sh_fill, n, PTR(buf), 0x7300);
		check_sequence(buf, n, 0x7300);
		igt_assert_eq(neuf_vm_destroy(dev, other), 0);
		drmSyncobjDestroy(neuf_device_fd(dev), hung);
		free(buf);
		free(hang);
	}

	igt_describe("An unknown opcode, a non-zero unused field and a "
		     "misaligned atomic each fail the job with ENOEXEC at the "
		     "instruction's (or the operand's) address.");
	igt_subtest("illegal-instruction") {
		uint64_t *code = neuf_igt_assemble("li r1, 5\nnop\nhalt\n");
		uint32_t *buf = xmalloc(64);
		uint8_t *bytes = (uint8_t *)buf;

		run_ok(code, 1, 0);	/* as assembled, it runs */

		code[1] = 0xff;	/* no such opcode */
		run_fault(-ENOEXEC, &code[1], (uint8_t *)&code[1] + 1, 0,
			  code, 1, 0);
		code[1] = NEUF_ISA_ENCODE(NEUF_OP_NOP, 1, 0, 0, 0, 0); /* rd */
		run_fault(-ENOEXEC, &code[1], (uint8_t *)&code[1] + 1, 0,
			  code, 1, 0);
		code[1] = NEUF_ISA_ENCODE(NEUF_OP_NOP, 0, 0, 0, 0, 0);
		run_ok(code, 1, 0);

		memset(buf, 0, 64);
		run_fault(-ENOEXEC, bytes + 2, bytes + 3, 0, sh_atomic_inc, 1,
			  PTR(bytes + 2));
		check_value(buf, 16, 0);
		run_ok(sh_atomic_inc, 16, PTR(buf));
		check_value(buf, 16, 1);
		free(code);
		free(buf);
	}

	igt_describe("prefetch of a never-touched page, of an inaccessible "
		     "page, of NULL and of a kernel address never fails; loads "
		     "after it read the right data.");
	igt_subtest("prefetch") {
		static const char prefetch_src[] =
			"sreg r1, arg0        # never-touched page\n"
			"sreg r2, arg1        # out\n"
			"sreg r3, arg2        # PROT_NONE page\n"
			"sreg r5, arg3        # page the CPU filled\n"
			"li64 r7, -0x800000000000  # 0xffff800000000000\n"
			"prefetch [r3 + 64]\n"
			"prefetch [r0]\n"
			"prefetch [r7]\n"
			"prefetch [r1 + 64]\n"
			"ld32 r4, [r1 + 64]\n"
			"st32 [r2], r4\n"
			"prefetch [r5]\n"
			"ld32 r6, [r5 + 8]\n"
			"st32 [r2 + 4], r6\n"
			"halt\n";
		uint64_t *code = neuf_igt_assemble(prefetch_src);
		uint32_t *fresh = map_anon(PAGE_SZ, MAP_PRIVATE);
		uint32_t *filled = map_anon(PAGE_SZ, MAP_PRIVATE);
		uint32_t *out = xmalloc(2 * sizeof(uint32_t));
		void *none = mmap(NULL, PAGE_SZ, PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		igt_assert(none != MAP_FAILED);
		filled[2] = 0x9f9f9f9f;
		out[0] = out[1] = 0xdeadbeef;
		run_ok(code, 1, PTR(fresh), PTR(out), PTR(none), PTR(filled));
		igt_assert_eq_u32(out[0], 0);
		igt_assert_eq_u32(out[1], 0x9f9f9f9f);
		/* Many invocations prefetching the same pages at once. */
		out[0] = out[1] = 0xdeadbeef;
		filled[2] = 0x8e8e8e8e;
		run_ok(code, 64, PTR(fresh), PTR(out), PTR(none), PTR(filled));
		igt_assert_eq_u32(out[0], 0);
		igt_assert_eq_u32(out[1], 0x8e8e8e8e);
		munmap(fresh, PAGE_SZ);
		munmap(filled, PAGE_SZ);
		munmap(none, PAGE_SZ);
		free(out);
		free(code);
	}

	igt_fixture {
		neuf_vm_destroy(dev, vm);
		neuf_device_close(dev);
		free(sh_fill);
		free(sh_copy);
		free(sh_rmw);
		free(sh_atomic_inc);
		free(sh_fill_strided);
		free(sh_rmw_strided);
		free(sh_spin_fill);
		free(sh_poll_change);
	}
}
