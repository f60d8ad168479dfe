/* SPDX-License-Identifier: MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * Process memory for SVM tests, whatever the GPU: mappings, huge pages,
 * page frames, and the checks of what a kernel wrote. Every function
 * asserts (igt_assert) instead of returning an error, so call them from a
 * subtest or fixture.
 */
#ifndef NEUF_SVM_MEM_H
#define NEUF_SVM_MEM_H

#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

/** The base page size the tests assume (x86-64). */
#define SVM_PAGE_SZ 4096ul
/** The PMD size on x86-64: one transparent huge page. */
#define SVM_THP_SZ (2ul << 20)

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25	/* Linux 6.1 */
#endif
#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE 101
#endif

/** svm_map_anon() - mmap @len bytes of anonymous memory, MAP_ANONYMOUS | @flags */
void *svm_map_anon(size_t len, int flags);

/** svm_xmalloc() - malloc(@len), or fail the subtest */
void *svm_xmalloc(size_t len);

/**
 * svm_map_thp_range() - a 2 MiB-aligned range one huge page may back
 * @mapping: where to store the mapping to munmap() afterwards
 * @mapping_len: and its length
 *
 * A private anonymous range with MADV_HUGEPAGE; the caller touches it,
 * then asks svm_anon_huge_kb().
 *
 * Return: the aligned 2 MiB.
 */
uint8_t *svm_map_thp_range(void **mapping, size_t *mapping_len);

/**
 * svm_require_hugetlb_pages() - at least @n free 2 MiB hugetlb pages, or skip
 * @n: how many the subtest will fault in at once
 *
 * Grows the 2 MiB hugetlb pool by what is missing (root, sysfs) and shrinks
 * it by as much when the process exits; skips with the reason when the
 * kernel has no such pool, the pool cannot grow, or memory is too
 * fragmented for it to.
 */
void svm_require_hugetlb_pages(long n);

/** MAP_HUGETLB | MAP_HUGE_2MB: a mapping of 2 MiB hugetlb pages */
#define SVM_MAP_HUGETLB_2M (MAP_HUGETLB | (21 << MAP_HUGE_SHIFT))
/** MFD_HUGETLB | MFD_HUGE_2MB (the same size encoding as mmap's) */
#define SVM_MFD_HUGETLB_2M (MFD_HUGETLB | (21u << MAP_HUGE_SHIFT))

/** svm_anon_huge_kb() - AnonHugePages of the VMA holding @addr, in kB */
long svm_anon_huge_kb(const void *addr);

/** svm_pfn_of() - the page frame backing @addr (CAP_SYS_ADMIN), 0 if none */
uint64_t svm_pfn_of(const void *addr);

/**
 * svm_pin_to_first_cpu() - run on the first CPU of the affinity only
 * @all: where to save the affinity, for sched_setaffinity() afterwards
 *
 * MADV_FREE parks folios in a per-CPU batch that only the same CPU's
 * MADV_PAGEOUT drains: the tests that need both use one CPU.
 */
void svm_pin_to_first_cpu(cpu_set_t *all);

/** svm_elapsed_ms() - milliseconds of CLOCK_MONOTONIC since @t0 */
double svm_elapsed_ms(const struct timespec *t0);

/** svm_set_value() - set @n words at @p to @v */
void svm_set_value(uint32_t *p, size_t n, uint32_t v);

/* The checks name the buffer and the caller's line when they fail. */
void svm_check_sequence_(const uint32_t *p, size_t n, uint32_t first,
			 const char *name, int line);
void svm_check_value_(const uint32_t *p, size_t n, uint32_t v,
		      const char *name, int line);
void svm_check_pages_(const uint8_t *p, size_t len, uint32_t first, int line);
/** svm_write_pages() - the CPU stores @first + i in the first u32 of page i */
void svm_write_pages(uint8_t *p, size_t len, uint32_t first);

/** svm_check_sequence() - fail unless p[i] == first + i (what SVM_FILL wrote) */
#define svm_check_sequence(p, n, first) \
	svm_check_sequence_((p), (n), (first), #p, __LINE__)
/** svm_check_value() - fail unless every p[i] == v */
#define svm_check_value(p, n, v) svm_check_value_((p), (n), (v), #p, __LINE__)
/** svm_check_pages() - fail unless the first u32 of page i of p is first + i */
#define svm_check_pages(p, len, first) \
	svm_check_pages_((p), (len), (first), __LINE__)

/** svm_wait_for_parent() - block on pipe @fd until the parent svm_tell()s */
void svm_wait_for_parent(int fd);

/** svm_tell() - wake the child blocked in svm_wait_for_parent() */
void svm_tell(int fd);

#endif /* NEUF_SVM_MEM_H */
