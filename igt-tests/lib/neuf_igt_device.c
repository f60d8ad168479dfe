// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * The helpers of neuf_igt.h that use a neuf device, through libneuf and
 * libdrm.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <xf86drm.h>

#include "igt.h"
#include "libneuf.h"
#include "neuf_asm.h"
#include "neuf_igt.h"

uint64_t *neuf_igt_assemble(const char *src)
{
	struct neuf_asm_program prog = { 0 };
	char err[256];
	int ret;

	ret = neuf_assemble(src, &prog, err, sizeof(err));
	igt_assert_f(ret == 0, "assembling failed (%s): %s\nsource:\n%s",
		     strerror(-ret), err, src);
	return prog.code;
}

void neuf_igt_syncobj_wait(struct neuf_device *d, uint32_t h, int64_t rel_ns)
{
	int ret;

	ret = drmSyncobjWait(neuf_device_fd(d), &h, 1, neuf_igt_deadline(rel_ns),
			     0, NULL) ? -errno : 0;
	igt_assert_f(ret == 0, "waiting for syncobj %u: %s (%d)\n", h,
		     neuf_igt_errno_name(ret), ret);
}

void neuf_igt_open_svm_vm(struct neuf_device **dev, uint32_t *vm)
{
	int ret;

	igt_require_f(neuf_device_count() > 0, "no neuf device\n");
	ret = neuf_device_open(0, dev);
	igt_assert_f(ret == 0, "opening the neuf device: %s\n",
		     neuf_igt_errno_name(ret));
	ret = neuf_vm_create(*dev, NEUF_VM_CREATE_SVM, vm);
	igt_assert_f(ret == 0, "creating an SVM VM: %s\n",
		     neuf_igt_errno_name(ret));
}

void neuf_igt_run_ok(struct neuf_device *dev, uint32_t vm,
		     const struct neuf_dispatch *d)
{
	struct drm_neuf_job_status st;
	int ret;

	ret = neuf_run(dev, vm, d, NEUF_IGT_JOB_TIMEOUT_NS, &st);
	igt_assert_f(ret == 0, "running a job (grid %u, group %u): %s\n",
		     d->grid_size, d->group_size, neuf_igt_errno_name(ret));
	igt_assert_f(st.state == NEUF_JOB_STATE_DONE && st.error == 0,
		     "job %" PRIu64 " (grid %u, group %u): state %u, %s, "
		     "fault at %#" PRIx64 "\n", (uint64_t)st.job_id,
		     d->grid_size, d->group_size, st.state,
		     neuf_igt_errno_name(st.error), (uint64_t)st.fault_addr);
}

/* The last component of a device's sysfs directory, @rel below its node's. */
static void sysfs_device_name(struct neuf_device *d, const char *rel,
			      char *name, size_t len)
{
	char path[64], *target;
	struct stat st;

	igt_assert_eq(fstat(neuf_device_fd(d), &st), 0);
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/%s",
		 major(st.st_rdev), minor(st.st_rdev), rel);
	target = realpath(path, NULL);
	igt_assert_f(target, "%s: %s\n", path, strerror(errno));
	snprintf(name, len, "%s", strrchr(target, '/') + 1);
	free(target);
}

void neuf_igt_gpu_name(struct neuf_device *d, char *name, size_t len)
{
	sysfs_device_name(d, "device", name, len);
}

void neuf_igt_chip_name(struct neuf_device *d, char *name, size_t len)
{
	sysfs_device_name(d, "device/..", name, len);
}
