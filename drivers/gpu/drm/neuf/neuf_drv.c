// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright 2026 The neuf authors
 */

#include <linux/bitfield.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>
#include <drm/neuf_drm.h>

#include "neuf_compat.h"
#include "neuf_debugfs.h"
#include "neuf_dmem.h"
#include "neuf_drv.h"
#include "neuf_hw.h"
#include "neuf_job.h"
#include "neuf_regs.h"
#include "neuf_svm.h"
#include "neuf_vm.h"

/**
 * DOC: neuf device
 *
 * neuf.ko is a platform driver. It binds to the GPU functions (``neuf.N``)
 * that the virtual GPU, neuf_vgpu.ko, registers, as it would to silicon:
 * probing finds the register window (the regmap of the function's parent,
 * the chip) and the interrupt line (the function's IRQ resource), checks
 * the identification registers, brings the hardware to a known state and
 * registers a DRM device with a render node. Everything userspace reaches
 * goes through ioctls on that node; everything the driver does to the
 * hardware goes through neuf_rd32() and neuf_wr32() and comes back through
 * the interrupt.
 *
 * The interrupt handler acknowledges what it finds, queues the fault
 * worker for fault-buffer activity and completes the jobs of engines that
 * reported an end.
 */

static int neuf_ioctl_getparam(struct drm_device *drm, void *data,
			       struct drm_file *file)
{
	struct neuf_device *ndev = to_neuf_device(drm);
	struct drm_neuf_getparam *args = data;

	if (args->pad)
		return -EINVAL;

	switch (args->param) {
	case NEUF_PARAM_CHIP_ID:
		args->value = ndev->caps.id;
		break;
	case NEUF_PARAM_CHIP_REVISION:
		args->value = ndev->caps.revision;
		break;
	case NEUF_PARAM_NUM_ENGINES:
		args->value = ndev->caps.engines;
		break;
	case NEUF_PARAM_VA_BITS:
		args->value = ndev->caps.va_bits;
		break;
	case NEUF_PARAM_PAGE_SIZES:
		args->value = ndev->caps.page_sizes;
		break;
	case NEUF_PARAM_FAULT_BUFFER_ENTRIES:
		args->value = ndev->caps.fault_buf_entries;
		break;
	case NEUF_PARAM_MAX_VMS:
		args->value = ndev->caps.instances;
		break;
	case NEUF_PARAM_VRAM_SIZE: {
		u64 used;

		neuf_dmem_usage(ndev, &used, &args->value);
		break;
	}
	default:
		return -EINVAL;
	}

	return 0;
}

/*
 * DRM refuses every ioctl of an unplugged device with -ENODEV. The ioctls
 * that put state on the hardware (a VM's instance, a job for the engines)
 * also run inside drm_dev_enter(), so that unbinding waits for those in
 * flight and none completes on a device that is gone.
 */
static int neuf_ioctl_entered(struct drm_device *drm, void *data,
			      struct drm_file *file, drm_ioctl_t *fn)
{
	int idx, ret;

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	ret = fn(drm, data, file);
	drm_dev_exit(idx);
	return ret;
}

static int neuf_ioctl_vm_create(struct drm_device *drm, void *data,
				struct drm_file *file)
{
	return neuf_ioctl_entered(drm, data, file, neuf_vm_create_ioctl);
}

static int neuf_ioctl_exec(struct drm_device *drm, void *data,
			   struct drm_file *file)
{
	return neuf_ioctl_entered(drm, data, file, neuf_exec_ioctl);
}

static int neuf_ioctl_device_stats(struct drm_device *drm, void *data,
				   struct drm_file *file)
{
	struct neuf_device *ndev = to_neuf_device(drm);
	struct drm_neuf_device_stats *args = data;
	atomic64_t *st = ndev->mem_stats;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(args->reserved); i++)
		if (args->reserved[i])
			return -EINVAL;
	neuf_dmem_usage(ndev, &args->vram_used, &args->vram_total);
	args->to_vram_pages = atomic64_read(&st[NEUF_DMEM_TO_VRAM_PAGES]);
	args->to_ram_pages = atomic64_read(&st[NEUF_DMEM_TO_RAM_PAGES]);
	args->cpu_faults = atomic64_read(&st[NEUF_DMEM_CPU_FAULTS]);
	args->evicted_pages = atomic64_read(&st[NEUF_DMEM_EVICTED_PAGES]);
	args->evictions = atomic64_read(&st[NEUF_DMEM_EVICTIONS]);
	args->copy_ns = atomic64_read(&st[NEUF_DMEM_COPY_NS]);
	args->copy_bytes = atomic64_read(&ndev->copy.bytes);
	args->exclusive_grants = atomic64_read(&st[NEUF_DMEM_EXCLUSIVE_GRANTS]);
	args->exclusive_revokes =
		atomic64_read(&st[NEUF_DMEM_EXCLUSIVE_REVOKES]);
	return 0;
}

static int neuf_ioctl_svm_attr(struct drm_device *drm, void *data,
			       struct drm_file *file)
{
	return neuf_ioctl_entered(drm, data, file, neuf_svm_attr_ioctl);
}

static const struct drm_ioctl_desc neuf_ioctls[] = {
	DRM_IOCTL_DEF_DRV(NEUF_GETPARAM, neuf_ioctl_getparam, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NEUF_VM_CREATE, neuf_ioctl_vm_create, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NEUF_VM_DESTROY, neuf_vm_destroy_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NEUF_EXEC, neuf_ioctl_exec, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NEUF_JOB_STATUS, neuf_job_status_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NEUF_VM_STATS, neuf_vm_stats_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NEUF_SVM_ATTR, neuf_ioctl_svm_attr, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NEUF_DEVICE_STATS, neuf_ioctl_device_stats,
			  DRM_RENDER_ALLOW),
};

static int neuf_open(struct drm_device *drm, struct drm_file *file)
{
	struct neuf_file *nfile;

	nfile = kzalloc(sizeof(*nfile), GFP_KERNEL);
	if (!nfile)
		return -ENOMEM;
	nfile->ndev = to_neuf_device(drm);
	xa_init_flags(&nfile->vms, XA_FLAGS_ALLOC1);
	file->driver_priv = nfile;
	return 0;
}

static void neuf_postclose(struct drm_device *drm, struct drm_file *file)
{
	struct neuf_file *nfile = file->driver_priv;

	neuf_vm_file_close(nfile);
	kfree(nfile);
}

static const struct file_operations neuf_fops = {
	.owner = THIS_MODULE,
	.open = drm_open,
	.release = drm_release,
	.unlocked_ioctl = drm_ioctl,
	.compat_ioctl = drm_compat_ioctl,
	.poll = drm_poll,
	.read = drm_read,
	.llseek = noop_llseek,
	NEUF_FOP_FLAGS
};

static const struct drm_driver neuf_drm_driver = {
	.driver_features = DRIVER_RENDER | DRIVER_SYNCOBJ,
	.open = neuf_open,
	.postclose = neuf_postclose,
	.ioctls = neuf_ioctls,
	.num_ioctls = ARRAY_SIZE(neuf_ioctls),
	.fops = &neuf_fops,
	.debugfs_init = neuf_debugfs_init,
	.name = NEUF_DRIVER_NAME,
	.desc = NEUF_DRIVER_DESC,
	NEUF_DRIVER_DATE
	.major = NEUF_DRIVER_MAJOR,
	.minor = NEUF_DRIVER_MINOR,
	.patchlevel = NEUF_DRIVER_PATCHLEVEL,
};

static irqreturn_t neuf_irq(int irq, void *data)
{
	struct neuf_device *ndev = data;
	unsigned long flags;
	unsigned int i;
	u32 status = 0;

	spin_lock_irqsave(&ndev->irq_lock, flags);
	if (!ndev->irq_on)
		goto out;

	status = neuf_rd32(ndev, NEUF_REG_INTR_STATUS);
	if (!status)
		goto out;
	neuf_wr32(ndev, NEUF_REG_INTR_STATUS, status);

	if (status & NEUF_INTR_FAULT)
		queue_work(ndev->fault_wq, &ndev->fault.work);
	if (status & NEUF_INTR_COPY)
		neuf_copy_irq(ndev);
	for (i = 0; i < ndev->caps.engines; i++)
		if (status & NEUF_INTR_ENGINE(i))
			neuf_engine_irq(&ndev->engines[i]);
out:
	spin_unlock_irqrestore(&ndev->irq_lock, flags);
	return status ? IRQ_HANDLED : IRQ_NONE;
}

static void neuf_irq_enable(struct neuf_device *ndev, bool on)
{
	unsigned long flags;

	spin_lock_irqsave(&ndev->irq_lock, flags);
	ndev->irq_on = on;
	neuf_wr32(ndev, NEUF_REG_INTR_ENABLE,
		  on ? NEUF_INTR_FAULT | NEUF_INTR_COPY |
		       FIELD_PREP(NEUF_INTR_ENGINE_MASK,
				  GENMASK(ndev->caps.engines - 1, 0)) : 0);
	spin_unlock_irqrestore(&ndev->irq_lock, flags);
}

/*
 * What outlives the hardware: the schedulers and workqueues stay until the
 * last file of the DRM device is closed, so that files opened before the
 * device went away still close cleanly; their jobs end without reaching
 * the hardware (neuf_job_run()).
 */
static void neuf_device_release(struct drm_device *drm, void *unused)
{
	struct neuf_device *ndev = to_neuf_device(drm);

	wait_var_event(&ndev->jobs_in_flight,
		       !atomic_read(&ndev->jobs_in_flight));
	neuf_engines_fini(ndev);
	/* VM releases cancel their SVM workers on the SVM queue. */
	destroy_workqueue(ndev->wq);
	destroy_workqueue(ndev->svm_wq);
	destroy_workqueue(ndev->fault_wq);
	WARN_ON(!xa_empty(&ndev->vms));
	xa_destroy(&ndev->vms);
}

/* Bring up what sits between the hardware and userspace. */
static int neuf_device_init(struct neuf_device *ndev)
{
	int ret;

	ndev->fault_wq = alloc_ordered_workqueue("neuf-fault", WQ_HIGHPRI);
	if (!ndev->fault_wq)
		return -ENOMEM;
	ndev->svm_wq = alloc_workqueue("neuf-svm", WQ_UNBOUND,
				       NEUF_SVM_MAX_WORKERS);
	if (!ndev->svm_wq) {
		ret = -ENOMEM;
		goto err_fault_wq;
	}
	ndev->wq = alloc_workqueue("neuf", WQ_UNBOUND, 0);
	if (!ndev->wq) {
		ret = -ENOMEM;
		goto err_svm_wq;
	}
	ret = neuf_engines_init(ndev);
	if (ret)
		goto err_wq;
	ret = drmm_add_action_or_reset(&ndev->drm, neuf_device_release, NULL);
	if (ret)
		return ret;

	ret = neuf_svm_fault_init(ndev);
	if (ret)
		return ret;
	neuf_irq_enable(ndev, true);

	/* The copy engine's self-test needs its interrupt. */
	ret = neuf_copy_init(ndev);
	if (ret)
		goto err_irq;
	ret = neuf_dmem_init(ndev);
	if (ret)
		goto err_copy;
	return 0;

err_copy:
	neuf_copy_fini(ndev);
err_irq:
	neuf_irq_enable(ndev, false);
	neuf_svm_fault_fini(ndev);
	return ret;

err_wq:
	destroy_workqueue(ndev->wq);
err_svm_wq:
	destroy_workqueue(ndev->svm_wq);
err_fault_wq:
	destroy_workqueue(ndev->fault_wq);
	return ret;
}

/*
 * The hardware goes away (unbind, module unload, a failed probe): stop
 * everything that reaches it, before its registers do. Device memory
 * first, while the copy engine and its interrupt still run to move the
 * pages in VRAM back: no GPU fault is being resolved any more (unbinding
 * waited for those in drm_dev_unplug(), and cancels those that come
 * after), so nothing moves pages to VRAM meanwhile. Then interrupts,
 * then the engines, whose jobs end with -ENODEV: from there on the GPU
 * accesses no memory, and since neuf_job_run() refuses an unplugged
 * device nothing restarts them. Then the fault buffer and its worker, then
 * every VM's interval notifiers (the last callers of TLB invalidation),
 * DMA mappings and page tables: the driver keeps no DMA memory or mapping
 * of a device it is unbound from. Files stay open; their VMs and queued
 * jobs are freed when they close.
 */
static void neuf_device_unplug(struct neuf_device *ndev)
{
	neuf_dmem_fini(ndev);
	neuf_irq_enable(ndev, false);
	neuf_engines_abort(ndev);
	/* The fault worker may hold the last reference of a VM: stop it first. */
	neuf_svm_fault_fini(ndev);
	neuf_vm_unplug_all(ndev);
	/* VMs released meanwhile free their DMA memory before the unbind. */
	flush_workqueue(ndev->wq);
	neuf_copy_fini(ndev);

	neuf_hw_gone(ndev);
}

static int neuf_probe(struct platform_device *pdev)
{
	struct neuf_device *ndev;
	int ret;

	ndev = devm_drm_dev_alloc(&pdev->dev, &neuf_drm_driver,
				  struct neuf_device, drm);
	if (IS_ERR(ndev))
		return PTR_ERR(ndev);

	/* The register window is the chip's, as an MFD cell's is its parent's. */
	ndev->regs = pdev->dev.parent ? dev_get_regmap(pdev->dev.parent, NULL) : NULL;
	if (!ndev->regs)
		return dev_err_probe(&pdev->dev, -ENODEV, "no register window\n");
	ndev->irq = platform_get_irq(pdev, 0);
	if (ndev->irq < 0)
		return ndev->irq;
	/* Page-table entries hold DMA addresses of 52 bits (hardware.rst). */
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(52));
	if (ret)
		return dev_err_probe(&pdev->dev, ret, "no 52-bit DMA\n");

	spin_lock_init(&ndev->reg_lock);
	spin_lock_init(&ndev->irq_lock);
	xa_init_flags(&ndev->vms, XA_FLAGS_ALLOC | XA_FLAGS_LOCK_IRQ);
	atomic_set(&ndev->jobs_in_flight, 0);

	/* A leak planted for dma-debug (leak_dma_mapping) ends here. */
	neuf_svm_planted_leak_repair(&pdev->dev);

	ret = neuf_hw_init(ndev);
	if (ret)
		return ret;
	/* Silent until neuf_device_init() enables the interrupt sources. */
	ret = devm_request_irq(&pdev->dev, ndev->irq, neuf_irq, 0,
			       dev_name(&pdev->dev), ndev);
	if (ret)
		return ret;

	ret = neuf_device_init(ndev);
	if (ret)
		return ret;

	platform_set_drvdata(pdev, ndev);
	ret = drm_dev_register(&ndev->drm, 0);
	if (ret)
		neuf_device_unplug(ndev);
	return ret;
}

/*
 * Unbinding, with or without open files. drm_dev_unplug() makes every
 * later ioctl fail with -ENODEV and waits for the driver's sections that
 * reach the hardware (drm_dev_enter()); then the hardware is stopped. The
 * DRM device itself lives on until its last file is closed.
 */
static void neuf_remove(struct platform_device *pdev)
{
	struct neuf_device *ndev = platform_get_drvdata(pdev);

	drm_dev_unplug(&ndev->drm);
	neuf_device_unplug(ndev);
	neuf_svm_check_report(ndev);
}

static struct platform_driver neuf_platform_driver = {
	.probe = neuf_probe,
	.remove_new = neuf_remove,
	.driver = {
		.name = NEUF_DRIVER_NAME,
	},
};

static int __init neuf_init(void)
{
	return platform_driver_register(&neuf_platform_driver);
}

static void __exit neuf_exit(void)
{
	platform_driver_unregister(&neuf_platform_driver);
	neuf_svm_planted_leak_repair(NULL);
}

module_init(neuf_init);
module_exit(neuf_exit);

MODULE_AUTHOR("The neuf authors");
MODULE_DESCRIPTION(NEUF_DRIVER_DESC);
MODULE_LICENSE("Dual MIT/GPL");
MODULE_ALIAS("platform:" NEUF_DRIVER_NAME);
MODULE_SOFTDEP("pre: neuf_vgpu");
