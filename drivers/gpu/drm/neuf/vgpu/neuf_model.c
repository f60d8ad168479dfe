// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright 2026 The neuf authors
 */

#include <linux/bitfield.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/irq_work.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>

#include "neuf_model.h"
#include "neuf_model_internal.h"
#include "neuf_regs.h"

/**
 * DOC: neuf hardware model
 *
 * The neuf GPU is virtual: this file and its companions are its hardware.
 * neuf_chip.c puts it behind a device: neuf_model_read32() and
 * neuf_model_write32() on the register window described in neuf_regs.h
 * become the chip's regmap, and the handler given to neuf_model_create()
 * raises the chip's interrupt line. The driver reaches the model through
 * those two alone, exactly as it would reach silicon through MMIO, so the
 * model could move into an emulator without touching the driver.
 *
 * The model has three parts:
 *
 * - The register file, the interrupt controller, the instance table, the
 *   replayable fault buffer and the fault commands, here. Registers live
 *   under &neuf_model.lock, an interrupt-safe spinlock, since the driver's
 *   interrupt handler reads them in hard interrupt context. The interrupt
 *   line is an irq_work; it behaves like a level-triggered line: while
 *   INTR_STATUS & INTR_ENABLE is not zero after the handler returns, the
 *   handler is called again. The irq_work runs in hard interrupt context,
 *   but on PREEMPT_RT in a kernel thread: there &neuf_model.lock, a
 *   spinlock_t, is a sleeping lock, which hard interrupt context may not
 *   take (lockdep's PROVE_RAW_LOCK_NESTING checks that on any kernel).
 * - The MMU, in neuf_model_mmu.c. Every engine has its own TLB of leaf
 *   translations; a miss walks the instance's four-level page table. The
 *   model reads page tables and data through the physical addresses in
 *   them, and only for pages of RAM.
 * - The compute engines, in neuf_model_engine.c. Each is a kthread that
 *   runs one dispatch at a time as waves of lanes, interpreting the ISA. A
 *   wave whose lanes fault stalls until the driver writes REPLAY or CANCEL;
 *   the other waves of the engine go on.
 * - The copy engine, in neuf_model_copy.c: a kthread that executes a ring
 *   of commands copying pages between system memory and VRAM. VRAM is an
 *   allocation of the model's own (vmalloc), reached only through VRAM
 *   page-table entries and copy commands, by offset.
 *
 * The guarantee the driver's memory management rests on is that of TLB
 * invalidation: once a write of TLB_INV_CTRL returns, no engine in its mask
 * uses a translation of the range cached earlier, and no memory access
 * through such a translation is still in progress. The model gives it with
 * one spinlock per engine, &neuf_model_engine.lock: the engine thread holds
 * it across turns of its waves (each a bounded amount of work, every
 * translation and memory access in it included), a few at a time but
 * letting go after the turn in progress when another CPU waits, and the
 * invalidation takes it before dropping the TLB entries. No register write sleeps: the
 * driver may write any register in atomic context.
 *
 * Lock order: &neuf_model_engine.lock, then &neuf_model.lock. Both are
 * taken with interrupts disabled.
 */

/* Interrupt sources of this revision. */
#define NEUF_MODEL_INTR_MASK \
	(NEUF_INTR_FAULT | NEUF_INTR_COPY | GENMASK(8 + NEUF_MODEL_ENGINES - 1, 8))

/* Deliver the interrupt if STATUS & ENABLE just became non-zero. */
static void neuf_model_irq_update(struct neuf_model *model, u32 old)
{
	lockdep_assert_held(&model->lock);

	if (!old && (model->intr_status & model->intr_enable) &&
	    !model->irq_running && !model->dead)
		irq_work_queue(&model->irq_work);
}

static void neuf_model_irq_work(struct irq_work *work)
{
	struct neuf_model *model = container_of(work, struct neuf_model,
						irq_work);
	unsigned long flags;

	spin_lock_irqsave(&model->lock, flags);
	if (model->dead || !(model->intr_status & model->intr_enable)) {
		spin_unlock_irqrestore(&model->lock, flags);
		return;
	}
	model->irq_running = true;
	spin_unlock_irqrestore(&model->lock, flags);

	model->irq(model->irq_data);

	/* Level triggered: what the handler left pending raises it again. */
	spin_lock_irqsave(&model->lock, flags);
	model->irq_running = false;
	if (!model->dead && (model->intr_status & model->intr_enable))
		irq_work_queue(&model->irq_work);
	spin_unlock_irqrestore(&model->lock, flags);
}

/**
 * neuf_model_raise_locked() - set interrupt status bits
 * @model: the GPU, whose &neuf_model.lock must be held
 * @bits: %NEUF_INTR_FAULT, %NEUF_INTR_ENGINE(n)
 *
 * Sets @bits in INTR_STATUS and raises the interrupt line if that makes
 * INTR_STATUS & INTR_ENABLE non-zero. The handler runs later, from an
 * irq_work, so everything written under the lock before is visible to it.
 */
void neuf_model_raise_locked(struct neuf_model *model, u32 bits)
{
	u32 old = model->intr_status & model->intr_enable;

	lockdep_assert_held(&model->lock);

	model->intr_status |= bits;
	neuf_model_irq_update(model, old);
}

/**
 * neuf_model_post_fault() - record a fault in the replayable fault buffer
 * @model: the GPU
 * @addr: the faulting virtual byte address
 * @instance: the faulting dispatch's instance
 * @engine: the engine that faulted
 * @access: %NEUF_ACCESS_READ, ...
 *
 * Writes an entry at FB_PUT, publishes it, advances FB_PUT and raises
 * %NEUF_INTR_FAULT. With the buffer off (FB_SIZE 0) the fault is not
 * recorded; with the buffer full it is dropped and FB_STATUS.OVERFLOW set.
 * Either way the access stays stalled, and faults again after a REPLAY.
 * Never sleeps.
 */
void neuf_model_post_fault(struct neuf_model *model, u64 addr, u32 instance,
			   unsigned int engine, unsigned int access)
{
	struct neuf_fault_entry *entry;
	unsigned long flags;
	u32 put, next;

	spin_lock_irqsave(&model->lock, flags);
	if (!model->fb_size)
		goto out;

	put = model->fb_put;
	next = (put + 1) & (model->fb_size - 1);
	if (next == model->fb_get) {
		model->fb_status |= NEUF_FB_STATUS_OVERFLOW;
		goto out;
	}

	/* The buffer is physically contiguous: entries never cross pages. */
	entry = neuf_model_dma(model, model->fb_base + put * NEUF_FAULT_ENTRY_SIZE);
	if (!entry)
		goto out;
	neuf_model_dma_check(model, model->fb_base + put * NEUF_FAULT_ENTRY_SIZE,
			     NEUF_FAULT_ENTRY_SIZE, true);
	memset(entry, 0, sizeof(*entry));
	entry->addr = cpu_to_le64(addr);
	entry->timestamp = cpu_to_le64(ktime_get_ns());
	entry->instance = cpu_to_le32(instance);
	entry->engine = engine;
	entry->access = access;

	/* The entry is visible before the PUT that publishes it. */
	smp_wmb();
	WRITE_ONCE(model->fb_put, next);
	neuf_model_raise_locked(model, NEUF_INTR_FAULT);
out:
	spin_unlock_irqrestore(&model->lock, flags);
}

/**
 * neuf_model_create() - power on a virtual neuf GPU
 * @dma_dev: the device whose DMA addresses the driver will program (the
 *	GPU function); the model holds a reference on it
 * @config: the board's choices (VRAM size)
 * @irq: the interrupt output, called in hard interrupt context (in a
 *	kernel thread on PREEMPT_RT)
 * @data: its argument
 *
 * Allocates VRAM (zeroed) and starts one kthread per compute engine and
 * one for the copy engine. Every register has its reset value: interrupts
 * masked, no instance bound, fault buffer and copy ring off, engines idle.
 *
 * Context: process context; may sleep.
 * Return: the new model, or an ERR_PTR() on failure.
 */
struct neuf_model *neuf_model_create(struct device *dma_dev,
				     const struct neuf_model_config *config,
				     neuf_model_irq_handler_t irq, void *data)
{
	struct neuf_model *model;
	unsigned int i;
	int ret;

	if (!irq || !dma_dev || !IS_ALIGNED(config->vram_size, SZ_2M) ||
	    config->vram_size > NEUF_MODEL_VRAM_MAX)
		return ERR_PTR(-EINVAL);

	model = kzalloc(sizeof(*model), GFP_KERNEL);
	if (!model)
		return ERR_PTR(-ENOMEM);

	spin_lock_init(&model->lock);
	model->irq = irq;
	model->irq_data = data;
	init_irq_work(&model->irq_work, neuf_model_irq_work);
	model->vram_size = config->vram_size;
	model->sysmem_atomics = config->sysmem_atomics;
	if (model->vram_size) {
		model->vram = vzalloc(model->vram_size);
		if (!model->vram) {
			ret = -ENOMEM;
			goto err_free;
		}
	}
	model->dma_dev = get_device(dma_dev);

	ret = neuf_copy_init(model);
	if (ret)
		goto err_put;
	for (i = 0; i < NEUF_MODEL_ENGINES; i++) {
		ret = neuf_engine_init(&model->engines[i], model, i);
		if (ret) {
			while (i--)
				neuf_engine_fini(&model->engines[i]);
			neuf_copy_fini(model);
			goto err_put;
		}
	}
	return model;

err_put:
	put_device(model->dma_dev);
	vfree(model->vram);
err_free:
	kfree(model);
	return ERR_PTR(ret);
}

/**
 * neuf_model_destroy() - power off a virtual neuf GPU
 * @model: the model, from neuf_model_create()
 *
 * Stops the engines, whatever they run, and waits for the interrupt
 * handler: once this returns, the model calls the handler no more and
 * touches no memory.
 *
 * Context: process context; may sleep.
 */
void neuf_model_destroy(struct neuf_model *model)
{
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < NEUF_MODEL_ENGINES; i++)
		neuf_engine_fini(&model->engines[i]);
	neuf_copy_fini(model);

	spin_lock_irqsave(&model->lock, flags);
	model->dead = true;
	spin_unlock_irqrestore(&model->lock, flags);
	irq_work_sync(&model->irq_work);

	put_device(model->dma_dev);
	vfree(model->vram);
	kfree(model);
}

static struct neuf_model_engine *neuf_model_engine(struct neuf_model *model,
						   u32 offset, u32 *reg)
{
	u32 n;

	if (offset < NEUF_REG_ENGINE_BASE || offset & 3)
		return NULL;
	n = (offset - NEUF_REG_ENGINE_BASE) / NEUF_REG_ENGINE_STRIDE;
	if (n >= NEUF_MODEL_ENGINES)
		return NULL;
	*reg = (offset - NEUF_REG_ENGINE_BASE) % NEUF_REG_ENGINE_STRIDE;
	return &model->engines[n];
}

static u32 neuf_model_read_locked(struct neuf_model *model, u32 offset)
{
	struct neuf_model_engine *eng;
	bool found;
	u32 reg;

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
	case NEUF_REG_INSTANCES:
		return NEUF_MODEL_INSTANCES;
	case NEUF_REG_WAVE_CONFIG:
		return FIELD_PREP(NEUF_WAVE_CONFIG_LANES, NEUF_MODEL_LANES) |
		       FIELD_PREP(NEUF_WAVE_CONFIG_WAVES, NEUF_MODEL_WAVES);
	case NEUF_REG_SCRATCH:
		return model->scratch;
	case NEUF_REG_VRAM_SIZE:
		return model->vram_size >> 20;
	case NEUF_REG_FEATURES:
		return model->sysmem_atomics ? NEUF_FEATURE_SYSMEM_ATOMICS : 0;
	case NEUF_REG_INTR_STATUS:
		return model->intr_status;
	case NEUF_REG_INTR_ENABLE:
		return model->intr_enable;
	case NEUF_REG_INST_ROOT_LO:
		return lower_32_bits(model->inst_root_reg);
	case NEUF_REG_INST_ROOT_HI:
		return upper_32_bits(model->inst_root_reg);
	case NEUF_REG_TLB_INV_START_LO:
		return lower_32_bits(model->tlb_inv_start);
	case NEUF_REG_TLB_INV_START_HI:
		return upper_32_bits(model->tlb_inv_start);
	case NEUF_REG_TLB_INV_END_LO:
		return lower_32_bits(model->tlb_inv_end);
	case NEUF_REG_TLB_INV_END_HI:
		return upper_32_bits(model->tlb_inv_end);
	case NEUF_REG_FB_BASE_LO:
		return lower_32_bits(model->fb_base);
	case NEUF_REG_FB_BASE_HI:
		return upper_32_bits(model->fb_base);
	case NEUF_REG_FB_SIZE:
		return model->fb_size;
	case NEUF_REG_FB_GET:
		return model->fb_get;
	case NEUF_REG_FB_PUT:
		return model->fb_put;
	case NEUF_REG_FB_STATUS:
		return model->fb_status;
	case NEUF_REG_FAULT_CMD_ADDR_LO:
		return lower_32_bits(model->fault_cmd_addr);
	case NEUF_REG_FAULT_CMD_ADDR_HI:
		return upper_32_bits(model->fault_cmd_addr);
	case NEUF_REG_FAULT_CMD_ARG:
		return model->fault_cmd_arg;
	/* Command registers are write-only and read as zero. */
	case NEUF_REG_INST_BIND:
	case NEUF_REG_TLB_INV_CTRL:
	case NEUF_REG_TLB_INV_STATUS:	/* invalidation is synchronous */
	case NEUF_REG_FAULT_CMD:
		return 0;
	}

	reg = neuf_copy_read_locked(model, offset, &found);
	if (found)
		return reg;
	eng = neuf_model_engine(model, offset, &reg);
	if (eng)
		return neuf_engine_read_locked(eng, reg);
	return ~0u;
}

/**
 * neuf_model_read32() - read a 32-bit register
 * @model: the GPU
 * @offset: byte offset in the register window
 *
 * Reads have no side effects.
 *
 * Context: any, hard interrupt included.
 * Return: the register's value; all ones for an offset that decodes to no
 * register, as a read of an unclaimed bus address would.
 */
u32 neuf_model_read32(struct neuf_model *model, u32 offset)
{
	unsigned long flags;
	u32 value;

	spin_lock_irqsave(&model->lock, flags);
	value = neuf_model_read_locked(model, offset);
	spin_unlock_irqrestore(&model->lock, flags);
	return value;
}

/* Bind or unbind an instance: INST_BIND. */
static void neuf_model_inst_bind(struct neuf_model *model, u32 value)
{
	u32 id = FIELD_GET(NEUF_INST_BIND_ID, value);
	unsigned long flags;
	unsigned int i;

	if (id >= NEUF_MODEL_INSTANCES)
		return;

	spin_lock_irqsave(&model->lock, flags);
	if (value & NEUF_INST_BIND_ENABLE)
		WRITE_ONCE(model->inst_root[id],
			   (model->inst_root_reg & NEUF_PTE_ADDR) |
			   NEUF_INST_BOUND);
	else
		WRITE_ONCE(model->inst_root[id], 0);
	spin_unlock_irqrestore(&model->lock, flags);

	/*
	 * Walks that saw the instance bound ran in a turn that ends before
	 * the flush takes the engine's lock: nothing they cached survives.
	 */
	if (!(value & NEUF_INST_BIND_ENABLE))
		for (i = 0; i < NEUF_MODEL_ENGINES; i++)
			neuf_mmu_flush_instance(&model->engines[i], id);
}

/* TLB_INV_CTRL: invalidate [START, END) of an instance on some engines. */
static void neuf_model_tlb_inv(struct neuf_model *model, u32 value)
{
	u32 instance = FIELD_GET(NEUF_TLB_INV_INSTANCE, value);
	u32 engines = FIELD_GET(NEUF_TLB_INV_ENGINES, value);
	unsigned long flags;
	u64 start, end;
	unsigned int i;

	spin_lock_irqsave(&model->lock, flags);
	start = model->tlb_inv_start;
	end = model->tlb_inv_end;
	spin_unlock_irqrestore(&model->lock, flags);

	for (i = 0; i < NEUF_MODEL_ENGINES; i++)
		if (engines & BIT(i))
			neuf_mmu_invalidate(&model->engines[i], instance,
					    start, end);
}

/* FAULT_CMD: REPLAY or CANCEL; both only start something. */
static void neuf_model_fault_cmd(struct neuf_model *model, u32 value)
{
	unsigned long flags;
	unsigned int i;
	u32 arg, engine;
	u64 addr;

	switch (value) {
	case NEUF_FAULT_CMD_REPLAY:
		for (i = 0; i < NEUF_MODEL_ENGINES; i++)
			neuf_engine_replay(&model->engines[i]);
		break;
	case NEUF_FAULT_CMD_CANCEL:
		spin_lock_irqsave(&model->lock, flags);
		arg = model->fault_cmd_arg;
		addr = model->fault_cmd_addr;
		spin_unlock_irqrestore(&model->lock, flags);

		engine = FIELD_GET(NEUF_FAULT_CMD_ARG_ENGINE, arg);
		if (engine < NEUF_MODEL_ENGINES)
			neuf_engine_cancel(&model->engines[engine],
					   FIELD_GET(NEUF_FAULT_CMD_ARG_INSTANCE, arg),
					   FIELD_GET(NEUF_FAULT_CMD_ARG_ACCESS, arg),
					   addr);
		break;
	}
}

static bool neuf_fb_size_valid(u32 size)
{
	return !size ||
	       (is_power_of_2(size) && size <= NEUF_MODEL_FAULT_BUF_ENTRIES);
}

/* Registers whose writes only change state under the register lock. */
static bool neuf_model_write_locked(struct neuf_model *model, u32 offset,
				    u32 value)
{
	u32 old = model->intr_status & model->intr_enable;

	switch (offset) {
	case NEUF_REG_SCRATCH:
		model->scratch = value;
		break;
	case NEUF_REG_INTR_STATUS:
		model->intr_status &= ~value;
		break;
	case NEUF_REG_INTR_ENABLE:
		model->intr_enable = value & NEUF_MODEL_INTR_MASK;
		neuf_model_irq_update(model, old);
		break;
	case NEUF_REG_INST_ROOT_LO:
		neuf_set_lo(&model->inst_root_reg, value & GENMASK(31, 12));
		break;
	case NEUF_REG_INST_ROOT_HI:
		neuf_set_hi(&model->inst_root_reg, value);
		break;
	case NEUF_REG_TLB_INV_START_LO:
		neuf_set_lo(&model->tlb_inv_start, value);
		break;
	case NEUF_REG_TLB_INV_START_HI:
		neuf_set_hi(&model->tlb_inv_start, value);
		break;
	case NEUF_REG_TLB_INV_END_LO:
		neuf_set_lo(&model->tlb_inv_end, value);
		break;
	case NEUF_REG_TLB_INV_END_HI:
		neuf_set_hi(&model->tlb_inv_end, value);
		break;
	case NEUF_REG_FB_BASE_LO:
		neuf_set_lo(&model->fb_base, value & GENMASK(31, 12));
		break;
	case NEUF_REG_FB_BASE_HI:
		neuf_set_hi(&model->fb_base, value);
		break;
	case NEUF_REG_FB_SIZE:
		if (neuf_fb_size_valid(value)) {
			model->fb_size = value;
			model->fb_get = 0;
			WRITE_ONCE(model->fb_put, 0);
		}
		break;
	case NEUF_REG_FB_GET:
		if (model->fb_size)
			model->fb_get = value & (model->fb_size - 1);
		break;
	case NEUF_REG_FB_STATUS:
		model->fb_status &= ~value;
		break;
	case NEUF_REG_FAULT_CMD_ADDR_LO:
		neuf_set_lo(&model->fault_cmd_addr, value);
		break;
	case NEUF_REG_FAULT_CMD_ADDR_HI:
		neuf_set_hi(&model->fault_cmd_addr, value);
		break;
	case NEUF_REG_FAULT_CMD_ARG:
		model->fault_cmd_arg = value;
		break;
	default:
		return neuf_copy_write_locked(model, offset, value);
	}
	return true;
}

/**
 * neuf_model_write32() - write a 32-bit register
 * @model: the GPU
 * @offset: byte offset in the register window
 * @value: the value written
 *
 * Writes to read-only or undecoded offsets are dropped, as hardware would.
 * A write that commands something (INST_BIND, TLB_INV_CTRL, FAULT_CMD, an
 * engine's DOORBELL or RESET) returns once the command has taken effect as
 * Documentation/gpu/neuf/hardware.rst specifies; it never sleeps.
 *
 * Context: any, hard interrupt included.
 */
void neuf_model_write32(struct neuf_model *model, u32 offset, u32 value)
{
	struct neuf_model_engine *eng;
	unsigned long flags;
	bool done;
	u32 reg;

	switch (offset) {
	case NEUF_REG_INST_BIND:
		neuf_model_inst_bind(model, value);
		return;
	case NEUF_REG_TLB_INV_CTRL:
		neuf_model_tlb_inv(model, value);
		return;
	case NEUF_REG_FAULT_CMD:
		neuf_model_fault_cmd(model, value);
		return;
	}

	spin_lock_irqsave(&model->lock, flags);
	done = neuf_model_write_locked(model, offset, value);
	spin_unlock_irqrestore(&model->lock, flags);
	if (done)
		return;

	eng = neuf_model_engine(model, offset, &reg);
	if (eng)
		neuf_engine_write(eng, reg, value);
}
