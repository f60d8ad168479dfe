// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright 2026 The neuf authors
 *
 * Integer-only IEEE-754 binary32 arithmetic; see neuf_model_float.h.
 *
 * Finite nonzero values are handled as a sign bit and m * 2^e, with m a u64
 * significand and e an int exponent. round_pack() is the one place where
 * results are rounded. Sums, FMA's included, need no 128-bit arithmetic:
 * a product of two 24-bit significands has at most 48 bits, so both terms
 * fit in 62 bits and the bits that alignment shifts out of the smaller term
 * can be folded into a sticky bit (see add_round()).
 *
 * Builds with -DNEUF_FLOAT_HOST on the host, for igt-tests/neuf_float.c.
 */
#ifndef NEUF_FLOAT_HOST
#include <linux/bitops.h>
#endif

#include "neuf_model_float.h"

#ifdef NEUF_FLOAT_HOST
/* The kernel's fls64(), for the host build. */
static int fls64(u64 x)
{
	return x ? 64 - __builtin_clzll(x) : 0;
}
#endif

#define F32_SIGN	0x80000000U
#define F32_ABS		0x7fffffffU
#define F32_INF		0x7f800000U
#define F32_FRAC	0x007fffffU
#define F32_HIDDEN	0x00800000U

#define NF_S64_MAX	((s64)(~0ULL >> 1))
#define NF_S64_MIN	(-NF_S64_MAX - 1)

static bool f32_is_nan(u32 f)
{
	return (f & F32_ABS) > F32_INF;
}

static bool f32_is_inf(u32 f)
{
	return (f & F32_ABS) == F32_INF;
}

static bool f32_is_zero(u32 f)
{
	return !(f & F32_ABS);
}

/* Leading zero bits of nonzero x. */
static int clz64(u64 x)
{
	return 64 - fls64(x);
}

/* A finite nonzero f is sign * m * 2^e: returns m, sets *e. */
static u64 f32_unpack(u32 f, int *e)
{
	u32 exp = (f >> 23) & 0xff;
	u32 frac = f & F32_FRAC;

	if (exp)
		frac |= F32_HIDDEN;
	else
		exp = 1;
	*e = (int)exp - 150;
	return frac;
}

/* Shifts nonzero m < 2^62 so that its top bit is bit 61, adjusting *e. */
static u64 norm61(u64 m, int *e)
{
	int s = clz64(m) - 2;

	*e -= s;
	return m << s;
}

/*
 * Rounds sign * m * 2^e to binary32, nearest even. m may carry a sticky bit
 * in bit 0 (bits below it were nonzero): that is exact as long as bit 0 ends
 * up at least two places below the result's last bit, which callers ensure.
 */
static u32 round_pack(u32 sign, int e, u64 m)
{
	u64 q, rem, half;
	int n, exp, shift;

	if (!m)
		return sign;
	n = clz64(m);
	m <<= n;
	e -= n;
	/* m * 2^e with m in [2^63, 2^64): 1.f * 2^(e + 63). */
	exp = e + 63 + 127;
	if (exp >= 0xff)
		return sign | F32_INF;
	shift = exp >= 1 ? 40 : 41 - exp;
	if (shift >= 64) {
		/* Below half the smallest subnormal, or a tie with 0 */
		return sign | (shift == 64 && m > (1ULL << 63));
	}
	q = m >> shift;
	rem = m & ((1ULL << shift) - 1);
	half = 1ULL << (shift - 1);
	if (rem > half || (rem == half && (q & 1)))
		q++;
	/*
	 * q includes the hidden bit, so a carry out of the significand, from
	 * rounding, moves on to the exponent (up to inf) or turns the largest
	 * subnormal into the smallest normal.
	 */
	if (exp >= 1)
		return sign | (u32)(((u64)(exp - 1) << 23) + q);
	return sign | (u32)q;
}

/*
 * Rounds x + y, both finite and nonzero, each given as a sign bit and
 * m * 2^e with m's top bit at bit 61 and its two lowest bits clear.
 *
 * The term with the smaller exponent is shifted right, the bits shifted out
 * being ORed into its bit 0 (sticky). A shift by 0 or 1 loses nothing, so
 * massive cancellation is exact. After a shift by d >= 2 the sum's top bit
 * is at bit 60 or above, so its last kept bit is at 37 or above; the exact
 * sum and the computed one (whose bit 0 is set) lie strictly between the
 * same two consecutive even integers, and rounding at bit 2 or above
 * cannot tell them apart.
 */
static u32 add_round(u32 sx, int ex, u64 mx, u32 sy, int ey, u64 my)
{
	u64 m, lost;
	int d;

	if (ex < ey || (ex == ey && mx < my)) {
		u32 ts = sx;
		int te = ex;
		u64 tm = mx;

		sx = sy;
		ex = ey;
		mx = my;
		sy = ts;
		ey = te;
		my = tm;
	}
	d = ex - ey;
	if (d >= 62) {
		my = 1;
	} else if (d) {
		lost = my & ((1ULL << d) - 1);
		my >>= d;
		if (lost)
			my |= 1;
	}
	m = sx == sy ? mx + my : mx - my;
	if (!m)
		return 0;	/* exact cancellation: +0 when rounding to nearest */
	return round_pack(sx, ex, m);
}

/**
 * neuf_f32_add() - binary32 addition
 * @a: first operand
 * @b: second operand
 *
 * Return: a + b, rounded to nearest even; NEUF_F32_QNAN for a NaN operand or
 * inf - inf. An exact zero sum is +0 unless both operands are -0.
 */
u32 neuf_f32_add(u32 a, u32 b)
{
	int ea, eb;
	u64 ma, mb;

	if (f32_is_nan(a) || f32_is_nan(b))
		return NEUF_F32_QNAN;
	if (f32_is_inf(a)) {
		if (f32_is_inf(b) && ((a ^ b) & F32_SIGN))
			return NEUF_F32_QNAN;
		return a;
	}
	if (f32_is_inf(b))
		return b;
	if (f32_is_zero(a))
		return f32_is_zero(b) ? a & b : b;
	if (f32_is_zero(b))
		return a;
	ma = f32_unpack(a, &ea);
	ma = norm61(ma, &ea);
	mb = f32_unpack(b, &eb);
	mb = norm61(mb, &eb);
	return add_round(a & F32_SIGN, ea, ma, b & F32_SIGN, eb, mb);
}

/**
 * neuf_f32_sub() - binary32 subtraction
 * @a: first operand
 * @b: operand subtracted from @a
 *
 * Return: a - b, rounded to nearest even; NEUF_F32_QNAN for a NaN operand or
 * inf - inf. An exact zero difference is +0 unless a is -0 and b is +0.
 */
u32 neuf_f32_sub(u32 a, u32 b)
{
	return neuf_f32_add(a, b ^ F32_SIGN);
}

/**
 * neuf_f32_mul() - binary32 multiplication
 * @a: first operand
 * @b: second operand
 *
 * Return: a * b, rounded to nearest even; NEUF_F32_QNAN for a NaN operand or
 * 0 * inf.
 */
u32 neuf_f32_mul(u32 a, u32 b)
{
	u32 sign = (a ^ b) & F32_SIGN;
	int ea, eb;
	u64 ma, mb;

	if (f32_is_nan(a) || f32_is_nan(b))
		return NEUF_F32_QNAN;
	if (f32_is_inf(a) || f32_is_inf(b)) {
		if (f32_is_zero(a) || f32_is_zero(b))
			return NEUF_F32_QNAN;
		return sign | F32_INF;
	}
	if (f32_is_zero(a) || f32_is_zero(b))
		return sign;
	ma = f32_unpack(a, &ea);
	mb = f32_unpack(b, &eb);
	return round_pack(sign, ea + eb, ma * mb);
}

/**
 * neuf_f32_fma() - binary32 fused multiply-add
 * @a: first factor
 * @b: second factor
 * @c: addend
 *
 * The product is exact and the sum is rounded once.
 *
 * Return: a * b + c, rounded to nearest even; NEUF_F32_QNAN for a NaN
 * operand, 0 * inf (whatever @c is) or inf - inf. An exact zero result is +0
 * unless a * b and c are both zeros of negative sign.
 */
u32 neuf_f32_fma(u32 a, u32 b, u32 c)
{
	u32 sp = (a ^ b) & F32_SIGN;
	int ea, eb, ec;
	u64 ma, mb, mc, mp;

	if (f32_is_nan(a) || f32_is_nan(b) || f32_is_nan(c))
		return NEUF_F32_QNAN;
	if (f32_is_inf(a) || f32_is_inf(b)) {
		if (f32_is_zero(a) || f32_is_zero(b))
			return NEUF_F32_QNAN;
		if (f32_is_inf(c) && (c & F32_SIGN) != sp)
			return NEUF_F32_QNAN;
		return sp | F32_INF;
	}
	if (f32_is_inf(c))
		return c;
	if (f32_is_zero(a) || f32_is_zero(b))
		return f32_is_zero(c) ? sp & c : c;
	ma = f32_unpack(a, &ea);
	mb = f32_unpack(b, &eb);
	ea += eb;
	mp = norm61(ma * mb, &ea);
	if (f32_is_zero(c))
		return round_pack(sp, ea, mp);
	mc = f32_unpack(c, &ec);
	mc = norm61(mc, &ec);
	return add_round(sp, ea, mp, c & F32_SIGN, ec, mc);
}

/* Maps non-NaN bit patterns to integers of the same order; -0 and +0 to 0. */
static s64 f32_key(u32 f)
{
	return (f & F32_SIGN) ? -(s64)(f & F32_ABS) : (s64)f;
}

/**
 * neuf_f32_min() - binary32 minimum (IEEE 754-2008 minNum)
 * @a: first operand
 * @b: second operand
 *
 * Return: the lesser of a and b, -0 being less than +0; the other operand if
 * one is a NaN; NEUF_F32_QNAN if both are.
 */
u32 neuf_f32_min(u32 a, u32 b)
{
	s64 ka, kb;

	if (f32_is_nan(a))
		return f32_is_nan(b) ? NEUF_F32_QNAN : b;
	if (f32_is_nan(b))
		return a;
	ka = f32_key(a);
	kb = f32_key(b);
	if (ka != kb)
		return ka < kb ? a : b;
	return a | b;	/* equal, or zeros: -0 if either is */
}

/**
 * neuf_f32_max() - binary32 maximum (IEEE 754-2008 maxNum)
 * @a: first operand
 * @b: second operand
 *
 * Return: the greater of a and b, +0 being greater than -0; the other
 * operand if one is a NaN; NEUF_F32_QNAN if both are.
 */
u32 neuf_f32_max(u32 a, u32 b)
{
	s64 ka, kb;

	if (f32_is_nan(a))
		return f32_is_nan(b) ? NEUF_F32_QNAN : b;
	if (f32_is_nan(b))
		return a;
	ka = f32_key(a);
	kb = f32_key(b);
	if (ka != kb)
		return ka > kb ? a : b;
	return a & b;	/* equal, or zeros: +0 if either is */
}

/**
 * neuf_f32_eq() - binary32 equality
 * @a: first operand
 * @b: second operand
 *
 * Return: whether a == b: false if either is a NaN; -0 equals +0.
 */
bool neuf_f32_eq(u32 a, u32 b)
{
	if (f32_is_nan(a) || f32_is_nan(b))
		return false;
	return f32_key(a) == f32_key(b);
}

/**
 * neuf_f32_lt() - binary32 less-than
 * @a: first operand
 * @b: second operand
 *
 * Return: whether a < b: false if either is a NaN; -0 is not less than +0.
 */
bool neuf_f32_lt(u32 a, u32 b)
{
	if (f32_is_nan(a) || f32_is_nan(b))
		return false;
	return f32_key(a) < f32_key(b);
}

/**
 * neuf_f32_le() - binary32 less-than-or-equal
 * @a: first operand
 * @b: second operand
 *
 * Return: whether a <= b: false if either is a NaN; -0 equals +0.
 */
bool neuf_f32_le(u32 a, u32 b)
{
	if (f32_is_nan(a) || f32_is_nan(b))
		return false;
	return f32_key(a) <= f32_key(b);
}

/**
 * neuf_f32_from_s64() - convert a signed 64-bit integer to binary32
 * @v: the integer
 *
 * Return: v, rounded to nearest even.
 */
u32 neuf_f32_from_s64(s64 v)
{
	if (v < 0)
		return round_pack(F32_SIGN, 0, -(u64)v);
	return round_pack(0, 0, (u64)v);
}

/**
 * neuf_f32_from_u64() - convert an unsigned 64-bit integer to binary32
 * @v: the integer
 *
 * Return: v, rounded to nearest even.
 */
u32 neuf_f32_from_u64(u64 v)
{
	return round_pack(0, 0, v);
}

/**
 * neuf_f32_to_s64() - convert binary32 to a signed 64-bit integer
 * @f: the binary32 value
 *
 * Return: f truncated toward zero, saturated to [S64_MIN, S64_MAX] (infinities
 * included); 0 for a NaN.
 */
s64 neuf_f32_to_s64(u32 f)
{
	u32 exp = (f >> 23) & 0xff;
	u64 m = (f & F32_FRAC) | F32_HIDDEN;

	if (f32_is_nan(f) || exp < 127)
		return 0;
	if (exp >= 127 + 63)
		return (f & F32_SIGN) ? NF_S64_MIN : NF_S64_MAX;
	m = exp >= 150 ? m << (exp - 150) : m >> (150 - exp);
	return (f & F32_SIGN) ? -(s64)m : (s64)m;
}

/**
 * neuf_f32_to_u64() - convert binary32 to an unsigned 64-bit integer
 * @f: the binary32 value
 *
 * Return: f truncated toward zero, saturated to [0, U64_MAX] (infinities
 * included, and any negative value gives 0); 0 for a NaN.
 */
u64 neuf_f32_to_u64(u32 f)
{
	u32 exp = (f >> 23) & 0xff;
	u64 m = (f & F32_FRAC) | F32_HIDDEN;

	if (f32_is_nan(f) || (f & F32_SIGN) || exp < 127)
		return 0;
	if (exp >= 127 + 64)
		return ~0ULL;
	return exp >= 150 ? m << (exp - 150) : m >> (150 - exp);
}
