// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright 2026 The neuf authors
 *
 * The driver's side of the hardware: identification and reset at probe,
 * and the commands that take several registers (TLB invalidation,
 * instance binding). Everything else writes single registers through
 * neuf_rd32() and neuf_wr32().
 */

#include <linux/bitfield.h>
#include <linux/iopoll.h>
#include <linux/log2.h>
#include <linux/sizes.h>

#include <drm/drm_print.h>

#include "neuf_hw.h"
#include "neuf_regs.h"

/**
 * neuf_hw_init() - identify the hardware and bring it to a known state
 * @ndev: the device, its register window and &neuf_device.reg_lock set up
 *
 * Checks the identification registers as a driver for silicon would,
 * reads the capabilities into &neuf_device.caps and silences whatever a
 * previous driver left: interrupts masked and acknowledged, fault buffer
 * off, every instance unbound. Engines are reset as their schedulers come
 * up.
 *
 * Return: 0, or -ENODEV / -EIO for hardware neuf cannot drive.
 */
int neuf_hw_init(struct neuf_device *ndev)
{
	struct drm_device *drm = &ndev->drm;
	unsigned int i;
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

	ndev->caps.id = id;
	ndev->caps.revision = neuf_rd32(ndev, NEUF_REG_REVISION);
	ndev->caps.engines = neuf_rd32(ndev, NEUF_REG_ENGINES);
	ndev->caps.va_bits = neuf_rd32(ndev, NEUF_REG_VA_BITS);
	ndev->caps.page_sizes = neuf_rd32(ndev, NEUF_REG_PAGE_SIZES);
	ndev->caps.fault_buf_entries = neuf_rd32(ndev, NEUF_REG_FAULT_BUF_ENTRIES);
	ndev->caps.instances = neuf_rd32(ndev, NEUF_REG_INSTANCES);
	/*
	 * 1.2 added VRAM, the copy engine and FEATURES; 1.1's atomics on
	 * system memory were coherent.
	 */
	ndev->caps.features = NEUF_FEATURE_SYSMEM_ATOMICS;
	if (FIELD_GET(NEUF_REVISION_MINOR, ndev->caps.revision) >= 2) {
		ndev->caps.vram_size =
			(u64)neuf_rd32(ndev, NEUF_REG_VRAM_SIZE) << 20;
		ndev->caps.features = neuf_rd32(ndev, NEUF_REG_FEATURES);
	}
	if (!IS_ALIGNED(ndev->caps.vram_size, SZ_2M)) {
		drm_warn(drm, "VRAM of %llu MiB is not in 2 MiB blocks: not used\n",
			 ndev->caps.vram_size >> 20);
		ndev->caps.vram_size = 0;
	}

	/* 1.0 lacks the engine watchdog that hang detection relies on. */
	if (FIELD_GET(NEUF_REVISION_MAJOR, ndev->caps.revision) != 1 ||
	    FIELD_GET(NEUF_REVISION_MINOR, ndev->caps.revision) < 1) {
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

	/* The hardware outlives its driver (module reload, rebind). */
	neuf_wr32(ndev, NEUF_REG_INTR_ENABLE, 0);
	neuf_wr32(ndev, NEUF_REG_INTR_STATUS, ~0u);
	neuf_wr32(ndev, NEUF_REG_FB_SIZE, 0);
	neuf_wr32(ndev, NEUF_REG_FB_STATUS, ~0u);
	if (ndev->caps.vram_size) {
		neuf_wr32(ndev, NEUF_REG_CE_RING_SIZE, 0);
		neuf_wr32(ndev, NEUF_REG_CE_STATUS, ~0u);
	}
	for (i = 0; i < ndev->caps.instances; i++)
		neuf_hw_instance_unbind(ndev, i);

	drm_info(drm, "neuf %lu.%lu, %u engines, %u-bit VA, %llu MiB VRAM\n",
		 FIELD_GET(NEUF_REVISION_MAJOR, ndev->caps.revision),
		 FIELD_GET(NEUF_REVISION_MINOR, ndev->caps.revision),
		 ndev->caps.engines, ndev->caps.va_bits,
		 ndev->caps.vram_size >> 20);
	return 0;
}

/**
 * neuf_hw_tlb_invalidate() - invalidate a VA range in every engine's TLB
 * @ndev: the device
 * @instance: the address space
 * @start: first address
 * @end: end of the range (exclusive)
 *
 * Returns once no engine uses a translation of the range cached before
 * the call, and no access through one is in flight. Never sleeps: safe in
 * a non-blockable notifier. Does nothing once the device is gone: its
 * engines were stopped first.
 */
void neuf_hw_tlb_invalidate(struct neuf_device *ndev, u32 instance,
			    u64 start, u64 end)
{
	u32 status;
	int ret;

	spin_lock(&ndev->reg_lock);
	if (ndev->hw_gone) {
		spin_unlock(&ndev->reg_lock);
		return;
	}
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
 * @root: DMA address of the root table
 *
 * Does nothing once the device is gone.
 */
void neuf_hw_instance_bind(struct neuf_device *ndev, u32 instance,
			   dma_addr_t root)
{
	spin_lock(&ndev->reg_lock);
	if (!ndev->hw_gone) {
		neuf_wr32(ndev, NEUF_REG_INST_ROOT_LO, lower_32_bits(root));
		neuf_wr32(ndev, NEUF_REG_INST_ROOT_HI, upper_32_bits(root));
		neuf_wr32(ndev, NEUF_REG_INST_BIND,
			  FIELD_PREP(NEUF_INST_BIND_ID, instance) |
			  NEUF_INST_BIND_ENABLE);
	}
	spin_unlock(&ndev->reg_lock);
}

/**
 * neuf_hw_instance_unbind() - detach a hardware instance from its tables
 * @ndev: the device
 * @instance: the instance; the hardware drops its TLB entries
 *
 * Does nothing once the device is gone.
 */
void neuf_hw_instance_unbind(struct neuf_device *ndev, u32 instance)
{
	spin_lock(&ndev->reg_lock);
	if (!ndev->hw_gone)
		neuf_wr32(ndev, NEUF_REG_INST_BIND,
			  FIELD_PREP(NEUF_INST_BIND_ID, instance));
	spin_unlock(&ndev->reg_lock);
}

/**
 * neuf_hw_gone() - stop touching the registers for good
 * @ndev: the device being removed, its engines stopped and no notifier
 *	left that could invalidate a TLB
 *
 * From here on neuf_hw_tlb_invalidate(), neuf_hw_instance_bind() and
 * neuf_hw_instance_unbind() do nothing: the register window may go away
 * with the chip.
 */
void neuf_hw_gone(struct neuf_device *ndev)
{
	spin_lock(&ndev->reg_lock);
	ndev->hw_gone = true;
	spin_unlock(&ndev->reg_lock);
}
