// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright 2026 The neuf authors
 */

#include <linux/dma-fence.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include <drm/drm_device.h>
#include <drm/drm_file.h>

#include "neuf_drv.h"
#include "neuf_hw.h"
#include "neuf_svm.h"
#include "neuf_vm.h"

/**
 * DOC: neuf VMs
 *
 * A VM is a GPU address space bound to one hardware instance. In this
 * revision every VM mirrors the process that created it (SVM): its mm is
 * recorded at creation, and only tasks running on that mm may submit to it
 * or destroy it. The file holds one reference through its id table; every
 * job holds one until it is freed; the fault worker holds one while
 * resolving faults. The last reference queues the release, which removes
 * the notifiers, unbinds the instance and frees the page tables.
 */

/**
 * neuf_vm_get() - take a reference on a VM
 * @vm: the VM
 *
 * Return: @vm.
 */
struct neuf_vm *neuf_vm_get(struct neuf_vm *vm)
{
	kref_get(&vm->ref);
	return vm;
}

static void neuf_vm_release_work(struct work_struct *work)
{
	struct neuf_vm *vm = container_of(work, struct neuf_vm, release_work);
	struct neuf_device *ndev = vm->ndev;
	unsigned int i;

	neuf_svm_chunks_fini(vm);
	neuf_hw_instance_unbind(ndev, vm->instance);
	xa_erase_irq(&ndev->vms, vm->instance);
	neuf_pt_fini(&vm->pt);

	for (i = 0; i < NEUF_JOB_HISTORY; i++)
		dma_fence_put(vm->history[i].finished);

	mmdrop(vm->mm);
	mutex_destroy(&vm->submit_lock);
	neuf_svm_vm_fini(vm);
	kfree(vm);
}

static void neuf_vm_release(struct kref *ref)
{
	struct neuf_vm *vm = container_of(ref, struct neuf_vm, ref);

	lockdep_assert_held(&vm->ndev->vms.xa_lock);
	/* Releasing sleeps, and the last reference may go in any context. */
	queue_work(vm->ndev->wq, &vm->release_work);
}

/**
 * neuf_vm_put() - drop a reference on a VM
 * @vm: the VM, or NULL
 *
 * The last reference queues the VM's release under the lock of
 * &neuf_device.vms: whoever finds the VM there with no reference left, as
 * neuf_vm_lookup_instance() does, also finds its release queued, and
 * flushing &neuf_device.wq waits for it.
 */
void neuf_vm_put(struct neuf_vm *vm)
{
	unsigned long flags;

	if (!vm)
		return;
	xa_lock_irqsave(&vm->ndev->vms, flags);
	kref_put(&vm->ref, neuf_vm_release);
	xa_unlock_irqrestore(&vm->ndev->vms, flags);
}

/**
 * neuf_vm_lookup() - find a VM of a file by id and reference it
 * @nfile: the file
 * @id: the VM id userspace gave
 *
 * Return: the VM, to be released with neuf_vm_put(), or NULL.
 */
struct neuf_vm *neuf_vm_lookup(struct neuf_file *nfile, u32 id)
{
	struct neuf_vm *vm;

	xa_lock(&nfile->vms);
	vm = xa_load(&nfile->vms, id);
	if (vm)
		neuf_vm_get(vm);
	xa_unlock(&nfile->vms);
	return vm;
}

/**
 * neuf_vm_job_slot_put() - give back the slot a job of @vm held
 * @vm: the VM
 *
 * A slot is taken in EXEC before the job is allocated (at most
 * %NEUF_VM_MAX_QUEUED_JOBS at once) and given back when the job is freed,
 * or when EXEC fails after taking it; a waiting EXEC then goes on.
 */
void neuf_vm_job_slot_put(struct neuf_vm *vm)
{
	atomic_dec(&vm->jobs_queued);
	wake_up(&vm->jobs_wq);
}

/**
 * neuf_vm_lookup_own() - find a VM of a file that the calling process owns
 * @nfile: the file
 * @id: the VM id userspace gave
 *
 * For the ioctls that act on the VM's address space (job submission,
 * attributes, migration): only the process the VM mirrors may use them, even
 * if another process holds the file (inherited across fork, or passed).
 *
 * Return: the VM, to be released with neuf_vm_put(); ERR_PTR(-ENOENT) if the
 * file has no such VM; ERR_PTR(-EACCES) if it mirrors another process.
 */
struct neuf_vm *neuf_vm_lookup_own(struct neuf_file *nfile, u32 id)
{
	struct neuf_vm *vm = neuf_vm_lookup(nfile, id);

	if (!vm)
		return ERR_PTR(-ENOENT);
	if (vm->mm != current->mm) {
		neuf_vm_put(vm);
		return ERR_PTR(-EACCES);
	}
	return vm;
}

/**
 * neuf_vm_lookup_instance() - find the VM bound to a hardware instance
 * @ndev: the device
 * @instance: the instance, as reported by the hardware
 *
 * Return: the VM, to be released with neuf_vm_put(), or NULL if the
 * instance holds no live VM.
 */
struct neuf_vm *neuf_vm_lookup_instance(struct neuf_device *ndev,
					u32 instance)
{
	struct neuf_vm *vm;
	unsigned long flags;

	xa_lock_irqsave(&ndev->vms, flags);
	vm = xa_load(&ndev->vms, instance);
	if (vm && !kref_get_unless_zero(&vm->ref))
		vm = NULL;
	xa_unlock_irqrestore(&ndev->vms, flags);
	return vm;
}

static struct neuf_vm *neuf_vm_create(struct neuf_device *ndev)
{
	struct neuf_vm *vm;
	u32 instance;
	int ret;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL);
	if (!vm)
		return ERR_PTR(-ENOMEM);

	kref_init(&vm->ref);
	vm->ndev = ndev;
	ret = neuf_svm_vm_init(vm);
	if (ret) {
		kfree(vm);
		return ERR_PTR(ret);
	}
	mutex_init(&vm->submit_lock);
	spin_lock_init(&vm->job_lock);
	init_waitqueue_head(&vm->jobs_wq);
	INIT_WORK(&vm->release_work, neuf_vm_release_work);

	ret = neuf_pt_init(&vm->pt, ndev->drm.dev);
	if (ret)
		goto err_free;

	ret = drm_sched_entity_init(&vm->entity, DRM_SCHED_PRIORITY_NORMAL,
				    ndev->sched_list, ndev->caps.engines, NULL);
	if (ret)
		goto err_pt;

	ret = xa_alloc_irq(&ndev->vms, &instance, NULL,
			   XA_LIMIT(0, ndev->caps.instances - 1), GFP_KERNEL);
	if (ret == -EBUSY) {
		/* Slots of destroyed VMs come back once their release ran. */
		flush_workqueue(ndev->wq);
		ret = xa_alloc_irq(&ndev->vms, &instance, NULL,
				   XA_LIMIT(0, ndev->caps.instances - 1),
				   GFP_KERNEL);
	}
	if (ret) {
		ret = ret == -EBUSY ? -ENOSPC : ret;
		goto err_entity;
	}
	vm->instance = instance;
	neuf_hw_instance_bind(ndev, instance, neuf_pt_root(&vm->pt));

	vm->mm = current->mm;
	mmgrab(vm->mm);
	/* Published last: from here the fault worker may find the VM. */
	xa_store_irq(&ndev->vms, instance, vm, GFP_KERNEL);
	return vm;

err_entity:
	drm_sched_entity_destroy(&vm->entity);
err_pt:
	neuf_pt_fini(&vm->pt);
err_free:
	mutex_destroy(&vm->submit_lock);
	neuf_svm_vm_fini(vm);
	kfree(vm);
	return ERR_PTR(ret);
}

/* Stop submissions, let queued jobs go, and drop the file's reference. */
static void neuf_vm_close(struct neuf_vm *vm)
{
	mutex_lock(&vm->submit_lock);
	vm->closed = true;
	mutex_unlock(&vm->submit_lock);

	drm_sched_entity_destroy(&vm->entity);
	neuf_vm_put(vm);
}

/**
 * neuf_vm_unplug_all() - detach every VM from its process
 * @ndev: the device being removed, its engines stopped and its fault
 *	worker gone, so that no notifier is inserted any more
 *
 * Removes the interval notifiers of every live VM, which undoes every DMA
 * mapping of their pages, unbinds their instances and frees their page
 * tables: once this returns no invalidation callback of the device runs,
 * none will, and the driver holds no DMA memory or mapping of the GPU's
 * for them. The VMs themselves stay until their files are closed.
 */
void neuf_vm_unplug_all(struct neuf_device *ndev)
{
	unsigned int instance;

	for (instance = 0; instance < ndev->caps.instances; instance++) {
		struct neuf_vm *vm = neuf_vm_lookup_instance(ndev, instance);

		if (!vm)
			continue;
		/* Clearing each chunk undoes the DMA mappings of its pages. */
		neuf_svm_chunks_fini(vm);
		neuf_hw_instance_unbind(ndev, instance);
		/* The tables are the GPU's DMA memory: they go with it. */
		neuf_pt_fini(&vm->pt);
		neuf_vm_put(vm);
	}
}

/**
 * neuf_vm_file_close() - destroy every VM of a file being closed
 * @nfile: the file
 */
void neuf_vm_file_close(struct neuf_file *nfile)
{
	struct neuf_vm *vm;
	unsigned long id;

	xa_for_each(&nfile->vms, id, vm) {
		xa_erase(&nfile->vms, id);
		neuf_vm_close(vm);
	}
	xa_destroy(&nfile->vms);
}

/**
 * neuf_vm_create_ioctl() - &DRM_IOCTL_NEUF_VM_CREATE
 * @drm: the device
 * @data: &struct drm_neuf_vm_create
 * @file: the caller's file
 *
 * Return: 0 or a negative errno, see &struct drm_neuf_vm_create.
 */
int neuf_vm_create_ioctl(struct drm_device *drm, void *data,
			 struct drm_file *file)
{
	struct neuf_device *ndev = to_neuf_device(drm);
	struct neuf_file *nfile = file->driver_priv;
	struct drm_neuf_vm_create *args = data;
	struct neuf_vm *vm;
	u32 id;
	int ret;

	if (args->flags != NEUF_VM_CREATE_SVM || args->vm_id)
		return -EINVAL;
	if (!current->mm)
		return -EINVAL;

	vm = neuf_vm_create(ndev);
	if (IS_ERR(vm))
		return PTR_ERR(vm);

	/* Cyclic: a destroyed VM's id keeps failing for a long while. */
	ret = xa_alloc_cyclic(&nfile->vms, &id, vm, xa_limit_32b,
			      &nfile->next_vm_id, GFP_KERNEL);
	if (ret < 0) {
		neuf_vm_close(vm);
		return ret == -EBUSY ? -ENOSPC : ret;
	}
	args->vm_id = id;
	return 0;
}

/**
 * neuf_vm_destroy_ioctl() - &DRM_IOCTL_NEUF_VM_DESTROY
 * @drm: the device
 * @data: &struct drm_neuf_vm_destroy
 * @file: the caller's file
 *
 * Return: 0 or a negative errno, see &struct drm_neuf_vm_destroy.
 */
int neuf_vm_destroy_ioctl(struct drm_device *drm, void *data,
			  struct drm_file *file)
{
	struct neuf_file *nfile = file->driver_priv;
	struct drm_neuf_vm_destroy *args = data;
	struct neuf_vm *vm;

	if (args->pad)
		return -EINVAL;

	xa_lock(&nfile->vms);
	vm = xa_load(&nfile->vms, args->vm_id);
	if (!vm) {
		xa_unlock(&nfile->vms);
		return -ENOENT;
	}
	if (vm->mm != current->mm) {
		xa_unlock(&nfile->vms);
		return -EACCES;
	}
	__xa_erase(&nfile->vms, args->vm_id);
	xa_unlock(&nfile->vms);

	neuf_vm_close(vm);
	return 0;
}

/**
 * neuf_vm_stats_ioctl() - &DRM_IOCTL_NEUF_VM_STATS
 * @drm: the device
 * @data: &struct drm_neuf_vm_stats
 * @file: the caller's file
 *
 * Return: 0 or a negative errno, see &struct drm_neuf_vm_stats.
 */
int neuf_vm_stats_ioctl(struct drm_device *drm, void *data,
			struct drm_file *file)
{
	struct neuf_file *nfile = file->driver_priv;
	struct drm_neuf_vm_stats *args = data;
	struct neuf_vm *vm;

	if (args->pad)
		return -EINVAL;

	vm = neuf_vm_lookup(nfile, args->vm_id);
	if (!vm)
		return -ENOENT;

	args->faults = atomic64_read(&vm->stats[NEUF_STAT_FAULTS]);
	args->batches = atomic64_read(&vm->stats[NEUF_STAT_BATCHES]);
	args->replays = atomic64_read(&vm->stats[NEUF_STAT_REPLAYS]);
	args->cancels = atomic64_read(&vm->stats[NEUF_STAT_CANCELS]);
	args->pages_mapped = atomic64_read(&vm->stats[NEUF_STAT_PAGES_MAPPED]);
	args->pages_invalidated =
		atomic64_read(&vm->stats[NEUF_STAT_PAGES_INVALIDATED]);
	args->invalidations =
		atomic64_read(&vm->stats[NEUF_STAT_INVALIDATIONS]);
	args->retries = atomic64_read(&vm->stats[NEUF_STAT_RETRIES]);
	args->notifiers = atomic64_read(&vm->stats[NEUF_STAT_NOTIFIERS]);
	args->jobs_submitted =
		atomic64_read(&vm->stats[NEUF_STAT_JOBS_SUBMITTED]);
	args->jobs_failed = atomic64_read(&vm->stats[NEUF_STAT_JOBS_FAILED]);
	args->windows = atomic64_read(&vm->stats[NEUF_STAT_WINDOWS]);
	args->huge_mapped = atomic64_read(&vm->stats[NEUF_STAT_HUGE_MAPPED]);

	neuf_vm_put(vm);
	return 0;
}
