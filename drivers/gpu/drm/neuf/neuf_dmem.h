/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright 2026 The neuf authors
 */
#ifndef __NEUF_DMEM_H__
#define __NEUF_DMEM_H__

#include <linux/errno.h>
#include <linux/types.h>

struct mm_struct;
struct neuf_device;
struct page;
struct vm_area_struct;

/**
 * enum neuf_dmem_stat - device memory counters of a device
 * @NEUF_DMEM_TO_VRAM_PAGES: pages migrated from system memory to VRAM
 * @NEUF_DMEM_TO_RAM_PAGES: pages migrated from VRAM to system memory
 * @NEUF_DMEM_CPU_FAULTS: CPU faults on VRAM pages (migrate_to_ram calls)
 * @NEUF_DMEM_EVICTED_PAGES: pages evicted to system memory to make room
 * @NEUF_DMEM_EVICTIONS: blocks evicted
 * @NEUF_DMEM_COPY_NS: time spent waiting for the copy engine
 * @NEUF_DMEM_EXCLUSIVE_GRANTS: system pages made device-exclusive for
 *	GPU atomics
 * @NEUF_DMEM_EXCLUSIVE_REVOKES: GPU mappings of device-exclusive pages
 *	the CPU took back
 * @NEUF_DMEM_STAT_COUNT: how many counters there are
 */
enum neuf_dmem_stat {
	NEUF_DMEM_TO_VRAM_PAGES,
	NEUF_DMEM_TO_RAM_PAGES,
	NEUF_DMEM_CPU_FAULTS,
	NEUF_DMEM_EVICTED_PAGES,
	NEUF_DMEM_EVICTIONS,
	NEUF_DMEM_COPY_NS,
	NEUF_DMEM_EXCLUSIVE_GRANTS,
	NEUF_DMEM_EXCLUSIVE_REVOKES,
	NEUF_DMEM_STAT_COUNT
};

/**
 * neuf_dmem_stat_add() - count device-memory activity
 * @ndev: the device
 * @s: the counter
 * @n: how much
 */
#define neuf_dmem_stat_add(ndev, s, n) atomic64_add((n), &(ndev)->mem_stats[s])

#if IS_ENABLED(CONFIG_DEVICE_PRIVATE)
int neuf_dmem_init(struct neuf_device *ndev);
void neuf_dmem_fini(struct neuf_device *ndev);
bool neuf_dmem_page_offset(struct neuf_device *ndev, struct page *page,
			   u64 *offset);
int neuf_dmem_migrate(struct neuf_device *ndev, struct mm_struct *mm,
		      u64 start, u64 end, bool to_vram, u64 *migrated);
long neuf_dmem_migrate_window(struct neuf_device *ndev,
			      struct vm_area_struct *vma, unsigned long start,
			      unsigned long end, bool to_vram);
void neuf_dmem_usage(struct neuf_device *ndev, u64 *used, u64 *total);
#else
static inline int neuf_dmem_init(struct neuf_device *ndev)
{
	return 0;
}

static inline void neuf_dmem_fini(struct neuf_device *ndev)
{
}

static inline bool neuf_dmem_page_offset(struct neuf_device *ndev,
					 struct page *page, u64 *offset)
{
	return false;
}

static inline int neuf_dmem_migrate(struct neuf_device *ndev,
				    struct mm_struct *mm, u64 start, u64 end,
				    bool to_vram, u64 *migrated)
{
	return -EOPNOTSUPP;
}

static inline long neuf_dmem_migrate_window(struct neuf_device *ndev,
					    struct vm_area_struct *vma,
					    unsigned long start,
					    unsigned long end, bool to_vram)
{
	return to_vram ? -EOPNOTSUPP : 0;
}

static inline void neuf_dmem_usage(struct neuf_device *ndev, u64 *used,
				   u64 *total)
{
	*used = 0;
	*total = 0;
}
#endif

#endif /* __NEUF_DMEM_H__ */
