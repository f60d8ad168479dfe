// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * The float instructions as the GPU executes them. neuf_float checks the
 * model's binary32 arithmetic against the host's FPU, on the host; this
 * runs every float opcode on the device (neuf.ko's engine) over special
 * and random operands and checks each result bit for bit against the same
 * arithmetic built for the host: that the engine decodes each opcode,
 * operand and condition as the ISA says, and that 64-bit integers reach
 * the conversions whole.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igt.h"
#include "libneuf.h"
#include "neuf_igt.h"
#include "neuf_model_float.h"

#define PTR(p) ((uint64_t)(uintptr_t)(p))

/* The u64 result slots of one invocation, in the shader's order. */
enum slot {
	S_FADD, S_FSUB, S_FMUL, S_FFMA, S_FMIN, S_FMAX,
	S_FSET_EQ, S_FSET_LT, S_FSET_LE,
	S_CVTSF, S_CVTUF, S_CVTFS, S_CVTFU,
	NUM_SLOTS = 16,	/* a power of two: the shader shifts by it */
};

static const char *const slot_name[] = {
	[S_FADD] = "fadd", [S_FSUB] = "fsub", [S_FMUL] = "fmul",
	[S_FFMA] = "ffma", [S_FMIN] = "fmin", [S_FMAX] = "fmax",
	[S_FSET_EQ] = "fset.eq", [S_FSET_LT] = "fset.lt",
	[S_FSET_LE] = "fset.le", [S_CVTSF] = "cvtsf", [S_CVTUF] = "cvtuf",
	[S_CVTFS] = "cvtfs", [S_CVTFU] = "cvtfu",
};

/*
 * Invocation i reads a = arg0[i], b = arg1[i], c = arg2[i] (u32) and
 * v = arg3[i] (u64), and writes the results to arg4[i * 16 + slot] (u64).
 */
static const char float_ops_src[] =
	"sreg r1, global_id\n"
	"shli r3, r1, 2\n"
	"sreg r2, arg0\n"
	"add r2, r2, r3\n"
	"ld32 r4, [r2]        # a\n"
	"sreg r2, arg1\n"
	"add r2, r2, r3\n"
	"ld32 r5, [r2]        # b\n"
	"sreg r2, arg2\n"
	"add r2, r2, r3\n"
	"ld32 r6, [r2]        # c\n"
	"shli r3, r1, 3\n"
	"sreg r2, arg3\n"
	"add r2, r2, r3\n"
	"ld64 r7, [r2]        # v\n"
	"shli r3, r1, 7\n"
	"sreg r2, arg4\n"
	"add r2, r2, r3       # this invocation's 16 slots\n"
	"fadd r8, r4, r5\n"
	"st64 [r2], r8\n"
	"fsub r8, r4, r5\n"
	"st64 [r2 + 8], r8\n"
	"fmul r8, r4, r5\n"
	"st64 [r2 + 16], r8\n"
	"ffma r8, r4, r5, r6\n"
	"st64 [r2 + 24], r8\n"
	"fmin r8, r4, r5\n"
	"st64 [r2 + 32], r8\n"
	"fmax r8, r4, r5\n"
	"st64 [r2 + 40], r8\n"
	"fset.eq r8, r4, r5\n"
	"st64 [r2 + 48], r8\n"
	"fset.lt r8, r4, r5\n"
	"st64 [r2 + 56], r8\n"
	"fset.le r8, r4, r5\n"
	"st64 [r2 + 64], r8\n"
	"cvtsf r8, r7\n"
	"st64 [r2 + 72], r8\n"
	"cvtuf r8, r7\n"
	"st64 [r2 + 80], r8\n"
	"cvtfs r8, r4\n"
	"st64 [r2 + 88], r8\n"
	"cvtfu r8, r4\n"
	"st64 [r2 + 96], r8\n"
	"halt\n";

/* Each with both signs: zeros, subnormals, rounding edges, huge, inf, NaN. */
static const uint32_t special_magnitudes[] = {
	0x00000000, 0x00000001, 0x007fffff, 0x00800000, 0x33800000,
	0x34000000, 0x3f000000, 0x3f7fffff, 0x3f800000, 0x3f800001,
	0x3fc00000, 0x40400000, 0x4b000001, 0x4b800001, 0x5effffff,
	0x5f000000, 0x5f800000, 0x7f7fffff, 0x7f800000, 0x7f800001,
	0x7fc00000, 0x7fffffff,
};

#define N_SPECIALS (2 * ARRAY_SIZE(special_magnitudes))
/* Every pair of specials, then random operands. */
#define N_INVOCATIONS 4096u

static const uint64_t special_ints[] = {
	0, 1, 2, 3, 0x7fffffffffffffffull, 0x8000000000000000ull,
	0xffffffffffffffffull, 0xfffffffffffffffeull, 1ull << 24, (1ull << 24) + 1,
	(1ull << 53) + 1, 0x00000000ffffffffull, 0xffffffff00000000ull,
	0x8000008000000000ull, 0x0000010000000001ull,
};

static uint32_t special(size_t i)
{
	return special_magnitudes[i / 2] | (i & 1 ? 0x80000000u : 0);
}

static uint64_t rnd(uint64_t *s)
{
	/* xorshift64*: reproducible operands, no hidden state. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* A random binary32 with an exponent near the middle more often than not. */
static uint32_t rnd_f32(uint64_t *s)
{
	uint64_t r = rnd(s);
	uint32_t f = (uint32_t)r;

	if (r >> 62)
		f = (f & 0x807fffffu) | ((uint32_t)(100 + (r >> 32) % 56) << 23);
	return f;
}

static uint64_t want(enum slot s, uint32_t a, uint32_t b, uint32_t c,
		     uint64_t v)
{
	switch (s) {
	case S_FADD: return neuf_f32_add(a, b);
	case S_FSUB: return neuf_f32_sub(a, b);
	case S_FMUL: return neuf_f32_mul(a, b);
	case S_FFMA: return neuf_f32_fma(a, b, c);
	case S_FMIN: return neuf_f32_min(a, b);
	case S_FMAX: return neuf_f32_max(a, b);
	case S_FSET_EQ: return neuf_f32_eq(a, b);
	case S_FSET_LT: return neuf_f32_lt(a, b);
	case S_FSET_LE: return neuf_f32_le(a, b);
	case S_CVTSF: return neuf_f32_from_s64((int64_t)v);
	case S_CVTUF: return neuf_f32_from_u64(v);
	case S_CVTFS: return (uint64_t)neuf_f32_to_s64(a);
	case S_CVTFU: return neuf_f32_to_u64(a);
	default: return 0;
	}
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	igt_assert_f(p, "allocating %zu bytes\n", n * size);
	return p;
}

/* Static: subtests are left through siglongjmp. */
static struct neuf_device *dev;
static uint64_t *code;
static uint32_t vm;

int igt_main()
{
	igt_fixture() {
		neuf_igt_open_svm_vm(&dev, &vm);
		code = neuf_igt_assemble(float_ops_src);
	}

	igt_describe("Every float opcode (fadd, fsub, fmul, ffma, fmin, fmax, "
		     "fset.eq/lt/le, cvtsf, cvtuf, cvtfs, cvtfu), run by the "
		     "device over every pair of special operands and random "
		     "ones, gives bit for bit what the model's arithmetic "
		     "gives on the host.");
	igt_subtest("float-opcodes") {
		uint32_t *a = xcalloc(N_INVOCATIONS, 4), *b = xcalloc(N_INVOCATIONS, 4);
		uint32_t *c = xcalloc(N_INVOCATIONS, 4);
		uint64_t *v = xcalloc(N_INVOCATIONS, 8);
		uint64_t *out = xcalloc(N_INVOCATIONS * NUM_SLOTS, 8);
		struct neuf_dispatch d = {
			.code = PTR(code),
			.grid_size = N_INVOCATIONS,
			.group_size = 64,
			.args = { PTR(a), PTR(b), PTR(c), PTR(v), PTR(out) },
		};
		unsigned int wrong = 0;
		uint64_t seed = 0x6e657566u;

		igt_assert(N_SPECIALS * N_SPECIALS <= N_INVOCATIONS);
		for (uint32_t i = 0; i < N_INVOCATIONS; i++) {
			if (i < N_SPECIALS * N_SPECIALS) {
				a[i] = special(i / N_SPECIALS);
				b[i] = special(i % N_SPECIALS);
				c[i] = special((i * 7) % N_SPECIALS);
			} else {
				a[i] = rnd_f32(&seed);
				b[i] = rnd_f32(&seed);
				c[i] = rnd_f32(&seed);
			}
			v[i] = i < ARRAY_SIZE(special_ints) ? special_ints[i] :
			       rnd(&seed) >> (rnd(&seed) % 64);
		}
		memset(out, 0xa5, N_INVOCATIONS * NUM_SLOTS * 8);

		neuf_igt_run_ok(dev, vm, &d);

		for (uint32_t i = 0; i < N_INVOCATIONS; i++) {
			for (int s = 0; s < S_CVTFU + 1; s++) {
				uint64_t got = out[i * NUM_SLOTS + s];
				uint64_t w = want(s, a[i], b[i], c[i], v[i]);

				if (got == w)
					continue;
				if (wrong++ < 20)
					igt_info("invocation %u: %s a=%#010x b=%#010x "
						 "c=%#010x v=%#018" PRIx64 ": got %#"
						 PRIx64 ", expected %#" PRIx64 "\n",
						 i, slot_name[s], a[i], b[i], c[i],
						 v[i], got, w);
			}
		}
		igt_assert_f(wrong == 0, "%u of %u results differ from the "
			     "model's arithmetic\n", wrong,
			     N_INVOCATIONS * (S_CVTFU + 1));
		free(a);
		free(b);
		free(c);
		free(v);
		free(out);
	}

	igt_fixture() {
		if (vm)
			neuf_vm_destroy(dev, vm);
		neuf_device_close(dev);
		free(code);
	}
}
