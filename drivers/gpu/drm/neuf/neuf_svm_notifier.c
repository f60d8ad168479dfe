// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright 2026 The neuf authors
 */

#include <linux/bitmap.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/moduleparam.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "neuf_drv.h"
#include "neuf_hw.h"
#include "neuf_regs.h"
#include "neuf_svm.h"
#include "neuf_trace.h"
#include "neuf_vm.h"

/**
 * DOC: neuf SVM locking
 *
 * An SVM VM mirrors a process: GPU PTEs are filled by the VM's SVM worker
 * from hmm_range_fault() and cleared by the interval notifiers of the VM,
 * each covering an aligned chunk of the address space (64 MiB by default:
 * one callback per chunk an unmap covers, however many pages). The locks,
 * outermost first:
 *
 * - &neuf_vm.fault_lock (mutex): fault resolution against collection and
 *   against changes of the SVM attributes, whose own &neuf_vm.attr_lock
 *   nests inside it.
 * - &neuf_vm.chunks_lock (mutex): inserting and removing the VM's interval
 *   notifiers. Held across mmu_interval_notifier_insert(), which may take
 *   the mmap_lock for writing the first time an mm gets a notifier, so it
 *   is never taken with the mmap_lock held.
 * - the process's mmap_lock, read side, around hmm_range_fault().
 * - &neuf_vm.lock (mutex): the VM's device lock. Every write of a leaf PTE
 *   happens under it, after mmu_interval_read_retry() confirmed under it
 *   that no invalidation ran since mmu_interval_read_begin(); the
 *   invalidation callback takes it to bump the notifier sequence, clear
 *   PTEs and invalidate the TLBs. The callback runs under the mmap_lock and
 *   from reclaim, so nothing allocates memory while holding it (directory
 *   tables are created before, under &neuf_pt.alloc_lock) and it is
 *   primed as a reclaim lock for lockdep when the VM is created. When the
 *   callback may not block (the OOM reaper), it only trylocks and, on
 *   contention, returns false having changed nothing; the reaper retries.
 *   Fault injection (debugfs fail_nonblock_invalidate/) makes it meet
 *   contention on demand, so tests reach that path deterministically.
 * - &neuf_device.reg_lock (spinlock): multi-register command sequences
 *   (TLB invalidation, fault REPLAY/CANCEL, instance binding).
 * - &neuf_vm.gc_lock (spinlock): the list of chunks to re-examine, their
 *   blocks to re-examine, and the faults handed to the VM's SVM worker.
 *
 * The TLB invalidation returns only once no engine can use the old
 * translations any more and no access through them is in flight, so when
 * the callback returns the pages are the kernel's again.
 *
 * DMA: the GPU reaches system memory only through DMA mappings of its
 * device. The fault path maps a page (dma_map_page_attrs(), which neither
 * sleeps nor allocates from reclaim) under the VM lock, once
 * mmu_interval_read_retry() confirmed the page hmm_range_fault() found,
 * and the PTE then holds the DMA address: DMA_TO_DEVICE for a read-only
 * entry, DMA_BIDIRECTIONAL for a writable one, so an upgrade maps anew,
 * replaces the entry, invalidates the TLBs and then unmaps the old
 * mapping. The GPU is cache-coherent with the CPUs, as SVM requires, so
 * the mappings skip CPU cache maintenance (DMA_ATTR_SKIP_CPU_SYNC) and the
 * same page may be mapped by several VMs. Unmapping goes in this order,
 * under the VM lock: the valid bit of each PTE is cleared (the address
 * and writable bit stay in the entry), the range is invalidated in the
 * TLBs, and only then is each page's mapping undone and its entry zeroed. Undoing a mapping
 * while an engine may still hold a translation through it would let the
 * GPU reach a page the kernel has taken back (with an IOMMU, fault on an
 * address that may already map another page). The page tables and the fault
 * buffer are coherent DMA memory. A VM's notifiers, on removal, clear their
 * chunks and so undo every mapping; when the device is removed that
 * happens at once for every VM, with the page tables freed, so the driver
 * holds no DMA memory or mapping of a device it is unbound from.
 *
 * A VM's fault resolution and its garbage collection are serialised by
 * &neuf_vm.fault_lock (outermost of the VM's locks): a chunk's notifier
 * or a block's leaf table is never removed while a fault is being resolved
 * against it. Collection runs in the VM's SVM worker; faults are resolved
 * by the fault worker itself when a drain holds one VM's, by the SVM
 * workers of the VMs, concurrently, when it holds several. An unmap marks
 * the blocks it covered; the collection frees the leaf tables of those no
 * VMA intersects any more, and removes the notifier of a chunk no VMA is
 * left in. A VM is released only once no job, no file and no fault worker
 * holds it; its notifiers go first, then its instance is unbound (which
 * drops its TLB entries), then its page tables.
 *
 * When the device is removed with files open (neuf_remove()), its engines
 * are stopped first, so the GPU accesses no memory any more; then the
 * notifiers of every VM are removed, after which no callback runs, and
 * only then does &neuf_device.hw_gone make TLB invalidation and instance
 * binding skip the registers. The VMs live on, detached, until their files
 * are closed.
 */

static unsigned int neuf_svm_notifier_mib = 64;

static int neuf_svm_notifier_mib_set(const char *val,
				     const struct kernel_param *kp)
{
	unsigned int mib;
	int ret = kstrtouint(val, 0, &mib);

	if (ret)
		return ret;
	if (!is_power_of_2(mib) ||
	    mib < BIT(NEUF_SVM_MIN_CHUNK_SHIFT - 20) ||
	    mib > BIT(NEUF_SVM_MAX_CHUNK_SHIFT - 20))
		return -EINVAL;
	return param_set_uint(val, kp);
}

static const struct kernel_param_ops neuf_svm_notifier_mib_ops = {
	.set = neuf_svm_notifier_mib_set,
	.get = param_get_uint,
};

module_param_cb(notifier_size_mib, &neuf_svm_notifier_mib_ops,
		&neuf_svm_notifier_mib, 0644);
MODULE_PARM_DESC(notifier_size_mib,
		 "Size of the aligned chunk of address space one interval notifier covers, for VMs created from now on: a power of two from 2 to 1024 MiB (default 64)");

/**
 * neuf_svm_queue_gc() - have a chunk's blocks collected if nothing maps them
 * @chunk: the chunk
 * @start: first address of the blocks, in @chunk
 * @end: first address past them, in @chunk
 *
 * Marks the blocks of [@start, @end) in @chunk for collection and queues
 * it: called for an unmap, which may have left them, or the whole chunk,
 * without any mapping, and for a fault that found no VMA, whose unmap may
 * have come before the chunk's notifier did.
 *
 * Context: any; never sleeps (the invalidation callback calls it).
 */
void neuf_svm_queue_gc(struct neuf_svm_chunk *chunk, u64 start, u64 end)
{
	struct neuf_vm *vm = chunk->vm;
	unsigned int first = (start - chunk->start) >> NEUF_SVM_BLOCK_SHIFT;
	unsigned int last = (end - 1 - chunk->start) >> NEUF_SVM_BLOCK_SHIFT;

	spin_lock(&vm->gc_lock);
	bitmap_set(chunk->gc_blocks, first, last - first + 1);
	if (list_empty(&chunk->gc_link))
		list_add_tail(&chunk->gc_link, &vm->gc_list);
	spin_unlock(&vm->gc_lock);
	queue_work(vm->ndev->svm_wq, &vm->svm_work);
}

#ifdef CONFIG_DMA_API_DEBUG
/*
 * A planted bug, to prove that dma-debug would catch the real one: with
 * leak_dma_mapping set, the next page unmapped from a GPU keeps its DMA
 * mapping (its PTE is cleared all the same), as if the unmap had been
 * forgotten; the parameter turns itself off. dma-debug's dump then still
 * lists a mapping of the GPU after the GPU is unbound. The mapping is
 * undone when the GPU is bound again (neuf_svm_planted_leak_repair()) or
 * the module goes, so that the rest of a test run stays clean.
 */
static bool neuf_leak_dma_mapping;
module_param_named(leak_dma_mapping, neuf_leak_dma_mapping, bool, 0600);
MODULE_PARM_DESC(leak_dma_mapping,
		 "Debugging only: leave the DMA mapping of the next page unmapped from a GPU in place (default off)");

static DEFINE_SPINLOCK(neuf_planted_lock);
static struct device *neuf_planted_dev;
static u64 neuf_planted_pte;

/* Plant the leak of @pte's mapping if asked to; true: do not unmap it. */
static bool neuf_svm_plant_leak(struct device *dev, u64 pte)
{
	bool planted = false;

	if (!READ_ONCE(neuf_leak_dma_mapping))
		return false;
	spin_lock(&neuf_planted_lock);
	if (!neuf_planted_dev && xchg(&neuf_leak_dma_mapping, false)) {
		neuf_planted_dev = get_device(dev);
		neuf_planted_pte = pte;
		planted = true;
	}
	spin_unlock(&neuf_planted_lock);
	return planted;
}

/**
 * neuf_svm_planted_leak_repair() - undo a planted DMA mapping leak
 * @dev: the GPU being bound, or NULL (module unload) for any
 *
 * Debugging only (CONFIG_DMA_API_DEBUG): see leak_dma_mapping.
 */
void neuf_svm_planted_leak_repair(struct device *dev)
{
	struct device *leaked;
	u64 pte;

	spin_lock(&neuf_planted_lock);
	leaked = neuf_planted_dev;
	pte = neuf_planted_pte;
	if (leaked && (!dev || dev == leaked))
		neuf_planted_dev = NULL;
	else
		leaked = NULL;
	spin_unlock(&neuf_planted_lock);

	if (leaked) {
		neuf_svm_dma_unmap(leaked, pte, PAGE_SIZE);
		put_device(leaked);
	}
}
#else
static bool neuf_svm_plant_leak(struct device *dev, u64 pte)
{
	return false;
}
#endif

/*
 * Take the valid bit off a leaf entry, atomically: the MMU may be setting
 * its DIRTY bit at the same time, which must not be lost. Returns the
 * entry as it was.
 */
static u64 neuf_svm_pte_invalidate(__le64 *pte)
{
	u64 old = le64_to_cpu(READ_ONCE(*pte)), prev;

	while (old & NEUF_PTE_VALID) {
		prev = le64_to_cpu((__force __le64)
				   cmpxchg64((__force u64 *)pte,
					     (__force u64)cpu_to_le64(old),
					     (__force u64)cpu_to_le64(old & ~NEUF_PTE_VALID)));
		if (prev == old)
			break;
		old = prev;
	}
	return old;
}

/*
 * Undo what an invalidated leaf entry held: pass the GPU's writes on to
 * the page (the CPU still maps it: see neuf_svm_clear()), undo its DMA
 * mapping and zero the entry.
 */
static void neuf_svm_pte_unmap(struct neuf_vm *vm, __le64 *pte,
			       struct page *page, size_t size)
{
	struct device *dev = vm->ndev->drm.dev;
	u64 old = le64_to_cpu(READ_ONCE(*pte));

	/* A VRAM page: no DMA mapping, and its data lives on in VRAM. */
	if (old & NEUF_PTE_VRAM) {
		WRITE_ONCE(*pte, 0);
		return;
	}
	if (old & NEUF_PTE_DIRTY)
		folio_mark_dirty(page_folio(page));
	if (size != PAGE_SIZE || !neuf_svm_plant_leak(dev, old))
		neuf_svm_dma_unmap(dev, old, size);
	WRITE_ONCE(*pte, 0);
	neuf_vm_dma_pages_add(vm, -(s64)(size >> PAGE_SHIFT));
}

/*
 * One pass of neuf_svm_clear() over the leaf entries of [@start, @end):
 * without @unmap, take the valid bit off each valid entry (its address and
 * other bits stay for the unmap); with @unmap, undo each entry that still
 * holds a page. A 2 MiB page that overlaps the range is cleared whole.
 * Returns the base pages changed.
 */
static unsigned long neuf_svm_clear_pass(struct neuf_vm *vm, u64 start,
					 u64 end, bool unmap)
{
	struct neuf_pt_leaf *leaf;
	unsigned long n = 0;
	u64 va, block_end;

	for (va = start; (leaf = neuf_pt_next_leaf(&vm->pt, &va, end));
	     va = block_end) {
		u64 pde;

		block_end = min(end, ALIGN(va + 1, NEUF_PT_LEAF_SIZE));
		/* No leaf table linked: nothing is mapped there. */
		pde = le64_to_cpu(READ_ONCE(*leaf->pde));
		if (!pde)
			continue;

		if (pde & NEUF_PTE_LEAF) {
			if (!unmap && (pde & NEUF_PTE_VALID)) {
				neuf_svm_pte_invalidate(leaf->pde);
				n += NEUF_SVM_WINDOW_PAGES;
			} else if (unmap) {
				neuf_svm_pte_unmap(vm, leaf->pde, leaf->huge,
						   NEUF_PT_LEAF_SIZE);
				leaf->huge = NULL;
				n += NEUF_SVM_WINDOW_PAGES;
			}
			continue;
		}

		for (; va < block_end; va += PAGE_SIZE) {
			unsigned int i = NEUF_PT_INDEX(va, 0);
			u64 old = le64_to_cpu(READ_ONCE(leaf->ptes[i]));

			if (!unmap && (old & NEUF_PTE_VALID)) {
				neuf_svm_pte_invalidate(&leaf->ptes[i]);
				n++;
			} else if (unmap && old) {
				neuf_svm_pte_unmap(vm, &leaf->ptes[i],
						   leaf->pages[i], PAGE_SIZE);
				leaf->pages[i] = NULL;
				n++;
			}
		}
	}
	return n;
}

/**
 * neuf_svm_clear() - unmap a range from the GPU
 * @vm: the VM, its lock held
 * @start: first address
 * @end: first address past the range
 *
 * Unmaps [@start, @end) in the order DMA requires: first the valid leaf
 * entries lose their valid bit (keeping their address), then the TLBs are
 * invalidated, once for the range, which returns only when no engine can
 * reach the pages any more, and only then are the pages' DMA mappings
 * undone and the entries cleared. Unmapping first would let an engine
 * still holding the translation reach a page the kernel may already have
 * reused. A 2 MiB page the range covers only in part goes whole: the GPU
 * faults the rest back in, with base pages if the CPU split its huge page.
 *
 * An entry the GPU wrote through has its DIRTY bit set by then, and the
 * page is marked dirty, as the CPU's own dirty bit is passed on when the
 * CPU unmaps a page. Callers make sure the CPU still maps the pages, so
 * their folios cannot be freed meanwhile: the invalidation callback runs
 * before the CPU's entries change, a fault commit after
 * mmu_interval_read_retry(), and neuf_svm_chunk_remove() before it removes
 * the notifier that holds off the CPU's unmapping.
 *
 * Nothing here sleeps or allocates: it runs in non-blockable
 * invalidations too.
 *
 * Return: the base pages that were mapped.
 */
unsigned long neuf_svm_clear(struct neuf_vm *vm, u64 start, u64 end)
{
	unsigned long cleared;

	lockdep_assert_held(&vm->lock);

	cleared = neuf_svm_clear_pass(vm, start, end, false);
	if (cleared) {
		neuf_hw_tlb_invalidate(vm->ndev, vm->instance, start, end);
		neuf_svm_clear_pass(vm, start, end, true);
	}
	return cleared;
}

/**
 * neuf_svm_clear_readonly() - unmap read-only pages a write is about to fault
 * @vm: the VM, its lock held
 * @start: first address of a fault window, which lies in one 2 MiB block
 * @pages: the pages of the window to look at, by index from @start
 * @npages: the size of the window in pages
 *
 * A write to a page the GPU maps read-only, such as the zero page a read of
 * fresh memory mapped, breaks COW in hmm_range_fault(), and each page's
 * COW break invalidates that page alone. Unmapping those entries first, with
 * one TLB invalidation for the window, leaves those invalidations nothing
 * to clear. Nothing is lost: the entries were read-only, so never dirty,
 * and the fault maps the pages again.
 *
 * Return: the pages unmapped.
 */
unsigned long neuf_svm_clear_readonly(struct neuf_vm *vm, u64 start,
				      const unsigned long *pages,
				      unsigned int npages)
{
	struct neuf_pt_leaf *leaf = neuf_pt_leaf(&vm->pt, start);
	unsigned int i, first = NEUF_PT_INDEX(start, 0);
	unsigned long n = 0;
	u64 pde, old;

	lockdep_assert_held(&vm->lock);

	if (!leaf)
		return 0;
	pde = le64_to_cpu(READ_ONCE(*leaf->pde));
	if (!(pde & NEUF_PTE_VALID) || (pde & NEUF_PTE_LEAF))
		return 0;
	for_each_set_bit(i, pages, npages) {
		old = le64_to_cpu(READ_ONCE(leaf->ptes[first + i]));
		if ((old & (NEUF_PTE_VALID | NEUF_PTE_WRITABLE)) ==
		    NEUF_PTE_VALID) {
			neuf_svm_pte_invalidate(&leaf->ptes[first + i]);
			n++;
		}
	}
	if (!n)
		return 0;

	neuf_hw_tlb_invalidate(vm->ndev, vm->instance, start,
			       start + ((u64)npages << PAGE_SHIFT));
	for_each_set_bit(i, pages, npages) {
		old = le64_to_cpu(READ_ONCE(leaf->ptes[first + i]));
		/* Under the VM lock, only these are held invalid. */
		if (old && !(old & NEUF_PTE_VALID)) {
			neuf_svm_pte_unmap(vm, &leaf->ptes[first + i],
					   leaf->pages[first + i], PAGE_SIZE);
			leaf->pages[first + i] = NULL;
		}
	}
	return n;
}

/* A non-blockable invalidation told to meet contention (fault injection). */
static bool neuf_svm_inject_contention(struct neuf_device *ndev)
{
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	return should_fail(&ndev->fail_nonblock_invalidate, 1);
#else
	return false;
#endif
}

static bool neuf_svm_invalidate(struct mmu_interval_notifier *mni,
				const struct mmu_notifier_range *range,
				unsigned long cur_seq)
{
	struct neuf_svm_chunk *chunk =
		container_of(mni, struct neuf_svm_chunk, notifier);
	struct neuf_vm *vm = chunk->vm;
	bool blockable = mmu_notifier_range_blockable(range);
	u64 start = max(range->start, chunk->start);
	u64 end = min(range->end, chunk->end);
	unsigned long cleared;

	/*
	 * Our own making of a page device-exclusive for an atomic: the page
	 * stays where it is and becomes ours alone; the fault that asked
	 * for it maps it next, under the page lock. Not an invalidation.
	 */
	if (range->event == MMU_NOTIFY_EXCLUSIVE && range->owner == vm->ndev)
		return true;

	if (blockable)
		mutex_lock(&vm->lock);
	else if (neuf_svm_inject_contention(vm->ndev) ||
		 !mutex_trylock(&vm->lock))
		return false;

	mmu_interval_set_seq(mni, cur_seq);
	cleared = neuf_svm_clear(vm, start, end);
	neuf_svm_check_cleared(vm, start, end);
	neuf_vm_stat_add(vm, NEUF_STAT_INVALIDATIONS, 1);
	neuf_vm_stat_add(vm, NEUF_STAT_PAGES_INVALIDATED, cleared);
	/* The CPU took back a page it had made exclusive to a device. */
	if (range->event == MMU_NOTIFY_EXCLUSIVE && cleared)
		neuf_dmem_stat_add(vm->ndev, NEUF_DMEM_EXCLUSIVE_REVOKES, 1);
	trace_neuf_svm_invalidate(vm->instance, start, end, range->event,
				  blockable, cleared);
	mutex_unlock(&vm->lock);

	if (range->event == MMU_NOTIFY_UNMAP)
		neuf_svm_queue_gc(chunk, start, end);
	return true;
}

static const struct mmu_interval_notifier_ops neuf_svm_notifier_ops = {
	.invalidate = neuf_svm_invalidate,
};

/**
 * neuf_svm_chunk_get() - the notifier covering an address, inserted if new
 * @vm: the VM
 * @addr: a user address
 *
 * Called by the VM's SVM worker, without the mmap_lock; the chunk stays
 * valid until the worker returns (removal runs in the same worker, which
 * is also why an existing chunk can be looked up without the lock).
 *
 * Return: the chunk, or an ERR_PTR() (-ENOMEM, or what inserting the
 * notifier returned).
 */
struct neuf_svm_chunk *neuf_svm_chunk_get(struct neuf_vm *vm, u64 addr)
{
	unsigned long index = addr >> vm->chunk_shift;
	struct neuf_svm_chunk *chunk;
	int ret;

	chunk = xa_load(&vm->chunks, index);
	if (chunk)
		return chunk;

	mutex_lock(&vm->chunks_lock);
	chunk = xa_load(&vm->chunks, index);
	if (chunk)
		goto out;

	chunk = kzalloc(sizeof(*chunk), GFP_KERNEL);
	if (!chunk) {
		chunk = ERR_PTR(-ENOMEM);
		goto out;
	}
	chunk->vm = vm;
	chunk->start = index << vm->chunk_shift;
	chunk->end = chunk->start + BIT(vm->chunk_shift);
	INIT_LIST_HEAD(&chunk->gc_link);

	ret = xa_insert(&vm->chunks, index, chunk, GFP_KERNEL);
	if (ret) {
		kfree(chunk);
		chunk = ERR_PTR(ret);
		goto out;
	}

	ret = mmu_interval_notifier_insert(&chunk->notifier, vm->mm,
					   chunk->start,
					   chunk->end - chunk->start,
					   &neuf_svm_notifier_ops);
	if (ret) {
		xa_erase(&vm->chunks, index);
		kfree(chunk);
		chunk = ERR_PTR(ret);
		goto out;
	}
	neuf_vm_stat_add(vm, NEUF_STAT_NOTIFIERS, 1);
out:
	mutex_unlock(&vm->chunks_lock);
	return chunk;
}

/*
 * Unmap [@start, @end), 2 MiB aligned, from the GPU and free its leaf
 * tables, which no walk can reach once their directory entries are gone
 * and the TLBs invalidated. The caller makes sure that nothing maps the
 * range meanwhile: faults run in the VM's SVM worker, which is the
 * caller, or no longer run at all. A later fault creates new tables first.
 */
static void neuf_svm_release(struct neuf_vm *vm, u64 start, u64 end)
{
	struct neuf_pt_leaf *leaf;
	bool linked = false;
	u64 va;

	mutex_lock(&vm->lock);
	neuf_svm_clear(vm, start, end);
	for (va = start; va < end; va += NEUF_SVM_BLOCK_SIZE) {
		leaf = neuf_pt_leaf(&vm->pt, va);
		if (leaf && READ_ONCE(*leaf->pde)) {
			WRITE_ONCE(*leaf->pde, 0);
			linked = true;
		}
	}
	if (linked)
		neuf_hw_tlb_invalidate(vm->ndev, vm->instance, start, end);
	mutex_unlock(&vm->lock);

	for (va = start; va < end; va += NEUF_SVM_BLOCK_SIZE) {
		/* The callback looks leaves up under the VM lock. */
		mutex_lock(&vm->lock);
		leaf = neuf_pt_leaf_detach(&vm->pt, va);
		mutex_unlock(&vm->lock);
		if (leaf)
			neuf_pt_leaf_free(&vm->pt, leaf);
	}
}

static void neuf_svm_chunk_remove(struct neuf_vm *vm,
				  struct neuf_svm_chunk *chunk)
{
	lockdep_assert_held(&vm->chunks_lock);

	xa_erase(&vm->chunks, chunk->start >> vm->chunk_shift);

	/*
	 * Without its notifier nothing would clear the chunk's PTEs any more:
	 * clear them now, while the notifier still holds off the CPU's
	 * unmapping of the pages (their dirty bits are passed on), and free
	 * the chunk's leaf tables. A later fault inserts a new notifier first.
	 */
	neuf_svm_release(vm, chunk->start, chunk->end);

	mmu_interval_notifier_remove(&chunk->notifier);

	/* No callback can queue the chunk for collection any more. */
	spin_lock(&vm->gc_lock);
	list_del_init(&chunk->gc_link);
	spin_unlock(&vm->gc_lock);

	atomic64_dec(&vm->stats[NEUF_STAT_NOTIFIERS]);
	kfree(chunk);
}

/*
 * Collect a chunk an unmap touched: remove it if no VMA is left in it,
 * otherwise free the leaf tables of the @blocks (those the unmaps touched)
 * that no VMA intersects any more. A process that is gone leaves nothing.
 */
static void neuf_svm_chunk_collect(struct neuf_vm *vm,
				   struct neuf_svm_chunk *chunk,
				   unsigned long *blocks)
{
	unsigned int nblocks = (chunk->end - chunk->start) >> NEUF_SVM_BLOCK_SHIFT;
	bool unused = true;
	unsigned int b;
	u64 va;

	if (mmget_not_zero(vm->mm)) {
		mmap_read_lock(vm->mm);
		unused = !find_vma_intersection(vm->mm, chunk->start,
						chunk->end);
		for_each_set_bit(b, blocks, nblocks) {
			va = chunk->start + ((u64)b << NEUF_SVM_BLOCK_SHIFT);
			if (unused || find_vma_intersection(vm->mm, va,
							    va + NEUF_SVM_BLOCK_SIZE))
				__clear_bit(b, blocks);
		}
		mmap_read_unlock(vm->mm);
		/* Not the exiting process's exit_mmap() in our worker. */
		mmput_async(vm->mm);
	}

	if (unused) {
		neuf_svm_chunk_remove(vm, chunk);
		return;
	}
	for_each_set_bit(b, blocks, nblocks) {
		va = chunk->start + ((u64)b << NEUF_SVM_BLOCK_SHIFT);
		neuf_svm_release(vm, va, va + NEUF_SVM_BLOCK_SIZE);
	}
}

/**
 * neuf_svm_chunks_gc() - collect the chunks unmaps touched
 * @vm: the VM
 *
 * Removes the notifiers of chunks with no mapping left and frees the leaf
 * tables of the blocks an unmap left without one. Called by the VM's SVM
 * worker, under &neuf_vm.fault_lock, so never concurrently with the VM's
 * fault resolution.
 */
void neuf_svm_chunks_gc(struct neuf_vm *vm)
{
	DECLARE_BITMAP(blocks, NEUF_SVM_MAX_CHUNK_BLOCKS);
	struct neuf_svm_chunk *chunk;
	bool idle;

	lockdep_assert_held(&vm->fault_lock);

	spin_lock(&vm->gc_lock);
	idle = list_empty(&vm->gc_list);
	spin_unlock(&vm->gc_lock);
	if (idle)
		return;

	mutex_lock(&vm->chunks_lock);
	for (;;) {
		spin_lock(&vm->gc_lock);
		chunk = list_first_entry_or_null(&vm->gc_list,
						 struct neuf_svm_chunk, gc_link);
		if (chunk) {
			list_del_init(&chunk->gc_link);
			bitmap_copy(blocks, chunk->gc_blocks,
				    NEUF_SVM_MAX_CHUNK_BLOCKS);
			bitmap_zero(chunk->gc_blocks,
				    NEUF_SVM_MAX_CHUNK_BLOCKS);
		}
		spin_unlock(&vm->gc_lock);
		if (!chunk)
			break;

		neuf_svm_chunk_collect(vm, chunk, blocks);
	}
	mutex_unlock(&vm->chunks_lock);
}

/**
 * neuf_svm_chunks_fini() - remove all notifiers of a VM
 * @vm: the VM, being released (no job, file or worker references it any
 *	more) or of a device being removed (no fault worker runs any more)
 *
 * The chunks' notifiers and the attribute ranges' go. Idempotent: nothing
 * inserts a notifier again in either case.
 */
void neuf_svm_chunks_fini(struct neuf_vm *vm)
{
	struct neuf_svm_chunk *chunk;
	unsigned long index;

	neuf_svm_attrs_fini(vm);

	mutex_lock(&vm->chunks_lock);
	xa_for_each(&vm->chunks, index, chunk)
		neuf_svm_chunk_remove(vm, chunk);
	mutex_unlock(&vm->chunks_lock);
	xa_destroy(&vm->chunks);
	/* No entry left: no DMA mapping either. */
	neuf_svm_check_vm(vm);

	/*
	 * With no notifier left nothing queues it for collection again, and
	 * the fault worker holds a reference while it hands faults over.
	 */
	cancel_work_sync(&vm->svm_work);
}

/**
 * neuf_svm_vm_init() - set up the SVM state of a new VM
 * @vm: the VM
 *
 * Also tells lockdep up front that &neuf_vm.lock is taken under reclaim
 * (by the invalidation callback), so an allocation under it is reported
 * even if reclaim never happens to call the callback during a test.
 *
 * Return: 0 or -ENOMEM.
 */
int neuf_svm_vm_init(struct neuf_vm *vm)
{
	vm->window = kvzalloc(sizeof(*vm->window), GFP_KERNEL);
	if (!vm->window)
		return -ENOMEM;
	vm->chunk_shift = ilog2(READ_ONCE(neuf_svm_notifier_mib)) + 20;
	mutex_init(&vm->lock);
	mutex_init(&vm->fault_lock);
	mutex_init(&vm->chunks_lock);
	xa_init(&vm->chunks);
	mutex_init(&vm->attr_lock);
	spin_lock_init(&vm->attr_tree_lock);
	vm->attrs = RB_ROOT_CACHED;
	INIT_LIST_HEAD(&vm->attr_gc);
	xa_init(&vm->placed);
	spin_lock_init(&vm->gc_lock);
	INIT_LIST_HEAD(&vm->gc_list);
	INIT_LIST_HEAD(&vm->fault_link);
	INIT_WORK(&vm->svm_work, neuf_svm_vm_work);

	if (IS_ENABLED(CONFIG_LOCKDEP)) {
		fs_reclaim_acquire(GFP_KERNEL);
		might_lock(&vm->lock);
		fs_reclaim_release(GFP_KERNEL);
	}
	return 0;
}

/**
 * neuf_svm_vm_fini() - free the SVM state of a VM
 * @vm: the VM, whose notifiers are gone (neuf_svm_chunks_fini()) or were
 *	never inserted
 */
void neuf_svm_vm_fini(struct neuf_vm *vm)
{
	mutex_destroy(&vm->attr_lock);
	mutex_destroy(&vm->chunks_lock);
	mutex_destroy(&vm->fault_lock);
	mutex_destroy(&vm->lock);
	kvfree(vm->window);
}
