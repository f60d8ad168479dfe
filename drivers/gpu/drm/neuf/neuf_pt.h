/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright 2026 The neuf authors
 */
#ifndef __NEUF_PT_H__
#define __NEUF_PT_H__

#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xarray.h>

struct device;

/**
 * struct neuf_pt - the GPU page tables of one address space
 * @dev: the GPU, whose coherent DMA memory the tables are
 * @root: the level-3 table; NULL once the tree is freed
 * @root_dma: its DMA address, which the instance is bound to
 * @tables: CPU address of every table by DMA page number; the tables are
 *	freed with the tree. Lookups are lockless (RCU).
 * @alloc_lock: serialises the creation of directory entries. Directory
 *	entries are only ever added while the tree lives, so walkers need no
 *	lock to follow them. Leaf entries are not covered: their writers hold
 *	the owning VM's lock.
 * @num_pages: tables in @tables, under @alloc_lock
 */
struct neuf_pt {
	struct device *dev;
	__le64 *root;
	dma_addr_t root_dma;
	struct xarray tables;
	/* creation of directory entries */
	struct mutex alloc_lock;
	unsigned long num_pages;
};

int neuf_pt_init(struct neuf_pt *pt, struct device *dev);
void neuf_pt_fini(struct neuf_pt *pt);
dma_addr_t neuf_pt_root(const struct neuf_pt *pt);
int neuf_pt_prepare(struct neuf_pt *pt, u64 va);
__le64 *neuf_pt_leaf_table(struct neuf_pt *pt, u64 va);

#endif /* __NEUF_PT_H__ */
