/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright 2026 The neuf authors
 */
#ifndef __NEUF_PT_H__
#define __NEUF_PT_H__

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>

struct page;

/**
 * struct neuf_pt - the GPU page tables of one address space
 * @root: the level-3 table, whose physical address the instance is bound to
 * @pages: every table page, linked through page->lru, freed with the tree
 * @alloc_lock: serialises the creation of directory entries. Directory
 *	entries are only ever added while the tree lives, so walkers need no
 *	lock to follow them. Leaf entries are not covered: their writers hold
 *	the owning VM's lock.
 * @num_pages: pages in @pages, under @alloc_lock
 */
struct neuf_pt {
	struct page *root;
	struct list_head pages;
	/* creation of directory entries */
	struct mutex alloc_lock;
	unsigned long num_pages;
};

int neuf_pt_init(struct neuf_pt *pt);
void neuf_pt_fini(struct neuf_pt *pt);
phys_addr_t neuf_pt_root(const struct neuf_pt *pt);
int neuf_pt_prepare(struct neuf_pt *pt, u64 va);
__le64 *neuf_pt_leaf_table(const struct neuf_pt *pt, u64 va);

#endif /* __NEUF_PT_H__ */
