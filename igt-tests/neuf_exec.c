// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * The VM and job uAPI: VM_CREATE, VM_DESTROY, EXEC, JOB_STATUS and
 * VM_STATS. Every malformed call fails with the errno neuf_drm.h gives
 * for it, leaves its argument as it was and changes nothing (no job is
 * queued, no id is used up, the VM keeps working); well-formed calls at
 * the limits work; syncobjs order jobs; VMs and fds can go away with jobs
 * in flight.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include "igt.h"
#include "libneuf.h"
#include "neuf_asm.h"
#include "neuf_igt.h"
#include "svm_backend_neuf.h"

#define KERNEL_ADDR 0xffff800000000000ull
#define BOGUS_HANDLE 0x7fffbeefu
#define SCRATCH_WORDS 1024u

#define PTR(p) ((uint64_t)(uintptr_t)(p))
#define ARGS(...) ((const uint64_t[NEUF_EXEC_NUM_ARGS]){ __VA_ARGS__ })

/* Spin arg0 iterations, then the u64 at arg1 = arg2. */
static const char spin_store_src[] =
	"sreg r1, arg0\n"
	"li r2, 0\n"
	"spin:\n"
	"  addi r2, r2, 1\n"
	"  b.lt r2, r1, spin\n"
	"sreg r3, arg1\n"
	"sreg r4, arg2\n"
	"st64 [r3], r4\n"
	"halt\n";

/* The u64 at arg1 = 2 * the u64 at arg0. */
static const char double_src[] =
	"sreg r1, arg0\n"
	"ld64 r2, [r1]\n"
	"add r2, r2, r2\n"
	"sreg r3, arg1\n"
	"st64 [r3], r2\n"
	"halt\n";

static struct neuf_device *dev;
static uint32_t vm;
static uint64_t *sh_fill, *sh_spin_store, *sh_double;
static uint32_t *scratch;

static int ioctl_on(struct neuf_device *d, unsigned long request, void *arg)
{
	return drmIoctl(neuf_device_fd(d), request, arg) ? -errno : 0;
}

static struct neuf_device *open_device(void)
{
	struct neuf_device *d = NULL;
	int ret = neuf_device_open(0, &d);

	igt_assert_f(ret == 0, "opening the neuf device: %s\n",
		     neuf_igt_errno_name(ret));
	return d;
}

static uint32_t create_vm(struct neuf_device *d)
{
	uint32_t v = 0;
	int ret = neuf_vm_create(d, NEUF_VM_CREATE_SVM, &v);

	igt_assert_f(ret == 0, "VM_CREATE: %s\n", neuf_igt_errno_name(ret));
	igt_assert_neq_u32(v, 0);
	return v;
}

static void destroy_vm(struct neuf_device *d, uint32_t v)
{
	int ret = neuf_vm_destroy(d, v);

	igt_assert_f(ret == 0, "VM_DESTROY of VM %u: %s\n", v,
		     neuf_igt_errno_name(ret));
}

static uint32_t syncobj_create(struct neuf_device *d, uint32_t flags)
{
	uint32_t h = 0;

	igt_assert_f(drmSyncobjCreate(neuf_device_fd(d), flags, &h) == 0,
		     "drmSyncobjCreate: %s\n", strerror(errno));
	return h;
}

/* A valid EXEC argument: the fill shader over the scratch buffer. */
static struct drm_neuf_exec fill_args(uint32_t v, uint32_t grid,
				      uint32_t group, uint32_t first)
{
	struct drm_neuf_exec a = {
		.vm_id = v,
		.code = PTR(sh_fill),
		.grid_size = grid,
		.group_size = group,
		.args = { PTR(scratch), first },
	};

	return a;
}

static struct neuf_dispatch dispatch(const uint64_t *code, uint32_t grid,
				     uint32_t group, const uint64_t *args)
{
	struct neuf_dispatch d = {
		.code = PTR(code),
		.grid_size = grid,
		.group_size = group,
	};

	memcpy(d.args, args, sizeof(d.args));
	return d;
}

static struct drm_neuf_job_status run_on(struct neuf_device *d, uint32_t v,
					 const struct neuf_dispatch *disp,
					 int line)
{
	struct drm_neuf_job_status st;
	int ret = neuf_run(d, v, disp, NEUF_IGT_JOB_TIMEOUT_NS, &st);

	igt_assert_f(ret == 0, "line %d: running a job on VM %u: %s (%d)\n",
		     line, v, neuf_igt_errno_name(ret), ret);
	igt_assert_f(st.state == NEUF_JOB_STATE_DONE, "line %d: job %" PRIu64
		     " state %u after its syncobj signalled\n", line,
		     (uint64_t)st.job_id, st.state);
	return st;
}

/* Whether job @id of (@d, @v) is still queued or running. */
static bool job_pending(struct neuf_device *d, uint32_t v, uint64_t id)
{
	struct drm_neuf_job_status st;

	igt_assert_eq(neuf_job_status(d, v, id, &st), 0);
	return st.state == NEUF_JOB_STATE_PENDING;
}

static void check_ok(const struct drm_neuf_job_status *st, int line)
{
	igt_assert_f(st->state == NEUF_JOB_STATE_DONE && st->error == 0,
		     "line %d: job %" PRIu64 ": state %u, %s (%d), fault at %#"
		     PRIx64 " (%s)\n", line, (uint64_t)st->job_id, st->state,
		     neuf_igt_errno_name(st->error), st->error,
		     (uint64_t)st->fault_addr,
		     neuf_access_name(st->fault_access));
}

/* Runs fill over scratch[0..grid) on (@d, @v), checks it; the job's id. */
#define run_fill(d, v, grid, group, first) \
	run_fill_((d), (v), (grid), (group), (first), __LINE__)
static uint64_t run_fill_(struct neuf_device *d, uint32_t v, uint32_t grid,
			  uint32_t group, uint32_t first, int line)
{
	struct neuf_dispatch disp = dispatch(sh_fill, grid, group,
					     ARGS(PTR(scratch), first));
	struct drm_neuf_job_status st;

	memset(scratch, 0xee, SCRATCH_WORDS * 4);
	st = run_on(d, v, &disp, line);
	check_ok(&st, line);
	for (uint32_t i = 0; i < SCRATCH_WORDS; i++) {
		uint32_t want = i < grid ? first + i : 0xeeeeeeee;

		igt_assert_f(scratch[i] == want, "line %d: scratch[%u] = %#x, "
			     "expected %#x (grid %u, group %u)\n", line, i,
			     scratch[i], want, grid, group);
	}
	return st.job_id;
}

static struct drm_neuf_vm_stats vm_stats(struct neuf_device *d, uint32_t v)
{
	struct drm_neuf_vm_stats s;
	int ret = neuf_vm_stats(d, v, &s);

	igt_assert_f(ret == 0, "VM_STATS of VM %u: %s\n", v, neuf_igt_errno_name(ret));
	return s;
}

/*
 * Issues @request with @arg, expects @err, and that the argument comes
 * back exactly as it went.
 */
#define expect_error(d, request, arg, err, ...) \
	expect_error_((d), (request), (arg), sizeof(*(arg)), (err), \
		      #request, __LINE__, __VA_ARGS__)
static void expect_error_(struct neuf_device *d, unsigned long request,
			  void *arg, size_t size, int err, const char *name,
			  int line, const char *what)
{
	unsigned char copy[256];
	int ret;

	igt_assert(size <= sizeof(copy));
	memcpy(copy, arg, size);
	ret = ioctl_on(d, request, arg);
	igt_assert_f(ret == err, "line %d: %s with %s: %s (%d), expected %s "
		     "(%d)\n", line, name, what, neuf_igt_errno_name(ret), ret,
		     neuf_igt_errno_name(err), err);
	igt_assert_f(memcmp(copy, arg, size) == 0, "line %d: %s with %s "
		     "failed but changed its argument\n", line, name, what);
}

/*
 * Brackets a series of EXECs that must all fail: before and after them a
 * valid job runs, whose ids must be consecutive, and the VM's job count
 * must have grown by those two only.
 */
struct exec_bracket {
	uint64_t first_job;
	uint64_t submitted;
};

static struct exec_bracket bracket_begin(void)
{
	struct exec_bracket b;

	b.first_job = run_fill(dev, vm, 64, 64, 0x1000);
	b.submitted = vm_stats(dev, vm).jobs_submitted;
	return b;
}

static void bracket_end(const struct exec_bracket *b)
{
	uint64_t job = run_fill(dev, vm, 64, 64, 0x2000);
	uint64_t submitted = vm_stats(dev, vm).jobs_submitted;

	igt_assert_f(job == b->first_job + 1, "failed EXECs used up job ids: "
		     "job %" PRIu64 " after job %" PRIu64 "\n", job,
		     b->first_job);
	igt_assert_f(submitted == b->submitted + 1, "failed EXECs were "
		     "counted: jobs_submitted %" PRIu64 ", expected %" PRIu64
		     "\n", submitted, b->submitted + 1);
}

/* A VM id that existed and was destroyed. */
static uint32_t destroyed_vm(void)
{
	uint32_t v = create_vm(dev);

	destroy_vm(dev, v);
	return v;
}

/* exec-queue-bounded: runs until the u32 at arg0 is not zero. */
static const char gate_src[] =
	"sreg r1, arg0\n"
	"li r3, 0\n"
	"poll: ld32 r2, [r1]\n"
	"b.eq r2, r3, poll\n"
	"halt\n";

/* A VM's limit of jobs queued or running (the kernel's). */
#define QUEUE_LIMIT 1024u

/* exec-queue-bounded: a thread queueing @jobs jobs behind @gate. */
struct queue_filler {
	uint32_t vm;
	uint32_t gate;
	uint32_t jobs;
	uint32_t queued;
	uint32_t last;		/* the last job's out-syncobj */
	pid_t tid;
	int ret;
};

static void *queue_filler(void *arg)
{
	struct queue_filler *q = arg;
	struct neuf_dispatch d = dispatch(sh_fill, 1, 1, ARGS(PTR(scratch), 1));

	__atomic_store_n(&q->tid, gettid(), __ATOMIC_RELEASE);
	q->last = syncobj_create(dev, 0);
	d.in_syncobjs = &q->gate;
	d.num_in_syncobjs = 1;
	for (uint32_t i = 0; i < q->jobs && !q->ret; i++) {
		d.out_syncobj = i + 1 == q->jobs ? q->last : 0;
		q->ret = neuf_exec(dev, q->vm, &d, NULL);
		if (!q->ret)
			__atomic_add_fetch(&q->queued, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* Whether the filler thread sleeps in the EXEC ioctl. */
static bool in_exec(const struct queue_filler *q)
{
	char path[64], wchan[64] = "";
	pid_t tid = __atomic_load_n(&q->tid, __ATOMIC_ACQUIRE);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, wchan, sizeof(wchan) - 1);
	close(fd);
	wchan[n > 0 ? n : 0] = '\0';
	return !strcmp(wchan, "neuf_exec_ioctl");
}

int igt_main()
{
	igt_fixture() {
		igt_require_f(neuf_device_count() > 0, "no neuf device\n");
		dev = open_device();
		vm = create_vm(dev);
		/* buf[i] = arg1 + i, for the u32 array buf = arg0 */
		sh_fill = neuf_igt_assemble(svm_backend_neuf_source(SVM_FILL));
		sh_spin_store = neuf_igt_assemble(spin_store_src);
		sh_double = neuf_igt_assemble(double_src);
		scratch = malloc(SCRATCH_WORDS * 4);
		igt_assert(scratch);
	}

	igt_describe("Create a VM, run a store shader in it, read its status "
		     "and stats, destroy it.");
	igt_subtest("basic") {
		struct drm_neuf_job_status st;
		struct drm_neuf_vm_stats s;
		uint32_t v = create_vm(dev);
		uint64_t job;
		int ret;

		job = run_fill(dev, v, 256, 32, 0xba5e);
		igt_assert_neq_u64(job, 0);
		ret = neuf_job_status(dev, v, job, &st);
		igt_assert_eq(ret, 0);
		igt_assert_eq_u32(st.vm_id, v);
		igt_assert_eq_u64(st.job_id, job);
		igt_assert_eq_u32(st.state, NEUF_JOB_STATE_DONE);
		igt_assert_eq(st.error, 0);
		igt_assert_eq_u32(st.pad, 0);
		igt_assert_eq_u32(st.pad2, 0);
		s = vm_stats(dev, v);
		igt_assert_eq_u64(s.jobs_submitted, 1);
		igt_assert_eq_u64(s.jobs_failed, 0);
		igt_assert_eq_u64(s.cancels, 0);
		igt_assert_lte_u64(1, s.pages_mapped);
		igt_assert_lte_u64(1, s.faults);
		destroy_vm(dev, v);
	}

	igt_describe("VM_CREATE without NEUF_VM_CREATE_SVM, with unknown flags "
		     "or with a non-zero vm_id fails with EINVAL.");
	igt_subtest("vm-create-invalid") {
		struct drm_neuf_vm_create a;

		a = (struct drm_neuf_vm_create){ .flags = 0 };
		expect_error(dev, DRM_IOCTL_NEUF_VM_CREATE, &a, -EINVAL,
			     "no flags");
		for (int bit = 1; bit < 32; bit++) {
			a = (struct drm_neuf_vm_create){
				.flags = NEUF_VM_CREATE_SVM | 1u << bit,
			};
			expect_error(dev, DRM_IOCTL_NEUF_VM_CREATE, &a, -EINVAL,
				     "an unknown flag");
			a.flags = 1u << bit;
			expect_error(dev, DRM_IOCTL_NEUF_VM_CREATE, &a, -EINVAL,
				     "an unknown flag without SVM");
		}
		a = (struct drm_neuf_vm_create){ .flags = UINT32_MAX };
		expect_error(dev, DRM_IOCTL_NEUF_VM_CREATE, &a, -EINVAL,
			     "all flags");
		a = (struct drm_neuf_vm_create){
			.flags = NEUF_VM_CREATE_SVM, .vm_id = vm,
		};
		expect_error(dev, DRM_IOCTL_NEUF_VM_CREATE, &a, -EINVAL,
			     "a non-zero vm_id");
		a.vm_id = UINT32_MAX;
		expect_error(dev, DRM_IOCTL_NEUF_VM_CREATE, &a, -EINVAL,
			     "vm_id ~0");

		/* Still fine. */
		destroy_vm(dev, create_vm(dev));
	}

	igt_describe("VM_DESTROY of an unknown or destroyed VM fails with "
		     "ENOENT; non-zero padding fails with EINVAL and leaves the "
		     "VM working.");
	igt_subtest("vm-destroy-invalid") {
		const uint32_t bad[] = { 0, 12345, UINT32_MAX, destroyed_vm() };
		struct drm_neuf_vm_destroy a;
		uint32_t v = create_vm(dev);

		for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
			a = (struct drm_neuf_vm_destroy){ .vm_id = bad[i] };
			expect_error(dev, DRM_IOCTL_NEUF_VM_DESTROY, &a, -ENOENT,
				     "an unknown vm_id");
		}
		for (int bit = 0; bit < 32; bit++) {
			a = (struct drm_neuf_vm_destroy){
				.vm_id = v, .pad = 1u << bit,
			};
			expect_error(dev, DRM_IOCTL_NEUF_VM_DESTROY, &a, -EINVAL,
				     "non-zero pad");
		}
		run_fill(dev, v, 64, 64, 0xd00d);
		destroy_vm(dev, v);
		a = (struct drm_neuf_vm_destroy){ .vm_id = v };
		expect_error(dev, DRM_IOCTL_NEUF_VM_DESTROY, &a, -ENOENT,
			     "a VM destroyed twice");
	}

	igt_describe("VM slots are device-wide: VM_CREATE fails with ENOSPC "
		     "once all are taken, on any fd, and works again after a "
		     "VM_DESTROY or after the fd holding them is closed.");
	igt_subtest("vm-exhaustion") {
		struct neuf_device *d2 = open_device();
		uint64_t max_vms = 0;
		uint32_t *ids, created = 0, extra;
		struct drm_neuf_vm_create a;
		int ret = 0;

		igt_assert_eq(neuf_getparam(dev, NEUF_PARAM_MAX_VMS, &max_vms), 0);
		igt_assert_lte_u64(2, max_vms);
		igt_assert_lte_u64(max_vms, 4096);
		ids = calloc(max_vms + 1, sizeof(*ids));
		igt_assert(ids);
		while (created <= max_vms) {
			ret = neuf_vm_create(d2, NEUF_VM_CREATE_SVM, &ids[created]);
			if (ret)
				break;
			created++;
		}
		igt_info("max-vms %" PRIu64 ": %u created besides the fixture's\n",
			 max_vms, created);
		igt_assert_f(ret == -ENOSPC, "VM_CREATE after %u VMs: %s (%d), "
			     "expected ENOSPC\n", created, neuf_igt_errno_name(ret), ret);
		/* This process's fixture VM holds one slot. */
		igt_assert_lte_u64(1, created);
		igt_assert_lte_u64(created, max_vms - 1);

		a = (struct drm_neuf_vm_create){ .flags = NEUF_VM_CREATE_SVM };
		expect_error(d2, DRM_IOCTL_NEUF_VM_CREATE, &a, -ENOSPC, "no slot");
		expect_error(dev, DRM_IOCTL_NEUF_VM_CREATE, &a, -ENOSPC,
			     "no slot, on another fd");
		/* The VMs all work, the fixture's too. */
		run_fill(d2, ids[created - 1], 64, 64, 0xf011);
		run_fill(dev, vm, 64, 64, 0xf022);

		destroy_vm(d2, ids[0]);
		igt_assert_eq(neuf_vm_create(d2, NEUF_VM_CREATE_SVM, &ids[0]), 0);
		igt_assert_eq(neuf_vm_create(d2, NEUF_VM_CREATE_SVM, &extra),
			      -ENOSPC);
		destroy_vm(d2, ids[1 % created]);
		extra = create_vm(dev);	/* another fd takes the freed slot */
		igt_assert_eq(neuf_vm_create(d2, NEUF_VM_CREATE_SVM, &ids[1]),
			      -ENOSPC);
		destroy_vm(dev, extra);

		/* Closing d2 frees every slot it held. */
		neuf_device_close(d2);
		for (uint32_t i = 0; i < created; i++)
			ids[i] = create_vm(dev);
		run_fill(dev, ids[created - 1], 64, 64, 0xf033);
		for (uint32_t i = 0; i < created; i++)
			destroy_vm(dev, ids[i]);
		free(ids);
	}

	igt_describe("VM_STATS of an unknown VM fails with ENOENT, with "
		     "non-zero padding EINVAL; a new VM's counters are zero "
		     "whatever the output fields held.");
	igt_subtest("vm-stats-invalid") {
		const uint32_t bad[] = { 0, 12345, UINT32_MAX, destroyed_vm() };
		struct drm_neuf_vm_stats a;
		uint32_t v = create_vm(dev);

		for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
			a = (struct drm_neuf_vm_stats){ .vm_id = bad[i] };
			expect_error(dev, DRM_IOCTL_NEUF_VM_STATS, &a, -ENOENT,
				     "an unknown vm_id");
		}
		a = (struct drm_neuf_vm_stats){ .vm_id = v, .pad = 1 };
		expect_error(dev, DRM_IOCTL_NEUF_VM_STATS, &a, -EINVAL,
			     "non-zero pad");
		a = (struct drm_neuf_vm_stats){ .vm_id = v, .pad = 0x80000000u };
		expect_error(dev, DRM_IOCTL_NEUF_VM_STATS, &a, -EINVAL,
			     "non-zero pad");

		memset(&a, 0xff, sizeof(a));
		a.vm_id = v;
		a.pad = 0;
		igt_assert_eq(ioctl_on(dev, DRM_IOCTL_NEUF_VM_STATS, &a), 0);
		igt_assert_eq_u32(a.vm_id, v);
		igt_assert_eq_u64(a.faults, 0);
		igt_assert_eq_u64(a.batches, 0);
		igt_assert_eq_u64(a.replays, 0);
		igt_assert_eq_u64(a.cancels, 0);
		igt_assert_eq_u64(a.pages_mapped, 0);
		igt_assert_eq_u64(a.pages_invalidated, 0);
		igt_assert_eq_u64(a.invalidations, 0);
		igt_assert_eq_u64(a.retries, 0);
		igt_assert_eq_u64(a.jobs_submitted, 0);
		igt_assert_eq_u64(a.jobs_failed, 0);
		destroy_vm(dev, v);
	}

	igt_describe("EXEC on an unknown or destroyed VM fails with ENOENT.");
	igt_subtest("exec-invalid-vm") {
		const uint32_t bad[] = { 0, 12345, UINT32_MAX, destroyed_vm() };
		struct exec_bracket b = bracket_begin();

		for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
			struct drm_neuf_exec a = fill_args(bad[i], 64, 64, 0);

			expect_error(dev, DRM_IOCTL_NEUF_EXEC, &a, -ENOENT,
				     "an unknown vm_id");
		}
		bracket_end(&b);
	}

	igt_describe("EXEC with non-zero flags or a non-zero job_id on input "
		     "fails with EINVAL and queues nothing.");
	igt_subtest("exec-invalid-flags") {
		struct exec_bracket b = bracket_begin();
		struct drm_neuf_exec a;

		for (int bit = 0; bit < 32; bit++) {
			a = fill_args(vm, 64, 64, 0);
			a.flags = 1u << bit;
			expect_error(dev, DRM_IOCTL_NEUF_EXEC, &a, -EINVAL,
				     "non-zero flags");
		}
		a = fill_args(vm, 64, 64, 0);
		a.job_id = 1;
		expect_error(dev, DRM_IOCTL_NEUF_EXEC, &a, -EINVAL,
			     "non-zero job_id");
		a.job_id = UINT64_MAX;
		expect_error(dev, DRM_IOCTL_NEUF_EXEC, &a, -EINVAL,
			     "job_id ~0");
		bracket_end(&b);
	}

	igt_describe("EXEC with code not 8-byte aligned fails with EINVAL, with "
		     "code outside the user address space with EFAULT.");
	igt_subtest("exec-invalid-code") {
		const uint64_t unaligned[] = { 1, 2, 4, 7 };
		const uint64_t kernel[] = {
			KERNEL_ADDR, 0xffffffff81000000ull,
			0xfffffffffffff000ull, UINT64_MAX & ~7ull,
		};
		struct exec_bracket b = bracket_begin();
		struct drm_neuf_exec a;

		for (size_t i = 0; i < ARRAY_SIZE(unaligned); i++) {
			a = fill_args(vm, 64, 64, 0);
			a.code += unaligned[i];
			expect_error(dev, DRM_IOCTL_NEUF_EXEC, &a, -EINVAL,
				     "unaligned code");
		}
		for (size_t i = 0; i < ARRAY_SIZE(kernel); i++) {
			a = fill_args(vm, 64, 64, 0);
			a.code = kernel[i];
			expect_error(dev, DRM_IOCTL_NEUF_EXEC, &a, -EFAULT,
				     "kernel code address");
		}
		bracket_end(&b);
	}

	igt_describe("EXEC with a grid of 0 or more than NEUF_EXEC_MAX_GRID "
		     "invocations fails with EINVAL.");
	igt_subtest("exec-invalid-grid") {
		const uint32_t bad[] = { 0, NEUF_EXEC_MAX_GRID + 1,
					 NEUF_EXEC_MAX_GRID * 2, UINT32_MAX };
		struct exec_bracket b = bracket_begin();

		for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
			struct drm_neuf_exec a = fill_args(vm, bad[i], 64, 0);

			expect_error(dev, DRM_IOCTL_NEUF_EXEC, &a, -EINVAL,
				     "a bad grid_size");
		}
		bracket_end(&b);
	}

	igt_describe("EXEC with a group of 0 or more than NEUF_EXEC_MAX_GROUP "
		     "invocations fails with EINVAL.");
	igt_subtest("exec-invalid-group") {
		const uint32_t bad[] = { 0, NEUF_EXEC_MAX_GROUP + 1, 4096,
					 UINT32_MAX };
		struct exec_bracket b = bracket_begin();

		for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
			struct drm_neuf_exec a = fill_args(vm, 64, bad[i], 0);

			expect_error(dev, DRM_IOCTL_NEUF_EXEC, &a, -EINVAL,
				     "a bad group_size");
		}
		bracket_end(&b);
	}

	igt_describe("EXEC with more than NEUF_EXEC_MAX_IN_SYNCOBJS in-syncobjs "
		     "fails with EINVAL, with an unreadable in-syncobj array "
		     "with EFAULT, with an unknown in- or out-syncobj handle "
		     "with ENOENT, and with an in-syncobj that holds no fence "
		     "with EINVAL.");
	igt_subtest("exec-invalid-syncobjs") {
		const uint32_t n = NEUF_EXEC_MAX_IN_SYNCOBJS + 1;
		uint32_t *handles = calloc(n, sizeof(*handles));
		struct exec_bracket b = bracket_begin();
		struct drm_neuf_exec a;
		uint8_t *pages;
		uint32_t *edge;

		igt_assert(handles);
		for (uint32_t i = 0; i < n; i++)
			handles[i] = syncobj_create(dev,
						    DRM_SYNCOBJ_CREATE_SIGNALED);

		a = fill_args(vm, 64, 64, 0);
		a.in_syncobjs = PTR(handles);
		a.num_in_syncobjs = n;
		expect_error(dev, DRM_IOCTL_NEUF_EXEC, &a, -EINVAL,
			     "65 in-syncobjs");
		a.num_in_syncobjs = UINT32_MAX;
		expect_error(dev, DRM_IOCTL_NEUF_EXEC, &a, -EINVAL,
			     "~0 in-syncobjs");

		/* Unreadable arrays: NULL, kernel, and one running off its page. */
		pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		igt_assert(pages != MAP_FAILED);
		igt_assert_eq(mprotect(pages + 4096, 4096, PROT_NONE), 0);
		edge = (uint32_t *)(pages + 4096) - 1;
		*edge = handles[0];
		a = fill_args(vm, 64, 64, 0);
		a.num_in_syncobjs = 1;
		a.in_syncobjs = 0;
		expect_error(dev, DRM_IOCTL_NEUF_EXEC, &a, -EFAULT,
			     "a NULL in-syncobj array");
		a.in_syncobjs = KERNEL_ADDR;
		expect_error(dev, DRM_IOCTL_NEUF_EXEC, &a, -EFAULT,
			     "a kernel in-syncobj array");
		a.in_syncobjs = PTR(pages + 4096);
		expect_error(dev, DRM_IOCTL_NEUF_EXEC, &a, -EFAULT,
			     "a PROT_NONE in-syncobj array");
		a.in_syncobjs = PTR(edge);
		a.num_in_syncobjs = 2;
		expect_error(dev, DRM_IOCTL_NEUF_EXEC, &a, -EFAULT,
			     "an in-syncobj array running into PROT_NONE");

		/* Unknown handles. */
		a = fill_args(vm, 64, 64, 0);
		handles[1] = BOGUS_HANDLE;
		a.in_syncobjs = PTR(handles);
		a.num_in_syncobjs = 2;
		expect_error(dev, DRM_IOCTL_NEUF_EXEC, &a, -ENOENT,
			     "an unknown in-syncobj");
		handles[1] = 0;
		expect_error(dev, DRM_IOCTL_NEUF_EXEC, &a, -ENOENT,
			     "in-syncobj 0");
		/* A syncobj that never got a fence: nothing to wait for. */
		handles[1] = syncobj_create(dev, 0);
		expect_error(dev, DRM_IOCTL_NEUF_EXEC, &a, -EINVAL,
			     "an in-syncobj without a fence");
		drmSyncobjDestroy(neuf_device_fd(dev), handles[1]);
		handles[1] = 0;
		a = fill_args(vm, 64, 64, 0);
		a.out_syncobj = BOGUS_HANDLE;
		expect_error(dev, DRM_IOCTL_NEUF_EXEC, &a, -ENOENT,
			     "an unknown out-syncobj");
		bracket_end(&b);

		/* With num_in_syncobjs 0 the pointer is not read. */
		a = fill_args(vm, 64, 64, 0);
		a.in_syncobjs = KERNEL_ADDR;
		igt_assert_eq(ioctl_on(dev, DRM_IOCTL_NEUF_EXEC, &a), 0);
		igt_assert_eq_u64(a.job_id, b.first_job + 2);

		munmap(pages, 8192);
		for (uint32_t i = 0; i < n; i++)
			if (handles[i] && handles[i] != BOGUS_HANDLE)
				drmSyncobjDestroy(neuf_device_fd(dev), handles[i]);
		free(handles);
	}

	igt_describe("A job may wait for exactly NEUF_EXEC_MAX_IN_SYNCOBJS "
		     "syncobjs, already signalled ones included: it waits "
		     "for the one job still running, wherever its syncobj "
		     "is in the array (first, middle, last).");
	igt_subtest("exec-max-in-syncobjs") {
		const uint32_t n = NEUF_EXEC_MAX_IN_SYNCOBJS;
		const uint32_t where[] = { 0, n / 2, n - 1 };
		uint32_t handles[NEUF_EXEC_MAX_IN_SYNCOBJS];
		uint64_t *cell = calloc(2, sizeof(uint64_t));
		uint32_t other = create_vm(dev);
		unsigned int raced = 0;

		igt_assert(cell);
		for (uint32_t i = 0; i < n; i++)
			handles[i] = syncobj_create(dev,
						    DRM_SYNCOBJ_CREATE_SIGNALED);
		for (size_t r = 0; r < ARRAY_SIZE(where); r++) {
			uint32_t signalled = handles[where[r]];
			uint64_t x = 0x6400000000ull + r, writer = 0;
			struct drm_neuf_job_status st;
			struct neuf_dispatch d;

			cell[0] = cell[1] = 0;
			handles[where[r]] = syncobj_create(dev, 0);
			/* The writer spins first, so that a racing reader wins. */
			d = dispatch(sh_spin_store, 1, 1,
				     ARGS(50000, PTR(&cell[0]), x));
			d.out_syncobj = handles[where[r]];
			igt_assert_eq(neuf_exec(dev, vm, &d, &writer), 0);
			d = dispatch(sh_double, 1, 1,
				     ARGS(PTR(&cell[0]), PTR(&cell[1])));
			d.in_syncobjs = handles;
			d.num_in_syncobjs = n;
			/* Only a reader queued before the write can race it. */
			raced += job_pending(dev, vm, writer);
			st = run_on(dev, other, &d, __LINE__);
			check_ok(&st, __LINE__);
			igt_assert_f(cell[1] == 2 * x, "in-syncobj %u: the "
				     "reader saw %#" PRIx64 ", expected %#"
				     PRIx64 "\n", where[r], cell[1] / 2, x);
			drmSyncobjDestroy(neuf_device_fd(dev), handles[where[r]]);
			handles[where[r]] = signalled;
		}
		igt_require_f(raced, "every writer ended before its reader "
			      "was queued: nothing was tested\n");
		for (uint32_t i = 0; i < n; i++)
			drmSyncobjDestroy(neuf_device_fd(dev), handles[i]);
		destroy_vm(dev, other);
		free(cell);
	}

	igt_describe("Groups of 1 and of NEUF_EXEC_MAX_GROUP invocations, and "
		     "grids that are no multiple of the group: exactly grid "
		     "invocations run.");
	igt_subtest("exec-group-sizes") {
		const struct { uint32_t grid, group; } cases[] = {
			{ 1, 1 }, { 33, 1 }, { 1024, 1024 }, { 100, 1024 },
			{ 1000, 32 }, { 1023, 7 }, { 65, 64 },
		};

		for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
			run_fill(dev, vm, cases[i].grid, cases[i].group,
				 0x10000 * (uint32_t)(i + 1));
	}

	igt_describe("Code at an unmapped user address is accepted; the job "
		     "fails with EFAULT on reading its first instruction.");
	igt_subtest("exec-unmapped-code") {
		uint8_t *hole = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct drm_neuf_job_status st;
		struct neuf_dispatch d;

		igt_assert(hole != MAP_FAILED);
		igt_assert_eq(munmap(hole, 4096), 0);
		d = dispatch((const uint64_t *)(hole + 8), 1, 1,
			     ARGS(PTR(scratch), 0));
		st = run_on(dev, vm, &d, __LINE__);
		igt_assert_f(st.error == -EFAULT, "job: %s (%d), expected "
			     "EFAULT\n", neuf_igt_errno_name(st.error), st.error);
		igt_assert_eq_u64(st.fault_addr, PTR(hole + 8));
		igt_assert_eq_u32(st.fault_access, NEUF_ACCESS_KIND_READ);
		run_fill(dev, vm, 64, 64, 0xc0de);
	}

	igt_describe("A job waiting on another's out-syncobj runs after it, "
		     "even on another VM that would otherwise run it at once; "
		     "jobs of one VM run in submission order.");
	igt_subtest("in-syncobj-ordering") {
		uint64_t *cell = calloc(2, sizeof(uint64_t));
		uint32_t other = create_vm(dev);
		unsigned int raced = 0;

		igt_assert(cell);
		for (uint64_t round = 1; round <= 3; round++) {
			uint32_t first_done = syncobj_create(dev, 0);
			uint64_t x = 0x1234500000ull * round;
			struct drm_neuf_job_status st;
			struct neuf_dispatch d;
			uint64_t job1 = 0;

			cell[0] = cell[1] = 0;
			/* The writer spins first, so that a racing reader wins. */
			d = dispatch(sh_spin_store, 1, 1,
				     ARGS(50000, PTR(&cell[0]), x));
			d.out_syncobj = first_done;
			igt_assert_eq(neuf_exec(dev, vm, &d, &job1), 0);
			d = dispatch(sh_double, 1, 1,
				     ARGS(PTR(&cell[0]), PTR(&cell[1])));
			d.in_syncobjs = &first_done;
			d.num_in_syncobjs = 1;
			/* Only a reader queued before the write can race it. */
			raced += job_pending(dev, vm, job1);
			st = run_on(dev, other, &d, __LINE__);
			check_ok(&st, __LINE__);
			igt_assert_f(cell[1] == 2 * x, "round %" PRIu64 ": the "
				     "reader saw %#" PRIx64 ", expected %#"
				     PRIx64 "\n", round, cell[1] / 2, x);
			st = (struct drm_neuf_job_status){ 0 };
			igt_assert_eq(neuf_job_status(dev, vm, job1, &st), 0);
			check_ok(&st, __LINE__);

			/* Same VM, no syncobj: submission order. */
			cell[0] = cell[1] = 0;
			d = dispatch(sh_spin_store, 1, 1,
				     ARGS(50000, PTR(&cell[0]), x + 1));
			igt_assert_eq(neuf_exec(dev, other, &d, NULL), 0);
			d = dispatch(sh_double, 1, 1,
				     ARGS(PTR(&cell[0]), PTR(&cell[1])));
			st = run_on(dev, other, &d, __LINE__);
			check_ok(&st, __LINE__);
			igt_assert_f(cell[1] == 2 * (x + 1), "round %" PRIu64
				     ": same VM, the reader saw %#" PRIx64
				     ", expected %#" PRIx64 "\n", round,
				     cell[1] / 2, x + 1);
			drmSyncobjDestroy(neuf_device_fd(dev), first_done);
		}
		igt_require_f(raced, "every writer ended before its reader "
			      "was queued: nothing was tested\n");
		destroy_vm(dev, other);
		free(cell);
	}

	igt_describe("JOB_STATUS of an unknown VM fails with ENOENT; of job 0, "
		     "of a job not issued yet, of another VM's job or with "
		     "non-zero padding with EINVAL.");
	igt_subtest("job-status-invalid") {
		const uint32_t bad_vms[] = { 0, 12345, UINT32_MAX,
					     destroyed_vm() };
		struct drm_neuf_job_status a;
		uint32_t v = create_vm(dev), empty = create_vm(dev);
		uint64_t job = run_fill(dev, v, 64, 64, 0x5a5a);

		for (size_t i = 0; i < ARRAY_SIZE(bad_vms); i++) {
			a = (struct drm_neuf_job_status){
				.vm_id = bad_vms[i], .job_id = job,
			};
			expect_error(dev, DRM_IOCTL_NEUF_JOB_STATUS, &a, -ENOENT,
				     "an unknown vm_id");
		}
		a = (struct drm_neuf_job_status){ .vm_id = v, .job_id = 0 };
		expect_error(dev, DRM_IOCTL_NEUF_JOB_STATUS, &a, -EINVAL,
			     "job 0");
		a.job_id = job + 1;
		expect_error(dev, DRM_IOCTL_NEUF_JOB_STATUS, &a, -EINVAL,
			     "the next job");
		a.job_id = UINT64_MAX;
		expect_error(dev, DRM_IOCTL_NEUF_JOB_STATUS, &a, -EINVAL,
			     "job ~0");
		a = (struct drm_neuf_job_status){ .vm_id = empty, .job_id = job };
		expect_error(dev, DRM_IOCTL_NEUF_JOB_STATUS, &a, -EINVAL,
			     "a job of another VM");
		a = (struct drm_neuf_job_status){
			.vm_id = v, .job_id = job, .pad = 1,
		};
		expect_error(dev, DRM_IOCTL_NEUF_JOB_STATUS, &a, -EINVAL,
			     "non-zero pad");

		/* The real one, with garbage in the output fields. */
		a = (struct drm_neuf_job_status){
			.vm_id = v, .job_id = job, .state = 77, .error = 5,
			.fault_addr = 1, .fault_access = 9, .pad2 = 3,
		};
		igt_assert_eq(ioctl_on(dev, DRM_IOCTL_NEUF_JOB_STATUS, &a), 0);
		igt_assert_eq_u32(a.state, NEUF_JOB_STATE_DONE);
		igt_assert_eq(a.error, 0);
		igt_assert_eq_u32(a.pad2, 0);
		destroy_vm(dev, v);
		destroy_vm(dev, empty);
	}

	igt_describe("A VM remembers the status of its last NEUF_JOB_HISTORY "
		     "jobs; older ones give ESTALE.");
	igt_subtest("job-status-stale") {
		const uint32_t n = NEUF_JOB_HISTORY + 1;
		uint64_t *jobs = calloc(n, sizeof(*jobs));
		struct drm_neuf_job_status st;
		uint32_t v = create_vm(dev), done = syncobj_create(dev, 0);
		int ret;

		igt_assert(jobs);
		for (uint32_t i = 0; i < n; i++) {
			struct neuf_dispatch d = dispatch(sh_fill, 1, 1,
							  ARGS(PTR(scratch), i));

			d.out_syncobj = i == n - 1 ? done : 0;
			igt_assert_eq(neuf_exec(dev, v, &d, &jobs[i]), 0);
			if (i)
				igt_assert_lt_u64(jobs[i - 1], jobs[i]);
		}
		neuf_igt_syncobj_wait(dev, done, NEUF_IGT_JOB_TIMEOUT_NS);
		igt_assert_eq_u32(scratch[0], n - 1);

		ret = neuf_job_status(dev, v, jobs[0], &st);
		igt_assert_f(ret == -ESTALE, "status of job %" PRIu64 ", %u jobs "
			     "back: %s (%d), expected ESTALE\n", jobs[0], n,
			     neuf_igt_errno_name(ret), ret);
		for (uint32_t i = 1; i < n; i++) {
			ret = neuf_job_status(dev, v, jobs[i], &st);
			igt_assert_f(ret == 0, "status of job %" PRIu64 ": %s\n",
				     jobs[i], neuf_igt_errno_name(ret));
			check_ok(&st, __LINE__);
		}
		drmSyncobjDestroy(neuf_device_fd(dev), done);
		destroy_vm(dev, v);
		free(jobs);
	}

	igt_describe("A VM holds at most 1024 jobs queued or running: the "
		     "1025th EXEC waits in the kernel until one of them ends, "
		     "then queues its job; every job runs.");
	igt_subtest("exec-queue-bounded") {
		uint64_t *gate = neuf_igt_assemble(gate_src);
		uint32_t *flag = calloc(16, sizeof(uint32_t));
		uint32_t gv = create_vm(dev), open = syncobj_create(dev, 0);
		struct neuf_dispatch g = dispatch(gate, 1, 1, ARGS(PTR(flag)));
		static struct queue_filler q;
		bool blocked = false;
		pthread_t t;

		igt_assert(flag);
		/* The gate: a job that runs until the CPU writes the flag. */
		g.out_syncobj = open;
		igt_assert_eq(neuf_exec(dev, gv, &g, NULL), 0);
		memset(&q, 0, sizeof(q));
		q.vm = create_vm(dev);
		q.gate = open;
		q.jobs = QUEUE_LIMIT + 1;
		igt_assert_eq(pthread_create(&t, NULL, queue_filler, &q), 0);
		/* The filler sleeps in EXEC with the VM full. */
		for (int64_t end = neuf_igt_deadline(NEUF_IGT_JOB_TIMEOUT_NS);
		     !blocked && neuf_igt_deadline(0) < end;) {
			blocked = __atomic_load_n(&q.queued, __ATOMIC_ACQUIRE) ==
				  QUEUE_LIMIT && in_exec(&q);
			if (!blocked)
				sched_yield();
		}
		igt_info("%u jobs queued, the filler %s\n", q.queued,
			 blocked ? "waits in EXEC" : "does not wait");
		__atomic_store_n(flag, 1, __ATOMIC_RELEASE);	/* gate opens */
		pthread_join(t, NULL);
		igt_assert_f(blocked, "the 1025th EXEC did not wait\n");
		igt_assert_f(q.ret == 0, "EXEC: %s\n", neuf_igt_errno_name(q.ret));
		igt_assert_eq_u32(q.queued, QUEUE_LIMIT + 1);
		neuf_igt_syncobj_wait(dev, q.last, NEUF_IGT_JOB_TIMEOUT_NS);
		igt_assert_eq_u64(vm_stats(dev, q.vm).jobs_failed, 0);
		drmSyncobjDestroy(neuf_device_fd(dev), q.last);
		drmSyncobjDestroy(neuf_device_fd(dev), open);
		destroy_vm(dev, q.vm);
		destroy_vm(dev, gv);
		free(flag);
		free(gate);
	}

	igt_describe("Destroying a VM with jobs queued and running: every "
		     "job's syncobj still signals, the VM is gone at once, and "
		     "other VMs are unaffected.");
	igt_subtest("destroy-vm-busy") {
		uint64_t *cells = calloc(4, sizeof(uint64_t));
		struct drm_neuf_job_status st;
		struct drm_neuf_exec a;
		uint32_t v = create_vm(dev), done[4];
		uint64_t jobs[4];

		igt_assert(cells);
		for (int i = 0; i < 4; i++) {
			struct neuf_dispatch d = dispatch(sh_spin_store, 32, 32,
							  ARGS(20000,
							       PTR(&cells[i]),
							       1));

			done[i] = syncobj_create(dev, 0);
			d.out_syncobj = done[i];
			igt_assert_eq(neuf_exec(dev, v, &d, &jobs[i]), 0);
		}
		destroy_vm(dev, v);

		for (int i = 0; i < 4; i++)
			neuf_igt_syncobj_wait(dev, done[i], NEUF_IGT_JOB_TIMEOUT_NS);
		/* A live process's queued jobs reach an engine and run. */
		for (int i = 0; i < 4; i++)
			igt_assert_f(cells[i] == 1, "job %d did not run\n", i);
		igt_assert_eq(neuf_job_status(dev, v, jobs[0], &st), -ENOENT);
		a = fill_args(v, 64, 64, 0);
		expect_error(dev, DRM_IOCTL_NEUF_EXEC, &a, -ENOENT,
			     "a destroyed VM");
		run_fill(dev, vm, 64, 64, 0xde57);
		for (int i = 0; i < 4; i++)
			drmSyncobjDestroy(neuf_device_fd(dev), done[i]);
		free(cells);
	}

	igt_describe("Closing an fd with jobs in flight: the jobs' fences "
		     "still signal (seen through a syncobj shared with another "
		     "fd) and the device goes on working.");
	igt_subtest("close-fd-busy") {
		struct neuf_device *d2 = open_device();
		uint64_t *cells = calloc(4, sizeof(uint64_t));
		uint32_t v = create_vm(d2), mine[4];

		igt_assert(cells);
		for (int i = 0; i < 4; i++) {
			struct neuf_dispatch d = dispatch(sh_spin_store, 32, 32,
							  ARGS(20000,
							       PTR(&cells[i]),
							       1));
			int shared_fd = -1;

			d.out_syncobj = syncobj_create(d2, 0);
			igt_assert_eq(neuf_exec(d2, v, &d, NULL), 0);
			igt_assert_eq(drmSyncobjHandleToFD(neuf_device_fd(d2),
							   d.out_syncobj,
							   &shared_fd), 0);
			igt_assert_eq(drmSyncobjFDToHandle(neuf_device_fd(dev),
							   shared_fd,
							   &mine[i]), 0);
			close(shared_fd);
		}
		neuf_device_close(d2);

		/* Engines run jobs side by side: each has its own fence. */
		for (int i = 0; i < 4; i++)
			neuf_igt_syncobj_wait(dev, mine[i], NEUF_IGT_JOB_TIMEOUT_NS);
		/* A live process's queued jobs reach an engine and run. */
		for (int i = 0; i < 4; i++)
			igt_assert_f(cells[i] == 1, "job %d did not run\n", i);
		run_fill(dev, vm, 64, 64, 0xc105);
		for (int i = 0; i < 4; i++)
			drmSyncobjDestroy(neuf_device_fd(dev), mine[i]);
		free(cells);
	}

	igt_describe("A process that exits with jobs in flight on its VM: its "
		     "address space goes first, the jobs end (their fences "
		     "signal, seen through a syncobj shared with the parent), "
		     "and the device goes on working.");
	igt_subtest("exit-busy") {
		uint32_t mine = syncobj_create(dev, 0);
		int shared_fd = -1, status;
		pid_t pid;

		igt_assert_eq(drmSyncobjHandleToFD(neuf_device_fd(dev), mine,
						   &shared_fd), 0);
		pid = fork();
		igt_assert(pid >= 0);
		if (pid == 0) {
			struct neuf_device *d2 = NULL;
			uint64_t *cells = calloc(4, sizeof(uint64_t));
			uint32_t v, h = 0;

			/* No assertions here: report through the exit code. */
			if (!cells || neuf_device_open(0, &d2) ||
			    neuf_vm_create(d2, NEUF_VM_CREATE_SVM, &v) ||
			    drmSyncobjFDToHandle(neuf_device_fd(d2), shared_fd,
						 &h))
				_exit(2);
			for (int i = 0; i < 4; i++) {
				struct neuf_dispatch d =
					dispatch(sh_spin_store, 32, 32,
						 ARGS(20000, PTR(&cells[i]), 1));

				d.out_syncobj = i == 3 ? h : 0;
				if (neuf_exec(d2, v, &d, NULL))
					_exit(3);
			}
			_exit(0);	/* with everything still open and queued */
		}
		close(shared_fd);
		status = neuf_igt_wait_child(pid);
		igt_assert_f(WIFEXITED(status) && !WEXITSTATUS(status),
			     "child status %#x\n", status);

		neuf_igt_syncobj_wait(dev, mine, NEUF_IGT_JOB_TIMEOUT_NS);
		run_fill(dev, vm, 64, 64, 0xe817);
		drmSyncobjDestroy(neuf_device_fd(dev), mine);
	}

	igt_fixture() {
		neuf_vm_destroy(dev, vm);
		neuf_device_close(dev);
		free(sh_fill);
		free(sh_spin_store);
		free(sh_double);
		free(scratch);
	}
}
