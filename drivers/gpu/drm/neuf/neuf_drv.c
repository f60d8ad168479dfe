// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright 2026 The neuf authors
 */

#include <linux/bitfield.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/sizes.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>
#include <drm/neuf_drm.h>

#include "neuf_drv.h"
#include "neuf_regs.h"

/**
 * DOC: neuf device
 *
 * The module registers a platform driver and creates one platform device
 * for it, the way vkms and vgem stand up a device with no bus behind it.
 * Probing powers on the virtual hardware, checks its identification
 * registers as a driver for silicon would, and registers a DRM device with
 * a render node. Everything userspace reaches goes through ioctls on that
 * node.
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
	default:
		return -EINVAL;
	}

	return 0;
}

static const struct drm_ioctl_desc neuf_ioctls[] = {
	DRM_IOCTL_DEF_DRV(NEUF_GETPARAM, neuf_ioctl_getparam, DRM_RENDER_ALLOW),
};

static const struct file_operations neuf_fops = {
	.owner = THIS_MODULE,
	.open = drm_open,
	.release = drm_release,
	.unlocked_ioctl = drm_ioctl,
	.compat_ioctl = drm_compat_ioctl,
	.poll = drm_poll,
	.read = drm_read,
	.llseek = noop_llseek,
	.fop_flags = FOP_UNSIGNED_OFFSET,
};

static const struct drm_driver neuf_drm_driver = {
	.driver_features = DRIVER_RENDER,
	.ioctls = neuf_ioctls,
	.num_ioctls = ARRAY_SIZE(neuf_ioctls),
	.fops = &neuf_fops,
	.name = NEUF_DRIVER_NAME,
	.desc = NEUF_DRIVER_DESC,
	.major = NEUF_DRIVER_MAJOR,
	.minor = NEUF_DRIVER_MINOR,
	.patchlevel = NEUF_DRIVER_PATCHLEVEL,
};

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

	if (FIELD_GET(NEUF_REVISION_MAJOR, ndev->caps.revision) != 1) {
		drm_err(drm, "unsupported hardware revision %#010x\n",
			ndev->caps.revision);
		return -ENODEV;
	}
	if (!ndev->caps.engines || !(ndev->caps.page_sizes & SZ_4K)) {
		drm_err(drm, "hardware lacks engines or 4K pages\n");
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

static int neuf_probe(struct platform_device *pdev)
{
	struct neuf_device *ndev;
	int ret;

	ndev = devm_drm_dev_alloc(&pdev->dev, &neuf_drm_driver,
				  struct neuf_device, drm);
	if (IS_ERR(ndev))
		return PTR_ERR(ndev);

	ndev->hw = neuf_model_create();
	if (IS_ERR(ndev->hw))
		return PTR_ERR(ndev->hw);
	ret = drmm_add_action_or_reset(&ndev->drm, neuf_model_release, ndev->hw);
	if (ret)
		return ret;

	ret = neuf_hw_init(ndev);
	if (ret)
		return ret;

	platform_set_drvdata(pdev, ndev);
	return drm_dev_register(&ndev->drm, 0);
}

static void neuf_remove(struct platform_device *pdev)
{
	struct neuf_device *ndev = platform_get_drvdata(pdev);

	drm_dev_unregister(&ndev->drm);
}

static struct platform_driver neuf_platform_driver = {
	.probe = neuf_probe,
	.remove_new = neuf_remove,
	.driver = {
		.name = NEUF_DRIVER_NAME,
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
