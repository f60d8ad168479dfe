// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * The neuf shader assembler. One pass parses every line into an
 * instruction (branch targets still names), a second resolves the labels.
 */
#include "neuf_asm.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neuf_isa.h"

#define MAX_NAME 64
#define MAX_OPERANDS 4

/* How an instruction's operands are written. */
enum format {
	F_NONE,		/* halt */
	F_RRR,		/* add rd, ra, rb */
	F_RRRR,		/* ffma rd, ra, rb, rc */
	F_RRI,		/* addi rd, ra, imm */
	F_RI,		/* li rd, imm */
	F_RI64,		/* li64 rd, imm64 (li, and lih if needed) */
	F_RF,		/* lif rd, float */
	F_RR,		/* cvtsf rd, ra */
	F_MOV,		/* mov rd, ra (addi rd, ra, 0) */
	F_SREG,		/* sreg rd, name */
	F_LD,		/* ld32 rd, [ra + imm] */
	F_ST,		/* st32 [ra + imm], rb */
	F_MEM,		/* prefetch [ra + imm] */
	F_ATOM,		/* atom.add32 rd, [ra + imm], rb */
	F_CAS,		/* atom.cas32 rd, [ra + imm], rb, rc */
	F_SET,		/* set.lt rd, ra, rb */
	F_BR,		/* b.lt ra, rb, label */
	F_BZ,		/* bz ra, label */
	F_JMP,		/* jmp label */
};

struct mnemonic {
	const char *name;
	unsigned int opcode;
	enum format format;
	int cond;	/* F_BZ: the condition against r0 */
};

static const struct mnemonic mnemonics[] = {
	{ "halt", NEUF_OP_HALT, F_NONE, 0 },
	{ "nop", NEUF_OP_NOP, F_NONE, 0 },
	{ "jmp", NEUF_OP_JMP, F_JMP, 0 },
	{ "b", NEUF_OP_BR, F_BR, 0 },
	{ "bz", NEUF_OP_BR, F_BZ, NEUF_COND_EQ },
	{ "bnz", NEUF_OP_BR, F_BZ, NEUF_COND_NE },
	{ "add", NEUF_OP_ADD, F_RRR, 0 },
	{ "sub", NEUF_OP_SUB, F_RRR, 0 },
	{ "mul", NEUF_OP_MUL, F_RRR, 0 },
	{ "and", NEUF_OP_AND, F_RRR, 0 },
	{ "or", NEUF_OP_OR, F_RRR, 0 },
	{ "xor", NEUF_OP_XOR, F_RRR, 0 },
	{ "shl", NEUF_OP_SHL, F_RRR, 0 },
	{ "shr", NEUF_OP_SHR, F_RRR, 0 },
	{ "sar", NEUF_OP_SAR, F_RRR, 0 },
	{ "set", NEUF_OP_SET, F_SET, 0 },
	{ "addi", NEUF_OP_ADDI, F_RRI, 0 },
	{ "muli", NEUF_OP_MULI, F_RRI, 0 },
	{ "andi", NEUF_OP_ANDI, F_RRI, 0 },
	{ "ori", NEUF_OP_ORI, F_RRI, 0 },
	{ "xori", NEUF_OP_XORI, F_RRI, 0 },
	{ "shli", NEUF_OP_SHLI, F_RRI, 0 },
	{ "shri", NEUF_OP_SHRI, F_RRI, 0 },
	{ "sari", NEUF_OP_SARI, F_RRI, 0 },
	{ "li", NEUF_OP_LI, F_RI, 0 },
	{ "lih", NEUF_OP_LIH, F_RI, 0 },
	{ "li64", NEUF_OP_LI, F_RI64, 0 },
	{ "lif", NEUF_OP_LI, F_RF, 0 },
	{ "mov", NEUF_OP_ADDI, F_MOV, 0 },
	{ "sreg", NEUF_OP_SREG, F_SREG, 0 },
	{ "fadd", NEUF_OP_FADD, F_RRR, 0 },
	{ "fsub", NEUF_OP_FSUB, F_RRR, 0 },
	{ "fmul", NEUF_OP_FMUL, F_RRR, 0 },
	{ "ffma", NEUF_OP_FFMA, F_RRRR, 0 },
	{ "fmin", NEUF_OP_FMIN, F_RRR, 0 },
	{ "fmax", NEUF_OP_FMAX, F_RRR, 0 },
	{ "fset", NEUF_OP_FSET, F_SET, 0 },
	{ "cvtsf", NEUF_OP_CVTSF, F_RR, 0 },
	{ "cvtuf", NEUF_OP_CVTUF, F_RR, 0 },
	{ "cvtfs", NEUF_OP_CVTFS, F_RR, 0 },
	{ "cvtfu", NEUF_OP_CVTFU, F_RR, 0 },
	{ "ld8", NEUF_OP_LD8, F_LD, 0 },
	{ "ld32", NEUF_OP_LD32, F_LD, 0 },
	{ "ld64", NEUF_OP_LD64, F_LD, 0 },
	{ "st8", NEUF_OP_ST8, F_ST, 0 },
	{ "st32", NEUF_OP_ST32, F_ST, 0 },
	{ "st64", NEUF_OP_ST64, F_ST, 0 },
	{ "prefetch", NEUF_OP_PREFETCH, F_MEM, 0 },
	{ "atom.add32", NEUF_OP_ATOM_ADD32, F_ATOM, 0 },
	{ "atom.add64", NEUF_OP_ATOM_ADD64, F_ATOM, 0 },
	{ "atom.xchg32", NEUF_OP_ATOM_XCHG32, F_ATOM, 0 },
	{ "atom.xchg64", NEUF_OP_ATOM_XCHG64, F_ATOM, 0 },
	{ "atom.cas32", NEUF_OP_ATOM_CAS32, F_CAS, 0 },
	{ "atom.cas64", NEUF_OP_ATOM_CAS64, F_CAS, 0 },
};

/* Condition suffixes; "swap" ones are written with their operands swapped. */
struct cond {
	const char *name;
	int code;
	bool swap;
};

static const struct cond int_conds[] = {
	{ "eq", NEUF_COND_EQ, false }, { "ne", NEUF_COND_NE, false },
	{ "lt", NEUF_COND_LT, false }, { "ge", NEUF_COND_GE, false },
	{ "ltu", NEUF_COND_LTU, false }, { "geu", NEUF_COND_GEU, false },
	{ "gt", NEUF_COND_LT, true }, { "le", NEUF_COND_GE, true },
	{ "gtu", NEUF_COND_LTU, true }, { "leu", NEUF_COND_GEU, true },
};

static const struct cond float_conds[] = {
	{ "eq", NEUF_FCOND_EQ, false }, { "lt", NEUF_FCOND_LT, false },
	{ "le", NEUF_FCOND_LE, false }, { "gt", NEUF_FCOND_LT, true },
	{ "ge", NEUF_FCOND_LE, true },
};

static const struct {
	const char *name;
	int index;
} sregs[] = {
	{ "global_id", NEUF_SREG_GLOBAL_ID }, { "local_id", NEUF_SREG_LOCAL_ID },
	{ "group_id", NEUF_SREG_GROUP_ID }, { "group_size", NEUF_SREG_GROUP_SIZE },
	{ "grid_size", NEUF_SREG_GRID_SIZE },
};

struct insn {
	uint64_t word;
	size_t line;
	char target[MAX_NAME];	/* unresolved branch target, or "" */
};

struct label {
	char name[MAX_NAME];
	size_t index;
};

struct assembler {
	struct insn *insns;
	size_t count, cap;
	struct label *labels;
	size_t nlabels, label_cap;
	size_t line;	/* the line being assembled, from 1; 0 for none */
	char *err;
	size_t errlen;
};

static int fail(struct assembler *as, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int fail(struct assembler *as, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (as->err && as->errlen) {
		n = as->line ? snprintf(as->err, as->errlen, "line %zu: ",
					as->line) : 0;
		if (n >= 0 && (size_t)n < as->errlen) {
			va_start(ap, fmt);
			vsnprintf(as->err + n, as->errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return -EINVAL;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static bool is_name(const char *s)
{
	if (!*s || !(isalpha((unsigned char)*s) || *s == '_' || *s == '.'))
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '.'))
			return false;
	return true;
}

static int parse_reg(struct assembler *as, const char *s, unsigned int *reg)
{
	char *end;
	long n;

	if (s[0] != 'r' || !isdigit((unsigned char)s[1]))
		return fail(as, "expected a register (r0-r63), got '%s'", s);
	errno = 0;
	n = strtol(s + 1, &end, 10);
	if (*end || errno || n < 0 || n >= NEUF_ISA_NUM_REGS)
		return fail(as, "register '%s' out of range (r0-r63)", s);
	*reg = (unsigned int)n;
	return 0;
}

/*
 * Integer literals are decimal, or hex with 0x (isa.rst); there is no octal,
 * and a decimal number has no leading zero, which C would read as octal:
 * "010" is an error rather than 8 or 10. A @max beyond INT64_MAX takes a
 * 64-bit pattern: the value is then its two's complement reading.
 */
static int parse_int(struct assembler *as, const char *s, long long min,
		     unsigned long long max, long long *value)
{
	const char *p = s;
	unsigned long long u = 0;
	unsigned int base = 10;
	bool neg = false, overflow = false;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!isdigit((unsigned char)*p))
		return fail(as, "expected a number, got '%s'", s);
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
		if (!*p)
			return fail(as, "bad number '%s'", s);
	} else if (p[0] == '0' && isdigit((unsigned char)p[1])) {
		return fail(as, "bad number '%s': a leading zero (no octal; hex is 0x...)",
			    s);
	}
	for (; *p; p++) {
		unsigned int d;

		if (isdigit((unsigned char)*p))
			d = (unsigned int)(*p - '0');
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = (unsigned int)(tolower((unsigned char)*p) - 'a' + 10);
		else
			return fail(as, "bad number '%s'", s);
		if (u > (ULLONG_MAX - d) / base)
			overflow = true;
		else
			u = u * base + d;
	}
	if (overflow)
		goto range;
	if (neg) {
		/* -u >= min, computed without overflowing at INT64_MIN */
		if (min >= 0 && u)
			goto range;
		if (u && u - 1 > (unsigned long long)(-(min + 1)))
			goto range;
		*value = u ? -(long long)(u - 1) - 1 : 0;
	} else {
		if (u > max)
			goto range;
		*value = u <= INT64_MAX ? (long long)u :
			 -(long long)(ULLONG_MAX - u) - 1;
	}
	return 0;
range:
	return fail(as, "%s does not fit in [%lld, %llu]", s, min, max);
}

/*
 * Does the floating-point literal @s, which strtof() took whole, have a
 * nonzero digit before its exponent?
 */
static bool float_nonzero(const char *s)
{
	bool hex;

	if (*s == '-' || *s == '+')
		s++;
	hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	if (hex)
		s += 2;
	for (; *s; s++) {
		if (hex ? (*s == 'p' || *s == 'P') : (*s == 'e' || *s == 'E'))
			break;
		if (*s != '0' && *s != '.')
			return true;
	}
	return false;
}

static int parse_imm32(struct assembler *as, const char *s, int *imm)
{
	long long v;
	int ret = parse_int(as, s, INT32_MIN, INT32_MAX, &v);

	if (!ret)
		*imm = (int)v;
	return ret;
}

/* "[rN]", "[rN + imm]" or "[rN - imm]" */
static int parse_mem(struct assembler *as, char *s, unsigned int *reg, int *imm)
{
	char *inner, *op;
	size_t len = strlen(s);
	int ret;

	if (len < 2 || s[0] != '[' || s[len - 1] != ']')
		return fail(as, "expected a memory operand [rN + offset], got '%s'", s);
	s[len - 1] = '\0';
	inner = s + 1;
	op = strpbrk(inner, "+-");
	*imm = 0;
	if (op) {
		char *num = trim(op + 1);
		long long v;

		if (*op == '-') {
			/* "- N" with -N a 32-bit offset: N up to 2^31 */
			ret = parse_int(as, num, -(long long)INT32_MAX,
					(unsigned long long)INT32_MAX + 1, &v);
			if (ret)
				return ret;
			*imm = (int)-v;
		} else if ((ret = parse_imm32(as, num, imm))) {
			return ret;
		}
		*op = '\0';
	}
	return parse_reg(as, trim(inner), reg);
}

static const struct cond *find_cond(const struct cond *conds, size_t n,
				    const char *suffix)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(conds[i].name, suffix))
			return &conds[i];
	return NULL;
}

static const struct mnemonic *find_mnemonic(const char *name)
{
	for (size_t i = 0; i < sizeof(mnemonics) / sizeof(*mnemonics); i++)
		if (!strcmp(mnemonics[i].name, name))
			return &mnemonics[i];
	return NULL;
}

static int emit(struct assembler *as, uint64_t word, const char *target)
{
	struct insn *insn;

	if (as->count == as->cap) {
		size_t cap = as->cap ? as->cap * 2 : 64;
		struct insn *p = realloc(as->insns, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		as->insns = p;
		as->cap = cap;
	}
	insn = &as->insns[as->count++];
	insn->word = word;
	insn->line = as->line;
	snprintf(insn->target, sizeof(insn->target), "%s", target ? target : "");
	return 0;
}

static int define_label(struct assembler *as, const char *name)
{
	if (!is_name(name) || strlen(name) >= MAX_NAME)
		return fail(as, "bad label name '%s'", name);
	for (size_t i = 0; i < as->nlabels; i++)
		if (!strcmp(as->labels[i].name, name))
			return fail(as, "label '%s' already defined", name);
	if (as->nlabels == as->label_cap) {
		size_t cap = as->label_cap ? as->label_cap * 2 : 16;
		struct label *p = realloc(as->labels, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		as->labels = p;
		as->label_cap = cap;
	}
	snprintf(as->labels[as->nlabels].name, MAX_NAME, "%s", name);
	as->labels[as->nlabels++].index = as->count;
	return 0;
}

static int check_target(struct assembler *as, const char *name)
{
	if (!is_name(name) || strlen(name) >= MAX_NAME)
		return fail(as, "bad branch target '%s'", name);
	return 0;
}

static int assemble_insn(struct assembler *as, char *text)
{
	char *ops[MAX_OPERANDS], *mnem, *rest, *dot;
	unsigned int rd = 0, ra = 0, rb = 0, rc = 0;
	const struct mnemonic *m = NULL;
	const struct cond *cond = NULL;
	int nops = 0, imm = 0, ret;
	char base[MAX_NAME];
	static const int want[] = {
		[F_NONE] = 0, [F_RRR] = 3, [F_RRRR] = 4, [F_RRI] = 3,
		[F_RI] = 2, [F_RI64] = 2, [F_RF] = 2, [F_RR] = 2, [F_MOV] = 2,
		[F_SREG] = 2, [F_LD] = 2, [F_ST] = 2, [F_MEM] = 1, [F_ATOM] = 3,
		[F_CAS] = 4, [F_SET] = 3, [F_BR] = 3, [F_BZ] = 2, [F_JMP] = 1,
	};

	mnem = text;
	rest = mnem + strcspn(mnem, " \t");
	if (*rest)
		*rest++ = '\0';
	for (char *c = mnem; *c; c++)
		*c = (char)tolower((unsigned char)*c);

	/* b.COND, set.COND, fset.COND: the condition is a suffix. */
	snprintf(base, sizeof(base), "%s", mnem);
	dot = strchr(base, '.');
	if (dot && strncmp(base, "atom.", 5)) {
		*dot = '\0';
		m = find_mnemonic(base);
		if (m && (m->format == F_BR || m->format == F_SET)) {
			if (m->opcode == NEUF_OP_FSET)
				cond = find_cond(float_conds, sizeof(float_conds) /
						 sizeof(*float_conds), dot + 1);
			else
				cond = find_cond(int_conds, sizeof(int_conds) /
						 sizeof(*int_conds), dot + 1);
			if (!cond)
				return fail(as, "unknown condition '%s' in '%s'",
					    dot + 1, mnem);
		} else {
			m = NULL;
		}
	} else {
		m = find_mnemonic(mnem);
		if (m && (m->format == F_BR || m->format == F_SET))
			return fail(as, "'%s' needs a condition, e.g. '%s.eq'",
				    mnem, mnem);
	}
	if (!m)
		return fail(as, "unknown instruction '%s'", mnem);

	/* Operands are split at every comma: none may be empty. */
	rest = trim(rest);
	for (bool more = *rest != '\0'; more; ) {
		char *comma = strchr(rest, ',');
		char *op;

		if (comma)
			*comma = '\0';
		op = trim(rest);
		if (!*op && !comma && nops)
			return fail(as, "trailing ',' after the operands of '%s'",
				    mnem);
		if (!*op)
			return fail(as, "empty operand %d of '%s'", nops + 1, mnem);
		if (nops == MAX_OPERANDS)
			return fail(as, "too many operands for '%s'", mnem);
		ops[nops++] = op;
		more = comma != NULL;
		if (comma)
			rest = comma + 1;
	}
	if (nops != want[m->format])
		return fail(as, "'%s' takes %d operand%s, got %d", mnem,
			    want[m->format], want[m->format] == 1 ? "" : "s", nops);

	switch (m->format) {
	case F_NONE:
		break;
	case F_RRR:
	case F_RRRR:
	case F_SET:
		if ((ret = parse_reg(as, ops[0], &rd)) ||
		    (ret = parse_reg(as, ops[1], &ra)) ||
		    (ret = parse_reg(as, ops[2], &rb)))
			return ret;
		if (m->format == F_RRRR && (ret = parse_reg(as, ops[3], &rc)))
			return ret;
		if (cond) {
			unsigned int t = ra;

			if (cond->swap) {
				ra = rb;
				rb = t;
			}
			rc = (unsigned int)cond->code;
		}
		break;
	case F_RRI:
		if ((ret = parse_reg(as, ops[0], &rd)) ||
		    (ret = parse_reg(as, ops[1], &ra)) ||
		    (ret = parse_imm32(as, ops[2], &imm)))
			return ret;
		break;
	case F_RI:
		if ((ret = parse_reg(as, ops[0], &rd)))
			return ret;
		if (m->opcode == NEUF_OP_LIH) {
			long long v;

			/* lih sets a bit pattern: take unsigned values too. */
			ret = parse_int(as, ops[1], INT32_MIN, UINT32_MAX, &v);
			imm = (int)(unsigned int)v;
		} else {
			ret = parse_imm32(as, ops[1], &imm);
		}
		if (ret)
			return ret;
		break;
	case F_RI64: {
		long long v;

		if ((ret = parse_reg(as, ops[0], &rd)) ||
		    (ret = parse_int(as, ops[1], INT64_MIN, UINT64_MAX, &v)))
			return ret;
		ret = emit(as, NEUF_ISA_ENCODE(NEUF_OP_LI, rd, 0, 0, 0, (int)v), NULL);
		if (ret || (v >= INT32_MIN && v <= INT32_MAX))
			return ret;
		return emit(as, NEUF_ISA_ENCODE(NEUF_OP_LIH, rd, 0, 0, 0,
						(int)(unsigned int)((unsigned long long)v >> 32)),
			    NULL);
	}
	case F_RF: {
		char *end;
		float f;
		uint32_t bits;

		if ((ret = parse_reg(as, ops[0], &rd)))
			return ret;
		errno = 0;
		f = strtof(ops[1], &end);
		if (*end || end == ops[1])
			return fail(as, "bad float '%s'", ops[1]);
		/*
		 * Rounded to the nearest binary32, subnormals included (strtof()
		 * may set ERANGE for those too): only a literal too large for
		 * any finite float, or a nonzero one that rounds to zero, is
		 * refused.
		 */
		if (errno == ERANGE && isinf(f))
			return fail(as, "float '%s' overflows binary32", ops[1]);
		if (f == 0 && float_nonzero(ops[1]))
			return fail(as, "float '%s' underflows binary32 to zero",
				    ops[1]);
		memcpy(&bits, &f, sizeof(bits));
		imm = (int)bits;
		break;
	}
	case F_RR:
	case F_MOV:
		if ((ret = parse_reg(as, ops[0], &rd)) ||
		    (ret = parse_reg(as, ops[1], &ra)))
			return ret;
		break;
	case F_SREG: {
		bool found = false;

		if ((ret = parse_reg(as, ops[0], &rd)))
			return ret;
		for (size_t i = 0; i < sizeof(sregs) / sizeof(*sregs); i++) {
			if (!strcmp(ops[1], sregs[i].name)) {
				imm = sregs[i].index;
				found = true;
			}
		}
		if (!found && !strncmp(ops[1], "arg", 3) && ops[1][3] >= '0' &&
		    ops[1][3] <= '7' && !ops[1][4]) {
			imm = NEUF_SREG_ARG0 + (ops[1][3] - '0');
			found = true;
		}
		if (!found)
			return fail(as, "unknown special register '%s'", ops[1]);
		break;
	}
	case F_LD:
		if ((ret = parse_reg(as, ops[0], &rd)) ||
		    (ret = parse_mem(as, ops[1], &ra, &imm)))
			return ret;
		break;
	case F_ST:
		if ((ret = parse_mem(as, ops[0], &ra, &imm)) ||
		    (ret = parse_reg(as, ops[1], &rb)))
			return ret;
		break;
	case F_MEM:
		if ((ret = parse_mem(as, ops[0], &ra, &imm)))
			return ret;
		break;
	case F_ATOM:
	case F_CAS:
		if ((ret = parse_reg(as, ops[0], &rd)) ||
		    (ret = parse_mem(as, ops[1], &ra, &imm)) ||
		    (ret = parse_reg(as, ops[2], &rb)))
			return ret;
		if (m->format == F_CAS && (ret = parse_reg(as, ops[3], &rc)))
			return ret;
		break;
	case F_BR:
		if ((ret = parse_reg(as, ops[0], &ra)) ||
		    (ret = parse_reg(as, ops[1], &rb)) ||
		    (ret = check_target(as, ops[2])))
			return ret;
		if (cond->swap) {
			unsigned int t = ra;

			ra = rb;
			rb = t;
		}
		return emit(as, NEUF_ISA_ENCODE(m->opcode, 0, ra, rb,
						(unsigned int)cond->code, 0), ops[2]);
	case F_BZ:
		if ((ret = parse_reg(as, ops[0], &ra)) ||
		    (ret = check_target(as, ops[1])))
			return ret;
		return emit(as, NEUF_ISA_ENCODE(m->opcode, 0, ra, 0,
						(unsigned int)m->cond, 0), ops[1]);
	case F_JMP:
		if ((ret = check_target(as, ops[0])))
			return ret;
		return emit(as, NEUF_ISA_ENCODE(m->opcode, 0, 0, 0, 0, 0), ops[0]);
	}

	return emit(as, NEUF_ISA_ENCODE(m->opcode, rd, ra, rb, rc, imm), NULL);
}

static int assemble_line(struct assembler *as, char *line)
{
	char *text;
	int ret;

	line[strcspn(line, "#;")] = '\0';
	text = trim(line);
	/* Labels: "name:" before an optional instruction. */
	for (;;) {
		size_t n = 0;

		while (isalnum((unsigned char)text[n]) || text[n] == '_' ||
		       text[n] == '.')
			n++;
		if (!n || text[n] != ':')
			break;
		text[n] = '\0';
		ret = define_label(as, text);
		if (ret)
			return ret;
		text = trim(text + n + 1);
	}
	return *text ? assemble_insn(as, text) : 0;
}

static int resolve(struct assembler *as)
{
	for (size_t i = 0; i < as->count; i++) {
		struct insn *insn = &as->insns[i];
		bool found = false;

		if (!insn->target[0])
			continue;
		for (size_t l = 0; l < as->nlabels; l++) {
			if (strcmp(as->labels[l].name, insn->target))
				continue;
			/* In instructions: imm32 holds it times 8, in bytes. */
			long long off = (long long)as->labels[l].index -
					(long long)i;

			if (off < INT32_MIN / NEUF_ISA_INSN_BYTES ||
			    off > INT32_MAX / NEUF_ISA_INSN_BYTES) {
				as->line = insn->line;
				return fail(as, "branch to '%s' out of range: %lld instructions, beyond a signed 32-bit byte offset",
					    insn->target, off);
			}
			off *= NEUF_ISA_INSN_BYTES;
			insn->word = (insn->word & 0xffffffffull) |
				     ((uint64_t)(uint32_t)(int32_t)off << 32);
			found = true;
		}
		if (!found) {
			as->line = insn->line;
			return fail(as, "undefined label '%s'", insn->target);
		}
	}
	return 0;
}

static int assemble(const char *source, struct neuf_asm_program *prog,
		    char *err, size_t errlen)
{
	struct assembler as = { .err = err, .errlen = errlen };
	char *copy, *line, *next;
	int ret = 0;

	if (err && errlen)
		err[0] = '\0';
	copy = strdup(source);
	if (!copy)
		return -ENOMEM;

	for (line = copy; line && !ret; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		as.line++;
		ret = assemble_line(&as, line);
	}
	if (!ret)
		ret = resolve(&as);
	if (!ret && !as.count) {
		as.line = 0;
		ret = fail(&as, "no instructions");
	}

	free(copy);
	free(as.labels);
	if (ret) {
		free(as.insns);
		return ret;
	}

	prog->code = malloc(as.count * sizeof(*prog->code));
	if (!prog->code) {
		free(as.insns);
		return -ENOMEM;
	}
	for (size_t i = 0; i < as.count; i++)
		prog->code[i] = as.insns[i].word;
	prog->count = as.count;
	free(as.insns);
	return 0;
}

int neuf_assemble(const char *source, struct neuf_asm_program *prog,
		  char *err, size_t errlen)
{
	locale_t c_locale, caller;
	int ret;

	/*
	 * The grammar (isa.rst) is the C locale's, whatever the caller's
	 * is: its LC_NUMERIC must not make strtof() stop at the '.' of
	 * "1.5", nor its LC_CTYPE let bytes beyond ASCII into names or
	 * blanks. uselocale() changes this thread's locale only.
	 */
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (!c_locale)
		return -ENOMEM;
	caller = uselocale(c_locale);
	ret = assemble(source, prog, err, errlen);
	uselocale(caller);
	freelocale(c_locale);
	return ret;
}

void neuf_asm_program_free(struct neuf_asm_program *prog)
{
	free(prog->code);
	prog->code = NULL;
	prog->count = 0;
}
