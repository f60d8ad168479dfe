// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright 2026 The neuf authors
 */

#include <linux/err.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "neuf_model.h"
#include "neuf_regs.h"

/**
 * DOC: neuf hardware model
 *
 * The neuf GPU is virtual: this file is its hardware. The driver reaches it
 * only through neuf_model_read32() and neuf_model_write32() on the register
 * window described in neuf_regs.h, exactly as it would reach silicon through
 * MMIO, so the model could move into an emulator without touching the
 * driver. The driver never looks inside &struct neuf_model.
 */

/* Properties of this hardware revision. */
#define NEUF_MODEL_REVISION		0x00010000	/* 1.0 */
#define NEUF_MODEL_ENGINES		2
#define NEUF_MODEL_VA_BITS		48
#define NEUF_MODEL_PAGE_SIZES		(BIT(12) | BIT(16) | BIT(21))
#define NEUF_MODEL_FAULT_BUF_ENTRIES	256

/**
 * struct neuf_model - state of one virtual neuf GPU
 */
struct neuf_model {
	/** @lock: serialises register accesses that have state or effects */
	spinlock_t lock;
	/** @scratch: value of %NEUF_REG_SCRATCH, under @lock */
	u32 scratch;
};

/**
 * neuf_model_create() - power on a virtual neuf GPU
 *
 * Return: the new model, or an ERR_PTR() on failure.
 */
struct neuf_model *neuf_model_create(void)
{
	struct neuf_model *model;

	model = kzalloc(sizeof(*model), GFP_KERNEL);
	if (!model)
		return ERR_PTR(-ENOMEM);

	spin_lock_init(&model->lock);
	return model;
}

/**
 * neuf_model_destroy() - power off a virtual neuf GPU
 * @model: the model, from neuf_model_create()
 */
void neuf_model_destroy(struct neuf_model *model)
{
	kfree(model);
}

/**
 * neuf_model_read32() - read a 32-bit register
 * @model: the GPU
 * @offset: byte offset in the register window
 *
 * Return: the register's value; all ones for an offset that decodes to no
 * register, as a read of an unclaimed bus address would.
 */
u32 neuf_model_read32(struct neuf_model *model, u32 offset)
{
	u32 value;

	switch (offset) {
	case NEUF_REG_ID:
		return NEUF_ID_VALUE;
	case NEUF_REG_REVISION:
		return NEUF_MODEL_REVISION;
	case NEUF_REG_ENGINES:
		return NEUF_MODEL_ENGINES;
	case NEUF_REG_VA_BITS:
		return NEUF_MODEL_VA_BITS;
	case NEUF_REG_PAGE_SIZES:
		return NEUF_MODEL_PAGE_SIZES;
	case NEUF_REG_FAULT_BUF_ENTRIES:
		return NEUF_MODEL_FAULT_BUF_ENTRIES;
	case NEUF_REG_SCRATCH:
		spin_lock(&model->lock);
		value = model->scratch;
		spin_unlock(&model->lock);
		return value;
	default:
		return ~0u;
	}
}

/**
 * neuf_model_write32() - write a 32-bit register
 * @model: the GPU
 * @offset: byte offset in the register window
 * @value: the value written
 *
 * Writes to read-only or undecoded offsets are dropped, as hardware would.
 */
void neuf_model_write32(struct neuf_model *model, u32 offset, u32 value)
{
	switch (offset) {
	case NEUF_REG_SCRATCH:
		spin_lock(&model->lock);
		model->scratch = value;
		spin_unlock(&model->lock);
		break;
	default:
		break;
	}
}
