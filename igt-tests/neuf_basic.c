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
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <xf86drm.h>

#include "igt.h"
#include "libneuf.h"
#include "neuf_asm.h"

#define NEUF_MODULE_NAME "neuf"

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
		igt_assert_gte_u64(64, value);
		break;
	case NEUF_PARAM_VA_BITS:
		/* GPU VA == CPU VA: must cover x86-64's 47-bit user space. */
		igt_assert_lte_u64(47, value);
		igt_assert_gte_u64(64, value);
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
		igt_assert_gte_u64(4096, value);
		break;
	default:
		igt_assert_f(false, "untested param %u\n", param);
	}
}

static bool module_loaded(void)
{
	struct stat st;

	return stat("/sys/module/" NEUF_MODULE_NAME, &st) == 0;
}

static int module_unload(void)
{
	return syscall(SYS_delete_module, NEUF_MODULE_NAME, O_NONBLOCK) ?
	       -errno : 0;
}

static int module_load(void)
{
	const char *path = getenv("NEUF_MODULE");
	const char *params = getenv("NEUF_MODULE_PARAMS");
	int fd, ret;

	if (!path)
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Reload with the parameters the harness loaded it with. */
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0) ?
	      -errno : 0;
	close(fd);
	return ret;
}

/* Leave the module loaded whatever a module subtest did. */
static void reload_module_on_exit(int sig)
{
	(void)sig;
	if (!module_loaded())
		module_load();
}

static void require_module_control(void)
{
	igt_require_f(getenv("NEUF_MODULE"),
		      "NEUF_MODULE must name the neuf.ko to reload "
		      "(NEUF_MODULE_PARAMS: its parameters)\n");
	igt_require(geteuid() == 0);
	igt_require(module_loaded());
	igt_install_exit_handler(reload_module_on_exit);
}

/* Static: it must keep its value when a subtest is left by siglongjmp. */
static struct neuf_device *dev;

igt_main
{

	igt_fixture {
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
			const char *node;
			int fd;

			if (!(devices[i]->available_nodes & (1 << DRM_NODE_RENDER)))
				continue;
			node = devices[i]->nodes[DRM_NODE_RENDER];
			fd = open(node, O_RDWR | O_CLOEXEC);
			if (fd < 0)
				continue;
			drmVersionPtr v = drmGetVersion(fd);

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
			if (strstr(line, "/devices/platform/neuf/drm/") &&
			    strstr(line, strrchr(neuf_device_node(dev), '/') + 1))
				found = true;
		}
		igt_assert_eq(pclose(p), 0);
		igt_assert_f(found, "lsgpu did not list %s\n",
			     neuf_device_node(dev));
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
		igt_assert_eq(module_unload(), -EWOULDBLOCK);
		igt_assert(module_loaded());
		igt_assert_eq(neuf_getparam(d, NEUF_PARAM_CHIP_ID, &id), 0);
		neuf_device_close(d);

		igt_assert_eq(module_unload(), 0);
		igt_assert(!module_loaded());
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

			igt_assert_eq(module_unload(), 0);
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

			igt_assert_eq(module_unload(), 0);
			igt_assert_eq(neuf_device_count(), 0);
			igt_assert_eq(module_load(), 0);
		}
		neuf_asm_program_free(&prog);
		dev = open_neuf();
	}

	igt_fixture {
		neuf_device_close(dev);
	}
}
