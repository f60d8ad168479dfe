/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright 2026 The neuf authors
 */
#ifndef __NEUF_PT_H__
#define __NEUF_PT_H__

#include <linux/bits.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xarray.h>

struct device;

/* A level-0 table, and a 2 MiB page, cover this much. */
#define NEUF_PT_LEAF_SHIFT	21
#define NEUF_PT_LEAF_SIZE	BIT(NEUF_PT_LEAF_SHIFT)

/**
 * struct neuf_pt_leaf - the level-0 table of one 2 MiB block
 * @ptes: its 512 little-endian entries
 * @dma: its DMA address
 * @pde: the level-1 entry of the block, which points to @ptes, maps the
 *	block as one 2 MiB page, or is zero; written under the VM lock
 * @pages: the system page each entry of @ptes maps, for the SVM code to
 *	pass the entry's %NEUF_PTE_DIRTY on to when it unmaps it; under the
 *	VM lock
 * @huge: the same for the 2 MiB page @pde maps: its first page
 */
struct neuf_pt_leaf {
	__le64 *ptes;
	dma_addr_t dma;
	__le64 *pde;
	struct page **pages;
	struct page *huge;
};

/**
 * struct neuf_pt - the GPU page tables of one address space
 * @dev: the GPU, whose coherent DMA memory the tables are
 * @root: the level-3 table; NULL once the tree is freed
 * @root_dma: its DMA address, which the instance is bound to
 * @dirs: CPU address of every directory table (levels 3 to 1) by DMA page
 *	number. Directory tables live as long as the tree; lookups are
 *	lockless (RCU).
 * @leaves: &struct neuf_pt_leaf of each 2 MiB block by block number.
 *	Created by neuf_pt_prepare(), removed by neuf_pt_leaf_detach();
 *	looked up under the owning VM's lock, or by the VM's SVM worker, which
 *	never runs concurrently with a removal.
 * @alloc_lock: serialises the creation of directory entries and leaf
 *	tables and the removal of leaf tables. Directory entries of levels 3
 *	and 2 are only ever added while the tree lives, so walkers need no
 *	lock to follow them. Level-1 entries and leaf entries are not covered:
 *	their writers hold the owning VM's lock.
 * @num_pages: tables in the tree, under @alloc_lock (read locklessly for
 *	debugfs)
 */
struct neuf_pt {
	struct device *dev;
	__le64 *root;
	dma_addr_t root_dma;
	struct xarray dirs;
	struct xarray leaves;
	/* creation of directory entries and leaf tables, leaf removal */
	struct mutex alloc_lock;
	unsigned long num_pages;
};

int neuf_pt_init(struct neuf_pt *pt, struct device *dev);
void neuf_pt_fini(struct neuf_pt *pt);
dma_addr_t neuf_pt_root(const struct neuf_pt *pt);
int neuf_pt_prepare(struct neuf_pt *pt, u64 va);

/**
 * neuf_pt_leaf() - the leaf table of the 2 MiB block of an address
 * @pt: the tree
 * @va: the address
 *
 * Return: the leaf, or NULL if neuf_pt_prepare() never created it.
 */
static inline struct neuf_pt_leaf *neuf_pt_leaf(struct neuf_pt *pt, u64 va)
{
	return xa_load(&pt->leaves, va >> NEUF_PT_LEAF_SHIFT);
}

struct neuf_pt_leaf *neuf_pt_leaf_detach(struct neuf_pt *pt, u64 va);
void neuf_pt_leaf_free(struct neuf_pt *pt, struct neuf_pt_leaf *leaf);

/**
 * neuf_pt_next_leaf() - the next 2 MiB block of a range that has a leaf table
 * @pt: the page tables
 * @va: in, the address to look from; out, moved up to the start of the
 *	block found if that lies past it
 * @end: the end of the range, exclusive
 *
 * Visits only the tables there are, however large the range: a caller
 * walking the whole address space does not walk its holes.
 *
 * Return: the leaf table, or NULL if no block of [@va, @end) has one.
 */
static inline struct neuf_pt_leaf *neuf_pt_next_leaf(struct neuf_pt *pt,
						     u64 *va, u64 end)
{
	unsigned long index = *va >> NEUF_PT_LEAF_SHIFT;
	struct neuf_pt_leaf *leaf;

	if (*va >= end)
		return NULL;
	leaf = xa_find(&pt->leaves, &index, (end - 1) >> NEUF_PT_LEAF_SHIFT,
		       XA_PRESENT);
	if (leaf && ((u64)index << NEUF_PT_LEAF_SHIFT) > *va)
		*va = (u64)index << NEUF_PT_LEAF_SHIFT;
	return leaf;
}

#endif /* __NEUF_PT_H__ */
