// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright 2026 The neuf authors
 */

#include <linux/hmm.h>
#include <linux/interval_tree.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/moduleparam.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include <drm/drm_file.h>
#include <drm/neuf_drm.h>

#include "neuf_dmem.h"
#include "neuf_drv.h"
#include "neuf_svm.h"
#include "neuf_vm.h"

/**
 * DOC: neuf SVM attributes
 *
 * &DRM_IOCTL_NEUF_SVM_ATTR sets attributes over address ranges of a VM:
 * the preferred location (none, system, VRAM), GPU read-only, the
 * read-mostly hint and the migration granularity. They live in an interval
 * tree of their own (&neuf_vm.attrs, under &neuf_vm.attr_lock), apart from
 * the notifier chunks and page tables, so collecting those leaves them
 * alone. Each range of the tree has an interval notifier of its own; an
 * unmap that touches the range queues it for the VM's SVM worker, which
 * keeps only the parts some VMA still covers: a munmap() (or the move of
 * a mremap()) resets the attributes of what it unmapped, a partial munmap
 * leaves the rest as it was. A range whose attributes are all the
 * defaults is not kept.
 *
 * The fault path reads them per window: GPU read-only pages are mapped
 * read-only and a GPU write to them is cancelled (-EFAULT), as if the CPU
 * mapped them so; a range preferring VRAM is migrated there, by its
 * granularity around the fault, before it is mapped, unless it is
 * read-mostly (it is then mapped where it is, shared with the CPU) or it
 * was migrated there less than migration_timeslice_ms ago: a page the CPU
 * took back meanwhile stays in system memory for the rest of the
 * timeslice, so a CPU and a GPU taking turns on it cost one migration each
 * way per timeslice, not one per touch.
 */

/**
 * struct neuf_svm_attr_range - attributes set over a range of a VM
 * @it: the range, [start, last], in &neuf_vm.attrs
 * @notifier: tells of unmaps of the range
 * @vm: the VM
 * @gc_link: entry in &neuf_vm.attr_gc while an unmap touched the range,
 *	under &neuf_vm.gc_lock; its notifier may add it there at any time
 * @link: entry in the list of new ranges of the change that made it,
 *	until they go into the tree, under &neuf_vm.attr_lock
 * @attr: the attributes
 */
struct neuf_svm_attr_range {
	struct interval_tree_node it;
	struct mmu_interval_notifier notifier;
	struct neuf_vm *vm;
	struct list_head gc_link;
	struct list_head link;
	struct neuf_svm_attrs attr;
};

static struct neuf_svm_attr_range *to_attr_range(struct interval_tree_node *it)
{
	return container_of(it, struct neuf_svm_attr_range, it);
}

static unsigned int neuf_svm_timeslice_ms = 100;
module_param_named(migration_timeslice_ms, neuf_svm_timeslice_ms, uint, 0644);
MODULE_PARM_DESC(migration_timeslice_ms,
		 "After a GPU fault migrated a block to VRAM, GPU faults leave it where it is for this long (default 100)");

/* The attributes of a range nobody set anything on. */
static const struct neuf_svm_attrs neuf_svm_attr_defaults = {
	.location = NEUF_SVM_LOC_NONE,
	.flags = 0,
	.granularity = NEUF_SVM_BLOCK_SHIFT,
};

static bool neuf_svm_attrs_equal(const struct neuf_svm_attrs *a,
				 const struct neuf_svm_attrs *b)
{
	return a->location == b->location && a->flags == b->flags &&
	       a->granularity == b->granularity;
}

/* Queue @r for collection, as an unmap touching it does. */
static void neuf_svm_attr_queue(struct neuf_vm *vm,
				struct neuf_svm_attr_range *r)
{
	spin_lock(&vm->gc_lock);
	if (list_empty(&r->gc_link))
		list_add_tail(&r->gc_link, &vm->attr_gc);
	spin_unlock(&vm->gc_lock);
}

static bool neuf_svm_attr_notify(struct mmu_interval_notifier *mni,
				 const struct mmu_notifier_range *range,
				 unsigned long cur_seq)
{
	struct neuf_svm_attr_range *r =
		container_of(mni, struct neuf_svm_attr_range, notifier);
	struct neuf_vm *vm = r->vm;

	mmu_interval_set_seq(mni, cur_seq);
	if (range->event != MMU_NOTIFY_UNMAP)
		return true;
	neuf_svm_attr_queue(vm, r);
	queue_work(vm->ndev->svm_wq, &vm->svm_work);
	return true;
}

static const struct mmu_interval_notifier_ops neuf_svm_attr_notifier_ops = {
	.invalidate = neuf_svm_attr_notify,
};

/*
 * A new range [@start, @last] with @attr, its notifier inserted; not yet in
 * the tree. The mm must be alive.
 */
static struct neuf_svm_attr_range *
neuf_svm_attr_range_new(struct neuf_vm *vm, u64 start, u64 last,
			const struct neuf_svm_attrs *attr)
{
	struct neuf_svm_attr_range *r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	int ret;

	if (!r)
		return ERR_PTR(-ENOMEM);
	r->it.start = start;
	r->it.last = last;
	r->vm = vm;
	r->attr = *attr;
	INIT_LIST_HEAD(&r->gc_link);
	INIT_LIST_HEAD(&r->link);
	ret = mmu_interval_notifier_insert(&r->notifier, vm->mm, start,
					   last - start + 1,
					   &neuf_svm_attr_notifier_ops);
	if (ret) {
		kfree(r);
		return ERR_PTR(ret);
	}
	return r;
}

/*
 * Take a range out of the tree (if in it) and free it. Returns whether an
 * unmap had queued it for collection: the ranges replacing it must then be
 * collected in its stead.
 */
static bool neuf_svm_attr_range_free(struct neuf_vm *vm,
				     struct neuf_svm_attr_range *r, bool in_tree)
{
	bool queued;

	lockdep_assert_held(&vm->attr_lock);

	if (in_tree) {
		spin_lock(&vm->attr_tree_lock);
		interval_tree_remove(&r->it, &vm->attrs);
		spin_unlock(&vm->attr_tree_lock);
	}
	/* Once it is removed, no callback queues the range any more. */
	mmu_interval_notifier_remove(&r->notifier);
	spin_lock(&vm->gc_lock);
	queued = !list_empty(&r->gc_link);
	list_del_init(&r->gc_link);
	spin_unlock(&vm->gc_lock);
	kfree(r);
	return queued;
}

/*
 * Put the new ranges of @list (by &neuf_svm_attr_range.link) into the
 * tree, queued for collection if @queue: they replace a range an unmap
 * had touched.
 */
static void neuf_svm_attr_insert(struct neuf_vm *vm, struct list_head *list,
				 bool queue)
{
	struct neuf_svm_attr_range *r, *tmp;

	lockdep_assert_held(&vm->attr_lock);

	list_for_each_entry_safe(r, tmp, list, link) {
		list_del(&r->link);
		spin_lock(&vm->attr_tree_lock);
		interval_tree_insert(&r->it, &vm->attrs);
		spin_unlock(&vm->attr_tree_lock);
		if (queue)
			neuf_svm_attr_queue(vm, r);
	}
}

/* Free the new ranges of @list, which never went into the tree. */
static void neuf_svm_attr_discard(struct neuf_vm *vm, struct list_head *list)
{
	struct neuf_svm_attr_range *r, *tmp;

	list_for_each_entry_safe(r, tmp, list, link) {
		list_del(&r->link);
		neuf_svm_attr_range_free(vm, r, false);
	}
}

/**
 * neuf_svm_attr_get() - the attributes in force at an address
 * @vm: the VM
 * @addr: a user address
 * @attr: where to return them
 * @begin: set to the start of the stretch around @addr with the same
 *	attributes (at least the previous range's end), or NULL
 * @end: set to the end of the stretch from @addr with the same attributes
 *	(at most the next range's start)
 *
 * Context: any; takes &neuf_vm.attr_tree_lock, so it may be called with the
 * mmap_lock held.
 */
void neuf_svm_attr_get(struct neuf_vm *vm, u64 addr,
		       struct neuf_svm_attrs *attr, u64 *begin, u64 *end)
{
	struct interval_tree_node *it;
	struct rb_node *prev;
	u64 lo = 0;

	spin_lock(&vm->attr_tree_lock);
	it = interval_tree_iter_first(&vm->attrs, addr, addr);
	if (it) {
		*attr = container_of(it, struct neuf_svm_attr_range, it)->attr;
		lo = it->start;
		*end = it->last + 1;
	} else {
		*attr = neuf_svm_attr_defaults;
		/* The first range after @addr: none of them contains it. */
		it = interval_tree_iter_first(&vm->attrs, addr, ULONG_MAX);
		*end = it ? it->start : ULONG_MAX;
		/* Ranges do not overlap: the one before it in the tree ends last. */
		prev = it ? rb_prev(&it->rb) : rb_last(&vm->attrs.rb_root);
		if (prev)
			lo = rb_entry(prev, struct interval_tree_node, rb)->last + 1;
	}
	spin_unlock(&vm->attr_tree_lock);
	if (begin)
		*begin = lo;
}

/**
 * neuf_svm_attr_gpu_read_only() - mark a window's GPU read-only pages
 * @vm: the VM
 * @start: first address of the window
 * @npages: its pages
 * @ro: bitmap of @npages bits, set where the GPU may only read
 */
void neuf_svm_attr_gpu_read_only(struct neuf_vm *vm, u64 start,
				 unsigned int npages, unsigned long *ro)
{
	u64 end = start + ((u64)npages << PAGE_SHIFT);
	struct interval_tree_node *it;

	bitmap_zero(ro, npages);
	/* Most VMs set no attribute: no lock on the fault path for them. */
	if (RB_EMPTY_ROOT(&vm->attrs.rb_root))
		return;
	spin_lock(&vm->attr_tree_lock);
	for (it = interval_tree_iter_first(&vm->attrs, start, end - 1); it;
	     it = interval_tree_iter_next(it, start, end - 1)) {
		struct neuf_svm_attr_range *r =
			container_of(it, struct neuf_svm_attr_range, it);
		u64 s = max_t(u64, start, it->start);
		u64 e = min_t(u64, end, it->last + 1);

		if (r->attr.flags & NEUF_SVM_FLAG_GPU_READ_ONLY)
			bitmap_set(ro, (s - start) >> PAGE_SHIFT,
				   (e - s) >> PAGE_SHIFT);
	}
	spin_unlock(&vm->attr_tree_lock);
}

/**
 * neuf_svm_attr_place() - apply the placement policy before a GPU fault
 * @vm: the VM
 * @vma: the VMA of the fault, its mm's mmap_lock held
 * @addr: the faulting address
 *
 * Migrates the granule around @addr to the location its attributes
 * prefer (VRAM, or system memory for pages in VRAM), unless the range is
 * read-mostly or the last attempt on the block was less than the ping-pong
 * timeslice ago. Failures are not the fault's: the pages are then mapped
 * where they are.
 */
void neuf_svm_attr_place(struct neuf_vm *vm, struct vm_area_struct *vma,
			 u64 addr)
{
	unsigned long block = addr >> NEUF_SVM_BLOCK_SHIFT, *stamp;
	u64 start, end, attr_start, attr_end, granule;
	struct neuf_svm_attrs attr;
	long ret;

	if (!vma || !vm->ndev->dmem)
		return;
	neuf_svm_attr_get(vm, addr, &attr, &attr_start, &attr_end);
	if (attr.location == NEUF_SVM_LOC_NONE ||
	    (attr.flags & NEUF_SVM_FLAG_READ_MOSTLY))
		return;

	stamp = xa_load(&vm->placed, block);
	if (stamp && time_before(jiffies, *stamp +
				 msecs_to_jiffies(READ_ONCE(neuf_svm_timeslice_ms))))
		return;

	granule = ALIGN_DOWN(addr, BIT_ULL(attr.granularity));
	start = max3(granule, (u64)vma->vm_start, attr_start);
	end = min3(granule + BIT_ULL(attr.granularity), (u64)vma->vm_end,
		   attr_end);
	ret = neuf_dmem_migrate_window(vm->ndev, vma, start, end,
				       attr.location == NEUF_SVM_LOC_VRAM);
	if (ret < 0)
		return;

	if (!stamp) {
		stamp = kmalloc(sizeof(*stamp), GFP_KERNEL);
		if (!stamp || xa_err(xa_store(&vm->placed, block, stamp,
					      GFP_KERNEL))) {
			kfree(stamp);
			return;
		}
	}
	*stamp = jiffies;
}

/* A stretch of address space a VMA covers. */
struct neuf_svm_span {
	u64 start;
	u64 end;
};

/*
 * Keep the parts of @r some VMA still covers: called for a range an unmap
 * touched. Returns 0 or -ENOMEM (the range is then left as it is).
 */
static int neuf_svm_attr_trim(struct neuf_vm *vm, struct neuf_svm_attr_range *r)
{
	struct neuf_svm_attr_range *piece;
	u64 start = r->it.start, end = r->it.last + 1;
	unsigned int n = 0, cap = 16, i;
	struct neuf_svm_span *spans;
	struct vm_area_struct *vma;
	LIST_HEAD(pieces);
	bool whole = false;
	int ret = 0;

	lockdep_assert_held(&vm->attr_lock);

	/* The notifiers go in without the mmap_lock: note the VMAs first. */
	spans = kmalloc_array(cap, sizeof(*spans), GFP_KERNEL);
	if (!spans)
		return -ENOMEM;
	if (mmget_not_zero(vm->mm)) {
		VMA_ITERATOR(vmi, vm->mm, start);

		mmap_read_lock(vm->mm);
		for_each_vma_range(vmi, vma, end) {
			if (n == cap) {
				void *more = krealloc_array(spans, cap * 2,
							    sizeof(*spans),
							    GFP_KERNEL);

				if (!more) {
					ret = -ENOMEM;
					break;
				}
				spans = more;
				cap *= 2;
			}
			spans[n].start = max_t(u64, start, vma->vm_start);
			spans[n].end = min_t(u64, end, vma->vm_end);
			n++;
		}
		mmap_read_unlock(vm->mm);

		whole = n == 1 && spans[0].start == start && spans[0].end == end;
		for (i = 0; !ret && !whole && i < n; i++) {
			piece = neuf_svm_attr_range_new(vm, spans[i].start,
							spans[i].end - 1,
							&r->attr);
			if (IS_ERR(piece)) {
				ret = PTR_ERR(piece);
				break;
			}
			list_add_tail(&piece->link, &pieces);
		}
		mmput_async(vm->mm);
	}
	kfree(spans);

	if (ret) {
		neuf_svm_attr_discard(vm, &pieces);
		return ret;
	}
	if (whole)
		return 0;
	/* Unmapped again since the VMAs were noted: trim the pieces too. */
	neuf_svm_attr_insert(vm, &pieces, neuf_svm_attr_range_free(vm, r, true));
	return 0;
}

/**
 * neuf_svm_attrs_gc() - reset the attributes of what unmaps took away
 * @vm: the VM; called by its SVM worker and before each SVM_ATTR
 *
 * Takes &neuf_vm.fault_lock: a fault being resolved sees the attributes
 * before or after, never a range taken out and its pieces not yet in.
 */
void neuf_svm_attrs_gc(struct neuf_vm *vm)
{
	struct neuf_svm_attr_range *r;

	mutex_lock(&vm->fault_lock);
	mutex_lock(&vm->attr_lock);
	for (;;) {
		spin_lock(&vm->gc_lock);
		r = list_first_entry_or_null(&vm->attr_gc,
					     struct neuf_svm_attr_range, gc_link);
		if (r)
			list_del_init(&r->gc_link);
		spin_unlock(&vm->gc_lock);
		if (!r)
			break;
		if (neuf_svm_attr_trim(vm, r)) {
			/* Out of memory: the next collection tries again. */
			neuf_svm_attr_queue(vm, r);
			break;
		}
	}
	mutex_unlock(&vm->attr_lock);
	mutex_unlock(&vm->fault_lock);
}

/**
 * neuf_svm_attrs_fini() - remove every attribute range of a VM
 * @vm: the VM, being released or unplugged: no ioctl reaches it any more
 */
void neuf_svm_attrs_fini(struct neuf_vm *vm)
{
	struct interval_tree_node *it;
	unsigned long index;
	void *stamp;

	mutex_lock(&vm->attr_lock);
	while ((it = interval_tree_iter_first(&vm->attrs, 0, ULONG_MAX)))
		neuf_svm_attr_range_free(vm, to_attr_range(it), true);
	mutex_unlock(&vm->attr_lock);
	xa_for_each(&vm->placed, index, stamp)
		kfree(stamp);
	xa_destroy(&vm->placed);
}

/*
 * Queue on @list a new range over [@lo, @hi) with @base's attributes, the
 * values @args sets merged in if @args is given; nothing for an empty or
 * all-default range.
 */
static int neuf_svm_attr_piece(struct neuf_vm *vm, u64 lo, u64 hi,
			       const struct neuf_svm_attrs *base,
			       const struct drm_neuf_svm_attr *args,
			       struct list_head *list)
{
	struct neuf_svm_attrs v = *base;
	struct neuf_svm_attr_range *r;

	if (args && (args->attrs & NEUF_SVM_ATTR_LOCATION))
		v.location = args->location;
	if (args && (args->attrs & NEUF_SVM_ATTR_FLAGS))
		v.flags = args->flags;
	if (args && (args->attrs & NEUF_SVM_ATTR_GRANULARITY))
		v.granularity = args->granularity;
	if (lo >= hi || neuf_svm_attrs_equal(&v, &neuf_svm_attr_defaults))
		return 0;
	r = neuf_svm_attr_range_new(vm, lo, hi - 1, &v);
	if (IS_ERR(r))
		return PTR_ERR(r);
	list_add_tail(&r->link, list);
	return 0;
}

/*
 * Set @args's attributes over [@start, @end): every range the request
 * overlaps is replaced by pieces (outside parts as they were, the inside
 * with the new values merged in, uncovered gaps from the defaults), the
 * new notifiers inserted first so that a failure changes nothing.
 */
static int neuf_svm_attr_set(struct neuf_vm *vm, u64 start, u64 end,
			     const struct drm_neuf_svm_attr *args)
{
	struct interval_tree_node *it;
	bool queued = false;
	LIST_HEAD(new);
	u64 at = start;
	int ret = 0;

	mutex_lock(&vm->attr_lock);
	for (it = interval_tree_iter_first(&vm->attrs, start, end - 1); it;
	     it = interval_tree_iter_next(it, start, end - 1)) {
		struct neuf_svm_attr_range *o =
			container_of(it, struct neuf_svm_attr_range, it);
		u64 os = it->start, oe = it->last + 1;

		ret = neuf_svm_attr_piece(vm, at, max(at, os),
					  &neuf_svm_attr_defaults, args, &new);
		ret = ret ?: neuf_svm_attr_piece(vm, os, max(os, start),
						 &o->attr, NULL, &new);
		ret = ret ?: neuf_svm_attr_piece(vm, max(os, start),
						 min(oe, end), &o->attr, args,
						 &new);
		ret = ret ?: neuf_svm_attr_piece(vm, min(oe, end), oe,
						 &o->attr, NULL, &new);
		if (ret)
			goto undo;
		at = min(oe, end);
	}
	ret = neuf_svm_attr_piece(vm, at, end, &neuf_svm_attr_defaults, args,
				  &new);
	if (ret)
		goto undo;

	/*
	 * Nothing can fail from here. A range an unmap touched meanwhile
	 * has its collection passed on to the ranges replacing it.
	 */
	while ((it = interval_tree_iter_first(&vm->attrs, start, end - 1)))
		queued |= neuf_svm_attr_range_free(vm, to_attr_range(it), true);
	neuf_svm_attr_insert(vm, &new, queued);
	mutex_unlock(&vm->attr_lock);
	if (queued)
		queue_work(vm->ndev->svm_wq, &vm->svm_work);
	return 0;

undo:
	neuf_svm_attr_discard(vm, &new);
	mutex_unlock(&vm->attr_lock);
	return ret;
}

/*
 * The attributes over [@start, @end): the values at @start, and in
 * @args->attrs those that are the same all over the range.
 */
static void neuf_svm_attr_report(struct neuf_vm *vm, u64 start, u64 end,
				 struct drm_neuf_svm_attr *args)
{
	struct neuf_svm_attrs first, a;
	u64 at = start, next;

	neuf_svm_attr_get(vm, start, &first, NULL, &next);
	args->attrs = NEUF_SVM_ATTR_LOCATION | NEUF_SVM_ATTR_FLAGS |
		      NEUF_SVM_ATTR_GRANULARITY;
	for (at = next; at < end; at = next) {
		cond_resched();
		neuf_svm_attr_get(vm, at, &a, NULL, &next);
		if (a.location != first.location)
			args->attrs &= ~NEUF_SVM_ATTR_LOCATION;
		if (a.flags != first.flags)
			args->attrs &= ~NEUF_SVM_ATTR_FLAGS;
		if (a.granularity != first.granularity)
			args->attrs &= ~NEUF_SVM_ATTR_GRANULARITY;
	}
	args->location = first.location;
	args->flags = first.flags;
	args->granularity = first.granularity;
}

/* Pages one snapshot pass looks at. */
#define NEUF_SVM_SNAPSHOT_PAGES	512

static bool neuf_svm_snapshot_invalidate(struct mmu_interval_notifier *mni,
					 const struct mmu_notifier_range *range,
					 unsigned long cur_seq)
{
	/* Nothing to clear: a snapshot only reads. */
	mmu_interval_set_seq(mni, cur_seq);
	return true;
}

static const struct mmu_interval_notifier_ops neuf_svm_snapshot_ops = {
	.invalidate = neuf_svm_snapshot_invalidate,
};

/*
 * The end of the snapshot pass from @addr if a VMA HMM can read maps
 * @addr, or 0.
 */
static u64 neuf_svm_locate_next(struct mm_struct *mm, u64 addr, u64 end)
{
	struct vm_area_struct *vma;
	u64 next = 0;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma && neuf_svm_vma_mirrorable(vma))
		next = min3(end, (u64)vma->vm_end,
			    addr + NEUF_SVM_SNAPSHOT_PAGES * PAGE_SIZE);
	mmap_read_unlock(mm);
	return next;
}

/* The end of the stretch from @addr that no readable VMA maps. */
static u64 neuf_svm_locate_hole(struct mm_struct *mm, u64 addr, u64 end)
{
	VMA_ITERATOR(vmi, mm, addr);
	struct vm_area_struct *vma;

	mmap_read_lock(mm);
	for_each_vma_range(vmi, vma, end) {
		if (neuf_svm_vma_mirrorable(vma)) {
			end = max_t(u64, addr + PAGE_SIZE, vma->vm_start);
			break;
		}
	}
	mmap_read_unlock(mm);
	return end;
}

/*
 * Count where the pages of [@start, @end) of @vm's process are, without
 * faulting anything in: hmm_range_fault() with no request reports what the
 * CPU maps, this device's VRAM pages included (it is their owner), under a
 * notifier of its own.
 */
static int neuf_svm_locate(struct neuf_vm *vm, u64 start, u64 end,
			   struct drm_neuf_svm_attr *args)
{
	struct mmu_interval_notifier notifier;
	struct hmm_range range = {
		.notifier = &notifier,
		.dev_private_owner = vm->ndev,
	};
	unsigned long *pfns;
	u64 addr, next, i, n, offset;
	int ret;

	pfns = kvmalloc_array(NEUF_SVM_SNAPSHOT_PAGES, sizeof(*pfns),
			      GFP_KERNEL);
	if (!pfns)
		return -ENOMEM;
	if (!mmget_not_zero(vm->mm)) {
		kvfree(pfns);
		return -ESRCH;
	}
	ret = mmu_interval_notifier_insert(&notifier, vm->mm, start,
					   end - start, &neuf_svm_snapshot_ops);
	if (ret)
		goto out;

	range.hmm_pfns = pfns;
	for (addr = start; addr < end; addr = next) {
		cond_resched();
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		/*
		 * Holes and mappings HMM cannot read are counted, not walked:
		 * the range may span the whole address space.
		 */
		next = neuf_svm_locate_next(vm->mm, addr, end);
		if (!next) {
			next = neuf_svm_locate_hole(vm->mm, addr, end);
			args->pages_none += (next - addr) >> PAGE_SHIFT;
			continue;
		}
		range.start = addr;
		range.end = next;
		do {
			range.notifier_seq = mmu_interval_read_begin(&notifier);
			mmap_read_lock(vm->mm);
			ret = hmm_range_fault(&range);
			mmap_read_unlock(vm->mm);
		} while (ret == -EBUSY);
		if (ret == -EFAULT) {
			/* A hole, or a mapping HMM cannot look into. */
			memset(pfns, 0, sizeof(*pfns) * NEUF_SVM_SNAPSHOT_PAGES);
			ret = 0;
		}
		if (ret)
			break;

		n = (next - addr) >> PAGE_SHIFT;
		for (i = 0; i < n; i++) {
			if (!(pfns[i] & HMM_PFN_VALID) || (pfns[i] & HMM_PFN_ERROR))
				args->pages_none++;
			else if (neuf_dmem_page_offset(vm->ndev,
						       hmm_pfn_to_page(pfns[i]),
						       &offset))
				args->pages_vram++;
			else
				args->pages_system++;
		}
	}
	mmu_interval_notifier_remove(&notifier);
out:
	mmput(vm->mm);
	kvfree(pfns);
	return ret;
}

/* Validate what the op reads, so that a bad call changes nothing. */
static int neuf_svm_attr_check(const struct drm_neuf_svm_attr *args)
{
	u64 end = args->start + args->size;

	if (args->reserved[0] || args->reserved[1] || args->reserved[2])
		return -EINVAL;
	if (!args->size || !PAGE_ALIGNED(args->start) ||
	    !PAGE_ALIGNED(args->size) || end < args->start || end > TASK_SIZE)
		return -EINVAL;

	switch (args->op) {
	case NEUF_SVM_OP_SET:
		if (!args->attrs || (args->attrs & ~(NEUF_SVM_ATTR_LOCATION |
						     NEUF_SVM_ATTR_FLAGS |
						     NEUF_SVM_ATTR_GRANULARITY)))
			return -EINVAL;
		if (args->attrs & NEUF_SVM_ATTR_LOCATION ?
		    args->location > NEUF_SVM_LOC_VRAM : args->location)
			return -EINVAL;
		if (args->attrs & NEUF_SVM_ATTR_FLAGS ?
		    args->flags & ~(NEUF_SVM_FLAG_GPU_READ_ONLY |
				    NEUF_SVM_FLAG_READ_MOSTLY) : args->flags)
			return -EINVAL;
		if (args->attrs & NEUF_SVM_ATTR_GRANULARITY ?
		    args->granularity < PAGE_SHIFT ||
		    args->granularity > NEUF_SVM_BLOCK_SHIFT :
		    args->granularity)
			return -EINVAL;
		return 0;
	case NEUF_SVM_OP_GET:
		return 0;
	case NEUF_SVM_OP_PREFETCH:
		if (args->attrs || args->flags || args->granularity)
			return -EINVAL;
		if (args->location != NEUF_SVM_LOC_SYSTEM &&
		    args->location != NEUF_SVM_LOC_VRAM)
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

/**
 * neuf_svm_attr_ioctl() - &DRM_IOCTL_NEUF_SVM_ATTR
 * @drm: the device
 * @data: &struct drm_neuf_svm_attr
 * @file: the caller's file
 *
 * Return: 0 or a negative errno, see &struct drm_neuf_svm_attr.
 */
int neuf_svm_attr_ioctl(struct drm_device *drm, void *data,
			struct drm_file *file)
{
	struct neuf_file *nfile = file->driver_priv;
	struct drm_neuf_svm_attr *args = data;
	u64 end = args->start + args->size;
	struct neuf_vm *vm;
	int ret;

	ret = neuf_svm_attr_check(args);
	if (ret)
		return ret;
	vm = neuf_vm_lookup_own(nfile, args->vm_id);
	if (IS_ERR(vm))
		return PTR_ERR(vm);

	/* What unmaps took away has no attributes any more. */
	neuf_svm_attrs_gc(vm);

	switch (args->op) {
	case NEUF_SVM_OP_SET:
		if ((args->attrs & NEUF_SVM_ATTR_LOCATION) &&
		    args->location == NEUF_SVM_LOC_VRAM && !vm->ndev->dmem) {
			ret = -EOPNOTSUPP;
			break;
		}
		/*
		 * No fault is resolved meanwhile: one that read the attributes
		 * before would map what it found writable after the clear.
		 */
		mutex_lock(&vm->fault_lock);
		ret = neuf_svm_attr_set(vm, args->start, end, args);
		/* What the GPU may write now, it may only read from now on. */
		if (!ret && (args->attrs & NEUF_SVM_ATTR_FLAGS) &&
		    (args->flags & NEUF_SVM_FLAG_GPU_READ_ONLY)) {
			mutex_lock(&vm->lock);
			neuf_svm_clear(vm, args->start, end);
			mutex_unlock(&vm->lock);
		}
		mutex_unlock(&vm->fault_lock);
		break;
	case NEUF_SVM_OP_GET:
		neuf_svm_attr_report(vm, args->start, end, args);
		args->pages_system = 0;
		args->pages_vram = 0;
		args->pages_none = 0;
		args->migrated = 0;
		ret = neuf_svm_locate(vm, args->start, end, args);
		break;
	case NEUF_SVM_OP_PREFETCH:
		args->migrated = 0;
		/* Without device memory every page is in system memory. */
		if (!vm->ndev->dmem && args->location == NEUF_SVM_LOC_SYSTEM)
			break;
		ret = neuf_dmem_migrate(vm->ndev, vm->mm, args->start, end,
					args->location == NEUF_SVM_LOC_VRAM,
					&args->migrated);
		/* Mapped where they now are, a pass over them takes no fault. */
		if (!ret && args->location == NEUF_SVM_LOC_VRAM)
			neuf_svm_map_range(vm, args->start, end);
		break;
	}
	neuf_vm_put(vm);
	return ret;
}
