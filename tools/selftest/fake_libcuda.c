// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * A stand-in for NVIDIA's libcuda.so.1, for the host tests of the CUDA
 * backend (host-tests.py): the backend loads it through $NEUF_LIBCUDA. It
 * exports the entry points the backend looks up, with the CUDA driver
 * API's ABI; the environment says what system it plays:
 *
 *   FAKE_CUDA_INIT      what cuInit() returns (default 0, CUDA_SUCCESS;
 *                       100 is CUDA_ERROR_NO_DEVICE)
 *   FAKE_CUDA_COUNT     how many GPUs cuDeviceGetCount() reports (default 1)
 *   FAKE_CUDA_PAGEABLE  CU_DEVICE_ATTRIBUTE_PAGEABLE_MEMORY_ACCESS (default
 *                       0; 1 with FAKE_CUDA_CPU=1)
 *   FAKE_CUDA_CPU       1: run the kernels on the CPU (below)
 *
 * Without FAKE_CUDA_CPU it plays systems the backend must skip on
 * (cuda-skip-reasons): a GPU with pageable memory access gets as far as
 * its context, which the stand-in does not make: CUDA_ERROR_NOT_SUPPORTED.
 *
 * With FAKE_CUDA_CPU=1 (cuda-backend-on-cpu) it is a GPU with HMM that
 * runs svm_kernels.cu's kernels as C functions on the calling thread, so
 * that the backend's whole control flow and the scenarios run without an
 * NVIDIA GPU. It proves nothing about NVIDIA's hardware or driver.
 *
 *  - cuModuleLoadData() takes any image (the fatbin, which it cannot run)
 *    and cuModuleGetFunction() finds the kernels by name.
 *  - cuLaunchKernel() runs gridDim * blockDim invocations, synchronously;
 *    invocation i is blockIdx.x * blockDim.x + threadIdx.x, as in the .cu.
 *  - Each load, store and atomic goes through the process's page tables
 *    at the time of the access, as a GPU mirroring them through HMM does,
 *    and never crashes the process: loads are process_vm_readv() of the
 *    bytes, stores process_vm_writev() of the value (which stores it),
 *    both refused (EFAULT) by unmapped, PROT_NONE and memfd_secret memory
 *    and stores by read-only memory, without FOLL_FORCE. An atomic is a
 *    load probe, then a write fault on its page (MADV_POPULATE_WRITE, which
 *    writes nothing), then the __atomic operation itself, SEQ_CST.
 *  - A refused access ends the launch and makes the context's error
 *    sticky, CUDA_ERROR_ILLEGAL_ADDRESS (a misaligned one,
 *    CUDA_ERROR_MISALIGNED_ADDRESS): the launch itself returns
 *    CUDA_SUCCESS, as an asynchronous one does, and every later launch,
 *    synchronize and module call returns the error until the primary
 *    context is reset: cuDevicePrimaryCtxReset_v2(), or the release of its
 *    last reference. A reset destroys the modules loaded before it: their
 *    handles, and their functions', are CUDA_ERROR_INVALID_HANDLE. With
 *    FAKE_CUDA_STICKY_FOREVER=1 a reset does not clear the error, as CUDA's
 *    documentation allows ("the process must be terminated and
 *    relaunched").
 *  - In a child fork() made, the context, module and launch calls return
 *    CUDA_ERROR_NOT_INITIALIZED: CUDA may not be used there.
 *  - It counts launches, illegal addresses and resets, and says so on
 *    stderr when the library is unloaded.
 *  - FAKE_CUDA_XID=fault writes a line in the shape of the NVIDIA
 *    driver's Xid report to /dev/kmsg for each illegal address, as the
 *    driver does for a GPU fault; FAKE_CUDA_XID=launch one for every
 *    launch, as a driver reporting faults where there are none would. The
 *    line says it is a stand-in's ("Xid (stand-in, no GPU)", never
 *    "Xid (PCI:"), for whatever else reads the host's log.
 *  - FAKE_CUDA_HANG=1: cuCtxSynchronize() never returns, as the wait for
 *    a kernel that never ends; the process ends only when killed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define FAKE_SUCCESS 0
#define FAKE_ERROR_INVALID_VALUE 1
#define FAKE_ERROR_NOT_INITIALIZED 3
#define FAKE_ERROR_NO_DEVICE 100
#define FAKE_ERROR_INVALID_DEVICE 101
#define FAKE_ERROR_INVALID_CONTEXT 201
#define FAKE_ERROR_INVALID_HANDLE 400
#define FAKE_ERROR_NOT_FOUND 500
#define FAKE_ERROR_ILLEGAL_ADDRESS 700
#define FAKE_ERROR_MISALIGNED_ADDRESS 716
#define FAKE_ERROR_NOT_SUPPORTED 801
#define FAKE_ATTR_CC_MAJOR 75
#define FAKE_ATTR_CC_MINOR 76
#define FAKE_ATTR_PAGEABLE 88

/* The ABI's types: CUresult and CUdevice are int, handles are pointers. */
typedef int fake_result;

static int env_int(const char *name, int fallback)
{
	const char *v = getenv(name);

	return v && *v ? atoi(v) : fallback;
}

static bool cpu_mode(void)
{
	return env_int("FAKE_CUDA_CPU", 0) == 1;
}

fake_result cuInit(unsigned int flags);
fake_result cuDriverGetVersion(int *version);
fake_result cuDeviceGetCount(int *count);
fake_result cuDeviceGet(int *dev, int ordinal);
fake_result cuDeviceGetName(char *name, int len, int dev);
fake_result cuDeviceGetAttribute(int *value, int attr, int dev);
fake_result cuDevicePrimaryCtxRetain(void **ctx, int dev);
fake_result cuDevicePrimaryCtxRelease_v2(int dev);
fake_result cuDevicePrimaryCtxReset_v2(int dev);
fake_result cuCtxSetCurrent(void *ctx);
fake_result cuCtxSynchronize(void);
fake_result cuModuleLoadData(void **mod, const void *image);
fake_result cuModuleUnload(void *mod);
fake_result cuModuleGetFunction(void **fn, void *mod, const char *name);
fake_result cuLaunchKernel(void *f, unsigned int gx, unsigned int gy,
			   unsigned int gz, unsigned int bx, unsigned int by,
			   unsigned int bz, unsigned int shared, void *stream,
			   void **params, void **extra);
fake_result cuGetErrorName(fake_result error, const char **name);

/*
 * The GPU of FAKE_CUDA_CPU=1: the memory accesses of a kernel. Each
 * returns false when the access ends the launch, with the sticky error in
 * @fault.
 */
struct access {
	fake_result fault;
	uint64_t addr;		/* where, for the stderr summary */
};

static bool misaligned(struct access *acc, uint64_t addr, size_t len)
{
	if (!(addr & (len - 1)))
		return false;
	acc->fault = FAKE_ERROR_MISALIGNED_ADDRESS;
	acc->addr = addr;
	return true;
}

static bool refused(struct access *acc, uint64_t addr)
{
	acc->fault = FAKE_ERROR_ILLEGAL_ADDRESS;
	acc->addr = addr;
	return false;
}

/* A load of @len bytes at @addr into @val. */
static bool load(struct access *acc, uint64_t addr, void *val, size_t len)
{
	struct iovec local = { val, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };

	if (misaligned(acc, addr, len))
		return false;
	if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != (ssize_t)len)
		return refused(acc, addr);
	return true;
}

/* A store of the @len bytes at @val to @addr. */
static bool store(struct access *acc, uint64_t addr, const void *val,
		  size_t len)
{
	struct iovec local = { (void *)val, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };

	if (misaligned(acc, addr, len))
		return false;
	if (process_vm_writev(getpid(), &local, 1, &remote, 1, 0) != (ssize_t)len)
		return refused(acc, addr);
	return true;
}

/*
 * Whether an atomic of @len bytes at @addr may go ahead: readable (which
 * refuses what a load refuses) and writable (a write fault on its page,
 * which writes nothing). Then the caller does it with __atomic.
 */
static bool atomic_ok(struct access *acc, uint64_t addr, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t val;

	if (!load(acc, addr, &val, len))
		return false;
	if (madvise((void *)(uintptr_t)(addr & ~(uint64_t)(page - 1)),
		    (size_t)page, MADV_POPULATE_WRITE))
		return refused(acc, addr);
	return true;
}

static bool load32(struct access *acc, uint64_t addr, uint32_t *v)
{
	return load(acc, addr, v, sizeof(*v));
}

static bool store32(struct access *acc, uint64_t addr, uint32_t v)
{
	return store(acc, addr, &v, sizeof(v));
}

static bool load64(struct access *acc, uint64_t addr, uint64_t *v)
{
	return load(acc, addr, v, sizeof(*v));
}

static bool store64(struct access *acc, uint64_t addr, uint64_t v)
{
	return store(acc, addr, &v, sizeof(v));
}

static bool atomic_add32(struct access *acc, uint64_t addr, uint32_t v)
{
	if (!atomic_ok(acc, addr, sizeof(uint32_t)))
		return false;
	__atomic_fetch_add((uint32_t *)(uintptr_t)addr, v, __ATOMIC_SEQ_CST);
	return true;
}

static bool atomic_add64(struct access *acc, uint64_t addr, uint64_t v)
{
	if (!atomic_ok(acc, addr, sizeof(uint64_t)))
		return false;
	__atomic_fetch_add((uint64_t *)(uintptr_t)addr, v, __ATOMIC_SEQ_CST);
	return true;
}

/* atomicCAS(): the value at @addr before, in @seen. */
static bool atomic_cas64(struct access *acc, uint64_t addr, uint64_t old,
			 uint64_t val, uint64_t *seen)
{
	if (!atomic_ok(acc, addr, sizeof(uint64_t)))
		return false;
	*seen = old;
	__atomic_compare_exchange_n((uint64_t *)(uintptr_t)addr, seen, val,
				    false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	return true;
}

/*
 * svm_kernels.cu's kernels, one invocation each, past BODY_PROLOGUE (the
 * launch skips invocations past the grid). @a is a0..a3.
 */
typedef bool kernel_fn(struct access *acc, uint32_t i, const uint64_t *a);

static bool k_fill(struct access *acc, uint32_t i, const uint64_t *a)
{
	return store32(acc, a[0] + 4 * (uint64_t)i, (uint32_t)a[1] + i);
}

static bool k_copy(struct access *acc, uint32_t i, const uint64_t *a)
{
	uint32_t v;

	return load32(acc, a[0] + 4 * (uint64_t)i, &v) &&
	       store32(acc, a[1] + 4 * (uint64_t)i, v);
}

static bool rmw32(struct access *acc, uint64_t addr, uint32_t add)
{
	uint32_t v;

	return load32(acc, addr, &v) && store32(acc, addr, v + add);
}

static bool k_rmw(struct access *acc, uint32_t i, const uint64_t *a)
{
	return rmw32(acc, a[0] + 4 * (uint64_t)i, (uint32_t)a[1]);
}

static bool k_atomic_inc(struct access *acc, uint32_t i, const uint64_t *a)
{
	return atomic_add32(acc, a[0] + 4 * (uint64_t)i, 1);
}

static bool k_fill_strided(struct access *acc, uint32_t i, const uint64_t *a)
{
	return store32(acc, a[0] + (uint64_t)i * a[2], (uint32_t)a[1] + i);
}

static bool k_rmw_strided(struct access *acc, uint32_t i, const uint64_t *a)
{
	return rmw32(acc, a[0] + (uint64_t)i * a[2], (uint32_t)a[1]);
}

static bool k_read_strided(struct access *acc, uint32_t i, const uint64_t *a)
{
	uint32_t v;

	return load32(acc, a[0] + (uint64_t)i * a[2], &v) &&
	       atomic_add64(acc, a[1], v);
}

static bool k_vadd(struct access *acc, uint32_t i, const uint64_t *a)
{
	uint64_t j = a[3] + i;
	float x, y, z;

	if (!load(acc, a[0] + 4 * j, &x, sizeof(x)) ||
	    !load(acc, a[1] + 4 * j, &y, sizeof(y)))
		return false;
	z = x + y;
	return store(acc, a[2] + 4 * j, &z, sizeof(z));
}

/* struct svm_node: { next, value } */
static bool k_walk_list(struct access *acc, uint32_t i, const uint64_t *a)
{
	uint64_t sum = 0, count = 0, n, value;

	(void)i;
	for (n = a[0]; n; ) {
		if (!load64(acc, n + 8, &value))
			return false;
		sum += value;
		count++;
		if (!load64(acc, n, &n))
			return false;
	}
	return store64(acc, a[1], sum) && store64(acc, a[1] + 8, count);
}

static bool k_atomic_add(struct access *acc, uint32_t i, const uint64_t *a)
{
	(void)i;
	return atomic_add64(acc, a[0], 1) && atomic_add32(acc, a[1], 1);
}

static bool k_cas_inc(struct access *acc, uint32_t i, const uint64_t *a)
{
	uint64_t old, seen;

	(void)i;
	if (!load64(acc, a[0], &old))
		return false;
	for (;;) {
		if (!atomic_cas64(acc, a[0], old, old + 1, &seen))
			return false;
		if (seen == old)
			return true;
		old = seen;
	}
}

/* %globaltimer: CLOCK_MONOTONIC's nanoseconds. */
static uint64_t globaltimer(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool k_timed_store(struct access *acc, uint32_t i, const uint64_t *a)
{
	uint64_t t0, t1;
	uint32_t back;

	(void)i;
	t0 = globaltimer();
	if (!store32(acc, a[0], (uint32_t)a[1]))
		return false;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!load32(acc, a[0], &back))
		return false;
	t1 = globaltimer();
	return store64(acc, a[2], t1 - t0) && store32(acc, a[2] + 8, back);
}

/* As svm_kernels.cu's: the smallest change of the timer between two reads. */
static bool k_timer_step(struct access *acc, uint32_t i, const uint64_t *a)
{
	uint64_t prev = globaltimer(), step = 0, changes = 0;

	(void)i;
	for (uint32_t reads = 0; changes < a[1] && reads < (1u << 24); reads++) {
		uint64_t t = globaltimer();

		if (t == prev)
			continue;
		if (t > prev && (!step || t - prev < step))
			step = t - prev;
		changes++;
		prev = t;
	}
	return store64(acc, a[0], step);
}

static const struct kernel {
	const char *name;
	kernel_fn *fn;
} kernels[] = {
	{ "svm_fill", k_fill },
	{ "svm_copy", k_copy },
	{ "svm_rmw", k_rmw },
	{ "svm_atomic_inc", k_atomic_inc },
	{ "svm_fill_strided", k_fill_strided },
	{ "svm_rmw_strided", k_rmw_strided },
	{ "svm_read_strided", k_read_strided },
	{ "svm_vadd", k_vadd },
	{ "svm_walk_list", k_walk_list },
	{ "svm_atomic_add", k_atomic_add },
	{ "svm_cas_inc", k_cas_inc },
	{ "svm_timed_store", k_timed_store },
	{ "svm_timer_step", k_timer_step },
};

#define NUM_KERNELS (sizeof(kernels) / sizeof(*kernels))

/*
 * A module and its functions. Never freed, only marked unloaded or
 * destroyed (by a reset), so that a stale handle is an error, not a use
 * after free: there are as many as the backend loads, one per context.
 */
#define MODULE_MAGIC 0x6d6f64756c65ul

struct module;

struct function {
	const struct module *mod;
	const struct kernel *kernel;
};

/*
 * Never freed: a handle used after its unload or its context's reset must
 * read as stale (CUDA_ERROR_INVALID_HANDLE), not as freed memory. Every
 * module stays on one list, so that a leak checker does not count it.
 */
struct module {
	unsigned long magic;
	unsigned int generation;	/* the context's, when loaded */
	bool unloaded;
	struct module *next;		/* all modules ever loaded */
	struct function fn[NUM_KERNELS];
};

static struct module *modules;

/* The primary context of device 0. */
static struct {
	unsigned int refs;
	unsigned int generation;	/* bumped by each reset */
	bool current;			/* the calling thread's */
	fake_result sticky;
} ctx;

static struct {
	pid_t pid;
	unsigned long launches, invocations, faults, resets, loads;
	uint64_t last_fault;
} counts;

/* Before cuInit(), or in a child fork() made of the process that called it. */
static bool forked(void)
{
	return getpid() != counts.pid;
}

static bool ctx_usable(void)
{
	return ctx.current && ctx.refs;
}

static void ctx_reset(void)
{
	ctx.generation++;
	/* FAKE_CUDA_STICKY_FOREVER=1: only a new process clears it. */
	if (!env_int("FAKE_CUDA_STICKY_FOREVER", 0))
		ctx.sticky = FAKE_SUCCESS;
}

/*
 * What every call past finding the device checks first: outside the CPU
 * mode there is no GPU to run on (the call says @without_gpu), and a child
 * fork() made of the process that called cuInit() may not use CUDA. True
 * when the call goes on; else *@r is what it returns.
 */
static bool gate(fake_result without_gpu, fake_result *r)
{
	if (!cpu_mode())
		*r = without_gpu;
	else if (forked())
		*r = FAKE_ERROR_NOT_INITIALIZED;
	else
		return true;
	return false;
}

static bool module_live(const struct module *m)
{
	return m && m->magic == MODULE_MAGIC && !m->unloaded &&
	       m->generation == ctx.generation;
}

__attribute__((destructor)) static void summary(void)
{
	if (!cpu_mode() || forked())
		return;
	fprintf(stderr, "fake_libcuda: %lu launches, %lu invocations, %lu "
		"illegal addresses (last at %#llx), %lu primary context resets, "
		"%lu module loads\n", counts.launches, counts.invocations,
		counts.faults, (unsigned long long)counts.last_fault,
		counts.resets, counts.loads);
}

fake_result cuInit(unsigned int flags)
{
	(void)flags;
	counts.pid = getpid();
	return env_int("FAKE_CUDA_INIT", FAKE_SUCCESS);
}

fake_result cuDriverGetVersion(int *version)
{
	*version = 13000;
	return FAKE_SUCCESS;
}

fake_result cuDeviceGetCount(int *count)
{
	*count = env_int("FAKE_CUDA_COUNT", 1);
	return FAKE_SUCCESS;
}

fake_result cuDeviceGet(int *dev, int ordinal)
{
	if (ordinal >= env_int("FAKE_CUDA_COUNT", 1))
		return FAKE_ERROR_NO_DEVICE;
	*dev = ordinal;
	return FAKE_SUCCESS;
}

fake_result cuDeviceGetName(char *name, int len, int dev)
{
	(void)dev;
	strncpy(name, cpu_mode() ? "Fake GPU on the CPU (fake_libcuda)" :
		"Fake GPU", (size_t)len);
	return FAKE_SUCCESS;
}

fake_result cuDeviceGetAttribute(int *value, int attr, int dev)
{
	(void)dev;
	switch (attr) {
	case FAKE_ATTR_CC_MAJOR:
		*value = 7;
		break;
	case FAKE_ATTR_CC_MINOR:
		*value = 5;
		break;
	case FAKE_ATTR_PAGEABLE:
		*value = env_int("FAKE_CUDA_PAGEABLE", cpu_mode());
		break;
	default:
		*value = 0;
	}
	return FAKE_SUCCESS;
}

fake_result cuDevicePrimaryCtxRetain(void **pctx, int dev)
{
	fake_result r;

	if (!gate(FAKE_ERROR_NOT_SUPPORTED, &r))
		return r;
	if (!pctx)
		return FAKE_ERROR_INVALID_VALUE;
	if (dev != 0)
		return FAKE_ERROR_INVALID_DEVICE;
	ctx.refs++;
	*pctx = &ctx;
	return FAKE_SUCCESS;
}

/* As CUDA's: the release of the last reference resets the context. */
fake_result cuDevicePrimaryCtxRelease_v2(int dev)
{
	fake_result r;

	if (!gate(FAKE_SUCCESS, &r))
		return r;
	if (dev != 0)
		return FAKE_ERROR_INVALID_DEVICE;
	if (!ctx.refs)
		return FAKE_ERROR_INVALID_CONTEXT;
	if (!--ctx.refs)
		ctx_reset();
	return FAKE_SUCCESS;
}

fake_result cuDevicePrimaryCtxReset_v2(int dev)
{
	fake_result r;

	if (!gate(FAKE_SUCCESS, &r))
		return r;
	if (dev != 0)
		return FAKE_ERROR_INVALID_DEVICE;
	ctx_reset();
	counts.resets++;
	return FAKE_SUCCESS;
}

fake_result cuCtxSetCurrent(void *c)
{
	fake_result r;

	if (!gate(FAKE_ERROR_NOT_SUPPORTED, &r))
		return r;
	if (c && c != (void *)&ctx)
		return FAKE_ERROR_INVALID_CONTEXT;
	ctx.current = c;
	return FAKE_SUCCESS;
}

fake_result cuCtxSynchronize(void)
{
	fake_result r;

	if (!gate(FAKE_ERROR_NOT_SUPPORTED, &r))
		return r;
	if (!ctx_usable())
		return FAKE_ERROR_INVALID_CONTEXT;
	while (env_int("FAKE_CUDA_HANG", 0) == 1)
		pause();
	return ctx.sticky;
}

fake_result cuModuleLoadData(void **mod, const void *image)
{
	struct module *m;
	fake_result r;

	if (!gate(FAKE_ERROR_NOT_SUPPORTED, &r))
		return r;
	if (!mod || !image)
		return FAKE_ERROR_INVALID_VALUE;
	if (!ctx_usable())
		return FAKE_ERROR_INVALID_CONTEXT;
	if (ctx.sticky)
		return ctx.sticky;
	m = calloc(1, sizeof(*m));
	if (!m)
		return FAKE_ERROR_NOT_SUPPORTED;
	m->magic = MODULE_MAGIC;
	m->generation = ctx.generation;
	m->next = modules;
	modules = m;
	for (size_t k = 0; k < NUM_KERNELS; k++) {
		m->fn[k].mod = m;
		m->fn[k].kernel = &kernels[k];
	}
	counts.loads++;
	*mod = m;
	return FAKE_SUCCESS;
}

fake_result cuModuleUnload(void *mod)
{
	struct module *m = mod;
	fake_result r;

	if (!gate(FAKE_SUCCESS, &r))
		return r;
	if (ctx.sticky)
		return ctx.sticky;
	if (!module_live(m))
		return FAKE_ERROR_INVALID_HANDLE;
	m->unloaded = true;
	return FAKE_SUCCESS;
}

fake_result cuModuleGetFunction(void **fn, void *mod, const char *name)
{
	struct module *m = mod;
	fake_result r;

	if (!gate(FAKE_ERROR_NOT_SUPPORTED, &r))
		return r;
	if (!fn || !name)
		return FAKE_ERROR_INVALID_VALUE;
	if (ctx.sticky)
		return ctx.sticky;
	if (!module_live(m))
		return FAKE_ERROR_INVALID_HANDLE;
	for (size_t k = 0; k < NUM_KERNELS; k++) {
		if (!strcmp(kernels[k].name, name)) {
			*fn = &m->fn[k];
			return FAKE_SUCCESS;
		}
	}
	return FAKE_ERROR_NOT_FOUND;
}

/* FAKE_CUDA_XID: the kernel log line the NVIDIA driver writes for a fault. */
static void xid_report(const char *when)
{
	const char *mode = getenv("FAKE_CUDA_XID");
	char line[160];
	ssize_t written;
	int fd, len;

	if (!mode || strcmp(mode, when))
		return;
	len = snprintf(line, sizeof(line), "fake_libcuda: NVRM: Xid (stand-in, "
		       "no GPU): 31, pid=%d, a stand-in's report of a %s\n",
		       (int)getpid(), when);
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;		/* the host test checks that it can write */
	written = write(fd, line, (size_t)len);
	(void)written;
	close(fd);
}

/*
 * The kernel's parameters are uint32_t grid, then four uint64_t. Every
 * thread of every block runs; the kernels only look at the x dimension.
 */
static fake_result launch(const struct function *fn, const unsigned int g[3],
			  const unsigned int b[3], void **params)
{
	uint64_t blocks = (uint64_t)g[0] * g[1] * g[2];
	uint32_t threads = b[0] * b[1] * b[2];
	struct access acc = { FAKE_SUCCESS, 0 };
	uint64_t a[4];
	uint32_t grid;

	memcpy(&grid, params[0], sizeof(grid));
	for (int k = 0; k < 4; k++)
		memcpy(&a[k], params[k + 1], sizeof(a[k]));
	counts.launches++;
	xid_report("launch");
	for (uint64_t block = 0; block < blocks; block++) {
		for (uint32_t thread = 0; thread < threads; thread++) {
			uint32_t i = (uint32_t)(block % g[0]) * b[0] +
				     thread % b[0];

			if (i >= grid)
				continue;
			counts.invocations++;
			if (!fn->kernel->fn(&acc, i, a)) {
				/* Found by the next call, as if asynchronous. */
				ctx.sticky = acc.fault;
				counts.faults++;
				counts.last_fault = acc.addr;
				xid_report("fault");
				return FAKE_SUCCESS;
			}
		}
	}
	return FAKE_SUCCESS;
}

fake_result cuLaunchKernel(void *f, unsigned int gx, unsigned int gy,
			   unsigned int gz, unsigned int bx, unsigned int by,
			   unsigned int bz, unsigned int shared, void *stream,
			   void **params, void **extra)
{
	const struct function *fn = f;
	const unsigned int g[3] = { gx, gy, gz }, b[3] = { bx, by, bz };
	fake_result r;

	if (!gate(FAKE_ERROR_NOT_SUPPORTED, &r))
		return r;
	if (!ctx_usable())
		return FAKE_ERROR_INVALID_CONTEXT;
	if (ctx.sticky)
		return ctx.sticky;
	if (!fn || !module_live(fn->mod))
		return FAKE_ERROR_INVALID_HANDLE;
	if (stream)
		return FAKE_ERROR_INVALID_HANDLE;	/* only the default one */
	if (!gx || !gy || !gz || !bx || !by || !bz || gx > 0x7fffffffu ||
	    gy > 65535 || gz > 65535 || bz > 64 ||
	    (uint64_t)bx * by * bz > 1024 || shared > 48 * 1024 || !params ||
	    extra)
		return FAKE_ERROR_INVALID_VALUE;
	return launch(fn, g, b, params);
}

fake_result cuGetErrorName(fake_result error, const char **name)
{
	switch (error) {
	case FAKE_SUCCESS:
		*name = "CUDA_SUCCESS";
		break;
	case FAKE_ERROR_NO_DEVICE:
		*name = "CUDA_ERROR_NO_DEVICE";
		break;
	case FAKE_ERROR_NOT_SUPPORTED:
		*name = "CUDA_ERROR_NOT_SUPPORTED";
		break;
	case FAKE_ERROR_INVALID_VALUE:
		*name = "CUDA_ERROR_INVALID_VALUE";
		break;
	case FAKE_ERROR_NOT_INITIALIZED:
		*name = "CUDA_ERROR_NOT_INITIALIZED";
		break;
	case FAKE_ERROR_INVALID_DEVICE:
		*name = "CUDA_ERROR_INVALID_DEVICE";
		break;
	case FAKE_ERROR_INVALID_CONTEXT:
		*name = "CUDA_ERROR_INVALID_CONTEXT";
		break;
	case FAKE_ERROR_INVALID_HANDLE:
		*name = "CUDA_ERROR_INVALID_HANDLE";
		break;
	case FAKE_ERROR_NOT_FOUND:
		*name = "CUDA_ERROR_NOT_FOUND";
		break;
	case FAKE_ERROR_ILLEGAL_ADDRESS:
		*name = "CUDA_ERROR_ILLEGAL_ADDRESS";
		break;
	case FAKE_ERROR_MISALIGNED_ADDRESS:
		*name = "CUDA_ERROR_MISALIGNED_ADDRESS";
		break;
	default:
		*name = "CUDA_ERROR_UNKNOWN";
	}
	return FAKE_SUCCESS;
}
