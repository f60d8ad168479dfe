// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * Hangs: each round first hangs every engine at once (one VM per engine,
 * each with a shader that never ends: all of them must be running
 * together before the watchdog stops them), then hangs one VM while
 * @procs other VMs run jobs: only the hung jobs fail, with ETIMEDOUT;
 * every other job completes with the right data; afterwards every VM,
 * the hung ones included, runs a job right. The watchdog is set to
 * @job_timeout_ms for the part.
 */

#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <xf86drm.h>

#include "stress_internal.h"

#define MAX_VMS		16
#define OTHER_JOBS	4
#define OTHER_WORDS	2048
#define STARTED_WAIT_US	(60ull * 1000000)

struct hung {
	uint32_t vm;
	uint32_t syncobj;
	uint64_t job;
	bool has_vm;
	bool has_syncobj;
};

static void hang_release(struct neuf_device *d, struct hung *h)
{
	if (h->has_syncobj)
		drmSyncobjDestroy(neuf_device_fd(d), h->syncobj);
	if (h->has_vm)
		neuf_vm_destroy(d, h->vm);
	h->has_vm = h->has_syncobj = false;
}

/* Queue the endless shader on @h->vm; it stores 1 at @flag once running. */
static int hang_start(struct neuf_device *d, const struct ns_shaders *sh,
		      struct hung *h, volatile uint32_t *flag)
{
	struct neuf_dispatch disp = ns_dispatch(sh->spin, 1,
						NS_ARGS(NS_PTR(flag)));
	int ret;

	*flag = 0;
	ret = neuf_vm_create(d, NEUF_VM_CREATE_SVM, &h->vm);
	if (ret)
		return ret;
	h->has_vm = true;
	if (drmSyncobjCreate(neuf_device_fd(d), 0, &h->syncobj))
		ret = -errno;
	h->has_syncobj = !ret;
	disp.out_syncobj = h->syncobj;
	ret = ret ?: neuf_exec(d, h->vm, &disp, &h->job);
	if (ret)
		hang_release(d, h);
	return ret;
}

/* Wait for the hung job; it must have been stopped with ETIMEDOUT. */
static void hang_end(struct neuf_device *d, const struct ns_shaders *sh,
		     struct hung *h, const struct neuf_stress_config *cfg,
		     struct neuf_stress_report *rep, uint64_t round)
{
	struct drm_neuf_job_status st = { 0 };
	int64_t deadline = (int64_t)(ns_now_us() * 1000) + NS_JOB_WAIT_NS;
	int ret;

	ret = drmSyncobjWait(neuf_device_fd(d), &h->syncobj, 1, deadline, 0,
			     NULL) ? -errno : 0;
	ret = ret ?: neuf_job_status(d, h->vm, h->job, &st);
	if (ret || st.state != NEUF_JOB_STATE_DONE || st.error != -ETIMEDOUT) {
		ns_fail(rep, cfg->log, "hang round %" PRIu64 ": the endless "
			"job: %s, state %u, error %d (expected ETIMEDOUT)",
			round, strerror(ret ? -ret : 0), st.state, st.error);
	} else {
		rep->events++;
		rep->jobs_failed++;
		if (!ns_check_device(d, h->vm, sh, rep, cfg->log,
				     "a VM whose job hung"))
			rep->recovered++;
	}
	hang_release(d, h);
}

/* Every engine hangs at once: each runs one endless job. */
static void hang_every_engine(struct neuf_device *d, const struct ns_shaders *sh,
			      unsigned int engines, uint32_t *flags,
			      const struct neuf_stress_config *cfg,
			      struct neuf_stress_report *rep, uint64_t round)
{
	struct hung h[MAX_VMS] = { 0 };
	unsigned int started = 0, running;
	uint64_t t0 = ns_now_us();
	int ret = 0;

	for (; started < engines && !ret; started++)
		ret = hang_start(d, sh, &h[started], &flags[started * 16]);
	if (ret) {
		ns_fail(rep, cfg->log, "hang round %" PRIu64 ": queueing an "
			"endless job: %s", round, strerror(-ret));
		started--;	/* hang_start() released the failed one */
	}
	/* They all run together: each engine took one (flags in memory). */
	do {
		running = 0;
		for (unsigned int i = 0; i < started; i++)
			running += __atomic_load_n(&flags[i * 16],
						   __ATOMIC_ACQUIRE) != 0;
	} while (!ret && running < engines && ns_now_us() - t0 < STARTED_WAIT_US);
	if (!ret && running < engines)
		ns_fail(rep, cfg->log, "hang round %" PRIu64 ": only %u of %u "
			"endless jobs ever ran at once", round, running,
			engines);
	for (unsigned int i = 0; i < started; i++)
		hang_end(d, sh, &h[i], cfg, rep, round);
}

/* One VM hangs while @others run jobs that must all complete. */
static void hang_one(struct neuf_device *d, const struct ns_shaders *sh,
		     unsigned int others, uint32_t *flags, uint32_t *bufs,
		     const struct neuf_stress_config *cfg,
		     struct neuf_stress_report *rep, uint64_t round)
{
	uint32_t vms[MAX_VMS], syncobjs[MAX_VMS];
	unsigned int made = 0;
	struct hung h = { 0 };
	int fd = neuf_device_fd(d), ret;

	ret = hang_start(d, sh, &h, flags);
	for (; !ret && made < others; made++) {
		uint32_t *buf = bufs + (size_t)made * OTHER_WORDS;

		ret = neuf_vm_create(d, NEUF_VM_CREATE_SVM, &vms[made]);
		if (ret)
			break;
		if (drmSyncobjCreate(fd, 0, &syncobjs[made])) {
			ret = -errno;
			neuf_vm_destroy(d, vms[made]);
			break;
		}
		memset(buf, 0, OTHER_WORDS * 4);
		/* OTHER_JOBS jobs in a row: fill, then add 1 each. */
		for (unsigned int j = 0; !ret && j < OTHER_JOBS; j++) {
			struct neuf_dispatch disp = j ?
				ns_dispatch(sh->rmw_strided, OTHER_WORDS,
					    NS_ARGS(NS_PTR(buf), 1, 4)) :
				ns_dispatch(sh->fill, OTHER_WORDS,
					    NS_ARGS(NS_PTR(buf), made << 16));

			disp.out_syncobj = syncobjs[made];
			ret = neuf_exec(d, vms[made], &disp, NULL);
			rep->jobs++;
		}
	}
	if (ret)
		ns_fail(rep, cfg->log, "hang round %" PRIu64 ": queueing: %s",
			round, strerror(-ret));
	for (unsigned int i = 0; i < made; i++) {
		int64_t deadline = (int64_t)(ns_now_us() * 1000) + NS_JOB_WAIT_NS;
		uint32_t *buf = bufs + (size_t)i * OTHER_WORDS, wrong = 0;
		struct drm_neuf_vm_stats vs = { 0 };

		if (drmSyncobjWait(fd, &syncobjs[i], 1, deadline, 0, NULL) ||
		    neuf_vm_stats(d, vms[i], &vs) || vs.jobs_failed) {
			ns_fail(rep, cfg->log, "hang round %" PRIu64 ": VM %u "
				"beside the hung one: %s, %" PRIu64 " jobs "
				"failed", round, i, strerror(errno),
				(uint64_t)vs.jobs_failed);
		} else {
			for (uint32_t k = 0; k < OTHER_WORDS; k++)
				wrong += buf[k] != (i << 16) + k + OTHER_JOBS - 1;
			rep->bytes_checked += OTHER_WORDS * 4;
			if (wrong) {
				rep->wrong_bytes += wrong * 4;
				ns_fail(rep, cfg->log, "hang round %" PRIu64
					": VM %u beside the hung one: %u words "
					"wrong", round, i, wrong);
			}
		}
		drmSyncobjDestroy(fd, syncobjs[i]);
		neuf_vm_destroy(d, vms[i]);
	}
	if (h.has_vm)
		hang_end(d, sh, &h, cfg, rep, round);
}

int ns_hang(const struct neuf_stress_config *cfg,
	    struct neuf_stress_report *rep)
{
	unsigned int others = cfg->procs ? cfg->procs : 2;
	uint64_t start = ns_now_us(), engines = 0;
	uint32_t *flags, *bufs;
	struct neuf_device *d;
	struct ns_shaders sh;
	long long old;
	int ret;

	if (others > MAX_VMS)
		others = MAX_VMS;
	ret = neuf_device_open(cfg->device, &d);
	if (ret)
		return ret;
	ret = neuf_getparam(d, NEUF_PARAM_NUM_ENGINES, &engines);
	if (!ret && (engines < 1 || engines > MAX_VMS))
		ret = -ERANGE;
	ret = ret ?: ns_shaders_init(&sh);
	if (ret) {
		neuf_device_close(d);
		return ret;
	}
	flags = calloc(MAX_VMS * 16, sizeof(*flags));
	bufs = calloc((size_t)others * OTHER_WORDS, sizeof(*bufs));
	old = ns_param_set("job_timeout_ms", cfg->job_timeout_ms ?
			   cfg->job_timeout_ms : 500);
	if (!flags || !bufs || old < 0) {
		ret = old < 0 ? -EOPNOTSUPP : -ENOMEM;
		if (old < 0 && cfg->log)
			fprintf(cfg->log, "neuf-stress: hang: cannot set the "
				"module parameter job_timeout_ms\n");
		goto out;
	}
	rep->procs = others;	/* the VMs beside the hung one */
	for (uint64_t round = 1; round <= cfg->ops && !rep->failures; round++) {
		rep->ops++;
		hang_every_engine(d, &sh, (unsigned int)engines, flags, cfg,
				  rep, round);
		hang_one(d, &sh, others, flags, bufs, cfg, rep, round);
		if (cfg->log && round % 10 == 0)
			fprintf(cfg->log, "neuf-stress: hang: %" PRIu64
				" rounds\n", round);
	}
	ns_param_set("job_timeout_ms", old);
out:
	free(flags);
	free(bufs);
	ns_shaders_fini(&sh);
	neuf_device_close(d);
	rep->usec = ns_now_us() - start;
	return ret;
}
