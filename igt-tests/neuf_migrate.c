// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * Device memory: pages migrated to the GPU's VRAM (DEVICE_PRIVATE pages)
 * and back, by prefetch, by the CPU touching them (migrate_to_ram) and by
 * the kernel's own paths (fork, munmap, exit), with every byte checked.
 * Subtests skip where the device has no device memory: hardware without
 * VRAM, or a kernel without CONFIG_DEVICE_PRIVATE (Debian's).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xf86drm.h>

#include "igt.h"
#include "libneuf.h"
#include "neuf_igt.h"
#include "svm_backend_neuf.h"
#include "svm_mem.h"

#define PAGE_SZ 4096ul
#define PTR(p) ((uint64_t)(uintptr_t)(p))
#define ARGS(...) ((const uint64_t[NEUF_EXEC_NUM_ARGS]){ __VA_ARGS__ })

static struct neuf_device *dev;
static uint32_t vm;
static uint64_t *sh_rmw, *sh_rmw_page, *sh_fill_page, *sh_copy;
static uint64_t vram_size;

/* Words one job updates at most: a grid well within the device's. */
#define JOB_WORDS (1ul << 20)

/*
 * Runs buf[i] += add over @n words on the GPU, or with @per_page over the
 * first word of each page only; the jobs must succeed.
 */
static void gpu_add_(uint32_t *buf, size_t n, uint32_t add, bool per_page)
{
	const size_t step = per_page ? PAGE_SZ / 4 : 1;

	if (per_page)
		n /= step;
	igt_assert(n % 64 == 0);
	for (size_t done = 0; done < n; done += JOB_WORDS) {
		struct neuf_dispatch d = {
			.code = PTR(per_page ? sh_rmw_page : sh_rmw),
			.grid_size = n - done < JOB_WORDS ? n - done : JOB_WORDS,
			.group_size = 64,
		};

		memcpy(d.args, ARGS(PTR(buf + done * step), add,
				    step * sizeof(*buf)), sizeof(d.args));
		neuf_igt_run_ok(dev, vm, &d);
	}
}

static void gpu_add(uint32_t *buf, size_t n, uint32_t add)
{
	gpu_add_(buf, n, add, false);
}

/* dst[i] = src[i] on the GPU, for @n words, a multiple of 64. */
static void gpu_copy(uint32_t *dst, const uint32_t *src, size_t n)
{
	igt_assert(n % 64 == 0);
	for (size_t done = 0; done < n; done += JOB_WORDS) {
		struct neuf_dispatch d = {
			.code = PTR(sh_copy),
			.grid_size = n - done < JOB_WORDS ? n - done : JOB_WORDS,
			.group_size = 64,
		};

		memcpy(d.args, ARGS(PTR(src + done), PTR(dst + done)),
		       sizeof(d.args));
		neuf_igt_run_ok(dev, vm, &d);
	}
}

/* An anonymous private mapping of @len bytes, 2 MiB aligned. */
static void *map_aligned(size_t len)
{
	uint8_t *p = mmap(NULL, len + SZ_2M, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t a;

	igt_assert_f(p != MAP_FAILED, "mmap: %s\n", strerror(errno));
	a = ((uintptr_t)p + SZ_2M - 1) & ~(SZ_2M - 1);
	if (a != (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	munmap((void *)(a + len), (uintptr_t)p + SZ_2M - a);
	return (void *)a;
}

static int svm_attr(uint32_t op, const void *start, size_t size,
		    uint32_t location, struct drm_neuf_svm_attr *out)
{
	struct drm_neuf_svm_attr a = {
		.vm_id = vm,
		.op = op,
		.start = PTR(start),
		.size = size,
		.location = location,
	};
	int ret = neuf_svm_attr(dev, &a);

	if (out)
		*out = a;
	return ret;
}

/* Migrates [@p, @p + @len) and returns the pages migrated. */
static uint64_t prefetch(const void *p, size_t len, uint32_t location)
{
	struct drm_neuf_svm_attr a;
	int ret = svm_attr(NEUF_SVM_OP_PREFETCH, p, len, location, &a);

	igt_assert_f(ret == 0, "PREFETCH of %zu bytes to %s: %s\n", len,
		     location == NEUF_SVM_LOC_VRAM ? "VRAM" : "system",
		     neuf_igt_errno_name(ret));
	return a.migrated;
}

/* Where the pages of [@p, @p + @len) are. */
static struct drm_neuf_svm_attr locate(const void *p, size_t len)
{
	struct drm_neuf_svm_attr a;
	int ret = svm_attr(NEUF_SVM_OP_GET, p, len, 0, &a);

	igt_assert_f(ret == 0, "GET: %s\n", neuf_igt_errno_name(ret));
	igt_assert_eq_u64(a.pages_system + a.pages_vram + a.pages_none,
			  len / PAGE_SZ);
	return a;
}

#define assert_where(p, len, sys, vram) do { \
	struct drm_neuf_svm_attr _a = locate((p), (len)); \
	igt_assert_f(_a.pages_system == (sys) && _a.pages_vram == (vram), \
		     "line %d: %" PRIu64 " pages in system memory, %" PRIu64 \
		     " in VRAM, expected %" PRIu64 " and %" PRIu64 "\n", \
		     __LINE__, (uint64_t)_a.pages_system, \
		     (uint64_t)_a.pages_vram, (uint64_t)(sys), \
		     (uint64_t)(vram)); \
} while (0)

/* A counter of the device's neuf_device_memory debugfs file. */
static uint64_t dmem_counter(const char *key)
{
	char *text = neuf_igt_read_debugfs("neuf_device_memory"), *at;
	unsigned long long v;
	char match[64];

	snprintf(match, sizeof(match), "\n%s ", key);
	at = strstr(text, match);
	if (!at && !strncmp(text, match + 1, strlen(match + 1)))
		at = text - 1;
	igt_assert_f(at && sscanf(at + strlen(match), "%llu", &v) == 1,
		     "%s not in neuf_device_memory:\n%s", key, text);
	free(text);
	return v;
}

static int svm_set(const void *start, size_t size, uint32_t attrs,
		   uint32_t location, uint32_t flags, uint32_t granularity)
{
	struct drm_neuf_svm_attr a = {
		.vm_id = vm,
		.op = NEUF_SVM_OP_SET,
		.start = PTR(start),
		.size = size,
		.attrs = attrs,
		.location = location,
		.flags = flags,
		.granularity = granularity,
	};

	return neuf_svm_attr(dev, &a);
}

#define PARAM_DIR "/sys/module/neuf/parameters/"

static char saved_timeslice[32];

static void restore_timeslice(int sig)
{
	FILE *f;

	(void)sig;
	if (!saved_timeslice[0])
		return;
	f = fopen(PARAM_DIR "migration_timeslice_ms", "w");
	if (f) {
		fputs(saved_timeslice, f);
		fclose(f);
	}
}

/* Set the ping-pong timeslice for the rest of the binary's run. */
static void set_timeslice(unsigned int ms)
{
	FILE *f;

	if (!saved_timeslice[0]) {
		char *old = neuf_igt_read_text(PARAM_DIR "migration_timeslice_ms");

		snprintf(saved_timeslice, sizeof(saved_timeslice), "%s", old);
		free(old);
		igt_install_exit_handler(restore_timeslice);
	}
	f = fopen(PARAM_DIR "migration_timeslice_ms", "w");
	igt_assert(f);
	fprintf(f, "%u", ms);
	igt_assert_eq(fclose(f), 0);
}

/* GPU faults the VM took so far. */
static uint64_t vm_faults(void)
{
	struct drm_neuf_vm_stats st;

	igt_assert_eq(neuf_vm_stats(dev, vm, &st), 0);
	return st.faults;
}

/* The device's device-memory counters (DRM_IOCTL_NEUF_DEVICE_STATS). */
static struct drm_neuf_device_stats dstats(void)
{
	struct drm_neuf_device_stats st;
	int ret = neuf_device_stats(dev, &st);

	igt_assert_f(ret == 0, "DEVICE_STATS: %s\n", neuf_igt_errno_name(ret));
	return st;
}

static void require_vram(void)
{
	igt_require_f(vram_size, "the device has no device memory "
		      "(no VRAM, or a kernel without CONFIG_DEVICE_PRIVATE)\n");
}

int igt_main()
{
	igt_fixture() {
		int ret;

		neuf_igt_open_svm_vm(&dev, &vm);
		ret = neuf_getparam(dev, NEUF_PARAM_VRAM_SIZE, &vram_size);
		igt_assert_f(ret == 0, "GETPARAM VRAM_SIZE: %s\n",
			     neuf_igt_errno_name(ret));
		sh_rmw = neuf_igt_assemble(svm_backend_neuf_source(SVM_RMW));
		/* The first word of each page: strided by arg2 bytes. */
		sh_rmw_page = neuf_igt_assemble(svm_backend_neuf_source(SVM_RMW_STRIDED));
		/* Stores only: the first fault on fresh memory is a write. */
		sh_fill_page = neuf_igt_assemble(svm_backend_neuf_source(SVM_FILL_STRIDED));
		sh_copy = neuf_igt_assemble(svm_backend_neuf_source(SVM_COPY));
	}

	igt_describe("Pages prefetched to VRAM hold what the CPU wrote: the "
		     "GPU updates them in place, without a single fault (the "
		     "prefetch mapped them), and the CPU's next read brings "
		     "them back, updated.");
	igt_subtest("migrate-read-back") {
		const size_t len = 2 * SZ_2M, n = len / 4;
		uint32_t *buf, warm[64];
		uint64_t faults;

		require_vram();
		buf = map_aligned(len);
		neuf_igt_fill_pattern(buf, n, 0x3a11);
		assert_where(buf, len, len / PAGE_SZ, 0);

		igt_assert_eq_u64(prefetch(buf, len, NEUF_SVM_LOC_VRAM),
				  len / PAGE_SZ);
		assert_where(buf, len, 0, len / PAGE_SZ);
		/* The ioctl and debugfs tell the same. */
		igt_assert_eq_u64(dstats().to_vram_pages,
				  dmem_counter("to_vram_pages"));
		igt_assert_lte(len, dstats().vram_used);

		/* The prefetch mapped them too: no fault (the code warm). */
		gpu_add(warm, 64, 1);
		faults = vm_faults();
		gpu_add(buf, n, 5);
		igt_assert_eq_u64(vm_faults(), faults);
		/* The GPU uses them where they are: still all in VRAM. */
		assert_where(buf, len, 0, len / PAGE_SZ);

		neuf_igt_check_pattern(buf, n, 0x3a11, 5);
		assert_where(buf, len, len / PAGE_SZ, 0);
		munmap(buf, len);
	}

	igt_describe("Pages the GPU maps in system memory, prefetched to VRAM "
		     "and back: the migrations invalidate the GPU's mappings "
		     "of the old copies, so every GPU update lands in the "
		     "copy the CPU then reads.");
	igt_subtest("migrate-while-gpu-mapped") {
		const size_t len = SZ_2M, n = len / 4;
		uint32_t *buf;

		require_vram();
		buf = map_aligned(len);
		neuf_igt_fill_pattern(buf, n, 0x3a9);
		gpu_add(buf, n, 1);
		/* Pages the GPU maps move like any other. */
		igt_assert_eq_u64(prefetch(buf, len, NEUF_SVM_LOC_VRAM),
				  len / PAGE_SZ);
		assert_where(buf, len, 0, len / PAGE_SZ);
		gpu_add(buf, n, 1);
		igt_assert_eq_u64(prefetch(buf, len, NEUF_SVM_LOC_SYSTEM),
				  len / PAGE_SZ);
		assert_where(buf, len, len / PAGE_SZ, 0);
		gpu_add(buf, n, 1);
		neuf_igt_check_pattern(buf, n, 0x3a9, 3);
		munmap(buf, len);
	}

	igt_describe("Prefetching back to system memory brings VRAM pages "
		     "back without a CPU fault, contents intact.");
	igt_subtest("prefetch-to-system") {
		const size_t len = SZ_2M, n = len / 4;
		uint32_t *buf;

		require_vram();
		buf = map_aligned(len);
		neuf_igt_fill_pattern(buf, n, 0x5e5);
		prefetch(buf, len, NEUF_SVM_LOC_VRAM);
		gpu_add(buf, n, 1);
		igt_assert_eq_u64(prefetch(buf, len, NEUF_SVM_LOC_SYSTEM),
				  len / PAGE_SZ);
		assert_where(buf, len, len / PAGE_SZ, 0);
		neuf_igt_check_pattern(buf, n, 0x5e5, 1);
		munmap(buf, len);
	}

	igt_describe("Never-touched memory prefetched to VRAM reads as zero "
		     "on the GPU and on the CPU.");
	igt_subtest("migrate-fresh-memory") {
		const size_t len = SZ_2M, n = len / 4;
		uint64_t filled;
		uint32_t *buf;

		require_vram();
		buf = map_aligned(len);
		assert_where(buf, len, 0, 0);
		/*
		 * VRAM as the model starts reads as zero too: what shows the
		 * pages were cleared is the copy engine filling every byte.
		 */
		filled = dstats().copy_bytes;
		igt_assert_eq_u64(prefetch(buf, len, NEUF_SVM_LOC_VRAM),
				  len / PAGE_SZ);
		igt_assert_eq_u64(dstats().copy_bytes - filled, len);
		assert_where(buf, len, 0, len / PAGE_SZ);
		gpu_add(buf, n, 7);
		for (size_t i = 0; i < n; i++)
			igt_assert_f(buf[i] == 7, "buf[%zu] = %#x\n", i, buf[i]);
		munmap(buf, len);
	}

	igt_describe("A partly migrated range: only the pages asked for move; "
		     "the GPU and the CPU see one buffer across both kinds.");
	igt_subtest("migrate-partial") {
		const size_t len = SZ_2M, n = len / 4;
		uint32_t *buf;

		require_vram();
		buf = map_aligned(len);
		neuf_igt_fill_pattern(buf, n, 0x9a47);
		/* Pages 100..299 only, not block aligned. */
		igt_assert_eq_u64(prefetch((uint8_t *)buf + 100 * PAGE_SZ,
					   200 * PAGE_SZ, NEUF_SVM_LOC_VRAM),
				  200);
		assert_where(buf, len, len / PAGE_SZ - 200, 200);
		gpu_add(buf, n, 3);
		neuf_igt_check_pattern(buf, n, 0x9a47, 3);
		munmap(buf, len);
	}

	igt_describe("After fork, VRAM pages are shared copy-on-write: parent "
		     "and child each write and see only their own data.");
	igt_subtest("migrate-fork-cow") {
		const size_t len = SZ_2M, n = len / 4;
		uint32_t *buf;
		int status;
		pid_t pid;

		require_vram();
		buf = map_aligned(len);
		neuf_igt_fill_pattern(buf, n, 0xf0c);
		igt_assert_eq_u64(prefetch(buf, len, NEUF_SVM_LOC_VRAM),
				  len / PAGE_SZ);
		pid = fork();
		igt_assert(pid >= 0);
		if (pid == 0) {
			for (size_t i = 0; i < n; i++)
				buf[i] += 100;
			for (size_t i = 0; i < n; i++)
				if (buf[i] != neuf_igt_pattern(0xf0c, i) + 100)
					_exit(1);
			_exit(0);
		}
		igt_assert_eq(waitpid(pid, &status, 0), pid);
		igt_assert_f(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			     "the child saw wrong data (status %#x)\n", status);
		gpu_add(buf, n, 2);
		neuf_igt_check_pattern(buf, n, 0xf0c, 2);
		munmap(buf, len);
	}

	igt_describe("After fork, the GPU writes VRAM pages the child still "
		     "shares: the write breaks copy-on-write like a CPU "
		     "write (the pages come back to system memory first), "
		     "and the child keeps the data of the fork.");
	igt_subtest("migrate-fork-gpu-write-first") {
		const size_t len = SZ_2M, n = len / 4;
		int go[2], status;
		uint32_t *buf;
		pid_t pid;
		char c;

		require_vram();
		buf = map_aligned(len);
		neuf_igt_fill_pattern(buf, n, 0x6f1);
		igt_assert_eq_u64(prefetch(buf, len, NEUF_SVM_LOC_VRAM),
				  len / PAGE_SZ);
		igt_assert_eq(pipe(go), 0);
		pid = fork();
		igt_assert(pid >= 0);
		if (pid == 0) {
			close(go[1]);
			if (read(go[0], &c, 1) != 1)
				_exit(2);
			for (size_t i = 0; i < n; i++)
				if (buf[i] != neuf_igt_pattern(0x6f1, i))
					_exit(1);
			_exit(0);
		}
		close(go[0]);
		gpu_add(buf, n, 9);
		igt_assert_eq(write(go[1], "g", 1), 1);
		igt_assert_eq(waitpid(pid, &status, 0), pid);
		igt_assert_f(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			     "the child saw the parent's GPU write (status "
			     "%#x)\n", status);
		neuf_igt_check_pattern(buf, n, 0x6f1, 9);
		close(go[1]);
		munmap(buf, len);
	}

	igt_describe("process_vm_readv() of VRAM pages: the kernel brings "
		     "them back to read them for another process's sake.");
	igt_subtest("migrate-process-vm-readv") {
		const size_t len = SZ_2M, n = len / 4;
		uint32_t *buf, *copy;
		struct iovec local, remote;

		require_vram();
		buf = map_aligned(len);
		copy = malloc(len);
		igt_assert(copy);
		neuf_igt_fill_pattern(buf, n, 0x7e4d);
		igt_assert_eq_u64(prefetch(buf, len, NEUF_SVM_LOC_VRAM),
				  len / PAGE_SZ);
		local = (struct iovec){ copy, len };
		remote = (struct iovec){ buf, len };
		igt_assert_eq(process_vm_readv(getpid(), &local, 1, &remote, 1,
					       0), (ssize_t)len);
		neuf_igt_check_pattern(copy, n, 0x7e4d, 0);
		free(copy);
		munmap(buf, len);
	}

	igt_describe("O_DIRECT I/O from and into VRAM pages: the block layer "
		     "pins user pages, which brings them back to system "
		     "memory first; the file gets the right bytes, and the "
		     "buffer the right bytes back.");
	igt_subtest("migrate-odirect-io") {
		const size_t len = SZ_2M, n = len / 4;
		const char *dir = getenv("NEUF_BLOCK_DIR");
		char path[4096];
		uint32_t *buf;
		int fd;

		require_vram();
		igt_require_f(dir && *dir, "NEUF_BLOCK_DIR is unset: no "
			      "block-backed scratch filesystem for O_DIRECT\n");
		snprintf(path, sizeof(path), "%s/neuf-migrate-%d", dir,
			 getpid());
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_DIRECT | O_CLOEXEC,
			  0600);
		igt_assert_f(fd >= 0, "creating %s: %s\n", path, strerror(errno));
		unlink(path);

		buf = map_aligned(len);
		neuf_igt_fill_pattern(buf, n, 0x0d10);
		igt_assert_eq_u64(prefetch(buf, len, NEUF_SVM_LOC_VRAM),
				  len / PAGE_SZ);
		igt_assert_eq(pwrite(fd, buf, len, 0), (ssize_t)len);

		/* Read it back into VRAM pages holding something else. */
		neuf_igt_fill_pattern(buf, n, 0xbad);
		igt_assert_eq_u64(prefetch(buf, len, NEUF_SVM_LOC_VRAM),
				  len / PAGE_SZ);
		igt_assert_eq(pread(fd, buf, len, 0), (ssize_t)len);
		neuf_igt_check_pattern(buf, n, 0x0d10, 0);
		gpu_add(buf, n, 4);
		neuf_igt_check_pattern(buf, n, 0x0d10, 4);
		close(fd);
		munmap(buf, len);
	}

	igt_describe("munmap of VRAM pages frees them: the same VRAM is "
		     "used again by the next migration.");
	igt_subtest("migrate-munmap-reuse") {
		const size_t len = SZ_2M, n = len / 4;
		uint64_t before;

		require_vram();
		before = dstats().vram_used;
		for (int round = 0; round < 3; round++) {
			uint32_t *buf = map_aligned(len);

			neuf_igt_fill_pattern(buf, n, 0x6a00 + round);
			igt_assert_eq_u64(prefetch(buf, len, NEUF_SVM_LOC_VRAM),
					  len / PAGE_SZ);
			igt_assert_lte(before + len, dstats().vram_used);
			gpu_add(buf, n, 1);
			neuf_igt_check_pattern(buf, n, 0x6a00 + round, 1);
			munmap(buf, len);
			/* The last page's free gives the block back. */
			igt_assert_eq_u64(dstats().vram_used, before);
		}
	}

	igt_describe("mremap() moves VRAM pages with their mapping: the GPU "
		     "finds them at the new address, in VRAM, and nothing at "
		     "the old one.");
	igt_subtest("migrate-mremap") {
		const size_t len = SZ_2M, n = len / 4;
		struct drm_neuf_job_status st;
		struct neuf_dispatch d = {
			.grid_size = 64, .group_size = 64,
		};
		uint32_t *buf, *moved;
		uint8_t *dest;

		require_vram();
		buf = map_aligned(len);
		dest = map_aligned(len);
		neuf_igt_fill_pattern(buf, n, 0x3e3a);
		igt_assert_eq_u64(prefetch(buf, len, NEUF_SVM_LOC_VRAM),
				  len / PAGE_SZ);
		gpu_add(buf, n, 1);
		moved = mremap(buf, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dest);
		igt_assert(moved == (uint32_t *)dest);
		assert_where(moved, len, 0, len / PAGE_SZ);
		gpu_add(moved, n, 1);
		neuf_igt_check_pattern(moved, n, 0x3e3a, 2);

		/* Nothing at the old address: a GPU access there faults. */
		igt_assert(mmap(buf, len, PROT_NONE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
				0) == buf);
		d.code = PTR(sh_rmw);
		memcpy(d.args, ARGS(PTR(buf), 1), sizeof(d.args));
		igt_assert_eq(neuf_run(dev, vm, &d, NEUF_IGT_JOB_TIMEOUT_NS, &st), 0);
		igt_assert_f(st.error == -EFAULT && st.fault_addr >= PTR(buf) &&
			     st.fault_addr < PTR(buf) + 64 * 4,
			     "a GPU access to the old address ended with %s at "
			     "%#" PRIx64 "\n", neuf_igt_errno_name(st.error),
			     (uint64_t)st.fault_addr);
		neuf_igt_check_pattern(moved, n, 0x3e3a, 2);
		munmap(buf, len);
		munmap(moved, len);
	}

	igt_describe("mprotect(PROT_READ) of VRAM pages: the GPU still reads "
		     "them where they are, a GPU write fails, and the CPU "
		     "reads the data back intact.");
	igt_subtest("migrate-mprotect") {
		const size_t len = SZ_2M, n = len / 4;
		struct drm_neuf_job_status st;
		struct neuf_dispatch d = {
			.grid_size = 64, .group_size = 64,
		};
		uint32_t *buf, *copy;

		require_vram();
		buf = map_aligned(len);
		neuf_igt_fill_pattern(buf, n, 0x9207);
		igt_assert_eq_u64(prefetch(buf, len, NEUF_SVM_LOC_VRAM),
				  len / PAGE_SZ);
		gpu_add(buf, n, 1);
		igt_assert_eq(mprotect(buf, len, PROT_READ), 0);
		assert_where(buf, len, 0, len / PAGE_SZ);

		/* The GPU still reads them, where they are. */
		copy = map_aligned(len);
		gpu_copy(copy, buf, n);
		assert_where(buf, len, 0, len / PAGE_SZ);
		neuf_igt_check_pattern(copy, n, 0x9207, 1);
		munmap(copy, len);

		d.code = PTR(sh_rmw);
		memcpy(d.args, ARGS(PTR(buf), 1), sizeof(d.args));
		igt_assert_eq(neuf_run(dev, vm, &d, NEUF_IGT_JOB_TIMEOUT_NS, &st), 0);
		igt_assert_f(st.error == -EFAULT &&
			     st.fault_access == NEUF_ACCESS_KIND_WRITE &&
			     st.fault_addr >= PTR(buf) &&
			     st.fault_addr < PTR(buf) + 64 * 4,
			     "a GPU write to read-only VRAM pages ended with "
			     "%s (%s) at %#" PRIx64 "\n",
			     neuf_igt_errno_name(st.error),
			     neuf_access_name(st.fault_access),
			     (uint64_t)st.fault_addr);
		neuf_igt_check_pattern(buf, n, 0x9207, 1);
		munmap(buf, len);
	}

	igt_describe("A process that exits with pages in VRAM gives them all "
		     "back.");
	igt_subtest("migrate-exit-frees-vram") {
		uint64_t before;
		int status;
		pid_t pid;

		require_vram();
		before = dstats().vram_used;
		pid = fork();
		igt_assert(pid >= 0);
		if (pid == 0) {
			const size_t len = 4 * SZ_2M;
			struct neuf_device *d2;
			uint32_t *buf, v2;

			if (neuf_device_open(0, &d2) ||
			    neuf_vm_create(d2, NEUF_VM_CREATE_SVM, &v2))
				_exit(2);
			buf = map_aligned(len);
			neuf_igt_fill_pattern(buf, len / 4, 0xe817);
			dev = d2;
			vm = v2;
			if (prefetch(buf, len, NEUF_SVM_LOC_VRAM) != len / PAGE_SZ)
				_exit(3);
			if (dstats().vram_used < before + len)
				_exit(4);
			_exit(0);	/* with the fd, the VM and the pages */
		}
		igt_assert_eq(waitpid(pid, &status, 0), pid);
		igt_assert_f(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			     "the child failed (status %#x)\n", status);
		igt_assert_eq_u64(dstats().vram_used, before);
	}

	igt_describe("Memory registered with userfaultfd for missing pages: "
		     "a prefetch to VRAM moves the pages the process filled and "
		     "leaves the missing ones for the process to fill (the "
		     "kernel refuses the device pages allocated for them, and "
		     "they go back); where the range prefers VRAM, a GPU fault "
		     "on a missing page fails with EFAULT and fills nothing.");
	igt_subtest("migrate-userfaultfd-missing") {
		const size_t len = SZ_2M, half = len / 2, n = len / 4;
		struct neuf_dispatch d = {
			.code = PTR(sh_rmw), .grid_size = 64, .group_size = 64,
		};
		struct drm_neuf_job_status st;
		uint32_t *buf, *src;
		uint64_t used;
		int uffd;

		require_vram();
		uffd = svm_userfaultfd(0, "UFFD_FEATURE_SIGBUS (Linux 4.14)");
		buf = map_aligned(len);
		src = svm_xmalloc(len);
		svm_userfaultfd_register(uffd, buf, len,
					 UFFDIO_REGISTER_MODE_MISSING);
		neuf_igt_fill_pattern(src, n, 0x0f0f);
		svm_userfaultfd_copy(uffd, buf, src, half);

		used = dstats().vram_used;
		igt_assert_eq_u64(prefetch(buf, len, NEUF_SVM_LOC_VRAM),
				  half / PAGE_SZ);
		assert_where(buf, len, 0, half / PAGE_SZ);
		igt_assert_eq_u64(dstats().vram_used, used + half);

		igt_assert_eq(svm_set(buf, len, NEUF_SVM_ATTR_LOCATION,
				      NEUF_SVM_LOC_VRAM, 0, 0), 0);
		memcpy(d.args, ARGS(PTR((uint8_t *)buf + half), 1),
		       sizeof(d.args));
		igt_assert_eq(neuf_run(dev, vm, &d, NEUF_IGT_JOB_TIMEOUT_NS,
				       &st), 0);
		igt_assert_f(st.error == -EFAULT &&
			     st.fault_addr >= PTR(buf) + half &&
			     st.fault_addr < PTR(buf) + half + 64 * 4,
			     "a GPU access to a missing page ended with %s at "
			     "%#" PRIx64 "\n", neuf_igt_errno_name(st.error),
			     (uint64_t)st.fault_addr);
		assert_where(buf, len, 0, half / PAGE_SZ);
		igt_assert_eq_u64(dstats().vram_used, used + half);

		/* EEXIST if anything had made one of these pages. */
		svm_userfaultfd_copy(uffd, (uint8_t *)buf + half,
				     (uint8_t *)src + half, half);
		gpu_add(buf, n, 1);
		neuf_igt_check_pattern(buf, n, 0x0f0f, 1);
		close(uffd);
		munmap(buf, len);
		free(src);
		igt_assert_eq_u64(dstats().vram_used, used);
	}

	igt_describe("Twice as much memory as VRAM, prefetched in turn: the "
		     "least recently used blocks are evicted to make room, "
		     "and every byte is right wherever it ends up.");
	igt_subtest("vram-overcommit") {
		size_t len, n;
		uint64_t evicted;
		uint32_t *buf;

		require_vram();
		igt_require_f(vram_size <= (256ul << 20),
			      "VRAM of %" PRIu64 " MiB: too large to overcommit "
			      "in this guest\n", vram_size >> 20);
		len = 2 * vram_size;
		n = len / 4;
		evicted = dstats().evicted_pages;
		buf = map_aligned(len);
		neuf_igt_fill_pattern(buf, n, 0x0c0c);
		for (size_t off = 0; off < len; off += 16 * SZ_2M)
			prefetch((uint8_t *)buf + off, 16 * SZ_2M,
				 NEUF_SVM_LOC_VRAM);
		igt_assert_lte(vram_size / PAGE_SZ,
			       dstats().evicted_pages - evicted);
		/* The GPU finds each page, in VRAM or evicted. */
		gpu_add_(buf, n, 1, true);
		for (size_t i = 0; i < n; i++) {
			uint32_t want = neuf_igt_pattern(0x0c0c, i) +
					(i % (PAGE_SZ / 4) == 0);

			igt_assert_f(buf[i] == want, "buf[%zu] = %#x, expected "
				     "%#x\n", i, buf[i], want);
		}
		munmap(buf, len);
	}

	igt_describe("Attributes set over part of a range read back over that "
		     "part; over more, only those that hold throughout are "
		     "reported; a partial munmap keeps the rest; a munmap "
		     "resets what it unmapped.");
	igt_subtest("svm-attr-set-get-reset") {
		const size_t len = 8 * PAGE_SZ;
		struct drm_neuf_svm_attr a;
		uint8_t *buf;

		buf = map_aligned(len);
		igt_assert_eq(svm_attr(NEUF_SVM_OP_GET, buf, len, 0, &a), 0);
		igt_assert_eq_u32(a.attrs, NEUF_SVM_ATTR_LOCATION |
				  NEUF_SVM_ATTR_FLAGS | NEUF_SVM_ATTR_GRANULARITY);
		igt_assert_eq_u32(a.location, NEUF_SVM_LOC_NONE);
		igt_assert_eq_u32(a.flags, 0);
		igt_assert_eq_u32(a.granularity, 21);

		igt_assert_eq(svm_set(buf + PAGE_SZ, 4 * PAGE_SZ,
				      NEUF_SVM_ATTR_LOCATION |
				      NEUF_SVM_ATTR_GRANULARITY,
				      NEUF_SVM_LOC_SYSTEM, 0, 16), 0);
		igt_assert_eq(svm_set(buf + 3 * PAGE_SZ, 4 * PAGE_SZ,
				      NEUF_SVM_ATTR_FLAGS, 0,
				      NEUF_SVM_FLAG_READ_MOSTLY, 0), 0);

		igt_assert_eq(svm_attr(NEUF_SVM_OP_GET, buf + PAGE_SZ,
				       2 * PAGE_SZ, 0, &a), 0);
		igt_assert_eq_u32(a.attrs, NEUF_SVM_ATTR_LOCATION |
				  NEUF_SVM_ATTR_FLAGS | NEUF_SVM_ATTR_GRANULARITY);
		igt_assert_eq_u32(a.location, NEUF_SVM_LOC_SYSTEM);
		igt_assert_eq_u32(a.flags, 0);
		igt_assert_eq_u32(a.granularity, 16);

		igt_assert_eq(svm_attr(NEUF_SVM_OP_GET, buf + 3 * PAGE_SZ,
				       2 * PAGE_SZ, 0, &a), 0);
		igt_assert_eq_u32(a.location, NEUF_SVM_LOC_SYSTEM);
		igt_assert_eq_u32(a.flags, NEUF_SVM_FLAG_READ_MOSTLY);
		igt_assert_eq_u32(a.granularity, 16);

		igt_assert_eq(svm_attr(NEUF_SVM_OP_GET, buf, len, 0, &a), 0);
		igt_assert_eq_u32(a.attrs, 0);
		igt_assert_eq_u32(a.location, NEUF_SVM_LOC_NONE);

		/* Unmapping page 3 leaves pages 1, 2 and 4 as they were. */
		igt_assert_eq(munmap(buf + 3 * PAGE_SZ, PAGE_SZ), 0);
		igt_assert_eq(svm_attr(NEUF_SVM_OP_GET, buf + 4 * PAGE_SZ,
				       PAGE_SZ, 0, &a), 0);
		igt_assert_eq_u32(a.location, NEUF_SVM_LOC_SYSTEM);
		igt_assert_eq_u32(a.flags, NEUF_SVM_FLAG_READ_MOSTLY);
		igt_assert_eq(svm_attr(NEUF_SVM_OP_GET, buf + PAGE_SZ,
				       2 * PAGE_SZ, 0, &a), 0);
		igt_assert_eq_u32(a.location, NEUF_SVM_LOC_SYSTEM);

		/* New memory where page 3 was has the defaults. */
		igt_assert(mmap(buf + 3 * PAGE_SZ, PAGE_SZ,
				PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
				0) == buf + 3 * PAGE_SZ);
		igt_assert_eq(svm_attr(NEUF_SVM_OP_GET, buf + 3 * PAGE_SZ,
				       PAGE_SZ, 0, &a), 0);
		igt_assert_eq_u32(a.attrs, NEUF_SVM_ATTR_LOCATION |
				  NEUF_SVM_ATTR_FLAGS | NEUF_SVM_ATTR_GRANULARITY);
		igt_assert_eq_u32(a.location, NEUF_SVM_LOC_NONE);
		igt_assert_eq_u32(a.flags, 0);

		/* Setting the defaults back leaves nothing set. */
		igt_assert_eq(svm_set(buf, len, NEUF_SVM_ATTR_LOCATION |
				      NEUF_SVM_ATTR_FLAGS |
				      NEUF_SVM_ATTR_GRANULARITY,
				      NEUF_SVM_LOC_NONE, 0, 21), 0);
		igt_assert_eq(svm_attr(NEUF_SVM_OP_GET, buf, len, 0, &a), 0);
		igt_assert_eq_u32(a.attrs, NEUF_SVM_ATTR_LOCATION |
				  NEUF_SVM_ATTR_FLAGS | NEUF_SVM_ATTR_GRANULARITY);
		munmap(buf, len);
	}

	igt_describe("A range preferring VRAM migrates there on the GPU's "
		     "first fault, with no prefetch, by its granularity.");
	igt_subtest("fault-migrates-preferred-vram") {
		const size_t len = SZ_2M, n = len / 4;
		uint32_t *buf;

		require_vram();
		/* No timeslice: the second part faults right after the first. */
		set_timeslice(0);
		buf = map_aligned(len);
		neuf_igt_fill_pattern(buf, n, 0xfa17);
		igt_assert_eq(svm_set(buf, len, NEUF_SVM_ATTR_LOCATION,
				      NEUF_SVM_LOC_VRAM, 0, 0), 0);
		gpu_add(buf, n, 1);
		assert_where(buf, len, 0, len / PAGE_SZ);
		neuf_igt_check_pattern(buf, n, 0xfa17, 1);

		/* 64 KiB granules: the first fault moves 16 pages only. */
		neuf_igt_fill_pattern(buf, n, 0xfa18);
		igt_assert_eq(svm_set(buf, len, NEUF_SVM_ATTR_GRANULARITY, 0,
				      0, 16), 0);
		gpu_add(buf, 64, 1);
		assert_where(buf, len, len / PAGE_SZ - 16, 16);
		neuf_igt_check_pattern(buf, 64, 0xfa18, 1);
		set_timeslice(100);
		munmap(buf, len);
	}

	igt_describe("GPU read-only attribute: the GPU reads the range, its "
		     "writes there fail with EFAULT, the CPU still writes.");
	igt_subtest("gpu-read-only") {
		const size_t len = 16 * PAGE_SZ, n = len / 4;
		struct drm_neuf_job_status st;
		struct neuf_dispatch d = {
			.grid_size = 64, .group_size = 64,
		};
		uint32_t *buf;

		buf = map_aligned(len);
		neuf_igt_fill_pattern(buf, n, 0x60);
		gpu_add(buf, n, 1);
		igt_assert_eq(svm_set(buf + 4 * PAGE_SZ / 4, 4 * PAGE_SZ,
				      NEUF_SVM_ATTR_FLAGS, 0,
				      NEUF_SVM_FLAG_GPU_READ_ONLY, 0), 0);
		/* The rest stays writable. */
		gpu_add(buf, 4 * PAGE_SZ / 4, 1);
		d.code = PTR(sh_rmw);
		memcpy(d.args, ARGS(PTR(buf + 4 * PAGE_SZ / 4), 1),
		       sizeof(d.args));
		igt_assert_eq(neuf_run(dev, vm, &d, NEUF_IGT_JOB_TIMEOUT_NS, &st), 0);
		igt_assert_f(st.error == -EFAULT &&
			     st.fault_access == NEUF_ACCESS_KIND_WRITE &&
			     st.fault_addr >= PTR(buf) + 4 * PAGE_SZ &&
			     st.fault_addr < PTR(buf) + 8 * PAGE_SZ,
			     "a GPU write to a GPU read-only range ended with "
			     "%s (%s) at %#" PRIx64 "\n",
			     neuf_igt_errno_name(st.error),
			     neuf_access_name(st.fault_access),
			     (uint64_t)st.fault_addr);
		buf[4 * PAGE_SZ / 4] += 1;
		for (size_t i = 0; i < n; i++) {
			uint32_t want = neuf_igt_pattern(0x60, i) + 1 +
				(i < 4 * PAGE_SZ / 4 || i == 4 * PAGE_SZ / 4);

			igt_assert_f(buf[i] == want, "buf[%zu] = %#x, expected "
				     "%#x\n", i, buf[i], want);
		}
		munmap(buf, len);
	}

	igt_describe("GPU read-only set over fresh memory while the GPU's "
		     "write faults there are being resolved (SET goes as soon "
		     "as the VM's fault counter moves): once SET returns, a "
		     "GPU write to the range fails with EFAULT, in each of 16 "
		     "rounds.");
	igt_subtest("gpu-read-only-during-fault") {
		const size_t len = SZ_2M, pages = len / PAGE_SZ;

		for (int round = 0; round < 16; round++) {
			struct neuf_dispatch d = {
				.code = PTR(sh_fill_page), .grid_size = pages,
				.group_size = 64,
			};
			struct drm_neuf_vm_stats s0, s;
			struct drm_neuf_job_status st1 = {}, st2;
			uint32_t *buf = map_aligned(len);
			uint64_t job1;

			/*
			 * A write fault on 512 fresh base pages: its window
			 * takes a while to resolve after its attributes are
			 * read.
			 */
			igt_assert_eq(madvise(buf, len, MADV_NOHUGEPAGE), 0);
			igt_assert_eq(neuf_vm_stats(dev, vm, &s0), 0);
			memcpy(d.args, ARGS(PTR(buf), 1, PAGE_SZ),
			       sizeof(d.args));
			igt_assert_eq(neuf_exec(dev, vm, &d, &job1), 0);
			do {
				igt_assert_eq(neuf_vm_stats(dev, vm, &s), 0);
				igt_assert_eq(neuf_job_status(dev, vm, job1,
							      &st1), 0);
			} while (s.faults == s0.faults &&
				 st1.state != NEUF_JOB_STATE_DONE);
			igt_assert_eq(svm_set(buf, len, NEUF_SVM_ATTR_FLAGS, 0,
					      NEUF_SVM_FLAG_GPU_READ_ONLY, 0),
				      0);

			d.code = PTR(sh_rmw);
			d.grid_size = 64;
			memcpy(d.args, ARGS(PTR(buf), 1), sizeof(d.args));
			igt_assert_eq(neuf_run(dev, vm, &d,
					       NEUF_IGT_JOB_TIMEOUT_NS, &st2), 0);
			igt_assert_eq(neuf_job_status(dev, vm, job1, &st1), 0);
			igt_info("round %d: the first job ended with %s\n",
				 round, neuf_igt_errno_name(st1.error));
			igt_assert_f(st2.error == -EFAULT,
				     "round %d: a GPU write after SET made the "
				     "range GPU read-only ended with %s\n",
				     round, neuf_igt_errno_name(st2.error));
			munmap(buf, len);
		}
	}

	igt_describe("GPU read-only over one base page of a transparent huge "
		     "page: a GPU write to another page of it maps the huge "
		     "page with base pages, not with one writable 2 MiB page, "
		     "so a GPU write to the read-only page still fails with "
		     "EFAULT.");
	igt_subtest("gpu-read-only-huge-page") {
		const size_t n = SVM_THP_SZ / 4, words = PAGE_SZ / 4;
		struct drm_neuf_job_status st;
		struct neuf_dispatch d = {
			.code = PTR(sh_rmw), .grid_size = 64, .group_size = 64,
		};
		size_t mapping_len;
		void *mapping;
		uint32_t *buf;

		neuf_igt_require_kconfig("CONFIG_TRANSPARENT_HUGEPAGE");
		buf = (uint32_t *)svm_map_thp_range(&mapping, &mapping_len);
		neuf_igt_fill_pattern(buf, n, 0x7a);
		igt_require_f(svm_anon_huge_kb(buf) >= (long)(SVM_THP_SZ >> 10),
			      "no huge page backs the range\n");
		igt_assert_eq(svm_set(buf, PAGE_SZ, NEUF_SVM_ATTR_FLAGS, 0,
				      NEUF_SVM_FLAG_GPU_READ_ONLY, 0), 0);
		gpu_add(buf + words, 64, 1);
		memcpy(d.args, ARGS(PTR(buf), 1), sizeof(d.args));
		igt_assert_eq(neuf_run(dev, vm, &d, NEUF_IGT_JOB_TIMEOUT_NS, &st), 0);
		igt_assert_f(st.error == -EFAULT &&
			     st.fault_access == NEUF_ACCESS_KIND_WRITE &&
			     st.fault_addr >= PTR(buf) &&
			     st.fault_addr < PTR(buf) + PAGE_SZ,
			     "a GPU write to the read-only page of a huge page "
			     "ended with %s (%s) at %#" PRIx64 "\n",
			     neuf_igt_errno_name(st.error),
			     neuf_access_name(st.fault_access),
			     (uint64_t)st.fault_addr);
		for (size_t i = 0; i < n; i++) {
			uint32_t want = neuf_igt_pattern(0x7a, i) +
				(i >= words && i < words + 64);

			igt_assert_f(buf[i] == want, "buf[%zu] = %#x, expected "
				     "%#x\n", i, buf[i], want);
		}
		munmap(mapping, mapping_len);
	}

	igt_describe("A CPU and the GPU taking turns on one page of a range "
		     "preferring VRAM: within the ping-pong timeslice the page "
		     "goes to VRAM once, then stays in system memory; the "
		     "data is right after every turn.");
	igt_subtest("ping-pong-bounded") {
		const size_t len = SZ_2M;
		uint64_t to_vram;
		uint32_t *buf;

		require_vram();
		set_timeslice(600000);
		buf = map_aligned(len);
		memset(buf, 0, len);
		igt_assert_eq(svm_set(buf, len, NEUF_SVM_ATTR_LOCATION,
				      NEUF_SVM_LOC_VRAM, 0, 0), 0);
		to_vram = dstats().to_vram_pages;
		for (int turn = 0; turn < 10; turn++) {
			gpu_add(buf, 64, 1);
			igt_assert_eq_u32(buf[0], 2 * turn + 1);
			buf[0] += 1;
		}
		igt_assert_eq_u64(dstats().to_vram_pages - to_vram,
				  len / PAGE_SZ);
		set_timeslice(100);
		munmap(buf, len);
	}

	igt_describe("GET over the whole user address space (47 bits, almost "
		     "all holes) answers, and counts every page once: the "
		     "fuzzer found it walking the holes 2 MiB at a time, "
		     "for hours.");
	igt_subtest("svm-attr-get-address-space") {
		const uint64_t start = SZ_2M, end = 1ull << 47;
		struct drm_neuf_svm_attr a = {
			.vm_id = vm, .op = NEUF_SVM_OP_GET, .start = start,
			.size = end - PAGE_SZ - start,
		};
		uint32_t *buf = map_aligned(SZ_2M);

		buf[0] = 1;
		igt_assert_eq(neuf_svm_attr(dev, &a), 0);
		igt_assert_eq_u64(a.pages_system + a.pages_vram + a.pages_none,
				  a.size / PAGE_SZ);
		igt_assert(a.pages_system + a.pages_vram >= 1);
		munmap(buf, SZ_2M);
	}

	igt_describe("GPU read-only set over the whole user address space "
		     "(47 bits, almost all holes) answers, unmapping only the "
		     "page tables there are: the GPU still reads a buffer "
		     "there and its writes fail with EFAULT; set back to "
		     "writable, the GPU writes it again.");
	igt_subtest("svm-attr-set-address-space") {
		const uint64_t start = SZ_2M, end = (1ull << 47) - PAGE_SZ;
		struct drm_neuf_job_status st;
		struct neuf_dispatch d = {
			.code = PTR(sh_rmw), .grid_size = 64, .group_size = 64,
		};
		uint32_t *buf = map_aligned(SZ_2M);

		neuf_igt_fill_pattern(buf, 64, 0x5e);
		gpu_add(buf, 64, 1);
		igt_assert_eq(svm_set((void *)(uintptr_t)start, end - start,
				      NEUF_SVM_ATTR_FLAGS, 0,
				      NEUF_SVM_FLAG_GPU_READ_ONLY, 0), 0);
		memcpy(d.args, ARGS(PTR(buf), 1), sizeof(d.args));
		igt_assert_eq(neuf_run(dev, vm, &d, NEUF_IGT_JOB_TIMEOUT_NS, &st), 0);
		igt_assert_f(st.error == -EFAULT &&
			     st.fault_access == NEUF_ACCESS_KIND_WRITE,
			     "a GPU write under read-only ended with %s (%s)\n",
			     neuf_igt_errno_name(st.error),
			     neuf_access_name(st.fault_access));
		neuf_igt_check_pattern(buf, 64, 0x5e, 1);
		igt_assert_eq(svm_set((void *)(uintptr_t)start, end - start,
				      NEUF_SVM_ATTR_FLAGS, 0, 0, 0), 0);
		gpu_add(buf, 64, 1);
		neuf_igt_check_pattern(buf, 64, 0x5e, 2);
		munmap(buf, SZ_2M);
	}

	igt_describe("Bad SVM_ATTR requests fail with a clear errno and "
		     "migrate nothing.");
	igt_subtest("svm-attr-bad-input") {
		const size_t len = SZ_2M;
		struct drm_neuf_svm_attr a;
		uint32_t *buf = map_aligned(len);

		buf[0] = 1;
		/*
		 * Each request, but for its one bad field, would migrate the
		 * buffer (to VRAM where there is some): it must fail first,
		 * and hand its argument back as it was.
		 */
#define BAD(field_init, err) do { \
	struct drm_neuf_svm_attr _before; \
	a = (struct drm_neuf_svm_attr){ .vm_id = vm, \
		.op = NEUF_SVM_OP_PREFETCH, .start = PTR(buf), .size = len, \
		.location = vram_size ? NEUF_SVM_LOC_VRAM : \
					NEUF_SVM_LOC_SYSTEM }; \
	field_init; \
	_before = a; \
	igt_assert_eq(neuf_svm_attr(dev, &a), (err)); \
	igt_assert_f(!memcmp(&a, &_before, sizeof(a)), \
		     "line %d: the argument changed\n", __LINE__); \
	igt_assert_eq_u64(locate(buf, len).pages_vram, 0); \
} while (0)
		BAD(a.op = 0, -EINVAL);
		BAD(a.op = 99, -EINVAL);
		BAD(a.size = 0, -EINVAL);
		BAD(a.start += 1, -EINVAL);
		BAD(a.size = 100, -EINVAL);
		BAD(a.start = ~0ull & ~(PAGE_SZ - 1), -EINVAL);
		BAD(a.size = ~0ull & ~(PAGE_SZ - 1), -EINVAL);
		BAD(a.location = NEUF_SVM_LOC_NONE, -EINVAL);
		BAD(a.location = 3, -EINVAL);
		BAD(a.attrs = NEUF_SVM_ATTR_LOCATION, -EINVAL);
		BAD(a.flags = 1, -EINVAL);
		BAD(a.granularity = 21, -EINVAL);
		BAD(a.reserved[0] = 1, -EINVAL);
		BAD(a.reserved[2] = 1, -EINVAL);
		BAD(a.vm_id = vm + 1000, -ENOENT);
		{
			struct drm_neuf_device_stats ds = { .reserved[3] = 1 };

			igt_assert_eq(drmIoctl(neuf_device_fd(dev),
					       DRM_IOCTL_NEUF_DEVICE_STATS, &ds),
				      -1);
			igt_assert_eq(errno, EINVAL);
		}
		/* SET */
		BAD(a.op = NEUF_SVM_OP_SET; a.location = 0, -EINVAL);
		BAD(a.op = NEUF_SVM_OP_SET; a.attrs = 8, -EINVAL);
		BAD(a.op = NEUF_SVM_OP_SET; a.attrs = NEUF_SVM_ATTR_FLAGS;
		    a.location = 0; a.flags = 4, -EINVAL);
		BAD(a.op = NEUF_SVM_OP_SET; a.attrs = NEUF_SVM_ATTR_LOCATION;
		    a.location = 3, -EINVAL);
		BAD(a.op = NEUF_SVM_OP_SET; a.attrs = NEUF_SVM_ATTR_GRANULARITY;
		    a.location = 0; a.granularity = 11, -EINVAL);
		BAD(a.op = NEUF_SVM_OP_SET; a.attrs = NEUF_SVM_ATTR_GRANULARITY;
		    a.location = 0; a.granularity = 22, -EINVAL);
		/* A value for an attribute not named. */
		BAD(a.op = NEUF_SVM_OP_SET; a.attrs = NEUF_SVM_ATTR_FLAGS;
		    a.location = NEUF_SVM_LOC_SYSTEM, -EINVAL);
		BAD(a.op = NEUF_SVM_OP_SET; a.attrs = NEUF_SVM_ATTR_LOCATION;
		    a.granularity = 16, -EINVAL);
		if (!vram_size)
			BAD(a.op = NEUF_SVM_OP_SET;
			    a.attrs = NEUF_SVM_ATTR_LOCATION;
			    a.location = NEUF_SVM_LOC_VRAM, -EOPNOTSUPP);
		if (!vram_size)
			BAD(a.location = NEUF_SVM_LOC_VRAM, -EOPNOTSUPP);
#undef BAD
		igt_assert_eq_u64(locate(buf, len).pages_vram, 0);
		igt_assert_eq(svm_attr(NEUF_SVM_OP_GET, buf, len, 0, &a), 0);
		igt_assert_eq_u32(a.location, NEUF_SVM_LOC_NONE);
		igt_assert_eq_u32(a.flags, 0);
		igt_assert_eq_u32(a.granularity, 21);
		munmap(buf, len);
	}

	igt_fixture() {
		neuf_vm_destroy(dev, vm);
		neuf_device_close(dev);
		free(sh_rmw);
		free(sh_rmw_page);
		free(sh_copy);
		free(sh_fill_page);
	}
}
