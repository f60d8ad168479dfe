/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * Private state of the neuf hardware model, shared by neuf_model.c (register
 * file, interrupts, fault buffer), neuf_model_mmu.c (page-table walk, TLBs)
 * and neuf_model_engine.c (compute engines). Only the model's files
 * include it; the chip (neuf_chip.c) sees the model through neuf_model.h.
 */
#ifndef __NEUF_MODEL_INTERNAL_H__
#define __NEUF_MODEL_INTERNAL_H__

#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/dma-direction.h>
#include <linux/irq_work.h>
#include <linux/spinlock.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "neuf_isa.h"
#include "neuf_model.h"
#include "neuf_regs.h"

/* Properties of this hardware revision, as the capability registers say. */
#define NEUF_MODEL_REVISION		0x00010002	/* 1.2 */
#define NEUF_MODEL_ENGINES		2
#define NEUF_MODEL_VA_BITS		48
#define NEUF_MODEL_PAGE_SIZES		(BIT(12) | BIT(16) | BIT(21))
#define NEUF_MODEL_FAULT_BUF_ENTRIES	256
#define NEUF_MODEL_INSTANCES		64
#define NEUF_MODEL_LANES		32	/* lanes per wave */
#define NEUF_MODEL_WAVES		4	/* resident waves per engine */
/*
 * Turns at most in one hold of an engine's execution lock: one turn's work
 * (a step of each resident wave) is small beside taking the lock with
 * interrupts disabled and setting the turn up again.
 */
#define NEUF_TURNS_PER_HOLD		16
#define NEUF_MODEL_COPY_RING_MAX	4096	/* copy commands */
#define NEUF_MODEL_VRAM_MAX		(16ULL << 30)	/* VRAM_SIZE's limit */

/* Each engine's TLB: sets (a power of two) of ways. */
#define NEUF_MODEL_TLB_SETS		128
#define NEUF_MODEL_TLB_WAYS		2

/* The MMU's smallest page, whatever the kernel's PAGE_SIZE is. */
#define NEUF_PAGE_SHIFT			12
#define NEUF_PAGE_SIZE			BIT_ULL(NEUF_PAGE_SHIFT)
#define NEUF_PAGE_MASK			(~(NEUF_PAGE_SIZE - 1))

/* Permission bits of a translation, as in the leaf page-table entry. */
#define NEUF_PERM_MASK		(NEUF_PTE_VALID | NEUF_PTE_WRITABLE | NEUF_PTE_ATOMIC)

static_assert(NEUF_MODEL_ENGINES <= 8);	/* TLB_INV_ENGINES, INTR_ENGINE */
static_assert(NEUF_MODEL_LANES <= BITS_PER_LONG);
static_assert(NEUF_ISA_NUM_REGS <= BITS_PER_LONG);

/**
 * struct neuf_fault_entry - one entry of the replayable fault buffer
 * @addr: faulting virtual byte address
 * @timestamp: ktime_get_ns() when the entry was written
 * @instance: instance (address space) of the faulting dispatch
 * @engine: engine that faulted
 * @access: %NEUF_ACCESS_READ, %NEUF_ACCESS_WRITE, ...
 * @reserved: zero
 *
 * The layout of %NEUF_FAULT_ENTRY_SIZE bytes that neuf_regs.h describes.
 */
struct neuf_fault_entry {
	__le64 addr;
	__le64 timestamp;
	__le32 instance;
	u8 engine;
	u8 access;
	u8 reserved[10];
};

static_assert(sizeof(struct neuf_fault_entry) == NEUF_FAULT_ENTRY_SIZE);
static_assert(offsetof(struct neuf_fault_entry, addr) == NEUF_FAULT_ENTRY_ADDR);
static_assert(offsetof(struct neuf_fault_entry, timestamp) ==
	      NEUF_FAULT_ENTRY_TIMESTAMP);
static_assert(offsetof(struct neuf_fault_entry, instance) ==
	      NEUF_FAULT_ENTRY_INSTANCE);
static_assert(offsetof(struct neuf_fault_entry, engine) == NEUF_FAULT_ENTRY_ENGINE);
static_assert(offsetof(struct neuf_fault_entry, access) == NEUF_FAULT_ENTRY_ACCESS);

/**
 * struct neuf_tlb_entry - one cached leaf translation
 * @va: first virtual address of the page
 * @pa: first physical address of the page
 * @shift: log2 of the page size (12, 16 or 21); 0 marks an empty entry
 * @perm: %NEUF_PTE_VALID, %NEUF_PTE_WRITABLE and %NEUF_PTE_ATOMIC of the
 *	leaf entry
 * @instance: instance the translation belongs to
 * @vram: @pa is an offset in VRAM, not a DMA address
 * @dirty: the leaf entries whose %NEUF_PTE_DIRTY is known to be set: bit 0
 *	for a 4 KiB or 2 MiB page, bit n for the entry of the page's n-th
 *	4 KiB page for a 64 KiB page (its 16 entries each have their own)
 * @pte: DMA address of the leaf entry, or of the first of a 64 KiB page's
 *	16, where the MMU sets %NEUF_PTE_DIRTY
 */
struct neuf_tlb_entry {
	u64 va;
	u64 pa;
	u8 shift;
	u8 perm;
	u8 instance;
	bool vram;
	u16 dirty;
	u64 pte;
};

/**
 * struct neuf_xlate - a translation, ready to access
 * @base: virtual address of the translated page: 4 KiB, or a whole 2 MiB
 *	page when it is contiguous in the kernel's linear map
 * @mask: the page's size less one
 * @kaddr: kernel address of the page's first byte
 * @page: the 4 KiB page of it accessed last, whose first access was
 *	checked with KASAN
 * @perm: permissions the translation may be used with without going back
 *	to the MMU: &neuf_tlb_entry.perm, less write and atomic while the
 *	entry is not known to be dirty
 *
 * Only meaningful while the engine's &neuf_model_engine.lock is held: the
 * lock is what keeps the translation, and so the page, valid.
 */
struct neuf_xlate {
	u64 base;
	u64 mask;
	u8 *kaddr;
	u64 page;
	u8 perm;
};

/**
 * struct neuf_dispatch - the registers of a dispatch, latched at DOORBELL
 * @instance: address space
 * @grid: invocations
 * @group_size: invocations per group
 * @code: virtual address of the first instruction
 * @args: push constants ARG0..ARG7
 * @seq: tag reported in DONE_SEQ when the dispatch ends
 * @watchdog_ms: running time after which the engine ends the dispatch
 *	with RESULT TIMEOUT, time with every wave stalled on a fault not
 *	counted; 0 for none
 */
struct neuf_dispatch {
	u32 instance;
	u32 grid;
	u32 group_size;
	u64 code;
	u64 args[8];
	u32 seq;
	u32 watchdog_ms;
};

/* Register row that writes to r0 go to, so that r0 stays zero. */
#define NEUF_WAVE_DISCARD	NEUF_ISA_NUM_REGS
#define NEUF_WAVE_REG_ROWS	(NEUF_ISA_NUM_REGS + 1)

/**
 * enum neuf_wave_state - where a wave slot of an engine is
 * @NEUF_WAVE_FREE: no wave
 * @NEUF_WAVE_RUNNABLE: runs a step at every turn
 * @NEUF_WAVE_STALLED: some lanes faulted; waits for REPLAY or CANCEL
 */
enum neuf_wave_state {
	NEUF_WAVE_FREE,
	NEUF_WAVE_RUNNABLE,
	NEUF_WAVE_STALLED,
};

/**
 * struct neuf_wave - a resident wave: up to %NEUF_MODEL_LANES invocations
 * @regs: registers, indexed [register][lane]; row %NEUF_WAVE_DISCARD
 *	absorbs writes to r0
 * @pc: program counter of each lane, while the wave is not @converged
 * @upc: program counter of every active lane, while the wave is @converged
 * @fault_addr: faulting address of each lane in @faulted
 * @fault_access: access kind of each lane in @faulted
 * @dirty: registers (bit n: rn) written since the wave was launched, so
 *	that launching the next wave clears only those
 * @first_gid: global id of lane 0
 * @active: lanes that have not halted
 * @faulted: lanes whose last instruction faulted and did not execute
 * @converged: every active lane is at @upc, and @pc is stale
 * @state: &enum neuf_wave_state
 *
 * Only the engine thread changes a wave, and only with the engine's lock
 * held; CANCEL reads it under the same lock.
 */
struct neuf_wave {
	u64 regs[NEUF_WAVE_REG_ROWS][NEUF_MODEL_LANES];
	u64 pc[NEUF_MODEL_LANES];
	u64 upc;
	u64 fault_addr[NEUF_MODEL_LANES];
	u8 fault_access[NEUF_MODEL_LANES];
	unsigned long dirty;
	u64 first_gid;
	unsigned long active;
	unsigned long faulted;
	bool converged;
	enum neuf_wave_state state;
};

struct neuf_model;

/**
 * struct neuf_model_engine - one compute engine
 * @model: the GPU it belongs to
 * @id: engine number
 * @thread: the kthread that executes its dispatches
 * @wq: where @thread waits for a doorbell, or for REPLAY, CANCEL or RESET
 *	while all its waves are stalled
 * @next: the dispatch registers as the driver wrote them (INSTANCE, GRID,
 *	...), under &neuf_model.lock
 * @latched: @next as latched by DOORBELL, under &neuf_model.lock
 * @busy: STATUS.BUSY, under &neuf_model.lock
 * @done_seq: DONE_SEQ, under &neuf_model.lock
 * @result: RESULT, under &neuf_model.lock
 * @fault_addr: FAULT_ADDR_LO/HI, under &neuf_model.lock
 * @fault_access: FAULT_ACCESS, under &neuf_model.lock
 * @kick: @latched is waiting for @thread to start it, under
 *	&neuf_model.lock; read locklessly by @thread's wait
 * @abort: RESET was written while @busy, under &neuf_model.lock; read
 *	locklessly by @thread at every turn
 * @replay_seq: count of REPLAY commands
 * @replay_seen: @replay_seq when @thread last un-stalled its waves; only
 *	@thread uses it
 * @lock: the execution lock. Protects @tlb, @waves, @disp, @running,
 *	@next_gid and the @cancel_* fields. @thread holds it across a few
 *	turns of its waves (each a step of every runnable wave: every
 *	translation and every memory access of the turn) and lets go after
 *	the turn in progress as soon as another CPU waits for it (on
 *	PREEMPT_RT, where that cannot be seen, after at most
 *	%NEUF_TURNS_PER_HOLD turns); TLB invalidation, unbind, RESET and
 *	CANCEL take it, which is how they wait for the accesses in progress.
 *	Taken with interrupts disabled; nests outside &neuf_model.lock.
 * @tlb: the TLB, set associative
 * @tlb_victim: per set, the way the next fill replaces if none is empty
 * @waves: the %NEUF_MODEL_WAVES wave slots
 * @disp: the dispatch that runs
 * @running: @disp runs and @waves belong to it
 * @next_gid: global id of the next wave to launch
 * @cancel_pending: a CANCEL matched a stalled access of @disp
 * @cancel_addr: the faulting address of that access
 * @cancel_access: its access kind
 * @stall_since: when every resident wave of the dispatch was last found
 *	stalled on a fault, 0 while some wave can run; only @thread uses it
 * @stalled_ns: time the dispatch spent with every wave stalled, up to
 *	@stall_since; only @thread uses it
 */
struct neuf_model_engine {
	struct neuf_model *model;
	unsigned int id;
	struct task_struct *thread;
	wait_queue_head_t wq;

	struct neuf_dispatch next;
	struct neuf_dispatch latched;
	bool busy;
	u32 done_seq;
	u32 result;
	u64 fault_addr;
	u32 fault_access;
	bool kick;
	bool abort;

	atomic_t replay_seq;
	int replay_seen;

	spinlock_t lock;	/* the execution lock, see above */
	struct neuf_tlb_entry tlb[NEUF_MODEL_TLB_SETS][NEUF_MODEL_TLB_WAYS];
	u8 tlb_victim[NEUF_MODEL_TLB_SETS];
	struct neuf_wave *waves;
	struct neuf_dispatch disp;
	bool running;
	u64 next_gid;
	bool cancel_pending;
	u64 cancel_addr;
	u32 cancel_access;
	u64 stall_since;
	u64 stalled_ns;
};

/**
 * struct neuf_model_copy - the copy engine
 * @thread: the kthread that executes the ring's commands
 * @wq: where @thread waits for PUT to move
 * @ring_base: CE_RING_BASE_LO/HI
 * @ring_size: CE_RING_SIZE
 * @put: CE_PUT
 * @get: CE_GET
 * @done_seq: CE_DONE_SEQ
 * @status: CE_STATUS
 * @error_seq: CE_ERROR_SEQ
 * @ring_gen: bumped by each write of CE_RING_SIZE, which forgets the
 *	command in progress: its end is published only if this has not
 *	changed since the command was fetched
 *
 * The registers are under &neuf_model.lock; @thread reads @ring_base,
 * @ring_size and @put there, executes a command without the lock, then
 * publishes its end (@done_seq, @get) under it.
 */
struct neuf_model_copy {
	struct task_struct *thread;
	wait_queue_head_t wq;
	u64 ring_base;
	u32 ring_size;
	u32 put;
	u32 get;
	u32 done_seq;
	u32 status;
	u32 error_seq;
	u32 ring_gen;
};

/* &neuf_model.inst_root: the instance is bound; the rest is the root PA */
#define NEUF_INST_BOUND		BIT_ULL(0)

/**
 * struct neuf_model - state of one virtual neuf GPU
 * @lock: the register file lock: protects every register below and those
 *	of the engines that say so. Taken with interrupts disabled, as the
 *	driver's interrupt handler reads registers; innermost of the
 *	model's locks.
 * @irq: the interrupt output, the chip's line
 * @irq_data: its argument
 * @dma_dev: the device whose DMA addresses the model is given (the GPU
 *	function); referenced for the model's life
 * @irq_work: delivers @irq, in hard interrupt context (a kernel thread on
 *	PREEMPT_RT)
 * @irq_running: @irq_work is calling @irq, under @lock
 * @dead: the model is being destroyed: deliver no more, under @lock
 * @scratch: SCRATCH
 * @intr_status: INTR_STATUS
 * @intr_enable: INTR_ENABLE
 * @inst_root_reg: INST_ROOT_LO/HI
 * @inst_root: the instance table: per instance, the root page-table
 *	address ORed with %NEUF_INST_BOUND, or 0. Written under @lock, read
 *	locklessly by page-table walks
 * @tlb_inv_start: TLB_INV_START_LO/HI
 * @tlb_inv_end: TLB_INV_END_LO/HI
 * @fb_base: FB_BASE_LO/HI
 * @fb_size: FB_SIZE
 * @fb_get: FB_GET
 * @fb_put: FB_PUT
 * @fb_status: FB_STATUS
 * @fault_cmd_addr: FAULT_CMD_ADDR_LO/HI
 * @fault_cmd_arg: FAULT_CMD_ARG
 * @engines: the compute engines
 * @copy: the copy engine
 * @vram: the device memory, an allocation of the model's own: no address
 *	the driver programs can make the GPU reach it from system memory's
 *	side, nor system memory from its side
 * @vram_size: its size in bytes, a multiple of 2 MiB; 0 for none
 * @sysmem_atomics: FEATURES.SYSMEM_ATOMICS: a writable system page allows
 *	atomics without %NEUF_PTE_ATOMIC
 */
struct neuf_model {
	spinlock_t lock;	/* the register file lock, see above */
	neuf_model_irq_handler_t irq;
	void *irq_data;
	struct device *dma_dev;
	struct irq_work irq_work;
	bool irq_running;
	bool dead;

	u32 scratch;
	u32 intr_status;
	u32 intr_enable;
	u64 inst_root_reg;
	u64 inst_root[NEUF_MODEL_INSTANCES];
	u64 tlb_inv_start;
	u64 tlb_inv_end;
	u64 fb_base;
	u32 fb_size;
	u32 fb_get;
	u32 fb_put;
	u32 fb_status;
	u64 fault_cmd_addr;
	u32 fault_cmd_arg;

	struct neuf_model_engine engines[NEUF_MODEL_ENGINES];
	struct neuf_model_copy copy;
	u8 *vram;
	u64 vram_size;
	bool sysmem_atomics;
};

/* Write one half of a 64-bit register pair. */
static inline void neuf_set_lo(u64 *reg, u32 value)
{
	*reg = (*reg & GENMASK_ULL(63, 32)) | value;
}

static inline void neuf_set_hi(u64 *reg, u32 value)
{
	*reg = (*reg & GENMASK_ULL(31, 0)) | (u64)value << 32;
}

/* neuf_model.c */
void neuf_model_raise_locked(struct neuf_model *model, u32 bits);
void neuf_model_post_fault(struct neuf_model *model, u64 addr, u32 instance,
			   unsigned int engine, unsigned int access);

/* neuf_model_mmu.c */
void *neuf_model_dma(struct neuf_model *model, u64 dma);
void neuf_model_dma_check(struct neuf_model *model, u64 dma, size_t size,
			  bool write);
void neuf_model_dma_check_dir(struct neuf_model *model, u64 dma, size_t size,
			      enum dma_data_direction dir);
void *neuf_model_vram(struct neuf_model *model, u64 offset, u64 size);
bool neuf_mmu_translate(struct neuf_model_engine *eng, u32 instance, u64 va,
			u8 need, struct neuf_xlate *x);
void neuf_mmu_invalidate(struct neuf_model_engine *eng, u32 instance,
			 u64 start, u64 end);
void neuf_mmu_flush_instance(struct neuf_model_engine *eng, u32 instance);
void neuf_mmu_flush_locked(struct neuf_model_engine *eng);

/* neuf_model_copy.c */
int neuf_copy_init(struct neuf_model *model);
void neuf_copy_fini(struct neuf_model *model);
u32 neuf_copy_read_locked(struct neuf_model *model, u32 offset, bool *found);
bool neuf_copy_write_locked(struct neuf_model *model, u32 offset, u32 value);

/* neuf_model_engine.c */
int neuf_engine_init(struct neuf_model_engine *eng, struct neuf_model *model,
		     unsigned int id);
void neuf_engine_fini(struct neuf_model_engine *eng);
u32 neuf_engine_read_locked(struct neuf_model_engine *eng, u32 reg);
void neuf_engine_write(struct neuf_model_engine *eng, u32 reg, u32 value);
void neuf_engine_replay(struct neuf_model_engine *eng);
void neuf_engine_cancel(struct neuf_model_engine *eng, u32 instance,
			u32 access, u64 addr);

#endif /* __NEUF_MODEL_INTERNAL_H__ */
