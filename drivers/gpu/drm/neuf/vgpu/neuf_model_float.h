/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * Integer-only IEEE-754 binary32 arithmetic for the GPU model's float
 * instructions: the kernel cannot use the FPU.
 */
#ifndef NEUF_MODEL_FLOAT_H
#define NEUF_MODEL_FLOAT_H

#ifdef NEUF_FLOAT_HOST
/*
 * Host build, for igt-tests/neuf_float.c and neuf_fpu.c: the kernel's types
 * by their widths, the very types of <stdint.h> as IGT's
 * include/linux_scaffold.h defines them (C11 allows the same typedef twice,
 * so the tests build in IGT's tree too).
 */
#include <stdbool.h>
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;
typedef __INT64_TYPE__ s64;
#else
#include <linux/types.h>
#endif

/**
 * DOC: neuf binary32 soft-float
 *
 * Operands and results are binary32 bit patterns. Every operation is exact:
 * results are correctly rounded to nearest, ties to even, and subnormal
 * operands and results are fully supported (never flushed to zero). No
 * exception flags are raised.
 *
 * The ISA only says that operations on NaNs give "a NaN"; this
 * implementation always returns the canonical quiet NaN, NEUF_F32_QNAN,
 * whatever the input NaNs' payloads, signs and quietness. Invalid
 * operations (inf - inf, 0 * inf, fma(0, inf, c)) return it too.
 *
 * min and max follow IEEE 754-2008 minNum and maxNum: a NaN operand (quiet
 * or signalling) is ignored in favour of the other one, and -0 is taken as
 * less than +0. Comparisons are false when either operand is a NaN, and
 * -0 equals +0. Conversions to integers truncate toward zero and saturate;
 * NaN converts to 0.
 */
#define NEUF_F32_QNAN 0x7fc00000U

u32 neuf_f32_add(u32 a, u32 b);
u32 neuf_f32_sub(u32 a, u32 b);
u32 neuf_f32_mul(u32 a, u32 b);
u32 neuf_f32_fma(u32 a, u32 b, u32 c); /* a*b+c, rounded once */
u32 neuf_f32_min(u32 a, u32 b);
u32 neuf_f32_max(u32 a, u32 b);
bool neuf_f32_eq(u32 a, u32 b);
bool neuf_f32_lt(u32 a, u32 b);
bool neuf_f32_le(u32 a, u32 b);
u32 neuf_f32_from_s64(s64 v);
u32 neuf_f32_from_u64(u64 v);
s64 neuf_f32_to_s64(u32 f);
u64 neuf_f32_to_u64(u32 f);

#endif /* NEUF_MODEL_FLOAT_H */
