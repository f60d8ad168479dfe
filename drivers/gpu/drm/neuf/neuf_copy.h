/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright 2026 The neuf authors
 */
#ifndef __NEUF_COPY_H__
#define __NEUF_COPY_H__

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

struct dma_fence;
struct neuf_device;

/* Entries of the copy ring the driver programs. */
#define NEUF_COPY_RING_ENTRIES	1024

/* The most commands one submission may carry: a window's pages. */
#define NEUF_COPY_MAX_CMDS	512

/**
 * struct neuf_copy_cmd - one command for neuf_copy_submit()
 * @src: DMA address of system memory (mapped for the GPU for reading),
 *	VRAM offset with %NEUF_COPY_SRC_VRAM, or the pattern of a fill
 * @dst: DMA address of system memory (mapped for the GPU for writing), or
 *	VRAM offset with %NEUF_COPY_DST_VRAM
 * @length: bytes, a multiple of 4 KiB, at most %NEUF_COPY_MAX_LENGTH
 * @flags: %NEUF_COPY_SRC_VRAM, %NEUF_COPY_DST_VRAM, %NEUF_COPY_FILL
 */
struct neuf_copy_cmd {
	u64 src;
	u64 dst;
	u32 length;
	u32 flags;
};

/**
 * struct neuf_copy - the driver's side of the copy engine
 * @ring: the command ring, coherent DMA memory of the GPU
 * @ring_dma: its DMA address, programmed into CE_RING_BASE
 * @entries: size of the ring in commands
 * @lock: serialises submissions: protects @put, @seqno and the ring
 *	entries between the GPU's GET and @put; held while waiting for room
 * @put: where the next command goes
 * @seqno: sequence number of the last command submitted; the fence of a
 *	submission carries that of its last command
 * @fence_context: dma_fence context of the copy engine's fences
 * @fence_lock: protects @pending and @dead, and is the lock of every copy
 *	fence; irq-safe, taken in the interrupt handler
 * @pending: fences submitted and not yet signalled, oldest first
 * @dead: the engine was stopped; submissions fail with -ENODEV
 * @space_wq: woken by the interrupt handler as commands end
 * @commands: commands submitted (debugfs)
 * @bytes: bytes they copied or filled
 * @busy_ns: time from submission to signal, summed over fences
 */
struct neuf_copy {
	void *ring;
	dma_addr_t ring_dma;
	u32 entries;
	/* submissions: @put, @seqno, the ring */
	struct mutex lock;
	u32 put;
	u64 seqno;
	u64 fence_context;
	/* @pending, @dead, the fences; irq-safe */
	spinlock_t fence_lock;
	struct list_head pending;
	bool dead;
	wait_queue_head_t space_wq;
	atomic64_t commands;
	atomic64_t bytes;
	atomic64_t busy_ns;
};

int neuf_copy_init(struct neuf_device *ndev);
void neuf_copy_fini(struct neuf_device *ndev);
void neuf_copy_irq(struct neuf_device *ndev);
struct dma_fence *neuf_copy_submit(struct neuf_device *ndev,
				   const struct neuf_copy_cmd *cmds,
				   unsigned int n);
int neuf_copy_run(struct neuf_device *ndev, const struct neuf_copy_cmd *cmds,
		  unsigned int n);

#endif /* __NEUF_COPY_H__ */
