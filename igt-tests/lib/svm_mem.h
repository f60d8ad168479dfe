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

#include <linux/userfaultfd.h>
#include <sched.h>
#include <stdbool.h>
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
#ifndef UFFDIO_MOVE		/* Linux 6.8; older uapi headers lack it */
#define UFFD_FEATURE_MOVE (1 << 16)
struct uffdio_move {
	__u64 dst;
	__u64 src;
	__u64 len;
	__u64 mode;
	__s64 move;
};

#define UFFDIO_MOVE _IOWR(UFFDIO, 0x05, struct uffdio_move)
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

/**
 * svm_require_ksm() - ksmd running, and scanning fast where it may, or skip
 *
 * Starts ksmd where it is stopped and, where the process may (root,
 * sysfs), has it scan 4096 pages or more between sleeps of 1 ms or less;
 * puts each setting it changed back when the process exits. Skips with the reason when the
 * kernel has no KSM or ksmd cannot start.
 */
void svm_require_ksm(void);

/**
 * svm_ksm_wait_merged() - wait until ksmd has merged @pages of this process
 * @pages: how many of the process's pages must share a KSM page
 *
 * Waits for ksmd's progress, not for a time: fails the subtest when ksmd
 * has finished SVM_KSM_SCANS full scans since the call (every identical
 * page it could merge is merged within two) without merging them, or has
 * finished none in two minutes.
 */
void svm_ksm_wait_merged(long pages);

/** The full scans svm_ksm_wait_merged() gives ksmd */
#define SVM_KSM_SCANS 4

/** MAP_HUGETLB | MAP_HUGE_2MB: a mapping of 2 MiB hugetlb pages */
#define SVM_MAP_HUGETLB_2M (MAP_HUGETLB | (21 << MAP_HUGE_SHIFT))

/**
 * svm_map_hugetlb() - private anonymous 2 MiB hugetlb pages, or skip
 * @len: the mapping's length, a multiple of 2 MiB
 * @pages: the free 2 MiB pages the subtest takes in all, copies and
 *	refaults included (svm_require_hugetlb_pages())
 *
 * Return: the mapping, read-write, not yet faulted in.
 */
uint8_t *svm_map_hugetlb(size_t len, long pages);
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

/**
 * svm_userfaultfd() - a userfaultfd whose faults fail at once, or skip
 * @features: the UFFD_FEATURE_* flags the subtest needs besides
 *	UFFD_FEATURE_SIGBUS
 * @what: what needs them, for the reason of the skip where the kernel
 *	lacks one (e.g. "UFFDIO_MOVE (Linux 6.8)")
 *
 * Under UFFD_FEATURE_SIGBUS a fault a handler would have to resolve is
 * refused at once, SIGBUS for the CPU and EFAULT for an access of the
 * kernel's, so that the subtests need no handler thread and none can wait
 * for one. Where the process may not handle faults of the kernel's
 * (vm.unprivileged_userfaultfd=0 and no CAP_SYS_PTRACE) it asks for
 * UFFD_USER_MODE_ONLY, under which those are refused too. Skips with the
 * reason where the kernel has no userfaultfd.
 *
 * Return: the userfaultfd, O_CLOEXEC | O_NONBLOCK.
 */
int svm_userfaultfd(uint64_t features, const char *what);

/**
 * svm_userfaultfd_for_handler() - a userfaultfd whose faults wait for a
 *	handler thread, or skip
 * @features: the UFFD_FEATURE_* flags the subtest needs
 * @what: what needs them, for the reason of the skip
 *
 * Like svm_userfaultfd() without UFFD_FEATURE_SIGBUS: a CPU fault on a
 * missing page waits until a handler thread, reading the fd, resolves it.
 * A fault of the kernel's that may not wait (one without
 * FAULT_FLAG_ALLOW_RETRY, as hmm_range_fault() makes them) is refused at
 * once all the same, and no handler hears of it; so is every fault of the
 * kernel's under UFFD_USER_MODE_ONLY.
 *
 * Return: the userfaultfd, O_CLOEXEC | O_NONBLOCK.
 */
int svm_userfaultfd_for_handler(uint64_t features, const char *what);

/**
 * svm_userfaultfd_register() - UFFDIO_REGISTER [@p, @p + @len) with @uffd
 * @uffd: from svm_userfaultfd()
 * @p: the range, page aligned
 * @len: its length
 * @mode: UFFDIO_REGISTER_MODE_* flags
 */
void svm_userfaultfd_register(int uffd, void *p, size_t len, uint64_t mode);

/**
 * svm_userfaultfd_copy() - UFFDIO_COPY @len bytes from @src to @dst
 * @uffd: from svm_userfaultfd()
 * @dst: missing pages of a range registered with @uffd
 * @src: what to fill them with
 * @len: a multiple of the page size
 *
 * Fails the subtest unless every page was missing and is now filled.
 */
void svm_userfaultfd_copy(int uffd, void *dst, const void *src, size_t len);

/**
 * svm_userfaultfd_wp() - write-protect [@p, @p + @len), or lift it
 * @uffd: from svm_userfaultfd() with UFFD_FEATURE_PAGEFAULT_FLAG_WP
 * @p: pages of a range registered with UFFDIO_REGISTER_MODE_WP
 * @len: their length
 * @protect: protect (true) or lift the protection (false)
 */
void svm_userfaultfd_wp(int uffd, void *p, size_t len, bool protect);

/**
 * svm_userfaultfd_move() - UFFDIO_MOVE @len bytes of pages from @src to @dst
 * @uffd: from svm_userfaultfd() with UFFD_FEATURE_MOVE
 * @dst: missing pages of a range registered with @uffd
 * @src: present pages of private anonymous memory
 * @len: a multiple of the page size
 *
 * Fails the subtest unless all @len bytes moved.
 */
void svm_userfaultfd_move(int uffd, void *dst, void *src, size_t len);

/** svm_wait_for_parent() - block on pipe @fd until the parent svm_tell()s */
void svm_wait_for_parent(int fd);

/** svm_tell() - wake the child blocked in svm_wait_for_parent() */
void svm_tell(int fd);

#endif /* NEUF_SVM_MEM_H */
