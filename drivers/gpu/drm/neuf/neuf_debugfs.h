/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright 2026 The neuf authors
 */
#ifndef __NEUF_DEBUGFS_H__
#define __NEUF_DEBUGFS_H__

struct drm_minor;

void neuf_debugfs_init(struct drm_minor *minor);

#endif /* __NEUF_DEBUGFS_H__ */
