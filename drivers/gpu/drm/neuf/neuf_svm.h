/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright 2026 The neuf authors
 */
#ifndef __NEUF_SVM_H__
#define __NEUF_SVM_H__

#include <linux/bitmap.h>
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/sizes.h>
#include <linux/types.h>

#include "neuf_pt.h"
#include "neuf_regs.h"

struct device;
struct drm_device;
struct drm_file;
struct neuf_device;
struct neuf_vm;
struct vm_area_struct;

/*
 * One interval notifier covers an aligned chunk of the VM's chunk size
 * (&neuf_vm.chunk_shift: module parameter notifier_size_mib, a power of
 * two from 2 MiB to 1 GiB); inside it, page tables, fault windows and the
 * freeing of page tables work per 2 MiB block.
 */
#define NEUF_SVM_BLOCK_SHIFT	NEUF_PT_LEAF_SHIFT
#define NEUF_SVM_BLOCK_SIZE	BIT(NEUF_SVM_BLOCK_SHIFT)
#define NEUF_SVM_MIN_CHUNK_SHIFT	NEUF_SVM_BLOCK_SHIFT
#define NEUF_SVM_MAX_CHUNK_SHIFT	30
#define NEUF_SVM_MAX_CHUNK_BLOCKS \
	BIT(NEUF_SVM_MAX_CHUNK_SHIFT - NEUF_SVM_BLOCK_SHIFT)

/* The largest fault window: a block, which is one 2 MiB GPU page. */
#define NEUF_SVM_WINDOW_PAGES	(NEUF_SVM_BLOCK_SIZE >> PAGE_SHIFT)

/**
 * struct neuf_svm_chunk - an interval notifier over an aligned chunk of a VM
 * @notifier: the interval notifier, covering [@start, @end)
 * @vm: the VM; the chunk lives no longer than the VM
 * @start: first address of the chunk
 * @end: first address past the chunk
 * @gc_link: entry in &neuf_vm.gc_list, under &neuf_vm.gc_lock
 * @gc_blocks: the 2 MiB blocks of the chunk an unmap touched since the
 *	last collection, under &neuf_vm.gc_lock
 *
 * Inserted by the first fault in the chunk, removed when an unmap left no
 * mapping in it, or when the VM is released; the leaf tables of its blocks
 * that an unmap left without a mapping are freed on the way. The PTEs of
 * the chunk are written only inside the notifier's read_begin/read_retry
 * section.
 */
struct neuf_svm_chunk {
	struct mmu_interval_notifier notifier;
	struct neuf_vm *vm;
	unsigned long start;
	unsigned long end;
	struct list_head gc_link;
	DECLARE_BITMAP(gc_blocks, NEUF_SVM_MAX_CHUNK_BLOCKS);
};

/**
 * struct neuf_fault - one fault of a drained batch
 * @addr: faulting address
 * @instance: hardware instance (VM) of the access
 * @access: %NEUF_ACCESS_READ, _WRITE, _ATOMIC or _PREFETCH
 * @engines: mask of the engines that reported this (page, access)
 * @count: buffer entries folded into this one
 */
struct neuf_fault {
	u64 addr;
	u32 instance;
	u8 access;
	u8 engines;
	u16 count;
};

/**
 * struct neuf_svm_window - the pages one fault resolution covers
 * @start: first address, aligned to the window's size
 * @end: first address past the window
 * @npages: base pages in the window
 * @pfns: hmm_range_fault()'s requests, then its answers, per page
 * @want: pages a fault of the batch asked for; only these are faulted in,
 *	the rest of the window is mapped if the CPU maps it already
 * @write: pages a write or atomic asked for
 * @old: entries a commit replaced, whose DMA mappings it undoes once the
 *	TLBs dropped them
 * @ro: pages the GPU may only read (%NEUF_SVM_FLAG_GPU_READ_ONLY)
 * @atomic: pages made device-exclusive, to be mapped with %NEUF_PTE_ATOMIC
 *
 * One per VM: its SVM worker resolves one window at a time.
 */
struct neuf_svm_window {
	u64 start;
	u64 end;
	unsigned int npages;
	unsigned long pfns[NEUF_SVM_WINDOW_PAGES];
	DECLARE_BITMAP(want, NEUF_SVM_WINDOW_PAGES);
	DECLARE_BITMAP(write, NEUF_SVM_WINDOW_PAGES);
	u64 old[NEUF_SVM_WINDOW_PAGES];
	DECLARE_BITMAP(ro, NEUF_SVM_WINDOW_PAGES);
	DECLARE_BITMAP(atomic, NEUF_SVM_WINDOW_PAGES);
};

/**
 * struct neuf_svm_attrs - the SVM attributes of an address range
 * @location: preferred location, &enum drm_neuf_svm_location
 * @flags: %NEUF_SVM_FLAG_GPU_READ_ONLY, %NEUF_SVM_FLAG_READ_MOSTLY
 * @granularity: log2 of the bytes a GPU fault migrates at once
 */
struct neuf_svm_attrs {
	u32 location;
	u32 flags;
	u32 granularity;
};

/**
 * neuf_svm_dma_dir() - the DMA direction of a page mapped with @pte's access
 * @pte: a leaf PTE, or its permission bits
 *
 * Return: %DMA_BIDIRECTIONAL for a writable entry, %DMA_TO_DEVICE (the GPU
 * only reads) otherwise.
 */
static inline enum dma_data_direction neuf_svm_dma_dir(u64 pte)
{
	return pte & NEUF_PTE_WRITABLE ? DMA_BIDIRECTIONAL : DMA_TO_DEVICE;
}

/**
 * neuf_svm_dma_unmap() - undo the DMA mapping a leaf PTE held
 * @dev: the GPU
 * @pte: the entry, valid or not, its address and writable bit intact
 * @size: the page size it maps
 *
 * A VRAM entry holds no DMA mapping: nothing to undo.
 */
static inline void neuf_svm_dma_unmap(struct device *dev, u64 pte,
				      size_t size)
{
	if (pte & NEUF_PTE_VRAM)
		return;
	dma_unmap_page_attrs(dev, pte & NEUF_PTE_ADDR, size,
			     neuf_svm_dma_dir(pte), DMA_ATTR_SKIP_CPU_SYNC);
}

/* A VMA hmm_range_fault() can look into: readable, not I/O or PFN maps. */
static inline bool neuf_svm_vma_mirrorable(const struct vm_area_struct *vma)
{
	return (vma->vm_flags & VM_READ) &&
	       !(vma->vm_flags & (VM_IO | VM_PFNMAP));
}

/* VMs whose SVM workers run at once, at most (&neuf_device.svm_wq). */
#define NEUF_SVM_MAX_WORKERS	8

struct neuf_svm_chunk *neuf_svm_chunk_get(struct neuf_vm *vm, u64 addr);
void neuf_svm_queue_gc(struct neuf_svm_chunk *chunk, u64 start, u64 end);
unsigned long neuf_svm_clear(struct neuf_vm *vm, u64 start, u64 end);
unsigned long neuf_svm_clear_readonly(struct neuf_vm *vm, u64 start,
				      const unsigned long *pages,
				      unsigned int npages);
void neuf_svm_chunks_gc(struct neuf_vm *vm);
void neuf_svm_chunks_fini(struct neuf_vm *vm);
int neuf_svm_vm_init(struct neuf_vm *vm);
void neuf_svm_vm_fini(struct neuf_vm *vm);
void neuf_svm_vm_work(struct work_struct *work);

void neuf_svm_check_cleared(struct neuf_vm *vm, u64 start, u64 end);
void neuf_svm_check_window(struct neuf_vm *vm, const struct neuf_svm_window *w);
void neuf_svm_check_vm(struct neuf_vm *vm);
void neuf_svm_check_mirror(struct neuf_vm *vm);
void neuf_svm_check_report(struct neuf_device *ndev);

#ifdef CONFIG_DMA_API_DEBUG
void neuf_svm_planted_leak_repair(struct device *dev);
#else
static inline void neuf_svm_planted_leak_repair(struct device *dev)
{
}
#endif

int neuf_svm_attr_ioctl(struct drm_device *drm, void *data,
			struct drm_file *file);
void neuf_svm_attr_get(struct neuf_vm *vm, u64 addr,
		       struct neuf_svm_attrs *attr, u64 *begin, u64 *end);
void neuf_svm_attr_gpu_read_only(struct neuf_vm *vm, u64 start,
				 unsigned int npages, unsigned long *ro);
void neuf_svm_attr_place(struct neuf_vm *vm, struct vm_area_struct *vma,
			 u64 addr);
void neuf_svm_attrs_gc(struct neuf_vm *vm);
void neuf_svm_map_range(struct neuf_vm *vm, u64 start, u64 end);
void neuf_svm_attrs_fini(struct neuf_vm *vm);

int neuf_svm_fault_init(struct neuf_device *ndev);
void neuf_svm_fault_fini(struct neuf_device *ndev);
void neuf_svm_fault_work(struct work_struct *work);

#endif /* __NEUF_SVM_H__ */
