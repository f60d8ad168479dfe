// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright 2026 The neuf authors
 */

#include <linux/bitfield.h>
#include <linux/iopoll.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>
#include <drm/neuf_drm.h>

#include "neuf_compat.h"
#include "neuf_drv.h"
#include "neuf_job.h"
#include "neuf_regs.h"
#include "neuf_svm.h"
#include "neuf_vm.h"

/**
 * DOC: neuf device
 *
 * The module registers a platform driver and creates one platform device
 * for it, the way vkms and vgem stand up a device with no bus behind it.
 * Probing powers on the virtual hardware, checks its identification
 * registers as a driver for silicon would, and registers a DRM device with
 * a render node. Everything userspace reaches goes through ioctls on that
 * node.
 *
 * The hardware's only way back is its interrupt line: the handler
 * acknowledges what it finds, queues the fault worker for fault-buffer
 * activity and completes the jobs of engines that reported an end.
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
		args->value = neuf_rd32(ndev, NEUF_REG_ID);
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
	default:
		return -EINVAL;
	}

	return 0;
}

static const struct drm_ioctl_desc neuf_ioctls[] = {
	DRM_IOCTL_DEF_DRV(NEUF_GETPARAM, neuf_ioctl_getparam, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NEUF_VM_CREATE, neuf_vm_create_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NEUF_VM_DESTROY, neuf_vm_destroy_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NEUF_EXEC, neuf_exec_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NEUF_JOB_STATUS, neuf_job_status_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NEUF_VM_STATS, neuf_vm_stats_ioctl, DRM_RENDER_ALLOW),
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

/**
 * neuf_hw_tlb_invalidate() - invalidate a VA range in every engine's TLB
 * @ndev: the device
 * @instance: the address space
 * @start: first address
 * @end: end of the range (exclusive)
 *
 * Returns once no engine uses a translation of the range cached before
 * the call, and no access through one is in flight. Never sleeps: safe in
 * a non-blockable notifier.
 */
void neuf_hw_tlb_invalidate(struct neuf_device *ndev, u32 instance,
			    u64 start, u64 end)
{
	u32 status;
	int ret;

	spin_lock(&ndev->reg_lock);
	neuf_wr32(ndev, NEUF_REG_TLB_INV_START_LO, lower_32_bits(start));
	neuf_wr32(ndev, NEUF_REG_TLB_INV_START_HI, upper_32_bits(start));
	neuf_wr32(ndev, NEUF_REG_TLB_INV_END_LO, lower_32_bits(end));
	neuf_wr32(ndev, NEUF_REG_TLB_INV_END_HI, upper_32_bits(end));
	neuf_wr32(ndev, NEUF_REG_TLB_INV_CTRL,
		  FIELD_PREP(NEUF_TLB_INV_INSTANCE, instance) |
		  FIELD_PREP(NEUF_TLB_INV_ENGINES,
			     GENMASK(ndev->caps.engines - 1, 0)));
	ret = read_poll_timeout_atomic(neuf_rd32, status,
				       !(status & NEUF_TLB_INV_PENDING), 1,
				       USEC_PER_SEC, false, ndev,
				       NEUF_REG_TLB_INV_STATUS);
	spin_unlock(&ndev->reg_lock);
	if (ret)
		drm_err(&ndev->drm, "TLB invalidation does not complete\n");
}

/**
 * neuf_hw_instance_bind() - point a hardware instance at a page table
 * @ndev: the device
 * @instance: the instance
 * @root: physical address of the root table
 */
void neuf_hw_instance_bind(struct neuf_device *ndev, u32 instance,
			   phys_addr_t root)
{
	spin_lock(&ndev->reg_lock);
	neuf_wr32(ndev, NEUF_REG_INST_ROOT_LO, lower_32_bits(root));
	neuf_wr32(ndev, NEUF_REG_INST_ROOT_HI, upper_32_bits(root));
	neuf_wr32(ndev, NEUF_REG_INST_BIND,
		  FIELD_PREP(NEUF_INST_BIND_ID, instance) |
		  NEUF_INST_BIND_ENABLE);
	spin_unlock(&ndev->reg_lock);
}

/**
 * neuf_hw_instance_unbind() - detach a hardware instance from its tables
 * @ndev: the device
 * @instance: the instance; the hardware drops its TLB entries
 */
void neuf_hw_instance_unbind(struct neuf_device *ndev, u32 instance)
{
	spin_lock(&ndev->reg_lock);
	neuf_wr32(ndev, NEUF_REG_INST_BIND,
		  FIELD_PREP(NEUF_INST_BIND_ID, instance));
	spin_unlock(&ndev->reg_lock);
}

static void neuf_irq(void *data)
{
	struct neuf_device *ndev = data;
	unsigned long flags;
	unsigned int i;
	u32 status;

	spin_lock_irqsave(&ndev->irq_lock, flags);
	if (!ndev->irq_on)
		goto out;

	status = neuf_rd32(ndev, NEUF_REG_INTR_STATUS);
	neuf_wr32(ndev, NEUF_REG_INTR_STATUS, status);

	if (status & NEUF_INTR_FAULT)
		queue_work(ndev->svm_wq, &ndev->fault.work);
	for (i = 0; i < ndev->caps.engines; i++)
		if (status & NEUF_INTR_ENGINE(i))
			neuf_engine_irq(&ndev->engines[i]);
out:
	spin_unlock_irqrestore(&ndev->irq_lock, flags);
}

static void neuf_irq_enable(struct neuf_device *ndev, bool on)
{
	unsigned long flags;

	spin_lock_irqsave(&ndev->irq_lock, flags);
	ndev->irq_on = on;
	neuf_wr32(ndev, NEUF_REG_INTR_ENABLE,
		  on ? NEUF_INTR_FAULT |
		       FIELD_PREP(NEUF_INTR_ENGINE_MASK,
				  GENMASK(ndev->caps.engines - 1, 0)) : 0);
	spin_unlock_irqrestore(&ndev->irq_lock, flags);
}

static int neuf_hw_init(struct neuf_device *ndev)
{
	struct drm_device *drm = &ndev->drm;
	u32 id;

	id = neuf_rd32(ndev, NEUF_REG_ID);
	if (id != NEUF_ID_VALUE) {
		drm_err(drm, "unexpected chip id %#010x\n", id);
		return -ENODEV;
	}

	/* The scratch register proves writes reach the device. */
	neuf_wr32(ndev, NEUF_REG_SCRATCH, ~id);
	if (neuf_rd32(ndev, NEUF_REG_SCRATCH) != ~id) {
		drm_err(drm, "register writes do not reach the device\n");
		return -EIO;
	}

	ndev->caps.revision = neuf_rd32(ndev, NEUF_REG_REVISION);
	ndev->caps.engines = neuf_rd32(ndev, NEUF_REG_ENGINES);
	ndev->caps.va_bits = neuf_rd32(ndev, NEUF_REG_VA_BITS);
	ndev->caps.page_sizes = neuf_rd32(ndev, NEUF_REG_PAGE_SIZES);
	ndev->caps.fault_buf_entries = neuf_rd32(ndev, NEUF_REG_FAULT_BUF_ENTRIES);
	ndev->caps.instances = neuf_rd32(ndev, NEUF_REG_INSTANCES);

	if (FIELD_GET(NEUF_REVISION_MAJOR, ndev->caps.revision) != 1) {
		drm_err(drm, "unsupported hardware revision %#010x\n",
			ndev->caps.revision);
		return -ENODEV;
	}
	if (!ndev->caps.engines || !(ndev->caps.page_sizes & SZ_4K)) {
		drm_err(drm, "hardware lacks engines or 4K pages\n");
		return -ENODEV;
	}
	if (ndev->caps.engines > NEUF_MAX_ENGINES)
		ndev->caps.engines = NEUF_MAX_ENGINES;
	if (ndev->caps.instances > NEUF_MAX_INSTANCES)
		ndev->caps.instances = NEUF_MAX_INSTANCES;
	if (!ndev->caps.instances || ndev->caps.va_bits < 47 ||
	    !is_power_of_2(ndev->caps.fault_buf_entries)) {
		drm_err(drm, "hardware cannot mirror a process\n");
		return -ENODEV;
	}

	drm_info(drm, "neuf %lu.%lu, %u engines, %u-bit VA\n",
		 FIELD_GET(NEUF_REVISION_MAJOR, ndev->caps.revision),
		 FIELD_GET(NEUF_REVISION_MINOR, ndev->caps.revision),
		 ndev->caps.engines, ndev->caps.va_bits);
	return 0;
}

static void neuf_model_release(struct drm_device *drm, void *hw)
{
	neuf_model_destroy(hw);
}

/* Bring up what sits between the hardware and userspace. */
static int neuf_device_init(struct neuf_device *ndev)
{
	int ret;

	ndev->svm_wq = alloc_ordered_workqueue("neuf-svm", 0);
	if (!ndev->svm_wq)
		return -ENOMEM;
	ndev->wq = alloc_workqueue("neuf", WQ_UNBOUND, 0);
	if (!ndev->wq) {
		ret = -ENOMEM;
		goto err_svm_wq;
	}

	ret = neuf_svm_fault_init(ndev);
	if (ret)
		goto err_wq;
	ret = neuf_engines_init(ndev);
	if (ret)
		goto err_fault;

	neuf_irq_enable(ndev, true);
	return 0;

err_fault:
	neuf_svm_fault_fini(ndev);
err_wq:
	destroy_workqueue(ndev->wq);
err_svm_wq:
	destroy_workqueue(ndev->svm_wq);
	return ret;
}

/*
 * Undo neuf_device_init() once userspace is gone: wait for the jobs still
 * on the engines (the scheduler timeout bounds them), release the VMs they
 * held, then silence the hardware.
 */
static void neuf_device_fini(struct neuf_device *ndev)
{
	wait_event(ndev->jobs_wq, !atomic_read(&ndev->jobs_in_flight));
	neuf_engines_fini(ndev);
	neuf_irq_enable(ndev, false);
	/* The fault worker may hold the last reference of a VM: stop it first. */
	neuf_svm_fault_fini(ndev);
	/* VM releases cancel their collection work on the SVM queue. */
	destroy_workqueue(ndev->wq);
	destroy_workqueue(ndev->svm_wq);
	WARN_ON(!xa_empty(&ndev->vms));
	xa_destroy(&ndev->vms);
}

static int neuf_probe(struct platform_device *pdev)
{
	struct neuf_device *ndev;
	int ret;

	ndev = devm_drm_dev_alloc(&pdev->dev, &neuf_drm_driver,
				  struct neuf_device, drm);
	if (IS_ERR(ndev))
		return PTR_ERR(ndev);

	spin_lock_init(&ndev->reg_lock);
	spin_lock_init(&ndev->irq_lock);
	xa_init_flags(&ndev->vms, XA_FLAGS_ALLOC | XA_FLAGS_LOCK_IRQ);
	atomic_set(&ndev->jobs_in_flight, 0);
	init_waitqueue_head(&ndev->jobs_wq);

	ndev->hw = neuf_model_create(neuf_irq, ndev);
	if (IS_ERR(ndev->hw))
		return PTR_ERR(ndev->hw);
	ret = drmm_add_action_or_reset(&ndev->drm, neuf_model_release, ndev->hw);
	if (ret)
		return ret;

	ret = neuf_hw_init(ndev);
	if (ret)
		return ret;

	ret = neuf_device_init(ndev);
	if (ret)
		return ret;

	platform_set_drvdata(pdev, ndev);
	ret = drm_dev_register(&ndev->drm, 0);
	if (ret)
		neuf_device_fini(ndev);
	return ret;
}

static void neuf_remove(struct platform_device *pdev)
{
	struct neuf_device *ndev = platform_get_drvdata(pdev);

	drm_dev_unregister(&ndev->drm);
	neuf_device_fini(ndev);
}

static struct platform_driver neuf_platform_driver = {
	.probe = neuf_probe,
	.remove_new = neuf_remove,
	.driver = {
		.name = NEUF_DRIVER_NAME,
		/* Unbound only by module unload, when no file is open. */
		.suppress_bind_attrs = true,
	},
};

static struct platform_device *neuf_pdev;

static int __init neuf_init(void)
{
	int ret;

	ret = platform_driver_register(&neuf_platform_driver);
	if (ret)
		return ret;

	neuf_pdev = platform_device_register_simple(NEUF_DRIVER_NAME,
						    PLATFORM_DEVID_NONE, NULL, 0);
	if (IS_ERR(neuf_pdev)) {
		platform_driver_unregister(&neuf_platform_driver);
		return PTR_ERR(neuf_pdev);
	}

	return 0;
}

static void __exit neuf_exit(void)
{
	platform_device_unregister(neuf_pdev);
	platform_driver_unregister(&neuf_platform_driver);
}

module_init(neuf_init);
module_exit(neuf_exit);

MODULE_AUTHOR("The neuf authors");
MODULE_DESCRIPTION(NEUF_DRIVER_DESC);
MODULE_LICENSE("Dual MIT/GPL");
