/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright 2026 The neuf authors
 */
#ifndef __NEUF_HW_H__
#define __NEUF_HW_H__

#include <linux/regmap.h>
#include <linux/types.h>

#include "neuf_drv.h"

/**
 * neuf_rd32() - read a register
 * @ndev: the device
 * @reg: byte offset in the register window (neuf_regs.h)
 *
 * Context: any; never sleeps.
 * Return: the register's value, or all ones, as an unclaimed bus address
 * reads, if the register window refuses the access.
 */
static inline u32 neuf_rd32(struct neuf_device *ndev, u32 reg)
{
	unsigned int value;

	if (regmap_read(ndev->regs, reg, &value))
		return ~0u;
	return value;
}

/**
 * neuf_wr32() - write a register
 * @ndev: the device
 * @reg: byte offset in the register window (neuf_regs.h)
 * @value: the value
 *
 * Context: any; never sleeps.
 */
static inline void neuf_wr32(struct neuf_device *ndev, u32 reg, u32 value)
{
	regmap_write(ndev->regs, reg, value);
}

int neuf_hw_init(struct neuf_device *ndev);
void neuf_hw_tlb_invalidate(struct neuf_device *ndev, u32 instance,
			    u64 start, u64 end);
void neuf_hw_instance_bind(struct neuf_device *ndev, u32 instance,
			   dma_addr_t root);
void neuf_hw_instance_unbind(struct neuf_device *ndev, u32 instance);
void neuf_hw_gone(struct neuf_device *ndev);

#endif /* __NEUF_HW_H__ */
