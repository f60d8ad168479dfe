/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * The hardware model's interface to the chip that puts it behind a device
 * (neuf_chip.c): a register window (neuf_regs.h) and one interrupt output.
 * Nothing outside neuf_vgpu.ko includes this file.
 */
#ifndef __NEUF_MODEL_H__
#define __NEUF_MODEL_H__

#include <linux/types.h>

struct device;

struct neuf_model;

/**
 * typedef neuf_model_irq_handler_t - the device's interrupt line
 * @data: the pointer given to neuf_model_create()
 *
 * Called in hard interrupt context (in a kernel thread on PREEMPT_RT)
 * whenever INTR_STATUS & INTR_ENABLE becomes non-zero. The handler
 * acknowledges by writing INTR_STATUS.
 */
typedef void (*neuf_model_irq_handler_t)(void *data);

/**
 * struct neuf_model_config - what the board makes of the chip
 * @vram_size: bytes of device memory, a multiple of 2 MiB; 0 for none
 * @sysmem_atomics: atomics on system memory are coherent with the CPUs,
 *	so they need no %NEUF_PTE_ATOMIC (FEATURES.SYSMEM_ATOMICS)
 */
struct neuf_model_config {
	u64 vram_size;
	bool sysmem_atomics;
};

struct neuf_model *neuf_model_create(struct device *dma_dev,
				     const struct neuf_model_config *config,
				     neuf_model_irq_handler_t irq, void *data);
void neuf_model_destroy(struct neuf_model *model);
u32 neuf_model_read32(struct neuf_model *model, u32 offset);
void neuf_model_write32(struct neuf_model *model, u32 offset, u32 value);

#endif /* __NEUF_MODEL_H__ */
