/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright 2026 The neuf authors
 */
#ifndef __NEUF_MODEL_H__
#define __NEUF_MODEL_H__

#include <linux/types.h>

struct neuf_model;

struct neuf_model *neuf_model_create(void);
void neuf_model_destroy(struct neuf_model *model);
u32 neuf_model_read32(struct neuf_model *model, u32 offset);
void neuf_model_write32(struct neuf_model *model, u32 offset, u32 value);

#endif /* __NEUF_MODEL_H__ */
