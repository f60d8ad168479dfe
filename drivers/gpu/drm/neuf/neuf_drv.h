/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright 2026 The neuf authors
 */
#ifndef __NEUF_DRV_H__
#define __NEUF_DRV_H__

#include <drm/drm_device.h>

#include "neuf_model.h"

#define NEUF_DRIVER_NAME	"neuf"
#define NEUF_DRIVER_DESC	"neuf open virtual GPU with shared virtual memory"
#define NEUF_DRIVER_MAJOR	0
#define NEUF_DRIVER_MINOR	1
#define NEUF_DRIVER_PATCHLEVEL	0

/**
 * struct neuf_device - one neuf GPU
 * @drm: the DRM device, embedded
 * @hw: the GPU's register interface (the virtual hardware)
 * @caps: capabilities read from the hardware at probe, never changed after
 * @caps.revision: %NEUF_REG_REVISION
 * @caps.engines: %NEUF_REG_ENGINES
 * @caps.va_bits: %NEUF_REG_VA_BITS
 * @caps.page_sizes: %NEUF_REG_PAGE_SIZES
 * @caps.fault_buf_entries: %NEUF_REG_FAULT_BUF_ENTRIES
 */
struct neuf_device {
	struct drm_device drm;
	struct neuf_model *hw;
	struct {
		u32 revision;
		u32 engines;
		u32 va_bits;
		u32 page_sizes;
		u32 fault_buf_entries;
	} caps;
};

static inline struct neuf_device *to_neuf_device(struct drm_device *drm)
{
	return container_of(drm, struct neuf_device, drm);
}

static inline u32 neuf_rd32(struct neuf_device *ndev, u32 reg)
{
	return neuf_model_read32(ndev->hw, reg);
}

static inline void neuf_wr32(struct neuf_device *ndev, u32 reg, u32 value)
{
	neuf_model_write32(ndev->hw, reg, value);
}

#endif /* __NEUF_DRV_H__ */
