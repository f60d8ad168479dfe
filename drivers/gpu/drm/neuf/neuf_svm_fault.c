// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright 2026 The neuf authors
 */

#include <linux/bitfield.h>
#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/hmm.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "neuf_compat.h"
#include "neuf_drv.h"
#include "neuf_hw.h"
#include "neuf_regs.h"
#include "neuf_svm.h"
#include "neuf_trace.h"
#include "neuf_vm.h"

/**
 * DOC: neuf SVM fault handling
 *
 * An engine whose access finds no valid translation posts an entry in the
 * replayable fault buffer and stalls the wave; other waves go on, so
 * faults come in bursts. The fault interrupt queues the fault worker,
 * which drains everything the buffer holds, sorts it by instance, page
 * and access (strongest first), and folds duplicates. Each distinct
 * (VM, page, access) is resolved through hmm_range_fault() in the
 * mmu_interval_read_begin() / mmu_interval_read_retry() loop and its PTE
 * written under the VM lock. A fault that cannot be resolved (no mapping,
 * no permission, the process is gone) is cancelled on each engine that
 * reported it, which ends that dispatch with -EFAULT. One REPLAY then
 * restarts every stalled wave, and the worker drains again until the
 * buffer stays empty.
 */

static int neuf_fault_cmp(const void *a, const void *b)
{
	const struct neuf_fault *fa = a, *fb = b;
	u64 pa = fa->addr >> PAGE_SHIFT, pb = fb->addr >> PAGE_SHIFT;

	if (fa->instance != fb->instance)
		return fa->instance < fb->instance ? -1 : 1;
	if (pa != pb)
		return pa < pb ? -1 : 1;
	/* Strongest access first: atomic, write, read, then prefetch. */
	if (fa->access != fb->access) {
		static const u8 rank[] = {
			[NEUF_ACCESS_READ] = 2, [NEUF_ACCESS_WRITE] = 1,
			[NEUF_ACCESS_ATOMIC] = 0, [NEUF_ACCESS_PREFETCH] = 3,
		};

		return rank[fa->access] < rank[fb->access] ? -1 : 1;
	}
	return 0;
}

/* Read the ring from GET to PUT into the batch; returns the count. */
static unsigned int neuf_fault_drain(struct neuf_device *ndev)
{
	struct neuf_fault_buffer *fb = &ndev->fault;
	unsigned int n = 0;
	u32 put;

	put = neuf_rd32(ndev, NEUF_REG_FB_PUT);
	/* Entries are read only after the PUT that published them. */
	smp_rmb();
	while (fb->get != put && n < fb->entries) {
		const u8 *e = fb->vaddr + fb->get * NEUF_FAULT_ENTRY_SIZE;
		struct neuf_fault *f = &fb->batch[n];
		u8 engine = e[NEUF_FAULT_ENTRY_ENGINE];

		f->addr = get_unaligned_le64(e + NEUF_FAULT_ENTRY_ADDR);
		f->instance = get_unaligned_le32(e + NEUF_FAULT_ENTRY_INSTANCE);
		f->access = e[NEUF_FAULT_ENTRY_ACCESS];
		f->engines = engine < NEUF_MAX_ENGINES ? BIT(engine) : 0;
		f->count = 1;
		fb->get = (fb->get + 1) & (fb->entries - 1);
		/* Drop what no hardware of this revision can report. */
		if (f->access <= NEUF_ACCESS_PREFETCH && f->engines)
			n++;
	}
	neuf_wr32(ndev, NEUF_REG_FB_GET, fb->get);

	if (neuf_rd32(ndev, NEUF_REG_FB_STATUS) & NEUF_FB_STATUS_OVERFLOW) {
		neuf_wr32(ndev, NEUF_REG_FB_STATUS, NEUF_FB_STATUS_OVERFLOW);
		atomic64_inc(&fb->overflows);
	}
	return n;
}

/*
 * Sort the batch and fold entries for the same (instance, page, access),
 * merging their engine masks. Returns the new count.
 */
static unsigned int neuf_fault_dedup(struct neuf_fault *batch, unsigned int n)
{
	unsigned int i, out = 0;

	sort(batch, n, sizeof(*batch), neuf_fault_cmp, NULL);
	for (i = 0; i < n; i++) {
		if (out && !neuf_fault_cmp(&batch[out - 1], &batch[i])) {
			batch[out - 1].engines |= batch[i].engines;
			batch[out - 1].count += batch[i].count;
			continue;
		}
		batch[out++] = batch[i];
	}
	return out;
}

/*
 * Make the PTE of one page allow what the fault needs: writable only for a
 * write or atomic fault (for which the CPU entry was made dirty). Called
 * under the VM lock once mmu_interval_read_retry() confirmed that no
 * invalidation ran since hmm_range_fault() found @hmm_pfn, so a valid
 * entry is exact (any CPU change would have invalidated it first) and is
 * never downgraded by a stale read fault.
 *
 * A read-only entry's page is mapped DMA_TO_DEVICE, a writable one's
 * DMA_BIDIRECTIONAL, so an upgrade maps the page anew, replaces the entry,
 * invalidates the TLBs and only then undoes the old mapping.
 *
 * Return: 0, or -ENOMEM if the page could not be mapped for DMA.
 */
static int neuf_svm_map(struct neuf_vm *vm, u64 addr, unsigned long hmm_pfn,
			bool write)
{
	struct device *dev = vm->ndev->drm.dev;
	__le64 *table = neuf_pt_leaf_table(&vm->pt, addr);
	__le64 *pte = &table[NEUF_PT_INDEX(addr, 0)];
	u64 old = le64_to_cpu(READ_ONCE(*pte)), perm = NEUF_PTE_VALID, new;
	dma_addr_t dma;

	lockdep_assert_held(&vm->lock);

	if (write && (hmm_pfn & HMM_PFN_WRITE))
		perm |= NEUF_PTE_WRITABLE | NEUF_PTE_ATOMIC;
	if ((old & NEUF_PTE_VALID) && (old & perm) == perm)
		return 0;

	/*
	 * Mapping neither sleeps nor allocates from reclaim, so it may happen
	 * under the VM lock. Cache-coherent DMA: SVM needs a GPU coherent
	 * with the CPUs, which both touch the pages at once, so there is no
	 * cache maintenance to do, and the same page may be mapped by
	 * several VMs.
	 */
	dma = dma_map_page_attrs(dev, hmm_pfn_to_page(hmm_pfn), 0, PAGE_SIZE,
				 neuf_svm_dma_dir(perm), DMA_ATTR_SKIP_CPU_SYNC);
	if (dma_mapping_error(dev, dma))
		return -ENOMEM;
	new = dma | perm;
	WRITE_ONCE(*pte, cpu_to_le64(new));
	neuf_vm_dma_pages_add(vm, 1);
	trace_neuf_svm_map(vm->instance, addr, new);
	neuf_vm_stat_add(vm, NEUF_STAT_PAGES_MAPPED, 1);

	if (old & NEUF_PTE_VALID) {
		/* The read-only entry may be cached: drop it, then its mapping. */
		neuf_hw_tlb_invalidate(vm->ndev, vm->instance, addr,
				       addr + PAGE_SIZE);
		neuf_svm_dma_unmap(dev, old);
		neuf_vm_dma_pages_add(vm, -1);
	}
	return 0;
}

/*
 * Prepare the CPU side of one page for a GPU access, with the mmap_lock
 * held; the caller then mirrors it with hmm_range_fault().
 *
 * Memory the kernel itself must not reach (memfd_secret()) is refused, as
 * GUP refuses it; so are VM_IO and VM_PFNMAP mappings, which
 * hmm_range_fault() would refuse anyway.
 *
 * For a write, the CPU's page-table entry must end up dirty, as a CPU store
 * would leave it: the GPU's stores do not set the CPU's dirty bit, and a
 * writable but clean entry (after MADV_FREE, or for a clean page of the
 * swap cache) would let reclaim drop the GPU's data. A write fault through
 * the core fault handler makes the entry present, writable and dirty (and
 * breaks COW); hmm_range_fault() alone leaves a writable entry as it is.
 * Any later cleaning of the entry invalidates the GPU's mapping first.
 */
static int neuf_svm_cpu_prepare(struct mm_struct *mm, unsigned long addr,
				bool write)
{
	struct vm_area_struct *vma = vma_lookup(mm, addr);

	if (!vma || vma->vm_flags & (VM_IO | VM_PFNMAP))
		return -EFAULT;
	if (vma->vm_file &&
	    file_inode(vma->vm_file)->i_sb->s_magic == SECRETMEM_MAGIC)
		return -EFAULT;
	if (!write)
		return 0;
	return fixup_user_fault(mm, addr, FAULT_FLAG_WRITE, NULL);
}

/*
 * Resolve one fault: fault the page in on the CPU side and mirror it.
 * Returns 0, or a negative errno if the access cannot be satisfied.
 */
static int neuf_svm_resolve(struct neuf_vm *vm, u64 addr, u8 access)
{
	unsigned long page = addr & PAGE_MASK;
	bool write = access == NEUF_ACCESS_WRITE || access == NEUF_ACCESS_ATOMIC;
	unsigned long timeout;
	struct neuf_svm_chunk *chunk;
	struct hmm_range range = {};
	unsigned long pfn;
	int ret;

	if (page >= TASK_SIZE_MAX)
		return -EFAULT;
	if (!mmget_not_zero(vm->mm))
		return -ESRCH;

	chunk = neuf_svm_chunk_get(vm, page);
	if (IS_ERR(chunk)) {
		ret = PTR_ERR(chunk);
		goto out;
	}
	ret = neuf_pt_prepare(&vm->pt, page);
	if (ret)
		goto out;

	range.notifier = &chunk->notifier;
	range.start = page;
	range.end = page + PAGE_SIZE;
	range.hmm_pfns = &pfn;
	range.default_flags = HMM_PFN_REQ_FAULT |
			      (write ? HMM_PFN_REQ_WRITE : 0);
	range.dev_private_owner = vm->ndev;

	timeout = jiffies + msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	for (;;) {
		if (time_after(jiffies, timeout)) {
			ret = -EBUSY;
			break;
		}

		range.notifier_seq = mmu_interval_read_begin(range.notifier);
		mmap_read_lock(vm->mm);
		ret = neuf_svm_cpu_prepare(vm->mm, page, write);
		if (!ret)
			ret = hmm_range_fault(&range);
		mmap_read_unlock(vm->mm);
		if (ret == -EBUSY) {
			neuf_vm_stat_add(vm, NEUF_STAT_RETRIES, 1);
			continue;
		}
		if (ret)
			break;

		mutex_lock(&vm->lock);
		if (mmu_interval_read_retry(range.notifier,
					    range.notifier_seq)) {
			mutex_unlock(&vm->lock);
			neuf_vm_stat_add(vm, NEUF_STAT_RETRIES, 1);
			continue;
		}
		ret = neuf_svm_map(vm, page, pfn, write);
		mutex_unlock(&vm->lock);
		break;
	}
out:
	/*
	 * The process may have exited meanwhile: never run its exit_mmap()
	 * here, on the queue every VM's faults share.
	 */
	mmput_async(vm->mm);
	return ret;
}

static void neuf_svm_cancel(struct neuf_device *ndev,
			    const struct neuf_fault *f)
{
	unsigned long engines = f->engines;
	unsigned int e;

	for_each_set_bit(e, &engines, NEUF_MAX_ENGINES) {
		spin_lock(&ndev->reg_lock);
		neuf_wr32(ndev, NEUF_REG_FAULT_CMD_ADDR_LO, lower_32_bits(f->addr));
		neuf_wr32(ndev, NEUF_REG_FAULT_CMD_ADDR_HI, upper_32_bits(f->addr));
		neuf_wr32(ndev, NEUF_REG_FAULT_CMD_ARG,
			  FIELD_PREP(NEUF_FAULT_CMD_ARG_INSTANCE, f->instance) |
			  FIELD_PREP(NEUF_FAULT_CMD_ARG_ENGINE, e) |
			  FIELD_PREP(NEUF_FAULT_CMD_ARG_ACCESS, f->access));
		neuf_wr32(ndev, NEUF_REG_FAULT_CMD, NEUF_FAULT_CMD_CANCEL);
		spin_unlock(&ndev->reg_lock);
	}
}

/* Resolve or cancel every fault of a sorted, de-duplicated batch. */
static void neuf_svm_handle_batch(struct neuf_device *ndev,
				  struct neuf_fault *batch, unsigned int n,
				  unsigned int raw)
{
	struct neuf_vm *vm = NULL;
	unsigned int i, cancelled = 0;
	u64 resolved_page = 0;
	bool resolved = false;
	int ret;

	for (i = 0; i < n; i++) {
		struct neuf_fault *f = &batch[i];
		u64 page = f->addr & PAGE_MASK;

		if (!vm || vm->instance != f->instance) {
			if (vm) {
				neuf_vm_stat_add(vm, NEUF_STAT_BATCHES, 1);
				neuf_vm_stat_add(vm, NEUF_STAT_REPLAYS, 1);
				neuf_vm_put(vm);
			}
			vm = neuf_vm_lookup_instance(ndev, f->instance);
			resolved = false;
		}

		trace_neuf_svm_fault(f->instance, f->addr, f->access,
				     f->engines);
		if (!vm) {
			/* A stale fault of a VM that is gone. */
			neuf_svm_cancel(ndev, f);
			cancelled++;
			continue;
		}
		neuf_vm_stat_add(vm, NEUF_STAT_FAULTS, f->count);

		/*
		 * Entries of one page are sorted strongest access first: once
		 * a page is writable, its read faults are resolved too.
		 */
		if (resolved && resolved_page == page &&
		    f->access != NEUF_ACCESS_ATOMIC)
			continue;

		ret = neuf_svm_resolve(vm, f->addr,
				       f->access == NEUF_ACCESS_PREFETCH ?
				       NEUF_ACCESS_READ : f->access);
		resolved = !ret;
		resolved_page = page;
		/*
		 * -EBUSY: invalidations kept racing the fault for the whole
		 * timeout. That is no fault of the shader's: leave it stalled,
		 * and the replay brings it back for another try.
		 */
		if (!ret || ret == -EBUSY || f->access == NEUF_ACCESS_PREFETCH)
			continue;

		neuf_vm_stat_add(vm, NEUF_STAT_CANCELS, 1);
		neuf_svm_cancel(ndev, f);
		cancelled++;
	}
	if (vm) {
		neuf_vm_stat_add(vm, NEUF_STAT_BATCHES, 1);
		neuf_vm_stat_add(vm, NEUF_STAT_REPLAYS, 1);
		neuf_vm_put(vm);
	}

	spin_lock(&ndev->reg_lock);
	neuf_wr32(ndev, NEUF_REG_FAULT_CMD, NEUF_FAULT_CMD_REPLAY);
	spin_unlock(&ndev->reg_lock);
	trace_neuf_svm_replay(raw, n, cancelled);
}

/**
 * neuf_svm_fault_work() - the fault worker
 * @work: &neuf_fault_buffer.work
 *
 * Drains the fault buffer batch by batch until it is empty. Runs on the
 * ordered SVM workqueue.
 */
void neuf_svm_fault_work(struct work_struct *work)
{
	struct neuf_device *ndev =
		container_of(work, struct neuf_device, fault.work);
	struct neuf_fault_buffer *fb = &ndev->fault;
	unsigned int raw, n;

	for (;;) {
		raw = neuf_fault_drain(ndev);
		if (!raw)
			break;
		atomic64_inc(&fb->drains);
		n = neuf_fault_dedup(fb->batch, raw);
		neuf_svm_handle_batch(ndev, fb->batch, n, raw);
		cond_resched();
	}
}

/**
 * neuf_svm_fault_init() - allocate and program the fault buffer
 * @ndev: the device
 *
 * Return: 0 or -ENOMEM.
 */
int neuf_svm_fault_init(struct neuf_device *ndev)
{
	struct neuf_fault_buffer *fb = &ndev->fault;
	size_t size;

	fb->entries = ndev->caps.fault_buf_entries;
	size = fb->entries * NEUF_FAULT_ENTRY_SIZE;
	fb->vaddr = dma_alloc_coherent(ndev->drm.dev, size, &fb->dma,
				       GFP_KERNEL);
	if (!fb->vaddr)
		return -ENOMEM;
	fb->batch = kcalloc(fb->entries, sizeof(*fb->batch), GFP_KERNEL);
	if (!fb->batch) {
		dma_free_coherent(ndev->drm.dev, size, fb->vaddr, fb->dma);
		return -ENOMEM;
	}
	fb->get = 0;
	INIT_WORK(&fb->work, neuf_svm_fault_work);

	neuf_wr32(ndev, NEUF_REG_FB_BASE_LO, lower_32_bits(fb->dma));
	neuf_wr32(ndev, NEUF_REG_FB_BASE_HI, upper_32_bits(fb->dma));
	neuf_wr32(ndev, NEUF_REG_FB_GET, 0);
	neuf_wr32(ndev, NEUF_REG_FB_SIZE, fb->entries);
	return 0;
}

/**
 * neuf_svm_fault_fini() - stop using the fault buffer and free it
 * @ndev: the device, its interrupts disabled and engines idle, so that
 *	nothing posts a fault or queues the worker any more
 *
 * The worker finishes the batch it may be draining first; only then is
 * the buffer turned off, which resets its GET and PUT.
 */
void neuf_svm_fault_fini(struct neuf_device *ndev)
{
	struct neuf_fault_buffer *fb = &ndev->fault;

	cancel_work_sync(&fb->work);
	neuf_wr32(ndev, NEUF_REG_FB_SIZE, 0);
	kfree(fb->batch);
	dma_free_coherent(ndev->drm.dev, fb->entries * NEUF_FAULT_ENTRY_SIZE,
			  fb->vaddr, fb->dma);
}
