/* SPDX-License-Identifier: MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * libneuf: userspace access to neuf GPUs, over libdrm.
 *
 * Every function returns 0 (or a non-negative value where documented) on
 * success and a negative errno on failure; none of them touches errno's
 * meaning for the caller or keeps global state.
 */
#ifndef LIBNEUF_H
#define LIBNEUF_H

#include <stddef.h>
#include <stdint.h>

#include <drm/neuf_drm.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Name the neuf kernel driver registers with DRM. */
#define NEUF_DRIVER_NAME "neuf"

/** An open neuf render node. */
struct neuf_device;

/**
 * neuf_device_count() - count the neuf GPUs in the system
 *
 * Counts the render nodes in /dev/dri whose driver (DRM_IOCTL_VERSION)
 * is neuf: one per GPU. Render nodes that would not open are passed over,
 * as by neuf_device_open().
 *
 * Return: the number of neuf GPUs; when there is none, the errno of open()
 * if a render node would not open (-EACCES...: it may have been one), as
 * neuf_device_open() returns; or another negative errno.
 */
int neuf_device_count(void);

/**
 * neuf_device_open() - open the render node of a neuf GPU
 * @index: which neuf GPU, in the order of the render nodes' minors, from 0
 * @out: the opened device, to be closed with neuf_device_close()
 *
 * Return: 0; -ENODEV if there is no such GPU; the errno of open() if a
 * render node would not open and no neuf GPU of that index did (-ENOMEM,
 * -EACCES...: the node may have been it; not for a node that went away
 * once listed, -ENOENT, -ENXIO or -ENODEV); or another negative errno.
 */
int neuf_device_open(unsigned int index, struct neuf_device **out);

/**
 * neuf_device_open_fd() - wrap an already open DRM fd
 * @fd: an fd of a DRM node; on success the device owns it
 * @out: the device, to be closed with neuf_device_close()
 *
 * Return: 0, -ENODEV if @fd is not a neuf node, or another negative errno.
 */
int neuf_device_open_fd(int fd, struct neuf_device **out);

/** neuf_device_close() - close a device and its fd; NULL is a no-op. */
void neuf_device_close(struct neuf_device *dev);

/** neuf_device_fd() - the device's DRM fd, for drm* calls. */
int neuf_device_fd(const struct neuf_device *dev);

/** neuf_device_node() - path of the device node, e.g. /dev/dri/renderD128. */
const char *neuf_device_node(const struct neuf_device *dev);

/**
 * neuf_getparam() - read a device parameter
 * @dev: the device
 * @param: one of &enum drm_neuf_param
 * @value: the value read
 *
 * Return: 0 or a negative errno (-EINVAL for an unknown @param).
 */
int neuf_getparam(struct neuf_device *dev, uint32_t param, uint64_t *value);

/**
 * neuf_param_name() - printable name of a parameter, or NULL if unknown
 * @param: one of &enum drm_neuf_param
 */
const char *neuf_param_name(uint32_t param);

/** Lowest and highest parameter ids this library knows. */
#define NEUF_PARAM_FIRST NEUF_PARAM_CHIP_ID
#define NEUF_PARAM_LAST NEUF_PARAM_VRAM_SIZE

/**
 * neuf_vm_create() - create a GPU address space for the calling process
 * @dev: the device
 * @flags: %NEUF_VM_CREATE_SVM (required in revision 1.0)
 * @vm_id: the new VM's id, non-zero
 *
 * With %NEUF_VM_CREATE_SVM the VM mirrors the calling process's address
 * space: GPU virtual addresses are CPU virtual addresses. Only the
 * calling process (its threads) may submit to the VM or destroy it.
 *
 * Return: 0, -EINVAL for bad @flags, -ENOSPC when the device has no free
 * VM slot, or another negative errno.
 */
int neuf_vm_create(struct neuf_device *dev, uint32_t flags, uint32_t *vm_id);

/**
 * neuf_vm_destroy() - destroy a VM
 * @dev: the device
 * @vm_id: the VM, from neuf_vm_create()
 *
 * Jobs already submitted to the VM still end and signal their syncobjs.
 *
 * Return: 0, -ENOENT for an unknown @vm_id, -EACCES from another process,
 * or another negative errno.
 */
int neuf_vm_destroy(struct neuf_device *dev, uint32_t vm_id);

/**
 * struct neuf_dispatch - one compute dispatch, as neuf_exec() submits it
 * @code: address of the first instruction, 8-byte aligned, in the
 *	process's own memory (e.g. what neuf_assemble() returned)
 * @grid_size: number of invocations, 1..%NEUF_EXEC_MAX_GRID
 * @group_size: invocations per group, 1..%NEUF_EXEC_MAX_GROUP
 * @args: push constants, read by the shader as arg0..arg7
 * @in_syncobjs: syncobj handles the job waits for, or NULL
 * @num_in_syncobjs: entries in @in_syncobjs, at most
 *	%NEUF_EXEC_MAX_IN_SYNCOBJS
 * @out_syncobj: syncobj that receives the job's fence, or 0
 */
struct neuf_dispatch {
	uint64_t code;
	uint32_t grid_size;
	uint32_t group_size;
	uint64_t args[NEUF_EXEC_NUM_ARGS];
	const uint32_t *in_syncobjs;
	uint32_t num_in_syncobjs;
	uint32_t out_syncobj;
};

/**
 * neuf_exec() - queue a dispatch on a VM
 * @dev: the device
 * @vm_id: the VM to run in
 * @d: the dispatch
 * @job_id: the job's id in @vm_id, for neuf_job_status(); may be NULL
 *
 * Returns once the job is queued; @d->out_syncobj signals when it ends,
 * however it ends.
 *
 * Return: 0 or a negative errno: -ENOENT for an unknown VM or syncobj,
 * -EACCES from a process that does not own the VM, -EINVAL for a bad
 * field of @d, -EFAULT for @d->code outside the user address space or an
 * unreadable @d->in_syncobjs.
 */
int neuf_exec(struct neuf_device *dev, uint32_t vm_id,
	      const struct neuf_dispatch *d, uint64_t *job_id);

/**
 * neuf_job_status() - how a job is doing, or how it ended
 * @dev: the device
 * @vm_id: the job's VM
 * @job_id: the job, from neuf_exec()
 * @st: the status: state, error, fault_addr and fault_access
 *
 * Return: 0, -ENOENT for an unknown VM, -EINVAL for a job the VM never
 * issued, -ESTALE for one too old to be remembered, or another negative
 * errno.
 */
int neuf_job_status(struct neuf_device *dev, uint32_t vm_id, uint64_t job_id,
		    struct drm_neuf_job_status *st);

/**
 * neuf_vm_stats() - read a VM's shared-virtual-memory counters
 * @dev: the device
 * @vm_id: the VM
 * @stats: the counters (see &struct drm_neuf_vm_stats)
 *
 * Return: 0, -ENOENT for an unknown VM, or another negative errno.
 */
int neuf_vm_stats(struct neuf_device *dev, uint32_t vm_id,
		  struct drm_neuf_vm_stats *stats);

/**
 * neuf_device_stats() - read the device's device-memory counters
 * @dev: the device
 * @stats: the counters (see &struct drm_neuf_device_stats)
 *
 * Return: 0 or a negative errno.
 */
int neuf_device_stats(struct neuf_device *dev,
		      struct drm_neuf_device_stats *stats);

/**
 * neuf_svm_attr() - get or set a range's SVM attributes, or migrate it
 * @dev: the device
 * @args: the request (see &struct drm_neuf_svm_attr), updated with the
 *	results even when the call fails part way (PREFETCH's @migrated)
 *
 * Return: 0 or the negative errno of &DRM_IOCTL_NEUF_SVM_ATTR.
 */
int neuf_svm_attr(struct neuf_device *dev, struct drm_neuf_svm_attr *args);

/**
 * neuf_run() - run a dispatch and wait for it to end
 * @dev: the device
 * @vm_id: the VM to run in
 * @d: the dispatch; its @out_syncobj is ignored (neuf_run() uses a
 *	syncobj of its own)
 * @timeout_ns: how long to wait for the job, relative, in nanoseconds
 * @st: the job's status: how it ended, or (on -ETIME) its state so far;
 *	@st->job_id is the job's id whenever it was queued
 *
 * A return of 0 means the job ended; whether it succeeded is in
 * @st->error.
 *
 * Return: 0, -ETIME if the job did not end within @timeout_ns, or the
 * negative errno of the failing step (see neuf_exec()).
 */
int neuf_run(struct neuf_device *dev, uint32_t vm_id,
	     const struct neuf_dispatch *d, int64_t timeout_ns,
	     struct drm_neuf_job_status *st);

/**
 * neuf_access_name() - printable name of a GPU access kind
 * @access: one of &enum drm_neuf_access
 *
 * Return: "read", "write", "atomic", "prefetch", or "unknown".
 */
const char *neuf_access_name(uint32_t access);

#ifdef __cplusplus
}
#endif

#endif /* LIBNEUF_H */
