// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * The integer, control-flow and memory instructions as the GPU executes
 * them (Documentation/gpu/neuf/isa.rst; neuf_fpu does the float ones). Each
 * subtest runs shaders on the device over special and random operands and
 * checks every invocation's result against the ISA's definition written
 * out in C here: that the engine decodes and executes each opcode as the
 * ISA says, whatever the lanes of a wave do, together or apart (lanes
 * that branch apart, halt at different times, or fault on different pages
 * and replay at different times).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "igt.h"
#include "igt_sizes.h"
#include "libneuf.h"
#include "neuf_igt.h"

#define PTR(p) ((uint64_t)(uintptr_t)(p))
#define PAGE 4096u

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	igt_assert_f(p, "allocating %zu bytes\n", n * size);
	return p;
}

static uint64_t rnd(uint64_t *s)
{
	/* xorshift64*: reproducible operands, no hidden state. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* Reports the first few of the results that differ, and counts them all. */
struct mismatches {
	const char *what;
	unsigned int n;
};

static void mismatch(struct mismatches *m, uint32_t inv, const char *name,
		     uint64_t got, uint64_t want)
{
	if (m->n++ < 16)
		igt_info("%s: invocation %u: %s: got %#" PRIx64
			 ", expected %#" PRIx64 "\n", m->what, inv, name,
			 got, want);
}

static void check(struct mismatches *m, uint32_t inv, const char *name,
		  uint64_t got, uint64_t want)
{
	if (got != want)
		mismatch(m, inv, name, got, want);
}

static void mismatches_assert(const struct mismatches *m, uint64_t total)
{
	igt_assert_f(m->n == 0, "%s: %u of %" PRIu64 " results differ from "
		     "the ISA's definition\n", m->what, m->n, total);
}

/*
 * integer-opcodes: invocation i reads a = arg0[i], b = arg1[i] and writes
 * its results to the 32 u64 slots at arg2 + i * 256, in this order.
 */
enum int_slot {
	I_ADD, I_SUB, I_MUL, I_AND, I_OR, I_XOR, I_SHL, I_SHR, I_SAR,
	I_SET_EQ, I_SET_NE, I_SET_LT, I_SET_GE, I_SET_LTU, I_SET_GEU,
	I_ADDI, I_MULI, I_ANDI, I_ORI, I_XORI, I_SHLI, I_SHRI, I_SARI,
	I_LI, I_LIH, I_R0_WRITE, I_R0_READ, I_SET_GT, I_SET_LEU,
	NUM_INT_SLOTS, INT_SLOT_SHIFT = 8,	/* 32 slots of 8 bytes */
};

static const char *const int_slot_name[NUM_INT_SLOTS] = {
	"add", "sub", "mul", "and", "or", "xor", "shl", "shr", "sar",
	"set.eq", "set.ne", "set.lt", "set.ge", "set.ltu", "set.geu",
	"addi -5", "muli -3", "andi -256", "ori 0x12345", "xori 0x5a5a5a5a",
	"shli 13", "shri 17", "sari 33", "li -123456", "lih 0x89abcdef",
	"add r0 (dropped)", "addi from r0", "set.gt", "set.leu",
};

static const char int_ops_src[] =
	"sreg r1, global_id\n"
	"shli r3, r1, 3\n"
	"sreg r2, arg0\n"
	"add r2, r2, r3\n"
	"ld64 r4, [r2]        # a\n"
	"sreg r2, arg1\n"
	"add r2, r2, r3\n"
	"ld64 r5, [r2]        # b\n"
	"shli r3, r1, 8\n"
	"sreg r2, arg2\n"
	"add r2, r2, r3       # this invocation's slots\n"
	"add r6, r4, r5\n"
	"st64 [r2], r6\n"
	"sub r6, r4, r5\n"
	"st64 [r2 + 8], r6\n"
	"mul r6, r4, r5\n"
	"st64 [r2 + 16], r6\n"
	"and r6, r4, r5\n"
	"st64 [r2 + 24], r6\n"
	"or r6, r4, r5\n"
	"st64 [r2 + 32], r6\n"
	"xor r6, r4, r5\n"
	"st64 [r2 + 40], r6\n"
	"shl r6, r4, r5\n"
	"st64 [r2 + 48], r6\n"
	"shr r6, r4, r5\n"
	"st64 [r2 + 56], r6\n"
	"sar r6, r4, r5\n"
	"st64 [r2 + 64], r6\n"
	"set.eq r6, r4, r5\n"
	"st64 [r2 + 72], r6\n"
	"set.ne r6, r4, r5\n"
	"st64 [r2 + 80], r6\n"
	"set.lt r6, r4, r5\n"
	"st64 [r2 + 88], r6\n"
	"set.ge r6, r4, r5\n"
	"st64 [r2 + 96], r6\n"
	"set.ltu r6, r4, r5\n"
	"st64 [r2 + 104], r6\n"
	"set.geu r6, r4, r5\n"
	"st64 [r2 + 112], r6\n"
	"addi r6, r4, -5\n"
	"st64 [r2 + 120], r6\n"
	"muli r6, r4, -3\n"
	"st64 [r2 + 128], r6\n"
	"andi r6, r4, -256\n"
	"st64 [r2 + 136], r6\n"
	"ori r6, r4, 0x12345\n"
	"st64 [r2 + 144], r6\n"
	"xori r6, r4, 0x5a5a5a5a\n"
	"st64 [r2 + 152], r6\n"
	"shli r6, r4, 13\n"
	"st64 [r2 + 160], r6\n"
	"shri r6, r4, 17\n"
	"st64 [r2 + 168], r6\n"
	"sari r6, r4, 33\n"
	"st64 [r2 + 176], r6\n"
	"li r6, -123456\n"
	"st64 [r2 + 184], r6\n"
	"mov r6, r4\n"
	"lih r6, 0x89abcdef\n"
	"st64 [r2 + 192], r6\n"
	"add r0, r4, r5\n"
	"st64 [r2 + 200], r0\n"
	"addi r6, r0, 7\n"
	"st64 [r2 + 208], r6\n"
	"set.gt r6, r4, r5\n"
	"st64 [r2 + 216], r6\n"
	"set.leu r6, r4, r5\n"
	"st64 [r2 + 224], r6\n"
	"halt\n";

static uint64_t int_want(enum int_slot s, uint64_t a, uint64_t b)
{
	switch (s) {
	case I_ADD: return a + b;
	case I_SUB: return a - b;
	case I_MUL: return a * b;
	case I_AND: return a & b;
	case I_OR: return a | b;
	case I_XOR: return a ^ b;
	case I_SHL: return a << (b & 63);
	case I_SHR: return a >> (b & 63);
	case I_SAR: return (uint64_t)((int64_t)a >> (b & 63));
	case I_SET_EQ: return a == b;
	case I_SET_NE: return a != b;
	case I_SET_LT: return (int64_t)a < (int64_t)b;
	case I_SET_GE: return (int64_t)a >= (int64_t)b;
	case I_SET_LTU: return a < b;
	case I_SET_GEU: return a >= b;
	case I_ADDI: return a - 5;
	case I_MULI: return a * (uint64_t)-3ll;
	case I_ANDI: return a & ~0xffull;
	case I_ORI: return a | 0x12345;
	case I_XORI: return a ^ 0x5a5a5a5a;
	case I_SHLI: return a << 13;
	case I_SHRI: return a >> 17;
	case I_SARI: return (uint64_t)((int64_t)a >> 33);
	case I_LI: return (uint64_t)-123456ll;
	case I_LIH: return (a & 0xffffffffull) | 0x89abcdef00000000ull;
	case I_R0_WRITE: return 0;
	case I_R0_READ: return 7;
	case I_SET_GT: return (int64_t)a > (int64_t)b;
	case I_SET_LEU: return a <= b;
	default: return 0;
	}
}

static const uint64_t special_ints[] = {
	0, 1, 2, 63, 64, 65, 0x7fffffffffffffffull, 0x8000000000000000ull,
	0xffffffffffffffffull, 0xfffffffffffffffeull, 0x00000000ffffffffull,
	0xffffffff00000000ull, 0x0000000080000000ull, 0xffffffff80000000ull,
	0x123456789abcdef0ull,
};

#define N_SPECIAL_INTS (sizeof(special_ints) / sizeof(special_ints[0]))
#define INT_INVOCATIONS 2048u

static void test_integer_opcodes(struct neuf_device *dev, uint32_t vm)
{
	uint64_t *code = neuf_igt_assemble(int_ops_src);
	uint64_t *a = xcalloc(INT_INVOCATIONS, 8), *b = xcalloc(INT_INVOCATIONS, 8);
	uint64_t *out = xcalloc((size_t)INT_INVOCATIONS << INT_SLOT_SHIFT, 1);
	struct neuf_dispatch d = {
		.code = PTR(code),
		.grid_size = INT_INVOCATIONS,
		.group_size = 64,
		.args = { PTR(a), PTR(b), PTR(out) },
	};
	struct mismatches m = { .what = "integer-opcodes" };
	uint64_t seed = 0x69736121u;

	igt_assert(N_SPECIAL_INTS * N_SPECIAL_INTS <= INT_INVOCATIONS);
	for (uint32_t i = 0; i < INT_INVOCATIONS; i++) {
		if (i < N_SPECIAL_INTS * N_SPECIAL_INTS) {
			a[i] = special_ints[i / N_SPECIAL_INTS];
			b[i] = special_ints[i % N_SPECIAL_INTS];
		} else {
			/* Small values too, so that comparisons tie. */
			a[i] = rnd(&seed) >> (rnd(&seed) % 64);
			b[i] = i % 5 ? rnd(&seed) >> (rnd(&seed) % 64) : a[i];
		}
	}
	memset(out, 0xa5, (size_t)INT_INVOCATIONS << INT_SLOT_SHIFT);

	neuf_igt_run_ok(dev, vm, &d);

	for (uint32_t i = 0; i < INT_INVOCATIONS; i++) {
		const uint64_t *slot = out + ((size_t)i << (INT_SLOT_SHIFT - 3));

		for (int s = 0; s < NUM_INT_SLOTS; s++) {
			if (slot[s] == int_want(s, a[i], b[i]))
				continue;
			if (m.n < 16)
				igt_info("a=%#" PRIx64 " b=%#" PRIx64 "\n",
					 a[i], b[i]);
			mismatch(&m, i, int_slot_name[s], slot[s],
				 int_want(s, a[i], b[i]));
		}
	}
	mismatches_assert(&m, (uint64_t)INT_INVOCATIONS * NUM_INT_SLOTS);
	free(a);
	free(b);
	free(out);
	free(code);
}

/*
 * special-registers: every invocation writes its special registers to the
 * 16 slots at arg0 + global_id * 128 and counts its runs at arg1 (a u32 per
 * invocation), so that one that ran twice, or never, is seen.
 */
enum sreg_slot {
	R_GLOBAL_ID, R_LOCAL_ID, R_GROUP_ID, R_GROUP_SIZE, R_GRID_SIZE,
	R_ARG0, NUM_SREG_SLOTS = R_ARG0 + 8,
};

static const char sreg_src[] =
	"sreg r1, global_id\n"
	"shli r3, r1, 2\n"
	"sreg r2, arg1\n"
	"add r2, r2, r3\n"
	"li r4, 1\n"
	"atom.add32 r0, [r2], r4\n"
	"shli r3, r1, 7\n"
	"sreg r2, arg0\n"
	"add r2, r2, r3\n"
	"sreg r4, global_id\n"
	"st64 [r2], r4\n"
	"sreg r4, local_id\n"
	"st64 [r2 + 8], r4\n"
	"sreg r4, group_id\n"
	"st64 [r2 + 16], r4\n"
	"sreg r4, group_size\n"
	"st64 [r2 + 24], r4\n"
	"sreg r4, grid_size\n"
	"st64 [r2 + 32], r4\n"
	"sreg r4, arg0\n"
	"st64 [r2 + 40], r4\n"
	"sreg r4, arg1\n"
	"st64 [r2 + 48], r4\n"
	"sreg r4, arg2\n"
	"st64 [r2 + 56], r4\n"
	"sreg r4, arg3\n"
	"st64 [r2 + 64], r4\n"
	"sreg r4, arg4\n"
	"st64 [r2 + 72], r4\n"
	"sreg r4, arg5\n"
	"st64 [r2 + 80], r4\n"
	"sreg r4, arg6\n"
	"st64 [r2 + 88], r4\n"
	"sreg r4, arg7\n"
	"st64 [r2 + 96], r4\n"
	"halt\n";

static void test_special_registers(struct neuf_device *dev, uint32_t vm)
{
	/* Groups that fill a wave, straddle waves, or are one invocation. */
	static const struct { uint32_t grid, group; } shapes[] = {
		{ 1, 1 }, { 31, 7 }, { 100, 32 }, { 1000, 96 }, { 2049, 1024 },
		{ 333, 1 },
	};
	uint64_t *code = neuf_igt_assemble(sreg_src);
	struct mismatches m = { .what = "special-registers" };
	uint64_t total = 0;

	for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
		uint32_t grid = shapes[k].grid, group = shapes[k].group;
		uint64_t *out = xcalloc((size_t)grid * 16, 8);
		uint32_t *runs = xcalloc(grid, 4);
		struct neuf_dispatch d = {
			.code = PTR(code),
			.grid_size = grid,
			.group_size = group,
			.args = { PTR(out), PTR(runs), 0x0123456789abcdefull,
				  0, ~0ull, 0x8000000000000000ull, k, grid },
		};
		char name[48];

		neuf_igt_run_ok(dev, vm, &d);
		snprintf(name, sizeof(name), "grid %u group %u", grid, group);
		igt_debug("%s\n", name);
		for (uint32_t i = 0; i < grid; i++) {
			const uint64_t *slot = out + (size_t)i * 16;
			const uint64_t want[NUM_SREG_SLOTS] = {
				[R_GLOBAL_ID] = i,
				[R_LOCAL_ID] = i % group,
				[R_GROUP_ID] = i / group,
				[R_GROUP_SIZE] = group,
				[R_GRID_SIZE] = grid,
			};

			check(&m, i, "runs", runs[i], 1);
			for (int s = 0; s < NUM_SREG_SLOTS; s++) {
				uint64_t w = s < R_ARG0 ? want[s] :
					     d.args[s - R_ARG0];

				if (slot[s] != w) {
					igt_info("%s, slot %d:\n", name, s);
					mismatch(&m, i, "sreg", slot[s], w);
				}
			}
		}
		total += (uint64_t)grid * (NUM_SREG_SLOTS + 1);
		free(out);
		free(runs);
	}
	mismatches_assert(&m, total);
	free(code);
}

/*
 * divergent-control-flow: each invocation runs a loop whose trip count,
 * and the branch taken in each trip, depend on its id; lanes of a wave
 * leave the loop at different times, a quarter of them halt early through
 * a branch to their own halt, and the rest run an inner backward loop.
 * Invocation i writes its result to arg0[i].
 */
static const char branch_src[] =
	"sreg r1, global_id\n"
	"shri r3, r1, 5\n"
	"xor r3, r3, r1\n"
	"andi r3, r3, 15      # trips: 0..15, apart within a wave\n"
	"mov r2, r1           # acc\n"
	"loop:\n"
	"bz r3, done\n"
	"andi r4, r3, 1\n"
	"bz r4, even\n"
	"addi r2, r2, 3\n"
	"jmp next\n"
	"even:\n"
	"muli r2, r2, 5\n"
	"xori r2, r2, 0x1234\n"
	"next:\n"
	"addi r3, r3, -1\n"
	"jmp loop\n"
	"done:\n"
	"sreg r5, arg0\n"
	"shli r6, r1, 3\n"
	"add r5, r5, r6\n"
	"andi r4, r1, 3\n"
	"b.eq r4, r0, early\n"
	"li r7, 0             # inner: while (r7 < r4 * 3) acc += r7++\n"
	"muli r8, r4, 3\n"
	"inner:\n"
	"add r2, r2, r7\n"
	"addi r7, r7, 1\n"
	"b.lt r7, r8, inner\n"
	"st64 [r5], r2\n"
	"halt\n"
	"early:\n"
	"xori r2, r2, -1\n"
	"st64 [r5], r2\n"
	"halt\n";

static uint64_t branch_want(uint64_t i)
{
	uint64_t trips = ((i >> 5) ^ i) & 15, acc = i;

	for (; trips; trips--) {
		if (trips & 1)
			acc += 3;
		else
			acc = (acc * 5) ^ 0x1234;
	}
	if ((i & 3) == 0)
		return ~acc;
	for (uint64_t k = 0; k < (i & 3) * 3; k++)
		acc += k;
	return acc;
}

#define BRANCH_INVOCATIONS 4099u	/* the last wave partly filled */

static void test_divergent_control_flow(struct neuf_device *dev, uint32_t vm)
{
	uint64_t *code = neuf_igt_assemble(branch_src);
	uint64_t *out = xcalloc(BRANCH_INVOCATIONS, 8);
	struct neuf_dispatch d = {
		.code = PTR(code),
		.grid_size = BRANCH_INVOCATIONS,
		.group_size = 100,
		.args = { PTR(out) },
	};
	struct mismatches m = { .what = "divergent-control-flow" };

	memset(out, 0xa5, BRANCH_INVOCATIONS * 8);
	neuf_igt_run_ok(dev, vm, &d);
	for (uint32_t i = 0; i < BRANCH_INVOCATIONS; i++)
		check(&m, i, "result", out[i], branch_want(i));
	mismatches_assert(&m, BRANCH_INVOCATIONS);
	free(out);
	free(code);
}

/*
 * loads-stores-unaligned: invocation i loads 1, 4 and 8 bytes at
 * ldst_offset(i) of arg0: 32 lanes at 32 consecutive byte offsets that
 * end past a page boundary (the first or the second of arg0's three
 * pages), less 512 times (i / 64) mod 8, so that the loads take every
 * alignment and some cross a page. It writes them to its three slots at
 * arg1 + i * 24, and stores them again, 8 then 4 then 1 byte, at
 * arg2 + i * 13, where most stores are misaligned and some straddle pages.
 */
static uint64_t ldst_offset(uint64_t i)
{
	return 4080 + (i & 31) + (((i >> 5) & 1) << 12) - (((i >> 6) & 7) << 9);
}

static const char ldst_src[] =
	"sreg r1, global_id\n"
	"andi r3, r1, 31      # offset: see ldst_offset()\n"
	"addi r3, r3, 4080\n"
	"shri r4, r1, 5\n"
	"andi r4, r4, 1\n"
	"shli r4, r4, 12\n"
	"add r3, r3, r4\n"
	"shri r4, r1, 6\n"
	"andi r4, r4, 7\n"
	"shli r4, r4, 9\n"
	"sub r3, r3, r4\n"
	"sreg r2, arg0\n"
	"add r2, r2, r3\n"
	"ld8 r5, [r2]\n"
	"ld32 r6, [r2]\n"
	"ld64 r7, [r2]\n"
	"muli r3, r1, 24\n"
	"sreg r2, arg1\n"
	"add r2, r2, r3\n"
	"st64 [r2], r5\n"
	"st64 [r2 + 8], r6\n"
	"st64 [r2 + 16], r7\n"
	"muli r3, r1, 13\n"
	"sreg r2, arg2\n"
	"add r2, r2, r3\n"
	"st64 [r2], r7\n"
	"st32 [r2 + 8], r6\n"
	"st8 [r2 + 12], r5\n"
	"halt\n";

#define LDST_INVOCATIONS 2048u
#define LDST_SRC_BYTES (3 * PAGE)

static uint64_t le_bytes(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int k = 0; k < n; k++)
		v |= (uint64_t)p[k] << (8 * k);
	return v;
}

static void test_loads_stores_unaligned(struct neuf_device *dev, uint32_t vm)
{
	uint64_t *code = neuf_igt_assemble(ldst_src);
	uint8_t *src = aligned_alloc(PAGE, LDST_SRC_BYTES);
	uint64_t *out = xcalloc(LDST_INVOCATIONS * 3, 8);
	size_t dst_len = (size_t)LDST_INVOCATIONS * 13;
	uint8_t *dst = aligned_alloc(PAGE, (dst_len + PAGE - 1) / PAGE * PAGE);
	struct neuf_dispatch d = {
		.code = PTR(code),
		.grid_size = LDST_INVOCATIONS,
		.group_size = 64,
		.args = { PTR(src), PTR(out), PTR(dst) },
	};
	struct mismatches m = { .what = "loads-stores-unaligned" };
	uint64_t seed = 0x6c647374u;

	igt_assert(src && dst);
	for (size_t k = 0; k < LDST_SRC_BYTES; k++)
		src[k] = (uint8_t)rnd(&seed);
	memset(out, 0xa5, LDST_INVOCATIONS * 24);
	memset(dst, 0xa5, dst_len);

	neuf_igt_run_ok(dev, vm, &d);

	for (uint32_t i = 0; i < LDST_INVOCATIONS; i++) {
		const uint8_t *p = src + ldst_offset(i);
		const uint8_t *q = dst + (size_t)i * 13;

		check(&m, i, "ld8", out[i * 3], p[0]);
		check(&m, i, "ld32", out[i * 3 + 1], le_bytes(p, 4));
		check(&m, i, "ld64", out[i * 3 + 2], le_bytes(p, 8));
		check(&m, i, "st64", le_bytes(q, 8), le_bytes(p, 8));
		check(&m, i, "st32", le_bytes(q + 8, 4), le_bytes(p, 4));
		check(&m, i, "st8", q[12], p[0]);
	}
	mismatches_assert(&m, LDST_INVOCATIONS * 6);
	free(src);
	free(out);
	free(dst);
	free(code);
}

/*
 * atomics-return-old: every invocation adds i + 1 to one shared u64 at
 * arg0 and keeps the old value it got; exchanges its own u64 at arg1 + i*8
 * for ~i; and compare-and-swaps its own u32 at arg2 + i*4, expecting i,
 * which the host wrote there for even i only. The old values it got go to
 * arg3 + i * 24.
 */
static const char atom_src[] =
	"sreg r1, global_id\n"
	"addi r4, r1, 1\n"
	"sreg r2, arg0\n"
	"atom.add64 r5, [r2], r4\n"
	"shli r3, r1, 3\n"
	"sreg r2, arg1\n"
	"add r2, r2, r3\n"
	"xori r4, r1, -1\n"
	"atom.xchg64 r6, [r2], r4\n"
	"shli r3, r1, 2\n"
	"sreg r2, arg2\n"
	"add r2, r2, r3\n"
	"li r4, 0x5eed\n"
	"atom.cas32 r7, [r2], r1, r4\n"
	"muli r3, r1, 24\n"
	"sreg r2, arg3\n"
	"add r2, r2, r3\n"
	"st64 [r2], r5\n"
	"st64 [r2 + 8], r6\n"
	"st64 [r2 + 16], r7\n"
	"halt\n";

#define ATOM_INVOCATIONS 1500u

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

static void test_atomics_return_old(struct neuf_device *dev, uint32_t vm)
{
	const uint64_t n = ATOM_INVOCATIONS;
	uint64_t *code = neuf_igt_assemble(atom_src);
	uint64_t *sum = xcalloc(1, 8), *mine = xcalloc(n, 8);
	uint32_t *cas = xcalloc(n, 4);
	uint64_t *old = xcalloc(n * 3, 8), *adds = xcalloc(n, 8);
	struct neuf_dispatch d = {
		.code = PTR(code),
		.grid_size = ATOM_INVOCATIONS,
		.group_size = 50,
		.args = { PTR(sum), PTR(mine), PTR(cas), PTR(old) },
	};
	struct mismatches m = { .what = "atomics-return-old" };

	for (uint32_t i = 0; i < n; i++) {
		mine[i] = 0x1000000000ull + i;
		cas[i] = i % 2 ? i + 1 : i;
	}
	neuf_igt_run_ok(dev, vm, &d);

	check(&m, 0, "sum", *sum, n * (n + 1) / 2);
	for (uint32_t i = 0; i < n; i++) {
		check(&m, i, "xchg64 old", old[i * 3 + 1], 0x1000000000ull + i);
		check(&m, i, "xchg64 new", mine[i], ~(uint64_t)i);
		check(&m, i, "cas32 old", old[i * 3 + 2], i % 2 ? i + 1 : i);
		check(&m, i, "cas32 new", cas[i], i % 2 ? i + 1 : 0x5eed);
		/* The adds in some order: old + addend chains up to the sum. */
		adds[i] = old[i * 3] << 16 | i;
	}
	igt_assert(n < 1u << 16 && n * (n + 1) / 2 < 1ull << 47);
	qsort(adds, n, 8, cmp_u64);
	for (uint32_t k = 0, expect = 0; k < n; k++) {
		uint32_t i = adds[k] & 0xffff;

		check(&m, i, "atom.add64 old", adds[k] >> 16, expect);
		expect += i + 1;
	}
	mismatches_assert(&m, n * 5 + 1);
	free(sum);
	free(mine);
	free(cas);
	free(old);
	free(adds);
	free(code);
}

/*
 * lanes-fault-apart: fresh memory the GPU has never mapped, 16 blocks of
 * 2 MiB, each faulted in by its own window. Lane l of a wave reads block
 * (l + trip) mod 16 in each of its trips, after a lane-dependent number of
 * extra instructions, so that the lanes of one wave fault on different
 * pages at different steps and replay apart; each folds what it read into
 * a hash written to arg1[i].
 */
static const char fault_src[] =
	"sreg r1, global_id\n"
	"sreg r9, arg0\n"
	"li r2, 0             # hash\n"
	"li r3, 0             # trip\n"
	"andi r10, r1, 7      # extra work before each load\n"
	"trip:\n"
	"mov r11, r10\n"
	"spin:\n"
	"bz r11, spun\n"
	"addi r11, r11, -1\n"
	"jmp spin\n"
	"spun:\n"
	"add r4, r1, r3\n"
	"andi r4, r4, 15\n"
	"shli r4, r4, 21      # the block\n"
	"shli r5, r1, 12      # its own page of the block\n"
	"add r4, r4, r5\n"
	"add r4, r4, r9\n"
	"ld64 r6, [r4]\n"
	"muli r2, r2, 31\n"
	"add r2, r2, r6\n"
	"addi r3, r3, 1\n"
	"li r7, 6\n"
	"b.ltu r3, r7, trip\n"
	"sreg r5, arg1\n"
	"shli r6, r1, 3\n"
	"add r5, r5, r6\n"
	"st64 [r5], r2\n"
	"halt\n";

#define FAULT_BLOCKS 16u
#define FAULT_INVOCATIONS 256u	/* a page each in 1 MiB of a block */

static uint64_t fault_word(uint64_t block, uint64_t i)
{
	return block << 40 | i << 8 | 0x5a;
}

static void test_lanes_fault_apart(struct neuf_device *dev, uint32_t vm)
{
	size_t len = (size_t)FAULT_BLOCKS * SZ_2M;
	uint64_t *code = neuf_igt_assemble(fault_src);
	uint8_t *map = mmap(NULL, len + SZ_2M, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t *out = xcalloc(FAULT_INVOCATIONS, 8);
	struct mismatches m = { .what = "lanes-fault-apart" };
	struct neuf_dispatch d = {
		.grid_size = FAULT_INVOCATIONS,
		.group_size = 32,
	};
	struct drm_neuf_vm_stats s0, s1;
	uint8_t *buf;
	int ret;

	igt_assert(map != MAP_FAILED);
	buf = (uint8_t *)(((uintptr_t)map + SZ_2M - 1) & ~(uintptr_t)(SZ_2M - 1));
	/* Base pages: each lane's words sit on pages of their own. */
	igt_assert(madvise(buf, len, MADV_NOHUGEPAGE) == 0);
	for (uint64_t blk = 0; blk < FAULT_BLOCKS; blk++)
		for (uint64_t i = 0; i < FAULT_INVOCATIONS; i++)
			*(uint64_t *)(buf + blk * SZ_2M + i * PAGE) =
				fault_word(blk, i);
	d.code = PTR(code);
	d.args[0] = PTR(buf);
	d.args[1] = PTR(out);

	ret = neuf_vm_stats(dev, vm, &s0);
	igt_assert_f(ret == 0, "VM_STATS: %s\n", neuf_igt_errno_name(ret));
	neuf_igt_run_ok(dev, vm, &d);
	ret = neuf_vm_stats(dev, vm, &s1);
	igt_assert_f(ret == 0, "VM_STATS: %s\n", neuf_igt_errno_name(ret));
	/* The lanes did fault: the memory was never mapped on the GPU. */
	igt_assert_f(s1.faults > s0.faults, "no fault taken (%" PRIu64
		     " before, %" PRIu64 " after)\n", (uint64_t)s0.faults,
		     (uint64_t)s1.faults);

	for (uint64_t i = 0; i < FAULT_INVOCATIONS; i++) {
		uint64_t h = 0;

		for (uint64_t t = 0; t < 6; t++)
			h = h * 31 + fault_word((i + t) & 15, i);
		check(&m, (uint32_t)i, "hash", out[i], h);
	}
	mismatches_assert(&m, FAULT_INVOCATIONS);
	munmap(map, len + SZ_2M);
	free(out);
	free(code);
}

/* Static: subtests are left through siglongjmp. */
static struct neuf_device *dev;
static uint32_t vm;

int igt_main()
{
	igt_fixture() {
		neuf_igt_open_svm_vm(&dev, &vm);
	}

	igt_describe("Every integer opcode (add, sub, mul, and, or, xor, shl, "
		     "shr, sar, set.COND, the immediate forms, li, lih) and r0 "
		     "as source and destination, over every pair of special "
		     "operands and random ones, gives what the ISA defines.");
	igt_subtest("integer-opcodes")
		test_integer_opcodes(dev, vm);

	igt_describe("global_id, local_id, group_id, group_size, grid_size "
		     "and arg0-arg7 for groups that fill a wave, straddle "
		     "waves, or hold one invocation; every invocation runs "
		     "exactly once.");
	igt_subtest("special-registers")
		test_special_registers(dev, vm);

	igt_describe("Loops whose trip counts and branches differ between "
		     "the lanes of a wave, lanes halting at different points, "
		     "and backward conditional branches: each invocation "
		     "computes what it would alone.");
	igt_subtest("divergent-control-flow")
		test_divergent_control_flow(dev, vm);

	igt_describe("ld8, ld32 and ld64 at every alignment, some across a "
		     "page boundary, and misaligned st64, st32 and st8, some "
		     "straddling pages, move the little-endian bytes the ISA "
		     "says.");
	igt_subtest("loads-stores-unaligned")
		test_loads_stores_unaligned(dev, vm);

	igt_describe("atom.add64 on one word from every invocation returns "
		     "old values that chain to the sum; atom.xchg64 and "
		     "atom.cas32 return the old value, and cas32 stores only "
		     "where it matched.");
	igt_subtest("atomics-return-old")
		test_atomics_return_old(dev, vm);

	igt_describe("Lanes of one wave that fault on different pages at "
		     "different steps, and replay apart, each compute what "
		     "they would alone.");
	igt_subtest("lanes-fault-apart")
		test_lanes_fault_apart(dev, vm);

	igt_fixture() {
		if (vm)
			neuf_vm_destroy(dev, vm);
		neuf_device_close(dev);
	}
}
