/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright 2026 The neuf authors
 */

#ifndef __NEUF_COMPAT_H__
#define __NEUF_COMPAT_H__

/**
 * DOC: neuf kernel compatibility
 *
 * Every difference between the kernels neuf builds against lives here, and
 * nowhere else. Each branch below was written from the source of the kernel
 * it names, never from memory or a changelog:
 *
 * - 6.1: Debian's linux-source-6.1, 6.1.192. Its stable branch carries a
 *   backported &struct drm_sched_init_args without @num_rqs, and
 *   drm_sched_job_init() still takes neither credits nor a client id.
 * - 6.12: Debian's linux-source-6.12, 6.12.117, whose stable branch carries
 *   &struct drm_sched_init_args with @num_rqs and the five-argument
 *   drm_sched_job_init().
 *
 * Stable branches backport scheduler API changes (both of the above differ
 * from the mainline release of the same number), so a kernel outside the
 * tested ranges is refused at build time rather than built on a guess. To
 * support another kernel, read its include/drm/gpu_scheduler.h,
 * include/linux/fs.h and include/drm/drm_file.h, add its branch here, and
 * add the kernel to tools/kernels.sh (README: "Bisect a kernel").
 */

#include <linux/version.h>

#include <drm/gpu_scheduler.h>

#define NEUF_KERNEL_6_1	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 192) && \
			 LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0))
#define NEUF_KERNEL_6_12 (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 117) && \
			  LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0))

#if !NEUF_KERNEL_6_1 && !NEUF_KERNEL_6_12
#error "neuf supports 6.1.192+ and 6.12.117+ (see DOC: neuf kernel compatibility)"
#endif

#if NEUF_KERNEL_6_12
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

#include <drm/drm_file.h>
#include <drm/drm_syncobj.h>

/*
 * 6.12's drm_open() warns unless the fops declare FOP_UNSIGNED_OFFSET; 6.1
 * has no fop_flags and drm_open_helper() sets FMODE_UNSIGNED_OFFSET itself.
 */
#if NEUF_KERNEL_6_12
#define NEUF_FOP_FLAGS	.fop_flags = FOP_UNSIGNED_OFFSET,
#else
#define NEUF_FOP_FLAGS
#endif

/*
 * 6.1's DRM_IOCTL_VERSION copies &drm_driver.date and warns when it is NULL;
 * 6.12 keeps the field but never reads it ("unused, to be removed").
 */
#if NEUF_KERNEL_6_12
#define NEUF_DRIVER_DATE
#else
#define NEUF_DRIVER_DATE	.date = "20260101",
#endif

/**
 * neuf_sched_init() - initialise a scheduler of one job at a time
 * @sched: the scheduler
 * @ops: the backend operations
 * @timeout: job timeout in jiffies
 * @name: the scheduler's name
 * @dev: the device, for messages
 *
 * Return: 0 or a negative errno.
 */
static inline int neuf_sched_init(struct drm_gpu_scheduler *sched,
				  const struct drm_sched_backend_ops *ops,
				  long timeout, const char *name,
				  struct device *dev)
{
	const struct drm_sched_init_args args = {
		.ops = ops,
#if NEUF_KERNEL_6_12
		.num_rqs = DRM_SCHED_PRIORITY_COUNT,
#endif
		.credit_limit = 1,
		.timeout = timeout,
		.name = name,
		.dev = dev,
	};

	return drm_sched_init(sched, &args);
}

/**
 * neuf_sched_job_init() - initialise a job of one credit
 * @job: the job
 * @entity: the entity it is pushed to
 * @owner: the job's owner, for the scheduler's bookkeeping
 * @file: the DRM file that submits it
 *
 * Return: 0 or a negative errno.
 */
static inline int neuf_sched_job_init(struct drm_sched_job *job,
				      struct drm_sched_entity *entity,
				      void *owner, struct drm_file *file)
{
#if NEUF_KERNEL_6_12
	return drm_sched_job_init(job, entity, 1, owner, file->client_id);
#else
	return drm_sched_job_init(job, entity, owner);
#endif
}

/**
 * neuf_sched_start() - restart a scheduler stopped by drm_sched_stop()
 * @sched: the scheduler
 *
 * Re-arms the callbacks of the pending jobs and the timeout (6.1's "full
 * recovery"; what 6.12 always does).
 */
static inline void neuf_sched_start(struct drm_gpu_scheduler *sched)
{
#if NEUF_KERNEL_6_12
	drm_sched_start(sched);
#else
	drm_sched_start(sched, true);
#endif
}

/**
 * neuf_sched_job_add_syncobj_dependency() - make a job wait for a syncobj
 * @job: the job
 * @file: the DRM file the handle belongs to
 * @handle: the syncobj's handle (binary syncobj: point 0)
 *
 * Return: 0, -ENOENT for a handle without a syncobj, -EINVAL for a syncobj
 * without a fence (drm_syncobj_find_fence() on both kernels), or another
 * negative errno.
 */
static inline int
neuf_sched_job_add_syncobj_dependency(struct drm_sched_job *job,
				      struct drm_file *file, u32 handle)
{
#if NEUF_KERNEL_6_12
	return drm_sched_job_add_syncobj_dependency(job, file, handle, 0);
#else
	struct dma_fence *fence;
	int ret;

	ret = drm_syncobj_find_fence(file, handle, 0, 0, &fence);
	if (ret)
		return ret;
	/* Consumes the fence reference in every case. */
	return drm_sched_job_add_dependency(job, fence);
#endif
}

/*
 * Device-exclusive access for GPU atomics: make_device_exclusive_range()
 * (mm/rmap.c, exported only with CONFIG_DEVICE_PRIVATE) has the same
 * signature in 6.1 and 6.12: GUP with FOLL_SPLIT_PMD, then each page that
 * is not a THP tail and can be locked is made exclusive; the others come
 * back NULL. Without DEVICE_PRIVATE (Debian's kernels) there is none.
 */
#if IS_ENABLED(CONFIG_DEVICE_PRIVATE)
#include <linux/rmap.h>

static inline int neuf_make_device_exclusive(struct mm_struct *mm,
					     unsigned long start,
					     unsigned long end,
					     struct page **pages, void *owner)
{
	return make_device_exclusive_range(mm, start, end, pages, owner);
}
#else
static inline int neuf_make_device_exclusive(struct mm_struct *mm,
					     unsigned long start,
					     unsigned long end,
					     struct page **pages, void *owner)
{
	return -EOPNOTSUPP;
}
#endif

#endif /* __NEUF_COMPAT_H__ */
