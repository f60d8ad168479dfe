// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * The neuf backend of svm_backend.h: the kernels are neuf shaders
 * (svm_kernels_neuf.c) assembled when the backend opens, the
 * GPU context is an SVM VM on an fd of the backend's own, a batch is a row
 * of EXECs on that VM (its jobs run in order) whose last one signals a
 * syncobj, and how each job ended is its JOB_STATUS.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xf86drm.h>

#include "libneuf.h"
#include "neuf_asm.h"
#include "svm_backend_neuf.h"

/* Generous: under QEMU's TCG the whole machine, GPU model included, is slow. */
#define JOB_TIMEOUT_NS (120ll * 1000000000ll)

struct neuf_backend {
	struct neuf_device *dev;
	uint32_t vm;
	uint64_t *code[SVM_NUM_KERNELS];
};

static struct neuf_backend *priv(struct svm_backend *b)
{
	return b->priv;
}

static void neuf_backend_close(struct svm_backend *b)
{
	struct neuf_backend *nb = priv(b);

	if (!nb)
		return;
	for (int k = 0; k < SVM_NUM_KERNELS; k++)
		free(nb->code[k]);
	if (nb->dev) {
		neuf_vm_destroy(nb->dev, nb->vm);
		neuf_device_close(nb->dev);
	}
	free(nb);
	b->priv = NULL;
}

static int neuf_backend_open(struct svm_backend *b, char *why, size_t size)
{
	struct neuf_backend *nb = calloc(1, sizeof(*nb));
	int ret;

	if (!nb) {
		snprintf(why, size, "out of memory");
		return -ENOMEM;
	}
	b->priv = nb;
	ret = neuf_device_count();
	if (ret <= 0) {
		snprintf(why, size, "no neuf device");
		ret = ret ? ret : -ENODEV;
		goto fail;
	}
	ret = neuf_device_open(0, &nb->dev);
	if (ret) {
		snprintf(why, size, "opening the neuf device: %s",
			 strerror(-ret));
		goto fail;
	}
	ret = neuf_vm_create(nb->dev, NEUF_VM_CREATE_SVM, &nb->vm);
	if (ret) {
		snprintf(why, size, "creating an SVM VM: %s", strerror(-ret));
		neuf_device_close(nb->dev);
		nb->dev = NULL;
		goto fail;
	}
	for (int k = 0; k < SVM_NUM_KERNELS; k++) {
		struct neuf_asm_program prog = { 0 };
		char err[128] = "";

		const char *src = svm_backend_neuf_source(k);

		if (!src)
			continue;
		ret = neuf_assemble(src, &prog, err, sizeof(err));
		if (ret) {
			snprintf(why, size, "assembling kernel %d: %s (%s)", k,
				 strerror(-ret), err);
			goto fail;
		}
		nb->code[k] = prog.code;
	}
	snprintf(b->device, sizeof(b->device), "neuf (%s)",
		 neuf_device_node(nb->dev));
	return 0;

fail:
	neuf_backend_close(b);
	return ret;
}

/* The largest power of two up to 64 that divides @grid: full groups. */
static uint32_t group_for(uint32_t grid)
{
	uint32_t group = 64;

	while (grid % group)
		group >>= 1;
	return group;
}

static enum svm_access access_of(uint32_t kind)
{
	switch (kind) {
	case NEUF_ACCESS_KIND_READ:
		return SVM_ACCESS_READ;
	case NEUF_ACCESS_KIND_WRITE:
		return SVM_ACCESS_WRITE;
	case NEUF_ACCESS_KIND_ATOMIC:
		return SVM_ACCESS_ATOMIC;
	default:
		return SVM_ACCESS_UNKNOWN;
	}
}

static int64_t deadline(int64_t rel_ns)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec + rel_ns;
}

static int neuf_backend_run_batch(struct svm_backend *b,
				  const struct svm_dispatch *d,
				  unsigned int count, struct svm_result *res)
{
	struct neuf_backend *nb = priv(b);
	int fd = neuf_device_fd(nb->dev), ret = 0;
	uint64_t *jobs;
	uint32_t done;

	if (!count)
		return 0;
	for (unsigned int i = 0; i < count; i++)
		if (d[i].kernel >= SVM_NUM_KERNELS || !nb->code[d[i].kernel])
			return -EOPNOTSUPP;
	jobs = calloc(count, sizeof(*jobs));
	if (!jobs)
		return -ENOMEM;
	if (drmSyncobjCreate(fd, 0, &done)) {
		ret = -errno;
		goto out_free;
	}
	for (unsigned int i = 0; i < count; i++) {
		struct neuf_dispatch disp = {
			.code = (uint64_t)(uintptr_t)nb->code[d[i].kernel],
			.grid_size = d[i].grid,
			.group_size = group_for(d[i].grid),
			.out_syncobj = i == count - 1 ? done : 0,
		};

		memcpy(disp.args, d[i].args, sizeof(d[i].args));
		ret = neuf_exec(nb->dev, nb->vm, &disp, &jobs[i]);
		if (ret)
			goto out_destroy;
	}
	/* The VM's jobs run in order: the last one ends last. */
	if (drmSyncobjWait(fd, &done, 1,
			   deadline(JOB_TIMEOUT_NS * (int64_t)count), 0, NULL)) {
		ret = -errno;
		goto out_destroy;
	}
	for (unsigned int i = 0; i < count; i++) {
		struct drm_neuf_job_status st;

		ret = neuf_job_status(nb->dev, nb->vm, jobs[i], &st);
		if (ret)
			break;
		if (st.state != NEUF_JOB_STATE_DONE) {
			ret = -EPROTO;	/* ended before its successor? */
			break;
		}
		memset(&res[i], 0, sizeof(res[i]));
		res[i].error = st.error;
		if (st.error == -EFAULT || st.error == -ENOEXEC) {
			res[i].where_known = true;
			res[i].fault_addr = st.fault_addr;
			res[i].fault_access = access_of(st.fault_access);
		}
	}
out_destroy:
	drmSyncobjDestroy(fd, done);
out_free:
	free(jobs);
	return ret;
}

static int neuf_backend_stats(struct svm_backend *b, struct svm_stats *s)
{
	struct neuf_backend *nb = priv(b);
	struct drm_neuf_vm_stats vs;
	int ret;

	ret = neuf_vm_stats(nb->dev, nb->vm, &vs);
	if (ret)
		return ret;
	s->faults = vs.faults;
	s->windows = vs.windows;
	s->batches = vs.batches;
	s->huge_mapped = vs.huge_mapped;
	return 0;
}

static const struct svm_backend_ops neuf_backend_ops = {
	.open = neuf_backend_open,
	.close = neuf_backend_close,
	.run_batch = neuf_backend_run_batch,
	.stats = neuf_backend_stats,
};

struct svm_backend *svm_backend_neuf(void)
{
	struct svm_backend *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->name = "neuf";
	/* A VM's default policy: no preferred location, no migration. */
	b->caps = SVM_CAP_FAULT_ADDRESS | SVM_CAP_FAULT_KEEPS_CONTEXT |
		  SVM_CAP_STATS | SVM_CAP_NO_MIGRATION;
	b->ops = &neuf_backend_ops;
	return b;
}

void svm_backend_neuf_vm(struct svm_backend *b, struct neuf_device **dev,
			 uint32_t *vm)
{
	*dev = priv(b)->dev;
	*vm = priv(b)->vm;
}

const uint64_t *svm_backend_neuf_code(struct svm_backend *b,
				      enum svm_kernel kernel)
{
	return kernel < SVM_NUM_KERNELS ? priv(b)->code[kernel] : NULL;
}
