/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * Instruction encoding of the neuf GPU, revision 1.0: the contract between
 * shader code (the assembler in lib/) and the engines (the model). Specified
 * in Documentation/gpu/neuf/isa.rst. Macros and enums only, so the kernel
 * and userspace share this file unchanged.
 *
 * An instruction is one little-endian 64-bit word:
 *
 *   63            32 31   26 25   20 19   14 13    8 7      0
 *  +----------------+-------+-------+-------+-------+--------+
 *  |     imm32      |  rc   |  rb   |  ra   |  rd   | opcode |
 *  +----------------+-------+-------+-------+-------+--------+
 */
#ifndef __NEUF_ISA_H__
#define __NEUF_ISA_H__

#define NEUF_ISA_INSN_BYTES	8
#define NEUF_ISA_NUM_REGS	64

#define NEUF_ISA_OPCODE(w)	((unsigned int)((w) & 0xff))
#define NEUF_ISA_RD(w)		((unsigned int)(((w) >> 8) & 0x3f))
#define NEUF_ISA_RA(w)		((unsigned int)(((w) >> 14) & 0x3f))
#define NEUF_ISA_RB(w)		((unsigned int)(((w) >> 20) & 0x3f))
#define NEUF_ISA_RC(w)		((unsigned int)(((w) >> 26) & 0x3f))
#define NEUF_ISA_IMM(w)		((int)(unsigned int)((w) >> 32))

#define NEUF_ISA_ENCODE(op, rd, ra, rb, rc, imm) \
	(((unsigned long long)(unsigned int)(imm) << 32) | \
	 ((unsigned long long)((rc) & 0x3f) << 26) | \
	 ((unsigned long long)((rb) & 0x3f) << 20) | \
	 ((unsigned long long)((ra) & 0x3f) << 14) | \
	 ((unsigned long long)((rd) & 0x3f) << 8) | \
	 ((unsigned long long)((op) & 0xff)))

/* Opcodes. */
enum neuf_isa_opcode {
	/* control */
	NEUF_OP_HALT = 0x00,	/* stop this invocation */
	NEUF_OP_NOP = 0x01,
	NEUF_OP_JMP = 0x02,	/* pc += imm */
	NEUF_OP_BR = 0x03,	/* if (ra <cond rc> rb) pc += imm */
	/* integer, 64-bit */
	NEUF_OP_ADD = 0x10,
	NEUF_OP_SUB = 0x11,
	NEUF_OP_MUL = 0x12,
	NEUF_OP_AND = 0x13,
	NEUF_OP_OR = 0x14,
	NEUF_OP_XOR = 0x15,
	NEUF_OP_SHL = 0x16,
	NEUF_OP_SHR = 0x17,
	NEUF_OP_SAR = 0x18,
	NEUF_OP_SET = 0x19,	/* rd = ra <cond rc> rb */
	NEUF_OP_ADDI = 0x20,	/* rd = ra + sext(imm) */
	NEUF_OP_MULI = 0x21,
	NEUF_OP_ANDI = 0x22,
	NEUF_OP_ORI = 0x23,
	NEUF_OP_XORI = 0x24,
	NEUF_OP_SHLI = 0x25,
	NEUF_OP_SHRI = 0x26,
	NEUF_OP_SARI = 0x27,
	NEUF_OP_LI = 0x28,	/* rd = sext(imm) */
	NEUF_OP_LIH = 0x29,	/* rd[63:32] = imm */
	NEUF_OP_SREG = 0x2a,	/* rd = special register imm */
	/* 32-bit float, in the low half of a register */
	NEUF_OP_FADD = 0x30,
	NEUF_OP_FSUB = 0x31,
	NEUF_OP_FMUL = 0x32,
	NEUF_OP_FFMA = 0x33,	/* rd = ra * rb + rc, one rounding */
	NEUF_OP_FMIN = 0x34,
	NEUF_OP_FMAX = 0x35,
	NEUF_OP_FSET = 0x36,	/* rd = ra <fcond rc> rb */
	NEUF_OP_CVTSF = 0x38,	/* f32 <- s64 */
	NEUF_OP_CVTUF = 0x39,	/* f32 <- u64 */
	NEUF_OP_CVTFS = 0x3a,	/* s64 <- f32, truncating, saturating */
	NEUF_OP_CVTFU = 0x3b,	/* u64 <- f32, truncating, saturating */
	/* memory: address = ra + sext(imm) */
	NEUF_OP_LD8 = 0x40,	/* zero-extending */
	NEUF_OP_LD32 = 0x41,	/* zero-extending */
	NEUF_OP_LD64 = 0x42,
	NEUF_OP_ST8 = 0x44,	/* [addr] = rb */
	NEUF_OP_ST32 = 0x45,
	NEUF_OP_ST64 = 0x46,
	NEUF_OP_PREFETCH = 0x47,	/* hint: map [addr], never stalls */
	/* atomics: rd = old value at addr (naturally aligned) */
	NEUF_OP_ATOM_ADD32 = 0x50,	/* [addr] += rb */
	NEUF_OP_ATOM_ADD64 = 0x51,
	NEUF_OP_ATOM_XCHG32 = 0x52,	/* [addr] = rb */
	NEUF_OP_ATOM_XCHG64 = 0x53,
	NEUF_OP_ATOM_CAS32 = 0x54,	/* if ([addr] == rb) [addr] = rc */
	NEUF_OP_ATOM_CAS64 = 0x55,
};

/* Integer conditions, in the rc field of BR and SET. */
enum neuf_isa_cond {
	NEUF_COND_EQ = 0,
	NEUF_COND_NE = 1,
	NEUF_COND_LT = 2,	/* signed */
	NEUF_COND_GE = 3,	/* signed */
	NEUF_COND_LTU = 4,
	NEUF_COND_GEU = 5,
};

/* Float conditions, in the rc field of FSET (false if either is NaN). */
enum neuf_isa_fcond {
	NEUF_FCOND_EQ = 0,
	NEUF_FCOND_LT = 1,
	NEUF_FCOND_LE = 2,
};

/* Special registers, read with SREG. */
enum neuf_isa_sreg {
	NEUF_SREG_GLOBAL_ID = 0,	/* group_id * group_size + local_id */
	NEUF_SREG_LOCAL_ID = 1,
	NEUF_SREG_GROUP_ID = 2,
	NEUF_SREG_GROUP_SIZE = 3,
	NEUF_SREG_GRID_SIZE = 4,	/* invocations in the dispatch */
	NEUF_SREG_ARG0 = 8,		/* push constants, ARG0..ARG7 */
	NEUF_SREG_ARG7 = 15,
};

#endif /* __NEUF_ISA_H__ */
