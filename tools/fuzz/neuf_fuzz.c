// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * neuf's ioctl fuzzer. Each worker is a process with its own file, VMs,
 * syncobjs, shader pages and data regions, and a second thread that churns
 * those regions (munmap/mmap, mprotect, madvise, mremap, writes) while the
 * first issues ioctls that name them. Every choice comes from the worker's
 * random stream, derived from the run's seed and the worker's index, so a
 * seed replays the same calls. Calls mix well-formed and hostile values:
 * the objects the file owns and made-up ids, mapped and unmapped ranges,
 * kernel addresses, overflowing sizes, reserved fields, unknown ops and
 * flags, random ioctl numbers and sizes, and shaders of every kind:
 * structured ones over the data regions, random words, infinite loops,
 * wild and kernel pointers. Now and then a child inherits the file and
 * tries the parent's VMs, which must refuse it.
 *
 * A finding: an errno the call never returns, a well-formed call that
 * fails, a job whose fence never signals, a child that reaches a parent's
 * VM, or a new taint of the kernel (a WARN, an oops, KASAN): the run then
 * stops and reports the worker and call.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include "libneuf.h"
#include <drm/neuf_drm.h>
#include "neuf_fuzz.h"
#include "neuf_isa.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

#define FZ_VMS		8
#define FZ_SLOTS	8		/* jobs in flight per worker */
#define FZ_REGIONS	8
#define FZ_PAGE		4096u
#define FZ_REGION_MAX	(1u << 20)
#define FZ_CHURN_EVERY	4		/* calls per memory operation */
#define FZ_REOPEN	1500		/* one call in this many reopens */
#define FZ_CODE_WORDS	(FZ_PAGE / 8)
#define FZ_TAINT_EVERY	256
#define FZ_WAIT_NS	(60LL * 1000000000LL)
/* An out-of-tree (O) and unsigned (E) module taint the kernel anyway. */
#define FZ_TAINT_OK	(4096UL | 8192UL)
#define FZ_PARAM	"/sys/module/neuf/parameters/job_timeout_ms"

struct fz_region {
	_Atomic uintptr_t addr;
	_Atomic size_t len;
};

struct fz_slot {
	uint32_t syncobj;
	bool busy;
	uint32_t vm;
	uint64_t job;
};

struct fz {
	const struct neuf_fuzz_config *cfg;
	struct neuf_fuzz_report *rep;
	unsigned int worker;
	uint64_t rng;
	uint64_t churn_rng;
	uint64_t budget;
	unsigned long base_taint;
	struct neuf_device *dev;
	int fd;
	uint32_t vms[FZ_VMS];
	struct fz_slot slots[FZ_SLOTS];
	uint64_t *code;			/* one page of shader per slot */
	struct fz_region regions[FZ_REGIONS];
	sem_t tick;			/* one memory operation per post */
	atomic_bool stop;
	atomic_uint_fast64_t mm_ops;
};

/* Errnos each call may return (the kernel's and DRM core's), 0-ended. */
static const int fz_errs_getparam[] = { EINVAL, EFAULT, 0 };
static const int fz_errs_vm_create[] = { EINVAL, ENOSPC, ENOMEM, ENODEV, 0 };
static const int fz_errs_vm[] = { EINVAL, ENOENT, EACCES, EBUSY, ENODEV, 0 };
static const int fz_errs_exec[] = {
	EINVAL, ENOENT, EACCES, EFAULT, ENOMEM, ENODEV, EOVERFLOW, EINTR,
	ESRCH, 0
};
static const int fz_errs_job_status[] = { EINVAL, ENOENT, ESTALE, 0 };
static const int fz_errs_svm_attr[] = {
	EINVAL, ENOENT, EACCES, EFAULT, ENOMEM, EOPNOTSUPP, ENODEV, ESRCH,
	EINTR, EIO, EBUSY, 0
};
static const int fz_errs_raw[] = {
	EINVAL, ENOENT, EACCES, EFAULT, ENOMEM, EOPNOTSUPP, ENODEV, ESRCH,
	EINTR, EIO, EBUSY, ENOSPC, ESTALE, EOVERFLOW, ENOTTY, 0
};

static uint64_t fz_splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd(struct fz *f)
{
	return fz_splitmix(&f->rng);
}

static uint64_t below(struct fz *f, uint64_t n)
{
	return n ? rnd(f) % n : 0;
}

static bool chance(struct fz *f, unsigned int percent)
{
	return below(f, 100) < percent;
}

/* A value from the edges where checks go wrong, or any value. */
static uint64_t hostile(struct fz *f)
{
	static const uint64_t edges[] = {
		0, 1, 2, 7, 8, 0x7f, 0x80, 0xff, 0xfff, 0x1000, 0x1001,
		0xffff, 0x10000, 0x1fffff, 0x200000, 0x7fffffff, 0x80000000,
		0xffffffff, 0x100000000ULL, 0x7fffffffffffffffULL,
		0x8000000000000000ULL, ~0ULL, ~0ULL - 0xfff,
		0x00007ffffffff000ULL, 0x0000800000000000ULL,
		0xffff800000000000ULL, 0xffff888000000000ULL,
		0xffffffff81000000ULL,
	};
	uint64_t v = edges[below(f, ARRAY_SIZE(edges))];

	switch (below(f, 3)) {
	case 0:
		return v;
	case 1:
		return v + below(f, 17) - 8;
	default:
		return rnd(f);
	}
}

static unsigned long fz_taint(void)
{
	unsigned long t = 0;
	FILE *fp = fopen("/proc/sys/kernel/tainted", "r");

	if (fp) {
		if (fscanf(fp, "%lu", &t) != 1)
			t = 0;
		fclose(fp);
	}
	return t;
}

/* Log a finding, and keep the worker's first. */
__attribute__((format(printf, 2, 3)))
static void fz_finding(struct fz *f, const char *fmt, ...)
{
	char what[sizeof(f->rep->first)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!f->rep->first_call) {
		f->rep->first_worker = f->worker;
		f->rep->first_call = f->rep->calls ? f->rep->calls : 1;
		memcpy(f->rep->first, what, sizeof(what));
	}
	if (f->cfg->log)
		fprintf(f->cfg->log, "neuf-fuzz: worker %u call %" PRIu64 ": %s\n",
			f->worker, f->rep->calls, what);
}

static bool fz_allowed(const int *errs, int err)
{
	for (; *errs; errs++)
		if (*errs == err)
			return true;
	return false;
}

/*
 * Issue one ioctl and judge it: @errs are the errnos it may fail with;
 * a @well_formed call may fail only with one in @resource (limits,
 * memory), or not at all.
 */
static int fz_ioctl(struct fz *f, const char *what, unsigned long req,
		    void *arg, const int *errs, bool well_formed,
		    const int *resource)
{
	int ret = ioctl(f->fd, req, arg), err = errno;

	f->rep->calls++;
	if (ret == 0) {
		f->rep->ok++;
		return 0;
	}
	if (ret != -1 || !fz_allowed(errs, err)) {
		f->rep->unexpected++;
		fz_finding(f, "%s returned %d, errno %d (%s)", what, ret, err,
			   strerror(err));
		return -EIO;
	}
	if (well_formed && !(resource && fz_allowed(resource, err))) {
		f->rep->wrong++;
		fz_finding(f, "well-formed %s failed: %s", what, strerror(err));
	}
	f->rep->refused++;
	return -err;
}

static uint32_t fz_vm(struct fz *f)
{
	uint32_t v = f->vms[below(f, FZ_VMS)];

	if (!chance(f, 85))
		return (uint32_t)hostile(f);
	return v ? v : f->vms[0];
}

/* A range of a data region (its current mapping: it may change meanwhile). */
static void fz_range(struct fz *f, uint64_t *start, uint64_t *size)
{
	struct fz_region *r = &f->regions[below(f, FZ_REGIONS)];
	uint64_t addr = atomic_load(&r->addr), len = atomic_load(&r->len);
	uint64_t pages = len / FZ_PAGE, first = below(f, pages ? pages : 1);

	*start = addr + first * FZ_PAGE;
	*size = (1 + below(f, pages > first ? pages - first : 1)) * FZ_PAGE;
	if (chance(f, 10))
		*start = hostile(f);
	if (chance(f, 10))
		*size = hostile(f);
}

static uint64_t fz_data_pointer(struct fz *f)
{
	uint64_t start, size;

	fz_range(f, &start, &size);
	return chance(f, 90) ? start : hostile(f);
}

/* One instruction: registers r1-r15, memory mostly through r5 (arg0 + id * 8). */
static uint64_t fz_insn(struct fz *f)
{
	static const uint8_t ops[] = {
		NEUF_OP_NOP, NEUF_OP_ADD, NEUF_OP_SUB, NEUF_OP_MUL, NEUF_OP_AND,
		NEUF_OP_OR, NEUF_OP_XOR, NEUF_OP_SHL, NEUF_OP_SHR, NEUF_OP_SAR,
		NEUF_OP_SET, NEUF_OP_ADDI, NEUF_OP_MULI, NEUF_OP_ANDI,
		NEUF_OP_ORI, NEUF_OP_XORI, NEUF_OP_SHLI, NEUF_OP_SHRI,
		NEUF_OP_SARI, NEUF_OP_LI, NEUF_OP_LIH, NEUF_OP_SREG,
		NEUF_OP_FADD, NEUF_OP_FSUB, NEUF_OP_FMUL, NEUF_OP_FFMA,
		NEUF_OP_FMIN, NEUF_OP_FMAX, NEUF_OP_FSET, NEUF_OP_CVTSF,
		NEUF_OP_CVTUF, NEUF_OP_CVTFS, NEUF_OP_CVTFU, NEUF_OP_LD8,
		NEUF_OP_LD32, NEUF_OP_LD64, NEUF_OP_ST8, NEUF_OP_ST32,
		NEUF_OP_ST64, NEUF_OP_PREFETCH, NEUF_OP_ATOM_ADD32,
		NEUF_OP_ATOM_ADD64, NEUF_OP_ATOM_XCHG32, NEUF_OP_ATOM_XCHG64,
		NEUF_OP_ATOM_CAS32, NEUF_OP_ATOM_CAS64, NEUF_OP_BR, NEUF_OP_JMP,
	};
	unsigned int op = ops[below(f, ARRAY_SIZE(ops))];
	/* Mostly not r2-r5, which hold the pointers the memory ops use. */
	unsigned int rd = chance(f, 90) ? 6 + below(f, 10) : 1 + below(f, 15);
	unsigned int ra = below(f, 16);
	unsigned int rb = below(f, 16), rc = below(f, 16);
	int64_t imm = (int64_t)below(f, 64) - 32;

	if (op >= NEUF_OP_LD8 && op <= NEUF_OP_ATOM_CAS64) {
		ra = chance(f, 80) ? 5 : ra;
		imm = chance(f, 80) ? 0 : (int64_t)below(f, 128) - 64;
		return NEUF_ISA_ENCODE(op, rd, ra, rb, rc, imm);
	}
	switch (op) {
	case NEUF_OP_BR:
	case NEUF_OP_JMP:
		/* Forward, mostly: a backward one may loop for good. */
		imm = chance(f, 95) ? 8 * (int64_t)(1 + below(f, 4)) :
				      (int64_t)hostile(f);
		rc = below(f, 8);
		break;
	case NEUF_OP_SREG:
		imm = chance(f, 90) ? (int64_t)below(f, 16) : (int64_t)hostile(f);
		break;
	case NEUF_OP_LI:
	case NEUF_OP_LIH:
		imm = (int64_t)hostile(f);
		break;
	default:
		if (chance(f, 5))
			imm = (int64_t)hostile(f);
		break;
	}
	return NEUF_ISA_ENCODE(op, rd, ra, rb, rc, imm);
}

/* A shader in @code (one page); returns its first instruction's address. */
static uint64_t fz_shader(struct fz *f, uint64_t *code)
{
	unsigned int n = 0, i, len, kind = below(f, 100);

	if (kind < 10) {
		/* Any words at all: mostly illegal instructions. */
		len = 1 + below(f, 32);
		for (i = 0; i < len; i++)
			code[n++] = rnd(f);
	} else if (kind < 13) {
		/* An endless loop: only the watchdog ends it. */
		code[n++] = NEUF_ISA_ENCODE(NEUF_OP_JMP, 0, 0, 0, 0, 0);
	} else {
		code[n++] = NEUF_ISA_ENCODE(NEUF_OP_SREG, 1, 0, 0, 0,
					    NEUF_SREG_GLOBAL_ID);
		code[n++] = NEUF_ISA_ENCODE(NEUF_OP_SREG, 2, 0, 0, 0,
					    NEUF_SREG_ARG0);
		code[n++] = NEUF_ISA_ENCODE(NEUF_OP_SREG, 3, 0, 0, 0,
					    NEUF_SREG_ARG0 + 1);
		code[n++] = NEUF_ISA_ENCODE(NEUF_OP_SHLI, 4, 1, 0, 0, 3);
		code[n++] = NEUF_ISA_ENCODE(NEUF_OP_ADD, 5, 2, 4, 0, 0);
		len = 2 + below(f, 24);
		for (i = 0; i < len; i++)
			code[n++] = fz_insn(f);
		code[n++] = NEUF_ISA_ENCODE(NEUF_OP_HALT, 0, 0, 0, 0, 0);
	}
	/* The rest of the page: what a branch past the end finds. */
	memset(code + n, 0, (FZ_CODE_WORDS - n) * sizeof(*code));

	switch (below(f, 20)) {
	case 0:
		return hostile(f);			/* wild, kernel, unaligned */
	case 1:
		return fz_data_pointer(f);		/* data as code */
	case 2:
		return (uint64_t)(uintptr_t)code + 4;	/* misaligned */
	default:
		return (uint64_t)(uintptr_t)code;
	}
}

/* Wait for a slot's job, judge how it ended, and free the slot. */
static void fz_slot_drain(struct fz *f, struct fz_slot *s)
{
	struct drm_neuf_job_status st = { .vm_id = s->vm, .job_id = s->job };
	struct timespec now;
	int64_t deadline;

	if (!s->busy)
		return;
	s->busy = false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	deadline = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec + FZ_WAIT_NS;
	if (drmSyncobjWait(f->fd, &s->syncobj, 1, deadline, 0, NULL)) {
		f->rep->jobs_lost++;
		fz_finding(f, "EXEC: job %" PRIu64 " of VM %u did not end: %s",
			   s->job, s->vm, strerror(errno));
		return;
	}
	if (ioctl(f->fd, DRM_IOCTL_NEUF_JOB_STATUS, &st) == 0 && st.error)
		f->rep->jobs_failed++;
}

static void fz_getparam(struct fz *f)
{
	struct drm_neuf_getparam a = {
		.param = 1 + below(f, NEUF_PARAM_LAST),
	};
	bool ok = chance(f, 80);

	if (!ok) {
		a.param = (uint32_t)hostile(f);
		a.pad = chance(f, 50) ? (uint32_t)hostile(f) : 0;
		a.value = hostile(f);
	}
	fz_ioctl(f, "GETPARAM", DRM_IOCTL_NEUF_GETPARAM, &a, fz_errs_getparam,
		 ok, NULL);
}

static void fz_vm_create(struct fz *f)
{
	static const int limits[] = { ENOSPC, ENOMEM, 0 };
	struct drm_neuf_vm_create a = { .flags = NEUF_VM_CREATE_SVM };
	unsigned int i = below(f, FZ_VMS);
	bool ok = chance(f, 85);

	if (!ok) {
		a.flags = (uint32_t)hostile(f);
		a.vm_id = chance(f, 50) ? (uint32_t)hostile(f) : 0;
	}
	if (fz_ioctl(f, "VM_CREATE", DRM_IOCTL_NEUF_VM_CREATE, &a,
		     fz_errs_vm_create, ok, limits))
		return;
	/* A pool of FZ_VMS: the VM limit is not what is under test. */
	if (!f->vms[i])
		f->vms[i] = a.vm_id;
	else
		neuf_vm_destroy(f->dev, a.vm_id);
}

/*
 * Most calls need the first VM: if a call destroyed it (a made-up id or a
 * raw ioctl can name it), make another.
 */
static void fz_keep_vm(struct fz *f)
{
	struct drm_neuf_vm_stats st = { .vm_id = f->vms[0] };

	if (ioctl(f->fd, DRM_IOCTL_NEUF_VM_STATS, &st) && errno == ENOENT &&
	    neuf_vm_create(f->dev, NEUF_VM_CREATE_SVM, &f->vms[0]))
		f->vms[0] = 0;
}

static void fz_vm_destroy(struct fz *f)
{
	unsigned int i = below(f, FZ_VMS);
	struct drm_neuf_vm_destroy a = { .vm_id = f->vms[i] };

	/* Keep the first VM: most calls need one. */
	if (!i || !a.vm_id || chance(f, 20))
		a.vm_id = (uint32_t)hostile(f);
	if (chance(f, 5))
		a.pad = (uint32_t)hostile(f);
	if (fz_ioctl(f, "VM_DESTROY", DRM_IOCTL_NEUF_VM_DESTROY, &a,
		     fz_errs_vm, false, NULL) == 0) {
		for (i = 1; i < FZ_VMS; i++)
			if (f->vms[i] == a.vm_id)
				f->vms[i] = 0;
		fz_keep_vm(f);
	}
}

static void fz_exec(struct fz *f)
{
	unsigned int k = below(f, FZ_SLOTS), i;
	struct fz_slot *s = &f->slots[k];
	uint32_t in[4];
	struct drm_neuf_exec a = {
		.vm_id = fz_vm(f),
		.grid_size = 1 + below(f, 64),
		.group_size = 1 + below(f, 32),
		.out_syncobj = s->syncobj,
	};

	/* The slot's shader page and fence are free once its job ended. */
	fz_slot_drain(f, s);
	a.code = fz_shader(f, f->code + (size_t)k * FZ_CODE_WORDS);
	for (i = 0; i < NEUF_EXEC_NUM_ARGS; i++)
		a.args[i] = i < 2 || chance(f, 50) ? fz_data_pointer(f) :
						       hostile(f);
	if (chance(f, 20)) {
		for (i = 0; i < ARRAY_SIZE(in); i++)
			in[i] = chance(f, 90) ?
				f->slots[below(f, FZ_SLOTS)].syncobj :
				(uint32_t)hostile(f);
		a.in_syncobjs = (uint64_t)(uintptr_t)in;
		a.num_in_syncobjs = 1 + below(f, ARRAY_SIZE(in));
	}
	if (chance(f, 5)) {
		switch (below(f, 7)) {
		case 0: a.flags = (uint32_t)hostile(f); break;
		case 1: a.grid_size = (uint32_t)hostile(f); break;
		case 2: a.group_size = (uint32_t)hostile(f); break;
		case 3: a.in_syncobjs = hostile(f); break;
		case 4: a.num_in_syncobjs = (uint32_t)hostile(f); break;
		case 5: a.out_syncobj = (uint32_t)hostile(f); break;
		default: a.job_id = hostile(f); break;
		}
	}
	if (fz_ioctl(f, "EXEC", DRM_IOCTL_NEUF_EXEC, &a, fz_errs_exec, false,
		     NULL) == 0) {
		f->rep->jobs++;
		/* Waited for only if it went to this slot's syncobj. */
		s->busy = a.out_syncobj == s->syncobj;
		s->vm = a.vm_id;
		s->job = a.job_id;
	}
}

static void fz_job_status(struct fz *f)
{
	struct fz_slot *s = &f->slots[below(f, FZ_SLOTS)];
	struct drm_neuf_job_status a = {
		.vm_id = s->vm ? s->vm : fz_vm(f),
		.job_id = chance(f, 80) ? s->job : hostile(f),
	};

	if (chance(f, 5))
		a.pad = (uint32_t)hostile(f);
	fz_ioctl(f, "JOB_STATUS", DRM_IOCTL_NEUF_JOB_STATUS, &a,
		 fz_errs_job_status, false, NULL);
}

static void fz_vm_stats(struct fz *f)
{
	struct drm_neuf_vm_stats a = { .vm_id = f->vms[0] };
	bool ok = f->vms[0] && chance(f, 70);

	if (!ok) {
		a.vm_id = fz_vm(f);
		a.pad = chance(f, 30) ? (uint32_t)hostile(f) : 0;
	}
	fz_ioctl(f, "VM_STATS", DRM_IOCTL_NEUF_VM_STATS, &a, fz_errs_vm, ok,
		 NULL);
}

static void fz_svm_attr(struct fz *f)
{
	struct drm_neuf_svm_attr a = {
		.vm_id = fz_vm(f),
		.op = 1 + below(f, 3),
		.attrs = below(f, 8),
		.location = below(f, 3),
		.flags = below(f, 4),
		.granularity = 12 + below(f, 10),
	};

	uint64_t start, size;

	fz_range(f, &start, &size);
	a.start = start;
	a.size = size;
	if (a.op == NEUF_SVM_OP_PREFETCH) {
		a.attrs = 0;
		a.flags = 0;
		a.granularity = 0;
		a.location = 1 + below(f, 2);
	}
	if (chance(f, 10)) {
		switch (below(f, 6)) {
		case 0: a.op = (uint32_t)hostile(f); break;
		case 1: a.attrs = (uint32_t)hostile(f); break;
		case 2: a.location = (uint32_t)hostile(f); break;
		case 3: a.flags = (uint32_t)hostile(f); break;
		case 4: a.granularity = (uint32_t)hostile(f); break;
		default: a.reserved[below(f, 3)] = hostile(f); break;
		}
	}
	fz_ioctl(f, "SVM_ATTR", DRM_IOCTL_NEUF_SVM_ATTR, &a, fz_errs_svm_attr,
		 false, NULL);
}

static void fz_device_stats(struct fz *f)
{
	struct drm_neuf_device_stats a = { 0 };
	bool ok = chance(f, 80);

	if (!ok)
		a.reserved[below(f, 4)] = hostile(f);
	fz_ioctl(f, "DEVICE_STATS", DRM_IOCTL_NEUF_DEVICE_STATS, &a,
		 fz_errs_getparam, ok, NULL);
}

/* Any driver ioctl number, direction and size, over random bytes. */
static void fz_raw(struct fz *f)
{
	uint64_t buf[32];
	unsigned int i, nr, dir = below(f, 4), size = below(f, sizeof(buf) + 1);
	unsigned long req;

	for (i = 0; i < ARRAY_SIZE(buf); i++)
		buf[i] = chance(f, 50) ? hostile(f) : 0;
	/* Now and then an object of ours where a VM id goes. */
	if (chance(f, 50))
		buf[0] = f->vms[0];
	nr = below(f, 12);
	req = _IOC(dir, DRM_IOCTL_BASE, DRM_COMMAND_BASE + nr, size);
	if (fz_ioctl(f, "raw ioctl", req, buf, fz_errs_raw, false, NULL))
		return;
	/* A VM it made goes (when its id came back), one it destroyed comes back. */
	if (nr == DRM_NEUF_VM_CREATE && (dir & _IOC_READ) && size >= 8)
		neuf_vm_destroy(f->dev, (uint32_t)(buf[0] >> 32));
	fz_keep_vm(f);
}

/* A child with the parent's file must not reach the parent's VMs. */
static void fz_fork(struct fz *f)
{
	pid_t pid;
	int status;

	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		struct drm_neuf_exec e = {
			.vm_id = f->vms[0], .code = (uintptr_t)f->code,
			.grid_size = 1, .group_size = 1,
		};
		struct drm_neuf_svm_attr s = {
			.vm_id = f->vms[0], .op = NEUF_SVM_OP_GET,
			.start = atomic_load(&f->regions[0].addr),
			.size = FZ_PAGE,
		};
		struct drm_neuf_vm_destroy d = { .vm_id = f->vms[0] };
		int escapes = 0;

		escapes += ioctl(f->fd, DRM_IOCTL_NEUF_EXEC, &e) == 0;
		escapes += ioctl(f->fd, DRM_IOCTL_NEUF_SVM_ATTR, &s) == 0;
		escapes += ioctl(f->fd, DRM_IOCTL_NEUF_VM_DESTROY, &d) == 0;
		_exit(escapes);
	}
	if (waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
		f->rep->forks++;
		if (WEXITSTATUS(status)) {
			f->rep->escapes += WEXITSTATUS(status);
			fz_finding(f, "fork: a child reached VM %u (%d calls)",
				   f->vms[0], WEXITSTATUS(status));
		}
	}
}

/* Map region @r anew, somewhere, some size, sometimes with huge pages. */
static void fz_region_map(struct fz_region *r, uint64_t *rng)
{
	size_t len = FZ_PAGE * (1 + fz_splitmix(rng) % (FZ_REGION_MAX / FZ_PAGE));
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return;
	if (fz_splitmix(rng) % 4 == 0)
		madvise(p, len, MADV_HUGEPAGE);
	memset(p, (int)(fz_splitmix(rng) & 0xff), len / 8);
	atomic_store(&r->len, len);
	atomic_store(&r->addr, (uintptr_t)p);
}

/*
 * The churn thread: change the data regions under the ioctls' feet, one
 * operation each time the ioctl thread posts @tick (every FZ_CHURN_EVERY
 * calls), so that it neither starves the jobs nor falls behind.
 */
static void *fz_churn(void *arg)
{
	struct fz *f = arg;
	uint64_t *rng = &f->churn_rng;

	for (;;) {
		struct fz_region *r;
		size_t len, n;
		void *p, *q;

		while (sem_wait(&f->tick) && errno == EINTR)
			;
		if (atomic_load(&f->stop))
			break;

		r = &f->regions[fz_splitmix(rng) % FZ_REGIONS];
		p = (void *)atomic_load(&r->addr);
		len = atomic_load(&r->len);

		switch (fz_splitmix(rng) % 8) {
		case 0:
			/* Readers may still hold the old range: fine. */
			munmap(p, len);
			fz_region_map(r, rng);
			break;
		case 1:
			mprotect(p, len, (int)(fz_splitmix(rng) % 4));
			break;
		case 2:
			mprotect(p, len, PROT_READ | PROT_WRITE);
			break;
		case 3: {
			static const int advice[] = {
				MADV_DONTNEED, MADV_FREE, MADV_COLD,
				MADV_PAGEOUT, MADV_NOHUGEPAGE,
			};
			madvise(p, len, advice[fz_splitmix(rng) % ARRAY_SIZE(advice)]);
			break;
		}
		case 4:
			q = mremap(p, len, len, MREMAP_MAYMOVE);
			if (q != MAP_FAILED)
				atomic_store(&r->addr, (uintptr_t)q);
			break;
		default:
			/* Write some of it, as a program would. */
			n = FZ_PAGE * (1 + fz_splitmix(rng) % 16);
			if (mprotect(p, len, PROT_READ | PROT_WRITE) == 0)
				memset(p, (int)(fz_splitmix(rng) & 0xff),
				       n < len ? n : len);
			break;
		}
		atomic_fetch_add(&f->mm_ops, 1);
	}
	return NULL;
}

/* Open the device: a VM to start with, and a syncobj per slot. */
static int fz_device_open(struct fz *f)
{
	unsigned int i;
	int ret;

	ret = neuf_device_open(f->cfg->device, &f->dev);
	if (ret)
		return ret;
	f->fd = neuf_device_fd(f->dev);
	ret = neuf_vm_create(f->dev, NEUF_VM_CREATE_SVM, &f->vms[0]);
	if (ret)
		return ret;
	for (i = 0; i < FZ_SLOTS; i++)
		if (drmSyncobjCreate(f->fd, 0, &f->slots[i].syncobj))
			return -errno;
	return 0;
}

/*
 * Close the device: with @orderly, once every job ended and its objects
 * are destroyed; without, as a process may, with jobs in flight and VMs
 * alive (the file's release must clean up after it).
 */
static void fz_device_close(struct fz *f, bool orderly)
{
	unsigned int i;

	if (!f->dev)
		return;
	for (i = 0; orderly && i < FZ_SLOTS; i++) {
		fz_slot_drain(f, &f->slots[i]);
		if (f->slots[i].syncobj)
			drmSyncobjDestroy(f->fd, f->slots[i].syncobj);
	}
	for (i = 0; orderly && i < FZ_VMS; i++)
		if (f->vms[i])
			neuf_vm_destroy(f->dev, f->vms[i]);
	neuf_device_close(f->dev);
	f->dev = NULL;
	f->fd = -1;
	memset(f->vms, 0, sizeof(f->vms));
	memset(f->slots, 0, sizeof(f->slots));
}

/* The memory the calls name: shader pages and data regions. */
static int fz_memory_setup(struct fz *f)
{
	unsigned int i;

	f->code = mmap(NULL, (size_t)FZ_SLOTS * FZ_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f->code == MAP_FAILED) {
		f->code = NULL;
		return -ENOMEM;
	}
	for (i = 0; i < FZ_REGIONS; i++) {
		fz_region_map(&f->regions[i], &f->churn_rng);
		if (!atomic_load(&f->regions[i].addr))
			return -ENOMEM;
	}
	return 0;
}

static void fz_memory_teardown(struct fz *f)
{
	unsigned int i;

	for (i = 0; i < FZ_REGIONS; i++)
		if (atomic_load(&f->regions[i].addr))
			munmap((void *)atomic_load(&f->regions[i].addr),
			       atomic_load(&f->regions[i].len));
	if (f->code)
		munmap(f->code, (size_t)FZ_SLOTS * FZ_PAGE);
}

/* Close the file with everything in it, and start again. */
static void fz_reopen(struct fz *f)
{
	fz_device_close(f, false);
	if (fz_device_open(f))
		fz_finding(f, "reopen: the device could not be opened again");
}

/* One worker: @budget calls, or until the kernel gets tainted. */
static int fz_worker(struct fz *f)
{
	static void (*const calls[])(struct fz *) = {
		fz_getparam, fz_vm_create, fz_vm_destroy, fz_exec, fz_exec,
		fz_exec, fz_job_status, fz_vm_stats, fz_svm_attr, fz_svm_attr,
		fz_svm_attr, fz_device_stats, fz_raw, fz_raw,
	};
	unsigned long taint, n = 0;
	pthread_t churn;
	int ret;

	ret = fz_memory_setup(f);
	if (!ret)
		ret = fz_device_open(f);
	if (!ret && sem_init(&f->tick, 0, 0))
		ret = -errno;
	if (!ret && pthread_create(&churn, NULL, fz_churn, f)) {
		sem_destroy(&f->tick);
		ret = -EAGAIN;
	}
	if (ret) {
		fz_device_close(f, true);
		fz_memory_teardown(f);
		return ret;
	}
	while (f->rep->calls < f->budget && f->dev) {
		if (f->rep->calls % FZ_TAINT_EVERY == 0) {
			taint = fz_taint() & ~f->base_taint & ~FZ_TAINT_OK;
			if (taint) {
				f->rep->tainted = true;
				f->rep->taint = taint;
				fz_finding(f, "kernel tainted: %#lx", taint);
				break;
			}
			if (f->cfg->log && f->worker == 0 &&
			    f->rep->calls % (FZ_TAINT_EVERY * 64) == 0)
				fprintf(f->cfg->log, "neuf-fuzz: worker 0: %" PRIu64
					" of %" PRIu64 " calls\n", f->rep->calls,
					f->budget);
		}
		if (below(f, 2000) == 0)
			fz_fork(f);
		if (below(f, FZ_REOPEN) == 0)
			fz_reopen(f);
		else
			calls[below(f, ARRAY_SIZE(calls))](f);
		if (++n % FZ_CHURN_EVERY == 0)
			sem_post(&f->tick);
	}
	atomic_store(&f->stop, true);
	sem_post(&f->tick);
	pthread_join(churn, NULL);
	sem_destroy(&f->tick);
	f->rep->mm_ops = atomic_load(&f->mm_ops);
	fz_device_close(f, true);
	fz_memory_teardown(f);
	taint = fz_taint() & ~f->base_taint & ~FZ_TAINT_OK;
	if (taint && !f->rep->tainted) {
		f->rep->tainted = true;
		f->rep->taint = taint;
		fz_finding(f, "kernel tainted: %#lx", taint);
	}
	return 0;
}

/* Set the job watchdog's timeout; returns the old one, or 0. */
static unsigned int fz_job_timeout(unsigned int ms)
{
	unsigned int old = 0;
	FILE *fp = fopen(FZ_PARAM, "r+");

	if (!fp)
		return 0;
	if (fscanf(fp, "%u", &old) == 1 && ms) {
		rewind(fp);
		fprintf(fp, "%u\n", ms);
	}
	fclose(fp);
	return old;
}

uint64_t neuf_fuzz_findings(const struct neuf_fuzz_report *rep)
{
	return rep->unexpected + rep->wrong + rep->jobs_lost + rep->escapes +
	       (rep->tainted ? 1 : 0);
}

int neuf_fuzz_run(const struct neuf_fuzz_config *cfg,
		  struct neuf_fuzz_report *rep)
{
	unsigned int workers = cfg->workers ? cfg->workers : 1, w;
	unsigned long base = fz_taint();
	struct neuf_fuzz_report *reps;
	unsigned int old_timeout = 0;
	int ret = 0, status;
	pid_t *pids;

	memset(rep, 0, sizeof(*rep));
	reps = mmap(NULL, workers * sizeof(*reps), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (reps == MAP_FAILED)
		return -ENOMEM;
	memset(reps, 0, workers * sizeof(*reps));
	pids = calloc(workers, sizeof(*pids));
	if (!pids) {
		munmap(reps, workers * sizeof(*reps));
		return -ENOMEM;
	}
	if (cfg->job_timeout_ms)
		old_timeout = fz_job_timeout(cfg->job_timeout_ms);

	for (w = 0; w < workers; w++) {
		pids[w] = fork();
		if (pids[w] < 0) {
			ret = -errno;
			break;
		}
		if (pids[w] == 0) {
			struct fz f = {
				.cfg = cfg, .rep = &reps[w], .worker = w,
				.rng = cfg->seed ^ (0x6e657566ULL * (w + 1)),
				.budget = cfg->calls / workers +
					  (w < cfg->calls % workers),
				.base_taint = base,
			};

			f.churn_rng = fz_splitmix(&f.rng);
			_exit(fz_worker(&f) ? 1 : 0);
		}
	}
	for (w = 0; w < workers && pids[w] > 0; w++) {
		if (waitpid(pids[w], &status, 0) != pids[w])
			status = -1;
		if (WIFEXITED(status) && !WEXITSTATUS(status))
			continue;
		if (cfg->log)
			fprintf(cfg->log, "neuf-fuzz: worker %u %s %d\n", w,
				WIFSIGNALED(status) ? "died of signal" :
				"could not start, status", WIFSIGNALED(status) ?
				WTERMSIG(status) : WEXITSTATUS(status));
		ret = ret ?: -ECHILD;
	}
	if (old_timeout)
		fz_job_timeout(old_timeout);

	for (w = 0; w < workers; w++) {
		const struct neuf_fuzz_report *r = &reps[w];

		rep->calls += r->calls;
		rep->ok += r->ok;
		rep->refused += r->refused;
		rep->unexpected += r->unexpected;
		rep->wrong += r->wrong;
		rep->jobs += r->jobs;
		rep->jobs_failed += r->jobs_failed;
		rep->jobs_lost += r->jobs_lost;
		rep->mm_ops += r->mm_ops;
		rep->forks += r->forks;
		rep->escapes += r->escapes;
		rep->tainted |= r->tainted;
		rep->taint |= r->taint;
		if (r->first_call && !rep->first_call) {
			rep->first_worker = w;
			rep->first_call = r->first_call;
			memcpy(rep->first, r->first, sizeof(rep->first));
		}
	}
	free(pids);
	munmap(reps, workers * sizeof(*reps));
	return ret;
}
