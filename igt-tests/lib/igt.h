/* SPDX-License-Identifier: MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * Umbrella header, as IGT's lib/igt.h: tests include only this. Besides the
 * core it gives what IGT's igt.h brings in that neuf's tests use, under
 * IGT's names, so that no test defines them itself: in IGT's tree such a
 * definition would clash with IGT's.
 */
#ifndef NEUF_IGT_H
#define NEUF_IGT_H

#include "igt_core.h"
#include "igt_sizes.h"

/* As IGT's lib/drmtest.h. */
#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof(arr[0]))

#endif /* NEUF_IGT_H */
