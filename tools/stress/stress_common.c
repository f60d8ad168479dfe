// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * What the stress parts share (stress_internal.h), and the entry points of
 * neuf_stress.h.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "neuf_asm.h"
#include "svm_backend_neuf.h"
#include "stress_internal.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

static const char spin_src[] =
	"sreg r2, arg0\n"
	"li r1, 1\n"
	"st32 [r2], r1\n"
	"spin: bnz r1, spin\n"
	"halt\n";

static const char touch_src[] =
	"sreg r1, global_id\n"
	"sreg r2, arg0\n"
	"shli r3, r1, 12\n"
	"add r2, r2, r3\n"
	"li r4, 1\n"
	"st32 [r2], r4\n"
	"halt\n";

static const char copy_word_src[] =
	"sreg r1, arg0\n"
	"sreg r2, arg1\n"
	"ld32 r3, [r1]\n"
	"st32 [r2], r3\n"
	"halt\n";

static const char spin_fill_src[] =
	"sreg r1, arg0\n"
	"li r2, 0\n"
	"spin:\n"
	"  addi r2, r2, 1\n"
	"  b.lt r2, r1, spin\n"
	"sreg r1, global_id\n"
	"sreg r3, arg1\n"
	"sreg r4, arg2\n"
	"shli r5, r1, 2\n"
	"add r5, r3, r5\n"
	"add r6, r4, r1\n"
	"st32 [r5], r6\n"
	"halt\n";

static int assemble(const char *src, uint64_t **code, size_t *bytes)
{
	struct neuf_asm_program prog = { 0 };
	char err[128];
	int ret;

	ret = neuf_assemble(src, &prog, err, sizeof(err));
	*code = ret ? NULL : prog.code;
	if (bytes)
		*bytes = ret ? 0 : prog.count * sizeof(*prog.code);
	return ret;
}

int ns_shaders_init(struct ns_shaders *sh)
{
	int ret;

	memset(sh, 0, sizeof(*sh));
	ret = assemble(svm_backend_neuf_source(SVM_FILL), &sh->fill,
		       &sh->fill_bytes);
	ret = ret ?: assemble(svm_backend_neuf_source(SVM_RMW_STRIDED),
			      &sh->rmw_strided, NULL);
	ret = ret ?: assemble(spin_src, &sh->spin, NULL);
	ret = ret ?: assemble(touch_src, &sh->touch, NULL);
	ret = ret ?: assemble(copy_word_src, &sh->copy_word, NULL);
	ret = ret ?: assemble(spin_fill_src, &sh->spin_fill, NULL);
	if (ret)
		ns_shaders_fini(sh);
	return ret;
}

void ns_shaders_fini(struct ns_shaders *sh)
{
	free(sh->fill);
	free(sh->rmw_strided);
	free(sh->spin);
	free(sh->touch);
	free(sh->copy_word);
	free(sh->spin_fill);
	memset(sh, 0, sizeof(*sh));
}

struct neuf_dispatch ns_dispatch(const uint64_t *code, uint32_t grid,
				 const uint64_t args[NEUF_EXEC_NUM_ARGS])
{
	struct neuf_dispatch d = {
		.code = NS_PTR(code),
		.grid_size = grid,
		.group_size = 64,
	};

	/* The largest power of two up to 64 that divides the grid. */
	while (grid % d.group_size)
		d.group_size >>= 1;
	memcpy(d.args, args, sizeof(d.args));
	return d;
}

uint64_t ns_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t ns_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct neuf_stress_report *ns_report_shared(void)
{
	struct neuf_stress_report *r;

	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		return NULL;
	memset(r, 0, sizeof(*r));
	return r;
}

void ns_report_collect(struct neuf_stress_report *shared,
		       struct neuf_stress_report *rep, uint64_t start_us)
{
	*rep = *shared;
	rep->usec = ns_now_us() - start_us;
	munmap(shared, sizeof(*shared));
}

void ns_count(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/* Log a failure or an escape; the first one's text is kept in @rep. */
__attribute__((format(printf, 4, 0)))
static void ns_note(struct neuf_stress_report *rep, FILE *log,
		    const char *kind, const char *fmt, va_list ap)
{
	char what[sizeof(rep->first) - 16], text[sizeof(rep->first)];
	char expected = 0;

	vsnprintf(what, sizeof(what), fmt, ap);
	snprintf(text, sizeof(text), "%s: %s", kind, what);
	if (log) {
		fprintf(log, "neuf-stress: %s\n", text);
		fflush(log);
	}
	/* Processes share @rep: its first byte claims the slot. */
	if (__atomic_compare_exchange_n(&rep->first[0], &expected, text[0],
					false, __ATOMIC_ACQ_REL,
					__ATOMIC_RELAXED))
		memcpy(rep->first + 1, text + 1, sizeof(text) - 1);
}

void ns_fail(struct neuf_stress_report *rep, FILE *log, const char *fmt, ...)
{
	va_list ap;

	ns_count(&rep->failures, 1);
	va_start(ap, fmt);
	ns_note(rep, log, "failure", fmt, ap);
	va_end(ap);
}

void ns_escape(struct neuf_stress_report *rep, FILE *log, const char *fmt, ...)
{
	va_list ap;

	ns_count(&rep->escapes, 1);
	va_start(ap, fmt);
	ns_note(rep, log, "ESCAPE", fmt, ap);
	va_end(ap);
}

int ns_check_device(struct neuf_device *d, uint32_t vm,
		    const struct ns_shaders *sh, struct neuf_stress_report *rep,
		    FILE *log, const char *what)
{
	const uint32_t n = 1024;
	struct drm_neuf_job_status st = { 0 };
	struct neuf_dispatch disp;
	uint32_t *buf = malloc(n * 4), first = 0x5eed0000, wrong = 0;
	int ret;

	if (!buf) {
		ns_fail(rep, log, "%s: no memory to check the device", what);
		return -EIO;
	}
	memset(buf, 0, n * 4);
	disp = ns_dispatch(sh->fill, n, NS_ARGS(NS_PTR(buf), first));
	ret = neuf_run(d, vm, &disp, NS_JOB_WAIT_NS, &st);
	ns_count(&rep->jobs, 1);
	if (ret || st.error) {
		ns_fail(rep, log, "%s: a job on a working VM: %s, job error %d "
			"at %#" PRIx64, what, strerror(ret ? -ret : 0),
			st.error, (uint64_t)st.fault_addr);
		free(buf);
		return -EIO;
	}
	for (uint32_t i = 0; i < n; i++)
		wrong += buf[i] != first + i;
	ns_count(&rep->bytes_checked, n * 4);
	free(buf);
	if (wrong) {
		ns_count(&rep->wrong_bytes, wrong * 4);
		ns_fail(rep, log, "%s: %u of %u words wrong after a job", what,
			wrong, n);
		return -EIO;
	}
	return 0;
}

unsigned long ns_taint(void)
{
	long long t = kfile_read_number("/proc/sys/kernel/tainted");

	return t < 0 ? 0 : (unsigned long)t & ~NS_TAINT_OK;
}

long long ns_param(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), NS_PARAMS "%s", name);
	return kfile_read_number(path);
}

long long ns_param_set(const char *name, long long value)
{
	long long old = ns_param(name);
	char path[128], text[32];

	snprintf(path, sizeof(path), NS_PARAMS "%s", name);
	snprintf(text, sizeof(text), "%lld\n", value);
	return kfile_write(path, text) ? -1 : old;
}

int ns_cgroup_create(char *cg, size_t len, const char *name, const char *max)
{
	char path[256];
	int ret;

	if (!kfile_has_word(CGROUP_ROOT "/cgroup.controllers", "memory"))
		return -EOPNOTSUPP;
	if (!kfile_has_word(CGROUP_ROOT "/cgroup.subtree_control", "memory") &&
	    kfile_write(CGROUP_ROOT "/cgroup.subtree_control", "+memory"))
		return -EOPNOTSUPP;
	snprintf(cg, len, CGROUP_ROOT "/%s-%d", name, getpid());
	if (mkdir(cg, 0755) && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/memory.max", cg);
	ret = kfile_write(path, max);
	snprintf(path, sizeof(path), "%s/memory.swap.max", cg);
	if (!ret && access(path, F_OK) == 0)
		ret = kfile_write(path, "0");
	if (ret)
		ns_cgroup_remove(cg);
	return ret;
}

int ns_cgroup_remove(const char *cg)
{
	char events[512];

	snprintf(events, sizeof(events), "%s/cgroup.events", cg);
	for (int tries = 0; tries < 100; tries++) {
		struct pollfd pfd;

		if (!rmdir(cg) || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		/* Populated still: wait for cgroup.events to change. */
		pfd.fd = open(events, O_RDONLY | O_CLOEXEC);
		if (pfd.fd < 0)
			continue;
		pfd.events = POLLPRI;
		if (kfile_read_key(events, "populated") != 0)
			poll(&pfd, 1, 100);
		close(pfd.fd);
	}
	return -EBUSY;
}

int ns_cgroup_join(const char *cg)
{
	char path[256], pid[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	return kfile_write(path, pid);
}

int ns_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

/* The neuf device's DRM debugfs file @file, in @path. */
static int debugfs_path(const char *file, char *path, size_t size)
{
	char name[64];

	for (int minor = 0; minor < 256; minor++) {
		FILE *f;

		snprintf(path, size, "/sys/kernel/debug/dri/%d/name", minor);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (!fgets(name, sizeof(name), f))
			name[0] = '\0';
		fclose(f);
		if (!strncmp(name, "neuf", 4)) {
			snprintf(path, size, "/sys/kernel/debug/dri/%d/%s",
				 minor, file);
			return access(path, R_OK) ? -ENOENT : 0;
		}
	}
	return -ENOENT;
}

/* The number after "@key=" in @line, or 0. */
static long long field(const char *line, const char *key)
{
	char match[32];
	const char *at;

	snprintf(match, sizeof(match), " %s=", key);
	at = strstr(line, match);
	return at ? strtoll(at + strlen(match), NULL, 10) : 0;
}

int ns_counters_read(struct ns_counters *c)
{
	char path[128], line[1024];
	FILE *f;

	memset(c, 0, sizeof(*c));
	if (debugfs_path("neuf_vms", path, sizeof(path)))
		return -ENOENT;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "instance ", 9))
			continue;
		c->vms++;
		c->pt_pages += field(line, "pt_pages");
		c->dma_pages += field(line, "dma_pages");
	}
	fclose(f);
	if (!debugfs_path("neuf_fault_buffer", path, sizeof(path)))
		c->jobs_in_flight = kfile_read_key(path, "jobs_in_flight");
	if (!debugfs_path("neuf_device_memory", path, sizeof(path)))
		c->vram_used = kfile_read_key(path, "vram_used");
	return 0;
}

int ns_counters_settle(const struct ns_counters *base, struct ns_counters *now,
		       unsigned int wait_ms)
{
	for (unsigned int waited = 0;; waited += 10) {
		int ret = ns_counters_read(now);

		if (ret)
			return ret;
		if (!memcmp(now, base, sizeof(*now)))
			return 0;
		if (waited >= wait_ms)
			return -ETIMEDOUT;
		usleep(10000);
	}
}

static const char *const part_names[NEUF_STRESS_PARTS] = {
	[NEUF_STRESS_CHURN] = "churn",
	[NEUF_STRESS_OOM] = "oom",
	[NEUF_STRESS_HANG] = "hang",
	[NEUF_STRESS_UNBIND] = "unbind",
	[NEUF_STRESS_ISOLATION] = "isolation",
	[NEUF_STRESS_ALLOC] = "alloc",
};

const char *neuf_stress_part_name(enum neuf_stress_part part)
{
	return (unsigned int)part < NEUF_STRESS_PARTS ? part_names[part] : NULL;
}

char *neuf_stress_replay(enum neuf_stress_part part,
			 const struct neuf_stress_config *cfg, char *buf,
			 size_t len)
{
	const char *name = neuf_stress_part_name(part);

	snprintf(buf, len, "neuf-stress %s --seed %" PRIu64 " --procs %u "
		 "--ops %" PRIu64 "%s", name ? name : "?", cfg->seed, cfg->procs,
		 cfg->ops, part == NEUF_STRESS_CHURN && cfg->no_compaction ?
		 " --no-compaction" : "");
	return buf;
}

int neuf_stress_run(enum neuf_stress_part part,
		    const struct neuf_stress_config *cfg,
		    struct neuf_stress_report *rep)
{
	unsigned long taint = ns_taint();
	int ret;

	memset(rep, 0, sizeof(*rep));
	switch (part) {
	case NEUF_STRESS_CHURN:
		ret = ns_churn(cfg, rep);
		break;
	case NEUF_STRESS_OOM:
		ret = ns_oom(cfg, rep);
		break;
	case NEUF_STRESS_HANG:
		ret = ns_hang(cfg, rep);
		break;
	case NEUF_STRESS_UNBIND:
		ret = ns_unbind(cfg, rep);
		break;
	case NEUF_STRESS_ALLOC:
		ret = ns_alloc(cfg, rep);
		break;
	case NEUF_STRESS_ISOLATION:
		ret = neuf_stress_isolation((1u << NEUF_ISO_SCENARIOS) - 1,
					    cfg, rep);
		break;
	default:
		return -EINVAL;
	}
	if (!ret && ns_taint() != taint)
		ns_fail(rep, cfg->log, "the kernel got tainted: %#lx",
			ns_taint() & ~taint);
	return ret;
}

uint64_t neuf_stress_problems(const struct neuf_stress_report *rep)
{
	return rep->failures + rep->escapes + rep->wrong_bytes;
}

void neuf_stress_write_json(FILE *fp, enum neuf_stress_part part,
			    const struct neuf_stress_config *cfg,
			    const struct neuf_stress_report *r)
{
	fprintf(fp, "{\"part\": \"%s\", \"seed\": %" PRIu64 ", \"procs\": %"
		PRIu64 ", \"ops\": %" PRIu64 ", \"jobs\": %" PRIu64
		", \"jobs_failed\": %" PRIu64 ", \"events\": %" PRIu64
		", \"recovered\": %" PRIu64 ", \"attempts\": %" PRIu64
		", \"escapes\": %" PRIu64 ", \"bytes_checked\": %" PRIu64
		", \"wrong_bytes\": %" PRIu64 ", \"failures\": %" PRIu64
		", \"seconds\": %.1f, \"first\": \"",
		neuf_stress_part_name(part), cfg->seed, r->procs, r->ops,
		r->jobs, r->jobs_failed, r->events, r->recovered, r->attempts,
		r->escapes, r->bytes_checked, r->wrong_bytes, r->failures,
		(double)r->usec / 1e6);
	for (const char *c = r->first; *c; c++) {
		if (*c == '"' || *c == '\\')
			fputc('\\', fp);
		fputc((unsigned char)*c < 0x20 ? ' ' : *c, fp);
	}
	fprintf(fp, "\"}\n");
}
