// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright 2026 The neuf authors
 */

#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "neuf_pt.h"
#include "neuf_regs.h"

/**
 * DOC: neuf GPU page tables
 *
 * The GPU walks four levels of tables in system memory (format in
 * Documentation/gpu/neuf/hardware.rst). Each table is a page of coherent
 * DMA memory of the GPU, and every directory entry, like the root the
 * instance is bound to, holds the DMA address of the table below; the
 * driver finds a directory's CPU address from its DMA address in
 * &neuf_pt.dirs. The driver keeps no shadow copy: the tables are the
 * state.
 *
 * Directories of levels 3 to 1 are created on demand when a fault first
 * needs them, before the VM lock is taken (creating them may allocate, and
 * the VM lock is taken under reclaim by the invalidation callback), and
 * live until the address space is destroyed. So does the leaf (level-0)
 * table of each 2 MiB block a fault reaches, but the level-1 entry that
 * leads to it is the SVM code's, written under the VM lock: it points to
 * the leaf table while the block is mapped with 4 KiB pages, maps the
 * whole block as one 2 MiB page, or is zero. A block's leaf table is kept
 * in &neuf_pt.leaves even while a 2 MiB page maps the block, and is freed
 * lazily, once no mapping of the process is left in the block
 * (neuf_pt_leaf_detach()).
 */

static __le64 *neuf_pt_dir(struct neuf_pt *pt, dma_addr_t dma)
{
	return xa_load(&pt->dirs, dma >> PAGE_SHIFT);
}

static __le64 *neuf_pt_alloc_dir(struct neuf_pt *pt, dma_addr_t *dma)
{
	__le64 *table;

	table = dma_alloc_coherent(pt->dev, PAGE_SIZE, dma, GFP_KERNEL);
	if (!table)
		return NULL;
	if (xa_err(xa_store(&pt->dirs, *dma >> PAGE_SHIFT, table,
			    GFP_KERNEL))) {
		dma_free_coherent(pt->dev, PAGE_SIZE, table, *dma);
		return NULL;
	}
	WRITE_ONCE(pt->num_pages, pt->num_pages + 1);
	return table;
}

/**
 * neuf_pt_init() - create an empty page-table tree
 * @pt: the tree
 * @dev: the GPU, whose DMA memory the tables are
 *
 * Return: 0 or -ENOMEM.
 */
int neuf_pt_init(struct neuf_pt *pt, struct device *dev)
{
	pt->dev = dev;
	xa_init(&pt->dirs);
	xa_init(&pt->leaves);
	mutex_init(&pt->alloc_lock);
	pt->num_pages = 0;
	pt->root = neuf_pt_alloc_dir(pt, &pt->root_dma);
	if (!pt->root) {
		xa_destroy(&pt->dirs);
		mutex_destroy(&pt->alloc_lock);
		return -ENOMEM;
	}
	return 0;
}

static void neuf_pt_leaf_destroy(struct neuf_pt *pt, struct neuf_pt_leaf *leaf)
{
	dma_free_coherent(pt->dev, PAGE_SIZE, leaf->ptes, leaf->dma);
	kfree(leaf->pages);
	kfree(leaf);
}

/**
 * neuf_pt_leaf_free() - free a leaf table detached from its tree
 * @pt: the tree it belonged to
 * @leaf: the leaf, from neuf_pt_leaf_detach()
 */
void neuf_pt_leaf_free(struct neuf_pt *pt, struct neuf_pt_leaf *leaf)
{
	neuf_pt_leaf_destroy(pt, leaf);
	mutex_lock(&pt->alloc_lock);
	WRITE_ONCE(pt->num_pages, pt->num_pages - 1);
	mutex_unlock(&pt->alloc_lock);
}

/**
 * neuf_pt_fini() - free a page-table tree
 * @pt: the tree, no longer bound to any hardware instance, and no longer
 *	walked by anyone
 *
 * Idempotent: the tables of a device being removed are freed at once, the
 * rest of the VM when its file is closed.
 */
void neuf_pt_fini(struct neuf_pt *pt)
{
	struct neuf_pt_leaf *leaf;
	unsigned long index;
	__le64 *table;

	if (!pt->root)
		return;
	xa_for_each(&pt->leaves, index, leaf)
		neuf_pt_leaf_destroy(pt, leaf);
	xa_destroy(&pt->leaves);
	xa_for_each(&pt->dirs, index, table)
		dma_free_coherent(pt->dev, PAGE_SIZE, table,
				  (dma_addr_t)index << PAGE_SHIFT);
	xa_destroy(&pt->dirs);
	pt->num_pages = 0;
	pt->root = NULL;
	mutex_destroy(&pt->alloc_lock);
}

/**
 * neuf_pt_root() - DMA address of the root table, for binding
 * @pt: the tree
 *
 * Return: the address.
 */
dma_addr_t neuf_pt_root(const struct neuf_pt *pt)
{
	return pt->root_dma;
}

/* Create the leaf table of the block of @va, its level-1 entry at @pde. */
static int neuf_pt_alloc_leaf(struct neuf_pt *pt, u64 va, __le64 *pde)
{
	struct neuf_pt_leaf *leaf;

	leaf = kzalloc(sizeof(*leaf), GFP_KERNEL);
	if (!leaf)
		return -ENOMEM;
	leaf->pages = kcalloc(NEUF_PT_ENTRIES, sizeof(*leaf->pages),
			      GFP_KERNEL);
	if (!leaf->pages)
		goto err_free;
	leaf->ptes = dma_alloc_coherent(pt->dev, PAGE_SIZE, &leaf->dma,
					GFP_KERNEL);
	if (!leaf->ptes)
		goto err_free;
	leaf->pde = pde;
	if (xa_err(xa_store(&pt->leaves, va >> NEUF_PT_LEAF_SHIFT, leaf,
			    GFP_KERNEL)))
		goto err_table;
	WRITE_ONCE(pt->num_pages, pt->num_pages + 1);
	return 0;

err_table:
	dma_free_coherent(pt->dev, PAGE_SIZE, leaf->ptes, leaf->dma);
err_free:
	kfree(leaf->pages);
	kfree(leaf);
	return -ENOMEM;
}

/**
 * neuf_pt_prepare() - make sure the tables down to a leaf table exist
 * @pt: the tree
 * @va: a virtual address the leaf table must cover
 *
 * Creates the missing directories of levels 3 to 1 and the leaf table of
 * the 2 MiB block of @va; the level-1 entry of the block is left as it is
 * (zero for a new block), for the SVM code to point at the leaf or use as
 * a 2 MiB page. May allocate and sleep; call without the VM lock. Once the
 * tables exist (the common case on the fault path), takes no lock.
 *
 * Return: 0 or -ENOMEM.
 */
int neuf_pt_prepare(struct neuf_pt *pt, u64 va)
{
	__le64 *table = pt->root;
	int level, ret = 0;

	if (neuf_pt_leaf(pt, va))
		return 0;

	mutex_lock(&pt->alloc_lock);
	for (level = NEUF_PT_LEVELS - 1; level > 1; level--) {
		__le64 *entry = &table[NEUF_PT_INDEX(va, level)];
		u64 pde = le64_to_cpu(READ_ONCE(*entry));

		if (!(pde & NEUF_PTE_VALID)) {
			dma_addr_t dma;

			table = neuf_pt_alloc_dir(pt, &dma);
			if (!table) {
				ret = -ENOMEM;
				goto out;
			}
			/* The zeroed table must be visible before its entry. */
			dma_wmb();
			WRITE_ONCE(*entry, cpu_to_le64(dma | NEUF_PTE_VALID));
			continue;
		}
		table = neuf_pt_dir(pt, pde & NEUF_PTE_ADDR);
	}
	if (!neuf_pt_leaf(pt, va))
		ret = neuf_pt_alloc_leaf(pt, va, &table[NEUF_PT_INDEX(va, 1)]);
out:
	mutex_unlock(&pt->alloc_lock);
	return ret;
}

/**
 * neuf_pt_leaf_detach() - take the leaf table of a block out of the tree
 * @pt: the tree
 * @va: an address in the block
 *
 * The caller holds the VM lock, has made the block's level-1 entry zero
 * and invalidated the block in the TLBs, and no neuf_pt_prepare() runs
 * concurrently (both run in the VM's SVM worker). Takes no
 * sleeping lock and does not allocate: it runs under the VM lock. Free
 * the leaf with neuf_pt_leaf_free() once the VM lock is dropped.
 *
 * Return: the detached leaf, or NULL if the block had none.
 */
struct neuf_pt_leaf *neuf_pt_leaf_detach(struct neuf_pt *pt, u64 va)
{
	return xa_erase(&pt->leaves, va >> NEUF_PT_LEAF_SHIFT);
}
