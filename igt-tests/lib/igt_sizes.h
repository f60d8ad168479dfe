/* SPDX-License-Identifier: MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * The power-of-two sizes of IGT's lib/igt_sizes.h (and the kernel's
 * linux/sizes.h), under the same names, for neuf's stand-in for IGT.
 */
#ifndef NEUF_IGT_SIZES_H
#define NEUF_IGT_SIZES_H

#define SZ_1K 0x00000400
#define SZ_4K 0x00001000
#define SZ_64K 0x00010000
#define SZ_1M 0x00100000
#define SZ_2M 0x00200000
#define SZ_1G 0x40000000

#endif /* NEUF_IGT_SIZES_H */
