// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright 2026 The neuf authors
 *
 * The neuf MMU: page-table walk, per-engine TLBs and memory access through
 * DMA addresses.
 */

#include <linux/bits.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/string.h>

#include "neuf_model_internal.h"

#define NEUF_MMU_SHIFT_64K	16
/* Walks one access makes while the entry it updates DIRTY in changes. */
#define NEUF_MMU_DIRTY_WALKS	4

/**
 * neuf_model_dma() - the kernel address of a DMA address of the GPU
 * @model: the GPU
 * @dma: a DMA address, as the driver programmed it (page-table entries,
 *	instance roots, the fault buffer)
 *
 * The model reaches memory only through here. A DMA address of the GPU
 * function's device is turned into a physical address the way the DMA
 * direct mapping defines it (dma_to_phys()), and only pages of RAM with a
 * &struct page are reached: an address outside RAM, or in device memory
 * (ZONE_DEVICE), has no kernel address and the access that needs it
 * faults. The neuf driver is 64-bit only, where there is no highmem and
 * every such page is in the kernel's linear map.
 *
 * Return: the kernel address of @dma, valid up to the end of its 4 KiB
 * page, or NULL.
 */
void *neuf_model_dma(struct neuf_model *model, u64 dma)
{
	phys_addr_t pa = dma_to_phys(model->dma_dev, dma);
	unsigned long pfn = PHYS_PFN(pa);
	struct page *page;

	if (!pfn_valid(pfn))
		return NULL;
	page = pfn_to_page(pfn);
	if (is_zone_device_page(page))
		return NULL;
	return page_address(page) + offset_in_page(pa);
}

/**
 * neuf_model_dma_check_dir() - in debug builds, have dma-debug vet an access
 * @model: the GPU
 * @dma: the first byte the GPU is about to reach
 * @size: how many bytes
 * @dir: how the GPU accesses them: %DMA_TO_DEVICE (it reads),
 *	%DMA_FROM_DEVICE (it only writes, as the copy engine's destination)
 *	or %DMA_BIDIRECTIONAL
 *
 * With CONFIG_DMA_API_DEBUG, every translation the GPU newly makes (each
 * page-table entry it reads, each page a walk leads to, each fault-buffer
 * entry it writes, each page a copy command reaches) is checked against
 * what the driver has mapped or allocated for the GPU's device: dma-debug
 * reports an address that is stale or was never mapped ("...tries to sync
 * DMA memory it has not allocated"), or mapped for the other direction, a
 * splat that fails the test run. The GPU is coherent, so the sync does
 * nothing else. Without dma-debug this is nothing.
 */
void neuf_model_dma_check_dir(struct neuf_model *model, u64 dma, size_t size,
			      enum dma_data_direction dir)
{
	if (IS_ENABLED(CONFIG_DMA_API_DEBUG))
		dma_sync_single_for_device(model->dma_dev, dma, size, dir);
}

/**
 * neuf_model_dma_check() - neuf_model_dma_check_dir() for the MMU
 * @model: the GPU
 * @dma: the first byte the GPU is about to reach
 * @size: how many bytes
 * @write: the GPU may write there (a writable translation, the fault
 *	buffer), so the mapping must allow both directions
 */
void neuf_model_dma_check(struct neuf_model *model, u64 dma, size_t size,
			  bool write)
{
	neuf_model_dma_check_dir(model, dma, size,
				 write ? DMA_BIDIRECTIONAL : DMA_TO_DEVICE);
}

/**
 * neuf_model_vram() - the model's address of a range of device memory
 * @model: the GPU
 * @offset: offset in VRAM, as a VRAM page-table entry or a copy command
 *	gives it
 * @size: bytes from @offset
 *
 * Return: the address of @offset in the model's VRAM allocation, valid for
 * @size bytes, or NULL if the range does not lie in VRAM.
 */
void *neuf_model_vram(struct neuf_model *model, u64 offset, u64 size)
{
	if (offset > model->vram_size || size > model->vram_size - offset)
		return NULL;
	return model->vram + offset;
}

/*
 * A translation of page size 2^shift is cached in the set its page number
 * hashes to; a lookup probes the set of each page size, smallest first.
 */
static unsigned int neuf_tlb_set(u32 instance, u64 va, unsigned int shift)
{
	return hash_64((va >> shift) ^ ((u64)instance << 40) ^
		       ((u64)shift << 56), ilog2(NEUF_MODEL_TLB_SETS));
}

static const u8 neuf_page_shifts[] = {
	NEUF_PAGE_SHIFT, NEUF_MMU_SHIFT_64K, NEUF_PT_SHIFT(1)
};

static struct neuf_tlb_entry *neuf_tlb_lookup(struct neuf_model_engine *eng,
					      u32 instance, u64 va)
{
	unsigned int i, way;

	for (i = 0; i < ARRAY_SIZE(neuf_page_shifts); i++) {
		unsigned int shift = neuf_page_shifts[i];
		unsigned int set = neuf_tlb_set(instance, va, shift);
		u64 page = va & ~(BIT_ULL(shift) - 1);

		for (way = 0; way < NEUF_MODEL_TLB_WAYS; way++) {
			struct neuf_tlb_entry *e = &eng->tlb[set][way];

			if (e->shift == shift && e->instance == instance &&
			    e->va == page)
				return e;
		}
	}
	return NULL;
}

/* The entry to cache a new translation in: an empty way, or the victim. */
static struct neuf_tlb_entry *neuf_tlb_fill(struct neuf_model_engine *eng,
					    const struct neuf_tlb_entry *new)
{
	unsigned int set = neuf_tlb_set(new->instance, new->va, new->shift);
	unsigned int way;

	for (way = 0; way < NEUF_MODEL_TLB_WAYS; way++)
		if (!eng->tlb[set][way].shift)
			break;
	if (way == NEUF_MODEL_TLB_WAYS) {
		way = eng->tlb_victim[set];
		eng->tlb_victim[set] = (way + 1) % NEUF_MODEL_TLB_WAYS;
	}
	eng->tlb[set][way] = *new;
	return &eng->tlb[set][way];
}

/*
 * The bit of &neuf_tlb_entry.dirty for the leaf entry that maps @va: a
 * 64 KiB page has one entry, and one DIRTY bit, per 4 KiB page.
 */
static unsigned int neuf_tlb_dirty_bit(const struct neuf_tlb_entry *e, u64 va)
{
	if (e->shift != NEUF_MMU_SHIFT_64K)
		return 0;
	return (va >> NEUF_PAGE_SHIFT) &
	       (BIT(NEUF_MMU_SHIFT_64K - NEUF_PAGE_SHIFT) - 1);
}

/* Read entry @index of the page-table page at DMA address @table. */
static bool neuf_pt_read(struct neuf_model *model, u64 table,
			 unsigned int index, u64 *pte)
{
	__le64 *entries = neuf_model_dma(model, table);

	if (!entries)
		return false;
	neuf_model_dma_check(model, table + index * sizeof(*entries),
			     sizeof(*entries), false);
	*pte = le64_to_cpu(READ_ONCE(entries[index]));
	return true;
}

/* Walk @instance's page table for @va into @e; false: no valid leaf. */
static bool neuf_pt_walk(struct neuf_model *model, u32 instance, u64 va,
			 struct neuf_tlb_entry *e)
{
	unsigned int level, shift;
	u64 table, pte;

	if (instance >= NEUF_MODEL_INSTANCES)
		return false;
	table = READ_ONCE(model->inst_root[instance]);
	if (!(table & NEUF_INST_BOUND))
		return false;
	table &= NEUF_PTE_ADDR;

	for (level = NEUF_PT_LEVELS - 1; ; level--) {
		if (!neuf_pt_read(model, table, NEUF_PT_INDEX(va, level), &pte))
			return false;
		if (!(pte & NEUF_PTE_VALID))
			return false;
		if (level == 1 && (pte & NEUF_PTE_LEAF)) {
			shift = NEUF_PT_SHIFT(1);
			break;
		}
		if (level == 0) {
			shift = (pte & NEUF_PTE_PS64K) ? NEUF_MMU_SHIFT_64K :
							  NEUF_PAGE_SHIFT;
			break;
		}
		table = pte & NEUF_PTE_ADDR;
	}

	e->shift = shift;
	e->va = va & ~(BIT_ULL(shift) - 1);
	e->pa = pte & NEUF_PTE_ADDR & ~(BIT_ULL(shift) - 1);
	e->perm = pte & NEUF_PERM_MASK;
	e->instance = instance;
	e->vram = pte & NEUF_PTE_VRAM;
	/*
	 * Atomics need ATOMIC only on system memory whose atomics are not
	 * coherent; VRAM's are the device's own.
	 */
	if ((e->vram || model->sysmem_atomics) && (pte & NEUF_PTE_WRITABLE))
		e->perm |= NEUF_PTE_ATOMIC;
	e->pte = table + NEUF_PT_INDEX(e->va, level) * sizeof(pte);
	e->dirty = (pte & NEUF_PTE_DIRTY) ? BIT(neuf_tlb_dirty_bit(e, va)) : 0;
	return true;
}

/*
 * The first write through a translation whose leaf entry is clean sets
 * the entry's DIRTY bit (for a 64 KiB page, that of the entry of the 4 KiB
 * page @va is in), with an atomic read-modify-write that succeeds only
 * while the entry is still valid, writable and maps the same page: a
 * driver clearing it concurrently either sees the bit or makes the write
 * fault. Returns false if the entry changed under the TLB.
 */
static bool neuf_mmu_set_dirty(struct neuf_model *model,
			       struct neuf_tlb_entry *e, u64 va)
{
	unsigned int bit = neuf_tlb_dirty_bit(e, va);
	u64 pte = e->pte + bit * sizeof(__le64);
	__le64 *p = neuf_model_dma(model, pte);
	u64 size = BIT_ULL(e->shift), old, new;
	bool huge = e->shift == NEUF_PT_SHIFT(1);
	bool ps64k = e->shift == NEUF_MMU_SHIFT_64K;

	if (!p)
		return false;
	neuf_model_dma_check(model, pte, sizeof(*p), true);
	old = le64_to_cpu(READ_ONCE(*p));
	for (;;) {
		u64 prev;

		/* LEAF means something at level 1 only, PS64K at level 0. */
		if (!(old & NEUF_PTE_VALID) || !(old & NEUF_PTE_WRITABLE) ||
		    (huge && !(old & NEUF_PTE_LEAF)) ||
		    (!huge && ps64k != !!(old & NEUF_PTE_PS64K)) ||
		    e->vram != !!(old & NEUF_PTE_VRAM) ||
		    (old & NEUF_PTE_ADDR & ~(size - 1)) != e->pa)
			return false;
		if (old & NEUF_PTE_DIRTY)
			break;
		new = old | NEUF_PTE_DIRTY;
		prev = le64_to_cpu((__force __le64)
				   cmpxchg64((__force u64 *)p,
					     (__force u64)cpu_to_le64(old),
					     (__force u64)cpu_to_le64(new)));
		if (prev == old)
			break;
		old = prev;
	}
	e->dirty |= BIT(bit);
	return true;
}

/**
 * neuf_mmu_translate() - translate a virtual address for an access
 * @eng: the engine that accesses memory; its lock must be held
 * @instance: the address space
 * @va: the virtual address
 * @need: the permission bits the access needs: %NEUF_PTE_VALID for a read,
 *	plus %NEUF_PTE_WRITABLE for a write, plus %NEUF_PTE_ATOMIC for an atomic
 * @x: where to return the translation of the 4 KiB page containing @va,
 *	or of its whole 2 MiB page
 *
 * Looks @va up in @eng's TLB and walks the page table on a miss, caching the
 * leaf translation found, permissions and all. Invalid entries are never
 * cached. A hit is trusted: its permissions are not checked against the page
 * table again, so a translation stays as it was cached until the driver
 * invalidates it. A write or atomic through a translation whose entry is
 * clean first sets the entry's DIRTY bit (neuf_mmu_set_dirty()).
 *
 * @x is valid until @eng's lock is released.
 *
 * A VRAM entry leads into the model's VRAM, at the offset it holds, and
 * nowhere else: an offset past VRAM's end faults like an invalid entry.
 *
 * Return: true if @va translates with @need to RAM or VRAM, false for a
 * fault.
 */
bool neuf_mmu_translate(struct neuf_model_engine *eng, u32 instance, u64 va,
			u8 need, struct neuf_xlate *x)
{
	struct neuf_tlb_entry *e, walked;
	unsigned int walks = 0;
	u8 *kaddr;
	u64 pa;

	lockdep_assert_held(&eng->lock);

	if (va >> NEUF_MODEL_VA_BITS)
		return false;

	e = neuf_tlb_lookup(eng, instance, va);
	for (;;) {
		if (!e) {
			if (!neuf_pt_walk(eng->model, instance, va, &walked))
				return false;
			e = neuf_tlb_fill(eng, &walked);
			walks++;
		}
		if ((e->perm & need) != need)
			return false;
		if (!(need & NEUF_PTE_WRITABLE) ||
		    (e->dirty & BIT(neuf_tlb_dirty_bit(e, va))) ||
		    neuf_mmu_set_dirty(eng->model, e, va))
			break;
		/*
		 * The entry changed under the TLB: drop it and walk again. An
		 * entry rewritten between every walk and its update faults.
		 */
		e->shift = 0;
		if (walks == NEUF_MMU_DIRTY_WALKS)
			return false;
		e = NULL;
	}

	pa = e->pa + ((va - e->va) & NEUF_PAGE_MASK);
	if (e->vram) {
		u64 size = BIT_ULL(e->shift);

		/*
		 * VRAM is contiguous: the whole page at once, if it fits,
		 * but a 64 KiB page 4 KiB at a time, each with its own DIRTY.
		 */
		kaddr = neuf_model_vram(eng->model, e->pa, size);
		if (!kaddr)
			return false;
		x->base = e->va;
		x->mask = size - 1;
		x->kaddr = kaddr;
		if (e->shift == NEUF_MMU_SHIFT_64K) {
			x->base = va & NEUF_PAGE_MASK;
			x->mask = NEUF_PAGE_SIZE - 1;
			x->kaddr = kaddr + (x->base - e->va);
		}
		goto out;
	}
	kaddr = neuf_model_dma(eng->model, pa);
	if (!kaddr)
		return false;
	/* The whole page the entry maps: its other 4 KiB pages hit the TLB. */
	if (walks)
		neuf_model_dma_check(eng->model, e->pa, BIT_ULL(e->shift),
				     e->perm & NEUF_PTE_WRITABLE);

	x->base = va & NEUF_PAGE_MASK;
	x->mask = NEUF_PAGE_SIZE - 1;
	x->kaddr = kaddr;
	if (e->shift == NEUF_PT_SHIFT(1)) {
		/*
		 * A 2 MiB page, one entry, one DIRTY bit: the whole page at
		 * once, if the kernel maps it in one piece.
		 */
		u64 size = BIT_ULL(e->shift);
		u8 *first = neuf_model_dma(eng->model, e->pa);
		u8 *last = neuf_model_dma(eng->model,
					  e->pa + size - NEUF_PAGE_SIZE);

		if (first && last == first + size - NEUF_PAGE_SIZE) {
			x->base = e->va;
			x->mask = size - 1;
			x->kaddr = first;
		}
	}
out:
	x->page = va & NEUF_PAGE_MASK;
	/* Until the entry is dirty, a write must come back here. */
	x->perm = (e->dirty & BIT(neuf_tlb_dirty_bit(e, va))) ? e->perm :
		  e->perm & ~(NEUF_PTE_WRITABLE | NEUF_PTE_ATOMIC);
	return true;
}

/**
 * neuf_mmu_invalidate() - drop cached translations of a range
 * @eng: the engine whose TLB to invalidate
 * @instance: the address space
 * @start: first virtual address of the range
 * @end: first virtual address past the range
 *
 * Drops every translation of @instance in @eng's TLB whose page overlaps
 * [@start, @end). Takes @eng's lock, so it also waits for the turn of the
 * engine in progress, and with it every access through a dropped
 * translation. Never sleeps.
 */
void neuf_mmu_invalidate(struct neuf_model_engine *eng, u32 instance,
			 u64 start, u64 end)
{
	struct neuf_tlb_entry *e;
	unsigned long flags;
	unsigned int set, way;

	/* An empty range: nothing (hardware.rst), not the pages around it. */
	if (start >= end)
		return;
	spin_lock_irqsave(&eng->lock, flags);
	for (set = 0; set < NEUF_MODEL_TLB_SETS; set++) {
		for (way = 0; way < NEUF_MODEL_TLB_WAYS; way++) {
			e = &eng->tlb[set][way];
			if (e->shift && e->instance == instance &&
			    e->va < end && e->va + BIT_ULL(e->shift) > start)
				e->shift = 0;
		}
	}
	spin_unlock_irqrestore(&eng->lock, flags);
}

/**
 * neuf_mmu_flush_instance() - drop every cached translation of an instance
 * @eng: the engine whose TLB to flush
 * @instance: the address space
 *
 * Like neuf_mmu_invalidate() on the whole address space. Never sleeps.
 */
void neuf_mmu_flush_instance(struct neuf_model_engine *eng, u32 instance)
{
	neuf_mmu_invalidate(eng, instance, 0, U64_MAX);
}

/**
 * neuf_mmu_flush_locked() - empty an engine's TLB
 * @eng: the engine, whose lock must be held
 */
void neuf_mmu_flush_locked(struct neuf_model_engine *eng)
{
	lockdep_assert_held(&eng->lock);
	memset(eng->tlb, 0, sizeof(eng->tlb));
}
