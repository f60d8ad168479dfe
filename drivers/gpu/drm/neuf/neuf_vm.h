/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright 2026 The neuf authors
 */
#ifndef __NEUF_VM_H__
#define __NEUF_VM_H__

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <drm/gpu_scheduler.h>
#include <drm/neuf_drm.h>

#include "neuf_pt.h"

struct dma_fence;
struct drm_device;
struct drm_file;
struct mm_struct;
struct neuf_device;
struct neuf_fault;
struct neuf_file;
struct neuf_svm_window;

/* SVM counters of a VM, in the order of struct drm_neuf_vm_stats. */
enum neuf_vm_stat {
	NEUF_STAT_FAULTS,
	NEUF_STAT_BATCHES,
	NEUF_STAT_REPLAYS,
	NEUF_STAT_CANCELS,
	NEUF_STAT_PAGES_MAPPED,
	NEUF_STAT_PAGES_INVALIDATED,
	NEUF_STAT_INVALIDATIONS,
	NEUF_STAT_RETRIES,
	NEUF_STAT_NOTIFIERS,
	NEUF_STAT_JOBS_SUBMITTED,
	NEUF_STAT_JOBS_FAILED,
	NEUF_STAT_WINDOWS,
	NEUF_STAT_HUGE_MAPPED,
	NEUF_STAT_COUNT
};

/*
 * NEUF_VM_MAX_QUEUED_JOBS - jobs a VM may have queued or running at once.
 * EXEC waits for one of them to end beyond that, as for ring space on
 * hardware: a process cannot fill the kernel's memory with jobs.
 */
#define NEUF_VM_MAX_QUEUED_JOBS	1024

/**
 * struct neuf_job_record - what userspace can learn about a finished job
 * @id: the job's id, 0 for an unused slot
 * @finished: the job's scheduler fence, referenced; tells whether it ended
 * @ended: @error, @fault_addr and @fault_access are final
 * @error: 0 or the negative errno the job ended with
 * @fault_addr: faulting or illegal address, for -EFAULT and -ENOEXEC
 * @fault_access: kind of the faulting access, for -EFAULT
 */
struct neuf_job_record {
	u64 id;
	struct dma_fence *finished;
	bool ended;
	int error;
	u64 fault_addr;
	u32 fault_access;
};

/**
 * struct neuf_vm - a GPU address space mirroring a process (SVM)
 * @ref: references: the owning file, each job, short-term lookups
 * @ndev: the device
 * @mm: the mirrored address space; grabbed (not pinned) for the VM's life
 * @instance: the hardware instance the page tables are bound to
 * @pt: the GPU page tables
 * @lock: the VM's device lock. Serialises every change of leaf PTEs and
 *	the notifier sequence updates; taken by the invalidation callback,
 *	possibly under reclaim, so nothing may allocate memory or sleep on
 *	anything but this lock while holding it.
 * @fault_lock: serialises the VM's fault resolution and the collection of
 *	its notifiers and page tables, so that nothing is removed under a
 *	fault being resolved, and every change of @attrs, so that a fault
 *	maps by the attributes before or after it; outside @attr_lock,
 *	@chunks_lock and the mmap_lock
 * @chunks_lock: serialises insertion and removal of interval notifiers;
 *	may be held across mmap_lock, never taken under it
 * @chunks: the VM's interval notifiers by chunk index, under
 *	@chunks_lock for writers
 * @chunk_shift: log2 of the size of the chunk each notifier covers, fixed
 *	when the VM is created
 * @gc_lock: protects @gc_list, @attr_gc, @faults and @nfaults; a leaf
 *	lock, taken in the notifiers
 * @gc_list: chunks that saw an unmap and may have no mapping left
 * @faults: the VM's part of the drained batch the fault worker handed over
 * @nfaults: its length; 0 once the SVM worker took it
 * @cancelled: how many of @faults the SVM worker cancelled; read by the
 *	fault worker once the SVM worker is flushed
 * @fault_link: entry in the fault worker's list of VMs it waits for
 * @window: the window the VM's faults are resolved in, under @fault_lock
 * @attr_lock: serialises changes of @attrs (SVM_ATTR, the collection of
 *	unmapped ranges); inside @fault_lock, held across notifier insertion
 *	and the mmap_lock, never taken under the mmap_lock
 * @attr_tree_lock: protects the shape of @attrs for lockless readers (the
 *	fault path, under the mmap_lock); writers hold @attr_lock too
 * @attrs: the SVM attribute ranges (&struct neuf_svm_attr_range)
 * @attr_gc: attribute ranges an unmap touched, under @gc_lock
 * @placed: per 2 MiB block, when a GPU fault last migrated it to VRAM
 *	(jiffies, allocated); under @fault_lock
 * @svm_work: the VM's SVM worker, on &neuf_device.svm_wq: removes the
 *	notifiers of chunks with no mapping left, then resolves @faults, each
 *	under @fault_lock. One work item per VM: VMs run concurrently
 * @entity: scheduler entity of the VM's jobs: they start in order
 * @submit_lock: makes job arming and pushing atomic, orders job ids, and
 *	protects @closed
 * @closed: the VM was destroyed: no more submissions
 * @job_lock: protects @last_job_id and @history; taken in the interrupt
 *	handler
 * @last_job_id: id of the last job submitted
 * @history: status of the last %NEUF_JOB_HISTORY jobs, by id modulo
 * @jobs_queued: jobs submitted and not yet freed, at most
 *	%NEUF_VM_MAX_QUEUED_JOBS: a slot is taken before a job is allocated
 * @jobs_wq: woken when a job of the VM is freed (a slot opens)
 * @release_work: frees the VM once the last reference is gone
 * @stats: the counters of &enum neuf_vm_stat
 * @dma_pages: system pages the VM's leaf PTEs hold a DMA mapping of, in
 *	place or waiting for a TLB invalidation to end (debugfs neuf_vms)
 */
struct neuf_vm {
	struct kref ref;
	struct neuf_device *ndev;
	struct mm_struct *mm;
	u32 instance;
	struct neuf_pt pt;
	/* the VM's device lock: leaf PTEs, notifier sequence */
	struct mutex lock;
	/* fault resolution vs. collection of notifiers and tables */
	struct mutex fault_lock;
	/* insertion and removal of interval notifiers */
	struct mutex chunks_lock;
	struct xarray chunks;
	unsigned int chunk_shift;
	/* protects @gc_list, @faults, @nfaults */
	spinlock_t gc_lock;
	struct list_head gc_list;
	const struct neuf_fault *faults;
	unsigned int nfaults;
	unsigned int cancelled;
	struct list_head fault_link;
	struct neuf_svm_window *window;
	/* changes of @attrs */
	struct mutex attr_lock;
	/* the tree of @attrs, for readers under the mmap_lock */
	spinlock_t attr_tree_lock;
	struct rb_root_cached attrs;
	struct list_head attr_gc;
	struct xarray placed;
	struct work_struct svm_work;
	struct drm_sched_entity entity;
	/* job arming and pushing, @closed */
	struct mutex submit_lock;
	bool closed;
	/* @last_job_id, @history; irq-safe */
	spinlock_t job_lock;
	u64 last_job_id;
	struct neuf_job_record history[NEUF_JOB_HISTORY];
	atomic_t jobs_queued;
	wait_queue_head_t jobs_wq;
	struct work_struct release_work;
	atomic64_t stats[NEUF_STAT_COUNT];
	atomic64_t dma_pages;
};

static inline void neuf_vm_stat_add(struct neuf_vm *vm, enum neuf_vm_stat s,
				    u64 n)
{
	atomic64_add(n, &vm->stats[s]);
}

static inline void neuf_vm_dma_pages_add(struct neuf_vm *vm, s64 n)
{
	atomic64_add(n, &vm->dma_pages);
}

struct neuf_vm *neuf_vm_get(struct neuf_vm *vm);
void neuf_vm_put(struct neuf_vm *vm);
struct neuf_vm *neuf_vm_lookup(struct neuf_file *nfile, u32 id);
void neuf_vm_job_slot_put(struct neuf_vm *vm);
struct neuf_vm *neuf_vm_lookup_own(struct neuf_file *nfile, u32 id);
struct neuf_vm *neuf_vm_lookup_instance(struct neuf_device *ndev,
					u32 instance);
void neuf_vm_file_close(struct neuf_file *nfile);
void neuf_vm_unplug_all(struct neuf_device *ndev);

int neuf_vm_create_ioctl(struct drm_device *drm, void *data,
			 struct drm_file *file);
int neuf_vm_destroy_ioctl(struct drm_device *drm, void *data,
			  struct drm_file *file);
int neuf_vm_stats_ioctl(struct drm_device *drm, void *data,
			struct drm_file *file);

#endif /* __NEUF_VM_H__ */
