// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright 2026 The neuf authors
 */

#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/ioport.h>
#include <linux/memremap.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_print.h>

#include "neuf_copy.h"
#include "neuf_dmem.h"
#include "neuf_drv.h"
#include "neuf_regs.h"
#include "neuf_trace.h"

/**
 * DOC: neuf device memory
 *
 * The GPU's VRAM (hardware revision 1.2) is given to the kernel as
 * DEVICE_PRIVATE pages: memremap_pages() over a free physical range as
 * large as VRAM, one &struct page per 4 KiB of it, owned by the neuf
 * device. Page *n* of the range is VRAM offset *n* * 4 KiB; the CPU can
 * never map it, so the CPU's page tables hold device-private swap entries
 * where a page lives in VRAM, and a CPU access calls migrate_to_ram().
 *
 * VRAM is handed out in 2 MiB blocks of 512 pages (&struct
 * neuf_dmem_block). A migration of a whole, aligned 2 MiB block of
 * address space takes a free block, so its pages are contiguous in VRAM in
 * address order; smaller migrations take pages from partially used blocks
 * first. A page goes back to its block when its last reference goes
 * (&dev_pagemap_ops.page_free); a block with no page left is free again.
 * Blocks are kept in the order they were last allocated from: when VRAM is
 * full, the least recently used block is evicted to system memory with
 * migrate_device_range(), which needs no mm lock and finds the pages
 * whichever process maps them, until enough pages are free. Pages a
 * migration holds (locked, not yet mapped) are skipped, so eviction never
 * waits on a migration.
 *
 * Every migration moves its data through the copy engine, system pages
 * mapped for the GPU (DMA_TO_DEVICE to read them, DMA_FROM_DEVICE to fill
 * them) until the copy's fence signalled. Migrations run in the window of
 * at most one aligned 2 MiB block: migrate_vma_setup() unmaps the pages
 * from the CPU (an %MMU_NOTIFY_MIGRATE invalidation whose owner is this
 * device), the copy runs, migrate_vma_pages() installs the new pages and
 * migrate_vma_finalize() releases the old ones. The invalidation clears
 * the GPU's own mappings of the range too, so no engine writes a page
 * while it is copied; the GPU's next fault maps the new location: a VRAM
 * page with a VRAM page-table entry (no DMA mapping), a system page as
 * before.
 *
 * Locking: &neuf_dmem.lock (spinlock) protects the blocks' lists and
 * bitmaps; nothing sleeps under it. Migrations hold the mmap_lock for
 * reading (migrate_to_ram() is called with it) and no lock of the driver:
 * the invalidations they cause take the VMs' locks, so a migration must
 * never run under &neuf_vm.lock.
 */

#define NEUF_DMEM_BLOCK_PAGES	(SZ_2M >> PAGE_SHIFT)

/*
 * Scratch arrays kept for reuse (32 KiB each): allocating them for each
 * window (a vmalloc() when no order-3 block is at hand, and a TLB flush to
 * free it) cost a 4 KiB migration more than its copy.
 */
#define NEUF_DMEM_SCRATCH_KEPT	4

/* How long unbinding keeps moving pages out of VRAM before it gives up. */
#define NEUF_DMEM_EVICT_TIMEOUT_MS	10000

struct neuf_dmem;
struct neuf_dmem_scratch;

/**
 * struct neuf_dmem_block - 2 MiB of VRAM
 * @dmem: the device memory it belongs to
 * @link: entry in &neuf_dmem.free, .partial or .full
 * @lru: entry in &neuf_dmem.lru while it holds pages
 * @pfn: its first page
 * @used: pages handed out
 * @evicting: an eviction works on it
 * @map: which pages are handed out
 */
struct neuf_dmem_block {
	struct neuf_dmem *dmem;
	struct list_head link;
	struct list_head lru;
	unsigned long pfn;
	unsigned int used;
	bool evicting;
	DECLARE_BITMAP(map, NEUF_DMEM_BLOCK_PAGES);
};

/**
 * struct neuf_dmem - a device's VRAM as DEVICE_PRIVATE memory
 * @ndev: the device
 * @pgmap: the pagemap, owned by @ndev
 * @res: the physical range its pages stand for
 * @pfn_first: the first page's frame number
 * @nblocks: blocks of VRAM
 * @blocks: the blocks
 * @lock: protects the lists, the blocks' @used, @map and @evicting,
 *	@used_pages, @dying and @scratch; never held while sleeping
 * @free: blocks with no page handed out
 * @partial: blocks with some
 * @full: blocks with all
 * @lru: blocks holding pages, least recently allocated from first
 * @used_pages: pages handed out
 * @dying: the device is going away: no more migrations to VRAM
 * @scratch: scratch arrays kept for the next migrations, under @lock
 * @nscratch: how many
 */
struct neuf_dmem {
	struct neuf_device *ndev;
	struct dev_pagemap pgmap;
	struct resource *res;
	unsigned long pfn_first;
	unsigned int nblocks;
	struct neuf_dmem_block *blocks;
	/* lists, blocks, @used_pages, @dying, @scratch */
	spinlock_t lock;
	struct list_head free;
	struct list_head partial;
	struct list_head full;
	struct list_head lru;
	u64 used_pages;
	bool dying;
	struct neuf_dmem_scratch *scratch[NEUF_DMEM_SCRATCH_KEPT];
	unsigned int nscratch;
};

/* The arrays of one migration of at most a block's pages. */
struct neuf_dmem_scratch {
	unsigned long src[NEUF_DMEM_BLOCK_PAGES];
	unsigned long dst[NEUF_DMEM_BLOCK_PAGES];
	dma_addr_t dma[NEUF_DMEM_BLOCK_PAGES];
	struct page *pages[NEUF_DMEM_BLOCK_PAGES];
	struct neuf_copy_cmd cmds[NEUF_DMEM_BLOCK_PAGES];
};

static_assert(NEUF_DMEM_BLOCK_PAGES <= NEUF_COPY_MAX_CMDS);

/* Scratch arrays for one migration: kept ones, or new ones. */
static struct neuf_dmem_scratch *
neuf_dmem_scratch_get(struct neuf_dmem *dmem, gfp_t gfp)
{
	struct neuf_dmem_scratch *s = NULL;

	spin_lock(&dmem->lock);
	if (dmem->nscratch)
		s = dmem->scratch[--dmem->nscratch];
	spin_unlock(&dmem->lock);
	return s ?: kvmalloc(sizeof(*s), gfp);
}

static void neuf_dmem_scratch_put(struct neuf_dmem *dmem,
				  struct neuf_dmem_scratch *s)
{
	spin_lock(&dmem->lock);
	if (dmem->nscratch < NEUF_DMEM_SCRATCH_KEPT) {
		dmem->scratch[dmem->nscratch++] = s;
		s = NULL;
	}
	spin_unlock(&dmem->lock);
	kvfree(s);
}

static u64 neuf_dmem_offset(struct neuf_dmem *dmem, struct page *page)
{
	return (u64)(page_to_pfn(page) - dmem->pfn_first) << PAGE_SHIFT;
}

/**
 * neuf_dmem_page_offset() - the VRAM offset of one of the device's pages
 * @ndev: the device
 * @page: a page hmm_range_fault() returned for @ndev as the device-private
 *	owner: a system page, or a device-private page of @ndev's (it returns
 *	no other device's)
 * @offset: where to return the offset
 *
 * Return: true if @page is in @ndev's VRAM.
 */
bool neuf_dmem_page_offset(struct neuf_device *ndev, struct page *page,
			   u64 *offset)
{
	struct neuf_dmem_block *block;

	if (!is_device_private_page(page))
		return false;
	block = page->zone_device_data;
	if (WARN_ON_ONCE(!block || block->dmem->ndev != ndev))
		return false;
	*offset = neuf_dmem_offset(block->dmem, page);
	return true;
}

/*
 * Hand out up to @n pages into @pages: the first free block whole, in
 * order, if @whole; otherwise pages of partially used blocks first.
 * Returns how many; the pages still need zone_device_page_init().
 */
static unsigned int neuf_dmem_take(struct neuf_dmem *dmem, struct page **pages,
				   unsigned int n, bool whole)
{
	struct neuf_dmem_block *block;
	unsigned int got = 0, bit;

	spin_lock(&dmem->lock);
	while (got < n && !dmem->dying) {
		block = NULL;
		if (!whole)
			block = list_first_entry_or_null(&dmem->partial,
							 struct neuf_dmem_block,
							 link);
		if (!block)
			block = list_first_entry_or_null(&dmem->free,
							 struct neuf_dmem_block,
							 link);
		if (!block)
			break;
		whole = false;

		for_each_clear_bit(bit, block->map, NEUF_DMEM_BLOCK_PAGES) {
			if (got == n)
				break;
			__set_bit(bit, block->map);
			block->used++;
			pages[got++] = pfn_to_page(block->pfn + bit);
		}
		list_move_tail(&block->link,
			       block->used == NEUF_DMEM_BLOCK_PAGES ?
			       &dmem->full : &dmem->partial);
		list_del(&block->lru);
		list_add_tail(&block->lru, &dmem->lru);
	}
	dmem->used_pages += got;
	spin_unlock(&dmem->lock);
	return got;
}

/*
 * Evict the least recently used block that no eviction works on. Returns
 * false if there is none.
 */
static bool neuf_dmem_evict_lru(struct neuf_dmem *dmem);

/*
 * Allocate @n pages of VRAM, evicting blocks to make room if need be.
 * Returns how many it got (fewer if eviction could not free enough), each
 * locked with one reference, as migrate_vma_pages() wants them.
 */
static unsigned int neuf_dmem_alloc(struct neuf_dmem *dmem,
				    struct page **pages, unsigned int n,
				    bool whole)
{
	struct neuf_dmem_block *block;
	unsigned int got, i, tries;

	got = neuf_dmem_take(dmem, pages, n, whole);
	for (tries = 0; got < n && tries < dmem->nblocks; tries++) {
		if (!neuf_dmem_evict_lru(dmem))
			break;
		got += neuf_dmem_take(dmem, pages + got, n - got,
				      whole && !got);
	}

	for (i = 0; i < got; i++) {
		block = &dmem->blocks[(page_to_pfn(pages[i]) - dmem->pfn_first) /
				      NEUF_DMEM_BLOCK_PAGES];
		pages[i]->zone_device_data = block;
		zone_device_page_init(pages[i]);
	}
	return got;
}

/* Give back a page neuf_dmem_alloc() returned and no migration used. */
static void neuf_dmem_release(struct page *page)
{
	unlock_page(page);
	put_page(page);
}

static void neuf_dmem_page_free(struct page *page)
{
	struct neuf_dmem_block *block = page->zone_device_data;
	struct neuf_dmem *dmem = block->dmem;

	spin_lock(&dmem->lock);
	__clear_bit(page_to_pfn(page) - block->pfn, block->map);
	if (block->used-- == NEUF_DMEM_BLOCK_PAGES)
		list_move_tail(&block->link, &dmem->partial);
	if (!block->used) {
		list_move_tail(&block->link, &dmem->free);
		list_del_init(&block->lru);
	}
	dmem->used_pages--;
	spin_unlock(&dmem->lock);
}

/* Queue one page's copy, merged with the previous command if contiguous. */
static void neuf_dmem_cmd_add(struct neuf_copy_cmd *cmds, unsigned int *n,
			      u64 src, u64 dst, u32 flags)
{
	struct neuf_copy_cmd *c = *n ? &cmds[*n - 1] : NULL;

	if (c && c->flags == flags && c->length < NEUF_COPY_MAX_LENGTH &&
	    c->dst + c->length == dst &&
	    (flags & NEUF_COPY_FILL ? c->src == src :
				      c->src + c->length == src)) {
		c->length += PAGE_SIZE;
		return;
	}
	cmds[(*n)++] = (struct neuf_copy_cmd){
		.src = src, .dst = dst, .length = PAGE_SIZE, .flags = flags,
	};
}

/* Run the commands and account the time spent waiting for them. */
static int neuf_dmem_copy(struct neuf_dmem *dmem, struct neuf_copy_cmd *cmds,
			  unsigned int n)
{
	u64 t0 = ktime_get_ns();
	int ret;

	if (!n)
		return 0;
	ret = neuf_copy_run(dmem->ndev, cmds, n);
	neuf_dmem_stat_add(dmem->ndev, NEUF_DMEM_COPY_NS, ktime_get_ns() - t0);
	return ret;
}

/*
 * Copy the collected VRAM pages of @s->src (a migration of @npages out of
 * VRAM) into new system pages, filling @s->dst. With @vma, the pages are
 * allocated for the addresses from @start; without, for no address
 * (eviction). Returns 0, -ENOMEM if @fault_page got no system page, or
 * -EIO (then nothing migrates).
 */
static int neuf_dmem_copy_out(struct neuf_dmem *dmem,
			      struct neuf_dmem_scratch *s, unsigned int npages,
			      struct vm_area_struct *vma, unsigned long start,
			      struct page *fault_page, gfp_t gfp)
{
	struct device *dev = dmem->ndev->drm.dev;
	unsigned int i, n = 0;
	int ret = 0, err;

	for (i = 0; i < npages; i++) {
		struct page *spage = migrate_pfn_to_page(s->src[i]);
		struct page *dpage;
		dma_addr_t dma;

		s->dst[i] = 0;
		if (!spage || !(s->src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		dpage = vma ? alloc_page_vma(gfp, vma, start + i * PAGE_SIZE) :
			      alloc_page(gfp);
		if (!dpage)
			goto nomem;
		lock_page(dpage);
		dma = dma_map_page(dev, dpage, 0, PAGE_SIZE, DMA_FROM_DEVICE);
		if (dma_mapping_error(dev, dma)) {
			unlock_page(dpage);
			put_page(dpage);
			goto nomem;
		}
		s->dma[i] = dma;
		neuf_dmem_cmd_add(s->cmds, &n, neuf_dmem_offset(dmem, spage), dma,
				  NEUF_COPY_SRC_VRAM);
		s->dst[i] = migrate_pfn(page_to_pfn(dpage)) |
			    (s->src[i] & MIGRATE_PFN_WRITE);
		continue;
nomem:
		if (spage == fault_page)
			ret = -ENOMEM;
	}

	err = neuf_dmem_copy(dmem, s->cmds, n);
	for (i = 0; i < npages; i++) {
		if (!s->dst[i])
			continue;
		dma_unmap_page(dev, s->dma[i], PAGE_SIZE, DMA_FROM_DEVICE);
		if (err) {
			struct page *dpage = migrate_pfn_to_page(s->dst[i]);

			unlock_page(dpage);
			put_page(dpage);
			s->dst[i] = 0;
		}
	}
	return err ?: ret;
}

static unsigned int neuf_dmem_count_migrated(const unsigned long *src,
					     unsigned int npages)
{
	unsigned int i, n = 0;

	for (i = 0; i < npages; i++)
		if (src[i] & MIGRATE_PFN_MIGRATE)
			n++;
	return n;
}

/* Evict @block's pages to system memory. */
static void neuf_dmem_evict_block(struct neuf_dmem *dmem,
				  struct neuf_dmem_block *block, gfp_t gfp)
{
	struct neuf_dmem_scratch *s;
	unsigned int moved;

	s = neuf_dmem_scratch_get(dmem, GFP_KERNEL | (gfp & __GFP_NOFAIL));
	if (!s)
		return;
	if (migrate_device_range(s->src, block->pfn, NEUF_DMEM_BLOCK_PAGES))
		goto out;
	neuf_dmem_copy_out(dmem, s, NEUF_DMEM_BLOCK_PAGES, NULL, 0, NULL, gfp);
	migrate_device_pages(s->src, s->dst, NEUF_DMEM_BLOCK_PAGES);
	moved = neuf_dmem_count_migrated(s->src, NEUF_DMEM_BLOCK_PAGES);
	migrate_device_finalize(s->src, s->dst, NEUF_DMEM_BLOCK_PAGES);
	neuf_dmem_stat_add(dmem->ndev, NEUF_DMEM_EVICTED_PAGES, moved);
	neuf_dmem_stat_add(dmem->ndev, NEUF_DMEM_TO_RAM_PAGES, moved);
	neuf_dmem_stat_add(dmem->ndev, NEUF_DMEM_EVICTIONS, 1);
	trace_neuf_dmem_evict(dmem->ndev->drm.render->index,
			      neuf_dmem_offset(dmem, pfn_to_page(block->pfn)),
			      moved);
out:
	neuf_dmem_scratch_put(dmem, s);
}

static bool neuf_dmem_evict_lru(struct neuf_dmem *dmem)
{
	struct neuf_dmem_block *block, *victim = NULL;

	spin_lock(&dmem->lock);
	list_for_each_entry(block, &dmem->lru, lru) {
		if (!block->evicting) {
			victim = block;
			victim->evicting = true;
			/* The next eviction picks another. */
			list_move_tail(&victim->lru, &dmem->lru);
			break;
		}
	}
	spin_unlock(&dmem->lock);
	if (!victim)
		return false;

	neuf_dmem_evict_block(dmem, victim, GFP_HIGHUSER_MOVABLE);

	spin_lock(&dmem->lock);
	victim->evicting = false;
	spin_unlock(&dmem->lock);
	return true;
}

/*
 * Collect the pages of [@start, @end) of @vma that @flags selects for
 * migration into @s (migrate_vma_setup(), which unmaps them from the CPU
 * after an %MMU_NOTIFY_MIGRATE invalidation).
 */
static int neuf_dmem_collect(struct neuf_dmem *dmem, struct migrate_vma *mig,
			     struct vm_area_struct *vma, unsigned long start,
			     unsigned long end, unsigned long flags,
			     struct page *fault_page,
			     struct neuf_dmem_scratch *s)
{
	*mig = (struct migrate_vma){
		.vma = vma,
		.start = start,
		.end = end,
		.src = s->src,
		.dst = s->dst,
		.pgmap_owner = dmem->ndev,
		.flags = flags,
		.fault_page = fault_page,
	};
	return migrate_vma_setup(mig);
}

/*
 * Install the copies @mig's dst holds (migrate_vma_pages()) and release
 * the pages on both sides. Returns how many pages migrated.
 */
static unsigned int neuf_dmem_install(struct neuf_dmem *dmem,
				      struct migrate_vma *mig, bool to_vram)
{
	unsigned int got;

	migrate_vma_pages(mig);
	got = neuf_dmem_count_migrated(mig->src, mig->npages);
	migrate_vma_finalize(mig);
	neuf_dmem_stat_add(dmem->ndev, to_vram ? NEUF_DMEM_TO_VRAM_PAGES :
			   NEUF_DMEM_TO_RAM_PAGES, got);
	trace_neuf_dmem_migrate(dmem->ndev->drm.render->index, mig->start,
				mig->end, to_vram, got);
	return got;
}

/*
 * Migrate the system pages of [@start, @end), within one 2 MiB block of
 * @vma, to VRAM. Returns the pages migrated or a negative errno.
 */
static long neuf_dmem_window_to_vram(struct neuf_dmem *dmem,
				     struct vm_area_struct *vma,
				     unsigned long start, unsigned long end,
				     struct neuf_dmem_scratch *s)
{
	struct device *dev = dmem->ndev->drm.dev;
	unsigned int npages = (end - start) >> PAGE_SHIFT;
	unsigned int i, want, got, k = 0, n = 0;
	struct migrate_vma mig;
	long ret;

	ret = neuf_dmem_collect(dmem, &mig, vma, start, end,
				MIGRATE_VMA_SELECT_SYSTEM, NULL, s);
	if (ret)
		return ret;

	want = neuf_dmem_count_migrated(s->src, npages);
	got = want ? neuf_dmem_alloc(dmem, s->pages, want,
				     want == NEUF_DMEM_BLOCK_PAGES) : 0;
	for (i = 0; i < npages; i++) {
		struct page *spage = migrate_pfn_to_page(s->src[i]);
		struct page *dpage;
		u64 offset;

		s->dst[i] = 0;
		s->dma[i] = DMA_MAPPING_ERROR;
		if (!(s->src[i] & MIGRATE_PFN_MIGRATE) || k == got)
			continue;
		dpage = s->pages[k++];
		offset = neuf_dmem_offset(dmem, dpage);
		if (spage) {
			s->dma[i] = dma_map_page(dev, spage, 0, PAGE_SIZE,
						 DMA_TO_DEVICE);
			if (dma_mapping_error(dev, s->dma[i])) {
				s->dma[i] = DMA_MAPPING_ERROR;
				neuf_dmem_release(dpage);
				continue;
			}
			neuf_dmem_cmd_add(s->cmds, &n, s->dma[i], offset,
					  NEUF_COPY_DST_VRAM);
		} else {
			/* Never touched: the new page reads as zeroes. */
			neuf_dmem_cmd_add(s->cmds, &n, 0, offset,
					  NEUF_COPY_FILL | NEUF_COPY_DST_VRAM);
		}
		s->dst[i] = migrate_pfn(page_to_pfn(dpage));
		if ((s->src[i] & MIGRATE_PFN_WRITE) ||
		    (!spage && (vma->vm_flags & VM_WRITE)))
			s->dst[i] |= MIGRATE_PFN_WRITE;
	}
	while (k < got)
		neuf_dmem_release(s->pages[k++]);

	ret = neuf_dmem_copy(dmem, s->cmds, n);
	for (i = 0; i < npages; i++) {
		if (s->dma[i] != DMA_MAPPING_ERROR)
			dma_unmap_page(dev, s->dma[i], PAGE_SIZE,
				       DMA_TO_DEVICE);
		if (ret && s->dst[i]) {
			neuf_dmem_release(migrate_pfn_to_page(s->dst[i]));
			s->dst[i] = 0;
		}
	}

	got = neuf_dmem_install(dmem, &mig, true);
	return ret ?: got;
}

/*
 * Migrate this device's VRAM pages of [@start, @end), within one 2 MiB
 * block of @vma, to system memory; @fault_page is the page a CPU fault
 * is on, or NULL. Returns the pages migrated or a negative errno.
 */
static long neuf_dmem_window_to_ram(struct neuf_dmem *dmem,
				    struct vm_area_struct *vma,
				    unsigned long start, unsigned long end,
				    struct page *fault_page,
				    struct neuf_dmem_scratch *s)
{
	unsigned int npages = (end - start) >> PAGE_SHIFT, got;
	struct migrate_vma mig;
	long ret;

	ret = neuf_dmem_collect(dmem, &mig, vma, start, end,
				MIGRATE_VMA_SELECT_DEVICE_PRIVATE, fault_page, s);
	if (ret)
		return ret;
	ret = neuf_dmem_copy_out(dmem, s, npages, vma, start, fault_page,
				 GFP_HIGHUSER_MOVABLE);
	got = neuf_dmem_install(dmem, &mig, false);
	return ret ?: got;
}

/*
 * The CPU touched a page in VRAM: bring back the 2 MiB block of address
 * space around it (within its VMA), one migration.
 */
static vm_fault_t neuf_dmem_migrate_to_ram(struct vm_fault *vmf)
{
	struct neuf_dmem_block *block = vmf->page->zone_device_data;
	struct neuf_dmem *dmem = block->dmem;
	struct vm_area_struct *vma = vmf->vma;
	unsigned long start, end;
	struct neuf_dmem_scratch *s;
	long ret;

	start = max(ALIGN_DOWN(vmf->address, SZ_2M), vma->vm_start);
	end = min(ALIGN_DOWN(vmf->address, SZ_2M) + SZ_2M, vma->vm_end);

	s = neuf_dmem_scratch_get(dmem, GFP_KERNEL);
	if (!s)
		return VM_FAULT_OOM;
	neuf_dmem_stat_add(dmem->ndev, NEUF_DMEM_CPU_FAULTS, 1);
	ret = neuf_dmem_window_to_ram(dmem, vma, start, end, vmf->page, s);
	neuf_dmem_scratch_put(dmem, s);
	if (ret == -ENOMEM)
		return VM_FAULT_OOM;
	return ret < 0 ? VM_FAULT_SIGBUS : 0;
}

static const struct dev_pagemap_ops neuf_dmem_pagemap_ops = {
	.page_free = neuf_dmem_page_free,
	.migrate_to_ram = neuf_dmem_migrate_to_ram,
};

/**
 * neuf_dmem_migrate_window() - migrate a window of a VMA to or from VRAM
 * @ndev: the device
 * @vma: the VMA, its mm's mmap_lock held
 * @start: first address, page aligned, in @vma
 * @end: first address past the window, in @vma and in @start's 2 MiB block
 * @to_vram: to this device's VRAM, or back to system memory
 *
 * Return: the pages migrated, or a negative errno (see neuf_dmem_migrate()).
 */
long neuf_dmem_migrate_window(struct neuf_device *ndev,
			      struct vm_area_struct *vma, unsigned long start,
			      unsigned long end, bool to_vram)
{
	struct neuf_dmem *dmem = ndev->dmem;
	struct neuf_dmem_scratch *s;
	long ret;

	if (!dmem)
		return to_vram ? -EOPNOTSUPP : 0;
	mmap_assert_locked(vma->vm_mm);
	s = neuf_dmem_scratch_get(dmem, GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	if (to_vram)
		ret = neuf_dmem_window_to_vram(dmem, vma, start, end, s);
	else
		ret = neuf_dmem_window_to_ram(dmem, vma, start, end, NULL, s);
	neuf_dmem_scratch_put(dmem, s);
	return ret;
}

/**
 * neuf_dmem_migrate() - migrate a range of a process to or from VRAM
 * @ndev: the device
 * @mm: the process's address space
 * @start: first address, page aligned
 * @end: first address past the range, page aligned
 * @to_vram: to this device's VRAM, or back to system memory
 * @migrated: increased by the pages migrated
 *
 * Pages the kernel cannot migrate (file-backed, pinned, locked by another
 * migration) stay where they are; VRAM that runs out is made room in by
 * eviction, and what still does not fit stays in system memory.
 *
 * Context: process context; takes the mmap_lock for reading.
 * Return: 0; -EFAULT if part of the range is not mapped (what came before
 * it was migrated); -EOPNOTSUPP without device memory; -ENODEV if the
 * device is going away; -ESRCH if @mm is gone; -EINTR on a fatal signal;
 * -ENOMEM; -EIO if the copy engine failed.
 */
int neuf_dmem_migrate(struct neuf_device *ndev, struct mm_struct *mm,
		      u64 start, u64 end, bool to_vram, u64 *migrated)
{
	struct vm_area_struct *vma;
	unsigned long addr, next;
	long ret = 0;

	if (!ndev->dmem)
		return -EOPNOTSUPP;
	if (!mmget_not_zero(mm))
		return -ESRCH;

	mmap_read_lock(mm);
	for (addr = start; addr < end; addr = next) {
		vma = vma_lookup(mm, addr);
		if (!vma) {
			ret = -EFAULT;
			break;
		}
		next = min3((unsigned long)end, vma->vm_end,
			    ALIGN_DOWN(addr, SZ_2M) + SZ_2M);
		ret = neuf_dmem_migrate_window(ndev, vma, addr, next, to_vram);
		if (ret < 0)
			break;
		*migrated += ret;
		ret = 0;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
	}
	mmap_read_unlock(mm);
	mmput(mm);
	return ret;
}

/**
 * neuf_dmem_usage() - how much VRAM is in use
 * @ndev: the device
 * @used: bytes handed out
 * @total: bytes of VRAM the driver manages, 0 without device memory, or
 *	once the device is unplugged
 */
void neuf_dmem_usage(struct neuf_device *ndev, u64 *used, u64 *total)
{
	struct neuf_dmem *dmem;
	int idx;

	*used = 0;
	*total = 0;
	/* Unbinding frees the device memory once no such section is left. */
	if (!drm_dev_enter(&ndev->drm, &idx))
		return;
	dmem = ndev->dmem;
	if (dmem) {
		spin_lock(&dmem->lock);
		*used = dmem->used_pages << PAGE_SHIFT;
		spin_unlock(&dmem->lock);
		*total = (u64)dmem->nblocks * SZ_2M;
	}
	drm_dev_exit(idx);
}

/*
 * Give back the physical range request_free_mem_region() reserved: the
 * resource itself, wherever it sits in the iomem tree (its name is ours:
 * it must not outlive the module).
 */
static void neuf_dmem_release_region(struct resource *res)
{
	if (release_resource(res))
		pr_warn("neuf: device memory region %pR not in the resource tree\n",
			res);
	kfree(res);
}

/**
 * neuf_dmem_init() - give the device's VRAM to the kernel as device memory
 * @ndev: the device, its copy engine running
 *
 * Return: 0 (also when there is no VRAM to manage) or a negative errno.
 */
int neuf_dmem_init(struct neuf_device *ndev)
{
	u64 size = ALIGN_DOWN(ndev->caps.vram_size, SZ_2M);
	struct neuf_dmem *dmem;
	unsigned int i;
	void *addr;
	int ret;

	if (!size || !ndev->copy.ring)
		return 0;
	if (PAGE_SIZE != SZ_4K) {
		drm_info(&ndev->drm, "device memory needs 4 KiB pages\n");
		return 0;
	}

	dmem = kzalloc(sizeof(*dmem), GFP_KERNEL);
	if (!dmem)
		return -ENOMEM;
	dmem->ndev = ndev;
	dmem->nblocks = size / SZ_2M;
	spin_lock_init(&dmem->lock);
	INIT_LIST_HEAD(&dmem->free);
	INIT_LIST_HEAD(&dmem->partial);
	INIT_LIST_HEAD(&dmem->full);
	INIT_LIST_HEAD(&dmem->lru);
	dmem->blocks = kvcalloc(dmem->nblocks, sizeof(*dmem->blocks),
				GFP_KERNEL);
	if (!dmem->blocks) {
		ret = -ENOMEM;
		goto err_free;
	}

	dmem->res = request_free_mem_region(&iomem_resource, size,
					    "neuf VRAM");
	if (IS_ERR(dmem->res)) {
		ret = PTR_ERR(dmem->res);
		goto err_blocks;
	}
	dmem->pgmap.type = MEMORY_DEVICE_PRIVATE;
	dmem->pgmap.range.start = dmem->res->start;
	dmem->pgmap.range.end = dmem->res->start + size - 1;
	dmem->pgmap.nr_range = 1;
	dmem->pgmap.ops = &neuf_dmem_pagemap_ops;
	dmem->pgmap.owner = ndev;
	addr = memremap_pages(&dmem->pgmap, dev_to_node(ndev->drm.dev));
	if (IS_ERR(addr)) {
		ret = PTR_ERR(addr);
		goto err_region;
	}

	dmem->pfn_first = PHYS_PFN(dmem->res->start);
	for (i = 0; i < dmem->nblocks; i++) {
		struct neuf_dmem_block *block = &dmem->blocks[i];

		block->dmem = dmem;
		block->pfn = dmem->pfn_first + i * NEUF_DMEM_BLOCK_PAGES;
		INIT_LIST_HEAD(&block->lru);
		list_add_tail(&block->link, &dmem->free);
	}
	ndev->dmem = dmem;
	return 0;

err_region:
	neuf_dmem_release_region(dmem->res);
err_blocks:
	kvfree(dmem->blocks);
err_free:
	kfree(dmem);
	return ret;
}

/**
 * neuf_dmem_fini() - take the device's VRAM back from the kernel
 * @ndev: the device, going away; its copy engine still runs
 *
 * Migrates every page still in VRAM back to system memory, whichever
 * process maps it, then removes the pagemap, which waits for the last
 * reference to each page.
 */
void neuf_dmem_fini(struct neuf_device *ndev)
{
	struct neuf_dmem *dmem = ndev->dmem;
	unsigned long timeout;
	unsigned int i;
	u64 used;

	if (!dmem)
		return;

	spin_lock(&dmem->lock);
	dmem->dying = true;
	spin_unlock(&dmem->lock);

	/*
	 * A page a CPU fault is migrating meanwhile is skipped (it is
	 * locked): it leaves VRAM with that fault, or, where the fault
	 * could not move it, with a later pass once the fault let it go.
	 * So pass until no page is left, pausing in between, for at most
	 * NEUF_DMEM_EVICT_TIMEOUT_MS: memunmap_pages() waits for every page
	 * still handed out, and a page left mapped would hold the unbind
	 * until its process unmaps it.
	 */
	timeout = jiffies + msecs_to_jiffies(NEUF_DMEM_EVICT_TIMEOUT_MS);
	for (;;) {
		for (i = 0; i < dmem->nblocks; i++)
			if (dmem->blocks[i].used)
				neuf_dmem_evict_block(dmem, &dmem->blocks[i],
						      GFP_HIGHUSER_MOVABLE |
						      __GFP_NOFAIL);
		spin_lock(&dmem->lock);
		used = dmem->used_pages;
		spin_unlock(&dmem->lock);
		if (!used || time_after(jiffies, timeout))
			break;
		usleep_range(1000, 2000);
	}
	if (used)
		drm_err(&ndev->drm, "%llu VRAM pages could not be evicted\n",
			used);

	memunmap_pages(&dmem->pgmap);
	neuf_dmem_release_region(dmem->res);
	ndev->dmem = NULL;
	while (dmem->nscratch)
		kvfree(dmem->scratch[--dmem->nscratch]);
	kvfree(dmem->blocks);
	kfree(dmem);
}
