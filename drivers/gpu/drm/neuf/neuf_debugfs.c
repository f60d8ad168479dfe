// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright 2026 The neuf authors
 */

#include <linux/seq_file.h>

#include <drm/drm_debugfs.h>
#include <drm/drm_file.h>

#include "neuf_debugfs.h"
#include "neuf_dmem.h"
#include "neuf_drv.h"
#include "neuf_vm.h"

static const char *const neuf_stat_names[NEUF_STAT_COUNT] = {
	[NEUF_STAT_FAULTS] = "faults",
	[NEUF_STAT_BATCHES] = "batches",
	[NEUF_STAT_REPLAYS] = "replays",
	[NEUF_STAT_CANCELS] = "cancels",
	[NEUF_STAT_PAGES_MAPPED] = "pages_mapped",
	[NEUF_STAT_PAGES_INVALIDATED] = "pages_invalidated",
	[NEUF_STAT_INVALIDATIONS] = "invalidations",
	[NEUF_STAT_RETRIES] = "retries",
	[NEUF_STAT_NOTIFIERS] = "notifiers",
	[NEUF_STAT_JOBS_SUBMITTED] = "jobs_submitted",
	[NEUF_STAT_JOBS_FAILED] = "jobs_failed",
	[NEUF_STAT_WINDOWS] = "windows",
	[NEUF_STAT_HUGE_MAPPED] = "huge_mapped",
};

/* neuf_vms: one line per live VM with its SVM counters. */
static int neuf_debugfs_vms(struct seq_file *m, void *data)
{
	struct drm_info_node *node = m->private;
	struct neuf_device *ndev = to_neuf_device(node->minor->dev);
	struct neuf_vm *vm;
	unsigned long instance;
	unsigned int i;

	xa_lock_irq(&ndev->vms);
	xa_for_each(&ndev->vms, instance, vm) {
		seq_printf(m, "instance %lu: pt_pages=%lu dma_pages=%lld",
			   instance, vm->pt.num_pages,
			   (long long)atomic64_read(&vm->dma_pages));
		for (i = 0; i < NEUF_STAT_COUNT; i++)
			seq_printf(m, " %s=%lld", neuf_stat_names[i],
				   (long long)atomic64_read(&vm->stats[i]));
		seq_putc(m, '\n');
	}
	xa_unlock_irq(&ndev->vms);
	return 0;
}

/* neuf_fault_buffer: device-wide fault-buffer activity. */
static int neuf_debugfs_fault_buffer(struct seq_file *m, void *data)
{
	struct drm_info_node *node = m->private;
	struct neuf_device *ndev = to_neuf_device(node->minor->dev);

	seq_printf(m, "entries %u\n", ndev->fault.entries);
	seq_printf(m, "drains %lld\n",
		   (long long)atomic64_read(&ndev->fault.drains));
	seq_printf(m, "overflows %lld\n",
		   (long long)atomic64_read(&ndev->fault.overflows));
	seq_printf(m, "vm_workers_peak %d\n",
		   atomic_read(&ndev->fault.vm_workers_peak));
	seq_printf(m, "vm_overlaps %lld\n",
		   (long long)atomic64_read(&ndev->fault.vm_overlaps));
	seq_printf(m, "jobs_in_flight %d\n",
		   atomic_read(&ndev->jobs_in_flight));
	return 0;
}

static const char *const neuf_dmem_stat_names[NEUF_DMEM_STAT_COUNT] = {
	[NEUF_DMEM_TO_VRAM_PAGES] = "to_vram_pages",
	[NEUF_DMEM_TO_RAM_PAGES] = "to_ram_pages",
	[NEUF_DMEM_CPU_FAULTS] = "cpu_faults",
	[NEUF_DMEM_EVICTED_PAGES] = "evicted_pages",
	[NEUF_DMEM_EVICTIONS] = "evictions",
	[NEUF_DMEM_COPY_NS] = "copy_wait_ns",
	[NEUF_DMEM_EXCLUSIVE_GRANTS] = "exclusive_grants",
	[NEUF_DMEM_EXCLUSIVE_REVOKES] = "exclusive_revokes",
};

/* neuf_device_memory: VRAM in use, migrations and the copy engine. */
static int neuf_debugfs_device_memory(struct seq_file *m, void *data)
{
	struct drm_info_node *node = m->private;
	struct neuf_device *ndev = to_neuf_device(node->minor->dev);
	u64 used, total;
	unsigned int i;

	neuf_dmem_usage(ndev, &used, &total);
	seq_printf(m, "vram_total %llu\n", total);
	seq_printf(m, "vram_used %llu\n", used);
	for (i = 0; i < NEUF_DMEM_STAT_COUNT; i++)
		seq_printf(m, "%s %lld\n", neuf_dmem_stat_names[i],
			   (long long)atomic64_read(&ndev->mem_stats[i]));
	seq_printf(m, "copy_commands %lld\n",
		   (long long)atomic64_read(&ndev->copy.commands));
	seq_printf(m, "copy_bytes %lld\n",
		   (long long)atomic64_read(&ndev->copy.bytes));
	seq_printf(m, "copy_busy_ns %lld\n",
		   (long long)atomic64_read(&ndev->copy.busy_ns));
	return 0;
}

/* neuf_invariants: what the SVM invariant checker did. */
static int neuf_debugfs_invariants(struct seq_file *m, void *data)
{
	struct drm_info_node *node = m->private;
	struct neuf_device *ndev = to_neuf_device(node->minor->dev);

	seq_printf(m, "checks %lld\n",
		   (long long)atomic64_read(&ndev->invariants.checks));
	seq_printf(m, "violations %lld\n",
		   (long long)atomic64_read(&ndev->invariants.violations));
	return 0;
}

static const struct drm_info_list neuf_debugfs_list[] = {
	{ "neuf_vms", neuf_debugfs_vms, 0 },
	{ "neuf_fault_buffer", neuf_debugfs_fault_buffer, 0 },
	{ "neuf_device_memory", neuf_debugfs_device_memory, 0 },
	{ "neuf_invariants", neuf_debugfs_invariants, 0 },
};

#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
/* What a device's fault injection starts as: never failing. */
static DECLARE_FAULT_ATTR(neuf_fail_default);
#endif

/**
 * neuf_debugfs_init() - create neuf's debugfs files for a DRM minor
 * @minor: the minor whose debugfs directory gets them
 *
 * The &drm_driver.debugfs_init hook. drm_info_list files are what every
 * kernel neuf supports offers alike (drm_debugfs_add_files() is 6.3+); the
 * DRM core removes them with the minor.
 *
 * With CONFIG_FAULT_INJECTION_DEBUG_FS, fail_nonblock_invalidate/ is the
 * kernel's fault-injection directory (Documentation/fault-injection/) for
 * &neuf_device.fail_nonblock_invalidate: it makes the OOM reaper's
 * non-blockable invalidations meet contention on demand, so that tests can
 * reach the path that backs off.
 */
void neuf_debugfs_init(struct drm_minor *minor)
{
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	struct neuf_device *ndev = to_neuf_device(minor->dev);

	ndev->fail_nonblock_invalidate = neuf_fail_default;
	fault_create_debugfs_attr("fail_nonblock_invalidate",
				  minor->debugfs_root,
				  &ndev->fail_nonblock_invalidate);
#endif
	drm_debugfs_create_files(neuf_debugfs_list,
				 ARRAY_SIZE(neuf_debugfs_list),
				 minor->debugfs_root, minor);
}
