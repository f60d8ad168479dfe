// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * Helpers shared by neuf's IGT tests; see neuf_igt.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

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

int64_t neuf_igt_deadline(int64_t rel_ns)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NEUF_IGT_NSEC_PER_SEC + ts.tv_nsec + rel_ns;
}

const char *neuf_igt_errno_name(int err)
{
	return err ? strerror(err < 0 ? -err : err) : "success";
}

void neuf_igt_syncobj_wait(struct neuf_device *d, uint32_t h, int64_t rel_ns)
{
	int ret;

	ret = drmSyncobjWait(neuf_device_fd(d), &h, 1, neuf_igt_deadline(rel_ns),
			     0, NULL) ? -errno : 0;
	igt_assert_f(ret == 0, "waiting for syncobj %u: %s (%d)\n", h,
		     neuf_igt_errno_name(ret), ret);
}

int neuf_igt_wait_child(pid_t pid)
{
	int status = 0;
	pid_t ret;

	while ((ret = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	igt_assert_f(ret == pid, "waitpid(%d): %s\n", (int)pid,
		     strerror(errno));
	return status;
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

void neuf_igt_require_kconfig(const char *opt)
{
	const char *path = getenv("NEUF_KERNEL_CONFIG");
	char fallback[300], line[512];
	size_t len = strlen(opt);
	struct utsname u;
	bool set = false;
	FILE *f;

	if (!path || !*path) {
		igt_assert_eq(uname(&u), 0);
		snprintf(fallback, sizeof(fallback), "/boot/config-%s", u.release);
		path = fallback;
	}
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, opt, len) && line[len] == '=' &&
		    (line[len + 1] == 'y' || line[len + 1] == 'm')) {
			set = true;
			break;
		}
	}
	fclose(f);
	igt_require_f(set, "the kernel lacks %s (%s)\n", opt, path);
}
