// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright 2026 The neuf authors
 *
 * The neuf copy engine (revision 1.2): a ring of commands that copy or fill
 * pages between system memory, reached by DMA address, and VRAM.
 */

#include <linux/build_bug.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/sched.h>
#include <linux/string.h>

#include "neuf_model_internal.h"

/**
 * struct neuf_copy_entry - a copy command as the ring holds it
 * @src: %NEUF_COPY_CMD_SRC
 * @dst: %NEUF_COPY_CMD_DST
 * @length: %NEUF_COPY_CMD_LENGTH
 * @flags: %NEUF_COPY_CMD_FLAGS
 * @seq: %NEUF_COPY_CMD_SEQ
 * @reserved: ignored
 */
struct neuf_copy_entry {
	__le64 src;
	__le64 dst;
	__le32 length;
	__le32 flags;
	__le32 seq;
	__le32 reserved;
};

static_assert(sizeof(struct neuf_copy_entry) == NEUF_COPY_CMD_SIZE);
static_assert(offsetof(struct neuf_copy_entry, src) == NEUF_COPY_CMD_SRC);
static_assert(offsetof(struct neuf_copy_entry, dst) == NEUF_COPY_CMD_DST);
static_assert(offsetof(struct neuf_copy_entry, length) == NEUF_COPY_CMD_LENGTH);
static_assert(offsetof(struct neuf_copy_entry, flags) == NEUF_COPY_CMD_FLAGS);
static_assert(offsetof(struct neuf_copy_entry, seq) == NEUF_COPY_CMD_SEQ);

/**
 * struct neuf_copy_cmd - a decoded copy command
 * @src: DMA address, VRAM offset or fill pattern
 * @dst: DMA address or VRAM offset
 * @length: bytes
 * @flags: %NEUF_COPY_SRC_VRAM, ...
 * @seq: tag reported in CE_DONE_SEQ
 */
struct neuf_copy_cmd {
	u64 src;
	u64 dst;
	u32 length;
	u32 flags;
	u32 seq;
};

/*
 * The address of the 4 KiB page at @addr of one side of a command, or
 * NULL if the command may not reach it. A system page must be RAM the
 * driver mapped for the GPU in the direction of the access (dma-debug
 * checks it); a VRAM page must lie in VRAM.
 */
static void *neuf_copy_page(struct neuf_model *model, u64 addr, bool vram,
			    enum dma_data_direction dir)
{
	void *p;

	if (vram)
		return neuf_model_vram(model, addr, NEUF_PAGE_SIZE);
	p = neuf_model_dma(model, addr);
	if (p)
		neuf_model_dma_check_dir(model, addr, NEUF_PAGE_SIZE, dir);
	return p;
}

static void neuf_copy_fill(u8 *dst, u64 pattern)
{
	__le64 *p = (__le64 *)dst;
	unsigned int i;

	if (!pattern) {
		memset(dst, 0, NEUF_PAGE_SIZE);
		return;
	}
	for (i = 0; i < NEUF_PAGE_SIZE / sizeof(*p); i++)
		p[i] = cpu_to_le64(pattern);
}

/* Execute one command, page by page; false: it is malformed. */
static bool neuf_copy_exec(struct neuf_model *model,
			   const struct neuf_copy_cmd *cmd)
{
	bool src_vram = cmd->flags & NEUF_COPY_SRC_VRAM;
	bool dst_vram = cmd->flags & NEUF_COPY_DST_VRAM;
	bool fill = cmd->flags & NEUF_COPY_FILL;
	u32 off;

	if (!cmd->length || cmd->length > NEUF_COPY_MAX_LENGTH ||
	    !IS_ALIGNED(cmd->length, NEUF_PAGE_SIZE) ||
	    !IS_ALIGNED(cmd->dst, NEUF_PAGE_SIZE) ||
	    (!fill && !IS_ALIGNED(cmd->src, NEUF_PAGE_SIZE)) ||
	    (fill && src_vram) ||
	    (cmd->flags & ~(NEUF_COPY_SRC_VRAM | NEUF_COPY_DST_VRAM |
			    NEUF_COPY_FILL | NEUF_COPY_INTR)))
		return false;

	for (off = 0; off < cmd->length; off += NEUF_PAGE_SIZE) {
		u8 *dst = neuf_copy_page(model, cmd->dst + off, dst_vram,
					 DMA_FROM_DEVICE);
		u8 *src;

		if (!dst)
			return false;
		if (fill) {
			neuf_copy_fill(dst, cmd->src);
			continue;
		}
		src = neuf_copy_page(model, cmd->src + off, src_vram,
				     DMA_TO_DEVICE);
		if (!src)
			return false;
		memcpy(dst, src, NEUF_PAGE_SIZE);
	}
	return true;
}

/* The command at GET, if the ring holds one; under &neuf_model.lock. */
static bool neuf_copy_fetch(struct neuf_model *model, struct neuf_copy_cmd *cmd)
{
	struct neuf_model_copy *ce = &model->copy;
	const struct neuf_copy_entry *p;
	u64 dma;

	lockdep_assert_held(&model->lock);

	if (!ce->ring_size || ce->get == ce->put)
		return false;
	dma = ce->ring_base + (u64)ce->get * NEUF_COPY_CMD_SIZE;
	p = neuf_model_dma(model, dma);
	if (!p) {
		/* A ring outside RAM: the command is all zeroes, and fails. */
		memset(cmd, 0, sizeof(*cmd));
		return true;
	}
	neuf_model_dma_check_dir(model, dma, NEUF_COPY_CMD_SIZE, DMA_TO_DEVICE);
	/* The ring is 4 KiB aligned: entries never cross pages. */
	cmd->src = le64_to_cpu(READ_ONCE(p->src));
	cmd->dst = le64_to_cpu(READ_ONCE(p->dst));
	cmd->length = le32_to_cpu(READ_ONCE(p->length));
	cmd->flags = le32_to_cpu(READ_ONCE(p->flags));
	cmd->seq = le32_to_cpu(READ_ONCE(p->seq));
	return true;
}

static bool neuf_copy_woken(struct neuf_model *model)
{
	struct neuf_model_copy *ce = &model->copy;
	unsigned long flags;
	bool work;

	if (kthread_should_stop())
		return true;
	spin_lock_irqsave(&model->lock, flags);
	work = ce->ring_size && ce->get != ce->put;
	spin_unlock_irqrestore(&model->lock, flags);
	return work;
}

static int neuf_copy_thread(void *arg)
{
	struct neuf_model *model = arg;
	struct neuf_model_copy *ce = &model->copy;
	struct neuf_copy_cmd cmd;
	unsigned long flags;
	bool have, ok;
	u32 gen;

	while (!kthread_should_stop()) {
		wait_event_interruptible(ce->wq, neuf_copy_woken(model));

		spin_lock_irqsave(&model->lock, flags);
		have = neuf_copy_fetch(model, &cmd);
		gen = ce->ring_gen;
		spin_unlock_irqrestore(&model->lock, flags);
		if (!have)
			continue;

		/* The copy itself runs unlocked, beside the compute engines. */
		ok = neuf_copy_exec(model, &cmd);

		spin_lock_irqsave(&model->lock, flags);
		/*
		 * A ring set anew (or turned off) meanwhile has forgotten the
		 * command: its end is not reported, and GET stays where the
		 * new ring starts.
		 */
		if (ce->ring_size && ce->ring_gen == gen) {
			ce->get = (ce->get + 1) & (ce->ring_size - 1);
			ce->done_seq = cmd.seq;
			if (!ok) {
				ce->status |= NEUF_CE_STATUS_ERROR;
				ce->error_seq = cmd.seq;
			}
			if (!ok || (cmd.flags & NEUF_COPY_INTR))
				neuf_model_raise_locked(model, NEUF_INTR_COPY);
		}
		spin_unlock_irqrestore(&model->lock, flags);
		cond_resched();
	}
	return 0;
}

/**
 * neuf_copy_read_locked() - read a copy engine register
 * @model: the GPU, whose &neuf_model.lock is held
 * @offset: byte offset in the register window
 * @found: set if @offset is a copy engine register
 *
 * Return: the register's value.
 */
u32 neuf_copy_read_locked(struct neuf_model *model, u32 offset, bool *found)
{
	struct neuf_model_copy *ce = &model->copy;

	*found = true;
	switch (offset) {
	case NEUF_REG_CE_RING_BASE_LO:
		return lower_32_bits(ce->ring_base);
	case NEUF_REG_CE_RING_BASE_HI:
		return upper_32_bits(ce->ring_base);
	case NEUF_REG_CE_RING_SIZE:
		return ce->ring_size;
	case NEUF_REG_CE_PUT:
		return ce->put;
	case NEUF_REG_CE_GET:
		return ce->get;
	case NEUF_REG_CE_DONE_SEQ:
		return ce->done_seq;
	case NEUF_REG_CE_STATUS:
		return ce->status;
	case NEUF_REG_CE_ERROR_SEQ:
		return ce->error_seq;
	case NEUF_REG_CE_RING_MAX:
		return NEUF_MODEL_COPY_RING_MAX;
	}
	*found = false;
	return 0;
}

/**
 * neuf_copy_write_locked() - write a copy engine register
 * @model: the GPU, whose &neuf_model.lock is held
 * @offset: byte offset in the register window
 * @value: the value
 *
 * A write of CE_PUT that makes the ring non-empty wakes the engine; a
 * write of CE_RING_SIZE resets GET and PUT (a command in progress still
 * ends, without being reported).
 *
 * Return: true if @offset is a writable copy engine register.
 */
bool neuf_copy_write_locked(struct neuf_model *model, u32 offset, u32 value)
{
	struct neuf_model_copy *ce = &model->copy;

	lockdep_assert_held(&model->lock);

	switch (offset) {
	case NEUF_REG_CE_RING_BASE_LO:
		neuf_set_lo(&ce->ring_base, value & GENMASK(31, 12));
		return true;
	case NEUF_REG_CE_RING_BASE_HI:
		neuf_set_hi(&ce->ring_base, value);
		return true;
	case NEUF_REG_CE_RING_SIZE:
		if (!value || (is_power_of_2(value) &&
			       value <= NEUF_MODEL_COPY_RING_MAX)) {
			ce->ring_size = value;
			ce->get = 0;
			ce->put = 0;
			ce->ring_gen++;
		}
		return true;
	case NEUF_REG_CE_PUT:
		if (ce->ring_size) {
			ce->put = value & (ce->ring_size - 1);
			wake_up(&ce->wq);
		}
		return true;
	case NEUF_REG_CE_STATUS:
		ce->status &= ~value;
		return true;
	}
	return false;
}

/**
 * neuf_copy_init() - power on the copy engine
 * @model: the GPU
 *
 * Return: 0 or a negative errno.
 */
int neuf_copy_init(struct neuf_model *model)
{
	struct neuf_model_copy *ce = &model->copy;

	init_waitqueue_head(&ce->wq);
	ce->thread = kthread_run(neuf_copy_thread, model, "neuf-copy");
	if (IS_ERR(ce->thread))
		return PTR_ERR(ce->thread);
	return 0;
}

/**
 * neuf_copy_fini() - power off the copy engine
 * @model: the GPU
 *
 * Waits for the command in progress; the rest of the ring is dropped.
 */
void neuf_copy_fini(struct neuf_model *model)
{
	kthread_stop(model->copy.thread);
}
