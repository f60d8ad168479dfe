/* SPDX-License-Identifier: MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * neuf: an open virtual GPU with shared virtual memory. This header is the
 * userspace ABI of the neuf DRM driver.
 */
#ifndef _UAPI_NEUF_DRM_H_
#define _UAPI_NEUF_DRM_H_

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

/**
 * DOC: neuf uAPI overview
 *
 * neuf exposes a render node. Every ioctl argument struct has explicit
 * padding; padding and reserved fields must be zero or the ioctl fails
 * with -EINVAL and changes nothing, so they can be given a meaning later.
 *
 * A GPU can go away under open files (its driver unbound, its device
 * removed): from then on every ioctl on those files fails with -ENODEV,
 * the jobs that were running or queued end with -ENODEV on their fences
 * (a running job's fence may just signal on kernels whose scheduler does
 * not pass the engine's error on), and the files can still be closed and
 * their memory unmapped as usual.
 */

#define DRM_NEUF_GETPARAM		0x00
#define DRM_NEUF_VM_CREATE		0x01
#define DRM_NEUF_VM_DESTROY		0x02
#define DRM_NEUF_EXEC			0x03
#define DRM_NEUF_JOB_STATUS		0x04
#define DRM_NEUF_VM_STATS		0x05
#define DRM_NEUF_SVM_ATTR		0x06
#define DRM_NEUF_DEVICE_STATS		0x07

#define DRM_IOCTL_NEUF_GETPARAM \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_NEUF_GETPARAM, struct drm_neuf_getparam)
#define DRM_IOCTL_NEUF_VM_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_NEUF_VM_CREATE, struct drm_neuf_vm_create)
#define DRM_IOCTL_NEUF_VM_DESTROY \
	DRM_IOW(DRM_COMMAND_BASE + DRM_NEUF_VM_DESTROY, struct drm_neuf_vm_destroy)
#define DRM_IOCTL_NEUF_EXEC \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_NEUF_EXEC, struct drm_neuf_exec)
#define DRM_IOCTL_NEUF_JOB_STATUS \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_NEUF_JOB_STATUS, struct drm_neuf_job_status)
#define DRM_IOCTL_NEUF_VM_STATS \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_NEUF_VM_STATS, struct drm_neuf_vm_stats)
#define DRM_IOCTL_NEUF_SVM_ATTR \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_NEUF_SVM_ATTR, struct drm_neuf_svm_attr)
#define DRM_IOCTL_NEUF_DEVICE_STATS \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_NEUF_DEVICE_STATS, struct drm_neuf_device_stats)

/**
 * enum drm_neuf_param - parameters readable with &DRM_IOCTL_NEUF_GETPARAM
 *
 * Values come from the device's identification and capability registers
 * (see Documentation/gpu/neuf/hardware.rst).
 *
 * @NEUF_PARAM_CHIP_ID: chip identification register, 0x4e455546 ("NEUF").
 * @NEUF_PARAM_CHIP_REVISION: hardware revision, major in bits 31:16,
 *	minor in bits 15:0.
 * @NEUF_PARAM_NUM_ENGINES: number of compute engines.
 * @NEUF_PARAM_VA_BITS: width of a GPU virtual address in bits.
 * @NEUF_PARAM_PAGE_SIZES: bitmask of page sizes the GPU MMU can map
 *	(bit n set: pages of 2^n bytes).
 * @NEUF_PARAM_FAULT_BUFFER_ENTRIES: number of entries in the replayable
 *	fault buffer.
 * @NEUF_PARAM_MAX_VMS: number of VMs the device can hold at once, over all
 *	processes (one hardware address-space instance each).
 * @NEUF_PARAM_VRAM_SIZE: bytes of device memory (VRAM) the driver manages
 *	as DEVICE_PRIVATE pages for migration; 0 without device memory (no
 *	VRAM, or a kernel without CONFIG_DEVICE_PRIVATE).
 */
enum drm_neuf_param {
	NEUF_PARAM_CHIP_ID = 1,
	NEUF_PARAM_CHIP_REVISION = 2,
	NEUF_PARAM_NUM_ENGINES = 3,
	NEUF_PARAM_VA_BITS = 4,
	NEUF_PARAM_PAGE_SIZES = 5,
	NEUF_PARAM_FAULT_BUFFER_ENTRIES = 6,
	NEUF_PARAM_MAX_VMS = 7,
	NEUF_PARAM_VRAM_SIZE = 8,
};

/**
 * struct drm_neuf_getparam - argument of &DRM_IOCTL_NEUF_GETPARAM
 *
 * Reads one device parameter. An unknown @param fails with -EINVAL.
 */
struct drm_neuf_getparam {
	/** @param: in, one of &enum drm_neuf_param. */
	__u32 param;
	/** @pad: must be zero. */
	__u32 pad;
	/** @value: out, the parameter's value. */
	__u64 value;
};

/**
 * NEUF_VM_CREATE_SVM - the VM mirrors the calling process's address space
 *
 * GPU virtual addresses are the process's virtual addresses. The GPU page
 * tables are filled on demand when a shader faults, and kept coherent with
 * every change the kernel makes to the process's page tables. Revision 1.0
 * has only SVM VMs: the flag is required.
 */
#define NEUF_VM_CREATE_SVM		0x1u

/**
 * struct drm_neuf_vm_create - argument of &DRM_IOCTL_NEUF_VM_CREATE
 *
 * Creates a GPU address space bound to the calling process's mm. Only
 * tasks using that mm (its threads) may submit to the VM or destroy it;
 * any other task gets -EACCES, even holding the same fd (passed over a
 * unix socket, or inherited by a child across fork()).
 *
 * Errors: -EINVAL for unknown flags, a missing %NEUF_VM_CREATE_SVM or a
 * non-zero @vm_id; -ENOSPC when the device has no free VM slot (see
 * %NEUF_PARAM_MAX_VMS); -ENOMEM.
 */
struct drm_neuf_vm_create {
	/** @flags: in, %NEUF_VM_CREATE_SVM. */
	__u32 flags;
	/** @vm_id: out, the VM's id, non-zero; must be zero on input. */
	__u32 vm_id;
};

/**
 * struct drm_neuf_vm_destroy - argument of &DRM_IOCTL_NEUF_VM_DESTROY
 *
 * Removes the VM from the fd. Jobs already on an engine run to their end.
 * Jobs still queued are waited for until they reach one, as drm_sched
 * flushes an entity: a fatal signal ends the wait, and from a process
 * that is exiting the wait lasts about a second; those that did not reach
 * an engine then are cancelled (-ECANCELED in their status). Every job's
 * syncobj signals either way. Closing the fd destroys all its VMs the
 * same way.
 *
 * Errors: -ENOENT for an unknown @vm_id, -EACCES from a task that does
 * not own the VM's mm, -EINVAL for non-zero @pad.
 */
struct drm_neuf_vm_destroy {
	/** @vm_id: in, the VM to destroy. */
	__u32 vm_id;
	/** @pad: must be zero. */
	__u32 pad;
};

/** NEUF_EXEC_MAX_GRID - largest grid of one dispatch, in invocations. */
#define NEUF_EXEC_MAX_GRID		0x1000000u
/** NEUF_EXEC_MAX_GROUP - largest group, in invocations. */
#define NEUF_EXEC_MAX_GROUP		1024u
/** NEUF_EXEC_MAX_IN_SYNCOBJS - most syncobjs one dispatch may wait for. */
#define NEUF_EXEC_MAX_IN_SYNCOBJS	64u
/** NEUF_EXEC_NUM_ARGS - number of 64-bit push constants of a dispatch. */
#define NEUF_EXEC_NUM_ARGS		8

/**
 * struct drm_neuf_exec - argument of &DRM_IOCTL_NEUF_EXEC
 *
 * Queues one compute dispatch on @vm_id: @grid_size invocations of the
 * program at @code, in groups of @group_size, with push constants @args.
 * The code and all data are plain process memory, reached through the
 * VM's GPU page tables. The job is scheduled by the DRM GPU scheduler
 * after every syncobj in @in_syncobjs has signalled; jobs on one VM
 * start in submission order. When the job ends, however it ends, the
 * fence in @out_syncobj signals; &DRM_IOCTL_NEUF_JOB_STATUS then tells
 * how it ended. A VM holds at most 1024 jobs queued or running: beyond
 * that EXEC waits until one of them ends (as for ring space), or until
 * the task gets a fatal signal.
 *
 * Errors, with nothing queued: -ENOENT for an unknown @vm_id or syncobj
 * handle; -EACCES from a task that does not own the VM's mm; -EINVAL for
 * non-zero @flags, @pad or @job_id, @code not 8-byte aligned, @grid_size
 * outside 1..%NEUF_EXEC_MAX_GRID, @group_size outside
 * 1..%NEUF_EXEC_MAX_GROUP, more than %NEUF_EXEC_MAX_IN_SYNCOBJS
 * in-syncobjs, or an in-syncobj that holds no fence (as drm_syncobj
 * reports one); -EFAULT for @code outside the user address space or an
 * unreadable @in_syncobjs array.
 */
struct drm_neuf_exec {
	/** @vm_id: in, the VM to run in. */
	__u32 vm_id;
	/** @flags: in, must be zero. */
	__u32 flags;
	/** @code: in, address of the first instruction, 8-byte aligned. */
	__u64 code;
	/** @grid_size: in, number of invocations. */
	__u32 grid_size;
	/** @group_size: in, invocations per group. */
	__u32 group_size;
	/** @args: in, push constants, read by shaders as arg0..arg7. */
	__u64 args[NEUF_EXEC_NUM_ARGS];
	/** @in_syncobjs: in, pointer to an array of __u32 syncobj handles. */
	__u64 in_syncobjs;
	/** @num_in_syncobjs: in, entries in @in_syncobjs. */
	__u32 num_in_syncobjs;
	/** @out_syncobj: in, syncobj to receive the job's fence, or 0. */
	__u32 out_syncobj;
	/** @job_id: out, the job's id in @vm_id; must be zero on input. */
	__u64 job_id;
};

/**
 * enum drm_neuf_job_state - where a job is, in &drm_neuf_job_status.state
 * @NEUF_JOB_STATE_PENDING: queued or running.
 * @NEUF_JOB_STATE_DONE: ended; &drm_neuf_job_status.error says how.
 */
enum drm_neuf_job_state {
	NEUF_JOB_STATE_PENDING = 1,
	NEUF_JOB_STATE_DONE = 2,
};

/**
 * enum drm_neuf_access - kinds of GPU memory access, as in fault reports
 * @NEUF_ACCESS_KIND_READ: a load or an instruction fetch.
 * @NEUF_ACCESS_KIND_WRITE: a store.
 * @NEUF_ACCESS_KIND_ATOMIC: an atomic read-modify-write.
 * @NEUF_ACCESS_KIND_PREFETCH: a prefetch hint (never fails a job).
 */
enum drm_neuf_access {
	NEUF_ACCESS_KIND_READ = 0,
	NEUF_ACCESS_KIND_WRITE = 1,
	NEUF_ACCESS_KIND_ATOMIC = 2,
	NEUF_ACCESS_KIND_PREFETCH = 3,
};

/** NEUF_JOB_HISTORY - how many of a VM's latest jobs keep their status. */
#define NEUF_JOB_HISTORY		256

/**
 * struct drm_neuf_job_status - argument of &DRM_IOCTL_NEUF_JOB_STATUS
 *
 * Reports how a job ended. @error is 0 on success; -EFAULT when a GPU
 * access could not be resolved (the process had no mapping, or no
 * permission, at @fault_addr for @fault_access); -ENOEXEC for an illegal
 * instruction or misaligned atomic (@fault_addr is its address or
 * operand address); -ENOMEM when the kernel ran out of memory servicing
 * a fault at @fault_addr; -ETIMEDOUT when the job ran past the scheduler's
 * timeout and was stopped; -ECANCELED when it never ran (its VM was
 * destroyed or its process died first); -ENODEV when the GPU went away
 * while it was queued or running.
 *
 * Any task holding the fd may ask, but @fault_addr and @fault_access, which
 * tell where in its address space the VM's process faulted, only go to
 * that process (the one that created the VM): any other gets 0 in both.
 * Errors: -ENOENT for an unknown @vm_id; -EINVAL for non-zero @pad or a
 * @job_id the VM never issued; -ESTALE for a job older than the last
 * %NEUF_JOB_HISTORY of its VM.
 */
struct drm_neuf_job_status {
	/** @vm_id: in, the job's VM. */
	__u32 vm_id;
	/** @pad: must be zero. */
	__u32 pad;
	/** @job_id: in, from &drm_neuf_exec.job_id. */
	__u64 job_id;
	/** @state: out, &enum drm_neuf_job_state. */
	__u32 state;
	/** @error: out, 0 or a negative errno, valid when done. */
	__s32 error;
	/** @fault_addr: out, for -EFAULT and -ENOEXEC, to the VM's process. */
	__u64 fault_addr;
	/**
	 * @fault_access: out, &enum drm_neuf_access, for -EFAULT, to the
	 * VM's process.
	 */
	__u32 fault_access;
	/** @pad2: out, zero. */
	__u32 pad2;
};

/**
 * struct drm_neuf_vm_stats - argument of &DRM_IOCTL_NEUF_VM_STATS
 *
 * Counters of the VM's shared-virtual-memory activity since its creation;
 * they only grow. The same numbers are in debugfs (dri/N/neuf_vms).
 * Any task holding the fd may ask. Errors: -ENOENT for an unknown @vm_id,
 * -EINVAL for non-zero @pad.
 */
struct drm_neuf_vm_stats {
	/** @vm_id: in, the VM. */
	__u32 vm_id;
	/** @pad: must be zero. */
	__u32 pad;
	/** @faults: GPU page faults taken from the fault buffer. */
	__u64 faults;
	/** @batches: fault-buffer drains that held faults of this VM. */
	__u64 batches;
	/** @replays: REPLAY commands issued after resolving its faults. */
	__u64 replays;
	/** @cancels: faults that could not be resolved and were cancelled. */
	__u64 cancels;
	/**
	 * @pages_mapped: base pages (4 KiB) the VM's GPU PTEs were written
	 * for; a 2 MiB page counts 512.
	 */
	__u64 pages_mapped;
	/**
	 * @pages_invalidated: base pages unmapped from the GPU by
	 * invalidations; a 2 MiB page counts 512.
	 */
	__u64 pages_invalidated;
	/** @invalidations: mmu notifier invalidations that hit the VM. */
	__u64 invalidations;
	/** @retries: fault resolutions restarted because of a racing invalidation. */
	__u64 retries;
	/** @notifiers: interval notifiers currently registered. */
	__u64 notifiers;
	/** @jobs_submitted: jobs queued on the VM. */
	__u64 jobs_submitted;
	/** @jobs_failed: jobs that ended with an error. */
	__u64 jobs_failed;
	/**
	 * @windows: fault windows resolved: each took one hmm_range_fault()
	 * pass (more if an invalidation raced it) and one page-table commit
	 * for every fault of a batch in its 2 MiB, 64 KiB or 4 KiB range.
	 */
	__u64 windows;
	/** @huge_mapped: 2 MiB GPU pages written. */
	__u64 huge_mapped;
};

/**
 * enum drm_neuf_svm_op - operations of &DRM_IOCTL_NEUF_SVM_ATTR
 * @NEUF_SVM_OP_SET: set attributes of the range: those named in
 *	&drm_neuf_svm_attr.attrs, to the values given.
 * @NEUF_SVM_OP_GET: return the attributes in force over the range and
 *	where its pages are.
 * @NEUF_SVM_OP_PREFETCH: migrate the range's pages to
 *	&drm_neuf_svm_attr.location, synchronously.
 */
enum drm_neuf_svm_op {
	NEUF_SVM_OP_SET = 1,
	NEUF_SVM_OP_GET = 2,
	NEUF_SVM_OP_PREFETCH = 3,
};

/**
 * enum drm_neuf_svm_location - where pages are, or should be
 * @NEUF_SVM_LOC_NONE: no preference.
 * @NEUF_SVM_LOC_SYSTEM: system memory.
 * @NEUF_SVM_LOC_VRAM: the device's VRAM.
 */
enum drm_neuf_svm_location {
	NEUF_SVM_LOC_NONE = 0,
	NEUF_SVM_LOC_SYSTEM = 1,
	NEUF_SVM_LOC_VRAM = 2,
};

/* &drm_neuf_svm_attr.attrs: the attributes a SET sets */
#define NEUF_SVM_ATTR_LOCATION		0x1u
#define NEUF_SVM_ATTR_FLAGS		0x2u
#define NEUF_SVM_ATTR_GRANULARITY	0x4u

/* &drm_neuf_svm_attr.flags */
#define NEUF_SVM_FLAG_GPU_READ_ONLY	0x1u	/* the GPU only reads */
#define NEUF_SVM_FLAG_READ_MOSTLY	0x2u	/* a hint: rarely written */

/**
 * struct drm_neuf_svm_attr - argument of &DRM_IOCTL_NEUF_SVM_ATTR
 *
 * Works on [@start, @start + @size) of the VM's process, which must be the
 * caller's (-EACCES otherwise). Errors, with nothing changed: -ENOENT for
 * an unknown @vm_id; -EINVAL for an unknown @op, a range that is empty,
 * not page aligned, wraps or lies beyond user space, non-zero @reserved;
 * for SET, @attrs empty or with unknown bits, a value out of range
 * (@location above VRAM, unknown @flags, @granularity outside 12..21) or
 * a value given for an attribute @attrs does not name; for PREFETCH, a
 * @location that is not SYSTEM or VRAM, or non-zero @attrs, @flags or
 * @granularity. -EOPNOTSUPP for PREFETCH to VRAM, or SET of a VRAM
 * preference, without device memory (&NEUF_PARAM_VRAM_SIZE is 0); -ENOMEM.
 *
 * The defaults, in force wherever nothing was set: no preferred location,
 * no flags, granularity 21 (2 MiB). Attributes belong to the address
 * range, not to the pages: they stay through migrations and partial
 * munmap() of other parts, and are reset where the range is unmapped
 * (munmap(), the old range of mremap()). GET reports the values at @start
 * and, in @attrs, those that hold over the whole range.
 *
 * The policy they set: a GPU fault in a range preferring VRAM migrates the
 * granule (2^@granularity bytes, within a 2 MiB block and the VMA) around
 * it to VRAM before mapping it, unless %NEUF_SVM_FLAG_READ_MOSTLY (then the
 * pages stay where they are) or the GPU migrated it less than the module
 * parameter migration_timeslice_ms ago (ping-pong bound). With
 * %NEUF_SVM_FLAG_GPU_READ_ONLY the GPU maps the pages read-only, and a GPU
 * write there fails the job with -EFAULT.
 *
 * PREFETCH migrates what it can: pages the kernel cannot move (file-backed,
 * pinned) stay where they are, VRAM that runs out is made room in by
 * evicting the least recently used blocks, and what still does not fit
 * stays in system memory. A PREFETCH to VRAM also maps the range on the
 * GPU where its pages now are, so that the next dispatch over it takes no
 * fault. A hole in the range ends it with -EFAULT, the pages before the
 * hole migrated; a fatal signal with -EINTR.
 */
struct drm_neuf_svm_attr {
	/** @vm_id: in, the VM. */
	__u32 vm_id;
	/** @op: in, &enum drm_neuf_svm_op. */
	__u32 op;
	/** @start: in, first address of the range, page aligned. */
	__u64 start;
	/** @size: in, bytes, page aligned, not zero. */
	__u64 size;
	/**
	 * @attrs: in for SET, the attributes it sets (%NEUF_SVM_ATTR_*);
	 * out for GET, those uniform over the range; zero for PREFETCH.
	 */
	__u32 attrs;
	/**
	 * @location: &enum drm_neuf_svm_location: the preferred location
	 * (SET, GET), or the destination (PREFETCH, SYSTEM or VRAM).
	 */
	__u32 location;
	/** @flags: %NEUF_SVM_FLAG_* (SET, GET). */
	__u32 flags;
	/**
	 * @granularity: log2 of the bytes migrated at once, 12 to 21
	 * (SET, GET).
	 */
	__u32 granularity;
	/** @pages_system: out for GET: pages in system memory. */
	__u64 pages_system;
	/** @pages_vram: out for GET: pages in this device's VRAM. */
	__u64 pages_vram;
	/**
	 * @pages_none: out for GET: pages in neither: not populated,
	 * swapped out, or in another device's memory.
	 */
	__u64 pages_none;
	/** @migrated: out for PREFETCH: pages it migrated. */
	__u64 migrated;
	/** @reserved: must be zero. */
	__u64 reserved[3];
};

/**
 * struct drm_neuf_device_stats - argument of &DRM_IOCTL_NEUF_DEVICE_STATS
 *
 * Device-wide counters of device memory and device-exclusive access since
 * the GPU was bound; they only grow, except @vram_used. The same numbers
 * are in debugfs (dri/N/neuf_device_memory). Errors: -EINVAL for non-zero
 * @pad or @reserved.
 */
struct drm_neuf_device_stats {
	/** @vram_total: bytes of VRAM the driver manages (0: none). */
	__u64 vram_total;
	/** @vram_used: bytes of VRAM holding pages now. */
	__u64 vram_used;
	/** @to_vram_pages: pages migrated from system memory to VRAM. */
	__u64 to_vram_pages;
	/**
	 * @to_ram_pages: pages migrated from VRAM to system memory, for
	 * any reason (CPU access, prefetch, eviction, unbind).
	 */
	__u64 to_ram_pages;
	/** @cpu_faults: CPU faults on VRAM pages (migrate_to_ram calls). */
	__u64 cpu_faults;
	/** @evicted_pages: pages evicted to make room in VRAM. */
	__u64 evicted_pages;
	/** @evictions: 2 MiB blocks evicted. */
	__u64 evictions;
	/** @copy_ns: time migrations spent waiting for the copy engine. */
	__u64 copy_ns;
	/** @copy_bytes: bytes the copy engine copied or filled. */
	__u64 copy_bytes;
	/** @exclusive_grants: pages made device-exclusive for GPU atomics. */
	__u64 exclusive_grants;
	/**
	 * @exclusive_revokes: mappings of device-exclusive pages the CPU
	 * took back.
	 */
	__u64 exclusive_revokes;
	/** @reserved: must be zero. */
	__u64 reserved[4];
};

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_NEUF_DRM_H_ */
