/* SPDX-License-Identifier: MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * Helpers shared by neuf's IGT tests, the way IGT keeps per-driver helpers
 * in its lib/. Every function asserts (igt_assert) instead of returning an
 * error, so call them from a subtest or fixture.
 */
#ifndef NEUF_IGT_HELPERS_H
#define NEUF_IGT_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct neuf_device;

/** Nanoseconds in a second, for syncobj deadlines. */
#define NEUF_IGT_NSEC_PER_SEC 1000000000ll

/**
 * NEUF_IGT_JOB_TIMEOUT_NS - how long a test waits for a job it expects to end
 *
 * Generous: under QEMU's TCG the whole machine, GPU model included, is slow.
 */
#define NEUF_IGT_JOB_TIMEOUT_NS (120 * NEUF_IGT_NSEC_PER_SEC)

/**
 * neuf_igt_assemble() - assemble shader source, or fail the subtest
 * @src: the source, in the syntax of Documentation/gpu/neuf/isa.rst
 *
 * Return: the machine code in malloc'd memory (shaders run from ordinary
 * process memory), to be released with free().
 */
uint64_t *neuf_igt_assemble(const char *src);

/** neuf_igt_deadline() - CLOCK_MONOTONIC plus @rel_ns, for drmSyncobjWait() */
int64_t neuf_igt_deadline(int64_t rel_ns);

/** neuf_igt_errno_name() - "success" for 0, else strerror() of |@err| */
const char *neuf_igt_errno_name(int err);

/**
 * neuf_igt_syncobj_wait() - wait for a syncobj to signal, or fail
 * @d: the device
 * @h: the syncobj handle
 * @rel_ns: how long to wait at most
 */
void neuf_igt_syncobj_wait(struct neuf_device *d, uint32_t h, int64_t rel_ns);

/**
 * neuf_igt_wait_child() - wait for a child to change state, or fail
 * @pid: the child
 *
 * Retries on EINTR. A traced child's stops are reported too.
 *
 * Return: the status waitpid() gave.
 */
int neuf_igt_wait_child(pid_t pid);

struct neuf_device;

/**
 * neuf_igt_open_svm_vm() - open the first neuf device and create an SVM VM
 * @dev: where the opened device is stored, for neuf_device_close()
 * @vm: where the new VM's id is stored
 *
 * Skips the subtest when there is no neuf device, fails it when opening the
 * device or creating the VM fails.
 */
void neuf_igt_open_svm_vm(struct neuf_device **dev, uint32_t *vm);

struct neuf_dispatch;

/**
 * neuf_igt_run_ok() - run a dispatch to its end; it must succeed
 * @dev: the device
 * @vm: the VM to run it in
 * @d: the dispatch
 *
 * Fails the subtest, naming the job's error and fault address, unless the
 * job ran and ended DONE without an error.
 */
void neuf_igt_run_ok(struct neuf_device *dev, uint32_t vm,
		     const struct neuf_dispatch *d);

/**
 * neuf_igt_require_kconfig() - skip unless the running kernel has an option
 * @opt: the option's full name, e.g. "CONFIG_SECRETMEM"
 *
 * Reads the kernel's .config from $NEUF_KERNEL_CONFIG (make check sets it
 * for every test kernel), else /boot/config-$(uname -r). Skips with the
 * option's name when it is not =y or =m there; when no .config can be read
 * it does not skip, and the subtest's own checks decide.
 */
void neuf_igt_require_kconfig(const char *opt);

/**
 * neuf_igt_ignore_dmesg() - tell igt_runner that some kernel lines are expected
 * @regex: a POSIX extended regular expression for the lines
 *
 * What IGT's igt_emit_ignore_dmesg_regex() does, for cores without it
 * (Debian's libigt 1.27.1): writes igt_runner's "add ignored dmesg regex: "
 * mark to the kernel log, after which, until the subtest ends, igt_runner
 * does not turn the subtest's result into dmesg-warn for a kernel line that
 * matches @regex. For the lines a subtest provokes on purpose. Fails the
 * subtest if @regex does not compile or holds a character /dev/kmsg hands
 * its readers escaped (a backslash, anything outside printable ASCII:
 * write "[(]", not "\("), and if the mark cannot be written.
 */
void neuf_igt_ignore_dmesg(const char *regex);

/**
 * neuf_igt_try_ignore_dmesg() - neuf_igt_ignore_dmesg(), where the kernel
 * log may refuse the mark
 * @regex: as for neuf_igt_ignore_dmesg()
 *
 * For a test that also runs outside the test guests, as a user who cannot
 * write /dev/kmsg: the caller says what that means for its run. Fails the
 * subtest for a bad @regex, as neuf_igt_ignore_dmesg() does.
 *
 * Return: 0, or the negative errno of writing the mark.
 */
int neuf_igt_try_ignore_dmesg(const char *regex);

/**
 * neuf_igt_expect_kernel_dumps() - the subtest makes the kernel print
 * reports with stack dumps on purpose
 * @regex: the reports' own lines at warning level and above, as for
 *	neuf_igt_ignore_dmesg()
 *
 * A report's call trace and registers are printed at the kernel's default
 * message level, warning unless the system says otherwise, and igt_runner
 * counts every such line against the subtest (dmesg-warn) unless marked,
 * but a trace has no line a regular expression could mark without
 * hiding real warnings' traces too. As IGT's own OOM tests do, this lowers
 * the default level to info (the second field of /proc/sys/kernel/printk)
 * until neuf_igt_end_kernel_dumps() or the process's exit, and marks
 * @regex with neuf_igt_ignore_dmesg(). A real WARN() still prints its
 * "WARNING:" line at warning level meanwhile. Where the levels cannot be
 * changed (a read-only /proc/sys), says so and goes on.
 */
void neuf_igt_expect_kernel_dumps(const char *regex);

/**
 * neuf_igt_end_kernel_dumps() - put back the kernel's default message level
 *
 * Undoes neuf_igt_expect_kernel_dumps(); nothing if it changed nothing.
 */
void neuf_igt_end_kernel_dumps(void);

/**
 * neuf_igt_read_text() - the whole of a small text file
 * @path: the file (procfs, sysfs or debugfs)
 *
 * Fails the subtest if the file cannot be opened.
 *
 * Return: its first 64 KiB, NUL-terminated, to be freed.
 */
char *neuf_igt_read_text(const char *path);

/**
 * neuf_igt_debugfs_path() - a file of the neuf device's DRM debugfs directory
 * @file: its name, e.g. "neuf_vms"
 * @path: where to write its path
 * @size: the size of @path
 *
 * Return: false if there is no such directory or file.
 */
bool neuf_igt_debugfs_path(const char *file, char *path, size_t size);

/**
 * neuf_igt_read_debugfs() - read a file of the neuf device's DRM debugfs
 * @file: its name, e.g. "neuf_vms", one the driver always makes
 *
 * Skips the subtest if the device has no debugfs directory (debugfs not
 * mounted, or a kernel without CONFIG_DEBUG_FS); fails it if the
 * directory lacks @file.
 *
 * Return: its contents, to be freed.
 */
char *neuf_igt_read_debugfs(const char *file);

/**
 * neuf_igt_gpu_name() - the GPU function behind a device's render node
 * @d: the device
 * @name: where to write its name, e.g. "neuf.0" (the name the kernel's
 *	  dma-debug and the driver core know it by)
 * @len: the size of @name
 */
void neuf_igt_gpu_name(struct neuf_device *d, char *name, size_t len);

/**
 * neuf_igt_chip_name() - the chip a device's GPU function belongs to
 * @d: the device
 * @name: where to write its name, e.g. "neuf-vgpu.0"
 * @len: the size of @name
 */
void neuf_igt_chip_name(struct neuf_device *d, char *name, size_t len);

#define NEUF_IGT_DMA_API_DEBUGFS "/sys/kernel/debug/dma-api"

/**
 * neuf_igt_dma_debug_tracking() - whether dma-debug tracks DMA mappings
 *
 * Return: true on a kernel with CONFIG_DMA_API_DEBUG whose dma-debug is
 * on (not turned off on the command line, nor by running out of entries),
 * with debugfs mounted.
 */
bool neuf_igt_dma_debug_tracking(void);

/**
 * neuf_igt_dma_debug_entries() - the entries dma-debug holds for a device
 * @gpu: the device's name (neuf_igt_gpu_name())
 *
 * Fails the subtest if dma-debug's list cannot be read.
 *
 * Return: how many there are, of every kind: streaming mappings and
 * coherent memory.
 */
int neuf_igt_dma_debug_entries(const char *gpu);

/**
 * neuf_igt_dma_debug_mapped() - which pages dma-debug has mapped for a device
 * @gpu: the device's name (neuf_igt_gpu_name())
 * @phys: the pages' physical addresses
 * @n: how many
 *
 * Fails the subtest if dma-debug's list cannot be read.
 *
 * Return: how many of the @n pages have a streaming mapping ("single")
 * for @gpu that starts at them.
 */
size_t neuf_igt_dma_debug_mapped(const char *gpu, const uint64_t *phys,
				 size_t n);

/**
 * neuf_igt_pattern() - a test value for element @i of a buffer
 * @seed: the buffer's seed
 * @i: the element's index
 *
 * Return: a value that differs from its neighbours' and from @seed's.
 */
uint32_t neuf_igt_pattern(uint32_t seed, size_t i);

/**
 * neuf_igt_fill_pattern() - fill @n words with neuf_igt_pattern(@seed, i)
 * @p: the words
 * @n: how many
 * @seed: the seed
 */
void neuf_igt_fill_pattern(uint32_t *p, size_t n, uint32_t seed);

/**
 * neuf_igt_check_pattern_() - fail unless p[i] == pattern(seed, i) + add
 * @p: the words
 * @n: how many
 * @seed: the seed they were filled with
 * @add: what was added to each since
 * @name: the buffer's name, for the message
 * @line: the caller's line, for the message
 */
void neuf_igt_check_pattern_(const uint32_t *p, size_t n, uint32_t seed,
			     uint32_t add, const char *name, int line);

#define neuf_igt_check_pattern(p, n, seed, add) \
	neuf_igt_check_pattern_((p), (n), (seed), (add), #p, __LINE__)

#endif /* NEUF_IGT_HELPERS_H */
