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
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include <drm/drm_drv.h>

#include "neuf_compat.h"
#include "neuf_dmem.h"
#include "neuf_drv.h"
#include "neuf_hw.h"
#include "neuf_job.h"
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
 * and access (strongest first), and folds duplicates. A drain with the
 * faults of several VMs hands each VM's part to that VM's SVM worker
 * (&neuf_vm.svm_work), so that different VMs are served concurrently, by
 * at most %NEUF_SVM_MAX_WORKERS workers; one VM's faults, or every VM's
 * with module parameter fault_concurrency=0, it resolves itself. Either
 * way a VM's faults are resolved under its fault lock, window by window:
 * the faults of one window through one hmm_range_fault() in the
 * mmu_interval_read_begin() / mmu_interval_read_retry() loop, their PTEs
 * written under the VM lock. A
 * fault that cannot be resolved (no mapping, no permission, the process is
 * gone) is cancelled on each engine that reported it, which ends that
 * dispatch with -EFAULT. Once every VM of the drain is done, one REPLAY
 * restarts every stalled wave, and the fault worker drains again until
 * the buffer stays empty.
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
		f->engines = engine < ndev->caps.engines ? BIT(engine) : 0;
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
 * The techniques of the fault path, each of which can be switched off to
 * measure what it buys (make bench's ablation) or to isolate a problem.
 * Read at each fault; changing one affects the faults that follow.
 */
static bool neuf_svm_windows = true;
module_param_named(fault_windows, neuf_svm_windows, bool, 0644);
MODULE_PARM_DESC(fault_windows,
		 "Resolve faults over windows of their 2 MiB block within the VMA, mapping what the CPU maps around them (default on)");

static bool neuf_svm_huge = true;
module_param_named(huge_pages, neuf_svm_huge, bool, 0644);
MODULE_PARM_DESC(huge_pages,
		 "Map a transparent huge page with one 2 MiB GPU page (default on)");

static bool neuf_svm_writable_on_read = true;
module_param_named(writable_on_read, neuf_svm_writable_on_read, bool, 0644);
MODULE_PARM_DESC(writable_on_read,
		 "Map a page writable on a read fault when the CPU maps it writable (default on)");

static bool neuf_svm_concurrent = true;
module_param_named(fault_concurrency, neuf_svm_concurrent, bool, 0644);
MODULE_PARM_DESC(fault_concurrency,
		 "Serve the faults of different VMs concurrently, one worker per VM (default on)");

static bool neuf_svm_access_writes(u8 access)
{
	return access == NEUF_ACCESS_WRITE || access == NEUF_ACCESS_ATOMIC;
}

/*
 * The permissions to map page @i of the window with, 0 to leave it alone:
 * writable when the CPU maps it writable and either the batch writes it or
 * a read may be given what the CPU allows. Private COW pages are read-only
 * in the CPU's page table, so they stay read-only until the GPU writes and
 * the write fault breaks COW.
 *
 * A writable entry starts clean. The GPU's MMU sets its DIRTY bit on the
 * first write through it, and whoever unmaps it passes that on to the
 * page (neuf_svm_clear()), as the CPU's dirty bit is passed on when the
 * CPU unmaps a page: every cleaning of a page (writeback's
 * page_mkclean(), MADV_FREE, reclaim) invalidates the GPU's mapping first,
 * so no GPU write is lost, and pages the GPU only read stay clean.
 */
static u64 neuf_svm_perm(const struct neuf_vm *vm,
			 const struct neuf_svm_window *w, unsigned int i)
{
	unsigned long pfn = w->pfns[i];

	if (!(pfn & HMM_PFN_VALID) || (pfn & HMM_PFN_ERROR))
		return 0;
	if (!(pfn & HMM_PFN_WRITE) || test_bit(i, w->ro) ||
	    (!test_bit(i, w->write) && !READ_ONCE(neuf_svm_writable_on_read)))
		return NEUF_PTE_VALID;
	/*
	 * Atomics on system memory need ATOMIC only where they are not
	 * coherent; there it is granted with exclusive access alone
	 * (neuf_svm_resolve_atomic()).
	 */
	if (test_bit(i, w->atomic) ||
	    (vm->ndev->caps.features & NEUF_FEATURE_SYSMEM_ATOMICS))
		return NEUF_PTE_VALID | NEUF_PTE_WRITABLE | NEUF_PTE_ATOMIC;
	return NEUF_PTE_VALID | NEUF_PTE_WRITABLE;
}

/*
 * Map the window's block with one 2 MiB page if the CPU maps it with a
 * huge page. Returns 0 when done, -ENOTBLK to map it with base pages
 * instead, or -ENOMEM.
 */
static int neuf_svm_commit_huge(struct neuf_vm *vm, struct neuf_pt_leaf *leaf,
				struct neuf_svm_window *w)
{
	struct device *dev = vm->ndev->drm.dev;
	unsigned long first = w->pfns[0], last = w->pfns[w->npages - 1];
	u64 old, perm = NEUF_PTE_VALID, new;
	struct page *page;
	dma_addr_t dma;
	unsigned int i;

	if (w->npages != NEUF_SVM_WINDOW_PAGES || !READ_ONCE(neuf_svm_huge) ||
	    !(vm->ndev->caps.page_sizes & NEUF_PT_LEAF_SIZE))
		return -ENOTBLK;
	if (!(first & HMM_PFN_VALID) || (first & HMM_PFN_ERROR) ||
	    hmm_pfn_to_map_order(first) < NEUF_PT_LEAF_SHIFT - PAGE_SHIFT ||
	    (last & ~HMM_PFN_FLAGS) != (first & ~HMM_PFN_FLAGS) + w->npages - 1 ||
	    (last & HMM_PFN_FLAGS) != (first & HMM_PFN_FLAGS))
		return -ENOTBLK;

	/* One folio, one set of permissions: the strongest any page gets. */
	for (i = 0; i < w->npages; i++) {
		perm |= neuf_svm_perm(vm, w, i);
		if (perm & NEUF_PTE_WRITABLE)
			break;
	}
	/* Unless that would let the GPU write where it may only read. */
	if ((perm & NEUF_PTE_WRITABLE) && !bitmap_empty(w->ro, w->npages))
		return -ENOTBLK;
	old = le64_to_cpu(READ_ONCE(*leaf->pde));
	if ((old & (NEUF_PTE_VALID | NEUF_PTE_LEAF)) ==
	    (NEUF_PTE_VALID | NEUF_PTE_LEAF) && (old & perm) == perm)
		return 0;

	page = hmm_pfn_to_page(first);
	dma = dma_map_page_attrs(dev, page, 0, NEUF_PT_LEAF_SIZE,
				 neuf_svm_dma_dir(perm), DMA_ATTR_SKIP_CPU_SYNC);
	if (dma_mapping_error(dev, dma))
		return -ENOTBLK;
	if (!IS_ALIGNED(dma, NEUF_PT_LEAF_SIZE)) {
		/* An IOMMU gave an address the MMU cannot map as one page. */
		dma_unmap_page_attrs(dev, dma, NEUF_PT_LEAF_SIZE,
				     neuf_svm_dma_dir(perm),
				     DMA_ATTR_SKIP_CPU_SYNC);
		return -ENOTBLK;
	}

	/* Base pages mapped so far go first (the leaf table stays). */
	if (old && !(old & NEUF_PTE_LEAF))
		neuf_svm_clear(vm, w->start, w->end);
	new = dma | perm | NEUF_PTE_LEAF;
	leaf->huge = page;
	WRITE_ONCE(*leaf->pde, cpu_to_le64(new));
	/* A valid directory entry changed, or a 2 MiB page's permissions. */
	if (old)
		neuf_hw_tlb_invalidate(vm->ndev, vm->instance, w->start,
				       w->end);
	if (old & NEUF_PTE_LEAF) {
		neuf_svm_dma_unmap(dev, old, NEUF_PT_LEAF_SIZE);
		neuf_vm_dma_pages_add(vm, -(s64)w->npages);
	}
	neuf_vm_dma_pages_add(vm, w->npages);
	neuf_vm_stat_add(vm, NEUF_STAT_PAGES_MAPPED, w->npages);
	neuf_vm_stat_add(vm, NEUF_STAT_HUGE_MAPPED, 1);
	trace_neuf_svm_map(vm->instance, w->start, new);
	return 0;
}

/*
 * Map every page of the window the CPU maps, with the permissions of
 * neuf_svm_perm(). Valid entries that already allow as much are left as
 * they are: they are exact, as any CPU change would have invalidated them
 * first, and a read never downgrades them. A read-only entry's page is
 * mapped DMA_TO_DEVICE, a writable one's DMA_BIDIRECTIONAL, so an upgrade
 * maps the page anew and replaces the entry; the old mappings are undone
 * once one TLB invalidation of the window dropped them. A page in this
 * device's VRAM (hmm_range_fault() returns it, the device being its
 * owner) gets a VRAM entry, its offset, and no DMA mapping.
 */
static int neuf_svm_commit_pages(struct neuf_vm *vm, struct neuf_pt_leaf *leaf,
				 struct neuf_svm_window *w)
{
	struct device *dev = vm->ndev->drm.dev;
	unsigned int i, nold = 0, mapped = 0, dma_mapped = 0, dma_unmapped = 0;
	u64 pde = le64_to_cpu(READ_ONCE(*leaf->pde));
	int ret = 0;

	/* A 2 MiB page the CPU no longer maps with one: base pages now. */
	if (pde & NEUF_PTE_LEAF)
		neuf_svm_clear(vm, ALIGN_DOWN(w->start, NEUF_PT_LEAF_SIZE),
			       ALIGN_DOWN(w->start, NEUF_PT_LEAF_SIZE) +
			       NEUF_PT_LEAF_SIZE);

	for (i = 0; i < w->npages; i++) {
		u64 va = w->start + ((u64)i << PAGE_SHIFT);
		__le64 *pte = &leaf->ptes[NEUF_PT_INDEX(va, 0)];
		u64 old = le64_to_cpu(READ_ONCE(*pte)), perm, new, offset;
		struct page *page = hmm_pfn_to_page(w->pfns[i]);
		dma_addr_t dma;

		perm = neuf_svm_perm(vm, w, i);
		if (!perm || ((old & NEUF_PTE_VALID) &&
			      ((old & perm) == perm || !test_bit(i, w->want))))
			continue;

		if (neuf_dmem_page_offset(vm->ndev, page, &offset)) {
			/* In our VRAM: reached by offset, no DMA mapping. */
			new = offset | perm | NEUF_PTE_VRAM;
		} else {
			/*
			 * Mapping neither sleeps nor allocates from reclaim,
			 * so it may happen under the VM lock. Cache-coherent
			 * DMA: SVM needs a GPU coherent with the CPUs, which
			 * both touch the pages at once, so there is no cache
			 * maintenance to do, and the same page may be mapped
			 * by several VMs.
			 */
			dma = dma_map_page_attrs(dev, page, 0, PAGE_SIZE,
						 neuf_svm_dma_dir(perm),
						 DMA_ATTR_SKIP_CPU_SYNC);
			if (dma_mapping_error(dev, dma)) {
				ret = -ENOMEM;
				break;
			}
			new = dma | perm;
			dma_mapped++;
		}
		leaf->pages[i + NEUF_PT_INDEX(w->start, 0)] = page;
		WRITE_ONCE(*pte, cpu_to_le64(new));
		trace_neuf_svm_map(vm->instance, va, new);
		mapped++;
		if (old & NEUF_PTE_VALID) {
			w->old[nold++] = old;
			if (!(old & NEUF_PTE_VRAM))
				dma_unmapped++;
		}
	}

	if (mapped) {
		neuf_vm_dma_pages_add(vm, dma_mapped);
		neuf_vm_stat_add(vm, NEUF_STAT_PAGES_MAPPED, mapped);
		/* Entries first, then the directory entry that leads there. */
		if (!(pde & NEUF_PTE_VALID) || (pde & NEUF_PTE_LEAF)) {
			dma_wmb();
			WRITE_ONCE(*leaf->pde,
				   cpu_to_le64(leaf->dma | NEUF_PTE_VALID));
		}
	}
	if (nold) {
		/* The replaced entries may be cached: drop them, then unmap. */
		neuf_hw_tlb_invalidate(vm->ndev, vm->instance, w->start, w->end);
		for (i = 0; i < nold; i++)
			neuf_svm_dma_unmap(dev, w->old[i], PAGE_SIZE);
		neuf_vm_dma_pages_add(vm, -(s64)dma_unmapped);
	}
	return ret;
}

/*
 * Write the window's PTEs. Called under the VM lock once
 * mmu_interval_read_retry() confirmed that no invalidation ran since
 * hmm_range_fault() filled @w->pfns, so the CPU still maps every page
 * found. Return: 0 or -ENOMEM.
 */
static int neuf_svm_commit(struct neuf_vm *vm, struct neuf_svm_window *w)
{
	struct neuf_pt_leaf *leaf = neuf_pt_leaf(&vm->pt, w->start);
	int ret;

	lockdep_assert_held(&vm->lock);

	ret = neuf_svm_commit_huge(vm, leaf, w);
	if (ret == -ENOTBLK)
		ret = neuf_svm_commit_pages(vm, leaf, w);
	neuf_svm_check_window(vm, w);
	return ret;
}

/*
 * Bound @w for a fault at @addr in @vma: the 2 MiB block around it, as
 * much of it as @vma covers (one leaf table, one interval-notifier chunk,
 * and, where @vma covers it whole and the CPU maps it with a huge page,
 * one 2 MiB GPU page), or the page alone with @single or without fault
 * windows.
 */
static void neuf_svm_window_bounds(struct vm_area_struct *vma,
				   unsigned long addr, bool single,
				   struct neuf_svm_window *w)
{
	unsigned long block = ALIGN_DOWN(addr, NEUF_SVM_BLOCK_SIZE);

	if (single || !READ_ONCE(neuf_svm_windows)) {
		w->start = addr;
		w->end = addr + PAGE_SIZE;
	} else {
		w->start = max(block, vma->vm_start);
		w->end = min(block + NEUF_SVM_BLOCK_SIZE, vma->vm_end);
	}
	w->npages = (w->end - w->start) >> PAGE_SHIFT;
}

/*
 * Choose the window of the first fault, with the mmap_lock held, and fill
 * in which pages the faults of the batch (sorted by address, all of one
 * VM) ask for: @consumed of them fall in the window. With @single, only the
 * first fault, in a window of its page.
 *
 * Memory the kernel itself must not reach (memfd_secret()) is refused, as
 * GUP refuses it; so are VM_IO and VM_PFNMAP mappings, which
 * hmm_range_fault() would refuse anyway.
 *
 * A page to write is faulted with %HMM_PFN_REQ_WRITE, which takes the
 * CPU's write fault only where the CPU's entry is not writable: that
 * breaks COW, and lets a filesystem that tracks dirty pages know
 * (page_mkwrite()), as a CPU store would.
 */
static int neuf_svm_window_setup(struct neuf_vm *vm,
				 const struct neuf_fault *faults,
				 unsigned int n, bool single,
				 struct neuf_svm_window *w,
				 unsigned int *consumed)
{
	unsigned long addr = faults[0].addr & PAGE_MASK;
	struct vm_area_struct *vma = vma_lookup(vm->mm, addr);
	unsigned int i, k;

	*consumed = 1;
	if (!vma || vma->vm_flags & (VM_IO | VM_PFNMAP))
		return -EFAULT;
	if (vma->vm_file &&
	    file_inode(vma->vm_file)->i_sb->s_magic == SECRETMEM_MAGIC)
		return -EFAULT;

	neuf_svm_window_bounds(vma, addr, single, w);
	bitmap_zero(w->want, w->npages);
	bitmap_zero(w->write, w->npages);
	bitmap_zero(w->atomic, w->npages);
	for (k = 0; k < (single ? 1 : n); k++) {
		u64 page = faults[k].addr & PAGE_MASK;

		if (page >= w->end)
			break;
		i = (page - w->start) >> PAGE_SHIFT;
		__set_bit(i, w->want);
		if (neuf_svm_access_writes(faults[k].access))
			__set_bit(i, w->write);
	}
	*consumed = k;

	/* A GPU write where the GPU may only read fails like a CPU one. */
	neuf_svm_attr_gpu_read_only(vm, w->start, w->npages, w->ro);
	if (bitmap_intersects(w->write, w->ro, w->npages))
		return -EFAULT;

	for (i = 0; i < w->npages; i++) {
		w->pfns[i] = 0;
		if (test_bit(i, w->want))
			w->pfns[i] = HMM_PFN_REQ_FAULT;
		if (test_bit(i, w->write))
			w->pfns[i] |= HMM_PFN_REQ_WRITE;
	}
	return 0;
}

/*
 * Whether a page of the window the batch writes is in this device's VRAM
 * but mapped read-only by the CPU (shared copy-on-write since a fork):
 * hmm_range_fault() reports such pages as they are, without the write
 * fault that would break COW, so they must first go back to system
 * memory, where it will.
 */
static bool neuf_svm_vram_cow(struct neuf_vm *vm,
			      const struct neuf_svm_window *w)
{
	unsigned int i;
	u64 offset;

	for_each_set_bit(i, w->write, w->npages) {
		unsigned long pfn = w->pfns[i];

		if ((pfn & HMM_PFN_VALID) && !(pfn & HMM_PFN_WRITE) &&
		    neuf_dmem_page_offset(vm->ndev, hmm_pfn_to_page(pfn),
					  &offset))
			return true;
	}
	return false;
}

/*
 * The first address past what the GPU translates: its VA_BITS, at most
 * what four levels of tables reach. On a CPU with 5-level paging a
 * process may map above it; the GPU cannot reach that.
 */
static u64 neuf_svm_va_end(const struct neuf_device *ndev)
{
	return BIT_ULL(min_t(u32, ndev->caps.va_bits,
			     NEUF_PT_SHIFT(NEUF_PT_LEVELS)));
}

/*
 * Whether @addr of @mm, which the caller holds a user of, lies in a VMA
 * hmm_range_fault() can look into.
 */
static bool neuf_svm_mirrorable(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma;
	bool ok;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	ok = vma && neuf_svm_vma_mirrorable(vma);
	mmap_read_unlock(mm);
	return ok;
}

/*
 * Resolve the faults of a window: fault in on the CPU side the pages they
 * ask for and mirror the whole window, in the mmu_interval_read_begin() /
 * hmm_range_fault() / mmu_interval_read_retry() loop, with one
 * hmm_range_fault() and one page-table commit per pass. @faults are the
 * rest of the batch's faults of @vm, sorted by address; @consumed says
 * how many of them the window covered. Returns 0, or a negative errno if
 * the accesses cannot all be satisfied.
 */
static int neuf_svm_resolve(struct neuf_vm *vm, const struct neuf_fault *faults,
			    unsigned int n, bool single,
			    struct neuf_svm_window *w, unsigned int *consumed)
{
	unsigned long page = faults[0].addr & PAGE_MASK;
	unsigned long timeout;
	struct neuf_svm_chunk *chunk;
	struct hmm_range range = {};
	int ret;

	*consumed = 1;
	if (page >= TASK_SIZE_MAX || page >= neuf_svm_va_end(vm->ndev))
		return -EFAULT;
	if (!mmget_not_zero(vm->mm))
		return -ESRCH;

	/*
	 * Nothing is made for a block where nothing can be mapped: a shader
	 * touching holes or PROT_NONE reservations would otherwise have a
	 * notifier and tables made for each block it touches.
	 */
	if (!neuf_pt_leaf(&vm->pt, page) &&
	    !neuf_svm_mirrorable(vm->mm, page)) {
		ret = -EFAULT;
		goto out;
	}

	/* Every window lies in one block, so one chunk and one leaf table. */
	chunk = neuf_svm_chunk_get(vm, page);
	if (IS_ERR(chunk)) {
		ret = PTR_ERR(chunk);
		goto out;
	}
	ret = neuf_pt_prepare(&vm->pt, page);
	if (ret)
		goto out;

	/*
	 * The placement policy first: its migration invalidates the window.
	 * Only ranges with attributes have one (a racy peek: a hint).
	 */
	if (vm->ndev->dmem && !RB_EMPTY_ROOT(&vm->attrs.rb_root)) {
		mmap_read_lock(vm->mm);
		neuf_svm_attr_place(vm, vma_lookup(vm->mm, page), page);
		mmap_read_unlock(vm->mm);
	}

	range.notifier = &chunk->notifier;
	range.hmm_pfns = w->pfns;
	range.pfn_flags_mask = HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE;
	range.dev_private_owner = vm->ndev;

	timeout = jiffies + msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	for (;;) {
		if (time_after(jiffies, timeout)) {
			ret = -EBUSY;
			break;
		}

		range.notifier_seq = mmu_interval_read_begin(range.notifier);
		mmap_read_lock(vm->mm);
		ret = neuf_svm_window_setup(vm, faults, n, single, w,
					    consumed);
		if (!ret) {
			/* Writes: no entry to clear for each COW break. */
			if (!bitmap_empty(w->write, w->npages)) {
				mutex_lock(&vm->lock);
				neuf_svm_clear_readonly(vm, w->start, w->write,
							w->npages);
				mutex_unlock(&vm->lock);
			}
			range.start = w->start;
			range.end = w->end;
			ret = hmm_range_fault(&range);
			if (!ret && neuf_svm_vram_cow(vm, w)) {
				struct vm_area_struct *vma =
					vma_lookup(vm->mm, w->start);

				ret = neuf_dmem_migrate_window(vm->ndev, vma,
							       w->start,
							       w->end, false);
				ret = ret < 0 ? ret : -EBUSY;
			}
		}
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
		ret = neuf_svm_commit(vm, w);
		mutex_unlock(&vm->lock);
		neuf_vm_stat_add(vm, NEUF_STAT_WINDOWS, 1);
		break;
	}
	/* The VMA may have gone before the notifier came: collect. */
	if (ret == -EFAULT)
		neuf_svm_queue_gc(chunk, page, page + PAGE_SIZE);
out:
	/*
	 * The process may have exited meanwhile: never run its exit_mmap()
	 * here, in the worker of its VM.
	 */
	mmput_async(vm->mm);
	/* hmm_range_fault() refuses a write to a read-only mapping so. */
	return ret == -EPERM ? -EFAULT : ret;
}

/*
 * Cancel fault @f on each engine that reported it: its dispatch ends with
 * @error (-EFAULT unless the kernel, not the process, is why).
 */
static void neuf_svm_cancel(struct neuf_device *ndev,
			    const struct neuf_fault *f, int error)
{
	unsigned long engines = f->engines;
	unsigned int e;

	for_each_set_bit(e, &engines, NEUF_MAX_ENGINES) {
		if (error != -EFAULT)
			neuf_engine_note_cancel(&ndev->engines[e], f->instance,
						error);
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

/*
 * The end of a resolution of @n faults: a fault that cannot be resolved is
 * cancelled, unless it is a prefetch (which never fails) or invalidations
 * kept racing it for the whole timeout (-EBUSY): that is no fault of the
 * shader's, so it stays stalled and the replay brings it back for another
 * try. Returns how many faults were cancelled.
 */
static unsigned int neuf_svm_settle(struct neuf_device *ndev,
				    struct neuf_vm *vm,
				    const struct neuf_fault *faults,
				    unsigned int n, int ret)
{
	unsigned int i, cancelled = 0;

	if (!ret || ret == -EBUSY)
		return 0;
	for (i = 0; i < n; i++) {
		if (faults[i].access == NEUF_ACCESS_PREFETCH)
			continue;
		neuf_vm_stat_add(vm, NEUF_STAT_CANCELS, 1);
		neuf_svm_cancel(ndev, &faults[i],
				ret == -ENOMEM ? -ENOMEM : -EFAULT);
		cancelled++;
	}
	return cancelled;
}

/*
 * Whether an atomic at @addr must go the device-exclusive way: the
 * hardware's atomics on system memory are not coherent, and the GPU maps
 * the page already, writable, from system memory (an atomic on a page the
 * GPU does not map yet is resolved as a write first: the page may be in
 * VRAM, where atomics need nothing).
 */
static bool neuf_svm_wants_exclusive(struct neuf_vm *vm, u64 addr, bool *huge)
{
	struct neuf_pt_leaf *leaf;
	bool exclusive = false;
	u64 pde, pte;

	if (vm->ndev->caps.features & NEUF_FEATURE_SYSMEM_ATOMICS)
		return false;
	mutex_lock(&vm->lock);
	leaf = neuf_pt_leaf(&vm->pt, addr);
	if (leaf) {
		pde = le64_to_cpu(READ_ONCE(*leaf->pde));
		*huge = pde & NEUF_PTE_LEAF;
		pte = pde & NEUF_PTE_LEAF ? pde :
		      le64_to_cpu(READ_ONCE(leaf->ptes[NEUF_PT_INDEX(addr, 0)]));
		exclusive = (pde & NEUF_PTE_VALID) &&
			    (pte & (NEUF_PTE_VALID | NEUF_PTE_WRITABLE |
				    NEUF_PTE_VRAM)) ==
			    (NEUF_PTE_VALID | NEUF_PTE_WRITABLE);
	}
	mutex_unlock(&vm->lock);
	return exclusive;
}

/*
 * An atomic on a system page whose atomics are not coherent: make the page
 * device-exclusive (its CPU entry becomes a device-exclusive entry, whose
 * next CPU access takes it back and so invalidates our mapping), then map
 * it with ATOMIC while the page lock keeps the exclusive entry in place.
 *
 * 6.12 makes no page of a transparent huge page exclusive but its head,
 * and splits only the PMD mapping trying (FOLL_SPLIT_PMD), after which
 * migrate_vma cannot move the still large folio either. So a page the GPU
 * maps as part of a 2 MiB page (@huge) goes to VRAM first, whose atomics
 * need no permission, while migrate_vma can still split the THP; so does a
 * page that cannot be made exclusive. -EAGAIN then asks for the ordinary
 * resolution. When nothing moves (no device memory, or the THP already
 * PTE-mapped) the fault is retried until the resolution timeout, then the
 * atomic fails. Returns 0, -EAGAIN, -EBUSY to be retried after the
 * replay, or an error that cancels the fault.
 */
static int neuf_svm_resolve_atomic(struct neuf_vm *vm, u64 addr, bool huge,
				   struct neuf_svm_window *w)
{
	unsigned long page = addr & PAGE_MASK, seq, timeout;
	struct neuf_svm_chunk *chunk;
	struct vm_area_struct *vma;
	bool refused = false;
	struct page *pg;
	int ret, n;

	if (!mmget_not_zero(vm->mm))
		return -ESRCH;
	chunk = neuf_svm_chunk_get(vm, page);
	ret = IS_ERR(chunk) ? PTR_ERR(chunk) : neuf_pt_prepare(&vm->pt, page);
	if (ret)
		goto out;

	timeout = jiffies + msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	do {
		seq = mmu_interval_read_begin(&chunk->notifier);
		mmap_read_lock(vm->mm);
		vma = vma_lookup(vm->mm, page);
		ret = -EFAULT;
		if (!vma || !(vma->vm_flags & VM_WRITE))
			goto unlock;
		neuf_svm_attr_gpu_read_only(vm, page, 1, w->ro);
		if (test_bit(0, w->ro))
			goto unlock;

		pg = NULL;
		n = huge ? 0 : neuf_make_device_exclusive(vm->mm, page,
							  page + PAGE_SIZE,
							  &pg, vm->ndev);
		if (n < 0) {
			ret = n;
			goto unlock;
		}
		if (!n || !pg) {
			unsigned long block = ALIGN_DOWN(page,
							 NEUF_SVM_BLOCK_SIZE);

			ret = neuf_dmem_migrate_window(vm->ndev, vma,
						       max(block, vma->vm_start),
						       min(block + NEUF_SVM_BLOCK_SIZE,
							   vma->vm_end), true);
			if (ret > 0) {
				ret = -EAGAIN;
			} else {
				/* Locked meanwhile, or a THP: the latter for good. */
				ret = -EBUSY;
				refused = true;
				huge = false;
			}
			goto unlock;
		}

		/* One page, ours alone: map it with every permission. */
		w->start = page;
		w->end = page + PAGE_SIZE;
		w->npages = 1;
		w->pfns[0] = page_to_pfn(pg) | HMM_PFN_VALID | HMM_PFN_WRITE;
		bitmap_fill(w->want, 1);
		bitmap_fill(w->write, 1);
		bitmap_fill(w->atomic, 1);
		mutex_lock(&vm->lock);
		ret = -EBUSY;
		if (!mmu_interval_read_retry(&chunk->notifier, seq))
			ret = neuf_svm_commit(vm, w);
		mutex_unlock(&vm->lock);
		unlock_page(pg);
		put_page(pg);
		if (!ret)
			neuf_dmem_stat_add(vm->ndev, NEUF_DMEM_EXCLUSIVE_GRANTS, 1);
		/*
		 * An invalidation of the chunk came in between, and the CPU's
		 * entry may still be the exclusive one made here. The next
		 * try's GUP would take it back itself, an invalidation after
		 * that try began, so no try could succeed again: take it
		 * back before the next one begins.
		 */
		if (ret == -EBUSY)
			fixup_user_fault(vm->mm, page, FAULT_FLAG_WRITE, NULL);
unlock:
		mmap_read_unlock(vm->mm);
	} while (ret == -EBUSY && time_before(jiffies, timeout));
	/* Neither exclusive access nor VRAM to go to: the atomic cannot run. */
	if (ret == -EBUSY && refused)
		ret = -EFAULT;
out:
	mmput_async(vm->mm);
	return ret;
}

/*
 * Resolve the faults of one VM, window by window. When a window fails as a
 * whole (one of its faults asks for what the mapping does not allow), each
 * of its faults is resolved on its own, so that only those that cannot be
 * satisfied are cancelled. Returns how many faults were cancelled.
 */
static unsigned int neuf_svm_handle_vm(struct neuf_vm *vm,
				       const struct neuf_fault *faults,
				       unsigned int n)
{
	struct neuf_device *ndev = vm->ndev;
	struct neuf_svm_window *w = vm->window;
	unsigned int i, j, consumed, one, cancelled = 0;
	bool huge = false;
	int ret;

	for (i = 0; i < n; i += consumed) {
		if (faults[i].access == NEUF_ACCESS_ATOMIC &&
		    neuf_svm_wants_exclusive(vm, faults[i].addr, &huge)) {
			/* Its other faults on the page are satisfied too. */
			for (consumed = 1; i + consumed < n &&
			     (faults[i + consumed].addr & PAGE_MASK) ==
			     (faults[i].addr & PAGE_MASK); consumed++)
				;
			ret = neuf_svm_resolve_atomic(vm, faults[i].addr, huge,
						      w);
			if (ret != -EAGAIN) {
				cancelled += neuf_svm_settle(ndev, vm,
							     faults + i,
							     consumed, ret);
				continue;
			}
		}
		ret = neuf_svm_resolve(vm, faults + i, n - i, false, w,
				       &consumed);
		if (consumed == 1 || !ret || ret == -EBUSY || ret == -ESRCH) {
			cancelled += neuf_svm_settle(ndev, vm, faults + i,
						     consumed, ret);
			continue;
		}
		for (j = i; j < i + consumed; j++) {
			ret = neuf_svm_resolve(vm, faults + j, 1, true, w, &one);
			cancelled += neuf_svm_settle(ndev, vm, faults + j, 1,
						     ret);
		}
	}
	return cancelled;
}

/**
 * neuf_svm_map_range() - map a range on the GPU ahead of its accesses
 * @vm: the VM
 * @start: first address, page aligned
 * @end: first address past the range
 *
 * Resolves one prefetch fault per window across the range, as the fault
 * worker would: each window maps every page the CPU maps (VRAM pages
 * included, where they are), so that a dispatch over the range after a
 * migration takes no fault. Holes and failures are left to the GPU's own
 * faults.
 */
void neuf_svm_map_range(struct neuf_vm *vm, u64 start, u64 end)
{
	struct neuf_fault f = {
		.instance = vm->instance,
		.access = NEUF_ACCESS_PREFETCH,
		.count = 1,
	};
	unsigned int consumed;
	u64 addr;

	end = min(end, neuf_svm_va_end(vm->ndev));
	mutex_lock(&vm->fault_lock);
	for (addr = start; addr < end;) {
		f.addr = addr;
		if (neuf_svm_resolve(vm, &f, 1, false, vm->window, &consumed) ||
		    vm->window->end <= addr)
			addr = (addr & PAGE_MASK) + PAGE_SIZE;
		else
			addr = vm->window->end;
		if (fatal_signal_pending(current))
			break;
	}
	mutex_unlock(&vm->fault_lock);
}

/*
 * Resolve @n faults of @vm, under its fault lock, counting the VMs being
 * served at once. Returns how many faults were cancelled.
 *
 * A resolution reaches the hardware and may migrate pages to VRAM, so it
 * runs inside drm_dev_enter(): unbinding waits for it before the device
 * memory goes. Faults that come after are cancelled, and their jobs end
 * with -ENODEV, as the engines' own end once they are stopped.
 */
static unsigned int neuf_svm_serve_vm(struct neuf_vm *vm,
				      const struct neuf_fault *faults,
				      unsigned int n)
{
	struct neuf_fault_buffer *fb = &vm->ndev->fault;
	unsigned int cancelled, i;
	int busy, peak, idx;

	if (!drm_dev_enter(&vm->ndev->drm, &idx)) {
		for (i = 0; i < n; i++)
			neuf_svm_cancel(vm->ndev, &faults[i], -ENODEV);
		return n;
	}
	mutex_lock(&vm->fault_lock);
	busy = atomic_inc_return(&fb->vm_workers);
	if (busy > 1)
		atomic64_inc(&fb->vm_overlaps);
	peak = atomic_read(&fb->vm_workers_peak);
	while (busy > peak &&
	       !atomic_try_cmpxchg(&fb->vm_workers_peak, &peak, busy))
		;
	cancelled = neuf_svm_handle_vm(vm, faults, n);
	atomic_dec(&fb->vm_workers);
	mutex_unlock(&vm->fault_lock);
	drm_dev_exit(idx);

	neuf_vm_stat_add(vm, NEUF_STAT_BATCHES, 1);
	neuf_vm_stat_add(vm, NEUF_STAT_REPLAYS, 1);
	return cancelled;
}

/**
 * neuf_svm_vm_work() - a VM's SVM worker
 * @work: &neuf_vm.svm_work
 *
 * Removes the notifiers of the VM's chunks that lost their last mapping,
 * then resolves the faults the fault worker handed over, if any, each
 * under the VM's fault lock. The workqueue runs the workers of different
 * VMs concurrently.
 */
void neuf_svm_vm_work(struct work_struct *work)
{
	struct neuf_vm *vm = container_of(work, struct neuf_vm, svm_work);
	const struct neuf_fault *faults;
	unsigned int n;

	mutex_lock(&vm->fault_lock);
	neuf_svm_chunks_gc(vm);
	mutex_unlock(&vm->fault_lock);
	neuf_svm_attrs_gc(vm);

	spin_lock(&vm->gc_lock);
	faults = vm->faults;
	n = vm->nfaults;
	vm->nfaults = 0;
	spin_unlock(&vm->gc_lock);
	if (n) {
		vm->cancelled = neuf_svm_serve_vm(vm, faults, n);
		neuf_svm_check_vm(vm);
	}
}

/* Hand @n faults of a drain to @vm's SVM worker. */
static void neuf_svm_vm_queue(struct neuf_vm *vm,
			      const struct neuf_fault *faults, unsigned int n)
{
	spin_lock(&vm->gc_lock);
	vm->faults = faults;
	vm->nfaults = n;
	vm->cancelled = 0;
	spin_unlock(&vm->gc_lock);
	queue_work(vm->ndev->svm_wq, &vm->svm_work);
}

/*
 * Wait for @vm's SVM worker to be done with the faults handed over, and
 * drop the reference taken for them. Returns how many it cancelled.
 */
static unsigned int neuf_svm_vm_wait(struct neuf_vm *vm)
{
	unsigned int cancelled;

	flush_work(&vm->svm_work);
	cancelled = vm->cancelled;
	neuf_vm_put(vm);
	return cancelled;
}

/*
 * Resolve or cancel every fault of a sorted, de-duplicated batch, then
 * REPLAY once for the whole drain. A drain with one VM's faults, the
 * common case, is resolved right here: handing it over would only add a
 * switch to another worker to each fault's round trip. Several VMs' are
 * handed to their SVM workers and resolved concurrently, unless
 * fault_concurrency is off.
 */
static void neuf_svm_handle_batch(struct neuf_device *ndev,
				  struct neuf_fault *batch, unsigned int n,
				  unsigned int raw)
{
	bool concurrent = READ_ONCE(neuf_svm_concurrent) &&
			  batch[0].instance != batch[n - 1].instance;
	unsigned int i, j, k, cancelled = 0;
	struct neuf_vm *vm, *tmp;
	LIST_HEAD(serving);

	for (i = 0; i < n; i = j) {
		for (j = i; j < n && batch[j].instance == batch[i].instance; j++)
			trace_neuf_svm_fault(batch[j].instance, batch[j].addr,
					     batch[j].access, batch[j].engines);

		vm = neuf_vm_lookup_instance(ndev, batch[i].instance);
		if (!vm) {
			/* Stale faults of a VM that is gone. */
			for (k = i; k < j; k++)
				neuf_svm_cancel(ndev, &batch[k], -EFAULT);
			cancelled += j - i;
			continue;
		}
		for (k = i; k < j; k++)
			neuf_vm_stat_add(vm, NEUF_STAT_FAULTS, batch[k].count);
		if (concurrent) {
			neuf_svm_vm_queue(vm, batch + i, j - i);
			list_add_tail(&vm->fault_link, &serving);
		} else {
			cancelled += neuf_svm_serve_vm(vm, batch + i, j - i);
			neuf_vm_put(vm);
		}
	}
	list_for_each_entry_safe(vm, tmp, &serving, fault_link) {
		list_del_init(&vm->fault_link);
		cancelled += neuf_svm_vm_wait(vm);
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
 * device's ordered fault workqueue; the VMs' SVM workers it hands faults
 * to run on the SVM workqueue.
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
