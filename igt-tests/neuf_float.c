// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * Tests of the GPU model's integer-only binary32 arithmetic
 * (drivers/gpu/drm/neuf/neuf_model_float.c, built for the host with
 * -DNEUF_FLOAT_HOST) against the host FPU, rounding to nearest even with
 * subnormals. Pure userspace: needs no device.
 *
 * Each operation is checked on all pairs (for fma, triples) of special
 * values, a few million random bit patterns and random operands built to
 * hit alignment, cancellation, ties, overflow and underflow. NaN results
 * must be the canonical quiet NaN; other results must match bit for bit.
 */
#include <fenv.h>
#include <math.h>
#include <string.h>

#include "igt.h"
#include "neuf_model_float.h"

#define SIGN 0x80000000u
#define N_RANDOM 4000000

static const uint32_t special_magnitudes[] = {
	0x00000000, /* 0 */
	0x00000001, /* smallest subnormal */
	0x00000002,
	0x00000003,
	0x00400000, /* half the smallest normal */
	0x007ffffe,
	0x007fffff, /* largest subnormal */
	0x00800000, /* smallest normal */
	0x00800001,
	0x00ffffff,
	0x01000000,
	0x0c000000, 0x1f800000, 0x20000000, /* squares are subnormal/tiny */
	0x33000000, /* 2^-25 */
	0x33800000, /* 2^-24: half an ulp of 1 */
	0x33800001,
	0x337fffff,
	0x34000000, /* 2^-23: an ulp of 1 */
	0x3effffff,
	0x3f000000, /* 0.5 */
	0x3f000001,
	0x3f3fffff,
	0x3f400000, /* 0.75 */
	0x3f7fffff,
	0x3f800000, /* 1 */
	0x3f800001,
	0x3fc00000, /* 1.5 */
	0x3fffffff,
	0x40000000, /* 2 */
	0x40400000, /* 3 */
	0x4b000000, /* 2^23 */
	0x4b000001,
	0x4b7fffff,
	0x4b800000, /* 2^24 */
	0x4b800001,
	0x5effffff,
	0x5f000000, /* 2^63 */
	0x5f000001,
	0x5f7fffff,
	0x5f800000, /* 2^64 */
	0x7effffff,
	0x7f000000, /* 2^127 */
	0x7f7ffffe,
	0x7f7fffff, /* largest normal */
	0x7f800000, /* inf */
	0x7f800001, /* signalling NaNs */
	0x7fa00000,
	0x7fc00000, /* quiet NaNs */
	0x7fc00001,
	0x7fffffff,
};

#define N_SPECIALS (2 * (int)(sizeof(special_magnitudes) / sizeof(uint32_t)))

/* The i-th special value, i < N_SPECIALS: each magnitude with both signs. */
static uint32_t special(int i)
{
	return special_magnitudes[i / 2] ^ (i & 1 ? SIGN : 0);
}

static float f32(uint32_t u)
{
	float f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

static uint32_t bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

/* xorshift64; the state lives in the subtest. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static int rnd_range(uint64_t *s, int lo, int hi)
{
	return lo + (int)(rnd(s) % (uint64_t)(hi - lo + 1));
}

static int exp_of(uint32_t f)
{
	return (f >> 23) & 0xff;
}

/* Random sign and significand, biased exponent e clamped to finite. */
static uint32_t with_exp(uint64_t *s, int e)
{
	e = e < 0 ? 0 : e > 254 ? 254 : e;
	return ((uint32_t)rnd(s) & 0x807fffff) | (uint32_t)e << 23;
}

/* Clears a random number of f's low significand bits: ties, exact results. */
static uint32_t shorten(uint64_t *s, uint32_t f)
{
	return f & ~((1u << rnd_range(s, 0, 23)) - 1);
}

/* A biased exponent biased towards the subnormal and overflow ranges. */
static int rnd_exp(uint64_t *s)
{
	switch (rnd(s) & 3) {
	case 0:
		return rnd_range(s, 0, 8);
	case 1:
		return rnd_range(s, 240, 254);
	default:
		return rnd_range(s, 0, 254);
	}
}

/* A mix of random bit patterns, special values and structured operands. */
static uint32_t rnd_f32(uint64_t *s)
{
	switch (rnd(s) & 7) {
	case 0:
		return special(rnd_range(s, 0, N_SPECIALS - 1));
	case 1:
		return with_exp(s, rnd_exp(s));
	case 2:
		return shorten(s, with_exp(s, rnd_exp(s)));
	case 3:
		return shorten(s, (uint32_t)rnd(s));
	default:
		return (uint32_t)rnd(s);
	}
}

static bool same(uint32_t got, float want)
{
	if (isnan(want))
		return got == NEUF_F32_QNAN;
	return got == bits(want);
}

static void check_add(uint32_t a, uint32_t b)
{
	float fa = f32(a), fb = f32(b);
	float sum = fa + fb, diff = fa - fb;
	uint32_t got;

	got = neuf_f32_add(a, b);
	igt_assert_f(same(got, sum), "add(%#010x, %#010x) = %#010x, expected %#010x\n",
		     a, b, got, bits(sum));
	got = neuf_f32_sub(a, b);
	igt_assert_f(same(got, diff), "sub(%#010x, %#010x) = %#010x, expected %#010x\n",
		     a, b, got, bits(diff));
}

static void check_mul(uint32_t a, uint32_t b)
{
	float want = f32(a) * f32(b);
	uint32_t got = neuf_f32_mul(a, b);

	igt_assert_f(same(got, want), "mul(%#010x, %#010x) = %#010x, expected %#010x\n",
		     a, b, got, bits(want));
}

static void check_fma(uint32_t a, uint32_t b, uint32_t c)
{
	float want = fmaf(f32(a), f32(b), f32(c));
	uint32_t got = neuf_f32_fma(a, b, c);

	igt_assert_f(same(got, want),
		     "fma(%#010x, %#010x, %#010x) = %#010x, expected %#010x\n",
		     a, b, c, got, bits(want));
}

/* minNum/maxNum: NaNs are ignored, -0 < +0. */
static uint32_t want_minmax(uint32_t a, uint32_t b, bool max)
{
	float fa = f32(a), fb = f32(b);

	if (isnan(fa) && isnan(fb))
		return NEUF_F32_QNAN;
	if (isnan(fa))
		return b;
	if (isnan(fb))
		return a;
	if (fa == 0 && fb == 0) {
		if (max)
			return bits(signbit(fa) && signbit(fb) ? -0.0f : 0.0f);
		return bits(signbit(fa) || signbit(fb) ? -0.0f : 0.0f);
	}
	return bits(max ? fmaxf(fa, fb) : fminf(fa, fb));
}

static void check_minmax(uint32_t a, uint32_t b)
{
	uint32_t got, want;

	got = neuf_f32_min(a, b);
	want = want_minmax(a, b, false);
	igt_assert_f(got == want, "min(%#010x, %#010x) = %#010x, expected %#010x\n",
		     a, b, got, want);
	got = neuf_f32_max(a, b);
	want = want_minmax(a, b, true);
	igt_assert_f(got == want, "max(%#010x, %#010x) = %#010x, expected %#010x\n",
		     a, b, got, want);
}

static void check_compare(uint32_t a, uint32_t b)
{
	float fa = f32(a), fb = f32(b);

	igt_assert_f(neuf_f32_eq(a, b) == (fa == fb), "eq(%#010x, %#010x) = %d\n",
		     a, b, neuf_f32_eq(a, b));
	igt_assert_f(neuf_f32_lt(a, b) == (fa < fb), "lt(%#010x, %#010x) = %d\n",
		     a, b, neuf_f32_lt(a, b));
	igt_assert_f(neuf_f32_le(a, b) == (fa <= fb), "le(%#010x, %#010x) = %d\n",
		     a, b, neuf_f32_le(a, b));
}

static int64_t want_s64(float f)
{
	if (isnan(f))
		return 0;
	if (f >= 0x1p63f)
		return INT64_MAX;
	if (f < -0x1p63f)
		return INT64_MIN;
	return (int64_t)f;
}

static uint64_t want_u64(float f)
{
	if (isnan(f) || f <= -1.0f)
		return 0;
	if (f >= 0x1p64f)
		return UINT64_MAX;
	return (uint64_t)f;
}

static void check_to_int(uint32_t f)
{
	int64_t s = neuf_f32_to_s64(f), ws = want_s64(f32(f));
	uint64_t u = neuf_f32_to_u64(f), wu = want_u64(f32(f));

	igt_assert_f(s == ws, "to_s64(%#010x) = %" PRId64 ", expected %" PRId64 "\n",
		     f, s, ws);
	igt_assert_f(u == wu, "to_u64(%#010x) = %" PRIu64 ", expected %" PRIu64 "\n",
		     f, u, wu);
}

static void check_from_int(uint64_t v)
{
	float ws = (float)(int64_t)v, wu = (float)v;
	uint32_t s = neuf_f32_from_s64((int64_t)v), u = neuf_f32_from_u64(v);

	igt_assert_f(s == bits(ws), "from_s64(%" PRId64 ") = %#010x, expected %#010x\n",
		     (int64_t)v, s, bits(ws));
	igt_assert_f(u == bits(wu), "from_u64(%" PRIu64 ") = %#010x, expected %#010x\n",
		     v, u, bits(wu));
}

/* The host must round to nearest even, with subnormals (no FTZ/DAZ). */
static void require_ieee_host(void)
{
	volatile float tiny = f32(0x00000001);

	igt_require(fegetround() == FE_TONEAREST);
	igt_require(bits(tiny + tiny) == 0x00000002);
	igt_require(bits(tiny * 0.5f) == 0);
	igt_require(bits(f32(0x00800000) * 0.5f) == 0x00400000);
}

static void test_add_sub(void)
{
	uint64_t s = 0x243f6a8885a308d3ull;
	uint32_t a, b;
	int i, j;

	for (i = 0; i < N_SPECIALS; i++)
		for (j = 0; j < N_SPECIALS; j++)
			check_add(special(i), special(j));

	for (i = 0; i < N_RANDOM; i++)
		check_add((uint32_t)rnd(&s), (uint32_t)rnd(&s));
	for (i = 0; i < N_RANDOM / 2; i++)
		check_add(rnd_f32(&s), rnd_f32(&s));

	/* Close exponents: alignment, carries, cancellation, ties. */
	for (i = 0; i < N_RANDOM; i++) {
		a = with_exp(&s, rnd_exp(&s));
		b = with_exp(&s, exp_of(a) + rnd_range(&s, -27, 27));
		if (i & 1) {
			a = shorten(&s, a);
			b = shorten(&s, b);
		}
		check_add(a, b);
	}

	/* b is half an ulp of a, or just above or below it. */
	for (i = 0; i < N_RANDOM / 4; i++) {
		a = with_exp(&s, rnd_range(&s, 25, 254));
		b = (uint32_t)(exp_of(a) - 24) << 23;
		b += rnd_range(&s, -1, 1);
		b |= (uint32_t)rnd(&s) & SIGN;
		check_add(a, b);
		check_add(b, a);
	}

	/* Massive cancellation: b is within a few ulps of -a. */
	for (i = 0; i < N_RANDOM / 4; i++) {
		a = with_exp(&s, rnd_exp(&s));
		b = (a ^ SIGN) + rnd_range(&s, -8, 8);
		check_add(a, b);
		check_add(b, a);
	}
}

static void test_mul(void)
{
	uint64_t s = 0x13198a2e03707344ull;
	uint32_t a, b;
	int i, j, e;

	for (i = 0; i < N_SPECIALS; i++)
		for (j = 0; j < N_SPECIALS; j++)
			check_mul(special(i), special(j));

	for (i = 0; i < N_RANDOM; i++)
		check_mul((uint32_t)rnd(&s), (uint32_t)rnd(&s));
	for (i = 0; i < N_RANDOM / 2; i++)
		check_mul(rnd_f32(&s), rnd_f32(&s));

	/*
	 * Products near underflow (subnormal results, ties with the
	 * smallest subnormal) and overflow; short significands give ties.
	 */
	for (i = 0; i < N_RANDOM; i++) {
		a = with_exp(&s, rnd_range(&s, 0, 254));
		e = i & 1 ? rnd_range(&s, -30, 4) : rnd_range(&s, 248, 256);
		b = with_exp(&s, e + 127 - exp_of(a));
		if (i & 2) {
			a = shorten(&s, a);
			b = shorten(&s, b);
		}
		check_mul(a, b);
	}
}

static void test_fma(void)
{
	uint64_t s = 0xa4093822299f31d0ull;
	uint32_t a, b, c;
	int i, j, k, e, single_rounding = 0;
	volatile float p;	/* rounded on its own, never fused */

	for (i = 0; i < N_SPECIALS; i++)
		for (j = 0; j < N_SPECIALS; j++)
			for (k = 0; k < N_SPECIALS; k++)
				check_fma(special(i), special(j), special(k));

	for (i = 0; i < N_RANDOM / 2; i++)
		check_fma((uint32_t)rnd(&s), (uint32_t)rnd(&s), (uint32_t)rnd(&s));
	for (i = 0; i < N_RANDOM / 2; i++)
		check_fma(rnd_f32(&s), rnd_f32(&s), rnd_f32(&s));

	/* c's exponent is near the product's: alignment, cancellation. */
	for (i = 0; i < N_RANDOM; i++) {
		a = with_exp(&s, rnd_exp(&s));
		b = with_exp(&s, rnd_range(&s, 0, 254));
		e = exp_of(a) + exp_of(b) - 127;
		c = with_exp(&s, e + rnd_range(&s, -50, 50));
		if (i & 1) {
			a = shorten(&s, a);
			b = shorten(&s, b);
			c = shorten(&s, c);
		}
		check_fma(a, b, c);
	}

	/* c is within a few ulps of -(a * b): the exact product's tail. */
	for (i = 0; i < N_RANDOM / 2; i++) {
		a = with_exp(&s, rnd_range(&s, 1, 253));
		b = with_exp(&s, rnd_range(&s, 1, 253));
		c = (bits(f32(a) * f32(b)) ^ SIGN) + rnd_range(&s, -2, 2);
		check_fma(a, b, c);
	}

	/*
	 * a * b is (close to) a tie and a much smaller c decides the
	 * rounding: rounding the product first, then the sum, goes wrong.
	 */
	for (i = 0; i < N_RANDOM / 2; i++) {
		a = shorten(&s, with_exp(&s, rnd_range(&s, 1, 253)));
		b = shorten(&s, with_exp(&s, rnd_range(&s, 1, 253)));
		e = exp_of(a) + exp_of(b) - 127;
		c = with_exp(&s, e - rnd_range(&s, 24, 70));
		if (i & 1)
			c &= SIGN | 0x7f800000;
		check_fma(a, b, c);
		p = f32(a) * f32(b);
		if (bits(p + f32(c)) != neuf_f32_fma(a, b, c))
			single_rounding++;
	}
	igt_info("%d cases where fma differs from mul then add\n", single_rounding);
	igt_assert(single_rounding > 1000);
}

static void test_min_max(void)
{
	uint64_t s = 0x082efa98ec4e6c89ull;
	uint32_t a;
	int i, j;

	for (i = 0; i < N_SPECIALS; i++)
		for (j = 0; j < N_SPECIALS; j++)
			check_minmax(special(i), special(j));
	for (i = 0; i < N_RANDOM; i++)
		check_minmax((uint32_t)rnd(&s), (uint32_t)rnd(&s));
	for (i = 0; i < N_RANDOM / 2; i++) {
		a = rnd_f32(&s);
		check_minmax(a, rnd_f32(&s));
		check_minmax(a, a ^ SIGN);
		check_minmax(a, a + rnd_range(&s, -2, 2));
	}
}

static void test_compare(void)
{
	uint64_t s = 0x452821e638d01377ull;
	uint32_t a;
	int i, j;

	for (i = 0; i < N_SPECIALS; i++)
		for (j = 0; j < N_SPECIALS; j++)
			check_compare(special(i), special(j));
	for (i = 0; i < N_RANDOM; i++)
		check_compare((uint32_t)rnd(&s), (uint32_t)rnd(&s));
	for (i = 0; i < N_RANDOM / 2; i++) {
		a = rnd_f32(&s);
		check_compare(a, rnd_f32(&s));
		check_compare(a, a);
		check_compare(a, a ^ SIGN);
		check_compare(a, a + rnd_range(&s, -2, 2));
	}
}

static void test_convert(void)
{
	static const uint64_t ints[] = {
		0, 1, 2, 3, 0x7fffff, 0xffffff, 0x1000000, 0x1000001,
		0x1000002, 0x1000003, 0x2000001, 0x2000002, 0x2000003,
		0x2000006, 0x3000001, 0xfffffff, 0x7fffff8000000000ull,
		0x7fffff8000000001ull, 0x7fffffbfffffffffull,
		0x7fffffc000000000ull, 0x7fffffffffffffffull,
		0x8000000000000000ull, 0x8000000000000001ull,
		0xffffff8000000000ull, 0xffffff7fffffffffull,
		0xffffff8000000001ull, 0xffffffbfffffffffull,
		0xffffffc000000000ull, 0xfffffffffffffffeull,
		0xffffffffffffffffull,
	};
	uint64_t s = 0xbe5466cf34e90c6cull, v, m;
	uint32_t f;
	int i, e, k;

	/* to_s64 and to_u64 */
	for (i = 0; i < N_SPECIALS; i++)
		check_to_int(special(i));
	for (e = 0; e < 256; e++) {
		for (i = 0; i < 2000; i++) {
			f = (uint32_t)e << 23 | (i & 1 ? SIGN : 0);
			switch (i >> 1) {
			case 0:
				break;
			case 1:
				f |= 1;
				break;
			case 2:
				f |= 0x7fffff;
				break;
			case 3:
				f |= 0x400000;
				break;
			default:
				f |= (uint32_t)rnd(&s) & 0x7fffff;
			}
			check_to_int(f);
		}
	}
	for (i = 0; i < N_RANDOM; i++)
		check_to_int((uint32_t)rnd(&s));

	/* from_s64 and from_u64 */
	for (i = 0; i < (int)(sizeof(ints) / sizeof(ints[0])); i++) {
		check_from_int(ints[i]);
		check_from_int(-ints[i]);
	}
	for (i = 0; i < N_RANDOM; i++)
		check_from_int(rnd(&s) >> rnd_range(&s, 0, 63));
	/* Exact ties, and just off them, at every position. */
	for (k = 0; k <= 39; k++) {
		for (i = 0; i < 20000; i++) {
			m = (rnd(&s) & 0xffffff) | 0x1000000;
			v = (m << 1 | 1) << k;
			v += rnd_range(&s, -1, 1);
			check_from_int(v);
			check_from_int(-v);
			check_from_int(v >> 1);
		}
	}
}

int igt_main()
{
	igt_fixture()
		require_ieee_host();

	igt_describe("add and sub match the host FPU, signed zeros and "
		     "subnormals included; NaN results are canonical.");
	igt_subtest("add-sub")
		test_add_sub();

	igt_describe("mul matches the host FPU, across underflow and overflow.");
	igt_subtest("mul")
		test_mul();

	igt_describe("fma matches the host's fmaf: one rounding of the exact "
		     "a * b + c.");
	igt_subtest("fma")
		test_fma();

	igt_describe("min and max are IEEE minNum/maxNum, -0 < +0.");
	igt_subtest("min-max")
		test_min_max();

	igt_describe("eq, lt and le match the host's ==, < and <=.");
	igt_subtest("compare")
		test_compare();

	igt_describe("Conversions to and from 64-bit integers match the "
		     "host's, saturating float to integer conversions.");
	igt_subtest("convert")
		test_convert();
}
