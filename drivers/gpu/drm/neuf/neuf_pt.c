// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright 2026 The neuf authors
 */

#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>

#include "neuf_pt.h"
#include "neuf_regs.h"

/**
 * DOC: neuf GPU page tables
 *
 * The GPU walks four levels of tables in system memory (format in
 * Documentation/gpu/neuf/hardware.rst). The driver keeps no shadow copy:
 * the tables are the state. Directory levels are created on demand when a
 * fault first needs them, before the VM lock is taken (creating them may
 * allocate, and the VM lock is taken under reclaim by the invalidation
 * callback), and live until the address space is destroyed. Leaf entries
 * are written and cleared by the SVM code under the VM lock.
 */

static __le64 *neuf_pt_table(phys_addr_t pa)
{
	return page_address(pfn_to_page(PHYS_PFN(pa)));
}

static struct page *neuf_pt_alloc(struct neuf_pt *pt)
{
	struct page *page;

	page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!page)
		return NULL;
	list_add(&page->lru, &pt->pages);
	pt->num_pages++;
	return page;
}

/**
 * neuf_pt_init() - create an empty page-table tree
 * @pt: the tree
 *
 * Return: 0 or -ENOMEM.
 */
int neuf_pt_init(struct neuf_pt *pt)
{
	INIT_LIST_HEAD(&pt->pages);
	mutex_init(&pt->alloc_lock);
	pt->num_pages = 0;
	pt->root = neuf_pt_alloc(pt);
	return pt->root ? 0 : -ENOMEM;
}

/**
 * neuf_pt_fini() - free a page-table tree
 * @pt: the tree, no longer bound to any hardware instance
 */
void neuf_pt_fini(struct neuf_pt *pt)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, &pt->pages, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
	pt->num_pages = 0;
	pt->root = NULL;
	mutex_destroy(&pt->alloc_lock);
}

/**
 * neuf_pt_root() - physical address of the root table, for binding
 * @pt: the tree
 *
 * Return: the address.
 */
phys_addr_t neuf_pt_root(const struct neuf_pt *pt)
{
	return page_to_phys(pt->root);
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
	__le64 *table = page_address(pt->root);
	int level;

	if (neuf_pt_leaf_table(pt, va))
		return 0;

	mutex_lock(&pt->alloc_lock);
	for (level = NEUF_PT_LEVELS - 1; level > 0; level--) {
		__le64 *entry = &table[NEUF_PT_INDEX(va, level)];
		u64 pde = le64_to_cpu(READ_ONCE(*entry));

		if (!(pde & NEUF_PTE_VALID)) {
			struct page *page = neuf_pt_alloc(pt);

			if (!page) {
				mutex_unlock(&pt->alloc_lock);
				return -ENOMEM;
			}
			pde = page_to_phys(page) | NEUF_PTE_VALID;
			/* The zeroed table must be visible before its entry. */
			smp_wmb();
			WRITE_ONCE(*entry, cpu_to_le64(pde));
		}
		table = neuf_pt_table(pde & NEUF_PTE_ADDR);
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
__le64 *neuf_pt_leaf_table(const struct neuf_pt *pt, u64 va)
{
	__le64 *table = page_address(pt->root);
	int level;

	for (level = NEUF_PT_LEVELS - 1; level > 0; level--) {
		u64 pde = le64_to_cpu(READ_ONCE(table[NEUF_PT_INDEX(va, level)]));

		if (!(pde & NEUF_PTE_VALID))
			return NULL;
		table = neuf_pt_table(pde & NEUF_PTE_ADDR);
	}
	return table;
}
