// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * OOM: a process in a memory cgroup of 64 MiB maps memory through the GPU
 * (and moves it to VRAM where the GPU has some), leaves jobs in flight
 * over it, then eats memory until the cgroup's OOM killer kills it. After
 * each kill the device's counters (VMs, page-table and DMA-mapped pages,
 * jobs in flight, VRAM in use) come back to where they were and a new VM
 * runs a job right. Repeated @ops times.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stress_internal.h"

#define OOM_LIMIT	"64M"
#define OOM_BUF		(256 * 1024ul)
#define OOM_JOBS	8
#define OOM_CHUNK	(8ul << 20)
#define SETTLE_MS	30000

/* Exit codes of the victim, for the messages. */
enum {
	VICTIM_JOIN = 10, VICTIM_OPEN, VICTIM_MMAP, VICTIM_GPU, VICTIM_VRAM,
	VICTIM_QUEUE, VICTIM_PIPE, VICTIM_NOT_KILLED,
};

static const char *const victim_steps[] = {
	"join the cgroup", "open the device", "map memory", "run a job",
	"prefetch to VRAM", "queue jobs", "tell the parent", "get killed",
};

static __attribute__((noreturn)) void victim(const char *cg,
					      const struct ns_shaders *sh,
					      unsigned int device, bool vram,
					      int pipe_wr)
{
	const uint32_t n = OOM_BUF / 4;
	struct drm_neuf_job_status st;
	struct neuf_dispatch d;
	struct neuf_device *dev;
	uint32_t *buf, vm;

	if (ns_cgroup_join(cg))
		_exit(VICTIM_JOIN);
	if (neuf_device_open(device, &dev) ||
	    neuf_vm_create(dev, NEUF_VM_CREATE_SVM, &vm))
		_exit(VICTIM_OPEN);
	buf = mmap(NULL, OOM_BUF, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		_exit(VICTIM_MMAP);
	d = ns_dispatch(sh->fill, n, NS_ARGS(NS_PTR(buf), 1));
	if (neuf_run(dev, vm, &d, NS_JOB_WAIT_NS, &st) || st.error ||
	    buf[n - 1] != n)
		_exit(VICTIM_GPU);
	if (vram) {
		struct drm_neuf_svm_attr a = {
			.vm_id = vm, .op = NEUF_SVM_OP_PREFETCH,
			.start = NS_PTR(buf), .size = OOM_BUF,
			.location = NEUF_SVM_LOC_VRAM,
		};

		if (neuf_svm_attr(dev, &a))
			_exit(VICTIM_VRAM);
	}
	/* Work left in flight: each job well within the watchdog. */
	d = ns_dispatch(sh->spin_fill, 4096, NS_ARGS(100, NS_PTR(buf), 7));
	for (int i = 0; i < OOM_JOBS; i++)
		if (neuf_exec(dev, vm, &d, NULL))
			_exit(VICTIM_QUEUE);
	if (write(pipe_wr, "Q", 1) != 1)
		_exit(VICTIM_PIPE);
	/* Eat memory until the OOM killer comes; 4 GiB is too far. */
	for (size_t total = 0; total < (4ul << 30); total += OOM_CHUNK) {
		char *p = mmap(NULL, OOM_CHUNK, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			_exit(VICTIM_MMAP);
		for (size_t off = 0; off < OOM_CHUNK; off += NS_PAGE)
			p[off] = 1;
	}
	_exit(VICTIM_NOT_KILLED);
}

/* One victim: 0 if it was OOM-killed with its jobs queued. */
static int one_kill(const char *cg, const struct ns_shaders *sh,
		    const struct neuf_stress_config *cfg, bool vram,
		    struct neuf_stress_report *rep, uint64_t round)
{
	char events[300], c = 0;
	long long kills;
	int go[2], status;
	pid_t pid;

	snprintf(events, sizeof(events), "%s/memory.events", cg);
	kills = kfile_read_key(events, "oom_kill");
	if (pipe2(go, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(go[0]);
		victim(cg, sh, cfg->device, vram, go[1]);
	}
	close(go[1]);
	if (pid < 0) {
		close(go[0]);
		return -errno;
	}
	if (read(go[0], &c, 1) != 1)
		c = 0;
	close(go[0]);
	status = ns_wait(pid);
	if (WIFEXITED(status)) {
		unsigned int code = (unsigned int)WEXITSTATUS(status);

		ns_fail(rep, cfg->log, "OOM round %" PRIu64 ": the victim "
			"could not %s (exit %u)", round,
			code >= VICTIM_JOIN && code <= VICTIM_NOT_KILLED ?
			victim_steps[code - VICTIM_JOIN] : "run", code);
		return -EIO;
	}
	if (c != 'Q' || !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL ||
	    kfile_read_key(events, "oom_kill") <= kills) {
		ns_fail(rep, cfg->log, "OOM round %" PRIu64 ": the victim "
			"(jobs queued: %s) died of signal %d, oom_kill %lld -> "
			"%lld", round, c == 'Q' ? "yes" : "no",
			WIFSIGNALED(status) ? WTERMSIG(status) : 0, kills,
			kfile_read_key(events, "oom_kill"));
		return -EIO;
	}
	ns_count(&rep->events, 1);
	return 0;
}

int ns_oom(const struct neuf_stress_config *cfg,
	   struct neuf_stress_report *rep)
{
	struct ns_counters base, now;
	uint64_t start = ns_now_us(), vram_size = 0;
	struct neuf_device *dev;
	struct ns_shaders sh;
	char cg[200];
	int ret;

	ret = neuf_device_open(cfg->device, &dev);
	if (ret)
		return ret;
	neuf_getparam(dev, NEUF_PARAM_VRAM_SIZE, &vram_size);
	ret = ns_shaders_init(&sh);
	if (ret) {
		neuf_device_close(dev);
		return ret;
	}
	ret = ns_counters_read(&base);
	if (!ret)
		ret = ns_cgroup_create(cg, sizeof(cg), "neuf-stress-oom",
				       OOM_LIMIT);
	if (ret) {
		if (cfg->log)
			fprintf(cfg->log, "neuf-stress: oom: %s\n", ret == -ENOENT ?
				"no neuf debugfs to read the counters from" :
				"no cgroup v2 memory controller");
		ns_shaders_fini(&sh);
		neuf_device_close(dev);
		return ret == -ENOENT || ret == -EOPNOTSUPP ? -EOPNOTSUPP : ret;
	}
	rep->procs = 1;
	for (uint64_t round = 1; round <= cfg->ops; round++) {
		uint32_t vm;

		rep->ops++;
		if (one_kill(cg, &sh, cfg, vram_size != 0, rep, round))
			break;
		if (ns_counters_settle(&base, &now, SETTLE_MS)) {
			ns_fail(rep, cfg->log, "OOM round %" PRIu64 ": the "
				"counters did not come back: vms %lld/%lld, "
				"pt_pages %lld/%lld, dma_pages %lld/%lld, jobs "
				"in flight %lld/%lld, vram_used %lld/%lld", round,
				now.vms, base.vms, now.pt_pages, base.pt_pages,
				now.dma_pages, base.dma_pages,
				now.jobs_in_flight, base.jobs_in_flight,
				now.vram_used, base.vram_used);
			break;
		}
		/* A new VM of a surviving process works. */
		if (neuf_vm_create(dev, NEUF_VM_CREATE_SVM, &vm)) {
			ns_fail(rep, cfg->log, "OOM round %" PRIu64 ": VM_CREATE "
				"failed", round);
			break;
		}
		ret = ns_check_device(dev, vm, &sh, rep, cfg->log, "after an OOM kill");
		neuf_vm_destroy(dev, vm);
		if (ret)
			break;
		rep->recovered++;
		if (cfg->log && round % 10 == 0)
			fprintf(cfg->log, "neuf-stress: oom: %" PRIu64 " kills\n",
				round);
	}
	ret = ns_cgroup_remove(cg);
	if (ret)
		ns_fail(rep, cfg->log, "removing %s: %s", cg, strerror(-ret));
	if (ns_counters_settle(&base, &now, SETTLE_MS))
		ns_fail(rep, cfg->log, "the counters did not come back at the end");
	ns_shaders_fini(&sh);
	neuf_device_close(dev);
	rep->usec = ns_now_us() - start;
	return 0;
}
