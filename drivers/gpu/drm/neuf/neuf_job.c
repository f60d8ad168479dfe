// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright 2026 The neuf authors
 */

#include <linux/iopoll.h>
#include <linux/moduleparam.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait_bit.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_print.h>
#include <drm/drm_syncobj.h>

#include "neuf_compat.h"
#include "neuf_drv.h"
#include "neuf_hw.h"
#include "neuf_job.h"
#include "neuf_regs.h"
#include "neuf_svm.h"
#include "neuf_trace.h"
#include "neuf_vm.h"

/**
 * DOC: neuf jobs
 *
 * A job is one dispatch. &DRM_IOCTL_NEUF_EXEC validates it, resolves its
 * in-syncobjs into scheduler dependencies and pushes it to its VM's entity;
 * the DRM GPU scheduler runs it on whichever engine the entity was given,
 * one job per engine at a time. Running a job writes the dispatch
 * registers and rings the doorbell; the engine's interrupt reports how it
 * ended, and the handler records that in the VM's job history before it
 * signals the hardware fence, so userspace that saw the out-syncobj
 * signal always finds the final status.
 *
 * Hang detection measures GPU time. Each dispatch carries a watchdog of
 * job_timeout_ms: the engine counts the dispatch's running time, less the
 * time during which every one of its waves waits for a page fault to be
 * serviced, and ends the dispatch with TIMEOUT once it exceeds the
 * watchdog; the job ends with -ETIMEDOUT. So a shader that loops forever
 * is stopped after job_timeout_ms of running, while a dispatch that
 * first-touches hundreds of MiB may spend far longer than that waiting for
 * its faults. The scheduler's own timeout, job_wall_timeout_ms of wall
 * clock, is the backstop for an engine that stops making progress at all
 * (or a fault that is never serviced): it resets the engine and ends the
 * job with -ETIMEDOUT too.
 */

static unsigned int neuf_job_timeout_ms = 10000;
module_param_named(job_timeout_ms, neuf_job_timeout_ms, uint, 0644);
MODULE_PARM_DESC(job_timeout_ms,
		 "GPU time a job may run, waits for page faults not counted, before its engine stops it; a change applies to jobs started after it (default 10000)");

static unsigned int neuf_job_wall_timeout_ms = 300000;
module_param_named(job_wall_timeout_ms, neuf_job_wall_timeout_ms, uint, 0444);
MODULE_PARM_DESC(job_wall_timeout_ms,
		 "Wall-clock time a job may take, page faults included, before its engine is reset (default 300000)");

static const char *neuf_hw_fence_driver_name(struct dma_fence *fence)
{
	return NEUF_DRIVER_NAME;
}

static const char *neuf_hw_fence_timeline_name(struct dma_fence *fence)
{
	return "engine";
}

static const struct dma_fence_ops neuf_hw_fence_ops = {
	.get_driver_name = neuf_hw_fence_driver_name,
	.get_timeline_name = neuf_hw_fence_timeline_name,
};

static struct neuf_job *to_neuf_job(struct drm_sched_job *sched_job)
{
	return container_of(sched_job, struct neuf_job, base);
}

static struct neuf_engine *to_neuf_engine(struct drm_gpu_scheduler *sched)
{
	return container_of(sched, struct neuf_engine, sched);
}

/*
 * Record how a job ended, once: in the VM's history (if its slot was not
 * reused since) and in the failure counter.
 */
static void neuf_job_record(struct neuf_job *job, int error, u64 addr,
			    u32 access)
{
	struct neuf_vm *vm = job->vm;
	struct neuf_job_record *rec = &vm->history[job->id % NEUF_JOB_HISTORY];
	unsigned long flags;

	spin_lock_irqsave(&vm->job_lock, flags);
	if (!job->ended) {
		job->ended = true;
		if (rec->id == job->id) {
			rec->ended = true;
			rec->error = error;
			rec->fault_addr = addr;
			rec->fault_access = access;
		}
		if (error)
			neuf_vm_stat_add(vm, NEUF_STAT_JOBS_FAILED, 1);
	}
	spin_unlock_irqrestore(&vm->job_lock, flags);
}

/* The status of a job that ended without reaching the hardware's end. */
static int neuf_job_fence_error(int error)
{
	switch (error) {
	case 0:
	case -EFAULT:
	case -ENOEXEC:
	case -ETIMEDOUT:
	case -ENODEV:
		return error;
	default:
		return -ECANCELED;
	}
}

static void neuf_job_end(struct neuf_job *job, int error, u64 addr,
			 u32 access)
{
	struct dma_fence *fence = &job->hwf->base;

	neuf_job_record(job, error, addr, access);
	trace_neuf_job_end(job->vm->instance, job->id, error, addr);
	if (error)
		dma_fence_set_error(fence, error);
	dma_fence_signal(fence);
}

/**
 * neuf_engine_note_cancel() - say why a fault of a running job is cancelled
 * @engine: the engine the fault came from
 * @instance: the VM instance the fault belongs to
 * @error: the reason, as the job's error: -ENOMEM when the kernel ran out
 *	of memory servicing the fault (-EFAULT, the process's own doing,
 *	is what a cancelled fault means anyway)
 *
 * Called before the CANCEL command, so that the dispatch's end, which only
 * says that a fault was cancelled, is reported with this error instead.
 */
void neuf_engine_note_cancel(struct neuf_engine *engine, u32 instance,
			     int error)
{
	unsigned long flags;

	spin_lock_irqsave(&engine->lock, flags);
	if (engine->active && engine->active->vm->instance == instance)
		engine->active->cancel_error = error;
	spin_unlock_irqrestore(&engine->lock, flags);
}

/**
 * neuf_engine_irq() - handle an engine's "dispatch ended" interrupt
 * @engine: the engine
 *
 * Called from the device's interrupt handler.
 */
void neuf_engine_irq(struct neuf_engine *engine)
{
	struct neuf_device *ndev = engine->ndev;
	unsigned int id = engine->id;
	struct neuf_job *job;
	u32 result, access;
	unsigned long flags;
	int error, cancel_error;
	u64 addr;

	spin_lock_irqsave(&engine->lock, flags);
	job = engine->active;
	if (!job ||
	    neuf_rd32(ndev, NEUF_REG_ENGINE(id, NEUF_ENG_DONE_SEQ)) != job->seqno) {
		/* Spurious, or a dispatch the timeout handler took back. */
		spin_unlock_irqrestore(&engine->lock, flags);
		return;
	}
	engine->active = NULL;
	cancel_error = job->cancel_error;
	result = neuf_rd32(ndev, NEUF_REG_ENGINE(id, NEUF_ENG_RESULT));
	addr = neuf_rd32(ndev, NEUF_REG_ENGINE(id, NEUF_ENG_FAULT_ADDR_LO)) |
	       (u64)neuf_rd32(ndev, NEUF_REG_ENGINE(id, NEUF_ENG_FAULT_ADDR_HI)) << 32;
	access = neuf_rd32(ndev, NEUF_REG_ENGINE(id, NEUF_ENG_FAULT_ACCESS));
	spin_unlock_irqrestore(&engine->lock, flags);

	switch (result) {
	case NEUF_ENG_RESULT_OK:
		error = 0;
		addr = 0;
		access = 0;
		break;
	case NEUF_ENG_RESULT_FAULT:
		error = cancel_error ?: -EFAULT;
		break;
	case NEUF_ENG_RESULT_ILLEGAL:
		error = -ENOEXEC;
		access = 0;
		break;
	case NEUF_ENG_RESULT_TIMEOUT:
		error = -ETIMEDOUT;
		addr = 0;
		access = 0;
		break;
	default:
		error = -EIO;
		break;
	}
	neuf_job_end(job, error, addr, access);
}

static struct dma_fence *neuf_job_run(struct drm_sched_job *sched_job)
{
	struct neuf_engine *engine = to_neuf_engine(sched_job->sched);
	struct neuf_device *ndev = engine->ndev;
	struct neuf_job *job = to_neuf_job(sched_job);
	unsigned int id = engine->id;
	unsigned long flags;
	unsigned int i;
	int idx;

	if (sched_job->s_fence->finished.error)
		return ERR_PTR(-ECANCELED);
	/* Nothing to run for a process that is gone. */
	if (!atomic_read(&job->vm->mm->mm_users))
		return ERR_PTR(-ECANCELED);
	/* Nor on a device that is: unbinding waits for a job being started. */
	if (!drm_dev_enter(&ndev->drm, &idx))
		return ERR_PTR(-ENODEV);

	spin_lock_irqsave(&engine->lock, flags);
	job->seqno = ++engine->seqno;
	dma_fence_init(&job->hwf->base, &neuf_hw_fence_ops, &job->hwf->lock,
		       engine->fence_context, job->seqno);
	job->hwf_live = true;

	neuf_wr32(ndev, NEUF_REG_ENGINE(id, NEUF_ENG_INSTANCE), job->vm->instance);
	neuf_wr32(ndev, NEUF_REG_ENGINE(id, NEUF_ENG_GRID), job->grid_size);
	neuf_wr32(ndev, NEUF_REG_ENGINE(id, NEUF_ENG_GROUP_SIZE), job->group_size);
	neuf_wr32(ndev, NEUF_REG_ENGINE(id, NEUF_ENG_CODE_LO), lower_32_bits(job->code));
	neuf_wr32(ndev, NEUF_REG_ENGINE(id, NEUF_ENG_CODE_HI), upper_32_bits(job->code));
	for (i = 0; i < NEUF_EXEC_NUM_ARGS; i++) {
		neuf_wr32(ndev, NEUF_REG_ENGINE(id, NEUF_ENG_ARG_LO(i)),
			  lower_32_bits(job->args[i]));
		neuf_wr32(ndev, NEUF_REG_ENGINE(id, NEUF_ENG_ARG_HI(i)),
			  upper_32_bits(job->args[i]));
	}
	neuf_wr32(ndev, NEUF_REG_ENGINE(id, NEUF_ENG_SEQ), job->seqno);
	neuf_wr32(ndev, NEUF_REG_ENGINE(id, NEUF_ENG_WATCHDOG),
		  READ_ONCE(neuf_job_timeout_ms));
	engine->active = job;
	neuf_wr32(ndev, NEUF_REG_ENGINE(id, NEUF_ENG_DOORBELL), 1);
	spin_unlock_irqrestore(&engine->lock, flags);
	drm_dev_exit(idx);

	trace_neuf_job_run(job->vm->instance, job->id, id);
	return dma_fence_get(&job->hwf->base);
}

static void neuf_engine_reset(struct neuf_engine *engine)
{
	struct neuf_device *ndev = engine->ndev;
	u32 status;
	int ret;

	neuf_wr32(ndev, NEUF_REG_ENGINE(engine->id, NEUF_ENG_RESET), 1);
	ret = read_poll_timeout(neuf_rd32, status,
				!(status & NEUF_ENG_STATUS_BUSY), 100,
				USEC_PER_SEC, false, ndev,
				NEUF_REG_ENGINE(engine->id, NEUF_ENG_STATUS));
	if (ret)
		drm_err(&ndev->drm, "engine %u does not leave reset\n",
			engine->id);
}

static enum drm_gpu_sched_stat neuf_job_timedout(struct drm_sched_job *sched_job)
{
	struct neuf_engine *engine = to_neuf_engine(sched_job->sched);
	struct neuf_job *job = to_neuf_job(sched_job);
	unsigned long flags;
	bool hung;
	int idx;

	spin_lock_irqsave(&engine->lock, flags);
	hung = engine->active == job;
	if (hung)
		engine->active = NULL;
	spin_unlock_irqrestore(&engine->lock, flags);
	/*
	 * Off the engine already: the interrupt handler or
	 * neuf_engines_abort() took it and is ending it. Let it finish:
	 * drm_sched_stop() would detach the scheduler from the fence they
	 * are about to signal, and drm_sched_start() then end and free the
	 * job under them.
	 */
	if (!hung && job->hwf_live)
		dma_fence_wait(&job->hwf->base, false);

	drm_sched_stop(&engine->sched, sched_job);

	if (hung) {
		drm_dbg_driver(&engine->ndev->drm,
			       "engine %u: job %llu timed out, resetting\n",
			       engine->id, job->id);
		/* Once unplugged, neuf_engines_abort() resets every engine. */
		if (drm_dev_enter(&engine->ndev->drm, &idx)) {
			neuf_engine_reset(engine);
			drm_dev_exit(idx);
		}
		neuf_job_end(job, -ETIMEDOUT, 0, 0);
	}

	neuf_sched_start(&engine->sched);
	return DRM_GPU_SCHED_STAT_NOMINAL;
}

static void neuf_job_free(struct drm_sched_job *sched_job)
{
	struct neuf_job *job = to_neuf_job(sched_job);
	struct neuf_device *ndev = job->vm->ndev;

	/* Jobs the scheduler ended without running them. */
	neuf_job_record(job,
			neuf_job_fence_error(sched_job->s_fence->finished.error),
			0, 0);

	drm_sched_job_cleanup(sched_job);
	if (job->hwf_live)
		dma_fence_put(&job->hwf->base);
	else
		kfree(job->hwf);
	neuf_vm_job_slot_put(job->vm);
	neuf_vm_put(job->vm);
	kfree(job);

	/* A variable's wait queue is global: ndev may be gone right after. */
	if (atomic_dec_and_test(&ndev->jobs_in_flight))
		wake_up_var(&ndev->jobs_in_flight);
}

static const struct drm_sched_backend_ops neuf_sched_ops = {
	.run_job = neuf_job_run,
	.timedout_job = neuf_job_timedout,
	.free_job = neuf_job_free,
};

/**
 * neuf_engines_init() - set up the engines and their schedulers
 * @ndev: the device
 *
 * Return: 0 or a negative errno.
 */
int neuf_engines_init(struct neuf_device *ndev)
{
	unsigned int i;
	int ret;

	for (i = 0; i < ndev->caps.engines; i++) {
		struct neuf_engine *engine = &ndev->engines[i];

		engine->ndev = ndev;
		engine->id = i;
		spin_lock_init(&engine->lock);
		engine->fence_context = dma_fence_context_alloc(1);
		snprintf(engine->name, sizeof(engine->name), "neuf-eng%u", i);
		/* Idle, whatever a previous driver left running. */
		neuf_engine_reset(engine);

		ret = neuf_sched_init(&engine->sched, &neuf_sched_ops,
				      msecs_to_jiffies(max(neuf_job_wall_timeout_ms,
							   neuf_job_timeout_ms)),
				      engine->name, ndev->drm.dev);
		if (ret) {
			while (i--)
				drm_sched_fini(&ndev->engines[i].sched);
			return ret;
		}
		ndev->sched_list[i] = &engine->sched;
	}
	return 0;
}

/**
 * neuf_engines_abort() - stop every engine of a device being removed
 * @ndev: the device, unplugged: no job starts on its engines any more
 *
 * Resets each engine, whatever it runs, and ends the job it ran with
 * -ENODEV. Once this returns the engines access no memory.
 */
void neuf_engines_abort(struct neuf_device *ndev)
{
	unsigned int i;

	for (i = 0; i < ndev->caps.engines; i++) {
		struct neuf_engine *engine = &ndev->engines[i];
		struct neuf_job *job;
		unsigned long flags;

		spin_lock_irqsave(&engine->lock, flags);
		job = engine->active;
		engine->active = NULL;
		spin_unlock_irqrestore(&engine->lock, flags);

		neuf_engine_reset(engine);
		if (job)
			neuf_job_end(job, -ENODEV, 0, 0);
	}
}

/**
 * neuf_engines_fini() - tear down the schedulers
 * @ndev: the device, with no job left
 */
void neuf_engines_fini(struct neuf_device *ndev)
{
	unsigned int i;

	for (i = 0; i < ndev->caps.engines; i++)
		drm_sched_fini(&ndev->engines[i].sched);
}

static int neuf_exec_check(const struct drm_neuf_exec *args)
{
	if (args->flags || args->job_id)
		return -EINVAL;
	if (!IS_ALIGNED(args->code, 8))
		return -EINVAL;
	if (!args->grid_size || args->grid_size > NEUF_EXEC_MAX_GRID)
		return -EINVAL;
	if (!args->group_size || args->group_size > NEUF_EXEC_MAX_GROUP)
		return -EINVAL;
	if (args->num_in_syncobjs > NEUF_EXEC_MAX_IN_SYNCOBJS)
		return -EINVAL;
	if (args->code >= TASK_SIZE_MAX)
		return -EFAULT;
	return 0;
}

/* Queue a prepared job; returns its id. Nothing can fail once armed. */
static int neuf_exec_push(struct neuf_vm *vm, struct neuf_job *job,
			  struct drm_syncobj *out, u64 *job_id)
{
	struct neuf_job_record *rec;
	struct dma_fence *finished, *old;
	unsigned long flags;

	mutex_lock(&vm->submit_lock);
	if (vm->closed) {
		mutex_unlock(&vm->submit_lock);
		return -ENOENT;
	}

	drm_sched_job_arm(&job->base);
	finished = dma_fence_get(&job->base.s_fence->finished);

	spin_lock_irqsave(&vm->job_lock, flags);
	job->id = ++vm->last_job_id;
	rec = &vm->history[job->id % NEUF_JOB_HISTORY];
	old = rec->finished;
	*rec = (struct neuf_job_record) {
		.id = job->id,
		.finished = dma_fence_get(finished),
	};
	spin_unlock_irqrestore(&vm->job_lock, flags);

	*job_id = job->id;
	neuf_vm_stat_add(vm, NEUF_STAT_JOBS_SUBMITTED, 1);
	atomic_inc(&vm->ndev->jobs_in_flight);
	drm_sched_entity_push_job(&job->base);
	mutex_unlock(&vm->submit_lock);

	if (out)
		drm_syncobj_replace_fence(out, finished);
	dma_fence_put(finished);
	dma_fence_put(old);
	return 0;
}

/**
 * neuf_exec_ioctl() - &DRM_IOCTL_NEUF_EXEC
 * @drm: the device
 * @data: &struct drm_neuf_exec
 * @file: the caller's file
 *
 * Return: 0 or a negative errno, see &struct drm_neuf_exec.
 */
int neuf_exec_ioctl(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct neuf_file *nfile = file->driver_priv;
	struct drm_neuf_exec *args = data;
	struct drm_syncobj *out = NULL;
	struct neuf_job *job = NULL;
	u32 *handles = NULL;
	struct neuf_vm *vm;
	u64 job_id;
	unsigned int i;
	int ret;

	ret = neuf_exec_check(args);
	if (ret)
		return ret;

	vm = neuf_vm_lookup_own(nfile, args->vm_id);
	if (IS_ERR(vm))
		return PTR_ERR(vm);
	/* The translations the job may use are still the CPU's. */
	neuf_svm_check_mirror(vm);

	/* A slot among the VM's queued jobs: wait for one to end if full. */
	ret = wait_event_killable(vm->jobs_wq,
				  atomic_add_unless(&vm->jobs_queued, 1,
						    NEUF_VM_MAX_QUEUED_JOBS));
	if (ret)
		goto err_vm;

	if (args->num_in_syncobjs) {
		handles = memdup_array_user(u64_to_user_ptr(args->in_syncobjs),
					    args->num_in_syncobjs,
					    sizeof(*handles));
		if (IS_ERR(handles)) {
			ret = PTR_ERR(handles);
			handles = NULL;
			goto err_handles;
		}
	}
	if (args->out_syncobj) {
		out = drm_syncobj_find(file, args->out_syncobj);
		if (!out) {
			ret = -ENOENT;
			goto err_handles;
		}
	}

	/* Charged to the submitter's memory cgroup, as its own memory is. */
	job = kzalloc(sizeof(*job), GFP_KERNEL_ACCOUNT);
	if (!job) {
		ret = -ENOMEM;
		goto err_out;
	}
	job->hwf = kzalloc(sizeof(*job->hwf), GFP_KERNEL_ACCOUNT);
	if (!job->hwf) {
		ret = -ENOMEM;
		goto err_job;
	}
	spin_lock_init(&job->hwf->lock);
	job->vm = vm;
	job->code = args->code;
	job->grid_size = args->grid_size;
	job->group_size = args->group_size;
	memcpy(job->args, args->args, sizeof(job->args));

	ret = neuf_sched_job_init(&job->base, &vm->entity, vm, file);
	if (ret)
		goto err_hwf;

	for (i = 0; i < args->num_in_syncobjs; i++) {
		ret = neuf_sched_job_add_syncobj_dependency(&job->base, file,
							    handles[i]);
		if (ret)
			goto err_sched;
	}

	/* The job owns the VM reference from here. */
	ret = neuf_exec_push(vm, job, out, &job_id);
	if (ret)
		goto err_sched;

	args->job_id = job_id;
	if (out)
		drm_syncobj_put(out);
	kfree(handles);
	return 0;

err_sched:
	drm_sched_job_cleanup(&job->base);
err_hwf:
	kfree(job->hwf);
err_job:
	kfree(job);
err_out:
	if (out)
		drm_syncobj_put(out);
err_handles:
	kfree(handles);
	neuf_vm_job_slot_put(vm);
err_vm:
	neuf_vm_put(vm);
	return ret;
}

/**
 * neuf_job_status_ioctl() - &DRM_IOCTL_NEUF_JOB_STATUS
 * @drm: the device
 * @data: &struct drm_neuf_job_status
 * @file: the caller's file
 *
 * Return: 0 or a negative errno, see &struct drm_neuf_job_status.
 */
int neuf_job_status_ioctl(struct drm_device *drm, void *data,
			  struct drm_file *file)
{
	struct neuf_file *nfile = file->driver_priv;
	struct drm_neuf_job_status *args = data;
	struct neuf_job_record *rec;
	struct neuf_vm *vm;
	unsigned long flags;
	int ret = 0;
	bool own;

	if (args->pad)
		return -EINVAL;

	vm = neuf_vm_lookup(nfile, args->vm_id);
	if (!vm)
		return -ENOENT;
	own = vm->mm == current->mm;

	spin_lock_irqsave(&vm->job_lock, flags);
	rec = &vm->history[args->job_id % NEUF_JOB_HISTORY];
	if (!args->job_id || args->job_id > vm->last_job_id) {
		ret = -EINVAL;
	} else if (rec->id != args->job_id) {
		ret = -ESTALE;
	} else if (rec->ended) {
		args->state = NEUF_JOB_STATE_DONE;
		args->error = rec->error;
		/* Where it faulted is the owner's address space's business. */
		args->fault_addr = own ? rec->fault_addr : 0;
		args->fault_access = own ? rec->fault_access : 0;
	} else if (dma_fence_is_signaled(rec->finished)) {
		args->state = NEUF_JOB_STATE_DONE;
		args->error = neuf_job_fence_error(rec->finished->error);
		args->fault_addr = 0;
		args->fault_access = 0;
	} else {
		args->state = NEUF_JOB_STATE_PENDING;
		args->error = 0;
		args->fault_addr = 0;
		args->fault_access = 0;
	}
	args->pad2 = 0;
	spin_unlock_irqrestore(&vm->job_lock, flags);

	neuf_vm_put(vm);
	return ret;
}
