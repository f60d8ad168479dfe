// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * The isolation red team. An owner process makes a VM, runs a job in it
 * and a job that faults at an address of its own (a secret: the layout of
 * its address space); attackers then try to use, destroy, inspect or
 * guess their way into it: through the owner's fd passed to them (from a
 * process of the same user, of another user, in another memory cgroup, in
 * a user namespace), through the fd a forked child inherits, through VM
 * and job ids guessed on a file of their own, by racing VM destruction
 * against submission, by handing the GPU code and data pointers that are
 * valid only in the owner's address space, and by reading job reports
 * while the owner faults. Every attempt is counted; one that succeeds is
 * an escape. After each scenario the owner's memory and VM are checked.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stress_internal.h"

#define OWNER_WORDS	1024
#define OWNER_FIRST	0x0e000000u
#define MARKER		0x5ec7e700u
#define NOBODY		65534
#define GUESSES		64
/* Attacker exits: 0 done; this one: it could not take its identity. */
#define CANNOT_BECOME	3

static const char *const scenario_names[NEUF_ISO_SCENARIOS] = {
	[NEUF_ISO_FD_PASSED] = "fd-passed",
	[NEUF_ISO_OTHER_USER] = "other-user",
	[NEUF_ISO_OTHER_MEMCG] = "other-memcg",
	[NEUF_ISO_USERNS] = "user-namespace",
	[NEUF_ISO_FORK_CHILD] = "fork-child",
	[NEUF_ISO_GUESSED_IDS] = "guessed-ids",
	[NEUF_ISO_DESTROY_RACE] = "destroy-exec-race",
	[NEUF_ISO_FOREIGN_POINTERS] = "foreign-pointers",
	[NEUF_ISO_FAULT_REPORT] = "fault-report",
};

const char *neuf_stress_scenario_name(enum neuf_stress_scenario s)
{
	return (unsigned int)s < NEUF_ISO_SCENARIOS ? scenario_names[s] : NULL;
}

/* What an owner tells its attacker (over a socket, or through fork). */
struct target {
	uint32_t vm;
	uint64_t job;		/* a job that succeeded */
	uint64_t fault_job;	/* a job that faulted at @fault_addr */
	uint64_t fault_addr;	/* where: the owner's secret */
	uint64_t buf;		/* the owner's buffer */
	uint64_t code;		/* foreign-pointers: the owner's code page */
	uint64_t secret;	/* foreign-pointers: the owner's data page */
	uint32_t secret_value;
};

struct iso {
	const struct neuf_stress_config *cfg;
	struct neuf_stress_report *rep;	/* shared with the attackers */
	struct ns_shaders sh;
	uint64_t rng;
	const char *name;		/* the scenario's */
};

struct owner {
	struct neuf_device *dev;
	uint32_t *buf;
	void *none;			/* a PROT_NONE page: the fault's */
	uint64_t jobs_before;
	struct target t;
};

/*
 * A page at a random address that nothing maps, from 4 GiB to 64 TiB: above
 * the program and its heap, below the mmap base and the stack. Sanitizers
 * reserve parts of that range (ASan's shadow: a quarter of it; its heap
 * lies at 96 TiB, where this once looked), so a taken page means another
 * try.
 */
static void *fixed_page(struct iso *iso, int prot)
{
	const uint64_t lo = 1ULL << 32, hi = 1ULL << 46;

	for (int tries = 0; tries < 64; tries++) {
		uint64_t page = lo + ns_rand(&iso->rng) % ((hi - lo) / NS_PAGE) *
				NS_PAGE;
		void *p = mmap((void *)(uintptr_t)page, NS_PAGE, prot,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			       -1, 0);

		if (p != MAP_FAILED)
			return p;
	}
	return NULL;
}

static bool mapped(uint64_t addr)
{
	return msync((void *)(uintptr_t)(addr & ~(NS_PAGE - 1)), NS_PAGE,
		     MS_ASYNC) == 0;
}

/* The owner's VM: a job that ran, a job that faulted, its counters. */
static int owner_prepare(struct iso *iso, struct owner *o)
{
	struct drm_neuf_job_status st = { 0 };
	struct drm_neuf_vm_stats vs = { 0 };
	struct neuf_dispatch d;
	uint32_t out = 0;
	int ret;

	memset(&o->t, 0, sizeof(o->t));
	ret = neuf_device_open(iso->cfg->device, &o->dev);
	if (ret)
		return ret;
	ret = neuf_vm_create(o->dev, NEUF_VM_CREATE_SVM, &o->t.vm);
	o->buf = calloc(OWNER_WORDS, 4);
	o->none = fixed_page(iso, PROT_NONE);
	if (ret || !o->buf || !o->none)
		return ret ?: -ENOMEM;
	d = ns_dispatch(iso->sh.fill, OWNER_WORDS,
			NS_ARGS(NS_PTR(o->buf), OWNER_FIRST));
	ret = neuf_run(o->dev, o->t.vm, &d, NS_JOB_WAIT_NS, &st);
	if (ret || st.error)
		return ret ?: -EIO;
	o->t.job = st.job_id;
	o->t.buf = NS_PTR(o->buf);
	o->t.fault_addr = NS_PTR(o->none) + 8 * (ns_rand(&iso->rng) % 512);
	d = ns_dispatch(iso->sh.copy_word, 1,
			NS_ARGS(o->t.fault_addr, NS_PTR(&out)));
	ret = neuf_run(o->dev, o->t.vm, &d, NS_JOB_WAIT_NS, &st);
	if (ret || st.error != -EFAULT || st.fault_addr != o->t.fault_addr) {
		ns_fail(iso->rep, iso->cfg->log, "%s: the owner's faulting job: "
			"%s, error %d at %#" PRIx64 " (expected EFAULT at %#"
			PRIx64 ")", iso->name, strerror(ret ? -ret : 0),
			st.error, (uint64_t)st.fault_addr, o->t.fault_addr);
		return -EIO;
	}
	o->t.fault_job = st.job_id;
	ret = neuf_vm_stats(o->dev, o->t.vm, &vs);
	o->jobs_before = vs.jobs_submitted;
	return ret;
}

/* Nothing of the owner changed, and its VM works. */
static void owner_verify(struct iso *iso, struct owner *o)
{
	struct drm_neuf_vm_stats vs = { 0 };
	uint32_t wrong = 0;

	for (uint32_t i = 0; i < OWNER_WORDS; i++)
		wrong += o->buf[i] != OWNER_FIRST + i;
	ns_count(&iso->rep->bytes_checked, OWNER_WORDS * 4);
	if (wrong) {
		ns_count(&iso->rep->wrong_bytes, wrong * 4);
		ns_escape(iso->rep, iso->cfg->log, "%s: %u words of the owner's "
			  "buffer changed", iso->name, wrong);
	}
	if (neuf_vm_stats(o->dev, o->t.vm, &vs) ||
	    vs.jobs_submitted != o->jobs_before)
		ns_escape(iso->rep, iso->cfg->log, "%s: the owner's VM ran %"
			  PRIu64 " jobs it did not submit", iso->name,
			  (uint64_t)(vs.jobs_submitted - o->jobs_before));
	ns_check_device(o->dev, o->t.vm, &iso->sh, iso->rep, iso->cfg->log,
			iso->name);
}

static void owner_release(struct owner *o)
{
	if (o->dev)
		neuf_device_close(o->dev);
	free(o->buf);
	if (o->none)
		munmap(o->none, NS_PAGE);
	memset(o, 0, sizeof(*o));
}

/*
 * One attempt: @ret is what the call returned, @allowed the one result
 * that is not an escape (a negative errno).
 */
static void attempt(struct iso *iso, const char *what, int ret, int allowed)
{
	ns_count(&iso->rep->attempts, 1);
	if (ret == allowed)
		return;
	if (ret == 0)
		ns_escape(iso->rep, iso->cfg->log, "%s: %s succeeded",
			  iso->name, what);
	else
		ns_fail(iso->rep, iso->cfg->log, "%s: %s: %s (expected %s)",
			iso->name, what, strerror(-ret), strerror(-allowed));
}

/* Everything a holder of the owner's file may try on the owner's VM. */
static void attack_vm(struct iso *iso, struct neuf_device *d,
		      const struct target *t)
{
	struct drm_neuf_job_status st = { 0 };
	struct drm_neuf_vm_stats vs = { 0 };
	struct drm_neuf_svm_attr a = {
		.vm_id = t->vm, .op = NEUF_SVM_OP_GET,
		.start = t->buf & ~(NS_PAGE - 1), .size = NS_PAGE,
	};
	struct neuf_dispatch disp = ns_dispatch(iso->sh.fill, OWNER_WORDS,
						NS_ARGS(t->buf, MARKER));
	int ret;

	attempt(iso, "EXEC on the owner's VM",
		neuf_exec(d, t->vm, &disp, NULL), -EACCES);
	attempt(iso, "VM_DESTROY of the owner's VM",
		neuf_vm_destroy(d, t->vm), -EACCES);
	attempt(iso, "SVM_ATTR GET on the owner's VM (its memory's layout)",
		neuf_svm_attr(d, &a), -EACCES);
	a.op = NEUF_SVM_OP_PREFETCH;
	a.location = NEUF_SVM_LOC_SYSTEM;
	attempt(iso, "SVM_ATTR PREFETCH on the owner's VM",
		neuf_svm_attr(d, &a), -EACCES);

	/* Reading the owner's counters and job states is allowed... */
	ret = neuf_vm_stats(d, t->vm, &vs);
	if (ret)
		ns_fail(iso->rep, iso->cfg->log, "%s: VM_STATS: %s", iso->name,
			strerror(-ret));
	ret = neuf_job_status(d, t->vm, t->job, &st);
	if (ret || st.state != NEUF_JOB_STATE_DONE || st.error)
		ns_fail(iso->rep, iso->cfg->log, "%s: JOB_STATUS of the owner's "
			"job: %s, state %u, error %d", iso->name,
			strerror(ret ? -ret : 0), st.state, st.error);
	/* ...but never where its jobs faulted: that is its address space. */
	ns_count(&iso->rep->attempts, 1);
	ret = neuf_job_status(d, t->vm, t->fault_job, &st);
	if (!ret && (st.fault_addr || st.fault_access))
		ns_escape(iso->rep, iso->cfg->log, "%s: JOB_STATUS tells another "
			  "process where the owner's job faulted (%#" PRIx64
			  ")", iso->name, (uint64_t)st.fault_addr);
	else if (ret || st.error != -EFAULT)
		ns_fail(iso->rep, iso->cfg->log, "%s: JOB_STATUS of the owner's "
			"faulting job: %s, error %d", iso->name,
			strerror(ret ? -ret : 0), st.error);
}

static int send_target(int sock, int fd, const struct target *t)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)t, .iov_len = sizeof(*t) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;

	if (fd >= 0) {
		mh.msg_control = control;
		mh.msg_controllen = sizeof(control);
		cmsg = CMSG_FIRSTHDR(&mh);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, 0) == (ssize_t)sizeof(*t) ? 0 : -EIO;
}

/* Receive a target, and the fd with it if one came (else -1 in @fd). */
static int recv_target(int sock, int *fd, struct target *t)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = t, .iov_len = sizeof(*t) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cmsg;

	*fd = -1;
	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != (ssize_t)sizeof(*t))
		return -EIO;
	cmsg = CMSG_FIRSTHDR(&mh);
	if (cmsg && cmsg->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(cmsg), sizeof(int));
	return 0;
}

/* The attacker takes the identity its scenario gives it. */
static int become(enum neuf_stress_scenario s, const char *cg)
{
	switch (s) {
	case NEUF_ISO_OTHER_USER:
		return setresgid(NOBODY, NOBODY, NOBODY) ||
		       setresuid(NOBODY, NOBODY, NOBODY) ? -errno : 0;
	case NEUF_ISO_OTHER_MEMCG:
		return ns_cgroup_join(cg);
	case NEUF_ISO_USERNS:
		return unshare(CLONE_NEWUSER) ? -errno : 0;
	default:
		return 0;
	}
}

/* Guess ids on a file of one's own: none may reach another file's VM. */
static void guess_ids(struct iso *iso, const struct target *t)
{
	struct neuf_device *d;
	uint32_t own;

	if (neuf_device_open(iso->cfg->device, &d) ||
	    neuf_vm_create(d, NEUF_VM_CREATE_SVM, &own)) {
		ns_fail(iso->rep, iso->cfg->log, "%s: opening a file of its own",
			iso->name);
		return;
	}
	for (unsigned int g = 0; g < GUESSES + 1; g++) {
		uint32_t id = g < GUESSES / 2 ? g : g == GUESSES ? t->vm :
			      (uint32_t)ns_rand(&iso->rng);
		struct drm_neuf_job_status st = { 0 };
		struct drm_neuf_vm_stats vs = { 0 };
		struct neuf_dispatch disp = ns_dispatch(iso->sh.fill, 1,
							NS_ARGS(t->buf, MARKER));

		if (id == own)
			continue;
		attempt(iso, "EXEC on a guessed VM id",
			neuf_exec(d, id, &disp, NULL), -ENOENT);
		attempt(iso, "JOB_STATUS on a guessed VM id",
			neuf_job_status(d, id, t->fault_job, &st), -ENOENT);
		attempt(iso, "VM_STATS on a guessed VM id",
			neuf_vm_stats(d, id, &vs), -ENOENT);
		attempt(iso, "VM_DESTROY of a guessed VM id",
			neuf_vm_destroy(d, id), -ENOENT);
	}
	/* Job ids of its own VM that it never ran. */
	for (unsigned int g = 0; g < GUESSES; g++) {
		struct drm_neuf_job_status st = { 0 };

		attempt(iso, "JOB_STATUS of a guessed job id",
			neuf_job_status(d, own, t->job + g, &st), -EINVAL);
	}
	neuf_vm_destroy(d, own);
	neuf_device_close(d);
}

/*
 * An attacker that gets the target over a socket (and the owner's fd with
 * it, unless it guesses ids on its own file).
 */
static int scenario_remote(struct iso *iso, enum neuf_stress_scenario s)
{
	bool pass_fd = s != NEUF_ISO_GUESSED_IDS;
	struct owner o = { 0 };
	char cg[200] = "", c = 0;
	int sv[2], ret, status;
	bool ready;
	pid_t pid;

	if (s == NEUF_ISO_OTHER_MEMCG) {
		ret = ns_cgroup_create(cg, sizeof(cg), "neuf-stress-iso", "max");
		if (ret)
			return ret;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		ret = -errno;
		goto out_cg;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		struct neuf_device *d = NULL;
		struct target t;
		int fd;

		close(sv[0]);
		ret = become(s, cg);
		if (ret) {
			if (iso->cfg->log)
				fprintf(iso->cfg->log, "neuf-stress: %s: %s\n",
					iso->name, strerror(-ret));
			_exit(CANNOT_BECOME);
		}
		if (write(sv[1], "r", 1) != 1 || recv_target(sv[1], &fd, &t))
			_exit(1);
		if (!pass_fd)
			guess_ids(iso, &t);
		else if (neuf_device_open_fd(fd, &d) == 0)
			attack_vm(iso, d, &t);
		else
			ns_fail(iso->rep, iso->cfg->log, "%s: the passed fd",
				iso->name);
		if (d)
			neuf_device_close(d);
		_exit(write(sv[1], "d", 1) == 1 ? 0 : 1);
	}
	close(sv[1]);
	if (pid < 0) {
		ret = -errno;
		close(sv[0]);
		goto out_cg;
	}
	/* The owner opens its file only now: the attacker has no copy. */
	ready = read(sv[0], &c, 1) == 1 && c == 'r';
	ret = ready ? owner_prepare(iso, &o) : 0;
	if (ready && !ret) {
		ret = send_target(sv[0], pass_fd ? neuf_device_fd(o.dev) : -1,
				  &o.t);
		if (!ret && read(sv[0], &c, 1) != 1)
			c = 0;
	}
	close(sv[0]);	/* an attacker still waiting gives up */
	status = ns_wait(pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == CANNOT_BECOME) {
		if (iso->cfg->log)
			fprintf(iso->cfg->log, "neuf-stress: %s: the attacker "
				"cannot take that identity here\n", iso->name);
		ret = -EOPNOTSUPP;
	} else if (!ready || ret) {
		ns_fail(iso->rep, iso->cfg->log, "%s: the owner: %s", iso->name,
			ready ? strerror(-ret) : "the attacker never started");
	} else if (status || c != 'd') {
		ns_fail(iso->rep, iso->cfg->log, "%s: the attacker ended with "
			"status %#x", iso->name, status);
	}
	if (ready && !ret)
		owner_verify(iso, &o);
	owner_release(&o);
out_cg:
	if (cg[0])
		ns_cgroup_remove(cg);
	return ret == -EOPNOTSUPP ? ret : 0;
}

/* A child uses the file it inherited on its parent's VM. */
static int scenario_fork_child(struct iso *iso)
{
	struct owner o = { 0 };
	int ret = owner_prepare(iso, &o), status;
	pid_t pid;

	if (ret) {
		ns_fail(iso->rep, iso->cfg->log, "%s: the owner: %s", iso->name,
			strerror(-ret));
		owner_release(&o);
		return 0;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		attack_vm(iso, o.dev, &o.t);
		_exit(0);
	}
	status = pid < 0 ? -1 : ns_wait(pid);
	if (status)
		ns_fail(iso->rep, iso->cfg->log, "%s: the child: status %#x",
			iso->name, status);
	owner_verify(iso, &o);
	owner_release(&o);
	return 0;
}

struct race {
	struct neuf_device *dev;
	_Atomic uint32_t vm;
	atomic_bool stop;
	uint64_t rounds;
	int err;
};

/* Destroy the VM the other thread submits to, and make a new one. */
static void *destroyer(void *arg)
{
	struct race *r = arg;

	for (uint64_t i = 0; i < r->rounds; i++) {
		uint32_t old = atomic_load(&r->vm), vm;
		int ret = neuf_vm_create(r->dev, NEUF_VM_CREATE_SVM, &vm);

		if (!ret) {
			atomic_store(&r->vm, vm);
			ret = neuf_vm_destroy(r->dev, old);
		}
		if (ret) {
			r->err = ret;
			break;
		}
	}
	atomic_store(&r->stop, true);
	return NULL;
}

/* VM_DESTROY races EXEC on the same VM: each EXEC succeeds or ENOENT. */
static int scenario_destroy_race(struct iso *iso)
{
	/*
	 * Jobs of destroyed VMs may still run: the buffer is unmapped at the
	 * end (their accesses then fault), never freed to the heap.
	 */
	uint32_t *buf = mmap(NULL, OWNER_WORDS * 4, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct race r = { .rounds = 8 };
	uint64_t submitted = 0;
	uint32_t vm = 0;
	pthread_t t;
	int ret;

	ret = neuf_device_open(iso->cfg->device, &r.dev);
	ret = ret ?: neuf_vm_create(r.dev, NEUF_VM_CREATE_SVM, &vm);
	if (ret || buf == MAP_FAILED) {
		ns_fail(iso->rep, iso->cfg->log, "%s: setting up: %s", iso->name,
			strerror(ret ? -ret : ENOMEM));
		goto out;
	}
	atomic_store(&r.vm, vm);
	if (pthread_create(&t, NULL, destroyer, &r)) {
		ns_fail(iso->rep, iso->cfg->log, "%s: no thread", iso->name);
		goto out;
	}
	while (!atomic_load(&r.stop)) {
		struct neuf_dispatch d = ns_dispatch(iso->sh.fill, OWNER_WORDS,
						     NS_ARGS(NS_PTR(buf), 1));

		ret = neuf_exec(r.dev, atomic_load(&r.vm), &d, NULL);
		ns_count(&iso->rep->attempts, 1);
		submitted++;
		if (ret && ret != -ENOENT)
			ns_fail(iso->rep, iso->cfg->log, "%s: EXEC racing "
				"VM_DESTROY: %s", iso->name, strerror(-ret));
	}
	pthread_join(t, NULL);
	if (r.err)
		ns_fail(iso->rep, iso->cfg->log, "%s: VM_CREATE/VM_DESTROY: %s",
			iso->name, strerror(-r.err));
	ns_count(&iso->rep->jobs, submitted);
	ns_check_device(r.dev, atomic_load(&r.vm), &iso->sh, iso->rep,
			iso->cfg->log, iso->name);
	neuf_vm_destroy(r.dev, atomic_load(&r.vm));
out:
	if (r.dev)
		neuf_device_close(r.dev);
	if (buf != MAP_FAILED)
		munmap(buf, OWNER_WORDS * 4);
	return 0;
}

/* The GPU runs code and reads data only of the process that submits. */
static int scenario_foreign_pointers(struct iso *iso)
{
	int go[2], done[2], status;
	struct target *t;
	char c = 0;
	pid_t pid;

	t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED)
		return -ENOMEM;
	if (pipe2(go, O_CLOEXEC) || pipe2(done, O_CLOEXEC)) {
		munmap(t, sizeof(*t));
		return -errno;
	}
	fflush(NULL);
	/* The attacker is forked first: it has no copy of the owner's pages. */
	pid = fork();
	if (pid == 0) {
		struct drm_neuf_job_status st = { 0 };
		uint32_t *out = calloc(2, 4), *own;
		struct neuf_dispatch d;
		struct neuf_device *dev;
		uint32_t vm;

		close(go[1]);
		close(done[0]);
		if (read(go[0], &c, 1) != 1 || !out ||
		    neuf_device_open(iso->cfg->device, &dev) ||
		    neuf_vm_create(dev, NEUF_VM_CREATE_SVM, &vm))
			_exit(1);
		if (mapped(t->code) || mapped(t->secret))
			_exit(2);	/* our own memory is there: retry */
		/* The owner's code: it would write MARKER to out[0]. */
		d = ns_dispatch((const uint64_t *)(uintptr_t)t->code, 1,
				NS_ARGS(NS_PTR(out), MARKER));
		neuf_run(dev, vm, &d, NS_JOB_WAIT_NS, &st);
		ns_count(&iso->rep->attempts, 1);
		if (out[0] == MARKER)
			ns_escape(iso->rep, iso->cfg->log, "%s: the GPU ran "
				  "another process's code", iso->name);
		else if (st.error != -EFAULT)
			ns_fail(iso->rep, iso->cfg->log, "%s: code at another "
				"process's address: error %d", iso->name,
				st.error);
		/* The owner's data. */
		d = ns_dispatch(iso->sh.copy_word, 1,
				NS_ARGS(t->secret, NS_PTR(&out[1])));
		neuf_run(dev, vm, &d, NS_JOB_WAIT_NS, &st);
		ns_count(&iso->rep->attempts, 1);
		if (out[1] == t->secret_value)
			ns_escape(iso->rep, iso->cfg->log, "%s: the GPU read "
				  "another process's data", iso->name);
		else if (st.error != -EFAULT)
			ns_fail(iso->rep, iso->cfg->log, "%s: data at another "
				"process's address: error %d", iso->name,
				st.error);
		/* Our own page at that address: we read ours. */
		own = mmap((void *)(uintptr_t)t->secret, NS_PAGE,
			   PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			   -1, 0);
		if (own != MAP_FAILED) {
			own[0] = ~t->secret_value;
			neuf_run(dev, vm, &d, NS_JOB_WAIT_NS, &st);
			ns_count(&iso->rep->attempts, 1);
			if (out[1] == t->secret_value)
				ns_escape(iso->rep, iso->cfg->log, "%s: the GPU "
					  "read another process's page at an "
					  "address both map", iso->name);
			else if (st.error || out[1] != ~t->secret_value)
				ns_fail(iso->rep, iso->cfg->log, "%s: reading "
					"our own page: error %d, %#x", iso->name,
					st.error, out[1]);
		}
		neuf_device_close(dev);
		_exit(write(done[1], "d", 1) == 1 ? 0 : 1);
	}
	close(go[0]);
	close(done[1]);
	if (pid > 0) {
		struct owner o = { 0 };
		uint32_t *secret = fixed_page(iso, PROT_READ | PROT_WRITE);
		uint64_t *code = fixed_page(iso, PROT_READ | PROT_WRITE);
		int ret = owner_prepare(iso, &o);

		if (ret || !secret || !code)
			ns_fail(iso->rep, iso->cfg->log, "%s: the owner: %s",
				iso->name, strerror(ret ? -ret : ENOMEM));
		if (!ret && secret && code) {
			t->secret_value = (uint32_t)ns_rand(&iso->rng) | 1;
			secret[0] = t->secret_value;
			memcpy(code, iso->sh.fill, iso->sh.fill_bytes);
			t->secret = NS_PTR(secret);
			t->code = NS_PTR(code);
			if (write(go[1], "g", 1) != 1 || read(done[0], &c, 1) != 1)
				c = 0;
		}
		close(go[1]);
		status = ns_wait(pid);
		/* Exit code 2: its own memory was there; no attempt made. */
		if (status != 2 << 8 && (status || c != 'd'))
			ns_fail(iso->rep, iso->cfg->log, "%s: the attacker: "
				"status %#x", iso->name, status);
		if (!ret)
			owner_verify(iso, &o);
		owner_release(&o);
		if (secret)
			munmap(secret, NS_PAGE);
		if (code)
			munmap(code, NS_PAGE);
	} else {
		close(go[1]);
	}
	close(done[0]);
	munmap(t, sizeof(*t));
	return 0;
}

/* Two processes fault at once; each report names only its own address. */
static int scenario_fault_report(struct iso *iso)
{
	uint64_t *regions;
	pid_t pids[2];
	int go[2];

	regions = mmap(NULL, 2 * sizeof(*regions), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (regions == MAP_FAILED)
		return -ENOMEM;
	if (pipe2(go, O_CLOEXEC)) {
		munmap(regions, 2 * sizeof(*regions));
		return -errno;
	}
	for (int p = 0; p < 2; p++) {
		void *none = fixed_page(iso, PROT_NONE);

		regions[p] = NS_PTR(none);
		if (none)
			munmap(none, NS_PAGE);
	}
	for (int p = 0; p < 2; p++) {
		fflush(NULL);
		pids[p] = fork();
		if (pids[p] == 0) {
			uint64_t mine = regions[p], theirs = regions[!p];
			struct neuf_device *dev;
			uint32_t vm, out;
			char c;

			close(go[1]);
			if (!mine || mmap((void *)(uintptr_t)mine, NS_PAGE,
					  PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
					  MAP_FIXED_NOREPLACE, -1, 0) == MAP_FAILED ||
			    neuf_device_open(iso->cfg->device, &dev) ||
			    neuf_vm_create(dev, NEUF_VM_CREATE_SVM, &vm) ||
			    read(go[0], &c, 1) < 0)
				_exit(1);
			for (unsigned int i = 0; i < 16; i++) {
				struct drm_neuf_job_status st = { 0 };
				uint64_t at = mine + 8 * (ns_rand(&iso->rng) % 512);
				struct neuf_dispatch d =
					ns_dispatch(iso->sh.copy_word, 1,
						    NS_ARGS(at, NS_PTR(&out)));

				neuf_run(dev, vm, &d, NS_JOB_WAIT_NS, &st);
				ns_count(&iso->rep->attempts, 1);
				if ((st.fault_addr & ~(NS_PAGE - 1)) == theirs)
					ns_escape(iso->rep, iso->cfg->log, "%s: a "
						  "job's report names the other "
						  "process's address %#" PRIx64,
						  iso->name,
						  (uint64_t)st.fault_addr);
				else if (st.error != -EFAULT || st.fault_addr != at)
					ns_fail(iso->rep, iso->cfg->log, "%s: "
						"error %d at %#" PRIx64 ", "
						"expected EFAULT at %#" PRIx64,
						iso->name, st.error,
						(uint64_t)st.fault_addr, at);
			}
			neuf_device_close(dev);
			_exit(0);
		}
	}
	close(go[0]);
	close(go[1]);	/* both start at once */
	for (int p = 0; p < 2; p++) {
		int status = pids[p] < 0 ? -1 : ns_wait(pids[p]);

		if (status)
			ns_fail(iso->rep, iso->cfg->log, "%s: process %d: "
				"status %#x", iso->name, p, status);
	}
	munmap(regions, 2 * sizeof(*regions));
	return 0;
}

int neuf_stress_isolation(unsigned int mask,
			  const struct neuf_stress_config *cfg,
			  struct neuf_stress_report *rep)
{
	struct neuf_stress_report *shared = ns_report_shared();
	uint64_t start = ns_now_us();
	struct iso iso = {
		.cfg = cfg, .rep = shared,
		.rng = cfg->seed ^ 0x69736f6cULL,
	};
	int ret = 0;

	if (!shared)
		return -ENOMEM;
	ret = ns_shaders_init(&iso.sh);
	for (unsigned int s = 0; !ret && s < NEUF_ISO_SCENARIOS; s++) {
		if (!(mask & (1u << s)))
			continue;
		iso.name = scenario_names[s];
		for (uint64_t i = 0; !ret && i < (cfg->ops ? cfg->ops : 1); i++) {
			shared->ops++;
			switch (s) {
			case NEUF_ISO_FORK_CHILD:
				ret = scenario_fork_child(&iso);
				break;
			case NEUF_ISO_DESTROY_RACE:
				ret = scenario_destroy_race(&iso);
				break;
			case NEUF_ISO_FOREIGN_POINTERS:
				ret = scenario_foreign_pointers(&iso);
				break;
			case NEUF_ISO_FAULT_REPORT:
				ret = scenario_fault_report(&iso);
				break;
			default:
				ret = scenario_remote(&iso, s);
				break;
			}
		}
	}
	shared->procs = 1;
	ns_shaders_fini(&iso.sh);
	ns_report_collect(shared, rep, start);
	return ret;
}
