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
 * The scenarios any SVM GPU must pass are svm_scenarios.c's, run here on
 * neuf's backend and by neuf_svm_cuda on NVIDIA's; the subtests below them
 * are neuf's own: its uAPI (JOB_STATUS, VM_STATS, fd rules), its fault
 * path's internals, its watchdog, the OOM reaper's path into its notifier.
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
#include "kernel_files.h"
#include "libneuf.h"
#include "neuf_asm.h"
#include "neuf_igt.h"
#include "neuf_isa.h"
#include "svm_backend_neuf.h"
#include "svm_mem.h"
#include "svm_scenarios.h"

#define PAGE_SZ SVM_PAGE_SZ

#define PTR(p) ((uint64_t)(uintptr_t)(p))
/* Push constants of a dispatch; those not given are zero. */
#define ARGS(...) ((const uint64_t[NEUF_EXEC_NUM_ARGS]){ __VA_ARGS__ })

/*
 * Shaders beyond those of the backend (svm_backend_neuf.c). Most work on
 * arrays of u32 with one invocation per element, arg0 the array's address.
 */

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
 * Stores arg1 to the u32 at arg0, spins arg2 iterations, then stores the
 * byte 0x77 to the address arg3.
 */
static const char store_spin_store_src[] =
	"sreg r1, arg0        # buf\n"
	"sreg r2, arg1        # value\n"
	"st32 [r1], r2\n"
	"sreg r3, arg2        # iterations\n"
	"spin:\n"
	"  addi r3, r3, -1\n"
	"  bnz r3, spin\n"
	"sreg r4, arg3        # address\n"
	"li r5, 0x77\n"
	"st8 [r4], r5\n"
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
/* The device and VM of the neuf backend the shared scenarios run on. */
static struct svm_backend *neuf;
static struct neuf_device *dev;
static uint32_t vm;
/* Its kernels, for the subtests that go beyond the shared scenarios. */
static const uint64_t *sh_fill, *sh_copy, *sh_rmw, *sh_atomic_inc;
static const uint64_t *sh_fill_strided, *sh_rmw_strided;
static uint64_t *sh_spin_fill, *sh_poll_change, *sh_store_spin_store;

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

	ret = neuf_run(d, v, &disp, NEUF_IGT_JOB_TIMEOUT_NS, &st);
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

/*
 * userfaultfd-handler-thread: a handler thread that resolves each missing
 * page it hears of with a copy of its page of @src, and notes which, until
 * @stop's read end polls readable. It runs beside IGT's assertions, so it
 * records failures in @err instead of asserting.
 */
struct uffd_handler {
	pthread_t thread;
	int uffd;
	int stop[2];		/* a pipe: the subtest writes to end it */
	uint8_t *base;		/* the registered range */
	const uint8_t *src;	/* what each page gets */
	size_t len;
	unsigned int n;		/* pages resolved, in @pages; __atomic */
	size_t pages[8];
	int err;		/* the first failure's errno */
};

static void *uffd_handler_thread(void *arg)
{
	struct uffd_handler *h = arg;
	struct pollfd fds[2] = {
		{ .fd = h->uffd, .events = POLLIN },
		{ .fd = h->stop[0], .events = POLLIN },
	};
	struct uffdio_copy copy;
	struct uffd_msg msg;
	size_t page;

	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			h->err = errno;
			break;
		}
		if (fds[1].revents)
			break;
		if (read(h->uffd, &msg, sizeof(msg)) != sizeof(msg)) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			h->err = errno;
			break;
		}
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		page = (msg.arg.pagefault.address - (uintptr_t)h->base) /
		       PAGE_SZ;
		if (page * PAGE_SZ >= h->len ||
		    h->n == sizeof(h->pages) / sizeof(h->pages[0])) {
			h->err = ERANGE;
			break;
		}
		h->pages[h->n] = page;
		/* Seen before the copy wakes the faulting thread. */
		__atomic_store_n(&h->n, h->n + 1, __ATOMIC_RELEASE);
		copy = (struct uffdio_copy){
			.dst = (uintptr_t)h->base + page * PAGE_SZ,
			.src = (uintptr_t)h->src + page * PAGE_SZ,
			.len = PAGE_SZ,
		};
		if (ioctl(h->uffd, UFFDIO_COPY, &copy) && errno != EEXIST) {
			h->err = errno;
			break;
		}
	}
	return NULL;
}

#define TRACEFS "/sys/kernel/tracing"

/*
 * A tracefs instance of this process's, @inst (of @size bytes), for
 * neuf's events; skips without tracefs or neuf's events.
 *
 * Enabling an event also records task names, unless the instance was
 * created with the record-cmd option off: that attaches probes to
 * sched_switch and sched_wakeup, whose static keys text_poke_bp() patches
 * in the scheduler's hottest code while other CPUs run it. Under QEMU's
 * TCG a CPU can then execute the patch's stale int3 (seen once: an Oops
 * "int3" in ttwu_do_activate(), debian-6.12). The events here need no
 * task names: the instance copies the top level's options when created,
 * so record-cmd is off for that moment, then restored.
 */
static void trace_instance_create(char *inst, size_t size, const char *name)
{
	char *old;
	int ret;

	if (access(TRACEFS "/instances", F_OK))
		mount("nodev", TRACEFS, "tracefs", 0, NULL);
	igt_require_f(!access(TRACEFS "/events", F_OK), "no tracefs\n");
	/* neuf.ko always has its events: their absence is a bug. */
	igt_assert_f(!access(TRACEFS "/events/neuf", F_OK),
		     "no neuf events in tracefs\n");
	snprintf(inst, size, TRACEFS "/instances/%s-%d", name, getpid());
	old = neuf_igt_read_text(TRACEFS "/options/record-cmd");
	igt_assert_eq(kfile_write(TRACEFS "/options/record-cmd", "0"), 0);
	ret = mkdir(inst, 0755) ? -errno : 0;
	kfile_write(TRACEFS "/options/record-cmd", old[0] == '0' ? "0" : "1");
	free(old);
	igt_assert_f(ret == 0, "mkdir %s: %s\n", inst, neuf_igt_errno_name(ret));
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
	if (neuf_run(d, v, &disp, NEUF_IGT_JOB_TIMEOUT_NS, &st) || st.error)
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
	ret = kfile_write(path, value);
	igt_assert_f(ret == 0, "writing %s to %s: %s\n", value, path,
		     neuf_igt_errno_name(ret));
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
		kfile_write(path, p->value);
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
	ret = kfile_write(path, value);
	igt_assert_f(ret == 0, "writing %s to %s: %s\n", value, path,
		     neuf_igt_errno_name(ret));
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

/* The same as svm_fill_pages_and_check() with walk_pages_src; returns ms. */
static double walk_pages_and_check(const uint64_t *walk, uint8_t *p,
				   size_t len, uint32_t first)
{
	struct timespec t0;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	run_ok(walk, 1, PTR(p), len / PAGE_SZ, first);
	ms = svm_elapsed_ms(&t0);
	svm_check_pages(p, len, first);
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
		uint8_t *p = svm_map_anon(len, MAP_PRIVATE);
		struct neuf_device *d;

		madvise(p, len, MADV_NOHUGEPAGE);
		igt_assert_eq(neuf_device_open(0, &d), 0);
		igt_assert_eq(neuf_vm_create(d, NEUF_VM_CREATE_SVM, &v), 0);
		run_ok_on(d, v, sh_fill_strided, (uint32_t)(len / PAGE_SZ),
			  PTR(p), first, PAGE_SZ);
		svm_check_pages(p, len, first);
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

	at = strstr(text, "vm_overlaps ");
	igt_assert_f(at, "no vm_overlaps in neuf_fault_buffer:\n%s", text);
	n = atoll(at + strlen("vm_overlaps "));
	free(text);
	return n;
}

int igt_main()
{
	igt_fixture() {
		neuf = svm_backend_neuf();
		svm_scenarios_open(neuf);
		svm_backend_neuf_vm(neuf, &dev, &vm);
		sh_fill = svm_backend_neuf_code(neuf, SVM_FILL);
		sh_copy = svm_backend_neuf_code(neuf, SVM_COPY);
		sh_rmw = svm_backend_neuf_code(neuf, SVM_RMW);
		sh_atomic_inc = svm_backend_neuf_code(neuf, SVM_ATOMIC_INC);
		sh_fill_strided = svm_backend_neuf_code(neuf, SVM_FILL_STRIDED);
		sh_rmw_strided = svm_backend_neuf_code(neuf, SVM_RMW_STRIDED);
		sh_spin_fill = neuf_igt_assemble(spin_fill_src);
		sh_poll_change = neuf_igt_assemble(poll_change_src);
		sh_store_spin_store = neuf_igt_assemble(store_spin_store_src);
	}

	/* The scenarios every SVM GPU runs (neuf_svm_cuda runs them too). */
	svm_scenarios(neuf);

	igt_describe("A GPU fault that arrives while an invalidation is still "
		     "in progress waits for its end: the GPU polls the last "
		     "page of 64 MiB that MADV_DONTNEED is zapping (neuf's "
		     "notifier has run, the page is not yet zapped) and must "
		     "see the page the CPU sees afterwards, zeros.");
	igt_subtest("fault-during-invalidation") {
		const size_t len = 64ul << 20;
		uint8_t *region = svm_map_anon(len, MAP_PRIVATE);
		uint32_t *watched = (uint32_t *)(region + len - PAGE_SZ);
		uint32_t *flags = svm_map_anon(PAGE_SZ, MAP_PRIVATE);
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
		deadline = neuf_igt_deadline(NEUF_IGT_JOB_TIMEOUT_NS);
		while (!__atomic_load_n(&flags[0], __ATOMIC_ACQUIRE))
			igt_assert_f(neuf_igt_deadline(0) < deadline,
				     "the polling job never started\n");

		igt_assert_eq(madvise(region, len, MADV_DONTNEED), 0);
		igt_assert_eq_u32(*watched, 0);
		neuf_igt_syncobj_wait(dev, done, 2 * NEUF_IGT_JOB_TIMEOUT_NS);
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
		uint32_t *victim = svm_xmalloc(n * 4);
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
			svm_check_sequence(victim, n, 0xc1c1);
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
			uint32_t *buf = svm_xmalloc(n * 4);
			struct fd_msg m = { .count = n, .first = 0xe000 };

			close(sv[0]);
			igt_assert_eq(neuf_device_open(0, &own), 0);
			igt_assert_eq(neuf_vm_create(own, NEUF_VM_CREATE_SVM,
						     &m.vm_id), 0);
			st = run_ok_on(own, m.vm_id, sh_fill, n, PTR(buf), m.first);
			svm_check_sequence(buf, n, m.first);
			m.job_id = st.job_id;
			m.buf = PTR(buf);
			send_fd(sv[1], neuf_device_fd(own), &m);
			svm_wait_for_parent(sv[1]);

			/* Nothing the parent tried reached our memory. */
			svm_check_sequence(buf, n, m.first);
			run_ok_on(own, m.vm_id, sh_rmw, n, PTR(buf), 1);
			svm_check_sequence(buf, n, m.first + 1);
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

		svm_tell(sv[0]);
		igt_waitchildren();
		neuf_device_close(received);
		close(sv[0]);
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

		svm_fill_pages_and_check(a, len, 0x1000);
		svm_fill_pages_and_check(t, PAGE_SZ, 0x77);
		s0 = vm_stats(dev, vm);
		pt0 = vm_debugfs_count(dev, vm, "pt_pages");

		/* Blocks 1 and 2 go; 0 and 3 stay. */
		igt_assert_eq(munmap(a + 2 * mib, 4 * mib), 0);
		/* T's next fault is resolved after the collection. */
		madvise(t, PAGE_SZ, MADV_DONTNEED);
		svm_fill_pages_and_check(t, PAGE_SZ, 0x78);
		s1 = vm_stats(dev, vm);
		igt_assert_eq_u64(s1.notifiers, s0.notifiers);
		igt_assert_eq(vm_debugfs_count(dev, vm, "pt_pages"), pt0 - 2);
		svm_check_pages(a, 2 * mib, 0x1000);
		svm_check_pages(a + 6 * mib, 2 * mib, 0x1000 + 1536);
		svm_fill_pages_and_check(a, 2 * mib, 0x2000);

		/* The whole chunk goes: its notifier and two more tables. */
		igt_assert_eq(munmap(a, chunk), 0);
		madvise(t, PAGE_SZ, MADV_DONTNEED);
		svm_fill_pages_and_check(t, PAGE_SZ, 0x79);
		s1 = vm_stats(dev, vm);
		igt_assert_eq_u64(s1.notifiers, s0.notifiers - 1);
		igt_assert_eq(vm_debugfs_count(dev, vm, "pt_pages"), pt0 - 4);
		munmap(resv, resv_len);
	}

	igt_describe("A store to a buffer, a loop during which the engine "
		     "lets its lock go many times, then a byte store to "
		     "0xffffffffffffffff: that store faults (EFAULT, at that "
		     "address) and the buffer keeps what the first store "
		     "wrote. The engine once kept a translation across its "
		     "turns that matched this address alone, and stored to "
		     "the buffer's page, or to a page since freed.");
	igt_subtest("all-ones-address-faults") {
		uint32_t *buf = svm_map_anon(PAGE_SZ, MAP_PRIVATE);
		struct drm_neuf_job_status st;

		st = run_on(dev, vm, sh_store_spin_store, 1,
			    ARGS(PTR(buf), 0x11223344, 1000, UINT64_MAX),
			    __LINE__);
		igt_assert_f(st.error == -EFAULT &&
			     st.fault_access == NEUF_ACCESS_KIND_WRITE &&
			     st.fault_addr >= UINT64_MAX - PAGE_SZ + 1,
			     "a store to 0xffffffffffffffff ended with %s (%s) at "
			     "%#" PRIx64 "\n", neuf_igt_errno_name(st.error),
			     neuf_access_name(st.fault_access),
			     (uint64_t)st.fault_addr);
		igt_assert_eq_u32(buf[0], 0x11223344);
		munmap(buf, PAGE_SZ);
	}

	igt_describe("A job that touches 64 blocks of a hole, 2 MiB apart, "
		     "fails with EFAULT, and its faults leave no interval "
		     "notifier and no page table behind: a shader cannot "
		     "make the driver allocate for addresses nothing maps.");
	igt_subtest("hole-faults-allocate-nothing") {
		const size_t blocks = 64, len = blocks * SZ_2M;
		struct drm_neuf_vm_stats s0, s1;
		uint8_t *hole, *t;
		int64_t pt0;

		t = svm_map_anon(PAGE_SZ, MAP_PRIVATE);
		svm_fill_pages_and_check(t, PAGE_SZ, 0x31);
		hole = svm_map_anon(len, MAP_PRIVATE);
		igt_assert_eq(munmap(hole, len), 0);
		s0 = vm_stats(dev, vm);
		pt0 = vm_debugfs_count(dev, vm, "pt_pages");

		run_fault(-EFAULT, hole, hole + len, NEUF_ACCESS_KIND_READ,
			  sh_rmw_strided, blocks, PTR(hole), 1, SZ_2M);
		/* The next fault is resolved after any collection. */
		madvise(t, PAGE_SZ, MADV_DONTNEED);
		svm_fill_pages_and_check(t, PAGE_SZ, 0x32);
		s1 = vm_stats(dev, vm);
		igt_assert_eq_u64(s1.notifiers, s0.notifiers);
		igt_assert_eq(vm_debugfs_count(dev, vm, "pt_pages"), pt0);
		munmap(t, PAGE_SZ);
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

	igt_describe("VM_STATS counts what a dispatch did: writing one u32 in "
		     "each of 64 never-touched pages maps exactly 64 pages, "
		     "through at least 64 faults, and munmap invalidates them.");
	igt_subtest("fault-counters") {
		const uint32_t pages = 64;
		const size_t len = pages * PAGE_SZ;
		struct drm_neuf_vm_stats s0, s1, s2;
		uint32_t *warm = svm_xmalloc(sizeof(*warm));
		uint8_t *fresh;

		/* The code (and one data page) mapped beforehand. */
		run_ok(sh_fill_strided, 1, PTR(warm), 5, 4);
		igt_assert_eq_u32(*warm, 5);
		fresh = svm_map_anon(len, MAP_PRIVATE);
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
		uint32_t *buf = svm_map_anon(len, MAP_PRIVATE);
		uint32_t *dst = svm_xmalloc(len);
		struct drm_neuf_vm_stats s0, s1;

		madvise(buf, len, MADV_NOHUGEPAGE);
		neuf_igt_fill_pattern(buf, n, 0x4a4a);	/* writable, dirty */
		svm_set_value(dst, n, 0);
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
		buf = svm_map_anon(len, MAP_PRIVATE);
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
		uint32_t *buf = svm_map_anon(len, MAP_PRIVATE);
		uint32_t *dst = svm_xmalloc(len);
		struct drm_neuf_vm_stats s0, s1;
		cpu_set_t all;
		int ret;

		neuf_igt_require_kconfig("CONFIG_SWAP");
		svm_pin_to_first_cpu(&all);
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
		svm_check_sequence(buf, n, 0xd000);
		munmap(buf, len);
		free(dst);
	}

	igt_describe("A transparent huge page the CPU populated is mapped with "
		     "one 2 MiB GPU page on the first fault and written without "
		     "another; mprotect() of one base page splits it, which "
		     "unmaps the whole 2 MiB from the GPU, and the GPU then "
		     "follows the CPU page by page.");
	igt_subtest("thp-huge-gpu-page") {
		const size_t n = SVM_THP_SZ / 4;
		struct drm_neuf_vm_stats s0, s1, s2, s3;
		size_t mapping_len, dst_mapping_len;
		void *mapping, *dst_mapping;
		uint32_t *dst, *buf;
		uint8_t *ro;

		neuf_igt_require_kconfig("CONFIG_TRANSPARENT_HUGEPAGE");
		buf = (uint32_t *)svm_map_thp_range(&mapping, &mapping_len);
		dst = (uint32_t *)svm_map_thp_range(&dst_mapping, &dst_mapping_len);
		neuf_igt_fill_pattern(buf, n, 0x7e7e);
		svm_set_value(dst, n, 0);	/* the CPU maps dst before the GPU */
		igt_require_f(svm_anon_huge_kb(buf) >= (long)(SVM_THP_SZ >> 10) &&
			      svm_anon_huge_kb(dst) >= (long)(SVM_THP_SZ >> 10),
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
		igt_assert_lte_u64(SVM_THP_SZ / PAGE_SZ,
				   s3.pages_invalidated - s2.pages_invalidated);
		run_fault(-EFAULT, ro, ro + PAGE_SZ, NEUF_ACCESS_KIND_WRITE,
			  sh_fill, 1, PTR(ro + 4), 0);
		run_ok(sh_copy, n, PTR(buf), PTR(dst));
		neuf_igt_check_pattern(dst, n, 0x7e7e, 1);
		igt_assert_eq(mprotect(ro, PAGE_SZ, PROT_READ | PROT_WRITE), 0);
		svm_check_gpu_follows_cpu(buf, dst, n, 0x7f7f);
		munmap(mapping, mapping_len);
		munmap(dst_mapping, dst_mapping_len);
	}

	igt_describe("One dispatch over a buffer that is a transparent huge "
		     "page, then 4 KiB pages, then a 64 KiB tail, populated "
		     "by the CPU or not at all: every byte right, the huge "
		     "page mapped whole, far fewer windows than pages.");
	igt_subtest("mixed-4k-thp-windows") {
		const size_t len = 2 * SVM_THP_SZ + 16 * PAGE_SZ, n = len / 4;
		uint8_t *p = svm_map_anon(len + SVM_THP_SZ, MAP_PRIVATE), *buf;
		uint32_t *dst = svm_xmalloc(len);
		struct drm_neuf_vm_stats s0, s1;

		neuf_igt_require_kconfig("CONFIG_TRANSPARENT_HUGEPAGE");
		buf = (uint8_t *)(((uintptr_t)p + SVM_THP_SZ - 1) & ~(SVM_THP_SZ - 1));
		igt_assert_eq(madvise(buf, SVM_THP_SZ, MADV_HUGEPAGE), 0);
		igt_assert_eq(madvise(buf + SVM_THP_SZ, len - SVM_THP_SZ,
				      MADV_NOHUGEPAGE), 0);
		/* The huge page and every other base page from the CPU. */
		neuf_igt_fill_pattern((uint32_t *)buf, SVM_THP_SZ / 4, 0x6d6d);
		for (size_t off = SVM_THP_SZ; off < len; off += 2 * PAGE_SZ)
			neuf_igt_fill_pattern((uint32_t *)(buf + off), PAGE_SZ / 4,
				     0x6d6d + (uint32_t)(off / 4));
		svm_set_value(dst, n, 0xdead);

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

			if (off < SVM_THP_SZ)
				want = neuf_igt_pattern(0x6d6d, i);
			else if ((pg - SVM_THP_SZ / PAGE_SZ) % 2 == 0)
				want = neuf_igt_pattern(0x6d6d + (uint32_t)(pg * PAGE_SZ / 4),
					       i - pg * PAGE_SZ / 4);
			else
				want = 0;
			igt_assert_f(dst[i] == want, "dst[%zu] (page %zu) = "
				     "%#x, expected %#x\n", i, pg, dst[i], want);
		}
		if (svm_anon_huge_kb(buf) >= (long)(SVM_THP_SZ >> 10))
			igt_assert_lte_u64(1, s1.huge_mapped - s0.huge_mapped);
		/*
		 * Pages the CPU populated come with the windows of their
		 * neighbours' faults; the untouched ones are each faulted in.
		 */
		igt_assert_lte_u64(s1.windows - s0.windows,
				   (len - SVM_THP_SZ) / PAGE_SZ / 2 + 16);
		svm_check_gpu_follows_cpu((uint32_t *)buf, dst, n, 0x6e6e);
		munmap(p, len + SVM_THP_SZ);
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
		uint8_t *warm = svm_map_anon(len, MAP_PRIVATE);
		uint8_t *fresh = svm_map_anon(len, MAP_PRIVATE);
		struct drm_neuf_job_status st;
		double run_ms, wall_ms;
		unsigned int watchdog;
		char value[16];

		madvise(warm, len, MADV_NOHUGEPAGE);
		madvise(fresh, len, MADV_NOHUGEPAGE);
		/* Running time: the same walk with nothing to fault. */
		walk_pages_and_check(walk, warm, len, 1);
		run_ms = walk_pages_and_check(walk, warm, len, 2);

		/*
		 * Ten times: a first touch's GPU time also holds a replay and
		 * a page-table walk per fault, and the model's time runs on
		 * a host vCPU; on a loaded host the debug kernel's went past
		 * five times the fault-free run.
		 */
		watchdog = (unsigned int)(10 * run_ms) + 50;
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

	igt_describe("The non-blockable invalidation path, deterministically: "
		     "kill a process whose VM is busy, hold it at its ptrace "
		     "exit stop (before it drops its mm) and reap its memory "
		     "with process_mrelease(), the OOM reaper's code; neuf's "
		     "notifier sees non-blockable invalidations and the device "
		     "stays healthy.");
	igt_subtest("reaper-nonblocking-invalidate") {
		const size_t n = 4096;
		uint32_t *buf = svm_xmalloc(n * 4);
		char inst[96], path[160], *text;
		int pidfd, again;
		bool seen;
		pid_t pid;

		trace_instance_create(inst, sizeof(inst), "neuf-reap");
		snprintf(path, sizeof(path),
			 "%s/events/neuf/neuf_svm_invalidate/enable", inst);
		igt_assert_eq(kfile_write(path, "1"), 0);

		pidfd = reap_victim_stop(&pid);
		again = reap_victim_mrelease(pidfd);
		reap_victim_release(pid, pidfd);

		snprintf(path, sizeof(path), "%s/trace", inst);
		text = neuf_igt_read_text(path);
		seen = strstr(text, "blockable=0");
		free(text);
		snprintf(path, sizeof(path),
			 "%s/events/neuf/neuf_svm_invalidate/enable", inst);
		kfile_write(path, "0");
		igt_assert_eq(rmdir(inst), 0);
		igt_info("reaped after %d EAGAIN retries; non-blockable "
			 "invalidation %s\n", again, seen ? "seen" : "not seen");
		igt_assert_f(seen, "process_mrelease() never reached neuf's "
			     "notifier non-blockably\n");

		/* The device is healthy. */
		run_ok(sh_fill, n, PTR(buf), 0x0d0000);
		svm_check_sequence(buf, n, 0x0d0000);
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
		uint32_t *buf = svm_xmalloc(n * 4);
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
		svm_check_sequence(buf, n, 0x0e0000);
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

		trace_instance_create(inst, sizeof(inst), "neuf");
		snprintf(path, sizeof(path), "%s/events/neuf/enable", inst);
		igt_assert_eq(kfile_write(path, "1"), 0);

		fresh = svm_map_anon(len, MAP_PRIVATE);
		run_ok(sh_fill_strided, pages, PTR(fresh), 1, PAGE_SZ);
		igt_assert_eq(munmap(fresh, len), 0);

		igt_assert_eq(kfile_write(path, "0"), 0);
		snprintf(path, sizeof(path), "%s/trace", inst);
		text = neuf_igt_read_text(path);
		for (size_t i = 0; i < sizeof(events) / sizeof(*events); i++)
			igt_assert_f(strstr(text, events[i]),
				     "no %s event in the trace\n", events[i]);
		free(text);
		igt_assert_eq(rmdir(inst), 0);

		st = vm_stats(dev, vm);
		text = neuf_igt_read_debugfs("neuf_vms");
		snprintf(path, sizeof(path), "pages_mapped=%" PRIu64,
			 (uint64_t)st.pages_mapped);
		igt_assert_f(strstr(text, path), "%s not in neuf_vms:\n%s",
			     path, text);
		free(text);
		text = neuf_igt_read_debugfs("neuf_fault_buffer");
		igt_assert_f(strstr(text, "entries "),
			     "neuf_fault_buffer: %s\n", text);
		free(text);
	}

	igt_describe("Every page the GPU maps is DMA-mapped for it and "
		     "unmapped when the CPU unmaps it: the VM's count of DMA "
		     "mappings in debugfs follows its PTEs exactly, and so "
		     "does, with CONFIG_DMA_API_DEBUG, the kernel's own list "
		     "of the device's streaming mappings.");
	igt_subtest("dma-mappings-follow-ptes") {
		/*
		 * dma-debug sees every dma_map_page() of the device, however
		 * the driver counts: where the kernel has it, a witness of
		 * its own that these very pages are mapped, then unmapped.
		 */
		uint64_t phys[64];
		const size_t pages = sizeof(phys) / sizeof(*phys);
		const size_t len = pages * PAGE_SZ;
		bool witness = neuf_igt_dma_debug_tracking();
		uint32_t *warm = svm_xmalloc(PAGE_SZ);
		char gpu[64];
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
		if (witness) {
			neuf_igt_gpu_name(dev, gpu, sizeof(gpu));
			for (size_t i = 0; i < pages; i++) {
				phys[i] = svm_pfn_of((uint8_t *)buf +
						     i * PAGE_SZ) * PAGE_SZ;
				igt_assert_f(phys[i], "no PFN of page %zu in "
					     "/proc/self/pagemap\n", i);
			}
			igt_assert_eq_u64(neuf_igt_dma_debug_mapped(gpu, phys,
								    pages),
					  pages);
		} else {
			igt_info("no dma-debug: the driver's count alone\n");
		}
		igt_assert_eq(munmap(buf, len), 0);
		igt_assert_eq(vm_dma_pages(dev, vm), before);
		if (witness)
			igt_assert_eq_u64(neuf_igt_dma_debug_mapped(gpu, phys,
								    pages), 0);
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
		uint32_t *buf = svm_xmalloc(n * 4);
		struct drm_neuf_vm_stats before, after;
		struct drm_neuf_job_status st;
		uint32_t other, hung = syncobj_create(dev);
		uint64_t job;

		before = vm_stats(dev, vm);
		job = submit_on(dev, vm, hang, 1, ARGS(0), hung);

		/* Another VM is not held up (the GPU has two engines). */
		igt_assert_eq(neuf_vm_create(dev, NEUF_VM_CREATE_SVM, &other), 0);
		run_ok_on(dev, other, sh_fill, n, PTR(buf), 0x7100);
		svm_check_sequence(buf, n, 0x7100);

		neuf_igt_syncobj_wait(dev, hung, NEUF_IGT_JOB_TIMEOUT_NS);
		st = job_status(dev, vm, job);
		igt_assert_eq_u32(st.state, NEUF_JOB_STATE_DONE);
		igt_assert_f(st.error == -ETIMEDOUT, "the endless job ended "
			     "with %s (%d), expected ETIMEDOUT\n",
			     neuf_igt_errno_name(st.error), st.error);
		after = vm_stats(dev, vm);
		igt_assert_eq_u64(after.jobs_failed - before.jobs_failed, 1);

		run_ok(sh_fill, n, PTR(buf), 0x7200);
		svm_check_sequence(buf, n, 0x7200);
		run_ok_on(dev, other, sh_rmw, n, PTR(buf), 1);
		svm_check_sequence(buf, n, 0x7201);
		igt_assert_eq(neuf_vm_destroy(dev, other), 0);
		igt_assert_eq(neuf_vm_create(dev, NEUF_VM_CREATE_SVM, &other), 0);
		run_ok_on(dev, other, sh_fill, n, PTR(buf), 0x7300);
		svm_check_sequence(buf, n, 0x7300);
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
		uint32_t *buf = svm_xmalloc(64);
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
		svm_check_value(buf, 16, 0);
		run_ok(sh_atomic_inc, 16, PTR(buf));
		svm_check_value(buf, 16, 1);
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
		uint32_t *fresh = svm_map_anon(PAGE_SZ, MAP_PRIVATE);
		uint32_t *filled = svm_map_anon(PAGE_SZ, MAP_PRIVATE);
		uint32_t *out = svm_xmalloc(2 * sizeof(uint32_t));
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

	igt_describe("A userfaultfd range with a live handler thread: a GPU "
		     "load or store on a missing page fails with EFAULT at "
		     "once, leaves the page missing and sends the handler no "
		     "message (hmm_range_fault() never waits for userspace); "
		     "the CPU's own faults there still reach the handler, and "
		     "the GPU then reads what the handler put in place.");
	igt_subtest("userfaultfd-handler-thread") {
		const size_t pages = 4, len = pages * PAGE_SZ, n = len / 4;
		uint8_t *buf = svm_map_anon(len, MAP_PRIVATE);
		uint32_t *src = svm_xmalloc(len), *dst = svm_xmalloc(len);
		struct uffd_handler h = {
			.base = buf, .src = (uint8_t *)src, .len = len,
		};
		volatile uint32_t *cpu = (volatile uint32_t *)buf;
		unsigned int heard;
		uint32_t seen;

		h.uffd = svm_userfaultfd_for_handler(0, "userfaultfd");
		svm_userfaultfd_register(h.uffd, buf, len,
					 UFFDIO_REGISTER_MODE_MISSING);
		neuf_igt_fill_pattern(src, n, 0x4a4d);
		igt_assert(pipe2(h.stop, O_CLOEXEC) == 0);
		igt_assert(pthread_create(&h.thread, NULL, uffd_handler_thread,
					  &h) == 0);
		/*
		 * A DEBUG_VM kernel says so, with a stack dump, when a fault
		 * may not wait.
		 */
		neuf_igt_expect_kernel_dumps("FAULT_FLAG_ALLOW_RETRY missing");

		run_fault(-EFAULT, buf + PAGE_SZ, buf + 2 * PAGE_SZ,
			  NEUF_ACCESS_KIND_READ, sh_copy, 1, PTR(buf + PAGE_SZ),
			  PTR(dst));
		run_fault(-EFAULT, buf + 3 * PAGE_SZ, buf + 4 * PAGE_SZ,
			  NEUF_ACCESS_KIND_WRITE, sh_fill, 1,
			  PTR(buf + 3 * PAGE_SZ), 7);
		/*
		 * The CPU's fault on page 2 waits for the handler. Its
		 * messages come in order: any the GPU's faults had sent
		 * would have been read before this one.
		 */
		seen = cpu[2 * PAGE_SZ / 4];
		igt_assert_eq_u32(seen, neuf_igt_pattern(0x4a4d, 2 * PAGE_SZ / 4));
		heard = __atomic_load_n(&h.n, __ATOMIC_ACQUIRE);
		igt_assert_f(heard == 1 && h.pages[0] == 2, "the handler heard "
			     "of %u faults, the first on page %zu: expected "
			     "the CPU's alone, on page 2\n", heard,
			     heard ? h.pages[0] : (size_t)0);

		run_ok(sh_copy, PAGE_SZ / 4, PTR(buf + 2 * PAGE_SZ),
		       PTR(dst + 2 * PAGE_SZ / 4));
		igt_assert_f(memcmp(dst + 2 * PAGE_SZ / 4, src + 2 * PAGE_SZ / 4,
				    PAGE_SZ) == 0, "the GPU did not read the "
			     "page the handler copied in\n");
		/* Still missing: the GPU's faults made no page. */
		run_fault(-EFAULT, buf + PAGE_SZ, buf + 2 * PAGE_SZ,
			  NEUF_ACCESS_KIND_READ, sh_copy, 1, PTR(buf + PAGE_SZ),
			  PTR(dst));

		igt_assert(write(h.stop[1], "", 1) == 1);
		igt_assert(pthread_join(h.thread, NULL) == 0);
		igt_assert_eq(h.err, 0);
		igt_assert_eq_u32(h.n, 1);
		close(h.stop[0]);
		close(h.stop[1]);
		close(h.uffd);
		munmap(buf, len);
		free(src);
		free(dst);
		neuf_igt_end_kernel_dumps();
	}

	igt_fixture() {
		svm_backend_free(neuf);
		free(sh_spin_fill);
		free(sh_poll_change);
		free(sh_store_spin_store);
	}
}
