/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright 2026 The neuf authors
 */
#ifndef __NEUF_DRV_H__
#define __NEUF_DRV_H__

#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
/* Without fault injection 6.1's header does not build on its own. */
#include <linux/fault-inject.h>
#endif

#include <drm/drm_device.h>
#include <drm/gpu_scheduler.h>

#include "neuf_copy.h"
#include "neuf_dmem.h"

#define NEUF_DRIVER_NAME	"neuf"
#define NEUF_DRIVER_DESC	"neuf open virtual GPU with shared virtual memory"
#define NEUF_DRIVER_MAJOR	0
#define NEUF_DRIVER_MINOR	3
#define NEUF_DRIVER_PATCHLEVEL	0

/* Most engines and VM instances the driver handles (register field widths). */
#define NEUF_MAX_ENGINES	8
#define NEUF_MAX_INSTANCES	256

struct neuf_dmem;
struct neuf_job;
struct neuf_vm;
struct regmap;

/**
 * struct neuf_engine - one compute engine and its scheduler
 * @ndev: the device
 * @id: engine number, as in the register map
 * @sched: the DRM GPU scheduler feeding this engine, one job at a time
 * @lock: protects @active and @seqno; taken in the interrupt handler
 * @active: the job the engine is running, or NULL
 * @seqno: tag of the last dispatch written to the engine
 * @fence_context: dma_fence context of the engine's hardware fences
 * @name: name of the scheduler
 */
struct neuf_engine {
	struct neuf_device *ndev;
	unsigned int id;
	struct drm_gpu_scheduler sched;
	/* protects @active, @seqno; irq-safe */
	spinlock_t lock;
	struct neuf_job *active;
	u32 seqno;
	u64 fence_context;
	char name[24];
};

/**
 * struct neuf_fault_buffer - the driver's side of the replayable fault buffer
 * @vaddr: the ring, coherent DMA memory of the GPU
 * @dma: its DMA address, programmed into FB_BASE
 * @entries: size of the ring in entries
 * @get: next entry to read; only the fault worker touches it
 * @batch: the entries of one drain, sorted and de-duplicated in place;
 *	each VM's worker reads its part until the drain is replayed
 * @work: the fault worker, queued by the interrupt handler
 * @overflows: drains that found the overflow flag set
 * @drains: drains that found at least one fault
 * @vm_workers: VM workers resolving faults right now
 * @vm_workers_peak: the most VM workers ever seen resolving faults at once
 * @vm_overlaps: VM workers that started resolving faults while another
 *	VM's worker was
 */
struct neuf_fault_buffer {
	void *vaddr;
	dma_addr_t dma;
	u32 entries;
	u32 get;
	struct neuf_fault *batch;
	struct work_struct work;
	atomic64_t overflows;
	atomic64_t drains;
	atomic_t vm_workers;
	atomic_t vm_workers_peak;
	atomic64_t vm_overlaps;
};

/**
 * struct neuf_device - one neuf GPU
 * @drm: the DRM device, embedded
 * @regs: the GPU's register window, its parent chip's regmap; every
 *	register access goes through neuf_rd32() and neuf_wr32()
 * @irq: the GPU's interrupt line
 * @caps: capabilities read from the hardware at probe, never changed after
 * @caps.id: %NEUF_REG_ID
 * @caps.revision: %NEUF_REG_REVISION
 * @caps.engines: %NEUF_REG_ENGINES
 * @caps.va_bits: %NEUF_REG_VA_BITS
 * @caps.page_sizes: %NEUF_REG_PAGE_SIZES
 * @caps.fault_buf_entries: %NEUF_REG_FAULT_BUF_ENTRIES
 * @caps.instances: %NEUF_REG_INSTANCES, VM slots
 * @caps.vram_size: %NEUF_REG_VRAM_SIZE, in bytes; 0 before revision 1.2
 * @caps.features: %NEUF_REG_FEATURES; before revision 1.2, what 1.1 did:
 *	%NEUF_FEATURE_SYSMEM_ATOMICS
 * @engines: the compute engines
 * @sched_list: the engines' schedulers, for entities to pick from
 * @irq_lock: serialises the interrupt handler against turning interrupts
 *	off; protects @irq_on
 * @irq_on: the handler may act; cleared before the workqueues go away
 * @reg_lock: serialises multi-register command sequences (instance
 *	binding, TLB invalidation, fault commands); never held while sleeping.
 *	Also protects @hw_gone.
 * @hw_gone: the device was removed: its registers must not be touched any
 *	more. Set, under @reg_lock, at the end of neuf_remove(), once the
 *	engines are stopped and no notifier is left; the helpers that may
 *	still be called afterwards (instance binding, TLB invalidation) check
 *	it under @reg_lock
 * @vms: live VMs by hardware instance; the xarray's lock protects lookups
 * @fault: the replayable fault buffer
 * @copy: the copy engine (revision 1.2)
 * @dmem: the device memory, as DEVICE_PRIVATE pages; NULL without VRAM
 *	or without CONFIG_DEVICE_PRIVATE
 * @mem_stats: device-memory and device-exclusive counters,
 *	&enum neuf_dmem_stat
 * @fault_wq: ordered workqueue of the fault worker (&neuf_fault_buffer.work)
 * @svm_wq: the VMs' SVM workers (&neuf_vm.svm_work): fault resolution and
 *	notifier garbage collection, ordered within a VM, at most
 *	%NEUF_SVM_MAX_WORKERS VMs at once
 * @wq: workqueue for releasing VMs
 * @invariants: what the SVM invariant checker did (module parameter
 *	check_invariants): checks run, violations found
 * @jobs_in_flight: jobs pushed to a scheduler and not yet freed; its
 *	variable wait queue (wake_up_var()) is woken when it drops to zero
 * @fail_nonblock_invalidate: fault injection (debugfs
 *	fail_nonblock_invalidate/): a non-blockable invalidation that it picks
 *	reports contention, as if &neuf_vm.lock were held
 */
struct neuf_device {
	struct drm_device drm;
	struct regmap *regs;
	int irq;
	struct {
		u32 id;
		u32 revision;
		u32 engines;
		u32 va_bits;
		u32 page_sizes;
		u32 fault_buf_entries;
		u32 instances;
		u64 vram_size;
		u32 features;
	} caps;
	struct neuf_engine engines[NEUF_MAX_ENGINES];
	struct drm_gpu_scheduler *sched_list[NEUF_MAX_ENGINES];
	/* handler vs. interrupts off; protects @irq_on */
	spinlock_t irq_lock;
	bool irq_on;
	/* multi-register command sequences; protects @hw_gone */
	spinlock_t reg_lock;
	bool hw_gone;
	struct xarray vms;
	struct neuf_fault_buffer fault;
	struct neuf_copy copy;
	struct neuf_dmem *dmem;
	atomic64_t mem_stats[NEUF_DMEM_STAT_COUNT];
	struct {
		atomic64_t checks;
		atomic64_t violations;
	} invariants;
	struct workqueue_struct *fault_wq;
	struct workqueue_struct *svm_wq;
	struct workqueue_struct *wq;
	atomic_t jobs_in_flight;
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	struct fault_attr fail_nonblock_invalidate;
#endif
};

/**
 * struct neuf_file - per-open-file state
 * @ndev: the device
 * @vms: the file's VMs by id; the xarray's lock protects lookups
 * @next_vm_id: where the cyclic id allocation goes on
 */
struct neuf_file {
	struct neuf_device *ndev;
	struct xarray vms;
	u32 next_vm_id;
};

static inline struct neuf_device *to_neuf_device(struct drm_device *drm)
{
	return container_of(drm, struct neuf_device, drm);
}

#endif /* __NEUF_DRV_H__ */
