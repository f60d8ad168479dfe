// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * Unbind and unload races. Each round starts a process whose VM keeps
 * jobs running, one whose jobs keep faulting fresh memory in, and one
 * that queues jobs and exits at once; while they run, unloading neuf must
 * be refused (their files hold the module), then the GPU is unbound under
 * them: each process sees its jobs end and ENODEV from then on, and exits
 * cleanly. The GPU is bound again and runs a job right; every other round
 * the module is also unloaded, now that nothing uses it, and loaded
 * again. Needs NEUF_MODULE (the neuf.ko to load again) and
 * NEUF_MODULE_PARAMS, as make check sets them, and root.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xf86drm.h>

#include "stress_internal.h"

#define DRIVER_SYSFS	"/sys/bus/platform/drivers/neuf"
#define FAULT_SPAN	(8ul << 20)

enum worker_kind { SPINNER, FAULTER, EXITER, WORKERS };

static const char *const worker_names[WORKERS] = {
	"job runner", "fault storm", "exiting process",
};

/* Worker exit codes besides 0 (it saw ENODEV, as it should). */
enum { W_SETUP = 10, W_ERRNO, W_JOB, W_NEVER_GONE };

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
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

static int module_unload(void)
{
	return syscall(SYS_delete_module, "neuf", O_NONBLOCK) ? -errno : 0;
}

/* The GPU function behind a device's render node, e.g. "neuf.0". */
static int gpu_name(struct neuf_device *d, char *name, size_t len)
{
	char path[64], *target;
	struct stat st;

	if (fstat(neuf_device_fd(d), &st))
		return -errno;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/device",
		 major(st.st_rdev), minor(st.st_rdev));
	target = realpath(path, NULL);
	if (!target)
		return -errno;
	snprintf(name, len, "%s", strrchr(target, '/') + 1);
	free(target);
	return 0;
}

static int driver_write(const char *file, const char *gpu)
{
	char path[128];

	snprintf(path, sizeof(path), DRIVER_SYSFS "/%s", file);
	return kfile_write(path, gpu);
}

/*
 * A worker: uses the device until the GPU goes away. Writes one byte to
 * @ready once its first job has run (the exiting one: once its jobs are
 * queued, and then it exits).
 */
static __attribute__((noreturn)) void worker(enum worker_kind kind,
					      const struct ns_shaders *sh,
					      unsigned int device, int ready)
{
	const uint32_t words = 4096;
	uint32_t *buf = calloc(words, 4);
	struct drm_neuf_job_status st;
	struct neuf_device *d;
	bool told = false;
	uint32_t vm;

	if (!buf || neuf_device_open(device, &d) ||
	    neuf_vm_create(d, NEUF_VM_CREATE_SVM, &vm))
		_exit(W_SETUP);
	for (uint64_t i = 0; i < 1000000; i++) {
		struct neuf_dispatch disp;
		uint8_t *fresh = NULL;
		int ret;

		if (kind == FAULTER) {
			fresh = mmap(NULL, FAULT_SPAN, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (fresh == MAP_FAILED)
				_exit(W_SETUP);
			disp = ns_dispatch(sh->touch, FAULT_SPAN / NS_PAGE,
					   NS_ARGS(NS_PTR(fresh)));
		} else {
			disp = ns_dispatch(sh->spin_fill, words,
					   NS_ARGS(200, NS_PTR(buf), i));
		}
		if (kind == EXITER) {
			for (int j = 0; j < 4; j++)
				if (neuf_exec(d, vm, &disp, NULL))
					_exit(W_ERRNO);
			/* Exit with the jobs in flight, nothing closed. */
			_exit(write(ready, "x", 1) == 1 ? 0 : W_SETUP);
		}
		ret = neuf_run(d, vm, &disp, NS_JOB_WAIT_NS, &st);
		if (fresh)
			munmap(fresh, FAULT_SPAN);
		if (ret == -ENODEV)
			_exit(0);
		if (ret)
			_exit(W_ERRNO);
		/* Ended by the unbind, or right. */
		if (st.error && st.error != -ENODEV && st.error != -ECANCELED &&
		    st.error != -ETIMEDOUT)
			_exit(W_JOB);
		if (!told) {
			told = true;
			if (write(ready, "x", 1) != 1)
				_exit(W_SETUP);
		}
	}
	_exit(W_NEVER_GONE);
}

static int start_worker(enum worker_kind kind, const struct ns_shaders *sh,
			unsigned int device, pid_t *pid)
{
	int p[2];
	char c;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	*pid = fork();
	if (*pid == 0) {
		close(p[0]);
		worker(kind, sh, device, p[1]);
	}
	close(p[1]);
	if (*pid < 0) {
		close(p[0]);
		return -errno;
	}
	/* It is under way (or died: its exit status says why). */
	if (read(p[0], &c, 1) != 1)
		c = 0;
	close(p[0]);
	return 0;
}

/* Bind @gpu again and run a job on it. */
static int rebind_and_check(const char *gpu, const struct ns_shaders *sh,
			    const struct neuf_stress_config *cfg,
			    struct neuf_stress_report *rep, bool bind)
{
	struct neuf_device *d;
	uint32_t vm;
	int ret;

	if (bind) {
		ret = driver_write("bind", gpu);
		if (ret) {
			ns_fail(rep, cfg->log, "binding %s again: %s", gpu,
				strerror(-ret));
			return ret;
		}
	}
	ret = neuf_device_open(cfg->device, &d);
	if (ret) {
		ns_fail(rep, cfg->log, "opening the GPU again: %s", strerror(-ret));
		return ret;
	}
	ret = neuf_vm_create(d, NEUF_VM_CREATE_SVM, &vm);
	if (!ret) {
		ret = ns_check_device(d, vm, sh, rep, cfg->log,
				      "after an unbind");
		neuf_vm_destroy(d, vm);
	} else {
		ns_fail(rep, cfg->log, "VM_CREATE after an unbind: %s",
			strerror(-ret));
	}
	neuf_device_close(d);
	return ret;
}

static void round_trip(const char *gpu, const struct ns_shaders *sh,
		       const struct neuf_stress_config *cfg,
		       struct neuf_stress_report *rep, uint64_t round)
{
	pid_t pids[WORKERS];
	unsigned int started = 0;
	int ret = 0;

	for (; started < WORKERS && !ret; started++)
		ret = start_worker((enum worker_kind)started, sh, cfg->device,
				   &pids[started]);
	if (ret) {
		ns_fail(rep, cfg->log, "unbind round %" PRIu64 ": starting a "
			"worker: %s", round, strerror(-ret));
		started--;
	}
	/* Their files hold the module. */
	ret = module_unload();
	rep->events++;
	if (ret != -EWOULDBLOCK && ret != -EBUSY)
		ns_fail(rep, cfg->log, "unbind round %" PRIu64 ": unloading "
			"neuf under open files: %s (expected EWOULDBLOCK)",
			round, ret ? strerror(-ret) : "it unloaded");
	ret = driver_write("unbind", gpu);
	rep->events++;
	if (ret)
		ns_fail(rep, cfg->log, "unbind round %" PRIu64 ": unbinding "
			"%s: %s", round, gpu, strerror(-ret));
	for (unsigned int i = 0; i < started; i++) {
		int status = ns_wait(pids[i]);

		if (status) {
			ns_fail(rep, cfg->log, "unbind round %" PRIu64 ": the "
				"%s: %s %d", round, worker_names[i],
				WIFSIGNALED(status) ? "signal" : "exit code",
				WIFSIGNALED(status) ? WTERMSIG(status) :
				WEXITSTATUS(status));
		}
	}
	rep->procs += started;
	if (neuf_device_count() != 0)
		ns_fail(rep, cfg->log, "unbind round %" PRIu64 ": a device "
			"is still there", round);
	if (rebind_and_check(gpu, sh, cfg, rep, true))
		return;
	/* Every other round: unload with nothing open, and load again. */
	if (round % 2 == 0) {
		ret = module_unload();
		rep->events++;
		ret = ret ?: module_load();
		if (ret) {
			ns_fail(rep, cfg->log, "unbind round %" PRIu64
				": unloading and loading neuf: %s", round,
				strerror(-ret));
			return;
		}
		if (rebind_and_check(gpu, sh, cfg, rep, false))
			return;
	}
	rep->recovered++;
}

void neuf_stress_restore(void)
{
	if (access("/sys/module/neuf", F_OK))
		module_load();
	for (int i = 0; i < 8; i++) {
		char gpu[32], path[96];

		snprintf(gpu, sizeof(gpu), "neuf.%d", i);
		snprintf(path, sizeof(path), "/sys/bus/platform/devices/%s", gpu);
		if (access(path, F_OK))
			continue;
		snprintf(path, sizeof(path), DRIVER_SYSFS "/%s", gpu);
		if (access(path, F_OK))
			driver_write("bind", gpu);
	}
}

int ns_unbind(const struct neuf_stress_config *cfg,
	      struct neuf_stress_report *rep)
{
	uint64_t start = ns_now_us();
	struct neuf_device *d;
	struct ns_shaders sh;
	char gpu[64];
	int ret;

	if (!getenv("NEUF_MODULE") || geteuid() != 0) {
		if (cfg->log)
			fprintf(cfg->log, "neuf-stress: unbind: needs root and "
				"NEUF_MODULE (the neuf.ko to load again)\n");
		return -EOPNOTSUPP;
	}
	ret = neuf_device_open(cfg->device, &d);
	if (ret)
		return ret;
	ret = gpu_name(d, gpu, sizeof(gpu));
	neuf_device_close(d);
	ret = ret ?: ns_shaders_init(&sh);
	if (ret)
		return ret;
	for (uint64_t round = 1; round <= cfg->ops && !rep->failures; round++) {
		rep->ops++;
		round_trip(gpu, &sh, cfg, rep, round);
		if (cfg->log && round % 10 == 0)
			fprintf(cfg->log, "neuf-stress: unbind: %" PRIu64
				" rounds\n", round);
	}
	ns_shaders_fini(&sh);
	rep->usec = ns_now_us() - start;
	return 0;
}
