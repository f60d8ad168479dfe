/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright 2026 The neuf authors
 */
#ifndef __NEUF_JOB_H__
#define __NEUF_JOB_H__

#include <linux/dma-fence.h>
#include <linux/spinlock.h>

#include <drm/gpu_scheduler.h>
#include <drm/neuf_drm.h>

struct drm_device;
struct drm_file;
struct neuf_device;
struct neuf_engine;
struct neuf_vm;

/**
 * struct neuf_hw_fence - completion of a dispatch on an engine
 * @base: the fence, signalled from the engine's interrupt or its reset
 * @lock: the fence's lock; lives with the fence, which may outlive the job
 */
struct neuf_hw_fence {
	struct dma_fence base;
	/* the fence's lock */
	spinlock_t lock;
};

/**
 * struct neuf_job - one dispatch
 * @base: the scheduler job
 * @vm: the VM it runs in, referenced
 * @id: its id in @vm
 * @code: address of its first instruction
 * @grid_size: invocations
 * @group_size: invocations per group
 * @args: push constants
 * @hwf: completion on the engine; allocated at submission so that running
 *	the job allocates nothing, initialised and referenced once run
 * @hwf_live: @hwf was initialised (the job reached an engine)
 * @ended: how the job ended was recorded, under &neuf_vm.job_lock
 * @seqno: tag of the dispatch on its engine
 * @cancel_error: why the driver cancelled a fault of the running dispatch,
 *	if not for the process's own doing (-EFAULT): -ENOMEM when the
 *	kernel ran out of memory servicing it; under &neuf_engine.lock
 */
struct neuf_job {
	struct drm_sched_job base;
	struct neuf_vm *vm;
	u64 id;
	u64 code;
	u32 grid_size;
	u32 group_size;
	u64 args[NEUF_EXEC_NUM_ARGS];
	struct neuf_hw_fence *hwf;
	bool hwf_live;
	bool ended;
	u32 seqno;
	int cancel_error;
};

int neuf_engines_init(struct neuf_device *ndev);
void neuf_engines_abort(struct neuf_device *ndev);
void neuf_engines_fini(struct neuf_device *ndev);
void neuf_engine_irq(struct neuf_engine *engine);
void neuf_engine_note_cancel(struct neuf_engine *engine, u32 instance,
			     int error);

int neuf_exec_ioctl(struct drm_device *drm, void *data, struct drm_file *file);
int neuf_job_status_ioctl(struct drm_device *drm, void *data,
			  struct drm_file *file);

#endif /* __NEUF_JOB_H__ */
