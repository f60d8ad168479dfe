// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright 2026 The neuf authors
 */

#include <linux/hmm.h>
#include <linux/mmap_lock.h>
#include <linux/sched/mm.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/ratelimit.h>
#include <linux/stdarg.h>

#include <drm/drm_print.h>

#include "neuf_dmem.h"
#include "neuf_drv.h"
#include "neuf_regs.h"
#include "neuf_svm.h"
#include "neuf_vm.h"

/**
 * DOC: neuf SVM invariant checker
 *
 * With the module parameter ``check_invariants`` (off by default; the test
 * suite enables it on the debug kernel), the driver verifies, each time
 * its GPU page tables change, what must hold between them and the CPU's:
 *
 * - When an invalidation callback returns, no leaf entry of the range it
 *   invalidated holds a page any more.
 * - When a fault commits a window, every valid entry of the window maps
 *   the page hmm_range_fault() found the CPU mapping at that address (for
 *   a page in this device's VRAM, its VRAM offset), and is writable only
 *   where the CPU's entry is. This runs in the same
 *   mmu_interval_read_retry()-validated section as the commit, so the
 *   CPU's side is exact: an entry that a missed invalidation left behind,
 *   pointing at a page the CPU no longer maps there, is found at the next
 *   fault in its window, even when the data the test reads back happens
 *   to be right.
 * - When a job is submitted, every valid entry of the VM, in each 2 MiB
 *   block it maps, is compared with a snapshot of the CPU's page tables
 *   (hmm_range_fault() without faulting, validated the same way) as above.
 *   A missed invalidation leaves an entry the GPU goes on using without
 *   ever faulting in its window again; this finds it before the next job
 *   can use it.
 * - Whenever the VM's SVM worker has served a batch, and when the VM's
 *   notifiers go, the system pages its leaf entries map (from the page
 *   each entry was made for, which the leaf table records) equal the DMA
 *   mappings the VM holds (&neuf_vm.dma_pages): no mapping without an
 *   entry, no entry without a mapping; and an entry has a page recorded
 *   exactly when it holds an address.
 *
 * A violation is a WARN (rate-limited) naming the VM's instance, the
 * address and both sides, and is counted; debugfs ``neuf_invariants``
 * shows the checks run and the violations found. Entries of pages made
 * device-exclusive for an atomic (where system-memory atomics are not
 * coherent) are not compared with the CPU's side, which hmm_range_fault()
 * reports as no page while the device holds it; nor are entries where
 * hmm_range_fault() reports an error (no VMA, or one without read access):
 * it answers from the VMA tree, and munmap() detaches the VMAs before it
 * unmaps their pages and invalidates, so a mirror that is right reads as
 * wrong in between. A page the CPU's page tables do not map (an entry
 * zapped without an invalidation) is compared, and found.
 *
 * The checks take no lock of their own and allocate nothing: they run
 * under &neuf_vm.lock where the change they check was made, including in
 * non-blockable invalidations.
 */

static bool neuf_svm_check_invariants;
module_param_named(check_invariants, neuf_svm_check_invariants, bool, 0644);
MODULE_PARM_DESC(check_invariants,
		 "Check the GPU page tables against the CPU's (slow; default: off)");

static DEFINE_RATELIMIT_STATE(neuf_svm_check_rs, 5 * HZ, 10);

/* Count a violation and WARN with what it is. */
static __printf(2, 3) void neuf_svm_violation(struct neuf_vm *vm,
					      const char *fmt, ...)
{
	char what[160];
	va_list ap;

	atomic64_inc(&vm->ndev->invariants.violations);
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	WARN(__ratelimit(&neuf_svm_check_rs),
	     "neuf: VM %u: invariant violated: %s\n", vm->instance, what);
}

static void neuf_svm_check_ran(struct neuf_vm *vm)
{
	atomic64_inc(&vm->ndev->invariants.checks);
}

static unsigned long neuf_svm_pfn_of(const struct page *page)
{
	return page ? page_to_pfn(page) : 0;
}

/**
 * neuf_svm_check_cleared() - check that an invalidated range maps nothing
 * @vm: the VM, its lock held
 * @start: first address of the range neuf_svm_clear() cleared
 * @end: first address past it
 */
void neuf_svm_check_cleared(struct neuf_vm *vm, u64 start, u64 end)
{
	struct neuf_pt_leaf *leaf;
	u64 va, block_end;

	lockdep_assert_held(&vm->lock);
	if (!READ_ONCE(neuf_svm_check_invariants))
		return;
	neuf_svm_check_ran(vm);

	for (va = start; (leaf = neuf_pt_next_leaf(&vm->pt, &va, end));
	     va = block_end) {
		u64 pde, pte;

		block_end = min(end, ALIGN(va + 1, NEUF_PT_LEAF_SIZE));
		pde = le64_to_cpu(READ_ONCE(*leaf->pde));
		if ((pde & NEUF_PTE_LEAF) || leaf->huge) {
			neuf_svm_violation(vm,
					   "%#llx: 2M entry %#llx (pfn %#lx) outlived [%#llx, %#llx)",
					   va, pde,
					   neuf_svm_pfn_of(leaf->huge),
					   start, end);
			continue;
		}
		for (; va < block_end; va += PAGE_SIZE) {
			unsigned int i = NEUF_PT_INDEX(va, 0);

			pte = le64_to_cpu(READ_ONCE(leaf->ptes[i]));
			if (!pte && !leaf->pages[i])
				continue;
			neuf_svm_violation(vm,
					   "%#llx: entry %#llx (pfn %#lx) outlived [%#llx, %#llx)",
					   va, pte,
					   neuf_svm_pfn_of(leaf->pages[i]),
					   start, end);
			break;
		}
	}
}

/**
 * neuf_svm_check_report() - log what the checker did on a device
 * @ndev: the device, being unbound
 *
 * One line in the kernel log per device the checker ran on, which the
 * test tools add up: checks run, violations found.
 */
void neuf_svm_check_report(struct neuf_device *ndev)
{
	s64 checks = atomic64_read(&ndev->invariants.checks);

	if (checks)
		drm_info(&ndev->drm, "invariant checker: %lld checks, %lld violations\n",
			 checks,
			 (s64)atomic64_read(&ndev->invariants.violations));
}

/* One valid entry of a committed window against the CPU's side. */
static void neuf_svm_check_pte(struct neuf_vm *vm, u64 va, u64 pte,
			       struct page *gpu, unsigned long hmm_pfn)
{
	struct page *cpu;
	u64 offset;

	/*
	 * No VMA, or one the GPU may not read: hmm_range_fault() says so
	 * from the VMA tree, not the page tables, and munmap() takes the VMA
	 * out of the tree before it unmaps the pages and invalidates (under
	 * the mmap_lock downgraded to read): the GPU entry is still right
	 * then, and the invalidation is on its way. Nothing to compare.
	 */
	if (hmm_pfn & HMM_PFN_ERROR)
		return;
	if (!(hmm_pfn & HMM_PFN_VALID)) {
		/* Ours alone for an atomic: the CPU's side shows no page. */
		if ((pte & NEUF_PTE_ATOMIC) && !(pte & NEUF_PTE_VRAM) &&
		    !(vm->ndev->caps.features & NEUF_FEATURE_SYSMEM_ATOMICS))
			return;
		neuf_svm_violation(vm, "%#llx: GPU %#llx (pfn %#lx), CPU no page (%#lx)",
				   va, pte, neuf_svm_pfn_of(gpu), hmm_pfn);
		return;
	}
	cpu = hmm_pfn_to_page(hmm_pfn);
	if (gpu != cpu) {
		neuf_svm_violation(vm, "%#llx: GPU %#llx (pfn %#lx), CPU pfn %#lx",
				   va, pte, neuf_svm_pfn_of(gpu),
				   page_to_pfn(cpu));
		return;
	}
	if ((pte & NEUF_PTE_VRAM) &&
	    (!neuf_dmem_page_offset(vm->ndev, cpu, &offset) ||
	     offset != (pte & NEUF_PTE_ADDR))) {
		neuf_svm_violation(vm, "%#llx: GPU %#llx, CPU pfn %#lx elsewhere in VRAM",
				   va, pte, page_to_pfn(cpu));
		return;
	}
	if ((pte & NEUF_PTE_WRITABLE) && !(hmm_pfn & HMM_PFN_WRITE))
		neuf_svm_violation(vm, "%#llx: GPU %#llx writable, CPU pfn %#lx read-only",
				   va, pte, page_to_pfn(cpu));
}

/*
 * The valid entries of @npages pages from @start, in one 2 MiB block,
 * against hmm_range_fault()'s @pfns for them.
 */
static void neuf_svm_check_range(struct neuf_vm *vm, u64 start,
				 unsigned int npages, const unsigned long *pfns)
{
	struct neuf_pt_leaf *leaf = neuf_pt_leaf(&vm->pt, start);
	unsigned int i;
	u64 pde;

	lockdep_assert_held(&vm->lock);
	if (!leaf)
		return;
	pde = le64_to_cpu(READ_ONCE(*leaf->pde));
	for (i = 0; i < npages; i++) {
		u64 va = start + ((u64)i << PAGE_SHIFT), pte;
		unsigned int idx = NEUF_PT_INDEX(va, 0);
		struct page *gpu;

		if (pde & NEUF_PTE_LEAF) {
			pte = pde;
			gpu = leaf->huge ? nth_page(leaf->huge, idx) : NULL;
		} else {
			pte = le64_to_cpu(READ_ONCE(leaf->ptes[idx]));
			gpu = leaf->pages[idx];
		}
		if (pte & NEUF_PTE_VALID)
			neuf_svm_check_pte(vm, va, pte, gpu, pfns[i]);
	}
}

/**
 * neuf_svm_check_window() - check a committed window against the CPU
 * @vm: the VM, its lock held since mmu_interval_read_retry() confirmed
 *	@w's pages
 * @w: the window, with hmm_range_fault()'s answers for all its pages
 */
void neuf_svm_check_window(struct neuf_vm *vm, const struct neuf_svm_window *w)
{
	lockdep_assert_held(&vm->lock);
	if (!READ_ONCE(neuf_svm_check_invariants))
		return;
	neuf_svm_check_ran(vm);
	neuf_svm_check_range(vm, w->start, w->npages, w->pfns);
}

/*
 * Snapshot the CPU's side of the block at @start (no fault: holes and
 * special mappings read as errors) and compare, in the notifier's
 * read_begin/read_retry loop so that the snapshot is exact.
 */
static void neuf_svm_check_mirror_block(struct neuf_vm *vm, u64 start,
					unsigned long *pfns)
{
	struct neuf_svm_chunk *chunk = xa_load(&vm->chunks,
					       start >> vm->chunk_shift);
	struct hmm_range range = {
		.start = start,
		.end = start + NEUF_SVM_BLOCK_SIZE,
		.hmm_pfns = pfns,
		.dev_private_owner = vm->ndev,
	};
	unsigned int tries;
	int ret;

	if (!chunk) {
		/* No notifier: nothing may be mapped there. */
		mutex_lock(&vm->lock);
		neuf_svm_check_cleared(vm, range.start, range.end);
		mutex_unlock(&vm->lock);
		return;
	}
	range.notifier = &chunk->notifier;
	/* Bounded: a process that keeps changing the block wins. */
	for (tries = 0; tries < 16; tries++) {
		range.notifier_seq = mmu_interval_read_begin(range.notifier);
		memset(pfns, 0, NEUF_SVM_WINDOW_PAGES * sizeof(*pfns));
		mmap_read_lock(vm->mm);
		ret = hmm_range_fault(&range);
		mmap_read_unlock(vm->mm);
		if (ret == -EBUSY)
			continue;
		if (ret)
			return;
		mutex_lock(&vm->lock);
		if (!mmu_interval_read_retry(range.notifier,
					     range.notifier_seq)) {
			neuf_svm_check_ran(vm);
			neuf_svm_check_range(vm, start, NEUF_SVM_WINDOW_PAGES,
					     pfns);
			mutex_unlock(&vm->lock);
			return;
		}
		mutex_unlock(&vm->lock);
	}
}

/**
 * neuf_svm_check_mirror() - check every GPU mapping of a VM against the CPU
 * @vm: the VM, of the calling process
 *
 * Context: process context, no lock held; takes &neuf_vm.fault_lock (so
 * that no fault resolution or collection changes the tables meanwhile, and
 * to use the VM's window scratch), the mmap_lock and &neuf_vm.lock.
 */
void neuf_svm_check_mirror(struct neuf_vm *vm)
{
	struct neuf_pt_leaf *leaf;
	unsigned long index;

	if (!READ_ONCE(neuf_svm_check_invariants) || !mmget_not_zero(vm->mm))
		return;
	mutex_lock(&vm->fault_lock);
	/* Leaves go only under the fault lock (collection): none goes. */
	xa_for_each(&vm->pt.leaves, index, leaf)
		neuf_svm_check_mirror_block(vm, (u64)index << NEUF_PT_LEAF_SHIFT,
					    vm->window->pfns);
	mutex_unlock(&vm->fault_lock);
	mmput(vm->mm);
}

/* The system pages @leaf's entries map, checking each against its record. */
static unsigned long neuf_svm_check_leaf(struct neuf_vm *vm,
					 struct neuf_pt_leaf *leaf, u64 base)
{
	u64 pde = le64_to_cpu(READ_ONCE(*leaf->pde)), pte;
	unsigned long mapped = 0;
	unsigned int i;

	if (pde & NEUF_PTE_LEAF) {
		if (!leaf->huge)
			neuf_svm_violation(vm, "%#llx: 2M entry %#llx, no page recorded",
					   base, pde);
		return pde & NEUF_PTE_VRAM ? 0 : NEUF_SVM_WINDOW_PAGES;
	}
	if (leaf->huge)
		neuf_svm_violation(vm, "%#llx: 2M page pfn %#lx recorded, entry %#llx",
				   base, page_to_pfn(leaf->huge), pde);
	for (i = 0; i < NEUF_SVM_WINDOW_PAGES; i++) {
		pte = le64_to_cpu(READ_ONCE(leaf->ptes[i]));
		if (!pte != !leaf->pages[i])
			neuf_svm_violation(vm, "%#llx: entry %#llx, page pfn %#lx recorded",
					   base + ((u64)i << PAGE_SHIFT), pte,
					   neuf_svm_pfn_of(leaf->pages[i]));
		if (pte && !(pte & NEUF_PTE_VRAM))
			mapped++;
	}
	return mapped;
}

/**
 * neuf_svm_check_vm() - check a VM's leaf entries against its DMA mappings
 * @vm: the VM; takes its lock
 */
void neuf_svm_check_vm(struct neuf_vm *vm)
{
	struct neuf_pt_leaf *leaf;
	unsigned long index, mapped = 0;
	s64 held;

	if (!READ_ONCE(neuf_svm_check_invariants))
		return;

	mutex_lock(&vm->lock);
	neuf_svm_check_ran(vm);
	/* Leaves leave only under the VM lock: none goes meanwhile. */
	xa_for_each(&vm->pt.leaves, index, leaf)
		mapped += neuf_svm_check_leaf(vm, leaf,
					      (u64)index << NEUF_PT_LEAF_SHIFT);
	held = atomic64_read(&vm->dma_pages);
	if (held != mapped)
		neuf_svm_violation(vm, "%lu system pages mapped, %lld DMA mappings held",
				   mapped, held);
	mutex_unlock(&vm->lock);
}
