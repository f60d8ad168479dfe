// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright 2026 The neuf authors
 *
 * The neuf compute engines: one kthread per engine runs its dispatches as
 * waves of lanes and interprets the ISA (Documentation/gpu/neuf/isa.rst).
 */

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/kasan-checks.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait.h>

#include "neuf_model_float.h"
#include "neuf_model_internal.h"

/*
 * Unaligned little-endian accesses, through memcpy() as the kernel's own
 * helpers do (whose header moved between the kernels neuf supports).
 */
static u32 neuf_get_le32(const u8 *p)
{
	__le32 v;

	memcpy(&v, p, sizeof(v));
	return le32_to_cpu(v);
}

static u64 neuf_get_le64(const u8 *p)
{
	__le64 v;

	memcpy(&v, p, sizeof(v));
	return le64_to_cpu(v);
}

static void neuf_put_le32(u32 val, u8 *p)
{
	__le32 v = cpu_to_le32(val);

	memcpy(p, &v, sizeof(v));
}

static void neuf_put_le64(u64 val, u8 *p)
{
	__le64 v = cpu_to_le64(val);

	memcpy(p, &v, sizeof(v));
}

/* Instruction fields, for the table of the fields each opcode uses. */
#define NEUF_F_OP	GENMASK_ULL(7, 0)
#define NEUF_F_RD	GENMASK_ULL(13, 8)
#define NEUF_F_RA	GENMASK_ULL(19, 14)
#define NEUF_F_RB	GENMASK_ULL(25, 20)
#define NEUF_F_RC	GENMASK_ULL(31, 26)
#define NEUF_F_IMM	GENMASK_ULL(63, 32)

#define NEUF_F_RRR	(NEUF_F_OP | NEUF_F_RD | NEUF_F_RA | NEUF_F_RB)
#define NEUF_F_RRI	(NEUF_F_OP | NEUF_F_RD | NEUF_F_RA | NEUF_F_IMM)

/*
 * The bits each opcode may have set; zero for an unknown opcode, which
 * makes every instruction with it illegal (its opcode byte is not zero).
 */
static const u64 neuf_insn_fields[256] = {
	[NEUF_OP_HALT] = NEUF_F_OP,
	[NEUF_OP_NOP] = NEUF_F_OP,
	[NEUF_OP_JMP] = NEUF_F_OP | NEUF_F_IMM,
	[NEUF_OP_BR] = NEUF_F_OP | NEUF_F_RA | NEUF_F_RB | NEUF_F_RC | NEUF_F_IMM,
	[NEUF_OP_ADD ... NEUF_OP_SAR] = NEUF_F_RRR,
	[NEUF_OP_SET] = NEUF_F_RRR | NEUF_F_RC,
	[NEUF_OP_ADDI ... NEUF_OP_SARI] = NEUF_F_RRI,
	[NEUF_OP_LI ... NEUF_OP_SREG] = NEUF_F_OP | NEUF_F_RD | NEUF_F_IMM,
	[NEUF_OP_FADD ... NEUF_OP_FMUL] = NEUF_F_RRR,
	[NEUF_OP_FFMA] = NEUF_F_RRR | NEUF_F_RC,
	[NEUF_OP_FMIN ... NEUF_OP_FMAX] = NEUF_F_RRR,
	[NEUF_OP_FSET] = NEUF_F_RRR | NEUF_F_RC,
	[NEUF_OP_CVTSF ... NEUF_OP_CVTFU] = NEUF_F_OP | NEUF_F_RD | NEUF_F_RA,
	[NEUF_OP_LD8 ... NEUF_OP_LD64] = NEUF_F_RRI,
	[NEUF_OP_ST8 ... NEUF_OP_ST64] = NEUF_F_OP | NEUF_F_RA | NEUF_F_RB |
					 NEUF_F_IMM,
	[NEUF_OP_PREFETCH] = NEUF_F_OP | NEUF_F_RA | NEUF_F_IMM,
	[NEUF_OP_ATOM_ADD32 ... NEUF_OP_ATOM_XCHG64] = NEUF_F_RRR | NEUF_F_IMM,
	[NEUF_OP_ATOM_CAS32 ... NEUF_OP_ATOM_CAS64] = NEUF_F_RRR | NEUF_F_RC |
						      NEUF_F_IMM,
};

/* A decoded instruction. @wd is the register row written: rd, or a sink. */
struct neuf_insn {
	u8 op;
	u8 rd;
	u8 wd;
	u8 ra;
	u8 rb;
	u8 rc;
	s32 imm;
};

/*
 * Never the address of a page: the base of an empty &struct neuf_xlate,
 * which also has no permission, so that it matches no access (with no
 * mask, the base alone would match the address ~0).
 */
#define NEUF_NO_PAGE	(~0ULL)

/*
 * State of the turns of an engine in one hold of the engine's lock: the
 * translations cached while the lock is held, the faults posted by the
 * wave step in progress (to post each page and access kind once), whether
 * any was posted in this hold, and the reason of an illegal end.
 */
struct neuf_exec {
	struct neuf_model_engine *eng;
	struct neuf_wave *w;
	u32 instance;
	struct neuf_xlate code;
	struct neuf_xlate data;
	unsigned int nposted;
	struct {
		u64 page;
		u32 access;
	} posted[NEUF_MODEL_LANES];
	bool raised;
	u64 illegal_addr;
	u32 illegal_access;
};

/* Where the lanes of a step go, for neuf_wave_move(). */
struct neuf_lanes_go {
	unsigned long next;	/* to the following instruction */
	unsigned long jump;	/* by the instruction's immediate */
};

enum neuf_turn {
	NEUF_TURN_RAN,		/* some wave stepped */
	NEUF_TURN_STALLED,	/* every resident wave is stalled */
	NEUF_TURN_DONE,		/* every invocation halted */
	NEUF_TURN_ILLEGAL,	/* see &neuf_exec.illegal_addr */
};

static bool neuf_decode(u64 word, struct neuf_insn *in)
{
	unsigned int op = NEUF_ISA_OPCODE(word);

	if (word & ~neuf_insn_fields[op])
		return false;

	in->op = op;
	in->rd = NEUF_ISA_RD(word);
	in->wd = in->rd ? in->rd : NEUF_WAVE_DISCARD;
	in->ra = NEUF_ISA_RA(word);
	in->rb = NEUF_ISA_RB(word);
	in->rc = NEUF_ISA_RC(word);
	in->imm = NEUF_ISA_IMM(word);

	switch (op) {
	case NEUF_OP_BR:
	case NEUF_OP_SET:
		return in->rc <= NEUF_COND_GEU;
	case NEUF_OP_FSET:
		return in->rc <= NEUF_FCOND_LE;
	case NEUF_OP_SREG:
		return (in->imm >= NEUF_SREG_GLOBAL_ID &&
			in->imm <= NEUF_SREG_GRID_SIZE) ||
		       (in->imm >= NEUF_SREG_ARG0 && in->imm <= NEUF_SREG_ARG7);
	}
	return true;
}

static bool neuf_cond(unsigned int cond, u64 a, u64 b)
{
	switch (cond) {
	case NEUF_COND_EQ:
		return a == b;
	case NEUF_COND_NE:
		return a != b;
	case NEUF_COND_LT:
		return (s64)a < (s64)b;
	case NEUF_COND_GE:
		return (s64)a >= (s64)b;
	case NEUF_COND_LTU:
		return a < b;
	default:
		return a >= b;
	}
}

static bool neuf_fcond(unsigned int cond, u64 a, u64 b)
{
	switch (cond) {
	case NEUF_FCOND_EQ:
		return neuf_f32_eq(a, b);
	case NEUF_FCOND_LT:
		return neuf_f32_lt(a, b);
	default:
		return neuf_f32_le(a, b);
	}
}

static u64 neuf_sreg(struct neuf_model_engine *eng, int sreg, u64 gid)
{
	const struct neuf_dispatch *disp = &eng->disp;

	switch (sreg) {
	case NEUF_SREG_GLOBAL_ID:
		return gid;
	case NEUF_SREG_LOCAL_ID:
		return gid % disp->group_size;
	case NEUF_SREG_GROUP_ID:
		return gid / disp->group_size;
	case NEUF_SREG_GROUP_SIZE:
		return disp->group_size;
	case NEUF_SREG_GRID_SIZE:
		return disp->grid;
	default:
		return disp->args[sreg - NEUF_SREG_ARG0];
	}
}

/* Post a fault, unless the wave step posted one for the page already. */
static void neuf_exec_post(struct neuf_exec *x, u64 addr, u32 access)
{
	u64 page = addr & NEUF_PAGE_MASK;
	unsigned int i;

	for (i = 0; i < x->nposted; i++)
		if (x->posted[i].page == page && x->posted[i].access == access)
			return;
	if (x->nposted < ARRAY_SIZE(x->posted)) {
		x->posted[x->nposted].page = page;
		x->posted[x->nposted].access = access;
		x->nposted++;
	}
	neuf_model_post_fault(x->eng->model, addr, x->instance, x->eng->id,
			      access);
	x->raised = true;
}

/* Lane @l stalls on a fault: its instruction does not execute. */
static void neuf_lane_fault(struct neuf_exec *x, unsigned int l, u64 addr,
			    u32 access)
{
	struct neuf_wave *w = x->w;

	w->faulted |= BIT(l);
	w->fault_addr[l] = addr;
	w->fault_access[l] = access;
	neuf_exec_post(x, addr, access);
}

static void neuf_exec_illegal(struct neuf_exec *x, u64 addr, u32 access)
{
	x->illegal_addr = addr;
	x->illegal_access = access;
}

/*
 * The interpreter is not instrumented by KASAN (it would be far too slow
 * under emulation): check the byte accessed at the first access to each
 * 4 KiB page through a translation, so that a page reached through a stale
 * translation, freed behind the GPU's back, is still reported. KASAN
 * poisons a freed page whole, so one byte of it tells.
 */
static u8 *neuf_exec_check(u8 *p, u8 need)
{
	if (need & NEUF_PTE_WRITABLE)
		kasan_check_write(p, 1);
	else
		kasan_check_read(p, 1);
	return p;
}

/*
 * The kernel address of @va for an access needing @need, through the
 * translation cached in @c for the turn, or the TLB. NULL: no translation.
 * A 2 MiB page is one translation: 32 lanes walking it with a 4 KiB stride
 * take one TLB lookup, as on hardware.
 */
static u8 *neuf_exec_map(struct neuf_exec *x, struct neuf_xlate *c, u64 va,
			 u8 need)
{
	u8 *p;

	if (likely((va & ~c->mask) == c->base &&
		   (c->perm & need) == need)) {
		p = c->kaddr + (va & c->mask);
		if (likely((va & NEUF_PAGE_MASK) == c->page))
			return p;
		c->page = va & NEUF_PAGE_MASK;
		return neuf_exec_check(p, need);
	}
	if (!neuf_mmu_translate(x->eng, x->instance, va, need, c))
		return NULL;
	return neuf_exec_check(c->kaddr + (va & c->mask), need);
}

/*
 * Map the @size bytes at @addr; @q gets the second page when they cross a
 * page boundary. Both pages must translate before any byte is accessed.
 */
static bool neuf_exec_map2(struct neuf_exec *x, unsigned int l, u64 addr,
			   unsigned int size, u8 need, u32 access,
			   u8 **p, u8 **q)
{
	u64 next = (addr & NEUF_PAGE_MASK) + NEUF_PAGE_SIZE;

	*p = neuf_exec_map(x, &x->data, addr, need);
	if (!*p) {
		neuf_lane_fault(x, l, addr, access);
		return false;
	}
	*q = NULL;
	if (likely(addr + size <= next))
		return true;
	*q = neuf_exec_map(x, &x->data, next, need);
	if (!*q) {
		neuf_lane_fault(x, l, next, access);
		return false;
	}
	return true;
}

static bool neuf_load(struct neuf_exec *x, unsigned int l, u64 addr,
		      unsigned int size, u64 *val)
{
	unsigned int n;
	u8 *p, *q;
	u8 buf[8];

	if (!neuf_exec_map2(x, l, addr, size, NEUF_PTE_VALID,
			    NEUF_ACCESS_READ, &p, &q))
		return false;

	if (q) {
		n = NEUF_PAGE_SIZE - (addr & ~NEUF_PAGE_MASK);
		memcpy(buf, p, n);
		memcpy(buf + n, q, size - n);
		p = buf;
	}

	switch (size) {
	case 1:
		*val = READ_ONCE(*p);
		break;
	case 4:
		if (IS_ALIGNED(addr, 4))
			*val = le32_to_cpu(READ_ONCE(*(__le32 *)p));
		else
			*val = neuf_get_le32(p);
		break;
	default:
		if (IS_ALIGNED(addr, 8))
			*val = le64_to_cpu(READ_ONCE(*(__le64 *)p));
		else
			*val = neuf_get_le64(p);
		break;
	}
	return true;
}

static bool neuf_store(struct neuf_exec *x, unsigned int l, u64 addr,
		       unsigned int size, u64 val)
{
	unsigned int n;
	u8 *p, *q;
	u8 buf[8];

	if (!neuf_exec_map2(x, l, addr, size,
			    NEUF_PTE_VALID | NEUF_PTE_WRITABLE,
			    NEUF_ACCESS_WRITE, &p, &q))
		return false;

	if (q) {
		neuf_put_le64(val, buf);
		n = NEUF_PAGE_SIZE - (addr & ~NEUF_PAGE_MASK);
		memcpy(p, buf, n);
		memcpy(q, buf + n, size - n);
		return true;
	}

	switch (size) {
	case 1:
		WRITE_ONCE(*p, val);
		break;
	case 4:
		if (IS_ALIGNED(addr, 4))
			WRITE_ONCE(*(__le32 *)p, cpu_to_le32(val));
		else
			neuf_put_le32(val, p);
		break;
	default:
		if (IS_ALIGNED(addr, 8))
			WRITE_ONCE(*(__le64 *)p, cpu_to_le64(val));
		else
			neuf_put_le64(val, p);
		break;
	}
	return true;
}

/*
 * Memory is little-endian. The atomics work on native words holding its
 * bytes; these convert between such a raw word and its value.
 */
static u32 neuf_le32(u32 raw)
{
	return le32_to_cpu((__force __le32)raw);
}

static u32 neuf_raw32(u32 val)
{
	return (__force u32)cpu_to_le32(val);
}

static u64 neuf_le64(u64 raw)
{
	return le64_to_cpu((__force __le64)raw);
}

static u64 neuf_raw64(u64 val)
{
	return (__force u64)cpu_to_le64(val);
}

static u32 neuf_atomic_add32(u32 *p, u32 val)
{
	u32 raw;

	if (!IS_ENABLED(CONFIG_CPU_BIG_ENDIAN))
		return atomic_fetch_add(val, (atomic_t *)p);
	raw = READ_ONCE(*p);
	while (!try_cmpxchg(p, &raw, neuf_raw32(neuf_le32(raw) + val)))
		;
	return neuf_le32(raw);
}

static u64 neuf_atomic_add64(u64 *p, u64 val)
{
	u64 raw;

	if (!IS_ENABLED(CONFIG_CPU_BIG_ENDIAN))
		return atomic64_fetch_add(val, (atomic64_t *)p);
	raw = READ_ONCE(*p);
	while (!try_cmpxchg(p, &raw, neuf_raw64(neuf_le64(raw) + val)))
		;
	return neuf_le64(raw);
}

/* 0: done; -EFAULT: the lane faulted; -EINVAL: illegal (misaligned). */
static int neuf_atomic(struct neuf_exec *x, unsigned int l,
		       const struct neuf_insn *in, u64 addr, u64 b, u64 c,
		       u64 *old)
{
	bool wide = in->op & 1;	/* the 64-bit ones are odd */
	u8 *p;

	if (!IS_ALIGNED(addr, wide ? 8 : 4)) {
		neuf_exec_illegal(x, addr, NEUF_ACCESS_ATOMIC);
		return -EINVAL;
	}
	p = neuf_exec_map(x, &x->data, addr,
			  NEUF_PTE_VALID | NEUF_PTE_WRITABLE | NEUF_PTE_ATOMIC);
	if (!p) {
		neuf_lane_fault(x, l, addr, NEUF_ACCESS_ATOMIC);
		return -EFAULT;
	}

	switch (in->op) {
	case NEUF_OP_ATOM_ADD32:
		*old = neuf_atomic_add32((u32 *)p, b);
		break;
	case NEUF_OP_ATOM_ADD64:
		*old = neuf_atomic_add64((u64 *)p, b);
		break;
	case NEUF_OP_ATOM_XCHG32:
		*old = neuf_le32(xchg((u32 *)p, neuf_raw32(b)));
		break;
	case NEUF_OP_ATOM_XCHG64:
		*old = neuf_le64(xchg((u64 *)p, neuf_raw64(b)));
		break;
	case NEUF_OP_ATOM_CAS32:
		*old = neuf_le32(cmpxchg((u32 *)p, neuf_raw32(b),
					 neuf_raw32(c)));
		break;
	default:
		*old = neuf_le64(cmpxchg((u64 *)p, neuf_raw64(b),
					 neuf_raw64(c)));
		break;
	}
	return 0;
}

#define neuf_for_each_lane(l, mask) for_each_set_bit(l, &(mask), NEUF_MODEL_LANES)

/*
 * Execute @in on the lanes of @mask, which are all at its address, and say
 * where each goes: the lanes of @go->next to the following instruction,
 * those of @go->jump by the immediate. A lane in neither faulted (and
 * stays at @in) or halted.
 *
 * Return: 0, or -EINVAL when the dispatch must end as illegal.
 */
static int neuf_exec_insn(struct neuf_exec *x, const struct neuf_insn *in,
			  unsigned long mask, struct neuf_lanes_go *go)
{
	struct neuf_wave *w = x->w;
	u64 *d = w->regs[in->wd];
	const u64 *a = w->regs[in->ra];
	const u64 *b = w->regs[in->rb];
	const u64 *c = w->regs[in->rc];
	u64 imm = (s64)in->imm;
	unsigned int l, size;
	u64 v;
	int ret;

	w->dirty |= BIT(in->rd);
	go->next = 0;
	go->jump = 0;

	switch (in->op) {
	case NEUF_OP_HALT:
		w->active &= ~mask;
		return 0;
	case NEUF_OP_NOP:
		break;
	case NEUF_OP_JMP:
		go->jump = mask;
		return 0;
	case NEUF_OP_BR:
		neuf_for_each_lane(l, mask)
			if (neuf_cond(in->rc, a[l], b[l]))
				go->jump |= BIT(l);
		go->next = mask & ~go->jump;
		return 0;

	case NEUF_OP_ADD:
		neuf_for_each_lane(l, mask)
			d[l] = a[l] + b[l];
		break;
	case NEUF_OP_SUB:
		neuf_for_each_lane(l, mask)
			d[l] = a[l] - b[l];
		break;
	case NEUF_OP_MUL:
		neuf_for_each_lane(l, mask)
			d[l] = a[l] * b[l];
		break;
	case NEUF_OP_AND:
		neuf_for_each_lane(l, mask)
			d[l] = a[l] & b[l];
		break;
	case NEUF_OP_OR:
		neuf_for_each_lane(l, mask)
			d[l] = a[l] | b[l];
		break;
	case NEUF_OP_XOR:
		neuf_for_each_lane(l, mask)
			d[l] = a[l] ^ b[l];
		break;
	case NEUF_OP_SHL:
		neuf_for_each_lane(l, mask)
			d[l] = a[l] << (b[l] & 63);
		break;
	case NEUF_OP_SHR:
		neuf_for_each_lane(l, mask)
			d[l] = a[l] >> (b[l] & 63);
		break;
	case NEUF_OP_SAR:
		neuf_for_each_lane(l, mask)
			d[l] = (s64)a[l] >> (b[l] & 63);
		break;
	case NEUF_OP_SET:
		neuf_for_each_lane(l, mask)
			d[l] = neuf_cond(in->rc, a[l], b[l]);
		break;

	case NEUF_OP_ADDI:
		neuf_for_each_lane(l, mask)
			d[l] = a[l] + imm;
		break;
	case NEUF_OP_MULI:
		neuf_for_each_lane(l, mask)
			d[l] = a[l] * imm;
		break;
	case NEUF_OP_ANDI:
		neuf_for_each_lane(l, mask)
			d[l] = a[l] & imm;
		break;
	case NEUF_OP_ORI:
		neuf_for_each_lane(l, mask)
			d[l] = a[l] | imm;
		break;
	case NEUF_OP_XORI:
		neuf_for_each_lane(l, mask)
			d[l] = a[l] ^ imm;
		break;
	case NEUF_OP_SHLI:
		neuf_for_each_lane(l, mask)
			d[l] = a[l] << (imm & 63);
		break;
	case NEUF_OP_SHRI:
		neuf_for_each_lane(l, mask)
			d[l] = a[l] >> (imm & 63);
		break;
	case NEUF_OP_SARI:
		neuf_for_each_lane(l, mask)
			d[l] = (s64)a[l] >> (imm & 63);
		break;
	case NEUF_OP_LI:
		neuf_for_each_lane(l, mask)
			d[l] = imm;
		break;
	case NEUF_OP_LIH:
		neuf_for_each_lane(l, mask)
			d[l] = (w->regs[in->rd][l] & GENMASK_ULL(31, 0)) |
			       (u64)(u32)in->imm << 32;
		break;
	case NEUF_OP_SREG:
		if (in->imm == NEUF_SREG_GLOBAL_ID) {
			neuf_for_each_lane(l, mask)
				d[l] = w->first_gid + l;
		} else if (in->imm >= NEUF_SREG_GROUP_SIZE) {
			/* The same in every lane. */
			v = neuf_sreg(x->eng, in->imm, 0);
			neuf_for_each_lane(l, mask)
				d[l] = v;
		} else {
			neuf_for_each_lane(l, mask)
				d[l] = neuf_sreg(x->eng, in->imm,
						 w->first_gid + l);
		}
		break;

	case NEUF_OP_FADD:
		neuf_for_each_lane(l, mask)
			d[l] = neuf_f32_add(a[l], b[l]);
		break;
	case NEUF_OP_FSUB:
		neuf_for_each_lane(l, mask)
			d[l] = neuf_f32_sub(a[l], b[l]);
		break;
	case NEUF_OP_FMUL:
		neuf_for_each_lane(l, mask)
			d[l] = neuf_f32_mul(a[l], b[l]);
		break;
	case NEUF_OP_FFMA:
		neuf_for_each_lane(l, mask)
			d[l] = neuf_f32_fma(a[l], b[l], c[l]);
		break;
	case NEUF_OP_FMIN:
		neuf_for_each_lane(l, mask)
			d[l] = neuf_f32_min(a[l], b[l]);
		break;
	case NEUF_OP_FMAX:
		neuf_for_each_lane(l, mask)
			d[l] = neuf_f32_max(a[l], b[l]);
		break;
	case NEUF_OP_FSET:
		neuf_for_each_lane(l, mask)
			d[l] = neuf_fcond(in->rc, a[l], b[l]);
		break;
	case NEUF_OP_CVTSF:
		neuf_for_each_lane(l, mask)
			d[l] = neuf_f32_from_s64(a[l]);
		break;
	case NEUF_OP_CVTUF:
		neuf_for_each_lane(l, mask)
			d[l] = neuf_f32_from_u64(a[l]);
		break;
	case NEUF_OP_CVTFS:
		neuf_for_each_lane(l, mask)
			d[l] = neuf_f32_to_s64(a[l]);
		break;
	case NEUF_OP_CVTFU:
		neuf_for_each_lane(l, mask)
			d[l] = neuf_f32_to_u64(a[l]);
		break;

	case NEUF_OP_LD8:
	case NEUF_OP_LD32:
	case NEUF_OP_LD64:
		size = in->op == NEUF_OP_LD8 ? 1 : in->op == NEUF_OP_LD32 ? 4 : 8;
		neuf_for_each_lane(l, mask) {
			if (!neuf_load(x, l, a[l] + imm, size, &v))
				continue;
			d[l] = v;
			go->next |= BIT(l);
		}
		return 0;
	case NEUF_OP_ST8:
	case NEUF_OP_ST32:
	case NEUF_OP_ST64:
		size = in->op == NEUF_OP_ST8 ? 1 : in->op == NEUF_OP_ST32 ? 4 : 8;
		neuf_for_each_lane(l, mask)
			if (neuf_store(x, l, a[l] + imm, size, b[l]))
				go->next |= BIT(l);
		return 0;
	case NEUF_OP_PREFETCH:
		neuf_for_each_lane(l, mask) {
			v = a[l] + imm;
			if (!neuf_exec_map(x, &x->data, v, NEUF_PTE_VALID))
				neuf_exec_post(x, v, NEUF_ACCESS_PREFETCH);
		}
		break;

	default:	/* the atomics; neuf_decode() let nothing else by */
		neuf_for_each_lane(l, mask) {
			ret = neuf_atomic(x, l, in, a[l] + imm, b[l], c[l], &v);
			if (ret == -EINVAL)
				return ret;
			if (ret)
				continue;
			d[l] = v;
			go->next |= BIT(l);
		}
		return 0;
	}

	go->next = mask;
	return 0;
}

/*
 * Move the lanes of @mask, at @pc, where @go says: all together while the
 * wave is converged and they go one way, else each its own.
 */
static void neuf_wave_move(struct neuf_wave *w, unsigned long mask, u64 pc,
			   s64 imm, const struct neuf_lanes_go *go)
{
	unsigned int l;

	if (w->converged) {
		if (go->next == mask) {
			w->upc = pc + NEUF_ISA_INSN_BYTES;
			return;
		}
		if (go->jump == mask) {
			w->upc = pc + imm;
			return;
		}
		if (!(go->next | go->jump))
			return;		/* all halted or faulted */
		/* The lanes part: each gets its own program counter. */
		w->converged = false;
		neuf_for_each_lane(l, mask)
			w->pc[l] = pc;
	}
	neuf_for_each_lane(l, go->next)
		w->pc[l] += NEUF_ISA_INSN_BYTES;
	neuf_for_each_lane(l, go->jump)
		w->pc[l] += imm;
}

/*
 * One step of a wave: every active lane executes one instruction. Lanes at
 * the same address share one fetch and one decode; while they all are at
 * one (@converged), no lane's own program counter is looked at.
 *
 * Return: 0, or -EINVAL when the dispatch must end as illegal.
 */
static int neuf_wave_step(struct neuf_exec *x, struct neuf_wave *w)
{
	unsigned long todo = w->active;
	struct neuf_lanes_go go;
	struct neuf_insn in;
	unsigned long mask;
	unsigned int l;
	u64 pc;
	u8 *p;

	x->w = w;
	x->nposted = 0;

	while (todo) {
		if (w->converged) {
			pc = w->upc;
			mask = todo;
		} else {
			pc = w->pc[__ffs(todo)];
			mask = 0;
			neuf_for_each_lane(l, todo)
				if (w->pc[l] == pc)
					mask |= BIT(l);
			/* Lanes that parted are all at one address again. */
			if (mask == w->active) {
				w->converged = true;
				w->upc = pc;
			}
		}
		todo &= ~mask;

		if (!IS_ALIGNED(pc, NEUF_ISA_INSN_BYTES)) {
			neuf_exec_illegal(x, pc, NEUF_ACCESS_READ);
			return -EINVAL;
		}
		p = neuf_exec_map(x, &x->code, pc, NEUF_PTE_VALID);
		if (!p) {
			neuf_for_each_lane(l, mask)
				neuf_lane_fault(x, l, pc, NEUF_ACCESS_READ);
			continue;
		}
		if (!neuf_decode(le64_to_cpu(READ_ONCE(*(__le64 *)p)), &in)) {
			neuf_exec_illegal(x, pc, NEUF_ACCESS_READ);
			return -EINVAL;
		}
		if (neuf_exec_insn(x, &in, mask, &go))
			return -EINVAL;
		neuf_wave_move(w, mask, pc, in.imm, &go);
	}
	return 0;
}

/* Launch the next wave of the dispatch into slot @w, or free it. */
static void neuf_wave_launch(struct neuf_model_engine *eng,
			     struct neuf_wave *w)
{
	u64 left = eng->disp.grid - eng->next_gid;
	unsigned int n, r;

	if (!left) {
		w->state = NEUF_WAVE_FREE;
		return;
	}
	n = min_t(u64, left, NEUF_MODEL_LANES);

	/* Registers start at zero; only those the last wave wrote are not. */
	for_each_set_bit(r, &w->dirty, NEUF_ISA_NUM_REGS)
		memset(w->regs[r], 0, sizeof(w->regs[r]));
	w->dirty = 0;
	w->converged = true;
	w->upc = eng->disp.code;
	w->first_gid = eng->next_gid;
	w->active = GENMASK(n - 1, 0);
	w->faulted = 0;
	w->state = NEUF_WAVE_RUNNABLE;
	eng->next_gid += n;
}

/* Un-stall every wave if REPLAY was written since the last time. */
static void neuf_engine_replay_locked(struct neuf_model_engine *eng)
{
	/* Pairs with neuf_engine_replay(): the tables as the driver left them. */
	int seq = atomic_read_acquire(&eng->replay_seq);
	unsigned int i;

	lockdep_assert_held(&eng->lock);

	if (seq == eng->replay_seen)
		return;
	eng->replay_seen = seq;
	if (eng->stall_since) {
		eng->stalled_ns += ktime_get_ns() - eng->stall_since;
		eng->stall_since = 0;
	}
	for (i = 0; i < NEUF_MODEL_WAVES; i++) {
		struct neuf_wave *w = &eng->waves[i];

		if (w->state == NEUF_WAVE_STALLED) {
			w->faulted = 0;
			w->state = NEUF_WAVE_RUNNABLE;
		}
	}
}

/* Some resident wave is stalled on a fault and none can run. */
static bool neuf_engine_all_stalled(struct neuf_model_engine *eng)
{
	bool stalled = false;
	unsigned int i;

	for (i = 0; i < NEUF_MODEL_WAVES; i++) {
		if (eng->waves[i].state == NEUF_WAVE_RUNNABLE)
			return false;
		if (eng->waves[i].state == NEUF_WAVE_STALLED)
			stalled = true;
	}
	return stalled;
}

/* One turn: a step of every runnable wave, under the engine's lock. */
static enum neuf_turn neuf_engine_turn(struct neuf_model_engine *eng,
				       struct neuf_exec *x)
{
	bool ran = false, stalled = false;
	unsigned int i;

	lockdep_assert_held(&eng->lock);

	for (i = 0; i < NEUF_MODEL_WAVES; i++) {
		struct neuf_wave *w = &eng->waves[i];

		if (w->state == NEUF_WAVE_STALLED)
			stalled = true;
		if (w->state != NEUF_WAVE_RUNNABLE)
			continue;

		ran = true;
		if (neuf_wave_step(x, w))
			return NEUF_TURN_ILLEGAL;
		if (w->faulted)
			w->state = NEUF_WAVE_STALLED;
		else if (!w->active)
			neuf_wave_launch(eng, w);
	}

	if (!ran)
		return stalled ? NEUF_TURN_STALLED : NEUF_TURN_DONE;
	/*
	 * The watchdog stops counting as soon as the last runnable wave
	 * stalls: here, before the fault's interrupt can even be taken.
	 */
	if (!eng->stall_since && neuf_engine_all_stalled(eng))
		eng->stall_since = ktime_get_ns();
	return NEUF_TURN_RAN;
}

/*
 * End the dispatch: report @result (or ABORTED if RESET was written in the
 * meantime), go idle and raise the engine's interrupt, but not for ABORTED.
 */
static void neuf_engine_end(struct neuf_model_engine *eng, u32 result,
			    u64 addr, u32 access)
{
	struct neuf_model *model = eng->model;
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&eng->lock, flags);
	eng->running = false;
	WRITE_ONCE(eng->cancel_pending, false);
	for (i = 0; i < NEUF_MODEL_WAVES; i++)
		eng->waves[i].state = NEUF_WAVE_FREE;

	spin_lock(&model->lock);
	if (eng->abort)
		result = NEUF_ENG_RESULT_ABORTED;
	if (result == NEUF_ENG_RESULT_ABORTED) {
		addr = 0;
		access = 0;
		neuf_mmu_flush_locked(eng);
	}
	eng->result = result;
	eng->fault_addr = addr;
	eng->fault_access = access;
	eng->done_seq = eng->disp.seq;
	eng->busy = false;
	WRITE_ONCE(eng->abort, false);
	/* Raised last, under the lock the handler's reads take. */
	if (result != NEUF_ENG_RESULT_ABORTED)
		neuf_model_raise_locked(model, NEUF_INTR_ENGINE(eng->id));
	spin_unlock(&model->lock);
	spin_unlock_irqrestore(&eng->lock, flags);
}

static bool neuf_engine_woken(struct neuf_model_engine *eng)
{
	return kthread_should_stop() || READ_ONCE(eng->abort) ||
	       READ_ONCE(eng->cancel_pending) ||
	       atomic_read(&eng->replay_seq) != eng->replay_seen;
}

/*
 * Whether the engine must let go of its lock before its next turn: another
 * CPU waits for the lock (a TLB invalidation, CANCEL, an unbind), the
 * turn posted a fault (whose interrupt, an irq_work, waits for interrupts
 * to be enabled again on this CPU), RESET was written, or the scheduler
 * wants the CPU.
 */
static bool neuf_engine_let_go(struct neuf_model_engine *eng,
			       const struct neuf_exec *x)
{
	lockdep_assert_held(&eng->lock);

	return spin_is_contended(&eng->lock) || x->raised ||
	       READ_ONCE(eng->abort) || need_resched();
}

/* Turns between two looks at the watchdog. */
#define NEUF_WATCHDOG_TURNS	64

/*
 * Run the dispatch latched by DOORBELL until it ends, or the model stops.
 * The watchdog counts the dispatch's running time: from DOORBELL, less the
 * time every resident wave waited for a fault to be serviced, from the
 * turn in which the last of them stalled to the REPLAY (@stall_since,
 * @stalled_ns).
 */
static void neuf_engine_run(struct neuf_model_engine *eng)
{
	struct neuf_model *model = eng->model;
	struct neuf_exec x = { .eng = eng };
	struct neuf_dispatch disp;
	u64 start, budget, now;
	int until_watchdog = NEUF_WATCHDOG_TURNS;
	unsigned int i, n;
	unsigned long flags;
	enum neuf_turn turn;
	u64 addr;
	u32 access;

	spin_lock_irqsave(&model->lock, flags);
	disp = eng->latched;
	WRITE_ONCE(eng->kick, false);
	spin_unlock_irqrestore(&model->lock, flags);

	x.instance = disp.instance;
	start = ktime_get_ns();
	budget = (u64)disp.watchdog_ms * NSEC_PER_MSEC;

	spin_lock_irqsave(&eng->lock, flags);
	eng->disp = disp;
	eng->next_gid = 0;
	eng->stall_since = 0;
	eng->stalled_ns = 0;
	WRITE_ONCE(eng->cancel_pending, false);
	eng->replay_seen = atomic_read(&eng->replay_seq);
	if (disp.grid && disp.group_size) {
		eng->running = true;
		for (i = 0; i < NEUF_MODEL_WAVES; i++)
			neuf_wave_launch(eng, &eng->waves[i]);
	}
	spin_unlock_irqrestore(&eng->lock, flags);

	if (!disp.grid || !disp.group_size) {
		neuf_engine_end(eng, NEUF_ENG_RESULT_ILLEGAL, 0,
				NEUF_ACCESS_READ);
		return;
	}

	for (;;) {
		if (kthread_should_stop())
			return;
		if (READ_ONCE(eng->abort)) {
			neuf_engine_end(eng, NEUF_ENG_RESULT_ABORTED, 0, 0);
			return;
		}

		spin_lock_irqsave(&eng->lock, flags);
		if (eng->cancel_pending) {
			addr = eng->cancel_addr;
			access = eng->cancel_access;
			spin_unlock_irqrestore(&eng->lock, flags);
			neuf_engine_end(eng, NEUF_ENG_RESULT_FAULT, addr, access);
			return;
		}
		/* Translations are only cached while the lock keeps them valid. */
		x.code = (struct neuf_xlate){ .base = NEUF_NO_PAGE };
		x.data = x.code;
		x.raised = false;
		for (n = 0;;) {
			neuf_engine_replay_locked(eng);
			turn = neuf_engine_turn(eng, &x);
			if (turn != NEUF_TURN_RAN || ++n == NEUF_TURNS_PER_HOLD ||
			    neuf_engine_let_go(eng, &x))
				break;
		}
		spin_unlock_irqrestore(&eng->lock, flags);

		switch (turn) {
		case NEUF_TURN_RAN:
			until_watchdog -= n;
			if (!budget || until_watchdog > 0)
				break;
			until_watchdog = NEUF_WATCHDOG_TURNS;
			now = ktime_get_ns();
			if (now - start - eng->stalled_ns -
			    (eng->stall_since ? now - eng->stall_since : 0) >
			    budget) {
				neuf_engine_end(eng, NEUF_ENG_RESULT_TIMEOUT, 0, 0);
				return;
			}
			break;
		case NEUF_TURN_STALLED:
			wait_event_idle(eng->wq, neuf_engine_woken(eng));
			break;
		case NEUF_TURN_DONE:
			neuf_engine_end(eng, NEUF_ENG_RESULT_OK, 0, 0);
			return;
		case NEUF_TURN_ILLEGAL:
			neuf_engine_end(eng, NEUF_ENG_RESULT_ILLEGAL,
					x.illegal_addr, x.illegal_access);
			return;
		}
		cond_resched();
	}
}

static int neuf_engine_thread(void *arg)
{
	struct neuf_model_engine *eng = arg;

	while (!kthread_should_stop()) {
		wait_event_idle(eng->wq,
				READ_ONCE(eng->kick) || kthread_should_stop());
		if (READ_ONCE(eng->kick))
			neuf_engine_run(eng);
	}
	return 0;
}

/**
 * neuf_engine_replay() - REPLAY: retry the stalled waves of an engine
 * @eng: the engine
 *
 * Every wave of @eng stalled when this is called retries its faulting
 * lanes at its next turn. Never sleeps.
 */
void neuf_engine_replay(struct neuf_model_engine *eng)
{
	/*
	 * Like a register write, REPLAY comes after the driver's page-table
	 * stores: a wave it un-stalls walks the entries the driver made.
	 */
	smp_mb__before_atomic();
	atomic_inc(&eng->replay_seq);
	wake_up(&eng->wq);
}

/**
 * neuf_engine_cancel() - CANCEL: fail the dispatch stalled on a fault
 * @eng: the engine named by the command
 * @instance: the instance named by the command
 * @access: the access kind named by the command
 * @addr: an address in the 4 KiB page named by the command
 *
 * If @eng runs a dispatch of @instance with a wave stalled on an access of
 * kind @access to the page of @addr, the dispatch ends with RESULT FAULT
 * before it runs any further; otherwise the command is stale and ignored.
 * Never sleeps.
 */
void neuf_engine_cancel(struct neuf_model_engine *eng, u32 instance,
			u32 access, u64 addr)
{
	unsigned long flags;
	bool hit = false;
	unsigned int i, l;

	spin_lock_irqsave(&eng->lock, flags);
	if (!eng->running || eng->cancel_pending ||
	    eng->disp.instance != instance)
		goto out;

	for (i = 0; i < NEUF_MODEL_WAVES && !hit; i++) {
		struct neuf_wave *w = &eng->waves[i];

		if (w->state != NEUF_WAVE_STALLED)
			continue;
		neuf_for_each_lane(l, w->faulted) {
			if (w->fault_access[l] == access &&
			    (w->fault_addr[l] & NEUF_PAGE_MASK) ==
			    (addr & NEUF_PAGE_MASK)) {
				eng->cancel_addr = w->fault_addr[l];
				eng->cancel_access = access;
				WRITE_ONCE(eng->cancel_pending, true);
				hit = true;
				break;
			}
		}
	}
out:
	spin_unlock_irqrestore(&eng->lock, flags);
	if (hit)
		wake_up(&eng->wq);
}

/**
 * neuf_engine_read_locked() - read a register of an engine
 * @eng: the engine
 * @reg: offset in the engine's register block
 *
 * Context: &neuf_model.lock held.
 * Return: the register's value, all ones for an undecoded offset.
 */
u32 neuf_engine_read_locked(struct neuf_model_engine *eng, u32 reg)
{
	const struct neuf_dispatch *next = &eng->next;
	unsigned int i;

	lockdep_assert_held(&eng->model->lock);

	switch (reg) {
	case NEUF_ENG_INSTANCE:
		return next->instance;
	case NEUF_ENG_GRID:
		return next->grid;
	case NEUF_ENG_GROUP_SIZE:
		return next->group_size;
	case NEUF_ENG_CODE_LO:
		return lower_32_bits(next->code);
	case NEUF_ENG_CODE_HI:
		return upper_32_bits(next->code);
	case NEUF_ENG_SEQ:
		return next->seq;
	case NEUF_ENG_WATCHDOG:
		return next->watchdog_ms;
	case NEUF_ENG_DOORBELL:
	case NEUF_ENG_RESET:
		return 0;
	case NEUF_ENG_STATUS:
		return eng->busy ? NEUF_ENG_STATUS_BUSY : 0;
	case NEUF_ENG_DONE_SEQ:
		return eng->done_seq;
	case NEUF_ENG_RESULT:
		return eng->result;
	case NEUF_ENG_FAULT_ADDR_LO:
		return lower_32_bits(eng->fault_addr);
	case NEUF_ENG_FAULT_ADDR_HI:
		return upper_32_bits(eng->fault_addr);
	case NEUF_ENG_FAULT_ACCESS:
		return eng->fault_access;
	}

	if (reg >= NEUF_ENG_ARG_LO(0) && reg < NEUF_ENG_ARG_LO(8)) {
		i = (reg - NEUF_ENG_ARG_LO(0)) / 8;
		if (reg == NEUF_ENG_ARG_HI(i))
			return upper_32_bits(next->args[i]);
		return lower_32_bits(next->args[i]);
	}
	return ~0u;
}

/**
 * neuf_engine_write() - write a register of an engine
 * @eng: the engine
 * @reg: offset in the engine's register block
 * @value: the value written
 *
 * DOORBELL latches the dispatch registers and starts the dispatch unless
 * the engine is busy. RESET flushes the engine's TLB and, if the engine is
 * busy, makes it abort: the engine thread ends the dispatch within a turn.
 * Never sleeps.
 *
 * Context: any; &neuf_model.lock not held.
 */
void neuf_engine_write(struct neuf_model_engine *eng, u32 reg, u32 value)
{
	struct neuf_model *model = eng->model;
	struct neuf_dispatch *next = &eng->next;
	bool wake = false, reset = false;
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&model->lock, flags);
	switch (reg) {
	case NEUF_ENG_INSTANCE:
		next->instance = value;
		break;
	case NEUF_ENG_GRID:
		next->grid = value;
		break;
	case NEUF_ENG_GROUP_SIZE:
		next->group_size = value;
		break;
	case NEUF_ENG_CODE_LO:
		neuf_set_lo(&next->code, value);
		break;
	case NEUF_ENG_CODE_HI:
		neuf_set_hi(&next->code, value);
		break;
	case NEUF_ENG_SEQ:
		next->seq = value;
		break;
	case NEUF_ENG_WATCHDOG:
		next->watchdog_ms = value;
		break;
	case NEUF_ENG_DOORBELL:
		if ((value & BIT(0)) && !eng->busy) {
			eng->latched = *next;
			eng->busy = true;
			WRITE_ONCE(eng->kick, true);
			wake = true;
		}
		break;
	case NEUF_ENG_RESET:
		if (value & BIT(0)) {
			reset = true;
			if (eng->busy) {
				WRITE_ONCE(eng->abort, true);
				wake = true;
			}
		}
		break;
	default:
		if (reg >= NEUF_ENG_ARG_LO(0) && reg < NEUF_ENG_ARG_LO(8)) {
			i = (reg - NEUF_ENG_ARG_LO(0)) / 8;
			if (reg == NEUF_ENG_ARG_HI(i))
				neuf_set_hi(&next->args[i], value);
			else
				neuf_set_lo(&next->args[i], value);
		}
		break;
	}
	spin_unlock_irqrestore(&model->lock, flags);

	if (reset) {
		spin_lock_irqsave(&eng->lock, flags);
		neuf_mmu_flush_locked(eng);
		spin_unlock_irqrestore(&eng->lock, flags);
	}
	if (wake)
		wake_up(&eng->wq);
}

/**
 * neuf_engine_init() - power on a compute engine
 * @eng: the engine, zeroed
 * @model: the GPU it belongs to
 * @id: its number
 *
 * Context: process context; may sleep.
 * Return: 0 or a negative errno.
 */
int neuf_engine_init(struct neuf_model_engine *eng, struct neuf_model *model,
		     unsigned int id)
{
	int ret;

	eng->model = model;
	eng->id = id;
	init_waitqueue_head(&eng->wq);
	spin_lock_init(&eng->lock);
	atomic_set(&eng->replay_seq, 0);

	eng->waves = kvcalloc(NEUF_MODEL_WAVES, sizeof(*eng->waves),
			      GFP_KERNEL);
	if (!eng->waves)
		return -ENOMEM;

	eng->thread = kthread_run(neuf_engine_thread, eng, "neuf-engine%u", id);
	if (IS_ERR(eng->thread)) {
		ret = PTR_ERR(eng->thread);
		kvfree(eng->waves);
		return ret;
	}
	return 0;
}

/**
 * neuf_engine_fini() - power off a compute engine
 * @eng: the engine
 *
 * Stops its thread, abandoning the dispatch it runs, if any.
 *
 * Context: process context; may sleep.
 */
void neuf_engine_fini(struct neuf_model_engine *eng)
{
	kthread_stop(eng->thread);
	kvfree(eng->waves);
}
