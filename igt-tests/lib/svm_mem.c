// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * Process memory for SVM tests (svm_mem.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "igt.h"
#include "kernel_files.h"
#include "svm_mem.h"

void *svm_map_anon(size_t len, int flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_ANONYMOUS | flags, -1, 0);

	igt_assert_f(p != MAP_FAILED, "mmap of %zu bytes: %s\n", len,
		     strerror(errno));
	return p;
}

void *svm_xmalloc(size_t len)
{
	void *p = malloc(len);

	igt_assert_f(p, "malloc(%zu) failed\n", len);
	return p;
}

uint8_t *svm_map_thp_range(void **mapping, size_t *mapping_len)
{
	uint8_t *p = svm_map_anon(2 * SVM_THP_SZ, MAP_PRIVATE);
	uint8_t *aligned = (uint8_t *)(((uintptr_t)p + SVM_THP_SZ - 1) &
				       ~(SVM_THP_SZ - 1));

	*mapping = p;
	*mapping_len = 2 * SVM_THP_SZ;
	igt_assert_eq(madvise(aligned, SVM_THP_SZ, MADV_HUGEPAGE), 0);
	return aligned;
}

#define HUGETLB_2M_POOL "/sys/kernel/mm/hugepages/hugepages-2048kB"

/*
 * Pages svm_require_hugetlb_pages() added to the pool, for the exit
 * handler, which takes no argument, to give back.
 */
static long long hugetlb_added;

/* Sets the pool's size; 0 or a negative errno. */
static int hugetlb_set_pool(long long nr)
{
	char text[32];

	snprintf(text, sizeof(text), "%lld\n", nr);
	return kfile_write(HUGETLB_2M_POOL "/nr_hugepages", text);
}

static void hugetlb_give_back(int sig)
{
	long long nr = kfile_read_number(HUGETLB_2M_POOL "/nr_hugepages");

	(void)sig;
	if (hugetlb_added && nr >= hugetlb_added &&
	    !hugetlb_set_pool(nr - hugetlb_added))
		hugetlb_added = 0;
}

void svm_require_hugetlb_pages(long n)
{
	long long free_pages = kfile_read_number(HUGETLB_2M_POOL "/free_hugepages");
	long long nr = kfile_read_number(HUGETLB_2M_POOL "/nr_hugepages");
	int ret;

	igt_require_f(free_pages >= 0 && nr >= 0, "no 2 MiB hugetlb pool "
		      "(%s)\n", HUGETLB_2M_POOL);
	if (free_pages >= n)
		return;
	ret = hugetlb_set_pool(nr + n - free_pages);
	igt_require_f(!ret, "%lld free 2 MiB hugetlb pages of %ld needed, and "
		      "the pool cannot grow: %s (vm.nr_hugepages needs root)\n",
		      free_pages, n, strerror(-ret));
	if (!hugetlb_added)
		igt_install_exit_handler(hugetlb_give_back);
	hugetlb_added += kfile_read_number(HUGETLB_2M_POOL "/nr_hugepages") - nr;
	free_pages = kfile_read_number(HUGETLB_2M_POOL "/free_hugepages");
	igt_require_f(free_pages >= n, "the hugetlb pool grew to %lld free 2 "
		      "MiB pages of %ld needed (memory too fragmented)\n",
		      free_pages, n);
}

uint8_t *svm_map_hugetlb(size_t len, long pages)
{
	void *p;

	svm_require_hugetlb_pages(pages);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | SVM_MAP_HUGETLB_2M, -1, 0);
	igt_assert_f(p != MAP_FAILED, "mmap(MAP_HUGETLB) of %zu bytes: %s\n",
		     len, strerror(errno));
	return p;
}

#define KSM_SYSFS "/sys/kernel/mm/ksm"

/*
 * The ksmd settings svm_require_ksm() may change, and what each was
 * before, for the exit handler to put back (-1: unchanged). run goes back
 * first, so that ksmd stops before it slows down.
 */
enum { KSM_RUN, KSM_PAGES_TO_SCAN, KSM_SLEEP_MILLISECS, KSM_KNOBS };
static const char *const ksm_knob_name[KSM_KNOBS] = {
	[KSM_RUN] = "run",
	[KSM_PAGES_TO_SCAN] = "pages_to_scan",
	[KSM_SLEEP_MILLISECS] = "sleep_millisecs",
};
static long long ksm_knob_before[KSM_KNOBS] = { -1, -1, -1 };

static void ksm_give_back(int sig)
{
	char path[128], text[32];

	(void)sig;
	for (int i = 0; i < KSM_KNOBS; i++) {
		if (ksm_knob_before[i] < 0)
			continue;
		snprintf(path, sizeof(path), KSM_SYSFS "/%s", ksm_knob_name[i]);
		snprintf(text, sizeof(text), "%lld\n", ksm_knob_before[i]);
		if (!kfile_write(path, text))
			ksm_knob_before[i] = -1;
	}
}

/* Sets knob @i to @value, once; 0 or a negative errno. */
static int ksm_set(int i, long long value)
{
	char path[128], text[32];
	long long before;
	int ret;

	snprintf(path, sizeof(path), KSM_SYSFS "/%s", ksm_knob_name[i]);
	before = kfile_read_number(path);
	if (before == value)
		return 0;
	snprintf(text, sizeof(text), "%lld\n", value);
	ret = kfile_write(path, text);
	if (ret || ksm_knob_before[i] >= 0)
		return ret;
	ksm_knob_before[i] = before;
	igt_install_exit_handler(ksm_give_back);
	return 0;
}

void svm_require_ksm(void)
{
	long long run = kfile_read_number(KSM_SYSFS "/run");
	int ret;

	igt_require_f(run >= 0, "no KSM (%s/run: CONFIG_KSM)\n", KSM_SYSFS);
	/*
	 * ksmd reaches a test's few pages only after every other mergeable
	 * page in the system (a virtual machine's memory, say): where it may,
	 * the subtest has it scan 4096 pages between sleeps of 1 ms while it
	 * waits, and where it may not, waits longer.
	 */
	if (kfile_read_number(KSM_SYSFS "/pages_to_scan") < 4096)
		ksm_set(KSM_PAGES_TO_SCAN, 4096);
	if (kfile_read_number(KSM_SYSFS "/sleep_millisecs") > 1)
		ksm_set(KSM_SLEEP_MILLISECS, 1);
	ret = ksm_set(KSM_RUN, 1);
	igt_require_f(!ret, "ksmd is stopped (run %lld) and cannot start: %s "
		      "(%s/run needs root)\n", run, strerror(-ret), KSM_SYSFS);
}

void svm_ksm_wait_merged(long pages)
{
	long long first = kfile_read_number(KSM_SYSFS "/full_scans");
	long long scans = 0, last = 0, merged = -1;
	struct timespec t0, progress;

	igt_assert_f(first >= 0, "%s/full_scans: unreadable\n", KSM_SYSFS);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	progress = t0;
	for (;;) {
		merged = kfile_read_number("/proc/self/ksm_merging_pages");
		igt_assert_f(merged >= 0, "/proc/self/ksm_merging_pages: "
			     "unreadable (Linux 5.19)\n");
		if (merged >= pages)
			return;
		scans = kfile_read_number(KSM_SYSFS "/full_scans") - first;
		if (scans != last) {
			last = scans;
			clock_gettime(CLOCK_MONOTONIC, &progress);
		}
		if (scans >= SVM_KSM_SCANS || svm_elapsed_ms(&progress) > 120e3)
			break;
		usleep(5000);
	}
	igt_assert_f(false, "ksmd merged %lld of %ld identical pages in %lld "
		     "full scans (%.0f ms; %s)\n", merged, pages, scans,
		     svm_elapsed_ms(&t0), scans >= SVM_KSM_SCANS ?
		     "two are enough to merge identical pages" :
		     "ksmd finished none in the last two minutes");
}

long svm_anon_huge_kb(const void *addr)
{
	uintptr_t a = (uintptr_t)addr, lo, hi;
	char line[512];
	bool in = false;
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps", "re");

	igt_assert(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &lo, &hi) == 2) {
			in = a >= lo && a < hi;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

uint64_t svm_pfn_of(const void *addr)
{
	uint64_t entry = 0;
	off_t off = (off_t)((uintptr_t)addr / SVM_PAGE_SZ * sizeof(entry));
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	igt_assert_f(fd >= 0, "/proc/self/pagemap: %s\n", strerror(errno));
	igt_assert_eq(pread(fd, &entry, sizeof(entry), off), (ssize_t)sizeof(entry));
	close(fd);
	if (!(entry & (1ull << 63)))	/* not present */
		return 0;
	return entry & ((1ull << 55) - 1);
}

void svm_pin_to_first_cpu(cpu_set_t *all)
{
	cpu_set_t one;

	igt_assert_eq(sched_getaffinity(0, sizeof(*all), all), 0);
	CPU_ZERO(&one);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, all)) {
			CPU_SET(cpu, &one);
			break;
		}
	igt_assert_eq(sched_setaffinity(0, sizeof(one), &one), 0);
}

double svm_elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 +
	       (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

void svm_set_value(uint32_t *p, size_t n, uint32_t v)
{
	for (size_t i = 0; i < n; i++)
		p[i] = v;
}

void svm_check_sequence_(const uint32_t *p, size_t n, uint32_t first,
			 const char *name, int line)
{
	for (size_t i = 0; i < n; i++)
		igt_assert_f(p[i] == first + (uint32_t)i, "line %d: %s[%zu] = "
			     "%#x, expected %#x\n", line, name, i, p[i],
			     first + (uint32_t)i);
}

void svm_check_value_(const uint32_t *p, size_t n, uint32_t v,
		      const char *name, int line)
{
	for (size_t i = 0; i < n; i++)
		igt_assert_f(p[i] == v, "line %d: %s[%zu] = %#x, expected %#x\n",
			     line, name, i, p[i], v);
}

void svm_check_pages_(const uint8_t *p, size_t len, uint32_t first, int line)
{
	for (uint32_t i = 0; i < len / SVM_PAGE_SZ; i++) {
		uint32_t got = *(const uint32_t *)(p + i * SVM_PAGE_SZ);

		igt_assert_f(got == first + i, "line %d: page %u: %#x, "
			     "expected %#x\n", line, i, got, first + i);
	}
}

void svm_write_pages(uint8_t *p, size_t len, uint32_t first)
{
	for (uint32_t i = 0; i < len / SVM_PAGE_SZ; i++)
		*(uint32_t *)(p + i * SVM_PAGE_SZ) = first + i;
}

/* A userfaultfd of @flags, or -1 with errno set. */
static int userfaultfd_open(int flags)
{
	return (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | flags);
}

/* A userfaultfd with the features @want, or skip saying @what needs them. */
static int userfaultfd_with(uint64_t want, const char *what)
{
	struct uffdio_api api = { .api = UFFD_API };
	int flags = 0, uffd = userfaultfd_open(flags);

	if (uffd < 0 && errno == EPERM) {
		flags = UFFD_USER_MODE_ONLY;
		uffd = userfaultfd_open(flags);
	}
	igt_require_f(uffd >= 0, "userfaultfd(): %s\n", strerror(errno));
	/* The first UFFDIO_API says what the kernel has; a second may not. */
	igt_assert_f(ioctl(uffd, UFFDIO_API, &api) == 0, "UFFDIO_API: %s\n",
		     strerror(errno));
	close(uffd);
	igt_require_f((api.features & want) == want, "the kernel's userfaultfd "
		      "lacks features %#llx: %s\n",
		      (unsigned long long)(want & ~api.features), what);

	uffd = userfaultfd_open(flags);
	igt_assert_f(uffd >= 0, "userfaultfd(): %s\n", strerror(errno));
	api = (struct uffdio_api){ .api = UFFD_API, .features = want };
	igt_assert_f(ioctl(uffd, UFFDIO_API, &api) == 0, "UFFDIO_API with "
		     "features %#llx: %s\n", (unsigned long long)want,
		     strerror(errno));
	if (flags)
		igt_debug("userfaultfd: user mode only (no CAP_SYS_PTRACE)\n");
	return uffd;
}

int svm_userfaultfd(uint64_t features, const char *what)
{
	return userfaultfd_with(UFFD_FEATURE_SIGBUS | features, what);
}

int svm_userfaultfd_for_handler(uint64_t features, const char *what)
{
	return userfaultfd_with(features, what);
}

void svm_userfaultfd_register(int uffd, void *p, size_t len, uint64_t mode)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)p, .len = len },
		.mode = mode,
	};

	igt_assert_f(ioctl(uffd, UFFDIO_REGISTER, &reg) == 0, "UFFDIO_REGISTER "
		     "of %zu bytes at %p, mode %#llx: %s\n", len, p,
		     (unsigned long long)mode, strerror(errno));
}

void svm_userfaultfd_copy(int uffd, void *dst, const void *src, size_t len)
{
	struct uffdio_copy copy = {
		.dst = (uintptr_t)dst, .src = (uintptr_t)src, .len = len,
	};
	int ret = ioctl(uffd, UFFDIO_COPY, &copy);

	igt_assert_f(ret == 0 && copy.copy == (__s64)len, "UFFDIO_COPY of %zu "
		     "bytes to %p: %s, %lld copied (EEXIST: a page was not "
		     "missing any more)\n", len, dst,
		     ret ? strerror(errno) : "ok", (long long)copy.copy);
}

void svm_userfaultfd_wp(int uffd, void *p, size_t len, bool protect)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = (uintptr_t)p, .len = len },
		.mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	igt_assert_f(ioctl(uffd, UFFDIO_WRITEPROTECT, &wp) == 0,
		     "UFFDIO_WRITEPROTECT of %zu bytes at %p (%s): %s\n", len,
		     p, protect ? "protect" : "lift", strerror(errno));
}

void svm_userfaultfd_move(int uffd, void *dst, void *src, size_t len)
{
	struct uffdio_move move = {
		.dst = (uintptr_t)dst, .src = (uintptr_t)src, .len = len,
	};
	int ret = ioctl(uffd, UFFDIO_MOVE, &move);

	igt_assert_f(ret == 0 && move.move == (__s64)len, "UFFDIO_MOVE of %zu "
		     "bytes from %p to %p: %s, %lld moved\n", len, src, dst,
		     ret ? strerror(errno) : "ok", (long long)move.move);
}

void svm_wait_for_parent(int fd)
{
	char c;

	igt_assert_f(read(fd, &c, 1) == 1, "waiting for the parent: %s\n",
		     strerror(errno));
}

void svm_tell(int fd)
{
	igt_assert_f(write(fd, "x", 1) == 1, "pipe write: %s\n",
		     strerror(errno));
}
