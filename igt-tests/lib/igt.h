/* SPDX-License-Identifier: MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * Umbrella header, as IGT's lib/igt.h: tests include only this.
 */
#ifndef NEUF_IGT_H
#define NEUF_IGT_H

#include "igt_core.h"

#endif /* NEUF_IGT_H */
