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
 */

#define DRM_NEUF_GETPARAM		0x00

#define DRM_IOCTL_NEUF_GETPARAM \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_NEUF_GETPARAM, struct drm_neuf_getparam)

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
 */
enum drm_neuf_param {
	NEUF_PARAM_CHIP_ID = 1,
	NEUF_PARAM_CHIP_REVISION = 2,
	NEUF_PARAM_NUM_ENGINES = 3,
	NEUF_PARAM_VA_BITS = 4,
	NEUF_PARAM_PAGE_SIZES = 5,
	NEUF_PARAM_FAULT_BUFFER_ENTRIES = 6,
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

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_NEUF_DRM_H_ */
