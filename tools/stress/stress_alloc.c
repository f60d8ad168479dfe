// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * The allocation-failure sweep. failslab and fail_page_alloc are limited
 * to allocations whose stack passes through neuf's code (the kernel's
 * fault-injection stack-trace filter: require-start/require-end, with
 * CONFIG_FAULT_INJECTION_STACKTRACE_FILTER) and made to fail GFP_KERNEL
 * and order-0 allocations too. Then, for each scenario (every ioctl, and
 * jobs whose faults are serviced by neuf's workers):
 *
 *  - exactly: N = 1, 2, ...: the Nth such allocation made by the calling
 *    task fails (/proc/thread-self/fail-nth) during the scenario's call,
 *    until a run ends without the Nth allocation being reached: the sweep
 *    of that scenario is complete;
 *  - per function: for each function of neuf, the first allocation made
 *    anywhere (neuf's fault workers included) under that function fails.
 *
 * After each injected failure the call must have failed cleanly (ENOMEM,
 * or a job ended with -ENOMEM) or succeeded, the device's counters must
 * come back, and a fresh VM must run a job right; the kernel log (no
 * splat) and kmemleak are the harness's to check.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xf86drm.h>

#include "stress_internal.h"

#define FAILSLAB	"/sys/kernel/debug/failslab/"
#define FAIL_PAGE	"/sys/kernel/debug/fail_page_alloc/"
#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define MAX_NTH		400	/* a scenario with more allocations: incomplete */
#define SETTLE_MS	30000
#define FAULT_PAGES	16
#define THP_SIZE	(2ul << 20)

/* A text symbol: neuf's functions, and where the next function starts. */
struct fn {
	uint64_t start, end;
	char name[64];
};

struct alloc {
	const struct neuf_stress_config *cfg;
	struct neuf_stress_report *rep;
	struct ns_shaders sh;
	struct ns_counters base;
	uint64_t vram;
	struct fn *fns;
	size_t nfns;
	uint64_t text_start, text_end;
	uint64_t reject_start, reject_end;
};

/* What a scenario holds between its steps. */
struct state {
	struct neuf_device *dev;
	uint32_t vm;
	bool has_vm;
	uint32_t syncobj;
	uint8_t *buf;
	size_t len;
	struct drm_neuf_job_status st;
	bool job;		/* @st is a job's status */
};

struct scenario {
	const char *name;
	/* Prepare what the call needs (no failure injected). */
	int (*setup)(struct alloc *a, struct state *s);
	/* The call that allocations may fail in: 0 or a negative errno. */
	int (*act)(struct alloc *a, struct state *s);
	bool needs_vram;
};

static int setup_open(struct alloc *a, struct state *s)
{
	return neuf_device_open(a->cfg->device, &s->dev);
}

static int setup_vm(struct alloc *a, struct state *s)
{
	int ret = setup_open(a, s);

	ret = ret ?: neuf_vm_create(s->dev, NEUF_VM_CREATE_SVM, &s->vm);
	s->has_vm = !ret;
	return ret;
}

/* A VM and a buffer of fresh pages: 4 KiB ones, or one 2 MiB THP. */
static int setup_buffer(struct alloc *a, struct state *s, bool huge)
{
	uint8_t *raw;
	int ret = setup_vm(a, s);

	if (ret)
		return ret;
	s->len = huge ? THP_SIZE : FAULT_PAGES * NS_PAGE;
	raw = mmap(NULL, s->len + (huge ? THP_SIZE : 0), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return -errno;
	s->buf = raw;
	if (huge) {
		s->buf = (uint8_t *)(((uintptr_t)raw + THP_SIZE - 1) &
				     ~(THP_SIZE - 1));
		if (s->buf > raw)
			munmap(raw, (size_t)(s->buf - raw));
		munmap(s->buf + THP_SIZE, (size_t)(raw + THP_SIZE - s->buf));
		madvise(s->buf, s->len, MADV_HUGEPAGE);
	} else {
		madvise(s->buf, s->len, MADV_NOHUGEPAGE);
	}
	return 0;
}

static int setup_4k(struct alloc *a, struct state *s)
{
	return setup_buffer(a, s, false);
}

static int setup_thp(struct alloc *a, struct state *s)
{
	return setup_buffer(a, s, true);
}

static int svm_attr(struct state *s, uint32_t op, uint32_t location)
{
	struct drm_neuf_svm_attr attr = {
		.vm_id = s->vm, .op = op, .start = NS_PTR(s->buf),
		.size = s->len, .location = location,
	};

	if (op == NEUF_SVM_OP_SET)
		attr.attrs = NEUF_SVM_ATTR_LOCATION;
	return neuf_svm_attr(s->dev, &attr);
}

/* Pages in VRAM, for moving them back. */
static int setup_in_vram(struct alloc *a, struct state *s)
{
	int ret = setup_4k(a, s);

	if (!ret)
		memset(s->buf, 0x5a, s->len);
	return ret ?: svm_attr(s, NEUF_SVM_OP_PREFETCH, NEUF_SVM_LOC_VRAM);
}

/* Fresh pages that prefer VRAM: the GPU's faults migrate them there. */
static int setup_prefer_vram(struct alloc *a, struct state *s)
{
	int ret = setup_4k(a, s);

	return ret ?: svm_attr(s, NEUF_SVM_OP_SET, NEUF_SVM_LOC_VRAM);
}

static int act_open(struct alloc *a, struct state *s)
{
	return setup_open(a, s);
}

static int act_vm_create(struct alloc *a, struct state *s)
{
	int ret = neuf_vm_create(s->dev, NEUF_VM_CREATE_SVM, &s->vm);

	(void)a;
	s->has_vm = !ret;
	return ret;
}

static int act_vm_destroy(struct alloc *a, struct state *s)
{
	int ret = neuf_vm_destroy(s->dev, s->vm);

	(void)a;
	s->has_vm = ret != 0;
	return ret;
}

/* One job over the buffer (or a small one of its own), waited for. */
static int act_job(struct alloc *a, struct state *s)
{
	uint32_t words[64];
	struct neuf_dispatch d = s->buf ?
		ns_dispatch(a->sh.touch, (uint32_t)(s->len / NS_PAGE),
			    NS_ARGS(NS_PTR(s->buf))) :
		ns_dispatch(a->sh.fill, 64, NS_ARGS(NS_PTR(words), 1));
	int ret;

	/* EXEC resolves an in-syncobj into a dependency of the job. */
	ret = drmSyncobjCreate(neuf_device_fd(s->dev),
			       DRM_SYNCOBJ_CREATE_SIGNALED, &s->syncobj) ?
	      -errno : 0;
	if (ret)
		return ret;
	d.in_syncobjs = &s->syncobj;
	d.num_in_syncobjs = 1;
	ret = neuf_run(s->dev, s->vm, &d, NS_JOB_WAIT_NS, &s->st);
	s->job = ret == 0;
	return ret;
}

static int act_job_status(struct alloc *a, struct state *s)
{
	int ret = act_job(a, s);

	return ret ?: neuf_job_status(s->dev, s->vm, s->st.job_id, &s->st);
}

static int act_vm_stats(struct alloc *a, struct state *s)
{
	struct drm_neuf_vm_stats vs;

	(void)a;
	return neuf_vm_stats(s->dev, s->vm, &vs);
}

static int act_device_stats(struct alloc *a, struct state *s)
{
	struct drm_neuf_device_stats ds;

	(void)a;
	return neuf_device_stats(s->dev, &ds);
}

static int act_getparam(struct alloc *a, struct state *s)
{
	uint64_t v;

	(void)a;
	return neuf_getparam(s->dev, NEUF_PARAM_VRAM_SIZE, &v);
}

static int act_attr_set(struct alloc *a, struct state *s)
{
	(void)a;
	return svm_attr(s, NEUF_SVM_OP_SET, NEUF_SVM_LOC_SYSTEM);
}

static int act_attr_get(struct alloc *a, struct state *s)
{
	(void)a;
	return svm_attr(s, NEUF_SVM_OP_GET, 0);
}

static int act_prefetch_vram(struct alloc *a, struct state *s)
{
	(void)a;
	memset(s->buf, 0x5a, s->len);
	return svm_attr(s, NEUF_SVM_OP_PREFETCH, NEUF_SVM_LOC_VRAM);
}

static int act_prefetch_system(struct alloc *a, struct state *s)
{
	(void)a;
	return svm_attr(s, NEUF_SVM_OP_PREFETCH, NEUF_SVM_LOC_SYSTEM);
}

static const struct scenario scenarios[] = {
	{ "open", NULL, act_open, false },
	{ "getparam", setup_open, act_getparam, false },
	{ "vm-create", setup_open, act_vm_create, false },
	{ "vm-destroy", setup_vm, act_vm_destroy, false },
	{ "exec", setup_vm, act_job, false },
	{ "job-status", setup_vm, act_job_status, false },
	{ "vm-stats", setup_vm, act_vm_stats, false },
	{ "device-stats", setup_open, act_device_stats, false },
	{ "svm-attr-set", setup_4k, act_attr_set, false },
	{ "svm-attr-get", setup_4k, act_attr_get, false },
	{ "gpu-fault-4k", setup_4k, act_job, false },
	{ "gpu-fault-thp", setup_thp, act_job, false },
	{ "prefetch-to-vram", setup_4k, act_prefetch_vram, true },
	{ "prefetch-to-system", setup_in_vram, act_prefetch_system, true },
	{ "gpu-fault-to-vram", setup_prefer_vram, act_job, true },
};

static void teardown(struct state *s)
{
	if (s->syncobj)
		drmSyncobjDestroy(neuf_device_fd(s->dev), s->syncobj);
	if (s->has_vm)
		neuf_vm_destroy(s->dev, s->vm);
	if (s->dev)
		neuf_device_close(s->dev);
	if (s->buf)
		munmap(s->buf, s->len);
	memset(s, 0, sizeof(*s));
}

static int fi_write(const char *dir, const char *file, uint64_t value)
{
	char path[128], text[32];

	snprintf(path, sizeof(path), "%s%s", dir, file);
	snprintf(text, sizeof(text), "%" PRIu64 "\n", value);
	return kfile_write(path, text);
}

/* Both capabilities: the same settings. */
static int fi_set(const char *file, uint64_t value)
{
	int ret = fi_write(FAILSLAB, file, value);

	return ret ?: fi_write(FAIL_PAGE, file, value);
}

/*
 * Limit both to stacks through [start, end) but not through [reject_start,
 * reject_end); fail every kind of allocation.
 */
static int fi_configure(uint64_t start, uint64_t end, uint64_t reject_start,
			uint64_t reject_end)
{
	int ret = fi_set("require-start", start);

	ret = ret ?: fi_set("require-end", end);
	ret = ret ?: fi_set("stacktrace-depth", 32);
	ret = ret ?: fi_set("reject-start", reject_start);
	ret = ret ?: fi_set("reject-end", reject_end);
	ret = ret ?: fi_set("verbose", 0);
	ret = ret ?: fi_set("ignore-gfp-wait", 0);
	ret = ret ?: fi_write(FAIL_PAGE, "ignore-gfp-highmem", 0);
	ret = ret ?: fi_write(FAIL_PAGE, "min-order", 0);
	return ret;
}

/* Back to the kernel's defaults. */
static void fi_reset(void)
{
	fi_set("probability", 0);
	fi_set("interval", 1);
	fi_set("times", 1);
	fi_set("require-start", 0);
	fi_set("require-end", UINT64_MAX);
	fi_set("reject-start", 0);
	fi_set("reject-end", 0);
	fi_set("verbose", 2);
	fi_set("ignore-gfp-wait", 1);
	fi_write(FAIL_PAGE, "ignore-gfp-highmem", 1);
	fi_write(FAIL_PAGE, "min-order", 1);
}

static int fn_cmp(const void *x, const void *y)
{
	const struct fn *a = x, *b = y;

	return a->start < b->start ? -1 : a->start > b->start;
}

/*
 * neuf's functions from /proc/kallsyms, each ending where the next text
 * symbol (of any module) starts; the whole of neuf's text; and
 * handle_mm_fault(), whose allocations are the process's pages, not
 * neuf's (hmm_range_fault() reports their failure as -EFAULT).
 */
static int read_functions(struct alloc *a)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	struct fn *all = NULL;
	size_t n = 0, cap = 0;
	char line[512];

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char type, name[256], mod[64] = "";
		unsigned long long addr;

		if (sscanf(line, "%llx %c %255s [%63[^]]]", &addr, &type, name,
			   mod) < 3 || (type != 't' && type != 'T') || !addr)
			continue;
		if (n == cap) {
			struct fn *more = realloc(all, (cap = cap ? 2 * cap : 4096) *
						  sizeof(*all));

			if (!more) {
				fclose(f);
				free(all);
				return -ENOMEM;
			}
			all = more;
		}
		all[n].start = addr;
		/* end: 1 marks one of neuf's, fixed below */
		all[n].end = !strcmp(mod, "neuf");
		/* Long names are cut (messages only). */
		memcpy(all[n].name, name, sizeof(all[n].name) - 1);
		all[n].name[sizeof(all[n].name) - 1] = '\0';
		n++;
	}
	fclose(f);
	if (!n)
		return -ENOENT;	/* no text symbol shown: kptr_restrict */
	qsort(all, n, sizeof(*all), fn_cmp);
	a->fns = malloc(n * sizeof(*a->fns));
	if (!a->fns) {
		free(all);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(all[i].name, "handle_mm_fault") && i + 1 < n) {
			a->reject_start = all[i].start;
			a->reject_end = all[i + 1].start;
		}
		if (!all[i].end || i + 1 == n)
			continue;
		a->fns[a->nfns] = all[i];
		a->fns[a->nfns].end = all[i + 1].start;
		if (!a->text_start)
			a->text_start = all[i].start;
		a->text_end = all[i + 1].start;
		a->nfns++;
	}
	free(all);
	return a->nfns ? 0 : -ENOENT;
}

/* After an injected failure: the counters come back, a new VM works. */
static void check_after(struct alloc *a, const char *what)
{
	struct ns_counters now;
	struct neuf_device *d;
	uint32_t vm;
	int ret;

	if (ns_counters_settle(&a->base, &now, SETTLE_MS)) {
		ns_fail(a->rep, a->cfg->log, "%s: the counters did not come "
			"back: vms %lld/%lld, pt_pages %lld/%lld, dma_pages "
			"%lld/%lld, jobs %lld/%lld, vram_used %lld/%lld", what,
			now.vms, a->base.vms, now.pt_pages, a->base.pt_pages,
			now.dma_pages, a->base.dma_pages, now.jobs_in_flight,
			a->base.jobs_in_flight, now.vram_used, a->base.vram_used);
		return;
	}
	ret = neuf_device_open(a->cfg->device, &d);
	if (ret) {
		ns_fail(a->rep, a->cfg->log, "%s: the device no longer opens: %s",
			what, strerror(-ret));
		return;
	}
	ret = neuf_vm_create(d, NEUF_VM_CREATE_SVM, &vm);
	if (!ret) {
		if (!ns_check_device(d, vm, &a->sh, a->rep, a->cfg->log, what))
			a->rep->recovered++;
		neuf_vm_destroy(d, vm);
	} else {
		ns_fail(a->rep, a->cfg->log, "%s: VM_CREATE: %s", what,
			strerror(-ret));
	}
	neuf_device_close(d);
	if (ns_counters_settle(&a->base, &now, SETTLE_MS))
		ns_fail(a->rep, a->cfg->log, "%s: the check job's VM left "
			"counters behind", what);
}

/* The call's outcome under an injected failure: clean, or a failure. */
static void judge(struct alloc *a, const struct state *s, int ret,
		  const char *what)
{
	if (ret && ret != -ENOMEM) {
		ns_fail(a->rep, a->cfg->log, "%s: the call failed with %s, "
			"not ENOMEM", what, strerror(-ret));
	} else if (!ret && s->job && s->st.error && s->st.error != -ENOMEM) {
		ns_fail(a->rep, a->cfg->log, "%s: the job ended with %d at %#"
			PRIx64 ", not -ENOMEM", what, s->st.error,
			(uint64_t)s->st.fault_addr);
	}
}

/* One run of @sc with the calling task's @nth allocation failing. */
static bool run_nth(struct alloc *a, const struct scenario *sc, unsigned int nth)
{
	struct state s = { 0 };
	char what[160];
	long long left;
	int ret;

	snprintf(what, sizeof(what), "%s, allocation %u", sc->name, nth);
	ret = sc->setup ? sc->setup(a, &s) : 0;
	if (ret) {
		ns_fail(a->rep, a->cfg->log, "%s: setting up: %s", what,
			strerror(-ret));
		teardown(&s);
		return true;
	}
	a->rep->ops++;
	fi_write("", FAIL_NTH, nth);
	ret = sc->act(a, &s);
	left = kfile_read_number(FAIL_NTH);
	fi_write("", FAIL_NTH, 0);
	if (left == 0) {
		a->rep->events++;
		judge(a, &s, ret, what);
	}
	teardown(&s);
	if (left != 0)
		return true;	/* not reached: the sweep is complete */
	check_after(a, what);
	return false;
}

/* One run of @sc with the first allocation under @fn failing, anywhere. */
static void run_fn(struct alloc *a, const struct scenario *sc,
		   const struct fn *fn)
{
	struct state s = { 0 };
	char what[160];
	int ret;

	snprintf(what, sizeof(what), "%s, first allocation under %s",
		 sc->name, fn->name);
	ret = sc->setup ? sc->setup(a, &s) : 0;
	if (ret) {
		ns_fail(a->rep, a->cfg->log, "%s: setting up: %s", what,
			strerror(-ret));
		teardown(&s);
		return;
	}
	a->rep->ops++;
	fi_configure(fn->start, fn->end, a->reject_start, a->reject_end);
	fi_set("times", 1);
	fi_set("probability", 100);
	ret = sc->act(a, &s);
	fi_set("probability", 0);
	if (kfile_read_number(FAILSLAB "times") == 1 &&
	    kfile_read_number(FAIL_PAGE "times") == 1) {
		teardown(&s);
		return;		/* nothing allocated under it */
	}
	a->rep->events++;
	if (a->cfg->log)
		fprintf(a->cfg->log, "neuf-stress: alloc: %s\n", what);
	judge(a, &s, ret, what);
	teardown(&s);
	check_after(a, what);
}

/* Functions of the fault path: SVM, page tables, device memory. */
static bool fault_path(const char *name)
{
	static const char *const prefixes[] = {
		"neuf_svm_", "neuf_pt_", "neuf_dmem_", "neuf_vm_",
	};

	for (size_t i = 0; i < NS_ARRAY_SIZE(prefixes); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

int ns_alloc(const struct neuf_stress_config *cfg,
	     struct neuf_stress_report *rep)
{
	struct alloc a = { .cfg = cfg, .rep = rep };
	uint64_t start = ns_now_us(), fns = 0;
	struct neuf_device *d;
	int ret;

	if (access(FAILSLAB "require-start", W_OK) ||
	    access(FAIL_PAGE "require-start", W_OK) || access(FAIL_NTH, W_OK)) {
		if (cfg->log)
			fprintf(cfg->log, "neuf-stress: alloc: needs failslab and "
				"fail_page_alloc in debugfs with the stack-trace "
				"filter (CONFIG_FAULT_INJECTION_STACKTRACE_FILTER) "
				"and /proc/thread-self/fail-nth\n");
		return -EOPNOTSUPP;
	}
	ret = neuf_device_open(cfg->device, &d);
	if (ret)
		return ret;
	neuf_getparam(d, NEUF_PARAM_VRAM_SIZE, &a.vram);
	neuf_device_close(d);
	ret = ns_shaders_init(&a.sh);
	ret = ret ?: read_functions(&a);
	ret = ret ?: ns_counters_read(&a.base);
	ret = ret ?: fi_configure(a.text_start, a.text_end, a.reject_start,
				  a.reject_end);
	if (ret)
		goto out;
	rep->procs = 1;

	/* Exactly: the Nth allocation of the calling task, every N. */
	for (size_t i = 0; i < NS_ARRAY_SIZE(scenarios); i++) {
		const struct scenario *sc = &scenarios[i];
		unsigned int nth = 1;

		if (sc->needs_vram && !a.vram)
			continue;
		while (nth <= MAX_NTH && !run_nth(&a, sc, nth))
			nth++;
		if (cfg->log)
			fprintf(cfg->log, "neuf-stress: alloc: %s: %u "
				"allocations of its task failed in turn\n",
				sc->name, nth - 1);
		if (nth > MAX_NTH)
			ns_fail(rep, cfg->log, "%s: the sweep did not end within "
				"%u allocations", sc->name, MAX_NTH);
	}

	/*
	 * Per function: the first allocation under it, in any context. The
	 * fault path's functions first (the short form's budget, @cfg->ops
	 * functions, goes to them), then the rest.
	 */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t f = 0; f < a.nfns; f++) {
			if (fault_path(a.fns[f].name) != !pass)
				continue;
			if (cfg->ops && fns == cfg->ops)
				break;
			fns++;
			for (size_t i = 0; i < NS_ARRAY_SIZE(scenarios); i++)
				if (!scenarios[i].needs_vram || a.vram)
					run_fn(&a, &scenarios[i], &a.fns[f]);
		}
	}
	if (cfg->log)
		fprintf(cfg->log, "neuf-stress: alloc: %" PRIu64 " of neuf's %zu "
			"functions swept\n", fns, a.nfns);
out:
	fi_reset();
	free(a.fns);
	ns_shaders_fini(&a.sh);
	rep->usec = ns_now_us() - start;
	return ret;
}
