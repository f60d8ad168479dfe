// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * Basic tests of the neuf device: discovery, identity, parameters, file
 * lifetime and module lifetime.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/sync_file.h>
#include <xf86drm.h>

#include "igt.h"
#include "libneuf.h"
#include "neuf_asm.h"
#include "neuf_igt.h"

#define NEUF_MODULE_NAME "neuf"
#define NEUF_VGPU_MODULE_NAME "neuf_vgpu"
#define NEUF_VGPU_KO "vgpu/neuf_vgpu.ko"
#define NEUF_DRIVER_SYSFS "/sys/bus/platform/drivers/neuf"
#define NEUF_MAX_GPUS 8

static struct neuf_device *open_neuf(void)
{
	struct neuf_device *dev = NULL;
	int ret;

	ret = neuf_device_open(0, &dev);
	igt_assert_f(ret == 0, "no neuf device: %s\n", strerror(-ret));
	return dev;
}

static int getparam_raw(int fd, struct drm_neuf_getparam *args)
{
	return ioctl(fd, DRM_IOCTL_NEUF_GETPARAM, args) ? -errno : 0;
}

static void check_param(uint32_t param, uint64_t value)
{
	switch (param) {
	case NEUF_PARAM_CHIP_ID:
		igt_assert_eq_u64(value, 0x4e455546);
		break;
	case NEUF_PARAM_CHIP_REVISION:
		igt_assert_eq_u64(value >> 16, 1);
		break;
	case NEUF_PARAM_NUM_ENGINES:
		/* The hardware has at least two concurrent compute engines. */
		igt_assert_lte_u64(2, value);
		igt_assert_lte_u64(value, 64);
		break;
	case NEUF_PARAM_VA_BITS:
		/* GPU VA == CPU VA: must cover x86-64's 47-bit user space. */
		igt_assert_lte_u64(47, value);
		igt_assert_lte_u64(value, 64);
		break;
	case NEUF_PARAM_PAGE_SIZES:
		igt_assert_f(value & 4096, "4K pages missing: %#" PRIx64 "\n",
			     value);
		igt_assert_eq_u64(value & 4095, 0);
		break;
	case NEUF_PARAM_FAULT_BUFFER_ENTRIES:
		igt_assert_neq_u64(value, 0);
		igt_assert_eq_u64(value & (value - 1), 0);
		break;
	case NEUF_PARAM_MAX_VMS:
		igt_assert_lte_u64(1, value);
		igt_assert_lte_u64(value, 4096);
		break;
	case NEUF_PARAM_VRAM_SIZE:
		/* 0 without device memory; else whole 2 MiB blocks. */
		igt_assert_eq_u64(value % (2ull << 20), 0);
		break;
	default:
		igt_assert_f(false, "untested param %u\n", param);
	}
}

static bool module_loaded(const char *name)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return stat(path, &st) == 0;
}

static int module_unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

static int module_load_file(const char *path, const char *params)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0) ?
	      -errno : 0;
	close(fd);
	return ret;
}

/* neuf.ko, with the parameters the harness loaded it with. */
static int module_load(void)
{
	const char *path = getenv("NEUF_MODULE");

	if (!path)
		return -ENOENT;
	return module_load_file(path, getenv("NEUF_MODULE_PARAMS"));
}

/*
 * The virtual GPU's module, vgpu/neuf_vgpu.ko beside neuf.ko, with the
 * parameters the harness loaded it with (NEUF_VGPU_PARAMS) and @params.
 */
static int vgpu_load(const char *params)
{
	const char *neuf = getenv("NEUF_MODULE");
	const char *slash = neuf ? strrchr(neuf, '/') : NULL;
	const char *base = getenv("NEUF_VGPU_PARAMS");
	char path[PATH_MAX], all[256];

	if (!neuf)
		return -ENOENT;
	if (snprintf(path, sizeof(path), "%.*s" NEUF_VGPU_KO,
		     slash ? (int)(slash - neuf + 1) : 0, neuf) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	if (snprintf(all, sizeof(all), "%s %s", base ? base : "",
		     params ? params : "") >= (int)sizeof(all))
		return -ENAMETOOLONG;
	return module_load_file(path, all);
}

static int sysfs_write(const char *path, const char *value)
{
	ssize_t n;
	int fd, ret;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	ret = n < 0 ? -errno : 0;
	close(fd);
	return ret;
}

/* Unbind or bind neuf from a GPU function ("neuf.0") through sysfs. */
static int driver_unbind(const char *gpu)
{
	return sysfs_write(NEUF_DRIVER_SYSFS "/unbind", gpu);
}

static int driver_bind(const char *gpu)
{
	return sysfs_write(NEUF_DRIVER_SYSFS "/bind", gpu);
}

static bool driver_bound(const char *gpu)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), NEUF_DRIVER_SYSFS "/%s", gpu);
	return stat(path, &st) == 0;
}

/*
 * Leave both modules loaded, with their defaults, and every GPU bound,
 * whatever a subtest did.
 */
static void reload_module_on_exit(int sig)
{
	(void)sig;
	sysfs_write("/sys/module/neuf/parameters/leak_dma_mapping", "0");
	if (!module_loaded(NEUF_VGPU_MODULE_NAME))
		vgpu_load(NULL);
	if (!module_loaded(NEUF_MODULE_NAME))
		module_load();
	for (int i = 0; i < NEUF_MAX_GPUS; i++) {
		char gpu[32], path[64];
		struct stat st;

		snprintf(gpu, sizeof(gpu), "neuf.%d", i);
		snprintf(path, sizeof(path), "/sys/bus/platform/devices/%s", gpu);
		if (stat(path, &st) == 0 && !driver_bound(gpu))
			driver_bind(gpu);
	}
}

static void require_module_control(void)
{
	igt_require_f(getenv("NEUF_MODULE"),
		      "NEUF_MODULE must name the neuf.ko to reload, with "
		      NEUF_VGPU_KO " beside it (NEUF_MODULE_PARAMS: its "
		      "parameters)\n");
	igt_require(geteuid() == 0);
	igt_require(module_loaded(NEUF_MODULE_NAME));
	igt_require(module_loaded(NEUF_VGPU_MODULE_NAME));
	igt_install_exit_handler(reload_module_on_exit);
}

/* Run a one-wave shader that stores its ids, on a fresh SVM VM of @d. */
static void check_device_runs(struct neuf_device *d)
{
	static const char store[] =
		"	sreg r1, global_id\n"
		"	sreg r2, arg0\n"
		"	shli r3, r1, 2\n"
		"	add r2, r2, r3\n"
		"	st32 [r2], r1\n"
		"	halt\n";
	struct drm_neuf_job_status st = {};
	struct neuf_dispatch disp = {
		.grid_size = 32,
		.group_size = 32,
	};
	struct neuf_asm_program prog;
	uint32_t buf[32] = {}, vm;
	char err[128];

	igt_assert_eq(neuf_assemble(store, &prog, err, sizeof(err)), 0);
	disp.code = (uintptr_t)prog.code;
	disp.args[0] = (uintptr_t)buf;

	igt_assert_eq(neuf_vm_create(d, NEUF_VM_CREATE_SVM, &vm), 0);
	igt_assert_eq(neuf_run(d, vm, &disp, 10 * NEUF_IGT_NSEC_PER_SEC, &st), 0);
	igt_assert_eq(st.error, 0);
	for (int i = 0; i < 32; i++)
		igt_assert_eq_u32(buf[i], i);
	igt_assert_eq(neuf_vm_destroy(d, vm), 0);
	neuf_asm_program_free(&prog);
}

/* Every lane stores 1 at arg0, then spins until the job is stopped. */
static const char spin_forever_src[] =
	"	sreg r2, arg0\n"
	"	li r1, 1\n"
	"	st32 [r2], r1\n"
	"spin:	bnz r1, spin\n"
	"	halt\n";

/* Every lane stores 1 at arg0 + 4096 * global_id: one fault per page. */
static const char touch_pages_src[] =
	"	sreg r1, global_id\n"
	"	sreg r2, arg0\n"
	"	shli r3, r1, 12\n"
	"	add r2, r2, r3\n"
	"	li r4, 1\n"
	"	st32 [r2], r4\n"
	"	halt\n";

/* Submit a dispatch whose end a sync_file reports; returns its fd. */
static int exec_with_sync_file(struct neuf_device *d, uint32_t vm,
			       struct neuf_dispatch *disp)
{
	int fd = neuf_device_fd(d), sync_fd = -1;
	uint32_t out;

	igt_assert_eq(drmSyncobjCreate(fd, 0, &out), 0);
	disp->out_syncobj = out;
	igt_assert_eq(neuf_exec(d, vm, disp, NULL), 0);
	igt_assert_eq(drmSyncobjExportSyncFile(fd, out, &sync_fd), 0);
	igt_assert_eq(drmSyncobjDestroy(fd, out), 0);
	return sync_fd;
}

/* Has a sync_file signalled yet? */
static bool sync_file_signaled(int sync_fd)
{
	struct pollfd p = { .fd = sync_fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

/* Wait for a sync_file to signal; return its status (1, or an errno). */
static int sync_file_status(int sync_fd)
{
	struct sync_file_info info = {};
	struct pollfd p = { .fd = sync_fd, .events = POLLIN };

	igt_assert_eq(poll(&p, 1, 30 * 1000), 1);
	igt_assert_eq(ioctl(sync_fd, SYNC_IOC_FILE_INFO, &info), 0);
	return info.status;
}

/* Every ioctl of a device that was unplugged fails with ENODEV. */
static void check_unplugged(struct neuf_device *d, uint32_t vm)
{
	struct drm_neuf_job_status st = {};
	struct neuf_dispatch disp = { .grid_size = 1, .group_size = 1 };
	uint64_t value;
	uint32_t h;

	igt_assert_eq(neuf_getparam(d, NEUF_PARAM_CHIP_ID, &value), -ENODEV);
	igt_assert_eq(neuf_vm_create(d, NEUF_VM_CREATE_SVM, &h), -ENODEV);
	igt_assert_eq(neuf_exec(d, vm, &disp, NULL), -ENODEV);
	igt_assert_eq(neuf_job_status(d, vm, 1, &st), -ENODEV);
	igt_assert_eq(drmSyncobjCreate(neuf_device_fd(d), 0, &h), -1);
	igt_assert_eq(errno, ENODEV);
	igt_assert_eq(neuf_vm_destroy(d, vm), -ENODEV);
}

#define NEUF_LEAK_PARAM "/sys/module/neuf/parameters/leak_dma_mapping"

static long dma_debug_errors(void)
{
	long n = -1;
	FILE *f = fopen(NEUF_IGT_DMA_API_DEBUGFS "/error_count", "re");

	igt_assert(f);
	igt_assert_eq(fscanf(f, "%ld", &n), 1);
	fclose(f);
	return n;
}

/*
 * Every lane adds 1 arg1 times to the u32 at arg0 + 4 * (global_id % 8):
 * eight counters, eight lanes on each.
 */
static const char atomic_loop_src[] =
	"	sreg r1, global_id\n"
	"	sreg r2, arg0\n"
	"	sreg r3, arg1\n"
	"	andi r4, r1, 7\n"
	"	shli r4, r4, 2\n"
	"	add r4, r2, r4\n"
	"	li r5, 1\n"
	"	li r6, 0\n"
	"loop:	atom.add32 r0, [r4], r5\n"
	"	addi r6, r6, 1\n"
	"	b.lt r6, r3, loop\n"
	"	halt\n";

#define ATOMIC_COUNTERS 8
#define ATOMIC_LANES 64
#define ATOMIC_GPU_ITERS 40

struct cpu_adder {
	uint32_t *counters;
	int stop;
	unsigned long adds;
};

/*
 * CPU side of atomics-*: atomic adds, interleaved with the GPU's, for as
 * long as the GPU's job runs (and at least once).
 */
static void *cpu_adder_thread(void *arg)
{
	struct cpu_adder *a = arg;

	do {
		__atomic_fetch_add(&a->counters[a->adds % ATOMIC_COUNTERS], 1,
				   __ATOMIC_SEQ_CST);
		a->adds++;
	} while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE));
	return NULL;
}

/*
 * GPU and CPU atomics on the same counters of a private anonymous buffer,
 * backed by a transparent huge page or not: the totals must be exact.
 */
static void check_atomics_interleaved(struct neuf_device *d, bool thp)
{
	const size_t len = 2ul << 20;
	uint64_t *code = neuf_igt_assemble(atomic_loop_src);
	struct drm_neuf_job_status st = {};
	struct neuf_dispatch disp = {
		.code = (uintptr_t)code,
		.grid_size = ATOMIC_LANES,
		.group_size = ATOMIC_LANES,
	};
	struct cpu_adder adder = {};
	uint8_t *area, *buf;
	uint32_t *counters;
	uint64_t total = 0;
	pthread_t thread;
	uint32_t vm;

	area = mmap(NULL, 2 * len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	igt_assert(area != MAP_FAILED);
	buf = (uint8_t *)(((uintptr_t)area + len - 1) & ~(len - 1));
	igt_assert_eq(madvise(buf, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE),
		      0);
	memset(buf, 0, len);

	/*
	 * Not in the first page: 6.12 makes a THP's head page exclusive, not
	 * its tail pages (the driver then moves the THP to VRAM).
	 */
	counters = (uint32_t *)(buf + 65536);
	disp.args[0] = (uintptr_t)counters;
	disp.args[1] = ATOMIC_GPU_ITERS;

	igt_assert_eq(neuf_vm_create(d, NEUF_VM_CREATE_SVM, &vm), 0);
	adder.counters = counters;
	igt_assert_eq(pthread_create(&thread, NULL, cpu_adder_thread, &adder),
		      0);
	igt_assert_eq(neuf_run(d, vm, &disp, NEUF_IGT_JOB_TIMEOUT_NS, &st), 0);
	__atomic_store_n(&adder.stop, 1, __ATOMIC_RELEASE);
	igt_assert_eq(pthread_join(thread, NULL), 0);
	igt_assert_f(st.error == 0, "the atomic job ended with %s at %#llx\n",
		     neuf_igt_errno_name(st.error),
		     (unsigned long long)st.fault_addr);
	for (int i = 0; i < ATOMIC_COUNTERS; i++)
		total += counters[i];
	igt_assert_eq_u64(total, (uint64_t)ATOMIC_LANES * ATOMIC_GPU_ITERS +
			  adder.adds);
	igt_assert_eq(neuf_vm_destroy(d, vm), 0);
	munmap(area, 2 * len);
	free(code);
}

/* buf[i] += arg1 */
static const char add_src[] =
	"	sreg r1, global_id\n"
	"	sreg r2, arg0\n"
	"	sreg r3, arg1\n"
	"	shli r4, r1, 2\n"
	"	add r4, r2, r4\n"
	"	ld32 r5, [r4]\n"
	"	add r5, r5, r3\n"
	"	st32 [r4], r5\n"
	"	halt\n";

/* Runs buf[i] += add over @n words on (@d, @vm); the job must succeed. */
static void gpu_add_on(struct neuf_device *d, uint32_t vm, uint32_t *buf,
		       size_t n, uint32_t add)
{
	uint64_t *code = neuf_igt_assemble(add_src);
	struct drm_neuf_job_status st = {};
	struct neuf_dispatch disp = {
		.code = (uintptr_t)code,
		.grid_size = n,
		.group_size = 64,
		.args = { (uintptr_t)buf, add },
	};

	igt_assert_eq(neuf_run(d, vm, &disp, NEUF_IGT_JOB_TIMEOUT_NS, &st), 0);
	igt_assert_f(st.error == 0, "job ended with %s at %#llx\n",
		     neuf_igt_errno_name(st.error),
		     (unsigned long long)st.fault_addr);
	free(code);
}

/* Migrate [@p, @p + @len) of @vm's process to @d's VRAM; all must move. */
static void prefetch_vram(struct neuf_device *d, uint32_t vm, void *p,
			  size_t len)
{
	struct drm_neuf_svm_attr a = {
		.vm_id = vm, .op = NEUF_SVM_OP_PREFETCH,
		.start = (uintptr_t)p, .size = len,
		.location = NEUF_SVM_LOC_VRAM,
	};

	igt_assert_eq(neuf_svm_attr(d, &a), 0);
	igt_assert_eq_u64(a.migrated, len / 4096);
}

/* Pages of [@p, @p + @len) in @d's VRAM. */
static uint64_t pages_in_vram(struct neuf_device *d, uint32_t vm, void *p,
			      size_t len)
{
	struct drm_neuf_svm_attr a = {
		.vm_id = vm, .op = NEUF_SVM_OP_GET,
		.start = (uintptr_t)p, .size = len,
	};

	igt_assert_eq(neuf_svm_attr(d, &a), 0);
	return a.pages_vram;
}

/* A counter of the device's neuf_device_memory debugfs file. */
static long long dmem_counter(const char *key)
{
	char *text = neuf_igt_read_debugfs("neuf_device_memory"), *at;
	char match[64];
	long long v = -1;

	snprintf(match, sizeof(match), "\n%s ", key);
	at = strstr(text, match);
	igt_assert_f(at && sscanf(at + strlen(match), "%lld", &v) == 1,
		     "%s not in neuf_device_memory:\n%s", key, text);
	free(text);
	return v;
}

/* Static: it must keep its value when a subtest is left by siglongjmp. */
static struct neuf_device *dev;

/*
 * Reload both modules, the virtual GPU with @vgpu_params (NULL: the
 * harness's), and reopen the shared device.
 */
static void reload_modules(const char *vgpu_params)
{
	if (dev)
		neuf_device_close(dev);
	dev = NULL;
	igt_assert_eq(module_unload(NEUF_MODULE_NAME), 0);
	igt_assert_eq(module_unload(NEUF_VGPU_MODULE_NAME), 0);
	igt_assert_eq(vgpu_load(vgpu_params), 0);
	igt_assert_eq(module_load(), 0);
	dev = open_neuf();
}

/* Close the shared device, noting which GPU it was ("neuf.0"). */
static void release_dev(char *gpu, size_t len)
{
	neuf_igt_gpu_name(dev, gpu, len);
	neuf_device_close(dev);
	dev = NULL;
}

/* Bind neuf to @gpu again and check that it runs a shader. */
static void rebind_and_check(const char *gpu)
{
	igt_assert_eq(driver_bind(gpu), 0);
	dev = open_neuf();
	check_device_runs(dev);
}

int igt_main()
{

	igt_fixture() {
		igt_require_f(neuf_device_count() > 0, "no neuf device\n");
		dev = open_neuf();
	}

	igt_describe("drmGetDevices2() lists a device driven by neuf, with a "
		     "render node.");
	igt_subtest("device-discovery") {
		drmDevicePtr devices[64];
		int count, found = 0;

		count = drmGetDevices2(0, devices, 64);
		igt_assert_lt(0, count);
		for (int i = 0; i < count; i++) {
			drmVersionPtr v;
			const char *node;
			int fd;

			if (!(devices[i]->available_nodes & (1 << DRM_NODE_RENDER)))
				continue;
			node = devices[i]->nodes[DRM_NODE_RENDER];
			fd = open(node, O_RDWR | O_CLOEXEC);
			if (fd < 0)
				continue;
			v = drmGetVersion(fd);

			if (v && strcmp(v->name, "neuf") == 0) {
				found++;
				igt_info("neuf render node: %s\n", node);
				igt_assert(strncmp(node, "/dev/dri/renderD", 16) == 0);
			}
			drmFreeVersion(v);
			close(fd);
		}
		drmFreeDevices(devices, count);
		igt_assert_lt(0, found);
		igt_assert_eq(found, neuf_device_count());
		igt_assert(strncmp(neuf_device_node(dev), "/dev/dri/renderD",
				   16) == 0);
	}

	igt_describe("DRM_IOCTL_VERSION names the driver neuf.");
	igt_subtest("version") {
		drmVersionPtr v = drmGetVersion(neuf_device_fd(dev));

		igt_assert(v);
		igt_assert_eq(strcmp(v->name, "neuf"), 0);
		igt_assert_lt(0, v->desc_len);
		igt_assert_eq(v->version_major, 0);
		igt_info("%s %d.%d.%d: %s\n", v->name, v->version_major,
			 v->version_minor, v->version_patchlevel, v->desc);
		drmFreeVersion(v);
	}

	igt_describe("Every known parameter reads back a value the hardware "
		     "specification allows.");
	igt_subtest_with_dynamic("getparam-valid") {
		for (uint32_t p = NEUF_PARAM_FIRST; p <= NEUF_PARAM_LAST; p++) {
			igt_dynamic(neuf_param_name(p)) {
				uint64_t value = 0;

				igt_assert_eq(neuf_getparam(dev, p, &value), 0);
				igt_info("%s = %#" PRIx64 "\n",
					 neuf_param_name(p), value);
				check_param(p, value);
			}
		}
	}

	igt_describe("An unknown parameter id fails with EINVAL and the "
		     "argument comes back untouched.");
	igt_subtest("getparam-unknown") {
		const uint32_t bad[] = { 0, NEUF_PARAM_LAST + 1, 0x80000000u,
					 UINT32_MAX };

		for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
			struct drm_neuf_getparam args = {
				.param = bad[i],
				.value = 0xdeadbeefcafeull,
			};

			igt_assert_eq(getparam_raw(neuf_device_fd(dev), &args),
				      -EINVAL);
			igt_assert_eq_u32(args.param, bad[i]);
			igt_assert_eq_u64(args.value, 0xdeadbeefcafeull);
		}
	}

	igt_describe("Non-zero padding fails with EINVAL, even for a valid "
		     "parameter, and changes nothing.");
	igt_subtest("getparam-reserved") {
		for (uint32_t bit = 0; bit < 32; bit++) {
			struct drm_neuf_getparam args = {
				.param = NEUF_PARAM_CHIP_ID,
				.pad = 1u << bit,
				.value = 0x1234,
			};

			igt_assert_eq(getparam_raw(neuf_device_fd(dev), &args),
				      -EINVAL);
			igt_assert_eq_u64(args.value, 0x1234);
		}
	}

	igt_describe("A bad argument pointer fails with EFAULT.");
	igt_subtest("getparam-bad-pointer") {
		igt_assert_eq(ioctl(neuf_device_fd(dev),
				    DRM_IOCTL_NEUF_GETPARAM, NULL), -1);
		igt_assert_eq(errno, EFAULT);
		igt_assert_eq(ioctl(neuf_device_fd(dev),
				    DRM_IOCTL_NEUF_GETPARAM,
				    (void *)0xffff800000000000ull), -1);
		igt_assert_eq(errno, EFAULT);
	}

	igt_describe("Opening and closing the render node many times works "
		     "every time.");
	igt_subtest("open-close-cycles") {
		for (int i = 0; i < 500; i++) {
			struct neuf_device *d = NULL;
			uint64_t id = 0;
			int fd;

			fd = open(neuf_device_node(dev), O_RDWR | O_CLOEXEC);
			igt_assert_fd(fd);
			igt_assert_eq(neuf_device_open_fd(fd, &d), 0);
			igt_assert_eq(neuf_getparam(d, NEUF_PARAM_CHIP_ID, &id), 0);
			igt_assert_eq_u64(id, 0x4e455546);
			neuf_device_close(d);
		}
	}

	igt_describe("Two fds on the device work at once and independently.");
	igt_subtest("two-fds") {
		struct neuf_device *a = open_neuf(), *b = open_neuf();
		uint64_t va = 0, vb = 0;

		igt_assert_neq(neuf_device_fd(a), neuf_device_fd(b));
		igt_assert_eq(neuf_getparam(a, NEUF_PARAM_NUM_ENGINES, &va), 0);
		igt_assert_eq(neuf_getparam(b, NEUF_PARAM_NUM_ENGINES, &vb), 0);
		igt_assert_eq_u64(va, vb);
		neuf_device_close(a);
		igt_assert_eq(neuf_getparam(b, NEUF_PARAM_VA_BITS, &vb), 0);
		neuf_device_close(b);
	}

	igt_describe("IGT's lsgpu lists the neuf device.");
	igt_subtest("lsgpu") {
		char line[512];
		bool found = false;
		FILE *p;

		igt_require_f(system("command -v lsgpu >/dev/null 2>&1") == 0,
			      "lsgpu (intel-gpu-tools) is not installed\n");
		p = popen("lsgpu -p 2>&1", "r");
		igt_assert(p);
		while (fgets(line, sizeof(line), p)) {
			igt_debug("lsgpu: %s", line);
			if (strstr(line, "/devices/platform/neuf-vgpu.") &&
			    strstr(line, "/drm/") &&
			    strstr(line, strrchr(neuf_device_node(dev), '/') + 1))
				found = true;
		}
		igt_assert_eq(pclose(p), 0);
		igt_assert_f(found, "lsgpu did not list %s\n",
			     neuf_device_node(dev));
	}

	igt_describe("The chip's register window is a regmap: its debugfs "
		     "dump shows the identification and capability "
		     "registers with the values GETPARAM reports.");
	igt_subtest("vgpu-register-dump") {
		char chip[32], path[128], line[64];
		uint64_t engines = 0;
		bool id = false, eng = false;
		FILE *f;

		igt_require(geteuid() == 0);
		neuf_igt_chip_name(dev, chip, sizeof(chip));
		igt_assert(strncmp(chip, "neuf-vgpu.", 10) == 0);
		snprintf(path, sizeof(path),
			 "/sys/kernel/debug/regmap/%s-regs/registers", chip);
		igt_require_f(access("/sys/kernel/debug/regmap", F_OK) == 0,
			      "no regmap debugfs (CONFIG_DEBUG_FS, debugfs "
			      "mounted)\n");
		igt_assert_eq(neuf_getparam(dev, NEUF_PARAM_NUM_ENGINES,
					    &engines), 0);
		f = fopen(path, "re");
		igt_assert_f(f, "%s: %s\n", path, strerror(errno));
		while (fgets(line, sizeof(line), f)) {
			unsigned int reg, value;

			if (sscanf(line, "%x: %x", &reg, &value) != 2)
				continue;
			if (reg == 0x0000)	/* NEUF_REG_ID */
				id = value == 0x4e455546;
			if (reg == 0x0008)	/* NEUF_REG_ENGINES */
				eng = value == engines;
		}
		fclose(f);
		igt_assert_f(id, "ID register missing or wrong in %s\n", path);
		igt_assert_f(eng, "ENGINES register missing or not %llu\n",
			     (unsigned long long)engines);
	}

	igt_describe("The module cannot be unloaded while an fd is open, "
		     "unloads cleanly once it is closed, and loads again.");
	igt_subtest("module-unload-busy") {
		struct neuf_device *d;
		uint64_t id = 0;

		require_module_control();
		neuf_device_close(dev);
		dev = NULL;

		d = open_neuf();
		igt_assert_eq(module_unload(NEUF_MODULE_NAME), -EWOULDBLOCK);
		igt_assert(module_loaded(NEUF_MODULE_NAME));
		igt_assert_eq(neuf_getparam(d, NEUF_PARAM_CHIP_ID, &id), 0);
		neuf_device_close(d);

		igt_assert_eq(module_unload(NEUF_MODULE_NAME), 0);
		igt_assert(!module_loaded(NEUF_MODULE_NAME));
		igt_assert_eq(neuf_device_count(), 0);

		igt_assert_eq(module_load(), 0);
		dev = open_neuf();
	}

	igt_describe("Unloading and loading the module repeatedly leaves a "
		     "working device each time.");
	igt_subtest("module-reload") {
		require_module_control();
		neuf_device_close(dev);
		dev = NULL;

		for (int i = 0; i < 10; i++) {
			uint64_t id = 0;

			igt_assert_eq(module_unload(NEUF_MODULE_NAME), 0);
			igt_assert_eq(neuf_device_count(), 0);
			igt_assert_eq(module_load(), 0);
			dev = open_neuf();
			igt_assert_eq(neuf_getparam(dev, NEUF_PARAM_CHIP_ID, &id), 0);
			neuf_device_close(dev);
			dev = NULL;
		}
		dev = open_neuf();
	}

	igt_describe("Closing the fd with jobs still running and unloading the "
		     "module at once: the unload waits for the jobs, and "
		     "everything is freed (kmemleak, the splat check).");
	igt_subtest("module-unload-jobs-in-flight") {
		static const char spin[] =
			"	li r1, 20000\n"
			"loop:	addi r1, r1, -1\n"
			"	bnz r1, loop\n"
			"	halt\n";
		struct neuf_asm_program prog;
		char err[128];

		require_module_control();
		igt_assert_eq(neuf_assemble(spin, &prog, err, sizeof(err)), 0);
		neuf_device_close(dev);
		dev = NULL;

		for (int i = 0; i < 3; i++) {
			struct neuf_dispatch d = {
				.code = (uintptr_t)prog.code,
				.grid_size = 64,
				.group_size = 32,
			};
			struct neuf_device *busy = open_neuf();
			uint64_t job;
			uint32_t vm;

			igt_assert_eq(neuf_vm_create(busy, NEUF_VM_CREATE_SVM,
						     &vm), 0);
			for (int j = 0; j < 3; j++)
				igt_assert_eq(neuf_exec(busy, vm, &d, &job), 0);
			neuf_device_close(busy);

			igt_assert_eq(module_unload(NEUF_MODULE_NAME), 0);
			igt_assert_eq(neuf_device_count(), 0);
			igt_assert_eq(module_load(), 0);
		}
		neuf_asm_program_free(&prog);
		dev = open_neuf();
	}

	igt_describe("The virtual GPU's module cannot be unloaded while neuf "
		     "is bound to its GPU, which keeps working; once neuf "
		     "is gone it unloads, and both load again.");
	igt_subtest("vgpu-unload-while-bound") {
		uint64_t id = 0;

		require_module_control();
		igt_assert_eq(module_unload(NEUF_VGPU_MODULE_NAME), -EWOULDBLOCK);
		igt_assert(module_loaded(NEUF_VGPU_MODULE_NAME));
		igt_assert_eq(neuf_getparam(dev, NEUF_PARAM_CHIP_ID, &id), 0);
		igt_assert_eq_u64(id, 0x4e455546);
		check_device_runs(dev);
		neuf_device_close(dev);
		dev = NULL;

		igt_assert_eq(module_unload(NEUF_MODULE_NAME), 0);
		igt_assert_eq(module_unload(NEUF_VGPU_MODULE_NAME), 0);
		igt_assert(!module_loaded(NEUF_VGPU_MODULE_NAME));
		igt_assert_eq(vgpu_load(NULL), 0);
		igt_assert_eq(module_load(), 0);
		dev = open_neuf();
		check_device_runs(dev);
	}

	igt_describe("With two virtual GPUs (neuf_vgpu num_devices=2), neuf "
		     "binds both: each has its render node and runs a shader; "
		     "an out-of-range count, or VRAM not in 2 MiB blocks, is "
		     "refused.");
	igt_subtest("vgpu-two-devices") {
		struct neuf_device *second;

		require_module_control();
		neuf_device_close(dev);
		dev = NULL;
		igt_assert_eq(module_unload(NEUF_MODULE_NAME), 0);
		igt_assert_eq(module_unload(NEUF_VGPU_MODULE_NAME), 0);

		neuf_igt_ignore_dmesg("neuf_vgpu: (num_devices|vram_mib) must be");
		igt_assert_eq(vgpu_load("num_devices=0"), -EINVAL);
		igt_assert_eq(vgpu_load("num_devices=9"), -EINVAL);
		igt_assert_eq(vgpu_load("vram_mib=3"), -EINVAL);
		igt_assert(!module_loaded(NEUF_VGPU_MODULE_NAME));

		igt_assert_eq(vgpu_load("num_devices=2"), 0);
		igt_assert_eq(module_load(), 0);
		igt_assert_eq(neuf_device_count(), 2);
		dev = open_neuf();
		igt_assert_eq(neuf_device_open(1, &second), 0);
		igt_assert(strcmp(neuf_device_node(dev),
				  neuf_device_node(second)) != 0);
		check_device_runs(dev);
		check_device_runs(second);
		neuf_device_close(second);

		reload_modules(NULL);
		igt_assert_eq(neuf_device_count(), 1);
	}

	igt_describe("Unbinding neuf from an idle GPU through sysfs removes its "
		     "render node and lets the virtual GPU's module go; the "
		     "GPU comes back when it returns, and after a sysfs "
		     "bind, working each time.");
	igt_subtest("unbind-rebind-idle") {
		char gpu[32];

		require_module_control();
		release_dev(gpu, sizeof(gpu));

		igt_assert_eq(driver_unbind(gpu), 0);
		igt_assert(!driver_bound(gpu));
		igt_assert_eq(neuf_device_count(), 0);
		igt_assert_eq(module_unload(NEUF_VGPU_MODULE_NAME), 0);
		igt_assert_eq(vgpu_load(NULL), 0);
		igt_assert(driver_bound(gpu));
		dev = open_neuf();
		check_device_runs(dev);

		for (int i = 0; i < 3; i++) {
			neuf_device_close(dev);
			dev = NULL;
			igt_assert_eq(driver_unbind(gpu), 0);
			igt_assert_eq(neuf_device_count(), 0);
			igt_assert_eq(driver_bind(gpu), 0);
			igt_assert_eq(neuf_device_count(), 1);
			dev = open_neuf();
			check_device_runs(dev);
		}
	}

	igt_describe("On a GPU whose atomics on system memory are not coherent "
		     "(neuf_vgpu sysmem_atomics=0), GPU atomics interleaved "
		     "with CPU atomics on the same counters give exact totals: "
		     "the driver makes pages device-exclusive for the GPU and "
		     "the CPU takes them back; a transparent huge page, which "
		     "6.12 cannot make exclusive, goes to VRAM instead.");
	igt_subtest("atomics-not-coherent") {
		long long grants, revokes, to_vram;
		uint64_t vram = 0;

		require_module_control();
		reload_modules("sysmem_atomics=0");
		igt_assert_eq(neuf_getparam(dev, NEUF_PARAM_VRAM_SIZE, &vram), 0);
		if (!vram)
			reload_modules(NULL);
		igt_require_f(vram, "no device memory: the kernel cannot make "
			      "pages device-exclusive (CONFIG_DEVICE_PRIVATE), "
			      "so GPU atomics on system memory fail there\n");

		grants = dmem_counter("exclusive_grants");
		revokes = dmem_counter("exclusive_revokes");
		check_atomics_interleaved(dev, false);
		igt_info("small pages: %lld exclusive grants, %lld revoked\n",
			 dmem_counter("exclusive_grants") - grants,
			 dmem_counter("exclusive_revokes") - revokes);
		/* The GPU got the page, and the CPU, adding meanwhile, took
		 * it back: each CPU access to an exclusive page must. */
		igt_assert_lt(grants, dmem_counter("exclusive_grants"));
		igt_assert_lt(revokes, dmem_counter("exclusive_revokes"));
		grants = dmem_counter("exclusive_grants");
		to_vram = dmem_counter("to_vram_pages");
		check_atomics_interleaved(dev, true);
		igt_info("THP: %lld exclusive grants, %lld pages to VRAM\n",
			 dmem_counter("exclusive_grants") - grants,
			 dmem_counter("to_vram_pages") - to_vram);
		reload_modules(NULL);
	}

	igt_describe("Two GPUs, each with its own VRAM, share one buffer of "
		     "one process: pages in one GPU's VRAM go back through "
		     "system memory when the other GPU faults on them, and "
		     "both see every update.");
	igt_subtest("two-devices-share-buffer") {
		const size_t len = 2ul << 20, n = len / 4;
		struct neuf_device *d1 = NULL;
		uint64_t vram0 = 0, vram1 = 0;
		uint32_t *buf, vm0, vm1;
		bool have;

		require_module_control();
		reload_modules("num_devices=2");
		igt_assert_eq(neuf_device_open(1, &d1), 0);
		igt_assert_eq(neuf_getparam(dev, NEUF_PARAM_VRAM_SIZE, &vram0), 0);
		igt_assert_eq(neuf_getparam(d1, NEUF_PARAM_VRAM_SIZE, &vram1), 0);
		have = vram0 && vram1;
		if (have) {
			buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			igt_assert(buf != MAP_FAILED);
			for (size_t i = 0; i < n; i++)
				buf[i] = (uint32_t)i * 2654435761u;
			igt_assert_eq(neuf_vm_create(dev, NEUF_VM_CREATE_SVM,
						     &vm0), 0);
			igt_assert_eq(neuf_vm_create(d1, NEUF_VM_CREATE_SVM,
						     &vm1), 0);

			prefetch_vram(dev, vm0, buf, len);
			igt_assert_eq_u64(pages_in_vram(d1, vm1, buf, len), 0);
			gpu_add_on(d1, vm1, buf, n, 1);
			igt_assert_eq_u64(pages_in_vram(dev, vm0, buf, len), 0);

			prefetch_vram(d1, vm1, buf, len);
			gpu_add_on(dev, vm0, buf, n, 1);
			igt_assert_eq_u64(pages_in_vram(d1, vm1, buf, len), 0);
			for (size_t i = 0; i < n; i++)
				igt_assert_f(buf[i] == (uint32_t)i * 2654435761u + 2,
					     "buf[%zu] = %#x\n", i, buf[i]);
			munmap(buf, len);
		}

		neuf_device_close(d1);
		reload_modules(NULL);
		igt_require_f(have, "the GPUs have no device memory\n");
	}

	igt_describe("GPU atomics interleaved with CPU atomics on coherent "
		     "hardware (the default), with and without a transparent "
		     "huge page: exact totals, no exclusive access needed.");
	igt_subtest("atomics-coherent") {
		long long grants = dmem_counter("exclusive_grants");

		check_atomics_interleaved(dev, false);
		check_atomics_interleaved(dev, true);
		igt_assert_eq(dmem_counter("exclusive_grants"), grants);
	}

	igt_describe("Unbinding a GPU while a process has pages in its VRAM "
		     "brings every page back to system memory first: the "
		     "process reads its data intact afterwards, with no leak "
		     "and nothing left in the pagemap.");
	igt_subtest("unbind-with-pages-in-vram") {
		const size_t len = 4ul << 20, n = len / 4;
		struct drm_neuf_svm_attr a = {};
		uint64_t vram = 0;
		uint32_t *buf, vm;
		char gpu[32], *text;

		require_module_control();
		igt_assert_eq(neuf_getparam(dev, NEUF_PARAM_VRAM_SIZE, &vram), 0);
		igt_require_f(vram, "the device has no device memory\n");
		buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		igt_assert(buf != MAP_FAILED);
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint32_t)i * 2654435761u;
		igt_assert_eq(neuf_vm_create(dev, NEUF_VM_CREATE_SVM, &vm), 0);
		a = (struct drm_neuf_svm_attr){ .vm_id = vm,
			.op = NEUF_SVM_OP_PREFETCH, .start = (uintptr_t)buf,
			.size = len, .location = NEUF_SVM_LOC_VRAM };
		igt_assert_eq(neuf_svm_attr(dev, &a), 0);
		igt_assert_eq_u64(a.migrated, len / 4096);

		/* The VM and the fd stay: the unbind alone must do it. */
		neuf_igt_gpu_name(dev, gpu, sizeof(gpu));
		igt_assert_eq(driver_unbind(gpu), 0);
		/* Its physical range is given back with the pagemap. */
		text = neuf_igt_read_text("/proc/iomem");
		igt_assert_f(!strstr(text, "neuf VRAM"),
			     "the device memory region outlived the unbind:\n%s",
			     text);
		free(text);
		for (size_t i = 0; i < n; i++)
			igt_assert_f(buf[i] == (uint32_t)i * 2654435761u,
				     "buf[%zu] = %#x after the unbind\n", i,
				     buf[i]);
		neuf_device_close(dev);
		dev = NULL;
		munmap(buf, len);
		rebind_and_check(gpu);
	}

	igt_describe("Unbinding a GPU while a process holds its fd with a job "
		     "running and one queued: both jobs end with an error, "
		     "every later ioctl on the fd fails with ENODEV, the "
		     "process exits without closing anything, and the GPU "
		     "works again once bound.");
	igt_subtest("unbind-jobs-in-flight") {
		int ready[2], go[2];
		char gpu[32];

		require_module_control();
		release_dev(gpu, sizeof(gpu));
		igt_assert_eq(pipe(ready), 0);
		igt_assert_eq(pipe(go), 0);

		igt_fork(child, 1) {
			uint64_t *spin = neuf_igt_assemble(spin_forever_src);
			uint64_t *touch = neuf_igt_assemble(touch_pages_src);
			volatile uint32_t *flag = calloc(1024, sizeof(*flag));
			struct neuf_dispatch first = {
				.code = (uintptr_t)spin,
				.grid_size = 32,
				.group_size = 32,
				.args = { (uintptr_t)flag },
			};
			struct neuf_dispatch second = {
				.code = (uintptr_t)touch,
				.grid_size = 1,
				.group_size = 1,
				.args = { (uintptr_t)(flag + 512) },
			};
			struct neuf_device *d;
			int running, queued;
			uint32_t vm;
			char c;

			igt_assert(flag);
			neuf_igt_open_svm_vm(&d, &vm);
			running = exec_with_sync_file(d, vm, &first);
			/* The engine runs the first job once its store lands. */
			while (!*flag)
				igt_assert_f(!sync_file_signaled(running),
					     "the spinning job ended early\n");
			queued = exec_with_sync_file(d, vm, &second);
			igt_assert_eq(write(ready[1], "r", 1), 1);
			igt_assert_eq(read(go[0], &c, 1), 1);

			/* The queued job never started: the device was gone. */
			igt_assert_eq(sync_file_status(queued), -ENODEV);
			igt_assert_eq(flag[512], 0);
			/* The running one was stopped (6.1's scheduler does
			 * not pass the engine's error on to the job's fence). */
			running = sync_file_status(running);
			igt_assert_f(running == -ENODEV || running == 1,
				     "running job: status %d\n", running);
			check_unplugged(d, vm);
			/* Exit with the fd, the VM and the sync_files open. */
		}
		{
			char c;

			igt_assert_eq(read(ready[0], &c, 1), 1);
			igt_assert_eq(driver_unbind(gpu), 0);
			igt_assert_eq(neuf_device_count(), 0);
			igt_assert_eq(write(go[1], "u", 1), 1);
			igt_waitchildren();
		}
		close(ready[0]);
		close(ready[1]);
		close(go[0]);
		close(go[1]);

		rebind_and_check(gpu);
	}

	igt_describe("Unbinding a GPU in the middle of a fault storm (one "
		     "dispatch faulting in 16 MiB of fresh memory): the "
		     "dispatch ends, the process unmaps and closes cleanly, "
		     "and the GPU works again once bound.");
	igt_subtest("unbind-fault-storm") {
		const size_t pages = 4096, len = pages * 4096;
		uint64_t *touch = neuf_igt_assemble(touch_pages_src);
		struct neuf_dispatch disp = {
			.code = (uintptr_t)touch,
			.grid_size = pages,
			.group_size = 64,
		};
		struct drm_neuf_vm_stats stats = {};
		struct neuf_device *d;
		int sync_fd, status;
		char gpu[32];
		uint32_t vm;
		void *buf;

		require_module_control();
		release_dev(gpu, sizeof(gpu));

		buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		igt_assert(buf != MAP_FAILED);
		disp.args[0] = (uintptr_t)buf;
		neuf_igt_open_svm_vm(&d, &vm);
		sync_fd = exec_with_sync_file(d, vm, &disp);
		/* Unbind once the GPU has started faulting the buffer in. */
		do {
			igt_assert_f(!sync_file_signaled(sync_fd),
				     "the dispatch ended before it faulted\n");
			igt_assert_eq(neuf_vm_stats(d, vm, &stats), 0);
		} while (!stats.faults);
		igt_assert_eq(driver_unbind(gpu), 0);

		status = sync_file_status(sync_fd);
		igt_info("dispatch status %d after %llu faults\n", status,
			 (unsigned long long)stats.faults);
		igt_assert(status == -ENODEV || status == 1);
		check_unplugged(d, vm);
		/* No notifier is left to call into the driver. */
		igt_assert_eq(munmap(buf, len), 0);
		close(sync_fd);
		neuf_device_close(d);
		free(touch);

		rebind_and_check(gpu);
	}

	igt_describe("With CONFIG_DMA_API_DEBUG: a process that mapped "
		     "memory on the GPU exits; once the GPU is unbound "
		     "dma-debug holds nothing of it (no page mapping, no page "
		     "table, no fault buffer) and reported no error; bound "
		     "again, the GPU's memory shows up in dma-debug again.");
	igt_subtest("dma-debug-clean-after-unbind") {
		char gpu[32];
		long errors;

		require_module_control();
		igt_require_f(neuf_igt_dma_debug_tracking(),
			      "no dma-debug (CONFIG_DMA_API_DEBUG)\n");
		release_dev(gpu, sizeof(gpu));
		errors = dma_debug_errors();

		igt_fork(child, 1) {
			const size_t pages = 64;
			uint64_t *touch = neuf_igt_assemble(touch_pages_src);
			void *buf = mmap(NULL, pages * 4096,
					 PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			struct neuf_dispatch disp = {
				.code = (uintptr_t)touch,
				.grid_size = pages,
				.group_size = 64,
				.args = { (uintptr_t)buf },
			};
			struct drm_neuf_job_status st = {};
			struct neuf_device *d;
			uint32_t vm;

			igt_assert(buf != MAP_FAILED);
			neuf_igt_open_svm_vm(&d, &vm);
			igt_assert_eq(neuf_run(d, vm, &disp,
					       10 * NEUF_IGT_NSEC_PER_SEC, &st),
				      0);
			igt_assert_eq(st.error, 0);
			/* Page tables, fault buffer and the mapped pages. */
			igt_assert_lt(pages, neuf_igt_dma_debug_entries(gpu));
			/* Exit with the fd, the VM and the memory mapped. */
		}
		igt_waitchildren();

		igt_assert_eq(driver_unbind(gpu), 0);
		igt_assert_eq(neuf_igt_dma_debug_entries(gpu), 0);
		igt_assert_eq(dma_debug_errors(), errors);
		rebind_and_check(gpu);
		igt_assert_lt(0, neuf_igt_dma_debug_entries(gpu));
	}

	igt_describe("A DMA mapping neuf is made to forget (its leak_dma_mapping "
		     "parameter, CONFIG_DMA_API_DEBUG only) is still in "
		     "dma-debug's dump once the GPU is unbound, so the check "
		     "of dma-debug-clean-after-unbind catches the real bug; "
		     "binding the GPU again undoes the planted leak.");
	igt_subtest("dma-debug-catches-planted-leak") {
		const size_t pages = 4, len = pages * 4096;
		uint64_t *touch = neuf_igt_assemble(touch_pages_src);
		struct drm_neuf_job_status st = {};
		struct neuf_dispatch disp = {
			.code = (uintptr_t)touch,
			.grid_size = pages,
			.group_size = 1,
		};
		struct neuf_device *d;
		char gpu[32], value[4] = "";
		uint32_t vm;
		void *buf;
		int fd;

		require_module_control();
		igt_require_f(neuf_igt_dma_debug_tracking() &&
			      access(NEUF_LEAK_PARAM, W_OK) == 0,
			      "no dma-debug (CONFIG_DMA_API_DEBUG)\n");
		release_dev(gpu, sizeof(gpu));

		buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		igt_assert(buf != MAP_FAILED);
		disp.args[0] = (uintptr_t)buf;
		neuf_igt_open_svm_vm(&d, &vm);
		igt_assert_eq(neuf_run(d, vm, &disp, 10 * NEUF_IGT_NSEC_PER_SEC,
				       &st), 0);
		igt_assert_eq(st.error, 0);
		igt_assert_eq(sysfs_write(NEUF_LEAK_PARAM, "1"), 0);
		igt_assert_eq(munmap(buf, len), 0);
		/* The parameter turned itself off with the one leak. */
		fd = open(NEUF_LEAK_PARAM, O_RDONLY | O_CLOEXEC);
		igt_assert_lte(0, fd);
		igt_assert_lt(0, read(fd, value, sizeof(value) - 1));
		close(fd);
		igt_assert_eq(value[0], 'N');
		neuf_device_close(d);
		free(touch);

		igt_assert_eq(driver_unbind(gpu), 0);
		igt_assert_eq(neuf_igt_dma_debug_entries(gpu), 1);
		rebind_and_check(gpu);

		/* Bound again, the leak is gone: the next unbind is clean. */
		neuf_device_close(dev);
		dev = NULL;
		igt_assert_eq(driver_unbind(gpu), 0);
		igt_assert_eq(neuf_igt_dma_debug_entries(gpu), 0);
		rebind_and_check(gpu);
	}

	igt_fixture() {
		neuf_device_close(dev);
	}
}
