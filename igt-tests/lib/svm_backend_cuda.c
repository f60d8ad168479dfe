// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * The CUDA backend of svm_backend.h: NVIDIA's GPU reaching process memory
 * through HMM (the open kernel modules' UVM mirrors the address space with
 * hmm_range_fault(), r535 and later), driven through the CUDA driver API.
 *
 * The driver, libcuda.so.1, is loaded with dlopen() when the backend
 * opens, so that a binary built where nvcc exists runs, and skips with the
 * reason, where there is no NVIDIA driver. The kernels are
 * svm_kernels.cu, built by nvcc into a fatbin for sm_75 (Turing, the
 * oldest generation with HMM) to sm_90 plus PTX for newer GPUs, linked in
 * as svm_kernels_fatbin[].
 *
 * What CUDA reports of a job is less than neuf does: a kernel's access
 * the process's page tables refuse ends it with CUDA_ERROR_ILLEGAL_ADDRESS,
 * without the address or the access, and the error is sticky: the context
 * is unusable afterwards. The backend then resets the device's primary
 * context and loads its kernels again before the failed batch returns, and
 * counts it in svm_backend.recoveries: whatever the new context maps in
 * the process is there when the caller looks at its address space next.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cuda.h>

#include "svm_backend.h"

/* The fatbin of svm_kernels.cu (svm_kernels_fatbin.S). */
extern const unsigned char svm_kernels_fatbin[];

#define BLOCK 256

static const char *const kernel_name[SVM_NUM_KERNELS] = {
	[SVM_FILL] = "svm_fill",
	[SVM_COPY] = "svm_copy",
	[SVM_RMW] = "svm_rmw",
	[SVM_ATOMIC_INC] = "svm_atomic_inc",
	[SVM_FILL_STRIDED] = "svm_fill_strided",
	[SVM_RMW_STRIDED] = "svm_rmw_strided",
	[SVM_READ_STRIDED] = "svm_read_strided",
	[SVM_VADD] = "svm_vadd",
	[SVM_WALK_LIST] = "svm_walk_list",
	[SVM_ATOMIC_ADD] = "svm_atomic_add",
	[SVM_CAS_INC] = "svm_cas_inc",
	[SVM_TIMED_STORE] = "svm_timed_store",
	[SVM_TIMER_STEP] = "svm_timer_step",
};

/*
 * The driver API entry points, by the names libcuda.so.1 exports them
 * under (cuda.h maps some to versioned names with macros).
 */
struct cuda_api {
	void *lib;
	__typeof__(&cuInit) init;
	__typeof__(&cuDriverGetVersion) driver_get_version;
	__typeof__(&cuDeviceGetCount) device_get_count;
	__typeof__(&cuDeviceGet) device_get;
	__typeof__(&cuDeviceGetName) device_get_name;
	__typeof__(&cuDeviceGetAttribute) device_get_attribute;
	__typeof__(&cuDevicePrimaryCtxRetain) device_primary_ctx_retain;
	__typeof__(&cuDevicePrimaryCtxRelease) device_primary_ctx_release;
	__typeof__(&cuDevicePrimaryCtxReset) device_primary_ctx_reset;
	__typeof__(&cuCtxSetCurrent) ctx_set_current;
	__typeof__(&cuCtxSynchronize) ctx_synchronize;
	__typeof__(&cuModuleLoadData) module_load_data;
	__typeof__(&cuModuleUnload) module_unload;
	__typeof__(&cuModuleGetFunction) module_get_function;
	__typeof__(&cuLaunchKernel) launch_kernel;
	__typeof__(&cuGetErrorName) get_error_name;
};

struct cuda_backend {
	struct cuda_api api;
	CUdevice dev;
	CUcontext ctx;		/* the primary context, retained */
	CUmodule mod;		/* its kernels; NULL once lost */
	CUfunction fn[SVM_NUM_KERNELS];
	pid_t pid;		/* the process that opened it */
	bool lost;		/* no new context after a sticky fault */
};

static const struct {
	const char *name;
	size_t offset;
} cuda_symbols[] = {
#define SYM(field, symbol) { symbol, offsetof(struct cuda_api, field) }
	SYM(init, "cuInit"),
	SYM(driver_get_version, "cuDriverGetVersion"),
	SYM(device_get_count, "cuDeviceGetCount"),
	SYM(device_get, "cuDeviceGet"),
	SYM(device_get_name, "cuDeviceGetName"),
	SYM(device_get_attribute, "cuDeviceGetAttribute"),
	SYM(device_primary_ctx_retain, "cuDevicePrimaryCtxRetain"),
	SYM(device_primary_ctx_release, "cuDevicePrimaryCtxRelease_v2"),
	SYM(device_primary_ctx_reset, "cuDevicePrimaryCtxReset_v2"),
	SYM(ctx_set_current, "cuCtxSetCurrent"),
	SYM(ctx_synchronize, "cuCtxSynchronize"),
	SYM(module_load_data, "cuModuleLoadData"),
	SYM(module_unload, "cuModuleUnload"),
	SYM(module_get_function, "cuModuleGetFunction"),
	SYM(launch_kernel, "cuLaunchKernel"),
	SYM(get_error_name, "cuGetErrorName"),
#undef SYM
};

static struct cuda_backend *priv(struct svm_backend *b)
{
	return b->priv;
}

static const char *cu_name(const struct cuda_api *api, CUresult r)
{
	const char *name = NULL;

	if (api->get_error_name && api->get_error_name(r, &name) == CUDA_SUCCESS &&
	    name)
		return name;
	return "unknown CUDA error";
}

/* The errno a job's CUDA error stands for. */
static int cu_errno(CUresult r)
{
	switch (r) {
	case CUDA_SUCCESS:
		return 0;
	case CUDA_ERROR_ILLEGAL_ADDRESS:
		return -EFAULT;
	case CUDA_ERROR_LAUNCH_TIMEOUT:
		return -ETIMEDOUT;
	case CUDA_ERROR_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

static int load_api(struct cuda_api *api, char *why, size_t size)
{
	const char *path = getenv("NEUF_LIBCUDA");

	if (!path || !*path)
		path = "libcuda.so.1";
	/*
	 * Never unmapped: the driver's threads and exit handlers outlive
	 * the backend (dlclose() only drops the reference).
	 */
	api->lib = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!api->lib) {
		snprintf(why, size, "no NVIDIA driver: %s", dlerror());
		return -ENOENT;
	}
	for (size_t i = 0; i < sizeof(cuda_symbols) / sizeof(*cuda_symbols); i++) {
		void *sym = dlsym(api->lib, cuda_symbols[i].name);

		if (!sym) {
			snprintf(why, size, "%s has no %s: a driver older than "
				 "CUDA 12?", path, cuda_symbols[i].name);
			return -ENOENT;
		}
		memcpy((char *)api + cuda_symbols[i].offset, &sym, sizeof(sym));
	}
	return 0;
}

/* A line of a small file, or "" when it cannot be read. */
static void read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (!f)
		return;
	if (!fgets(buf, (int)size, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/*
 * Opens a kernel .config at @path for reading, through gzip when it ends
 * in ".gz" (/proc/config.gz); *@piped says it wants pclose().
 */
static FILE *open_config(const char *path, bool *piped)
{
	size_t len = strlen(path);
	char cmd[340];

	*piped = len > 3 && !strcmp(path + len - 3, ".gz");
	if (!*piped)
		return fopen(path, "re");
	if (strchr(path, '\'') || access(path, R_OK) ||
	    snprintf(cmd, sizeof(cmd), "gzip -dc '%s' 2>/dev/null", path) >=
	    (int)sizeof(cmd))
		return NULL;
	return popen(cmd, "re");
}

/*
 * Whether the running kernel's .config ($NEUF_KERNEL_CONFIG, else
 * /boot/config-$(uname -r), else /proc/config.gz) has @opt=y: 1, 0, or -1
 * when none can be read.
 */
static int kernel_has(const char *opt)
{
	const char *config = getenv("NEUF_KERNEL_CONFIG");
	const char *paths[2] = { config, NULL };
	char boot[300], line[256];
	size_t len = strlen(opt);
	struct utsname u;

	if (!config || !*config) {
		if (uname(&u))
			return -1;
		snprintf(boot, sizeof(boot), "/boot/config-%s", u.release);
		paths[0] = boot;
		paths[1] = "/proc/config.gz";
	}
	for (int i = 0; i < 2 && paths[i]; i++) {
		unsigned int lines = 0;
		int found = 0, status;
		bool piped;
		FILE *f = open_config(paths[i], &piped);

		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			lines++;
			if (!strncmp(line, opt, len) && line[len] == '=' &&
			    line[len + 1] == 'y')
				found = 1;
		}
		status = piped ? pclose(f) : fclose(f);
		/* An empty file or a failed gzip says nothing either way. */
		if (lines && !status)
			return found;
	}
	return -1;
}

/*
 * Why the driver says the GPU cannot access pageable memory: the reason
 * a skip gives, as precise as the system lets us say.
 */
static void explain_no_hmm(char *why, size_t size, const char *gpu)
{
	char version[256], disable[16];
	int hmm = kernel_has("CONFIG_HMM_MIRROR");
	int dp = kernel_has("CONFIG_DEVICE_PRIVATE");

	read_line("/proc/driver/nvidia/version", version, sizeof(version));
	read_line("/sys/module/nvidia_uvm/parameters/uvm_disable_hmm", disable,
		  sizeof(disable));
	if (hmm == 0 || dp == 0)
		snprintf(why, size, "%s: no pageable memory access: the kernel "
			 "lacks %s", gpu, hmm == 0 ? "CONFIG_HMM_MIRROR" :
			 "CONFIG_DEVICE_PRIVATE");
	else if (version[0] && !strstr(version, "Open Kernel Module"))
		snprintf(why, size, "%s: no pageable memory access: HMM needs "
			 "NVIDIA's open kernel modules, this is \"%s\"", gpu,
			 version);
	else if (disable[0] == 'Y' || disable[0] == '1')
		snprintf(why, size, "%s: no pageable memory access: nvidia_uvm "
			 "was loaded with uvm_disable_hmm=1", gpu);
	else
		snprintf(why, size, "%s: no pageable memory access "
			 "(CU_DEVICE_ATTRIBUTE_PAGEABLE_MEMORY_ACCESS is 0: "
			 "a GPU older than Turing, nvidia_uvm not loaded, a "
			 "driver older than r535, or a sandbox such as gVisor "
			 "between the process and the driver)", gpu);
}

/* Loads the kernels into the current context. */
static CUresult load_kernels(struct cuda_backend *cb)
{
	CUresult r;

	r = cb->api.module_load_data(&cb->mod, svm_kernels_fatbin);
	if (r != CUDA_SUCCESS) {
		cb->mod = NULL;
		return r;
	}
	for (int k = 0; k < SVM_NUM_KERNELS; k++) {
		r = cb->api.module_get_function(&cb->fn[k], cb->mod,
					      kernel_name[k]);
		if (r != CUDA_SUCCESS) {
			cb->api.module_unload(cb->mod);
			cb->mod = NULL;
			return r;
		}
	}
	return CUDA_SUCCESS;
}

/*
 * After a sticky error: a new primary context, the kernels loaded in it.
 * Whatever the old context held is gone; the backend holds nothing but
 * its module.
 */
static CUresult recover(struct svm_backend *b)
{
	struct cuda_backend *cb = priv(b);
	CUresult r;

	if (cb->mod)
		cb->api.module_unload(cb->mod);	/* fails on a dead context */
	cb->mod = NULL;
	if (cb->ctx)
		cb->api.device_primary_ctx_release(cb->dev);
	cb->ctx = NULL;
	r = cb->api.device_primary_ctx_reset(cb->dev);
	if (r != CUDA_SUCCESS)
		return r;
	r = cb->api.device_primary_ctx_retain(&cb->ctx, cb->dev);
	if (r != CUDA_SUCCESS)
		return r;
	r = cb->api.ctx_set_current(cb->ctx);
	if (r != CUDA_SUCCESS)
		return r;
	b->recoveries++;
	return load_kernels(cb);
}

/*
 * After a failed batch: the next one runs in a new context, made now, so
 * that the caller sees its mappings before it runs anything else. Where
 * none can be made, every later batch fails with -ENOTRECOVERABLE.
 */
static void rebuild(struct svm_backend *b)
{
	struct cuda_backend *cb = priv(b);
	CUresult r;

	/*
	 * A child fork() made may not use CUDA: its context is its parent's,
	 * which it must not reset.
	 */
	if (getpid() != cb->pid) {
		cb->lost = true;
		return;
	}
	r = recover(b);
	if (r == CUDA_SUCCESS)
		return;
	/* CUDA documents a sticky error as the process's end: say so once. */
	fprintf(stderr, "cuda: no new context after a sticky fault: %s\n",
		cu_name(&cb->api, r));
	cb->lost = true;
}

static void cuda_backend_close(struct svm_backend *b)
{
	struct cuda_backend *cb = priv(b);

	if (!cb)
		return;
	if (cb->mod)
		cb->api.module_unload(cb->mod);
	if (cb->ctx)
		cb->api.device_primary_ctx_release(cb->dev);
	if (cb->api.lib)
		dlclose(cb->api.lib);
	free(cb);
	b->priv = NULL;
}

static int cuda_backend_open(struct svm_backend *b, char *why, size_t size)
{
	struct cuda_backend *cb = calloc(1, sizeof(*cb));
	int count = 0, pageable = 0, major = 0, minor = 0, host_pt = 0;
	int version = 0, ret;
	char gpu[96];
	CUresult r;

	if (!cb) {
		snprintf(why, size, "out of memory");
		return -ENOMEM;
	}
	b->priv = cb;
	cb->pid = getpid();
	ret = load_api(&cb->api, why, size);
	if (ret)
		goto fail;

	ret = -ENODEV;
	r = cb->api.init(0);
	if (r != CUDA_SUCCESS) {
		snprintf(why, size, "cuInit: %s (no NVIDIA GPU, or its driver "
			 "is not loaded)", cu_name(&cb->api, r));
		goto fail;
	}
	r = cb->api.device_get_count(&count);
	if (r != CUDA_SUCCESS || count < 1) {
		snprintf(why, size, "no NVIDIA GPU (cuDeviceGetCount: %s, %d)",
			 cu_name(&cb->api, r), count);
		goto fail;
	}
	r = cb->api.device_get(&cb->dev, 0);
	if (r == CUDA_SUCCESS)
		r = cb->api.device_get_name(gpu, sizeof(gpu), cb->dev);
	if (r == CUDA_SUCCESS)
		r = cb->api.device_get_attribute(&major,
				CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, cb->dev);
	if (r == CUDA_SUCCESS)
		r = cb->api.device_get_attribute(&minor,
				CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, cb->dev);
	if (r == CUDA_SUCCESS)
		r = cb->api.device_get_attribute(&pageable,
				CU_DEVICE_ATTRIBUTE_PAGEABLE_MEMORY_ACCESS, cb->dev);
	if (r == CUDA_SUCCESS)
		r = cb->api.device_get_attribute(&host_pt,
				CU_DEVICE_ATTRIBUTE_PAGEABLE_MEMORY_ACCESS_USES_HOST_PAGE_TABLES,
				cb->dev);
	if (r == CUDA_SUCCESS)
		r = cb->api.driver_get_version(&version);
	if (r != CUDA_SUCCESS) {
		snprintf(why, size, "querying NVIDIA GPU 0: %s",
			 cu_name(&cb->api, r));
		goto fail;
	}
	gpu[sizeof(gpu) - 1] = '\0';
	snprintf(b->device, sizeof(b->device), "%s (sm_%d%d, CUDA driver "
		 "%d.%d, %s)", gpu, major, minor, version / 1000,
		 version % 1000 / 10, host_pt ? "ATS" : "HMM");
	if (!pageable) {
		explain_no_hmm(why, size, b->device);
		ret = -EOPNOTSUPP;
		goto fail;
	}

	r = cb->api.device_primary_ctx_retain(&cb->ctx, cb->dev);
	if (r == CUDA_SUCCESS)
		r = cb->api.ctx_set_current(cb->ctx);
	if (r == CUDA_SUCCESS)
		r = load_kernels(cb);
	if (r != CUDA_SUCCESS) {
		snprintf(why, size, "%s: setting up a context and loading the "
			 "kernels: %s", b->device, cu_name(&cb->api, r));
		ret = -EIO;
		goto fail;
	}
	return 0;

fail:
	cuda_backend_close(b);
	return ret;
}

static int cuda_backend_run_batch(struct svm_backend *b,
				  const struct svm_dispatch *d,
				  unsigned int count, struct svm_result *res)
{
	struct cuda_backend *cb = priv(b);
	CUresult r = CUDA_SUCCESS, sync;
	unsigned int i;

	if (cb->lost)
		return -ENOTRECOVERABLE;
	for (i = 0; i < count; i++)
		if (d[i].kernel >= SVM_NUM_KERNELS)
			return -EINVAL;
	for (i = 0; i < count; i++) {
		uint32_t grid = d[i].grid;
		uint64_t a[4];
		void *params[] = { &grid, &a[0], &a[1], &a[2], &a[3] };

		memcpy(a, d[i].args, sizeof(a));
		if (!grid)
			continue;
		r = cb->api.launch_kernel(cb->fn[d[i].kernel],
					 (grid + BLOCK - 1) / BLOCK, 1, 1,
					 grid < BLOCK ? grid : BLOCK, 1, 1,
					 0, NULL, params, NULL);
		if (r != CUDA_SUCCESS)
			break;
	}
	/*
	 * Kernels on one stream run in order. A sticky error says that one
	 * of them failed, not which: every job of the batch gets it. After a
	 * refused launch too, wait for those launched before it: the caller
	 * may free their memory as soon as this returns.
	 */
	sync = cb->api.ctx_synchronize();
	if (r == CUDA_SUCCESS)
		r = sync;
	for (unsigned int j = 0; j < count; j++) {
		memset(&res[j], 0, sizeof(res[j]));
		res[j].error = cu_errno(r);
		if (r != CUDA_SUCCESS)
			snprintf(res[j].detail, sizeof(res[j].detail), "%s",
				 cu_name(&cb->api, r));
	}
	if (r == CUDA_SUCCESS)
		return 0;
	if (i < count && r == CUDA_ERROR_INVALID_VALUE)
		return -EINVAL;	/* refused at launch; the context is fine */
	/* Sticky or not, the next batch runs in a fresh context. */
	rebuild(b);
	return 0;
}

static const struct svm_backend_ops cuda_backend_ops = {
	.open = cuda_backend_open,
	.close = cuda_backend_close,
	.run_batch = cuda_backend_run_batch,
};

struct svm_backend *svm_backend_cuda(void)
{
	struct svm_backend *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->name = "cuda";
	b->caps = SVM_CAP_GPU_TIMER;
	b->ops = &cuda_backend_ops;
	/*
	 * The resource manager reports a channel's fault as an Xid ("NVRM: Xid
	 * (PCI:0000:01:00): 31, pid=..., MMU Fault: ...": 31 for an MMU fault,
	 * 13 for an exception an SM took, 43 for a channel stopped). It prints
	 * every line of its own through nv_printf() with KERN_CONT and no
	 * level, so they land at the kernel's default message level, warning
	 * on most systems: a level cannot tell them from a real warning, a
	 * pattern can.
	 */
	b->fault_log = "NVRM: Xid [(]";
	return b;
}
