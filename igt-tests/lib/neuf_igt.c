// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * Helpers shared by neuf's IGT tests; see neuf_igt.h. Those that use
 * the device (libneuf, libdrm) are in neuf_igt_device.c, so that tests of
 * other GPUs (neuf_svm_cuda) link these alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <sys/wait.h>
#include <time.h>

#include "igt.h"
#include "kernel_files.h"
#include "neuf_igt.h"

int64_t neuf_igt_deadline(int64_t rel_ns)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NEUF_IGT_NSEC_PER_SEC + ts.tv_nsec + rel_ns;
}

const char *neuf_igt_errno_name(int err)
{
	return err ? strerror(err < 0 ? -err : err) : "success";
}

int neuf_igt_wait_child(pid_t pid)
{
	int status = 0;
	pid_t ret;

	while ((ret = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	igt_assert_f(ret == pid, "waitpid(%d): %s\n", (int)pid,
		     strerror(errno));
	return status;
}

int neuf_igt_try_ignore_dmesg(const char *regex)
{
	char line[512];
	regex_t re;
	int len;

	igt_assert_f(regcomp(&re, regex, REG_EXTENDED | REG_NOSUB) == 0,
		     "bad regular expression: %s\n", regex);
	regfree(&re);
	/*
	 * /dev/kmsg hands a backslash, and any byte outside printable ASCII,
	 * to its readers escaped (\x5c): the runner would read another
	 * expression. A bracket expression ("[(]") says the same.
	 */
	for (const char *c = regex; *c; c++)
		igt_assert_f(*c >= ' ' && *c <= '~' && *c != '\\',
			     "the kernel log would escape %#x in %s\n",
			     (unsigned char)*c, regex);
	/* igt_runner reads the mark from any kernel line that holds it. */
	len = snprintf(line, sizeof(line),
		       "<6>[IGT] %s: add ignored dmesg regex: %s\n",
		       igt_test_name(), regex);
	igt_assert_f(len > 0 && len < (int)sizeof(line), "regex too long: %s\n",
		     regex);
	return kfile_write("/dev/kmsg", line);
}

void neuf_igt_ignore_dmesg(const char *regex)
{
	int ret = neuf_igt_try_ignore_dmesg(regex);

	igt_assert_f(ret == 0, "/dev/kmsg: %s\n", strerror(-ret));
}

#define PRINTK_LEVELS "/proc/sys/kernel/printk"

/*
 * The kernel's four printk levels as neuf_igt_expect_kernel_dumps() found
 * them, to put back at the end or from the exit handler (which takes no
 * argument); "" when there is nothing to put back.
 */
static char printk_levels_saved[64];

void neuf_igt_end_kernel_dumps(void)
{
	if (printk_levels_saved[0] &&
	    kfile_write(PRINTK_LEVELS, printk_levels_saved) == 0)
		printk_levels_saved[0] = '\0';
}

static void end_kernel_dumps_at_exit(int sig)
{
	(void)sig;
	neuf_igt_end_kernel_dumps();
}

void neuf_igt_expect_kernel_dumps(const char *regex)
{
	int console, def, min, boot, ret;
	char levels[64];
	FILE *f;

	neuf_igt_ignore_dmesg(regex);
	if (printk_levels_saved[0])
		return;
	f = fopen(PRINTK_LEVELS, "r");
	igt_assert_f(f, PRINTK_LEVELS ": %s\n", strerror(errno));
	ret = fscanf(f, "%d %d %d %d", &console, &def, &min, &boot);
	fclose(f);
	igt_assert_eq(ret, 4);
	if (def > 6) /* already quieter than info */
		return;
	snprintf(levels, sizeof(levels), "%d 6 %d %d", console, min, boot);
	ret = kfile_write(PRINTK_LEVELS, levels);
	if (ret == -EACCES || ret == -EPERM || ret == -EROFS) {
		igt_info("cannot lower the kernel's default message level (%s): "
			 "the stack dumps this subtest provokes are at level "
			 "%d\n", strerror(-ret), def);
		return;
	}
	igt_assert_f(ret == 0, PRINTK_LEVELS ": %s\n", strerror(-ret));
	snprintf(printk_levels_saved, sizeof(printk_levels_saved),
		 "%d %d %d %d", console, def, min, boot);
	igt_install_exit_handler(end_kernel_dumps_at_exit);
}

void neuf_igt_require_kconfig(const char *opt)
{
	const char *path = getenv("NEUF_KERNEL_CONFIG");
	char fallback[300], line[512];
	size_t len = strlen(opt);
	struct utsname u;
	bool set = false;
	FILE *f;

	if (!path || !*path) {
		igt_assert_eq(uname(&u), 0);
		snprintf(fallback, sizeof(fallback), "/boot/config-%s", u.release);
		path = fallback;
	}
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, opt, len) && line[len] == '=' &&
		    (line[len + 1] == 'y' || line[len + 1] == 'm')) {
			set = true;
			break;
		}
	}
	fclose(f);
	igt_require_f(set, "the kernel lacks %s (%s)\n", opt, path);
}

/* The whole of a (small, procfs-like) text file, NUL-terminated. */
char *neuf_igt_read_text(const char *path)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap + 1);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	igt_assert(buf);
	igt_assert_f(fd >= 0, "open %s: %s\n", path, strerror(errno));
	while (len < cap && (n = read(fd, buf + len, cap - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return buf;
}

/*
 * The neuf device's DRM debugfs directory, into @path; false if there is
 * none (debugfs not mounted, or a kernel without CONFIG_DEBUG_FS).
 */
static bool neuf_igt_debugfs_dir(char *path, size_t size)
{
	char *name;

	for (int minor = 0; minor < 256; minor++) {
		snprintf(path, size, "/sys/kernel/debug/dri/%d/name", minor);
		if (access(path, R_OK))
			continue;
		name = neuf_igt_read_text(path);
		if (!strncmp(name, "neuf", 4)) {
			free(name);
			snprintf(path, size, "/sys/kernel/debug/dri/%d", minor);
			return true;
		}
		free(name);
	}
	return false;
}

bool neuf_igt_debugfs_path(const char *file, char *path, size_t size)
{
	char dir[128];

	if (!neuf_igt_debugfs_dir(dir, sizeof(dir)))
		return false;
	snprintf(path, size, "%s/%s", dir, file);
	return !access(path, F_OK);
}

char *neuf_igt_read_debugfs(const char *file)
{
	char dir[128], path[160];

	igt_require_f(neuf_igt_debugfs_dir(dir, sizeof(dir)),
		      "no debugfs directory for the neuf device\n");
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	/* The driver always makes its files: one missing is a bug. */
	igt_assert_f(!access(path, R_OK), "%s: %s\n", path, strerror(errno));
	return neuf_igt_read_text(path);
}

uint32_t neuf_igt_pattern(uint32_t seed, size_t i)
{
	return seed ^ (uint32_t)((i + 1) * 2654435761u);
}

void neuf_igt_fill_pattern(uint32_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = neuf_igt_pattern(seed, i);
}

void neuf_igt_check_pattern_(const uint32_t *p, size_t n, uint32_t seed,
			     uint32_t add, const char *name, int line)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t want = neuf_igt_pattern(seed, i) + add;

		igt_assert_f(p[i] == want, "line %d: %s[%zu] = %#x, expected "
			     "%#x\n", line, name, i, p[i], want);
	}
}

bool neuf_igt_dma_debug_tracking(void)
{
	char value[4] = "";
	FILE *f;

	if (access(NEUF_IGT_DMA_API_DEBUGFS "/dump", R_OK))
		return false;
	f = fopen(NEUF_IGT_DMA_API_DEBUGFS "/disabled", "re");
	if (!f)
		return false;
	if (!fgets(value, sizeof(value), f))
		value[0] = '\0';
	fclose(f);
	return value[0] == 'N' || value[0] == '0';
}

static FILE *dma_debug_open(void)
{
	FILE *f = fopen(NEUF_IGT_DMA_API_DEBUGFS "/dump", "re");

	igt_assert_f(f, "cannot read dma-debug's entries: %s\n",
		     strerror(errno));
	return f;
}

/*
 * One line of dma-debug's list, "DRIVER DEVICE TYPE idx N P=PHYS D=DMA
 * L=LEN cln=... DIR ERR": true if it is an entry of @gpu of kind @type
 * (any kind if NULL), with its physical address.
 */
static bool dma_debug_entry(const char *line, const char *gpu,
			    const char *type, uint64_t *phys)
{
	char dev[64], kind[32];
	unsigned long long pa;

	if (sscanf(line, "%*s %63s %31s idx %*d P=%llx", dev, kind, &pa) != 3 ||
	    strcmp(dev, gpu) || (type && strcmp(kind, type)))
		return false;
	*phys = pa;
	return true;
}

int neuf_igt_dma_debug_entries(const char *gpu)
{
	FILE *f = dma_debug_open();
	char line[512];
	uint64_t phys;
	int n = 0;

	while (fgets(line, sizeof(line), f))
		if (dma_debug_entry(line, gpu, NULL, &phys))
			n++;
	fclose(f);
	return n;
}

size_t neuf_igt_dma_debug_mapped(const char *gpu, const uint64_t *phys,
				 size_t n)
{
	bool *seen = calloc(n ? n : 1, sizeof(*seen));
	FILE *f = dma_debug_open();
	size_t found = 0;
	char line[512];
	uint64_t pa;

	igt_assert(seen);
	while (fgets(line, sizeof(line), f)) {
		if (!dma_debug_entry(line, gpu, "single", &pa))
			continue;
		for (size_t i = 0; i < n; i++)
			if (phys[i] == pa && !seen[i]) {
				seen[i] = true;
				found++;
			}
	}
	fclose(f);
	free(seen);
	return found;
}
