// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright 2026 The neuf authors
 */

#include <linux/dma-mapping.h>
#include <linux/mm.h>

#include "neuf_pt.h"
#include "neuf_regs.h"

/**
 * DOC: neuf GPU page tables
 *
 * The GPU walks four levels of tables in system memory (format in
 * Documentation/gpu/neuf/hardware.rst). Each table is a page of coherent
 * DMA memory of the GPU, and every directory entry, like the root the
 * instance is bound to, holds the DMA address of the table below; the
 * driver finds a table's CPU address from its DMA address in
 * &neuf_pt.tables. The driver keeps no shadow copy: the tables are the
 * state. Directory levels are created on demand when a fault first needs
 * them, before the VM lock is taken (creating them may allocate, and the
 * VM lock is taken under reclaim by the invalidation callback), and live
 * until the address space is destroyed. Leaf entries are written and
 * cleared by the SVM code under the VM lock.
 */

static __le64 *neuf_pt_table(struct neuf_pt *pt, dma_addr_t dma)
{
	return xa_load(&pt->tables, dma >> PAGE_SHIFT);
}

static __le64 *neuf_pt_alloc(struct neuf_pt *pt, dma_addr_t *dma)
{
	__le64 *table;

	table = dma_alloc_coherent(pt->dev, PAGE_SIZE, dma, GFP_KERNEL);
	if (!table)
		return NULL;
	if (xa_err(xa_store(&pt->tables, *dma >> PAGE_SHIFT, table,
			    GFP_KERNEL))) {
		dma_free_coherent(pt->dev, PAGE_SIZE, table, *dma);
		return NULL;
	}
	pt->num_pages++;
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
	xa_init(&pt->tables);
	mutex_init(&pt->alloc_lock);
	pt->num_pages = 0;
	pt->root = neuf_pt_alloc(pt, &pt->root_dma);
	if (!pt->root) {
		xa_destroy(&pt->tables);
		mutex_destroy(&pt->alloc_lock);
		return -ENOMEM;
	}
	return 0;
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
	unsigned long index;
	__le64 *table;

	if (!pt->root)
		return;
	xa_for_each(&pt->tables, index, table)
		dma_free_coherent(pt->dev, PAGE_SIZE, table,
				  (dma_addr_t)index << PAGE_SHIFT);
	xa_destroy(&pt->tables);
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

/**
 * neuf_pt_prepare() - make sure the directories down to a leaf table exist
 * @pt: the tree
 * @va: a virtual address the leaf table must cover
 *
 * May allocate and sleep; call without the VM lock. Once the directories
 * exist (the common case on the fault path), takes no lock.
 *
 * Return: 0 or -ENOMEM.
 */
int neuf_pt_prepare(struct neuf_pt *pt, u64 va)
{
	__le64 *table = pt->root;
	int level;

	if (neuf_pt_leaf_table(pt, va))
		return 0;

	mutex_lock(&pt->alloc_lock);
	for (level = NEUF_PT_LEVELS - 1; level > 0; level--) {
		__le64 *entry = &table[NEUF_PT_INDEX(va, level)];
		u64 pde = le64_to_cpu(READ_ONCE(*entry));

		if (!(pde & NEUF_PTE_VALID)) {
			dma_addr_t dma;

			table = neuf_pt_alloc(pt, &dma);
			if (!table) {
				mutex_unlock(&pt->alloc_lock);
				return -ENOMEM;
			}
			/* The zeroed table must be visible before its entry. */
			dma_wmb();
			WRITE_ONCE(*entry, cpu_to_le64(dma | NEUF_PTE_VALID));
			continue;
		}
		table = neuf_pt_table(pt, pde & NEUF_PTE_ADDR);
	}
	mutex_unlock(&pt->alloc_lock);
	return 0;
}

/**
 * neuf_pt_leaf_table() - find the level-0 table covering an address
 * @pt: the tree
 * @va: the address
 *
 * Needs no lock: directories are never removed while the tree lives.
 *
 * Return: the table's 512 little-endian entries (covering the 2 MiB
 * around @va), or NULL if no directory leads there yet.
 */
__le64 *neuf_pt_leaf_table(struct neuf_pt *pt, u64 va)
{
	__le64 *table = pt->root;
	int level;

	if (!table)
		return NULL;
	for (level = NEUF_PT_LEVELS - 1; level > 0; level--) {
		u64 pde = le64_to_cpu(READ_ONCE(table[NEUF_PT_INDEX(va, level)]));

		if (!(pde & NEUF_PTE_VALID))
			return NULL;
		table = neuf_pt_table(pt, pde & NEUF_PTE_ADDR);
	}
	return table;
}
